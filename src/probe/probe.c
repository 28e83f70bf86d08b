/* The probe engine: one libcurl multi handle kept topped up to the
 * concurrency cap (in the manner of curl's parallel transfers), a per-host
 * state machine issuing that host's requests one after another over one
 * kept-alive connection, each transfer's host found through CURLOPT_PRIVATE. */
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exscan/buf.h"
#include "exscan/probe.h"

#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_BODY_BYTES (256 * 1024)
#define MAX_REDIRECTS 5
#define NTLM_B64_MAX 12000
#define USER_AGENT                                                                                 \
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "        \
	"Chrome/120.0 Safari/537.36 exscan/0.1"

static const char PROXYLOGON_COOKIE[] =
        "Cookie: X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; "
        "X-BEResource=localhost/owa/auth/logon.aspx?~3;";
static const char PROXYSHELL_PATH[] = "/autodiscover/autodiscover.json?@test.com/owa/"
                                      "?&Email=autodiscover/autodiscover.json%3F@test.com";
static const char MANIFEST_PATH[] =
        "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";
static const char NTLM_PATH[] = "/EWS/Exchange.asmx";

void exs_probe_options_init(struct exs_probe_options *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 256;
	o->timeout_ms = 5000;
	o->connect_timeout_ms = 5000;
	o->host_timeout_ms = 20000;
	o->retries = 1;
	o->active_checks = true;
	o->progress = true; /* the CLI turns it off unless stderr is a terminal */
}

const char *exs_check_result_name(enum exs_check_result r)
{
	switch (r) {
	case EXS_CHECK_VULNERABLE:
		return "vulnerable";
	case EXS_CHECK_NOT_VULNERABLE:
		return "not-vulnerable";
	default:
		return "unknown";
	}
}

enum step {
	STEP_OWA,
	STEP_FOLLOW,
	STEP_MANIFEST,
	STEP_NTLM,
	STEP_PROXYLOGON,
	STEP_PROXYSHELL,
	STEP_DONE,
};

struct host {
	struct exs_probe_result r;
	CURL *easy;
	struct curl_slist *connect_to, *req_headers;
	enum step step;
	int redirects, attempt;
	char path[1024];
	char base[320]; /* https://name:port */
	struct exs_buf hdr, body;
	bool hdr_overflow;
	long status;
	char location[1024];
	char calc_be[256];
	char www_ntlm[NTLM_B64_MAX];
	bool ntlm_seen, calc_seen;
	double started;
	struct host *next_active;
	char errbuf[CURL_ERROR_SIZE];
};

struct engine {
	const struct exs_probe_options *o;
	const struct exs_kb *kb;
	time_t now;
	CURLM *multi;
	struct curl_slist *resolve;
	struct host *active;
	int n_active;
	struct exs_probe_stats *stats;
	exs_probe_host_fn on_host;
	void *ud;
	bool stop;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct host *h, const char *fmt, ...)
{
	va_list ap;

	if (h->r.error[0])
		return; /* the first error is the one that explains the rest */
	va_start(ap, fmt);
	vsnprintf(h->r.error, sizeof(h->r.error), fmt, ap);
	va_end(ap);
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void grab_tls(struct host *h)
{
	const struct curl_tlssessioninfo *ti = NULL;
	SSL *ssl;
	X509 *cert;
	const char *name;

	if (h->r.tls.present || curl_easy_getinfo(h->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    !ti || ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
		return;
	ssl = ti->internals;
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert)
		return;
	name = h->r.sni ? h->r.sni : h->r.host;
	exs_tls_facts_from_cert(cert, name, time(NULL), &h->r.tls);
	snprintf(h->r.tls.protocol, sizeof(h->r.tls.protocol), "%s", SSL_get_version(ssl));
	snprintf(h->r.tls.cipher, sizeof(h->r.tls.cipher), "%s",
	         SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	snprintf(h->r.tls.verify, sizeof(h->r.tls.verify), "%s",
	         X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
	X509_free(cert);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct host *h = ud;
	size_t n = size * nmemb;
	const char *v;
	size_t vn;

	grab_tls(h);
	if (exs_buf_append(&h->hdr, p, n)) {
		h->hdr_overflow = true;
		return 0; /* aborts the transfer */
	}
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		h->location[0] = h->calc_be[0] = '\0';
		h->calc_seen = false;
		return n;
	}
	if (exs_fp_header_value(p, n, "X-OWA-Version", &v, &vn) == 0) {
		copy_value(h->r.owa_version, sizeof(h->r.owa_version), v, vn);
	} else if (exs_fp_header_value(p, n, "X-FEServer", &v, &vn) == 0 ||
	           exs_fp_header_value(p, n, "X-BEServer", &v, &vn) == 0) {
		h->r.markers |= EXS_OWA_MARK_FESERVER;
		if (!h->r.fe_server[0])
			copy_value(h->r.fe_server, sizeof(h->r.fe_server), v, vn);
	} else if (exs_fp_header_value(p, n, "Location", &v, &vn) == 0) {
		copy_value(h->location, sizeof(h->location), v, vn);
	} else if (exs_fp_header_value(p, n, "X-CalculatedBETarget", &v, &vn) == 0) {
		h->calc_seen = true;
		copy_value(h->calc_be, sizeof(h->calc_be), v, vn);
	} else if (exs_fp_header_value(p, n, "WWW-Authenticate", &v, &vn) == 0) {
		if (vn > 5 && strncasecmp(v, "NTLM ", 5) == 0 && !h->ntlm_seen) {
			h->ntlm_seen = true;
			copy_value(h->www_ntlm, sizeof(h->www_ntlm), v, vn);
		}
	} else if (exs_fp_header_value(p, n, "Set-Cookie", &v, &vn) == 0) {
		if ((vn >= 15 && strncasecmp(v, "exchangecookie=", 15) == 0) ||
		    (vn >= 15 && strncasecmp(v, "OutlookSession=", 15) == 0))
			h->r.markers |= EXS_OWA_MARK_COOKIE;
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct host *h = ud;
	size_t n = size * nmemb, room = MAX_BODY_BYTES - h->body.len;

	/* keep the start of the page; the rest is read and dropped */
	exs_buf_append(&h->body, p, n < room ? n : room);
	return n;
}

static bool ci_contains(const char *s, const char *needle)
{
	return strcasestr(s, needle) != NULL;
}

/* Prepares and adds the request of h->step. */
static int issue(struct engine *e, struct host *h)
{
	char url[1536];

	exs_buf_reset(&h->hdr);
	exs_buf_reset(&h->body);
	h->hdr_overflow = false;
	h->status = 0;
	h->location[0] = h->calc_be[0] = '\0';
	h->calc_seen = h->ntlm_seen = false;
	h->errbuf[0] = '\0';
	curl_slist_free_all(h->req_headers);
	h->req_headers = NULL;

	switch (h->step) {
	case STEP_OWA:
		snprintf(h->path, sizeof(h->path), "/owa/");
		break;
	case STEP_MANIFEST:
		snprintf(h->path, sizeof(h->path), "%s", MANIFEST_PATH);
		break;
	case STEP_NTLM: {
		char auth[128];

		snprintf(h->path, sizeof(h->path), "%s", NTLM_PATH);
		snprintf(auth, sizeof(auth), "Authorization: NTLM %s", exs_ntlm_negotiate_b64());
		h->req_headers = curl_slist_append(NULL, auth);
		break;
	}
	case STEP_PROXYLOGON:
		snprintf(h->path, sizeof(h->path), "/owa/auth/x.js");
		h->req_headers = curl_slist_append(NULL, PROXYLOGON_COOKIE);
		break;
	case STEP_PROXYSHELL:
		snprintf(h->path, sizeof(h->path), "%s", PROXYSHELL_PATH);
		break;
	default: /* STEP_FOLLOW: h->path set by the caller */
		break;
	}
	/* the host's last request closes its connection: idle connections of
	 * finished hosts would otherwise sit in the cache (memory, server sockets) */
	curl_easy_setopt(
	        h->easy, CURLOPT_FORBID_REUSE,
	        (h->step == STEP_PROXYSHELL || (h->step == STEP_NTLM && !e->o->active_checks))
	                ? 1L
	                : 0L);
	snprintf(url, sizeof(url), "%s%s", h->base, h->path);
	curl_easy_setopt(h->easy, CURLOPT_URL, url);
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->req_headers);
	h->r.requests++;
	if (curl_multi_add_handle(e->multi, h->easy) != CURLM_OK) {
		set_error(h, "libcurl refused a transfer for %s", url);
		return -1;
	}
	return 0;
}

static int host_setup(struct engine *e, struct host *h, const struct exs_target *t)
{
	const struct exs_probe_options *o = e->o;
	char hostpart[300];
	CURL *c;

	memset(&h->r, 0, sizeof(h->r));
	exs_buf_init(&h->hdr, MAX_HEADER_BYTES);
	exs_buf_init(&h->body, MAX_BODY_BYTES);
	snprintf(h->r.host, sizeof(h->r.host), "%s", t->host);
	h->r.port = t->port;
	h->r.sni = t->is_address ? o->sni : NULL;
	h->r.precision = EXS_PRECISION_NONE;
	h->step = STEP_OWA;
	h->redirects = 0;
	h->attempt = 0;
	h->connect_to = NULL;
	h->req_headers = NULL;
	h->started = now_s();
	if (t->is_address)
		copy_value(h->r.address, sizeof(h->r.address), t->host, strlen(t->host));
	if (t->ipv6)
		snprintf(hostpart, sizeof(hostpart), "[%s]", t->host);
	else
		snprintf(hostpart, sizeof(hostpart), "%s", t->host);
	if (h->r.sni) {
		char ct[640];

		/* URL (SNI, Host) names the server; the connection goes to the address */
		snprintf(h->base, sizeof(h->base), "https://%s:%u", h->r.sni, t->port);
		snprintf(ct, sizeof(ct), "%s:%u:%s:%u", h->r.sni, t->port, hostpart, t->port);
		h->connect_to = curl_slist_append(NULL, ct);
	} else {
		snprintf(h->base, sizeof(h->base), "https://%s:%u", hostpart, t->port);
	}
	c = h->easy;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_PRIVATE, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->tls_verify ? 2L : 0L);
	if (!o->tls_verify) {
		/* nothing is verified: spare every connection loading the CA store */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	/* each host resolves once and keeps its connection: a DNS cache of every
	 * host seen would only grow, and libcurl walks it on each new connection */
	curl_easy_setopt(c, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	/* one connection per host: TLS sessions would never be resumed */
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)16 * 1024 * 1024);
	if (o->proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, o->proxy);
	if (e->resolve)
		curl_easy_setopt(c, CURLOPT_RESOLVE, e->resolve);
	if (h->connect_to)
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, h->connect_to);
	return 0;
}

/* Path of a Location value when it stays on the same server, else "". */
/* The path of a Location value, followed on the same connection.  A redirect
 * to another host name (an address scanned while the server redirects to its
 * canonical name) is followed on the same address too: what matters is the
 * page this server serves, and nothing is sent anywhere else. */
static void same_server_path(const struct host *h, const char *loc, char *out, size_t cap)
{
	const char *p = loc;

	(void)h;
	out[0] = '\0';
	if (strncasecmp(p, "https://", 8) == 0) {
		const char *slash = strchr(p + 8, '/');

		p = slash ? slash : "/";
	} else if (p[0] != '/' || p[1] == '/') {
		return;
	}
	snprintf(out, cap, "%s", p);
}

static void add_check(struct host *h, const char *id, const char *name, const char *method,
                      enum exs_check_result res, long status, const char *evidence)
{
	struct exs_check *c;

	if (h->r.n_checks >= EXS_PROBE_MAX_CHECKS)
		return;
	c = &h->r.checks[h->r.n_checks++];
	c->id = id;
	c->name = name;
	c->method = method;
	c->result = res;
	c->status = status;
	snprintf(c->evidence, sizeof(c->evidence), "%s", evidence);
}

static void decide_exchange(struct host *h)
{
	h->r.is_exchange =
	        (h->r.markers &
	         (EXS_OWA_MARK_OWAPAGE | EXS_OWA_MARK_PREMIUM | EXS_OWA_MARK_OWA_VERSION |
	          EXS_OWA_MARK_ASSET_PATH | EXS_OWA_MARK_COOKIE)) != 0 ||
	        ((h->r.markers & EXS_OWA_MARK_FESERVER) && (h->r.markers & EXS_OWA_MARK_TITLE));
}

static void take_page(struct host *h)
{
	struct exs_version v;

	h->r.markers |= exs_fp_page_markers(h->body.data ? h->body.data : "", h->body.len);
	if (h->body.len && exs_fp_owa_asset_version(h->body.data, h->body.len, &v) == 0) {
		h->r.markers |= EXS_OWA_MARK_ASSET_PATH;
		if (h->r.precision == EXS_PRECISION_NONE) {
			h->r.version = v;
			h->r.precision = v.nparts == 4 ? EXS_PRECISION_EXACT : EXS_PRECISION_CU;
			h->r.build_source = "owa-asset-path";
		}
	}
}

static void take_owa_version(struct host *h)
{
	struct exs_version v;

	if (!h->r.owa_version[0])
		return;
	h->r.markers |= EXS_OWA_MARK_OWA_VERSION;
	if (h->r.precision != EXS_PRECISION_EXACT &&
	    exs_version_parse(h->r.owa_version, &v, NULL) == 0 && v.nparts == 4) {
		h->r.version = v;
		h->r.precision = EXS_PRECISION_EXACT;
		h->r.build_source = "x-owa-version";
	}
}

/* The step after the /owa/ chain and each later one. */
static enum step next_step(const struct engine *e, const struct host *h, enum step done)
{
	switch (done) {
	case STEP_OWA:
	case STEP_FOLLOW:
		if (!h->r.is_exchange)
			return STEP_DONE;
		return h->r.precision == EXS_PRECISION_EXACT ? STEP_NTLM : STEP_MANIFEST;
	case STEP_MANIFEST:
		return STEP_NTLM;
	case STEP_NTLM:
		return e->o->active_checks ? STEP_PROXYLOGON : STEP_DONE;
	case STEP_PROXYLOGON:
		return STEP_PROXYSHELL;
	default:
		return STEP_DONE;
	}
}

static void process_response(struct engine *e, struct host *h)
{
	char ev[512];
	struct exs_error err = {{0}};

	switch (h->step) {
	case STEP_OWA:
	case STEP_FOLLOW:
		take_owa_version(h);
		if (h->r.precision == EXS_PRECISION_EXACT && h->step == STEP_OWA &&
		    h->status >= 300 && h->status < 400) {
			/* X-OWA-Version already gave the exact build: the logon page could
			 * only add a CU-level build, so it is not fetched */
			decide_exchange(h);
			h->step = next_step(e, h, h->step);
			return;
		}
		if (h->status >= 300 && h->status < 400 && h->location[0]) {
			char path[1024];

			same_server_path(h, h->location, path, sizeof(path));
			if (path[0]) {
				if (++h->redirects > MAX_REDIRECTS) {
					set_error(
					        h,
					        "redirect loop: gave up after %d redirects from /owa/ "
					        "(last to %s)",
					        MAX_REDIRECTS, h->path);
					h->step = STEP_DONE;
					return;
				}
				snprintf(h->path, sizeof(h->path), "%s", path);
				h->step = STEP_FOLLOW;
				return;
			}
		}
		if (h->status >= 200 && h->status < 300)
			take_page(h);
		decide_exchange(h);
		h->step = next_step(e, h, h->step);
		return;
	case STEP_MANIFEST:
		if (h->status == 200) {
			struct exs_version v;

			if (h->body.len &&
			    exs_fp_manifest_version(h->body.data, h->body.len, &v) == 0 &&
			    (h->r.precision == EXS_PRECISION_NONE ||
			     exs_version_cmp3(&v, &h->r.version) == 0 ||
			     h->r.precision == EXS_PRECISION_CU)) {
				h->r.version = v;
				h->r.precision = EXS_PRECISION_EXACT;
				h->r.build_source = "exporttool-manifest";
			}
		}
		break;
	case STEP_NTLM:
		if (h->ntlm_seen) {
			if (exs_ntlm_decode_header(h->www_ntlm, strlen(h->www_ntlm), &h->r.ntlm,
			                           &err) == 0)
				h->r.has_ntlm = true;
			else
				set_error(h, "%s answered with a bad NTLM challenge: %s", NTLM_PATH,
				          err.msg);
		}
		break;
	case STEP_PROXYLOGON:
		if (h->calc_seen && ci_contains(h->calc_be, "localhost")) {
			snprintf(ev, sizeof(ev), "HTTP %ld, X-CalculatedBETarget: %s", h->status,
			         h->calc_be);
			add_check(h, "CVE-2021-26855", "ProxyLogon", "active", EXS_CHECK_VULNERABLE,
			          h->status, ev);
		} else if (h->status == 401 || h->status == 403 || h->status == 407 ||
		           h->status == 429 || h->status == 503) {
			snprintf(ev, sizeof(ev),
			         "HTTP %ld to the cookie check: blocked before Exchange answered",
			         h->status);
			add_check(h, "CVE-2021-26855", "ProxyLogon", "active", EXS_CHECK_UNKNOWN,
			          h->status, ev);
		} else {
			snprintf(ev, sizeof(ev),
			         "HTTP %ld, no X-CalculatedBETarget naming localhost", h->status);
			add_check(h, "CVE-2021-26855", "ProxyLogon", "active",
			          EXS_CHECK_NOT_VULNERABLE, h->status, ev);
		}
		break;
	case STEP_PROXYSHELL:
		if (h->status == 302) {
			snprintf(ev, sizeof(ev),
			         "HTTP 302 to autodiscover.json SSRF path (Location: %.300s)",
			         h->location);
			add_check(h, "CVE-2021-34473", "ProxyShell", "active", EXS_CHECK_VULNERABLE,
			          302, ev);
		} else if (h->status == 400) {
			add_check(h, "CVE-2021-34473", "ProxyShell", "active",
			          EXS_CHECK_NOT_VULNERABLE, 400,
			          "HTTP 400 to the autodiscover.json SSRF path");
		} else {
			snprintf(ev, sizeof(ev),
			         "HTTP %ld to the autodiscover.json SSRF path: neither 302 nor 400",
			         h->status);
			add_check(h, "CVE-2021-34473", "ProxyShell", "active", EXS_CHECK_UNKNOWN,
			          h->status, ev);
		}
		break;
	default:
		break;
	}
	h->step = next_step(e, h, h->step);
}

/* CVEs with no safe active check, decided from the build (and saying so). */
static const struct {
	const char *id, *name;
} by_build[] = {
        {"CVE-2021-26855", "ProxyLogon"},       {"CVE-2021-34473", "ProxyShell"},
        {"CVE-2021-33766", "ProxyToken"},       {"CVE-2022-41040", "ProxyNotShell"},
        {"CVE-2022-41082", "ProxyNotShell"},    {"CVE-2022-41080", "OWASSRF"},
        {"CVE-2024-21410", "NTLM relay (EPA)"},
};

static void build_checks(struct engine *e, struct host *h)
{
	const struct exs_assessment *a = &h->r.assessment;

	for (size_t i = 0; i < sizeof(by_build) / sizeof(by_build[0]); i++) {
		const struct exs_cve *cve = exs_kb_cve_find(e->kb, by_build[i].id);
		const struct exs_open_cve *open = NULL;
		enum exs_check_result res;
		char ev[512];
		bool have_active = false;

		for (size_t k = 0; k < h->r.n_checks; k++)
			if (strcmp(h->r.checks[k].id, by_build[i].id) == 0)
				have_active = true;
		if (have_active || !cve)
			continue;
		for (size_t k = 0; k < a->n_open; k++)
			if (a->open[k].cve == cve)
				open = &a->open[k];
		if (!h->r.assessed || !a->product) {
			res = EXS_CHECK_UNKNOWN;
			snprintf(ev, sizeof(ev), "no safe check; the build is unknown");
		} else if (cve->config_dependent) {
			res = EXS_CHECK_UNKNOWN;
			snprintf(
			        ev, sizeof(ev),
			        "no safe check; depends on server configuration that cannot be seen "
			        "from outside%s",
			        open && open->certain ? " (and the build lacks the fix)" : "");
			if (open && open->certain)
				res = EXS_CHECK_VULNERABLE;
		} else if (open && open->certain) {
			res = EXS_CHECK_VULNERABLE;
			snprintf(ev, sizeof(ev), "no safe check; decided by build: lacks %s",
			         open->fixed_by ? open->fixed_by : "a fix");
		} else if (open) {
			res = EXS_CHECK_UNKNOWN;
			snprintf(ev, sizeof(ev),
			         "no safe check; decided by build: depends on the unseen security "
			         "update (%s)",
			         open->fixed_by ? open->fixed_by : "?");
		} else {
			res = EXS_CHECK_NOT_VULNERABLE;
			snprintf(ev, sizeof(ev),
			         "no safe check; decided by build: the fix is installed");
		}
		add_check(h, by_build[i].id, by_build[i].name, "build", res, 0, ev);
	}
}

/* Frees what a host's result and transfers hold (the slot itself is reused). */
static void host_release_data(struct host *h)
{
	if (h->r.assessed)
		exs_assessment_release(&h->r.assessment);
	exs_ntlm_info_release(&h->r.ntlm);
	exs_tls_facts_release(&h->r.tls);
	exs_buf_release(&h->hdr);
	exs_buf_release(&h->body);
	curl_slist_free_all(h->connect_to);
	curl_slist_free_all(h->req_headers);
	h->connect_to = h->req_headers = NULL;
}

static void finish_host(struct engine *e, struct host *h)
{
	struct exs_error err = {{0}};

	if (h->r.is_exchange && h->r.precision != EXS_PRECISION_NONE) {
		if (exs_kb_assess(e->kb, &h->r.version, e->now, &h->r.assessment, &err) == 0)
			h->r.assessed = true;
		else
			set_error(h, "cannot assess the build: %s", err.msg);
	}
	if (h->r.is_exchange)
		build_checks(e, h);
	h->r.elapsed_ms = (long)((now_s() - h->started) * 1000);
	e->stats->done++;
	if (h->r.error[0])
		e->stats->errors++;
	if (h->r.is_exchange)
		e->stats->exchange++;
	if (e->on_host && e->on_host(&h->r, e->ud))
		e->stop = true;
	host_release_data(h);
}

static void describe_failure(struct host *h, CURLcode code)
{
	const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(code);

	switch (code) {
	case CURLE_COULDNT_CONNECT:
		set_error(h, "cannot connect: %s", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		set_error(h, "cannot resolve the host name: %s", detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_error(h, "no answer in time on %s: %s", h->path, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		set_error(h, "tls handshake failed: %s", detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		set_error(h, "certificate rejected (--tls-verify): %s", detail);
		break;
	case CURLE_WRITE_ERROR:
		if (h->hdr_overflow) {
			set_error(h, "response headers on %s exceed %d KiB: gave up", h->path,
			          MAX_HEADER_BYTES / 1024);
			break;
		}
		/* fall through */
	default:
		set_error(h, "request %s failed: %s", h->path, detail);
		break;
	}
}

static bool connect_failure(CURLcode code)
{
	return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT;
}

/* A transfer ended: move the host on. Returns true when the host is finished. */
static bool transfer_done(struct engine *e, struct host *h, CURLcode code)
{
	curl_multi_remove_handle(e->multi, h->easy);
	if (code == CURLE_OK) {
		char *ip = NULL;

		h->r.probed = true;
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
		if (!h->r.address[0] &&
		    curl_easy_getinfo(h->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
			snprintf(h->r.address, sizeof(h->r.address), "%s", ip);
		process_response(e, h);
	} else {
		if (h->step == STEP_OWA && !h->r.probed && connect_failure(code) &&
		    h->attempt < e->o->retries) {
			long local_port = 0;

			/* retry failed TCP connects, not a server that accepted and then
			 * stalled (a TCP connection had a local port) */
			curl_easy_getinfo(h->easy, CURLINFO_LOCAL_PORT, &local_port);
			if (local_port == 0) {
				h->attempt++;
				h->r.requests--;
				return issue(e, h) != 0;
			}
		}
		/* any failure ends the host; what was learnt before is kept */
		describe_failure(h, code);
		h->step = STEP_DONE;
	}
	if (h->step == STEP_DONE)
		return true;
	if (now_s() - h->started > (double)e->o->host_timeout_ms / 1000) {
		set_error(h, "host took longer than %ld ms in all: gave up before %s",
		          e->o->host_timeout_ms, h->path);
		return true;
	}
	return issue(e, h) != 0;
}

static void unlink_active(struct engine *e, struct host *h)
{
	for (struct host **p = &e->active; *p; p = &(*p)->next_active) {
		if (*p == h) {
			*p = h->next_active;
			e->n_active--;
			return;
		}
	}
}

int exs_probe_run(const struct exs_probe_options *o, const struct exs_kb *kb, time_t now,
                  struct exs_target_gen *gen, exs_probe_host_fn on_host,
                  exs_probe_progress_fn on_progress, void *ud, struct exs_probe_stats *stats,
                  struct exs_error *err)
{
	struct engine e;
	struct host *pool = NULL, *free_list = NULL;
	int rc = -1, conc = o->concurrency > 0 ? o->concurrency : 1;
	bool gen_done = false;
	double t0 = now_s(), last_progress = 0;
	uint64_t started = 0;

	memset(&e, 0, sizeof(e));
	memset(stats, 0, sizeof(*stats));
	e.o = o;
	e.kb = kb;
	e.now = now;
	e.stats = stats;
	e.on_host = on_host;
	e.ud = ud;
	stats->total = exs_target_gen_total(gen);
	e.multi = curl_multi_init();
	if (!e.multi) {
		exs_error_set(err, "cannot start libcurl's multi interface");
		goto out;
	}
	/* one idle connection per host in flight, and a few more */
	curl_multi_setopt(e.multi, CURLMOPT_MAXCONNECTS, (long)conc + 16);
	for (int i = 0; i < o->n_resolve; i++)
		e.resolve = curl_slist_append(e.resolve, o->resolve[i]);
	pool = calloc((size_t)conc, sizeof(*pool));
	if (!pool) {
		exs_error_set(err, "out of memory for %d hosts in flight", conc);
		goto out;
	}
	for (int i = 0; i < conc; i++) {
		pool[i].easy = curl_easy_init();
		if (!pool[i].easy) {
			exs_error_set(err, "cannot create a libcurl handle");
			goto out;
		}
		pool[i].next_active = free_list;
		free_list = &pool[i];
	}

	while (!e.stop && (!gen_done || e.n_active > 0)) {
		int running = 0, pending;
		long wait_ms = 100;
		CURLMsg *msg;
		double t = now_s();

		/* top up, within the rate */
		while (!gen_done && !e.stop && free_list) {
			struct exs_target target;
			struct exs_error terr = {{0}};
			struct host *h;
			int got;

			if (o->rate > 0 && (double)started >= (t - t0) * o->rate) {
				double next = t0 + (double)(started + 1) / o->rate;
				long ms = (long)((next - t) * 1000) + 1;

				if (ms < wait_ms)
					wait_ms = ms;
				break;
			}
			got = exs_target_gen_next(gen, &target, &terr);
			if (got == 0) {
				gen_done = true;
				break;
			}
			h = free_list;
			if (got < 0) {
				/* a bad target: reported like a host that could not be scanned */
				memset(&h->r, 0, sizeof(h->r));
				h->r.host[0] = '\0'; /* marks a bad target spec */
				snprintf(h->r.error, sizeof(h->r.error), "%s", terr.msg);
				stats->done++;
				stats->errors++;
				if (on_host && on_host(&h->r, ud))
					e.stop = true;
				continue;
			}
			free_list = h->next_active;
			started++;
			host_setup(&e, h, &target);
			h->next_active = e.active;
			e.active = h;
			e.n_active++;
			if (issue(&e, h)) {
				unlink_active(&e, h);
				finish_host(&e, h);
				h->next_active = free_list;
				free_list = h;
			}
		}
		curl_multi_perform(e.multi, &running);
		while ((msg = curl_multi_info_read(e.multi, &pending))) {
			struct host *h = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
			if (h && transfer_done(&e, h, msg->data.result)) {
				unlink_active(&e, h);
				finish_host(&e, h);
				h->next_active = free_list;
				free_list = h;
			}
		}
		/* whole-host deadline */
		t = now_s();
		for (struct host *h = e.active, *nx; h; h = nx) {
			nx = h->next_active;
			if (t - h->started > (double)o->host_timeout_ms / 1000) {
				curl_multi_remove_handle(e.multi, h->easy);
				set_error(h, "host took longer than %ld ms in all: gave up on %s",
				          o->host_timeout_ms, h->path);
				unlink_active(&e, h);
				finish_host(&e, h);
				h->next_active = free_list;
				free_list = h;
			}
		}
		if (on_progress && o->progress && t - last_progress >= 0.25) {
			stats->elapsed_s = t - t0;
			on_progress(stats, ud);
			last_progress = t;
		}
		if (e.n_active > 0 || !gen_done)
			curl_multi_poll(e.multi, NULL, 0, (int)(wait_ms > 0 ? wait_ms : 1), NULL);
	}
	rc = 0;
out:
	stats->elapsed_s = now_s() - t0;
	/* hosts still in flight (the callback asked to stop) */
	for (struct host *h = e.active; h; h = h->next_active) {
		curl_multi_remove_handle(e.multi, h->easy);
		host_release_data(h);
	}
	if (pool)
		for (int i = 0; i < conc; i++)
			if (pool[i].easy)
				curl_easy_cleanup(pool[i].easy);
	free(pool);
	curl_slist_free_all(e.resolve);
	if (e.multi)
		curl_multi_cleanup(e.multi);
	return rc;
}
