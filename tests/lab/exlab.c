/* exlab: an emulated Microsoft Exchange front end for tests, the demo and the
 * benchmark.  Real TLS (OpenSSL) on 0.0.0.0 and [::], a pool of reused
 * threads serving one connection each, HTTP/1.1 keep-alive.  The profile answered is chosen by the
 * local address the client reached:
 *
 *   127.0.1.1  Exchange 2013 CU23 before March 2021 (asset path only)
 *   127.0.1.2  Exchange 2016 CU19 15.1.2176.2 (manifest), ProxyLogon + ProxyShell
 *   127.0.1.3  Exchange 2016 CU19 Mar21SU 15.1.2176.9 (manifest), ProxyShell only
 *   127.0.1.4  Exchange 2019 CU11 Nov22SU 15.2.986.36 (X-OWA-Version)
 *   127.0.1.5  Exchange 2019 CU15 Aug26SU 15.2.1748.49 (X-OWA-Version)
 *   127.0.1.6  Exchange SE Nov26SU 15.2.2562.57 (X-OWA-Version)
 *   127.0.1.7  not Exchange (a plain web server)
 *   127.0.2.1  accepts and never answers
 *   127.0.2.2  TLS handshake fails (plain text answer)
 *   127.0.2.3  huge response headers
 *   127.0.2.4  redirect loop
 *   127.0.2.5  garbage NTLM challenge (otherwise 2019 CU11)
 *   127.0.2.6  expired certificate for another name (otherwise 2019 CU11)
 *   127.0.2.7  answers each response after a 1.5 s delay (otherwise 2019 CU15)
 *   127.0.2.8  2013 CU23 redirecting /owa/ to its canonical name mail.lab.example
 *   127.0.2.9  2016 CU19 answering 401 to the autodiscover.json ProxyShell check,
 *              while its /mapi/nspi variant reaches the MAPI page (vulnerable)
 *   127.0.2.10 2019 CU11 Nov22SU answering 401 to both (undecided)
 *   127.0.2.11 2019 CU11 with its security updates, showing only the asset path
 *              (a CU-level build: ProxyToken is asked and not found)
 *   127.0.2.12 closes the connection (cleanly, TLS close_notify) in the middle
 *              of the response headers
 *   127.0.2.13 one 10 MB response header line
 *   127.0.2.14 a phishing kit's copy of the OWA logon page: that page (asset
 *              paths, OWA markers) with 200 on every path, none of
 *              Exchange's headers, manifest, NTLM or SSRF behaviour
 *   127.0.2.15 SE Feb26SU 15.2.2562.37 with OWA and ECP blocked (403/404
 *              without Exchange headers); EWS answers NTLM with X-FEServer,
 *              autodiscover with X-OWA-Version
 *   127.0.2.16 2019 CU15 Feb26SU 15.2.1748.43 with the CVE-2026-42897
 *              mitigation M2.1.0 (a Content-Security-Policy header on OWA's
 *              HTML pages; the real rule's value is not known here)
 *   127.0.2.17 2019 CU14 Sep26SU 15.2.1544.46 showing only the asset path and
 *              no /ecp/Current/ manifest: the manifest answers only under the
 *              update's own folder /ecp/15.2.1544.46/exporttool/
 *   127.0.2.18 2016 CU23 May22SU 15.1.2507.9 publishing only ActiveSync and
 *              EWS: OWA, ECP and autodiscover blocked (403 without Exchange
 *              headers), EWS answers NTLM with X-FEServer, and ActiveSync's
 *              OPTIONS answers 401 with X-OWA-Version and MS-Server-ActiveSync
 * Builds before the July 2021 update answer the ProxyToken request like a
 * vulnerable server (403 from the back end).
 *   ::1        like 127.0.1.4
 *   127.3.b.c  the Exchange profiles 1-6 in turn by c % 6, each response after
 *              a 1.5 s delay (slow hosts for bench/probe)
 *   any other 127.a.b.c: the Exchange profiles 1-6 in turn by c % 6
 *
 * The certificate and key are generated at start (never stored).  Usage:
 *   exlab [-p PORT] [-f PORTFILE]
 * With port 0 (default) the kernel picks a port, written to PORTFILE.
 * Test helper only: never part of libexscan.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum behaviour {
	B_NORMAL,
	B_SILENT,
	B_PLAINTEXT,
	B_HUGE_HEADERS,
	B_REDIRECT_LOOP,
	B_GARBAGE_NTLM,
	B_BAD_CERT,
	B_SLOW,
	B_CANONICAL,
	B_AUTODISCOVER_401,
	B_CUT_HEADERS,
	B_GIANT_LINE,
	B_OWA_COPY,
	B_MITIGATED,
	B_OWA_BLOCKED,
	B_ACTIVESYNC_ONLY,
};

/* Stands in for the header M2.1.0 adds (its real value is not known here). */
static const char LAB_CSP[] = "default-src 'self'; script-src 'self' 'nonce-exlab'; "
                              "object-src 'none'; base-uri 'self'";

struct profile {
	const char *name;
	bool exchange;
	const char *asset;       /* major.minor.build in OWA asset paths */
	const char *owa_version; /* X-OWA-Version header, or NULL */
	const char *manifest;    /* exporttool manifest version, or NULL */
	bool proxylogon;         /* CVE-2021-26855 cookie check answers like a vulnerable server */
	bool proxyshell;         /* autodiscover.json answers 302 */
	const char *computer;    /* NetBIOS computer name */
	unsigned os_major, os_minor, os_build;
	enum behaviour behaviour;
	bool proxytoken; /* CVE-2021-33766: a bare SecurityToken cookie reaches the back end */
	const char *ecp_build; /* the manifest answers only under /ecp/<this>/, or NULL */
};

static const struct profile profiles[] = {
        [1] = {"exchange-2013-cu23", true, "15.0.1497", NULL, NULL, true, true, "EX2013", 6, 3,
               9600, B_NORMAL, true},
        [2] = {"exchange-2016-cu19", true, "15.1.2176", NULL, "15.1.2176.2", true, true, "EX2016A",
               10, 0, 14393, B_NORMAL, true},
        [3] = {"exchange-2016-cu19-mar21su", true, "15.1.2176", NULL, "15.1.2176.9", false, true,
               "EX2016B", 10, 0, 14393, B_NORMAL, true},
        [4] = {"exchange-2019-cu11-nov22su", true, "15.2.986", "15.2.986.36", "15.2.986.5", false,
               false, "EX2019A", 10, 0, 17763, B_NORMAL},
        [5] = {"exchange-2019-cu15-aug26su", true, "15.2.1748", "15.2.1748.49", NULL, false, false,
               "EX2019B", 10, 0, 20348, B_NORMAL},
        [6] = {"exchange-se-nov26su", true, "15.2.2562", "15.2.2562.57", NULL, false, false,
               "EXSE01", 10, 0, 20348, B_NORMAL},
        [7] = {"plain-web-server", false, NULL, NULL, NULL, false, false, NULL, 0, 0, 0, B_NORMAL},
        [8] = {"silent", false, NULL, NULL, NULL, false, false, NULL, 0, 0, 0, B_SILENT},
        [9] = {"plaintext", false, NULL, NULL, NULL, false, false, NULL, 0, 0, 0, B_PLAINTEXT},
        [10] = {"huge-headers", true, "15.2.986", "15.2.986.36", NULL, false, false, "EXHUGE", 10,
                0, 17763, B_HUGE_HEADERS},
        [11] = {"redirect-loop", false, NULL, NULL, NULL, false, false, NULL, 0, 0, 0,
                B_REDIRECT_LOOP},
        [12] = {"garbage-ntlm", true, "15.2.986", "15.2.986.36", NULL, false, false, "EXNTLM", 10,
                0, 17763, B_GARBAGE_NTLM},
        [13] = {"bad-certificate", true, "15.2.986", "15.2.986.36", NULL, false, false, "EXCERT",
                10, 0, 17763, B_BAD_CERT},
        [14] = {"slow", true, "15.2.1748", "15.2.1748.49", NULL, false, false, "EXSLOW", 10, 0,
                20348, B_SLOW},
        [15] = {"canonical-redirect", true, "15.0.1497", NULL, NULL, true, true, "EXCANON", 6, 3,
                9600, B_CANONICAL, true},
        [16] = {"proxyshell-401-vulnerable", true, "15.1.2176", NULL, "15.1.2176.2", false, true,
                "EX401A", 10, 0, 14393, B_AUTODISCOVER_401, true},
        [17] = {"proxyshell-401-patched", true, "15.2.986", "15.2.986.36", NULL, false, false,
                "EX401B", 10, 0, 17763, B_AUTODISCOVER_401},
        [18] = {"exchange-2019-cu11-asset-only", true, "15.2.986", NULL, NULL, false, false,
                "EXCUONLY", 10, 0, 17763, B_NORMAL, false},
        [19] = {"cut-headers", true, "15.2.986", "15.2.986.36", NULL, false, false, "EXCUT", 10, 0,
                17763, B_CUT_HEADERS},
        [20] = {"giant-header-line", true, "15.2.986", "15.2.986.36", NULL, false, false, "EXGIANT",
                10, 0, 17763, B_GIANT_LINE},
        [21] = {"owa-copy", false, "15.1.2507", NULL, NULL, false, false, NULL, 0, 0, 0,
                B_OWA_COPY},
        [22] = {"exchange-se-feb26su-owa-blocked", true, "15.2.2562", "15.2.2562.37", NULL, false,
                false, "EXBLOCK", 10, 0, 20348, B_OWA_BLOCKED},
        [23] = {"exchange-2019-cu15-feb26su-mitigated", true, "15.2.1748", "15.2.1748.43", NULL,
                false, false, "EXMITIG", 10, 0, 20348, B_MITIGATED},
        [24] = {"exchange-2019-cu14-ecp-build-only", true, "15.2.1544", NULL, NULL, false, false,
                "EXECP", 10, 0, 17763, B_NORMAL, false, "15.2.1544.46"},
        [25] = {"exchange-2016-cu23-activesync-only", true, "15.1.2507", "15.1.2507.9", NULL, false,
                false, "EXEAS", 10, 0, 14393, B_ACTIVESYNC_ONLY},
};

static SSL_CTX *good_ctx, *bad_ctx;

static const struct profile *profile_for(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return &profiles[1 + s6->sin6_addr.s6_addr[15] % 6];
		return &profiles[4];
	}
	uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
	unsigned b2 = (a >> 8) & 0xff, b3 = a & 0xff, b1 = (a >> 16) & 0xff;

	if (b1 == 0 && b2 == 1 && b3 >= 1 && b3 <= 7)
		return &profiles[b3];
	if (b1 == 0 && b2 == 2 && b3 >= 1 && b3 <= 18)
		return &profiles[7 + b3];
	return &profiles[1 + b3 % 6];
}

static bool slow_range(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET &&
	       (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 16) == 0x7f03;
}

/* ---- certificates ---- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *sans, long from_days,
                       long to_days)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	unsigned char serial[8];

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400L);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400L);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"exscan lab", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans);
	if (ext) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static SSL_CTX *make_ctx(EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	return ctx;
}

/* ---- NTLM (MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE) ---- */

static size_t put_utf16(unsigned char *p, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		p[n++] = (unsigned char)*s;
		p[n++] = 0;
	}
	return n;
}

static size_t put_av(unsigned char *p, unsigned id, const char *s)
{
	size_t n = put_utf16(p + 4, s);

	p[0] = id & 0xff;
	p[1] = id >> 8;
	p[2] = n & 0xff;
	p[3] = n >> 8;
	return n + 4;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static size_t ntlm_challenge(const struct profile *pr, unsigned char *m)
{
	char dns_host[96];
	size_t off = 56, tn, ti_start, n;
	uint64_t ft = ((uint64_t)time(NULL) + 11644473600ULL) * 10000000ULL;

	snprintf(dns_host, sizeof(dns_host), "%s.lab.example", pr->computer);
	for (char *c = dns_host; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	memset(m, 0, 56);
	memcpy(m, "NTLMSSP", 8);
	put32(m + 8, 2);
	tn = put_utf16(m + off, "LAB");
	put16(m + 12, (unsigned)tn);
	put16(m + 14, (unsigned)tn);
	put32(m + 16, (uint32_t)off);
	off += tn;
	put32(m + 20, 0xe28a8215u); /* unicode, target, sign, ntlm, always sign, domain, ess,
	                             * target info, version, 128, key exch, 56 */
	RAND_bytes(m + 24, 8);
	ti_start = off;
	off += put_av(m + off, 2, "LAB");
	off += put_av(m + off, 1, pr->computer);
	off += put_av(m + off, 4, "lab.example");
	off += put_av(m + off, 3, dns_host);
	off += put_av(m + off, 5, "lab.example");
	put16(m + off, 7);
	put16(m + off + 2, 8);
	for (int i = 0; i < 8; i++)
		m[off + 4 + i] = (ft >> (8 * i)) & 0xff;
	off += 12;
	put32(m + off, 0); /* MsvAvEOL */
	off += 4;
	n = off - ti_start;
	put16(m + 40, (unsigned)n);
	put16(m + 42, (unsigned)n);
	put32(m + 44, (uint32_t)ti_start);
	m[48] = (unsigned char)pr->os_major;
	m[49] = (unsigned char)pr->os_minor;
	put16(m + 50, pr->os_build);
	m[55] = 15; /* NTLMSSP_REVISION_W2K3 */
	return off;
}

static bool is_ntlm_negotiate(const char *auth)
{
	unsigned char raw[512];
	int n;
	size_t len;

	if (strncasecmp(auth, "NTLM ", 5) != 0)
		return false;
	auth += 5;
	len = strcspn(auth, "\r\n ");
	if (len == 0 || len > 600 || len % 4)
		return false;
	n = EVP_DecodeBlock(raw, (const unsigned char *)auth, (int)len);
	return n >= 16 && memcmp(raw, "NTLMSSP", 8) == 0 && raw[8] == 1 && raw[9] == 0;
}

/* ---- HTTP ---- */

struct req {
	char method[16];
	char path[2048];
	char host[256];
	char cookie[1024];
	char auth[1024];
	bool close;
};

static int io_write(SSL *ssl, const char *p, size_t n)
{
	while (n > 0) {
		int w = SSL_write(ssl, p, n > 65536 ? 65536 : (int)n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void header_value(const char *line, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;

		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
	}
}

/* Reads one request head into r (body skipped). 0 ok, -1 closed or bad. */
static int read_request(SSL *ssl, char *buf, size_t cap, size_t *have, struct req *r)
{
	char *end;
	size_t clen = 0;

	for (;;) {
		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		if (*have >= cap - 1)
			return -1;
		int n = SSL_read(ssl, buf + *have, (int)(cap - 1 - *have));
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
	memset(r, 0, sizeof(*r));
	if (sscanf(buf, "%15s %2047s", r->method, r->path) != 2)
		return -1;
	for (char *l = strstr(buf, "\r\n") + 2; l < end; l = strstr(l, "\r\n") + 2) {
		char tmp[32] = "";

		header_value(l, "Host", r->host, sizeof(r->host));
		header_value(l, "Cookie", r->cookie, sizeof(r->cookie));
		header_value(l, "Authorization", r->auth, sizeof(r->auth));
		header_value(l, "Content-Length", tmp, sizeof(tmp));
		if (tmp[0])
			clen = strtoul(tmp, NULL, 10);
		tmp[0] = '\0';
		header_value(l, "Connection", tmp, sizeof(tmp));
		if (strcasecmp(tmp, "close") == 0)
			r->close = true;
	}
	if (!r->host[0])
		snprintf(r->host, sizeof(r->host), "localhost");
	size_t used = (size_t)(end + 4 - buf);
	memmove(buf, buf + used, *have - used);
	*have -= used;
	/* discard a body, if any */
	while (clen > 0) {
		if (*have > 0) {
			size_t d = *have < clen ? *have : clen;
			memmove(buf, buf + d, *have - d);
			*have -= d;
			clen -= d;
			continue;
		}
		int n = SSL_read(ssl, buf, (int)(cap - 1));
		if (n <= 0)
			return -1;
		*have = (size_t)n;
	}
	return 0;
}

static int respond(SSL *ssl, int status, const char *reason, const char *extra_headers,
                   const char *body, const struct req *r)
{
	char head[16384];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Length: %zu\r\n"
	                 "%s"
	                 "%s\r\n",
	                 status, reason, blen, extra_headers ? extra_headers : "",
	                 r->close ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	/* headers and a small body in one TLS record, as a real server would */
	if ((size_t)n + blen < sizeof(head)) {
		memcpy(head + n, body ? body : "", blen);
		return io_write(ssl, head, (size_t)n + blen);
	}
	if (io_write(ssl, head, (size_t)n) || (blen && io_write(ssl, body, blen)))
		return -1;
	return 0;
}

static const char logon_page[] =
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\r\n"
        "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\r\n"
        "<html>\r\n<head>\r\n<meta http-equiv=\"X-UA-Compatible\" content=\"IE=10\" />\r\n"
        "<link rel=\"shortcut icon\" href=\"/owa/auth/%s/themes/resources/favicon.ico\" "
        "type=\"image/x-icon\">\r\n"
        "<title>Outlook</title>\r\n"
        "<link rel=\"stylesheet\" href=\"/owa/auth/%s/themes/resources/logon.css\">\r\n"
        "<script type=\"text/javascript\">\r\nfunction IsOwaPremiumBrowser(){return true;}\r\n"
        "</script>\r\n</head>\r\n<body class=\"signInBg\">\r\n"
        "<!-- OwaPage = ASP.auth_logon_aspx -->\r\n"
        "<form action=\"/owa/auth.owa\" method=\"POST\" name=\"logonForm\">\r\n"
        "<input type=\"text\" id=\"username\" name=\"username\">\r\n"
        "</form>\r\n</body>\r\n</html>\r\n";

static const char manifest_xml[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
        "<asmv1:assembly xsi:schemaLocation=\"urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd\" "
        "manifestVersion=\"1.0\" xmlns:asmv1=\"urn:schemas-microsoft-com:asm.v1\" "
        "xmlns=\"urn:schemas-microsoft-com:asm.v2\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\r\n"
        "  <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" "
        "version=\"%s\" publicKeyToken=\"b1d1a6c45aa418ce\" language=\"neutral\" "
        "processorArchitecture=\"msil\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\r\n"
        "  <description asmv2:publisher=\"Microsoft Corporation\" "
        "asmv2:product=\"Microsoft Exchange eDiscovery Export Tool\" "
        "xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\r\n"
        "</asmv1:assembly>\r\n";

static bool path_is(const char *path, const char *prefix)
{
	return strncasecmp(path, prefix, strlen(prefix)) == 0;
}

static int serve_exchange(SSL *ssl, const struct profile *pr, const struct req *r)
{
	char hdr[4096], body[8192];
	int n = 0;

	if ((pr->behaviour == B_OWA_BLOCKED &&
	     (path_is(r->path, "/owa") || path_is(r->path, "/ecp"))) ||
	    (pr->behaviour == B_ACTIVESYNC_ONLY &&
	     (path_is(r->path, "/owa") || path_is(r->path, "/ecp") ||
	      path_is(r->path, "/autodiscover")))) {
		/* blocked in front of Exchange: nothing of Exchange comes back */
		return respond(ssl, path_is(r->path, "/owa") ? 403 : 404, "Blocked",
		               "Server: Microsoft-IIS/10.0\r\nContent-Type: text/html\r\n",
		               "<html><body>Access denied</body></html>\r\n", r);
	}
	n = snprintf(hdr, sizeof(hdr), "Server: Microsoft-IIS/10.0\r\nX-FEServer: %s\r\n",
	             pr->computer);
	/* with OWA blocked, only autodiscover names the build */
	if (pr->owa_version &&
	    (pr->behaviour == B_ACTIVESYNC_ONLY
	             ? path_is(r->path, "/Microsoft-Server-ActiveSync")
	             : pr->behaviour != B_OWA_BLOCKED ||
	                       path_is(r->path, "/autodiscover/autodiscover.xml")))
		n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "X-OWA-Version: %s\r\n",
		              pr->owa_version);
	if (pr->behaviour == B_REDIRECT_LOOP)
		return respond(ssl, 302, "Found", "Location: /owa/auth/again\r\n", NULL, r);
	if (strcasecmp(r->path, "/owa") == 0 || strcasecmp(r->path, "/owa/") == 0) {
		snprintf(
		        hdr + n, sizeof(hdr) - (size_t)n,
		        "Location: https://%s/owa/auth/logon.aspx?url=https%%3a%%2f%%2f%s%%2fowa%%2f"
		        "&reason=0\r\nSet-Cookie: ClientId=0B4C6B2E; path=/; secure\r\n",
		        pr->behaviour == B_CANONICAL ? "mail.lab.example" : r->host, r->host);
		return respond(ssl, 302, "Found", hdr, NULL, r);
	}
	if (path_is(r->path, "/owa/auth/logon.aspx")) {
		snprintf(body, sizeof(body), logon_page, pr->asset, pr->asset);
		n += snprintf(hdr + n, sizeof(hdr) - (size_t)n,
		              "Content-Type: text/html; charset=utf-8\r\n"
		              "Set-Cookie: OutlookSession=3f1e; path=/; secure; HttpOnly\r\n");
		if (pr->behaviour == B_MITIGATED)
			snprintf(hdr + n, sizeof(hdr) - (size_t)n,
			         "Content-Security-Policy: %s\r\n", LAB_CSP);
		return respond(ssl, 200, "OK", hdr, body, r);
	}
	if (path_is(r->path, "/owa/auth/x.js")) {
		if (strstr(r->cookie, "X-BEResource=localhost") && pr->proxylogon) {
			snprintf(hdr + n, sizeof(hdr) - (size_t)n,
			         "X-CalculatedBETarget: localhost\r\n");
			return respond(ssl, 500, "Internal Server Error", hdr, "", r);
		}
		return respond(ssl, 404, "Not Found", hdr, "", r);
	}
	if (path_is(r->path, "/autodiscover/autodiscover.json")) {
		if (strstr(r->path, "/mapi/nspi") && pr->proxyshell &&
		    strstr(r->cookie, "Email=autodiscover/autodiscover.json")) {
			/* the SSRF reached the back end's MAPI endpoint */
			snprintf(
			        body, sizeof(body),
			        "<html><head><title>Exchange MAPI/HTTP Connectivity "
			        "Endpoint</title></head><body>Exchange MAPI/HTTP Connectivity "
			        "Endpoint<br><br>Version: %s<br>Vdir Path: /mapi/nspi/<br></body></html>",
			        pr->manifest ? pr->manifest : pr->asset);
			snprintf(hdr + n, sizeof(hdr) - (size_t)n, "Content-Type: text/html\r\n");
			return respond(ssl, 200, "OK", hdr, body, r);
		}
		if (pr->behaviour == B_AUTODISCOVER_401) {
			snprintf(hdr + n, sizeof(hdr) - (size_t)n,
			         "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n");
			return respond(ssl, 401, "Unauthorized", hdr, "", r);
		}
		if (strstr(r->path, "/owa/") && pr->proxyshell) {
			snprintf(hdr + n, sizeof(hdr) - (size_t)n,
			         "Location: https://%s/owa/auth/errorFE.aspx?httpCode=500\r\n",
			         r->host);
			return respond(ssl, 302, "Found", hdr, NULL, r);
		}
		return respond(ssl, 400, "Bad Request", hdr, "", r);
	}
	if (path_is(r->path, "/ecp/") && strstr(r->path, "/PersonalSettings/HomePage.aspx") &&
	    strstr(r->cookie, "SecurityToken=")) {
		if (pr->proxytoken) {
			/* past authentication: the back end looks for the mailbox */
			snprintf(
			        hdr + n, sizeof(hdr) - (size_t)n,
			        "X-ECP-ERROR: Microsoft.Exchange.Data.Storage.ObjectNotFoundException\r\n"
			        "Set-Cookie: X-BEResource=%s/ecp/~1941962753; path=/ecp; secure\r\n"
			        "Content-Type: text/html; charset=utf-8\r\n",
			        pr->computer);
			return respond(ssl, 403, "Forbidden", hdr,
			               "<html><head><script>function signOut() { "
			               "window.location.href = '/owa/logoff.owa'; }</script></head>"
			               "<body><div>Error <span id=\"msgCode\">403</span></div>"
			               "</body></html>",
			               r);
		}
		snprintf(
		        hdr + n, sizeof(hdr) - (size_t)n,
		        "Location: https://%s/owa/auth/logon.aspx?url=https%%3a%%2f%%2f%s%%2fecp%%2f"
		        "&reason=0\r\n",
		        r->host, r->host);
		return respond(ssl, 302, "Found", hdr, NULL, r);
	}
	if (pr->ecp_build && path_is(r->path, "/ecp/")) {
		char want[256];

		snprintf(want, sizeof(want),
		         "/ecp/%s/exporttool/microsoft.exchange.ediscovery.exporttool.application",
		         pr->ecp_build);
		if (strcasecmp(r->path, want) == 0) {
			snprintf(body, sizeof(body), manifest_xml, pr->ecp_build);
			snprintf(hdr + n, sizeof(hdr) - (size_t)n,
			         "Content-Type: application/x-ms-application\r\n");
			return respond(ssl, 200, "OK", hdr, body, r);
		}
	}
	if (path_is(r->path,
	            "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application")) {
		if (!pr->manifest)
			return respond(ssl, 404, "Not Found", hdr, "", r);
		snprintf(body, sizeof(body), manifest_xml, pr->manifest);
		snprintf(hdr + n, sizeof(hdr) - (size_t)n,
		         "Content-Type: application/x-ms-application\r\n");
		return respond(ssl, 200, "OK", hdr, body, r);
	}
	if (path_is(r->path, "/Microsoft-Server-ActiveSync")) {
		/* OPTIONS without credentials: 401 from the front end */
		snprintf(hdr + n, sizeof(hdr) - (size_t)n,
		         "%sWWW-Authenticate: Basic realm=\"%s\"\r\n",
		         pr->behaviour == B_ACTIVESYNC_ONLY ? "MS-Server-ActiveSync: 15.1\r\n" : "",
		         r->host);
		return respond(ssl, 401, "Unauthorized", hdr, "", r);
	}
	if (path_is(r->path, "/EWS/") || path_is(r->path, "/rpc/") || path_is(r->path, "/mapi/") ||
	    path_is(r->path, "/autodiscover/autodiscover.xml")) {
		if (is_ntlm_negotiate(r->auth)) {
			unsigned char msg[1024];
			unsigned char b64[1500];
			size_t len = ntlm_challenge(pr, msg);

			if (pr->behaviour == B_GARBAGE_NTLM) {
				/* a message that claims far more target info than it holds */
				memcpy(msg, "NTLMSSP", 8);
				put32(msg + 8, 2);
				put16(msg + 40, 0xfff0);
				put32(msg + 44, 0x7ffffff0);
				len = 48;
			}
			EVP_EncodeBlock(b64, msg, (int)len);
			snprintf(hdr + n, sizeof(hdr) - (size_t)n, "WWW-Authenticate: NTLM %s\r\n",
			         b64);
			return respond(ssl, 401, "Unauthorized", hdr, "", r);
		}
		snprintf(hdr + n, sizeof(hdr) - (size_t)n,
		         "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n");
		return respond(ssl, 401, "Unauthorized", hdr, "", r);
	}
	return respond(ssl, 404, "Not Found", hdr, "", r);
}

static int serve_plain(SSL *ssl, const struct profile *pr, const struct req *r)
{
	static const char hdr[] = "Server: nginx/1.22.1\r\nContent-Type: text/html\r\n";

	if (pr->behaviour == B_OWA_COPY) {
		char body[8192];

		/* the kit answers every path, whatever the method, with its page */
		snprintf(body, sizeof(body), logon_page, pr->asset, pr->asset);
		return respond(ssl, 200, "OK", hdr, body, r);
	}
	if (pr->behaviour == B_REDIRECT_LOOP) {
		if (path_is(r->path, "/owa/"))
			return respond(ssl, 302, "Found", "Location: /owa/auth/loop\r\n", NULL, r);
		return respond(ssl, 302, "Found", "Location: /owa/\r\n", NULL, r);
	}
	if (strcmp(r->path, "/") == 0)
		return respond(
		        ssl, 200, "OK", hdr,
		        "<html><head><title>Welcome</title></head><body>It works.</body></html>\n",
		        r);
	return respond(ssl, 404, "Not Found", hdr, "<html><body>404 Not Found</body></html>\n", r);
}

static int serve_huge(SSL *ssl, const struct req *r)
{
	char line[1100];
	char head[] = "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n";

	if (io_write(ssl, head, sizeof(head) - 1))
		return -1;
	memset(line, 'A', sizeof(line));
	memcpy(line, "X-Padding: ", 11);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 1000; i++) /* about 1 MB of headers */
		if (io_write(ssl, line, sizeof(line)))
			return -1;
	(void)r;
	return io_write(ssl, "Content-Length: 0\r\n\r\n", 21);
}

/* The status line and the start of the headers, then the end of the
 * connection in the middle of a header line: before X-OWA-Version, so what
 * arrived does not show Exchange. */
static int serve_cut(SSL *ssl)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n"
	                           "X-FEServer: EXCUT\r\nX-OWA-Vers";

	return io_write(ssl, head, sizeof(head) - 1);
}

/* One header line of 10 MB: past libcurl's own limit for a line (100 KiB),
 * so it never reaches exscan's header callback. */
static int serve_giant_line(SSL *ssl)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nX-Filler: ";
	static const char tail[] = "\r\nContent-Length: 0\r\n\r\n";
	char chunk[65536];

	if (io_write(ssl, head, sizeof(head) - 1))
		return -1;
	memset(chunk, 'A', sizeof(chunk));
	for (int i = 0; i < 160; i++) /* 10 MiB */
		if (io_write(ssl, chunk, sizeof(chunk)))
			return -1;
	return io_write(ssl, tail, sizeof(tail) - 1);
}

/* Connections wait here for a worker; workers are kept and reused, and a new
 * one starts only when none is idle (silent and slow profiles hold theirs). */
#define QUEUE_CAP 65536
static struct {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int fds[QUEUE_CAP];
	size_t head, len;
	int idle;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static void serve_conn(int fd);

static void *worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd;

		pthread_mutex_lock(&queue.lock);
		queue.idle++;
		while (queue.len == 0)
			pthread_cond_wait(&queue.ready, &queue.lock);
		queue.idle--;
		fd = queue.fds[queue.head];
		queue.head = (queue.head + 1) % QUEUE_CAP;
		queue.len--;
		pthread_mutex_unlock(&queue.lock);
		serve_conn(fd);
	}
	return NULL;
}

/* Queues fd; false when it could not be queued (caller closes it). */
static bool hand_over(int fd, pthread_attr_t *attr)
{
	bool spawn;

	pthread_mutex_lock(&queue.lock);
	if (queue.len == QUEUE_CAP) {
		pthread_mutex_unlock(&queue.lock);
		return false;
	}
	queue.fds[(queue.head + queue.len) % QUEUE_CAP] = fd;
	queue.len++;
	spawn = (size_t)queue.idle < queue.len;
	pthread_cond_signal(&queue.ready);
	pthread_mutex_unlock(&queue.lock);
	if (spawn) {
		pthread_t t;

		/* on failure the connection waits for a busy worker */
		if (pthread_create(&t, attr, worker_main, NULL))
			perror("exlab: pthread_create");
	}
	return true;
}

static void serve_conn(int fd)
{
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	const struct profile *pr;
	SSL *ssl = NULL;
	char *buf = NULL;
	size_t have = 0;
	const size_t cap = 32768;

	if (getsockname(fd, (struct sockaddr *)&local, &sl))
		goto out;
	pr = profile_for(&local);
	if (pr->behaviour == B_SILENT) {
		char sink[512];

		/* hold the connection until the client gives up */
		while (read(fd, sink, sizeof(sink)) > 0)
			;
		goto out;
	}
	if (pr->behaviour == B_PLAINTEXT) {
		static const char msg[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		char sink[512];

		if (read(fd, sink, sizeof(sink)) > 0 && write(fd, msg, sizeof(msg) - 1) < 0)
			goto out;
		goto out;
	}
	ssl = SSL_new(pr->behaviour == B_BAD_CERT ? bad_ctx : good_ctx);
	if (!ssl)
		goto out;
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto out;
	buf = malloc(cap);
	if (!buf)
		goto out;
	for (;;) {
		struct req r;
		int rc;

		if (read_request(ssl, buf, cap, &have, &r))
			break;
		if (pr->behaviour == B_SLOW || slow_range(&local))
			usleep(1500 * 1000);
		if (pr->behaviour == B_CUT_HEADERS) {
			serve_cut(ssl);
			break; /* SSL_shutdown: a clean end, not a network error */
		}
		if (pr->behaviour == B_HUGE_HEADERS)
			rc = serve_huge(ssl, &r);
		else if (pr->behaviour == B_GIANT_LINE)
			rc = serve_giant_line(ssl);
		else if (pr->exchange)
			rc = serve_exchange(ssl, pr, &r);
		else
			rc = serve_plain(ssl, pr, &r);
		if (rc || r.close)
			break;
	}
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	free(buf);
	close(fd);
}

static int listen_on(int family, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)*port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)*port);
		s6->sin6_addr = in6addr_any;
		sl = sizeof(*s6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	const char *portfile = NULL;
	int opt, fds[2], nfds = 0;
	EVP_PKEY *key;
	X509 *good, *bad;
	pthread_attr_t attr;

	while ((opt = getopt(argc, argv, "p:f:")) != -1) {
		if (opt == 'p')
			port = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'f')
			portfile = optarg;
		else {
			fprintf(stderr, "usage: exlab [-p PORT] [-f PORTFILE]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	key = EVP_RSA_gen(2048);
	good = key ? make_cert(key, "mail.lab.example",
	                       "DNS:mail.lab.example,DNS:autodiscover.lab.example,IP:127.0.0.1", -1,
	                       365)
	           : NULL;
	bad = key ? make_cert(key, "old.example.net", "DNS:old.example.net", -400, -30) : NULL;
	good_ctx = good ? make_ctx(key, good) : NULL;
	bad_ctx = bad ? make_ctx(key, bad) : NULL;
	if (!good_ctx || !bad_ctx) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "exlab: cannot create the lab certificate\n");
		return 1;
	}
	fds[nfds] = listen_on(AF_INET, &port);
	if (fds[nfds] < 0) {
		perror("exlab: listen on 0.0.0.0");
		return 1;
	}
	nfds++;
	fds[nfds] = listen_on(AF_INET6, &port);
	if (fds[nfds] >= 0)
		nfds++;
	if (portfile) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) || rename(tmp, portfile)) {
			perror("exlab: port file");
			return 1;
		}
	} else {
		printf("%u\n", port);
		fflush(stdout);
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct pollfd p[2];

		for (int i = 0; i < nfds; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
		}
		if (poll(p, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (int i = 0; i < nfds; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			int fd = accept(fds[i], NULL, NULL);
			if (fd < 0)
				continue;
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (!hand_over(fd, &attr))
				close(fd);
		}
	}
}
