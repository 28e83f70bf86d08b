/* Exchange build numbers: major.minor.build[.revision].
 *
 * Ownership: plain values, nothing allocated.
 */
#ifndef EXSCAN_VERSION_H
#define EXSCAN_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"

#define EXS_VERSION_PART_MAX 999999u

struct exs_version {
	uint32_t part[4];
	int nparts; /* 3 (CU only, as OWA asset paths give it) or 4 (exact) */
};

/* Parses "15.1.2176.2" or "15.1.2176". Rejects anything else (empty parts,
 * signs, spaces, leading zeros beyond one digit, parts over
 * EXS_VERSION_PART_MAX) with a message naming the text. */
int exs_version_parse(const char *s, struct exs_version *v, struct exs_error *err);
/* Same for a counted string (not NUL-terminated), as found in server data. */
int exs_version_parse_n(const char *s, size_t n, struct exs_version *v, struct exs_error *err);

/* Total order; a missing revision counts as 0. */
int exs_version_cmp(const struct exs_version *a, const struct exs_version *b);
/* Compares major.minor.build only. */
int exs_version_cmp3(const struct exs_version *a, const struct exs_version *b);

/* Writes the dotted form; returns `out`. n >= 48 always suffices. */
char *exs_version_format(const struct exs_version *v, char *out, size_t n);

#endif
