/* The log readers on generated log files (real files on disk, read through
 * exs_logs_scan_fd as the walker does). */
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "exscan/buf.h"
#include "exscan/logs.h"

static char tmpdir[] = "/tmp/exscan-logs-test.XXXXXX";

struct run {
	struct exs_log_state *st;
	struct exs_findings fs;
};

static void write_file(const char *name, const char *data, size_t n)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Scans data as a log of the given kind into r->st (several calls add up). */
static void feed(struct run *r, const char *relpath, enum exs_log_kind kind, const char *data,
                 size_t n)
{
	struct exs_error err = {{0}};
	char path[256];
	int fd;

	if (!r->st) {
		r->st = exs_log_state_new();
		exs_findings_init(&r->fs);
	}
	write_file("log", data, n);
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	if (exs_logs_scan_fd(fd, relpath, kind, r->st, &err))
		fail_msg("scan failed: %s", err.msg);
	close(fd);
}

static void feed_str(struct run *r, const char *relpath, enum exs_log_kind kind, const char *s)
{
	feed(r, relpath, kind, s, strlen(s));
}

static void finish(struct run *r)
{
	struct exs_error err = {{0}};

	exs_findings_release(&r->fs);
	assert_int_equal(exs_logs_finish(r->st, &r->fs, &err), 0);
}

static void run_release(struct run *r)
{
	exs_findings_release(&r->fs);
	exs_log_state_free(r->st);
	memset(r, 0, sizeof(*r));
}

static const struct exs_finding *find(const struct run *r, const char *rule, int success)
{
	for (size_t i = 0; i < r->fs.n; i++)
		if (strcmp(r->fs.items[i].rule, rule) == 0 &&
		    (success < 0 || r->fs.items[i].success == (success != 0)))
			return &r->fs.items[i];
	return NULL;
}

static bool has_client(const struct exs_finding *f, const char *c)
{
	for (size_t i = 0; i < f->n_clients; i++)
		if (strcmp(f->clients[i], c) == 0)
			return true;
	return false;
}

/* UTF-8 -> UTF-16LE with a BOM (caller frees). */
static char *to_utf16(const char *s, size_t *outlen)
{
	size_t n = strlen(s), cap = n * 4 + 4, inleft = n, outleft = cap - 2;
	char *out = malloc(cap), *in = (char *)s, *op = out + 2;
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");

	assert_non_null(out);
	assert_true(cd != (iconv_t)-1);
	out[0] = (char)0xff;
	out[1] = (char)0xfe;
	assert_true(iconv(cd, &in, &inleft, &op, &outleft) != (size_t)-1);
	iconv_close(cd);
	*outlen = (size_t)(op - out);
	return out;
}

#define HP "V15/Logging/HttpProxy/Ecp/HttpProxy_2021030304-1.LOG"
#define IIS "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"

static const char hp_log[] =
        "DateTime,RequestId,UrlStem,AuthenticatedUser,AnchorMailbox,UserAgent,"
        "ClientIpAddress,HttpStatus\r\n"
        "#Software: Microsoft Exchange Server\r\n"
        "#Log-type: HttpProxy Logs\r\n"
        /* 4: anonymous SSRF, 500: attempt */
        "2021-03-03T04:06:06.123Z,r1,/ecp/y.js,,\"ServerInfo~ex01.corp.local:444/mapi/emsmdb/?, "
        "x\",\"python-requests/2.25.1\",203.0.113.6,500\r\n"
        /* 5: exscan's own probe: benign */
        "2021-03-03T04:07:06.123Z,r2,/owa/auth/x.js,,ServerInfo~localhost/owa/auth/"
        "logon.aspx?~3,exscan/0.1,127.0.0.1,200\r\n"
        /* 6: autodiscover: benign */
        "2021-03-03T04:08:06.123Z,r3,/ecp/a.js,,ServerInfo~ex01/autodiscover/"
        "autodiscover.xml?#~1,x,10.0.0.9,200\r\n"
        /* 7: too few fields: skipped */
        "2021-03-03T04:09:06.123Z,r4,ServerInfo~ex01/owa\r\n"
        /* 8: a header with another column order */
        "DateTime,ClientIpAddress,HttpStatus,AnchorMailbox,AuthenticatedUser,Extra\r\n"
        /* 9: the webshell write, 200 */
        "2021-03-03T05:00:00.000Z,198.51.100.9,200,ServerInfo~ex01.corp.local:444/ecp/DDI/"
        "DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#,,more,fields,than,header\r\n"
        /* 10: anonymous SSRF again, earlier in time, 200 */
        "2021-03-02T23:59:59.000Z,203.0.113.7,200,ServerInfo~ex01:444/ecp/proxyLogon.ecp,,\r\n"
        /* 11: the anonymous SSRF repeated: aggregated */
        "2021-03-03T06:00:00.000Z,203.0.113.7,200,ServerInfo~ex01:444/ecp/proxyLogon.ecp,,\r\n"
        /* 12: authenticated SSRF, no line ending at the end */
        "2021-03-04T00:00:00.000Z,198.51.100.1,200,ServerInfo~ex01/owa,user@corp";

static void check_httpproxy(struct run *r)
{
	const struct exs_finding *f;

	finish(r);
	assert_int_equal(r->fs.n, 4);
	f = find(r, "httpproxy-ecp-vdir-reset", 1);
	assert_non_null(f);
	assert_string_equal(f->cve, "CVE-2021-27065");
	assert_int_equal(f->line, 9);
	assert_true(has_client(f, "198.51.100.9"));
	assert_string_equal(f->path, HP);
	f = find(r, "httpproxy-proxylogon-ssrf-anonymous", 0);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 4);
	assert_true(has_client(f, "203.0.113.6"));
	assert_non_null(strstr(f->excerpt, "mapi/emsmdb/?, x"));
	f = find(r, "httpproxy-proxylogon-ssrf-anonymous", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->n_clients, 1);
	assert_int_equal(f->line, 10);
	assert_int_equal(f->first_seen, 1614729599); /* 2021-03-02T23:59:59Z */
	assert_int_equal(f->last_seen, 1614751200);  /* 2021-03-03T06:00:00Z */
	f = find(r, "httpproxy-proxylogon-ssrf", 1);
	assert_non_null(f);
	assert_int_equal(f->line, 12);
	assert_string_equal(f->cve, "CVE-2021-26855");
	assert_string_equal(f->campaign, "ProxyLogon");
}

static void httpproxy_fields_by_name(void **state)
{
	struct run r = {0};
	struct exs_log_stats s;

	(void)state;
	feed_str(&r, HP, EXS_LOG_HTTPPROXY, hp_log);
	check_httpproxy(&r);
	exs_log_state_stats(r.st, &s);
	assert_int_equal(s.lines, 12);
	assert_int_equal(s.bad_lines, 1);
	assert_int_equal(s.files, 1);
	run_release(&r);
}

static void httpproxy_utf16(void **state)
{
	struct run r = {0};
	size_t n;
	char *u = to_utf16(hp_log, &n);

	(void)state;
	feed(&r, HP, EXS_LOG_HTTPPROXY, u, n);
	free(u);
	check_httpproxy(&r);
	run_release(&r);
}

static void httpproxy_benign_only(void **state)
{
	struct run r = {0};

	(void)state;
	feed_str(&r, HP, EXS_LOG_HTTPPROXY,
	         "DateTime,AnchorMailbox,AuthenticatedUser,ClientIpAddress,HttpStatus\n"
	         "2021-03-03T04:07:06.123Z,ServerInfo~localhost/owa/auth/logon.aspx?~3,,127.0.0.1,"
	         "200\n"
	         "2021-03-03T04:07:06.123Z,ServerInfo~LOCALHOST~1941962753/ecp/x,,127.0.0.1,200\n"
	         "2021-03-03T04:07:06.123Z,Smtp~user@corp.example,user,10.0.0.1,200\n"
	         "2021-03-03T04:07:06.123Z,ServerInfo~ex01,,10.0.0.1,200\n"
	         "2021-03-03T04:07:06.123Z,ServerInfo~ex01/autodiscover/x,,10.0.0.1,200\n");
	finish(&r);
	assert_int_equal(r.fs.n, 0);
	run_release(&r);
}

/* no header at all: nothing can be found by name, lines are counted bad */
static void httpproxy_without_header(void **state)
{
	struct run r = {0};
	struct exs_log_stats s;

	(void)state;
	feed_str(&r, HP, EXS_LOG_HTTPPROXY,
	         "2021-03-03T04:07:06.123Z,ServerInfo~ex01/ecp/x.ecp,,1.2.3.4,200\n");
	finish(&r);
	assert_int_equal(r.fs.n, 0);
	exs_log_state_stats(r.st, &s);
	assert_int_equal(s.bad_lines, 1);
	run_release(&r);
}

static const char iis_log[] =
        "#Software: Microsoft Internet Information Services 10.0\r\n"
        "#Version: 1.0\r\n"
        "#Date: 2021-03-03 00:00:00\r\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
        /* 5: ProxyLogon POST, 200 */
        "2021-03-03 04:05:06 10.0.0.1 POST /ecp/y.js &CorrelationID=<empty>; 443 - 192.0.2.1 "
        "ExchangeServicesClient/0.0.0.0 - 200 0 0 15\r\n"
        /* 6: exscan's own ProxyLogon probe: GET, benign */
        "2021-03-03 04:05:07 10.0.0.1 GET /owa/auth/x.js - 443 - 127.0.0.1 exscan/0.1 - 500 0 0 "
        "15\r\n"
        /* 7: exscan's own ProxyShell probe: benign */
        "2021-03-03 04:05:08 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com 443 - 127.0.0.1 "
        "exscan/0.1 - 302 0 0 15\r\n"
        /* 8: antSword user agent, 404 */
        "2021-03-03 04:05:09 10.0.0.1 POST /aspnet_client/system_web/x.aspx - 443 - 192.0.2.2 "
        "antSword/v2.1 - 404 0 0 15\r\n"
        /* 9: a line with too few fields */
        "2021-03-03 04:05:10 10.0.0.1 POST\r\n"
        /* 10: the fields change: user agent moves, status before it */
        "#Fields: date time c-ip cs-username cs-method cs-uri-stem cs-uri-query sc-status "
        "cs(User-Agent)\r\n"
        /* 11: ProxyShell to mapi/nspi, 200: success */
        "2021-08-10 01:02:03 192.0.2.7 - GET /autodiscover/autodiscover.json "
        "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 200 "
        "Mozilla/5.0+(Windows+NT+10.0)\r\n"
        /* 12: ProxyShell powershell, 401: failed attempt */
        "2021-08-10 01:02:04 192.0.2.8 - GET /autodiscover/autodiscover.json "
        "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/"
        "autodiscover.json%3F@evil.corp 401 python-requests/2.19.1\r\n"
        /* 13: ProxyNotShell: authenticated, Powershell, 200 */
        "2022-09-29 10:00:00 192.0.2.9 corp\\user GET /autodiscover/autodiscover.json "
        "@evil.corp/Powershell?serializationLevel=Full&Email=autodiscover/"
        "autodiscover.json%3F@evil.corp 200 python-requests/2.28.1\r\n"
        /* 14: OWASSRF */
        "2022-12-20 10:00:00 192.0.2.10 corp\\user POST /owa/mastermailbox@outlook.com/powershell "
        "clientId=X 200 Mozilla/5.0\r\n"
        /* 15: benign traffic */
        "2022-12-20 10:00:01 10.0.0.5 corp\\user POST /ecp/DDI/DDIService.svc/GetList - 200 "
        "Mozilla/5.0+(Windows)\r\n"
        /* 16: truncated last line: still read */
        "2022-12-20 10:00:02 192.0.2.11 - POST /ecp/default.flt - 200 python-requests/2.25.1";

static void check_iis(struct run *r)
{
	const struct exs_finding *f;

	finish(r);
	f = find(r, "iis-proxylogon-post", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->line, 5);
	assert_true(has_client(f, "192.0.2.1"));
	assert_true(has_client(f, "192.0.2.11"));
	assert_null(find(r, "iis-proxylogon-post", 0));
	f = find(r, "iis-attacker-user-agent", 0);
	assert_non_null(f);
	assert_int_equal(f->count, 2); /* antSword 404, python-requests/2.19.1 401 */
	f = find(r, "iis-attacker-user-agent", 1);
	assert_non_null(f);
	assert_int_equal(f->line, 16);
	f = find(r, "iis-proxyshell", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 11);
	assert_true(has_client(f, "192.0.2.7"));
	f = find(r, "iis-proxyshell", 0);
	assert_non_null(f);
	assert_int_equal(f->line, 12);
	f = find(r, "iis-proxynotshell", 1);
	assert_non_null(f);
	assert_string_equal(f->cve, "CVE-2022-41040");
	f = find(r, "iis-owassrf", 1);
	assert_non_null(f);
	assert_int_equal(f->line, 14);
	assert_int_equal(r->fs.n, 7);
}

static void iis_fields_change(void **state)
{
	struct run r = {0};
	struct exs_log_stats s;

	(void)state;
	feed_str(&r, IIS, EXS_LOG_IIS, iis_log);
	check_iis(&r);
	exs_log_state_stats(r.st, &s);
	assert_int_equal(s.lines, 16);
	assert_int_equal(s.bad_lines, 1);
	run_release(&r);
}

#define IIS_FIELDS                                                                                 \
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "      \
	"cs(User-Agent) sc-status\r\n"

/* A ProxyShell intrusion in August 2021: one client's discovery requests
 * then PowerShell with X-Rps-CAT, failed attempts in every spelling, and
 * autodiscover.json traffic that is not an attack. */
static const char iis_proxyshell_log[] = IIS_FIELDS
        /* 2: discovery through autodiscover.xml, 200 */
        "2021-08-12 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@x.example/autodiscover/autodiscover.xml?&Email=autodiscover/autodiscover.json%3F@x.example "
        "443 - 203.0.113.50 python-requests/2.26.0 200\r\n"
        /* 3: the MAPI back end (emsmdb), 200 */
        "2021-08-12 10:00:05 10.0.0.1 POST /autodiscover/autodiscover.json "
        "@x.example/mapi/emsmdb/?&Email=autodiscover/autodiscover.json%3F@x.example 443 - "
        "203.0.113.50 python-requests/2.26.0 200\r\n"
        /* 4: PowerShell with X-Rps-CAT, URL-encoded, 200 */
        "2021-08-12 10:01:00 10.0.0.1 POST /autodiscover/autodiscover.json "
        "%40x.example%2FPowerShell%2F%3FX-Rps-CAT%3DVgEAVAdXaW5kb3dz&Email=autodiscover/"
        "autodiscover.json%3F%40x.example 443 - 203.0.113.50 python-requests/2.26.0 200\r\n"
        /* 5: PowerShell again, 302 */
        "2021-08-12 10:02:00 10.0.0.1 POST /autodiscover/autodiscover.json "
        "@x.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz 443 - 203.0.113.50 "
        "python-requests/2.26.0 302\r\n"
        /* 6: EWS, 403: failed attempt */
        "2021-08-13 08:00:00 10.0.0.1 POST /autodiscover/autodiscover.json "
        "@x.example/EWS/exchange.asmx 443 - 198.51.100.9 Mozilla/5.0 403\r\n"
        /* 7: the @ in the path, ECP, 401: failed attempt */
        "2021-08-13 08:00:01 10.0.0.1 GET /autodiscover/autodiscover.json/@x.example/ecp/ - "
        "443 - 198.51.100.9 Mozilla/5.0 401\r\n"
        /* 8: doubly encoded OWA, 401: failed attempt */
        "2021-08-13 08:00:02 10.0.0.1 GET /autodiscover/autodiscover.json "
        "%2540x.example%252Fowa%252F 443 - 198.51.100.9 Mozilla/5.0 401\r\n"
        /* 9: Outlook's own autodiscover v1.0 request with a mailbox: benign */
        "2021-08-13 09:00:00 10.0.0.1 GET /autodiscover/autodiscover.json/v1.0/user@corp.example "
        "Protocol=ActiveSync&RedirectCount=1 443 - 10.0.0.20 Outlook-iOS/2.0 200\r\n"
        /* 10: the mailbox in the query, Protocol=Ews: benign */
        "2021-08-13 09:00:01 10.0.0.1 GET /autodiscover/autodiscover.json "
        "Email=user%40corp.example&Protocol=Ews&RedirectCount=1 443 - 10.0.0.21 "
        "Microsoft+Office/16.0 200\r\n"
        /* 11: a back-end path without @: benign */
        "2021-08-13 09:00:02 10.0.0.1 GET /autodiscover/autodiscover.json x=/mapi/emsmdb 443 - "
        "10.0.0.22 Mozilla/5.0 200\r\n"
        /* 12: exscan's own MAPI check: benign */
        "2021-08-13 09:00:03 10.0.0.1 GET /autodiscover/autodiscover.json "
        "a=check@test.com/mapi/nspi/ 443 - 127.0.0.1 Mozilla/5.0+exscan/0.1 401\r\n"
        /* 13: the same query from another tool: a failed attempt */
        "2021-08-13 09:00:04 10.0.0.1 GET /autodiscover/autodiscover.json "
        "a=check@test.com/mapi/nspi/ 443 - 198.51.100.10 Nuclei 401\r\n";

static void iis_proxyshell_chain(void **state)
{
	struct run r = {0};
	const struct exs_finding *f;

	(void)state;
	feed_str(&r, IIS, EXS_LOG_IIS, iis_proxyshell_log);
	finish(&r);
	/* the chain: one success with its first and last time */
	f = find(&r, "iis-proxyshell", 1);
	assert_non_null(f);
	assert_string_equal(f->cve, "CVE-2021-34473");
	assert_string_equal(f->campaign, "ProxyShell");
	assert_int_equal(f->count, 4);
	assert_int_equal(f->first_seen, 1628762400); /* 2021-08-12 10:00:00 */
	assert_int_equal(f->last_seen, 1628762520);  /* 2021-08-12 10:02:00 */
	assert_int_equal(f->n_clients, 1);
	assert_true(has_client(f, "203.0.113.50"));
	assert_int_equal(f->line, 2);
	assert_true(f->score >= 80);
	/* EWS 403, ECP in the path 401, double-encoded OWA 401, a copied probe */
	f = find(&r, "iis-proxyshell", 0);
	assert_non_null(f);
	assert_int_equal(f->count, 4);
	assert_int_equal(f->line, 6);
	assert_true(has_client(f, "198.51.100.9"));
	assert_true(has_client(f, "198.51.100.10"));
	assert_false(has_client(f, "127.0.0.1"));
	assert_int_equal(r.fs.n, 2);
	run_release(&r);
}

/* ProxyShell or ProxyNotShell: by shape (signed in, X-Rps-CAT) and date. */
static const char iis_notshell_log[] = IIS_FIELDS
        /* 2: signed in, Powershell without X-Rps-CAT, October 2022: ProxyNotShell */
        "2022-10-03 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@x.example/Powershell?serializationLevel=Full;ExchClientVer=15.2.922.7&Email="
        "autodiscover/autodiscover.json%3F@x.example 443 corp\\bob 192.0.2.30 "
        "python-requests/2.28.1 200\r\n"
        /* 3: anonymous, Powershell, 401, October 2022, a client that did
         * nothing else: either */
        "2022-10-03 09:59:59 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@x.example/Powershell&Email=autodiscover/autodiscover.json%3F@x.example 443 - "
        "192.0.2.33 python-requests/2.28.1 401\r\n"
        /* 4: signed in but January 2022: ProxyNotShell did not exist, ProxyShell */
        "2022-01-10 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json @x.example/powershell "
        "443 corp\\eve 192.0.2.31 Mozilla/5.0 401\r\n"
        /* 5: X-Rps-CAT in 2023: ProxyShell on an unpatched server */
        "2023-02-01 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@x.example/powershell/?X-Rps-CAT=VgEA 443 - 192.0.2.32 Mozilla/5.0 200\r\n"
        /* 6: anonymous, reached the MAPI back end in 2023: only ProxyShell does that */
        "2023-02-01 10:00:01 10.0.0.1 GET /autodiscover/autodiscover.json "
        "@x.example/mapi/nspi/ 443 - 192.0.2.32 Mozilla/5.0 200\r\n";

static void iis_proxyshell_or_notshell(void **state)
{
	struct run r = {0};
	const struct exs_finding *f;

	(void)state;
	feed_str(&r, IIS, EXS_LOG_IIS, iis_notshell_log);
	finish(&r);
	f = find(&r, "iis-proxynotshell", 1);
	assert_non_null(f);
	assert_string_equal(f->cve, "CVE-2022-41040");
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 2);
	assert_null(find(&r, "iis-proxynotshell", 0));
	f = find(&r, "iis-proxyshell-or-proxynotshell", 0);
	assert_non_null(f);
	assert_string_equal(f->cve, "CVE-2021-34473,CVE-2022-41040");
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 3);
	assert_null(find(&r, "iis-proxyshell-or-proxynotshell", 1));
	f = find(&r, "iis-proxyshell", 0);
	assert_non_null(f);
	assert_int_equal(f->line, 4);
	assert_int_equal(f->count, 1);
	f = find(&r, "iis-proxyshell", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->line, 5);
	assert_string_equal(f->cve, "CVE-2021-34473");
	assert_int_equal(r.fs.n, 4);
	run_release(&r);
}

/* The anonymous first request of a ProxyNotShell chain (answered 401
 * before NTLM) joins the ProxyNotShell finding of the same client; a
 * ProxyShell client's refused request in 2023 joins ProxyShell. */
static void iis_chain_decides_either(void **state)
{
	struct run r = {0};
	const struct exs_finding *f;
	struct json_object *tl;

	(void)state;
	feed_str(&r, IIS, EXS_LOG_IIS,
	         IIS_FIELDS "2022-10-03 09:59:59 10.0.0.1 GET /autodiscover/autodiscover.json "
	                    "@x.example/Powershell 443 - 192.0.2.40 python-requests/2.28.1 401\r\n"
	                    "2022-10-03 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json "
	                    "@x.example/Powershell 443 corp\\bob 192.0.2.40 python-requests/2.28.1 "
	                    "200\r\n");
	finish(&r);
	assert_null(find(&r, "iis-proxyshell-or-proxynotshell", -1));
	assert_null(find(&r, "iis-proxyshell", -1));
	f = find(&r, "iis-proxynotshell", 0);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 2);
	assert_string_equal(f->cve, "CVE-2022-41040");
	assert_non_null(find(&r, "iis-proxynotshell", 1));
	assert_int_equal(r.fs.n, 2);
	tl = exs_log_timeline_to_json(r.st);
	assert_non_null(tl);
	assert_string_equal(json_object_to_json_string_ext(tl, JSON_C_TO_STRING_PLAIN),
	                    "[{\"date\":\"2022-10-03\",\"campaign\":\"ProxyNotShell\","
	                    "\"attempts\":1,\"successes\":1}]");
	json_object_put(tl);
	run_release(&r);

	feed_str(&r, IIS, EXS_LOG_IIS,
	         IIS_FIELDS "2023-02-01 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json "
	                    "@x.example/mapi/emsmdb 443 - 192.0.2.41 Mozilla/5.0 403\r\n"
	                    "2023-02-01 10:00:01 10.0.0.1 GET /autodiscover/autodiscover.json "
	                    "@x.example/powershell/?X-Rps-CAT=VgEA 443 - 192.0.2.41 Mozilla/5.0 "
	                    "200\r\n");
	finish(&r);
	assert_null(find(&r, "iis-proxyshell-or-proxynotshell", -1));
	f = find(&r, "iis-proxyshell", 0);
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_non_null(find(&r, "iis-proxyshell", 1));
	assert_int_equal(r.fs.n, 2);
	run_release(&r);
}

static void iis_utf16(void **state)
{
	struct run r = {0};
	size_t n;
	char *u = to_utf16(iis_log, &n);

	(void)state;
	feed(&r, IIS, EXS_LOG_IIS, u, n);
	free(u);
	check_iis(&r);
	run_release(&r);
}

/* A big file: buffer boundaries, an overlong line, line numbers stay right. */
static void iis_large_and_overlong(void **state)
{
	struct run r = {0};
	struct exs_buf b;
	const struct exs_finding *f;
	char *big = malloc(100000);
	uint64_t line = 2;

	(void)state;
	assert_non_null(big);
	memset(big, 'A', 99999);
	big[99999] = '\0';
	exs_buf_init(&b, 64 << 20);
	exs_buf_puts(&b, "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status "
	                 "cs(User-Agent)\n");
	exs_buf_printf(&b, "2021-03-03 00:00:00 1.1.1.1 GET /%s - 200 x\n", big);
	for (int i = 0; i < 40000; i++) {
		exs_buf_printf(&b, "2021-03-03 00:00:%02d 10.0.0.%d GET /owa/ - 200 Mozilla/5.0\n",
		               i % 60, i % 250);
		line++;
	}
	exs_buf_puts(&b, "2021-03-03 23:59:59 192.0.2.1 POST /ecp/abc.js - 200 x\n");
	line++;
	feed(&r, IIS, EXS_LOG_IIS, b.data, b.len);
	finish(&r);
	f = find(&r, "iis-proxylogon-post", 1);
	assert_non_null(f);
	assert_int_equal(f->line, line);
	assert_int_equal(r.fs.n, 1);
	exs_buf_release(&b);
	free(big);
	run_release(&r);
}

/* UTF-16 over many read chunks, with non-ASCII text and a lone surrogate:
 * line numbers and fields stay right. */
static void iis_utf16_large(void **state)
{
	struct run r = {0};
	struct exs_buf b;
	const struct exs_finding *f;
	size_t n;
	char *u;

	(void)state;
	exs_buf_init(&b, 64 << 20);
	exs_buf_puts(&b, "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status "
	                 "cs(User-Agent)\r\n");
	for (int i = 0; i < 30000; i++)
		exs_buf_printf(&b,
		               "2021-03-03 00:00:%02d 10.0.0.%d GET /owa/\xc3\xa9t\xc3\xa9/"
		               "\xe4\xb8\xad - 200 Mozilla/5.0\r\n",
		               i % 60, i % 250);
	exs_buf_puts(&b, "2021-03-03 23:59:59 192.0.2.1 POST /ecp/abc.js - 200 x\r\n");
	u = to_utf16(b.data, &n);
	/* a lone high surrogate in the first line's date: becomes '?', the line is kept */
	u[2 + 2 * 200] = 0x00;
	u[2 + 2 * 200 + 1] = (char)0xd8;
	feed(&r, IIS, EXS_LOG_IIS, u, n);
	finish(&r);
	f = find(&r, "iis-proxylogon-post", 1);
	assert_non_null(f);
	assert_int_equal(f->line, 30002);
	assert_int_equal(f->first_seen, 1614815999); /* 2021-03-03T23:59:59Z */
	assert_true(has_client(f, "192.0.2.1"));
	assert_int_equal(r.fs.n, 1);
	free(u);
	exs_buf_release(&b);
	run_release(&r);
}

static void ecp_oab_rps(void **state)
{
	struct run r = {0};
	const struct exs_finding *f;

	(void)state;
	feed_str(
	        &r, "Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer1.log",
	        EXS_LOG_ECP,
	        "DateTime,ServerName,EventId,Data\n"
	        "2021-03-03T04:05:06.000Z,EX01,ECP.Request,\"S:CMD=Set-OabVirtualDirectory."
	        "ExternalUrl='http://f/<script language=\"\"JScript\"\" runat=\"\"server\"\">"
	        "function Page_Load(){eval(Request[\"\"x\"\"],\"\"unsafe\"\");}</script>'."
	        "Identity='OAB (Default Web Site)'\"\n"
	        "2021-03-04T04:05:06.000Z,EX01,ECP.Request,\"S:CMD=Set-OwaVirtualDirectory."
	        "ExternalUrl='https://mail.corp.example/owa'.Identity='owa (Default Web Site)'\"\n");
	feed_str(
	        &r, "V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG", EXS_LOG_OAB,
	        "2021-03-03T04:10:00.000Z,0,Download failed and temporary file "
	        "'C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx' needs to be removed\n"
	        "2021-03-03T04:11:00.000Z,0,Download failed and temporary file "
	        "'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\temp\\a.tmp' "
	        "needs to be removed\n");
	feed_str(&r, "V15/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022122010-1.LOG",
	         EXS_LOG_RPS_HTTP,
	         "DateTime,StartTime,RequestId,ClientIpAddress,HttpStatus,AuthenticatedUser,"
	         "ClientInfo\n"
	         "2022-12-20T10:00:00.000Z,x,r1,192.0.2.20,200,corp\\u,python-requests/2.28.1\n"
	         "2022-12-20T10:00:01.000Z,x,r2,10.0.0.1,200,corp\\u,Microsoft WinRM Client\n"
	         "2022-12-20T10:00:02.000Z,x,r3,10.0.0.2,200,,Exchange BackEnd Probes\n"
	         "2022-12-20T10:00:03.000Z,x,r4,10.0.0.3,200,,\n");
	finish(&r);
	assert_int_equal(r.fs.n, 3);
	f = find(&r, "ecp-set-vdir-script", 1);
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->count, 1);
	f = find(&r, "oab-download-outside-oab", 0);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_string_equal(f->cve, "CVE-2021-26858");
	f = find(&r, "rps-owassrf-clientinfo", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_true(has_client(f, "192.0.2.20"));
	run_release(&r);
}

static void timeline_per_day(void **state)
{
	struct run r = {0};
	struct json_object *tl;
	const char *txt;

	(void)state;
	feed_str(&r, HP, EXS_LOG_HTTPPROXY, hp_log);
	feed_str(&r, IIS, EXS_LOG_IIS, iis_log);
	tl = exs_log_timeline_to_json(r.st);
	assert_non_null(tl);
	txt = json_object_to_json_string_ext(tl, JSON_C_TO_STRING_PLAIN);
	/* 2021-03-02: 1 SSRF success; 2021-03-03: HttpProxy attempt + reset + SSRF,
	 * IIS ProxyLogon POST success; ProxyShell on 2021-08-10 */
	assert_non_null(strstr(txt, "{\"date\":\"2021-03-02\",\"campaign\":\"ProxyLogon\","
	                            "\"attempts\":0,\"successes\":1}"));
	assert_non_null(strstr(txt, "{\"date\":\"2021-03-03\",\"campaign\":\"ProxyLogon\","
	                            "\"attempts\":1,\"successes\":3}"));
	assert_non_null(strstr(txt, "{\"date\":\"2021-08-10\",\"campaign\":\"ProxyShell\","
	                            "\"attempts\":1,\"successes\":1}"));
	assert_true(strstr(txt, "2021-03-02") < strstr(txt, "2021-08-10"));
	json_object_put(tl);
	run_release(&r);
}

struct thread_arg {
	struct exs_log_state *st;
	const char *data;
	int fd;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 50; i++) {
		lseek(a->fd, 0, SEEK_SET);
		if (exs_logs_scan_fd(a->fd, IIS, EXS_LOG_IIS, a->st, NULL))
			return p;
	}
	return NULL;
}

static void threads_share_state(void **state)
{
	struct run r = {0};
	struct thread_arg a[2];
	pthread_t t[2];
	char path[256];
	const struct exs_finding *f;

	(void)state;
	r.st = exs_log_state_new();
	exs_findings_init(&r.fs);
	write_file("iis", iis_log, strlen(iis_log));
	snprintf(path, sizeof(path), "%s/iis", tmpdir);
	for (int i = 0; i < 2; i++) {
		a[i].st = r.st;
		a[i].fd = open(path, O_RDONLY);
		assert_true(a[i].fd >= 0);
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		void *res;

		pthread_join(t[i], &res);
		assert_null(res);
		close(a[i].fd);
	}
	finish(&r);
	f = find(&r, "iis-proxylogon-post", 1);
	assert_non_null(f);
	assert_int_equal(f->count, 200);
	run_release(&r);
}

static void read_error_is_reported(void **state)
{
	struct exs_log_state *st = exs_log_state_new();
	struct exs_error err = {{0}};
	char path[256];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/wo", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(exs_logs_scan_fd(fd, IIS, EXS_LOG_IIS, st, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read"));
	assert_non_null(strstr(err.msg, "u_ex210303.log"));
	close(fd);
	exs_log_state_free(st);
}

static void classify_locations(void **state)
{
	(void)state;
	assert_int_equal(exs_logs_classify("Program Files/Microsoft/Exchange Server/V15/Logging/"
	                                   "HttpProxy/Owa/HttpProxy_2021030300-1.LOG"),
	                 EXS_LOG_HTTPPROXY);
	assert_int_equal(exs_logs_classify("program files/microsoft/exchange server/v15/logging/"
	                                   "httpproxy/ecp/HttpProxy_2021030300-1.log"),
	                 EXS_LOG_HTTPPROXY);
	assert_int_equal(exs_logs_classify("V15/Logging/ECP/Server/ECPServer2021030300-1.LOG"),
	                 EXS_LOG_ECP);
	assert_int_equal(exs_logs_classify("V14/Logging/OABGeneratorLog/OABGenerator.log"),
	                 EXS_LOG_OAB);
	assert_int_equal(exs_logs_classify("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"),
	                 EXS_LOG_IIS);
	assert_int_equal(exs_logs_classify("C/inetpub/logs/logfiles/w3svc2/u_ex210303.log"),
	                 EXS_LOG_IIS);
	assert_int_equal(exs_logs_classify("V15/Logging/CmdletInfra/Powershell-Proxy/Http/"
	                                   "Rps_Http_2022122010-1.LOG"),
	                 EXS_LOG_RPS_HTTP);
	assert_int_equal(exs_logs_classify("inetpub/logs/LogFiles/W3SVC1/readme.txt"),
	                 EXS_LOG_NONE);
	assert_int_equal(exs_logs_classify("MyLogging/HttpProxy/x.log"), EXS_LOG_NONE);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/Application.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("windows/system32/winevt/logs/"
	                                   "MSExchange Management.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/Security.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/System.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/"
	                                   "Microsoft-Windows-Sysmon%4Operational.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/"
	                                   "Microsoft-Windows-PowerShell%4Operational.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/Windows PowerShell.evtx"),
	                 EXS_LOG_EVTX);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/Setup.evtx"),
	                 EXS_LOG_NONE);
	assert_int_equal(exs_logs_classify("Windows/System32/winevt/Logs/"
	                                   "Microsoft-Windows-TaskScheduler%4Operational.evtx"),
	                 EXS_LOG_NONE);
	assert_int_equal(exs_logs_classify("Users/x/Application.evtx"), EXS_LOG_NONE);
	assert_int_equal(exs_logs_classify("inetpub/wwwroot/aspnet_client/x.aspx"), EXS_LOG_NONE);
	assert_int_equal(exs_log_kind_parse("iis"), EXS_LOG_IIS);
	assert_string_equal(exs_log_kind_name(EXS_LOG_RPS_HTTP), "rps_http");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(httpproxy_fields_by_name),
	        cmocka_unit_test(httpproxy_utf16),
	        cmocka_unit_test(httpproxy_benign_only),
	        cmocka_unit_test(httpproxy_without_header),
	        cmocka_unit_test(iis_fields_change),
	        cmocka_unit_test(iis_proxyshell_chain),
	        cmocka_unit_test(iis_proxyshell_or_notshell),
	        cmocka_unit_test(iis_chain_decides_either),
	        cmocka_unit_test(iis_utf16),
	        cmocka_unit_test(iis_large_and_overlong),
	        cmocka_unit_test(iis_utf16_large),
	        cmocka_unit_test(ecp_oab_rps),
	        cmocka_unit_test(timeline_per_day),
	        cmocka_unit_test(threads_share_state),
	        cmocka_unit_test(read_error_is_reported),
	        cmocka_unit_test(classify_locations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
