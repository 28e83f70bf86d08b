/* The walk engine with real YARA compilation, real files and real threads:
 * rules and their externals, problems with rule files and IOC lists, the
 * compiled-rules cache, and a walk's findings and statistics. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/walk.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char cache[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/exscan-unit-engine.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct exs_finding *find(const struct exs_walk_host *h, const char *path,
                                      const char *rule)
{
	for (size_t i = 0; i < h->findings.n; i++) {
		const struct exs_finding *f = &h->findings.items[i];

		if (strcmp(f->path, path) == 0 && f->rule && strcmp(f->rule, rule) == 0)
			return f;
	}
	return NULL;
}

static void rules_externals_and_problems(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_walk_host h;
	struct exs_error err = {{0}};
	char rules[128], bad[128], tree[128];
	const struct exs_finding *f;

	(void)state;
	snprintf(rules, sizeof(rules), "%s/ext.yar", dir);
	snprintf(bad, sizeof(bad), "%s/bad.yar", dir);
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	put("ext.yar",
	    "rule ext_rule { meta: score = 42 family = \"unit\" strings: $a = \"marker\" "
	    "condition: $a and extension == \".aspx\" and filename == \"m.aspx\" and "
	    "filepath == \"C:\\\\sub\\\\m.aspx\" }\n");
	put("bad.yar", "rule bad { condition: no_such_identifier }\n");
	assert_int_equal(mkdir(tree, 0755), 0);
	{
		char sub[160];

		snprintf(sub, sizeof(sub), "%s/tree/sub", dir);
		assert_int_equal(mkdir(sub, 0755), 0);
	}
	put("tree/sub/m.aspx", "some marker here\n");
	put("tree/sub/n.aspx", "another marker\n");

	memset(&o, 0, sizeof(o));
	o.no_builtin_rules = true;
	o.jobs = 2;
	o.rule_paths[o.n_rule_paths++] = rules;
	o.rule_paths[o.n_rule_paths++] = bad;
	e = exs_walk_engine_new(&o, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_rule_count(e), 1);
	assert_int_equal(exs_walk_engine_problem_count(e), 1);
	assert_non_null(strstr(exs_walk_engine_problem(e, 0), "bad.yar"));

	exs_walk_host_init(&h);
	assert_int_equal(exs_walk_run(e, &o, tree, &h, &err), 0);
	f = find(&h, "sub/m.aspx", "ext_rule");
	assert_non_null(f);
	assert_int_equal(f->score, 42);
	assert_string_equal(f->family, "unit");
	assert_int_equal(f->n_matches, 1);
	assert_int_equal(f->matches[0].offset, 5);
	assert_memory_equal(f->matches[0].data, "marker", 6);
	assert_int_equal(strlen(f->sha256), 64);
	/* the externals made the rule file-specific */
	assert_null(find(&h, "sub/n.aspx", "ext_rule"));
	assert_int_equal(h.stats.files_seen, 2);
	assert_int_equal(h.stats.files_scanned, 2);
	assert_int_equal(h.stats.errors, 0);
	assert_true(h.layout.web_root);
	exs_walk_host_release(&h);
	assert_false(exs_walk_engine_from_cache(e));
	exs_walk_engine_free(e);

	/* same sources: loaded from the cache, same result */
	o.n_rule_paths = 1;
	e = exs_walk_engine_new(&o, &err);
	assert_non_null(e);
	exs_walk_engine_free(e);
	e = exs_walk_engine_new(&o, &err);
	assert_non_null(e);
	assert_true(exs_walk_engine_from_cache(e));
	exs_walk_host_init(&h);
	assert_int_equal(exs_walk_run(e, &o, tree, &h, &err), 0);
	assert_non_null(find(&h, "sub/m.aspx", "ext_rule"));
	exs_walk_host_release(&h);
	exs_walk_engine_free(e);
}

static void nothing_usable_is_an_error(void **state)
{
	struct exs_walk_options o;
	struct exs_error err = {{0}};

	(void)state;
	memset(&o, 0, sizeof(o));
	o.no_builtin_rules = true;
	assert_null(exs_walk_engine_new(&o, &err));
	assert_non_null(strstr(err.msg, "no usable YARA rules"));
}

static void ioc_lists(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_walk_host h;
	struct exs_error err = {{0}};
	char iocs[128], tree[128];
	const struct exs_finding *f;

	(void)state;
	snprintf(iocs, sizeof(iocs), "%s/iocs.txt", dir);
	snprintf(tree, sizeof(tree), "%s/ioctree", dir);
	assert_int_equal(mkdir(tree, 0755), 0);
	put("ioctree/a.aspx", "abc");
	/* SHA-256 and SHA-1 of "abc", one bad line, one comment */
	put("iocs.txt",
	    "# comment\n"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;known bad\n"
	    "A9993E364706816ABA3E25717850C26C9CD0D89D\n"
	    "xyz\n");
	memset(&o, 0, sizeof(o));
	o.ioc_paths[o.n_ioc_paths++] = iocs;
	e = exs_walk_engine_new(&o, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_problem_count(e), 1);
	assert_non_null(strstr(exs_walk_engine_problem(e, 0), "line 4"));
	exs_walk_host_init(&h);
	assert_int_equal(exs_walk_run(e, &o, tree, &h, &err), 0);
	f = find(&h, "a.aspx", "ioc-sha256");
	assert_non_null(f);
	assert_int_equal(f->kind, EXS_FINDING_IOC);
	assert_int_equal(f->score, 100);
	assert_string_equal(f->description, "known bad");
	assert_string_equal(f->sha256,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_non_null(find(&h, "a.aspx", "ioc-sha1"));
	exs_walk_host_release(&h);
	exs_walk_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(rules_externals_and_problems),
	        cmocka_unit_test(nothing_usable_is_an_error),
	        cmocka_unit_test(ioc_lists),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
