/* The streaming line reader: fixed-size buffers whatever the file size,
 * UTF-16 (BOM) converted to UTF-8 with iconv(3) as it is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logs_internal.h"

#define CHUNK_FD (256 * 1024)
#define CHUNK_MEM 4096 /* small: cheap to set up per fuzz input, many boundaries */

static int common_init(struct lg_reader *r, const char *name, struct exs_error *err)
{
	r->name = name;
	r->cd = (iconv_t)-1;
	r->chunk = r->mem ? CHUNK_MEM : CHUNK_FD;
	r->cap = r->chunk * 2 + LG_MAX_LINE;
	r->buf = malloc(r->cap);
	if (!r->buf)
		return exs_error_set(err, "out of memory reading '%s'", name);
	return 0;
}

int lg_reader_init(struct lg_reader *r, int fd, const char *name, struct exs_error *err)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	return common_init(r, name, err);
}

void lg_reader_init_mem(struct lg_reader *r, const char *data, size_t n, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->mem = data ? data : "";
	r->mem_len = n;
	if (common_init(r, name, NULL))
		r->eof = true; /* out of memory: reads nothing */
}

void lg_reader_release(struct lg_reader *r)
{
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	free(r->raw);
	free(r->buf);
	memset(r, 0, sizeof(*r));
	r->cd = (iconv_t)-1;
}

/* Reads up to n bytes from the source. Returns bytes read, 0 at the end, -1. */
static ssize_t source_read(struct lg_reader *r, char *dst, size_t n, struct exs_error *err)
{
	ssize_t got;

	if (r->mem) {
		size_t left = r->mem_len - r->mem_off;

		if (n > left)
			n = left;
		memcpy(dst, r->mem + r->mem_off, n);
		r->mem_off += n;
		return (ssize_t)n;
	}
	do
		got = read(r->fd, dst, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return exs_error_set(err, "cannot read '%s': %s", r->name, strerror(errno));
	r->bytes += (size_t)got;
	return got;
}

/* Converts as much of raw as fits into buf; keeps an incomplete sequence. */
static void convert(struct lg_reader *r, bool final)
{
	char *in = r->raw, *outp = r->buf + r->end;
	size_t inleft = r->raw_len, outleft = r->cap - r->end;

	while (inleft > 0 && outleft > 8) {
		if (iconv(r->cd, &in, &inleft, &outp, &outleft) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		if (errno == EINVAL && !final)
			break; /* incomplete sequence: wait for more input */
		/* invalid (or incomplete at the end): one replacement, skip a unit */
		*outp++ = '?';
		outleft--;
		in += inleft >= 2 ? 2 : inleft;
		inleft -= inleft >= 2 ? 2 : inleft;
	}
	r->end = (size_t)(outp - r->buf);
	memmove(r->raw, in, inleft);
	r->raw_len = inleft;
}

/* Decides the encoding from the first bytes (buf holds them at [0, end)). */
static int detect(struct lg_reader *r, struct exs_error *err)
{
	const unsigned char *b = (const unsigned char *)r->buf;
	const char *from = NULL;

	r->started = true;
	if (r->end >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		r->start = 3;
		return 0;
	}
	if (r->end >= 2 && b[0] == 0xff && b[1] == 0xfe)
		from = "UTF-16LE";
	else if (r->end >= 2 && b[0] == 0xfe && b[1] == 0xff)
		from = "UTF-16BE";
	if (!from)
		return 0;
	r->cd = iconv_open("UTF-8", from);
	if (r->cd == (iconv_t)-1)
		return exs_error_set(err, "cannot convert '%s' from %s: %s", r->name, from,
		                     strerror(errno));
	r->raw = malloc(r->chunk + 16);
	if (!r->raw)
		return exs_error_set(err, "out of memory reading '%s'", r->name);
	r->raw_len = r->end - 2;
	memcpy(r->raw, r->buf + 2, r->raw_len);
	r->start = r->end = 0;
	convert(r, false);
	return 0;
}

/* Adds data after r->end. Returns bytes added (0 at the end) or -1. */
static ssize_t fill(struct lg_reader *r, struct exs_error *err)
{
	ssize_t got;
	size_t before = r->end;

	if (r->start > 0 && (r->cap - r->end < r->chunk + 16)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		before = r->end;
	}
	if (r->cd == (iconv_t)-1) {
		size_t room = r->cap - r->end;

		if (room > r->chunk)
			room = r->chunk;
		got = source_read(r, r->buf + r->end, room, err);
		if (got < 0)
			return -1;
		r->end += (size_t)got;
		if (!r->started && detect(r, err))
			return -1;
		return (ssize_t)(r->end - before) > 0 ? (ssize_t)(r->end - before) : got;
	}
	for (;;) {
		bool at_eof = false;

		if (r->raw_len < r->chunk) {
			got = source_read(r, r->raw + r->raw_len, r->chunk - r->raw_len, err);
			if (got < 0)
				return -1;
			r->raw_len += (size_t)got;
			at_eof = got == 0;
		}
		convert(r, at_eof);
		if (r->end > before)
			return (ssize_t)(r->end - before);
		if (at_eof)
			return 0;
		if (r->raw_len >= r->chunk)
			r->raw_len = 0; /* cannot happen with these sizes; never loop */
	}
}

int lg_reader_next(struct lg_reader *r, const char **line, size_t *len, struct exs_error *err)
{
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = avail ? memchr(s, '\n', avail) : NULL;
		ssize_t got;

		if (nl) {
			size_t n = (size_t)(nl - s);

			r->start += n + 1;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			if (n > 0 && s[n - 1] == '\r')
				n--;
			r->lineno++;
			r->truncated = false;
			*line = s;
			*len = n;
			/* how far back and forward the file reaches: every log format
			 * exscan reads starts its lines with the time */
			if (n >= 19 && s[0] >= '0' && s[0] <= '9' && s[4] == '-') {
				if (!r->newest[0] || memcmp(s, r->newest, 19) > 0)
					memcpy(r->newest, s, 19);
				if (!r->oldest[0] || memcmp(s, r->oldest, 19) < 0)
					memcpy(r->oldest, s, 19);
			}
			return 1;
		}
		if (!r->skipping && avail >= LG_MAX_LINE) {
			/* an overlong line: return its start, drop the rest */
			r->start += LG_MAX_LINE;
			r->skipping = true;
			r->lineno++;
			r->truncated = true;
			*line = s;
			*len = LG_MAX_LINE;
			return 1;
		}
		if (r->skipping) {
			r->start = r->end;
		}
		if (r->eof) {
			if (avail == 0 || r->skipping)
				return 0;
			/* the last line has no line ending */
			r->start = r->end;
			if (s[avail - 1] == '\r')
				avail--;
			r->lineno++;
			r->truncated = false;
			*line = s;
			*len = avail;
			return 1;
		}
		got = fill(r, err);
		if (got < 0)
			return -1;
		if (got == 0)
			r->eof = true;
	}
}

void lg_span_add(int64_t *oldest, int64_t *newest, int64_t ts)
{
	if (ts <= 0)
		return;
	if (!*oldest || ts < *oldest)
		*oldest = ts;
	if (!*newest || ts > *newest)
		*newest = ts;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t lg_leading_time(const char *s, size_t n)
{
	int y, mo, d, h, mi, se;
	int64_t days;

	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 1990 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 60)
		return 0;
	/* days from the civil date (Howard Hinnant's algorithm) */
	{
		int yy = y - (mo <= 2);
		int era = yy / 400;
		int yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = (int64_t)era * 146097 + doe - 719468;
	}
	return days * 86400 + h * 3600 + mi * 60 + se;
}

void lg_reader_span(const struct lg_reader *r, int64_t *oldest, int64_t *newest)
{
	*oldest = r->oldest[0] ? lg_leading_time(r->oldest, 19) : 0;
	*newest = r->newest[0] ? lg_leading_time(r->newest, 19) : 0;
}
