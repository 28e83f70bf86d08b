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
	EXS_OPT_COMMAND_BASE = 100,
};

struct exs_option {
	const char *name; /* long name without the dashes */
	char short_name;  /* 0: long form only */
	const char *arg;  /* metavariable, NULL for a flag */
	const char *help; /* one line; also the man page's text */
	int id;
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
		"builds", 0, "FILE", "use this Exchange build table instead of the built-in one",  \
		        EXS_OPT_BUILDS                                                             \
	}
#define EXS_OPTION_CVES                                                                            \
	{                                                                                          \
		"cves", 0, "FILE", "use this CVE table instead of the built-in one", EXS_OPT_CVES  \
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
		        EXS_OPT_FAIL_ON                                                                               \
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

extern const struct exs_command exs_cmd_builds;
extern const struct exs_command exs_cmd_probe;

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

/* The whole program: argv in, exit code out. */
int exs_cli_main(int argc, char **argv);

#endif
