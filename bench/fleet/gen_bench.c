/* How fast the target generator walks a CIDR block with and without --shard
 * (no network: targets are only generated).  Usage: gen_bench CIDR N...
 * Prints, per N, the shard 1/N's targets, seconds and targets+skipped per
 * second; and peak RSS at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "exscan/probe.h"
#include "exscan/shard.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct rusage ru;

	if (argc < 3) {
		fprintf(stderr, "usage: gen_bench CIDR N...\n");
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		struct exs_error err = {{0}};
		struct exs_target_gen *g = exs_target_gen_new(&argv[1], 1, NULL, &err);
		struct exs_shard s = {0, 0};
		struct exs_target t;
		unsigned long n = strtoul(argv[a], NULL, 10);
		unsigned long long count = 0;
		double t0;

		if (!g) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		if (n > 0) {
			s.k = 1;
			s.n = (unsigned)n;
			exs_target_gen_set_shard(g, &s);
		}
		t0 = now();
		while (exs_target_gen_next(g, &t, &err) > 0)
			count++;
		printf("N=%lu\ttargets=%llu\ttotal()=%llu\tseconds=%.3f\n", n, count,
		       (unsigned long long)exs_target_gen_total(g), now() - t0);
		exs_target_gen_free(g);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %ld KB\n", ru.ru_maxrss);
	return 0;
}
