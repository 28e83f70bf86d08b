/* sarif: SARIF 2.1.0.  One rule per detection (YARA rule, log indicator,
 * active check, open CVE); results point at files relative to each host's
 * scanned root (uriBaseId per host) or at the host's HTTPS endpoint. */
#include <string.h>

#include "exscan/report.h"
#include "exscan/verdict.h"
#include "exscan/writer.h"

static const char *level_of(const char *severity)
{
	if (strcmp(severity, "alert") == 0)
		return "error";
	if (strcmp(severity, "warning") == 0)
		return "warning";
	return "note";
}

/* Percent-encodes a relative path for a URI reference (keeps '/'). */
static struct json_object *uri_of(const char *path)
{
	struct exs_buf b;
	struct json_object *o;

	exs_buf_init(&b, strlen(path) * 3 + 8);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			exs_buf_putc(&b, (char)*p);
		else
			exs_buf_printf(&b, "%%%02X", *p);
	}
	o = json_object_new_string(exs_buf_cstr(&b));
	exs_buf_release(&b);
	return o;
}

/* Index of rule `id` in the rules array, adding it if new. */
static size_t rule_index(struct json_object *rules, const char *id, const char *text)
{
	size_t n = json_object_array_length(rules);
	struct json_object *r, *d;

	for (size_t i = 0; i < n; i++)
		if (strcmp(exs_json_get_str(json_object_array_get_idx(rules, i), "id", ""), id) ==
		    0)
			return i;
	r = json_object_new_object();
	d = json_object_new_object();
	json_object_object_add(r, "id", exs_json_cstr(id));
	json_object_object_add(d, "text", exs_json_cstr(text && *text ? text : id));
	json_object_object_add(r, "shortDescription", d);
	json_object_array_add(rules, r);
	return n;
}

static struct json_object *message(const char *text)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "text", exs_json_cstr(text));
	return m;
}

static void add_result(struct json_object *results, struct json_object *rules, const char *rule_id,
                       const char *rule_text, const char *level, const char *text,
                       struct json_object *location, struct json_object *props)
{
	struct json_object *r = json_object_new_object(), *locs = json_object_new_array();
	size_t idx = rule_index(rules, rule_id, rule_text);

	json_object_object_add(r, "ruleId", exs_json_cstr(rule_id));
	json_object_object_add(r, "ruleIndex", json_object_new_int64((int64_t)idx));
	json_object_object_add(r, "level", json_object_new_string(level));
	json_object_object_add(r, "message", message(text));
	json_object_array_add(locs, location);
	json_object_object_add(r, "locations", locs);
	json_object_object_add(r, "properties", props);
	json_object_array_add(results, r);
}

static struct json_object *file_location(const char *path, const char *base, int64_t line)
{
	struct json_object *loc = json_object_new_object(), *phys = json_object_new_object();
	struct json_object *art = json_object_new_object();

	json_object_object_add(art, "uri", uri_of(path));
	json_object_object_add(art, "uriBaseId", exs_json_cstr(base));
	json_object_object_add(phys, "artifactLocation", art);
	if (line > 0) {
		struct json_object *region = json_object_new_object();

		json_object_object_add(region, "startLine", json_object_new_int64(line));
		json_object_object_add(phys, "region", region);
	}
	json_object_object_add(loc, "physicalLocation", phys);
	return loc;
}

static struct json_object *host_location(struct json_object *h)
{
	struct json_object *loc = json_object_new_object(), *phys = json_object_new_object();
	struct json_object *art = json_object_new_object();
	char uri[600];

	snprintf(uri, sizeof(uri), "https://%s:%lld/", exs_json_get_str(h, "host", "unknown"),
	         (long long)exs_json_get_int(h, "port", 443));
	json_object_object_add(art, "uri", uri_of(uri));
	json_object_object_add(phys, "artifactLocation", art);
	json_object_object_add(loc, "physicalLocation", phys);
	return loc;
}

/* The tables' age goes with the run (properties.tables); when they may be
 * stale, an invocation carries a warning notification saying how to refresh
 * them, which SARIF viewers show beside the results. */
static void add_tables(struct json_object *run, struct json_object *driver,
                       const struct exs_report_meta *meta)
{
	struct json_object *props = json_object_new_object();
	struct json_object *inv, *invs, *notes, *n, *desc, *ref, *defs;
	char note[512];

	json_object_object_add(props, "tables", exs_tables_to_json(meta));
	json_object_object_add(run, "properties", props);
	if (!meta->tables_stale)
		return;
	defs = json_object_new_array();
	desc = json_object_new_object();
	json_object_object_add(desc, "id", json_object_new_string("tables-stale"));
	json_object_object_add(desc, "shortDescription",
	                       message("the build and CVE tables may be stale"));
	json_object_array_add(defs, desc);
	json_object_object_add(driver, "notifications", defs);

	ref = json_object_new_object();
	json_object_object_add(ref, "id", json_object_new_string("tables-stale"));
	json_object_object_add(ref, "index", json_object_new_int(0));
	n = json_object_new_object();
	json_object_object_add(n, "descriptor", ref);
	json_object_object_add(n, "level", json_object_new_string("warning"));
	json_object_object_add(
	        n, "message",
	        message(exs_tables_note(meta, note, sizeof(note)) + strlen("note: ")));
	notes = json_object_new_array();
	json_object_array_add(notes, n);
	inv = json_object_new_object();
	json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(true));
	json_object_object_add(inv, "toolExecutionNotifications", notes);
	invs = json_object_new_array();
	json_object_array_add(invs, inv);
	json_object_object_add(run, "invocations", invs);
}

int exs_write_sarif(FILE *fp, struct json_object *hosts, const struct exs_report_meta *meta)
{
	struct json_object *doc = json_object_new_object(), *runs = json_object_new_array();
	struct json_object *run = json_object_new_object(), *tool = json_object_new_object();
	struct json_object *driver = json_object_new_object(), *rules = json_object_new_array();
	struct json_object *results = json_object_new_array(), *bases = json_object_new_object();

	json_object_object_add(
	        doc, "$schema",
	        json_object_new_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_object_add(doc, "version", json_object_new_string("2.1.0"));
	json_object_object_add(driver, "name", json_object_new_string("exscan"));
	json_object_object_add(driver, "version", json_object_new_string(meta->version));
	json_object_object_add(driver, "informationUri",
	                       json_object_new_string("https://github.com/exscan/exscan"));

	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		struct json_object *findings = exs_json_get(h, "findings");
		struct json_object *checks = exs_json_get(h, "probe.checks");
		/* the probe's build, or else the exact build a walk read from the disk */
		const char *bkey = exs_json_get(h, "probe.open_cves") ? "probe" : "disk_build";
		char key[32];
		struct json_object *cves;

		snprintf(key, sizeof(key), "%s.open_cves", bkey);
		cves = exs_json_get(h, key);
		const char *host = exs_json_get_str(h, "host", "unknown");
		char base[32];

		snprintf(base, sizeof(base), "HOST%zu", i);
		if (exs_json_get_str(h, "root", NULL)) {
			struct json_object *b = json_object_new_object(),
			                   *d = json_object_new_object();
			struct exs_buf u;
			const char *root = exs_json_get_str(h, "root", "/");

			exs_buf_init(&u, 8192);
			exs_buf_puts(&u, "file://");
			for (const unsigned char *p = (const unsigned char *)root; *p; p++) {
				if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
					exs_buf_putc(&u, (char)*p);
				else
					exs_buf_printf(&u, "%%%02X", *p);
			}
			if (u.len && u.data[u.len - 1] != '/')
				exs_buf_putc(&u, '/');
			json_object_object_add(b, "uri", json_object_new_string(exs_buf_cstr(&u)));
			json_object_object_add(d, "text", exs_json_cstr(host));
			json_object_object_add(b, "description", d);
			json_object_object_add(bases, base, b);
			exs_buf_release(&u);
		}
		for (size_t k = 0; findings && k < json_object_array_length(findings); k++) {
			struct json_object *f = json_object_array_get_idx(findings, k), *props;
			const char *kind = exs_json_get_str(f, "kind", "");
			const char *rule = exs_json_get_str(f, "rule", kind);
			const char *sev = exs_json_get_str(f, "severity", "notice");
			char id[200], text[800];
			struct exs_buf raw;

			if (strcmp(kind, "error") == 0)
				continue;
			snprintf(id, sizeof(id), "%s/%s", kind, rule && *rule ? rule : "unnamed");
			snprintf(text, sizeof(text), "%s: %s %s on %s",
			         exs_json_get_str(f, "severity", "notice"), kind,
			         exs_json_get_str(f, "family", rule ? rule : ""), host);
			props = json_object_new_object();
			json_object_object_add(props, "host", exs_json_cstr(host));
			json_object_object_add(
			        props, "score",
			        json_object_new_int64(exs_json_get_int(f, "score", 0)));
			json_object_object_add(props, "severity", exs_json_cstr(sev));
			if (exs_json_get_str(f, "sha256", NULL))
				json_object_object_add(
				        props, "sha256",
				        exs_json_cstr(exs_json_get_str(f, "sha256", "")));
			/* the URI of the raw name: %FF for a byte, %5Cxff for the text */
			exs_buf_init(&raw, 1 << 16);
			add_result(results, rules, id, exs_json_get_str(f, "description", rule),
			           level_of(sev), text,
			           file_location(exs_json_raw_path(f, &raw), base,
			                         exs_json_get_int(f, "line", 0)),
			           props);
			exs_buf_release(&raw);
		}
		for (size_t k = 0; checks && k < json_object_array_length(checks); k++) {
			struct json_object *c = json_object_array_get_idx(checks, k), *props;
			const char *res = exs_json_get_str(c, "result", "");
			char ev[600];
			char id[200], text[800];

			if (strcmp(res, "vulnerable") != 0)
				continue;
			snprintf(id, sizeof(id), "check/%s", exs_json_get_str(c, "id", "?"));
			snprintf(text, sizeof(text), "%s: active check says vulnerable (%s)", host,
			         exs_check_evidence(c, ev, sizeof(ev)));
			props = json_object_new_object();
			json_object_object_add(props, "host", exs_json_cstr(host));
			add_result(results, rules, id, "safe active check", "error", text,
			           host_location(h), props);
		}
		for (size_t k = 0; cves && k < json_object_array_length(cves); k++) {
			struct json_object *c = json_object_array_get_idx(cves, k), *props;
			bool kev = exs_json_get_bool(c, "kev", false);
			bool certain = exs_json_get_bool(c, "certain", false);
			char id[200], text[800];

			snprintf(id, sizeof(id), "build/%s", exs_json_get_str(c, "id", "?"));
			snprintf(text, sizeof(text), "%s: %s open by build %s%s%s", host,
			         exs_json_get_str(c, "id", "?"),
			         exs_json_get_str(h,
			                          strcmp(bkey, "probe") ? "disk_build.build"
			                                                : "probe.build",
			                          "?"),
			         kev ? " (known exploited)" : "", certain ? "" : " (not certain)");
			props = json_object_new_object();
			json_object_object_add(props, "host", exs_json_cstr(host));
			json_object_object_add(props, "certain", json_object_new_boolean(certain));
			add_result(results, rules, id, "open CVE by build",
			           kev && certain ? "error"
			           : certain      ? "warning"
			                          : "note",
			           text, host_location(h), props);
		}
	}
	json_object_object_add(driver, "rules", rules);
	add_tables(run, driver, meta);
	json_object_object_add(tool, "driver", driver);
	json_object_object_add(run, "tool", tool);
	json_object_object_add(run, "originalUriBaseIds", bases);
	json_object_object_add(run, "results", results);
	json_object_array_add(runs, run);
	json_object_object_add(doc, "runs", runs);
	exs_json_write(fp, doc, true);
	fputc('\n', fp);
	json_object_put(doc);
	return ferror(fp) ? -1 : 0;
}
