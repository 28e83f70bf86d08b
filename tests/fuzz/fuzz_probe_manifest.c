/* libFuzzer: the export tool ClickOnce manifest parser. */
#include <stddef.h>
#include <stdint.h>

#include "exscan/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_version v;

	exs_fp_manifest_version((const char *)data, size, &v);
	return 0;
}
