/* The JSON form of one probed host (exscan probe --format json|jsonl).
 * Every string that came from the server goes through exs_json_str(). */
#include <string.h>

#include "exscan/probe.h"
#include "exscan/report.h"

static struct json_object *raw(const char *s)
{
	return s && s[0] ? exs_json_str(s, strlen(s)) : NULL;
}

static struct json_object *tls_json(const struct exs_tls_facts *t)
{
	struct json_object *o, *sans;

	if (!t->present)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "protocol", raw(t->protocol));
	json_object_object_add(o, "cipher", raw(t->cipher));
	json_object_object_add(o, "subject", raw(t->subject));
	sans = json_object_new_array();
	for (size_t i = 0; i < t->n_sans; i++)
		json_object_array_add(sans, raw(t->sans[i]));
	json_object_object_add(o, "sans", sans);
	json_object_object_add(o, "issuer", raw(t->issuer));
	json_object_object_add(o, "not_before", raw(t->not_before));
	json_object_object_add(o, "not_after", raw(t->not_after));
	json_object_object_add(o, "expired", json_object_new_boolean(t->expired));
	json_object_object_add(o, "not_yet_valid", json_object_new_boolean(t->not_yet_valid));
	json_object_object_add(o, "self_signed", json_object_new_boolean(t->self_signed));
	json_object_object_add(o, "bad_signature", json_object_new_boolean(t->bad_signature));
	json_object_object_add(o, "name_match", json_object_new_boolean(t->name_match));
	json_object_object_add(o, "key_type", raw(t->key_type));
	json_object_object_add(o, "key_bits", json_object_new_int(t->key_bits));
	json_object_object_add(o, "sha256", raw(t->sha256));
	json_object_object_add(o, "verify", raw(t->verify));
	return o;
}

static struct json_object *ntlm_json(const struct exs_probe_result *r)
{
	const struct exs_ntlm_info *n = &r->ntlm;
	struct json_object *o;
	char ver[48];

	if (!r->has_ntlm)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "target_name", raw(n->target_name));
	json_object_object_add(o, "netbios_computer", raw(n->nb_computer));
	json_object_object_add(o, "netbios_domain", raw(n->nb_domain));
	json_object_object_add(o, "dns_computer", raw(n->dns_computer));
	json_object_object_add(o, "dns_domain", raw(n->dns_domain));
	json_object_object_add(o, "dns_tree", raw(n->dns_tree));
	if (n->has_version) {
		const char *name = exs_ntlm_windows_name(n);

		snprintf(ver, sizeof(ver), "%u.%u.%u", n->os_major, n->os_minor, n->os_build);
		json_object_object_add(o, "os_version", json_object_new_string(ver));
		json_object_object_add(o, "os_name", name ? json_object_new_string(name) : NULL);
	} else {
		json_object_object_add(o, "os_version", NULL);
		json_object_object_add(o, "os_name", NULL);
	}
	return o;
}

static struct json_object *probe_json(const struct exs_probe_result *r)
{
	struct json_object *o = json_object_new_object(), *checks, *markers;
	const struct exs_assessment *a = r->assessed ? &r->assessment : NULL;
	const struct exs_build *e = a ? (a->entry ? a->entry : a->cu_entry) : NULL;
	char v[48], names[256];

	json_object_object_add(o, "is_exchange", json_object_new_boolean(r->is_exchange));
	markers = json_object_new_array();
	exs_fp_marker_names(r->markers, names, sizeof(names));
	for (char *s = names, *c; *s; s = c ? c + 1 : s + strlen(s)) {
		c = strchr(s, ',');
		json_object_array_add(
		        markers, json_object_new_string_len(s, c ? (int)(c - s) : (int)strlen(s)));
	}
	json_object_object_add(o, "markers", markers);
	json_object_object_add(
	        o, "build",
	        r->precision != EXS_PRECISION_NONE
	                ? json_object_new_string(exs_version_format(&r->version, v, sizeof(v)))
	                : NULL);
	json_object_object_add(o, "build_precision",
	                       json_object_new_string(exs_precision_name(r->precision)));
	json_object_object_add(o, "build_source",
	                       r->build_source ? json_object_new_string(r->build_source) : NULL);
	json_object_object_add(o, "product",
	                       a && a->product ? json_object_new_string(a->product->name) : NULL);
	json_object_object_add(o, "cu", e && e->cu[0] ? json_object_new_string(e->cu) : NULL);
	json_object_object_add(o, "update",
	                       a && a->entry && a->entry->update[0]
	                               ? json_object_new_string(a->entry->update)
	                               : NULL);
	json_object_object_add(o, "known", json_object_new_boolean(a && a->known));
	json_object_object_add(o, "end_of_support",
	                       json_object_new_boolean(a && a->end_of_support));
	json_object_object_add(o, "open_cves",
	                       a ? exs_open_cves_to_json(a) : json_object_new_array());
	checks = json_object_new_array();
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct exs_check *c = &r->checks[i];
		struct json_object *co = json_object_new_object(), *ev = json_object_new_object();

		json_object_object_add(co, "id", json_object_new_string(c->id));
		json_object_object_add(co, "name", json_object_new_string(c->name));
		json_object_object_add(co, "result",
		                       json_object_new_string(exs_check_result_name(c->result)));
		json_object_object_add(co, "method", json_object_new_string(c->method));
		json_object_object_add(ev, "status",
		                       c->status ? json_object_new_int((int)c->status) : NULL);
		json_object_object_add(ev, "detail", raw(c->evidence));
		json_object_object_add(co, "evidence", ev);
		json_object_array_add(checks, co);
	}
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "tls", tls_json(&r->tls));
	json_object_object_add(o, "ntlm", ntlm_json(r));
	json_object_object_add(o, "x_feserver", raw(r->fe_server));
	json_object_object_add(o, "x_owa_version", raw(r->owa_version));
	json_object_object_add(o, "ms_server_activesync", raw(r->activesync));
	json_object_object_add(o, "requests", json_object_new_int(r->requests));
	json_object_object_add(o, "elapsed_ms", json_object_new_int64(r->elapsed_ms));
	return o;
}

struct json_object *exs_probe_result_to_json(const struct exs_probe_result *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "host", exs_json_str(r->host, strlen(r->host)));
	json_object_object_add(o, "address", raw(r->address));
	json_object_object_add(o, "port", json_object_new_int((int)r->port));
	json_object_object_add(o, "sni", raw(r->sni));
	json_object_object_add(o, "error", raw(r->error));
	json_object_object_add(o, "probe", r->probed ? probe_json(r) : NULL);
	return o;
}
