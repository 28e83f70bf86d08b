/* The scan engine: YARA rules (built-in and --rules, gathered by
 * rulefiles.c), compiled once and cached by the SHA-256 of every file they
 * are made of, and the --ioc hash lists. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exscan/buf.h"
#include "prefilter.h"
#include "rulefiles.h"
#include "walk_internal.h"

/* the rules/ .yar files, embedded by rules/meson.build */
extern const char exs_rules_webshells[];
extern const char exs_rules_exchange[];

static const struct {
	const char *name;
	const char *text;
} builtin_rules[] = {
        {"webshells.yar", exs_rules_webshells},
        {"exchange.yar", exs_rules_exchange},
};

/* The externals signature-base's rules use (Loki and THOR define them). */
static const char *const externals[] = {"filename", "filepath", "extension",
                                        "filetype", "owner",    "md5"};

static void lines_addv(char ***lines, size_t *n, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

static void lines_addv(char ***lines, size_t *n, const char *fmt, va_list ap)
{
	char *s = NULL, **p;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	p = realloc(*lines, (*n + 1) * sizeof(*p));
	if (!p) {
		free(s);
		return;
	}
	*lines = p;
	(*lines)[(*n)++] = s;
}

void exs_walk_engine_problem_add(struct exs_walk_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lines_addv(&e->problems, &e->n_problems, fmt, ap);
	va_end(ap);
}

void exs_walk_engine_warning_add(struct exs_walk_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lines_addv(&e->warnings, &e->n_warnings, fmt, ap);
	va_end(ap);
}

/* What the compiler says about the source being compiled. */
struct compile_ctx {
	struct exs_walk_engine *engine;
	struct exs_ruleset *set;
	const struct exs_rulesource *cur;
	char first[400]; /* "file:line: message" of its first error */
	int errors;
};

/* Names a rule YARA warned about, for timeouts to point at (once each). */
static void slow_rule_add(struct exs_walk_engine *e, const char *name)
{
	size_t n = strlen(name), have = e->slow_rules ? strlen(e->slow_rules) : 0;
	char *p;

	for (const char *q = e->slow_rules; q && (q = strstr(q, name)); q += n)
		if ((q == e->slow_rules || q[-1] == ' ') && (q[n] == ',' || q[n] == '\0'))
			return;
	p = realloc(e->slow_rules, have + n + 3);
	if (!p)
		return;
	snprintf(p + have, n + 3, "%s%s", have ? ", " : "", name);
	e->slow_rules = p;
}

static void compiler_cb(int level, const char *file, int line, const YR_RULE *rule, const char *msg,
                        void *user)
{
	struct compile_ctx *c = user;

	if (level == YARA_ERROR_LEVEL_WARNING) {
		/* a user's rule YARA finds slow ("may slow down scanning"): one
		 * line each; the built-in rules are kept free of them */
		if (c->cur->file != SIZE_MAX)
			exs_walk_engine_warning_add(c->engine, "%s:%d: %s%s%s%s",
			                            file ? file : c->cur->name, line, msg,
			                            rule ? " (rule " : "",
			                            rule ? rule->identifier : "", rule ? ")" : "");
		if (c->cur->file != SIZE_MAX && rule && strstr(msg, "slow"))
			slow_rule_add(c->engine, rule->identifier);
		return;
	}
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	/* an error in an included file names that file */
	if (c->errors++ == 0)
		snprintf(c->first, sizeof(c->first), "%s:%d: %s", file ? file : c->cur->name, line,
		         msg);
}

static const char *include_cb(const char *name, const char *from, const char *ns, void *user)
{
	struct compile_ctx *c = user;

	(void)ns;
	if (!from && c->cur->file != SIZE_MAX)
		from = c->set->files[c->cur->file].real;
	return exs_ruleset_include(c->set, name, from);
}

/* the set owns every text it hands out */
static void include_free(const char *text, void *user)
{
	(void)text;
	(void)user;
}

static YR_COMPILER *compiler_new(struct compile_ctx *cc)
{
	YR_COMPILER *c = NULL;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return NULL;
	yr_compiler_set_callback(c, compiler_cb, cc);
	yr_compiler_set_include_callback(c, include_cb, include_free, cc);
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++) {
		if (yr_compiler_define_string_variable(c, externals[i], "") != ERROR_SUCCESS) {
			yr_compiler_destroy(c);
			return NULL;
		}
	}
	return c;
}

static int cache_path(const struct exs_ruleset *set, char *out, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct exs_buf salt;
	unsigned char md[32];
	char hex[65];
	int r = -1;

	exs_buf_init(&salt, 4096);
	if (exs_buf_printf(&salt, "yara %d.%d.%d exscan-rules-2", YR_MAJOR_VERSION,
	                   YR_MINOR_VERSION, YR_MICRO_VERSION))
		goto out;
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++)
		if (exs_buf_printf(&salt, " %s", externals[i]))
			goto out;
	if (exs_buf_putc(&salt, '\0') || exs_ruleset_key(set, salt.data, md))
		goto out;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (xdg && *xdg)
		r = snprintf(out, n, "%s/exscan/rules-%s.yarc", xdg, hex);
	else if (home && *home)
		r = snprintf(out, n, "%s/.cache/exscan/rules-%s.yarc", home, hex);
	r = r < 0 || (size_t)r >= n ? -1 : 0;
out:
	exs_buf_release(&salt);
	return r;
}

static void mkdir_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
}

/* Next to each cached .yarc, the compile problems of the files it left out,
 * one a line: a run from the cache reports them too. */
static int problems_path(const char *cpath, char *out, size_t n)
{
	int r = snprintf(out, n, "%.*s.problems", (int)(strlen(cpath) - 5), cpath);

	return r < 0 || (size_t)r >= n ? -1 : 0;
}

static int cache_load(struct exs_walk_engine *e, const char *cpath)
{
	struct exs_error err = {{0}};
	char ppath[4200], *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int rc = -1;

	if (problems_path(cpath, ppath, sizeof(ppath)) || access(cpath, R_OK) != 0)
		goto out;
	text = exs_walk_slurp(ppath, 16u << 20, &len, &err);
	if (!text || yr_rules_load(cpath, &e->rules) != ERROR_SUCCESS)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "warning: ", 9) == 0) {
			const char *r = strstr(line, " (rule ");

			exs_walk_engine_warning_add(e, "%s", line + 9);
			if (r && strstr(line, "slow") && line[strlen(line) - 1] == ')') {
				char name[256];

				snprintf(name, sizeof(name), "%.*s", (int)(strlen(r + 7) - 1),
				         r + 7);
				slow_rule_add(e, name);
			}
		} else
			exs_walk_engine_problem_add(e, "%s", line);
	}
	rc = 0;
out:
	free(text);
	return rc;
}

static void cache_store(struct exs_walk_engine *e, const char *cpath, size_t first_problem)
{
	char tmp[4300], dir[4200], ppath[4200];
	FILE *f = NULL;
	bool ok;

	snprintf(dir, sizeof(dir), "%s", cpath);
	mkdir_parents(dir);
	if (problems_path(cpath, ppath, sizeof(ppath)) ||
	    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", ppath, (long)getpid()) >= (int)sizeof(tmp))
		return;
	/* a cache that cannot be written only costs the next run a compilation */
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (size_t i = first_problem; i < e->n_problems; i++)
		fprintf(f, "%s\n", e->problems[i]);
	for (size_t i = 0; i < e->n_warnings; i++)
		fprintf(f, "warning: %s\n", e->warnings[i]);
	ok = fclose(f) == 0 && rename(tmp, ppath) == 0;
	if (!ok) {
		unlink(tmp);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cpath, (long)getpid());
	if (yr_rules_save(e->rules, tmp) != ERROR_SUCCESS || rename(tmp, cpath) != 0)
		unlink(tmp);
}

/* Compiles every usable source once, into one compiler.  A source that does
 * not compile leaves that compiler unusable (libyara cannot take back half a
 * file): it is left out, and the sources already in the compiler go to the end
 * of the queue for a fresh one, so a good source is compiled at most twice and
 * rules that all compile are compiled exactly once, as yarac does. */
static int compile_set(struct exs_walk_engine *e, struct exs_ruleset *set, YR_RULES **out_rules,
                       struct exs_error *err)
{
	struct compile_ctx cc = {.engine = e, .set = set};
	YR_COMPILER *c = NULL;
	size_t *queue = NULL, *in = NULL, qh = 0, qt = 0, cap = 2 * set->n_srcs + 1, n_in = 0;
	int rc = -1;

	queue = malloc(cap * sizeof(*queue));
	in = malloc((set->n_srcs + 1) * sizeof(*in));
	if (!queue || !in) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < set->n_srcs; i++)
		if (!set->srcs[i].skip)
			queue[qt++] = i;
	while (qh < qt) {
		struct exs_rulesource *src = &set->srcs[queue[qh++]];

		if (!c && !(c = compiler_new(&cc))) {
			exs_error_set(err, "cannot create a YARA compiler");
			goto out;
		}
		cc.cur = src;
		cc.errors = 0;
		cc.first[0] = '\0';
		if (yr_compiler_add_string(c, src->text, src->name) == 0 && cc.errors == 0) {
			in[n_in++] = (size_t)(src - set->srcs);
			continue;
		}
		src->bad = true;
		free(src->why);
		src->why = strdup(cc.first[0] ? cc.first : "does not compile");
		if (cc.errors > 1)
			exs_walk_engine_problem_add(
			        e,
			        "rules file '%s' does not compile (%s, and %d more "
			        "errors); left out",
			        src->name, cc.first, cc.errors - 1);
		else
			exs_walk_engine_problem_add(
			        e, "rules file '%s' does not compile (%s); left out", src->name,
			        cc.first[0] ? cc.first : "no detail");
		yr_compiler_destroy(c);
		c = NULL;
		if (qt + n_in > cap) {
			size_t *p = realloc(queue, (qt + n_in) * sizeof(*p));

			if (!p) {
				exs_error_set(err, "out of memory");
				goto out;
			}
			queue = p;
			cap = qt + n_in;
		}
		for (size_t k = 0; k < n_in; k++)
			queue[qt++] = in[k];
		n_in = 0;
	}
	if (n_in == 0) {
		rc = 1; /* nothing usable */
		goto out;
	}
	if (yr_compiler_get_rules(c, out_rules) != ERROR_SUCCESS) {
		exs_error_set(err, "cannot build the YARA rules (out of memory?)");
		goto out;
	}
	rc = 0;
out:
	if (c)
		yr_compiler_destroy(c);
	free(queue);
	free(in);
	return rc;
}

/* The error when no rules file is usable: each one's first error. */
static void nothing_usable(const struct exs_ruleset *set, struct exs_error *err)
{
	struct exs_buf b;
	size_t n = 0;

	exs_buf_init(&b, sizeof(err->msg));
	for (size_t i = 0; i < set->n_srcs; i++) {
		if (!set->srcs[i].why)
			continue;
		if ((n++ && exs_buf_puts(&b, "; ")) || exs_buf_puts(&b, set->srcs[i].why))
			break;
	}
	if (n == 0)
		exs_error_set(err, "no usable YARA rules: give --rules FILE|DIR or drop "
		                   "--no-builtin-rules");
	else
		exs_error_set(err,
		              "no usable YARA rules: %zu rules file%s failed (fix %s or drop "
		              "--no-builtin-rules): %.*s",
		              n, n == 1 ? "" : "s", n == 1 ? "it" : "them", (int)b.len,
		              b.data ? b.data : "");
	exs_buf_release(&b);
}

/* Adds the built-in rules files: the installed copy first (a distribution may
 * update it), else the one built in. */
static int add_builtin(struct exs_ruleset *set, const struct exs_walk_options *o,
                       struct exs_error *err)
{
	for (size_t i = 0; i < sizeof(builtin_rules) / sizeof(builtin_rules[0]); i++) {
		char path[4096];
		size_t len = 0;
		char *t = NULL;

		if (o->builtin_dir &&
		    snprintf(path, sizeof(path), "%s/%s", o->builtin_dir, builtin_rules[i].name) <
		            (int)sizeof(path) &&
		    access(path, R_OK) == 0) {
			t = exs_walk_slurp(path, 64u << 20, &len, err);
			if (!t)
				return -1;
			if (exs_ruleset_add_text(set, path, t))
				return exs_error_set(err, "out of memory");
			continue;
		}
		t = strdup(builtin_rules[i].text);
		if (!t || exs_ruleset_add_text(set, builtin_rules[i].name, t))
			return exs_error_set(err, "out of memory");
	}
	return 0;
}

/* With --rules, the built-in rules are also compiled alone (about 20 ms): a
 * file that a third-party rule makes YARA give up on (timeout, too many regex
 * fibers) is scanned again with these, so a rule the attacker can trip never
 * costs the built-in detection.  Their problems were reported by the combined
 * compile already. */
static void compile_builtin_alone(struct exs_walk_engine *e, const struct exs_walk_options *o)
{
	struct exs_ruleset set = {0};
	struct exs_error ignored = {0};
	size_t n_problems = e->n_problems;

	if (add_builtin(&set, o, &ignored) == 0) {
		exs_ruleset_resolve(&set, e);
		if (exs_ruleset_usable(&set) && compile_set(e, &set, &e->builtin_rules, &ignored))
			e->builtin_rules = NULL;
	}
	while (e->n_problems > n_problems)
		free(e->problems[--e->n_problems]);
	exs_ruleset_release(&set);
}

static int compile_rules(struct exs_walk_engine *e, const struct exs_walk_options *o,
                         struct exs_error *err)
{
	struct exs_ruleset set = {0};
	char cpath[4096];
	bool have_cache;
	size_t first_problem;
	YR_RULE *rule;
	int rc = -1, r;

	if (!o->no_builtin_rules && add_builtin(&set, o, err))
		goto out;
	for (size_t i = 0; i < o->n_rule_paths; i++)
		exs_ruleset_add_path(&set, e, o->rule_paths[i]);
	exs_ruleset_resolve(&set, e);
	if (exs_ruleset_usable(&set) == 0) {
		nothing_usable(&set, err);
		goto out;
	}
	/* the cache first: nothing is compiled when the content is known */
	have_cache = !o->no_cache && cache_path(&set, cpath, sizeof(cpath)) == 0;
	if (have_cache && cache_load(e, cpath) == 0) {
		e->from_cache = true;
	} else {
		first_problem = e->n_problems;
		r = compile_set(e, &set, &e->rules, err);
		if (r == 1)
			nothing_usable(&set, err);
		if (r)
			goto out;
		if (have_cache && !set.key_incomplete)
			cache_store(e, cpath, first_problem);
	}
	yr_rules_foreach(e->rules, rule)
	{
		e->n_rules++;
	}
	if (!o->no_builtin_rules && o->n_rule_paths)
		compile_builtin_alone(e, o);
	/* the built-in rules read bytes by offset only in a file's first 4 KiB
	 * and import no module: what the prefilter needs to give the same
	 * matches.  Third-party rules may do anything, so they get whole files. */
	if (!o->no_builtin_rules && !o->n_rule_paths && !o->no_prefilter &&
	    !exs_ruleset_imports(&set))
		e->prefilter = exs_prefilter_new(e->rules);
	rc = 0;
out:
	exs_ruleset_release(&set);
	return rc;
}

/* ---- IOC lists ---- */

static int ioc_cmp(const void *a, const void *b)
{
	return memcmp(((const struct exs_ioc *)a)->hash, ((const struct exs_ioc *)b)->hash, 32);
}

const struct exs_ioc *exs_ioc_find(const struct exs_ioc_set *s, const unsigned char *h)
{
	struct exs_ioc key;

	if (s->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.hash, h, s->hash_len);
	return bsearch(&key, s->items, s->n, sizeof(key), ioc_cmp);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int ioc_add(struct exs_ioc_set *s, const unsigned char *h, const char *comment)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct exs_ioc *p = realloc(s->items, cap * sizeof(*p));

		if (!p)
			return -1;
		s->items = p;
		s->cap = cap;
	}
	memset(&s->items[s->n], 0, sizeof(s->items[0]));
	memcpy(s->items[s->n].hash, h, s->hash_len);
	if (comment && *comment)
		s->items[s->n].comment = strdup(comment);
	s->n++;
	return 0;
}

/* Lines: HASH [separator COMMENT]; separator is whitespace, ';' or ','
 * (Loki's format); '#' starts a comment line. */
static void load_ioc_file(struct exs_walk_engine *e, const char *path)
{
	struct exs_error err = {{0}};
	size_t len = 0, bad = 0, lineno = 0, first_bad = 0;
	char *text = exs_walk_slurp(path, 512u << 20, &len, &err), *line, *save = NULL;

	if (!text) {
		exs_walk_engine_problem_add(e, "ioc: %s; left out", err.msg);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned char h[32];
		size_t n = 0;
		struct exs_ioc_set *set;
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\0' || *p == '\r')
			continue;
		while (n < 64 && hexval((unsigned char)p[n]) >= 0)
			n++;
		if ((n != 32 && n != 40 && n != 64) || hexval((unsigned char)p[n]) >= 0) {
			if (bad++ == 0)
				first_bad = lineno;
			continue;
		}
		for (size_t i = 0; i < n / 2; i++)
			h[i] = (unsigned char)(hexval((unsigned char)p[2 * i]) * 16 +
			                       hexval((unsigned char)p[2 * i + 1]));
		set = n == 32 ? &e->md5 : n == 40 ? &e->sha1 : &e->sha256;
		p += n;
		while (*p == ' ' || *p == '\t' || *p == ';' || *p == ',')
			p++;
		p[strcspn(p, "\r")] = '\0';
		if (ioc_add(set, h, p))
			break;
	}
	if (bad)
		exs_walk_engine_problem_add(e,
		                            "ioc list '%s': %zu lines are not an MD5, SHA-1 or "
		                            "SHA-256 hash (first: line %zu); they were ignored",
		                            path, bad, first_bad);
	free(text);
}

struct exs_walk_engine *exs_walk_engine_new(const struct exs_walk_options *o, struct exs_error *err)
{
	struct exs_walk_engine *e = calloc(1, sizeof(*e));

	if (!e) {
		exs_error_set(err, "out of memory");
		return NULL;
	}
	e->md5.hash_len = 16;
	e->sha1.hash_len = 20;
	e->sha256.hash_len = 32;
	if (yr_initialize() != ERROR_SUCCESS) {
		exs_error_set(err, "cannot initialise libyara");
		goto fail;
	}
	e->yara_up = true;
	if (compile_rules(e, o, err))
		goto fail;
	for (size_t i = 0; i < o->n_ioc_paths; i++)
		load_ioc_file(e, o->ioc_paths[i]);
	if (e->md5.n)
		qsort(e->md5.items, e->md5.n, sizeof(struct exs_ioc), ioc_cmp);
	if (e->sha1.n)
		qsort(e->sha1.items, e->sha1.n, sizeof(struct exs_ioc), ioc_cmp);
	if (e->sha256.n)
		qsort(e->sha256.items, e->sha256.n, sizeof(struct exs_ioc), ioc_cmp);
	return e;
fail:
	exs_walk_engine_free(e);
	return NULL;
}

static void ioc_set_release(struct exs_ioc_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i].comment);
	free(s->items);
}

void exs_walk_engine_free(struct exs_walk_engine *e)
{
	if (!e)
		return;
	if (e->rules)
		yr_rules_destroy(e->rules);
	if (e->builtin_rules)
		yr_rules_destroy(e->builtin_rules);
	exs_prefilter_free(e->prefilter);
	if (e->yara_up)
		yr_finalize();
	for (size_t i = 0; i < e->n_problems; i++)
		free(e->problems[i]);
	free(e->problems);
	for (size_t i = 0; i < e->n_warnings; i++)
		free(e->warnings[i]);
	free(e->warnings);
	free(e->slow_rules);
	ioc_set_release(&e->md5);
	ioc_set_release(&e->sha1);
	ioc_set_release(&e->sha256);
	free(e);
}

size_t exs_walk_engine_problem_count(const struct exs_walk_engine *e)
{
	return e->n_problems;
}

const char *exs_walk_engine_problem(const struct exs_walk_engine *e, size_t i)
{
	return i < e->n_problems ? e->problems[i] : NULL;
}

size_t exs_walk_engine_warning_count(const struct exs_walk_engine *e)
{
	return e->n_warnings;
}

const char *exs_walk_engine_warning(const struct exs_walk_engine *e, size_t i)
{
	return i < e->n_warnings ? e->warnings[i] : NULL;
}

size_t exs_walk_engine_rule_count(const struct exs_walk_engine *e)
{
	return e->n_rules;
}

bool exs_walk_engine_from_cache(const struct exs_walk_engine *e)
{
	return e->from_cache;
}
