/* libFuzzer target: the capability model on the view of arbitrary bytes;
 * evidence offsets must point inside the input and scores stay in 0-100. */
#include <stdint.h>
#include <stdlib.h>

#include "exscan/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_view v;
	struct exs_capability c;

	if (exs_view_build(&v, data, size, 0))
		return 0;
	if (exs_capability_scan(&v, &c) == 0) {
		if (c.score < 0 || c.score > 100)
			abort();
		for (int k = 0; k < EXS_SINK_COUNT; k++)
			if (c.hits[k].score && size && c.hits[k].sink_off >= size)
				abort();
		exs_capability_release(&c);
	}
	exs_view_release(&v);
	return 0;
}
