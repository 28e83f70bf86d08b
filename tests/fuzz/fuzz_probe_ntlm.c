/* libFuzzer: NTLM CHALLENGE_MESSAGE decoding, raw and as a header value. */
#include <stddef.h>
#include <stdint.h>

#include "exscan/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_ntlm_info info;

	if (exs_ntlm_decode_challenge(data, size, &info, NULL) == 0) {
		exs_ntlm_windows_name(&info);
		exs_ntlm_info_release(&info);
	}
	if (exs_ntlm_decode_header((const char *)data, size, &info, NULL) == 0)
		exs_ntlm_info_release(&info);
	return 0;
}
