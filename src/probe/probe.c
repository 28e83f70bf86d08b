/* The probe engine: libcurl multi handles kept topped up to the concurrency
 * cap (in the manner of curl's parallel transfers), one per worker thread so
 * that TLS work uses every core.  A per-host state machine sends the host's
 * requests one after another over one kept-alive connection, or all at once
 * when the host answers slowly; each transfer is found through
 * CURLOPT_PRIVATE. */
#include <curl/curl.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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
/* The stronger ProxyShell check (Metasploit's): the same SSRF reaching the
 * MAPI endpoint, whose page names itself.  Sent only when the first check
 * is undecided (many Exchange 2016 answer it 401). */
static const char PROXYSHELL_MAPI_PATH[] =
        "/autodiscover/autodiscover.json?a=check@test.com/mapi/nspi/";
static const char PROXYSHELL_MAPI_COOKIE[] =
        "Cookie: Email=autodiscover/autodiscover.json?a=check@test.com";
static const char MAPI_PAGE_TITLE[] = "Exchange MAPI/HTTP Connectivity Endpoint";
/* ProxyToken (CVE-2021-33766), the nuclei pattern: an ECP page asked for with
 * a bare SecurityToken cookie reaches the back end, which fails to find the
 * (made-up) mailbox.  A match proves the hole; no match proves nothing, so it
 * is only asked where the build cannot say (a CU-level build). */
static const char PROXYTOKEN_PATH[] =
        "/ecp/check@test.com/PersonalSettings/HomePage.aspx?showhelp=false";
static const char PROXYTOKEN_COOKIE[] = "Cookie: SecurityToken=x";
static const char *const PROXYTOKEN_BODY[] = {"<span id=\"msgCode\">403</span>",
                                              "function signOut() {"};
static const char *const PROXYTOKEN_HEADERS[] = {
        "Microsoft.Exchange.Data.Storage.ObjectNotFoundException", "X-BEResource="};
static const char MANIFEST_PATH[] =
        "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";
static const char NTLM_PATH[] = "/EWS/Exchange.asmx";
/* Exchange answers it 401 asking for NTLM or Negotiate, and (builds from
 * July 2021 on) with X-OWA-Version even when OWA is disabled or blocked. */
static const char AUTODISCOVER_PATH[] = "/autodiscover/autodiscover.xml";
static const char LOGON_PATH[] = "/owa/auth/logon.aspx";
/* ActiveSync, often published where OWA is not: its OPTIONS answer (401
 * unauthenticated) comes through Exchange's front end with its headers
 * (X-OWA-Version, X-FEServer), and MS-Server-ActiveSync names the protocol
 * server's version where the server tells it. */
static const char ACTIVESYNC_PATH[] = "/Microsoft-Server-ActiveSync";
/* Each update of a CU serves its ECP files from a folder named by its build
 * (/ecp/15.2.1544.46/...): for a CU-level build, the export tool manifest is
 * asked under the folders of that CU's newest updates in the tables, and the
 * one that answers with its own version is the installed build. */
static const char ECP_BUILD_FMT[] =
        "/ecp/%s/exporttool/microsoft.exchange.ediscovery.exporttool.application";
#define MAX_ECP_CANDIDATES 6

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
	STEP_PROXYSHELL_MAPI,
	STEP_PROXYTOKEN,
	STEP_CATCH_ALL,
	STEP_AUTODISCOVER,
	STEP_LOGON,
	STEP_ECP_BUILD,
	STEP_ACTIVESYNC,
	STEP_DONE,
};

/* A host's requests come in rounds, each round's requests independent of
 * each other: the /owa/ chain; the evidence (NTLM on /EWS, the manifest, a
 * random path, the logon page when the chain skipped it); autodiscover where
 * the evidence is short of two behaviours or of a build; the active checks,
 * only once the host is Exchange. */
enum round {
	ROUND_CHAIN,
	ROUND_EVIDENCE,
	ROUND_AUTODISCOVER,
	ROUND_ECP_BUILD,
	ROUND_CHECKS,
};

/* The /owa/ chain's connection plus up to three requests in parallel. */
#define XFERS_PER_HOST 4
/* A response this slow makes the host's remaining requests go out at once,
 * each on its own connection: a slow server then costs one more round trip,
 * not one per request.  Fast servers keep one kept-alive connection. */
#define SLOW_RESPONSE_S 0.75
#define MAX_THREADS 8

struct host;

/* One request: a libcurl easy handle and what its response gave. */
struct xfer {
	struct host *h;
	CURL *easy; /* created on first use, kept with the slot */
	bool ready; /* easy handle set up for the current host */
	bool busy;  /* added to the multi handle */
	enum step step;
	char path[1024];
	struct exs_buf hdr, body;
	bool hdr_overflow, calc_seen;
	bool auth_seen; /* autodiscover: WWW-Authenticate asked for NTLM or Negotiate */
	bool hdr_done;  /* the blank line that ends the headers came */
	long status;
	double started;
	char location[1024];
	char calc_be[256];
	struct curl_slist *req_headers;
	char errbuf[CURL_ERROR_SIZE];
};

struct host {
	struct exs_probe_result r;
	struct curl_slist *connect_to;
	struct xfer x[XFERS_PER_HOST];
	enum step queue[6]; /* requests still to send after the /owa/ chain */
	int n_queue;
	int redirects, attempt;
	bool failed; /* a request failed or time ran out: send nothing more */
	bool ntlm_seen;
	enum round round;
	bool manifest_asked;
	struct exs_version ecp_cand[MAX_ECP_CANDIDATES]; /* builds to try under /ecp/ */
	int n_ecp, ecp_next;
	unsigned page_markers;  /* OWA page markers of the /owa/ chain's page */
	long proxytoken_status; /* status of an unmatched ProxyToken request, or 0 */
	char base[320];         /* https://name:port */
	char www_ntlm[NTLM_B64_MAX];
	char random_path[64]; /* the catch-all test's path */
	double started;
	struct host *next_active;
};

/* What the worker threads share; everything but `stop` is under `lock`. */
struct shared {
	pthread_mutex_t lock;
	const struct exs_probe_options *o;
	const struct exs_kb *kb;
	time_t now;
	struct exs_target_gen *gen;
	bool gen_done;
	atomic_bool stop;
	uint64_t started;
	double t0, last_progress;
	struct exs_probe_stats *stats;
	exs_probe_host_fn on_host;
	exs_probe_progress_fn on_progress;
	void *ud;
	struct exs_probe_result bad; /* a bad target spec, reported under lock */
};

/* One worker: its own multi handle and its share of the --concurrency slots. */
struct engine {
	struct shared *s;
	const struct exs_probe_options *o;
	int slots;
	CURLM *multi;
	struct curl_slist *resolve;
	struct host *pool, *active, *free_list;
	int n_active;
	pthread_t thread;
	bool thread_started;
	bool private_libctx;
	struct exs_kb_memo memo; /* assessments of the builds seen last */
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

static void grab_tls(struct xfer *x)
{
	struct host *h = x->h;
	const struct curl_tlssessioninfo *ti = NULL;
	SSL *ssl;
	X509 *cert;
	const char *name;

	if (h->r.tls.present || curl_easy_getinfo(x->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
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
	struct xfer *x = ud;
	struct host *h = x->h;
	size_t n = size * nmemb;
	const char *v;
	size_t vn;

	grab_tls(x);
	if (exs_buf_append(&x->hdr, p, n)) {
		x->hdr_overflow = true;
		return 0; /* aborts the transfer */
	}
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		x->location[0] = x->calc_be[0] = '\0';
		x->calc_seen = x->hdr_done = x->auth_seen = false;
		return n;
	}
	if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
		x->hdr_done = true;
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
		copy_value(x->location, sizeof(x->location), v, vn);
	} else if (exs_fp_header_value(p, n, "X-CalculatedBETarget", &v, &vn) == 0) {
		x->calc_seen = true;
		if (vn)
			h->r.markers |= EXS_OWA_MARK_FESERVER;
		copy_value(x->calc_be, sizeof(x->calc_be), v, vn);
	} else if (exs_fp_header_value(p, n, "Content-Security-Policy", &v, &vn) == 0) {
		/* on OWA's own pages only: the header the CVE-2026-42897 mitigation adds */
		if ((x->step == STEP_OWA || x->step == STEP_FOLLOW || x->step == STEP_LOGON) &&
		    strncasecmp(x->path, "/owa/", 5) == 0 && !h->r.owa_csp[0] && vn) {
			copy_value(h->r.owa_csp, sizeof(h->r.owa_csp), v, vn);
			copy_value(h->r.owa_csp_path, sizeof(h->r.owa_csp_path), x->path,
			           strcspn(x->path, "?"));
		}
	} else if (exs_fp_header_value(p, n, "MS-Server-ActiveSync", &v, &vn) == 0) {
		if (x->step == STEP_ACTIVESYNC)
			copy_value(h->r.activesync, sizeof(h->r.activesync), v, vn);
	} else if (exs_fp_header_value(p, n, "WWW-Authenticate", &v, &vn) == 0) {
		if (x->step == STEP_NTLM && vn > 5 && strncasecmp(v, "NTLM ", 5) == 0 &&
		    !h->ntlm_seen) {
			h->ntlm_seen = true;
			copy_value(h->www_ntlm, sizeof(h->www_ntlm), v, vn);
		}
		if (x->step == STEP_AUTODISCOVER &&
		    ((vn >= 4 && strncasecmp(v, "NTLM", 4) == 0) ||
		     (vn >= 9 && strncasecmp(v, "Negotiate", 9) == 0)))
			x->auth_seen = true;
	} else if (exs_fp_header_value(p, n, "Set-Cookie", &v, &vn) == 0) {
		if ((vn >= 15 && strncasecmp(v, "exchangecookie=", 15) == 0) ||
		    (vn >= 15 && strncasecmp(v, "OutlookSession=", 15) == 0))
			h->r.markers |= EXS_OWA_MARK_COOKIE;
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, room = MAX_BODY_BYTES - x->body.len;

	/* keep the start of the page; the rest is read and dropped */
	exs_buf_append(&x->body, p, n < room ? n : room);
	return n;
}

static bool ci_contains(const char *s, const char *needle)
{
	return strcasestr(s, needle) != NULL;
}

/* Whether any of the host's requests is in flight. */
static bool busy(const struct host *h)
{
	for (int i = 0; i < XFERS_PER_HOST; i++)
		if (h->x[i].busy)
			return true;
	return false;
}

/* Options of an easy handle that hold for every request to the host. */
static void easy_setup(struct engine *e, struct xfer *x)
{
	const struct exs_probe_options *o = e->o;
	struct host *h = x->h;
	CURL *c = x->easy;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
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
	/* sessions are cached per easy handle, and each handle connects once
	 * per host: a cache would never be used */
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)16 * 1024 * 1024);
	if (o->proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, o->proxy);
	if (e->resolve)
		curl_easy_setopt(c, CURLOPT_RESOLVE, e->resolve);
	if (h->connect_to)
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, h->connect_to);
	x->ready = true;
}

/* Sends the request of `step` on x.  last: the connection is not used again. */
static int issue(struct engine *e, struct xfer *x, enum step step, bool last)
{
	struct host *h = x->h;
	char url[1536];

	if (!x->easy && !(x->easy = curl_easy_init())) {
		set_error(h, "cannot create a libcurl handle: out of memory");
		return -1;
	}
	if (!x->ready)
		easy_setup(e, x);
	x->step = step;
	exs_buf_reset(&x->hdr);
	exs_buf_reset(&x->body);
	x->hdr_overflow = x->calc_seen = x->hdr_done = x->auth_seen = false;
	x->status = 0;
	x->location[0] = x->calc_be[0] = '\0';
	x->errbuf[0] = '\0';
	curl_slist_free_all(x->req_headers);
	x->req_headers = NULL;

	switch (step) {
	case STEP_OWA:
		snprintf(x->path, sizeof(x->path), "/owa/");
		break;
	case STEP_MANIFEST:
		snprintf(x->path, sizeof(x->path), "%s", MANIFEST_PATH);
		break;
	case STEP_NTLM: {
		char auth[128];

		snprintf(x->path, sizeof(x->path), "%s", NTLM_PATH);
		snprintf(auth, sizeof(auth), "Authorization: NTLM %s", exs_ntlm_negotiate_b64());
		x->req_headers = curl_slist_append(NULL, auth);
		break;
	}
	case STEP_PROXYLOGON:
		snprintf(x->path, sizeof(x->path), "/owa/auth/x.js");
		x->req_headers = curl_slist_append(NULL, PROXYLOGON_COOKIE);
		break;
	case STEP_PROXYSHELL:
		snprintf(x->path, sizeof(x->path), "%s", PROXYSHELL_PATH);
		break;
	case STEP_PROXYSHELL_MAPI:
		snprintf(x->path, sizeof(x->path), "%s", PROXYSHELL_MAPI_PATH);
		x->req_headers = curl_slist_append(NULL, PROXYSHELL_MAPI_COOKIE);
		break;
	case STEP_PROXYTOKEN:
		snprintf(x->path, sizeof(x->path), "%s", PROXYTOKEN_PATH);
		x->req_headers = curl_slist_append(NULL, PROXYTOKEN_COOKIE);
		break;
	case STEP_CATCH_ALL:
		snprintf(x->path, sizeof(x->path), "%s", h->random_path);
		break;
	case STEP_AUTODISCOVER:
		snprintf(x->path, sizeof(x->path), "%s", AUTODISCOVER_PATH);
		break;
	case STEP_LOGON:
		snprintf(x->path, sizeof(x->path), "%s", LOGON_PATH);
		break;
	case STEP_ACTIVESYNC:
		snprintf(x->path, sizeof(x->path), "%s", ACTIVESYNC_PATH);
		break;
	case STEP_ECP_BUILD: {
		char vb[48];

		exs_version_format(&h->ecp_cand[h->ecp_next < h->n_ecp ? h->ecp_next++ : 0], vb,
		                   sizeof(vb));
		snprintf(x->path, sizeof(x->path), ECP_BUILD_FMT, vb);
		break;
	}
	default: /* STEP_FOLLOW: x->path set by the caller */
		break;
	}
	/* a host's last request closes its connection: idle connections of
	 * finished hosts would otherwise sit in the cache (memory, server sockets) */
	curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, last ? 1L : 0L);
	snprintf(url, sizeof(url), "%s%s", h->base, x->path);
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->req_headers);
	/* the handle is reused: every other step is a GET */
	curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST,
	                 step == STEP_ACTIVESYNC ? "OPTIONS" : NULL);
	h->r.requests++;
	x->started = now_s();
	if (curl_multi_add_handle(e->multi, x->easy) != CURLM_OK) {
		set_error(h, "libcurl refused a transfer for %s", url);
		return -1;
	}
	x->busy = true;
	return 0;
}

/* A path no server has: /owa/auth/ and 16 random hex digits.  A site that
 * answers it 200 with its OWA page serves that page everywhere. */
static void random_path(char *out, size_t cap)
{
	unsigned char r[8];

	if (RAND_bytes(r, sizeof(r)) != 1) {
		uint64_t t = (uint64_t)(now_s() * 1e9);

		memcpy(r, &t, sizeof(r));
	}
	snprintf(out, cap, "/owa/auth/%02x%02x%02x%02x%02x%02x%02x%02x.aspx", r[0], r[1], r[2],
	         r[3], r[4], r[5], r[6], r[7]);
}

static int host_setup(struct engine *e, struct host *h, const struct exs_target *t)
{
	const struct exs_probe_options *o = e->o;
	char hostpart[300];

	memset(&h->r, 0, sizeof(h->r));
	snprintf(h->r.host, sizeof(h->r.host), "%s", t->host);
	h->r.port = t->port;
	h->r.sni = t->is_address ? o->sni : NULL;
	h->r.precision = EXS_PRECISION_NONE;
	h->redirects = h->attempt = h->n_queue = 0;
	h->n_ecp = h->ecp_next = 0;
	h->proxytoken_status = 0;
	h->failed = h->ntlm_seen = h->manifest_asked = false;
	h->round = ROUND_CHAIN;
	h->page_markers = 0;
	random_path(h->random_path, sizeof(h->random_path));
	h->www_ntlm[0] = '\0';
	h->connect_to = NULL;
	h->started = now_s();
	for (int i = 0; i < XFERS_PER_HOST; i++) {
		struct xfer *x = &h->x[i];

		x->h = h;
		x->ready = x->busy = false;
		x->req_headers = NULL;
		exs_buf_init(&x->hdr, MAX_HEADER_BYTES);
		exs_buf_init(&x->body, MAX_BODY_BYTES);
	}
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
	return 0;
}

/* The path of a Location value, followed on the same connection.  A redirect
 * to another host name (an address scanned while the server redirects to its
 * canonical name) is followed on the same address too: what matters is the
 * page this server serves, and nothing is sent anywhere else.  "" when the
 * value is not a path or an https URL. */
static void same_server_path(const char *loc, char *out, size_t cap)
{
	const char *p = loc;

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

/* Exchange when two independent Exchange behaviours were seen (see
 * EXS_OWA_EVIDENCE_MASK); OWA's HTML alone is what a phishing kit copies. */
static void decide_exchange(struct host *h)
{
	h->r.is_exchange = exs_fp_evidence_count(h->r.markers) >= 2;
}

static void take_page(struct host *h, const struct xfer *x)
{
	struct exs_version v;
	unsigned m = exs_fp_page_markers(x->body.data ? x->body.data : "", x->body.len);

	if (x->body.len && exs_fp_owa_asset_version(x->body.data, x->body.len, &v) == 0) {
		m |= EXS_OWA_MARK_ASSET_PATH;
		if (h->r.precision == EXS_PRECISION_NONE) {
			h->r.version = v;
			h->r.precision = v.nparts == 4 ? EXS_PRECISION_EXACT : EXS_PRECISION_CU;
			h->r.build_source = "owa-asset-path";
		}
	}
	h->r.markers |= m;
	h->page_markers |= m;
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

static void queue_step(struct host *h, enum step step)
{
	if (h->n_queue < (int)(sizeof(h->queue) / sizeof(h->queue[0])))
		h->queue[h->n_queue++] = step;
}

/* The exact builds of the host's CU in the tables, newest first, into
 * h->ecp_cand; returns how many. */
static int ecp_candidates(const struct exs_kb *kb, struct host *h)
{
	size_t n = kb ? exs_kb_build_count(kb) : 0;

	h->n_ecp = h->ecp_next = 0;
	for (size_t i = n; i-- > 0 && h->n_ecp < MAX_ECP_CANDIDATES;) {
		const struct exs_build *b = exs_kb_build_at(kb, i);

		if (b->version.nparts == 4 && exs_version_cmp3(&b->version, &h->r.version) == 0)
			h->ecp_cand[h->n_ecp++] = b->version;
	}
	return h->n_ecp;
}

/* The host's next round, once everything of the last one came back.  Leaves
 * the queue empty when the host is finished. */
static void next_round(struct engine *e, struct host *h)
{
	int evidence;

	take_owa_version(h);
	evidence = exs_fp_evidence_count(h->r.markers);
	h->n_queue = 0;
	switch (h->round) {
	case ROUND_CHAIN:
		h->round = ROUND_EVIDENCE;
		/* asked of every host that answered: Exchange with OWA disabled or
		 * blocked still answers NTLM on /EWS */
		queue_step(h, STEP_NTLM);
		/* the manifest can only make a CU-level build exact; with the
		 * build exact from X-OWA-Version, the logon page the chain skipped
		 * is fetched for the CVE-2026-42897 mitigation's header */
		if (h->r.markers && h->r.precision != EXS_PRECISION_EXACT) {
			queue_step(h, STEP_MANIFEST);
			h->manifest_asked = true;
		} else if (h->r.markers && !h->page_markers && !h->r.owa_csp[0]) {
			queue_step(h, STEP_LOGON);
		}
		if (h->page_markers)
			queue_step(h, STEP_CATCH_ALL);
		if (h->n_queue)
			return;
		/* fall through */
	case ROUND_EVIDENCE:
		h->round = ROUND_AUTODISCOVER;
		if (evidence == 1 || (evidence >= 2 && h->r.precision == EXS_PRECISION_NONE)) {
			queue_step(h, STEP_AUTODISCOVER);
			/* no build yet: ActiveSync may be published where OWA is not */
			if (h->r.precision == EXS_PRECISION_NONE)
				queue_step(h, STEP_ACTIVESYNC);
			if (!h->manifest_asked && h->r.precision != EXS_PRECISION_EXACT) {
				queue_step(h, STEP_MANIFEST);
				h->manifest_asked = true;
			}
			return;
		}
		/* fall through */
	case ROUND_AUTODISCOVER:
		h->round = ROUND_ECP_BUILD;
		decide_exchange(h);
		/* still CU-level on an Exchange server: the ECP folders of that CU's
		 * newest updates (bounded, GET only) */
		if (h->r.is_exchange && h->r.precision == EXS_PRECISION_CU &&
		    ecp_candidates(e->s->kb, h) > 0) {
			for (int i = 0; i < h->n_ecp; i++)
				queue_step(h, STEP_ECP_BUILD);
			return;
		}
		/* fall through */
	case ROUND_ECP_BUILD:
		h->round = ROUND_CHECKS;
		decide_exchange(h);
		if (!h->r.is_exchange || !e->o->active_checks)
			return;
		queue_step(h, STEP_PROXYLOGON);
		queue_step(h, STEP_PROXYSHELL);
		/* the build alone cannot decide ProxyToken when the update is unseen */
		if (h->r.precision != EXS_PRECISION_EXACT)
			queue_step(h, STEP_PROXYTOKEN);
		return;
	default:
		return;
	}
}

/* A response of the /owa/ chain.  Returns true when x->path is the next page
 * to follow; otherwise the chain is over and the rest is planned. */
static bool owa_chain(struct engine *e, struct host *h, struct xfer *x)
{
	take_owa_version(h);
	if (h->r.precision == EXS_PRECISION_EXACT && x->step == STEP_OWA && x->status >= 300 &&
	    x->status < 400) {
		/* X-OWA-Version already gave the exact build: the logon page could
		 * only add a CU-level build, so it is not followed now (the
		 * evidence round asks for it beside the other requests) */
		next_round(e, h);
		return false;
	}
	if (x->status >= 300 && x->status < 400 && x->location[0]) {
		char path[1024];

		same_server_path(x->location, path, sizeof(path));
		if (path[0]) {
			if (++h->redirects > MAX_REDIRECTS) {
				set_error(h,
				          "redirect loop: gave up after %d redirects from /owa/ "
				          "(last to %s)",
				          MAX_REDIRECTS, x->path);
				h->failed = true;
				return false;
			}
			snprintf(x->path, sizeof(x->path), "%s", path);
			return true;
		}
	}
	if (x->status >= 200 && x->status < 300)
		take_page(h, x);
	next_round(e, h);
	return false;
}

static void take_manifest(struct host *h, const struct xfer *x)
{
	struct exs_version v;

	if (x->status != 200 || !x->body.len ||
	    exs_fp_manifest_version(x->body.data, x->body.len, &v) != 0)
		return;
	h->r.markers |= EXS_OWA_MARK_MANIFEST;
	if (h->r.precision == EXS_PRECISION_NONE || h->r.precision == EXS_PRECISION_CU ||
	    exs_version_cmp3(&v, &h->r.version) == 0) {
		h->r.version = v;
		h->r.precision = EXS_PRECISION_EXACT;
		h->r.build_source = "exporttool-manifest";
	}
}

/* A manifest under /ecp/<build>/ naming that same build: the installed one. */
static void take_ecp_build(struct host *h, const struct xfer *x)
{
	struct exs_version v, asked;
	char vb[48];
	const char *p = x->path + strlen("/ecp/");
	size_t k = strcspn(p, "/");

	if (x->status != 200 || !x->body.len || k == 0 || k >= sizeof(vb) ||
	    h->r.precision == EXS_PRECISION_EXACT)
		return;
	memcpy(vb, p, k);
	vb[k] = '\0';
	if (exs_version_parse(vb, &asked, NULL) != 0 ||
	    exs_fp_manifest_version(x->body.data, x->body.len, &v) != 0 ||
	    exs_version_cmp(&v, &asked) != 0 || exs_version_cmp3(&v, &h->r.version) != 0)
		return;
	h->r.markers |= EXS_OWA_MARK_MANIFEST;
	h->r.version = v;
	h->r.precision = EXS_PRECISION_EXACT;
	h->r.build_source = "ecp-build-path";
}

/* The random path answered 200 with an OWA page of its own: the site serves
 * that page everywhere, and its HTML proves nothing (nor its asset paths). */
static void take_catch_all(struct host *h, const struct xfer *x)
{
	unsigned m;

	if (x->status < 200 || x->status >= 300 || !x->body.len)
		return;
	m = exs_fp_page_markers(x->body.data, x->body.len);
	if (exs_fp_owa_asset_version(x->body.data, x->body.len, &(struct exs_version){0}) == 0)
		m |= EXS_OWA_MARK_ASSET_PATH;
	if (!(m & h->page_markers))
		return;
	h->r.markers |= EXS_OWA_MARK_CATCH_ALL;
	if (h->r.build_source && strcmp(h->r.build_source, "owa-asset-path") == 0) {
		memset(&h->r.version, 0, sizeof(h->r.version));
		h->r.precision = EXS_PRECISION_NONE;
		h->r.build_source = NULL;
	}
}

static void take_proxytoken(struct host *h, const struct xfer *x)
{
	const char *body = x->body.len ? x->body.data : "";
	const char *hdr = x->hdr.len ? x->hdr.data : "";
	bool match = x->status == 403;

	for (size_t i = 0; match && i < sizeof(PROXYTOKEN_BODY) / sizeof(PROXYTOKEN_BODY[0]); i++)
		match = strstr(body, PROXYTOKEN_BODY[i]) != NULL;
	for (size_t i = 0; match && i < sizeof(PROXYTOKEN_HEADERS) / sizeof(PROXYTOKEN_HEADERS[0]);
	     i++)
		match = strstr(hdr, PROXYTOKEN_HEADERS[i]) != NULL;
	if (!match) {
		h->proxytoken_status = x->status ? x->status : -1;
		return;
	}
	add_check(h, "CVE-2021-33766", "ProxyToken", "active", EXS_CHECK_VULNERABLE, 403,
	          "HTTP 403 from the back end (ObjectNotFoundException for a made-up mailbox) "
	          "to an ECP request carrying only SecurityToken=x: authentication was "
	          "bypassed");
}

static void take_proxylogon(struct host *h, const struct xfer *x)
{
	char ev[512];

	if (x->calc_seen && ci_contains(x->calc_be, "localhost")) {
		snprintf(ev, sizeof(ev), "HTTP %ld, X-CalculatedBETarget: %s", x->status,
		         x->calc_be);
		add_check(h, "CVE-2021-26855", "ProxyLogon", "active", EXS_CHECK_VULNERABLE,
		          x->status, ev);
	} else if (x->status == 401 || x->status == 403 || x->status == 407 || x->status == 429 ||
	           x->status == 503) {
		snprintf(ev, sizeof(ev),
		         "HTTP %ld to the cookie check: blocked before Exchange answered",
		         x->status);
		add_check(h, "CVE-2021-26855", "ProxyLogon", "active", EXS_CHECK_UNKNOWN, x->status,
		          ev);
	} else {
		snprintf(ev, sizeof(ev), "HTTP %ld, no X-CalculatedBETarget naming localhost",
		         x->status);
		add_check(h, "CVE-2021-26855", "ProxyLogon", "active", EXS_CHECK_NOT_VULNERABLE,
		          x->status, ev);
	}
}

static void take_proxyshell(struct host *h, const struct xfer *x)
{
	char ev[512];

	if (x->status == 302) {
		snprintf(ev, sizeof(ev),
		         "HTTP 302 to autodiscover.json SSRF path (Location: %.300s)", x->location);
		add_check(h, "CVE-2021-34473", "ProxyShell", "active", EXS_CHECK_VULNERABLE, 302,
		          ev);
	} else if (x->status == 400) {
		add_check(h, "CVE-2021-34473", "ProxyShell", "active", EXS_CHECK_NOT_VULNERABLE,
		          400, "HTTP 400 to the autodiscover.json SSRF path");
	} else {
		snprintf(ev, sizeof(ev),
		         "HTTP %ld to the autodiscover.json SSRF path: neither 302 nor 400",
		         x->status);
		add_check(h, "CVE-2021-34473", "ProxyShell", "active", EXS_CHECK_UNKNOWN, x->status,
		          ev);
		/* undecided: ask the /mapi/nspi variant next */
		queue_step(h, STEP_PROXYSHELL_MAPI);
	}
}

/* The /mapi/nspi variant decides an undecided ProxyShell check, or says it
 * could not. */
static void take_proxyshell_mapi(struct host *h, const struct xfer *x)
{
	struct exs_check *c = NULL;
	char ev[512];

	for (size_t k = 0; k < h->r.n_checks; k++)
		if (strcmp(h->r.checks[k].id, "CVE-2021-34473") == 0)
			c = &h->r.checks[k];
	if (!c)
		return;
	if (x->status == 200 && x->body.len && ci_contains(x->body.data, MAPI_PAGE_TITLE)) {
		snprintf(ev, sizeof(ev),
		         "HTTP %ld to the autodiscover.json SSRF path; the /mapi/nspi variant "
		         "answered HTTP 200 with the '%s' page",
		         c->status, MAPI_PAGE_TITLE);
		c->result = EXS_CHECK_VULNERABLE;
		c->status = 200;
	} else {
		snprintf(
		        ev, sizeof(ev),
		        "HTTP %ld to the autodiscover.json SSRF path and HTTP %ld to its /mapi/nspi "
		        "variant: neither says",
		        c->status, x->status);
	}
	snprintf(c->evidence, sizeof(c->evidence), "%s", ev);
}

static void take_response(struct host *h, const struct xfer *x)
{
	struct exs_error err = {{0}};

	switch (x->step) {
	case STEP_MANIFEST:
		take_manifest(h, x);
		break;
	case STEP_CATCH_ALL:
		take_catch_all(h, x);
		break;
	case STEP_AUTODISCOVER:
		if (x->status == 401 && x->auth_seen)
			h->r.markers |= EXS_OWA_MARK_AUTODISCOVER;
		break;
	case STEP_LOGON:
		if (x->status >= 200 && x->status < 300)
			take_page(h, x);
		break;
	case STEP_ECP_BUILD:
		take_ecp_build(h, x);
		break;
	case STEP_NTLM:
		if (!h->ntlm_seen)
			break;
		if (exs_ntlm_decode_header(h->www_ntlm, strlen(h->www_ntlm), &h->r.ntlm, &err) ==
		    0) {
			h->r.has_ntlm = true;
			/* Exchange's target info: the server's computer and domain names */
			if (h->r.ntlm.nb_computer || h->r.ntlm.dns_computer)
				h->r.markers |= EXS_OWA_MARK_NTLM;
		} else {
			set_error(h, "%s answered with a bad NTLM challenge: %s", NTLM_PATH,
			          err.msg);
		}
		break;
	case STEP_PROXYLOGON:
		take_proxylogon(h, x);
		break;
	case STEP_PROXYSHELL:
		take_proxyshell(h, x);
		break;
	case STEP_PROXYSHELL_MAPI:
		take_proxyshell_mapi(h, x);
		break;
	case STEP_PROXYTOKEN:
		take_proxytoken(h, x);
		break;
	default:
		break;
	}
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
		const struct exs_cve *cve = exs_kb_cve_find(e->s->kb, by_build[i].id);
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
		if (h->proxytoken_status && strcmp(by_build[i].id, "CVE-2021-33766") == 0) {
			char both[512];

			snprintf(both, sizeof(both),
			         "the ProxyToken request got HTTP %ld, not the vulnerable pattern "
			         "(which proves nothing); %.380s",
			         h->proxytoken_status,
			         strncmp(ev, "no safe check; ", 15) == 0 ? ev + 15 : ev);
			add_check(h, by_build[i].id, by_build[i].name, "build", res, 0, both);
			continue;
		}
		add_check(h, by_build[i].id, by_build[i].name, "build", res, 0, ev);
	}
}

/* Frees what a host's result and transfers hold (the slot itself is reused). */
static void host_release_data(struct engine *e, struct host *h)
{
	for (int i = 0; i < XFERS_PER_HOST; i++) {
		struct xfer *x = &h->x[i];

		if (x->busy) {
			curl_multi_remove_handle(e->multi, x->easy);
			x->busy = false;
		}
		exs_buf_release(&x->hdr);
		exs_buf_release(&x->body);
		curl_slist_free_all(x->req_headers);
		x->req_headers = NULL;
	}
	if (h->r.assessed)
		exs_assessment_release(&h->r.assessment);
	exs_ntlm_info_release(&h->r.ntlm);
	exs_tls_facts_release(&h->r.tls);
	curl_slist_free_all(h->connect_to);
	h->connect_to = NULL;
}

/* An invalid certificate is a per-host error, but the host is still
 * fingerprinted: default Exchange installs serve self-signed certificates, so
 * only what no client should accept counts (untrusted ones are errors with
 * --tls-verify, where the handshake itself fails). */
static void judge_certificate(struct host *h)
{
	const struct exs_tls_facts *t = &h->r.tls;
	const char *why = NULL, *when = "";

	if (!t->present)
		return;
	if (t->bad_signature)
		why = "its self-signature does not verify";
	else if (t->expired)
		why = "expired on ", when = t->not_after;
	else if (t->not_yet_valid)
		why = "not valid before ", when = t->not_before;
	if (why)
		set_error(h, "invalid certificate: %s%s; the host was scanned anyway", why, when);
}

/* CVE-2026-42897: Microsoft's emergency mitigation (EEMS M2.1.0, a URL
 * Rewrite rule) adds a Content-Security-Policy header to OWA's HTML pages.
 * Seen on an OWA page, it is recorded as evidence; the build still decides
 * whether the CVE is fixed (Jun26SU).  The rule's exact value has not been
 * checked against a real server, so any such header is reported, with its
 * value, and the result stays "unknown". */
static void add_mitigation(struct host *h)
{
	char ev[512];

	snprintf(
	        ev, sizeof(ev),
	        "Content-Security-Policy on %.64s, as the emergency mitigation M2.1.0 adds: %.360s",
	        h->r.owa_csp_path, h->r.owa_csp);
	add_check(h, "CVE-2026-42897", "OWA XSS mitigation", "mitigation", EXS_CHECK_UNKNOWN, 0,
	          ev);
}

/* Active checks in the order one-after-another requests give them. */
static int check_rank(const struct exs_check *c)
{
	static const char *const order[] = {"CVE-2021-26855", "CVE-2021-34473", "CVE-2021-33766"};

	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
		if (strcmp(c->id, order[i]) == 0)
			return i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

static void finish_host(struct engine *e, struct host *h)
{
	struct shared *s = e->s;
	struct exs_error err = {{0}};

	/* overlapping requests answer in any order: keep the active checks (all
	 * there is before build_checks) in one order whatever came back first */
	for (size_t i = 1; i < h->r.n_checks; i++) {
		struct exs_check t = h->r.checks[i];
		size_t k = i;

		for (; k > 0 && check_rank(&h->r.checks[k - 1]) > check_rank(&t); k--)
			h->r.checks[k] = h->r.checks[k - 1];
		h->r.checks[k] = t;
	}
	/* a host that stopped early is judged on what it showed */
	take_owa_version(h);
	decide_exchange(h);
	if (!h->r.is_exchange) {
		/* what is not Exchange has no Exchange build */
		memset(&h->r.version, 0, sizeof(h->r.version));
		h->r.precision = EXS_PRECISION_NONE;
		h->r.build_source = NULL;
	}
	if (h->r.is_exchange && h->r.owa_csp[0])
		add_mitigation(h);
	if (h->r.is_exchange && h->r.precision != EXS_PRECISION_NONE) {
		if (exs_kb_memo_assess(&e->memo, &h->r.version, &h->r.assessment, &err) == 0)
			h->r.assessed = true;
		else
			set_error(h, "cannot assess the build: %s", err.msg);
	}
	if (h->r.is_exchange)
		build_checks(e, h);
	judge_certificate(h);
	h->r.elapsed_ms = (long)((now_s() - h->started) * 1000);
	pthread_mutex_lock(&s->lock);
	/* once the scan is stopping, a host that finishes is dropped like those
	 * still in flight: the statistics count what was reported */
	if (!atomic_load(&s->stop)) {
		s->stats->done++;
		if (h->r.error[0])
			s->stats->errors++;
		if (h->r.is_exchange)
			s->stats->exchange++;
		if (s->on_host && s->on_host(&h->r, s->ud))
			atomic_store(&s->stop, true);
	}
	pthread_mutex_unlock(&s->lock);
	host_release_data(e, h);
}

static void describe_failure(struct host *h, const struct xfer *x, CURLcode code)
{
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);

	switch (code) {
	case CURLE_COULDNT_CONNECT:
		set_error(h, "cannot connect: %s", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		set_error(h, "cannot resolve the host name: %s", detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_error(h, "no answer in time on %s: %s", x->path, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		set_error(h, "tls handshake failed: %s", detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		set_error(h, "certificate rejected (--tls-verify): %s", detail);
		break;
	case CURLE_WRITE_ERROR:
		if (x->hdr_overflow) {
			set_error(h, "response headers on %s exceed %d KiB: gave up", x->path,
			          MAX_HEADER_BYTES / 1024);
			break;
		}
		/* fall through */
	case CURLE_OUT_OF_MEMORY:
		/* libcurl hands over whole header lines only, so a line longer than its
		 * own 100 KiB limit never reaches on_header(): libcurl refuses it as
		 * "out of memory" first */
		if (code == CURLE_OUT_OF_MEMORY && !x->hdr_done) {
			set_error(h,
			          "response headers on %s exceed %d KiB (one header line longer "
			          "than libcurl takes): gave up",
			          x->path, MAX_HEADER_BYTES / 1024);
			break;
		}
		/* fall through */
	default:
		set_error(h, "request %s failed: %s", x->path, detail);
		break;
	}
}

static bool connect_failure(CURLcode code)
{
	return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT;
}

static bool out_of_time(const struct engine *e, const struct host *h, double t)
{
	return t - h->started > (double)e->o->host_timeout_ms / 1000;
}

/* Sends what is queued: the next request on x (the connection just used)
 * or, when the host answers slowly, all of it at once. */
static void send_queued(struct engine *e, struct host *h, struct xfer *x, bool slow)
{
	if (h->failed || h->n_queue == 0)
		return;
	if (out_of_time(e, h, now_s())) {
		set_error(h,
		          "host took longer than %ld ms in all: gave up with %d request%s unsent",
		          e->o->host_timeout_ms, h->n_queue, h->n_queue > 1 ? "s" : "");
		h->failed = true;
		return;
	}
	for (int i = 0; i < XFERS_PER_HOST && h->n_queue > 0; i++) {
		struct xfer *y = slow ? &h->x[i] : x;
		enum step step;
		bool last;

		if (y->busy)
			continue;
		step = h->queue[0];
		memmove(h->queue, h->queue + 1, (size_t)--h->n_queue * sizeof(h->queue[0]));
		/* a parallel request's connection is never reused; before the
		 * checks, another round may still follow on it */
		last = slow || (h->n_queue == 0 && !busy(h) && h->round == ROUND_CHECKS);
		if (issue(e, y, step, last)) {
			h->failed = true;
			return;
		}
		if (!slow)
			return;
	}
}

/* A transfer ended: move its host on. Returns true when the host is finished. */
static bool transfer_done(struct engine *e, struct xfer *x, CURLcode code)
{
	struct host *h = x->h;
	bool slow;

	curl_multi_remove_handle(e->multi, x->easy);
	x->busy = false;
	slow = now_s() - x->started >= SLOW_RESPONSE_S;
	if (code == CURLE_OK && !x->hdr_done) {
		/* libcurl takes a connection closed inside the headers for the end
		 * of the response: the headers seen are kept, but the host is
		 * incomplete rather than judged on half an answer */
		set_error(h,
		          "response to %s cut off inside its headers (the server closed the "
		          "connection): incomplete",
		          x->path);
		h->failed = true;
	} else if (code == CURLE_OK) {
		char *ip = NULL;

		h->r.probed = true;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
		if (!h->r.address[0] &&
		    curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
			snprintf(h->r.address, sizeof(h->r.address), "%s", ip);
		if (x->step == STEP_OWA || x->step == STEP_FOLLOW) {
			if (owa_chain(e, h, x)) {
				if (out_of_time(e, h, now_s())) {
					set_error(h,
					          "host took longer than %ld ms in all: gave up "
					          "before %s",
					          e->o->host_timeout_ms, x->path);
					h->failed = true;
				} else if (issue(e, x, STEP_FOLLOW, false)) {
					h->failed = true;
				}
				return !busy(h);
			}
		} else {
			take_response(h, x);
			/* a round is over when all of it came back */
			if (!h->failed && h->n_queue == 0 && !busy(h))
				next_round(e, h);
		}
	} else if (x->step == STEP_OWA && !h->r.probed && connect_failure(code) &&
	           h->attempt < e->o->retries) {
		long local_port = 0;

		/* retry failed TCP connects, not a server that accepted and then
		 * stalled (a TCP connection had a local port) */
		curl_easy_getinfo(x->easy, CURLINFO_LOCAL_PORT, &local_port);
		if (local_port != 0)
			goto failed;
		h->attempt++;
		h->r.requests--;
		if (issue(e, x, STEP_OWA, false))
			h->failed = true;
		return !busy(h);
	} else {
	failed:
		/* any failure ends the host; what was learnt before is kept */
		describe_failure(h, x, code);
		h->failed = true;
	}
	send_queued(e, h, x, slow);
	return !busy(h);
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

static void retire(struct engine *e, struct host *h)
{
	unlink_active(e, h);
	finish_host(e, h);
	h->next_active = e->free_list;
	e->free_list = h;
}

/* The next target under the shared lock: 1 (t filled), 0 (none left or
 * stopping), 2 (the rate allows none yet: *wait_ms says how long). */
static int next_target(struct engine *e, struct exs_target *t, long *wait_ms)
{
	struct shared *s = e->s;
	int got = 0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct exs_error terr = {{0}};
		double now = now_s();

		if (s->gen_done || atomic_load(&s->stop)) {
			got = 0;
			break;
		}
		if (e->o->rate > 0 && (double)s->started >= (now - s->t0) * e->o->rate) {
			double next = s->t0 + (double)(s->started + 1) / e->o->rate;
			long ms = (long)((next - now) * 1000) + 1;

			if (ms < *wait_ms)
				*wait_ms = ms;
			got = 2;
			break;
		}
		got = exs_target_gen_next(s->gen, t, &terr);
		if (got == 0) {
			s->gen_done = true;
			break;
		}
		if (got > 0) {
			s->started++;
			break;
		}
		/* a bad target: reported like a host that could not be scanned */
		memset(&s->bad, 0, sizeof(s->bad));
		snprintf(s->bad.error, sizeof(s->bad.error), "%s", terr.msg);
		s->stats->done++;
		s->stats->errors++;
		if (s->on_host && s->on_host(&s->bad, s->ud))
			atomic_store(&s->stop, true);
	}
	pthread_mutex_unlock(&s->lock);
	return got;
}

static void engine_run(struct engine *e);
static void engine_close(struct engine *e);

/* With more than one worker, each gets an OpenSSL library context of its own
 * as its thread's default (libcurl creates its SSL_CTX with the default):
 * OpenSSL 3.0's shared algorithm store and name map are behind locks that
 * every new connection takes dozens of times, and two threads sharing them
 * spent a third of their CPU there. */
static void *engine_loop(void *arg)
{
	struct engine *e = arg;
	OSSL_LIB_CTX *own = NULL, *prev = NULL;

	if (e->private_libctx && (own = OSSL_LIB_CTX_new())) {
		char *conf = CONF_get1_default_config_file();

		/* the system configuration (Debian's openssl.cnf) holds for it too */
		if (conf)
			OSSL_LIB_CTX_load_config(own, conf);
		OPENSSL_free(conf);
		ERR_clear_error();
		prev = OSSL_LIB_CTX_set0_default(own);
	}
	engine_run(e);
	engine_close(e);
	if (own) {
		OSSL_LIB_CTX_set0_default(prev);
		OSSL_LIB_CTX_free(own);
	}
	return NULL;
}

static void engine_run(struct engine *e)
{
	struct shared *s = e->s;
	bool exhausted = false;

	while (!atomic_load(&s->stop) && (!exhausted || e->n_active > 0)) {
		int running = 0, pending;
		long wait_ms = 100;
		CURLMsg *msg;
		double t;

		if (e->o->interrupt && *e->o->interrupt) {
			atomic_store(&s->stop, true);
			break;
		}

		/* top up, within the rate */
		while (!exhausted && e->free_list) {
			struct exs_target target;
			struct host *h;
			int got = next_target(e, &target, &wait_ms);

			if (got == 0)
				exhausted = true;
			if (got != 1)
				break;
			h = e->free_list;
			e->free_list = h->next_active;
			host_setup(e, h, &target);
			h->next_active = e->active;
			e->active = h;
			e->n_active++;
			if (issue(e, &h->x[0], STEP_OWA, false))
				retire(e, h);
		}
		curl_multi_perform(e->multi, &running);
		while ((msg = curl_multi_info_read(e->multi, &pending))) {
			struct xfer *x = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x && transfer_done(e, x, msg->data.result))
				retire(e, x->h);
		}
		/* whole-host deadline */
		t = now_s();
		for (struct host *h = e->active, *nx; h; h = nx) {
			nx = h->next_active;
			if (!out_of_time(e, h, t))
				continue;
			/* named after the first request still out; retire() lets them go */
			for (int i = 0; i < XFERS_PER_HOST; i++)
				if (h->x[i].busy)
					set_error(
					        h,
					        "host took longer than %ld ms in all: gave up on %s",
					        e->o->host_timeout_ms, h->x[i].path);
			retire(e, h);
		}
		if (s->on_progress && e->o->progress) {
			pthread_mutex_lock(&s->lock);
			if (t - s->last_progress >= 0.25) {
				s->stats->elapsed_s = t - s->t0;
				s->on_progress(s->stats, s->ud);
				s->last_progress = t;
			}
			pthread_mutex_unlock(&s->lock);
		}
		if (e->n_active > 0 || !exhausted)
			curl_multi_poll(e->multi, NULL, 0, (int)(wait_ms > 0 ? wait_ms : 1), NULL);
	}
}

static int engine_init(struct engine *e, struct shared *s, int slots, struct exs_error *err)
{
	const struct exs_probe_options *o = s->o;

	memset(e, 0, sizeof(*e));
	e->s = s;
	e->o = o;
	e->slots = slots;
	exs_kb_memo_init(&e->memo, s->kb, s->now);
	e->multi = curl_multi_init();
	if (!e->multi)
		return exs_error_set(err, "cannot start libcurl's multi interface");
	/* one idle connection per host in flight, and a few more */
	curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)slots + 16);
	for (int i = 0; i < o->n_resolve; i++)
		e->resolve = curl_slist_append(e->resolve, o->resolve[i]);
	e->pool = calloc((size_t)slots, sizeof(*e->pool));
	if (!e->pool)
		return exs_error_set(err, "out of memory for %d hosts in flight", slots);
	for (int i = 0; i < slots; i++) {
		e->pool[i].next_active = e->free_list;
		e->free_list = &e->pool[i];
	}
	return 0;
}

/* Frees what holds libcurl and OpenSSL state: hosts still in flight (the
 * callback asked to stop), cached connections, handles.  Runs on the worker's
 * own thread while its OpenSSL library context is still there. */
static void engine_close(struct engine *e)
{
	for (struct host *h = e->active; h; h = h->next_active)
		host_release_data(e, h);
	e->active = NULL;
	e->n_active = 0;
	if (e->multi)
		curl_multi_cleanup(e->multi);
	e->multi = NULL;
	if (e->pool)
		for (int i = 0; i < e->slots; i++)
			for (int k = 0; k < XFERS_PER_HOST; k++) {
				if (e->pool[i].x[k].easy)
					curl_easy_cleanup(e->pool[i].x[k].easy);
				e->pool[i].x[k].easy = NULL;
			}
}

static void engine_release(struct engine *e)
{
	engine_close(e);
	free(e->pool);
	exs_kb_memo_release(&e->memo);
	curl_slist_free_all(e->resolve);
}

static int thread_count(const struct exs_probe_options *o, int conc)
{
	long n = o->threads;

	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n > MAX_THREADS)
			n = MAX_THREADS;
	}
	if (n < 1)
		n = 1;
	return (int)(n < conc ? n : conc);
}

int exs_probe_run(const struct exs_probe_options *o, const struct exs_kb *kb, time_t now,
                  struct exs_target_gen *gen, exs_probe_host_fn on_host,
                  exs_probe_progress_fn on_progress, void *ud, struct exs_probe_stats *stats,
                  struct exs_error *err)
{
	struct shared *s = NULL;
	struct engine *engines = NULL;
	int rc = -1, conc = o->concurrency > 0 ? o->concurrency : 1;
	int nt = thread_count(o, conc), ready = 0;
	bool global = false;

	memset(stats, 0, sizeof(*stats));
	stats->total = exs_target_gen_total(gen);
	/* once, before any thread: curl_easy_init() would do it racily */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		exs_error_set(err, "cannot initialise libcurl");
		goto out;
	}
	global = true;
	s = calloc(1, sizeof(*s));
	engines = calloc((size_t)nt, sizeof(*engines));
	if (!s || !engines) {
		exs_error_set(err, "out of memory for the probe engine");
		goto out;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->o = o;
	s->kb = kb;
	s->now = now;
	s->gen = gen;
	atomic_init(&s->stop, false);
	s->stats = stats;
	s->on_host = on_host;
	s->on_progress = on_progress;
	s->ud = ud;
	s->t0 = now_s();
	for (ready = 0; ready < nt; ready++)
		if (engine_init(&engines[ready], s, conc / nt + (ready < conc % nt), err)) {
			ready++;
			goto out;
		}
	for (int i = 0; i < ready; i++)
		engines[i].private_libctx = nt > 1;
	/* worker 0 runs here; the others in threads of their own */
	rc = 0;
	for (int i = 1; i < nt; i++) {
		if (pthread_create(&engines[i].thread, NULL, engine_loop, &engines[i]) != 0) {
			exs_error_set(err, "cannot start probe thread %d of %d", i + 1, nt);
			atomic_store(&s->stop, true);
			rc = -1;
			break;
		}
		engines[i].thread_started = true;
	}
	engine_loop(&engines[0]);
	for (int i = 1; i < nt; i++)
		if (engines[i].thread_started)
			pthread_join(engines[i].thread, NULL);
out:
	if (s)
		stats->elapsed_s = now_s() - s->t0;
	for (int i = 0; i < ready; i++)
		engine_release(&engines[i]);
	free(engines);
	if (s)
		pthread_mutex_destroy(&s->lock);
	free(s);
	if (global)
		curl_global_cleanup();
	return rc;
}
