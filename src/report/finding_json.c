/* struct exs_finding -> JSON (shared by walk, logs and scan output). */
#include <string.h>

#include "exscan/report.h"

struct json_object *exs_finding_to_json(const struct exs_finding *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "path", exs_json_cstr(f->path ? f->path : ""));
	/* a name that is not UTF-8 is shown with \xNN escapes, which a name
	 * holding those four characters would share: the raw bytes too */
	if (f->path && !exs_utf8_clean(f->path, strlen(f->path)))
		json_object_object_add(o, "path_b64", exs_json_b64(f->path, strlen(f->path)));
	json_object_object_add(o, "kind", json_object_new_string(exs_finding_kind_name(f->kind)));
	json_object_object_add(o, "rule", exs_json_cstr(f->rule));
	json_object_object_add(o, "family", exs_json_cstr(f->family));
	json_object_object_add(o, "score", json_object_new_int(f->score));
	json_object_object_add(
	        o, "severity",
	        json_object_new_string(exs_severity_name(exs_severity_of(f->score))));
	json_object_object_add(o, "description", exs_json_cstr(f->description));
	if (f->reference)
		json_object_object_add(o, "reference", exs_json_cstr(f->reference));
	if (f->kind != EXS_FINDING_LOG && f->kind != EXS_FINDING_ERROR) {
		json_object_object_add(o, "sha256",
		                       f->sha256[0] ? json_object_new_string(f->sha256) : NULL);
		json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
		json_object_object_add(o, "mtime", exs_json_time(f->mtime));
		/* for the timeline: ctime and the creation time, null when unknown */
		json_object_object_add(o, "ctime", exs_json_time(f->ctime));
		json_object_object_add(o, "btime", exs_json_time(f->btime));
		json_object_object_add(o, "filetype", exs_json_cstr(f->filetype));
	}
	if (f->n_matches) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < f->n_matches; i++) {
			struct json_object *m = json_object_new_object();

			json_object_object_add(
			        m, "offset", json_object_new_int64((int64_t)f->matches[i].offset));
			json_object_object_add(m, "identifier",
			                       exs_json_cstr(f->matches[i].identifier));
			json_object_object_add(
			        m, "data",
			        f->matches[i].data
			                ? exs_json_str(f->matches[i].data, f->matches[i].data_len)
			                : NULL);
			json_object_array_add(arr, m);
		}
		json_object_object_add(o, "matches", arr);
	}
	if (f->kind == EXS_FINDING_LOG || f->kind == EXS_FINDING_ARTIFACT) {
		struct json_object *cl = json_object_new_array();

		json_object_object_add(o, "cve", exs_json_cstr(f->cve));
		json_object_object_add(o, "campaign", exs_json_cstr(f->campaign));
		json_object_object_add(o, "success", json_object_new_boolean(f->success));
		json_object_object_add(o, "first_seen", exs_json_time(f->first_seen));
		json_object_object_add(o, "last_seen", exs_json_time(f->last_seen));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)f->count));
		json_object_object_add(o, "line",
		                       f->line ? json_object_new_int64((int64_t)f->line) : NULL);
		for (size_t i = 0; i < f->n_clients; i++)
			json_object_array_add(cl, exs_json_cstr(f->clients[i]));
		json_object_object_add(o, "clients", cl);
	}
	/* findings of one rule in one folder past the limit, folded into one */
	if (f->kind != EXS_FINDING_LOG && f->kind != EXS_FINDING_ARTIFACT && f->count)
		json_object_object_add(o, "count", json_object_new_int64((int64_t)f->count));
	if (f->deleted)
		json_object_object_add(o, "deleted", json_object_new_boolean(true));
	if (f->ntfs_times) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "si_created", exs_json_time(f->si_created));
		json_object_object_add(t, "si_modified", exs_json_time(f->si_modified));
		json_object_object_add(t, "fn_created", exs_json_time(f->fn_created));
		json_object_object_add(t, "fn_modified", exs_json_time(f->fn_modified));
		json_object_object_add(o, "ntfs_times", t);
	}
	if (f->excerpt)
		json_object_object_add(o, "excerpt", exs_json_str(f->excerpt, f->excerpt_len));
	return o;
}
