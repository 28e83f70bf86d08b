/* Prints the normalised view of each file and what the capability model
 * makes of it: a developer's look at src/detect.
 *   cc -O2 -std=gnu11 -Iinclude bench/detection/view.c build/src/libexscan.a -o /tmp/view
 *   /tmp/view FILE... */
#include <stdio.h>
#include <stdlib.h>

#include "exscan/detect.h"

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf = NULL;
		size_t n = 0, cap = 0, r;
		struct exs_view v;
		struct exs_capability c;

		if (!f) {
			fprintf(stderr, "view: cannot open '%s'\n", argv[i]);
			rc = 1;
			continue;
		}
		do {
			if (n + 65536 > cap) {
				unsigned char *p = realloc(buf, cap = n + 65536);

				if (!p)
					abort();
				buf = p;
			}
			r = fread(buf + n, 1, 65536, f);
			n += r;
		} while (r > 0);
		fclose(f);
		if (exs_view_build(&v, buf, n, 0) || exs_capability_scan(&v, &c))
			abort();
		printf("==== %s: %zu blocks, %zu controls, score %d: %s\n%s\n", argv[i], v.n_blocks,
		       v.n_controls, c.score, c.summary ? c.summary : "-", v.text);
		for (int k = 0; k < EXS_SINK_COUNT; k++)
			if (c.hits[k].score)
				printf("  %s %d flow=%d sink=%s@%llu source=%s@%llu\n",
				       exs_sink_class_rule((enum exs_sink_class)k), c.hits[k].score,
				       c.hits[k].flow, c.hits[k].sink,
				       (unsigned long long)c.hits[k].sink_off, c.hits[k].source,
				       (unsigned long long)c.hits[k].source_off);
		exs_capability_release(&c);
		exs_view_release(&v);
		free(buf);
	}
	return rc;
}
