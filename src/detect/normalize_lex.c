/* The normaliser's first pass (see norm_internal.h): find the server-code
 * regions of a page, and cut each into tokens by its language, comments
 * dropped and escapes decoded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "norm_internal.h"

uint32_t nm_orig_of(const struct src *s, size_t i)
{
	uint64_t o;

	if (s->is_fixed)
		return s->fixed;
	if (i >= s->n && s->n)
		i = s->n - 1; /* a marker at the very end maps to the last character */
	o = s->base + s->stride * i;
	return o > UINT32_MAX ? UINT32_MAX : (uint32_t)o;
}

static bool is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = nm_lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Case-insensitive prefix test at s[i]. */
static bool at_ci(const struct src *s, size_t i, const char *w)
{
	size_t k = strlen(w);

	if (i + k > s->n)
		return false;
	for (size_t j = 0; j < k; j++)
		if (nm_lc(s->s[i + j]) != w[j])
			return false;
	return true;
}

size_t nm_find_ci(const struct src *s, size_t from, size_t end, const char *w)
{
	for (size_t i = from; i < end; i++)
		if (nm_lc(s->s[i]) == w[0] && at_ci(s, i, w))
			return i;
	return end;
}

/* ---- arena and tokens ---- */

/* Makes room for n more arena bytes; returns 0 or -1 (over budget or out of memory). */
int nm_arena_reserve(struct norm *nm, size_t n)
{
	if (nm->oom || nm->na + n + 1 > nm->budget) {
		nm->oom = true;
		return -1;
	}
	if (nm->na + n + 1 > nm->ca) {
		size_t cap = nm->ca ? nm->ca : 4096;
		char *q;

		while (cap < nm->na + n + 1)
			cap *= 2;
		q = realloc(nm->arena, cap);
		if (!q) {
			nm->oom = true;
			return -1;
		}
		nm->arena = q;
		nm->ca = cap;
	}
	return 0;
}

uint32_t nm_arena_put(struct norm *nm, const char *p, size_t n)
{
	uint32_t at;

	if (nm_arena_reserve(nm, n))
		return 0;
	at = (uint32_t)nm->na;
	if (n)
		memcpy(nm->arena + nm->na, p, n);
	nm->na += n;
	return at;
}

static struct tok *tok_push(struct norm *nm, unsigned char type, uint32_t off, uint32_t olen)
{
	struct tok *t;

	if (nm->oom || nm->nt + 1 > nm->budget / 4)
		return NULL;
	if (nm->nt == nm->ct) {
		size_t cap = nm->ct ? nm->ct * 2 : 1024;
		struct tok *p = realloc(nm->t, cap * sizeof(*p));

		if (!p) {
			nm->oom = true;
			return NULL;
		}
		nm->t = p;
		nm->ct = cap;
	}
	t = &nm->t[nm->nt++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->off = off;
	t->olen = olen ? olen : 1;
	t->at = (uint32_t)nm->na;
	return t;
}

static void tok_text(struct norm *nm, unsigned char type, uint32_t off, uint32_t olen,
                     const char *p, size_t n)
{
	struct tok *t = tok_push(nm, type, off, olen);

	if (!t)
		return;
	t->at = nm_arena_put(nm, p, n);
	t->n = nm->oom ? 0 : (uint32_t)n;
}

static void tok_nl(struct norm *nm, uint32_t off)
{
	if (nm->nt && (nm->t[nm->nt - 1].type == T_NL || nm->t[nm->nt - 1].type == T_RAW))
		return;
	tok_push(nm, T_NL, off, 1);
}

/* ---- tokenizer ---- */

static void sb_putc(struct sbuf *b, int c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *q = realloc(b->p, cap);

		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	b->p[b->n++] = (char)c;
}

/* Decodes \uXXXX or \xHH at s[i] (s[i] == '\\'); returns the characters
 * consumed (0: not such an escape) and the value in *val. */
static size_t unicode_escape(const struct src *s, size_t i, unsigned *val)
{
	size_t k = 0, digits;
	unsigned v = 0;

	if (i + 1 >= s->n)
		return 0;
	if (s->s[i + 1] == 'u')
		digits = 4;
	else if (s->s[i + 1] == 'x')
		digits = 2;
	else
		return 0;
	if (i + 2 + digits > s->n)
		return 0;
	for (k = 0; k < digits; k++) {
		int h = hexval(s->s[i + 2 + k]);

		if (h < 0)
			return 0;
		v = v * 16 + (unsigned)h;
	}
	*val = v;
	return 2 + digits;
}

int nm_narrow(unsigned v)
{
	return v < 0x80 ? (int)v : '?';
}

/* A string literal starting at s[i]; returns the index after it. */
static size_t lex_string(struct norm *nm, const struct src *s, size_t i, size_t end,
                         enum exs_code_lang lang, bool verbatim, int q)
{
	size_t start = i;
	struct sbuf *b = &nm->sb;

	b->n = 0;

	i++; /* the quote */
	while (i < end) {
		int c = s->s[i];

		if (c == q) {
			if ((verbatim || lang == EXS_LANG_VB) && i + 1 < end && s->s[i + 1] == q) {
				sb_putc(b, q);
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (c == '\n' && !verbatim && lang != EXS_LANG_VB)
			break; /* unterminated */
		if (c == '\n' && lang == EXS_LANG_VB)
			break;
		if (c == '\\' && !verbatim && lang != EXS_LANG_VB && i + 1 < end) {
			unsigned v;
			size_t k = unicode_escape(s, i, &v);

			if (k) {
				sb_putc(b, nm_lc(nm_narrow(v)));
				nm->v->n_unicode++;
				i += k;
				continue;
			}
			switch (s->s[i + 1]) {
			case 'n':
				sb_putc(b, '\n');
				break;
			case 't':
				sb_putc(b, '\t');
				break;
			case 'r':
				sb_putc(b, '\r');
				break;
			case '0':
				sb_putc(b, ' ');
				break;
			default:
				sb_putc(b, nm_lc(s->s[i + 1]));
			}
			i += 2;
			continue;
		}
		sb_putc(b, nm_lc(c));
		i++;
	}
	if (!b->oom)
		tok_text(nm, T_STR, nm_orig_of(s, start), (uint32_t)(i - start), b->p ? b->p : "",
		         b->n);
	else
		nm->oom = true;
	return i;
}

/* An identifier (with \uXXXX escapes and a leading @) at s[i]. */
static size_t lex_ident(struct norm *nm, const struct src *s, size_t i, size_t end)
{
	size_t start = i;
	struct sbuf *b = &nm->sb;

	b->n = 0;

	if (s->s[i] == '@')
		i++;
	while (i < end) {
		unsigned v;
		size_t k;

		if (s->s[i] == '\\' && (k = unicode_escape(s, i, &v)) != 0) {
			sb_putc(b, nm_lc(nm_narrow(v)));
			nm->v->n_unicode++;
			i += k;
			continue;
		}
		if (!is_word(s->s[i]))
			break;
		sb_putc(b, nm_lc(s->s[i]));
		i++;
	}
	if (!b->oom)
		tok_text(nm, T_IDENT, nm_orig_of(s, start), (uint32_t)(i - start), b->p ? b->p : "",
		         b->n);
	else
		nm->oom = true;
	return i;
}

static bool ident_start(const struct src *s, size_t i, size_t end, enum exs_code_lang lang)
{
	int c = s->s[i];
	unsigned v;

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80)
		return true;
	if (c == '\\' && lang != EXS_LANG_VB && unicode_escape(s, i, &v))
		return true;
	if (c == '@' && lang == EXS_LANG_CSHARP && i + 1 < end &&
	    ((s->s[i + 1] | 32) >= 'a' && (s->s[i + 1] | 32) <= 'z'))
		return true;
	return false;
}

/* True when s[i] starts a statement in VB (only blanks since the line start). */
static bool vb_line_start(const struct src *s, size_t i, size_t from)
{
	while (i > from) {
		int c = s->s[i - 1];

		if (c == '\n' || c == ':')
			return true;
		if (c != ' ' && c != '\t')
			return false;
		i--;
	}
	return true;
}

static void lex_region(struct norm *nm, const struct src *s, size_t i, size_t end,
                       enum exs_code_lang lang)
{
	size_t from = i;

	while (i < end && !nm->oom) {
		int c = s->s[i];

		if (c == '\n') {
			tok_nl(nm, nm_orig_of(s, i));
			i++;
			continue;
		}
		if (nm_is_space(c) || c == 0) {
			i++;
			continue;
		}
		if (lang == EXS_LANG_VB && c == '_' && (i + 1 >= end || nm_is_space(s->s[i + 1]))) {
			/* line continuation: the statement goes on */
			size_t j = i + 1;

			while (j < end && (s->s[j] == ' ' || s->s[j] == '\t' || s->s[j] == '\r'))
				j++;
			if (j >= end || s->s[j] == '\n') {
				i = j + 1;
				continue;
			}
		}
		if (lang != EXS_LANG_VB && c == '/' && i + 1 < end && s->s[i + 1] == '/') {
			while (i < end && s->s[i] != '\n')
				i++;
			nm->v->n_comments++;
			continue;
		}
		if (lang != EXS_LANG_VB && c == '/' && i + 1 < end && s->s[i + 1] == '*') {
			size_t j = i + 2;

			while (j + 1 < end && !(s->s[j] == '*' && s->s[j + 1] == '/'))
				j++;
			i = j + 2 > end ? end : j + 2;
			nm->v->n_comments++;
			continue;
		}
		if (lang == EXS_LANG_VB &&
		    (c == '\'' || (at_ci(s, i, "rem") && (i + 3 >= end || !is_word(s->s[i + 3])) &&
		                   vb_line_start(s, i, from)))) {
			while (i < end && s->s[i] != '\n')
				i++;
			nm->v->n_comments++;
			continue;
		}
		if (c == '<' && at_ci(s, i, "<![cdata[")) {
			i += 9;
			continue;
		}
		if (c == ']' && i + 2 < end && s->s[i + 1] == ']' && s->s[i + 2] == '>') {
			i += 3;
			continue;
		}
		if (c == '"') {
			i = lex_string(nm, s, i, end, lang, false, '"');
			continue;
		}
		if (lang == EXS_LANG_CSHARP && (c == '@' || c == '$')) {
			size_t j = i + 1;
			bool verb = c == '@';

			if (j < end && (s->s[j] == '@' || s->s[j] == '$')) {
				verb = verb || s->s[j] == '@';
				j++;
			}
			if (j < end && s->s[j] == '"') {
				size_t k = lex_string(nm, s, j, end, lang, verb, '"');

				if (nm->nt)
					nm->t[nm->nt - 1].off = nm_orig_of(s, i);
				i = k;
				continue;
			}
		}
		if (c == '\'' && lang != EXS_LANG_VB) {
			i = lex_string(nm, s, i, end, lang, false, '\'');
			continue;
		}
		if (ident_start(s, i, end, lang)) {
			i = lex_ident(nm, s, i, end);
			continue;
		}
		if (c >= '0' && c <= '9') {
			size_t j = i;
			char num[64];
			size_t k = 0;

			while (j < end && (is_word(s->s[j]) || s->s[j] == '.')) {
				if (k < sizeof(num) - 1)
					num[k++] = (char)nm_lc(s->s[j]);
				j++;
			}
			tok_text(nm, T_NUM, nm_orig_of(s, i), (uint32_t)(j - i), num, k);
			i = j;
			continue;
		}
		if (lang == EXS_LANG_VB && c == '&' && i + 1 < end && (s->s[i + 1] | 32) == 'h') {
			/* &H41: a hex number */
			size_t j = i + 2;
			unsigned long v = 0;
			char num[32];
			int len;

			while (j < end && hexval(s->s[j]) >= 0 && j - i < 12)
				v = v * 16 + (unsigned long)hexval(s->s[j++]);
			if (j > i + 2) {
				len = snprintf(num, sizeof(num), "%lu", v);
				tok_text(nm, T_NUM, nm_orig_of(s, i), (uint32_t)(j - i), num,
				         (size_t)len);
				i = j;
				continue;
			}
		}
		{
			struct tok *t = tok_push(nm, T_PUNCT, nm_orig_of(s, i), 1);

			if (t)
				t->punct = (char)c;
		}
		i++;
	}
	tok_nl(nm, nm_orig_of(s, end > 0 ? end - 1 : 0));
}

/* ---- regions of a page ---- */

/* The value of attribute name in tag text s[i..end) (a bounded copy, lower case). */
static bool attr_value(const struct src *s, size_t i, size_t end, const char *name, char *out,
                       size_t cap)
{
	size_t k = strlen(name);

	for (size_t j = i; j + k < end; j++) {
		size_t p;
		int q = 0;
		size_t o = 0;

		if (nm_lc(s->s[j]) != name[0] || !at_ci(s, j, name) ||
		    (j > i && is_word(s->s[j - 1])) || is_word(s->s[j + k]))
			continue;
		p = j + k;
		while (p < end && nm_is_space(s->s[p]))
			p++;
		if (p >= end || s->s[p] != '=')
			continue;
		p++;
		while (p < end && nm_is_space(s->s[p]))
			p++;
		if (p < end && (s->s[p] == '"' || s->s[p] == '\''))
			q = s->s[p++];
		while (p < end && o + 1 < cap) {
			int c = s->s[p];

			if (q ? c == q : (nm_is_space(c) || c == '>' || c == '/'))
				break;
			out[o++] = (char)nm_lc(c);
			p++;
		}
		out[o] = '\0';
		return true;
	}
	return false;
}

static enum exs_code_lang lang_of(const char *v, enum exs_code_lang dflt)
{
	if (!v[0])
		return dflt;
	if (strstr(v, "vb"))
		return EXS_LANG_VB;
	if (strstr(v, "js") || strstr(v, "javascript") || strstr(v, "jscript"))
		return EXS_LANG_JSCRIPT;
	if (strstr(v, "c#") || strstr(v, "cs") || strstr(v, "csharp"))
		return EXS_LANG_CSHARP;
	return dflt;
}

/* A bare code file is C# unless it reads like VB.  Only word starts are
 * looked at, in the first 16 KiB: enough to tell, cheap on every page. */
static enum exs_code_lang guess_lang(const struct src *s)
{
	size_t semis = 0, vb = 0;
	size_t n = s->n < 16384 ? s->n : 16384;

	for (size_t i = 0; i < n; i++) {
		int c = s->s[i];

		if (c == ';') {
			semis++;
			continue;
		}
		if ((c | 32) != 'e' && (c | 32) != 'd')
			continue;
		if (i > 0 && is_word(s->s[i - 1]))
			continue;
		if ((c | 32) == 'e' && (at_ci(s, i, "end sub") || at_ci(s, i, "end function")))
			vb += 4;
		else if ((c | 32) == 'd' && at_ci(s, i, "dim "))
			vb++;
	}
	return vb * 4 > semis ? EXS_LANG_VB : EXS_LANG_CSHARP;
}

void nm_raw(struct norm *nm, const struct src *s, size_t i, const char *text)
{
	tok_text(nm, T_RAW, nm_orig_of(s, i), 1, text, strlen(text));
}

static void add_control(struct exs_view *v, const char *id, bool *oom)
{
	char **p;

	if (!id[0] || v->n_controls >= MAX_CONTROLS)
		return;
	for (size_t i = 0; i < v->n_controls; i++)
		if (strcmp(v->controls[i], id) == 0)
			return;
	p = realloc(v->controls, (v->n_controls + 1) * sizeof(*p));
	if (!p || !(p[v->n_controls] = strdup(id))) {
		if (p)
			v->controls = p;
		*oom = true;
		return;
	}
	v->controls = p;
	v->n_controls++;
}

/* A directive <%@ ... %> at s[i..end): notes what it says and prints it. */
static bool directive(struct norm *nm, const struct src *s, size_t i, size_t end,
                      enum exs_code_lang *lang)
{
	char val[64];
	struct sbuf *b = &nm->sb;
	bool sp = false;

	b->n = 0;
	bool named = false;

	if (attr_value(s, i, end, "language", val, sizeof(val))) {
		*lang = lang_of(val, *lang);
		named = true;
	}
	if (attr_value(s, i, end, "codebehind", val, sizeof(val)) ||
	    attr_value(s, i, end, "codefile", val, sizeof(val)) ||
	    attr_value(s, i, end, "src", val, sizeof(val)) ||
	    attr_value(s, i, end, "inherits", val, sizeof(val)))
		nm->v->code_behind = true;
	for (size_t j = i; j < end && j < i + 512; j++) {
		int c = s->s[j];

		if (nm_is_space(c)) {
			sp = true;
			continue;
		}
		if (sp && b->n)
			sb_putc(b, ' ');
		sp = false;
		sb_putc(b, nm_lc(c));
	}
	if (!b->oom)
		tok_text(nm, T_RAW, nm_orig_of(s, i), 1, b->p ? b->p : "", b->n);
	return named;
}

static void lex_code_region(struct norm *nm, const struct src *s, size_t a, size_t b,
                            enum exs_code_lang lang, const char *open, const char *close)
{
	if (open)
		nm_raw(nm, s, a, open);
	lex_region(nm, s, a, b, lang);
	if (close)
		nm_raw(nm, s, b > 0 ? b - 1 : 0, close);
	nm->v->n_blocks++;
}

/* The page's default language is guessed only when code needs it: most
 * pages name it in their directive, and the guess reads 16 KiB. */
#define PAGE_LANG() (known ? lang : (known = true, lang = guess_lang(s)))

static void lex_page(struct norm *nm, const struct src *s)
{
	enum exs_code_lang lang = EXS_LANG_CSHARP;
	bool known = false;
	/* without "runat" anywhere no tag names a control: only "<" matters */
	bool controls = nm_find_ci(s, 0, s->n, "runat") < s->n;
	size_t i = 0;

	while (i < s->n && !nm->oom) {
		size_t end;

		if (s->s[i] != '<') {
			const unsigned char *lt = memchr(s->s + i, '<', s->n - i);

			i = lt ? (size_t)(lt - s->s) : s->n;
			continue;
		}
		if (at_ci(s, i, "<%--")) {
			end = nm_find_ci(s, i + 4, s->n, "--%>");
			nm->v->n_comments++;
			i = end + 4;
			continue;
		}
		if (at_ci(s, i, "<%@")) {
			char name[32] = "";
			size_t j = i + 3, k = 0;

			end = nm_find_ci(s, i + 3, s->n, "%>");
			while (j < end && nm_is_space(s->s[j]))
				j++;
			while (j < end && is_word(s->s[j]) && k + 1 < sizeof(name))
				name[k++] = (char)nm_lc(s->s[j++]);
			name[k] = '\0';
			if (directive(nm, s, i, end < s->n ? end + 2 : end, &lang))
				known = true;
			nm->v->page = true;
			if (strcmp(name, "webhandler") == 0 || strcmp(name, "webservice") == 0) {
				nm->v->handler = true;
				if (end + 2 < s->n)
					lex_code_region(nm, s, end + 2, s->n, PAGE_LANG(), NULL,
					                NULL);
				return;
			}
			i = end + 2;
			continue;
		}
		if (at_ci(s, i, "<%")) {
			size_t a = i + 2;
			const char *open = "<%";

			if (a < s->n && (s->s[a] == '=' || s->s[a] == ':' || s->s[a] == '#')) {
				open = s->s[a] == '#' ? "<%#" : "<%=";
				a++;
			}
			end = nm_find_ci(s, a, s->n, "%>");
			nm->v->page = true;
			lex_code_region(nm, s, a, end, PAGE_LANG(), open, "%>");
			i = end + 2;
			continue;
		}
		if (at_ci(s, i, "<script") || at_ci(s, i, "<msxsl:script")) {
			bool xsl = s->s[i + 1] == 'm' || s->s[i + 1] == 'M';
			size_t gt = nm_find_ci(s, i, s->n, ">");
			char val[64] = "";
			bool server = xsl;

			if (attr_value(s, i, gt, "runat", val, sizeof(val)) &&
			    strcmp(val, "server") == 0)
				server = true;
			if (!server) {
				i = gt;
				continue;
			}
			val[0] = '\0';
			attr_value(s, i, gt, "language", val, sizeof(val));
			end = nm_find_ci(s, gt, s->n, xsl ? "</msxsl:script" : "</script");
			nm->v->page = true;
			lex_code_region(nm, s, gt + 1 < end ? gt + 1 : end, end,
			                val[0] ? lang_of(val, EXS_LANG_CSHARP)
			                       : (xsl ? EXS_LANG_JSCRIPT : PAGE_LANG()),
			                "<script runat=server>", "</script>");
			i = end + 1;
			continue;
		}
		if (!controls) {
			i++;
			continue;
		}
		/* another tag: a server control's id is a source of request data */
		end = i + 1;
		while (end < s->n && s->s[end] != '>' && s->s[end] != '<' && end - i < 4096)
			end++;
		{
			char val[64], id[64];

			if (attr_value(s, i, end, "runat", val, sizeof(val)) &&
			    strcmp(val, "server") == 0 &&
			    attr_value(s, i, end, "id", id, sizeof(id))) {
				bool oom = false;

				add_control(nm->v, id, &oom);
				if (oom)
					nm->oom = true;
			}
		}
		i = end;
	}
}

/* True when the bytes hold a server-code marker (otherwise: a bare code file). */
static bool looks_like_page(const struct src *s)
{
	/* one pass: "<%", "runat" or "msxsl:script" */
	for (size_t i = 0; i + 1 < s->n; i++) {
		int c = s->s[i];

		if (c == '<' && (s->s[i + 1] == '%' || at_ci(s, i, "<msxsl:script")))
			return true;
		if ((c | 32) == 'r' && at_ci(s, i, "runat"))
			return true;
	}
	return false;
}

static bool looks_like_code_file(const struct src *s)
{
	static const char *const marks[] = {"using ",  "imports ",    "namespace ", "class ",
	                                    "request", "httpcontext", "system.",    "function "};
	size_t n = s->n < 65536 ? s->n : 65536;

	/* one pass: a mark can only start at a word start with its first letter */
	for (size_t i = 0; i < n; i++) {
		int c = nm_lc(s->s[i]);

		if (c < 'c' || c > 'u' || (i > 0 && is_word(s->s[i - 1])))
			continue;
		for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
			if (marks[k][0] == c && at_ci(s, i, marks[k]))
				return true;
	}
	return false;
}

/* True when the text at i opens a C# or VB source file rather than markup: a
 * code file that carries a page in a string (in-memory shells register one)
 * holds "<%" too, and must still be read as code. */
static bool starts_like_code(const struct src *s, size_t i)
{
	static const char *const opens[] = {
	        "using ",    "imports ", "namespace ", "option ", "public ", "internal ",
	        "partial ",  "class ",   "static ",    "sealed ", "#region", "#if ",
	        "[assembly", "//",       "/*",         "'",       "rem ",
	};

	for (size_t k = 0; k < sizeof(opens) / sizeof(opens[0]); k++)
		if (at_ci(s, i, opens[k]))
			return true;
	return false;
}

void nm_lex_all(struct norm *nm, const struct src *s)
{
	size_t i = 0;

	while (i < s->n && nm_is_space(s->s[i]))
		i++;
	if (i < s->n && starts_like_code(s, i) && looks_like_code_file(s)) {
		nm->v->n_blocks++;
		lex_region(nm, s, 0, s->n, guess_lang(s));
	} else if (looks_like_page(s)) {
		lex_page(nm, s);
	} else if (i < s->n && s->s[i] != '<' && looks_like_code_file(s)) {
		/* a bare code file (markup without server code has none, nor has
		 * text that names nothing of .NET: styles, data, prose) */
		nm->v->n_blocks++;
		lex_region(nm, s, 0, s->n, guess_lang(s));
	}
}
