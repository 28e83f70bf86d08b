/* Fleet sharding: --shard K/N splits a stream of items (targets, roots,
 * hosts) so that N machines each take a disjoint part and together cover
 * all of it: item i (0-based, in input order) belongs to shard (i mod N)+1.
 *
 * Ownership: struct exs_shard is a plain value (embedded in the options of
 * probe, and in struct exs_config for walk and scan).
 */
#ifndef EXSCAN_SHARD_H
#define EXSCAN_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "exscan/error.h"

#define EXS_SHARD_MAX 65536u

struct exs_shard {
	unsigned k; /* 1..n; 0 (with n 0): not sharded, every item is ours */
	unsigned n;
};

/* Not sharded: every item belongs to it. */
void exs_shard_init(struct exs_shard *s);
/* Parses "K/N" strictly (decimal digits only, 1 <= K <= N <= 65536).
 * Returns 0, or -1 with a message naming the text. */
int exs_shard_parse(const char *text, struct exs_shard *out, struct exs_error *err);
/* True when the shard is a real part (N > 1 or given at all). */
bool exs_shard_active(const struct exs_shard *s);
/* True when item i (0-based) belongs to the shard. */
bool exs_shard_owns(const struct exs_shard *s, uint64_t i);
/* How many of count items, starting at index first, belong to the shard. */
uint64_t exs_shard_count(const struct exs_shard *s, uint64_t first, uint64_t count);

#endif
