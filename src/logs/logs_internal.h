/* Internals shared by the log readers: the streaming line reader, field
 * splitting, timestamps, the rule table and per-file hit aggregation.
 *
 * Ownership: struct lg_reader and struct lg_file are embedded by the
 * caller (_init/_release).  Lines returned by lg_reader_next() are borrowed
 * and valid until the next call.
 */
#ifndef EXSCAN_LOGS_INTERNAL_H
#define EXSCAN_LOGS_INTERNAL_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"
#include "exscan/logs.h"

#define LG_MAX_LINE (64 * 1024)
#define LG_MAX_CLIENTS 16
#define LG_EXCERPT_MAX 512
#define LG_MAX_DAMAGED 256 /* event logs with unreadable records, listed one by one */

/* ---- the line reader ---- */

/* log kinds (enum exs_log_kind) counted per host, NONE included */
#define LG_KINDS (EXS_LOG_EVTX + 1)

struct lg_reader {
	int fd;
	const char *name; /* for messages */
	iconv_t cd;       /* (iconv_t)-1 unless the file is UTF-16 */
	bool started, eof, skipping;
	char *raw; /* UTF-16 input waiting for conversion */
	size_t raw_len;
	char *buf; /* UTF-8 text: [start, end) not yet returned */
	size_t cap, start, end;
	size_t chunk;    /* bytes per read */
	uint64_t lineno; /* of the line last returned (1-based) */
	uint64_t bytes;  /* read from fd */
	bool truncated;  /* the line last returned was cut at LG_MAX_LINE */
	/* the least and greatest leading "YYYY-MM-DD HH:MM:SS" of the lines returned
	 * (ISO times order as text: one comparison a line, converted at the end) */
	char oldest[20], newest[20];
	/* an in-memory source instead of fd (fuzzing, tests) */
	const char *mem;
	size_t mem_len, mem_off;
};

int lg_reader_init(struct lg_reader *r, int fd, const char *name, struct exs_error *err);
void lg_reader_init_mem(struct lg_reader *r, const char *data, size_t n, const char *name);
void lg_reader_release(struct lg_reader *r);
/* Returns 1 with *line and *len set (no line ending, NUL not guaranteed),
 * 0 at the end, -1 with err set on a read error. */
int lg_reader_next(struct lg_reader *r, const char **line, size_t *len, struct exs_error *err);

/* ---- fields ---- */

struct lg_field {
	const char *p;
	size_t n;
};

/* Splits a CSV line (RFC 4180 quoting: "a,b" and "" inside quotes) into at
 * most max fields. Quoted fields are returned without the outer quotes and
 * with "" left doubled (callers only compare and excerpt them). Returns the
 * number of fields. */
size_t lg_split_csv(const char *s, size_t n, struct lg_field *out, size_t max);
/* Splits on single spaces (W3C extended). */
size_t lg_split_space(const char *s, size_t n, struct lg_field *out, size_t max);

/* Index of the column called name (case-insensitive), or -1. */
int lg_column(const struct lg_field *hdr, size_t nhdr, const char *name);

bool lg_eq_ci(const char *s, size_t n, const char *lit);
bool lg_prefix_ci(const char *s, size_t n, const char *lit);
bool lg_suffix_ci(const char *s, size_t n, const char *lit);
const char *lg_find_ci(const char *s, size_t n, const char *lit);
const char *lg_find(const char *s, size_t n, const char *lit);
/* Parses a decimal status code; -1 if not a number. */
int lg_status(const char *s, size_t n);

/* "2021-03-03T04:05:06.123Z", "2021-03-03 04:05:06", "2021-03-03T04:05:06"
 * (UTC) -> epoch seconds, or 0 if it does not parse. */
int64_t lg_parse_iso(const char *s, size_t n);
/* IIS: date "2021-03-03" and time "04:05:06" (UTC). */
int64_t lg_parse_date_time(const char *d, size_t dn, const char *t, size_t tn);

/* ---- rules ---- */

enum lg_rule {
	LG_R_HP_SSRF,
	LG_R_HP_SSRF_ANON,
	LG_R_HP_VDIR_RESET,
	LG_R_ECP_VDIR_SCRIPT,
	LG_R_OAB_PATH,
	LG_R_IIS_PROXYLOGON,
	LG_R_IIS_UA,
	LG_R_IIS_PROXYSHELL,
	LG_R_IIS_PROXYNOTSHELL,
	LG_R_IIS_PROXY_EITHER, /* ProxyShell or ProxyNotShell: the evidence does not decide */
	LG_R_IIS_OWASSRF,
	LG_R_RPS_CLIENTINFO,
	LG_R_EVTX_UM,
	LG_R_EVTX_EXPORT,
	LG_R_EVTX_ROLE,
	LG_R_EVTX_REMOVE,
	LG_R_EVTX_OAB_SCRIPT,
	LG_R_EVTX_CERT_WEBSHELL,
	LG_R_EVTX_TRANSPORT_AGENT,
	LG_R_EVTX_AGENT_ODD_PATH,
	LG_R_EVTX_W3WP_CHILD,
	LG_R_ART_LSASS,
	LG_R_ART_DUMP,
	LG_R_ART_ARCHIVE,
	LG_R_ART_WER,
	LG_R_ART_VDIR,
	LG_R_COUNT,
};

struct lg_rule_info {
	const char *id;
	const char *cve; /* NULL if none */
	const char *campaign;
	const char *description;
	int score_attempt, score_success;
	bool artifact;
};

extern const struct lg_rule_info lg_rules[LG_R_COUNT];

/* ---- hits, per file ---- */

struct lg_agg {
	uint64_t count;
	int64_t first, last; /* 0 unknown */
	int64_t best_ts;     /* timestamp of the kept excerpt (INT64_MAX: none yet) */
	char *path;
	uint64_t line;
	char *excerpt;
	size_t excerpt_len;
	char *clients[LG_MAX_CLIENTS];
	size_t n_clients;
	uint64_t size;
	int64_t mtime;
};

struct lg_day {
	int64_t day; /* days since the epoch */
	int rule;
	uint64_t attempts, successes;
};

struct lg_file {
	const char *relpath;
	struct lg_agg agg[LG_R_COUNT][2]; /* [rule][success] */
	struct lg_day *days;
	size_t n_days, cap_days;
	uint64_t lines, bad_lines, hits, bytes;
	uint64_t unreadable;    /* EVTX: records libevtx could not decode (in lines too) */
	int kind;               /* enum exs_log_kind */
	int64_t oldest, newest; /* the time span the file's lines cover (0: unknown) */
	bool unreadable_fatal;  /* EVTX: reported as an error instead (most unreadable) */
	bool oom;
};

struct lg_hit {
	enum lg_rule rule;
	bool success;
	int64_t ts;
	const char *client;
	size_t client_len;
	const char *text; /* the excerpt */
	size_t text_len;
	uint64_t line;
	uint64_t size; /* artifacts: file size and mtime */
	int64_t mtime;
};

void lg_file_init(struct lg_file *f, const char *relpath);
void lg_file_release(struct lg_file *f);
void lg_file_hit(struct lg_file *f, const struct lg_hit *h);
/* Widens the time span f covers to include ts (epoch seconds; 0 ignored). */
void lg_span_add(int64_t *oldest, int64_t *newest, int64_t ts);
/* The epoch seconds of a leading "YYYY-MM-DD[T ]HH:MM:SS" (UTC), or 0. */
int64_t lg_leading_time(const char *s, size_t n);
/* The time span of the lines r returned, as epoch seconds (0: unknown). */
void lg_reader_span(const struct lg_reader *r, int64_t *oldest, int64_t *newest);
/* Merges f into st (under st's lock). */
void lg_state_merge(struct exs_log_state *st, struct lg_file *f);

/* ---- readers: each reads every line of r, recording hits in f ---- */

int lg_read_httpproxy(struct lg_reader *r, struct lg_file *f, struct exs_error *err);
int lg_read_ecp(struct lg_reader *r, struct lg_file *f, struct exs_error *err);
int lg_read_oab(struct lg_reader *r, struct lg_file *f, struct exs_error *err);
int lg_read_iis(struct lg_reader *r, struct lg_file *f, struct exs_error *err);
int lg_read_rps(struct lg_reader *r, struct lg_file *f, struct exs_error *err);
/* The event logs read, by file name (winevt/Logs/<channel>.evtx, '/' in a
 * channel name written %4). LG_EVTX_OTHER: a log exscan does not read
 * unless told (exscan logs --kind evtx), then with every rule. */
enum lg_evtx_channel {
	LG_EVTX_OTHER,
	LG_EVTX_EXCHANGE,   /* Application, MSExchange Management */
	LG_EVTX_POWERSHELL, /* Microsoft-Windows-PowerShell/Operational, Windows PowerShell */
	LG_EVTX_SECURITY,   /* Security: 4688 process creation */
	LG_EVTX_SYSMON,     /* Microsoft-Windows-Sysmon/Operational: event 1 */
	LG_EVTX_SYSTEM,     /* System: read for damage, no rule yet */
};
enum lg_evtx_channel lg_evtx_channel(const char *base);

/* EVTX reads the file through libevtx (by /proc/self/fd/FD), not lines. */
int lg_read_evtx(int fd, const char *name, struct lg_file *f, struct exs_error *err);

/* Runs the reader for kind over an in-memory log (fuzzing). */
int exs_logs_scan_mem(const char *data, size_t n, const char *relpath, enum exs_log_kind kind,
                      struct exs_log_state *st, struct exs_error *err);

#endif
