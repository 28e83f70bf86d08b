/* Assessing a build against the tables with HealthChecker's rule:
 * - patched if the build is at or above the update's build on the newest CU
 *   that received it;
 * - else patched only if the build's own CU received the update and the
 *   build is at or above it there;
 * - a CU that never received it is vulnerable; a product line that never
 *   received it is not affected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/kb.h"
#include "kb_internal.h"

const char *exs_precision_name(enum exs_precision p)
{
	switch (p) {
	case EXS_PRECISION_EXACT:
		return "exact";
	case EXS_PRECISION_CU:
		return "cu";
	default:
		return "none";
	}
}

bool exs_kb_step_is_extended_protection(const char *step)
{
	return !step || !step[0] || strstr(step, "Extended Protection") != NULL;
}

const struct exs_product *exs_kb_product_for(const struct exs_kb *kb, const struct exs_version *v)
{
	const struct exs_product *best = NULL;

	for (size_t i = 0; i < kb->n_products; i++) {
		const struct exs_product *p = &kb->products[i];

		if (p->major != v->part[0] || p->minor != v->part[1] || v->part[2] < p->first_build)
			continue;
		if (!best || p->first_build > best->first_build)
			best = p;
	}
	return best;
}

const struct exs_build *exs_kb_build_find(const struct exs_kb *kb, const struct exs_version *v)
{
	size_t lo = 0, hi = kb->n_builds;

	if (v->nparts != 4)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = exs_version_cmp(&kb->builds[mid].version, v);

		if (c == 0) {
			while (mid > 0 && exs_version_cmp(&kb->builds[mid - 1].version, v) == 0)
				mid--;
			return &kb->builds[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Lowest table entry with the same major.minor.build (the CU's first build
 * for 2013 and later; for 2010 each rollup has its own build number). */
static const struct exs_build *cu_entry_for(const struct exs_kb *kb, const struct exs_product *p,
                                            const struct exs_version *v)
{
	for (size_t i = 0; i < kb->n_builds; i++) {
		const struct exs_build *b = &kb->builds[i];

		if (b->product == p && exs_version_cmp3(&b->version, v) == 0)
			return b;
	}
	return NULL;
}

/* Aug23SUv2 -> Aug23SU; anything else unchanged. */
static void strip_release(const char *update, char *base, size_t size)
{
	size_t n = strnlen(update, size - 1);

	memcpy(base, update, n);
	base[n] = '\0';
	if (n > 2 && update[n - 2] == 'v' && update[n - 1] >= '0' && update[n - 1] <= '9')
		base[n - 2] = '\0';
}

enum exs_update_state exs_kb_update_state(const struct exs_kb *kb, const struct exs_version *v,
                                          const struct exs_product *p, const char *update,
                                          const struct exs_build **fix_out)
{
	const struct exs_build *newest_cu_fix = NULL, *own_fix = NULL, *cu = NULL;
	struct exs_version lo;
	char base[16];
	/* a re-release name (Sep26SUv2) is matched as it is, a base name by any release */
	bool exact_release;

	strip_release(update, base, sizeof(base));
	exact_release = strcmp(base, update) != 0;

	if (fix_out)
		*fix_out = NULL;
	cu = cu_entry_for(kb, p, v);
	for (size_t i = 0; i < kb->n_builds; i++) {
		const struct exs_build *b = &kb->builds[i];

		if (b->product != p ||
		    strcmp(exact_release ? b->update : b->base_update, update) != 0)
			continue;
		/* builds are ascending, so the first hit per CU is that CU's fix build */
		if (!newest_cu_fix || exs_version_cmp(&b->cu_build, &newest_cu_fix->cu_build) > 0)
			newest_cu_fix = b;
		if (cu && !own_fix && strcmp(b->cu, cu->cu) == 0 &&
		    exs_version_cmp(&b->cu_build, &cu->cu_build) == 0)
			own_fix = b;
	}
	if (!newest_cu_fix)
		return EXS_UPDATE_INSTALLED; /* the line never got it: not affected */
	if (fix_out)
		*fix_out = own_fix ? own_fix : newest_cu_fix;
	if (v->nparts == 4) {
		if (exs_version_cmp(v, &newest_cu_fix->version) >= 0)
			return EXS_UPDATE_INSTALLED;
		if (own_fix && exs_version_cmp(v, &own_fix->version) >= 0)
			return EXS_UPDATE_INSTALLED;
		return EXS_UPDATE_MISSING;
	}
	/* CU only: the revision is unseen, so the lowest possible build is the CU's
	 * first known build and the highest is unbounded within the CU. */
	lo = cu ? cu->version : *v;
	if (!cu)
		lo.part[3] = 0;
	lo.nparts = 4;
	if (exs_version_cmp3(v, &newest_cu_fix->version) > 0)
		return EXS_UPDATE_INSTALLED;
	if (exs_version_cmp3(v, &newest_cu_fix->version) == 0)
		return exs_version_cmp(&lo, &newest_cu_fix->version) >= 0 ? EXS_UPDATE_INSTALLED
		                                                          : EXS_UPDATE_UNDECIDED;
	if (own_fix)
		return exs_version_cmp(&lo, &own_fix->version) >= 0 ? EXS_UPDATE_INSTALLED
		                                                    : EXS_UPDATE_UNDECIDED;
	return EXS_UPDATE_MISSING;
}

static int today_past(const char *date, time_t today)
{
	struct tm tm;
	char now[11];

	if (!date[0])
		return 0;
	gmtime_r(&today, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d", &tm);
	return strcmp(now, date) >= 0;
}

/* Sort key of an update: "Mar21SU" -> "2021-03" (the name carries the
 * month; many older builds have no release date), else its first build's
 * release date, else "" (kept in build order). */
static void update_key(const struct exs_build *b, char key[11])
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *u = b->base_update;

	snprintf(key, 11, "%s", b->release_date);
	if (strlen(u) >= 7 && u[3] >= '0' && u[3] <= '9' && u[4] >= '0' && u[4] <= '9') {
		for (int m = 0; m < 12; m++)
			if (strncmp(u, months + m * 3, 3) == 0)
				snprintf(key, 11, "20%c%c-%02d", u[3], u[4], m + 1);
	}
}

/* Distinct base update names of a product, in release order (build order
 * alone would put an old CU's Mar21SU before a newer CU's Feb21SU). */
static size_t product_updates(const struct exs_kb *kb, const struct exs_product *p,
                              const char **names, size_t max)
{
	char keys[512][11];
	size_t n = 0;

	if (max > 512)
		max = 512;
	for (size_t i = 0; i < kb->n_builds; i++) {
		const struct exs_build *b = &kb->builds[i];
		size_t j;

		if (b->product != p || !b->base_update[0])
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], b->base_update) == 0)
				break;
		if (j == n && n < max) {
			names[n] = b->base_update;
			update_key(b, keys[n++]);
		}
	}
	/* stable insertion sort; undated updates stay where build order put them */
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i;
		     j > 0 && keys[j][0] && keys[j - 1][0] && strcmp(keys[j], keys[j - 1]) < 0;
		     j--) {
			const char *t = names[j];
			char k[11];

			names[j] = names[j - 1];
			names[j - 1] = t;
			memcpy(k, keys[j], sizeof(k));
			memcpy(keys[j], keys[j - 1], sizeof(k));
			memcpy(keys[j - 1], k, sizeof(k));
		}
	}
	return n;
}

static int add_open(struct exs_assessment *a, const struct exs_cve *cve, const char *fixed_by,
                    bool certain)
{
	struct exs_open_cve *o;

	for (size_t i = 0; i < a->n_open; i++) {
		if (a->open[i].cve == cve) {
			/* listed under two updates: the certain answer wins */
			a->open[i].certain = a->open[i].certain || certain;
			return 0;
		}
	}
	o = realloc(a->open, (a->n_open + 1) * sizeof(*o));
	if (!o)
		return -1;
	a->open = o;
	a->open[a->n_open].cve = cve;
	a->open[a->n_open].fixed_by = fixed_by;
	a->open[a->n_open].certain = certain;
	a->n_open++;
	return 0;
}

/* A fix that requires one re-release (Sep26SUv2): an earlier release of the
 * same update leaves the CVE open, and the re-release is a missing update. */
static int add_release(const struct exs_kb *kb, struct exs_assessment *a, const struct exs_fix *x)
{
	const struct exs_build *fix = NULL;
	enum exs_update_state st =
	        exs_kb_update_state(kb, &a->version, a->product, x->update, &fix);
	struct exs_missing_update *m;
	size_t i;

	if (st == EXS_UPDATE_INSTALLED)
		return x->cve->config_dependent && fix ? add_open(a, x->cve, fix->update, false)
		                                       : 0;
	if (add_open(a, x->cve, fix->update, st == EXS_UPDATE_MISSING))
		return -1;
	for (i = 0; i < a->n_missing; i++)
		if (strcmp(a->missing[i].name, fix->update) == 0)
			return 0;
	m = realloc(a->missing, (a->n_missing + 1) * sizeof(*m));
	if (!m)
		return -1;
	a->missing = m;
	m[a->n_missing].name = fix->update;
	m[a->n_missing].fix = fix;
	m[a->n_missing].certain = st == EXS_UPDATE_MISSING;
	m[a->n_missing].hotfix = false;
	a->n_missing++;
	return 0;
}

static void find_nearest(const struct exs_kb *kb, struct exs_assessment *a)
{
	struct exs_version v = a->version;

	if (v.nparts == 3)
		v.part[3] = 0;
	v.nparts = 4;
	for (size_t i = 0; i < kb->n_builds; i++) {
		int c = exs_version_cmp(&kb->builds[i].version, &v);

		if (c < 0)
			a->nearest_below = &kb->builds[i];
		else if (c > 0 && !a->nearest_above)
			a->nearest_above = &kb->builds[i];
	}
}

int exs_kb_assess(const struct exs_kb *kb, const struct exs_version *v, time_t today,
                  struct exs_assessment *a, struct exs_error *err)
{
	const char *updates[512];
	enum exs_update_state states[512];
	const struct exs_build *fixes[512];
	size_t nu = 0;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	a->version = *v;
	a->precision = v->nparts == 4 ? EXS_PRECISION_EXACT : EXS_PRECISION_CU;
	a->product = exs_kb_product_for(kb, v);
	a->entry = exs_kb_build_find(kb, v);
	find_nearest(kb, a);
	if (!a->product)
		goto out;
	a->cu_entry = cu_entry_for(kb, a->product, v);
	a->known = a->precision == EXS_PRECISION_EXACT ? a->entry != NULL : a->cu_entry != NULL;
	a->end_of_support = today_past(a->product->end_of_support, today);
	for (size_t i = 0; i < kb->n_builds; i++) {
		const struct exs_build *b = &kb->builds[i];

		if (b->product != a->product)
			continue;
		a->newest = b;
		if (a->cu_entry && strcmp(b->cu, a->cu_entry->cu) == 0 &&
		    exs_version_cmp(&b->cu_build, &a->cu_entry->cu_build) == 0)
			a->newest_on_cu = b;
	}

	if (a->newest && !a->entry) {
		int c = a->precision == EXS_PRECISION_EXACT
		                ? exs_version_cmp(v, &a->newest->version)
		                : exs_version_cmp3(v, &a->newest->version);

		a->newer_than_tables = c > 0;
	}
	nu = product_updates(kb, a->product, updates, sizeof(updates) / sizeof(updates[0]));
	for (size_t i = 0; i < nu; i++) {
		states[i] = exs_kb_update_state(kb, v, a->product, updates[i], &fixes[i]);
		if (states[i] == EXS_UPDATE_INSTALLED)
			continue;
		struct exs_missing_update *m = realloc(a->missing, (a->n_missing + 1) * sizeof(*m));

		if (!m) {
			rc = exs_error_set(err, "out of memory assessing a build");
			goto out;
		}
		a->missing = m;
		m[a->n_missing].name = updates[i];
		m[a->n_missing].fix = fixes[i];
		m[a->n_missing].certain = states[i] == EXS_UPDATE_MISSING;
		a->n_missing++;
	}

	/* an update that fixes no CVE of this line is a hotfix, counted apart */
	for (size_t m = 0; m < a->n_missing; m++) {
		unsigned bit = 1u << (unsigned)(a->product - kb->products);

		a->missing[m].hotfix = true;
		for (size_t f = 0; f < kb->n_fixes && a->missing[m].hotfix; f++) {
			char base[16];

			strip_release(kb->fixes[f].update, base, sizeof(base));
			if ((kb->fixes[f].products & bit) &&
			    (strcmp(base, a->missing[m].name) == 0 ||
			     strcmp(kb->fixes[f].update, a->missing[m].name) == 0))
				a->missing[m].hotfix = false;
		}
	}
	for (size_t f = 0; f < kb->n_fixes; f++) {
		const struct exs_fix *x = &kb->fixes[f];
		unsigned bit = 1u << (unsigned)(a->product - kb->products);
		size_t i;

		if (!(x->products & bit))
			continue;
		if (!x->update[0]) {
			rc = add_open(a, x->cve, NULL, false);
			if (rc)
				goto oom;
			continue;
		}
		for (i = 0; i < nu; i++)
			if (strcmp(updates[i], x->update) == 0)
				break;
		if (i == nu) {
			/* a re-release required by name, or an update the line never got */
			rc = add_release(kb, a, x);
			if (rc)
				goto oom;
			continue;
		}
		if (states[i] == EXS_UPDATE_INSTALLED) {
			/* installed but only effective once configured */
			if (x->cve->config_dependent)
				rc = add_open(a, x->cve, updates[i], false);
		} else {
			rc = add_open(a, x->cve, updates[i], states[i] == EXS_UPDATE_MISSING);
		}
		if (rc)
			goto oom;
	}
	for (size_t m = 0; m < a->n_missing; m++)
		a->n_missing_security += a->missing[m].certain && !a->missing[m].hotfix;
	goto out;
oom:
	rc = exs_error_set(err, "out of memory assessing a build");
out:
	if (rc)
		exs_assessment_release(a);
	return rc;
}

void exs_assessment_release(struct exs_assessment *a)
{
	free(a->missing);
	free(a->open);
	a->missing = NULL;
	a->open = NULL;
	a->n_missing = a->n_open = 0;
}

int exs_assessment_copy(const struct exs_assessment *src, struct exs_assessment *dst)
{
	*dst = *src;
	dst->missing = NULL;
	dst->open = NULL;
	if (src->n_missing) {
		dst->missing = malloc(src->n_missing * sizeof(*dst->missing));
		if (!dst->missing)
			goto fail;
		memcpy(dst->missing, src->missing, src->n_missing * sizeof(*dst->missing));
	}
	if (src->n_open) {
		dst->open = malloc(src->n_open * sizeof(*dst->open));
		if (!dst->open)
			goto fail;
		memcpy(dst->open, src->open, src->n_open * sizeof(*dst->open));
	}
	return 0;
fail:
	exs_assessment_release(dst);
	return -1;
}

void exs_kb_advice(const struct exs_assessment *a, char *buf, size_t size)
{
	const struct exs_build *n = a->newest;
	bool any = false;
	char v[48];

	buf[0] = '\0';
	for (size_t i = 0; i < a->n_missing; i++)
		any = any || !a->missing[i].hotfix;
	if (!n || !any || !size)
		return;
	snprintf(buf, size, "install %s %s%s%s (%s%s%s)%s", n->product->name, n->cu,
	         n->update[0] ? " " : "", n->update, exs_version_format(&n->version, v, sizeof(v)),
	         n->kb[0] ? ", " : "", n->kb,
	         n->esu_only ? "; esu-only: published for customers of the paid extended "
	                       "support; the supported path is to move to Exchange Server SE"
	                     : "");
}

long exs_kb_age_days(const struct exs_kb *kb, time_t now, bool *stale)
{
	const char *d = kb->newest_date;
	struct tm tm;
	long days;

	if (stale)
		*stale = false;
	memset(&tm, 0, sizeof(tm));
	if (strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	days = (long)((now - timegm(&tm)) / 86400);
	if (stale)
		*stale = days > EXS_KB_STALE_DAYS;
	return days;
}

const char *exs_kb_refresh_advice(void)
{
	return "the build and cve tables may be stale: install a newer exscan (or newer tables "
	       "in /usr/share/exscan), or pass newer ones with --builds and --cves";
}

/* ---- memo ---- */

void exs_kb_memo_init(struct exs_kb_memo *m, const struct exs_kb *kb, time_t today)
{
	memset(m, 0, sizeof(*m));
	m->kb = kb;
	m->today = today;
}

int exs_kb_memo_assess(struct exs_kb_memo *m, const struct exs_version *v,
                       struct exs_assessment *out, struct exs_error *err)
{
	int i;

	for (i = 0; i < EXS_KB_MEMO_SLOTS; i++)
		if (m->slot[i].used && m->slot[i].v.nparts == v->nparts &&
		    exs_version_cmp(&m->slot[i].v, v) == 0)
			return exs_assessment_copy(&m->slot[i].a, out) == 0
			               ? 0
			               : exs_error_set(err, "out of memory");
	if (exs_kb_assess(m->kb, v, m->today, out, err))
		return -1;
	i = m->next;
	m->next = (m->next + 1) % EXS_KB_MEMO_SLOTS;
	if (m->slot[i].used)
		exs_assessment_release(&m->slot[i].a);
	/* a memo that cannot keep a copy only costs the next call an assessment */
	m->slot[i].used = exs_assessment_copy(out, &m->slot[i].a) == 0;
	m->slot[i].v = *v;
	return 0;
}

void exs_kb_memo_release(struct exs_kb_memo *m)
{
	for (int i = 0; i < EXS_KB_MEMO_SLOTS; i++)
		if (m->slot[i].used)
			exs_assessment_release(&m->slot[i].a);
	memset(m, 0, sizeof(*m));
}

/* ---- service cut-offs ---- */

size_t exs_kb_service_notes(const struct exs_kb *kb, const struct exs_assessment *a,
                            const char **out, size_t max)
{
	static const struct {
		const char *update, *note;
	} cutoffs[] = {
	        {"Mar23SU",
	         "the emergency mitigation service cannot fetch new mitigations on builds "
	         "older than the March 2023 update (Mar23SU): Microsoft's emergency "
	         "mitigations will not arrive by themselves"},
	        {"Jun26SU", "mitigation and flighting configuration files released from July 2026 "
	                    "on need the June 2026 update (Jun26SU): this build cannot use them"},
	        {"Oct25SU", "since September 2026 Exchange Online throttles and blocks hybrid mail "
	                    "flow from servers below the October 2025 update (Oct25SU)"},
	};
	size_t n = 0;

	if (!a->product || a->newer_than_tables)
		return 0;
	for (size_t i = 0; i < sizeof(cutoffs) / sizeof(cutoffs[0]) && n < max; i++)
		if (exs_kb_update_state(kb, &a->version, a->product, cutoffs[i].update, NULL) ==
		    EXS_UPDATE_MISSING)
			out[n++] = cutoffs[i].note;
	return n;
}
