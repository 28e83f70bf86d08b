/* libFuzzer: target spec parsing. */
#include <stddef.h>
#include <stdint.h>

#include "exscan/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_target_spec s;
	struct exs_error err;

	if (exs_target_spec_parse((const char *)data, size, &s, &err) == 0)
		exs_target_spec_count(&s);
	return 0;
}
