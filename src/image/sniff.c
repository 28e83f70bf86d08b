/* What a disk image and a volume are, by content (pure functions on
 * buffers: no I/O, fuzzed by tests/fuzz/fuzz_image_sniff.c). */
#include <stdio.h>
#include <string.h>

#include "exscan/image.h"

const char *exs_image_format_name(enum exs_image_format f)
{
	switch (f) {
	case EXS_IMAGE_RAW:
	case EXS_IMAGE_NTFS:
	case EXS_IMAGE_MBR:
		return "raw";
	case EXS_IMAGE_SPLIT_RAW:
		return "split raw";
	case EXS_IMAGE_EWF:
		return "E01";
	case EXS_IMAGE_VHD:
		return "VHD";
	case EXS_IMAGE_VHDX:
		return "VHDX";
	case EXS_IMAGE_VMDK:
		return "VMDK";
	case EXS_IMAGE_QCOW:
		return "qcow2";
	case EXS_IMAGE_UNKNOWN:
		break;
	}
	return "unknown";
}

static bool at(const unsigned char *b, size_t len, size_t off, const char *magic, size_t n)
{
	return b && off <= len && n <= len - off && memcmp(b + off, magic, n) == 0;
}

enum exs_image_format exs_image_sniff(const unsigned char *head, size_t head_len,
                                      const unsigned char *tail, size_t tail_len, uint64_t size)
{
	static const char evf[] = "EVF\x09\x0d\x0a\xff\x00";
	static const char evf2[] = "EVF2\x0d\x0a\x81\x00";

	if (at(head, head_len, 0, evf, 8) || at(head, head_len, 0, evf2, 8))
		return EXS_IMAGE_EWF;
	if (at(head, head_len, 0, "vhdxfile", 8))
		return EXS_IMAGE_VHDX;
	if (at(head, head_len, 0, "QFI\xfb", 4))
		return EXS_IMAGE_QCOW;
	if (at(head, head_len, 0, "KDMV", 4) || at(head, head_len, 0, "COWD", 4) ||
	    at(head, head_len, 0, "# Disk DescriptorFile", 21))
		return EXS_IMAGE_VMDK;
	/* dynamic VHDs keep a copy of the footer at the start; fixed ones only
	 * at the end (the last 512 bytes, or 511 for very old writers) */
	if (at(head, head_len, 0, "conectix", 8) ||
	    (size % 512 == 0 &&
	     at(tail, tail_len, tail_len >= 512 ? tail_len - 512 : 0, "conectix", 8)) ||
	    (tail_len >= 511 && at(tail, tail_len, tail_len - 511, "conectix", 8)))
		return EXS_IMAGE_VHD;
	if (at(head, head_len, 3, "NTFS    ", 8))
		return EXS_IMAGE_NTFS;
	if (head_len >= 512 && head[510] == 0x55 && head[511] == 0xaa)
		return EXS_IMAGE_MBR;
	return EXS_IMAGE_UNKNOWN;
}

const char *exs_image_volume_kind(const unsigned char *boot, size_t len)
{
	if (at(boot, len, 3, "NTFS    ", 8))
		return "ntfs";
	if (at(boot, len, 3, "-FVE-FS-", 8))
		return "bitlocker";
	if (at(boot, len, 3, "ReFS", 4))
		return "refs";
	if (at(boot, len, 3, "EXFAT   ", 8))
		return "exfat";
	if (at(boot, len, 0x36, "FAT", 3) || at(boot, len, 0x52, "FAT32", 5))
		return "fat";
	return NULL;
}

/* EWF-E01 segment file: a 13-byte file header, then sections of a 76-byte
 * descriptor (type[16], next offset, size, ...) chained by their next
 * offsets up to a "next" (more segments follow) or "done" section. */
int exs_image_ewf_chain(exs_image_read_fn read, void *arg, uint64_t file_size, char *why,
                        size_t why_len)
{
	uint64_t off = 13;

	for (unsigned n = 0; n < 1u << 20; n++) {
		unsigned char d[32];
		uint64_t next = 0;
		char type[17];

		if (off > file_size || file_size - off < sizeof(d) ||
		    read(arg, off, d, sizeof(d))) {
			snprintf(why, why_len,
			         "the segment file ends at byte %llu, inside its section chain "
			         "(truncated E01?)",
			         (unsigned long long)file_size);
			return -1;
		}
		memcpy(type, d, 16);
		type[16] = '\0';
		for (int i = 7; i >= 0; i--)
			next = next << 8 | d[16 + i];
		if (strcmp(type, "done") == 0 || strcmp(type, "next") == 0)
			return 0;
		if (next <= off) {
			snprintf(why, why_len,
			         "its section at byte %llu points back to byte %llu (damaged E01)",
			         (unsigned long long)off, (unsigned long long)next);
			return -1;
		}
		off = next;
	}
	snprintf(why, why_len, "more than a million sections (damaged E01)");
	return -1;
}
