/* Internals of src/walk shared between its files (not a public API).
 *
 * Ownership: the engine owns its rules, IOC tables and problem strings.
 */
#ifndef EXSCAN_WALK_INTERNAL_H
#define EXSCAN_WALK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
	size_t n_rules;
	bool from_cache;
	bool yara_up; /* yr_initialize() succeeded */
	char **problems;
	size_t n_problems;
	struct exs_ioc_set md5, sha1, sha256;
};

/* Adds a formatted problem line; ignores allocation failure. */
void exs_walk_engine_problem_add(struct exs_walk_engine *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Looks a digest up; returns the entry or NULL. */
const struct exs_ioc *exs_ioc_find(const struct exs_ioc_set *s, const unsigned char *h);

/* Case-insensitive resolution of a '/'-path below rootfd (malloc'd or NULL). */
char *exs_walk_resolve_ci(int rootfd, const char *path);

/* ==== log readers (src/logs) ====
 * MERGE HOOK: the walker reaches the log readers only through
 * exs_walk_log_hook() in src/walk/loghook.c.  Until exscan/logs.h is merged
 * it classifies log files by path and reports that no reader is built in. */
enum exs_walk_log_op {
	EXS_WALK_LOG_BEGIN,    /* state = new per-host state (may stay NULL) */
	EXS_WALK_LOG_CLASSIFY, /* kind = reader kind for relpath, 0 = not a log */
	EXS_WALK_LOG_SCAN,     /* read fd (relpath, kind) into state; returns 1: no reader */
	EXS_WALK_LOG_FINISH,   /* move findings from state into out and free state */
};

struct exs_walk_log_call {
	enum exs_walk_log_op op;
	const char *relpath;
	int fd;
	int kind;
	void *state;
	struct exs_findings *out;
	struct exs_error *err;
};

int exs_walk_log_hook(struct exs_walk_log_call *c);

#endif
