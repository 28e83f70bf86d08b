#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "exscan/kb.h"

static struct exs_kb *kb;

static int setup(void **state)
{
	struct exs_error err = {{0}};

	(void)state;
	kb = exs_kb_load(NULL, NULL, &err);
	if (!kb)
		fprintf(stderr, "built-in tables: %s\n", err.msg);
	return kb ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	exs_kb_free(kb);
	return 0;
}

static void assess(const char *build, struct exs_assessment *a)
{
	struct exs_version v;
	struct exs_error err = {{0}};

	assert_int_equal(exs_version_parse(build, &v, &err), 0);
	/* 2026-11-23: after every end of support in the table */
	assert_int_equal(exs_kb_assess(kb, &v, (time_t)1795392000, a, &err), 0);
}

static const struct exs_open_cve *open_cve(const struct exs_assessment *a, const char *id)
{
	for (size_t i = 0; i < a->n_open; i++)
		if (strcmp(a->open[i].cve->id, id) == 0)
			return &a->open[i];
	return NULL;
}

static bool missing(const struct exs_assessment *a, const char *name, bool certain)
{
	for (size_t i = 0; i < a->n_missing; i++)
		if (strcmp(a->missing[i].name, name) == 0 && a->missing[i].certain == certain)
			return true;
	return false;
}

static void builtin_tables_load(void **state)
{
	(void)state;
	assert_true(exs_kb_build_count(kb) > 300);
	assert_true(exs_kb_cve_count(kb) > 100);
	assert_int_equal(exs_kb_product_count(kb), 5);
	assert_string_equal(exs_kb_builds_source(kb), "built-in");
	assert_string_equal(exs_kb_newest_date(kb), "2026-11-10");
	for (size_t i = 1; i < exs_kb_build_count(kb); i++)
		assert_true(exs_version_cmp(&exs_kb_build_at(kb, i - 1)->version,
		                            &exs_kb_build_at(kb, i)->version) <= 0);
	assert_true(exs_kb_cve_find(kb, "CVE-2021-26855")->kev);
	assert_true(exs_kb_cve_find(kb, "CVE-2024-21410")->config_dependent);
	assert_false(exs_kb_cve_find(kb, "CVE-2021-24085")->kev);
}

static void exchange2016_cu19_unpatched(void **state)
{
	struct exs_assessment a;
	const struct exs_open_cve *c;

	(void)state;
	assess("15.1.2176.2", &a);
	assert_string_equal(a.product->id, "Exchange2016");
	assert_non_null(a.entry);
	assert_string_equal(a.entry->cu, "CU19");
	assert_string_equal(a.entry->update, "");
	assert_true(a.known);
	assert_int_equal(a.precision, EXS_PRECISION_EXACT);
	c = open_cve(&a, "CVE-2021-26855");
	assert_non_null(c);
	assert_true(c->cve->kev);
	assert_true(c->certain);
	assert_string_equal(c->fixed_by, "Mar21SU");
	assert_true(missing(&a, "Mar21SU", true));
	assert_true(missing(&a, "Feb21SU", true));
	assert_false(missing(&a, "Dec20SU", true)); /* CU19 came after Dec20SU */
	assert_null(open_cve(&a, "CVE-2020-17143"));
	assert_true(a.end_of_support);
	assert_string_equal(a.newest_on_cu->update, "May21SU");
	{
		struct exs_assessment b;

		/* a copy holds the same facts in arrays of its own */
		assert_int_equal(exs_assessment_copy(&a, &b), 0);
		assert_int_equal(b.n_open, a.n_open);
		assert_int_equal(b.n_missing, a.n_missing);
		assert_ptr_not_equal(b.open, a.open);
		assert_memory_equal(b.open, a.open, a.n_open * sizeof(*a.open));
		assert_ptr_equal(b.newest_on_cu, a.newest_on_cu);
		exs_assessment_release(&a);
		assert_non_null(open_cve(&b, "CVE-2021-26855"));
		exs_assessment_release(&b);
	}
}

static void exchange2016_cu19_march_update(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.1.2176.9", &a);
	assert_string_equal(a.entry->update, "Mar21SU");
	assert_null(open_cve(&a, "CVE-2021-26855"));
	assert_null(open_cve(&a, "CVE-2021-27065"));
	assert_non_null(open_cve(&a, "CVE-2021-34473"));
	assert_true(open_cve(&a, "CVE-2021-34473")->certain);
	assert_non_null(open_cve(&a, "CVE-2021-31207"));
	assert_non_null(open_cve(&a, "CVE-2022-41082"));
	exs_assessment_release(&a);
}

static void later_cu_includes_earlier_fixes(void **state)
{
	struct exs_assessment a;

	(void)state;
	/* CU20 never got Mar21SU, but is above the newest CU's Mar21SU build */
	assess("15.1.2242.4", &a);
	assert_null(open_cve(&a, "CVE-2021-26855"));
	assert_false(missing(&a, "Mar21SU", true));
	assert_true(missing(&a, "Apr21SU", true));
	exs_assessment_release(&a);
	/* an older CU that never got Nov22SU is vulnerable */
	assess("15.1.2308.27", &a);
	assert_true(open_cve(&a, "CVE-2022-41040")->certain);
	exs_assessment_release(&a);
}

static void exchange2019_cu15_feb26(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.2.1748.43", &a);
	assert_string_equal(a.product->id, "Exchange2019");
	assert_string_equal(a.entry->cu, "CU15");
	assert_string_equal(a.entry->update, "Feb26SU");
	assert_string_equal(a.entry->kb, "KB5074993");
	assert_null(open_cve(&a, "CVE-2026-21527"));
	assert_true(missing(&a, "Aug26SU", true));
	/* Extended Protection cannot be seen from a build */
	assert_non_null(open_cve(&a, "CVE-2024-21410"));
	assert_false(open_cve(&a, "CVE-2024-21410")->certain);
	/* installed, but needs serialization signing */
	assert_non_null(open_cve(&a, "CVE-2023-36439"));
	assert_false(open_cve(&a, "CVE-2023-36439")->certain);
	exs_assessment_release(&a);
}

static void exchange_se(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.2.2562.57", &a);
	assert_string_equal(a.product->id, "ExchangeSE");
	assert_string_equal(a.entry->update, "Nov26SU");
	assert_false(a.end_of_support);
	assert_int_equal(a.n_missing, 0);
	for (size_t i = 0; i < a.n_open; i++)
		assert_false(a.open[i].certain);
	exs_assessment_release(&a);
	/* Aug26SU is no longer the newest: four SE updates followed it */
	assess("15.2.2562.46", &a);
	assert_true(missing(&a, "Sep26SU", true));
	assert_true(missing(&a, "Nov26SU", true));
	assert_true(open_cve(&a, "CVE-2026-118151")->certain);
	exs_assessment_release(&a);
}

/* Review 2026-11, section 1.1A: the builds released after Aug26SU. */
static void review_current_builds(void **state)
{
	static const char *const rows[][4] = {
	        {"15.2.2562.49", "ExchangeSE", "Sep26SU", "KB5121608"},
	        {"15.2.1748.51", "Exchange2019", "Sep26SU", "KB5121609"},
	        {"15.2.1544.46", "Exchange2019", "Sep26SU", "KB5121610"},
	        {"15.1.2507.73", "Exchange2016", "Sep26SU", "KB5121611"},
	        {"15.2.2562.53", "ExchangeSE", "Sep26SUv2", "KB5129955"},
	        {"15.2.1748.53", "Exchange2019", "Sep26SUv2", "KB5129956"},
	        {"15.2.1544.48", "Exchange2019", "Sep26SUv2", "KB5129957"},
	        {"15.1.2507.75", "Exchange2016", "Sep26SUv2", "KB5129958"},
	        {"15.2.2562.56", "ExchangeSE", "Oct26SU", ""},
	        {"15.2.1748.55", "Exchange2019", "Oct26SU", ""},
	        {"15.2.1544.50", "Exchange2019", "Oct26SU", ""},
	        {"15.1.2507.77", "Exchange2016", "Oct26SU", ""},
	        {"15.2.2562.57", "ExchangeSE", "Nov26SU", ""},
	};
	struct exs_assessment a;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assess(rows[i][0], &a);
		assert_non_null(a.entry);
		assert_string_equal(a.product->id, rows[i][1]);
		assert_string_equal(a.entry->update, rows[i][2]);
		assert_string_equal(a.entry->kb, rows[i][3]);
		exs_assessment_release(&a);
	}
}

/* Review 2026-11, sections 1.1B and 1.2: historic builds and corrected rows. */
static void review_historic_builds(void **state)
{
	static const char *const rows[][3] = {
	        {"15.0.847.64", "Mar21SU", "KB5000871"},
	        {"14.3.224.1", "RU8v1", ""},
	        {"15.1.225.16", "", ""},
	        {"15.2.196.0", "", ""},
	        {"15.1.225.17", "", ""},
	        {"15.2.191.1", "", ""},
	        {"15.2.858.2", "", ""},
	        {"15.2.221.14", "Jan19SU", "KB4471389"},
	        {"15.2.221.17", "Jun19SU", "KB4503027"},
	        {"15.1.1466.10", "Aug18SU", "KB4340731"},
	        {"15.1.396.37", "Sep16SU", "KB3184736"},
	        {"15.1.466.37", "Sep16SU", "KB3184736"},
	        {"15.1.544.30", "Mar17SU", "KB4013242"},
	        {"15.1.845.36", "Jul17SU", "KB4018588"},
	        {"15.1.1034.33", "Dec17SU", "KB4045655"},
	        {"15.1.1261.37", "Dec17SU", "KB4045655"},
	        {"15.0.620.34", "Aug13SUv2", "KB2874216"},
	        {"15.0.712.28", "Aug13SUv2", "KB2874216"},
	        {"15.0.712.31", "Dec13SU", "KB2880833"},
	        {"15.0.775.41", "Dec13SU", "KB2880833"},
	        {"15.0.847.50", "Sep16SU", "KB3184736"},
	        {"15.0.847.53", "Mar17SU", "KB4013242"},
	        {"15.0.847.55", "Jul17SU", "KB4018588"},
	        {"15.0.847.62", "May18SU", "KB4092041"},
	        {"15.0.1178.9", "Sep16SU", "KB3184736"},
	        {"15.0.1210.6", "Sep16SU", "KB3184736"},
	        {"15.0.1236.6", "Mar17SU", "KB4013242"},
	        {"15.0.1293.4", "Jul17SU", "KB4018588"},
	        {"15.0.1320.7", "Dec17SU", "KB4045655"},
	        {"15.0.1347.3", "Dec17SU", "KB4045655"},
	        /* D6, D7, D8 */
	        {"15.1.1531.8", "Dec18SU", "KB4468741"},
	        {"15.0.1365.7", "May18SU", "KB4092041"},
	        {"15.0.1367.6", "May18SU", "KB4092041"},
	        {"15.1.1415.7", "May18SU", "KB4092041"},
	        {"15.1.1466.8", "May18SU", "KB4092041"},
	        {"15.0.1367.9", "Aug18SU", "KB4340731"},
	        {"15.0.1395.7", "Aug18SU", "KB4340731"},
	        {"15.1.1531.6", "Aug18SU", "KB4340731"},
	};
	struct exs_assessment a;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assess(rows[i][0], &a);
		assert_non_null(a.entry);
		assert_string_equal(a.entry->update, rows[i][1]);
		assert_string_equal(a.entry->kb, rows[i][2]);
		exs_assessment_release(&a);
	}
	/* 2013 SP1 with the March 2021 update: ProxyLogon closed */
	assess("15.0.847.64", &a);
	assert_null(open_cve(&a, "CVE-2021-26855"));
	exs_assessment_release(&a);
	/* the December 2018 update fixes CVE-2018-8604 */
	assess("15.1.1531.8", &a);
	assert_null(open_cve(&a, "CVE-2018-8604"));
	exs_assessment_release(&a);
}

/* Review 2026-11, section 2: KEV flags, fixes and CVEs. */
static void review_cves(void **state)
{
	struct exs_assessment a;
	const struct exs_cve *c;

	(void)state;
	assert_true(exs_kb_cve_find(kb, "CVE-2021-33766")->kev);
	assert_true(exs_kb_cve_find(kb, "CVE-2021-31196")->kev);
	assert_true(exs_kb_cve_find(kb, "CVE-2026-42897")->kev);
	assert_true(exs_kb_cve_find(kb, "CVE-2018-8581")->kev);
	assert_true(exs_kb_cve_find(kb, "CVE-2020-17144")->kev);
	c = exs_kb_cve_find(kb, "CVE-2025-53786");
	assert_false(c->kev);
	assert_true(c->config_dependent);
	assert_non_null(strstr(c->step, "hybrid application"));
	assert_non_null(strstr(exs_kb_cve_find(kb, "CVE-2021-34470")->step, "/PrepareSchema"));
	assert_non_null(strstr(exs_kb_cve_find(kb, "CVE-2022-24516")->step, "Extended Protection"));
	/* ProxyToken is fixed by Apr21SU: CU9 May21SU has it */
	assess("15.2.858.12", &a);
	assert_null(open_cve(&a, "CVE-2021-33766"));
	exs_assessment_release(&a);
	assess("15.2.858.5", &a);
	assert_true(open_cve(&a, "CVE-2021-33766")->certain);
	assert_string_equal(open_cve(&a, "CVE-2021-33766")->fixed_by, "Apr21SU");
	exs_assessment_release(&a);
	/* SE Feb26SU: the KEV CVE-2026-42897 is open, not just CVE-2024-21410 */
	assess("15.2.2562.37", &a);
	assert_true(open_cve(&a, "CVE-2026-42897")->certain);
	assert_string_equal(open_cve(&a, "CVE-2026-42897")->fixed_by, "Jun26SU");
	exs_assessment_release(&a);
	/* SE has CVE-2025-53786 through its RTM: it stays configuration-dependent */
	assess("15.2.2562.57", &a);
	assert_false(open_cve(&a, "CVE-2025-53786")->certain);
	exs_assessment_release(&a);
	/* PrivExchange and the 2010 RU31 CVE */
	assess("15.1.1591.11", &a);
	assert_true(open_cve(&a, "CVE-2018-8581")->certain);
	exs_assessment_release(&a);
	assess("15.1.1713.5", &a);
	assert_null(open_cve(&a, "CVE-2018-8581"));
	exs_assessment_release(&a);
	assess("14.3.496.0", &a);
	assert_true(open_cve(&a, "CVE-2020-17144")->certain);
	exs_assessment_release(&a);
	assess("14.3.509.0", &a);
	assert_null(open_cve(&a, "CVE-2020-17144"));
	exs_assessment_release(&a);
	/* Nov26SU is SE only */
	assess("15.2.1748.55", &a);
	assert_null(open_cve(&a, "CVE-2026-118151"));
	exs_assessment_release(&a);
}

/* ESU-only updates say so and name the move to SE; hotfixes are counted apart. */
static void review_esu_and_hotfixes(void **state)
{
	struct exs_assessment a;
	char advice[400];

	(void)state;
	assess("15.2.1748.10", &a);
	assert_true(a.newest->esu_only);
	exs_kb_advice(&a, advice, sizeof(advice));
	assert_non_null(strstr(advice, "15.2.1748.55"));
	assert_non_null(strstr(advice, "esu-only"));
	assert_non_null(strstr(advice, "move to Exchange Server SE"));
	exs_assessment_release(&a);
	assess("15.1.2507.69", &a); /* 2016 Jun26SU */
	assert_true(a.entry->esu_only);
	exs_assessment_release(&a);
	assess("15.1.2507.66", &a); /* 2016 Feb26SU: before June 2026 */
	assert_false(a.entry->esu_only);
	exs_assessment_release(&a);
	assess("15.2.2562.57", &a); /* SE is the supported line */
	assert_false(a.entry->esu_only);
	exs_assessment_release(&a);
	/* SE Feb26SU: May26HU fixes nothing, it is a hotfix, not a missing security update */
	assess("15.2.2562.37", &a);
	for (size_t i = 0; i < a.n_missing; i++)
		assert_int_equal(a.missing[i].hotfix, strcmp(a.missing[i].name, "May26HU") == 0);
	assert_true(missing(&a, "May26HU", true));
	assert_int_equal(a.n_missing_security, a.n_missing - 1);
	exs_kb_advice(&a, advice, sizeof(advice));
	assert_null(strstr(advice, "esu-only"));
	exs_assessment_release(&a);
	/* SE Aug26SU: four security updates behind */
	assess("15.2.2562.46", &a);
	assert_int_equal(a.n_missing_security, 4); /* Sep26SU, its v2, Oct26SU, Nov26SU */
	exs_assessment_release(&a);
}

/* A fix line naming a re-release needs that release: v1 keeps the CVE open. */
static void review_re_releases(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.2.2562.49", &a); /* Sep26SU v1 */
	assert_true(open_cve(&a, "CVE-2026-96940")->certain);
	assert_string_equal(open_cve(&a, "CVE-2026-96940")->fixed_by, "Sep26SUv2");
	assert_true(missing(&a, "Sep26SUv2", true));
	assert_null(open_cve(&a, "CVE-2026-69356"));
	exs_assessment_release(&a);
	assess("15.2.2562.53", &a); /* Sep26SU v2 */
	assert_null(open_cve(&a, "CVE-2026-96940"));
	exs_assessment_release(&a);
	assess("15.1.2507.73", &a);
	assert_true(open_cve(&a, "CVE-2026-96940")->certain);
	exs_assessment_release(&a);
	assess("15.1.2507.31", &a); /* Aug23SU v1 */
	assert_true(open_cve(&a, "CVE-2023-21709")->certain);
	exs_assessment_release(&a);
	assess("15.1.2507.32", &a); /* Aug23SU v2 */
	assert_null(open_cve(&a, "CVE-2023-21709"));
	exs_assessment_release(&a);
	assess("15.2.1544.4", &a); /* a newer CU than any that got v2 */
	assert_null(open_cve(&a, "CVE-2023-21709"));
	exs_assessment_release(&a);
}

static void exchange2013_end_of_support(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.0.1497.2", &a);
	assert_string_equal(a.product->id, "Exchange2013");
	assert_string_equal(a.entry->cu, "CU23");
	assert_true(a.end_of_support);
	assert_true(open_cve(&a, "CVE-2021-26855")->certain);
	exs_assessment_release(&a);
}

static void exchange2010(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("14.3.509.0", &a);
	assert_string_equal(a.product->id, "Exchange2010");
	assert_true(open_cve(&a, "CVE-2021-26857")->certain);
	assert_null(open_cve(&a, "CVE-2021-26855")); /* 2010 was not affected */
	exs_assessment_release(&a);
	assess("14.3.513.0", &a);
	assert_null(open_cve(&a, "CVE-2021-26857"));
	exs_assessment_release(&a);
}

static void cu_only_build(void **state)
{
	struct exs_assessment a;
	const struct exs_open_cve *c;

	(void)state;
	assess("15.1.2176", &a);
	assert_int_equal(a.precision, EXS_PRECISION_CU);
	assert_true(a.known);
	assert_null(a.entry);
	assert_string_equal(a.cu_entry->cu, "CU19");
	c = open_cve(&a, "CVE-2021-26855");
	assert_non_null(c);
	assert_false(c->certain);
	assert_true(missing(&a, "Mar21SU", false));
	/* CU19 never received Nov22SU: certainly open whatever the update */
	assert_true(open_cve(&a, "CVE-2022-41040")->certain);
	assert_true(missing(&a, "Nov22SU", true));
	exs_assessment_release(&a);
	/* a CU released after the fix is certainly patched */
	assess("15.1.2242", &a);
	assert_null(open_cve(&a, "CVE-2021-26855"));
	exs_assessment_release(&a);
}

static void unknown_builds(void **state)
{
	struct exs_assessment a;

	(void)state;
	assess("15.1.2176.99", &a);
	assert_false(a.known);
	assert_non_null(a.product);
	assert_string_equal(a.nearest_below->update, "May21SU");
	assert_non_null(a.nearest_above);
	exs_assessment_release(&a);
	assess("8.3.1.1", &a);
	assert_null(a.product);
	assert_false(a.known);
	assert_null(a.nearest_below);
	assert_non_null(a.nearest_above);
	exs_assessment_release(&a);
}

extern const char exs_builtin_builds[];
extern const size_t exs_builtin_builds_len;
extern const char exs_builtin_cves[];
extern const size_t exs_builtin_cves_len;

/* A table as tools/gen-kb.py writes it: the header line (kind, format, count
 * and SHA-256 of the data lines, computed here independently), then `body`.
 * Returns a malloc'ed string. */
static char *sealed(const char *kind, const char *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t rows = 0, n = strlen(body) + 200;
	char *out = malloc(n), *p;
	int len;

	assert_non_null(ctx);
	assert_non_null(out);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	for (const char *l = body; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ln = nl ? (size_t)(nl - l) : strlen(l);

		if (ln && l[ln - 1] == '\r')
			ln--;
		if (l[0] != '#' && strspn(l, " \t") < ln) {
			rows++;
			EVP_DigestUpdate(ctx, l, ln);
			EVP_DigestUpdate(ctx, "\n", 1);
		}
		l = nl ? nl + 1 : l + strlen(l);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	len = snprintf(out, n, "exscan-table\t%s\tformat=2\trows=%zu\tsha256=", kind, rows);
	p = out + len;
	for (unsigned i = 0; i < mdlen; i++, p += 2)
		snprintf(p, 3, "%02x", md[i]);
	snprintf(p, n - (size_t)(p - out), "\n%s", body);
	return out;
}

/* Loads raw texts (NULL: skip the CVE table); the error must contain `want`. */
static void expect_raw_error(const char *builds, const char *cves, const char *want)
{
	struct exs_kb *k = exs_kb_new();
	struct exs_error err = {{0}};
	int rc;

	rc = exs_kb_load_builds(k, "t.tsv", builds, strlen(builds), &err);
	if (rc == 0 && cves)
		rc = exs_kb_load_cves(k, "c.tsv", cves, strlen(cves), &err);
	assert_int_equal(rc, -1);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	assert_null(strchr(err.msg, '\n'));
	exs_kb_free(k);
}

/* The same with both tables sealed: the body's line N is the file's line N+1. */
static void expect_load_error(const char *builds, const char *cves, const char *want)
{
	char *b = sealed("builds", builds), *c = cves ? sealed("cves", cves) : NULL;

	expect_raw_error(b, c, want);
	free(b);
	free(c);
}

#define PROD "product\tExchange2016\tExchange Server 2016\t15.1\t0\t2025-10-14\n"
#define BUILD "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n"
#define CVE "cve\tCVE-2021-1\t-\t-\nfix\tMar21SU\tCVE-2021-1\tExchange2016\n"

static void malformed_tables(void **state)
{
	(void)state;
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2016\n", NULL, "t.tsv:3:");
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2016\n", NULL,
	                  "8 tab-separated fields");
	expect_load_error(PROD "# c\n\nbuild\tbanana\tExchange2016\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "t.tsv:5: 'banana' is not a full build number");
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2099\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "t.tsv:3: unknown product 'Exchange2099'");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t12/15/2020\t-\n",
	                  NULL, "t.tsv:3: '12/15/2020' is not a date");
	expect_load_error(PROD "build\t15.2.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "does not belong to Exchange2016");
	expect_load_error(PROD "bulid\t15.1.2176.2\n", NULL, "t.tsv:3: unknown line type 'bulid'");
	expect_load_error(PROD, NULL, "no build lines");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\tkev,bogus\t-\n",
	                  "c.tsv:2: unknown flag 'bogus'");
	expect_load_error(PROD BUILD, "fix\tMar21SU\tCVE-2021-1\tExchange2016\n",
	                  "c.tsv:2: CVE-2021-1 has no cve line above it");
	expect_load_error(PROD BUILD,
	                  "cve\tCVE-2021-1\t-\t-\nfix\tMar21SU\tCVE-2021-1\tExchange3000\n",
	                  "c.tsv:3: unknown product 'Exchange3000'");
}

/* A table must prove it is whole: empty, comment-only, unsealed, cut, shortened,
 * lengthened and changed tables are all refused, each with its reason. */
static void unsealed_tables_refused(void **state)
{
	char *b = sealed("builds", PROD BUILD);

	(void)state;
	expect_raw_error("", NULL, "t.tsv: empty file, not an exscan builds table");
	expect_raw_error("# only a comment\n\n", NULL, "t.tsv:1: no 'exscan-table' header line");
	expect_raw_error(PROD BUILD, NULL, "t.tsv:1: no 'exscan-table' header line");
	expect_raw_error(b, "", "c.tsv: empty file, not an exscan cves table");
	expect_raw_error(b, "# exscan CVE table\n# cve\tid\tflags\tname\n",
	                 "c.tsv:1: no 'exscan-table' header line");
	expect_raw_error(b, CVE, "c.tsv:1: no 'exscan-table' header line");
	/* the header itself cut, or of another format or kind */
	expect_raw_error("exscan-table\tbuilds\tformat=2\trows=2\tsha256=0db2\n" PROD BUILD, NULL,
	                 "t.tsv:1: malformed header");
	expect_raw_error("exscan-table\tbuilds\tformat=2\trows=2\n", NULL,
	                 "t.tsv:1: malformed header");
	expect_raw_error(
	        "exscan-table\tbuilds\tformat=1\trows=2\tsha256="
	        "0000000000000000000000000000000000000000000000000000000000000000\n" PROD BUILD,
	        NULL, "t.tsv:1: table format '1' is not the one this exscan reads");
	expect_raw_error(b, b, "c.tsv:1: this is a builds table, not a cves table");
	/* sealed, but with nothing in it */
	expect_load_error(PROD BUILD, "# nothing\n", "c.tsv: no cve lines");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\t-\t-\n", "c.tsv: no fix lines");
	free(b);
}

/* Copies of the shipped CVE table, damaged the ways a disk, a download or a
 * hand edit damages it. */
static void damaged_builtin_tables_refused(void **state)
{
	size_t len = exs_builtin_cves_len, cut;
	char *t = malloc((len > exs_builtin_builds_len ? len : exs_builtin_builds_len) + 64), *p;

	(void)state;
	assert_non_null(t);
	/* the intact copy loads (the built-in tables are sealed too) */
	memcpy(t, exs_builtin_cves, len);
	t[len] = '\0';
	{
		struct exs_kb *k = exs_kb_new();
		struct exs_error err = {{0}};

		assert_int_equal(exs_kb_load_builds(k, "b", exs_builtin_builds,
		                                    exs_builtin_builds_len, &err),
		                 0);
		assert_int_equal(exs_kb_load_cves(k, "c.tsv", t, len, &err), 0);
		exs_kb_free(k);
	}
	/* the last line cut in half: as many rows, one of them changed */
	cut = len - 1;
	while (t[cut - 1] != '\n')
		cut--;
	cut += (len - cut) / 2;
	t[cut] = '\0';
	expect_raw_error(exs_builtin_builds, t, "c.tsv: checksum mismatch");
	/* cut in the middle of a line two thirds in: rows missing */
	memcpy(t, exs_builtin_cves, len);
	cut = len * 2 / 3;
	while (t[cut] == '\n')
		cut++;
	t[cut] = '\0';
	expect_raw_error(exs_builtin_builds, t, "c.tsv: truncated: the header promises 342 rows");
	/* the last five rows missing */
	memcpy(t, exs_builtin_cves, len);
	t[len] = '\0';
	for (int i = 0; i < 6; i++)
		*strrchr(t, '\n') = '\0';
	strcat(t, "\n");
	expect_raw_error(exs_builtin_builds, t, "the header promises 342 rows, the file has 339");
	/* a row added */
	memcpy(t, exs_builtin_cves, len);
	t[len] = '\0';
	strcat(t, "cve\tCVE-2099-1\tkev\t-\n");
	expect_raw_error(exs_builtin_builds, t, "343 rows where the header promises 342");
	/* one row changed: ProxyLogon said to be fixed a month early */
	memcpy(t, exs_builtin_cves, len);
	t[len] = '\0';
	p = strstr(t, "fix\tMar21SU\tCVE-2021-26855\t");
	assert_non_null(p);
	memcpy(p + 4, "Feb", 3);
	expect_raw_error(exs_builtin_builds, t, "c.tsv: checksum mismatch");
	/* the same change in the build table */
	memcpy(t, exs_builtin_builds, exs_builtin_builds_len);
	t[exs_builtin_builds_len] = '\0';
	p = strstr(t, "\t2021-03-02\t");
	assert_non_null(p);
	p[10] = '3';
	expect_raw_error(t, NULL, "t.tsv: checksum mismatch");
	free(t);
}

static void impossible_dates_refused(void **state)
{
	(void)state;
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2026-02-30\t-\n",
	                  NULL, "t.tsv:3: '2026-02-30' is not a real date");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2026-13\t-\n",
	                  NULL, "t.tsv:3: '2026-13' is not a real date");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2023-02-29\t-\n",
	                  NULL, "t.tsv:3: '2023-02-29' is not a real date");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2100-02-29\t-\n",
	                  NULL, "'2100-02-29' is not a real date");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2026-04-31\t-\n",
	                  NULL, "'2026-04-31' is not a real date");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2026-00\t-\n",
	                  NULL, "'2026-00' is not a real date");
	expect_load_error(
	        "product\tExchange2016\tExchange Server 2016\t15.1\t0\t2025-10-32\n" BUILD, NULL,
	        "t.tsv:2: '2025-10-32' is not a real date");
	{
		/* leap days that exist */
		char *b = sealed("builds",
		                 PROD "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t"
		                      "2024-02-29\t-\nbuild\t15.1.2176.3\tExchange2016\tCU19\t"
		                      "15.1.2176.2\t-\t2000-02-29\t-\n");
		struct exs_kb *k = exs_kb_new();
		struct exs_error err = {{0}};

		assert_int_equal(exs_kb_load_builds(k, "t.tsv", b, strlen(b), &err), 0);
		assert_int_equal(exs_kb_build_count(k), 2);
		exs_kb_free(k);
		free(b);
	}
}

static void control_characters_refused(void **state)
{
	(void)state;
	expect_load_error("product\tExchange2016\tExchange \033[2J2016\t15.1\t0\t-\n" BUILD, NULL,
	                  "t.tsv:2: control character 0x1b in a field");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\t-\tProxy\rLogon\n",
	                  "c.tsv:2: control character 0x0d");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\t-\tProxy\x7fLogon\n",
	                  "c.tsv:2: control character 0x7f");
	/* U+009B, the C1 control sequence introducer */
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\t-\tProxy\xc2\x9bLogon\n",
	                  "c.tsv:2: control character 0x9b");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\t-\tProxy\xffLogon\n",
	                  "c.tsv:2: byte 0xff is not UTF-8");
	/* found on its line even where the checksum would also fail */
	expect_raw_error("exscan-table\tbuilds\tformat=2\trows=2\tsha256="
	                 "0000000000000000000000000000000000000000000000000000000000000000\n" PROD
	                 "build\t15.1.2176.2\tExchange2016\tCU\00719\t15.1.2176.2\t-\t-\t-\n",
	                 NULL, "t.tsv:3: control character 0x07");
}

static void crlf_tables_load(void **state)
{
	const char *lf = "product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\n"
	                 "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n";
	char *s = sealed("builds", lf), *b = malloc(2 * strlen(s) + 1), *q = b;
	struct exs_kb *k = exs_kb_new();
	struct exs_error err = {{0}};

	(void)state;
	assert_non_null(b);
	/* the checksum is of the lines, not of their ends */
	for (const char *p = s; *p; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	assert_int_equal(exs_kb_load_builds(k, "crlf", b, strlen(b), &err), 0);
	assert_int_equal(exs_kb_build_count(k), 1);
	assert_string_equal(exs_kb_build_at(k, 0)->release_date, "2020-12-15");
	exs_kb_free(k);
	free(s);
	free(b);
}

static void missing_file_is_named(void **state)
{
	struct exs_error err = {{0}};

	(void)state;
	assert_null(exs_kb_load("/nonexistent/builds.tsv", NULL, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/builds.tsv: cannot open"));
}

/* Two assessments say the same: the same entries, CVEs and updates, in order. */
static void assert_same_assessment(const struct exs_assessment *a, const struct exs_assessment *b)
{
	assert_int_equal(a->precision, b->precision);
	assert_ptr_equal(a->product, b->product);
	assert_ptr_equal(a->entry, b->entry);
	assert_ptr_equal(a->cu_entry, b->cu_entry);
	assert_ptr_equal(a->newest, b->newest);
	assert_int_equal(a->n_open, b->n_open);
	assert_int_equal(a->n_missing, b->n_missing);
	assert_int_equal(a->n_missing_security, b->n_missing_security);
	for (size_t i = 0; i < a->n_open; i++) {
		assert_ptr_equal(a->open[i].cve, b->open[i].cve);
		assert_int_equal(a->open[i].certain, b->open[i].certain);
	}
	for (size_t i = 0; i < a->n_missing; i++)
		assert_string_equal(a->missing[i].name, b->missing[i].name);
}

/* The memo a report judges a fleet through gives what a fresh assessment
 * gives, for every build of the tables (more than it keeps: slots are
 * reused), for a CU-only build beside the same CU's exact build, and a
 * second time from the memo itself. */
static void memo_matches_assessment(void **state)
{
	const time_t today = (time_t)1795392000;
	struct exs_kb_memo m;
	struct exs_error err = {{0}};
	const char *extra[] = {"15.1.2176", "15.1.2176.2", "15.2.9999.1", "15.2.2562"};
	size_t n = exs_kb_build_count(kb);

	(void)state;
	assert_true(n > EXS_KB_MEMO_SLOTS);
	exs_kb_memo_init(&m, kb, today);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n + sizeof(extra) / sizeof(extra[0]); i++) {
			struct exs_version v;
			struct exs_assessment direct, memo;

			if (i < n)
				v = exs_kb_build_at(kb, i)->version;
			else
				assert_int_equal(exs_version_parse(extra[i - n], &v, &err), 0);
			assert_int_equal(exs_kb_assess(kb, &v, today, &direct, &err), 0);
			assert_int_equal(exs_kb_memo_assess(&m, &v, &memo, &err), 0);
			assert_same_assessment(&direct, &memo);
			exs_assessment_release(&memo);
			/* and again at once: now from the memo */
			assert_int_equal(exs_kb_memo_assess(&m, &v, &memo, &err), 0);
			assert_same_assessment(&direct, &memo);
			exs_assessment_release(&memo);
			exs_assessment_release(&direct);
		}
	}
	exs_kb_memo_release(&m);
}

/* Service cut-offs from the build alone (kb-review 2026-11, rank 9). */
static void service_notes(void **state)
{
	static const struct {
		const char *build;
		size_t n;
		const char *first; /* the update the first note names */
	} cases[] = {
	        {"15.1.2176.2", 3, "Mar23SU"},  /* 2016 CU19 without updates: all three */
	        {"15.2.1748.39", 1, "Jun26SU"}, /* 2019 CU15 Oct25SU */
	        {"15.2.2562.43", 0, NULL},      /* SE Jun26SU */
	        {"15.2.2562.57", 0, NULL},      /* SE Nov26SU */
	};
	const char *notes[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct exs_assessment a;
		size_t n;

		assess(cases[i].build, &a);
		n = exs_kb_service_notes(kb, &a, notes, 4);
		if (n != cases[i].n)
			fail_msg("%s: %zu service notes, want %zu", cases[i].build, n, cases[i].n);
		if (cases[i].first)
			assert_non_null(strstr(notes[0], cases[i].first));
		/* the bound is kept */
		assert_true(exs_kb_service_notes(kb, &a, notes, 1) <= 1);
		exs_assessment_release(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(builtin_tables_load),
	        cmocka_unit_test(exchange2016_cu19_unpatched),
	        cmocka_unit_test(exchange2016_cu19_march_update),
	        cmocka_unit_test(later_cu_includes_earlier_fixes),
	        cmocka_unit_test(exchange2019_cu15_feb26),
	        cmocka_unit_test(exchange_se),
	        cmocka_unit_test(review_current_builds),
	        cmocka_unit_test(review_historic_builds),
	        cmocka_unit_test(review_cves),
	        cmocka_unit_test(review_re_releases),
	        cmocka_unit_test(review_esu_and_hotfixes),
	        cmocka_unit_test(exchange2013_end_of_support),
	        cmocka_unit_test(exchange2010),
	        cmocka_unit_test(cu_only_build),
	        cmocka_unit_test(unknown_builds),
	        cmocka_unit_test(malformed_tables),
	        cmocka_unit_test(unsealed_tables_refused),
	        cmocka_unit_test(damaged_builtin_tables_refused),
	        cmocka_unit_test(impossible_dates_refused),
	        cmocka_unit_test(control_characters_refused),
	        cmocka_unit_test(crlf_tables_load),
	        cmocka_unit_test(missing_file_is_named),
	        cmocka_unit_test(memo_matches_assessment),
	        cmocka_unit_test(service_notes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
