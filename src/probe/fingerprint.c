/* Fingerprint extractors over raw server data (headers, pages, manifests).
 * Every function is bounded by its length argument: inputs are never
 * NUL-terminated strings. */
#include <string.h>
#include <strings.h>

#include "exscan/probe.h"

static const char *find_ci(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0 || n < k)
		return NULL;
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(h + i, needle, k) == 0)
			return h + i;
	return NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int exs_fp_owa_asset_version(const char *page, size_t n, struct exs_version *v)
{
	const char *p = page, *end = page + n;

	while (p < end) {
		const char *hit = find_ci(p, (size_t)(end - p), "/owa/");
		const char *q, *start;

		if (!hit)
			return -1;
		q = hit + 5;
		if ((size_t)(end - q) >= 5 && strncasecmp(q, "auth/", 5) == 0)
			q += 5;
		start = q;
		while (q < end && (is_digit(*q) || *q == '.') && q - start < 32)
			q++;
		if (q < end && *q == '/' && q > start &&
		    exs_version_parse_n(start, (size_t)(q - start), v, NULL) == 0 &&
		    v->part[0] >= 8)
			return 0;
		p = hit + 5;
	}
	return -1;
}

/* Value of attribute `name` inside the element text [p, end): the quoted
 * value is returned through val/vlen. */
static int attr_value(const char *p, const char *end, const char *name, const char **val,
                      size_t *vlen)
{
	size_t k = strlen(name);

	for (const char *q = p; q + k + 2 <= end; q++) {
		if ((q == p || q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n' || q[-1] == '\r') &&
		    strncasecmp(q, name, k) == 0) {
			const char *r = q + k;
			char quote;
			const char *close;

			while (r < end && (*r == ' ' || *r == '\t'))
				r++;
			if (r >= end || *r != '=')
				continue;
			r++;
			while (r < end && (*r == ' ' || *r == '\t'))
				r++;
			if (r >= end || (*r != '"' && *r != '\''))
				continue;
			quote = *r++;
			close = memchr(r, quote, (size_t)(end - r));
			if (!close)
				return -1;
			*val = r;
			*vlen = (size_t)(close - r);
			return 0;
		}
	}
	return -1;
}

int exs_fp_manifest_version(const char *xml, size_t n, struct exs_version *v)
{
	const char *p = xml, *end = xml + n;

	while (p < end) {
		const char *el = find_ci(p, (size_t)(end - p), "<assemblyIdentity");
		const char *close, *val;
		size_t vlen;

		if (!el)
			return -1;
		close = memchr(el, '>', (size_t)(end - el));
		if (!close)
			return -1;
		if (attr_value(el, close, "name", &val, &vlen) == 0 && vlen >= 39 &&
		    strncasecmp(val, "microsoft.exchange.ediscovery.exporttool", 39) == 0 &&
		    attr_value(el, close, "version", &val, &vlen) == 0 &&
		    exs_version_parse_n(val, vlen, v, NULL) == 0 && v->nparts == 4)
			return 0;
		p = close + 1;
	}
	return -1;
}

unsigned exs_fp_page_markers(const char *page, size_t n)
{
	unsigned m = 0;
	const char *t;

	if (find_ci(page, n, "OwaPage = ASP.auth_logon_aspx"))
		m |= EXS_OWA_MARK_OWAPAGE;
	if (find_ci(page, n, "function IsOwaPremiumBrowser"))
		m |= EXS_OWA_MARK_PREMIUM;
	t = find_ci(page, n, "<title>");
	if (t) {
		const char *s = t + 7, *e = find_ci(s, n - (size_t)(s - page), "</title>");

		if (e && e - s < 512 && find_ci(s, (size_t)(e - s), "Outlook"))
			m |= EXS_OWA_MARK_TITLE;
	}
	return m;
}

int exs_fp_evidence_count(unsigned mask)
{
	return __builtin_popcount(mask & EXS_OWA_EVIDENCE_MASK);
}

void exs_fp_marker_names(unsigned mask, char *out, size_t cap)
{
	static const char *const names[] = {
	        "owa-page-comment", "outlook-title", "owa-premium-script", "owa-cookie",
	        "x-owa-version",    "x-feserver",    "owa-asset-path",     "exporttool-manifest",
	        "ntlm-ews",         "autodiscover",  "catch-all",
	};
	size_t len = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + len, cap - len, "%s%s", len ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
}

int exs_fp_header_value(const char *line, size_t n, const char *name, const char **val,
                        size_t *vlen)
{
	size_t k = strlen(name);
	const char *v, *e;

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return -1;
	v = line + k + 1;
	e = line + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*val = v;
	*vlen = (size_t)(e - v);
	return 0;
}
