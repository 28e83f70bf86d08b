/* libFuzzer target: the server-code normaliser on arbitrary bytes, with a
 * small view budget now and then so that the cut-off path is exercised;
 * every view byte must map inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "exscan/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_view v;
	size_t budget = size && (data[0] & 1) ? 512 : 0;

	if (exs_view_build(&v, data, size, budget))
		return 0;
	for (size_t i = 0; i < v.len; i++)
		if (v.map[i] >= size && size)
			abort();
	if (budget && v.len > budget)
		abort();
	exs_view_release(&v);
	return 0;
}
