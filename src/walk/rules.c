/* The scan engine: YARA rules (built-in and --rules), compiled once and
 * cached by the SHA-256 of their sources, and the --ioc hash lists. */
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

#define MAX_RULE_FILE (16u << 20)

struct source {
	char *name; /* for messages and the namespace */
	char *text;
	size_t len;
};

struct sources {
	struct source *items;
	size_t n, cap;
};

void exs_walk_engine_problem_add(struct exs_walk_engine *e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, **p;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	p = realloc(e->problems, (e->n_problems + 1) * sizeof(*p));
	if (!p) {
		free(s);
		return;
	}
	e->problems = p;
	e->problems[e->n_problems++] = s;
}

static int sources_add(struct sources *s, const char *name, char *text, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct source *p = realloc(s->items, cap * sizeof(*p));

		if (!p)
			return -1;
		s->items = p;
		s->cap = cap;
	}
	s->items[s->n].name = strdup(name);
	if (!s->items[s->n].name)
		return -1;
	s->items[s->n].text = text;
	s->items[s->n].len = len;
	s->n++;
	return 0;
}

static void sources_release(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].name);
		free(s->items[i].text);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* Reads a whole (small) file; returns a NUL-terminated malloc'd buffer. */
static char *slurp(const char *path, size_t max, size_t *len, struct exs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct exs_buf b;
	char chunk[65536];
	ssize_t n;

	exs_buf_init(&b, max);
	if (fd < 0) {
		exs_error_set(err, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (exs_buf_append(&b, chunk, (size_t)n)) {
			exs_error_set(err, "'%s' is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	if (n < 0) {
		exs_error_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	*len = b.len;
	if (b.len == 0)
		return strdup("");
	return exs_buf_steal(&b);
fail:
	close(fd);
	exs_buf_release(&b);
	return NULL;
}

struct compile_msgs {
	char first[400];
	int errors;
};

static void compiler_cb(int level, const char *file, int line, const YR_RULE *rule, const char *msg,
                        void *user)
{
	struct compile_msgs *m = user;

	(void)file;
	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	if (m->errors++ == 0)
		snprintf(m->first, sizeof(m->first), "line %d: %s", line, msg);
}

static YR_COMPILER *compiler_new(struct compile_msgs *m)
{
	YR_COMPILER *c = NULL;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return NULL;
	yr_compiler_set_callback(c, compiler_cb, m);
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++) {
		if (yr_compiler_define_string_variable(c, externals[i], "") != ERROR_SUCCESS) {
			yr_compiler_destroy(c);
			return NULL;
		}
	}
	return c;
}

/* Whether one source compiles on its own. */
static int check_source(const struct source *s, char *why, size_t n)
{
	struct compile_msgs m = {{0}};
	YR_COMPILER *c = compiler_new(&m);
	int bad;

	if (!c) {
		snprintf(why, n, "cannot create a YARA compiler");
		return -1;
	}
	bad = yr_compiler_add_string(c, s->text, "check") != 0 || m.errors;
	if (bad)
		snprintf(why, n, "%s", m.first[0] ? m.first : "does not compile");
	yr_compiler_destroy(c);
	return bad ? -1 : 0;
}

static int has_rule_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (strcasecmp(dot, ".yar") == 0 || strcasecmp(dot, ".yara") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_user_file(struct exs_walk_engine *e, struct sources *srcs, const char *path)
{
	struct exs_error err = {{0}};
	size_t len = 0;
	char *text = slurp(path, MAX_RULE_FILE, &len, &err);
	char why[400];
	struct source s;

	if (!text) {
		exs_walk_engine_problem_add(e, "rules: %s; left out", err.msg);
		return;
	}
	s.name = (char *)path;
	s.text = text;
	s.len = len;
	if (check_source(&s, why, sizeof(why))) {
		exs_walk_engine_problem_add(e, "rules file '%s' does not compile (%s); left out",
		                            path, why);
		free(text);
		return;
	}
	if (sources_add(srcs, path, text, len)) {
		free(text);
		exs_walk_engine_problem_add(e, "rules file '%s': out of memory; left out", path);
	}
}

static void add_user_path(struct exs_walk_engine *e, struct sources *srcs, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (stat(path, &st)) {
		exs_walk_engine_problem_add(e, "rules: cannot use '%s': %s; left out", path,
		                            strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_user_file(e, srcs, path);
		return;
	}
	d = opendir(path);
	if (!d) {
		exs_walk_engine_problem_add(e, "rules: cannot open directory '%s': %s; left out",
		                            path, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char **p;

		if (!has_rule_ext(de->d_name))
			continue;
		p = realloc(names, (n + 1) * sizeof(*p));
		if (!p)
			break;
		names = p;
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	if (n == 0)
		exs_walk_engine_problem_add(e, "rules: directory '%s' has no .yar or .yara files",
		                            path);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		add_user_file(e, srcs, names[i]);
		free(names[i]);
	}
	free(names);
}

static int cache_path(const struct sources *srcs, char *out, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	unsigned char md[32];
	char hex[65];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char ver[64];
	int r;

	if (!ctx)
		return -1;
	snprintf(ver, sizeof(ver), "yara %d.%d.%d exscan-rules-1", YR_MAJOR_VERSION,
	         YR_MINOR_VERSION, YR_MICRO_VERSION);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, ver, strlen(ver) + 1);
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++)
		EVP_DigestUpdate(ctx, externals[i], strlen(externals[i]) + 1);
	for (size_t i = 0; i < srcs->n; i++) {
		EVP_DigestUpdate(ctx, srcs->items[i].name, strlen(srcs->items[i].name) + 1);
		EVP_DigestUpdate(ctx, srcs->items[i].text, srcs->items[i].len + 1);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (xdg && *xdg)
		r = snprintf(out, n, "%s/exscan/rules-%s.yarc", xdg, hex);
	else if (home && *home)
		r = snprintf(out, n, "%s/.cache/exscan/rules-%s.yarc", home, hex);
	else
		return -1;
	return r < 0 || (size_t)r >= n ? -1 : 0;
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

static void cache_store(struct exs_walk_engine *e, const char *path)
{
	char tmp[4200], dir[4200];

	snprintf(dir, sizeof(dir), "%s", path);
	mkdir_parents(dir);
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return;
	/* a cache that cannot be written only costs the next run a compilation */
	if (yr_rules_save(e->rules, tmp) != ERROR_SUCCESS || rename(tmp, path) != 0)
		unlink(tmp);
}

static int compile_rules(struct exs_walk_engine *e, const struct exs_walk_options *o,
                         struct exs_error *err)
{
	struct sources srcs = {0};
	struct compile_msgs m = {{0}};
	YR_COMPILER *c = NULL;
	char cpath[4096];
	bool have_cache;
	YR_RULE *rule;
	int rc = -1;

	if (!o->no_builtin_rules) {
		for (size_t i = 0; i < sizeof(builtin_rules) / sizeof(builtin_rules[0]); i++) {
			char path[4096];
			size_t len = 0;
			char *t = NULL;

			/* the installed copy first (a distribution may update it), else the
			 * one built in */
			if (o->builtin_dir &&
			    snprintf(path, sizeof(path), "%s/%s", o->builtin_dir,
			             builtin_rules[i].name) < (int)sizeof(path) &&
			    access(path, R_OK) == 0) {
				t = slurp(path, 64u << 20, &len, err);
				if (!t)
					goto out;
				if (sources_add(&srcs, path, t, len)) {
					free(t);
					exs_error_set(err, "out of memory");
					goto out;
				}
				continue;
			}
			t = strdup(builtin_rules[i].text);
			if (!t || sources_add(&srcs, builtin_rules[i].name, t, strlen(t))) {
				free(t);
				exs_error_set(err, "out of memory");
				goto out;
			}
		}
	}
	for (size_t i = 0; i < o->n_rule_paths; i++)
		add_user_path(e, &srcs, o->rule_paths[i]);
	if (srcs.n == 0) {
		exs_error_set(err, "no usable YARA rules: give --rules FILE|DIR or drop "
		                   "--no-builtin-rules");
		goto out;
	}
	have_cache = !o->no_cache && cache_path(&srcs, cpath, sizeof(cpath)) == 0;
	if (have_cache && access(cpath, R_OK) == 0 &&
	    yr_rules_load(cpath, &e->rules) == ERROR_SUCCESS) {
		e->from_cache = true;
	} else {
		c = compiler_new(&m);
		if (!c) {
			exs_error_set(err, "cannot create a YARA compiler");
			goto out;
		}
		for (size_t i = 0; i < srcs.n; i++) {
			const char *ns = strrchr(srcs.items[i].name, '/');

			ns = ns ? ns + 1 : srcs.items[i].name;
			if (yr_compiler_add_string(c, srcs.items[i].text, ns) != 0 || m.errors) {
				exs_error_set(err, "YARA rules '%s' do not compile together (%s)",
				              srcs.items[i].name, m.first);
				goto out;
			}
		}
		if (yr_compiler_get_rules(c, &e->rules) != ERROR_SUCCESS) {
			exs_error_set(err, "cannot build the YARA rules (out of memory?)");
			goto out;
		}
		if (have_cache)
			cache_store(e, cpath);
	}
	yr_rules_foreach(e->rules, rule)
	{
		e->n_rules++;
	}
	rc = 0;
out:
	if (c)
		yr_compiler_destroy(c);
	sources_release(&srcs);
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
	char *text = slurp(path, 512u << 20, &len, &err), *line, *save = NULL;

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
	if (e->yara_up)
		yr_finalize();
	for (size_t i = 0; i < e->n_problems; i++)
		free(e->problems[i]);
	free(e->problems);
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

size_t exs_walk_engine_rule_count(const struct exs_walk_engine *e)
{
	return e->n_rules;
}

bool exs_walk_engine_from_cache(const struct exs_walk_engine *e)
{
	return e->from_cache;
}
