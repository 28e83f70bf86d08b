/* Text and JSON renderings of a build assessment (exscan builds, probe). */
#include <stdlib.h>
#include <string.h>

#include "exscan/report.h"

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static int parse_date(const char *s, long *days)
{
	unsigned y, m, d;
	char tail;

	if (!s || strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	*days = days_from_civil((long)y, m, d);
	return 0;
}

long exs_days_between(const char *a, const char *b)
{
	long da, db;

	if (parse_date(a, &da) || parse_date(b, &db))
		return -1;
	return db - da;
}

static struct json_object *nstr(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *build_ref(const struct exs_build *b)
{
	struct json_object *o;
	char v[48];

	if (!b)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(
	        o, "build", json_object_new_string(exs_version_format(&b->version, v, sizeof(v))));
	json_object_object_add(o, "product", json_object_new_string(b->product->name));
	json_object_object_add(o, "cu", nstr(b->cu));
	json_object_object_add(o, "update", nstr(b->update));
	json_object_object_add(o, "release_date", nstr(b->release_date));
	json_object_object_add(o, "kb", nstr(b->kb));
	json_object_object_add(o, "esu_only", json_object_new_boolean(b->esu_only));
	return o;
}

struct json_object *exs_open_cves_to_json(const struct exs_assessment *a)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < a->n_open; i++) {
		const struct exs_open_cve *c = &a->open[i];
		struct json_object *o = json_object_new_object();
		const char *why;

		json_object_object_add(o, "id", json_object_new_string(c->cve->id));
		json_object_object_add(o, "name", nstr(c->cve->name));
		json_object_object_add(o, "kev", json_object_new_boolean(c->cve->kev));
		json_object_object_add(o, "config_dependent",
		                       json_object_new_boolean(c->cve->config_dependent));
		json_object_object_add(o, "certain", json_object_new_boolean(c->certain));
		json_object_object_add(o, "fixed_by", nstr(c->fixed_by));
		json_object_object_add(o, "step", nstr(c->cve->step));
		if (!c->fixed_by)
			why = "no build fixes it: depends on configuration that cannot be seen from here";
		else if (c->certain)
			why = "the build lacks the update that fixes it";
		else if (c->cve->config_dependent && a->precision == EXS_PRECISION_EXACT)
			why = "the update is installed but only protects once configured";
		else
			why = "depends on which security update is installed (not visible)";
		json_object_object_add(o, "reason", json_object_new_string(why));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *exs_assessment_to_json(const struct exs_kb *kb, const struct exs_assessment *a)
{
	struct json_object *o = json_object_new_object(), *missing, *undecided, *near, *hotfixes;
	char advice[400];
	const struct exs_build *e = a->entry ? a->entry : a->cu_entry;
	char v[48];
	size_t behind = 0;
	long days = -1;

	json_object_object_add(
	        o, "build", json_object_new_string(exs_version_format(&a->version, v, sizeof(v))));
	json_object_object_add(o, "product",
	                       a->product ? json_object_new_string(a->product->name) : NULL);
	json_object_object_add(o, "product_id",
	                       a->product ? json_object_new_string(a->product->id) : NULL);
	json_object_object_add(o, "cu", e ? nstr(e->cu) : NULL);
	json_object_object_add(o, "update", a->entry ? nstr(a->entry->update) : NULL);
	json_object_object_add(o, "release_date", a->entry ? nstr(a->entry->release_date) : NULL);
	json_object_object_add(o, "kb", a->entry ? nstr(a->entry->kb) : NULL);
	json_object_object_add(o, "known", json_object_new_boolean(a->known));
	json_object_object_add(o, "newer_than_tables",
	                       json_object_new_boolean(a->newer_than_tables));
	json_object_object_add(o, "precision",
	                       json_object_new_string(exs_precision_name(a->precision)));
	json_object_object_add(o, "end_of_support", json_object_new_boolean(a->end_of_support));
	json_object_object_add(o, "support_ends",
	                       a->product ? nstr(a->product->end_of_support) : NULL);
	json_object_object_add(o, "newest", build_ref(a->newest));
	json_object_object_add(o, "newest_on_cu", build_ref(a->newest_on_cu));

	missing = json_object_new_array();
	undecided = json_object_new_array();
	hotfixes = json_object_new_array();
	for (size_t i = 0; i < a->n_missing; i++) {
		json_object_array_add(a->missing[i].hotfix    ? hotfixes
		                      : a->missing[i].certain ? missing
		                                              : undecided,
		                      json_object_new_string(a->missing[i].name));
	}
	behind = a->n_missing_security;
	exs_kb_advice(a, advice, sizeof(advice));
	json_object_object_add(o, "esu_only",
	                       json_object_new_boolean(a->entry && a->entry->esu_only));
	json_object_object_add(o, "missing_updates", missing);
	json_object_object_add(o, "missing_hotfixes", hotfixes);
	json_object_object_add(o, "remedy", advice[0] ? json_object_new_string(advice) : NULL);
	json_object_object_add(o, "undecided_updates", undecided);
	json_object_object_add(o, "updates_behind", json_object_new_int64((int64_t)behind));
	if (a->entry && a->newest)
		days = exs_days_between(a->entry->release_date, a->newest->release_date);
	json_object_object_add(o, "days_behind", days >= 0 ? json_object_new_int64(days) : NULL);
	json_object_object_add(o, "open_cves", exs_open_cves_to_json(a));
	{
		const char *notes[4];
		size_t nn = exs_kb_service_notes(kb, a, notes, 4);
		struct json_object *sn = json_object_new_array();

		for (size_t i = 0; i < nn; i++)
			json_object_array_add(sn, json_object_new_string(notes[i]));
		json_object_object_add(o, "service_notes", sn);
	}

	near = json_object_new_array();
	if (!a->known) {
		if (a->nearest_below)
			json_object_array_add(near, build_ref(a->nearest_below));
		if (a->nearest_above)
			json_object_array_add(near, build_ref(a->nearest_above));
	}
	json_object_object_add(o, "nearest_known", near);
	if (!a->product) {
		json_object_object_add(
		        o, "note",
		        json_object_new_string("not a known Exchange Server build line"));
	} else if (a->newer_than_tables) {
		char note[256];

		snprintf(
		        note, sizeof(note),
		        "newer than the tables (newest release %s): what it fixes is unknown; update "
		        "exscan or pass --builds and --cves",
		        exs_kb_newest_date(kb));
		json_object_object_add(o, "note", json_object_new_string(note));
	} else if (!a->known) {
		char note[256];

		snprintf(note, sizeof(note),
		         "build not in the table (newest release %s): the table "
		         "may be stale; update exscan or pass --builds",
		         exs_kb_newest_date(kb));
		json_object_object_add(o, "note", json_object_new_string(note));
	} else if (a->precision == EXS_PRECISION_CU) {
		json_object_object_add(
		        o, "note",
		        json_object_new_string(
		                "CU-only build: the installed security update cannot be seen, so CVEs fixed "
		                "by updates of this CU are uncertain (certain: false)"));
	} else {
		json_object_object_add(o, "note", NULL);
	}
	return o;
}

static const char *red(bool c)
{
	return c ? "\033[31m" : "";
}
static const char *bold(bool c)
{
	return c ? "\033[1m" : "";
}
static const char *off(bool c)
{
	return c ? "\033[0m" : "";
}

static void write_build_name(FILE *fp, const struct exs_build *b)
{
	char v[48];

	fprintf(fp, "%s (%s %s%s%s%s%s)", exs_version_format(&b->version, v, sizeof(v)),
	        b->product->name, b->cu, b->update[0] ? " " : "", b->update,
	        b->release_date[0] ? ", " : "", b->release_date);
}

void exs_assessment_write_text(FILE *fp, const struct exs_kb *kb, const struct exs_assessment *a,
                               bool color)
{
	const struct exs_build *e = a->entry ? a->entry : a->cu_entry;
	char v[48];
	size_t certain = 0, undecided = 0, kev = 0, hotfixes = 0;
	char advice[400];

	fprintf(fp, "%s%s%s: ", bold(color), exs_version_format(&a->version, v, sizeof(v)),
	        off(color));
	if (!a->product) {
		fprintf(fp, "not a known Exchange Server build line\n");
		goto nearest;
	}
	if (e && a->known)
		fprintf(fp, "%s %s", a->product->name, e->cu);
	else
		fprintf(fp, "%s, build not in the table", a->product->name);
	if (a->precision == EXS_PRECISION_CU)
		fprintf(fp, ", update not visible (CU-only build)\n");
	else if (a->entry && a->entry->update[0])
		fprintf(fp, " %s%s%s%s\n", a->entry->update,
		        a->entry->release_date[0] ? ", released " : "", a->entry->release_date,
		        a->entry->kb[0] ? "" : "");
	else if (a->entry)
		fprintf(fp, " without security updates%s%s\n",
		        a->entry->release_date[0] ? ", released " : "", a->entry->release_date);
	else
		fprintf(fp, "\n");
	if (a->end_of_support)
		fprintf(fp, "  %ssupport      ended %s%s\n", red(color), a->product->end_of_support,
		        off(color));
	if (a->newest) {
		long days =
		        a->entry ? exs_days_between(a->entry->release_date, a->newest->release_date)
		                 : -1;

		fprintf(fp, "  newest       ");
		write_build_name(fp, a->newest);
		if (days > 0)
			fprintf(fp, ", %ld days newer", days);
		fprintf(fp, "\n");
	}
	for (size_t i = 0; i < a->n_missing; i++) {
		certain += a->missing[i].certain && !a->missing[i].hotfix;
		undecided += !a->missing[i].certain && !a->missing[i].hotfix;
		hotfixes += a->missing[i].hotfix;
	}
	if (certain) {
		fprintf(fp, "  missing      %zu update%s:", certain, certain == 1 ? "" : "s");
		for (size_t i = 0; i < a->n_missing; i++)
			if (a->missing[i].certain && !a->missing[i].hotfix)
				fprintf(fp, " %s", a->missing[i].name);
		fprintf(fp, "\n");
	} else if (!undecided && !hotfixes && a->known) {
		fprintf(fp, "  missing      none: this is the newest update of its line\n");
	}
	if (undecided) {
		fprintf(fp,
		        "  undecided    %zu update%s, installed or not depending on the unseen "
		        "revision:",
		        undecided, undecided == 1 ? "" : "s");
		for (size_t i = 0; i < a->n_missing; i++)
			if (!a->missing[i].certain && !a->missing[i].hotfix)
				fprintf(fp, " %s", a->missing[i].name);
		fprintf(fp, "\n");
	}
	if (hotfixes) {
		fprintf(fp, "  hotfixes     behind on %zu hotfix update%s (no security fixes):",
		        hotfixes, hotfixes == 1 ? "" : "s");
		for (size_t i = 0; i < a->n_missing; i++)
			if (a->missing[i].hotfix)
				fprintf(fp, " %s", a->missing[i].name);
		fprintf(fp, "\n");
	}
	for (size_t i = 0; i < a->n_open; i++)
		kev += a->open[i].cve->kev;
	fprintf(fp, "  open CVEs    %zu (%zu known exploited)\n", a->n_open, kev);
	for (size_t i = 0; i < a->n_open; i++) {
		const struct exs_open_cve *c = &a->open[i];

		fprintf(fp, "    %s%-16s%s %-4s %-14s %s%s%s\n", c->cve->kev ? red(color) : "",
		        c->cve->id, c->cve->kev ? off(color) : "", c->cve->kev ? "KEV" : "",
		        c->cve->name, c->fixed_by ? "fixed by " : "configuration only",
		        c->fixed_by ? c->fixed_by : "",
		        c->certain ? ""
		        : (c->cve->config_dependent && c->fixed_by &&
		           a->precision == EXS_PRECISION_EXACT)
		                ? " (installed; needs configuration)"
		        : c->fixed_by ? " (not certain: depends on the unseen update)"
		                      : " (cannot be decided from outside)");
		if (c->cve->step[0])
			fprintf(fp, "      after the update: %s\n", c->cve->step);
	}
	exs_kb_advice(a, advice, sizeof(advice));
	if (advice[0])
		fprintf(fp, "  remedy       %s\n", advice);
	{
		const char *notes[4];
		size_t nn = exs_kb_service_notes(kb, a, notes, 4);

		for (size_t i = 0; i < nn; i++)
			fprintf(fp, "  service      %s\n", notes[i]);
	}
nearest:
	if (a->newer_than_tables)
		fprintf(fp, "  note         newer than the tables: what it fixes is unknown\n");
	if (!a->known) {
		fprintf(fp,
		        "  note         not in the build table (newest release %s); the table may "
		        "be stale: update exscan or pass --builds\n",
		        exs_kb_newest_date(kb));
		if (a->nearest_below) {
			fprintf(fp, "  nearest      below: ");
			write_build_name(fp, a->nearest_below);
			fprintf(fp, "\n");
		}
		if (a->nearest_above) {
			fprintf(fp, "  nearest      above: ");
			write_build_name(fp, a->nearest_above);
			fprintf(fp, "\n");
		}
	}
}
