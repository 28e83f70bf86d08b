/* exscan builds BUILD...: what a build number means for patch level and CVEs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exscan/escape.h"
#include "exscan/kb.h"
#include "exscan/report.h"
#include "exscan/writer.h"

static const struct exs_option builds_options[] = {
        EXS_OPTION_FORMAT, EXS_OPTION_OUTPUT,   EXS_OPTION_FAIL_ON, EXS_OPTION_BUILDS,
        EXS_OPTION_CVES,   EXS_OPTION_NO_COLOR, EXS_OPTION_HELP,    EXS_OPTION_END,
};

/* vulnerable: a known-exploited CVE is certainly open; at-risk: anything open,
 * undecided, or the line is out of support. */
static enum exs_fail_on level_of(const struct exs_assessment *a)
{
	bool any = a->n_open > 0 || a->end_of_support;

	/* hotfix updates without security fixes are not a risk of their own */
	for (size_t i = 0; i < a->n_missing; i++)
		any = any || !a->missing[i].hotfix;

	if (a->newer_than_tables)
		any = true; /* nothing is known about what it fixes */
	for (size_t i = 0; i < a->n_open; i++)
		if (a->open[i].cve->kev && a->open[i].certain)
			return EXS_FAIL_ON_VULNERABLE;
	return any ? EXS_FAIL_ON_AT_RISK : EXS_FAIL_ON_NEVER;
}

/* How old the tables are: a top-level "tables" object in JSON, a line in text
 * when they may be stale. */
static void tables_write(FILE *out, struct json_object *root, const struct exs_kb *kb, time_t now)
{
	struct exs_report_meta meta = {0};
	char note[512];

	exs_report_meta_tables(&meta, kb, now);
	if (root)
		json_object_object_add(root, "tables", exs_tables_to_json(&meta));
	else if (meta.tables_stale)
		fprintf(out, "%s\n", exs_tables_note(&meta, note, sizeof(note)));
}

static int builds_run(struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	struct exs_kb *kb = NULL;
	struct json_object *root = NULL, *arr = NULL;
	FILE *out = NULL;
	int rc = EXS_EXIT_OK;
	bool bad_input = false, threshold = false, output_failed = false;

	if (cfg->nargs == 0) {
		fprintf(stderr,
		        "exscan builds: give at least one build number, e.g. 15.1.2176.2\n");
		return EXS_EXIT_USAGE;
	}
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan builds: %s\n", err.msg);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	out = exs_cli_output_open(cfg, &err);
	if (!out) {
		fprintf(stderr, "exscan builds: %s\n", err.msg);
		rc = EXS_EXIT_OUTPUT;
		goto out;
	}
	if (cfg->format == EXS_FORMAT_JSON) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "builds", arr);
	}
	for (int i = 0; i < cfg->nargs; i++) {
		struct exs_version v;
		struct exs_assessment a;

		if (exs_version_parse(cfg->args[i], &v, &err)) {
			struct exs_buf b;

			/* the argument is untrusted text: escape it in the message */
			exs_buf_init(&b, 512);
			exs_escape_excerpt(&b, cfg->args[i], strlen(cfg->args[i]), 64);
			fprintf(stderr,
			        "exscan builds: '%s' is not a build number: expected e.g. "
			        "15.1.2176.2 or 15.1.2176\n",
			        exs_buf_cstr(&b));
			exs_buf_release(&b);
			bad_input = true;
			continue;
		}
		if (exs_kb_assess(kb, &v, cfg->now, &a, &err)) {
			fprintf(stderr, "exscan builds: %s\n", err.msg);
			rc = EXS_EXIT_INCOMPLETE;
			continue;
		}
		threshold = threshold || exs_cli_reaches(level_of(&a), cfg->fail_on);
		if (arr)
			json_object_array_add(arr, exs_assessment_to_json(kb, &a));
		else
			exs_assessment_write_text(out, kb, &a, cfg->color && out == stdout);
		exs_assessment_release(&a);
	}
	tables_write(out, root, kb, cfg->now);
	if (root) {
		exs_json_write(out, root, true);
		fputc('\n', out);
	}
	if (exs_cli_output_close(cfg, out, &err)) {
		fprintf(stderr, "exscan builds: %s\n", err.msg);
		output_failed = true;
	}
	out = NULL;
	if (output_failed)
		rc = EXS_EXIT_OUTPUT;
	else if (bad_input)
		rc = EXS_EXIT_USAGE;
	else if (rc == EXS_EXIT_OK && threshold)
		rc = EXS_EXIT_THRESHOLD;
out:
	if (out && out != stdout)
		fclose(out);
	json_object_put(root);
	exs_kb_free(kb);
	return rc;
}

const struct exs_command exs_cmd_builds = {
        .name = "builds",
        .synopsis = "[OPTIONS] BUILD...",
        .summary = "explain Exchange builds: update level, missing updates, open CVEs",
        .description =
                "For each build number (15.1.2176.2 as X-OWA-Version gives it, or 15.1.2176 as an\n"
                "OWA asset path gives it) print the product, CU, security update and release date,\n"
                "how far it is behind the newest update of its line, the security updates it lacks\n"
                "and the CVEs left open (KEV: known exploited; configuration-dependent CVEs cannot be\n"
                "decided from the build). A CU-only build says which answers depend on the unseen\n"
                "update. Unknown builds get the nearest known ones. --fail-on: vulnerable = a known\n"
                "exploited CVE is certainly open; at-risk = any update missing or undecided.\n"
                "A table (--builds, --cves or the installed copy) must start with the header\n"
                "tools/gen-kb.py writes (row count and SHA-256 of its rows): an empty, cut or\n"
                "edited table, an impossible date or a control character is refused (exit 2).",
        .formats = "text|json",
        .options = builds_options,
        .set_option = NULL,
        .run = builds_run,
};
