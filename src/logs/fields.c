/* Field splitting, comparisons and timestamps for the log readers. */
#include <string.h>

#include "logs_internal.h"

size_t lg_split_csv(const char *s, size_t n, struct lg_field *out, size_t max)
{
	size_t nf = 0, i = 0;

	if (max == 0)
		return 0;
	for (;;) {
		if (i < n && s[i] == '"') {
			size_t b = ++i;

			while (i < n) {
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			out[nf].p = s + b;
			out[nf].n = i - b;
			if (i < n)
				i++; /* closing quote */
			/* anything between the quote and the comma is dropped */
			while (i < n && s[i] != ',')
				i++;
		} else {
			const char *c = i < n ? memchr(s + i, ',', n - i) : NULL;
			size_t e = c ? (size_t)(c - s) : n;

			out[nf].p = s + i;
			out[nf].n = e - i;
			i = e;
		}
		nf++;
		if (i >= n || nf == max)
			break;
		i++; /* the comma */
		if (i == n) {
			if (nf < max) {
				out[nf].p = s + n;
				out[nf].n = 0;
				nf++;
			}
			break;
		}
	}
	return nf;
}

#if defined(__SSE2__) && !defined(EXS_NO_SIMD)
#include <emmintrin.h>
#endif

/* The hot loop of the IIS reader: 16 bytes at a time where SSE2 exists
 * (every x86-64), byte by byte elsewhere. */
size_t lg_split_space(const char *s, size_t n, struct lg_field *out, size_t max)
{
	size_t nf = 0, start = 0, i = 0;

	if (max == 0)
		return 0;
#if defined(__SSE2__) && !defined(EXS_NO_SIMD)
	{
		const __m128i sp = _mm_set1_epi8(' ');

		for (; i + 16 <= n; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));

			while (mask) {
				size_t pos = i + (size_t)__builtin_ctz(mask);

				out[nf].p = s + start;
				out[nf].n = pos - start;
				if (++nf == max)
					return nf;
				start = pos + 1;
				mask &= mask - 1;
			}
		}
	}
#endif
	for (; i < n; i++) {
		if (s[i] != ' ')
			continue;
		out[nf].p = s + start;
		out[nf].n = i - start;
		if (++nf == max)
			return nf;
		start = i + 1;
	}
	out[nf].p = s + start;
	out[nf].n = n - start;
	return nf + 1;
}

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

bool lg_eq_ci(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && lg_prefix_ci(s, n, lit);
}

bool lg_prefix_ci(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; lit[i]; i++)
		if (i >= n || lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

bool lg_suffix_ci(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && lg_prefix_ci(s + n - l, l, lit);
}

const char *lg_find_ci(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	unsigned char a, b;

	if (l == 0)
		return s;
	if (n < l)
		return NULL;
	a = lower((unsigned char)lit[0]);
	b = (a >= 'a' && a <= 'z') ? (unsigned char)(a & ~0x20) : a;
	for (size_t i = 0; i + l <= n;) {
		const char *pa = memchr(s + i, a, n - l + 1 - i);
		const char *pb = a != b ? memchr(s + i, b, n - l + 1 - i) : NULL;
		const char *p = pa && pb ? (pa < pb ? pa : pb) : (pa ? pa : pb);

		if (!p)
			return NULL;
		if (lg_prefix_ci(p, l, lit))
			return p;
		i = (size_t)(p - s) + 1;
	}
	return NULL;
}

const char *lg_find(const char *s, size_t n, const char *lit)
{
	return memmem(s, n, lit, strlen(lit));
}

int lg_status(const char *s, size_t n)
{
	int v = 0;

	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int lg_column(const struct lg_field *hdr, size_t nhdr, const char *name)
{
	for (size_t i = 0; i < nhdr; i++)
		if (lg_eq_ci(hdr[i].p, hdr[i].n, name))
			return (int)i;
	return -1;
}

static bool digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t lg_parse_date_time(const char *d, size_t dn, const char *t, size_t tn)
{
	int y, mo, da, h, mi, se;

	if (dn < 10 || d[4] != '-' || d[7] != '-' || !digits(d, 4, &y) || !digits(d + 5, 2, &mo) ||
	    !digits(d + 8, 2, &da))
		return 0;
	if (tn < 8 || t[2] != ':' || t[5] != ':' || !digits(t, 2, &h) || !digits(t + 3, 2, &mi) ||
	    !digits(t + 6, 2, &se))
		return 0;
	if (y < 1970 || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	return days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
}

int64_t lg_parse_iso(const char *s, size_t n)
{
	if (n < 19 || (s[10] != 'T' && s[10] != ' '))
		return 0;
	return lg_parse_date_time(s, 10, s + 11, n - 11);
}
