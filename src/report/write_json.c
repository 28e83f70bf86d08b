/* json: one document with a summary; jsonl: one host per line. */
#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

int exs_write_json(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	struct json_object *doc = json_object_new_object(), *sum = json_object_new_object();
	size_t counts[5], incomplete;
	char when[32];
	struct tm tm;

	exs_report_count(hosts, counts, &incomplete);
	gmtime_r(&meta->generated, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(doc, "exscan_version", json_object_new_string(meta->version));
	json_object_object_add(doc, "generated", json_object_new_string(when));
	json_object_object_add(sum, "hosts",
	                       json_object_new_int64((int64_t)json_object_array_length(hosts)));
	for (int v = EXS_VERDICT_COMPROMISED; v >= EXS_VERDICT_UNKNOWN; v--)
		json_object_object_add(sum, exs_verdict_name((enum exs_verdict)v),
		                       json_object_new_int64((int64_t)counts[v]));
	json_object_object_add(sum, "incomplete", json_object_new_int64((int64_t)incomplete));
	json_object_object_add(doc, "summary", sum);
	if (meta->tables_newest)
		json_object_object_add(doc, "tables", exs_tables_to_json(meta));
	json_object_object_add(doc, "hosts", json_object_get(hosts));
	exs_json_write(fp, doc, true);
	fputc('\n', fp);
	json_object_put(doc);
	return ferror(fp) ? -1 : 0;
}

int exs_write_jsonl(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	/* no document to carry it: stale tables are said on every line */
	bool stale = meta && meta->tables_newest && meta->tables_stale;

	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);

		if (stale)
			json_object_object_add(h, "tables", exs_tables_to_json(meta));
		exs_json_write(fp, h, false);
		if (stale)
			json_object_object_del(h, "tables");
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}
