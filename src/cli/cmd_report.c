/* exscan report FILE...: merge earlier probe/walk/scan results and judge. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exscan/kb.h"
#include "exscan/merge.h"
#include "exscan/report.h"
#include "exscan/timeline.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"
#include "version_info.h"

enum { OPT_ALIAS = EXS_OPT_COMMAND_BASE };

static const struct exs_option report_options[] = {
        EXS_OPTION_FORMAT,
        EXS_OPTION_OUTPUT,
        EXS_OPTION_FAIL_ON,
        {"alias", 0, "A=B", "results for host A belong to host B (repeatable)", OPT_ALIAS},
        EXS_OPTION_BUILDS,
        EXS_OPTION_CVES,
        EXS_OPTION_NO_COLOR,
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

static int report_set_option(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	const char **a;

	if (id != OPT_ALIAS)
		return exs_error_set(err, "exscan report: unknown option id %d (a bug)", id);
	a = realloc(cfg->report.aliases, (cfg->report.n_aliases + 1) * sizeof(*a));
	if (!a)
		return exs_error_set(err, "out of memory");
	a[cfg->report.n_aliases++] = arg;
	cfg->report.aliases = a;
	return 0;
}

/* Strongest verdict first, then by name: stable, readable output whatever
 * order the hosts finished in. */
static int cmp_hosts(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	enum exs_verdict vx = EXS_VERDICT_UNKNOWN, vy = EXS_VERDICT_UNKNOWN;

	exs_verdict_parse(exs_json_get_str(x, "verdict", "unknown"), &vx);
	exs_verdict_parse(exs_json_get_str(y, "verdict", "unknown"), &vy);
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return strcmp(exs_json_get_str(x, "host", ""), exs_json_get_str(y, "host", ""));
}

int exs_cli_judge_and_write(struct exs_config *cfg, const struct exs_kb *kb,
                            struct json_object *hosts, bool incomplete, const char *cmd)
{
	struct exs_report_meta meta = {
	        .version = EXS_VERSION_STRING,
	        .generated = cfg->now,
	        .fail_on = cfg->fail_on,
	};
	struct exs_error err = {{0}};
	struct exs_kb_memo memo;
	bool threshold = false, failed = false;
	FILE *out;

	exs_report_meta_tables(&meta, kb, cfg->now);
	/* a fleet runs few distinct builds: each is assessed once */
	exs_kb_memo_init(&memo, kb, cfg->now);
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		bool inc = false;
		enum exs_verdict v =
		        exs_verdict_judge_memo(json_object_array_get_idx(hosts, i), &memo, &inc);

		threshold = threshold || exs_verdict_reaches(v, cfg->fail_on);
		incomplete = incomplete || inc;
		if (exs_timeline_build(json_object_array_get_idx(hosts, i)))
			fprintf(stderr, "exscan %s: out of memory building a timeline\n", cmd);
	}
	exs_kb_memo_release(&memo);
	json_object_array_sort(hosts, cmp_hosts);
	out = exs_cli_output_open(cfg, &err);
	if (!out) {
		fprintf(stderr, "exscan %s: %s\n", cmd, err.msg);
		return EXS_EXIT_OUTPUT;
	}
	meta.color = cfg->color && out == stdout;
	failed = exs_report_write(out, cfg->format, hosts, &meta, &err) != 0;
	/* one line: the close names the file and the system's reason; the
	 * writer's own message only when the close has nothing to say */
	if (exs_cli_output_close(cfg, out, &err) || failed) {
		fprintf(stderr, "exscan %s: %s\n", cmd, err.msg);
		failed = true;
	}
	if (cfg->output && !failed)
		fprintf(stderr, "exscan %s: report written to %s\n", cmd, cfg->output);
	return exs_cli_exit_code(threshold, incomplete, failed);
}

int exs_cli_exit_code(bool threshold, bool incomplete, bool output_failed)
{
	if (output_failed)
		return EXS_EXIT_OUTPUT;
	if (threshold)
		return EXS_EXIT_THRESHOLD;
	return incomplete ? EXS_EXIT_INCOMPLETE : EXS_EXIT_OK;
}

static int report_run(struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	struct exs_merge *m = NULL;
	struct exs_kb *kb = NULL;
	size_t bad = 0;
	int rc = EXS_EXIT_OK;

	if (cfg->nargs == 0) {
		fprintf(stderr,
		        "exscan report: give the JSON or JSONL files of earlier probe, walk "
		        "or scan runs ('-' for standard input)\n");
		return EXS_EXIT_USAGE;
	}
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan report: %s\n", err.msg);
		return EXS_EXIT_USAGE;
	}
	m = exs_merge_new();
	if (!m) {
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < cfg->report.n_aliases; i++) {
		if (exs_merge_add_alias(m, cfg->report.aliases[i], &err)) {
			fprintf(stderr, "exscan report: %s\n", err.msg);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
	}
	for (int i = 0; i < cfg->nargs; i++) {
		if (exs_merge_add_file(m, cfg->args[i], &err)) {
			fprintf(stderr, "exscan report: %s\n", err.msg);
			bad++;
		}
	}
	if (bad)
		fprintf(stderr,
		        "exscan report: %zu of %d input%s could not be read completely; the "
		        "verdicts below leave out what could not be read\n",
		        bad, cfg->nargs, cfg->nargs == 1 ? "" : "s");
	rc = exs_cli_judge_and_write(cfg, kb, exs_merge_hosts(m), bad > 0, "report");
out:
	exs_merge_free(m);
	exs_kb_free(kb);
	return rc;
}

const struct exs_command exs_cmd_report = {
        .name = "report",
        .synopsis = "[OPTIONS] FILE...",
        .summary = "merge probe, walk and scan results and give each host a verdict",
        .description =
                "Reads JSON or JSONL files written by earlier exscan probe, walk and scan runs\n"
                "(made on any number of machines), merges the results of each host (matched by\n"
                "name, by the DNS or NetBIOS name the probe learned from NTLM, or by --alias)\n"
                "and gives every host a verdict with its reasons and remediation: compromised >\n"
                "vulnerable > at-risk > clean > unknown. Probes of different addresses that\n"
                "claim one host are all kept: the worst is judged and a differing build is a\n"
                "reason (conflicting identity). Exit 4 when the report cannot be written.",
        .formats = "text|json|jsonl|sarif|junit|html",
        .options = report_options,
        .set_option = report_set_option,
        .run = report_run,
};
