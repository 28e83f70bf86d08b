/* Exploitation traces in Exchange and IIS logs, and attacker artifacts.
 *
 * The walker (or `exscan logs`) finds files, asks exs_logs_classify() and
 * exs_logs_classify_artifact() what they are, and hands open descriptors to
 * exs_logs_scan_fd() and exs_logs_check_artifact().  Both stream the file
 * (memory does not grow with its size) and only read it.  Hits are merged
 * into a per-host struct exs_log_state; exs_logs_finish() turns the state
 * into aggregated findings (kind log or artifact: one finding per rule and
 * outcome, with count, first/last time, clients, the first file and line)
 * and exs_log_timeline_to_json() gives attempts and successes per day.
 *
 * Ownership: struct exs_log_state is a heap object (_new/_free) owned by
 * the caller; several threads may feed the same state at once.  Findings
 * pushed into `out` are owned by that list.  Descriptors and relpaths are
 * borrowed and never closed or kept.  JSON results are new references
 * owned by the caller (json_object_put()).
 *
 * Windows event logs (.evtx) are read with libevtx, which opens the
 * descriptor through /proc/self/fd (Linux) and reads it chunk by chunk.
 * Records it cannot decode are counted (stats, lines include them): when
 * most records of a file are unreadable, or libevtx finds the file damaged,
 * exs_logs_scan_fd() fails with one line naming the file; otherwise
 * exs_logs_finish() reports the file as an informational finding (rule
 * evtx-unreadable-records, count = records not decoded).
 */
#ifndef EXSCAN_LOGS_H
#define EXSCAN_LOGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "exscan/error.h"
#include "exscan/finding.h"

struct json_object;

enum exs_log_kind {
	EXS_LOG_NONE = 0,
	EXS_LOG_HTTPPROXY, /* Logging/HttpProxy/ ** / *.log (CSV with a header line) */
	EXS_LOG_ECP,       /* Logging/ECP/Server/ *.log */
	EXS_LOG_OAB,       /* Logging/OABGeneratorLog/ *.log */
	EXS_LOG_IIS,       /* inetpub/logs/LogFiles/W3SVC* / *.log (W3C extended) */
	EXS_LOG_RPS_HTTP,  /* Logging/CmdletInfra/Powershell-Proxy/Http/ *Rps_Http_20* */
	EXS_LOG_EVTX,      /* winevt/Logs/Application.evtx, MSExchange Management.evtx */
};

enum exs_artifact_kind {
	EXS_ARTIFACT_NONE = 0,
	EXS_ARTIFACT_DUMP,    /* *.dmp: lsass dumps by name, other process dumps by magic */
	EXS_ARTIFACT_ARCHIVE, /* .zip .7z .rar under ProgramData (needs another indicator) */
	EXS_ARTIFACT_WER,     /* Report.wer under .../WER/ (w3wp / ECP app pool crashes) */
	EXS_ARTIFACT_APPHOST, /* Windows/System32/inetsrv/config/applicationHost.config */
};

/* Options (a member of struct exs_config). */
struct exs_logs_config {
	enum exs_log_kind kind; /* exscan logs --kind: reader for files outside known places */
};

/* Per-host aggregation state. Returns NULL when out of memory. */
struct exs_log_state *exs_log_state_new(void);
void exs_log_state_free(struct exs_log_state *st);

/* Tells the state that something else (a webshell, an IOC) was found on
 * this host: archives under ProgramData are then reported too. */
void exs_log_state_note_indicator(struct exs_log_state *st);

/* Which reader handles a file. relpath is relative to the scanned root,
 * with '/' separators; locations are matched case-insensitively wherever
 * they occur in the path (V15 and V14 layouts, any drive prefix). */
enum exs_log_kind exs_logs_classify(const char *relpath);
const char *exs_log_kind_name(enum exs_log_kind kind);
/* Parses a name given by exs_log_kind_name(); EXS_LOG_NONE if unknown. */
enum exs_log_kind exs_log_kind_parse(const char *name);

/* Reads the log open at fd from its current offset to the end (EVTX: the
 * whole file, whatever the offset). UTF-8 (with
 * or without BOM) and UTF-16 with a BOM are read; CRLF and LF endings;
 * a truncated last line is read as a line; lines longer than 64 KiB are
 * cut.  Malformed lines are skipped.  Returns 0, or -1 with err set when
 * the file cannot be read (hits seen before the error are kept). */
int exs_logs_scan_fd(int fd, const char *relpath, enum exs_log_kind kind, struct exs_log_state *st,
                     struct exs_error *err);

/* Which artifact check applies to a file (name and location only). */
enum exs_artifact_kind exs_logs_classify_artifact(const char *relpath);

/* Checks one artifact.  fd is open for reading at offset 0 (it is read for
 * magic bytes, WER reports and applicationHost.config); sb is its fstat()
 * (size and mtime go into the finding).  Returns 0 (whether or not it was
 * an indicator), or -1 with err set when it could not be read. */
int exs_logs_check_artifact(int fd, const char *relpath, enum exs_artifact_kind kind,
                            const struct stat *sb, struct exs_log_state *st, struct exs_error *err);

/* Appends the aggregated findings (kind EXS_FINDING_LOG or
 * EXS_FINDING_ARTIFACT), most severe first.  IIS requests that could be
 * ProxyShell or ProxyNotShell join the one their clients did (findings and
 * timeline) when every such client did only that one.  Can be called more than once;
 * the state is not changed.  Returns 0, or -1 when out of memory. */
int exs_logs_finish(struct exs_log_state *st, struct exs_findings *out, struct exs_error *err);
/* Appends one informational finding (rule log-coverage) per log family read:
 * files, and the oldest and newest time of their lines and records.  Call
 * before exs_log_state_free().  Returns 0, or -1 with err. */
int exs_logs_coverage(struct exs_log_state *st, struct exs_findings *out, struct exs_error *err);

/* The timeline: one element per day and campaign,
 * {"date":"2021-03-03","campaign":"ProxyLogon","attempts":N,"successes":M},
 * oldest first.  Hits without a timestamp are counted in findings only. */
struct json_object *exs_log_timeline_to_json(struct exs_log_state *st);

/* Counters for the summary and the benchmark. */
struct exs_log_stats {
	uint64_t files, bytes, lines, bad_lines, hits;
	uint64_t unreadable_records; /* EVTX records libevtx could not decode */
};
void exs_log_state_stats(struct exs_log_state *st, struct exs_log_stats *out);

#endif
