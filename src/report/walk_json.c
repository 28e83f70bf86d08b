/* exscan walk: one host as JSON. */
#include "exscan/report.h"

static struct json_object *layout_to_json(const struct exs_walk_layout *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "exchange", json_object_new_boolean(l->exchange));
	json_object_object_add(o, "version", exs_json_cstr(l->version));
	json_object_object_add(o, "exchange_dir", exs_json_cstr(l->exchange_dir));
	json_object_object_add(o, "inetpub", exs_json_cstr(l->inetpub));
	json_object_object_add(o, "temporary_aspnet_files", exs_json_cstr(l->temp_aspnet));
	json_object_object_add(o, "programdata", exs_json_cstr(l->programdata));
	json_object_object_add(o, "logging", exs_json_cstr(l->logging));
	json_object_object_add(o, "whole_root_is_web", json_object_new_boolean(l->web_root));
	return o;
}

static struct json_object *stats_to_json(const struct exs_walk_stats *s)
{
	struct json_object *o = json_object_new_object(), *sk = json_object_new_object();

	json_object_object_add(o, "files_seen", json_object_new_int64((int64_t)s->files_seen));
	json_object_object_add(o, "files_scanned",
	                       json_object_new_int64((int64_t)s->files_scanned));
	json_object_object_add(o, "directories", json_object_new_int64((int64_t)s->dirs));
	for (int i = 0; i < EXS_SKIP__N; i++)
		json_object_object_add(sk, exs_walk_skip_name((enum exs_walk_skip)i),
		                       json_object_new_int64((int64_t)s->skipped[i]));
	json_object_object_add(o, "skipped", sk);
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)s->errors));
	json_object_object_add(o, "bytes_scanned",
	                       json_object_new_int64((int64_t)s->bytes_scanned));
	json_object_object_add(o, "bytes_hashed", json_object_new_int64((int64_t)s->bytes_hashed));
	json_object_object_add(o, "truncated", json_object_new_int64((int64_t)s->truncated));
	json_object_object_add(o, "server_pages_cut", json_object_new_int64((int64_t)s->pages_cut));
	json_object_object_add(o, "changed_while_read", json_object_new_int64((int64_t)s->changed));
	json_object_object_add(o, "timeouts", json_object_new_int64((int64_t)s->timeouts));
	json_object_object_add(o, "symlinks_outside_root",
	                       json_object_new_int64((int64_t)s->symlinks_outside));
	json_object_object_add(o, "logs_read", json_object_new_int64((int64_t)s->logs));
	json_object_object_add(o, "log_records_unreadable",
	                       json_object_new_int64((int64_t)s->log_records_unreadable));
	json_object_object_add(o, "artifacts_checked",
	                       json_object_new_int64((int64_t)s->artifacts));
	json_object_object_add(o, "access_times_changed",
	                       json_object_new_boolean(s->atimes_changed));
	json_object_object_add(o, "seconds", json_object_new_double(s->seconds));
	return o;
}

struct json_object *exs_walk_host_to_json(const struct exs_walk_host *h)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "host", exs_json_cstr(h->host));
	json_object_object_add(o, "root", exs_json_cstr(h->root));
	json_object_object_add(o, "layout", layout_to_json(&h->layout));
	for (size_t i = 0; i < h->findings.n; i++)
		json_object_array_add(arr, exs_finding_to_json(&h->findings.items[i]));
	json_object_object_add(o, "findings", arr);
	json_object_object_add(o, "stats", stats_to_json(&h->stats));
	return o;
}
