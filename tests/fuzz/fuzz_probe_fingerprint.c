/* libFuzzer: page and header fingerprint extraction over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "exscan/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct exs_version v;
	const char *val;
	size_t vlen;
	char names[256];

	exs_fp_owa_asset_version(s, size, &v);
	exs_fp_marker_names(exs_fp_page_markers(s, size), names, sizeof(names));
	exs_fp_header_value(s, size, "X-OWA-Version", &val, &vlen);
	exs_fp_header_value(s, size, "WWW-Authenticate", &val, &vlen);
	return 0;
}
