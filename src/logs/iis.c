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

/* Which autodiscover.json abuse the query shows, or LG_R_COUNT for none. */
static enum lg_rule autodiscover_rule(struct lg_field q, struct lg_field user)
{
	bool at = memchr(q.p, '@', q.n) || lg_find_ci(q.p, q.n, "%40");
	bool anon = user.n == 0 || (user.n == 1 && user.p[0] == '-');

	if (!at)
		return LG_R_COUNT;
	if (lg_find_ci(q.p, q.n, "X-Rps-CAT"))
		return LG_R_IIS_PROXYSHELL;
	if (lg_find_ci(q.p, q.n, "owershell"))
		return anon ? LG_R_IIS_PROXYSHELL : LG_R_IIS_PROXYNOTSHELL;
	if (lg_find_ci(q.p, q.n, "/mapi/nspi") || lg_find_ci(q.p, q.n, "/ews/"))
		return LG_R_IIS_PROXYSHELL;
	return LG_R_COUNT;
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

		if (c1 == 'a' && lg_eq_ci(stem.p, stem.n, "/autodiscover/autodiscover.json")) {
			enum lg_rule rule;

			nf = all_fields(x, s, n, nf, &full);
			rule = autodiscover_rule(fld(x, nf, I_QUERY), fld(x, nf, I_USER));
			sf = fld(x, nf, I_STATUS);
			status = lg_status(sf.p, sf.n);
			if (rule == LG_R_IIS_PROXYSHELL)
				iis_hit(f, r, x, nf, rule, status == 200 || status == 302, s, n);
			else if (rule == LG_R_IIS_PROXYNOTSHELL)
				iis_hit(f, r, x, nf, rule, status == 200, s, n);
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
