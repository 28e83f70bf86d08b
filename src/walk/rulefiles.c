/* The YARA rule sources of one engine: --rules files and directories, their
 * include trees and the cache key over all of them (see rulefiles.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exscan/buf.h"
#include "rulefiles.h"

#define MAX_RULE_FILE (16u << 20)
/* libyara refuses deeper nesting (YR_MAX_INCLUDE_DEPTH) */
#define MAX_INCLUDE_DEPTH 16
#define MAX_DIR_DEPTH 32

char *exs_walk_slurp(const char *path, size_t max, size_t *len, struct exs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct exs_buf b;
	char chunk[65536];
	char *res = NULL;
	ssize_t n;

	exs_buf_init(&b, max);
	if (fd < 0) {
		exs_error_set(err, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (exs_buf_append(&b, chunk, (size_t)n)) {
			exs_error_set(err, "'%s' is larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (n < 0) {
		exs_error_set(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	*len = b.len;
	res = b.len ? exs_buf_steal(&b) : strdup("");
	if (!res)
		exs_error_set(err, "'%s': out of memory", path);
out:
	if (fd >= 0)
		close(fd);
	exs_buf_release(&b);
	return res;
}

/* ---- include directives, found the way libyara's lexer finds them ---- */

struct include_ref {
	size_t off, len; /* the name between the quotes */
	int line;
};

struct include_refs {
	struct include_ref *items;
	size_t n, cap;
};

static int refs_add(struct include_refs *r, size_t off, size_t len, int line)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct include_ref *p = realloc(r->items, cap * sizeof(*p));

		if (!p)
			return -1;
		r->items = p;
		r->cap = cap;
	}
	r->items[r->n++] = (struct include_ref){off, len, line};
	return 0;
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Skips a "string" or /regexp/ starting at t[i] (the opening delimiter);
 * like the lexer, neither spans a line. */
static size_t skip_quoted(const char *t, size_t len, size_t i)
{
	char end = t[i++];

	while (i < len && t[i] != end && t[i] != '\n') {
		if (t[i] == '\\' && i + 1 < len && t[i + 1] != '\n')
			i++;
		i++;
	}
	return i < len && t[i] == end ? i + 1 : i;
}

/* Every `include "name"` outside comments, strings and regular expressions. */
static int find_includes(const char *t, size_t len, struct include_refs *r)
{
	int line = 1, rc = -1;
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)t[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			for (i += 2; i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/');
			     i++)
				if (t[i] == '\n')
					line++;
			i = i + 2 < len ? i + 2 : len;
		} else if (c == '"' || c == '/') {
			i = skip_quoted(t, len, i);
		} else if (c == '$' || c == '#' || c == '@' || c == '!') {
			/* string identifiers: "$include" is not the keyword */
			for (i++; i < len && (is_ident((unsigned char)t[i]) || t[i] == '*'); i++)
				;
		} else if (isalpha(c) || c == '_') {
			size_t start = i, j;

			while (i < len && is_ident((unsigned char)t[i]))
				i++;
			if (i - start != 7 || memcmp(t + start, "include", 7) != 0)
				continue;
			for (j = i; j < len && (t[j] == ' ' || t[j] == '\t'); j++)
				;
			if (j == i || j >= len || t[j] != '"')
				continue;
			for (i = ++j; i < len && t[i] != '"'; i++)
				;
			if (i >= len)
				break;
			if (refs_add(r, j, i - j, line))
				goto out;
			for (size_t k = j; k < i; k++)
				line += t[k] == '\n';
			i++;
		} else {
			i++;
		}
	}
	rc = 0;
out:
	return rc;
}

/* ---- the set ---- */

static const char *file_text(const struct exs_rulefile *f)
{
	return f->text ? f->text : f->raw;
}

/* The index of the file with canonical path real, read on first use; SIZE_MAX
 * with err set when it cannot be read. */
static size_t file_get(struct exs_ruleset *s, const char *real, struct exs_error *err)
{
	struct exs_rulefile *f;
	size_t len = 0;

	for (size_t i = 0; i < s->n_files; i++)
		if (strcmp(s->files[i].real, real) == 0)
			return i;
	if (s->n_files == s->cap_files) {
		size_t cap = s->cap_files ? s->cap_files * 2 : 16;
		struct exs_rulefile *p = realloc(s->files, cap * sizeof(*p));

		if (!p) {
			exs_error_set(err, "out of memory");
			return SIZE_MAX;
		}
		s->files = p;
		s->cap_files = cap;
	}
	f = &s->files[s->n_files];
	memset(f, 0, sizeof(*f));
	f->raw = exs_walk_slurp(real, MAX_RULE_FILE, &len, err);
	f->real = strdup(real);
	if (!f->raw || !f->real) {
		free(f->raw);
		free(f->real);
		if (f->raw)
			exs_error_set(err, "out of memory");
		return SIZE_MAX;
	}
	f->raw_len = len;
	return s->n_files++;
}

/* Path of name relative to the directory of the file `from` (canonical). */
static char *relative_to(const char *from, const char *name)
{
	const char *slash = from ? strrchr(from, '/') : NULL;
	char *p = NULL;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&p, "%.*s/%s", (int)(slash - from), from, name) < 0)
		return NULL;
	return p;
}

__attribute__((format(printf, 3, 4))) static void set_error(struct exs_ruleset *s, size_t f,
                                                            const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(s->files[f].error);
	s->files[f].error = msg ? msg : strdup("cannot be read (out of memory)");
}

/* Finds the includes of file f, reads what they name and rewrites them to
 * canonical paths (the same lines, so libyara's line numbers stay true). */
static int scan_file(struct exs_ruleset *s, size_t f)
{
	struct include_refs refs = {0};
	struct exs_buf out;
	size_t done = 0;
	int rc = -1;

	if (s->files[f].scanned)
		return 0;
	s->files[f].scanned = true;
	exs_buf_init(&out, SIZE_MAX / 2);
	if (find_includes(s->files[f].raw, s->files[f].raw_len, &refs))
		goto out;
	if (refs.n) {
		s->files[f].includes = calloc(refs.n, sizeof(size_t));
		if (!s->files[f].includes)
			goto out;
	}
	for (size_t i = 0; i < refs.n; i++) {
		const struct include_ref *ref = &refs.items[i];
		char *name = strndup(s->files[f].raw + ref->off, ref->len), *path = NULL;
		char real[PATH_MAX];
		struct exs_error err = {{0}};
		size_t idx = SIZE_MAX;

		if (name)
			path = relative_to(s->files[f].real, name);
		if (!name || !path)
			set_error(s, f, "cannot be read (out of memory)");
		else if (!realpath(path, real))
			set_error(s, f, "line %d includes '%s', which cannot be read: %s",
			          ref->line, name, strerror(errno));
		else if (strchr(real, '"'))
			set_error(s, f, "line %d includes '%s', whose path has a '\"'", ref->line,
			          real);
		else if ((idx = file_get(s, real, &err)) == SIZE_MAX)
			set_error(s, f, "line %d includes a file that cannot be read: %s",
			          ref->line, err.msg);
		free(name);
		free(path);
		if (idx == SIZE_MAX) {
			rc = 0; /* the file is unusable, which is an answer */
			goto out;
		}
		s->files[f].includes[s->files[f].n_includes++] = idx;
		if (exs_buf_append(&out, s->files[f].raw + done, ref->off - done) ||
		    exs_buf_puts(&out, real))
			goto out;
		done = ref->off + ref->len;
	}
	if (refs.n) {
		if (exs_buf_append(&out, s->files[f].raw + done, s->files[f].raw_len - done))
			goto out;
		s->files[f].text = exs_buf_steal(&out);
		if (!s->files[f].text)
			goto out;
	}
	rc = 0;
out:
	if (rc)
		set_error(s, f, "cannot be read (out of memory)");
	exs_buf_release(&out);
	free(refs.items);
	return rc;
}

/* Reads the include tree of file f; on a problem, why says what and where. */
static int walk_tree(struct exs_ruleset *s, size_t f, size_t *stack, size_t depth, char *why,
                     size_t n)
{
	for (size_t d = 0; d < depth; d++) {
		int w = 0;

		if (stack[d] != f)
			continue;
		w = snprintf(why, n, "include cycle ");
		for (size_t k = d; k < depth && w >= 0 && (size_t)w < n; k++)
			w += snprintf(why + w, n - (size_t)w, "'%s' -> ", s->files[stack[k]].real);
		if (w >= 0 && (size_t)w < n)
			snprintf(why + w, n - (size_t)w, "'%s'; remove one of these includes",
			         s->files[f].real);
		return -1;
	}
	if (depth >= MAX_INCLUDE_DEPTH) {
		snprintf(why, n, "includes nested deeper than %d (at '%s')", MAX_INCLUDE_DEPTH,
		         s->files[f].real);
		return -1;
	}
	scan_file(s, f);
	if (s->files[f].error) {
		snprintf(why, n, "'%s' %s", s->files[f].real, s->files[f].error);
		return -1;
	}
	stack[depth] = f;
	for (size_t i = 0; i < s->files[f].n_includes; i++)
		if (walk_tree(s, s->files[f].includes[i], stack, depth + 1, why, n))
			return -1;
	return 0;
}

static int srcs_add(struct exs_ruleset *s, const char *name, const char *text, char *owned,
                    size_t file)
{
	if (s->n_srcs == s->cap_srcs) {
		size_t cap = s->cap_srcs ? s->cap_srcs * 2 : 16;
		struct exs_rulesource *p = realloc(s->srcs, cap * sizeof(*p));

		if (!p)
			return -1;
		s->srcs = p;
		s->cap_srcs = cap;
	}
	memset(&s->srcs[s->n_srcs], 0, sizeof(s->srcs[0]));
	s->srcs[s->n_srcs].name = strdup(name);
	if (!s->srcs[s->n_srcs].name)
		return -1;
	s->srcs[s->n_srcs].text = text;
	s->srcs[s->n_srcs].owned = owned;
	s->srcs[s->n_srcs].file = file;
	s->n_srcs++;
	return 0;
}

int exs_ruleset_add_text(struct exs_ruleset *s, const char *name, char *text)
{
	if (srcs_add(s, name, text, text, SIZE_MAX)) {
		free(text);
		return -1;
	}
	return 0;
}

static void add_file(struct exs_ruleset *s, struct exs_walk_engine *e, const char *path)
{
	struct exs_error err = {{0}};
	char real[PATH_MAX];
	size_t f;

	if (!realpath(path, real)) {
		exs_walk_engine_problem_add(e, "rules: cannot open '%s': %s; left out", path,
		                            strerror(errno));
		return;
	}
	f = file_get(s, real, &err);
	if (f == SIZE_MAX) {
		exs_walk_engine_problem_add(e, "rules: %s; left out", err.msg);
		return;
	}
	/* the same file given twice is compiled once */
	for (size_t i = 0; i < s->n_srcs; i++)
		if (s->srcs[i].file == f)
			return;
	if (srcs_add(s, path, NULL, NULL, f))
		exs_walk_engine_problem_add(e, "rules file '%s': out of memory; left out", path);
}

static bool has_rule_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (strcasecmp(dot, ".yar") == 0 || strcasecmp(dot, ".yara") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the rule files below dir in name order, subdirectories in place;
 * returns how many it found. */
static size_t add_dir(struct exs_ruleset *s, struct exs_walk_engine *e, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, found = 0;

	if (!d) {
		exs_walk_engine_problem_add(e, "rules: cannot open directory '%s': %s; left out",
		                            dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		char **p;

		/* ".", "..", and hidden folders such as .git */
		if (de->d_name[0] == '.')
			continue;
		p = realloc(names, (n + 1) * sizeof(*p));
		if (!p)
			break;
		names = p;
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < MAX_DIR_DEPTH)
				found += add_dir(s, e, names[i], depth + 1);
			else
				exs_walk_engine_problem_add(
				        e, "rules: '%s' is nested deeper than %d folders; left out",
				        names[i], MAX_DIR_DEPTH);
		} else if (has_rule_ext(names[i])) {
			add_file(s, e, names[i]);
			found++;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

void exs_ruleset_add_path(struct exs_ruleset *s, struct exs_walk_engine *e, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		exs_walk_engine_problem_add(e, "rules: cannot use '%s': %s; left out", path,
		                            strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(s, e, path);
		return;
	}
	if (add_dir(s, e, path, 0) == 0)
		exs_walk_engine_problem_add(e, "rules: directory '%s' has no .yar or .yara files",
		                            path);
}

/* Marks every file reachable from f (not f itself). */
static void mark_included(const struct exs_ruleset *s, size_t f, bool *mark, size_t depth)
{
	if (depth > MAX_INCLUDE_DEPTH)
		return;
	for (size_t i = 0; i < s->files[f].n_includes; i++) {
		mark[s->files[f].includes[i]] = true;
		mark_included(s, s->files[f].includes[i], mark, depth + 1);
	}
}

void exs_ruleset_resolve(struct exs_ruleset *s, struct exs_walk_engine *e)
{
	size_t stack[MAX_INCLUDE_DEPTH + 1];
	char why[1024];
	bool *included = NULL;

	for (size_t i = 0; i < s->n_srcs; i++) {
		struct exs_rulesource *src = &s->srcs[i];

		if (src->file == SIZE_MAX)
			continue;
		if (walk_tree(s, src->file, stack, 0, why, sizeof(why))) {
			src->skip = true;
			src->why = strdup(why);
			exs_walk_engine_problem_add(e, "rules file '%s' left out: %s", src->name,
			                            why);
			continue;
		}
		src->text = file_text(&s->files[src->file]);
	}
	/* a file another one includes is compiled there, not again on its own
	 * (a folder with an index file that includes the rest) */
	included = calloc(s->n_files ? s->n_files : 1, sizeof(*included));
	if (!included)
		return;
	for (size_t i = 0; i < s->n_srcs; i++)
		if (s->srcs[i].file != SIZE_MAX && !s->srcs[i].skip)
			mark_included(s, s->srcs[i].file, included, 0);
	for (size_t i = 0; i < s->n_srcs; i++)
		if (s->srcs[i].file != SIZE_MAX && included[s->srcs[i].file])
			s->srcs[i].skip = true;
	free(included);
}

bool exs_ruleset_imports(const struct exs_ruleset *s)
{
	for (size_t i = 0; i < s->n_srcs; i++) {
		const char *t = s->srcs[i].text;

		if (s->srcs[i].skip || s->srcs[i].bad || !t)
			continue;
		/* an import statement opens its line */
		for (const char *l = t; l; l = strchr(l, '\n')) {
			l += *l == '\n';
			l += strspn(l, " \t\r");
			if (strncmp(l, "import", 6) == 0 &&
			    (l[6] == ' ' || l[6] == '\t' || l[6] == '"'))
				return true;
		}
	}
	return false;
}

size_t exs_ruleset_usable(const struct exs_ruleset *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_srcs; i++)
		n += !s->srcs[i].skip && !s->srcs[i].bad;
	return n;
}

static void key_tree(const struct exs_ruleset *s, size_t f, EVP_MD_CTX *ctx, size_t depth)
{
	uint64_t len = s->files[f].raw_len;

	EVP_DigestUpdate(ctx, s->files[f].real, strlen(s->files[f].real) + 1);
	EVP_DigestUpdate(ctx, &len, sizeof(len));
	EVP_DigestUpdate(ctx, s->files[f].raw, s->files[f].raw_len);
	if (depth > MAX_INCLUDE_DEPTH)
		return;
	for (size_t i = 0; i < s->files[f].n_includes; i++)
		key_tree(s, s->files[f].includes[i], ctx, depth + 1);
}

int exs_ruleset_key(const struct exs_ruleset *s, const char *salt, unsigned char md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (!ctx)
		goto out;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	EVP_DigestUpdate(ctx, salt, strlen(salt) + 1);
	for (size_t i = 0; i < s->n_srcs; i++) {
		const struct exs_rulesource *src = &s->srcs[i];

		if (src->skip)
			continue;
		EVP_DigestUpdate(ctx, src->name, strlen(src->name) + 1);
		if (src->file == SIZE_MAX)
			EVP_DigestUpdate(ctx, src->text, strlen(src->text) + 1);
		else
			key_tree(s, src->file, ctx, 0);
	}
	if (!EVP_DigestFinal_ex(ctx, md, NULL))
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *exs_ruleset_include(struct exs_ruleset *s, const char *name, const char *from)
{
	struct exs_error err = {{0}};
	char real[PATH_MAX], *path;
	size_t f;

	for (size_t i = 0; i < s->n_files; i++)
		if (strcmp(s->files[i].real, name) == 0)
			return file_text(&s->files[i]);
	/* an include the resolver did not see: read it, and do not let the cache
	 * keep a result whose key does not cover it */
	s->key_incomplete = true;
	path = relative_to(from, name);
	if (!path || !realpath(path, real)) {
		free(path);
		return NULL;
	}
	free(path);
	f = file_get(s, real, &err);
	if (f == SIZE_MAX)
		return NULL;
	scan_file(s, f);
	return s->files[f].error ? NULL : file_text(&s->files[f]);
}

void exs_ruleset_release(struct exs_ruleset *s)
{
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].real);
		free(s->files[i].raw);
		free(s->files[i].text);
		free(s->files[i].includes);
		free(s->files[i].error);
	}
	for (size_t i = 0; i < s->n_srcs; i++) {
		free(s->srcs[i].name);
		free(s->srcs[i].owned);
		free(s->srcs[i].why);
	}
	free(s->files);
	free(s->srcs);
	memset(s, 0, sizeof(*s));
}
