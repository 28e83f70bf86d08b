#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
	assert_string_equal(exs_kb_newest_date(kb), "2026-08-11");
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
	assess("15.2.2562.46", &a);
	assert_string_equal(a.product->id, "ExchangeSE");
	assert_string_equal(a.entry->update, "Aug26SU");
	assert_false(a.end_of_support);
	assert_int_equal(a.n_missing, 0);
	for (size_t i = 0; i < a.n_open; i++)
		assert_false(a.open[i].certain);
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

static void expect_load_error(const char *builds, const char *cves, const char *want)
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
	exs_kb_free(k);
}

#define PROD "product\tExchange2016\tExchange Server 2016\t15.1\t0\t2025-10-14\n"
#define BUILD "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n"

static void malformed_tables(void **state)
{
	(void)state;
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2016\n", NULL, "t.tsv:2:");
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2016\n", NULL,
	                  "8 tab-separated fields");
	expect_load_error(PROD "# c\n\nbuild\tbanana\tExchange2016\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "t.tsv:4: 'banana' is not a full build number");
	expect_load_error(PROD "build\t15.1.2176.2\tExchange2099\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "t.tsv:2: unknown product 'Exchange2099'");
	expect_load_error(PROD
	                  "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t12/15/2020\t-\n",
	                  NULL, "t.tsv:2: '12/15/2020' is not a date");
	expect_load_error(PROD "build\t15.2.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t-\t-\n",
	                  NULL, "does not belong to Exchange2016");
	expect_load_error(PROD "bulid\t15.1.2176.2\n", NULL, "t.tsv:2: unknown line type 'bulid'");
	expect_load_error(PROD, NULL, "no build lines");
	expect_load_error(PROD BUILD, "cve\tCVE-2021-1\tkev,bogus\t-\n",
	                  "c.tsv:1: unknown flag 'bogus'");
	expect_load_error(PROD BUILD, "fix\tMar21SU\tCVE-2021-1\tExchange2016\n",
	                  "c.tsv:1: CVE-2021-1 has no cve line above it");
	expect_load_error(PROD BUILD,
	                  "cve\tCVE-2021-1\t-\t-\nfix\tMar21SU\tCVE-2021-1\tExchange3000\n",
	                  "c.tsv:2: unknown product 'Exchange3000'");
}

static void crlf_tables_load(void **state)
{
	const char *b = "product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\r\n"
	                "build\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\r\n";
	struct exs_kb *k = exs_kb_new();
	struct exs_error err = {{0}};

	(void)state;
	assert_int_equal(exs_kb_load_builds(k, "crlf", b, strlen(b), &err), 0);
	assert_int_equal(exs_kb_build_count(k), 1);
	assert_string_equal(exs_kb_build_at(k, 0)->release_date, "2020-12-15");
	exs_kb_free(k);
}

static void missing_file_is_named(void **state)
{
	struct exs_error err = {{0}};

	(void)state;
	assert_null(exs_kb_load("/nonexistent/builds.tsv", NULL, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/builds.tsv: cannot open"));
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
	        cmocka_unit_test(exchange2013_end_of_support),
	        cmocka_unit_test(exchange2010),
	        cmocka_unit_test(cu_only_build),
	        cmocka_unit_test(unknown_builds),
	        cmocka_unit_test(malformed_tables),
	        cmocka_unit_test(crlf_tables_load),
	        cmocka_unit_test(missing_file_is_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
