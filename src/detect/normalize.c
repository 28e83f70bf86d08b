/* The normalised view of a page's server-side code (see exscan/detect.h).
 *
 * Three passes: find the server-code regions of the page and cut each into
 * tokens (normalize_lex.c), rewrite the token list (Chr runs,
 * concatenations, request indexers, base64 code), then print the tokens
 * canonically with a map back to the original bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "norm_internal.h"

/* ---- rewrites ---- */

static struct tok *next_live(struct norm *nm, size_t *i, bool skip_nl)
{
	while (*i < nm->nt && (nm->t[*i].type == T_DEAD || (skip_nl && nm->t[*i].type == T_NL)))
		(*i)++;
	return *i < nm->nt ? &nm->t[*i] : NULL;
}

static bool tok_is(struct norm *nm, const struct tok *t, const char *w)
{
	return t && t->type == T_IDENT && t->n == strlen(w) &&
	       memcmp(nm->arena + t->at, w, t->n) == 0;
}

static bool tok_punct(const struct tok *t, char c)
{
	return t && t->type == T_PUNCT && t->punct == c;
}

static long tok_num(struct norm *nm, const struct tok *t)
{
	char buf[32];
	char *endp;
	long v;
	size_t n;

	if (!t || t->type != T_NUM)
		return -1;
	n = t->n < sizeof(buf) - 1 ? t->n : sizeof(buf) - 1;
	memcpy(buf, nm->arena + t->at, n);
	buf[n] = '\0';
	v = strtol(buf, &endp, buf[0] == '0' && buf[1] == 'x' ? 16 : 10);
	return v;
}

/* chr(N), chrw(N), chrb(N), (char)N, convert.tochar(N), fromcharcode(N,...)
 * become one-character strings. */
static void fold_chr(struct norm *nm)
{
	for (size_t i = 0; i < nm->nt && !nm->oom; i++) {
		struct tok *t = &nm->t[i];
		size_t j = i + 1, k, m;
		struct tok *a, *b, *c;
		long v;
		char ch;

		if (t->type == T_IDENT &&
		    (tok_is(nm, t, "chr") || tok_is(nm, t, "chrw") || tok_is(nm, t, "chrb") ||
		     tok_is(nm, t, "tochar") || tok_is(nm, t, "fromcharcode"))) {
			a = next_live(nm, &j, false);
			if (!tok_punct(a, '('))
				continue;
			k = j + 1;
			b = next_live(nm, &k, false);
			v = tok_num(nm, b);
			m = k + 1;
			c = next_live(nm, &m, false);
			if (v <= 0 || v > 0xffff || !tok_punct(c, ')'))
				continue;
		} else if (tok_punct(t, '(')) {
			/* (char)N */
			a = next_live(nm, &j, false);
			if (!tok_is(nm, a, "char"))
				continue;
			k = j + 1;
			b = next_live(nm, &k, false);
			if (!tok_punct(b, ')'))
				continue;
			m = k + 1;
			c = next_live(nm, &m, false);
			v = tok_num(nm, c);
			if (v <= 0 || v > 0xffff)
				continue;
		} else {
			continue;
		}
		ch = (char)nm_lc(nm_narrow((unsigned)v));
		for (size_t x = i; x <= m; x++)
			nm->t[x].type = T_DEAD;
		/* a member call chr is written as system.convert.tochar: drop "convert." */
		t->type = T_STR;
		t->at = nm_arena_put(nm, &ch, 1);
		t->n = nm->oom ? 0 : 1;
		nm->v->n_chr++;
	}
}

/* "a" + "b" (and VB's &) become "ab".  A run is gathered first and copied
 * once, so a long chain costs its length, not its square. */
static void fold_concat(struct norm *nm)
{
	for (size_t i = 0; i < nm->nt && !nm->oom; i++) {
		struct tok *t = &nm->t[i];
		size_t j = i + 1, total = t->n, last = i, count = 0;

		if (t->type != T_STR)
			continue;
		for (;;) {
			size_t k = j;
			struct tok *op = next_live(nm, &k, true), *s2;
			size_t m;

			if (!op || !(tok_punct(op, '+') || tok_punct(op, '&')))
				break;
			m = k + 1;
			s2 = next_live(nm, &m, true);
			if (!s2 || s2->type != T_STR)
				break;
			total += s2->n;
			last = m;
			count++;
			j = m + 1;
		}
		if (!count)
			continue;
		{
			uint32_t at;
			size_t pos = 0;

			if (nm_arena_reserve(nm, total))
				return;
			at = (uint32_t)nm->na;
			for (size_t x = i; x <= last; x++) {
				struct tok *y = &nm->t[x];

				if (y->type == T_STR) {
					memmove(nm->arena + at + pos, nm->arena + y->at, y->n);
					pos += y->n;
				}
				if (x != i && y->type != T_NL)
					y->type = T_DEAD;
			}
			nm->na = at + pos;
			t->at = at;
			t->n = (uint32_t)pos;
			nm->v->n_concat += (unsigned)count;
			i = last;
		}
	}
}

/* request("x"), request.item["x"], request.form("x"), request.querystring[..],
 * request.params(..), request.form.get(..) all become request["x"]. */
static void fold_indexers(struct norm *nm)
{
	static const char *const coll[] = {"item", "form", "querystring", "params"};

	for (size_t i = 0; i < nm->nt; i++) {
		size_t j = i + 1, open;
		struct tok *t = &nm->t[i], *p;
		int depth = 0;

		if (!tok_is(nm, t, "request"))
			continue;
		p = next_live(nm, &j, false);
		for (int round = 0; round < 2 && tok_punct(p, '.'); round++) {
			size_t k = j + 1;
			struct tok *name = next_live(nm, &k, false);
			bool hit = false;

			for (size_t c = 0; c < sizeof(coll) / sizeof(coll[0]); c++)
				hit = hit || tok_is(nm, name, coll[c]);
			if (round == 1)
				hit = tok_is(nm, name, "get");
			if (!hit)
				break;
			size_t m = k + 1;
			struct tok *after = next_live(nm, &m, false);

			if (!(tok_punct(after, '(') || tok_punct(after, '[') ||
			      tok_punct(after, '.')))
				break;
			p->type = T_DEAD;
			name->type = T_DEAD;
			j = m;
			p = after;
		}
		if (!(tok_punct(p, '(') || tok_punct(p, '[')))
			continue;
		open = j;
		for (size_t k = open; k < nm->nt; k++) {
			struct tok *y = &nm->t[k];

			if (tok_punct(y, '(') || tok_punct(y, '['))
				depth++;
			else if (tok_punct(y, ')') || tok_punct(y, ']'))
				depth--;
			if (depth == 0) {
				nm->t[open].punct = '[';
				y->punct = ']';
				break;
			}
			if (y->type == T_RAW || k - open > 4096)
				break;
		}
	}
}

static int b64v(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* The literal's text is lower-cased, so base64 must be decoded from the
 * original bytes: p is the literal in the original, without its quotes. */
static unsigned char *b64_decode(const unsigned char *p, size_t n, size_t *out)
{
	unsigned char *d = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (p[i] == '=')
			break;
		v = b64v(p[i]);
		if (v < 0) {
			free(d);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (unsigned char)(acc >> bits);
		}
	}
	*out = o;
	return d;
}

static bool looks_like_code(const unsigned char *d, size_t n)
{
	size_t printable = 0;
	struct src s = {.s = d, .n = n};

	for (size_t i = 0; i < n; i++)
		if ((d[i] >= 0x20 && d[i] < 0x7f) || nm_is_space(d[i]))
			printable++;
	if (n < 12 || printable * 100 < n * 95)
		return false;
	return nm_find_ci(&s, 0, n, "(") < n &&
	       (nm_find_ci(&s, 0, n, ";") < n || nm_find_ci(&s, 0, n, "<%") < n ||
	        nm_find_ci(&s, 0, n, "request") < n || nm_find_ci(&s, 0, n, "eval") < n ||
	        nm_find_ci(&s, 0, n, "system.") < n);
}

/* Base64 literals that decode to code are kept for a second lexing pass. */
static void find_base64(struct norm *nm, const unsigned char *orig, size_t orig_n,
                        const struct src *s)
{
	for (size_t i = 0; i < nm->nt && nm->n_dec < MAX_DECODED; i++) {
		struct tok *t = &nm->t[i];
		const unsigned char *p;
		size_t n, dn, k = 0;
		unsigned char *d;

		if (t->type != T_STR || t->n < 24 || s->stride != 1 || s->is_fixed)
			continue;
		/* only an undecorated literal: its original bytes are the text */
		if ((uint64_t)t->off + 1 + t->n + 1 > orig_n || t->olen != t->n + 2)
			continue;
		p = orig + t->off + 1;
		n = t->n;
		while (k < n && b64v(p[k]) >= 0)
			k++;
		while (k < n && p[k] == '=')
			k++;
		if (k != n)
			continue;
		d = b64_decode(p, n, &dn);
		if (!d)
			continue;
		if (!looks_like_code(d, dn)) {
			free(d);
			continue;
		}
		nm->dec[nm->n_dec].buf = d;
		nm->dec[nm->n_dec].n = dn;
		nm->dec[nm->n_dec].off = t->off;
		nm->n_dec++;
		nm->v->n_base64++;
	}
}

/* ---- output ---- */

static int emit(struct norm *nm, size_t max_out)
{
	struct exs_view *v = nm->v;
	size_t cap = 0;
	int prev = 0; /* last token type printed */

	for (size_t i = 0; i < nm->nt; i++) {
		struct tok *t = &nm->t[i];
		size_t need = (size_t)t->n * 2 + 8;

		if (t->type == T_DEAD)
			continue;
		if (v->len + need > max_out) {
			v->truncated = true;
			break;
		}
		if (v->len + need + 1 > cap) {
			size_t c2 = cap ? cap * 2 : 4096;
			char *p;
			uint32_t *m;

			while (c2 < v->len + need + 1)
				c2 *= 2;
			p = realloc(v->text, c2);
			if (!p)
				return -1;
			v->text = p;
			m = realloc(v->map, c2 * sizeof(*m));
			if (!m)
				return -1;
			v->map = m;
			cap = c2;
		}
#define PUT(ch, o)                                                                                 \
	do {                                                                                       \
		v->text[v->len] = (char)(ch);                                                      \
		v->map[v->len++] = (o);                                                            \
	} while (0)
		if ((t->type == T_IDENT || t->type == T_NUM) && (prev == T_IDENT || prev == T_NUM))
			PUT(' ', t->off);
		switch (t->type) {
		case T_IDENT:
		case T_NUM:
			for (uint32_t k = 0; k < t->n; k++)
				PUT(nm->arena[t->at + k], t->off + (k < t->olen ? k : t->olen - 1));
			break;
		case T_STR:
			PUT('"', t->off);
			for (uint32_t k = 0; k < t->n; k++) {
				char c = nm->arena[t->at + k];

				if (c == '"' || c == '\\')
					PUT('\\', t->off);
				PUT(c == '\0' ? ' ' : c, t->off);
			}
			PUT('"', t->off);
			break;
		case T_PUNCT:
			PUT(t->punct, t->off);
			break;
		case T_NL:
			if (v->len && v->text[v->len - 1] != '\n')
				PUT('\n', t->off);
			break;
		case T_RAW:
			if (v->len && v->text[v->len - 1] != '\n')
				PUT('\n', t->off);
			for (uint32_t k = 0; k < t->n; k++)
				PUT(nm->arena[t->at + k], t->off);
			PUT('\n', t->off);
			break;
		}
#undef PUT
		prev = t->type;
	}
	if (!v->text) {
		v->text = malloc(1);
		v->map = malloc(sizeof(*v->map));
		if (!v->text || !v->map)
			return -1;
	}
	v->text[v->len] = '\0';
	return 0;
}

int exs_view_build(struct exs_view *v, const unsigned char *p, size_t n, size_t max_out)
{
	struct norm nm;
	struct src s;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	memset(&nm, 0, sizeof(nm));
	memset(&s, 0, sizeof(s));
	nm.v = v;
	if (!max_out)
		max_out = DEFAULT_MAX_OUT;
	nm.budget = max_out * 2 + 65536;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	s.s = p;
	s.n = n;
	s.stride = 1;
	if ((n >= 2 && p[0] == 0xff && p[1] == 0xfe) ||
	    (n >= 4 && p[1] == 0 && p[3] == 0 && p[0])) {
		/* UTF-16LE: the low bytes (non-ASCII characters become '?') */
		size_t base = p[0] == 0xff ? 2 : 0, m = (n - base) / 2;

		s.owned = malloc(m + 1);
		if (!s.owned)
			goto out;
		for (size_t i = 0; i < m; i++)
			s.owned[i] = p[base + 2 * i + 1] ? '?' : p[base + 2 * i];
		s.s = s.owned;
		s.n = m;
		s.base = base;
		s.stride = 2;
	} else if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		s.s = p + 3;
		s.n = n - 3;
		s.base = 3;
	}
	nm_lex_all(&nm, &s);
	fold_chr(&nm);
	fold_concat(&nm);
	find_base64(&nm, p, n, &s);
	/* decoded code, lexed as code of its own, every byte mapping to its literal */
	for (size_t d = 0; d < nm.n_dec && !nm.oom; d++) {
		struct src ds = {.s = nm.dec[d].buf, .n = nm.dec[d].n, .stride = 1};
		size_t first = nm.nt;

		ds.fixed = nm.dec[d].off;
		ds.is_fixed = true;
		nm_raw(&nm, &ds, 0, "<% /* decoded */");
		nm_lex_all(&nm, &ds);
		nm_raw(&nm, &ds, 0, "%>");
		/* rewrites again on the new part only */
		(void)first;
	}
	if (nm.n_dec) {
		fold_chr(&nm);
		fold_concat(&nm);
	}
	fold_indexers(&nm);
	if (nm.oom && nm.nt == 0)
		goto out;
	v->truncated = nm.oom; /* over the budget: the lexer stopped early */
	if (emit(&nm, max_out))
		goto out;
	rc = 0;
out:
	for (size_t d = 0; d < nm.n_dec; d++)
		free(nm.dec[d].buf);
	free(nm.sb.p);
	free(nm.t);
	free(nm.arena);
	free(s.owned);
	if (rc)
		exs_view_release(v);
	return rc;
}

void exs_view_release(struct exs_view *v)
{
	free(v->text);
	free(v->map);
	for (size_t i = 0; i < v->n_controls; i++)
		free(v->controls[i]);
	free(v->controls);
	memset(v, 0, sizeof(*v));
}

uint64_t exs_view_orig(const struct exs_view *v, size_t off)
{
	if (!v->len)
		return 0;
	if (off >= v->len)
		off = v->len - 1;
	return v->map[off];
}

uint64_t exs_line_of(const unsigned char *p, size_t n, uint64_t off)
{
	uint64_t line = 1;
	bool wide = n >= 4 && ((p[0] == 0xff && p[1] == 0xfe) || (p[1] == 0 && p[3] == 0));

	if (off > n)
		off = n;
	for (uint64_t i = 0; i < off; i++)
		if (p[i] == '\n' && (!wide || (i + 1 < n && p[i + 1] == 0)))
			line++;
	return line;
}
