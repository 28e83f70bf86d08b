/* The command-line front end: option tables, the subcommand table, help.
 *
 * Ownership: tables are static; exs_cli_main() owns the config it builds.
 */
#ifndef EXSCAN_CLI_H
#define EXSCAN_CLI_H

#include <stdio.h>

#include "exscan/config.h"
#include "exscan/error.h"

/* Option ids shared by several commands; command-specific ids start at 100. */
enum {
	EXS_OPT_HELP = 1,
	EXS_OPT_FORMAT,
	EXS_OPT_OUTPUT,
	EXS_OPT_BUILDS,
	EXS_OPT_CVES,
	EXS_OPT_FAIL_ON,
	EXS_OPT_NO_COLOR,
	EXS_OPT_VERSION,
	EXS_OPT_COMMAND_BASE = 100,
};

struct exs_option {
	const char *name; /* long name without the dashes */
	char short_name;  /* 0: long form only */
	const char *arg;  /* metavariable, NULL for a flag */
	const char *help; /* one line; also the man page's text */
	int id;
	/* "a|b|c" when the value is one of a fixed set (completions offer
	 * them); NULL otherwise. --format takes its set from the command. */
	const char *values;
};

#define EXS_OPTION_HELP                                                                            \
	{                                                                                          \
		"help", 'h', NULL, "show this help and exit", EXS_OPT_HELP                         \
	}
#define EXS_OPTION_OUTPUT                                                                          \
	{                                                                                          \
		"output", 'o', "FILE", "write the result to FILE instead of standard output",      \
		        EXS_OPT_OUTPUT                                                             \
	}
#define EXS_OPTION_BUILDS                                                                          \
	{                                                                                          \
		"builds", 0, "FILE",                                                               \
		        "use this build table (as tools/gen-kb.py writes it) instead of the "      \
		        "built-in one",                                                            \
		        EXS_OPT_BUILDS                                                             \
	}
#define EXS_OPTION_CVES                                                                            \
	{                                                                                          \
		"cves", 0, "FILE",                                                                 \
		        "use this CVE table (as tools/gen-kb.py writes it) instead of the "        \
		        "built-in one",                                                            \
		        EXS_OPT_CVES                                                               \
	}
#define EXS_OPTION_NO_COLOR                                                                        \
	{                                                                                          \
		"no-color", 0, NULL, "never colour text output (also: NO_COLOR set)",              \
		        EXS_OPT_NO_COLOR                                                           \
	}
#define EXS_OPTION_FORMAT                                                                          \
	{                                                                                          \
		"format", 0, "FORMAT", "output format", EXS_OPT_FORMAT                             \
	}
#define EXS_OPTION_FAIL_ON                                                                                            \
	{                                                                                                             \
		"fail-on", 0, "LEVEL",                                                                                \
		        "exit 1 when a host is at or above LEVEL: compromised, vulnerable (default), at-risk, never", \
		        EXS_OPT_FAIL_ON, "compromised|vulnerable|at-risk|never"                                       \
	}
#define EXS_OPTION_END                                                                             \
	{                                                                                          \
		NULL, 0, NULL, NULL, 0                                                             \
	}

struct exs_command {
	const char *name;
	const char *synopsis;    /* after "exscan NAME " */
	const char *summary;     /* one line for the command list */
	const char *description; /* a paragraph for help and the man page */
	const char *formats;     /* e.g. "text|json", NULL when --format is not taken */
	const struct exs_option *options;
	/* Applies a command-specific option (id >= EXS_OPT_COMMAND_BASE). */
	int (*set_option)(struct exs_config *cfg, int id, const char *arg, struct exs_error *err);
	/* Runs with the parsed config; returns an enum exs_exit value. */
	int (*run)(struct exs_config *cfg);
};

/* Options taken before the command name (exscan --version, exscan --builds F ...). */
extern const struct exs_option exs_global_options[];

/* Prose shared by --help and the man pages. */
extern const char exs_cli_about[];
struct exs_exit_doc {
	int code;
	const char *meaning;
};
extern const struct exs_exit_doc exs_exit_docs[]; /* ends with meaning NULL */

extern const struct exs_command exs_cmd_builds;
extern const struct exs_command exs_cmd_report;
extern const struct exs_command exs_cmd_logs;
extern const struct exs_command exs_cmd_walk;
extern const struct exs_command exs_cmd_probe;
extern const struct exs_command exs_cmd_scan;

/* The commands that `exscan --help` lists, NULL-terminated. */
extern const struct exs_command *const exs_commands[];

/* Parses argv (argv[0] is the command name) into cfg. Returns 0, 1 when
 * help was printed (exit 0), or -1 with err set (usage error). */
int exs_cli_parse(const struct exs_command *cmd, struct exs_config *cfg, int argc, char **argv,
                  struct exs_error *err);
void exs_cli_print_command_help(FILE *fp, const struct exs_command *cmd);
void exs_cli_print_help(FILE *fp);
int exs_cli_print_version(FILE *fp, const struct exs_config *cfg);

/* Opens cfg->output (or returns stdout). Close with exs_cli_output_close(). */
FILE *exs_cli_output_open(const struct exs_config *cfg, struct exs_error *err);
int exs_cli_output_close(const struct exs_config *cfg, FILE *fp, struct exs_error *err);
struct exs_walk_host;
/* Warns once per run (*warned) that a walk of root changed access times. */
void exs_cli_warn_atimes(const char *cmd, const char *root, const struct exs_walk_host *h,
                         bool *warned);
/* Says on stderr what a walk of root could not read whole (error findings,
 * server pages cut at --max-size); returns whether the host is incomplete. */
bool exs_cli_warn_incomplete(const char *cmd, const char *root, const struct exs_walk_host *h);
/* -1 (err set) when cfg->output would be written inside root, the tree a
 * walk reads: a scan never writes into what it scans. */
int exs_cli_output_outside(const struct exs_config *cfg, const char *root, struct exs_error *err);

struct exs_kb;
struct json_object;
/* Judges merged hosts, writes them in cfg->format and returns the exit code
 * (4 when the output cannot be written, else 1 when a host reaches --fail-on,
 * else 3 when incomplete, else 0). */
int exs_cli_judge_and_write(struct exs_config *cfg, const struct exs_kb *kb,
                            struct json_object *hosts, bool incomplete, const char *cmd);

/* Man pages and shell completions (man.c), generated from exs_commands[]
 * and the option tables, like --help.  cmd NULL: exscan(1). */
void exs_cli_print_man(FILE *fp, const struct exs_command *cmd);
/* Writes exscan.1 and exscan-CMD.1 for every command into dir. */
int exs_cli_write_man_dir(const char *dir, struct exs_error *err);
/* shell: "bash" or "zsh". */
int exs_cli_print_completion(FILE *fp, const char *shell, struct exs_error *err);
/* Looks a command up by name in exs_commands[]; NULL when there is none. */
const struct exs_command *exs_cli_find_command(const char *name);
/* Formats the left column of an option in --help, e.g. "-o, --output FILE"
 * (--format shows the command's formats), into buf.  cmd may be NULL for
 * exs_global_options[]. */
void exs_cli_option_tag(char *buf, size_t size, const struct exs_command *cmd,
                        const struct exs_option *o);

/* Data files (datadir.c).  The directory is $EXSCAN_DATADIR when set and
 * not empty, else the installed one (EXS_DATADIR). */
const char *exs_cli_datadir(void);
/* Returns the malloc'ed path of datadir/name when that file exists
 * (caller frees), else NULL. */
char *exs_cli_data_file(const char *name);
/* Fills in cfg->builds_path/cves_path that the user did not give with the
 * installed tables, when present; otherwise the built-in copies stay. */
int exs_cli_default_tables(struct exs_config *cfg, struct exs_error *err);

/* Whether a result at `level` reaches the --fail-on threshold (order of
 * severity: compromised > vulnerable > at-risk; never reaches nothing). */
bool exs_cli_reaches(enum exs_fail_on level, enum exs_fail_on threshold);

/* Exit code of a scan: output that could not be written (4) wins over
 * everything, since the results are lost; then a --fail-on hit (1) is the
 * more important news and wins over an incomplete scan (3); otherwise 0. */
int exs_cli_exit_code(bool threshold, bool incomplete, bool output_failed);

/* The whole program: argv in, exit code out. */
int exs_cli_main(int argc, char **argv);

#endif
