/* libFuzzer target: what exscan itself parses of a disk image
 * (src/image/sniff.c): the container by its first and last bytes, and a
 * volume by its boot sector.  The rest is The Sleuth Kit's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	const uint8_t *p;
	size_t n;
};

static int buf_read(void *arg, uint64_t off, void *out, size_t n)
{
	const struct buf *b = arg;

	if (off > b->n || b->n - off < n)
		return -1;
	memcpy(out, b->p + off, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t tail = size < 512 ? size : 512;
	enum exs_image_format f =
	        exs_image_sniff(data, size, data + size - tail, tail, (uint64_t)size);
	const char *k = exs_image_volume_kind(data, size);

	if (!exs_image_format_name(f) || (k && !*k))
		abort();
	/* the E01 section chain over the input as a segment file */
	{
		struct buf b = {data, size};
		char why[160] = "";

		if (exs_image_ewf_chain(buf_read, &b, size, why, sizeof(why)) && !why[0])
			abort();
	}
	/* a tail alone, with an inconsistent size */
	f = exs_image_sniff(NULL, 0, data, size, (uint64_t)size * 3 + 1);
	if (!exs_image_format_name(f))
		abort();
	return 0;
}
