/* One file in one worker: read (up to the size cap), hash, type, YARA,
 * IOC lists, location policy.  Findings go into the worker's own list. */
#include <errno.h>
#include <stdarg.h>
#include <magic.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exscan/buf.h"
#include "walk_scan.h"

#define CHUNK (1u << 20)
#define MAX_MATCHES 8  /* matched strings kept per finding */
#define MATCH_BYTES 96 /* bytes kept per matched string */
#define MAGIC_BYTES 16384
/* Fast mode: the first match of each string is all a finding keeps.  No
 * try/catch: YARA reads exscan's own buffers, never a mapped file that could
 * shrink under it, and libyara's guard costs four sigaction calls and a
 * process-wide mutex for every scan (a third of a walk's system calls). */
#define SCAN_FLAGS (SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH)

int exs_worker_init(struct exs_worker *w, const struct exs_walk_engine *e,
                    const struct exs_walk_options *o, struct exs_error *err)
{
	memset(w, 0, sizeof(*w));
	w->engine = e;
	w->opts = o;
	w->max_size = o->max_size ? o->max_size : EXS_WALK_DEFAULT_MAX_SIZE;
	exs_findings_init(&w->findings);
	if (yr_scanner_create(e->rules, &w->scanner) != ERROR_SUCCESS)
		return exs_error_set(err, "cannot create a YARA scanner (out of memory?)");
	/* a backstop one second later: the block iterator ends a scan at
	 * --timeout between two blocks, keeping what it found; libyara's own
	 * timeout (checked every 4 KiB) ends a block that alone outlasts it
	 * (a slow regex), losing the matches */
	yr_scanner_set_timeout(w->scanner,
	                       (o->timeout > 0 ? o->timeout : EXS_WALK_DEFAULT_TIMEOUT) + 1);
	yr_scanner_set_flags(w->scanner, SCAN_FLAGS);
	if (e->builtin_rules) {
		if (yr_scanner_create(e->builtin_rules, &w->builtin_scanner) != ERROR_SUCCESS)
			return exs_error_set(err, "cannot create a YARA scanner (out of memory?)");
		yr_scanner_set_timeout(w->builtin_scanner,
		                       (o->timeout > 0 ? o->timeout : EXS_WALK_DEFAULT_TIMEOUT) +
		                               1);
		yr_scanner_set_flags(w->builtin_scanner, SCAN_FLAGS);
	}
	w->magic = magic_open(MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF | MAGIC_ERROR);
	if (!w->magic || magic_load(w->magic, NULL) != 0)
		return exs_error_set(err, "cannot load the libmagic database: %s",
		                     w->magic ? magic_error(w->magic) : "out of memory");
	w->sha256 = EVP_MD_CTX_new();
	w->sha1 = EVP_MD_CTX_new();
	w->md5 = EVP_MD_CTX_new();
	w->chunk = malloc(CHUNK);
	if (!w->sha256 || !w->sha1 || !w->md5 || !w->chunk)
		return exs_error_set(err, "out of memory");
	return 0;
}

void exs_worker_release(struct exs_worker *w)
{
	if (w->scanner)
		yr_scanner_destroy(w->scanner);
	if (w->builtin_scanner)
		yr_scanner_destroy(w->builtin_scanner);
	if (w->magic)
		magic_close(w->magic);
	EVP_MD_CTX_free(w->sha256);
	EVP_MD_CTX_free(w->sha1);
	EVP_MD_CTX_free(w->md5);
	free(w->chunk);
	free(w->buf);
	free(w->segs);
	exs_ranges_release(&w->windows);
	exs_findings_release(&w->findings);
	exs_folds_release(&w->folds);
	memset(w, 0, sizeof(*w));
}

static void hex(const unsigned char *md, size_t n, char *out);

/* The SHA-256 of a file read whole into w->buf, on its first finding. */
static void hash_later(struct exs_worker *w)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	w->cur.hash_later = false;
	if (EVP_Digest(w->buf, w->cur.head_len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return;
	w->stats.bytes_hashed += w->cur.head_len;
	w->cur.hashed = true;
	memcpy(w->cur.sha256_raw, md, 32);
	hex(md, 32, w->cur.sha256);
}

/* A finding with the file's common fields filled in. */
static struct exs_finding *new_finding(struct exs_worker *w, enum exs_finding_kind kind)
{
	struct exs_finding f;

	if (w->cur.hash_later && w->buf)
		hash_later(w);

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.path = strdup(w->cur.relpath);
	f.size = w->cur.size;
	f.mtime = w->cur.mtime;
	f.ctime = w->cur.ctime;
	memcpy(f.sha256, w->cur.sha256, sizeof(f.sha256));
	if (w->cur.filetype)
		f.filetype = strdup(w->cur.filetype);
	if (w->cur.img) {
		f.deleted = w->cur.img->deleted;
		f.ntfs_times = true;
		f.si_created = w->cur.img->si_created;
		f.si_modified = w->cur.img->si_modified;
		f.fn_created = w->cur.img->fn_created;
		f.fn_modified = w->cur.img->fn_modified;
		f.btime = w->cur.img->si_created;
	}
	if (!f.path || exs_findings_push(&w->findings, &f))
		return NULL;
	return &w->findings.items[w->findings.n - 1];
}

void exs_worker_error(struct exs_worker *w, const char *relpath, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	exs_findings_push_errorv(&w->findings, relpath, fmt, ap);
	va_end(ap);
	w->stats.errors++;
}

static char *meta_string(const YR_RULE *rule, const char *id)
{
	const YR_META *m;

	yr_rule_metas_foreach(rule, m)
	{
		if (strcmp(m->identifier, id) == 0 && m->type == META_TYPE_STRING)
			return strdup(m->string);
	}
	return NULL;
}

static int score_of_string(const char *s, int dflt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > 100)
		return dflt;
	return (int)v;
}

static int meta_int(const YR_RULE *rule, const char *id, int dflt)
{
	const YR_META *m;

	yr_rule_metas_foreach(rule, m)
	{
		if (strcmp(m->identifier, id) != 0)
			continue;
		if (m->type == META_TYPE_INTEGER)
			return (int)m->integer;
		if (m->type == META_TYPE_STRING)
			return score_of_string(m->string, dflt);
	}
	return dflt;
}

static enum exs_finding_kind kind_of(const YR_RULE *rule)
{
	char *k = meta_string(rule, "kind");
	enum exs_finding_kind kind = EXS_FINDING_WEBSHELL;

	if (k && strcmp(k, "artifact") == 0)
		kind = EXS_FINDING_ARTIFACT;
	else if (k && strcmp(k, "location") == 0)
		kind = EXS_FINDING_LOCATION;
	free(k);
	return kind;
}

static bool meta_true(const YR_RULE *rule, const char *id)
{
	const YR_META *m;

	yr_rule_metas_foreach(rule, m)
	{
		if (strcmp(m->identifier, id) == 0)
			return (m->type == META_TYPE_BOOLEAN || m->type == META_TYPE_INTEGER) &&
			       m->integer != 0;
	}
	return false;
}

/* On the normalised view: the built-in webshell rules, and user rules with
 * meta exscan_view = true; a rule that already matched the raw bytes is not
 * reported twice. */
static bool view_rule(struct exs_worker *w, const YR_RULE *rule)
{
	const char *ns = strrchr(rule->ns->name, '/');

	/* the built-in webshell rules: built in, or their installed copy */
	ns = ns ? ns + 1 : rule->ns->name;
	if (!(strcmp(ns, "webshells.yar") == 0 && strncmp(rule->identifier, "exs_", 4) == 0) &&
	    !meta_true(rule, "exscan_view"))
		return false;
	for (size_t i = w->view_first; i < w->findings.n; i++)
		if (w->findings.items[i].rule &&
		    strcmp(w->findings.items[i].rule, rule->identifier) == 0)
			return false;
	return true;
}

/* Records a match; formats and prints nothing. */
static int yara_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct exs_worker *w = user;
	const YR_RULE *rule = data;
	const YR_STRING *s;
	struct exs_finding *f;

	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	if (w->view && !view_rule(w, rule))
		return CALLBACK_CONTINUE;
	f = new_finding(w, kind_of(rule));
	if (!f)
		return CALLBACK_ERROR;
	f->rule = strdup(rule->identifier);
	f->family = meta_string(rule, "family");
	f->description = meta_string(rule, "description");
	if (w->view && f->description) {
		char *d = NULL;

		if (asprintf(&d, "%s (matched in the normalised server code)", f->description) >=
		    0) {
			free(f->description);
			f->description = d;
		}
	}
	f->reference = meta_string(rule, "reference");
	f->score = meta_int(rule, "score", 75);
	f->matches = calloc(MAX_MATCHES, sizeof(*f->matches));
	if (!f->matches)
		return CALLBACK_CONTINUE;
	yr_rule_strings_foreach(rule, s)
	{
		/* libyara allocates matches unaligned: copy each before reading it */
		const YR_MATCH *p = ctx->matches[s->idx].head;

		while (p && f->n_matches < MAX_MATCHES) {
			YR_MATCH m;
			struct exs_match *x;
			size_t n;

			memcpy(&m, p, sizeof(m));
			p = m.next;
			if (m.is_private)
				continue;
			n = (size_t)m.data_length < MATCH_BYTES ? (size_t)m.data_length
			                                        : MATCH_BYTES;
			x = &f->matches[f->n_matches];
			x->offset = (uint64_t)(m.base + m.offset);
			if (w->view)
				x->offset =
				        w->view_base + exs_view_orig(w->view, (size_t)x->offset);
			x->identifier = strdup(s->identifier);
			x->data = malloc(n + 1);
			if (x->data) {
				memcpy(x->data, m.data, n);
				x->data[n] = '\0';
				x->data_len = n;
			}
			f->n_matches++;
			break; /* the first match of each string is enough */
		}
	}
	return CALLBACK_CONTINUE;
}

/* YARA reads a file's bytes through this iterator, in blocks that overlap by
 * more than one match can span (YR_RE_SCAN_LIMIT back and forth), so no match
 * is lost at a block's edge and libyara drops the copies found twice.  Between
 * two blocks it checks the file's deadline: past it, the scan ends there and
 * the rules are judged on the strings found so far (libyara's own timeout,
 * set later as a backstop, would throw every match away). */
#define BLOCK_BYTES (1u << 20)
#define BLOCK_OVERLAP (8u << 10)

struct exs_scan_blocks {
	const struct exs_scan_segment *seg; /* ascending file offsets */
	size_t n_seg;
	uint64_t file_size; /* YARA's filesize */
	struct timespec deadline;
	YR_MEMORY_BLOCK block;
	size_t cur_seg, cur_off;
	uint64_t covered; /* end of the last block handed out */
	bool cut;         /* the deadline ended the scan */
	uint64_t cut_at;  /* file offset reached when it did */
};

static YR_MEMORY_BLOCK *blocks_at(struct exs_scan_blocks *b, size_t seg, size_t off)
{
	const struct exs_scan_segment *s = &b->seg[seg];
	size_t n = s->len - off < BLOCK_BYTES ? s->len - off : BLOCK_BYTES;

	b->cur_seg = seg;
	b->cur_off = off;
	b->block.base = s->base + off;
	b->block.size = n;
	b->block.context = (void *)(s->data + off);
	if (s->base + off + n > b->covered)
		b->covered = s->base + off + n;
	return &b->block;
}

static YR_MEMORY_BLOCK *blocks_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct exs_scan_blocks *b = it->context;

	it->last_error = ERROR_SUCCESS;
	return b->n_seg && b->seg[0].len ? blocks_at(b, 0, 0) : NULL;
}

static bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static YR_MEMORY_BLOCK *blocks_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct exs_scan_blocks *b = it->context;
	const struct exs_scan_segment *s = &b->seg[b->cur_seg];
	size_t end = b->cur_off + b->block.size, seg = b->cur_seg, off;

	it->last_error = ERROR_SUCCESS;
	if (end < s->len) {
		off = end - BLOCK_OVERLAP;
	} else {
		for (seg++; seg < b->n_seg && b->seg[seg].len == 0; seg++)
			;
		if (seg == b->n_seg)
			return NULL;
		off = 0;
	}
	if (past(&b->deadline)) {
		const struct exs_scan_segment *t = &b->seg[seg];
		uint64_t end_next =
		        t->base + off + (t->len - off < BLOCK_BYTES ? t->len - off : BLOCK_BYTES);

		/* the condition reads bytes (uint32(0)) through here too: only a
		 * block never handed out before is cut off */
		if (end_next > b->covered && !b->cut) {
			b->cut = true;
			b->cut_at = b->covered;
		}
		return NULL;
	}
	return blocks_at(b, seg, off);
}

static const uint8_t *blocks_fetch(YR_MEMORY_BLOCK *block)
{
	return block->context;
}

static uint64_t blocks_file_size(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return ((struct exs_scan_blocks *)it->context)->file_size;
}

/* What libyara's status means, for a user (static or in a static buffer). */
static const char *yara_error_text(int yr, int timeout)
{
	static _Thread_local char t[96];

	switch (yr) {
	case ERROR_SCAN_TIMEOUT:
		snprintf(t, sizeof(t), "timed out after %d s", timeout);
		return t;
	case ERROR_TOO_MANY_RE_FIBERS:
		return "a regular expression needs more than libyara's limit of parallel "
		       "matches on this file";
	case ERROR_TOO_MANY_MATCHES:
		return "a string matched more often than libyara's limit";
	case ERROR_EXEC_STACK_OVERFLOW:
		return "a rule's condition overflowed libyara's stack";
	case ERROR_INSUFFICIENT_MEMORY:
		return "out of memory";
	default:
		snprintf(t, sizeof(t), "libyara error %d", yr);
		return t;
	}
}

/* --timeout: seconds for each YARA pass over one file */
static int file_timeout(const struct exs_worker *w)
{
	return w->opts->timeout > 0 ? w->opts->timeout : EXS_WALK_DEFAULT_TIMEOUT;
}

static void deadline_in(struct timespec *t, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += seconds;
}

/* Scans the segments of b with scanner; b->cut tells whether the deadline
 * ended it early.  Returns libyara's status. */
static int scan_blocks(YR_SCANNER *scanner, struct exs_scan_blocks *b)
{
	YR_MEMORY_BLOCK_ITERATOR it;

	memset(&it, 0, sizeof(it));
	b->block.fetch_data = blocks_fetch;
	b->cut = false;
	b->covered = 0;
	b->cut_at = 0;
	it.context = b;
	it.first = blocks_first;
	it.next = blocks_next;
	it.file_size = blocks_file_size;
	it.last_error = ERROR_SUCCESS;
	return yr_scanner_scan_mem_blocks(scanner, &it);
}

static int push_segment(struct exs_worker *w, const uint8_t *p, size_t n, uint64_t base)
{
	if (w->n_segs == w->cap_segs) {
		size_t cap = w->cap_segs ? w->cap_segs * 2 : 16;
		struct exs_scan_segment *s = realloc(w->segs, cap * sizeof(*s));

		if (!s)
			return -1;
		w->segs = s;
		w->cap_segs = cap;
	}
	w->segs[w->n_segs++] = (struct exs_scan_segment){p, n, base};
	return 0;
}

/* What YARA reads of p[0..n) (at file offset base): the prefilter's windows
 * when the engine has one and they leave enough out, else all of it. */
static int add_segments(struct exs_worker *w, const uint8_t *p, size_t n, uint64_t base)
{
	const struct exs_prefilter *pf = w->engine->prefilter;

	if (n == 0)
		return 0;
	if (!pf || !exs_prefilter_windows(pf, p, n, &w->windows))
		return push_segment(w, p, n, base);
	for (size_t i = 0; i < w->windows.n; i++) {
		const struct exs_range *r = &w->windows.items[i];

		if (push_segment(w, p + r->start, r->end - r->start, base + r->start))
			return -1;
	}
	w->stats.bytes_prefiltered += n - exs_ranges_covered(&w->windows);
	return 0;
}

static const char *short_type(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "EXE";
	if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0)
		return "ZIP";
	if (n >= 4 && memcmp(p, "!BDN", 4) == 0)
		return "PST";
	if (n >= 6 && (memcmp(p, "GIF89a", 6) == 0 || memcmp(p, "GIF87a", 6) == 0))
		return "GIF";
	if (n >= 4 && memcmp(p, "\x89PNG", 4) == 0)
		return "PNG";
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "JPG";
	if (n >= 4 && memcmp(p, "MDMP", 4) == 0)
		return "MDMP";
	return "UNKNOWN";
}

static void set_externals(struct exs_worker *w, const struct exs_walk_item *it)
{
	/* Windows spelling, as rules written for Loki/THOR on Windows expect */
	struct exs_buf p;
	const char *name = it->relpath + it->name_off;
	const char *dot = strrchr(name, '.');
	char ext[32] = "";

	exs_buf_init(&p, 1 << 20);
	exs_buf_puts(&p, "C:\\");
	for (const char *c = it->relpath; *c; c++)
		exs_buf_putc(&p, *c == '/' ? '\\' : *c);
	if (dot && dot != name && strlen(dot) < sizeof(ext)) {
		size_t i;

		for (i = 0; dot[i]; i++)
			ext[i] = (char)(dot[i] >= 'A' && dot[i] <= 'Z' ? dot[i] + 32 : dot[i]);
		ext[i] = '\0';
	}
	if (w->owner_uid != it->st.st_uid || !w->owner_known) {
		struct passwd pw, *res = NULL;
		char pwbuf[1024];

		if (getpwuid_r(it->st.st_uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
			snprintf(w->owner, sizeof(w->owner), "%s", res->pw_name);
		else
			snprintf(w->owner, sizeof(w->owner), "%lu", (unsigned long)it->st.st_uid);
		w->owner_uid = it->st.st_uid;
		w->owner_known = true;
	}
	for (int i = 0; i < 2; i++) {
		YR_SCANNER *sc = i ? w->builtin_scanner : w->scanner;

		if (!sc)
			continue;
		/* a name the scanner's rules do not use is refused: harmless */
		yr_scanner_define_string_variable(sc, "filename", name);
		yr_scanner_define_string_variable(sc, "filepath", exs_buf_cstr(&p));
		yr_scanner_define_string_variable(sc, "extension", ext);
		yr_scanner_define_string_variable(sc, "filetype",
		                                  short_type(w->buf, w->cur.scan_len));
		yr_scanner_define_string_variable(sc, "owner", w->owner);
	}
	exs_buf_release(&p);
}

static int ensure_buf(struct exs_worker *w, size_t need)
{
	unsigned char *p;
	size_t cap;

	if (need <= w->buf_cap)
		return 0;
	cap = w->buf_cap ? w->buf_cap : CHUNK;
	while (cap < need)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p)
		return -1;
	w->buf = p;
	w->buf_cap = cap;
	return 0;
}

static void hex(const unsigned char *md, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void ioc_check(struct exs_worker *w, const struct exs_ioc_set *set, const unsigned char *md,
                      const char *algo)
{
	const struct exs_ioc *hit = exs_ioc_find(set, md);
	struct exs_finding *f;

	if (!hit)
		return;
	f = new_finding(w, EXS_FINDING_IOC);
	if (!f)
		return;
	f->score = 100;
	if (asprintf(&f->rule, "ioc-%s", algo) < 0)
		f->rule = NULL;
	f->description = strdup(hit->comment ? hit->comment : "hash listed in an --ioc file");
}

/* Files larger than this and than max_size are not hashed: reading a 16 GB
 * pagefile.sys through SHA-256 would dominate a scan for nothing. */
#define HASH_LIMIT (1ull << 30)

/* Server pages by name: a page this large is padded, and its tail is where
 * the code hides (a page by content, "<%" in its head, counts too). */
/* Whether name's extension (case-insensitive) is one of exts. */
static bool extension_in(const char *name, const char *const *exts, size_t n)
{
	const char *dot = strrchr(name, '.');

	if (!dot || dot == name)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return true;
	return false;
}

/* Whether p holds a server block: "<%" then a directive, an expression or
 * a space (@ = # : $), closed by "%>" within 4 KiB, or code right after it
 * (<%eval...) closed on the same line.  Prose and other languages write "<%"
 * too (POD's C<%s> ... C<%>, Perl's <%!>). */
static bool server_block(const unsigned char *p, size_t n, bool wide)
{
	const char *open = wide ? "<\0%\0" : "<%", *close = wide ? "%\0>\0" : "%>";
	size_t len = wide ? 4 : 2;
	const unsigned char *o = p, *end = p + n;

	for (int tries = 0; tries < 256 && o < end; tries++) {
		size_t rest;
		unsigned char c;

		o = memmem(o, (size_t)(end - o), open, len);
		if (!o)
			return false;
		o += len;
		if (o >= end)
			return false;
		c = *o;
		rest = (size_t)(end - o) < 4096 ? (size_t)(end - o) : 4096;
		if ((c | 32) >= 'a' && (c | 32) <= 'z') {
			/* <%eval(...)%>: code right after the mark closes on its line */
			const unsigned char *nl = memchr(o, '\n', rest);

			rest = nl ? (size_t)(nl - o) : rest;
		} else if (!c || !strchr("@=#:$ \t\r\n", c)) {
			continue;
		}
		if (memmem(o, rest, close, len))
			return true;
	}
	return false;
}

/* runat="server" (any case and quoting), not the word alone. */
static bool runat_server(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		if ((p[i] | 32) != 'r' || strncasecmp((const char *)p + i, "runat", 5) != 0)
			continue;
		for (size_t j = i + 5; j + 6 <= n && j < i + 24; j++)
			if ((p[j] | 32) == 's' &&
			    strncasecmp((const char *)p + j, "server", 6) == 0)
				return true;
	}
	return false;
}

/* Whether a line of p starts with w (after spaces or tabs). */
static bool line_starts(const unsigned char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (const unsigned char *q = p; (q = memmem(q, (size_t)(p + n - q), w, k)); q += k) {
		const unsigned char *b = q;

		while (b > p && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b == p || b[-1] == '\n')
			return true;
	}
	return false;
}

/* C# or VB source that uses ASP.NET: a line imports System (using System...;
 * Imports System...) and it names System.Web, HttpContext or IHttpHandler.  A
 * list of package descriptions or Java's HttpContext is not. */
static bool aspnet_code(const unsigned char *p, size_t n)
{
	return (line_starts(p, n, "using System") || line_starts(p, n, "Imports System")) &&
	       (memmem(p, n, "System.Web", 10) || memmem(p, n, "HttpContext", 11) ||
	        memmem(p, n, "IHttpHandler", 12));
}

/* Whether the first 64 KiB of p read as text: ASCII or UTF-8, or UTF-16
 * (zeros in one half of the offsets only), with hardly any other control
 * bytes.  Binaries (a database, a library, compressed data) are not. */
static bool looks_like_text(const unsigned char *p, size_t n)
{
	size_t m = n < (64u << 10) ? n : (64u << 10), ctrl = 0, nul[2] = {0, 0};

	for (size_t i = 0; i < m; i++) {
		unsigned char c = p[i];

		if (c == 0)
			nul[i & 1]++;
		else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ||
		         c == 0x7f)
			ctrl++;
	}
	if (ctrl * 100 > m)
		return false;
	if (nul[0] + nul[1] == 0)
		return true;
	return (nul[1] * 4 > m && nul[0] * 100 <= m) || (nul[0] * 4 > m && nul[1] * 100 <= m);
}

static bool server_page_name(const char *name)
{
	static const char *const exts[] = {"aspx",   "ashx",   "asmx", "ascx", "asax",
	                                   "master", "config", "cs",   "vb",   "svc"};

	return extension_in(name, exts, sizeof(exts) / sizeof(exts[0]));
}

/* Reads the file: the first max_size bytes into w->buf (what YARA sees), all
 * of it through the hashes.  A file that fits in w->buf is hashed only when
 * it has a finding or an --ioc list asks (hash_later(); SHA-256 of every file
 * cost 7% of a walk for a hash nobody reads).  A server page larger than max_size keeps its
 * head and its last max_size / 2 bytes instead (w->cur.tail_len, at file
 * offset w->cur.tail_base in the file, after the head in w->buf).  Returns
 * 0, or -1 after recording an error. */
static int read_file(struct exs_worker *w, struct exs_walk_item *it, bool want_md5_sha1)
{
	uint64_t total = 0, size = (uint64_t)it->st.st_size, want = size;
	uint64_t head = w->max_size, tail_from = UINT64_MAX;
	unsigned char md[EVP_MAX_MD_SIZE];
	bool hash = true, decide = false;

	w->cur.scan_len = 0;
	w->cur.tail_len = 0;
	w->cur.hashed = false;
	w->cur.hash_later = false;
	if (size <= w->max_size && !want_md5_sha1 && !w->engine->sha256.n) {
		hash = false;
		w->cur.hash_later = true;
	}
	if (size > w->max_size && w->max_size >= 2) {
		/* a page's tail is kept: whether it is a page is known after the head */
		head = w->max_size - w->max_size / 2;
		decide = true;
	}
	if (size > HASH_LIMIT && size > w->max_size) {
		hash = false;
		want = w->max_size;
		want_md5_sha1 = false;
	}
	if (hash)
		EVP_DigestInit_ex(w->sha256, EVP_sha256(), NULL);
	if (want_md5_sha1) {
		EVP_DigestInit_ex(w->sha1, EVP_sha1(), NULL);
		EVP_DigestInit_ex(w->md5, EVP_md5(), NULL);
	}
	if (ensure_buf(w, (size_t)(size < w->max_size ? size : w->max_size) + 1)) {
		exs_worker_error(w, it->relpath, "out of memory reading %llu bytes",
		                 (unsigned long long)want);
		return -1;
	}
	/* never past the size seen at open: a growing file is read as it was */
	while (total < want) {
		unsigned char *dst;
		size_t room;
		ssize_t n;

		if (total < head) {
			dst = w->buf + total;
			room = (size_t)(head - total);
		} else if (total >= tail_from) {
			dst = w->buf + head + (total - tail_from);
			room = (size_t)(want - total);
		} else if (!hash) {
			/* not hashed (so larger than max_size): straight to the tail */
			if (lseek(it->fd, (off_t)tail_from, SEEK_SET) < 0) {
				exs_worker_error(w, it->relpath, "cannot seek: %s",
				                 strerror(errno));
				return -1;
			}
			total = tail_from;
			continue;
		} else {
			dst = w->chunk;
			room = (size_t)(tail_from - total < CHUNK ? tail_from - total : CHUNK);
		}
		if (room > CHUNK)
			room = CHUNK;
		if (room > want - total)
			room = (size_t)(want - total);
		n = read(it->fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			exs_worker_error(w, it->relpath, "cannot read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break; /* shrank while read */
		if (hash)
			EVP_DigestUpdate(w->sha256, dst, (size_t)n);
		if (want_md5_sha1) {
			EVP_DigestUpdate(w->sha1, dst, (size_t)n);
			EVP_DigestUpdate(w->md5, dst, (size_t)n);
		}
		total += (uint64_t)n;
		if (decide && total == head) {
			decide = false;
			if (server_page_name(it->relpath + it->name_off) ||
			    (looks_like_text(w->buf, (size_t)head) &&
			     (memmem(w->buf, (size_t)head, "<%", 2) ||
			      memmem(w->buf, (size_t)head, "<\0%\0", 4)))) {
				tail_from = size - w->max_size / 2;
				want = size;
			} else {
				head = w->max_size;
			}
		}
	}
	if (tail_from != UINT64_MAX && total > tail_from) {
		w->cur.tail_base = tail_from;
		w->cur.tail_len = (size_t)(total - tail_from);
	}
	w->cur.head_len = (size_t)(total < head ? total : head);
	w->cur.scan_len = w->cur.head_len + w->cur.tail_len;
	if (hash) {
		EVP_DigestFinal_ex(w->sha256, md, NULL);
		w->stats.bytes_hashed += total;
		w->cur.hashed = true;
		memcpy(w->cur.sha256_raw, md, 32);
		hex(md, 32, w->cur.sha256);
	}
	if (want_md5_sha1) {
		EVP_DigestFinal_ex(w->sha1, w->cur.sha1_raw, NULL);
		EVP_DigestFinal_ex(w->md5, w->cur.md5_raw, NULL);
	}
	if (total != want)
		w->cur.changed = true;
	if (size > w->max_size)
		w->stats.truncated++;
	return 0;
}

/* A page by its name: the web server runs it. */
static bool page_by_name(const struct exs_walk_item *it)
{
	static const char *const exts[] = {"aspx", "ashx",   "asmx", "ascx", "asax",  "master",
	                                   "svc",  "cshtml", "asp",  "soap", "config"};

	return extension_in(it->relpath + it->name_off, exts, sizeof(exts) / sizeof(exts[0]));
}

/* Files worth a normalised view: server pages and code, by name or content
 * (not binaries, not files larger than the view's budget). */
#define VIEW_MAX (4u << 20)

static bool view_candidate(const struct exs_worker *w, const struct exs_walk_item *it)
{
	/* code by name, besides the pages (page_by_name); not .js (client code)
	 * nor .txt (sniffed below) */
	static const char *const exts[] = {"cs", "vb", "xsl", "xslt", "vbhtml"};
	static const char *const statics[] = {"js",  "css", "htm",  "html", "json", "xml",
	                                      "svg", "map", "resx", "less", "woff", "ttf",
	                                      "log", "etl", "evtx", "csv",  "blg",  "mui"};
	const char *name = it->relpath + it->name_off;
	const unsigned char *p = w->buf;
	size_t n = w->cur.scan_len;
	const char *type = short_type(p, n);

	if (!p || n == 0)
		return false;
	/* the web server runs a page by its name, whatever its first bytes (an
	 * image or MZ header is a known way to dress one up) */
	if (page_by_name(it))
		return true;
	/* archives and executables are not pages */
	if (strcmp(type, "UNKNOWN") != 0 && strcmp(type, "GIF") != 0 && strcmp(type, "PNG") != 0 &&
	    strcmp(type, "JPG") != 0)
		return false;
	if (extension_in(name, exts, sizeof(exts) / sizeof(exts[0])))
		return true;
	/* static web files are served, not run: their raw bytes go through the
	 * rules all the same, but sniffing each for code costs the default walk */
	if (extension_in(name, statics, sizeof(statics) / sizeof(statics[0])))
		return false;
	/* other names (.txt, none): text with server markup, or code that uses
	 * ASP.NET (a binary holds "<%" every 64 KiB by chance) */
	if (!looks_like_text(p, n))
		return false;
	return server_block(p, n, false) || server_block(p, n, true) || runat_server(p, n) ||
	       aspnet_code(p, n);
}

/* A webshell finding for the page's capabilities, with the sink (and the
 * request data reaching it) as evidence at their original offsets. */
static unsigned long long where(const unsigned char *p, size_t n, uint64_t base, uint64_t off)
{
	return base ? (unsigned long long)(base + off) : (unsigned long long)exs_line_of(p, n, off);
}

/* A capability finding on the view of the bytes p[0..n), at file offset base:
 * lines are counted from the file's start, so a page's tail (read after a cut)
 * gives offsets instead. */
static void capability_finding(struct exs_worker *w, const struct exs_capability *cap,
                               const unsigned char *p, size_t n, uint64_t base)
{
	const struct exs_capability_hit *h = &cap->hits[cap->top];
	const char *at = base ? "offset" : "line";
	struct exs_finding *f = new_finding(w, EXS_FINDING_WEBSHELL);
	uint64_t offs[2] = {h->sink_off, h->source_off};
	const char *ids[2] = {"sink", "source"};

	if (!f)
		return;
	f->rule = strdup(exs_sink_class_rule(cap->top));
	if (asprintf(&f->family, "capability: %s", exs_sink_class_name(cap->top)) < 0)
		f->family = NULL;
	if (h->flow) {
		if (asprintf(&f->description,
		             "request data (%s, %s %llu) reaches %s (%s, %s %llu); the page "
		             "can: %s",
		             h->source, at, where(p, n, base, h->source_off),
		             exs_sink_class_name(cap->top), h->sink, at,
		             where(p, n, base, h->sink_off), cap->summary ? cap->summary : "") < 0)
			f->description = NULL;
	} else if (asprintf(&f->description, "%s (%s, %s %llu); the page can: %s",
	                    exs_sink_class_name(cap->top), h->sink, at,
	                    where(p, n, base, h->sink_off), cap->summary ? cap->summary : "") < 0) {
		f->description = NULL;
	}
	f->reference = strdup("capability model: request data reaching a sink (docs/detection.md)");
	f->score = cap->score;
	f->matches = calloc(2, sizeof(*f->matches));
	for (size_t k = 0; f->matches && k < (h->flow ? 2u : 1u); k++) {
		struct exs_match *x = &f->matches[f->n_matches];
		size_t o = offs[k] < n ? (size_t)offs[k] : 0, e = o;

		while (e < n && e - o < MATCH_BYTES && p[e] != '\n' && p[e] != '\r')
			e++;
		x->offset = base + o;
		x->identifier = strdup(ids[k]);
		x->data = malloc(e - o + 1);
		if (x->data) {
			memcpy(x->data, p + o, e - o);
			x->data[e - o] = '\0';
			x->data_len = e - o;
		}
		f->n_matches++;
	}
}

/* Whether request data reaches some sink (not only sinks present). */
static bool any_flow(const struct exs_capability *cap)
{
	for (size_t i = 0; i < EXS_SINK_COUNT; i++)
		if (cap->hits[i].score && cap->hits[i].flow)
			return true;
	return false;
}

/* Code that faces the web: it handles requests, is a page or a handler, or
 * registers one.  A C# file that starts processes or hosts PowerShell and
 * does none of this (a tool, an installer, Ansible's module utils) has
 * capabilities, not a web shell's. */
static bool web_facing(const unsigned char *p, size_t n)
{
	static const char *const marks[] = {
	        "HttpContext", "IHttpHandler", "IHttpModule", "HttpApplication", "HttpRequest",
	        "Request.",    "Request[",     "Request(",    "Page_Load",       "System.Web.UI",
	        "WebMethod",   "<%",           "runat",       "VirtualPath",     "RouteTable",
	        "request.",    "request(",     "request[",
	};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(p, n, marks[i], strlen(marks[i])))
			return true;
	return false;
}

/* The second look at the bytes p[0..n) (file offset base): YARA on their
 * normalised view, then the capability model. */
static void scan_view_of(struct exs_worker *w, struct exs_walk_item *it, size_t first,
                         const unsigned char *p, size_t n, uint64_t base)
{
	struct exs_view v;
	struct exs_capability cap;
	int yr;

	if (exs_view_build(&v, p, n, VIEW_MAX)) {
		exs_worker_error(w, it->relpath, "out of memory normalising its server code");
		return;
	}
	if (v.truncated)
		exs_worker_error(w, it->relpath,
		                 "its server code normalises to more than %u MiB (padding?): the "
		                 "second look judged the first %u MiB only; read the page",
		                 VIEW_MAX >> 20, VIEW_MAX >> 20);
	if (v.n_blocks && v.len) {
		struct exs_scan_blocks b;

		struct exs_scan_segment whole = {(const uint8_t *)v.text, v.len, 0};

		memset(&b, 0, sizeof(b));
		b.seg = &whole;
		b.n_seg = 1;
		b.file_size = v.len;
		deadline_in(&b.deadline, file_timeout(w));
		w->view = &v;
		w->view_base = base;
		w->view_first = first;
		/* findings of the raw bytes are in the list already: whatever
		 * happens here cannot take them back */
		yr = scan_blocks(w->scanner, &b);
		if (yr != ERROR_SUCCESS && w->builtin_scanner) {
			/* as for the raw bytes: a --rules rule cannot cost the
			 * built-in rules their look at the view */
			deadline_in(&b.deadline, file_timeout(w));
			yr = scan_blocks(w->builtin_scanner, &b);
		}
		if (yr != ERROR_SUCCESS || b.cut)
			w->view_cut = true;
		w->view = NULL;
		/* the capability model is built-in detection: --no-builtin-rules drops it */
		if (!w->opts->no_builtin_rules && exs_capability_scan(&v, &cap) == 0) {
			if (cap.score >= EXS_CAPABILITY_REPORT &&
			    (any_flow(&cap) || page_by_name(it) || web_facing(p, n)))
				capability_finding(w, &cap, p, n, base);
			exs_capability_release(&cap);
		}
	}
	exs_view_release(&v);
}

/* The view is made of the whole page read (comments and markup drop out, so
 * padding does not push code past VIEW_MAX of view); a page cut at
 * --max-size gets a second view of its tail. */
static void scan_view(struct exs_worker *w, struct exs_walk_item *it, size_t first)
{
	size_t head = w->cur.head_len, tail = w->cur.tail_len;

	if (!view_candidate(w, it))
		return;
	scan_view_of(w, it, first, w->buf, head, 0);
	if (tail)
		scan_view_of(w, it, first, w->buf + head, tail, w->cur.tail_base);
}

/* A server page larger than --max-size: real pages are small, padding is how
 * code is pushed out of a scanner's reach.  Its head and tail were scanned,
 * not its middle: the host is incomplete (stats.pages_cut). */
static void cut_page_finding(struct exs_worker *w)
{
	struct exs_finding *f = new_finding(w, EXS_FINDING_WEBSHELL);

	w->stats.pages_cut++;
	if (!f)
		return;
	f->score = 65;
	f->rule = strdup("oversized-server-page");
	f->family = strdup("padded page");
	if (asprintf(&f->description,
	             "server page of %llu bytes, larger than --max-size: only its first %zu and "
	             "last %zu bytes were scanned (real pages are small; padding hides code "
	             "from scanners): read it, or scan again with a larger --max-size",
	             (unsigned long long)w->cur.size, w->cur.head_len, w->cur.tail_len) < 0)
		f->description = NULL;
	f->reference = strdup("issue 12: padding past --max-size (docs/report.md)");
}

/* Drops (after counting them) the file's findings whose folder already has
 * EXS_WALK_SAME_RULE_LIMIT of the same rule: memory stays bounded however
 * many decoys match. */
static void fold_findings(struct exs_worker *w, size_t first)
{
	size_t k = first;

	for (size_t i = first; i < w->findings.n; i++) {
		struct exs_finding *f = &w->findings.items[i];

		if (f->kind != EXS_FINDING_ERROR && f->rule && exs_folds_note(&w->folds, f)) {
			exs_finding_release(f);
			continue;
		}
		if (k != i)
			w->findings.items[k] = *f;
		k++;
	}
	w->findings.n = k;
}

void exs_worker_scan(struct exs_worker *w, struct exs_walk_item *it,
                     const struct exs_walk_layout *l)
{
	const struct exs_walk_engine *e = w->engine;
	bool want_md5_sha1 = e->md5.n || e->sha1.n;
	struct stat after;
	const char *why = NULL;
	struct exs_scan_blocks b;
	size_t first;
	int loc, yr;

	memset(&w->cur, 0, sizeof(w->cur));
	w->cur.relpath = it->relpath;
	if (fstat(it->fd, &it->st) != 0) {
		exs_worker_error(w, it->relpath, "cannot stat: %s", strerror(errno));
		return;
	}
	if (!S_ISREG(it->st.st_mode)) {
		/* swapped for something else after it was listed */
		w->stats.skipped[EXS_SKIP_SPECIAL]++;
		return;
	}
	w->cur.size = (uint64_t)it->st.st_size;
	w->cur.mtime = (int64_t)it->st.st_mtime;
	w->cur.ctime = (int64_t)it->st.st_ctime;
	if (read_file(w, it, want_md5_sha1))
		return;
	if (it->img) { /* the memfd's size and time are not the file's */
		w->cur.img = it->img;
		w->cur.size = it->img->size;
		w->cur.mtime = it->img->mtime;
		w->cur.ctime = it->img->ctime;
	}
	w->buf[w->cur.scan_len] = '\0';
	if (fstat(it->fd, &after) == 0 &&
	    (after.st_size != it->st.st_size || after.st_mtim.tv_sec != it->st.st_mtim.tv_sec ||
	     after.st_mtim.tv_nsec != it->st.st_mtim.tv_nsec))
		w->cur.changed = true;
	if (w->cur.changed)
		w->stats.changed++;
	first = w->findings.n;
	loc = exs_walk_location_score(l, it->relpath, &why);
	if (loc) {
		struct exs_finding *f = new_finding(w, EXS_FINDING_LOCATION);

		if (f) {
			f->score = loc;
			f->rule = strdup("unexpected-page-location");
			f->description = strdup(why);
		}
	}
	if (w->cur.tail_len)
		cut_page_finding(w);
	if (e->sha256.n && w->cur.hashed)
		ioc_check(w, &e->sha256, w->cur.sha256_raw, "sha256");
	if (e->sha1.n && w->cur.hashed)
		ioc_check(w, &e->sha1, w->cur.sha1_raw, "sha1");
	if (e->md5.n && w->cur.hashed)
		ioc_check(w, &e->md5, w->cur.md5_raw, "md5");
	if (w->cur.scan_len == 0) {
		w->stats.skipped[EXS_SKIP_EMPTY]++;
		goto out;
	}
	set_externals(w, it);
	yr_scanner_set_callback(w->scanner, yara_cb, w);
	if (w->builtin_scanner)
		yr_scanner_set_callback(w->builtin_scanner, yara_cb, w);
	memset(&b, 0, sizeof(b));
	w->n_segs = 0;
	if (add_segments(w, w->buf, w->cur.head_len, 0) ||
	    add_segments(w, w->buf + w->cur.head_len, w->cur.tail_len, w->cur.tail_base)) {
		exs_worker_error(w, it->relpath, "out of memory listing the parts to scan");
		goto out;
	}
	b.seg = w->segs;
	b.n_seg = w->n_segs;
	/* a page cut in two is as large as it is, for `filesize` */
	b.file_size = w->cur.tail_len ? w->cur.size : w->cur.scan_len;
	deadline_in(&b.deadline, file_timeout(w));
	w->view_cut = false;
	yr = scan_blocks(w->scanner, &b);
	w->stats.files_scanned++;
	w->stats.bytes_scanned += w->cur.scan_len;
	if (yr != ERROR_SUCCESS && w->builtin_scanner) {
		/* a --rules rule made YARA give up, and libyara then reports no
		 * match at all: the built-in rules look at the file again alone */
		int combined = yr;

		w->stats.timeouts += combined == ERROR_SCAN_TIMEOUT;
		deadline_in(&b.deadline, file_timeout(w));
		yr = scan_blocks(w->builtin_scanner, &b);
		exs_worker_error(w, it->relpath,
		                 "YARA could not finish it with the --rules rules (%s%s%s); the "
		                 "built-in rules were run on it alone%s; fix the rule or raise "
		                 "--timeout",
		                 yara_error_text(combined, file_timeout(w)),
		                 e->slow_rules ? "; rules YARA finds slow: " : "",
		                 e->slow_rules ? e->slow_rules : "",
		                 yr == ERROR_SUCCESS && !b.cut ? "" : " and did not finish either");
		if (yr == ERROR_SUCCESS && b.cut)
			yr = ERROR_SCAN_TIMEOUT; /* counted and reported once, above */
	} else if (yr == ERROR_SUCCESS && b.cut) {
		w->stats.timeouts++;
		exs_worker_error(
		        w, it->relpath,
		        "YARA stopped after %d s at offset %llu of %llu%s%s (what it found "
		        "before is reported); raise --timeout or lower --max-size",
		        file_timeout(w), (unsigned long long)b.cut_at,
		        (unsigned long long)(w->cur.tail_len ? w->cur.size : w->cur.scan_len),
		        e->slow_rules ? ", in rules YARA finds slow: " : "",
		        e->slow_rules ? e->slow_rules : "");
	} else if (yr == ERROR_SCAN_TIMEOUT) {
		w->stats.timeouts++;
		exs_worker_error(w, it->relpath,
		                 "YARA timed out after %d s%s%s%s; raise --timeout, lower "
		                 "--max-size or fix the rule",
		                 file_timeout(w),
		                 e->slow_rules ? " (in rules YARA finds slow: " : "",
		                 e->slow_rules ? e->slow_rules : "", e->slow_rules ? ")" : "");
	} else if (yr != ERROR_SUCCESS) {
		exs_worker_error(w, it->relpath, "YARA could not scan it (%s)",
		                 yara_error_text(yr, file_timeout(w)));
	}
	/* the second look runs whatever the first gave: a slow raw scan must
	 * not cost the page its view and capability model */
	if (yr == ERROR_SUCCESS || yr == ERROR_SCAN_TIMEOUT)
		scan_view(w, it, first);
	if (w->view_cut) {
		if (!b.cut && yr != ERROR_SCAN_TIMEOUT)
			w->stats.timeouts++;
		exs_worker_error(w, it->relpath,
		                 "YARA stopped on its normalised server code after %d s (what it "
		                 "found before is reported); raise --timeout",
		                 file_timeout(w));
	}
out:
	/* a decoy beyond the per-folder limit keeps no finding of its own */
	fold_findings(w, first);
	/* libmagic costs more than YARA on small text files (70% of a walk of
	 * decoys): its description is only worked out for the findings listed
	 * (the filetype external comes from the header check in short_type()) */
	if (w->findings.n > first && w->cur.scan_len) {
		const char *t =
		        magic_buffer(w->magic, w->buf,
		                     w->cur.scan_len < MAGIC_BYTES ? w->cur.scan_len : MAGIC_BYTES);

		for (size_t i = first; t && i < w->findings.n; i++)
			if (!w->findings.items[i].filetype)
				w->findings.items[i].filetype = strdup(t);
	}
}

/* ---- findings folded per folder and rule ---- */

static uint64_t fold_hash(const char *dir, size_t dir_len, const char *rule)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < dir_len; i++)
		h = (h ^ (unsigned char)dir[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = rule; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static struct exs_fold *fold_find(struct exs_folds *t, const char *dir, size_t dir_len,
                                  const char *rule, bool *fresh)
{
	size_t mask, i;

	if (t->n * 2 >= t->cap) {
		struct exs_folds g = {.cap = t->cap ? t->cap * 2 : 64};

		g.slots = calloc(g.cap, sizeof(*g.slots));
		if (!g.slots)
			return NULL;
		for (size_t j = 0; j < t->cap; j++) {
			struct exs_fold *o = &t->slots[j];

			if (!o->dir)
				continue;
			i = fold_hash(o->dir, strlen(o->dir), o->rule) & (g.cap - 1);
			while (g.slots[i].dir)
				i = (i + 1) & (g.cap - 1);
			g.slots[i] = *o;
		}
		free(t->slots);
		t->slots = g.slots;
		t->cap = g.cap;
	}
	mask = t->cap - 1;
	for (i = fold_hash(dir, dir_len, rule) & mask; t->slots[i].dir; i = (i + 1) & mask) {
		struct exs_fold *o = &t->slots[i];

		if (strlen(o->dir) == dir_len && memcmp(o->dir, dir, dir_len) == 0 &&
		    strcmp(o->rule, rule) == 0) {
			*fresh = false;
			return o;
		}
	}
	t->slots[i].dir = strndup(dir, dir_len);
	t->slots[i].rule = strdup(rule);
	if (!t->slots[i].dir || !t->slots[i].rule) {
		free(t->slots[i].dir);
		free(t->slots[i].rule);
		memset(&t->slots[i], 0, sizeof(t->slots[i]));
		return NULL;
	}
	t->n++;
	*fresh = true;
	return &t->slots[i];
}

bool exs_folds_note(struct exs_folds *t, const struct exs_finding *f)
{
	const char *slash = f->path ? strrchr(f->path, '/') : NULL;
	size_t dir_len = slash ? (size_t)(slash - f->path) : 0;
	bool fresh = false;
	struct exs_fold *o = fold_find(t, f->path ? f->path : "", dir_len, f->rule, &fresh);

	if (!o)
		return false; /* out of memory: keep it listed */
	if (fresh)
		o->kind = f->kind;
	if (o->kept < EXS_WALK_SAME_RULE_LIMIT) {
		o->kept++;
		return false;
	}
	if (!o->family && f->family)
		o->family = strdup(f->family);
	o->more++;
	o->bytes += f->size;
	if (f->score > o->best)
		o->best = f->score;
	return true;
}

int exs_folds_merge(struct exs_folds *a, struct exs_folds *b)
{
	for (size_t j = 0; j < b->cap; j++) {
		struct exs_fold *s = &b->slots[j], *o;
		bool fresh = false;

		if (!s->dir)
			continue;
		o = fold_find(a, s->dir, strlen(s->dir), s->rule, &fresh);
		if (!o)
			return -1;
		if (fresh)
			o->kind = s->kind;
		o->kept += s->kept;
		o->more += s->more;
		o->bytes += s->bytes;
		if (s->best > o->best)
			o->best = s->best;
		if (!o->family && s->family) {
			o->family = s->family;
			s->family = NULL;
		}
	}
	exs_folds_release(b);
	return 0;
}

void exs_folds_emit(const struct exs_folds *t, struct exs_findings *out)
{
	for (size_t j = 0; j < t->cap; j++) {
		const struct exs_fold *o = &t->slots[j];
		struct exs_finding f;

		if (!o->dir || !o->more)
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = o->kind;
		f.path = strdup(*o->dir ? o->dir : ".");
		f.rule = strdup(o->rule);
		f.family = o->family ? strdup(o->family) : NULL;
		f.score = o->best;
		f.count = o->more;
		f.size = o->bytes;
		if (asprintf(&f.description,
		             "%llu more files in this folder matched %s (the first %llu are listed "
		             "one by one; the rest only counted, to keep memory bounded)",
		             (unsigned long long)o->more, o->rule, (unsigned long long)o->kept) < 0)
			f.description = NULL;
		exs_findings_push(out, &f);
	}
}

void exs_folds_release(struct exs_folds *t)
{
	for (size_t j = 0; j < t->cap; j++) {
		free(t->slots[j].dir);
		free(t->slots[j].rule);
		free(t->slots[j].family);
	}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
