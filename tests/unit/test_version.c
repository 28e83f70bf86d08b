#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/version.h"

static void parses_full_and_cu_builds(void **state)
{
	struct exs_version v;
	char out[48];

	(void)state;
	assert_int_equal(exs_version_parse("15.1.2176.2", &v, NULL), 0);
	assert_int_equal(v.nparts, 4);
	assert_int_equal(v.part[2], 2176);
	assert_string_equal(exs_version_format(&v, out, sizeof(out)), "15.1.2176.2");
	assert_int_equal(exs_version_parse("15.1.2176", &v, NULL), 0);
	assert_int_equal(v.nparts, 3);
	assert_string_equal(exs_version_format(&v, out, sizeof(out)), "15.1.2176");
	assert_int_equal(exs_version_parse("14.3.513.0", &v, NULL), 0);
	assert_int_equal(v.part[3], 0);
}

static void rejects_garbage(void **state)
{
	static const char *bad[] = {
	        "banana",
	        "",
	        "15",
	        "15.1",
	        "15.1.",
	        ".15.1.2",
	        "15..1.2",
	        "15.1.2176.2.1",
	        "15.1.2176.x",
	        "15.1.-2176.2",
	        "15.1.+2176",
	        " 15.1.2176",
	        "15.1.2176 ",
	        "15.01.2176",
	        "15.1.99999999.1",
	        "15.1.2176.2\n",
	};
	struct exs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct exs_version v;

		err.msg[0] = '\0';
		assert_int_equal(exs_version_parse(bad[i], &v, &err), -1);
		assert_non_null(strstr(err.msg, "is not a build number"));
		assert_int_equal(v.nparts, 0);
	}
}

static void compares(void **state)
{
	struct exs_version a, b;

	(void)state;
	exs_version_parse("15.1.2176.9", &a, NULL);
	exs_version_parse("15.1.2176.12", &b, NULL);
	assert_true(exs_version_cmp(&a, &b) < 0); /* numeric, not lexical */
	assert_true(exs_version_cmp(&b, &a) > 0);
	assert_int_equal(exs_version_cmp3(&a, &b), 0);
	exs_version_parse("15.1.2242.4", &b, NULL);
	assert_true(exs_version_cmp(&a, &b) < 0);
	exs_version_parse("15.2.330.5", &b, NULL);
	assert_true(exs_version_cmp3(&a, &b) < 0);
	exs_version_parse("15.1.2176", &b, NULL);
	exs_version_parse("15.1.2176.0", &a, NULL);
	assert_int_equal(exs_version_cmp(&a, &b), 0); /* missing revision counts as 0 */
}

static void parses_counted_strings(void **state)
{
	struct exs_version v;
	const char *s = "15.2.986.5\">";

	(void)state;
	assert_int_equal(exs_version_parse_n(s, 10, &v, NULL), 0);
	assert_int_equal(v.part[3], 5);
	assert_int_equal(exs_version_parse_n(s, 11, &v, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(parses_full_and_cu_builds),
	        cmocka_unit_test(rejects_garbage),
	        cmocka_unit_test(compares),
	        cmocka_unit_test(parses_counted_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
