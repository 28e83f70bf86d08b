/* The walk engine with real YARA compilation, real files and real threads:
 * rules and their externals, problems with rule files and IOC lists, the
 * compiled-rules cache, and a walk's findings and statistics. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
}

/* An engine on the given rule paths (only those), from the cache or not. */
static struct exs_walk_engine *engine_on(struct exs_walk_options *o, const char *a, const char *b,
                                         struct exs_error *err)
{
	static char pa[256], pb[256];

	memset(o, 0, sizeof(*o));
	o->no_builtin_rules = true;
	o->jobs = 2;
	snprintf(pa, sizeof(pa), "%s/%s", dir, a);
	o->rule_paths[o->n_rule_paths++] = pa;
	if (b) {
		snprintf(pb, sizeof(pb), "%s/%s", dir, b);
		o->rule_paths[o->n_rule_paths++] = pb;
	}
	return exs_walk_engine_new(o, err);
}

/* Walks dir/tree_rel and says whether rule fired on file. */
static bool fires(struct exs_walk_engine *e, const struct exs_walk_options *o, const char *tree_rel,
                  const char *file, const char *rule)
{
	struct exs_walk_host h;
	struct exs_error err = {{0}};
	char tree[256];
	bool found;

	snprintf(tree, sizeof(tree), "%s/%s", dir, tree_rel);
	exs_walk_host_init(&h);
	assert_int_equal(exs_walk_run(e, o, tree, &h, &err), 0);
	found = find(&h, file, rule) != NULL;
	exs_walk_host_release(&h);
	return found;
}

static bool has_problem(const struct exs_walk_engine *e, const char *a, const char *b)
{
	for (size_t i = 0; i < exs_walk_engine_problem_count(e); i++) {
		const char *p = exs_walk_engine_problem(e, i);

		if (strstr(p, a) && (!b || strstr(p, b)))
			return true;
	}
	return false;
}

/* include "x" is relative to the including file, at every level; a file that
 * another one includes is not compiled again on its own; the cache follows
 * the content of included files. */
static void rules_includes_and_cache(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_error err = {{0}};

	(void)state;
	mkdirs("inc/rules/a/sub");
	mkdirs("inc/tree");
	put("inc/rules/a/main.yar", "include \"sub/common.yar\"\n"
	                            "rule inc_top { condition: inc_common }\n");
	put("inc/rules/a/sub/common.yar",
	    "// include \"not/this.yar\" is a comment\n"
	    "include \"../lib.yar\"\n"
	    "rule inc_common { strings: $s = \"include \\\"neither.yar\\\"\" $c = \"COMMON\" "
	    "condition: ($c or $s) and inc_lib }\n");
	put("inc/rules/a/lib.yar", "rule inc_lib { strings: $s = \"LIBv1\" condition: $s }\n");
	put("inc/tree/p.aspx", "COMMON LIBv1\n");
	put("inc/tree/q.aspx", "COMMON LIBv2\n");

	e = engine_on(&o, "inc/rules", NULL, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_problem_count(e), 0);
	/* main.yar brings in common.yar and lib.yar once each */
	assert_int_equal(exs_walk_engine_rule_count(e), 3);
	assert_false(exs_walk_engine_from_cache(e));
	assert_true(fires(e, &o, "inc/tree", "p.aspx", "inc_top"));
	assert_false(fires(e, &o, "inc/tree", "q.aspx", "inc_top"));
	exs_walk_engine_free(e);

	e = engine_on(&o, "inc/rules", NULL, &err);
	assert_non_null(e);
	assert_true(exs_walk_engine_from_cache(e));
	exs_walk_engine_free(e);

	/* only the file included two levels down changes (same size): the cache
	 * is not used and the new content is */
	put("inc/rules/a/lib.yar", "rule inc_lib { strings: $s = \"LIBv2\" condition: $s }\n");
	e = engine_on(&o, "inc/rules", NULL, &err);
	assert_non_null(e);
	assert_false(exs_walk_engine_from_cache(e));
	assert_false(fires(e, &o, "inc/tree", "p.aspx", "inc_top"));
	assert_true(fires(e, &o, "inc/tree", "q.aspx", "inc_top"));
	exs_walk_engine_free(e);

	/* the top file alone, given as a file: its includes still resolve */
	e = engine_on(&o, "inc/rules/a/main.yar", NULL, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_rule_count(e), 3);
	exs_walk_engine_free(e);
}

/* Directories are searched recursively; files of the same name (and the same
 * rule names) in two folders are both active. */
static void rules_recursive_same_names(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_error err = {{0}};

	(void)state;
	mkdirs("rec/rules/x");
	mkdirs("rec/rules/y/deeper/still");
	mkdirs("rec/rules/.git");
	mkdirs("rec/tree");
	put("rec/rules/x/webshells.yar",
	    "rule same_name { strings: $s = \"XMARK\" condition: $s }\n");
	put("rec/rules/y/webshells.yar",
	    "rule same_name { strings: $s = \"YMARK\" condition: $s }\n");
	put("rec/rules/y/deeper/still/deep.YARA",
	    "rule deep_rule { strings: $s = \"DEEP\" condition: $s }\n");
	put("rec/rules/y/notes.txt", "rule not_a_rule_file { condition: true }\n");
	put("rec/rules/.git/hidden.yar", "rule hidden { condition: true }\n");
	put("rec/tree/x.aspx", "XMARK\n");
	put("rec/tree/y.aspx", "YMARK DEEP\n");

	e = engine_on(&o, "rec/rules", NULL, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_problem_count(e), 0);
	assert_int_equal(exs_walk_engine_rule_count(e), 3);
	assert_true(fires(e, &o, "rec/tree", "x.aspx", "same_name"));
	assert_true(fires(e, &o, "rec/tree", "y.aspx", "same_name"));
	assert_true(fires(e, &o, "rec/tree", "y.aspx", "deep_rule"));
	exs_walk_engine_free(e);
}

/* Broken files among good ones: the good ones after a broken one are kept,
 * and a run from the cache reports the broken ones again. */
static void rules_broken_among_good(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_error err = {{0}};

	(void)state;
	mkdirs("mix/rules");
	mkdirs("mix/tree");
	put("mix/rules/1.yar", "rule good_one { strings: $s = \"ONE\" condition: $s }\n");
	put("mix/rules/2.yar", "rule broken_two { condition: undefined_two }\n");
	put("mix/rules/3.yar", "rule good_three { strings: $s = \"THREE\" condition: $s }\n");
	put("mix/rules/4.yar", "rule broken_four {\n strings: $s = \"x\"\n condition: $t\n}\n");
	put("mix/rules/5.yar", "include \"missing.yar\"\nrule good_five { condition: true }\n");
	put("mix/rules/6.yar", "rule good_six { strings: $s = \"SIX\" condition: $s }\n");
	put("mix/tree/a.aspx", "ONE THREE SIX\n");
	for (int run = 0; run < 2; run++) {
		e = engine_on(&o, "mix/rules", NULL, &err);
		assert_non_null(e);
		assert_int_equal(exs_walk_engine_from_cache(e), run == 1);
		assert_int_equal(exs_walk_engine_rule_count(e), 3);
		assert_int_equal(exs_walk_engine_problem_count(e), 3);
		assert_true(
		        has_problem(e, "2.yar", "2.yar:1: undefined identifier \"undefined_two\""));
		assert_true(has_problem(e, "4.yar", "4.yar:4: undefined string \"$t\""));
		assert_true(has_problem(e, "5.yar",
		                        "line 1 includes 'missing.yar', which cannot be read"));
		assert_true(fires(e, &o, "mix/tree", "a.aspx", "good_one"));
		assert_true(fires(e, &o, "mix/tree", "a.aspx", "good_three"));
		assert_true(fires(e, &o, "mix/tree", "a.aspx", "good_six"));
		exs_walk_engine_free(e);
	}
}

/* When every file fails, the error gives the compiler's own messages. */
static void rules_all_broken(void **state)
{
	struct exs_walk_options o;
	struct exs_error err = {{0}};

	(void)state;
	mkdirs("bad");
	put("bad/one.yar", "rule one { condition: nope_one }\n");
	put("bad/two.yar", "rule two {\n  condition:\n}\n");
	assert_null(engine_on(&o, "bad/one.yar", "bad/two.yar", &err));
	assert_non_null(strstr(err.msg, "no usable YARA rules"));
	assert_non_null(strstr(err.msg, "one.yar:1: undefined identifier \"nope_one\""));
	assert_non_null(strstr(err.msg, "two.yar:3: syntax error"));
	/* an error inside an included file names that file and its line */
	put("bad/inc.yar", "include \"deep/broken.yar\"\n");
	mkdirs("bad/deep");
	put("bad/deep/broken.yar",
	    "rule ok1 { condition: true }\nrule b { condition: nope_deep }\n");
	assert_null(engine_on(&o, "bad/inc.yar", NULL, &err));
	assert_non_null(strstr(err.msg, "deep/broken.yar:2: undefined identifier \"nope_deep\""));
}

/* Include cycles are refused, by name, without stopping the other files. */
static void rules_include_cycles(void **state)
{
	struct exs_walk_options o;
	struct exs_walk_engine *e;
	struct exs_error err = {{0}};

	(void)state;
	mkdirs("cyc/rules/sub");
	put("cyc/rules/a.yar", "include \"sub/b.yar\"\nrule cyc_a { condition: true }\n");
	put("cyc/rules/sub/b.yar", "include \"../a.yar\"\nrule cyc_b { condition: true }\n");
	put("cyc/rules/self.yar", "include \"self.yar\"\nrule cyc_self { condition: true }\n");
	put("cyc/rules/ok.yar", "rule cyc_ok { condition: true }\n");
	e = engine_on(&o, "cyc/rules", NULL, &err);
	assert_non_null(e);
	assert_int_equal(exs_walk_engine_rule_count(e), 1);
	assert_true(has_problem(e, "a.yar' left out: include cycle", "sub/b.yar"));
	assert_true(has_problem(e, "self.yar' left out: include cycle", "remove one"));
	exs_walk_engine_free(e);
	/* a cycle and nothing else: the cycle is the error */
	assert_null(engine_on(&o, "cyc/rules/self.yar", NULL, &err));
	assert_non_null(strstr(err.msg, "include cycle"));
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
	        cmocka_unit_test(rules_includes_and_cache),
	        cmocka_unit_test(rules_recursive_same_names),
	        cmocka_unit_test(rules_broken_among_good),
	        cmocka_unit_test(rules_all_broken),
	        cmocka_unit_test(rules_include_cycles),
	        cmocka_unit_test(ioc_lists),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
