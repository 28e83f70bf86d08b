/* The one configuration struct: argv is parsed once into it (src/cli/) and
 * it is passed down, read-only, to everything else.
 *
 * Ownership: strings point into argv or are owned by the struct and freed
 * by exs_config_release().
 */
#ifndef EXSCAN_CONFIG_H
#define EXSCAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "exscan/logs.h"
#include "exscan/datadir.h"
#include "exscan/walk.h"
#include "exscan/probe.h"

enum exs_format {
	EXS_FORMAT_TEXT,
	EXS_FORMAT_JSON,
	EXS_FORMAT_JSONL,
	EXS_FORMAT_SARIF,
	EXS_FORMAT_JUNIT,
	EXS_FORMAT_HTML,
};

enum exs_fail_on {
	EXS_FAIL_ON_NEVER,
	EXS_FAIL_ON_COMPROMISED,
	EXS_FAIL_ON_VULNERABLE,
	EXS_FAIL_ON_AT_RISK,
};

/* exscan report */
struct exs_report_options {
	const char **aliases; /* --alias A=B, repeatable */
	size_t n_aliases;
};

/* exscan scan */
struct exs_scan_options {
	const char **targets; /* --target HOST[=ROOT], borrowed from argv */
	size_t n_targets;
	const char **fs_roots; /* --fs ROOT */
	const char **fs_names; /* --host NAME of each --fs (NULL: the root's name) */
	size_t n_fs, n_fs_names;
	/* place of each --target and --fs among all of them, in command-line
	 * order (what --shard partitions) */
	size_t *target_ord, *fs_ord;
	size_t n_hosts;
};

struct exs_config {
	enum exs_format format;
	unsigned formats_allowed; /* bit per enum exs_format, set by the command */
	const char *output;       /* -o FILE; NULL for stdout */
	const char *builds_path;  /* --builds FILE; NULL for the built-in table */
	const char *cves_path;    /* --cves FILE */
	bool color;               /* colour in text output (terminal and no NO_COLOR) */
	enum exs_fail_on fail_on;
	time_t now;                     /* when the run started; decides end of support */
	struct exs_walk_options walk;   /* exscan walk (include/exscan/walk.h) */
	struct exs_probe_options probe; /* exscan probe */
	char **args;                    /* positional arguments, borrowed from argv */
	int nargs;
	struct exs_report_options report;
	struct exs_scan_options scan;
	struct exs_logs_config logs;  /* log readers and artifact checks */
	struct exs_data_options data; /* installed tables used by default */
	struct exs_shard shard;       /* --shard K/N of walk (roots) and scan (hosts) */
};

void exs_config_init(struct exs_config *cfg);
void exs_config_release(struct exs_config *cfg);

const char *exs_format_name(enum exs_format f);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int exs_format_parse(const char *name, enum exs_format *out);

#endif
