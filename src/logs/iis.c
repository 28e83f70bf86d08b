/* IIS W3C extended logs: fields named by each "#Fields:" directive (which
 * can change mid-file), separated by single spaces, '+' for spaces in the
 * user agent.  Requests matching ProxyLogon, ProxyShell, ProxyNotShell and
 * OWASSRF exploitation, or attack tooling user agents, with the status
 * deciding success. */
#include <string.h>

#include "logs_internal.h"

#define MAX_FIELDS 64

enum icol { I_DATE, I_TIME, I_CIP, I_METHOD, I_STEM, I_QUERY, I_USER, I_UA, I_STATUS, I_COUNT };

static const char *const icol_names[I_COUNT] = {
        "date",         "time",        "c-ip",           "cs-method", "cs-uri-stem",
        "cs-uri-query", "cs-username", "cs(User-Agent)", "sc-status",
};

struct iis {
	int col[I_COUNT];
	size_t need; /* fields to split: 1 + the highest column used */
	size_t hot;  /* fields every line needs: up to method, stem, user agent */
	struct lg_field fields[MAX_FIELDS];
};

static void fields_directive(struct iis *x, const char *s, size_t n)
{
	size_t nf;

	s += 8;
	n -= 8;
	while (n > 0 && s[0] == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	nf = lg_split_space(s, n, x->fields, MAX_FIELDS);
	x->need = x->hot = 0;
	for (int i = 0; i < I_COUNT; i++) {
		x->col[i] = lg_column(x->fields, nf, icol_names[i]);
		if (x->col[i] >= 0 && (size_t)x->col[i] + 1 > x->need)
			x->need = (size_t)x->col[i] + 1;
		if ((i == I_METHOD || i == I_STEM || i == I_UA) && x->col[i] >= 0 &&
		    (size_t)x->col[i] + 1 > x->hot)
			x->hot = (size_t)x->col[i] + 1;
	}
}

static struct lg_field fld(const struct iis *x, size_t nf, int i)
{
	struct lg_field none = {"", 0};

	if (x->col[i] < 0 || (size_t)x->col[i] >= nf)
		return none;
	return x->fields[x->col[i]];
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* /ecp/<1-3 letters or digits>.js */
static bool ecp_short_js(struct lg_field st)
{
	size_t k;

	if (!lg_prefix_ci(st.p, st.n, "/ecp/") || !lg_suffix_ci(st.p, st.n, ".js"))
		return false;
	k = st.n - 5 - 3;
	if (k < 1 || k > 3)
		return false;
	for (size_t i = 0; i < k; i++)
		if (!is_alnum(st.p[5 + i]))
			return false;
	return true;
}

static bool proxylogon_path(struct lg_field st)
{
	return lg_prefix_ci(st.p, st.n, "/owa/auth/Current/themes/resources/") ||
	       ecp_short_js(st) || lg_eq_ci(st.p, st.n, "/ecp/default.flt") ||
	       lg_eq_ci(st.p, st.n, "/ecp/main.css");
}

static bool attacker_ua(struct lg_field ua)
{
	return lg_prefix_ci(ua.p, ua.n, "antSword") ||
	       lg_eq_ci(ua.p, ua.n, "python-requests/2.19.1") ||
	       lg_eq_ci(ua.p, ua.n, "python-requests/2.25.1");
}

/* ProxyNotShell (CVE-2022-41040) was used from early August 2022 (GTSC saw
 * it then; it was disclosed on 2022-09-29): an earlier request cannot be it. */
#define PROXYNOTSHELL_FIRST 1659312000 /* 2022-08-01T00:00:00Z */
#define TARGET_MAX 4096

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out (cap bytes, NUL-terminated, cut when
 * full). Returns the length. */
static size_t url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < n && len + 1 < cap; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hex_val(s[i + 1])) >= 0 &&
		    (lo = hex_val(s[i + 2])) >= 0) {
			out[len++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		out[len++] = s[i];
	}
	out[len] = '\0';
	return len;
}

/* The back ends ProxyShell reaches through the autodiscover.json SSRF. */
static const char *const backends[] = {
        "/mapi/emsmdb", "/mapi/nspi", "/autodiscover/autodiscover.xml", "/powershell", "/ews",
        "/ecp",         "/owa",
};

/* exscan's own ProxyShell checks (src/probe/probe.c) read nothing. */
static bool own_probe(struct lg_field q, struct lg_field ua)
{
	return lg_find(ua.p, ua.n, "exscan/") &&
	       (lg_eq_ci(q.p, q.n,
	                 "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com") ||
	        lg_eq_ci(q.p, q.n, "a=check@test.com/mapi/nspi/"));
}

/* Which autodiscover.json abuse the request shows, or LG_R_COUNT for none.
 * tail is what follows "autodiscover.json" in the stem. An "@" followed by
 * a back-end path (after URL decoding, twice for double encoding) is the
 * SSRF. ProxyShell is unauthenticated and reaches /powershell with an
 * X-Rps-CAT token; ProxyNotShell needs a signed-in user. What neither the
 * shape nor the date decides is reported as both. */
static enum lg_rule autodiscover_rule(struct lg_field tail, struct lg_field q, struct lg_field user,
                                      int64_t ts, bool success)
{
	char raw[TARGET_MAX], once[TARGET_MAX], dec[TARGET_MAX];
	bool anon = user.n == 0 || (user.n == 1 && user.p[0] == '-');
	size_t n = 0, dn;
	const char *at;
	bool backend = false, cat;

	if (tail.n >= sizeof(raw) - 1)
		tail.n = sizeof(raw) - 2;
	memcpy(raw, tail.p, tail.n);
	n = tail.n;
	raw[n++] = '?';
	if (q.n > sizeof(raw) - 1 - n)
		q.n = sizeof(raw) - 1 - n;
	memcpy(raw + n, q.p, q.n);
	n += q.n;
	dn = url_decode(raw, n, once, sizeof(once));
	dn = url_decode(once, dn, dec, sizeof(dec));
	at = memchr(dec, '@', dn);
	if (!at)
		return LG_R_COUNT;
	for (size_t i = 0; !backend && i < sizeof(backends) / sizeof(backends[0]); i++)
		backend = lg_find_ci(at, dn - (size_t)(at - dec), backends[i]) != NULL;
	cat = lg_find_ci(dec, dn, "X-Rps-CAT") != NULL;
	if (!backend && !cat)
		return LG_R_COUNT;
	if (cat || (ts && ts < PROXYNOTSHELL_FIRST))
		return LG_R_IIS_PROXYSHELL;
	if (!anon)
		return LG_R_IIS_PROXYNOTSHELL;
	/* anonymous: only ProxyShell reaches a back end without signing in,
	 * but ProxyNotShell's first request is answered 401 before NTLM */
	return success ? LG_R_IIS_PROXYSHELL : LG_R_IIS_PROXY_EITHER;
}

static void iis_hit(struct lg_file *f, struct lg_reader *r, const struct iis *x, size_t nf,
                    enum lg_rule rule, bool success, const char *s, size_t n)
{
	struct lg_field d = fld(x, nf, I_DATE), t = fld(x, nf, I_TIME), c = fld(x, nf, I_CIP);
	struct lg_hit h = {
	        .rule = rule,
	        .success = success,
	        .ts = lg_parse_date_time(d.p, d.n, t.p, t.n),
	        .client = c.p,
	        .client_len = c.n,
	        .text = s,
	        .text_len = n,
	        .line = r->lineno,
	};

	lg_file_hit(f, &h);
}

/* Most lines need only method, stem and user agent: the other fields are
 * split when a rule is about to match. */
static size_t all_fields(struct iis *x, const char *s, size_t n, size_t nf, bool *full)
{
	if (*full)
		return nf;
	*full = true;
	return lg_split_space(s, n, x->fields, x->need);
}

static void iis_line(struct iis *x, struct lg_reader *r, struct lg_file *f, const char *s, size_t n)
{
	size_t nf = lg_split_space(s, n, x->fields, x->hot);
	struct lg_field stem, method, ua, sf;
	bool full = x->hot == x->need;
	int status = -2;

	if (nf < x->hot) {
		f->bad_lines++;
		if (x->col[I_STEM] < 0 || (size_t)x->col[I_STEM] >= nf)
			return;
	}
	stem = fld(x, nf, I_STEM);
	method = fld(x, nf, I_METHOD);
	ua = fld(x, nf, I_UA);
	if (stem.n >= 5 && stem.p[0] == '/') {
		char c1 = (char)(stem.p[1] | 0x20);

		if (c1 == 'a' && lg_prefix_ci(stem.p, stem.n, "/autodiscover/autodiscover.json")) {
			struct lg_field tail = {stem.p + 31, stem.n - 31}, q, d, t;
			enum lg_rule rule;
			bool ok;

			nf = all_fields(x, s, n, nf, &full);
			sf = fld(x, nf, I_STATUS);
			status = lg_status(sf.p, sf.n);
			ok = status == 200 || status == 302;
			q = fld(x, nf, I_QUERY);
			d = fld(x, nf, I_DATE);
			t = fld(x, nf, I_TIME);
			rule = own_probe(q, ua)
			               ? LG_R_COUNT
			               : autodiscover_rule(tail, q, fld(x, nf, I_USER),
			                                   lg_parse_date_time(d.p, d.n, t.p, t.n),
			                                   ok);
			if (rule != LG_R_COUNT)
				iis_hit(f, r, x, nf, rule, ok, s, n);
		} else if (c1 == 'o' && lg_prefix_ci(stem.p, stem.n, "/owa/") &&
		           memchr(stem.p, '@', stem.n) &&
		           (lg_suffix_ci(stem.p, stem.n, "/powershell") ||
		            lg_suffix_ci(stem.p, stem.n, "/powershell/"))) {
			nf = all_fields(x, s, n, nf, &full);
			sf = fld(x, nf, I_STATUS);
			status = lg_status(sf.p, sf.n);
			iis_hit(f, r, x, nf, LG_R_IIS_OWASSRF,
			        status == 200 && lg_eq_ci(method.p, method.n, "POST"), s, n);
		} else if ((c1 == 'o' || c1 == 'e') && lg_eq_ci(method.p, method.n, "POST") &&
		           proxylogon_path(stem)) {
			nf = all_fields(x, s, n, nf, &full);
			sf = fld(x, nf, I_STATUS);
			status = lg_status(sf.p, sf.n);
			iis_hit(f, r, x, nf, LG_R_IIS_PROXYLOGON, status == 200, s, n);
		}
	}
	if (ua.n >= 8 && (ua.p[0] == 'a' || ua.p[0] == 'A' || ua.p[0] == 'p' || ua.p[0] == 'P') &&
	    attacker_ua(ua)) {
		nf = all_fields(x, s, n, nf, &full);
		if (status == -2) {
			sf = fld(x, nf, I_STATUS);
			status = lg_status(sf.p, sf.n);
		}
		iis_hit(f, r, x, nf, LG_R_IIS_UA, status == 200, s, n);
	}
}

int lg_read_iis(struct lg_reader *r, struct lg_file *f, struct exs_error *err)
{
	struct iis x;
	const char *s;
	size_t n;
	int rc;

	memset(&x, 0, sizeof(x));
	for (int i = 0; i < I_COUNT; i++)
		x.col[i] = -1;
	while ((rc = lg_reader_next(r, &s, &n, err)) == 1) {
		f->lines++;
		if (n == 0)
			continue;
		if (s[0] == '#') {
			if (lg_prefix_ci(s, n, "#Fields:"))
				fields_directive(&x, s, n);
			continue;
		}
		if (x.need == 0) {
			f->bad_lines++; /* no #Fields: yet */
			continue;
		}
		iis_line(&x, r, f, s, n);
	}
	return rc < 0 ? -1 : 0;
}
