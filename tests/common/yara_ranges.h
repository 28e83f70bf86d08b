/* For the tests of the walk's prefilter (tests/unit/test_prefilter.c,
 * tests/fuzz/fuzz_walk_prefilter.c): YARA over given ranges of a buffer, and
 * what matched as one comparable text: each rule, and where each of its
 * strings first matched.  Header-only, static: each test has its own copy.
 * The text is the caller's (struct ranges_result). */
#ifndef EXSCAN_TESTS_YARA_RANGES_H
#define EXSCAN_TESTS_YARA_RANGES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yara.h>

#include "walk/prefilter.h"

struct ranges_iter {
	const uint8_t *p;
	size_t n;
	const struct exs_range *r;
	size_t nr, i;
	YR_MEMORY_BLOCK b;
};

struct ranges_result {
	char text[8192];
	size_t len;
};

static const uint8_t *ranges_fetch(YR_MEMORY_BLOCK *b)
{
	return b->context;
}

static YR_MEMORY_BLOCK *ranges_at(struct ranges_iter *x)
{
	if (x->i >= x->nr)
		return NULL;
	x->b.base = x->r[x->i].start;
	x->b.size = x->r[x->i].end - x->r[x->i].start;
	x->b.context = (void *)(x->p + x->r[x->i].start);
	x->i++;
	return &x->b;
}

static YR_MEMORY_BLOCK *ranges_first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct ranges_iter *x = it->context;

	x->i = 0;
	return ranges_at(x);
}

static YR_MEMORY_BLOCK *ranges_next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return ranges_at(it->context);
}

static uint64_t ranges_size(YR_MEMORY_BLOCK_ITERATOR *it)
{
	return ((struct ranges_iter *)it->context)->n;
}

static int ranges_on_match(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct ranges_result *r = user;
	const YR_RULE *rule = data;
	const YR_STRING *s;

	if (msg != CALLBACK_MSG_RULE_MATCHING || r->len >= sizeof(r->text) - 128)
		return CALLBACK_CONTINUE;
	r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s[",
	                           rule->identifier);
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
	r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "] ");
	return CALLBACK_CONTINUE;
}

/* Scans p[0..n) through the ranges r[0..nr) (all of it when r is NULL) with
 * scanner; returns libyara's status. */
static int ranges_scan(YR_SCANNER *scanner, const uint8_t *p, size_t n, const struct exs_range *r,
                       size_t nr, struct ranges_result *out)
{
	YR_MEMORY_BLOCK_ITERATOR it;
	struct exs_range whole = {0, n};
	struct ranges_iter x = {.p = p, .n = n, .r = r ? r : &whole, .nr = r ? nr : 1};

	memset(out, 0, sizeof(*out));
	memset(&it, 0, sizeof(it));
	x.b.fetch_data = ranges_fetch;
	it.context = &x;
	it.first = ranges_first;
	it.next = ranges_next;
	it.file_size = ranges_size;
	yr_scanner_set_callback(scanner, ranges_on_match, out);
	return yr_scanner_scan_mem_blocks(scanner, &it);
}

#endif
