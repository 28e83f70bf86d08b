/* html: one self-contained page that reads at fleet scale.  The hosts are
 * data (two JSON blocks: a row per host for the table, and each host's
 * detail, parsed only when a host is first opened); one script of ours
 * (src/report/report.js, pinned by its hash in the Content-Security-Policy,
 * which forbids every other script and every fetch) draws the table, sorts
 * and filters it, and shows a host's reasons, timeline on a time axis,
 * findings and checks on demand.
 *
 * Escaping: every string from a host or file system goes through
 * exs_escape_text() (controls, backslashes, invalid UTF-8 as \xNN, bidi and
 * line separators as \uXXXX, as in the text report), is written as JSON by
 * exs_json_write(), and then '<', '>' and '&' inside the JSON become \u003c,
 * \u003e, \u0026, so no text can end the data block ("</script") or open a
 * comment; the script puts it in the page with textContent only. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/escape.h"
#include "exscan/kb.h"
#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

extern const char exs_html_js[], exs_html_css[];
extern const size_t exs_html_js_len, exs_html_css_len;

/* findings and timeline events shown per host (all of them are in the JSON) */
#define MAX_FINDINGS 500

static const char *const colours[] = {
        [EXS_VERDICT_UNKNOWN] = "#6b7280",     [EXS_VERDICT_CLEAN] = "#15803d",
        [EXS_VERDICT_AT_RISK] = "#b45309",     [EXS_VERDICT_VULNERABLE] = "#c2410c",
        [EXS_VERDICT_COMPROMISED] = "#b91c1c",
};

/* Untrusted text as a JSON string, escaped as for the terminal and capped. */
static struct json_object *js(struct exs_buf *b, const char *s, size_t cap)
{
	if (!s)
		return NULL;
	exs_buf_reset(b);
	exs_escape_excerpt(b, s, strlen(s), cap);
	return json_object_new_string_len(exs_buf_cstr(b), (int)b->len);
}

/* Our own text (verdict names, counts): markup-escaped anyway. */
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

static const char *build_of(struct json_object *host)
{
	return exs_json_get_str(host, "probe.build",
	                        exs_json_get_str(host, "disk_build.build", ""));
}

/* The table row: [host, verdict (0-4), build, main reason, incomplete, findings]. */
static struct json_object *row_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *r = json_object_new_array();
	struct json_object *main = exs_verdict_main_reason(host);
	struct json_object *f = exs_json_get(host, "findings");
	enum exs_verdict v = EXS_VERDICT_UNKNOWN;

	exs_verdict_parse(exs_json_get_str(host, "verdict", "unknown"), &v);
	json_object_array_add(r, js(b, exs_json_get_str(host, "host", "?"), 200));
	json_object_array_add(r, json_object_new_int((int)v));
	json_object_array_add(r, js(b, build_of(host), 40));
	json_object_array_add(r, js(b, exs_json_get_str(main, "text", ""), 300));
	json_object_array_add(r, json_object_new_int(exs_json_get_bool(host, "incomplete", false)));
	json_object_array_add(r,
	                      json_object_new_int64(f && json_object_is_type(f, json_type_array)
	                                                    ? (int64_t)json_object_array_length(f)
	                                                    : 0));
	return r;
}

/* "build 15.1.2176.2 (Exchange Server 2016 CU19), precision exact; ..." */
static struct json_object *meta_line(struct json_object *host, struct exs_buf *b)
{
	struct exs_buf m;
	struct json_object *o;

	exs_buf_init(&m, 8192);
	if (exs_json_get_str(host, "probe.build", NULL)) {
		exs_buf_printf(&m, "build %s (%s %s%s%s), precision %s; ",
		               exs_json_get_str(host, "probe.build", ""),
		               exs_json_get_str(host, "probe.product", "?"),
		               exs_json_get_str(host, "probe.cu", ""),
		               exs_json_get_str(host, "probe.update", NULL) ? " " : "",
		               exs_json_get_str(host, "probe.update", ""),
		               exs_json_get_str(host, "probe.build_precision", ""));
	}
	if (exs_json_get_str(host, "disk_build.build", NULL))
		exs_buf_printf(&m, "build on disk %s (%s, from %s); ",
		               exs_json_get_str(host, "disk_build.build", ""),
		               exs_json_get_str(host, "disk_build.product", "?"),
		               exs_json_get_str(host, "disk_build.file", ""));
	if (exs_json_get_str(host, "address", NULL))
		exs_buf_printf(&m, "address %s:%lld; ", exs_json_get_str(host, "address", ""),
		               (long long)exs_json_get_int(host, "port", 443));
	if (exs_json_get_str(host, "root", NULL))
		exs_buf_printf(&m, "file system %s; ", exs_json_get_str(host, "root", ""));
	if (exs_json_get_str(host, "error", NULL))
		exs_buf_printf(&m, "error: %s", exs_json_get_str(host, "error", ""));
	o = js(b, exs_buf_cstr(&m), 4000);
	exs_buf_release(&m);
	return o;
}

static struct json_object *str_list(struct json_object *arr, const char *member, size_t max,
                                    struct exs_buf *b)
{
	struct json_object *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;

	for (size_t i = 0; i < n && i < max; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		json_object_array_add(
		        out,
		        js(b, member ? exs_json_get_str(o, member, "") : json_object_get_string(o),
		           1000));
	}
	return out;
}

static struct json_object *reasons_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *arr = exs_json_get(host, "reasons"), *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(arr, i),
		                   *x = json_object_new_array();

		json_object_array_add(x, js(b, exs_json_get_str(r, "level", "?"), 20));
		json_object_array_add(x, js(b, exs_json_get_str(r, "text", ""), 1000));
		json_object_array_add(out, x);
	}
	return out;
}

static struct json_object *checks_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *arr = exs_json_get(host, "probe.checks"),
	                   *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(arr, i),
		                   *x = json_object_new_array();
		char ev[600];

		json_object_array_add(x, js(b, exs_json_get_str(c, "id", ""), 100));
		json_object_array_add(x, js(b, exs_json_get_str(c, "result", ""), 40));
		json_object_array_add(x, js(b, exs_check_evidence(c, ev, sizeof(ev)), 600));
		json_object_array_add(out, x);
	}
	return out;
}

/* [kind, path, rule / family / cve, score, severity, sha256 (16), mtime] */
static struct json_object *findings_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *arr = exs_json_get(host, "findings"), *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;
	struct exs_buf raw, what;

	exs_buf_init(&raw, 1 << 16);
	exs_buf_init(&what, 4096);
	for (size_t i = 0; i < n && i < MAX_FINDINGS; i++) {
		struct json_object *f = json_object_array_get_idx(arr, i),
		                   *x = json_object_new_array();
		const char *sha = exs_json_get_str(f, "sha256", "");

		exs_buf_reset(&what);
		exs_buf_puts(&what, exs_json_get_str(f, "rule", ""));
		if (exs_json_get_str(f, "family", NULL))
			exs_buf_printf(&what, " / %s", exs_json_get_str(f, "family", ""));
		if (exs_json_get_str(f, "cve", NULL))
			exs_buf_printf(&what, " / %s", exs_json_get_str(f, "cve", ""));
		json_object_array_add(x, js(b, exs_json_get_str(f, "kind", ""), 20));
		/* escaped from the raw name: a byte 0xFF shows as \xff, the text
		 * "\xff" as \x5cxff */
		exs_buf_reset(&raw);
		json_object_array_add(x, js(b, exs_json_raw_path(f, &raw), 2000));
		json_object_array_add(x, js(b, exs_buf_cstr(&what), 400));
		json_object_array_add(x, json_object_new_int64(exs_json_get_int(f, "score", 0)));
		json_object_array_add(x, js(b, exs_json_get_str(f, "severity", ""), 20));
		json_object_array_add(x, js(b, sha, 16));
		json_object_array_add(
		        x,
		        js(b, exs_json_get_str(f, "mtime", exs_json_get_str(f, "first_seen", "")),
		           40));
		json_object_array_add(out, x);
	}
	exs_buf_release(&what);
	exs_buf_release(&raw);
	return out;
}

/* [time, type, source, severity, text, path] */
static struct json_object *event_json(struct json_object *e, struct exs_buf *b)
{
	struct json_object *x = json_object_new_array();

	json_object_array_add(x, js(b, exs_json_get_str(e, "time", ""), 40));
	json_object_array_add(x, js(b, exs_json_get_str(e, "type", ""), 40));
	json_object_array_add(x, js(b, exs_json_get_str(e, "source", ""), 40));
	json_object_array_add(x, js(b, exs_json_get_str(e, "severity", ""), 20));
	json_object_array_add(x, js(b, exs_json_get_str(e, "text", ""), 600));
	json_object_array_add(x, js(b, exs_json_get_str(e, "path", ""), 2000));
	return x;
}

static struct json_object *timeline_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *arr = exs_json_get(host, "timeline"), *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(out, event_json(json_object_array_get_idx(arr, i), b));
	return out;
}

static struct json_object *moments_json(struct json_object *host, struct exs_buf *b)
{
	static const char *const keys[] = {"first_attempt", "first_success", "first_shell",
	                                   "last_activity"};
	struct json_object *sum = exs_json_get(host, "timeline_summary");
	struct json_object *out = json_object_new_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *e = exs_json_get(sum, keys[i]);

		if (e && json_object_is_type(e, json_type_object))
			json_object_object_add(out, keys[i], event_json(e, b));
	}
	json_object_object_add(out, "omitted",
	                       json_object_new_int64(exs_json_get_int(sum, "omitted", 0)));
	return out;
}

/* [date, campaign, attempts, successes] */
static struct json_object *days_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *arr = exs_json_get(host, "log_days"), *out = json_object_new_array();
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
	                                                            : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(arr, i),
		                   *x = json_object_new_array();

		json_object_array_add(x, js(b, exs_json_get_str(d, "date", ""), 20));
		json_object_array_add(x, js(b, exs_json_get_str(d, "campaign", ""), 60));
		json_object_array_add(x, json_object_new_int64(exs_json_get_int(d, "attempts", 0)));
		json_object_array_add(x,
		                      json_object_new_int64(exs_json_get_int(d, "successes", 0)));
		json_object_array_add(out, x);
	}
	return out;
}

static struct json_object *detail_json(struct json_object *host, struct exs_buf *b)
{
	struct json_object *d = json_object_new_object();
	struct json_object *f = exs_json_get(host, "findings");
	size_t nf = f && json_object_is_type(f, json_type_array) ? json_object_array_length(f) : 0;

	json_object_object_add(d, "m", meta_line(host, b));
	json_object_object_add(d, "r", reasons_json(host, b));
	json_object_object_add(d, "x", str_list(exs_json_get(host, "remediation"), NULL, 50, b));
	json_object_object_add(d, "e", str_list(exs_json_get(host, "evidence"), NULL, 200, b));
	json_object_object_add(d, "c", checks_json(host, b));
	json_object_object_add(d, "f", findings_json(host, b));
	json_object_object_add(
	        d, "fm",
	        json_object_new_int64(nf > MAX_FINDINGS ? (int64_t)(nf - MAX_FINDINGS) : 0));
	json_object_object_add(d, "t", timeline_json(host, b));
	json_object_object_add(d, "s", moments_json(host, b));
	json_object_object_add(d, "d", days_json(host, b));
	return d;
}

/* Writes o as JSON that can sit inside <script type="application/json">:
 * exs_json_write() (valid UTF-8, separators and bidi controls as \u
 * escapes), then '<', '>' and '&' (only ever inside strings) as \u escapes. */
static int write_data(FILE *fp, const char *id, struct json_object *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = -1;

	if (!mem)
		return -1;
	if (exs_json_write(mem, o, false) || fclose(mem))
		goto out;
	fprintf(fp, "<script id=\"%s\" type=\"application/json\">", id);
	for (size_t i = 0, run = 0; i <= len; i++) {
		const char *esc = i == len         ? ""
		                  : text[i] == '<' ? "\\u003c"
		                  : text[i] == '>' ? "\\u003e"
		                  : text[i] == '&' ? "\\u0026"
		                                   : NULL;

		if (!esc) {
			run++;
			continue;
		}
		fwrite(text + i - run, 1, run, fp);
		fputs(esc, fp);
		run = 0;
	}
	fputs("</script>\n", fp);
	rc = ferror(fp) ? -1 : 0;
out:
	free(text);
	return rc;
}

/* 'sha256-BASE64' of our script, for the Content-Security-Policy. */
static void script_hash(char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct json_object *b64;

	if (!EVP_Digest(exs_html_js, exs_html_js_len, md, &mdlen, EVP_sha256(), NULL)) {
		snprintf(out, n, "'none'");
		return;
	}
	b64 = exs_json_b64(md, mdlen);
	snprintf(out, n, "'sha256-%s'", json_object_get_string(b64));
	json_object_put(b64);
}

int exs_write_html(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	size_t counts[5], incomplete, n = json_object_array_length(hosts);
	struct json_object *rows = json_object_new_array(), *details = json_object_new_array();
	struct exs_buf b;
	char when[32], hash[128];
	struct tm tm;
	int rc = -1;

	exs_buf_init(&b, 1 << 20);
	exs_report_count(hosts, counts, &incomplete);
	gmtime_r(&meta->generated, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	script_hash(hash, sizeof(hash));
	fprintf(fp,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'unsafe-inline'; script-src %s; img-src data:; base-uri 'none'; "
	        "form-action 'none'\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<title>exscan report</title>\n<style>\n",
	        hash);
	fwrite(exs_html_css, 1, exs_html_css_len, fp);
	fprintf(fp, "</style></head><body>\n");
	fprintf(fp,
	        "<h1>exscan report</h1>\n<p class=\"sub\">%zu host%s, generated %s by exscan %s", n,
	        n == 1 ? "" : "s", when, h(&b, meta->version));
	if (meta->tables_newest)
		fprintf(fp, "; build and CVE tables of %s", h(&b, meta->tables_newest));
	fprintf(fp, "%s</p>\n", incomplete ? "; some hosts could not be scanned completely" : "");
	if (meta->tables_stale)
		fprintf(fp,
		        "<p class=\"stale\" id=\"stale\" role=\"alert\">note: the newest update in "
		        "the tables is from %s, %ld days ago: ",
		        h(&b, meta->tables_newest), meta->tables_age_days);
	if (meta->tables_stale)
		fprintf(fp, "%s</p>\n", h(&b, exs_kb_refresh_advice()));
	fprintf(fp, "<div class=\"counts\">\n");
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--)
		fprintf(fp,
		        "<button type=\"button\" class=\"count\" data-v=\"%d\" "
		        "style=\"background:%s\"><b>%zu</b>%s</button>\n",
		        v, colours[v], counts[v], exs_verdict_name((enum exs_verdict)v));
	fprintf(fp, "</div>\n");
	write_chart(fp, counts, n);
	fprintf(fp, "<div class=\"controls\"><label>verdict <select id=\"fv\"><option "
	            "value=\"\">all</option>");
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--)
		fprintf(fp, "<option value=\"%d\">%s</option>", v,
		        exs_verdict_name((enum exs_verdict)v));
	fprintf(fp, "</select></label> <label>build <select id=\"fb\"><option "
	            "value=\"\">all</option></select></label> <label>search <input id=\"fq\" "
	            "type=\"search\" placeholder=\"host, build or reason\"></label> "
	            "<span id=\"shown\"></span></div>\n"
	            "<noscript><p class=\"stale\">The host table is drawn by the page's script; "
	            "allow it, or read the text or JSON report.</p></noscript>\n"
	            "<table id=\"hosts\"><thead><tr><th data-k=\"0\">host</th><th "
	            "data-k=\"1\">verdict</th><th data-k=\"2\">build</th><th data-k=\"3\">main "
	            "reason</th><th data-k=\"5\">findings</th></tr></thead><tbody></tbody>"
	            "</table>\n<button type=\"button\" id=\"more\" hidden>show more</button>\n"
	            "<section id=\"detail\" hidden></section>\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *host = json_object_array_get_idx(hosts, i);

		json_object_array_add(rows, row_json(host, &b));
		json_object_array_add(details, detail_json(host, &b));
	}
	if (write_data(fp, "rows", rows) || write_data(fp, "details", details))
		goto out;
	fputs("<script>", fp);
	fwrite(exs_html_js, 1, exs_html_js_len, fp);
	fputs("</script>\n</body></html>\n", fp);
	rc = ferror(fp) ? -1 : 0;
out:
	json_object_put(rows);
	json_object_put(details);
	exs_buf_release(&b);
	return rc;
}
