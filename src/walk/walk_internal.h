/* Internals of src/walk shared between its files (not a public API).
 *
 * Ownership: the engine owns its rules, IOC tables and problem strings.
 */
#ifndef EXSCAN_WALK_INTERNAL_H
#define EXSCAN_WALK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <yara.h>

#include "exscan/finding.h"
#include "exscan/walk.h"

struct exs_ioc {
	unsigned char hash[32];
	char *comment; /* text after the hash on its line, or NULL */
};

struct exs_ioc_set {
	struct exs_ioc *items; /* sorted by hash */
	size_t n, cap;
	size_t hash_len; /* 16 MD5, 20 SHA-1, 32 SHA-256 */
};

struct exs_walk_engine {
	YR_RULES *rules;
	YR_RULES *builtin_rules; /* the built-in rules alone, only with --rules (scan.c) */
	size_t n_rules;
	bool from_cache;
	bool yara_up; /* yr_initialize() succeeded */
	char **problems;
	size_t n_problems;
	char **warnings; /* the compiler's warnings about --rules files */
	size_t n_warnings;
	char *slow_rules; /* "ns:rule, ..." that YARA warned may slow down scanning */
	/* the atoms of rules when they are the built-in rules alone: large files
	 * are scanned only around them (prefilter.h); NULL otherwise */
	struct exs_prefilter *prefilter;
	struct exs_ioc_set md5, sha1, sha256;
};

/* Adds a formatted problem line; ignores allocation failure. */
void exs_walk_engine_problem_add(struct exs_walk_engine *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void exs_walk_engine_warning_add(struct exs_walk_engine *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Looks a digest up; returns the entry or NULL. */
const struct exs_ioc *exs_ioc_find(const struct exs_ioc_set *s, const unsigned char *h);

/* Where a walk reads the tree from: a directory (rootfd) or an NTFS volume
 * of a disk image (ntfs, rootfd -1).  Borrowed. */
struct exs_ntfs;
struct exs_walk_src {
	int rootfd;
	struct exs_ntfs *ntfs;
};

/* exs_walk_resolve_ci() or its image counterpart (malloc'd or NULL). */
char *exs_walk_src_resolve(const struct exs_walk_src *src, const char *path);
int exs_walk_layout_detect_src(const struct exs_walk_src *src, const char *exchange_dir,
                               struct exs_walk_layout *l, struct exs_error *err);

/* Case-insensitive resolution of a '/'-path below rootfd (malloc'd or NULL). */
char *exs_walk_resolve_ci(int rootfd, const char *path);

/* ==== log readers and artifact checks (src/logs) ====
 * MERGE HOOK: the walker reaches src/logs only through exs_walk_log_hook()
 * in src/walk/loghook.c.  When include/exscan/logs.h is present it calls the
 * log readers; without it, it classifies log files by path and reports that
 * no reader is built in. */
enum exs_walk_log_op {
	EXS_WALK_LOG_BEGIN,     /* state = new per-host state (NULL without readers) */
	EXS_WALK_LOG_CLASSIFY,  /* relpath -> kind (log reader) or artifact, 0 = neither */
	EXS_WALK_LOG_SCAN,      /* read fd (relpath, kind or artifact, st) into state;
	                           returns 0 read, 1 no reader, -1 error (err) */
	EXS_WALK_LOG_INDICATOR, /* something else (webshell, IOC) was found on the host */
	EXS_WALK_LOG_FINISH,    /* append the state's findings to out, free the state */
};

struct exs_walk_log_call {
	enum exs_walk_log_op op;
	const char *relpath;
	int fd;
	const struct stat *st;
	int kind;     /* enum exs_log_kind, 0 = not a log */
	int artifact; /* enum exs_artifact_kind, 0 = not an artifact */
	void *state;
	struct exs_findings *out;
	struct exs_error *err;
	uint64_t unreadable_records; /* FINISH: event log records not decoded */
	struct json_object *days;    /* FINISH: per-day timeline (caller owns), or NULL */
};

int exs_walk_log_hook(struct exs_walk_log_call *c);

#endif
