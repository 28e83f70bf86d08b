/* The capability model (see exscan/detect.h): request data reaching a sink.
 *
 * Works on the normalised view (lower case, one spelling per request
 * indexer).  Statements are cut at ; { } and at line ends outside
 * parentheses.  Names assigned from request data are tainted, and so are
 * the parameters of functions called with tainted arguments; a few rounds
 * reach a fixed point.  A sink whose arguments hold request data is a flow;
 * some sinks are damning by their presence alone (COM shells, PowerShell
 * runspaces, virtual path providers, shellcode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/detect.h"

#define MAX_STMTS (1u << 18)
#define NAME_SLOTS 1024 /* tainted names kept (open addressing) */
#define NAME_MAX_LEN 63
#define ROUNDS 4
#define ARG_SPAN 4096 /* bytes of a call's arguments looked at */

/* What kind of request data: a parameter the client chooses freely, or an
 * uploaded file (its name and bytes).  A write to a request-chosen path
 * needs a parameter: upload handlers legitimately save uploaded files. */
enum { TAINT_PARAM = 1, TAINT_FILE = 2 };

/* Names point into the view: no copies, a few KB per page. */
struct name_set {
	uint32_t off[NAME_SLOTS];
	unsigned char len[NAME_SLOTS]; /* 0: free slot */
	unsigned char taint[NAME_SLOTS];
	uint32_t origin[NAME_SLOTS]; /* where its request data was first read */
	size_t n;
};

struct stmt {
	uint32_t a, b;
};

struct def {
	uint32_t name, open, close; /* "name(" ... ")" */
	uint32_t n;
	uint32_t body_a, body_b; /* its body ("{...}" or up to "end function"), or 0, 0 */
};

struct brace {
	uint32_t open, close;
};

struct cap {
	struct def *defs; /* function definitions: "<word> name(params)" */
	size_t ndefs;
	struct brace *braces; /* every "{" with its "}", by the "{"'s offset */
	size_t nbraces;
	const struct exs_view *v;
	const char *t;
	size_t n;
	struct stmt *st;
	size_t nst;
	struct name_set *names;   /* tainted names */
	struct name_set *aliases; /* names for the request object itself */
	bool changed;
	bool reads_request; /* request data anywhere in the view */
	struct {
		const char *w; /* a string literal: compared by address */
		bool has;
	} memo[64];
	size_t n_memo;
	struct exs_capability *out;
};

static bool wc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

/* Where the string literal opening at t[i] ends: its closing quote (or past
 * b when it is unterminated), escapes stepped over. */
static size_t string_end(const char *t, size_t i, size_t b)
{
	for (i++; i < b && t[i] != '"'; i++)
		if (t[i] == '\\')
			i++;
	return i;
}

/* The ')' closing a '(' just before t[from], or end when none closes it
 * before end. */
static size_t close_paren(const char *t, size_t from, size_t end)
{
	int d = 1;

	for (size_t i = from; i < end; i++) {
		if (t[i] == '(')
			d++;
		else if (t[i] == ')' && --d == 0)
			return i;
	}
	return end;
}

static uint32_t hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static int name_slot(const struct name_set *s, const char *t, const char *p, size_t n, bool *found)
{
	uint32_t h = hash(p, n) % NAME_SLOTS;

	for (size_t k = 0; k < NAME_SLOTS; k++, h = (h + 1) % NAME_SLOTS) {
		if (!s->len[h]) {
			*found = false;
			return (int)h;
		}
		if (s->len[h] == n && memcmp(t + s->off[h], p, n) == 0) {
			*found = true;
			return (int)h;
		}
	}
	*found = false;
	return -1;
}

/* The name's taint bits (0: not tainted) and, in *origin, where its request
 * data came from. */
static unsigned name_get(const struct name_set *s, const char *t, const char *p, size_t n,
                         uint32_t *origin)
{
	bool found;
	int h;

	if (n == 0 || n > NAME_MAX_LEN || s->n == 0)
		return 0;
	h = name_slot(s, t, p, n, &found);
	if (!found)
		return 0;
	if (origin)
		*origin = s->origin[h];
	return s->taint[h];
}

/* Words that are never variables worth tainting. */
static bool keyword(const char *p, size_t n)
{
	static const char *const kw[] = {
	        "var",      "string", "int",     "object",   "byte",   "char",     "bool",
	        "dim",      "as",     "new",     "this",     "me",     "return",   "if",
	        "else",     "then",   "end",     "true",     "false",  "null",     "nothing",
	        "void",     "public", "private", "static",   "const",  "readonly", "protected",
	        "byval",    "byref",  "request", "response", "server", "context",  "page",
	        "let",      "set",    "long",    "double",   "using",  "foreach",  "in",
	        "for",      "each",   "while",   "await",    "out",    "ref",      "params",
	        "function", "sub",    "to",      "step",     "is",     "not",      "and",
	        "or",
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strlen(kw[i]) == n && memcmp(kw[i], p, n) == 0)
			return true;
	return false;
}

/* p lies in the view (c->t): the set keeps its offset. */
static void name_add(struct cap *c, struct name_set *s, const char *p, size_t n, unsigned taint,
                     size_t origin)
{
	bool found;
	int h;

	if (n == 0 || n > NAME_MAX_LEN || !taint || keyword(p, n) || (p[0] >= '0' && p[0] <= '9'))
		return;
	if (s->n >= NAME_SLOTS * 3 / 4)
		return;
	h = name_slot(s, c->t, p, n, &found);
	if (h < 0)
		return;
	if (!found) {
		s->off[h] = (uint32_t)(p - c->t);
		s->len[h] = (unsigned char)n;
		s->origin[h] = (uint32_t)origin;
		s->n++;
	}
	if ((s->taint[h] | taint) != s->taint[h]) {
		s->taint[h] |= (unsigned char)taint;
		c->changed = true;
	}
}

/* ---- statements ---- */

static int cut_statements(struct cap *c)
{
	size_t cap = 0, start = 0;
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i <= c->n; i++) {
		char ch = i < c->n ? c->t[i] : ';';
		bool cut = false;

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			if (i < c->n)
				continue;
			ch = ';';
		}
		if (ch == '"') {
			in_str = true;
			continue;
		}
		if (ch == '(' || ch == '[')
			depth++;
		else if ((ch == ')' || ch == ']') && depth > 0)
			depth--;
		if (ch == ';' || ch == '{' || ch == '}')
			cut = true, depth = 0;
		else if (ch == '\n' && depth == 0)
			cut = true;
		if (!cut)
			continue;
		if (i > start) {
			if (c->nst == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct stmt *p;

				if (nc > MAX_STMTS)
					return 0;
				p = realloc(c->st, nc * sizeof(*p));
				if (!p)
					return -1;
				c->st = p;
				cap = nc;
			}
			c->st[c->nst].a = (uint32_t)start;
			c->st[c->nst].b = (uint32_t)i;
			c->nst++;
		}
		start = i + 1;
	}
	return 0;
}

/* ---- sources ---- */

/* Members of the request that say nothing the attacker chose to act on. */
static bool benign_member(const char *p, size_t n)
{
	static const char *const ok[] = {
	        "applicationpath",
	        "physicalapplicationpath",
	        "physicalpath",
	        "isauthenticated",
	        "issecureconnection",
	        "islocal",
	        "httpmethod",
	        "requesttype",
	        "browser",
	        "userhostaddress",
	        "userhostname",
	        "url",
	        "rawurl",
	        "path",
	        "filepath",
	        "currentexecutionfilepath",
	        "apprelativecurrentexecutionfilepath",
	        "urlreferrer",
	        "useragent",
	        "userlanguages",
	        "contenttype",
	        "contentlength",
	        "totalbytes",
	        "accepttypes",
	        "contentencoding",
	        "pathinfo",
	        "logonuseridentity",
	        "clientcertificate",
	        "requestcontext",
	        "isajaxrequest",
	        "unvalidated",
	        "mappath",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == n && memcmp(ok[i], p, n) == 0)
			return true;
	return false;
}

static bool word_at(const char *t, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);

	return i + k <= n && memcmp(t + i, w, k) == 0 && (i == 0 || !wc(t[i - 1])) &&
	       (i + k == n || !wc(t[i + k]));
}

/* The source as written at t[at]: a name with its members and one index,
 * e.g. request["c"] or pathbox.text. */
static void spelling(const char *t, size_t n, size_t at, char *out, size_t cap)
{
	size_t e = at;
	int depth = 0;

	while (e < n && e - at < 40) {
		char ch = t[e];

		if (ch == '[')
			depth++;
		else if (ch == ']' && --depth < 0)
			break;
		else if (!depth && !wc(ch) && ch != '.' && ch != ']')
			break;
		e++;
		if (ch == ']' && !depth)
			break;
	}
	snprintf(out, cap, "%.*s", (int)(e - at), t + at);
}

/* Request data in t[a,b): returns the taint bits and the offset of the first
 * source in *where (and its spelling in name). */
static unsigned source_in(struct cap *c, size_t a, size_t b, size_t *where, char *name,
                          size_t name_cap)
{
	const char *t = c->t;
	unsigned found = 0;
	int index = 0; /* inside x[...]: a tainted key does not taint x's value */

	for (size_t i = a; i < b; i++) {
		size_t j, k, at = i;
		uint32_t origin = 0;
		unsigned bits = 0;

		if (t[i] == '"') {
			i = string_end(t, i, b);
			continue;
		}
		if (t[i] == '[')
			index++;
		else if (t[i] == ']' && index > 0)
			index--;
		if (!wc(t[i]) || (i > 0 && wc(t[i - 1])))
			continue;
		for (j = i; j < b && wc(t[j]); j++)
			;
		k = j - i;
		if ((k == 7 && memcmp(t + i, "request", 7) == 0) ||
		    name_get(c->aliases, t, t + i, k, NULL)) {
			/* request[..], request.form, a request alias passed on */
			if (j < b && t[j] == '.') {
				size_t m = j + 1, e = m;

				while (e < b && wc(t[e]))
					e++;
				if (benign_member(t + m, e - m))
					continue;
				if ((e - m == 5 && memcmp(t + m, "files", 5) == 0))
					bits = TAINT_FILE;
				else
					bits = TAINT_PARAM;
			} else if (j < b && t[j] == '=' && (j + 1 >= b || t[j + 1] != '=')) {
				continue; /* request = ...: an assignment to it */
			} else {
				bits = TAINT_PARAM;
			}
		} else if (k == 10 && memcmp(t + i, "postedfile", 10) == 0) {
			bits = TAINT_FILE;
		} else if ((k == 11 && memcmp(t + i, "inputstream", 11) == 0) ||
		           (k == 10 && memcmp(t + i, "binaryread", 10) == 0) ||
		           (k == 15 && memcmp(t + i, "servervariables", 15) == 0)) {
			bits = TAINT_PARAM;
		} else if ((bits = name_get(c->names, t, t + i, k, &origin)) != 0) {
			if (index)
				bits = 0; /* config[s]: the value is config's */
			else
				at = origin; /* the evidence is where the data came in */
		} else {
			/* a server control's value: id.text, id.value, id.selectedvalue */
			for (size_t x = 0; x < c->v->n_controls && !bits; x++) {
				const char *id = c->v->controls[x];

				if (strlen(id) != k || memcmp(id, t + i, k) != 0 || j >= b ||
				    t[j] != '.')
					continue;
				if (word_at(t, b, j + 1, "text") || word_at(t, b, j + 1, "value") ||
				    word_at(t, b, j + 1, "selectedvalue"))
					bits = TAINT_PARAM;
				else if (word_at(t, b, j + 1, "filename") ||
				         word_at(t, b, j + 1, "filebytes") ||
				         word_at(t, b, j + 1, "filecontent"))
					bits = TAINT_FILE;
			}
		}
		if (bits && !found) {
			*where = at;
			spelling(t, c->n, at, name, name_cap);
		}
		found |= bits;
		i = j;
	}
	return found;
}

/* ---- propagation ---- */

/* The name an assignment in t[a,b) sets (and its base object), or 0. */
static size_t assign_target(const char *t, size_t a, size_t eq, size_t *base, size_t *base_n,
                            size_t *name)
{
	size_t e = eq, s;

	/* x[i] = ..., x.y = ...: walk back over one index */
	while (e > a && (t[e - 1] == ' ' || t[e - 1] == '+' || t[e - 1] == '&'))
		e--;
	if (e > a && t[e - 1] == ']') {
		int d = 0;

		while (e > a) {
			e--;
			if (t[e] == ']')
				d++;
			else if (t[e] == '[' && --d == 0)
				break;
		}
	}
	s = e;
	while (s > a && wc(t[s - 1]))
		s--;
	if (s == e)
		return 0;
	/* VB: dim x as string = ... */
	{
		const char *as = NULL;

		for (size_t i = a; i + 4 <= eq; i++)
			if (memcmp(t + i, " as ", 4) == 0)
				as = t + i;
		if (as) {
			size_t ae = (size_t)(as - t), as_s = ae;

			while (as_s > a && wc(t[as_s - 1]))
				as_s--;
			if (as_s < ae) {
				s = as_s;
				e = ae;
			}
		}
	}
	/* the base object of a member assignment: p.startinfo.arguments = ... */
	{
		size_t b0 = s;

		while (b0 > a && (wc(t[b0 - 1]) || t[b0 - 1] == '.'))
			b0--;
		*base = b0;
		*base_n = 0;
		while (b0 + *base_n < s && wc(t[b0 + *base_n]))
			(*base_n)++;
	}
	*name = s;
	return e - s;
}

static size_t find_assign(const char *t, size_t a, size_t b)
{
	int depth = 0;

	for (size_t i = a; i < b; i++) {
		char ch = t[i];

		if (ch == '"') {
			i = string_end(t, i, b);
			continue;
		}
		if (ch == '(')
			depth++;
		if (ch == ')')
			depth--;
		if (ch != '=')
			continue;
		if (i + 1 < b && (t[i + 1] == '=' || t[i + 1] == '>'))
			return b; /* == or => first: a comparison or a lambda */
		if (i > a &&
		    (t[i - 1] == '!' || t[i - 1] == '<' || t[i - 1] == '>' || t[i - 1] == '='))
			return b;
		(void)depth;
		return i;
	}
	return b;
}

/* foreach (var x in EXPR) / for each x in EXPR */
static void foreach_taint(struct cap *c, size_t a, size_t b)
{
	const char *t = c->t;

	for (size_t i = a; i + 4 < b; i++) {
		size_t s, e, w;
		char nm[48];

		if (!word_at(t, b, i, "in"))
			continue;
		e = i;
		while (e > a && t[e - 1] == ' ')
			e--;
		s = e;
		while (s > a && wc(t[s - 1]))
			s--;
		if (s == e)
			return;
		unsigned bits = source_in(c, i + 2, b, &w, nm, sizeof(nm));

		if (bits)
			name_add(c, c->names, t + s, e - s, bits, w);
		return;
	}
}

/* Does t[i] start a call of a function defined in the view?  Its name is
 * t[s,e); the definition's parameter list is searched for. */
static void param_taint(struct cap *c, size_t s, size_t e, size_t open, size_t b)
{
	const char *t = c->t;
	size_t k = e - s;
	size_t close = close_paren(t, open + 1, b), w;
	char nm[48];
	unsigned bits;

	bits = source_in(c, open + 1, close, &w, nm, sizeof(nm));
	if (!bits)
		return;
	for (size_t x = 0; x < c->ndefs; x++) {
		const struct def *df = &c->defs[x];
		size_t o = df->open, pe = df->close;

		if (df->n != k || memcmp(t + df->name, t + s, k) != 0 || df->name == s)
			continue;
		/* parameters: the word before ',' or ')' (or before " as ") */
		for (size_t q = o + 1; q <= pe; q++) {
			size_t pend = q, ps, as = 0;

			if (q < pe && t[q] != ',')
				continue;
			for (size_t z = o + 1; z + 4 <= pend; z++)
				if (memcmp(t + z, " as ", 4) == 0)
					as = z;
			if (as)
				pend = as;
			while (pend > o + 1 && t[pend - 1] == ' ')
				pend--;
			ps = pend;
			while (ps > o + 1 && wc(t[ps - 1]))
				ps--;
			name_add(c, c->names, t + ps, pend - ps, bits, w);
			o = q; /* the next parameter starts after the comma */
		}
	}
}

/* if (...), while (...): statements, not functions. */
static bool control_word(const char *p, size_t n)
{
	static const char *const w[] = {"if",      "while",    "for",    "foreach", "switch",
	                                "catch",   "using",    "lock",   "return",  "elseif",
	                                "until",   "fixed",    "sizeof", "typeof",  "nameof",
	                                "checked", "unchecked"};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strlen(w[i]) == n && memcmp(w[i], p, n) == 0)
			return true;
	return false;
}

static int brace_cmp(const void *a, const void *b)
{
	const struct brace *x = a, *y = b;

	return x->open < y->open ? -1 : x->open > y->open;
}

/* Pairs every "{" with its "}" in one pass (strings skipped), so finding a
 * body costs a lookup, not a scan: a page of thousands of unclosed
 * definitions must not cost each one a walk to the end. */
static int find_braces(struct cap *c)
{
	const char *t = c->t;
	uint32_t *stack = NULL;
	size_t depth = 0, cap = 0, bcap = 0;
	int rc = -1;

	for (size_t i = 0; i < c->n; i++) {
		if (t[i] == '"') {
			i = string_end(t, i, c->n);
		} else if (t[i] == '{') {
			if (depth == cap) {
				size_t nc = cap ? cap * 2 : 64;
				uint32_t *p = realloc(stack, nc * sizeof(*p));

				if (!p)
					goto out;
				stack = p;
				cap = nc;
			}
			stack[depth++] = (uint32_t)i;
		} else if (t[i] == '}' && depth) {
			if (c->nbraces == bcap) {
				size_t nc = bcap ? bcap * 2 : 64;
				struct brace *p = realloc(c->braces, nc * sizeof(*p));

				if (!p)
					goto out;
				c->braces = p;
				bcap = nc;
			}
			c->braces[c->nbraces].open = stack[--depth];
			c->braces[c->nbraces].close = (uint32_t)i;
			c->nbraces++;
		}
	}
	if (c->nbraces)
		qsort(c->braces, c->nbraces, sizeof(*c->braces), brace_cmp);
	rc = 0;
out:
	free(stack);
	return rc;
}

/* The body after a definition's parameter list: C#'s "{...}" (a return type
 * or a constraint may come first), or VB's lines up to "end function". */
static void body_of(const struct cap *c, struct def *d)
{
	const char *t = c->t;
	size_t i = d->close + 1, lim = i + 256 < c->n ? i + 256 : c->n;

	d->body_a = d->body_b = 0;
	while (i < lim && t[i] != '{' && t[i] != ';' && t[i] != '}' && t[i] != '\n')
		i++;
	if (i < lim && t[i] == '{') {
		struct brace key = {.open = (uint32_t)i};
		const struct brace *b =
		        c->nbraces ? bsearch(&key, c->braces, c->nbraces, sizeof(key), brace_cmp)
		                   : NULL;

		d->body_a = (uint32_t)i;
		d->body_b = b ? b->close : (uint32_t)c->n;
		return;
	}
	if (d->name >= 9 && memcmp(t + d->name - 9, "function ", 9) == 0) {
		size_t end = d->close + 65536 < c->n ? d->close + 65536 : c->n;
		const char *e = memmem(t + d->close, end - d->close, "end function", 12);

		d->body_a = d->close;
		d->body_b = (uint32_t)(e ? (size_t)(e - t) : end);
	}
}

/* The innermost function whose body holds t[at], or NULL.  Definitions are in
 * the order of the text: the nearest ones before `at` are tried, a few dozen
 * at most (nested local functions are few; a hostile page has many). */
static const struct def *def_around(const struct cap *c, size_t at)
{
	size_t lo = 0, hi = c->ndefs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->defs[mid].name < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < 64 && lo > 0; k++) {
		const struct def *d = &c->defs[--lo];

		if (d->body_a < at && at < d->body_b)
			return d;
	}
	return NULL;
}

/* Function definitions, found once: a word, a space, a name, "(" ... ")". */
static int find_defs(struct cap *c)
{
	const char *t = c->t;
	size_t cap = 0;

	for (size_t o = 0; o < c->n; o++) {
		size_t ns = o, pe, end;

		if (t[o] != '(')
			continue;
		while (ns > 0 && wc(t[ns - 1]))
			ns--;
		if (ns == o || ns < 2 || t[ns - 1] != ' ' || !wc(t[ns - 2]) ||
		    control_word(t + ns, o - ns))
			continue;
		if (ns >= 4 && memcmp(t + ns - 4, "new ", 4) == 0 && (ns == 4 || !wc(t[ns - 5])))
			continue;
		if (ns >= 7 && memcmp(t + ns - 7, "return ", 7) == 0)
			continue;
		end = o + ARG_SPAN < c->n ? o + ARG_SPAN : c->n;
		pe = close_paren(t, o + 1, end);
		if (pe >= end)
			continue;
		if (c->ndefs == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct def *p;

			if (nc > 65536)
				return 0;
			p = realloc(c->defs, nc * sizeof(*p));
			if (!p)
				return -1;
			c->defs = p;
			cap = nc;
		}
		c->defs[c->ndefs].name = (uint32_t)ns;
		c->defs[c->ndefs].n = (uint32_t)(o - ns);
		c->defs[c->ndefs].open = (uint32_t)o;
		c->defs[c->ndefs].close = (uint32_t)pe;
		body_of(c, &c->defs[c->ndefs]);
		c->ndefs++;
	}
	return 0;
}

static void propagate(struct cap *c)
{
	const char *t = c->t;

	for (int round = 0; round < ROUNDS; round++) {
		c->changed = false;
		for (size_t i = 0; i < c->nst; i++) {
			size_t a = c->st[i].a, b = c->st[i].b, eq, w;
			unsigned bits_ret;
			char nm[48];

			eq = find_assign(t, a, b);
			if (eq < b) {
				size_t base, base_n, name,
				        n = assign_target(t, a, eq, &base, &base_n, &name);
				unsigned bits = source_in(c, eq + 1, b, &w, nm, sizeof(nm));
				size_t r = eq + 1;

				while (r < b && t[r] == ' ')
					r++;
				/* an alias of the request object */
				if (n && b - r >= 7 && memcmp(t + b - 7, "request", 7) == 0 &&
				    (b - r == 7 || !wc(t[b - 8])))
					name_add(c, c->aliases, t + name, n, TAINT_PARAM, b - 7);
				else if (n && bits) {
					name_add(c, c->names, t + name, n, bits, w);
					if (base_n && base != name)
						name_add(c, c->names, t + base, base_n, bits, w);
				}
			}
			foreach_taint(c, a, b);
			/* a function that returns request data is a source where it is
			 * called: obfuscators wrap every request read in one */
			{
				size_t r = a;

				while (r < b && t[r] == ' ')
					r++;
				if (b - r > 7 && memcmp(t + r, "return ", 7) == 0 &&
				    (bits_ret = source_in(c, r + 7, b, &w, nm, sizeof(nm))) != 0) {
					const struct def *d = def_around(c, r);

					if (d)
						name_add(c, c->names, t + d->name, d->n, bits_ret,
						         w);
				}
			}
			/* calls of functions defined here, with request data as arguments */
			for (size_t j = a; j < b; j++) {
				size_t s;

				if (t[j] != '(' || j == a || !wc(t[j - 1]))
					continue;
				s = j;
				while (s > a && wc(t[s - 1]))
					s--;
				if (s > a + 1 && t[s - 1] == ' ' && wc(t[s - 2]) &&
				    !(s >= a + 7 && memcmp(t + s - 7, "return ", 7) == 0) &&
				    !(s >= a + 4 && memcmp(t + s - 4, "new ", 4) == 0))
					continue; /* a definition, not a call */
				param_taint(c, s, j, j, b);
			}
		}
		if (!c->changed)
			break;
	}
}

/* ---- sinks ---- */

enum sink_kind {
	K_CALL,     /* the arguments after the pattern */
	K_STMT,     /* anywhere in the statement */
	K_PRESENCE, /* damning by presence */
};

struct sink {
	const char *pat;
	enum exs_sink_class cls;
	enum sink_kind kind;
	int flow, presence; /* scores: with request data reaching it, present alone */
	unsigned need;      /* taint bits that count as a flow */
};

#define P TAINT_PARAM
#define A (TAINT_PARAM | TAINT_FILE)
static const struct sink sinks[] = {
        /* process start */
        {"process.start(", EXS_SINK_PROCESS, K_CALL, 90, 0, A},
        {"processstartinfo(", EXS_SINK_PROCESS, K_CALL, 90, 0, A},
        {".arguments=", EXS_SINK_PROCESS, K_STMT, 90, 0, A},
        {".filename=", EXS_SINK_PROCESS, K_STMT, 85, 0, P},
        {"createprocess", EXS_SINK_PROCESS, K_CALL, 90, 70, A},
        {"winexec(", EXS_SINK_PROCESS, K_CALL, 90, 80, A},
        {"shellexecute", EXS_SINK_PROCESS, K_CALL, 90, 70, A},
        /* script evaluation and compilation */
        {"eval(", EXS_SINK_EVAL, K_CALL, 95, 0, A},
        {"executeglobal(", EXS_SINK_EVAL, K_CALL, 95, 0, A},
        {"jscriptevaluate", EXS_SINK_EVAL, K_CALL, 95, 85, A},
        {"csharpcodeprovider", EXS_SINK_EVAL, K_STMT, 95, 75, A},
        {"vbcodeprovider", EXS_SINK_EVAL, K_STMT, 95, 75, A},
        {"codedomprovider", EXS_SINK_EVAL, K_STMT, 95, 70, A},
        {"compileassemblyfromsource(", EXS_SINK_EVAL, K_CALL, 95, 80, A},
        {"parsecontrol(", EXS_SINK_EVAL, K_CALL, 95, 0, A},
        {"xsltsettings(", EXS_SINK_EVAL, K_CALL, 90, 0, A},
        {"enablescript=true", EXS_SINK_EVAL, K_PRESENCE, 85, 60, A},
        {"msxsl:script", EXS_SINK_EVAL, K_PRESENCE, 85, 60, A},
        {"vsaengine", EXS_SINK_EVAL, K_PRESENCE, 95, 80, A},
        /* assemblies and reflection */
        {"assembly.load(", EXS_SINK_ASSEMBLY, K_CALL, 95, 0, A},
        {"appdomain.currentdomain.load(", EXS_SINK_ASSEMBLY, K_CALL, 95, 0, A},
        {".load(", EXS_SINK_ASSEMBLY, K_CALL, 85, 0, P},
        {"assembly.loadfrom(", EXS_SINK_ASSEMBLY, K_CALL, 85, 0, P},
        {"assembly.unsafeloadfrom(", EXS_SINK_ASSEMBLY, K_CALL, 85, 0, P},
        {"createinstance(", EXS_SINK_ASSEMBLY, K_CALL, 80, 0, P},
        {".invoke(", EXS_SINK_ASSEMBLY, K_CALL, 75, 0, P},
        {"invokemember(", EXS_SINK_ASSEMBLY, K_CALL, 80, 0, P},
        {"gettype(", EXS_SINK_ASSEMBLY, K_CALL, 70, 0, P},
        /* file writes, copies, moves, deletes to a request-chosen path */
        {"file.writeallbytes(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.writealltext(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.writealllines(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.appendalltext(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.create(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.createtext(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.copy(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.move(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"file.delete(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"directory.delete(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"directory.move(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"directory.createdirectory(", EXS_SINK_FILE_WRITE, K_CALL, 65, 0, P},
        {"filestream(", EXS_SINK_FILE_WRITE, K_CALL, 65, 0, P},
        {"streamwriter(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {"binarywriter(", EXS_SINK_FILE_WRITE, K_CALL, 65, 0, P},
        {".saveas(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {".moveto(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {".createtext(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {".appendtext(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {".openwrite(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        {".copyto(", EXS_SINK_FILE_WRITE, K_CALL, 65, 0, P},
        {"file.setcreationtime", EXS_SINK_FILE_WRITE, K_CALL, 85, 70, A},
        {"file.setlastwritetime", EXS_SINK_FILE_WRITE, K_CALL, 85, 70, A},
        {"file.setlastaccesstime", EXS_SINK_FILE_WRITE, K_CALL, 85, 70, A},
        {".creationtime=", EXS_SINK_FILE_WRITE, K_STMT, 85, 0, P},
        {".lastwritetime=", EXS_SINK_FILE_WRITE, K_STMT, 85, 0, P},
        {"file.setattributes(", EXS_SINK_FILE_WRITE, K_CALL, 70, 0, P},
        /* file reads: any file the client names, sent back */
        {"file.readallbytes(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {"file.readalltext(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {"file.openread(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {"file.opentext(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {"streamreader(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {".writefile(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        {".transmitfile(", EXS_SINK_FILE_READ, K_CALL, 65, 0, P},
        /* directory listing */
        {"directory.getfiles(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"directory.getdirectories(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"directory.getfilesystementries(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"directory.enumerate", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"directoryinfo(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"getlogicaldrives(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        {"driveinfo.getdrives(", EXS_SINK_DIR_LIST, K_CALL, 65, 0, P},
        /* sockets and tunnels */
        {"socket(", EXS_SINK_SOCKET, K_CALL, 80, 0, P},
        {"tcpclient(", EXS_SINK_SOCKET, K_CALL, 85, 0, P},
        {".connect(", EXS_SINK_SOCKET, K_CALL, 85, 0, P},
        {".beginconnect(", EXS_SINK_SOCKET, K_CALL, 85, 0, P},
        {"ipendpoint(", EXS_SINK_SOCKET, K_CALL, 85, 0, P},
        {"ipaddress.parse(", EXS_SINK_SOCKET, K_CALL, 80, 0, P},
        {"dns.gethost", EXS_SINK_SOCKET, K_CALL, 80, 0, P},
        {"webrequest.create(", EXS_SINK_SOCKET, K_CALL, 60, 0, P},
        {"httpwebrequest", EXS_SINK_SOCKET, K_CALL, 60, 0, P},
        {".downloadstring(", EXS_SINK_SOCKET, K_CALL, 65, 0, P},
        {".downloadfile(", EXS_SINK_SOCKET, K_CALL, 75, 0, P},
        {".downloaddata(", EXS_SINK_SOCKET, K_CALL, 65, 0, P},
        {".uploaddata(", EXS_SINK_SOCKET, K_CALL, 65, 0, P},
        /* SQL with a request-chosen connection or command */
        {"sqlconnection(", EXS_SINK_SQL, K_CALL, 80, 0, P},
        {"oledbconnection(", EXS_SINK_SQL, K_CALL, 80, 0, P},
        {"odbcconnection(", EXS_SINK_SQL, K_CALL, 80, 0, P},
        {"mysqlconnection(", EXS_SINK_SQL, K_CALL, 80, 0, P},
        {"oracleconnection(", EXS_SINK_SQL, K_CALL, 80, 0, P},
        {".connectionstring=", EXS_SINK_SQL, K_STMT, 80, 0, P},
        {"sqlcommand(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"oledbcommand(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"sqldataadapter(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"oledbdataadapter(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"odbcdataadapter(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"mysqldataadapter(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"odbccommand(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"mysqlcommand(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {"oraclecommand(", EXS_SINK_SQL, K_CALL, 55, 0, P},
        {".commandtext=", EXS_SINK_SQL, K_STMT, 55, 0, P},
        {"xp_cmdshell", EXS_SINK_SQL, K_PRESENCE, 90, 85, A},
        {"sp_oacreate", EXS_SINK_SQL, K_PRESENCE, 90, 85, A},
        /* PowerShell runspaces */
        {"runspacefactory", EXS_SINK_POWERSHELL, K_STMT, 92, 80, A},
        {"powershell.create(", EXS_SINK_POWERSHELL, K_CALL, 92, 80, A},
        {".addscript(", EXS_SINK_POWERSHELL, K_CALL, 92, 75, A},
        {"system.management.automation", EXS_SINK_POWERSHELL, K_PRESENCE, 90, 70, A},
        /* COM shells */
        {"wscript.shell", EXS_SINK_COM, K_PRESENCE, 90, 85, A},
        {"shell.application", EXS_SINK_COM, K_PRESENCE, 90, 85, A},
        {"msscriptcontrol", EXS_SINK_COM, K_PRESENCE, 90, 85, A},
        {"scriptcontrol", EXS_SINK_COM, K_PRESENCE, 90, 75, A},
        {"wscript.network", EXS_SINK_COM, K_PRESENCE, 80, 70, A},
        /* registry and directory services */
        {"registry.localmachine", EXS_SINK_REGISTRY, K_STMT, 65, 0, P},
        {"registry.getvalue(", EXS_SINK_REGISTRY, K_CALL, 65, 0, P},
        {"opensubkey(", EXS_SINK_REGISTRY, K_CALL, 65, 0, P},
        {"openremotebasekey(", EXS_SINK_REGISTRY, K_CALL, 75, 60, A},
        {"directoryentry(", EXS_SINK_REGISTRY, K_CALL, 65, 0, P},
        {"directorysearcher(", EXS_SINK_REGISTRY, K_CALL, 65, 0, P},
        /* in-memory shells */
        {"registervirtualpathprovider", EXS_SINK_MEMSHELL, K_PRESENCE, 90, 85, A},
        {"virtualpathprovider", EXS_SINK_MEMSHELL, K_PRESENCE, 85, 60, A},
        {"httplistener", EXS_SINK_MEMSHELL, K_PRESENCE, 85, 75, A},
        {"registermodule(", EXS_SINK_MEMSHELL, K_CALL, 85, 75, A},
        {"dynamicmodule", EXS_SINK_MEMSHELL, K_PRESENCE, 85, 75, A},
        {"routetable.routes.insert(", EXS_SINK_MEMSHELL, K_CALL, 85, 75, A},
        {"routes.add(", EXS_SINK_MEMSHELL, K_CALL, 85, 0, A},
        {"remaphandler(", EXS_SINK_MEMSHELL, K_CALL, 85, 0, A},
        /* shellcode */
        {"virtualalloc", EXS_SINK_NATIVE, K_PRESENCE, 95, 70, A},
        {"getdelegateforfunctionpointer", EXS_SINK_NATIVE, K_PRESENCE, 95, 75, A},
        {"createremotethread", EXS_SINK_NATIVE, K_PRESENCE, 95, 85, A},
};
#undef P
#undef A

/* The extent of a sink's reach: a call's arguments, or its statement. */
static void sink_span(struct cap *c, const struct sink *s, size_t at, size_t st_a, size_t st_b,
                      size_t *a, size_t *b)
{
	size_t plen = strlen(s->pat);

	*a = st_a;
	*b = st_b;
	if (s->kind == K_CALL) {
		size_t o = at + plen;

		if (s->pat[plen - 1] != '(') {
			/* createprocess..., shellexecute..., dns.gethost...: find the '(' */
			while (o < c->n && wc(c->t[o]))
				o++;
			if (o >= c->n || c->t[o] != '(')
				return;
			o++;
		}
		*a = o;
		*b = close_paren(c->t, o, o + ARG_SPAN < c->n ? o + ARG_SPAN : c->n);
		/* new x(...) { ... } and `x = sink(..)`: the statement holds the rest */
		if (*b < st_b)
			*b = st_b;
	}
}

static size_t stmt_of(const struct cap *c, size_t off)
{
	size_t lo = 0, hi = c->nst;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->st[mid].b <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether the page holds a word, looked up once per page and word. */
static bool page_has(const struct cap *c, const char *w)
{
	struct cap *m = (struct cap *)c; /* the memo is not part of the answer */

	for (size_t i = 0; i < m->n_memo; i++)
		if (m->memo[i].w == w)
			return m->memo[i].has;
	if (m->n_memo == sizeof(m->memo) / sizeof(m->memo[0]))
		return strstr(c->t, w) != NULL;
	m->memo[m->n_memo].w = w;
	m->memo[m->n_memo].has = strstr(c->t, w) != NULL;
	return m->memo[m->n_memo++].has;
}

/* The arguments after the first top-level comma of t[a,b) hold request data. */
static bool conn_arg_tainted(struct cap *c, size_t a, size_t b)
{
	int d = 0;
	size_t w;
	char nm[48];

	for (size_t i = a; i < b; i++) {
		char ch = c->t[i];

		if (ch == '"') {
			i = string_end(c->t, i, b);
			continue;
		}
		if (ch == '(' || ch == '[')
			d++;
		else if (ch == ')' || ch == ']') {
			if (--d < 0)
				return false;
		} else if (ch == ',' && d == 0) {
			size_t e = i + 1;

			d = 0;
			while (e < b && !(d == 0 && c->t[e] == ')')) {
				if (c->t[e] == '(')
					d++;
				else if (c->t[e] == ')')
					d--;
				e++;
			}
			return (source_in(c, i + 1, e, &w, nm, sizeof(nm)) & TAINT_PARAM) != 0;
		}
	}
	return false;
}

static bool path_checked(const struct cap *c)
{
	return page_has(c, "getextension(") || page_has(c, "\"..\"") ||
	       page_has(c, "getinvalidfilenamechars") || page_has(c, "getinvalidpathchars") ||
	       page_has(c, "array.indexof(") || page_has(c, ".containskey(") ||
	       page_has(c, "regex.ismatch(");
}

static void record(struct cap *c, const struct sink *s, size_t at, bool flow, size_t src,
                   const char *src_name, int score)
{
	struct exs_capability_hit *h = &c->out->hits[s->cls];

	if (score <= h->score)
		return;
	if (!h->score)
		c->out->n_hits++;
	h->cls = s->cls;
	h->score = score;
	h->flow = flow;
	h->sink_off = exs_view_orig(c->v, at);
	h->has_source = flow;
	h->source_off = flow ? exs_view_orig(c->v, src) : 0;
	snprintf(h->sink, sizeof(h->sink), "%s", s->pat);
	snprintf(h->source, sizeof(h->source), "%s", flow ? src_name : "");
}

/* Strong sinks in a code unit that also reads request data: the flow may
 * pass through code the model cannot follow (fields, decryption, callbacks). */
static bool strong_sink(const struct sink *s)
{
	static const char *const strong[] = {"process.start(",
	                                     "processstartinfo(",
	                                     "createprocess",
	                                     "socket(",
	                                     "tcpclient(",
	                                     "assembly.load(",
	                                     "compileassemblyfromsource(",
	                                     "csharpcodeprovider",
	                                     "runspacefactory",
	                                     "powershell.create("};

	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		if (strcmp(s->pat, strong[i]) == 0)
			return true;
	return false;
}

/* Assembly.Load reached by reflection or a delegate, or an instance made
 * from loaded bytes and handed the request through Equals(): loaders that
 * avoid naming Assembly.Load, with an encrypted or encoded payload. */
static bool reflective_loader(const struct cap *c)
{
	bool payload = page_has(c, "createdecryptor") || page_has(c, "transformfinalblock") ||
	               page_has(c, "frombase64string");
	bool reflect = page_has(c, "typeof(system.reflection.assembly)") ||
	               page_has(c, "typeof(assembly)") ||
	               page_has(c, "delegate system.reflection.assembly") ||
	               page_has(c, "delegate assembly");
	bool equals_trick = page_has(c, "createinstance(") &&
	                    (page_has(c, ".equals(ctx") || page_has(c, ".equals(context") ||
	                     page_has(c, ".equals(this") || page_has(c, ".equals(httpcontext"));

	return payload && (reflect || equals_trick);
}

/* Presence-only sinks that need company to mean anything. */
static int presence_score(struct cap *c, const struct sink *s)
{
	int co = 0;

	if (strong_sink(s) && c->reads_request)
		co = 70;
	switch (s->cls) {
	case EXS_SINK_PROCESS:
		if (page_has(c, "\"cmd") || page_has(c, "cmd.exe") || page_has(c, "powershell") ||
		    page_has(c, "\"/c ") || page_has(c, "/c \""))
			return s->presence > 75 ? s->presence : 75;
		return s->presence > co ? s->presence : co;
	case EXS_SINK_ASSEMBLY:
		/* an encrypted or encoded payload loaded as code: Behinder, Godzilla */
		if (strncmp(s->pat, "assembly.load(", 14) == 0 ||
		    strncmp(s->pat, "appdomain.currentdomain.load(", 29) == 0) {
			if (page_has(c, "createdecryptor") || page_has(c, "transformfinalblock") ||
			    page_has(c, "frombase64string") || page_has(c, "rijndael") ||
			    page_has(c, "^"))
				return 85;
			return co > 60 ? co : 60;
		}
		if (reflective_loader(c))
			return 85;
		return s->presence;
	case EXS_SINK_EVAL:
		if (strcmp(s->pat, "eval(") == 0 && page_has(c, "\"unsafe\""))
			return 85;
		return s->presence > co ? s->presence : co;
	default:
		return s->presence > co ? s->presence : co;
	}
}

static void sink_at(struct cap *c, const struct sink *s, size_t at)
{
	size_t plen = strlen(s->pat), si, a, b, src = 0;
	char name[48] = "";
	unsigned bits;
	int score;

	/* a word pattern must start a word */
	if (at > 0 && wc(s->pat[0]) && wc(c->t[at - 1]) && s->pat[0] != '.')
		return;
	si = stmt_of(c, at);
	if (si >= c->nst)
		return;
	sink_span(c, s, at, c->st[si].a, c->st[si].b, &a, &b);
	if (s->pat[0] == '.') {
		/* a member call: the object it is called on counts too,
		 * e.g. new fileinfo(request[..]) then fil.createtext() */
		size_t r = at;

		while (r > c->st[si].a && (wc(c->t[r - 1]) || c->t[r - 1] == '.'))
			r--;
		if (s->kind == K_CALL)
			a = r;
	}
	if (s->kind == K_STMT && s->pat[plen - 1] == '=') {
		a = at + plen; /* the assigned value */
		b = c->st[si].b;
	}
	bits = source_in(c, a, b, &src, name, sizeof(name));
	if (bits & s->need) {
		score = s->flow;
		if (s->cls == EXS_SINK_SQL && s->kind == K_CALL && score < 80 &&
		    conn_arg_tainted(c, a, b))
			score = 80; /* new xxxcommand(sql, conn): the connection is chosen */
		/* a path checked against "..", an extension list or invalid
		 * characters is the mark of an application, not a shell */
		if ((s->cls == EXS_SINK_FILE_WRITE || s->cls == EXS_SINK_FILE_READ ||
		     s->cls == EXS_SINK_DIR_LIST) &&
		    path_checked(c))
			score -= 20;
		record(c, s, at, true, src, name, score);
	} else {
		score = presence_score(c, s);
		if (score)
			record(c, s, at, false, 0, "", score);
	}
}

#define N_SINKS (sizeof(sinks) / sizeof(sinks[0]))

/* One pass over the view: at each byte, only the patterns that start with it. */
static void scan_sinks(struct cap *c)
{
	unsigned char head[256][32]; /* pattern indices by first byte */
	unsigned char nhead[256] = {0};
	bool on[N_SINKS];
	size_t len[N_SINKS];
	bool psi = page_has(c, "processstartinfo") || page_has(c, "new process");

	for (size_t k = 0; k < N_SINKS; k++) {
		unsigned char f = (unsigned char)sinks[k].pat[0];

		len[k] = strlen(sinks[k].pat);
		on[k] = true;
		if (sinks[k].cls == EXS_SINK_PROCESS && sinks[k].kind == K_STMT &&
		    strcmp(sinks[k].pat, ".arguments=") && !psi)
			on[k] = false;
		if (strcmp(sinks[k].pat, ".filename=") == 0 && !psi &&
		    !page_has(c, "system.diagnostics.process"))
			on[k] = false;
		if (on[k] && nhead[f] < sizeof(head[0]))
			head[f][nhead[f]++] = (unsigned char)k;
		else if (on[k])
			abort(); /* a bucket too small for the table: a build-time mistake */
	}
	for (size_t i = 0; i < c->n; i++) {
		unsigned char f = (unsigned char)c->t[i];

		for (unsigned j = 0; j < nhead[f]; j++) {
			const struct sink *s = &sinks[head[f][j]];
			size_t plen = len[head[f][j]];

			if (i + plen <= c->n && c->t[i + 1] == s->pat[1] &&
			    memcmp(c->t + i, s->pat, plen) == 0)
				sink_at(c, s, i);
		}
	}
}

/* A page that writes server code to disk: a dropper. */
static void scan_dropper(struct cap *c)
{
	static const struct sink drop = {
	        "server page written", EXS_SINK_FILE_WRITE, K_PRESENCE, 85, 85, 0};
	static const char *const writes[] = {"file.writealltext(", "file.createtext(",
	                                     "streamwriter(", "file.appendalltext(",
	                                     "file.writeallbytes("};
	bool writer = false;
	const char *p;

	static const char *const pages[] = {".aspx\"", ".ashx\"",   ".asmx\"",
	                                    ".asp\"",  ".cshtml\"", ".svc\""};

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		/* a server page named in the call: code fetched or built, then dropped */
		for (p = c->t; (p = strstr(p, writes[i])) != NULL; p++) {
			const char *e = p + strlen(writes[i]);
			size_t span = 0;

			while (e[span] && e[span] != ')' && e[span] != ';' && span < 512)
				span++;
			for (size_t k = 0; k < sizeof(pages) / sizeof(pages[0]); k++) {
				if (memmem(e, span, pages[k], strlen(pages[k]))) {
					record(c, &drop, (size_t)(p - c->t), false, 0, "", 80);
					break;
				}
			}
		}
		writer = writer || page_has(c, writes[i]);
	}
	if (!writer)
		return;
	/* a string literal holding a server-code opener */
	for (p = c->t; (p = strstr(p, "\"")) != NULL;) {
		const char *e = p + 1;

		while (*e && *e != '"') {
			if (*e == '\\' && e[1])
				e++;
			e++;
		}
		if (!*e)
			break;
		if ((memmem(p, (size_t)(e - p), "<%", 2) &&
		     (memmem(p, (size_t)(e - p), "request", 7) ||
		      memmem(p, (size_t)(e - p), "eval", 4))) ||
		    memmem(p, (size_t)(e - p), "runat=\\\"server", 14)) {
			record(c, &drop, (size_t)(p - c->t), false, 0, "", 85);
			return;
		}
		p = e + 1;
	}
}

static const char *const class_names[EXS_SINK_COUNT] = {
        [EXS_SINK_PROCESS] = "process start",
        [EXS_SINK_EVAL] = "script evaluation or compilation",
        [EXS_SINK_ASSEMBLY] = "assembly loading or reflection",
        [EXS_SINK_FILE_WRITE] = "file write",
        [EXS_SINK_FILE_READ] = "file read",
        [EXS_SINK_DIR_LIST] = "directory listing",
        [EXS_SINK_SOCKET] = "socket or outbound request",
        [EXS_SINK_SQL] = "SQL connection or command",
        [EXS_SINK_POWERSHELL] = "PowerShell runspace",
        [EXS_SINK_COM] = "COM shell object",
        [EXS_SINK_REGISTRY] = "registry or directory services",
        [EXS_SINK_MEMSHELL] = "in-memory handler registration",
        [EXS_SINK_NATIVE] = "native code execution",
};

static const char *const class_rules[EXS_SINK_COUNT] = {
        [EXS_SINK_PROCESS] = "exs_cap_process",       [EXS_SINK_EVAL] = "exs_cap_eval",
        [EXS_SINK_ASSEMBLY] = "exs_cap_assembly",     [EXS_SINK_FILE_WRITE] = "exs_cap_file_write",
        [EXS_SINK_FILE_READ] = "exs_cap_file_read",   [EXS_SINK_DIR_LIST] = "exs_cap_dir_list",
        [EXS_SINK_SOCKET] = "exs_cap_socket",         [EXS_SINK_SQL] = "exs_cap_sql",
        [EXS_SINK_POWERSHELL] = "exs_cap_powershell", [EXS_SINK_COM] = "exs_cap_com",
        [EXS_SINK_REGISTRY] = "exs_cap_registry",     [EXS_SINK_MEMSHELL] = "exs_cap_memshell",
        [EXS_SINK_NATIVE] = "exs_cap_native",
};

const char *exs_sink_class_name(enum exs_sink_class c)
{
	return c < EXS_SINK_COUNT ? class_names[c] : "?";
}

const char *exs_sink_class_rule(enum exs_sink_class c)
{
	return c < EXS_SINK_COUNT ? class_rules[c] : "exs_cap";
}

/* The page's score: the best sink, raised by breadth and obfuscation. */
static void judge(struct cap *c)
{
	struct exs_capability *o = c->out;
	const struct exs_view *v = c->v;
	size_t flows = 0;
	int best = 0, bonus = 0;
	unsigned undone = v->n_unicode + v->n_chr + v->n_base64 * 4;

	for (int k = 0; k < EXS_SINK_COUNT; k++) {
		if (!o->hits[k].score)
			continue;
		if (o->hits[k].flow)
			flows++;
		if (o->hits[k].score > best) {
			best = o->hits[k].score;
			o->top = (enum exs_sink_class)k;
		}
	}
	if (!best)
		return;
	/* a file manager, database console and command shell in one page */
	if (flows >= 3)
		bonus += 10;
	else if (flows == 2)
		bonus += 5;
	/* code hidden by escapes, Chr() runs or base64 */
	if (undone >= 8)
		bonus += 10;
	/* logic inline in the page rather than in compiled code-behind */
	if (v->page && !v->code_behind && o->hits[o->top].flow)
		bonus += 5;
	o->score = best + bonus > 100 ? 100 : best + bonus;
	{
		char buf[512];
		size_t len = 0;

		for (int k = 0; k < EXS_SINK_COUNT && len < sizeof(buf) - 80; k++) {
			const struct exs_capability_hit *h = &o->hits[k];

			if (!h->score)
				continue;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s",
			                        len ? ", " : "", class_names[k],
			                        h->flow ? " (request data)" : "");
		}
		if (undone >= 8 && len < sizeof(buf) - 40)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "; obfuscated");
		o->summary = strdup(buf);
	}
}

int exs_capability_scan(const struct exs_view *v, struct exs_capability *out)
{
	struct cap c;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.t = v->text ? v->text : "";
	c.n = v->len;
	c.out = out;
	if (!v->len)
		return 0;
	c.names = calloc(1, sizeof(*c.names));
	c.aliases = calloc(1, sizeof(*c.aliases));
	if (!c.names || !c.aliases)
		goto out;
	if (cut_statements(&c) || find_braces(&c) || find_defs(&c))
		goto out;
	propagate(&c);
	{
		size_t w;
		char nm[48];

		c.reads_request = source_in(&c, 0, c.n, &w, nm, sizeof(nm)) != 0;
	}
	scan_sinks(&c);
	scan_dropper(&c);
	judge(&c);
	rc = 0;
out:
	free(c.names);
	free(c.aliases);
	free(c.st);
	free(c.defs);
	free(c.braces);
	return rc;
}

void exs_capability_release(struct exs_capability *c)
{
	free(c->summary);
	memset(c, 0, sizeof(*c));
}
