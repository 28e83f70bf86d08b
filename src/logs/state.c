/* Hit aggregation: per file without locks, merged into the per-host state
 * under its mutex; findings and the timeline come out of the state. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logs_internal.h"

const struct lg_rule_info lg_rules[LG_R_COUNT] = {
        [LG_R_HP_SSRF] = {"httpproxy-proxylogon-ssrf", "CVE-2021-26855", "ProxyLogon",
                          "HttpProxy request with AnchorMailbox ServerInfo~host/path: the "
                          "ProxyLogon server-side request forgery",
                          70, 90, false},
        [LG_R_HP_SSRF_ANON] = {"httpproxy-proxylogon-ssrf-anonymous", "CVE-2021-26855",
                               "ProxyLogon",
                               "unauthenticated HttpProxy request with AnchorMailbox "
                               "ServerInfo~host/path: the ProxyLogon server-side request forgery",
                               80, 95, false},
        [LG_R_HP_VDIR_RESET] = {"httpproxy-ecp-vdir-reset", "CVE-2021-27065", "ProxyLogon",
                                "ECP Reset*VirtualDirectory reached through ServerInfo~ SSRF: "
                                "the ProxyLogon webshell write",
                                80, 100, false},
        [LG_R_ECP_VDIR_SCRIPT] = {"ecp-set-vdir-script", "CVE-2021-27065", "ProxyLogon",
                                  "ECP ran Set-*VirtualDirectory with script in a URL: a "
                                  "webshell planted in a virtual directory setting",
                                  90, 100, false},
        [LG_R_OAB_PATH] = {"oab-download-outside-oab", "CVE-2021-26858", "ProxyLogon",
                           "OABGenerator removed a temporary file outside ClientAccess/OAB: "
                           "an arbitrary file write",
                           80, 95, false},
        [LG_R_IIS_PROXYLOGON] = {"iis-proxylogon-post", "CVE-2021-26855", "ProxyLogon",
                                 "POST to a ProxyLogon exploitation path (owa/auth/Current/"
                                 "themes/resources, ecp/*.js, ecp/default.flt, ecp/main.css)",
                                 60, 85, false},
        [LG_R_IIS_UA] = {"iis-attacker-user-agent", NULL, "HAFNIUM tooling",
                         "request with a user agent of known Exchange attack tooling "
                         "(antSword, python-requests 2.19.1/2.25.1)",
                         50, 70, false},
        [LG_R_IIS_PROXYSHELL] = {"iis-proxyshell", "CVE-2021-34473", "ProxyShell",
                                 "autodiscover.json with an @ and a back-end path (mapi, "
                                 "autodiscover.xml, powershell, EWS, ECP, OWA, X-Rps-CAT), "
                                 "unauthenticated or before ProxyNotShell: ProxyShell (200/302 "
                                 "reached the back end, 401/403 failed)",
                                 60, 95, false},
        [LG_R_IIS_PROXYNOTSHELL] = {"iis-proxynotshell", "CVE-2022-41040", "ProxyNotShell",
                                    "autodiscover.json with an @ and a back-end path, signed "
                                    "in, without X-Rps-CAT, since August 2022: ProxyNotShell",
                                    60, 95, false},
        [LG_R_IIS_PROXY_EITHER] = {"iis-proxyshell-or-proxynotshell",
                                   "CVE-2021-34473,CVE-2022-41040", "ProxyShell/ProxyNotShell",
                                   "anonymous autodiscover.json SSRF attempt since August 2022 "
                                   "without X-Rps-CAT: ProxyShell, or the first unauthenticated "
                                   "request of ProxyNotShell",
                                   60, 95, false},
        [LG_R_IIS_OWASSRF] = {"iis-owassrf", "CVE-2022-41080", "OWASSRF",
                              "POST to /owa/<mailbox>/powershell: OWASSRF", 60, 95, false},
        [LG_R_RPS_CLIENTINFO] = {"rps-owassrf-clientinfo", "CVE-2022-41080", "OWASSRF",
                                 "remote PowerShell request with an unexpected ClientInfo: "
                                 "OWASSRF",
                                 60, 90, false},
        [LG_R_EVTX_UM] = {"evtx-um-invalidcast", "CVE-2021-26857", "ProxyLogon",
                          "MSExchange Unified Messaging error with System.InvalidCastException: "
                          "a deserialization attempt",
                          70, 70, false},
        [LG_R_EVTX_EXPORT] = {"evtx-mailbox-export-webshell", "CVE-2021-31207", "ProxyShell",
                              "New-MailboxExportRequest to an .aspx or UNC path: a webshell "
                              "written through a mailbox export",
                              90, 100, false},
        [LG_R_EVTX_ROLE] = {"evtx-import-export-role", "CVE-2021-31207", "ProxyShell",
                            "Mailbox Import Export role assigned: preparation of a mailbox "
                            "export webshell",
                            60, 70, false},
        [LG_R_EVTX_REMOVE] = {"evtx-remove-export-request", NULL, "ProxyShell",
                              "Remove-MailboxExportRequest: export requests removed (attackers "
                              "clean up after writing a webshell)",
                              40, 40, false},
        [LG_R_EVTX_OAB_SCRIPT] = {"evtx-oab-vdir-script", "CVE-2021-27065", "ProxyLogon",
                                  "Set-OabVirtualDirectory -ExternalUrl with script: a webshell "
                                  "planted in the OAB virtual directory",
                                  90, 100, false},
        [LG_R_EVTX_CERT_WEBSHELL] = {"evtx-certificate-request-webshell", NULL, "webshell write",
                                     "New-ExchangeCertificate with a -RequestFile named like a "
                                     "web page (.aspx, .ashx, ...): a webshell written through "
                                     "a certificate request",
                                     90, 90, false},
        [LG_R_EVTX_TRANSPORT_AGENT] = {"evtx-transport-agent-install", NULL, "transport agent",
                                       "Install-TransportAgent or Enable-TransportAgent: an "
                                       "agent that sees every message (a known persistence; "
                                       "security products install agents too: check the "
                                       "assembly)",
                                       60, 60, false},
        [LG_R_EVTX_AGENT_ODD_PATH] = {"evtx-transport-agent-odd-path", NULL, "transport agent",
                                      "transport agent installed from ProgramData, a temporary, "
                                      "user or web folder or a share: a malicious agent",
                                      85, 85, false},
        [LG_R_EVTX_W3WP_CHILD] = {"evtx-w3wp-shell-child", NULL, "webshell execution",
                                  "w3wp.exe (IIS) started a command interpreter or attack tool "
                                  "(Security 4688, Sysmon 1): a webshell running commands",
                                  85, 85, false},
        [LG_R_ART_LSASS] = {"artifact-lsass-dump", NULL, "credential theft",
                            "lsass memory dump: credentials were dumped", 85, 85, true},
        [LG_R_ART_DUMP] = {"artifact-process-dump", NULL, "credential theft",
                           "user-mode process dump outside crash reporting", 50, 50, true},
        [LG_R_ART_ARCHIVE] = {"artifact-programdata-archive", NULL, "data staging",
                              "archive under ProgramData on a host with other indicators", 60, 60,
                              true},
        [LG_R_ART_WER] = {"artifact-wer-w3wp", "CVE-2021-26857", "ProxyLogon",
                          "crash report of w3wp / MSExchangeECPAppPool: a failed "
                          "deserialization attempt",
                          50, 50, true},
        [LG_R_ART_VDIR] = {"artifact-vdir-programdata", "CVE-2021-34473", "ProxyShell",
                           "IIS virtual directory pointing into ProgramData", 90, 90, true},
};

/* An event log with records that could not be decoded (but most could). */
struct lg_damaged {
	char *path;
	uint64_t records, unreadable;
};

struct exs_log_state {
	pthread_mutex_t lock;
	struct lg_file all; /* the merged aggregate; relpath unused */
	uint64_t files;
	bool indicator; /* something else was found on this host */
	struct lg_damaged damaged[LG_MAX_DAMAGED];
	size_t n_damaged;
	uint64_t damaged_more; /* files left out of the list (it is full) */
	/* per log family: files read and the time span their lines cover */
	struct {
		uint64_t files;
		int64_t oldest, newest;
		char *dir; /* the folder of the first file of the family read */
	} cov[LG_KINDS];
};

void lg_file_init(struct lg_file *f, const char *relpath)
{
	memset(f, 0, sizeof(*f));
	f->relpath = relpath;
	for (int r = 0; r < LG_R_COUNT; r++)
		for (int s = 0; s < 2; s++)
			f->agg[r][s].best_ts = INT64_MAX;
}

void lg_file_release(struct lg_file *f)
{
	for (int r = 0; r < LG_R_COUNT; r++) {
		for (int s = 0; s < 2; s++) {
			struct lg_agg *a = &f->agg[r][s];

			free(a->path);
			free(a->excerpt);
			for (size_t i = 0; i < a->n_clients; i++)
				free(a->clients[i]);
		}
	}
	free(f->days);
	memset(f, 0, sizeof(*f));
}

static void add_client(struct lg_file *f, struct lg_agg *a, const char *c, size_t n)
{
	char *dup;

	if (n == 0 || a->n_clients == LG_MAX_CLIENTS || (n == 1 && c[0] == '-'))
		return;
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < a->n_clients; i++)
		if (strlen(a->clients[i]) == n && memcmp(a->clients[i], c, n) == 0)
			return;
	dup = strndup(c, n);
	if (!dup) {
		f->oom = true;
		return;
	}
	a->clients[a->n_clients++] = dup;
}

static void add_day(struct lg_file *f, int64_t day, int rule, uint64_t att, uint64_t succ)
{
	for (size_t i = f->n_days; i-- > 0;) {
		struct lg_day *d = &f->days[i];

		if (d->day == day && d->rule == rule) {
			d->attempts += att;
			d->successes += succ;
			return;
		}
	}
	if (f->n_days == f->cap_days) {
		size_t cap = f->cap_days ? f->cap_days * 2 : 16;
		struct lg_day *p = realloc(f->days, cap * sizeof(*p));

		if (!p) {
			f->oom = true;
			return;
		}
		f->days = p;
		f->cap_days = cap;
	}
	f->days[f->n_days++] = (struct lg_day){day, rule, att, succ};
}

static int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : (ts - 86399) / 86400;
}

/* Keeps path/line/excerpt of the earliest hit (by time, then by order). */
static void keep_first(struct lg_file *f, struct lg_agg *a, const struct lg_hit *h)
{
	int64_t key = h->ts ? h->ts : INT64_MAX - 1;
	size_t n = h->text_len;
	char *p, *e;

	if (a->path && key >= a->best_ts)
		return;
	if (n > LG_EXCERPT_MAX)
		n = LG_EXCERPT_MAX;
	p = strdup(f->relpath ? f->relpath : "");
	e = malloc(n + 1);
	if (!p || !e) {
		free(p);
		free(e);
		f->oom = true;
		return;
	}
	if (n)
		memcpy(e, h->text, n);
	e[n] = '\0';
	free(a->path);
	free(a->excerpt);
	a->path = p;
	a->excerpt = e;
	a->excerpt_len = n;
	a->line = h->line;
	a->best_ts = key;
	a->size = h->size;
	a->mtime = h->mtime;
}

void lg_file_hit(struct lg_file *f, const struct lg_hit *h)
{
	struct lg_agg *a = &f->agg[h->rule][h->success];

	f->hits++;
	a->count++;
	if (h->ts) {
		if (!a->first || h->ts < a->first)
			a->first = h->ts;
		if (h->ts > a->last)
			a->last = h->ts;
		add_day(f, day_of(h->ts), h->rule, !h->success, h->success);
	}
	add_client(f, a, h->client, h->client_len);
	keep_first(f, a, h);
}

static void merge_agg(struct lg_file *dst, struct lg_agg *d, struct lg_agg *s)
{
	if (!s->count)
		return;
	d->count += s->count;
	if (s->first && (!d->first || s->first < d->first))
		d->first = s->first;
	if (s->last > d->last)
		d->last = s->last;
	for (size_t i = 0; i < s->n_clients; i++)
		add_client(dst, d, s->clients[i], strlen(s->clients[i]));
	if (s->path && (!d->path || s->best_ts < d->best_ts)) {
		free(d->path);
		free(d->excerpt);
		d->path = s->path;
		d->excerpt = s->excerpt;
		d->excerpt_len = s->excerpt_len;
		d->line = s->line;
		d->best_ts = s->best_ts;
		d->size = s->size;
		d->mtime = s->mtime;
		s->path = NULL;
		s->excerpt = NULL;
	}
}

static void merge_file(struct lg_file *dst, struct lg_file *src)
{
	for (int r = 0; r < LG_R_COUNT; r++)
		for (int s = 0; s < 2; s++)
			merge_agg(dst, &dst->agg[r][s], &src->agg[r][s]);
	for (size_t i = 0; i < src->n_days; i++)
		add_day(dst, src->days[i].day, src->days[i].rule, src->days[i].attempts,
		        src->days[i].successes);
	dst->lines += src->lines;
	dst->bad_lines += src->bad_lines;
	dst->hits += src->hits;
	dst->bytes += src->bytes;
	dst->unreadable += src->unreadable;
	dst->oom = dst->oom || src->oom;
}

struct exs_log_state *exs_log_state_new(void)
{
	struct exs_log_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	if (pthread_mutex_init(&st->lock, NULL)) {
		free(st);
		return NULL;
	}
	lg_file_init(&st->all, NULL);
	return st;
}

void exs_log_state_free(struct exs_log_state *st)
{
	if (!st)
		return;
	lg_file_release(&st->all);
	for (size_t i = 0; i < st->n_damaged; i++)
		free(st->damaged[i].path);
	for (int k = 0; k < LG_KINDS; k++)
		free(st->cov[k].dir);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void exs_log_state_note_indicator(struct exs_log_state *st)
{
	pthread_mutex_lock(&st->lock);
	st->indicator = true;
	pthread_mutex_unlock(&st->lock);
}

void lg_state_merge(struct exs_log_state *st, struct lg_file *f)
{
	pthread_mutex_lock(&st->lock);
	merge_file(&st->all, f);
	st->files++;
	if (f->kind > 0 && f->kind < LG_KINDS) {
		if (!st->cov[f->kind].files && f->relpath) {
			const char *slash = strrchr(f->relpath, '/');

			st->cov[f->kind].dir =
			        strndup(f->relpath, slash ? (size_t)(slash - f->relpath) : 0);
		}
		st->cov[f->kind].files++;
		lg_span_add(&st->cov[f->kind].oldest, &st->cov[f->kind].newest, f->oldest);
		lg_span_add(&st->cov[f->kind].oldest, &st->cov[f->kind].newest, f->newest);
	}
	if (f->unreadable && !f->unreadable_fatal) {
		char *p = NULL;

		if (st->n_damaged < LG_MAX_DAMAGED && (p = strdup(f->relpath ? f->relpath : "")))
			st->damaged[st->n_damaged++] =
			        (struct lg_damaged){p, f->lines, f->unreadable};
		else if (st->n_damaged < LG_MAX_DAMAGED)
			st->all.oom = true;
		else
			st->damaged_more++;
	}
	pthread_mutex_unlock(&st->lock);
}

void exs_log_state_stats(struct exs_log_state *st, struct exs_log_stats *out)
{
	pthread_mutex_lock(&st->lock);
	out->files = st->files;
	out->bytes = st->all.bytes;
	out->lines = st->all.lines;
	out->bad_lines = st->all.bad_lines;
	out->hits = st->all.hits;
	out->unreadable_records = st->all.unreadable;
	pthread_mutex_unlock(&st->lock);
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static int fill_finding(struct exs_finding *f, int r, int s, const struct lg_agg *a)
{
	const struct lg_rule_info *ri = &lg_rules[r];
	bool oom = false;

	memset(f, 0, sizeof(*f));
	f->kind = ri->artifact ? EXS_FINDING_ARTIFACT : EXS_FINDING_LOG;
	f->path = dup_or_null(a->path, &oom);
	f->rule = dup_or_null(ri->id, &oom);
	f->description = dup_or_null(ri->description, &oom);
	f->cve = dup_or_null(ri->cve, &oom);
	f->campaign = dup_or_null(ri->campaign, &oom);
	f->score = s ? ri->score_success : ri->score_attempt;
	f->success = s;
	f->first_seen = a->first;
	f->last_seen = a->last;
	f->count = a->count;
	f->line = a->line;
	f->size = a->size;
	f->mtime = a->mtime;
	if (a->excerpt) {
		f->excerpt = malloc(a->excerpt_len + 1);
		if (f->excerpt) {
			memcpy(f->excerpt, a->excerpt, a->excerpt_len + 1);
			f->excerpt_len = a->excerpt_len;
		} else {
			oom = true;
		}
	}
	if (a->n_clients) {
		f->clients = calloc(a->n_clients, sizeof(*f->clients));
		if (!f->clients)
			oom = true;
		for (size_t i = 0; f->clients && i < a->n_clients; i++) {
			f->clients[i] = dup_or_null(a->clients[i], &oom);
			f->n_clients = i + 1;
		}
	}
	return oom ? -1 : 0;
}

struct order {
	int r, s, score;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	if (x->r != y->r)
		return x->r - y->r;
	return y->s - x->s;
}

static int cmp_damaged(const void *a, const void *b)
{
	return strcmp(((const struct lg_damaged *)a)->path, ((const struct lg_damaged *)b)->path);
}

/* One finding per event log with records libevtx could not decode (an
 * information: the events in them were not checked). */
static int push_damaged(struct exs_findings *out, const struct lg_damaged *d, uint64_t more,
                        struct exs_error *err)
{
	struct exs_finding f;
	char desc[256];
	bool oom = false;

	snprintf(desc, sizeof(desc),
	         "%llu of %llu records of this event log cannot be decoded: the events in them "
	         "were not checked%s",
	         (unsigned long long)d->unreadable, (unsigned long long)d->records,
	         more ? " (more event logs like this one are not listed)" : "");
	memset(&f, 0, sizeof(f));
	f.kind = EXS_FINDING_LOG;
	f.path = dup_or_null(d->path, &oom);
	f.rule = dup_or_null("evtx-unreadable-records", &oom);
	f.description = dup_or_null(desc, &oom);
	f.score = 20;
	f.count = d->unreadable;
	if (oom || exs_findings_push(out, &f)) {
		exs_finding_release(&f);
		return exs_error_set(err, "out of memory collecting log findings");
	}
	return 0;
}

/* What the logs of one family reach back to: an informational finding, so
 * that "no evidence in the logs" can say how far back they went. */
static int push_coverage(struct exs_findings *out, int kind, const char *dir, uint64_t files,
                         int64_t oldest, int64_t newest, struct exs_error *err)
{
	struct exs_finding f;
	char desc[256], a[32] = "", b[32] = "";
	bool oom = false;
	time_t t;
	struct tm tm;

	if (oldest && (t = (time_t)oldest, gmtime_r(&t, &tm)))
		strftime(a, sizeof(a), "%Y-%m-%d", &tm);
	if (newest && (t = (time_t)newest, gmtime_r(&t, &tm)))
		strftime(b, sizeof(b), "%Y-%m-%d", &tm);
	if (a[0])
		snprintf(desc, sizeof(desc), "%llu %s log file%s read, reaching from %s to %s",
		         (unsigned long long)files, exs_log_kind_name((enum exs_log_kind)kind),
		         files == 1 ? "" : "s", a, b);
	else
		snprintf(desc, sizeof(desc), "%llu %s log file%s read, with no dated lines",
		         (unsigned long long)files, exs_log_kind_name((enum exs_log_kind)kind),
		         files == 1 ? "" : "s");
	memset(&f, 0, sizeof(f));
	f.kind = EXS_FINDING_LOG;
	f.path = dup_or_null(dir && *dir ? dir : ".", &oom);
	f.rule = dup_or_null("log-coverage", &oom);
	f.family = dup_or_null(exs_log_kind_name((enum exs_log_kind)kind), &oom);
	f.description = dup_or_null(desc, &oom);
	f.score = 0;
	f.count = files;
	f.first_seen = oldest;
	f.last_seen = newest;
	if (oom || exs_findings_push(out, &f)) {
		exs_finding_release(&f);
		return exs_error_set(err, "out of memory collecting log findings");
	}
	return 0;
}

static bool agg_has_client(const struct lg_agg *a, const char *c)
{
	for (size_t i = 0; i < a->n_clients; i++)
		if (strcmp(a->clients[i], c) == 0)
			return true;
	return false;
}

/* The requests that could be ProxyShell or ProxyNotShell, when every one of
 * their clients did the one and not the other (the anonymous first request
 * of a ProxyNotShell chain, a ProxyShell client's refused attempt): the rule
 * they join, or LG_R_IIS_PROXY_EITHER. */
static enum lg_rule either_target(const struct lg_file *all)
{
	const struct lg_agg *ps = all->agg[LG_R_IIS_PROXYSHELL];
	const struct lg_agg *pns = all->agg[LG_R_IIS_PROXYNOTSHELL];
	bool to_ps = true, to_pns = true;
	size_t seen = 0;

	for (int s = 0; s < 2; s++) {
		const struct lg_agg *e = &all->agg[LG_R_IIS_PROXY_EITHER][s];

		if (e->count && (e->n_clients == 0 || e->n_clients == LG_MAX_CLIENTS))
			return LG_R_IIS_PROXY_EITHER; /* clients unknown or not all kept */
		for (size_t i = 0; i < e->n_clients; i++) {
			bool in_ps = agg_has_client(&ps[0], e->clients[i]) ||
			             agg_has_client(&ps[1], e->clients[i]);
			bool in_pns = agg_has_client(&pns[0], e->clients[i]) ||
			              agg_has_client(&pns[1], e->clients[i]);

			to_ps = to_ps && in_ps && !in_pns;
			to_pns = to_pns && in_pns && !in_ps;
			seen++;
		}
	}
	if (!seen)
		return LG_R_IIS_PROXY_EITHER;
	return to_ps    ? LG_R_IIS_PROXYSHELL
	       : to_pns ? LG_R_IIS_PROXYNOTSHELL
	                : LG_R_IIS_PROXY_EITHER;
}

/* v = a and b together; v borrows their strings. */
static void agg_view(const struct lg_agg *a, const struct lg_agg *b, struct lg_agg *v)
{
	*v = *a;
	if (!b->count)
		return;
	v->count += b->count;
	if (b->first && (!v->first || b->first < v->first))
		v->first = b->first;
	if (b->last > v->last)
		v->last = b->last;
	for (size_t i = 0; i < b->n_clients && v->n_clients < LG_MAX_CLIENTS; i++)
		if (!agg_has_client(v, b->clients[i]))
			v->clients[v->n_clients++] = b->clients[i];
	if (b->path && (!v->path || b->best_ts < v->best_ts)) {
		v->path = b->path;
		v->excerpt = b->excerpt;
		v->excerpt_len = b->excerpt_len;
		v->line = b->line;
		v->best_ts = b->best_ts;
		v->size = b->size;
		v->mtime = b->mtime;
	}
}

int exs_logs_finish(struct exs_log_state *st, struct exs_findings *out, struct exs_error *err)
{
	struct order ord[LG_R_COUNT * 2];
	size_t n = 0;
	bool other = false;
	enum lg_rule target;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	target = either_target(&st->all);
	for (int r = 0; r < LG_R_COUNT; r++) {
		for (int s = 0; s < 2; s++) {
			if (target != LG_R_IIS_PROXY_EITHER && r == LG_R_IIS_PROXY_EITHER)
				continue; /* joined its target */
			if (!st->all.agg[r][s].count &&
			    !(r == (int)target && st->all.agg[LG_R_IIS_PROXY_EITHER][s].count))
				continue;
			if (r != LG_R_ART_ARCHIVE)
				other = true;
			ord[n++] = (struct order){
			        r, s, s ? lg_rules[r].score_success : lg_rules[r].score_attempt};
		}
	}
	other = other || st->indicator;
	qsort(ord, n, sizeof(ord[0]), cmp_order);
	for (size_t i = 0; i < n; i++) {
		const struct lg_agg *a = &st->all.agg[ord[i].r][ord[i].s];
		struct exs_finding f;
		struct lg_agg v;

		if (ord[i].r == LG_R_ART_ARCHIVE && !other)
			continue; /* archives alone are normal: Test-ProxyLogon learned it */
		if (target != LG_R_IIS_PROXY_EITHER && ord[i].r == (int)target) {
			agg_view(a, &st->all.agg[LG_R_IIS_PROXY_EITHER][ord[i].s], &v);
			a = &v;
		}
		if (fill_finding(&f, ord[i].r, ord[i].s, a) || exs_findings_push(out, &f)) {
			exs_finding_release(&f);
			rc = exs_error_set(err, "out of memory collecting log findings");
			break;
		}
	}
	if (!rc && st->n_damaged > 1)
		qsort(st->damaged, st->n_damaged, sizeof(st->damaged[0]), cmp_damaged);
	for (size_t i = 0; !rc && i < st->n_damaged; i++)
		rc = push_damaged(out, &st->damaged[i],
		                  i + 1 == st->n_damaged ? st->damaged_more : 0, err);
	if (!rc && st->all.oom)
		rc = exs_error_set(err, "out of memory while aggregating log hits: findings are "
		                        "incomplete");
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int exs_logs_coverage(struct exs_log_state *st, struct exs_findings *out, struct exs_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	for (int k = 1; !rc && k < LG_KINDS; k++)
		if (st->cov[k].files)
			rc = push_coverage(out, k, st->cov[k].dir, st->cov[k].files,
			                   st->cov[k].oldest, st->cov[k].newest, err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

struct tl_key {
	int64_t day;
	const char *campaign;
	uint64_t attempts, successes;
};

static int cmp_tl(const void *a, const void *b)
{
	const struct tl_key *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return strcmp(x->campaign, y->campaign);
}

struct json_object *exs_log_timeline_to_json(struct exs_log_state *st)
{
	struct json_object *arr = json_object_new_array();
	struct tl_key *keys = NULL;
	enum lg_rule target;
	size_t n = 0;

	if (!arr)
		return NULL;
	pthread_mutex_lock(&st->lock);
	target = either_target(&st->all);
	if (st->all.n_days)
		keys = calloc(st->all.n_days, sizeof(*keys));
	for (size_t i = 0; keys && i < st->all.n_days; i++) {
		const struct lg_day *d = &st->all.days[i];
		const char *camp =
		        lg_rules[d->rule == LG_R_IIS_PROXY_EITHER ? (int)target : d->rule].campaign;
		size_t j;

		if (d->rule == LG_R_ART_ARCHIVE)
			continue;
		for (j = 0; j < n; j++)
			if (keys[j].day == d->day && strcmp(keys[j].campaign, camp) == 0)
				break;
		if (j == n)
			keys[n++] = (struct tl_key){d->day, camp, 0, 0};
		keys[j].attempts += d->attempts;
		keys[j].successes += d->successes;
	}
	pthread_mutex_unlock(&st->lock);
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_tl);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		int64_t z = keys[i].day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
		int64_t doe = z - era * 146097;
		int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
		int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
		int64_t y = yoe + era * 400 + (m <= 2);
		char date[64];

		snprintf(date, sizeof(date), "%04lld-%02lld-%02lld", (long long)y, (long long)m,
		         (long long)d);
		json_object_object_add(o, "date", json_object_new_string(date));
		json_object_object_add(o, "campaign", json_object_new_string(keys[i].campaign));
		json_object_object_add(o, "attempts",
		                       json_object_new_int64((int64_t)keys[i].attempts));
		json_object_object_add(o, "successes",
		                       json_object_new_int64((int64_t)keys[i].successes));
		json_object_array_add(arr, o);
	}
	free(keys);
	return arr;
}
