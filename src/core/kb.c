/* Loading the knowledge base tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/kb.h"
#include "kb_internal.h"

extern const char exs_builtin_builds[];
extern const size_t exs_builtin_builds_len;
extern const char exs_builtin_cves[];
extern const size_t exs_builtin_cves_len;

#define MAX_FIELDS 10
#define TABLE_MAX_BYTES (64u << 20)

struct exs_kb *exs_kb_new(void)
{
	struct exs_kb *kb = calloc(1, sizeof(*kb));

	if (kb) {
		snprintf(kb->builds_source, sizeof(kb->builds_source), "none");
		snprintf(kb->cves_source, sizeof(kb->cves_source), "none");
	}
	return kb;
}

void exs_kb_free(struct exs_kb *kb)
{
	if (!kb)
		return;
	free(kb->builds);
	free(kb->cves);
	free(kb->fixes);
	free(kb);
}

/* Splits one line in place on tabs. Returns the number of fields. */
static int split_tabs(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return max + 1;
		fields[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

static int copy_field(char *dst, size_t size, const char *src, const char *what, const char *name,
                      size_t lineno, struct exs_error *err)
{
	if (strcmp(src, "-") == 0)
		src = "";
	if (strlen(src) >= size)
		return exs_error_set(err, "%s:%zu: %s '%.40s' is too long (at most %zu characters)",
		                     name, lineno, what, src, size - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int check_date(const char *s, const char *name, size_t lineno, struct exs_error *err)
{
	size_t n = strlen(s);

	if (n == 0)
		return 0;
	if ((n == 10 || n == 7) && s[4] == '-' && (n == 7 || s[7] == '-')) {
		for (size_t i = 0; i < n; i++) {
			if (i == 4 || i == 7)
				continue;
			if (s[i] < '0' || s[i] > '9')
				goto bad;
		}
		return 0;
	}
bad:
	return exs_error_set(err, "%s:%zu: '%.40s' is not a date (YYYY-MM-DD, YYYY-MM or -)", name,
	                     lineno, s);
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > EXS_VERSION_PART_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void strip_resend_suffix(const char *update, char *base, size_t size)
{
	size_t n = strlen(update);

	snprintf(base, size, "%s", update);
	/* Aug23SUv2 -> Aug23SU: a re-release fixes the same CVEs */
	if (n > 2 && update[n - 2] == 'v' && update[n - 1] >= '0' && update[n - 1] <= '9')
		base[n - 2] = '\0';
}

static int grow(void **arr, size_t *cap, size_t count, size_t elem)
{
	void *p;
	size_t ncap;

	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Calls `fn` for each non-comment line, split on tabs. */
typedef int (*line_fn)(struct exs_kb *kb, char **f, int nf, const char *name, size_t lineno,
                       struct exs_error *err);

static int for_each_line(struct exs_kb *kb, const char *name, const char *text, size_t len,
                         line_fn fn, struct exs_error *err)
{
	size_t pos = 0, lineno = 0;
	char line[1024];
	int rc = 0;

	if (len > TABLE_MAX_BYTES)
		return exs_error_set(err, "%s: table is larger than %u MiB", name,
		                     TABLE_MAX_BYTES >> 20);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *fields[MAX_FIELDS + 1];
		int nf;

		lineno++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n >= sizeof(line)) {
			rc = exs_error_set(err, "%s:%zu: line is longer than %zu characters", name,
			                   lineno, sizeof(line) - 1);
			goto out;
		}
		if (memchr(text + pos, '\0', n)) {
			rc = exs_error_set(err, "%s:%zu: line contains a NUL byte", name, lineno);
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (nl && pos < len && text[pos - 1] == '\r')
			pos++;
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		nf = split_tabs(line, fields, MAX_FIELDS);
		rc = fn(kb, fields, nf, name, lineno, err);
		if (rc)
			goto out;
	}
out:
	return rc;
}

static int builds_line(struct exs_kb *kb, char **f, int nf, const char *name, size_t lineno,
                       struct exs_error *err)
{
	struct exs_error perr;

	if (strcmp(f[0], "product") == 0) {
		struct exs_product *p;
		unsigned first;
		struct exs_version mm;
		char buf[40];

		if (nf != 6)
			return exs_error_set(err,
			                     "%s:%zu: a product line has 6 tab-separated fields, "
			                     "this one has %d",
			                     name, lineno, nf);
		if (kb->n_products == EXS_KB_MAX_PRODUCTS)
			return exs_error_set(err, "%s:%zu: more than %d product lines", name,
			                     lineno, EXS_KB_MAX_PRODUCTS);
		p = &kb->products[kb->n_products];
		memset(p, 0, sizeof(*p));
		if (copy_field(p->id, sizeof(p->id), f[1], "product id", name, lineno, err) ||
		    copy_field(p->name, sizeof(p->name), f[2], "product name", name, lineno, err) ||
		    copy_field(p->end_of_support, sizeof(p->end_of_support), f[5], "end of support",
		               name, lineno, err) ||
		    check_date(p->end_of_support, name, lineno, err))
			return -1;
		snprintf(buf, sizeof(buf), "%s.0", f[3]);
		if (exs_version_parse(buf, &mm, &perr) || parse_uint(f[4], &first))
			return exs_error_set(err,
			                     "%s:%zu: product '%s': bad version '%s' or first "
			                     "build '%s'",
			                     name, lineno, p->id, f[3], f[4]);
		p->major = mm.part[0];
		p->minor = mm.part[1];
		p->first_build = first;
		if (!p->id[0])
			return exs_error_set(err, "%s:%zu: empty product id", name, lineno);
		kb->n_products++;
		return 0;
	}
	if (strcmp(f[0], "build") == 0) {
		struct exs_build *b;
		size_t i;

		if (nf != 8)
			return exs_error_set(err,
			                     "%s:%zu: a build line has 8 tab-separated fields, "
			                     "this one has %d",
			                     name, lineno, nf);
		if (grow((void **)&kb->builds, &kb->cap_builds, kb->n_builds, sizeof(*b)))
			return exs_error_set(err, "%s: out of memory", name);
		b = &kb->builds[kb->n_builds];
		memset(b, 0, sizeof(*b));
		if (exs_version_parse(f[1], &b->version, &perr) || b->version.nparts != 4)
			return exs_error_set(err, "%s:%zu: '%.40s' is not a full build number",
			                     name, lineno, f[1]);
		if (exs_version_parse(f[4], &b->cu_build, &perr) || b->cu_build.nparts != 4)
			return exs_error_set(err,
			                     "%s:%zu: CU build '%.40s' is not a full build number",
			                     name, lineno, f[4]);
		for (i = 0; i < kb->n_products; i++)
			if (strcmp(kb->products[i].id, f[2]) == 0)
				break;
		if (i == kb->n_products)
			return exs_error_set(err,
			                     "%s:%zu: unknown product '%.40s' (declare it on a "
			                     "product line first)",
			                     name, lineno, f[2]);
		b->product = &kb->products[i];
		if (copy_field(b->cu, sizeof(b->cu), f[3], "CU", name, lineno, err) ||
		    copy_field(b->update, sizeof(b->update), f[5], "update", name, lineno, err) ||
		    copy_field(b->release_date, sizeof(b->release_date), f[6], "release date", name,
		               lineno, err) ||
		    check_date(b->release_date, name, lineno, err) ||
		    copy_field(b->kb, sizeof(b->kb), f[7], "KB", name, lineno, err))
			return -1;
		if (!b->cu[0])
			return exs_error_set(err, "%s:%zu: empty CU name", name, lineno);
		strip_resend_suffix(b->update, b->base_update, sizeof(b->base_update));
		if (b->version.part[0] != b->product->major ||
		    b->version.part[1] != b->product->minor)
			return exs_error_set(err, "%s:%zu: build %s does not belong to %s", name,
			                     lineno, f[1], b->product->id);
		kb->n_builds++;
		return 0;
	}
	return exs_error_set(err, "%s:%zu: unknown line type '%.40s' (expected product or build)",
	                     name, lineno, f[0]);
}

static int cves_line(struct exs_kb *kb, char **f, int nf, const char *name, size_t lineno,
                     struct exs_error *err)
{
	if (strcmp(f[0], "cve") == 0) {
		struct exs_cve *c;
		char *flag, *save = NULL;

		if (nf != 4)
			return exs_error_set(err,
			                     "%s:%zu: a cve line has 4 tab-separated fields, "
			                     "this one has %d",
			                     name, lineno, nf);
		if (strncmp(f[1], "CVE-", 4) != 0 && strncmp(f[1], "ADV", 3) != 0)
			return exs_error_set(err, "%s:%zu: '%.40s' is not a CVE id", name, lineno,
			                     f[1]);
		if (exs_kb_cve_find(kb, f[1]))
			return exs_error_set(err, "%s:%zu: %s is listed twice", name, lineno, f[1]);
		if (grow((void **)&kb->cves, &kb->cap_cves, kb->n_cves, sizeof(*c)))
			return exs_error_set(err, "%s: out of memory", name);
		c = &kb->cves[kb->n_cves];
		memset(c, 0, sizeof(*c));
		if (copy_field(c->id, sizeof(c->id), f[1], "CVE id", name, lineno, err) ||
		    copy_field(c->name, sizeof(c->name), f[3], "name", name, lineno, err))
			return -1;
		if (strcmp(f[2], "-") != 0) {
			for (flag = strtok_r(f[2], ",", &save); flag;
			     flag = strtok_r(NULL, ",", &save)) {
				if (strcmp(flag, "kev") == 0)
					c->kev = true;
				else if (strcmp(flag, "config") == 0)
					c->config_dependent = true;
				else
					return exs_error_set(err,
					                     "%s:%zu: unknown flag '%.20s' (kev, "
					                     "config or -)",
					                     name, lineno, flag);
			}
		}
		kb->n_cves++;
		return 0;
	}
	if (strcmp(f[0], "fix") == 0) {
		struct exs_fix *x;
		char *prod, *save = NULL;

		if (nf != 4)
			return exs_error_set(err,
			                     "%s:%zu: a fix line has 4 tab-separated fields, "
			                     "this one has %d",
			                     name, lineno, nf);
		if (grow((void **)&kb->fixes, &kb->cap_fixes, kb->n_fixes, sizeof(*x)))
			return exs_error_set(err, "%s: out of memory", name);
		x = &kb->fixes[kb->n_fixes];
		memset(x, 0, sizeof(*x));
		if (copy_field(x->update, sizeof(x->update), f[1], "update", name, lineno, err))
			return -1;
		/* the cves array may still move while growing: keep an index and resolve
		 * the pointer once the whole table is read */
		if (!exs_kb_cve_find(kb, f[2]))
			return exs_error_set(err, "%s:%zu: %.40s has no cve line above it", name,
			                     lineno, f[2]);
		kb->fix_cve_index[kb->n_fixes] = (size_t)(exs_kb_cve_find(kb, f[2]) - kb->cves);
		for (prod = strtok_r(f[3], " ", &save); prod; prod = strtok_r(NULL, " ", &save)) {
			size_t i;

			for (i = 0; i < kb->n_products; i++)
				if (strcmp(kb->products[i].id, prod) == 0)
					break;
			if (i == kb->n_products)
				return exs_error_set(err, "%s:%zu: unknown product '%.40s'", name,
				                     lineno, prod);
			x->products |= 1u << i;
		}
		if (!x->products)
			return exs_error_set(err, "%s:%zu: fix names no product", name, lineno);
		kb->n_fixes++;
		if (kb->n_fixes >= EXS_KB_MAX_FIXES)
			return exs_error_set(err, "%s:%zu: more than %d fix lines", name, lineno,
			                     EXS_KB_MAX_FIXES);
		return 0;
	}
	return exs_error_set(err, "%s:%zu: unknown line type '%.40s' (expected cve or fix)", name,
	                     lineno, f[0]);
}

static int cmp_build(const void *a, const void *b)
{
	const struct exs_build *x = a, *y = b;
	int c = exs_version_cmp(&x->version, &y->version);

	/* stable order for equal builds listed under two names */
	return c ? c : strcmp(x->update, y->update);
}

int exs_kb_load_builds(struct exs_kb *kb, const char *name, const char *text, size_t len,
                       struct exs_error *err)
{
	int rc;

	kb->n_products = 0;
	kb->n_builds = 0;
	rc = for_each_line(kb, name, text, len, builds_line, err);
	if (rc)
		goto out;
	if (kb->n_builds == 0) {
		rc = exs_error_set(err, "%s: no build lines: is this an exscan build table?", name);
		goto out;
	}
	qsort(kb->builds, kb->n_builds, sizeof(*kb->builds), cmp_build);
	kb->newest_date[0] = '\0';
	for (size_t i = 0; i < kb->n_builds; i++)
		if (strlen(kb->builds[i].release_date) == 10 &&
		    strcmp(kb->builds[i].release_date, kb->newest_date) > 0)
			memcpy(kb->newest_date, kb->builds[i].release_date, 11);
	snprintf(kb->builds_source, sizeof(kb->builds_source), "%s", name);
out:
	return rc;
}

int exs_kb_load_cves(struct exs_kb *kb, const char *name, const char *text, size_t len,
                     struct exs_error *err)
{
	int rc;

	if (kb->n_products == 0)
		return exs_error_set(err, "%s: load the build table before the CVE table", name);
	kb->n_cves = 0;
	kb->n_fixes = 0;
	rc = for_each_line(kb, name, text, len, cves_line, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < kb->n_fixes; i++)
		kb->fixes[i].cve = &kb->cves[kb->fix_cve_index[i]];
	snprintf(kb->cves_source, sizeof(kb->cves_source), "%s", name);
out:
	return rc;
}

static int read_file(const char *path, char **data, size_t *len, struct exs_error *err)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int rc = 0;

	*data = NULL;
	if (!fp)
		return exs_error_set(err, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n == cap) {
			char *p;

			if (cap >= TABLE_MAX_BYTES) {
				rc = exs_error_set(err, "%s: larger than %u MiB: not a table", path,
				                   TABLE_MAX_BYTES >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap);
			if (!p) {
				rc = exs_error_set(err, "%s: out of memory", path);
				goto out;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0) {
			if (ferror(fp))
				rc = exs_error_set(err, "%s: read error: %s", path,
				                   strerror(errno));
			break;
		}
	}
out:
	fclose(fp);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

struct exs_kb *exs_kb_load(const char *builds_path, const char *cves_path, struct exs_error *err)
{
	struct exs_kb *kb = exs_kb_new();
	char *data = NULL;
	size_t len = 0;
	int rc = 0;

	if (!kb) {
		exs_error_set(err, "out of memory loading the knowledge base");
		return NULL;
	}
	if (builds_path) {
		rc = read_file(builds_path, &data, &len, err);
		if (!rc)
			rc = exs_kb_load_builds(kb, builds_path, data, len, err);
	} else {
		rc = exs_kb_load_builds(kb, "built-in", exs_builtin_builds, exs_builtin_builds_len,
		                        err);
	}
	free(data);
	data = NULL;
	if (rc)
		goto out;
	if (cves_path) {
		rc = read_file(cves_path, &data, &len, err);
		if (!rc)
			rc = exs_kb_load_cves(kb, cves_path, data, len, err);
	} else {
		rc = exs_kb_load_cves(kb, "built-in", exs_builtin_cves, exs_builtin_cves_len, err);
	}
	free(data);
out:
	if (rc) {
		exs_kb_free(kb);
		return NULL;
	}
	return kb;
}

const char *exs_kb_builds_source(const struct exs_kb *kb)
{
	return kb->builds_source;
}

const char *exs_kb_cves_source(const struct exs_kb *kb)
{
	return kb->cves_source;
}

size_t exs_kb_build_count(const struct exs_kb *kb)
{
	return kb->n_builds;
}

const struct exs_build *exs_kb_build_at(const struct exs_kb *kb, size_t i)
{
	return i < kb->n_builds ? &kb->builds[i] : NULL;
}

size_t exs_kb_product_count(const struct exs_kb *kb)
{
	return kb->n_products;
}

const struct exs_product *exs_kb_product_at(const struct exs_kb *kb, size_t i)
{
	return i < kb->n_products ? &kb->products[i] : NULL;
}

size_t exs_kb_cve_count(const struct exs_kb *kb)
{
	return kb->n_cves;
}

const struct exs_cve *exs_kb_cve_find(const struct exs_kb *kb, const char *id)
{
	for (size_t i = 0; i < kb->n_cves; i++)
		if (strcmp(kb->cves[i].id, id) == 0)
			return &kb->cves[i];
	return NULL;
}

const char *exs_kb_newest_date(const struct exs_kb *kb)
{
	return kb->newest_date;
}
