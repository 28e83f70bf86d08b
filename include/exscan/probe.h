/* exscan probe: fingerprint Exchange over HTTPS and run safe checks, many
 * hosts at once (one libcurl multi loop).
 *
 * Ownership: struct exs_probe_options is embedded in struct exs_config; its
 * strings are borrowed from argv.  A struct exs_target_gen is created with
 * exs_target_gen_new() and freed with exs_target_gen_free(); it borrows the
 * argument strings and owns the input FILE it opened.  struct exs_target and
 * struct exs_target_spec are plain values.  A struct exs_probe_result handed
 * to the callback of exs_probe_run() is owned by the engine and valid only
 * during the call: every string in it is raw server data (escape on output).
 * The parsers (exs_fp_*, exs_ntlm_*) only read their input and fill caller
 * storage; exs_ntlm_info_release() frees the strings of a decoded challenge.
 */
#ifndef EXSCAN_PROBE_H
#define EXSCAN_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "exscan/error.h"
#include "exscan/kb.h"
#include "exscan/shard.h"
#include "exscan/version.h"

#define EXS_PROBE_MAX_RESOLVE 16

struct exs_probe_options {
	const char *input;       /* -i FILE or "-" for stdin; NULL: arguments only */
	int concurrency;         /* hosts in flight */
	int threads;             /* worker threads sharing them; 0: one per core (at most 8) */
	double rate;             /* new hosts per second; 0: unlimited */
	long timeout_ms;         /* per request */
	long connect_timeout_ms; /* TCP + TLS handshake */
	long host_timeout_ms;    /* whole host */
	int retries;             /* extra attempts after a failed connect */
	bool active_checks;      /* false: --no-active-checks */
	bool tls_verify;         /* reject untrusted certificates too (no fingerprint then) */
	const char *sni;         /* --sni NAME: SNI and Host when scanning an address */
	const char *proxy;       /* --proxy URL; NULL: libcurl's environment variables */
	const char *resolve[EXS_PROBE_MAX_RESOLVE]; /* HOST:PORT:ADDRESS */
	int n_resolve;
	bool progress; /* show a progress line (set by the CLI when stderr is a terminal) */
	struct exs_shard shard; /* --shard K/N: this machine's part of the targets */
	/* When not NULL and non-zero (set by a signal handler), the scan stops
	 * within a poll interval: hosts in flight are dropped unreported and
	 * exs_probe_run() returns normally. */
	const volatile sig_atomic_t *interrupt;
};

void exs_probe_options_init(struct exs_probe_options *o);

/* ---- targets ---- */

enum exs_target_kind {
	EXS_TARGET_NAME,
	EXS_TARGET_IPV4,
	EXS_TARGET_IPV6,
	EXS_TARGET_CIDR4,
	EXS_TARGET_CIDR6,
};

struct exs_target_spec {
	enum exs_target_kind kind;
	char host[256];         /* name or address text (no brackets) */
	unsigned char addr[16]; /* IPV4/CIDR4: first 4 bytes; network address for CIDR */
	unsigned prefix;        /* CIDR prefix length */
	unsigned port;
};

struct exs_target {
	char host[256];  /* name or address literal as given (no brackets) */
	bool is_address; /* an IP literal: connect there, SNI only with --sni */
	bool ipv6;
	unsigned port;
};

/* Parses one target: name, IPv4/IPv6 literal, host:port, [v6]:port,
 * https://host[:port][/path], CIDR, CIDR:port, [v6/len]:port.  Returns 0, or
 * -1 with a message naming the text. */
int exs_target_spec_parse(const char *text, size_t n, struct exs_target_spec *out,
                          struct exs_error *err);
/* Number of addresses a spec stands for, saturated at UINT64_MAX. */
uint64_t exs_target_spec_count(const struct exs_target_spec *s);

struct exs_target_gen;
/* A target line of the input longer than this (its line end not counted) is
 * a bad target; the rest of it is read and dropped, never kept in memory. */
#define EXS_TARGET_LINE_MAX 4096
/* args: positional targets (borrowed); input: NULL, a file name or "-". */
struct exs_target_gen *exs_target_gen_new(char **args, int nargs, const char *input,
                                          struct exs_error *err);
void exs_target_gen_free(struct exs_target_gen *g);
/* A flag (a signal handler's) that, once set, ends the input: reading stops
 * even inside an endless line.  Borrowed; NULL for none. */
void exs_target_gen_set_interrupt(struct exs_target_gen *g, const volatile sig_atomic_t *flag);
/* 1: *t filled; 0: no more targets; -1: a bad target (err names it; call again
 * to go on with the next one). CIDR blocks are walked, never expanded. */
int exs_target_gen_next(struct exs_target_gen *g, struct exs_target *t, struct exs_error *err);
/* Total number of targets when known in advance (arguments only), else 0;
 * with a shard set, the number of targets in the shard. */
uint64_t exs_target_gen_total(const struct exs_target_gen *g);
/* Restricts the stream to one shard: the i-th target (0-based, counting every
 * address of every CIDR block and every target line of the input; comments
 * and blank lines do not count) is returned only when it belongs to s (see
 * exscan/shard.h).  A bad target is reported by the shard it falls in.  Call
 * before the first exs_target_gen_next(). */
void exs_target_gen_set_shard(struct exs_target_gen *g, const struct exs_shard *s);

/* ---- parsers of server data (fuzzed) ---- */

/* Finds the first OWA asset path version (/owa/15.1.2176/, /owa/auth/15.1.2176/,
 * /owa/14.3.123.4/) in a page. Returns 0 and fills v, or -1. */
int exs_fp_owa_asset_version(const char *page, size_t n, struct exs_version *v);
/* The version attribute of the export tool's assemblyIdentity in a ClickOnce
 * manifest. Returns 0 and fills v, or -1. */
int exs_fp_manifest_version(const char *xml, size_t n, struct exs_version *v);

enum {
	EXS_OWA_MARK_OWAPAGE = 1u << 0,      /* <!-- OwaPage = ASP.auth_logon_aspx --> */
	EXS_OWA_MARK_TITLE = 1u << 1,        /* <title> containing Outlook */
	EXS_OWA_MARK_PREMIUM = 1u << 2,      /* function IsOwaPremiumBrowser */
	EXS_OWA_MARK_COOKIE = 1u << 3,       /* exchangecookie / OutlookSession cookie */
	EXS_OWA_MARK_OWA_VERSION = 1u << 4,  /* X-OWA-Version header */
	EXS_OWA_MARK_FESERVER = 1u << 5,     /* X-FEServer, X-BEServer, X-CalculatedBETarget */
	EXS_OWA_MARK_ASSET_PATH = 1u << 6,   /* /owa/<build>/ asset path */
	EXS_OWA_MARK_MANIFEST = 1u << 7,     /* the export tool's manifest */
	EXS_OWA_MARK_NTLM = 1u << 8,         /* an NTLM challenge with target info on /EWS */
	EXS_OWA_MARK_AUTODISCOVER = 1u << 9, /* autodiscover.xml asks for NTLM/Negotiate */
	EXS_OWA_MARK_CATCH_ALL = 1u << 10, /* a random path got the page: its HTML proves nothing */
};
/* Markers that are Exchange behaviours independent of each other (headers,
 * manifest, NTLM, autodiscover): is-Exchange needs two of them.  Page markers
 * (HTML, cookies) are copied by phishing kits and never count. */
#define EXS_OWA_EVIDENCE_MASK                                                                      \
	(EXS_OWA_MARK_OWA_VERSION | EXS_OWA_MARK_FESERVER | EXS_OWA_MARK_MANIFEST |                \
	 EXS_OWA_MARK_NTLM | EXS_OWA_MARK_AUTODISCOVER)
/* Number of independent Exchange behaviours in a marker mask. */
int exs_fp_evidence_count(unsigned mask);
/* Markers found in a page body. */
unsigned exs_fp_page_markers(const char *page, size_t n);
/* Names of the markers set in mask, comma-separated, into out. */
void exs_fp_marker_names(unsigned mask, char *out, size_t cap);

/* One header line "Name: value\r\n": if the name matches (case-insensitive),
 * points *val at the trimmed value and returns 0; else -1. */
int exs_fp_header_value(const char *line, size_t n, const char *name, const char **val,
                        size_t *vlen);

/* ---- NTLM (MS-NLMP) ---- */

struct exs_ntlm_info {
	char *target_name; /* UTF-8 (converted from UTF-16LE), raw server data */
	char *nb_computer, *nb_domain, *dns_computer, *dns_domain, *dns_tree;
	bool has_version;
	unsigned os_major, os_minor, os_build;
	uint32_t flags;
};

/* The NEGOTIATE_MESSAGE to send, base64 (static string). */
const char *exs_ntlm_negotiate_b64(void);
/* Decodes a CHALLENGE_MESSAGE (raw bytes). Returns 0, or -1 with err saying
 * what is malformed. out must be zeroed or released before. */
int exs_ntlm_decode_challenge(const unsigned char *msg, size_t n, struct exs_ntlm_info *out,
                              struct exs_error *err);
/* Same from the value of a WWW-Authenticate header ("NTLM <base64>"). */
int exs_ntlm_decode_header(const char *value, size_t n, struct exs_ntlm_info *out,
                           struct exs_error *err);
void exs_ntlm_info_release(struct exs_ntlm_info *info);
/* Windows name for an NTLM OS version ("Windows Server 2019"), or NULL. */
const char *exs_ntlm_windows_name(const struct exs_ntlm_info *info);

/* ---- results ---- */

enum exs_check_result {
	EXS_CHECK_UNKNOWN,
	EXS_CHECK_VULNERABLE,
	EXS_CHECK_NOT_VULNERABLE,
};
const char *exs_check_result_name(enum exs_check_result r);

#define EXS_PROBE_MAX_CHECKS 12

struct exs_check {
	const char *id;     /* CVE-2021-26855 */
	const char *name;   /* ProxyLogon */
	const char *method; /* "active" or "build" */
	enum exs_check_result result;
	long status;        /* HTTP status of the active check, 0 if none */
	char evidence[512]; /* raw (may hold server data): escape on output */
};

struct exs_tls_facts {
	bool present;
	char protocol[16];
	char cipher[64];
	char *subject, *issuer; /* RFC 2253 text, raw */
	char **sans;            /* DNS:name / IP:addr, raw */
	size_t n_sans;
	char not_before[32], not_after[32]; /* ISO 8601 UTC */
	bool expired, not_yet_valid, self_signed, name_match;
	bool bad_signature; /* self-issued, but its signature does not verify with its own key */
	char key_type[16];
	int key_bits;
	char sha256[65];
	char verify[128]; /* OpenSSL's verdict on the chain */
};

struct exs_probe_result {
	char host[256];
	char address[64]; /* the address connected to, or "" */
	unsigned port;
	const char *sni; /* NULL when none was set */
	char error[512]; /* "" when the host was scanned completely; raw */
	bool probed;     /* false: nothing came back (no probe object) */

	bool is_exchange;
	unsigned markers;
	struct exs_version version;
	enum exs_precision precision;
	const char *build_source; /* x-owa-version, exporttool-manifest, ecp-build-path,
	                           * owa-asset-path, NULL */
	bool assessed;
	struct exs_assessment assessment;
	char fe_server[128]; /* X-FEServer, raw */
	char owa_version[64];
	/* Content-Security-Policy on an OWA page (the CVE-2026-42897 mitigation
	 * M2.1.0 adds one), raw, and the path it came on; "" when none */
	char owa_csp[384];
	char owa_csp_path[128];
	char activesync[32]; /* MS-Server-ActiveSync of the ActiveSync answer, raw, or "" */

	struct exs_check checks[EXS_PROBE_MAX_CHECKS];
	size_t n_checks;
	struct exs_tls_facts tls;
	bool has_ntlm;
	struct exs_ntlm_info ntlm;
	int requests;
	long elapsed_ms;
};

struct exs_probe_stats {
	uint64_t done, errors, exchange, total; /* total: 0 when unknown */
	double elapsed_s;
};

/* Called once per finished host, in the order hosts finish, from any worker
 * thread but never two at once (the engine holds a lock). Non-zero stops the
 * scan. */
typedef int (*exs_probe_host_fn)(const struct exs_probe_result *r, void *ud);
/* Called about 4 times a second when options->progress is set, under the
 * same lock as exs_probe_host_fn. */
typedef void (*exs_probe_progress_fn)(const struct exs_probe_stats *s, void *ud);

/* Scans every target of gen. kb is borrowed (read-only). Returns 0 when the
 * loop ran to the end (hosts may still have errors: see stats), -1 with err
 * set when it could not run at all. */
int exs_probe_run(const struct exs_probe_options *o, const struct exs_kb *kb, time_t now,
                  struct exs_target_gen *gen, exs_probe_host_fn on_host,
                  exs_probe_progress_fn on_progress, void *ud, struct exs_probe_stats *stats,
                  struct exs_error *err);

/* TLS facts of a certificate chain's leaf (exposed for tests): cert is an X509*. */
int exs_tls_facts_from_cert(const void *x509, const char *name, time_t now,
                            struct exs_tls_facts *out);
void exs_tls_facts_release(struct exs_tls_facts *t);

/* ---- writers (src/report/probe_json.c, probe_text.c) ---- */

struct json_object;
/* The host object of the probe JSON (new reference, caller puts it). */
struct json_object *exs_probe_result_to_json(const struct exs_probe_result *r);
/* A few lines of text about one host; every server string escaped. */
void exs_probe_result_write_text(FILE *fp, const struct exs_probe_result *r, bool color);

#endif
