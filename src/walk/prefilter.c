/* The atoms of compiled rules, found without YARA's automaton (prefilter.h).
 *
 * The atoms are read out of libyara's Aho-Corasick trie: every state with a
 * match list is one (its path from the root, 1 to 4 bytes).  Finding them is
 * two steps: a vector filter on four bytes in eight buckets (each
 * byte's low and high nibble looked up with one shuffle, as Hyperscan's
 * "Teddy" does), then an exact check of the candidates against a bitmap of
 * first byte pairs and the atoms behind each pair.  YARA's own walk costs
 * about 5 ns a byte here; the filter well under one. */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EXS_HAVE_AVX2_PATH 1
#endif

#include "prefilter.h"

#define MAX_ATOMS 65535u
#define HEAD_BYTES 4096u /* always scanned: conditions read the header */
#define MERGE_GAP 256u   /* windows closer than this become one block */
#define MAX_COVER_PCT 60 /* beyond this, scanning the whole file is cheaper */

struct pf_atom {
	uint8_t len;
	uint8_t b[4];
	uint32_t word, mask; /* b as a little-endian word, and the bytes it has */
	uint32_t next;       /* 1-based, next atom with the same first two bytes */
	int32_t lo;          /* window: [pos + lo, pos + hi) for an atom at pos */
	int32_t hi;
};

struct exs_prefilter {
	struct pf_atom *atoms;
	uint32_t n_atoms;
	uint64_t pair[1024];   /* bit (b0 | b1 << 8): some atom starts so */
	uint32_t *head;        /* [65536]: first atom of each pair, 1-based */
	uint8_t nib[4][2][16]; /* [byte][low, high nibble] -> bucket bits */
	bool avx2;
};

size_t exs_prefilter_atoms(const struct exs_prefilter *pf)
{
	return pf ? pf->n_atoms : 0;
}

void exs_prefilter_free(struct exs_prefilter *pf)
{
	if (!pf)
		return;
	free(pf->atoms);
	free(pf->head);
	free(pf);
}

size_t exs_ranges_covered(const struct exs_ranges *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->items[i].end - r->items[i].start;
	return n;
}

void exs_ranges_release(struct exs_ranges *r)
{
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* Only strings whose verification stays within YR_RE_SCAN_LIMIT of the atom
 * are allowed: hex strings (jumps), xor and base64 are not bounded so. */
#define UNBOUNDED_FLAGS                                                                            \
	(STRING_FLAGS_HEXADECIMAL | STRING_FLAGS_FAST_REGEXP | STRING_FLAGS_XOR |                  \
	 STRING_FLAGS_BASE64 | STRING_FLAGS_BASE64_WIDE | STRING_FLAGS_CHAIN_PART |                \
	 STRING_FLAGS_CHAIN_TAIL)

/* The window one state's matches need, relative to where its path starts
 * (depth bytes long).  Returns -1 for a string the prefilter cannot bound. */
static int window_of(const YR_RULES *rules, uint32_t state, int depth, int32_t *lo, int32_t *hi)
{
	const YR_AC_MATCH *m = &rules->ac_match_pool[rules->ac_match_table[state] - 1];

	*lo = INT32_MAX;
	*hi = INT32_MIN;
	for (; m; m = m->next) {
		const YR_STRING *s = m->string;
		int32_t at, back, fwd;

		if (!s || (s->flags & UNBOUNDED_FLAGS))
			return -1;
		/* libyara verifies at (end of the path) - backtrack */
		at = depth - (int32_t)m->backtrack;
		if (s->flags & STRING_FLAGS_LITERAL) {
			/* wide doubles it; fullword looks one character out */
			back = 4;
			fwd = 2 * s->length + 4;
		} else {
			/* a regular expression runs at most YR_RE_SCAN_LIMIT each
			 * way; \b looks one character further */
			back = (m->backward_code ? YR_RE_SCAN_LIMIT : 0) + 16;
			fwd = YR_RE_SCAN_LIMIT + 16;
		}
		if (at - back < *lo)
			*lo = at - back;
		if (at + fwd > *hi)
			*hi = at + fwd;
	}
	return 0;
}

struct pf_build {
	const YR_RULES *rules;
	uint32_t table_size;
	struct exs_prefilter *pf;
	bool bad;
};

static void add_atom(struct pf_build *b, uint32_t state, const uint8_t *path, int depth)
{
	struct exs_prefilter *pf = b->pf;
	struct pf_atom *a;
	unsigned pair;

	if (depth < 2 || pf->n_atoms >= MAX_ATOMS) {
		b->bad = true; /* a one-byte atom is everywhere: no prefilter */
		return;
	}
	a = &pf->atoms[pf->n_atoms];
	memset(a, 0, sizeof(*a));
	a->len = (uint8_t)depth;
	memcpy(a->b, path, (size_t)depth);
	for (int j = 0; j < depth; j++) {
		a->word |= (uint32_t)path[j] << (8 * j);
		a->mask |= 0xffu << (8 * j);
	}
	if (window_of(b->rules, state, depth, &a->lo, &a->hi)) {
		b->bad = true;
		return;
	}
	pair = path[0] | (unsigned)path[1] << 8;
	pf->pair[pair >> 6] |= 1ull << (pair & 63);
	a->next = pf->head[pair];
	pf->head[pair] = ++pf->n_atoms;
}

/* Depth-first through the trie: a slot's transition for byte c sits at
 * slot + c + 1 and is valid when its low 9 bits say c + 1. */
static void walk_trie(struct pf_build *b, uint32_t state, uint8_t *path, int depth)
{
	const YR_AC_TRANSITION *t = b->rules->ac_transition_table;

	if (b->bad)
		return;
	if ((uint64_t)state + 257 > b->table_size) {
		b->bad = true;
		return;
	}
	if (b->rules->ac_match_table[state]) {
		if (depth == 0) {
			b->bad = true; /* an empty atom: every offset */
			return;
		}
		add_atom(b, state, path, depth);
	}
	for (unsigned c = 0; c < 256 && !b->bad; c++) {
		YR_AC_TRANSITION x = t[state + c + 1];

		if (YR_AC_INVALID_TRANSITION(x, c + 1))
			continue;
		if (depth >= YR_MAX_ATOM_LENGTH || YR_AC_NEXT_STATE(x) == state) {
			b->bad = true; /* deeper than any atom: not the trie we know */
			return;
		}
		path[depth] = (uint8_t)c;
		walk_trie(b, (uint32_t)YR_AC_NEXT_STATE(x), path, depth + 1);
	}
}

/* The vector filter sees every byte with 0x20 set: an atom's case variants
 * (nocase) fold into one, which keeps the buckets' nibble sets small.
 * Folding only merges, so no atom is missed. */
#define FOLD 0x20

/* Which of an atom's four bytes are zero: ASCII atoms and the two phases of
 * UTF-16 ones ("R\0e\0", "\0R\0e") go to different buckets. */
static unsigned zero_mask(const struct pf_atom *a)
{
	unsigned m = 0;

	for (int j = 0; j < 4; j++)
		m |= (unsigned)(a->b[j] == 0) << j;
	return m;
}

static int cmp_bucket_order(const void *x, const void *y)
{
	const struct pf_atom *a = x, *b = y;
	unsigned za = zero_mask(a), zb = zero_mask(b);

	if (za != zb)
		return za < zb ? -1 : 1;
	for (int j = 0; j < 4; j++)
		if ((a->b[j] | FOLD) != (b->b[j] | FOLD))
			return (a->b[j] | FOLD) - (b->b[j] | FOLD);
	return 0;
}

static void set_bucket(struct exs_prefilter *pf, const struct pf_atom *a, uint8_t bit)
{
	for (int j = 0; j < 4; j++) {
		if (j < a->len) {
			uint8_t c = a->b[j] | FOLD;

			pf->nib[j][0][c & 15] |= bit;
			pf->nib[j][1][c >> 4] |= bit;
		} else {
			for (int k = 0; k < 16; k++) { /* past a short atom: anything */
				pf->nib[j][0][k] |= bit;
				pf->nib[j][1][k] |= bit;
			}
		}
	}
}

/* Eight buckets: the four-byte atoms sorted by shape and bytes and cut in
 * six runs of similar ones; the few three-byte and two-byte atoms get one
 * each. */
static int fill_buckets(struct exs_prefilter *pf)
{
	struct pf_atom *s = malloc((size_t)pf->n_atoms * sizeof(*s));
	uint32_t n4 = 0;

	if (!s)
		return -1;
	memset(pf->nib, 0, sizeof(pf->nib));
	for (uint32_t i = 0; i < pf->n_atoms; i++) {
		if (pf->atoms[i].len == 4)
			s[n4++] = pf->atoms[i];
		else
			set_bucket(pf, &pf->atoms[i], pf->atoms[i].len == 2 ? 0x80 : 0x40);
	}
	qsort(s, n4, sizeof(*s), cmp_bucket_order);
	for (uint32_t i = 0; i < n4; i++)
		set_bucket(pf, &s[i], (uint8_t)(1u << (uint32_t)((uint64_t)i * 6 / n4)));
	free(s);
	return 0;
}

struct exs_prefilter *exs_prefilter_new(const YR_RULES *rules)
{
	YR_RULES_STATS st;
	struct pf_build b = {.rules = rules};
	uint8_t path[YR_MAX_ATOM_LENGTH + 1];
	struct exs_prefilter *pf = NULL;

	if (!rules || yr_rules_get_stats((YR_RULES *)rules, &st) != ERROR_SUCCESS ||
	    st.ac_root_match_list_length != 0 || st.ac_matches == 0)
		goto fail;
	b.table_size = st.ac_tables_size;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		goto fail;
	pf->head = calloc(65536, sizeof(*pf->head));
	pf->atoms = malloc(MAX_ATOMS * sizeof(*pf->atoms));
	if (!pf->head || !pf->atoms)
		goto fail;
	b.pf = pf;
	walk_trie(&b, YR_AC_ROOT_STATE, path, 0);
	if (b.bad || pf->n_atoms == 0 || fill_buckets(pf))
		goto fail;
	{
		/* room was made for MAX_ATOMS; a few hundred are used */
		struct pf_atom *fit = realloc(pf->atoms, pf->n_atoms * sizeof(*fit));

		if (fit)
			pf->atoms = fit;
	}
#ifdef EXS_HAVE_AVX2_PATH
	pf->avx2 = __builtin_cpu_supports("avx2");
#endif
	return pf;
fail:
	exs_prefilter_free(pf);
	return NULL;
}

struct pf_scan {
	const struct exs_prefilter *pf;
	const uint8_t *p;
	size_t n;
	struct exs_ranges *out;
	size_t covered, limit;
	size_t hits; /* atoms found */
	bool fail;   /* out of memory, or covering too much */
};

static void add_window(struct pf_scan *s, size_t start, size_t end)
{
	struct exs_ranges *o = s->out;
	struct exs_range *last = o->n ? &o->items[o->n - 1] : NULL;

	if (last && start <= last->end + MERGE_GAP && start >= last->start) {
		if (end > last->end) {
			s->covered += end - last->end;
			last->end = end;
		}
	} else {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 64;
			struct exs_range *r = realloc(o->items, cap * sizeof(*r));

			if (!r) {
				s->fail = true;
				return;
			}
			o->items = r;
			o->cap = cap;
		}
		o->items[o->n++] = (struct exs_range){start, end};
		s->covered += end - start; /* overlaps with earlier ones counted twice */
	}
	if (s->covered > s->limit)
		s->fail = true;
}

/* An exact check at position i of a candidate. */
static inline void check_at(struct pf_scan *s, size_t i)
{
	const struct exs_prefilter *pf = s->pf;
	uint32_t word = 0; /* little-endian, as the atoms' words */
	unsigned pair;

	if (i + 2 > s->n)
		return;
	pair = s->p[i] | (unsigned)s->p[i + 1] << 8;
	if (!(pf->pair[pair >> 6] >> (pair & 63) & 1))
		return;
	if (i + 4 <= s->n)
		memcpy(&word, s->p + i, 4);
	else
		for (size_t j = i; j < s->n; j++)
			word |= (uint32_t)s->p[j] << (8 * (j - i));
	for (uint32_t k = pf->head[pair]; k; k = pf->atoms[k - 1].next) {
		const struct pf_atom *a = &pf->atoms[k - 1];
		int64_t lo, hi;

		if (i + a->len > s->n || (word & a->mask) != a->word)
			continue;
		s->hits++;
		lo = (int64_t)i + a->lo;
		hi = (int64_t)i + a->hi;
		add_window(s, lo < 0 ? 0 : (size_t)lo, hi > (int64_t)s->n ? s->n : (size_t)hi);
	}
}

/* Text that names the rules' words everywhere is seen for what it is early:
 * more than one atom a KiB in the first 16 KiB (random bytes show one in
 * tens of KiB, Exchange's logs and scripts one every few hundred bytes);
 * and every 64 KiB, windows covering more than the file's share. */
#define CHECK_EVERY (16u << 10)

static bool too_dense(struct pf_scan *s, size_t i)
{
	if (i >= CHECK_EVERY && s->hits > i / 1024)
		s->fail = true;
	if (i >= 4 * CHECK_EVERY && i % (4 * CHECK_EVERY) == 0 &&
	    s->covered > (i + HEAD_BYTES) / 100 * MAX_COVER_PCT)
		s->fail = true;
	return s->fail;
}

/* Every position from `from` on (check_at() tests the first byte pair). */
static void scan_scalar(struct pf_scan *s, size_t from)
{
	for (size_t i = from; i + 1 < s->n && !s->fail; i++) {
		if ((i & (CHECK_EVERY - 1)) == 0 && too_dense(s, i))
			break;
		check_at(s, i);
	}
}

#ifdef EXS_HAVE_AVX2_PATH
__attribute__((target("avx2"))) static size_t scan_avx2(struct pf_scan *s)
{
	const struct exs_prefilter *pf = s->pf;
	const __m256i low = _mm256_set1_epi8(0x0f), fold = _mm256_set1_epi8(FOLD);
	__m256i t[4][2];
	size_t i = 0;

	for (int j = 0; j < 4; j++)
		for (int h = 0; h < 2; h++)
			t[j][h] = _mm256_broadcastsi128_si256(
			        _mm_loadu_si128((const __m128i *)pf->nib[j][h]));
	for (; i + 35 <= s->n && !s->fail; i += 32) {
		__m256i m = _mm256_set1_epi8((char)0xff);
		uint32_t bits;

		if ((i & (CHECK_EVERY - 1)) == 0 && too_dense(s, i))
			break;

		for (int j = 0; j < 4; j++) {
			__m256i v = _mm256_or_si256(
			        _mm256_loadu_si256((const __m256i *)(s->p + i + j)), fold);
			__m256i lo = _mm256_and_si256(v, low);
			__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);

			m = _mm256_and_si256(m, _mm256_shuffle_epi8(t[j][0], lo));
			m = _mm256_and_si256(m, _mm256_shuffle_epi8(t[j][1], hi));
		}
		bits = ~(uint32_t)_mm256_movemask_epi8(
		        _mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
		while (bits) {
			check_at(s, i + (size_t)__builtin_ctz(bits));
			bits &= bits - 1;
		}
	}
	return i;
}
#endif

static int cmp_range(const void *x, const void *y)
{
	const struct exs_range *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

bool exs_prefilter_windows(const struct exs_prefilter *pf, const uint8_t *p, size_t n,
                           struct exs_ranges *out)
{
	struct pf_scan s = {.pf = pf, .p = p, .n = n, .out = out};
	size_t from = 0, k = 0;

	out->n = 0;
	if (!pf || n < EXS_PREFILTER_MIN_SIZE)
		return false;
	s.limit = n / 100 * MAX_COVER_PCT;
	add_window(&s, 0, n < HEAD_BYTES ? n : HEAD_BYTES);
#ifdef EXS_HAVE_AVX2_PATH
	if (pf->avx2)
		from = scan_avx2(&s);
#endif
	if (!s.fail)
		scan_scalar(&s, from);
	if (s.fail) {
		out->n = 0;
		return false;
	}
	/* a window reaching back before the last one's start was appended as
	 * it came: sort, then merge what overlaps or nearly touches */
	qsort(out->items, out->n, sizeof(*out->items), cmp_range);
	for (size_t i = 1; i < out->n; i++) {
		struct exs_range *last = &out->items[k];

		if (out->items[i].start <= last->end + MERGE_GAP) {
			if (out->items[i].end > last->end)
				last->end = out->items[i].end;
		} else {
			out->items[++k] = out->items[i];
		}
	}
	out->n = out->n ? k + 1 : 0;
	return true;
}
