/* exscan walk: one host as JSON. */
#include <stdio.h>
#include <strings.h>

#include "exscan/report.h"
#include "exscan/server.h"

/* What applicationHost.config says, and the Extended Protection verdict input:
 * the Exchange virtual directories found, and those with it off. */
static struct json_object *iis_to_json(const struct exs_walk_layout *l)
{
	const struct exs_iis_config *c = l->iis;
	struct json_object *o = json_object_new_object(), *a;
	size_t checked = 0;

	json_object_object_add(o, "file", exs_json_cstr(l->iis_file));
	json_object_object_add(o, "error", exs_json_cstr(l->iis_error));
	if (!c)
		return o;
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_modules; i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "name", exs_json_cstr(c->modules[i].name));
		json_object_object_add(m, "image", exs_json_cstr(c->modules[i].image));
		json_object_object_add(m, "known", json_object_new_boolean(c->modules[i].known));
		if (!c->modules[i].known) {
			/* the DLL as found under the root (paths are display-escaped) */
			json_object_object_add(m, "file", exs_json_cstr(c->modules[i].file));
			json_object_object_add(m, "sha256", exs_json_cstr(c->modules[i].sha256));
			json_object_object_add(m, "version", exs_json_cstr(c->modules[i].version));
		}
		json_object_array_add(a, m);
	}
	json_object_object_add(o, "native_modules", a);
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_managed; i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "name", exs_json_cstr(c->managed[i].name));
		json_object_object_add(m, "type", exs_json_cstr(c->managed[i].type));
		json_object_object_add(m, "location", exs_json_cstr(c->managed[i].location));
		json_object_object_add(m, "known", json_object_new_boolean(c->managed[i].known));
		json_object_array_add(a, m);
	}
	json_object_object_add(o, "managed_modules", a);
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_vdirs; i++) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "site", exs_json_cstr(c->vdirs[i].site));
		json_object_object_add(v, "path", exs_json_cstr(c->vdirs[i].path));
		json_object_object_add(v, "physical_path",
		                       exs_json_cstr(c->vdirs[i].physical_path));
		json_object_array_add(a, v);
	}
	json_object_object_add(o, "virtual_directories", a);
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_rewrite_rules; i++)
		json_object_array_add(a, exs_json_cstr(c->rewrite_rules[i]));
	json_object_object_add(o, "rewrite_rules", a);
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_mitigations; i++) {
		const struct exs_iis_mitigation *m = &c->mitigations[i];
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "cve", exs_json_cstr(m->cve));
		json_object_object_add(x, "rule", exs_json_cstr(m->rule));
		json_object_object_add(x, "location", exs_json_cstr(m->location));
		json_object_object_add(x, "file", exs_json_cstr(m->file));
		json_object_object_add(x, "enabled", json_object_new_boolean(m->enabled));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "mitigations", a);
	a = json_object_new_array();
	for (size_t i = 0; i < c->n_vdirs; i++) {
		const struct exs_iis_vdir *v = &c->vdirs[i];
		char loc[512];
		const char *ep;

		/* a file that sets Extended Protection nowhere says nothing of it
		 * (a minimal or foreign configuration): it decides nothing */
		if (!c->n_ep || !exs_walk_iis_ep_vdir(v))
			continue;
		checked++;
		snprintf(loc, sizeof(loc), "%s%s", v->site, v->path);
		ep = exs_iis_config_ep(c, loc);
		if (!ep || strcasecmp(ep, "None") == 0)
			json_object_array_add(a, json_object_new_string(loc));
	}
	json_object_object_add(o, "extended_protection_checked",
	                       json_object_new_int64((int64_t)checked));
	json_object_object_add(o, "extended_protection_off", a);
	return o;
}

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
	json_object_object_add(o, "build", exs_json_cstr(l->build));
	json_object_object_add(o, "build_precision",
	                       l->build ? exs_json_cstr(l->build_precision) : NULL);
	json_object_object_add(o, "build_file", exs_json_cstr(l->build_file));
	json_object_object_add(o, "build_error", exs_json_cstr(l->build_error));
	if (l->iis_file || l->iis_error)
		json_object_object_add(o, "iis", iis_to_json(l));
	json_object_object_add(o, "whole_root_is_web", json_object_new_boolean(l->web_root));
	if (l->single_file)
		json_object_object_add(o, "single_file", json_object_new_boolean(true));
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
	json_object_object_add(o, "bytes_prefiltered",
	                       json_object_new_int64((int64_t)s->bytes_prefiltered));
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
	json_object_object_add(o, "ntfs_streams", json_object_new_int64((int64_t)s->streams));
	json_object_object_add(o, "deleted_files_read", json_object_new_int64((int64_t)s->deleted));
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
	if (h->log_days && json_object_array_length(h->log_days))
		json_object_object_add(o, "log_days", json_object_get(h->log_days));
	json_object_object_add(o, "stats", stats_to_json(&h->stats));
	return o;
}
