/* --shard K/N: which items of a stream belong to one machine of a fleet. */
#include <string.h>

#include "exscan/buf.h"
#include "exscan/escape.h"
#include "exscan/shard.h"

void exs_shard_init(struct exs_shard *s)
{
	s->k = 0;
	s->n = 0;
}

/* Digits only, no sign, no leading zero, at most 5 digits (65536 fits). */
static int parse_part(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int exs_shard_parse(const char *text, struct exs_shard *out, struct exs_error *err)
{
	const char *slash = strchr(text, '/');
	struct exs_buf b;
	unsigned k, n;
	int rc = 0;

	exs_buf_init(&b, 256);
	if (!slash || parse_part(text, (size_t)(slash - text), &k) ||
	    parse_part(slash + 1, strlen(slash + 1), &n)) {
		exs_escape_excerpt(&b, text, strlen(text), 40);
		rc = exs_error_set(err, "--shard '%s' is not K/N (two whole numbers, e.g. 2/8)",
		                   exs_buf_cstr(&b));
		goto out;
	}
	if (n < 1 || n > EXS_SHARD_MAX || k < 1 || k > n) {
		rc = exs_error_set(err, "--shard %u/%u: want 1 <= K <= N <= %u", k, n,
		                   EXS_SHARD_MAX);
		goto out;
	}
	out->k = k;
	out->n = n;
out:
	exs_buf_release(&b);
	return rc;
}

bool exs_shard_active(const struct exs_shard *s)
{
	return s->n > 0;
}

bool exs_shard_owns(const struct exs_shard *s, uint64_t i)
{
	return s->n == 0 || i % s->n == s->k - 1;
}

uint64_t exs_shard_count(const struct exs_shard *s, uint64_t first, uint64_t count)
{
	uint64_t d;

	if (s->n == 0)
		return count;
	/* offset of the first index of ours at or after first */
	d = ((uint64_t)(s->k - 1) + s->n - first % s->n) % s->n;
	if (d >= count)
		return 0;
	return 1 + (count - 1 - d) / s->n;
}
