/* html: one self-contained page (no scripts, no external resources; a
 * Content-Security-Policy forbids both): verdict counts, an SVG bar chart,
 * and a card per host with its evidence, checks and remediation.  Every
 * string from a host or file system is escaped. */
#include <string.h>

#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

static const char *const colours[] = {
        [EXS_VERDICT_UNKNOWN] = "#6b7280",     [EXS_VERDICT_CLEAN] = "#15803d",
        [EXS_VERDICT_AT_RISK] = "#b45309",     [EXS_VERDICT_VULNERABLE] = "#c2410c",
        [EXS_VERDICT_COMPROMISED] = "#b91c1c",
};

static const char *h(struct exs_buf *b, const char *s)
{
	exs_buf_reset(b);
	if (s)
		exs_escape_xml(b, s, strlen(s));
	return exs_buf_cstr(b);
}

static void write_chart(FILE *fp, const size_t counts[5], size_t total)
{
	const int bar_w = 520, row_h = 28;
	int y = 0;

	fprintf(fp,
	        "<svg class=\"chart\" role=\"img\" aria-label=\"hosts by verdict\" width=\"720\" "
	        "height=\"%d\" viewBox=\"0 0 720 %d\">\n",
	        5 * row_h, 5 * row_h);
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--, y += row_h) {
		int w = total ? (int)((double)counts[v] / (double)total * bar_w) : 0;

		fprintf(fp,
		        "<text x=\"0\" y=\"%d\" class=\"lbl\">%s</text>"
		        "<rect x=\"110\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"%s\"/>"
		        "<text x=\"%d\" y=\"%d\" class=\"num\">%zu</text>\n",
		        y + 17, exs_verdict_name((enum exs_verdict)v), y + 4, w > 0 ? w : 1,
		        colours[v], 118 + w, y + 17, counts[v]);
	}
	fprintf(fp, "</svg>\n");
}

static void write_findings(FILE *fp, struct json_object *findings, struct exs_buf *b)
{
	size_t n = findings ? json_object_array_length(findings) : 0;

	if (!n)
		return;
	fprintf(fp, "<h4>Findings</h4>\n<table><tr><th>kind</th><th>path</th><th>rule / "
	            "family</th><th>score</th><th>severity</th><th>sha256</th></tr>\n");
	for (size_t i = 0; i < n && i < 500; i++) {
		struct json_object *f = json_object_array_get_idx(findings, i);

		fprintf(fp, "<tr><td>%s</td>", h(b, exs_json_get_str(f, "kind", "")));
		struct exs_buf raw;

		/* escaped from the raw name: a byte 0xFF shows as \xff, the text
		 * "\xff" as \x5cxff */
		exs_buf_init(&raw, 1 << 16);
		fprintf(fp, "<td class=\"path\">%s</td>", h(b, exs_json_raw_path(f, &raw)));
		exs_buf_release(&raw);
		fprintf(fp, "<td>%s", h(b, exs_json_get_str(f, "rule", "")));
		if (exs_json_get_str(f, "family", NULL))
			fprintf(fp, " / %s", h(b, exs_json_get_str(f, "family", "")));
		if (exs_json_get_str(f, "cve", NULL))
			fprintf(fp, " / %s", h(b, exs_json_get_str(f, "cve", "")));
		fprintf(fp, "</td><td>%lld</td>", (long long)exs_json_get_int(f, "score", 0));
		fprintf(fp, "<td>%s</td>", h(b, exs_json_get_str(f, "severity", "")));
		fprintf(fp, "<td class=\"hash\">%.16s</td></tr>\n",
		        h(b, exs_json_get_str(f, "sha256", "")));
	}
	if (n > 500)
		fprintf(fp,
		        "<tr><td colspan=\"6\">%zu more findings in the JSON report</td></tr>\n",
		        n - 500);
	fprintf(fp, "</table>\n");
}

static void write_list(FILE *fp, const char *title, struct json_object *arr, const char *member,
                       struct exs_buf *b)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (!n)
		return;
	fprintf(fp, "<h4>%s</h4>\n<ul>\n", title);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		fprintf(fp, "<li>%s</li>\n",
		        h(b, member ? exs_json_get_str(o, member, "") : json_object_get_string(o)));
	}
	fprintf(fp, "</ul>\n");
}

static void write_card(FILE *fp, struct json_object *host, struct exs_buf *b)
{
	const char *verdict = exs_json_get_str(host, "verdict", "unknown");
	enum exs_verdict v = EXS_VERDICT_UNKNOWN;
	struct json_object *checks = exs_json_get(host, "probe.checks");

	exs_verdict_parse(verdict, &v);
	fprintf(fp, "<section class=\"card\" style=\"border-left-color:%s\">\n", colours[v]);
	fprintf(fp, "<h3><span class=\"host\">%s</span> ",
	        h(b, exs_json_get_str(host, "host", "?")));
	fprintf(fp, "<span class=\"badge\" style=\"background:%s\">%s</span></h3>\n", colours[v],
	        exs_verdict_name(v));
	fprintf(fp, "<p class=\"meta\">");
	if (exs_json_get_str(host, "probe.build", NULL)) {
		fprintf(fp, "build %s", h(b, exs_json_get_str(host, "probe.build", "")));
		fprintf(fp, " (%s", h(b, exs_json_get_str(host, "probe.product", "?")));
		fprintf(fp, " %s", h(b, exs_json_get_str(host, "probe.cu", "")));
		if (exs_json_get_str(host, "probe.update", NULL))
			fprintf(fp, " %s", h(b, exs_json_get_str(host, "probe.update", "")));
		fprintf(fp, ")");
		fprintf(fp, ", precision %s; ",
		        h(b, exs_json_get_str(host, "probe.build_precision", "")));
	}
	if (exs_json_get_str(host, "disk_build.build", NULL)) {
		fprintf(fp, "build on disk %s",
		        h(b, exs_json_get_str(host, "disk_build.build", "")));
		fprintf(fp, " (%s, ", h(b, exs_json_get_str(host, "disk_build.product", "?")));
		fprintf(fp, "from %s); ", h(b, exs_json_get_str(host, "disk_build.file", "")));
	}
	if (exs_json_get_str(host, "root", NULL))
		fprintf(fp, "file system %s; ", h(b, exs_json_get_str(host, "root", "")));
	if (exs_json_get_str(host, "error", NULL))
		fprintf(fp, "error: %s", h(b, exs_json_get_str(host, "error", "")));
	fprintf(fp, "</p>\n");
	write_list(fp, "Why", exs_json_get(host, "reasons"), "text", b);
	write_list(fp, "What to do", exs_json_get(host, "remediation"), NULL, b);
	write_list(fp, "Evidence to preserve", exs_json_get(host, "evidence"), NULL, b);
	if (checks && json_object_array_length(checks)) {
		fprintf(fp, "<h4>Active checks</h4>\n<table><tr><th>check</th><th>result</th>"
		            "<th>evidence</th></tr>\n");
		for (size_t i = 0; i < json_object_array_length(checks); i++) {
			struct json_object *c = json_object_array_get_idx(checks, i);
			char ev[600];

			fprintf(fp, "<tr><td>%s</td>", h(b, exs_json_get_str(c, "id", "")));
			fprintf(fp, "<td>%s</td>", h(b, exs_json_get_str(c, "result", "")));
			fprintf(fp, "<td>%s</td></tr>\n",
			        h(b, exs_check_evidence(c, ev, sizeof(ev))));
		}
		fprintf(fp, "</table>\n");
	}
	write_findings(fp, exs_json_get(host, "findings"), b);
	fprintf(fp, "</section>\n");
}

int exs_write_html(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	size_t counts[5], incomplete, n = json_object_array_length(hosts);
	struct exs_buf b;
	char when[32];
	struct tm tm;

	exs_buf_init(&b, 1 << 20);
	exs_report_count(hosts, counts, &incomplete);
	gmtime_r(&meta->generated, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(fp,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'unsafe-inline'\">\n"
	        "<title>exscan report</title>\n<style>\n"
	        "body{font-family:system-ui,sans-serif;margin:2em;color:#111;background:#f8fafc}\n"
	        "h1{margin-bottom:0}.sub{color:#555;margin-top:.2em}\n"
	        ".counts{display:flex;gap:1em;margin:1em 0}.count{padding:.6em 1em;border-radius:6px;"
	        "color:#fff;min-width:7em}.count b{font-size:1.6em;display:block}\n"
	        ".card{background:#fff;border:1px solid #ddd;border-left:8px solid;border-radius:6px;"
	        "padding:.5em 1.2em;margin:1em 0}\n"
	        ".badge{color:#fff;padding:.15em .6em;border-radius:4px;font-size:.8em;"
	        "vertical-align:middle}\n.meta{color:#444}.path,.hash{font-family:monospace;"
	        "word-break:break-all}\n"
	        "table{border-collapse:collapse;width:100%%;font-size:.9em}td,th{border:1px solid "
	        "#ddd;padding:.3em;text-align:left;vertical-align:top}\n"
	        ".chart .lbl,.chart .num{font-size:14px;font-family:system-ui,sans-serif}\n"
	        "</style></head><body>\n");
	fprintf(fp,
	        "<h1>exscan report</h1>\n<p class=\"sub\">%zu host%s, generated %s by exscan "
	        "%s%s</p>\n",
	        n, n == 1 ? "" : "s", when, h(&b, meta->version),
	        incomplete ? "; some hosts could not be scanned completely" : "");
	fprintf(fp, "<div class=\"counts\">\n");
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--)
		fprintf(fp, "<div class=\"count\" style=\"background:%s\"><b>%zu</b>%s</div>\n",
		        colours[v], counts[v], exs_verdict_name((enum exs_verdict)v));
	fprintf(fp, "</div>\n");
	write_chart(fp, counts, n);
	/* strongest verdict first */
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--) {
		for (size_t i = 0; i < n; i++) {
			struct json_object *host = json_object_array_get_idx(hosts, i);
			enum exs_verdict hv = EXS_VERDICT_UNKNOWN;

			exs_verdict_parse(exs_json_get_str(host, "verdict", "unknown"), &hv);
			if ((int)hv == v)
				write_card(fp, host, &b);
		}
	}
	fprintf(fp, "</body></html>\n");
	exs_buf_release(&b);
	return ferror(fp) ? -1 : 0;
}
