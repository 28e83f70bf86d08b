/* Where in a file YARA can find anything (internal to src/walk).
 *
 * libyara finds a string only where one of its atoms (1 to 4 bytes, chosen
 * at compile time) occurs, and verifies it at most YR_RE_SCAN_LIMIT bytes
 * back and forth from there.  A prefilter holds the atoms of compiled rules
 * and finds them several times faster than YARA's own automaton walks a
 * file; YARA is then given only the windows around them, plus the file's
 * first 4 KiB (conditions such as uint16(0) read it).  The matches, and so
 * the rules that match, are the same as a scan of the whole file, as long as
 * no condition reads bytes elsewhere (modules, uint32(x) at a far offset,
 * hash or math over ranges): only the built-in rules are used this way.
 *
 * Ownership: exs_prefilter_new() returns a heap object the caller frees with
 * exs_prefilter_free(); it only reads the rules, which may be destroyed
 * after it.  The windows are written into the caller's struct exs_ranges.
 */
#ifndef EXSCAN_WALK_PREFILTER_H
#define EXSCAN_WALK_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yara.h>

struct exs_prefilter;

struct exs_range {
	size_t start, end; /* [start, end) in the buffer */
};

struct exs_ranges {
	struct exs_range *items;
	size_t n, cap;
};

/* Files smaller than this are scanned whole: the windows would not pay. */
#define EXS_PREFILTER_MIN_SIZE (16u << 10)

/* The prefilter of rules' atoms, or NULL when they do not allow one (an atom
 * of one byte or none, more atoms than it holds) or memory is short. */
struct exs_prefilter *exs_prefilter_new(const YR_RULES *rules);
void exs_prefilter_free(struct exs_prefilter *pf);

/* Fills out with the sorted, disjoint windows of p[0..n) YARA has to see and
 * returns true; returns false when the whole buffer has to be scanned (small,
 * windows covering most of it, or out of memory). */
bool exs_prefilter_windows(const struct exs_prefilter *pf, const uint8_t *p, size_t n,
                           struct exs_ranges *out);

/* Atoms held, for tests and diagnostics. */
size_t exs_prefilter_atoms(const struct exs_prefilter *pf);

/* Bytes the ranges hold. */
size_t exs_ranges_covered(const struct exs_ranges *r);
void exs_ranges_release(struct exs_ranges *r);

#endif
