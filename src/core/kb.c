/* Loading the knowledge base tables. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/escape.h"
#include "exscan/kb.h"
#include "kb_internal.h"

extern const char exs_builtin_builds[];
extern const size_t exs_builtin_builds_len;
extern const char exs_builtin_cves[];
extern const size_t exs_builtin_cves_len;

#define MAX_FIELDS 10
#define TABLE_MAX_BYTES (64u << 20)
/* Line 1 of every table: TABLE_MAGIC, the kind (builds or cves), the format,
 * the number of data lines and their SHA-256 (docs/knowledge-base.md). */
#define TABLE_MAGIC "exscan-table"
#define TABLE_FORMAT "2"

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

static bool leap_year(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD or YYYY-MM, a day that exists (no 2026-02-30, no month 13), or "". */
static int check_date(const char *s, const char *name, size_t lineno, struct exs_error *err)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s);
	unsigned y, m, d = 1;

	if (n == 0)
		return 0;
	if ((n != 10 && n != 7) || s[4] != '-' || (n == 10 && s[7] != '-'))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			goto bad;
	}
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	if (n == 10)
		d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y == 0 || m < 1 || m > 12 || d < 1 ||
	    d > days[m - 1] + (m == 2 && leap_year(y) ? 1u : 0u))
		return exs_error_set(err,
		                     "%s:%zu: '%s' is not a real date (month 01-12, day within the "
		                     "month): correct it in the reference files and regenerate",
		                     name, lineno, s);
	return 0;
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

/* The lines of a table in memory, one at a time, each checked: not too long,
 * no NUL, no control character, valid UTF-8 (fields reach every output). */
struct line_iter {
	const char *name, *text;
	size_t len, pos, lineno;
	char line[1024];
};

static void line_iter_init(struct line_iter *it, const char *name, const char *text, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->name = name;
	it->text = text;
	it->len = len;
}

static int check_text(const struct line_iter *it, size_t n, struct exs_error *err)
{
	const unsigned char *s = (const unsigned char *)it->line;

	for (size_t i = 0; i < n;) {
		size_t k = exs_utf8_seq_len(s + i, n - i);
		/* C0 but TAB, DEL, and C1 (U+0080-U+009F, which the call above refuses) */
		bool c0 = k == 1 && ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f);
		bool c1 =
		        k == 0 && s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xa0;

		if (c0 || c1)
			return exs_error_set(
			        err,
			        "%s:%zu: control character 0x%02x in a field: remove it "
			        "or regenerate the table with tools/gen-kb.py",
			        it->name, it->lineno, c1 ? s[i + 1] : s[i]);
		if (k == 0)
			return exs_error_set(
			        err,
			        "%s:%zu: byte 0x%02x is not UTF-8: the table is damaged; "
			        "reinstall it or regenerate it with tools/gen-kb.py",
			        it->name, it->lineno, s[i]);
		i += k;
	}
	return 0;
}

/* 1: the next line is in it->line (CR LF or LF stripped); 0: no more; -1: err set. */
static int line_next(struct line_iter *it, struct exs_error *err)
{
	const char *start = it->text + it->pos;
	const char *nl;
	size_t n;

	if (it->pos >= it->len)
		return 0;
	nl = memchr(start, '\n', it->len - it->pos);
	n = nl ? (size_t)(nl - start) : it->len - it->pos;
	it->pos += n + (nl ? 1 : 0);
	it->lineno++;
	if (n && start[n - 1] == '\r')
		n--;
	if (n >= sizeof(it->line))
		return exs_error_set(err, "%s:%zu: line is longer than %zu characters", it->name,
		                     it->lineno, sizeof(it->line) - 1);
	if (memchr(start, '\0', n))
		return exs_error_set(err, "%s:%zu: line contains a NUL byte", it->name, it->lineno);
	memcpy(it->line, start, n);
	it->line[n] = '\0';
	if (check_text(it, n, err))
		return -1;
	return 1;
}

/* Comments and blank lines carry no data and are not counted. */
static bool is_data_line(const char *line)
{
	return line[0] != '#' && line[strspn(line, " \t")] != '\0';
}

/* Reads the header on line 1: "exscan-table KIND format=N rows=N sha256=HEX". */
static int parse_header(struct line_iter *it, const char *kind, size_t *rows, char *sha256,
                        struct exs_error *err)
{
	char *f[MAX_FIELDS + 1];
	const char *other = strcmp(kind, "builds") == 0 ? "cves" : "builds";
	char *end = NULL;
	unsigned long long v = 0;
	bool ok;
	int nf;

	if (strncmp(it->line, TABLE_MAGIC "\t", sizeof(TABLE_MAGIC)) != 0)
		return exs_error_set(err,
		                     "%s:1: no '" TABLE_MAGIC "' header line: not a table written "
		                     "by tools/gen-kb.py (regenerate it, or seal a hand-made table "
		                     "with tools/gen-kb.py --seal)",
		                     it->name);
	nf = split_tabs(it->line, f, MAX_FIELDS);
	if (nf == 5 && strcmp(f[1], other) == 0)
		return exs_error_set(err,
		                     "%s:1: this is a %s table, not a %s table: check --builds "
		                     "and --cves",
		                     it->name, other, kind);
	if (nf == 5 && strcmp(f[1], kind) == 0 && strncmp(f[2], "format=", 7) == 0 &&
	    strcmp(f[2] + 7, TABLE_FORMAT) != 0)
		return exs_error_set(err,
		                     "%s:1: table format '%.12s' is not the one this exscan reads "
		                     "(" TABLE_FORMAT "): regenerate the table with this exscan's "
		                     "tools/gen-kb.py",
		                     it->name, f[2] + 7);
	ok = nf == 5 && strcmp(f[1], kind) == 0 && strcmp(f[2], "format=" TABLE_FORMAT) == 0 &&
	     strncmp(f[3], "rows=", 5) == 0 && f[3][5] >= '0' && f[3][5] <= '9' &&
	     strncmp(f[4], "sha256=", 7) == 0 && strlen(f[4] + 7) == 64 &&
	     strspn(f[4] + 7, "0123456789abcdef") == 64;
	if (ok) {
		errno = 0;
		v = strtoull(f[3] + 5, &end, 10);
		ok = !errno && !*end && v <= TABLE_MAX_BYTES;
	}
	if (!ok)
		return exs_error_set(
		        err,
		        "%s:1: malformed header (want " TABLE_MAGIC " %s format=" TABLE_FORMAT
		        " rows=N sha256=HEX, tab-separated): regenerate the table with "
		        "tools/gen-kb.py",
		        it->name, kind);
	*rows = (size_t)v;
	memcpy(sha256, f[4] + 7, 65);
	return 0;
}

/* Proves the table whole before anything in it is used: the header's kind,
 * row count and SHA-256 of the data lines (each without its line end, followed
 * by one LF) must match.  Catches empty, comment-only, cut and changed files. */
static int table_verify(const char *name, const char *kind, const char *text, size_t len,
                        struct exs_error *err)
{
	struct line_iter it;
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char want[65], got[65];
	size_t want_rows = 0, rows = 0;
	int rc;

	if (len > TABLE_MAX_BYTES) {
		rc = exs_error_set(err, "%s: table is larger than %u MiB", name,
		                   TABLE_MAX_BYTES >> 20);
		goto out;
	}
	line_iter_init(&it, name, text, len);
	rc = line_next(&it, err);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = exs_error_set(err,
		                   "%s: empty file, not an exscan %s table: reinstall it or "
		                   "regenerate it with tools/gen-kb.py",
		                   name, kind);
		goto out;
	}
	rc = parse_header(&it, kind, &want_rows, want, err);
	if (rc)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = exs_error_set(err, "%s: cannot compute SHA-256: out of memory", name);
		goto out;
	}
	while ((rc = line_next(&it, err)) == 1) {
		if (!is_data_line(it.line))
			continue;
		rows++;
		EVP_DigestUpdate(md, it.line, strlen(it.line));
		EVP_DigestUpdate(md, "\n", 1);
	}
	if (rc < 0)
		goto out;
	if (rows < want_rows) {
		rc = exs_error_set(err,
		                   "%s: truncated: the header promises %zu rows, the file has %zu: "
		                   "reinstall the table or regenerate it with tools/gen-kb.py",
		                   name, want_rows, rows);
		goto out;
	}
	if (rows > want_rows) {
		rc = exs_error_set(err,
		                   "%s: %zu rows where the header promises %zu: rows were added by "
		                   "hand; regenerate the table with tools/gen-kb.py",
		                   name, rows, want_rows);
		goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32) {
		rc = exs_error_set(err, "%s: cannot compute SHA-256", name);
		goto out;
	}
	for (unsigned i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", digest[i]);
	if (strcmp(got, want) != 0) {
		rc = exs_error_set(
		        err,
		        "%s: checksum mismatch: a row was changed or cut after the table "
		        "was generated; reinstall it or regenerate it with tools/gen-kb.py",
		        name);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Calls `fn` for each data line after the header, split on tabs. */
typedef int (*line_fn)(struct exs_kb *kb, char **f, int nf, const char *name, size_t lineno,
                       struct exs_error *err);

static int for_each_line(struct exs_kb *kb, const char *name, const char *text, size_t len,
                         line_fn fn, struct exs_error *err)
{
	struct line_iter it;
	int rc;

	line_iter_init(&it, name, text, len);
	while ((rc = line_next(&it, err)) == 1) {
		char *fields[MAX_FIELDS + 1];
		int nf;

		if (it.lineno == 1 || !is_data_line(it.line))
			continue; /* the header, checked by table_verify() */
		nf = split_tabs(it.line, fields, MAX_FIELDS);
		rc = fn(kb, fields, nf, name, it.lineno, err);
		if (rc)
			goto out;
	}
out:
	return rc < 0 ? -1 : 0;
}

/* The index of the product with this id, or kb->n_products when none has it. */
static size_t product_index(const struct exs_kb *kb, const char *id)
{
	size_t i;

	for (i = 0; i < kb->n_products; i++)
		if (strcmp(kb->products[i].id, id) == 0)
			break;
	return i;
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
		i = product_index(kb, f[2]);
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
	if (strcmp(f[0], "esu") == 0) {
		size_t i;

		if (nf != 3)
			return exs_error_set(err,
			                     "%s:%zu: an esu line has 3 tab-separated fields, "
			                     "this one has %d",
			                     name, lineno, nf);
		i = product_index(kb, f[1]);
		if (i == kb->n_products)
			return exs_error_set(err, "%s:%zu: unknown product '%.40s'", name, lineno,
			                     f[1]);
		if (copy_field(kb->products[i].esu_since, sizeof(kb->products[i].esu_since), f[2],
		               "ESU start", name, lineno, err) ||
		    check_date(kb->products[i].esu_since, name, lineno, err))
			return -1;
		return 0;
	}
	return exs_error_set(err,
	                     "%s:%zu: unknown line type '%.40s' (expected product, build or esu)",
	                     name, lineno, f[0]);
}

static int cves_line(struct exs_kb *kb, char **f, int nf, const char *name, size_t lineno,
                     struct exs_error *err)
{
	if (strcmp(f[0], "cve") == 0) {
		struct exs_cve *c;
		char *flag, *save = NULL;

		if (nf != 4 && nf != 5)
			return exs_error_set(err,
			                     "%s:%zu: a cve line has 4 or 5 tab-separated fields, "
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
		    copy_field(c->name, sizeof(c->name), f[3], "name", name, lineno, err) ||
		    (nf == 5 &&
		     copy_field(c->step, sizeof(c->step), f[4], "step", name, lineno, err)))
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
			size_t i = product_index(kb, prod);

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
	rc = table_verify(name, "builds", text, len, err);
	if (rc)
		goto out;
	rc = for_each_line(kb, name, text, len, builds_line, err);
	if (rc)
		goto out;
	if (kb->n_builds == 0) {
		rc = exs_error_set(err, "%s: no build lines: is this an exscan build table?", name);
		goto out;
	}
	qsort(kb->builds, kb->n_builds, sizeof(*kb->builds), cmp_build);
	kb->newest_date[0] = '\0';
	for (size_t i = 0; i < kb->n_builds; i++) {
		struct exs_build *b = &kb->builds[i];

		b->esu_only = b->product->esu_since[0] && b->update[0] && b->release_date[0] &&
		              strcmp(b->release_date, b->product->esu_since) >= 0;
	}
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
	rc = table_verify(name, "cves", text, len, err);
	if (rc)
		goto out;
	rc = for_each_line(kb, name, text, len, cves_line, err);
	if (rc)
		goto out;
	if (kb->n_cves == 0 || kb->n_fixes == 0) {
		/* a sealed but empty table would make every build look patched */
		rc = exs_error_set(err, "%s: no %s lines: is this an exscan CVE table?", name,
		                   kb->n_cves == 0 ? "cve" : "fix");
		goto out;
	}
	for (size_t i = 0; i < kb->n_fixes; i++)
		kb->fixes[i].cve = &kb->cves[kb->fix_cve_index[i]];
	snprintf(kb->cves_source, sizeof(kb->cves_source), "%s", name);
out:
	if (rc)
		kb->n_cves = kb->n_fixes = 0; /* no half-read table, no unresolved fixes */
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
