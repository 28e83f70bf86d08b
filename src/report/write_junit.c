/* junit: one testsuite per host; a test case for the verdict (failing when it
 * reaches --fail-on) and one per active check (failing when vulnerable,
 * skipped when unknown), so CI dashboards show every host and check. */
#include <string.h>

#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

static const char *x(struct exs_buf *b, const char *s)
{
	exs_buf_reset(b);
	if (s)
		exs_escape_xml(b, s, strlen(s));
	return exs_buf_cstr(b);
}

int exs_write_junit(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	size_t n = json_object_array_length(hosts), tests = 0, failures = 0, skipped = 0;
	struct exs_buf a, b, body;

	exs_buf_init(&a, 1 << 20);
	exs_buf_init(&b, 1 << 20);
	exs_buf_init(&body, 256u << 20);
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		struct json_object *checks = exs_json_get(h, "probe.checks");
		struct json_object *reasons = exs_json_get(h, "reasons");
		const char *verdict = exs_json_get_str(h, "verdict", "unknown");
		enum exs_verdict v = EXS_VERDICT_UNKNOWN;
		size_t nchecks = checks ? json_object_array_length(checks) : 0;
		size_t hfail = 0, hskip = 0;
		struct exs_buf cases;

		exs_buf_init(&cases, 64u << 20);
		exs_verdict_parse(verdict, &v);
		exs_buf_printf(&cases, "    <testcase classname=\"exscan.%s\" name=\"verdict\">",
		               x(&a, exs_json_get_str(h, "host", "?")));
		if (exs_verdict_reaches(v, meta->fail_on)) {
			exs_buf_printf(&cases,
			               "\n      <failure type=\"%s\" message=\"host is %s\">",
			               exs_verdict_name(v), exs_verdict_name(v));
			for (size_t r = 0; reasons && r < json_object_array_length(reasons); r++)
				exs_buf_printf(&cases, "%s\n",
				               x(&b, exs_json_get_str(
				                             json_object_array_get_idx(reasons, r),
				                             "text", "")));
			exs_buf_puts(&cases, "</failure>\n    ");
			hfail++;
		} else if (v == EXS_VERDICT_UNKNOWN) {
			exs_buf_printf(&cases, "<skipped message=\"%s\"/>",
			               x(&b, exs_json_get_str(json_object_array_get_idx(reasons, 0),
			                                      "text", "unknown")));
			hskip++;
		}
		exs_buf_puts(&cases, "</testcase>\n");
		for (size_t c = 0; c < nchecks; c++) {
			struct json_object *ck = json_object_array_get_idx(checks, c);
			const char *res = exs_json_get_str(ck, "result", "unknown");
			char ev[600];

			exs_buf_printf(&cases,
			               "    <testcase classname=\"exscan.%s\" name=\"check %s\">",
			               x(&a, exs_json_get_str(h, "host", "?")),
			               x(&b, exs_json_get_str(ck, "id", "?")));
			if (strcmp(res, "vulnerable") == 0) {
				exs_buf_printf(&cases,
				               "<failure type=\"vulnerable\" message=\"%s\"/>",
				               x(&b, exs_check_evidence(ck, ev, sizeof(ev))));
				hfail++;
			} else if (strcmp(res, "not-vulnerable") != 0) {
				exs_buf_printf(&cases, "<skipped message=\"%s\"/>",
				               x(&b, exs_check_evidence(ck, ev, sizeof(ev))));
				hskip++;
			}
			exs_buf_puts(&cases, "</testcase>\n");
		}
		exs_buf_printf(&body,
		               "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" "
		               "errors=\"0\" skipped=\"%zu\">\n%s  </testsuite>\n",
		               x(&a, exs_json_get_str(h, "host", "?")), nchecks + 1, hfail, hskip,
		               exs_buf_cstr(&cases));
		exs_buf_release(&cases);
		tests += nchecks + 1;
		failures += hfail;
		skipped += hskip;
	}
	/* the tables the verdicts were judged with: their age as properties and
	 * one test case, skipped with how to refresh them when they may be
	 * stale (a CI gate is the exit code, which staleness does not change) */
	if (meta->tables_newest) {
		char note[512];

		exs_tables_note(meta, note, sizeof(note));
		exs_buf_printf(&body,
		               "  <testsuite name=\"exscan tables\" tests=\"1\" failures=\"0\" "
		               "errors=\"0\" skipped=\"%d\">\n    <properties>\n"
		               "      <property name=\"tables.newest_update\" value=\"%s\"/>\n"
		               "      <property name=\"tables.age_days\" value=\"%ld\"/>\n"
		               "      <property name=\"tables.stale\" value=\"%s\"/>\n"
		               "    </properties>\n"
		               "    <testcase classname=\"exscan.tables\" name=\"tables current\">",
		               meta->tables_stale, x(&a, meta->tables_newest),
		               meta->tables_age_days, meta->tables_stale ? "true" : "false");
		if (meta->tables_stale)
			exs_buf_printf(&body, "<skipped message=\"%s\"/>", x(&a, note));
		exs_buf_puts(&body, "</testcase>\n");
		if (meta->tables_stale)
			exs_buf_printf(&body, "    <system-out>%s</system-out>\n", x(&a, note));
		exs_buf_puts(&body, "  </testsuite>\n");
		tests++;
		skipped += meta->tables_stale;
	}
	fprintf(fp,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<testsuites name=\"exscan\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	        "skipped=\"%zu\">\n%s</testsuites>\n",
	        tests, failures, skipped, exs_buf_cstr(&body));
	exs_buf_release(&a);
	exs_buf_release(&b);
	exs_buf_release(&body);
	return ferror(fp) ? -1 : 0;
}
