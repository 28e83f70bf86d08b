/* src/image: the container and boot-sector sniffing, and what exs_image_open
 * says of files that are not usable images (a missing file, no NTFS, an
 * NTFS boot sector over garbage, a BitLocker volume). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/image.h"

static enum exs_image_format sniff_head(const char *magic, size_t n)
{
	unsigned char b[4096] = {0};

	memcpy(b, magic, n);
	return exs_image_sniff(b, sizeof(b), NULL, 0, sizeof(b));
}

static void containers(void **state)
{
	unsigned char tail[512] = {0};
	unsigned char mbr[512] = {0};

	(void)state;
	assert_int_equal(sniff_head("EVF\x09\x0d\x0a\xff\x00", 8), EXS_IMAGE_EWF);
	assert_int_equal(sniff_head("EVF2\x0d\x0a\x81\x00", 8), EXS_IMAGE_EWF);
	assert_int_equal(sniff_head("vhdxfile", 8), EXS_IMAGE_VHDX);
	assert_int_equal(sniff_head("QFI\xfb", 4), EXS_IMAGE_QCOW);
	assert_int_equal(sniff_head("KDMV", 4), EXS_IMAGE_VMDK);
	assert_int_equal(sniff_head("# Disk DescriptorFile", 21), EXS_IMAGE_VMDK);
	assert_int_equal(sniff_head("conectix", 8), EXS_IMAGE_VHD);
	assert_int_equal(sniff_head("\xeb\x52\x90NTFS    ", 11), EXS_IMAGE_NTFS);
	/* a fixed VHD: the footer in the last 512 bytes only */
	memcpy(tail, "conectix", 8);
	assert_int_equal(exs_image_sniff(mbr, sizeof(mbr), tail, sizeof(tail), 1 << 20),
	                 EXS_IMAGE_VHD);
	/* the same footer 3 bytes off is not one */
	memset(tail, 0, sizeof(tail));
	memcpy(tail + 3, "conectix", 8);
	assert_int_equal(exs_image_sniff(mbr, sizeof(mbr), tail, sizeof(tail), 1 << 20),
	                 EXS_IMAGE_UNKNOWN);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	assert_int_equal(exs_image_sniff(mbr, sizeof(mbr), NULL, 0, 1 << 20), EXS_IMAGE_MBR);
	/* short and empty input */
	assert_int_equal(exs_image_sniff((const unsigned char *)"EVF", 3, NULL, 0, 3),
	                 EXS_IMAGE_UNKNOWN);
	assert_int_equal(exs_image_sniff(NULL, 0, NULL, 0, 0), EXS_IMAGE_UNKNOWN);
	assert_string_equal(exs_image_format_name(EXS_IMAGE_EWF), "E01");
	assert_string_equal(exs_image_format_name(EXS_IMAGE_QCOW), "qcow2");
}

static void volumes(void **state)
{
	unsigned char b[512] = {0};

	(void)state;
	memcpy(b + 3, "NTFS    ", 8);
	assert_string_equal(exs_image_volume_kind(b, sizeof(b)), "ntfs");
	memcpy(b + 3, "-FVE-FS-", 8);
	assert_string_equal(exs_image_volume_kind(b, sizeof(b)), "bitlocker");
	memcpy(b + 3, "EXFAT   ", 8);
	assert_string_equal(exs_image_volume_kind(b, sizeof(b)), "exfat");
	memset(b, 0, sizeof(b));
	memcpy(b + 0x52, "FAT32", 5);
	assert_string_equal(exs_image_volume_kind(b, sizeof(b)), "fat");
	memset(b, 0, sizeof(b));
	assert_null(exs_image_volume_kind(b, sizeof(b)));
	assert_null(exs_image_volume_kind(b, 5));
}

struct mem {
	const unsigned char *p;
	size_t n;
};

static int mem_read(void *arg, uint64_t off, void *out, size_t n)
{
	const struct mem *m = arg;

	if (off > m->n || m->n - off < n)
		return -1;
	memcpy(out, m->p + off, n);
	return 0;
}

/* An E01 segment: header, a "volume" section, then "done" (or cut short). */
static void ewf_chain(void **state)
{
	unsigned char f[200] = "EVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00";
	struct mem m = {f, sizeof(f)};
	char why[160];

	(void)state;
	memcpy(f + 13, "volume", 6);
	f[13 + 16] = 100; /* next section at 100 */
	memcpy(f + 100, "done", 4);
	f[100 + 16] = 100;
	assert_int_equal(exs_image_ewf_chain(mem_read, &m, sizeof(f), why, sizeof(why)), 0);
	/* cut before the "done" section */
	m.n = 110;
	assert_int_equal(exs_image_ewf_chain(mem_read, &m, 110, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated E01"));
	/* a section that points back */
	m.n = sizeof(f);
	f[13 + 16] = 5;
	assert_int_equal(exs_image_ewf_chain(mem_read, &m, sizeof(f), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "damaged E01"));
}

/* A file of `size` zero bytes with `boot` (n bytes) at its start. */
static char *make_file(size_t size, const char *boot, size_t n)
{
	char *path = strdup("/tmp/exscan-test-image.XXXXXX");
	int fd = mkstemp(path);
	char *zero = calloc(1, size);

	assert_true(fd >= 0 && zero);
	memcpy(zero, boot, n);
	assert_int_equal(write(fd, zero, size), (ssize_t)size);
	close(fd);
	free(zero);
	return path;
}

static void bad_images(void **state)
{
	struct exs_error err = {{0}};
	struct exs_image *im;
	char *path;

	(void)state;
	assert_null(exs_image_open("/nonexistent/disk.E01", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/disk.E01"));

	/* zeros: opened as raw, no volume usable, one line saying so */
	path = make_file(1 << 20, "", 0);
	im = exs_image_open(path, &err);
	assert_non_null(im);
	assert_string_equal(exs_image_container(im), "raw");
	assert_int_equal(exs_image_problem_count(im), 1);
	assert_non_null(strstr(exs_image_problem(im, 0), "no NTFS volume found"));
	exs_image_free(im);
	unlink(path);
	free(path);

	/* an NTFS signature over garbage: a damaged volume, not a crash */
	path = make_file(1 << 20, "\xeb\x52\x90NTFS    \x00\x02\x08", 14);
	im = exs_image_open(path, &err);
	assert_non_null(im);
	assert_int_equal(exs_image_volume_count(im), 1);
	assert_false(exs_image_volume(im, 0)->ntfs);
	assert_non_null(strstr(exs_image_problem(im, 0), "damaged NTFS"));
	exs_image_free(im);
	unlink(path);
	free(path);

	/* a BitLocker volume without a partition table */
	path = make_file(1 << 20, "\xeb\x58\x90-FVE-FS-", 11);
	im = exs_image_open(path, &err);
	assert_non_null(im);
	assert_non_null(strstr(exs_image_problem(im, 0), "BitLocker-encrypted volume"));
	exs_image_free(im);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(containers),
	        cmocka_unit_test(volumes),
	        cmocka_unit_test(ewf_chain),
	        cmocka_unit_test(bad_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
