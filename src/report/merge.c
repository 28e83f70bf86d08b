/* Merging results: the same host may come from a probe run (named by
 * address or DNS name) and a walk run (named by --host), on different
 * machines.  Hosts are matched by name, by the names the probe learned
 * (NTLM DNS and NetBIOS computer names) and by explicit aliases, through a
 * hash index of those keys (each key leads to the first host that had it),
 * so a merge costs the same per host however many hosts there are.
 *
 * The NTLM names are what the server says about itself: they may link
 * results but never discard another address's evidence.  A probe of another
 * address (or port) that lands on a host that already has one is kept in
 * "other_probes"; the verdict engine judges every one of them, keeps the
 * worst as the host's probe and names the conflict (docs/report.md). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "exscan/merge.h"
#include "exscan/report.h"

#define MAX_KEYS 8

struct alias {
	char *from, *to;
};

/* One slot of the open-addressing key index: an owned key and the index of
 * the first host that had it; key NULL = empty. */
struct slot {
	char *key;
	size_t host;
	uint64_t hash;
};

struct exs_merge {
	struct json_object *hosts; /* array */
	struct alias *aliases;
	size_t n_aliases;
	struct slot *slots; /* power-of-two capacity, at most half full */
	size_t cap, used;
	size_t added; /* host objects read, merged or not */
};

struct exs_merge *exs_merge_new(void)
{
	struct exs_merge *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->hosts = json_object_new_array();
	m->cap = 1024;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->hosts || !m->slots) {
		exs_merge_free(m);
		return NULL;
	}
	return m;
}

void exs_merge_free(struct exs_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_aliases; i++) {
		free(m->aliases[i].from);
		free(m->aliases[i].to);
	}
	free(m->aliases);
	for (size_t i = 0; m->slots && i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	json_object_put(m->hosts);
	free(m);
}

static uint64_t key_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

/* The slot of key: the one holding it, or the empty one where it belongs. */
static struct slot *index_slot(const struct exs_merge *m, const char *key, uint64_t hash)
{
	size_t i = (size_t)hash & (m->cap - 1);

	while (m->slots[i].key && (m->slots[i].hash != hash || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* The first host that had key, or SIZE_MAX. */
static size_t index_find(const struct exs_merge *m, const char *key)
{
	const struct slot *s = index_slot(m, key, key_hash(key));

	return s->key ? s->host : SIZE_MAX;
}

static int index_grow(struct exs_merge *m)
{
	struct slot *old = m->slots, *s;
	size_t old_cap = m->cap;

	s = calloc(old_cap * 2, sizeof(*s));
	if (!s)
		return -1;
	m->slots = s;
	m->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*index_slot(m, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* Records that host `host` has key, unless an earlier host has it already. */
static int index_add(struct exs_merge *m, const char *key, size_t host)
{
	uint64_t hash = key_hash(key);
	struct slot *s;

	if ((m->used + 1) * 2 > m->cap && index_grow(m))
		return -1;
	s = index_slot(m, key, hash);
	if (s->key)
		return 0;
	s->key = strdup(key);
	if (!s->key)
		return -1;
	s->hash = hash;
	s->host = host;
	m->used++;
	return 0;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	size_t n;

	if (!d)
		return NULL;
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	n = strlen(d);
	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = '\0';
	return d;
}

int exs_merge_add_alias(struct exs_merge *m, const char *spec, struct exs_error *err)
{
	const char *eq = strchr(spec, '=');
	struct alias *a;
	char *from;

	if (!eq || eq == spec || !eq[1])
		return exs_error_set(err, "--alias '%s' is not A=B (results named A belong to B)",
		                     spec);
	a = realloc(m->aliases, (m->n_aliases + 1) * sizeof(*a));
	if (!a)
		return exs_error_set(err, "out of memory");
	m->aliases = a;
	from = strndup(spec, (size_t)(eq - spec));
	a[m->n_aliases].from = from ? lower_dup(from) : NULL;
	a[m->n_aliases].to = lower_dup(eq + 1);
	free(from);
	if (!a[m->n_aliases].from || !a[m->n_aliases].to)
		return exs_error_set(err, "out of memory");
	m->n_aliases++;
	return 0;
}

static const char *resolve_alias(const struct exs_merge *m, const char *name)
{
	for (size_t i = 0; i < m->n_aliases; i++)
		if (strcmp(m->aliases[i].from, name) == 0)
			return m->aliases[i].to;
	return name;
}

/* Lowercased identity keys of a host object: its name and the computer
 * names the probe learned over NTLM.  Certificate names are not used: servers
 * behind one load balancer share a certificate (mail.example.com) and would
 * be merged into one host; --alias covers what NTLM cannot. */
static size_t host_keys(const struct exs_merge *m, struct json_object *h, char **keys)
{
	static const char *const paths[] = {
	        "host",
	        "probe.ntlm.dns_computer",
	        "probe.ntlm.netbios_computer",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && n < MAX_KEYS; i++) {
		const char *v = exs_json_get_str(h, paths[i], NULL);
		char *k;

		if (!v || !*v)
			continue;
		k = lower_dup(resolve_alias(m, v));
		if (k && strcmp(resolve_alias(m, k), k) != 0) {
			char *t = strdup(resolve_alias(m, k));

			free(k);
			k = t;
		}
		if (k)
			keys[n++] = k;
	}
	return n;
}

static void free_keys(char **k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i]);
}

static void append_array(struct json_object *dst, const char *key, struct json_object *src)
{
	struct json_object *from = exs_json_get(src, key), *to = exs_json_get(dst, key);

	if (!from || !json_object_is_type(from, json_type_array))
		return;
	if (!to || !json_object_is_type(to, json_type_array)) {
		json_object_object_add(dst, key, json_object_get(from));
		return;
	}
	for (size_t i = 0; i < json_object_array_length(from); i++)
		json_object_array_add(to, json_object_get(json_object_array_get_idx(from, i)));
}

static bool has_member(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* Whether two probe results are of the same address and port (results
 * without an address, e.g. a host name that did not resolve, count as the
 * same: there is nothing for them to conflict with). */
static bool same_endpoint(struct json_object *a, struct json_object *b)
{
	const char *x = exs_json_get_str(a, "address", NULL);
	const char *y = exs_json_get_str(b, "address", NULL);

	if (!x || !y)
		return true;
	return strcmp(x, y) == 0 &&
	       exs_json_get_int(a, "port", 443) == exs_json_get_int(b, "port", 443);
}

/* The probe part of a host object, as one "other_probes" entry. */
static struct json_object *probe_record(struct json_object *src)
{
	static const char *const keys[] = {"host", "address", "port", "error", "probe", "sources"};
	struct json_object *r = json_object_new_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v;

		if (json_object_object_get_ex(src, keys[i], &v))
			json_object_object_add(r, keys[i], json_object_get(v));
	}
	return r;
}

/* Folds `src` into `dst` (same host). */
static void merge_into(struct json_object *dst, struct json_object *src)
{
	static const char *const take_if_missing[] = {"root", "layout", "stats", "walk_error"};
	struct json_object *dprobe = exs_json_get(dst, "probe");
	struct json_object *sprobe = exs_json_get(src, "probe");

	if (has_member(src, "probe") || exs_json_get_str(src, "address", NULL)) {
		if (!has_member(dst, "probe") && !exs_json_get_str(dst, "address", NULL)) {
			/* a walk (or a name) meets its probe */
			json_object_object_add(dst, "probe", json_object_get(sprobe));
			json_object_object_add(dst, "error",
			                       json_object_get(exs_json_get(src, "error")));
			json_object_object_add(dst, "address",
			                       json_object_get(exs_json_get(src, "address")));
			json_object_object_add(dst, "port",
			                       json_object_get(exs_json_get(src, "port")));
		} else if (!same_endpoint(dst, src)) {
			/* another address answering with the same names: kept, and
			 * judged by the verdict engine (worst wins, conflict named) */
			struct json_object *others = exs_json_get(dst, "other_probes");

			if (!others || !json_object_is_type(others, json_type_array)) {
				others = json_object_new_array();
				json_object_object_add(dst, "other_probes", others);
			}
			json_object_array_add(others, probe_record(src));
		} else if (sprobe && json_object_is_type(sprobe, json_type_object) &&
		           (!dprobe || !json_object_is_type(dprobe, json_type_object))) {
			/* the same address again: a probe that reached it beats one
			 * that did not */
			json_object_object_add(dst, "probe", json_object_get(sprobe));
			json_object_object_add(dst, "error",
			                       json_object_get(exs_json_get(src, "error")));
		}
	}
	for (size_t i = 0; i < sizeof(take_if_missing) / sizeof(take_if_missing[0]); i++) {
		const char *k = take_if_missing[i];
		struct json_object *v = exs_json_get(src, k);

		if (v && !exs_json_get(dst, k))
			json_object_object_add(dst, k, json_object_get(v));
	}
	append_array(dst, "findings", src);
	append_array(dst, "log_days", src);
	append_array(dst, "sources", src);
	append_array(dst, "other_probes", src);
}

int exs_merge_add_host(struct exs_merge *m, struct json_object *host, const char *source,
                       struct exs_error *err)
{
	char *keys[MAX_KEYS], *other[MAX_KEYS];
	size_t nk = 0, no = 0, at = SIZE_MAX;
	int rc = 0;

	if (!json_object_is_type(host, json_type_object) || !exs_json_get_str(host, "host", NULL)) {
		json_object_put(host);
		return exs_error_set(err, "%s: a host without a \"host\" name", source);
	}
	/* verdicts and timelines are recomputed from the merged evidence; the
	 * per-day log counts of `exscan logs` ("timeline" there) are kept */
	{
		struct json_object *tl = exs_json_get(host, "timeline");
		struct json_object *first = tl && json_object_is_type(tl, json_type_array)
		                                    ? json_object_array_get_idx(tl, 0)
		                                    : NULL;

		if (first && exs_json_get_str(first, "date", NULL) &&
		    !exs_json_get(host, "log_days"))
			json_object_object_add(host, "log_days", json_object_get(tl));
		json_object_object_del(host, "timeline");
		json_object_object_del(host, "timeline_summary");
	}
	json_object_object_del(host, "verdict");
	json_object_object_del(host, "reasons");
	json_object_object_del(host, "remediation");
	json_object_object_del(host, "evidence");
	if (!exs_json_get(host, "sources")) {
		struct json_object *s = json_object_new_array();

		json_object_array_add(s, exs_json_cstr(source));
		json_object_object_add(host, "sources", s);
	}
	{
		const char *name = exs_json_get_str(host, "host", "");
		char *low = lower_dup(name);

		if (low && strcmp(resolve_alias(m, low), low) != 0)
			json_object_object_add(host, "host",
			                       json_object_new_string(resolve_alias(m, low)));
		free(low);
	}
	nk = host_keys(m, host, keys);
	/* the first host that shares a key, as a scan of them all in order would
	 * find it */
	for (size_t i = 0; i < nk; i++) {
		size_t h = index_find(m, keys[i]);

		if (h < at)
			at = h;
	}
	if (at == SIZE_MAX) {
		at = json_object_array_length(m->hosts);
		json_object_array_add(m->hosts, host);
	} else {
		struct json_object *h = json_object_array_get_idx(m->hosts, at);

		merge_into(h, host);
		json_object_put(host);
		/* the merged host may have learnt names (its probe's NTLM names) */
		no = host_keys(m, h, other);
	}
	/* every name seen links later results to this host */
	for (size_t i = 0; i < nk && !rc; i++)
		if (index_add(m, keys[i], at))
			rc = exs_error_set(err, "out of memory");
	for (size_t i = 0; i < no && !rc; i++)
		if (index_add(m, other[i], at))
			rc = exs_error_set(err, "out of memory");
	free_keys(keys, nk);
	free_keys(other, no);
	m->added++;
	return rc;
}

static int add_document(struct exs_merge *m, struct json_object *doc, const char *path, size_t line,
                        struct exs_error *err)
{
	struct json_object *hosts = exs_json_get(doc, "hosts");
	int rc = 0;

	if (hosts && json_object_is_type(hosts, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(hosts) && !rc; i++)
			rc = exs_merge_add_host(
			        m, json_object_get(json_object_array_get_idx(hosts, i)), path, err);
		json_object_put(doc);
		return rc;
	}
	if (exs_json_get_str(doc, "host", NULL))
		return exs_merge_add_host(m, doc, path, err);
	json_object_put(doc);
	return exs_error_set(err, "%s:%zu: not exscan output (no \"hosts\" array or \"host\" name)",
	                     path, line);
}

int exs_merge_add_file(struct exs_merge *m, const char *path, struct exs_error *err)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct json_tokener *tok = NULL;
	size_t lineno = 0, docs = 0;
	size_t hosts0 = m->added, last_end = 0; /* the line where the last document ended */
	int rc = 0, c = 0;
	bool pending = false; /* the tokener holds part of a value */

	if (!fp)
		return exs_error_set(err, "%s: cannot open: %s", path, strerror(errno));
	tok = json_tokener_new_ex(64);
	if (!tok) {
		rc = exs_error_set(err, "out of memory");
		goto out;
	}
	/* Feed the tokener chunk by chunk: handles one pretty-printed document as
	 * well as JSON lines, and reports the line where parsing failed. */
	while (c != EOF) {
		char chunk[65536];
		size_t n = 0;

		while (n < sizeof(chunk) && (c = fgetc(fp)) != EOF) {
			chunk[n++] = (char)c;
			if (c == '\n')
				break;
		}
		if (n == 0)
			break;
		size_t off = 0, cur = lineno + 1; /* the line this chunk is on */

		lineno += chunk[n - 1] == '\n';

		while (off < n) {
			struct json_object *o;
			enum json_tokener_error jerr;

			if (!pending) {
				while (off < n && strchr(" \t\r\n", chunk[off]))
					off++;
				if (off == n)
					break;
			}
			o = json_tokener_parse_ex(tok, chunk + off, (int)(n - off));
			jerr = json_tokener_get_error(tok);
			if (jerr == json_tokener_continue) {
				pending = true;
				break;
			}
			pending = false;
			if (jerr != json_tokener_success && docs == 0) {
				rc = exs_error_set(err, "%s:%zu: not valid JSON (%s)", path, cur,
				                   json_tokener_error_desc(jerr));
				goto out;
			}
			if (jerr != json_tokener_success) {
				/* what was read stays in the report: say so */
				rc = exs_error_set(
				        err,
				        "%s:%zu: not valid JSON (%s) after the JSON that ends on line "
				        "%zu; its %zu host%s kept, the rest of the file left out: "
				        "check how the file was written",
				        path, cur, json_tokener_error_desc(jerr), last_end,
				        m->added - hosts0,
				        m->added - hosts0 == 1 ? " is" : "s are");
				goto out;
			}
			off += (size_t)json_tokener_get_parse_end(tok);
			json_tokener_reset(tok);
			rc = add_document(m, o, path, cur, err);
			if (rc)
				goto out;
			docs++;
			last_end = cur;
		}
	}
	if (ferror(fp)) {
		rc = exs_error_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	if (pending && docs > 0) {
		rc = exs_error_set(
		        err,
		        "%s: ends in the middle of a JSON value after line %zu (truncated?); "
		        "the %zu host%s before it kept",
		        path, last_end, m->added - hosts0,
		        m->added - hosts0 == 1 ? " is" : "s are");
		goto out;
	}
	if (pending || docs == 0) {
		/* input ended inside a value, or held nothing */
		rc = exs_error_set(err, "%s: %s", path,
		                   pending ? "ends in the middle of a JSON value (truncated?)"
		                           : "no exscan results in it");
		goto out;
	}
out:
	if (tok)
		json_tokener_free(tok);
	if (fp && fp != stdin)
		fclose(fp);
	return rc;
}

struct json_object *exs_merge_hosts(struct exs_merge *m)
{
	return m->hosts;
}
