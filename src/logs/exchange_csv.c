/* Readers for Exchange's own CSV logs: HttpProxy, ECP server, OABGenerator
 * and Rps_Http.  Columns are found by name from the header line (the first
 * line "DateTime,..." or a "#Fields:" directive; a header can reappear
 * mid-file), quoted fields may hold commas. */
#include <stdlib.h>
#include <string.h>

#include "logs_internal.h"

#define MAX_FIELDS 256

enum col {
	C_DATETIME,
	C_ANCHOR,
	C_AUTHUSER,
	C_CLIENTIP,
	C_STATUS,
	C_CLIENTINFO,
	C_COUNT,
};

static const char *const col_names[C_COUNT] = {
        "DateTime",        "AnchorMailbox", "AuthenticatedUser",
        "ClientIpAddress", "HttpStatus",    "ClientInfo",
};

struct csv {
	struct lg_field *fields;
	int col[C_COUNT];
	bool have_header;
};

static int csv_init(struct csv *c, struct lg_reader *r, struct exs_error *err)
{
	memset(c, 0, sizeof(*c));
	c->fields = calloc(MAX_FIELDS, sizeof(*c->fields));
	if (!c->fields)
		return exs_error_set(err, "out of memory reading '%s'", r->name);
	for (int i = 0; i < C_COUNT; i++)
		c->col[i] = -1;
	return 0;
}

static void csv_release(struct csv *c)
{
	free(c->fields);
}

/* Handles directives and header lines. Returns true if the line was one. */
static bool csv_header(struct csv *c, const char *s, size_t n)
{
	size_t nf;

	if (n > 0 && s[0] == '#') {
		if (!lg_prefix_ci(s, n, "#Fields:"))
			return true;
		s += 8;
		n -= 8;
		while (n > 0 && s[0] == ' ') {
			s++;
			n--;
		}
	} else if (!lg_prefix_ci(s, n, "DateTime,")) {
		return false;
	}
	nf = lg_split_csv(s, n, c->fields, MAX_FIELDS);
	for (int i = 0; i < C_COUNT; i++)
		c->col[i] = lg_column(c->fields, nf, col_names[i]);
	c->have_header = true;
	return true;
}

/* The field for column i, or false when the line is too short. */
static bool get(const struct csv *c, size_t nf, int i, struct lg_field *out)
{
	if (c->col[i] < 0 || (size_t)c->col[i] >= nf)
		return false;
	*out = c->fields[c->col[i]];
	return true;
}

static int64_t line_time(const struct csv *c, size_t nf)
{
	struct lg_field f;

	if (get(c, nf, C_DATETIME, &f))
		return lg_parse_iso(f.p, f.n);
	return nf > 0 ? lg_parse_iso(c->fields[0].p, c->fields[0].n) : 0;
}

static void hit(struct lg_file *f, struct lg_reader *r, enum lg_rule rule, bool success, int64_t ts,
                struct lg_field client, const char *s, size_t n)
{
	struct lg_hit h = {
	        .rule = rule,
	        .success = success,
	        .ts = ts,
	        .client = client.p,
	        .client_len = client.n,
	        .text = s,
	        .text_len = n,
	        .line = r->lineno,
	};

	lg_file_hit(f, &h);
}

/* ServerInfo~host/path: the ProxyLogon SSRF anchor, minus localhost and
 * autodiscover (exscan's own probe and Exchange's own traffic). */
static void httpproxy_line(struct csv *c, struct lg_reader *r, struct lg_file *f, const char *s,
                           size_t n)
{
	struct lg_field anchor, user = {"", 0}, client = {"", 0}, status = {"", 0};
	const char *slash, *rest;
	size_t nf, rn;
	int code;

	nf = lg_split_csv(s, n, c->fields, MAX_FIELDS);
	if (!get(c, nf, C_ANCHOR, &anchor)) {
		f->bad_lines++;
		return;
	}
	if (!lg_prefix_ci(anchor.p, anchor.n, "ServerInfo~"))
		return;
	slash = memchr(anchor.p, '/', anchor.n);
	if (!slash)
		return;
	rest = slash + 1;
	rn = anchor.n - (size_t)(rest - anchor.p);
	get(c, nf, C_CLIENTIP, &client);
	get(c, nf, C_STATUS, &status);
	code = lg_status(status.p, status.n);
	{
		const char *reset = lg_find_ci(rest, rn, "Reset");

		if (reset && lg_find_ci(reset, rn - (size_t)(reset - rest), "VirtualDirectory")) {
			hit(f, r, LG_R_HP_VDIR_RESET, code == 200, line_time(c, nf), client, s, n);
			return;
		}
	}
	if (lg_prefix_ci(anchor.p, anchor.n, "ServerInfo~localhost") ||
	    lg_prefix_ci(rest, rn, "autodiscover"))
		return;
	get(c, nf, C_AUTHUSER, &user);
	hit(f, r, user.n == 0 ? LG_R_HP_SSRF_ANON : LG_R_HP_SSRF, code == 200, line_time(c, nf),
	    client, s, n);
}

/* Whether "ServerInfo~" occurs: a memchr for the rare '~', then a look back. */
static bool has_serverinfo(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memchr(p, '~', (size_t)(end - p)))) {
		if (p - s >= 10 && memcmp(p - 10, "ServerInfo", 10) == 0)
			return true;
		p++;
	}
	return false;
}

int lg_read_httpproxy(struct lg_reader *r, struct lg_file *f, struct exs_error *err)
{
	struct csv c;
	const char *s;
	size_t n;
	int rc;

	if (csv_init(&c, r, err))
		return -1;
	while ((rc = lg_reader_next(r, &s, &n, err)) == 1) {
		f->lines++;
		if (n == 0)
			continue;
		if ((s[0] == '#' || s[0] == 'D' || s[0] == 'd') && csv_header(&c, s, n))
			continue;
		/* pre-filter: the SSRF anchor is written by Exchange as "ServerInfo~" */
		if (!has_serverinfo(s, n))
			continue;
		if (!c.have_header) {
			f->bad_lines++;
			continue;
		}
		httpproxy_line(&c, r, f, s, n);
	}
	csv_release(&c);
	return rc < 0 ? -1 : 0;
}

static bool has_script(const char *s, size_t n)
{
	static const char *const tells[] = {"<script",  "runat=",    "eval(",    "Request[",
	                                    "Request.", "Page_Load", "%3Cscript"};

	for (size_t i = 0; i < sizeof(tells) / sizeof(tells[0]); i++)
		if (lg_find_ci(s, n, tells[i]))
			return true;
	return false;
}

int lg_read_ecp(struct lg_reader *r, struct lg_file *f, struct exs_error *err)
{
	struct csv c;
	const char *s;
	size_t n;
	int rc;

	if (csv_init(&c, r, err))
		return -1;
	while ((rc = lg_reader_next(r, &s, &n, err)) == 1) {
		struct lg_field client = {"", 0};
		size_t nf;

		f->lines++;
		if (n == 0 || ((s[0] == '#' || s[0] == 'D' || s[0] == 'd') && csv_header(&c, s, n)))
			continue;
		if (!lg_find_ci(s, n, "VirtualDirectory"))
			continue;
		nf = lg_split_csv(s, n, c.fields, MAX_FIELDS);
		get(&c, nf, C_CLIENTIP, &client);
		for (size_t i = 0; i < nf; i++) {
			const char *p = c.fields[i].p, *cmd, *vd, *url;
			size_t fn = c.fields[i].n;

			cmd = lg_find_ci(p, fn, "Set-");
			if (!cmd)
				continue;
			vd = lg_find_ci(cmd, fn - (size_t)(cmd - p), "VirtualDirectory");
			if (!vd)
				continue;
			url = lg_find_ci(vd, fn - (size_t)(vd - p), "Url=");
			if (url && has_script(url, fn - (size_t)(url - p))) {
				hit(f, r, LG_R_ECP_VDIR_SCRIPT, true, line_time(&c, nf), client, s,
				    n);
				break;
			}
		}
	}
	csv_release(&c);
	return rc < 0 ? -1 : 0;
}

int lg_read_oab(struct lg_reader *r, struct lg_file *f, struct exs_error *err)
{
	static const char lead[] = "Download failed and temporary file ";
	struct lg_field first[2], none = {"", 0};
	const char *s;
	size_t n;
	int rc;

	while ((rc = lg_reader_next(r, &s, &n, err)) == 1) {
		const char *p, *path, *end;
		size_t pn;

		f->lines++;
		if (n == 0 || s[0] == '#')
			continue;
		p = lg_find_ci(s, n, lead);
		if (!p)
			continue;
		path = p + sizeof(lead) - 1;
		end = lg_find_ci(path, n - (size_t)(path - s), " needs to be removed");
		if (!end) {
			f->bad_lines++;
			continue;
		}
		pn = (size_t)(end - path);
		while (pn > 0 && (*path == '\'' || *path == '"')) {
			path++;
			pn--;
		}
		if (lg_find_ci(path, pn, "ClientAccess\\OAB\\") ||
		    lg_find_ci(path, pn, "ClientAccess/OAB/"))
			continue;
		lg_split_csv(s, n, first, 1);
		hit(f, r, LG_R_OAB_PATH, false, lg_parse_iso(first[0].p, first[0].n), none, s, n);
	}
	return rc < 0 ? -1 : 0;
}

int lg_read_rps(struct lg_reader *r, struct lg_file *f, struct exs_error *err)
{
	struct csv c;
	const char *s;
	size_t n;
	int rc;

	if (csv_init(&c, r, err))
		return -1;
	while ((rc = lg_reader_next(r, &s, &n, err)) == 1) {
		struct lg_field info, client = {"", 0}, status = {"", 0};
		size_t nf;

		f->lines++;
		if (n == 0 || ((s[0] == '#' || s[0] == 'D' || s[0] == 'd') && csv_header(&c, s, n)))
			continue;
		if (!c.have_header) {
			f->bad_lines++;
			continue;
		}
		nf = lg_split_csv(s, n, c.fields, MAX_FIELDS);
		if (!get(&c, nf, C_CLIENTINFO, &info)) {
			f->bad_lines++;
			continue;
		}
		while (info.n > 0 && info.p[info.n - 1] == ' ')
			info.n--;
		if (info.n == 0 || lg_eq_ci(info.p, info.n, "Microsoft WinRM Client") ||
		    lg_eq_ci(info.p, info.n, "Exchange BackEnd Probes"))
			continue;
		get(&c, nf, C_CLIENTIP, &client);
		get(&c, nf, C_STATUS, &status);
		hit(f, r, LG_R_RPS_CLIENTINFO, lg_status(status.p, status.n) == 200,
		    line_time(&c, nf), client, s, n);
	}
	csv_release(&c);
	return rc < 0 ? -1 : 0;
}
