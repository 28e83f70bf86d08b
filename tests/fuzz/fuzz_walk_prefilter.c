/* libFuzzer target: the walk's prefilter against YARA itself.  The input is
 * written into a random binary (its first bytes choose the size and where)
 * and the built-in rules are run over the whole buffer and over the
 * prefilter's windows; any difference in the rules that match, or in where
 * their strings first match, aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk/prefilter.h"
#include "walk/walk_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct exs_walk_engine *engine;
static struct exs_walk_options opts;
static YR_SCANNER *scanner;
static struct exs_ranges windows;
static uint8_t *buf;

#define MAX_N (EXS_PREFILTER_MIN_SIZE + (256u << 10))

struct iter {
	const uint8_t *p;
	size_t n;
	const struct exs_range *r;
	size_t nr, i;
	YR_MEMORY_BLOCK b;
};

static const uint8_t *fetch(YR_MEMORY_BLOCK *b)
{
	return b->context;
}

static YR_MEMORY_BLOCK *at(struct iter *x)
{
	if (x->i >= x->nr)
		return NULL;
	x->b.base = x->r[x->i].start;
	x->b.size = x->r[x->i].end - x->r[x->i].start;
	x->b.context = (void *)(x->p + x->r[x->i].start);
	x->i++;
	return &x->b;
}

static YR_MEMORY_BLOCK *first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct iter *x = it->context;

	x->i = 0;
	return at(x);
}

static YR_MEMORY_BLOCK *next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return at(it->context);
}

static uint64_t size_of(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return ((struct iter *)it->context)->n;
}

struct result {
	char text[4096];
	size_t len;
};

static int on_match(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct result *r = user;
	const YR_RULE *rule = data;
	const YR_STRING *s;

	if (msg != CALLBACK_MSG_RULE_MATCHING || r->len >= sizeof(r->text) - 128)
		return CALLBACK_CONTINUE;
	r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len,
	                           "%s:", rule->identifier);
	yr_rule_strings_foreach(rule, s)
	{
		const YR_MATCH *m = ctx->matches[s->idx].head;
		YR_MATCH c;

		if (!m || r->len >= sizeof(r->text) - 64)
			continue;
		memcpy(&c, m, sizeof(c)); /* libyara's matches are unaligned */
		r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s@%lld ",
		                           s->identifier, (long long)(c.base + c.offset));
	}
	return CALLBACK_CONTINUE;
}

static int scan(const uint8_t *p, size_t n, const struct exs_range *r, size_t nr,
                struct result *out)
{
	YR_MEMORY_BLOCK_ITERATOR it;
	struct iter x = {.p = p, .n = n, .r = r, .nr = nr};

	memset(out, 0, sizeof(*out));
	memset(&it, 0, sizeof(it));
	x.b.fetch_data = fetch;
	it.context = &x;
	it.first = first;
	it.next = next;
	it.file_size = size_of;
	yr_scanner_set_callback(scanner, on_match, out);
	return yr_scanner_scan_mem_blocks(scanner, &it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_error err = {{0}};
	struct exs_range whole;
	struct result a, b;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t n, at;

	if (!engine) {
		setenv("XDG_CACHE_HOME", "/tmp/exscan-fuzz-cache", 1);
		engine = exs_walk_engine_new(&opts, &err);
		buf = malloc(MAX_N);
		if (!engine || !engine->prefilter || !buf ||
		    yr_scanner_create(engine->rules, &scanner) != ERROR_SUCCESS)
			abort();
		yr_scanner_set_flags(scanner, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
	}
	if (size < 6)
		return 0;
	n = EXS_PREFILTER_MIN_SIZE + ((size_t)data[0] << 8 | data[1]) * 4;
	at = ((size_t)data[2] << 16 | (size_t)data[3] << 8 | data[4]) % n;
	data += 5;
	size -= 5;
	if (size > n)
		size = n;
	if (at > n - size)
		at = n - size;
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (uint8_t)(seed >> 24);
	}
	memcpy(buf + at, data, size);
	whole = (struct exs_range){0, n};
	if (scan(buf, n, &whole, 1, &a) != ERROR_SUCCESS)
		return 0; /* libyara gave up (too many matches): nothing to compare */
	if (!exs_prefilter_windows(engine->prefilter, buf, n, &windows))
		return 0;
	if (scan(buf, n, windows.items, windows.n, &b) != ERROR_SUCCESS ||
	    strcmp(a.text, b.text) != 0) {
		fprintf(stderr, "whole: %s\nwindows: %s\n", a.text, b.text);
		abort();
	}
	return 0;
}
