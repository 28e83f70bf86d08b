/* text: an aligned table of verdicts, then the reasons and remediation of
 * every host that is not clean.  All host-supplied text is escaped; colour
 * only when meta->color (a terminal without NO_COLOR). */
#include <string.h>

#include "exscan/escape.h"
#include "exscan/kb.h"
#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

static const char *colour_of(const char *verdict, bool on)
{
	if (!on)
		return "";
	if (strcmp(verdict, "compromised") == 0)
		return "\033[1;31m";
	if (strcmp(verdict, "vulnerable") == 0)
		return "\033[31m";
	if (strcmp(verdict, "at-risk") == 0)
		return "\033[33m";
	if (strcmp(verdict, "clean") == 0)
		return "\033[32m";
	return "\033[2m";
}

/* Escaped copy of untrusted text, capped; valid until the next call with b. */
static const char *safe(struct exs_buf *b, const char *s, size_t cap)
{
	exs_buf_reset(b);
	if (s)
		exs_escape_excerpt(b, s, strlen(s), cap);
	return exs_buf_cstr(b);
}

static size_t display_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		w += (*p & 0xc0) != 0x80;
	return w;
}

/* The moments of the host's timeline an incident responder looks for first. */
static void write_moments(FILE *fp, struct json_object *h, struct exs_buf *b)
{
	static const char *const keys[][2] = {{"first_attempt", "first exploitation"},
	                                      {"first_success", "first success"},
	                                      {"first_shell", "first shell"},
	                                      {"last_activity", "last activity"}};
	struct json_object *sum = exs_json_get(h, "timeline_summary");
	int64_t events = exs_json_get_int(sum, "events", 0);

	if (!events)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *e = exs_json_get(sum, keys[i][0]);

		if (!e || !json_object_is_type(e, json_type_object))
			continue;
		fprintf(fp, "  %-18s %s  %s", keys[i][1], exs_json_get_str(e, "time", "?"),
		        safe(b, exs_json_get_str(e, "text", ""), 300));
		fprintf(fp, "  %s\n", safe(b, exs_json_get_str(e, "path", ""), 300));
	}
	fprintf(fp, "  timeline: %lld event%s in the json and html reports\n", (long long)events,
	        events == 1 ? "" : "s");
}

int exs_write_text(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	size_t n = json_object_array_length(hosts), width = 4, counts[5], incomplete;
	struct exs_buf b;
	const char *off = meta->color ? "\033[0m" : "";

	exs_buf_init(&b, 4096);
	for (size_t i = 0; i < n; i++) {
		size_t w = display_width(safe(
		        &b, exs_json_get_str(json_object_array_get_idx(hosts, i), "host", ""), 60));

		if (w > width)
			width = w;
	}
	fprintf(fp, "%-*s  %-11s  %-14s  %s\n", (int)width, "HOST", "VERDICT", "BUILD",
	        "MAIN REASON");
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		const char *verdict = exs_json_get_str(h, "verdict", "unknown");
		struct json_object *first = exs_verdict_main_reason(h);
		const char *name = safe(&b, exs_json_get_str(h, "host", "?"), 60);
		size_t pad = width - display_width(name);

		fprintf(fp, "%s%*s  %s%-11s%s  ", name, (int)pad, "",
		        colour_of(verdict, meta->color), verdict, off);
		fprintf(fp, "%-14s  ",
		        safe(&b,
		             exs_json_get_str(h, "probe.build",
		                              exs_json_get_str(h, "disk_build.build", "-")),
		             20));
		fprintf(fp, "%s%s\n", safe(&b, exs_json_get_str(first, "text", ""), 100),
		        exs_json_get_bool(h, "incomplete", false) ? " [incomplete]" : "");
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		const char *verdict = exs_json_get_str(h, "verdict", "unknown");
		struct json_object *reasons = exs_json_get(h, "reasons");
		struct json_object *rem = exs_json_get(h, "remediation");
		struct json_object *ev = exs_json_get(h, "evidence");

		if (strcmp(verdict, "clean") == 0)
			continue;
		fprintf(fp, "\n%s%s%s: %s\n", colour_of(verdict, meta->color),
		        safe(&b, exs_json_get_str(h, "host", "?"), 200), off, verdict);
		if (exs_json_get_str(h, "error", NULL))
			fprintf(fp, "  error: %s\n",
			        safe(&b, exs_json_get_str(h, "error", ""), 300));
		for (size_t r = 0; reasons && r < json_object_array_length(reasons) && r < 12;
		     r++) {
			struct json_object *o = json_object_array_get_idx(reasons, r);

			fprintf(fp, "  - [%s] %s\n", exs_json_get_str(o, "level", "?"),
			        safe(&b, exs_json_get_str(o, "text", ""), 400));
		}
		if (reasons && json_object_array_length(reasons) > 12)
			fprintf(fp, "  - ... %zu more reasons in the json and html reports\n",
			        json_object_array_length(reasons) - 12);
		write_moments(fp, h, &b);
		for (size_t r = 0; ev && r < json_object_array_length(ev) && r < 20; r++)
			fprintf(fp, "  evidence: %s\n",
			        safe(&b, json_object_get_string(json_object_array_get_idx(ev, r)),
			             400));
		for (size_t r = 0; rem && r < json_object_array_length(rem); r++)
			fprintf(fp, "  fix: %s\n",
			        safe(&b, json_object_get_string(json_object_array_get_idx(rem, r)),
			             600));
	}
	exs_report_count(hosts, counts, &incomplete);
	fprintf(fp,
	        "\n%zu host%s: %zu compromised, %zu vulnerable, %zu at-risk, %zu clean, %zu unknown",
	        n, n == 1 ? "" : "s", counts[EXS_VERDICT_COMPROMISED],
	        counts[EXS_VERDICT_VULNERABLE], counts[EXS_VERDICT_AT_RISK],
	        counts[EXS_VERDICT_CLEAN], counts[EXS_VERDICT_UNKNOWN]);
	if (incomplete)
		fprintf(fp, "; %zu could not be scanned completely", incomplete);
	fprintf(fp, "\n");
	if (meta->tables_stale) {
		char note[512];

		fprintf(fp, "%s\n", exs_tables_note(meta, note, sizeof(note)));
	}
	exs_buf_release(&b);
	return ferror(fp) ? -1 : 0;
}
