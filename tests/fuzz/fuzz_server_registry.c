/* libFuzzer target: the SOFTWARE hive reader (src/server/registry.c, libregf
 * from memory) on arbitrary bytes, as a walk hands it the hive of a scanned
 * disk when ExSetup.exe is missing. */
#include <stdint.h>
#include <stdlib.h>

#include "exscan/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_registry_build b;
	struct exs_error err;

	(void)exs_registry_exchange_build(data, size, &b, &err);
	return 0;
}
