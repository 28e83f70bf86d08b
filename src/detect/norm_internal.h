/* Internals of the normaliser shared by its two files (not a public API):
 * normalize_lex.c cuts a page into server-code regions and tokens,
 * normalize.c rewrites the tokens and prints the view.
 *
 * Ownership: struct norm owns its token array, arena and decoded buffers
 * while exs_view_build() runs; it fills the caller's struct exs_view. */
#ifndef EXSCAN_DETECT_NORM_INTERNAL_H
#define EXSCAN_DETECT_NORM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/detect.h"

#define DEFAULT_MAX_OUT (4u << 20)
#define MAX_CONTROLS 256
#define MAX_DECODED 16 /* base64 literals decoded per file */

enum tok_type { T_DEAD, T_IDENT, T_NUM, T_STR, T_PUNCT, T_NL, T_RAW };

struct tok {
	unsigned char type;
	char punct;    /* T_PUNCT */
	uint32_t off;  /* original offset of the token's first byte */
	uint32_t olen; /* its length in the original (1 for decoded text) */
	uint32_t at;   /* text in the arena */
	uint32_t n;
};

/* The input as 8-bit characters: the bytes themselves, or the low bytes of
 * UTF-16LE text.  orig(i) = base + stride * i. */
struct src {
	const unsigned char *s;
	size_t n;
	size_t base, stride;
	unsigned char *owned;
	uint32_t fixed; /* decoded text: every character maps here */
	bool is_fixed;
};

/* A growing string: one per normaliser, reused for every token. */
struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

struct norm {
	struct sbuf sb; /* the token being read */
	struct tok *t;
	size_t nt, ct;
	char *arena;
	size_t na, ca;
	size_t budget; /* tokens and arena bytes stay below this */
	bool oom;
	struct exs_view *v;
	struct {
		unsigned char *buf;
		size_t n;
		uint32_t off;
	} dec[MAX_DECODED];
	size_t n_dec;
};

/* shared helpers (normalize_lex.c) */
uint32_t nm_orig_of(const struct src *s, size_t i);
/* per character: inline, they run on every byte of every page */
static inline int nm_lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline bool nm_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int nm_narrow(unsigned v);
size_t nm_find_ci(const struct src *s, size_t from, size_t end, const char *w);
int nm_arena_reserve(struct norm *nm, size_t n);
uint32_t nm_arena_put(struct norm *nm, const char *p, size_t n);
/* a marker token (printed as is: "<%", "%>") at original offset of s[i] */
void nm_raw(struct norm *nm, const struct src *s, size_t i, const char *text);
/* the server-code regions of s as tokens: a page's blocks, or a bare code file */
void nm_lex_all(struct norm *nm, const struct src *s);

#endif
