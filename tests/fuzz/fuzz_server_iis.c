/* libFuzzer target: the applicationHost.config reader (src/server/iis_config.c)
 * on arbitrary bytes, as a walk hands it the file from a scanned disk, and
 * the same bytes as a web.config read for URL Rewrite mitigations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"HttpLoggingModule", "StaticFileModule"};
	struct exs_iis_config c;
	struct exs_error err;

	if (exs_iis_config_parse(data, size, known, 2, &c, &err) == 0) {
		(void)exs_iis_config_ep(&c, "Default Web Site/owa");
		(void)exs_iis_config_add_web(&c, data, size, "Default Web Site/owa", &err);
		exs_iis_config_release(&c);
	}
	return 0;
}
