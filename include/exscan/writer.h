/* Output formats for judged hosts: one writer per file in src/report/.
 *
 * Ownership: writers borrow everything; they only write to `fp`.
 */
#ifndef EXSCAN_WRITER_H
#define EXSCAN_WRITER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "exscan/buf.h"
#include "exscan/config.h"
#include "exscan/error.h"

struct exs_report_meta {
	const char *version; /* exscan's */
	time_t generated;
	bool color; /* text only: colour allowed (terminal, no NO_COLOR) */
	enum exs_fail_on fail_on;
	const char *tables_newest; /* newest update in the tables (YYYY-MM-DD), or NULL */
	long tables_age_days;      /* days since it, -1 when unknown */
	bool tables_stale;         /* more than EXS_KB_STALE_DAYS: say how to refresh */
};

/* Writes judged hosts (a JSON array of host objects carrying "verdict",
 * "reasons", "remediation") in `format`. Returns 0 or -1 with err set. */
int exs_report_write(FILE *fp, enum exs_format format, struct json_object *hosts,
                     const struct exs_report_meta *meta, struct exs_error *err);

/* The writers themselves (also callable alone, e.g. by tests). */
int exs_write_text(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);
int exs_write_json(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);
int exs_write_jsonl(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);
int exs_write_sarif(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);
int exs_write_junit(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);
int exs_write_html(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta);

/* The "tables" object of JSON outputs: newest_update, age_days, stale, advice. */
struct json_object *exs_tables_to_json(const struct exs_report_meta *meta);
struct exs_kb;
/* Fills the tables_* fields of meta from kb's newest update and `now`. */
void exs_report_meta_tables(struct exs_report_meta *meta, const struct exs_kb *kb, time_t now);
/* The one-line note of text outputs when the tables may be stale ("" when
 * they are not), without a newline; buf is returned. */
const char *exs_tables_note(const struct exs_report_meta *meta, char *buf, size_t size);

/* Counts of each verdict (index: enum exs_verdict) and of incomplete hosts. */
void exs_report_count(struct json_object *hosts, size_t counts[5], size_t *incomplete);

/* Escapers for markup: control characters and invalid UTF-8 become \xNN
 * text first (exs_escape_text), then & < > " ' become entities. */
int exs_escape_xml(struct exs_buf *out, const char *s, size_t n);

#endif
