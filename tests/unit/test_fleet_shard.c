/* --shard K/N: parsing, the partition function, and the target generator's
 * shards (disjoint, and together the whole unsharded stream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/probe.h"
#include "exscan/shard.h"

static void parse(void **state)
{
	struct exs_shard s;
	struct exs_error err = {{0}};
	const char *bad[] = {"",     "1",     "/3",      "1/",          "0/3",      "4/3",  "1/0",
	                     "-1/3", "+1/3",  "1/3 ",    " 1/3",        "1/3/4",    "01/3", "1/03",
	                     "a/b",  "1.5/3", "1/65537", "99999/99999", "1/999999", "2/1"};

	(void)state;
	assert_int_equal(exs_shard_parse("1/1", &s, &err), 0);
	assert_int_equal(s.k, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(exs_shard_parse("7/65536", &s, &err), 0);
	assert_int_equal(s.k, 7);
	assert_int_equal(s.n, 65536);
	assert_int_equal(exs_shard_parse("65536/65536", &s, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (exs_shard_parse(bad[i], &s, &err) != -1)
			fail_msg("'%s' accepted as a shard", bad[i]);
		assert_non_null(strstr(err.msg, "--shard"));
	}
	/* what it quotes is escaped */
	assert_int_equal(exs_shard_parse("1\033/3", &s, &err), -1);
	assert_null(strchr(err.msg, '\033'));
}

static void partition(void **state)
{
	struct exs_shard none, s;

	(void)state;
	exs_shard_init(&none);
	assert_false(exs_shard_active(&none));
	for (uint64_t i = 0; i < 50; i++)
		assert_true(exs_shard_owns(&none, i));
	assert_int_equal(exs_shard_count(&none, 3, 10), 10);
	for (unsigned n = 1; n <= 7; n++) {
		for (uint64_t i = 0; i < 100; i++) {
			unsigned owners = 0;

			for (unsigned k = 1; k <= n; k++) {
				s.k = k;
				s.n = n;
				if (exs_shard_owns(&s, i)) {
					owners++;
					assert_int_equal(k, (unsigned)(i % n) + 1);
				}
			}
			assert_int_equal(owners, 1); /* disjoint and complete */
		}
		/* exs_shard_count agrees with counting one by one */
		for (unsigned k = 1; k <= n; k++) {
			s.k = k;
			s.n = n;
			for (uint64_t first = 0; first < 20; first++)
				for (uint64_t count = 0; count < 20; count++) {
					uint64_t c = 0;

					for (uint64_t i = first; i < first + count; i++)
						c += exs_shard_owns(&s, i);
					assert_int_equal(exs_shard_count(&s, first, count), c);
				}
		}
	}
	s.k = 3;
	s.n = 65536;
	assert_true(exs_shard_owns(&s, UINT64_MAX - 65535 + 2));
	assert_int_equal(exs_shard_count(&s, UINT64_MAX - 70000, 70000), 1);
}

#define MAX_SEEN 2048

struct seen {
	char host[MAX_SEEN][272];
	size_t n;
	size_t bad;
};

/* Runs a generator to the end, recording "host port" of each target. */
static void drain(char **args, int nargs, const char *input, const struct exs_shard *s,
                  struct seen *out, uint64_t *total)
{
	struct exs_error err = {{0}};
	struct exs_target_gen *g = exs_target_gen_new(args, nargs, input, &err);
	struct exs_target t;
	int rc;

	assert_non_null(g);
	if (s)
		exs_target_gen_set_shard(g, s);
	*total = exs_target_gen_total(g);
	out->n = out->bad = 0;
	while ((rc = exs_target_gen_next(g, &t, &err)) != 0) {
		if (rc < 0) {
			out->bad++;
			continue;
		}
		assert_true(out->n < MAX_SEEN);
		snprintf(out->host[out->n++], sizeof(out->host[0]), "%s %u", t.host, t.port);
	}
	exs_target_gen_free(g);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void gen_shards(void **state)
{
	char *args[] = {"mail.example.com", "192.0.2.0/28",  "bad host!",  "[2001:db8::/123]:8443",
	                "198.51.100.7:444", "2001:db8:1::5", "10.9.8.7/31"};
	char path[] = "/tmp/exscan-shard-XXXXXX";
	static struct seen all, part, uni;
	uint64_t total, t;
	int fd;
	FILE *fp;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("# a comment\n\nhost-a.example\n203.0.113.16/29:8443\n   \n[::ffff:0:0/124]\n"
	      "not a target!\nhost-b.example:9443\n",
	      fp);
	fclose(fp);

	for (int with_input = 0; with_input < 2; with_input++) {
		const char *input = with_input ? path : NULL;

		drain(args, 7, input, NULL, &all, &total);
		assert_int_equal(all.n,
		                 1 + 16 + 32 + 1 + 1 + 2 + (with_input ? 1 + 8 + 16 + 1 : 0));
		assert_int_equal(all.bad, 1 + with_input);
		assert_int_equal(total, with_input ? 0 : all.n);
		for (unsigned n = 1; n <= 9; n++) {
			size_t bad = 0;

			uni.n = 0;
			for (unsigned k = 1; k <= n; k++) {
				struct exs_shard s = {k, n};

				drain(args, 7, input, &s, &part, &t);
				if (!with_input) {
					/* the shard's size, counted without walking */
					assert_int_equal(t, part.n);
				}
				bad += part.bad;
				for (size_t i = 0; i < part.n; i++)
					memcpy(uni.host[uni.n++], part.host[i],
					       sizeof(part.host[0]));
			}
			assert_int_equal(bad, all.bad); /* each bad one reported once */
			assert_int_equal(uni.n, all.n);
			qsort(uni.host, uni.n, sizeof(uni.host[0]), cmp);
			{
				static struct seen sorted;

				memcpy(&sorted, &all, sizeof(all));
				qsort(sorted.host, sorted.n, sizeof(sorted.host[0]), cmp);
				for (size_t i = 0; i < uni.n; i++) {
					assert_string_equal(uni.host[i], sorted.host[i]);
					if (i > 0) /* every target of the list is distinct */
						assert_string_not_equal(uni.host[i],
						                        uni.host[i - 1]);
				}
			}
		}
	}

	/* shard 2/3 of the stream is exactly items 1, 4, 7, ... (bad ones count) */
	{
		char *a2[] = {"10.0.0.0/30", "bad host!", "h.example", "10.1.0.0/31"};
		struct exs_shard s = {2, 3};

		drain(a2, 4, NULL, &s, &part, &t);
		/* stream: 10.0.0.0 .1 .2 .3, bad, h.example, 10.1.0.0 .1 */
		assert_int_equal(part.n, 2);
		assert_int_equal(part.bad, 1);
		assert_string_equal(part.host[0], "10.0.0.1 443");
		assert_string_equal(part.host[1], "10.1.0.1 443");
		assert_int_equal(t, 2);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(parse),
	        cmocka_unit_test(partition),
	        cmocka_unit_test(gen_shards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
