/* The per-host timeline, built from the findings of a host object. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exscan/report.h"
#include "exscan/timeline.h"

enum ev_type {
	EV_LOGS_BEGIN,
	EV_LOG_FIRST,
	EV_LOG_LAST,
	EV_FILE_CREATED,
	EV_FILE_MODIFIED,
	EV_FILE_CHANGED,
	EV_LOGS_END,
};

static const char *const ev_names[] = {
        [EV_LOGS_BEGIN] = "logs-begin",       [EV_LOG_FIRST] = "log-first",
        [EV_LOG_LAST] = "log-last",           [EV_FILE_CREATED] = "file-created",
        [EV_FILE_MODIFIED] = "file-modified", [EV_FILE_CHANGED] = "file-changed",
        [EV_LOGS_END] = "logs-end",
};

struct ev {
	int64_t t;
	enum ev_type type;
	size_t finding;
	struct json_object *f; /* borrowed */
};

struct evs {
	struct ev *v;
	size_t n, cap;
	bool oom;
};

/* "YYYY-MM-DDTHH:MM:SSZ" (what exs_json_time() writes) -> epoch seconds, 0 if not that. */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	char z = 0;

	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z')
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static void push(struct evs *e, int64_t t, enum ev_type type, size_t i, struct json_object *f)
{
	if (!t || e->oom)
		return;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 32;
		struct ev *p = realloc(e->v, nc * sizeof(*p));

		if (!p) {
			e->oom = true;
			return;
		}
		e->v = p;
		e->cap = nc;
	}
	e->v[e->n++] = (struct ev){t, type, i, f};
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->finding < y->finding ? -1 : x->finding > y->finding;
}

static bool is_evtx(struct json_object *f)
{
	const char *p = exs_json_get_str(f, "path", "");
	size_t n = strlen(p);

	return n >= 5 && strcasecmp(p + n - 5, ".evtx") == 0;
}

static bool is_file_kind(const char *kind)
{
	return strcmp(kind, "webshell") == 0 || strcmp(kind, "location") == 0 ||
	       strcmp(kind, "ioc") == 0 || strcmp(kind, "artifact") == 0;
}

/* A webshell or IOC file at warning level or above, an out-of-place page at
 * alert level, or w3wp starting a shell (event logs). */
static bool is_shell(struct json_object *f)
{
	const char *kind = exs_json_get_str(f, "kind", "");
	int64_t score = exs_json_get_int(f, "score", 0);

	if (strcmp(kind, "webshell") == 0 || strcmp(kind, "ioc") == 0)
		return score >= 60;
	if (strcmp(kind, "location") == 0)
		return score >= 80;
	return strcmp(exs_json_get_str(f, "rule", ""), "evtx-w3wp-shell-child") == 0;
}

/* What the finding is, in a few words: "ProxyShell CVE-2021-34473 success
 * (iis-proxyshell, 3 times)" or "webshell China Chopper".  Raw: the
 * writers escape. */
static void describe(const struct ev *e, char *out, size_t n)
{
	struct json_object *f = e->f;
	const char *kind = exs_json_get_str(f, "kind", "?");
	const char *rule = exs_json_get_str(f, "rule", "?");
	const char *name = exs_json_get_str(f, "family", NULL);

	switch (e->type) {
	case EV_LOGS_BEGIN:
	case EV_LOGS_END:
		snprintf(out, n, "%s logs %s (%lld file%s read)", name ? name : "?",
		         e->type == EV_LOGS_BEGIN ? "begin" : "end",
		         (long long)exs_json_get_int(f, "count", 0),
		         exs_json_get_int(f, "count", 0) == 1 ? "" : "s");
		return;
	case EV_LOG_FIRST:
	case EV_LOG_LAST: {
		const char *camp = exs_json_get_str(f, "campaign", NULL);
		const char *cve = exs_json_get_str(f, "cve", NULL);
		int64_t count = exs_json_get_int(f, "count", 0);

		snprintf(
		        out, n, "%s %s%s%s%s (%s%s, %lld time%s)",
		        e->type == EV_LOG_FIRST ? "first" : "last",
		        camp ? camp : (is_evtx(f) ? "event log" : "log"), cve ? " " : "",
		        cve ? cve : "",
		        strcmp(kind, "log") == 0
		                ? (exs_json_get_bool(f, "success", false) ? " success" : " attempt")
		                : "",
		        rule, is_evtx(f) ? ", event log" : "", (long long)count,
		        count == 1 ? "" : "s");
		return;
	}
	default:
		snprintf(out, n, "%s %s %s", kind, name ? name : rule,
		         e->type == EV_FILE_CREATED    ? "created"
		         : e->type == EV_FILE_MODIFIED ? "modified"
		                                       : "changed (inode)");
	}
}

static struct json_object *event_json(const struct ev *e)
{
	struct json_object *o = json_object_new_object();
	const char *kind = exs_json_get_str(e->f, "kind", "");
	char text[512];

	describe(e, text, sizeof(text));
	json_object_object_add(o, "time", exs_json_time(e->t));
	json_object_object_add(o, "type", json_object_new_string(ev_names[e->type]));
	json_object_object_add(
	        o, "source",
	        json_object_new_string(e->type >= EV_FILE_CREATED && e->type <= EV_FILE_CHANGED
	                                       ? "file"
	                               : is_evtx(e->f) ? "event-log"
	                                               : "log"));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "severity",
	                       json_object_new_string(exs_json_get_str(e->f, "severity", "info")));
	if (strcmp(kind, "log") == 0 && e->type != EV_LOGS_BEGIN && e->type != EV_LOGS_END)
		json_object_object_add(
		        o, "success",
		        json_object_new_boolean(exs_json_get_bool(e->f, "success", false)));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "path", json_object_get(exs_json_get(e->f, "path")));
	json_object_object_add(o, "finding", json_object_new_int64((int64_t)e->finding));
	return o;
}

static void moment(struct json_object *sum, const char *key, const struct ev *e)
{
	json_object_object_add(sum, key, e ? event_json(e) : NULL);
}

int exs_timeline_build(struct json_object *host)
{
	struct json_object *findings = exs_json_get(host, "findings");
	struct json_object *tl = NULL, *sum = NULL;
	size_t n = findings && json_object_is_type(findings, json_type_array)
	                   ? json_object_array_length(findings)
	                   : 0;
	const struct ev *first_attempt = NULL, *first_success = NULL, *first_shell = NULL;
	const struct ev *last = NULL;
	struct evs e = {0};
	size_t omitted = 0;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(findings, i);
		const char *kind = exs_json_get_str(f, "kind", "");
		const char *sev = exs_json_get_str(f, "severity", "info");
		int64_t first = parse_time(exs_json_get_str(f, "first_seen", NULL));
		int64_t lastt = parse_time(exs_json_get_str(f, "last_seen", NULL));

		if (strcmp(exs_json_get_str(f, "rule", ""), "log-coverage") == 0) {
			push(&e, first, EV_LOGS_BEGIN, i, f);
			push(&e, lastt, EV_LOGS_END, i, f);
			continue;
		}
		/* informational notes (unreadable records) and errors are no events */
		if (strcmp(sev, "info") == 0 || strcmp(kind, "error") == 0)
			continue;
		if (strcmp(kind, "log") == 0) {
			push(&e, first, EV_LOG_FIRST, i, f);
			if (lastt != first)
				push(&e, lastt, EV_LOG_LAST, i, f);
		} else if (is_file_kind(kind)) {
			int64_t m = parse_time(exs_json_get_str(f, "mtime", NULL));
			int64_t c = parse_time(exs_json_get_str(f, "ctime", NULL));

			push(&e, parse_time(exs_json_get_str(f, "btime", NULL)), EV_FILE_CREATED, i,
			     f);
			push(&e, m, EV_FILE_MODIFIED, i, f);
			if (c != m)
				push(&e, c, EV_FILE_CHANGED, i, f);
		}
	}
	if (e.oom)
		goto out;
	if (e.n)
		qsort(e.v, e.n, sizeof(*e.v), cmp_ev);
	/* one event per file and time: several rules matching one file are
	 * adjacent (findings come sorted by path); the best score names it */
	{
		size_t k = 0;

		for (size_t i = 0; i < e.n; i++) {
			struct ev *p = k ? &e.v[k - 1] : NULL;

			if (p && p->t == e.v[i].t && p->type == e.v[i].type &&
			    p->type >= EV_FILE_CREATED && p->type <= EV_FILE_CHANGED &&
			    strcmp(exs_json_get_str(p->f, "path", ""),
			           exs_json_get_str(e.v[i].f, "path", "")) == 0) {
				if (exs_json_get_int(e.v[i].f, "score", 0) >
				    exs_json_get_int(p->f, "score", 0))
					*p = e.v[i];
				continue;
			}
			e.v[k++] = e.v[i];
		}
		e.n = k;
	}
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *x = &e.v[i];

		/* copying or extracting an image sets ctime: shown, not activity */
		if (x->type == EV_LOGS_BEGIN || x->type == EV_LOGS_END ||
		    x->type == EV_FILE_CHANGED)
			continue;
		if (x->type == EV_LOG_FIRST &&
		    strcmp(exs_json_get_str(x->f, "kind", ""), "log") == 0 &&
		    (exs_json_get_str(x->f, "campaign", NULL) ||
		     exs_json_get_str(x->f, "cve", NULL))) {
			if (!first_attempt)
				first_attempt = x;
			if (!first_success && exs_json_get_bool(x->f, "success", false))
				first_success = x;
		}
		/* the earliest time of a shell: created, else modified (log: first seen) */
		if (!first_shell && is_shell(x->f) && x->type != EV_LOG_LAST &&
		    x->type != EV_FILE_CHANGED)
			first_shell = x;
		last = x;
	}
	tl = json_object_new_array();
	sum = json_object_new_object();
	if (!tl || !sum)
		goto out;
	for (size_t i = 0; i < e.n; i++) {
		/* past the cap: the earliest and the latest half */
		if (e.n > EXS_TIMELINE_MAX && i >= EXS_TIMELINE_MAX / 2 &&
		    i < e.n - EXS_TIMELINE_MAX / 2) {
			omitted++;
			continue;
		}
		json_object_array_add(tl, event_json(&e.v[i]));
	}
	moment(sum, "first_attempt", first_attempt);
	moment(sum, "first_success", first_success);
	moment(sum, "first_shell", first_shell);
	moment(sum, "last_activity", last);
	json_object_object_add(sum, "events", json_object_new_int64((int64_t)e.n));
	json_object_object_add(sum, "omitted", json_object_new_int64((int64_t)omitted));
	json_object_object_add(host, "timeline", tl);
	json_object_object_add(host, "timeline_summary", sum);
	tl = sum = NULL;
	rc = 0;
out:
	json_object_put(tl);
	json_object_put(sum);
	free(e.v);
	return rc;
}
