/* Option parsing and help, driven by each command's option table so that
 * --help (and the man pages) can never disagree with what is accepted. */
#include <errno.h>
#include <libgen.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_OPTIONS 64

static int set_common(const struct exs_command *cmd, struct exs_config *cfg, int id,
                      const char *arg, struct exs_error *err)
{
	switch (id) {
	case EXS_OPT_FORMAT: {
		enum exs_format f;

		if (exs_format_parse(arg, &f) || !(cfg->formats_allowed & (1u << f)))
			return exs_error_set(err, "exscan %s: unknown format '%s' (choose %s)",
			                     cmd->name, arg, cmd->formats ? cmd->formats : "text");
		cfg->format = f;
		return 0;
	}
	case EXS_OPT_OUTPUT:
		cfg->output = arg;
		return 0;
	case EXS_OPT_BUILDS:
		cfg->builds_path = arg;
		return 0;
	case EXS_OPT_CVES:
		cfg->cves_path = arg;
		return 0;
	case EXS_OPT_NO_COLOR:
		cfg->color = false;
		return 0;
	case EXS_OPT_FAIL_ON:
		if (strcmp(arg, "never") == 0)
			cfg->fail_on = EXS_FAIL_ON_NEVER;
		else if (strcmp(arg, "compromised") == 0)
			cfg->fail_on = EXS_FAIL_ON_COMPROMISED;
		else if (strcmp(arg, "vulnerable") == 0)
			cfg->fail_on = EXS_FAIL_ON_VULNERABLE;
		else if (strcmp(arg, "at-risk") == 0)
			cfg->fail_on = EXS_FAIL_ON_AT_RISK;
		else
			return exs_error_set(err,
			                     "exscan %s: --fail-on '%s' is not one of "
			                     "compromised, vulnerable, at-risk, never",
			                     cmd->name, arg);
		return 0;
	default:
		return exs_error_set(err, "exscan %s: option id %d has no handler (a bug)",
		                     cmd->name, id);
	}
}

static unsigned allowed_formats(const char *list)
{
	unsigned mask = 0;
	char buf[128], *tok, *save = NULL;

	if (!list)
		return 1u << EXS_FORMAT_TEXT;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		enum exs_format f;

		if (exs_format_parse(tok, &f) == 0)
			mask |= 1u << f;
	}
	return mask;
}

int exs_cli_parse(const struct exs_command *cmd, struct exs_config *cfg, int argc, char **argv,
                  struct exs_error *err)
{
	struct option longopts[MAX_OPTIONS + 1];
	char shortopts[MAX_OPTIONS * 2 + 3];
	size_t n = 0, s = 0;
	int rc = 0;

	memset(longopts, 0, sizeof(longopts));
	cfg->formats_allowed = allowed_formats(cmd->formats);
	shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (const struct exs_option *o = cmd->options; o->name; o++) {
		if (n == MAX_OPTIONS)
			return exs_error_set(err, "exscan %s: too many options (a bug)", cmd->name);
		longopts[n].name = o->name;
		longopts[n].has_arg = o->arg ? required_argument : no_argument;
		longopts[n].val = o->id + 256; /* never collides with a short option char */
		n++;
		if (o->short_name) {
			shortopts[s++] = o->short_name;
			if (o->arg)
				shortopts[s++] = ':';
		}
	}
	shortopts[s] = '\0';

	optind = 0; /* glibc: reinitialise, so tests can parse more than once */
	opterr = 0;
	for (;;) {
		int longindex = -1, c, id = -1;

		c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (c == -1)
			break;
		if (c == '?') {
			if (optopt)
				rc = exs_error_set(err,
				                   "exscan %s: unknown option '-%c'; see 'exscan "
				                   "help %s'",
				                   cmd->name, optopt, cmd->name);
			else
				rc = exs_error_set(err,
				                   "exscan %s: unknown option '%s'; see 'exscan "
				                   "help %s'",
				                   cmd->name, argv[optind - 1], cmd->name);
			goto out;
		}
		if (c == ':') {
			rc = exs_error_set(err,
			                   "exscan %s: option '%s' needs a value; see 'exscan "
			                   "help %s'",
			                   cmd->name, argv[optind - 1], cmd->name);
			goto out;
		}
		if (c >= 256) {
			id = c - 256;
		} else {
			for (const struct exs_option *o = cmd->options; o->name; o++)
				if (o->short_name == c)
					id = o->id;
		}
		if (id == EXS_OPT_HELP) {
			exs_cli_print_command_help(stdout, cmd);
			rc = 1;
			goto out;
		}
		if (id >= EXS_OPT_COMMAND_BASE)
			rc = cmd->set_option(cfg, id, optarg, err);
		else
			rc = set_common(cmd, cfg, id, optarg, err);
		if (rc)
			goto out;
	}
	cfg->args = argv + optind;
	cfg->nargs = argc - optind;
out:
	return rc;
}

void exs_cli_option_tag(char *buf, size_t size, const struct exs_command *cmd,
                        const struct exs_option *o)
{
	const char *arg = o->id == EXS_OPT_FORMAT && cmd && cmd->formats ? cmd->formats : o->arg;
	char shortpart[8] = "    ";

	if (o->short_name)
		snprintf(shortpart, sizeof(shortpart), "-%c, ", o->short_name);
	snprintf(buf, size, "%s--%s%s%s", shortpart, o->name, arg ? " " : "", arg ? arg : "");
}

void exs_cli_print_command_help(FILE *fp, const struct exs_command *cmd)
{
	fprintf(fp, "usage: exscan %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->description);
	fprintf(fp, "\noptions:\n");
	for (const struct exs_option *o = cmd->options; o->name; o++) {
		char left[80];

		exs_cli_option_tag(left, sizeof(left), cmd, o);
		fprintf(fp, "  %-30s %s\n", left, o->help);
	}
	fprintf(fp, "\nexit codes: 0 ok, 1 --fail-on threshold reached, 2 usage or "
	            "configuration error, 3 incomplete, 4 output could not be written "
	            "(wins over 1 and 3)\n");
}

FILE *exs_cli_output_open(const struct exs_config *cfg, struct exs_error *err)
{
	FILE *fp;

	if (!cfg->output || strcmp(cfg->output, "-") == 0)
		return stdout;
	fp = fopen(cfg->output, "w");
	if (!fp)
		exs_error_set(err, "cannot write '%s': %s; choose another -o FILE", cfg->output,
		              strerror(errno));
	return fp;
}

int exs_cli_output_outside(const struct exs_config *cfg, const char *root, struct exs_error *err)
{
	char *rroot = NULL, *rout = NULL, *copy = NULL;
	size_t n;
	int rc = 0;

	if (!cfg->output || strcmp(cfg->output, "-") == 0)
		goto out;
	/* a root that cannot be resolved is reported by the walk itself */
	rroot = realpath(root, NULL);
	if (!rroot)
		goto out;
	/* the file may not exist yet: then its directory does (else fopen says
	 * why); both resolved, so neither a link nor ".." can hide it */
	rout = realpath(cfg->output, NULL);
	if (!rout) {
		copy = strdup(cfg->output);
		if (!copy)
			goto out;
		rout = realpath(dirname(copy), NULL);
		if (!rout)
			goto out;
	}
	n = strlen(rroot);
	if (strcmp(rroot, "/") == 0 ||
	    (strncmp(rout, rroot, n) == 0 && (rout[n] == '/' || rout[n] == '\0')))
		rc = exs_error_set(err,
		                   "-o '%s' is inside '%s', the tree being scanned: write the "
		                   "result outside it (a scan never writes into what it scans)",
		                   cfg->output, root);
out:
	free(rroot);
	free(rout);
	free(copy);
	return rc;
}

int exs_cli_output_close(const struct exs_config *cfg, FILE *fp, struct exs_error *err)
{
	int e = 0; /* errno of the failure; -1: an earlier write failed, errno long gone */

	if (!fp)
		return 0;
	errno = 0;
	if (fflush(fp) != 0)
		e = errno ? errno : -1;
	else if (ferror(fp))
		e = -1;
	if (fp != stdout && fclose(fp) != 0 && !e)
		e = errno ? errno : -1;
	if (e)
		return exs_error_set(
		        err, "cannot write '%s': %s; the output is incomplete, write it elsewhere",
		        cfg->output ? cfg->output : "standard output",
		        e > 0 ? strerror(e) : "a write failed (device full or closed?)");
	return 0;
}

bool exs_cli_reaches(enum exs_fail_on level, enum exs_fail_on threshold)
{
	static const int rank[] = {
	        [EXS_FAIL_ON_NEVER] = 0,
	        [EXS_FAIL_ON_AT_RISK] = 1,
	        [EXS_FAIL_ON_VULNERABLE] = 2,
	        [EXS_FAIL_ON_COMPROMISED] = 3,
	};

	return threshold != EXS_FAIL_ON_NEVER && level != EXS_FAIL_ON_NEVER &&
	       rank[level] >= rank[threshold];
}
