/* The format table and helpers shared by the writers. */
#include <string.h>

#include "exscan/escape.h"
#include "exscan/kb.h"
#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

static int (*const writers[])(FILE *, struct json_object *, const struct exs_report_meta *) = {
        [EXS_FORMAT_TEXT] = exs_write_text,   [EXS_FORMAT_JSON] = exs_write_json,
        [EXS_FORMAT_JSONL] = exs_write_jsonl, [EXS_FORMAT_SARIF] = exs_write_sarif,
        [EXS_FORMAT_JUNIT] = exs_write_junit, [EXS_FORMAT_HTML] = exs_write_html,
};

int exs_report_write(FILE *fp, enum exs_format format, struct json_object *hosts,
                     const struct exs_report_meta *meta, struct exs_error *err)
{
	if ((unsigned)format >= sizeof(writers) / sizeof(writers[0]) || !writers[format])
		return exs_error_set(err, "no writer for format %s", exs_format_name(format));
	if (writers[format](fp, hosts, meta))
		return exs_error_set(err, "writing the %s report failed", exs_format_name(format));
	return 0;
}

void exs_report_count(struct json_object *hosts, size_t counts[5], size_t *incomplete)
{
	memset(counts, 0, 5 * sizeof(counts[0]));
	*incomplete = 0;
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		enum exs_verdict v = EXS_VERDICT_UNKNOWN;

		exs_verdict_parse(exs_json_get_str(h, "verdict", "unknown"), &v);
		counts[v]++;
		*incomplete += exs_json_get_bool(h, "incomplete", false);
	}
}

int exs_escape_xml(struct exs_buf *out, const char *s, size_t n)
{
	struct exs_buf tmp;
	int rc;

	exs_buf_init(&tmp, n * 4 + 16);
	rc = exs_escape_text(&tmp, s, n);
	for (size_t i = 0; !rc && i < tmp.len; i++) {
		switch (tmp.data[i]) {
		case '&':
			rc = exs_buf_puts(out, "&amp;");
			break;
		case '<':
			rc = exs_buf_puts(out, "&lt;");
			break;
		case '>':
			rc = exs_buf_puts(out, "&gt;");
			break;
		case '"':
			rc = exs_buf_puts(out, "&quot;");
			break;
		case '\'':
			rc = exs_buf_puts(out, "&#39;");
			break;
		default:
			rc = exs_buf_putc(out, tmp.data[i]);
		}
	}
	exs_buf_release(&tmp);
	return rc;
}

struct json_object *exs_tables_to_json(const struct exs_report_meta *meta)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "newest_update", exs_json_cstr(meta->tables_newest));
	json_object_object_add(
	        t, "age_days",
	        meta->tables_age_days >= 0 ? json_object_new_int64(meta->tables_age_days) : NULL);
	json_object_object_add(t, "stale", json_object_new_boolean(meta->tables_stale));
	json_object_object_add(t, "advice",
	                       meta->tables_stale ? json_object_new_string(exs_kb_refresh_advice())
	                                          : NULL);
	return t;
}

void exs_report_meta_tables(struct exs_report_meta *meta, const struct exs_kb *kb, time_t now)
{
	meta->tables_newest = kb ? exs_kb_newest_date(kb) : NULL;
	meta->tables_stale = false;
	meta->tables_age_days = kb ? exs_kb_age_days(kb, now, &meta->tables_stale) : -1;
}

const char *exs_tables_note(const struct exs_report_meta *meta, char *buf, size_t size)
{
	if (!size)
		return buf;
	buf[0] = '\0';
	if (meta->tables_stale)
		snprintf(buf, size,
		         "note: the newest update in the tables is from %s, %ld days ago: %s",
		         meta->tables_newest ? meta->tables_newest : "?", meta->tables_age_days,
		         exs_kb_refresh_advice());
	return buf;
}
