/* libFuzzer target: the PE version reader (src/server/pe_version.c) on
 * arbitrary bytes, as a walk hands it Bin/ExSetup.exe. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_pe_version v;
	struct exs_error err;

	if (exs_pe_version_read(data, size, &v, &err) == 0 && !memchr(v.text, '\0', sizeof(v.text)))
		abort();
	return 0;
}
