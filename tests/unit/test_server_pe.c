/* src/server/pe_version.c on PE images built here byte by byte (PE32 and
 * PE32+, a resource tree with a version resource), then damaged: every
 * truncation, a resource tree that points at itself, no version resource.
 * tests/integration/walk_disk_build.sh reads executables built by mingw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/server.h"

#define RSRC_FILE 0x200 /* the .rsrc section's bytes in the file */
#define RSRC_RVA 0x1000
#define IMAGE_SIZE 0x400

static void put16(unsigned char *p, size_t off, uint16_t v)
{
	p[off] = (unsigned char)v;
	p[off + 1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

/* A resource directory with one id entry at r + at, pointing at target. */
static void dir1(unsigned char *r, size_t at, uint32_t id, uint32_t target, int subdir)
{
	put16(r, at + 14, 1); /* one id entry, no named ones */
	put32(r, at + 16, id);
	put32(r, at + 20, target | (subdir ? 0x80000000u : 0));
}

/* Builds a PE image (pe32plus or PE32) whose version resource says
 * major.minor.build.rev; type is the resource type of the one resource. */
static unsigned char *make_pe(int pe32plus, uint32_t type, const uint16_t ver[4])
{
	unsigned char *p = calloc(1, IMAGE_SIZE);
	size_t pe = 0x40, opt = pe + 24, optsize = pe32plus ? 240 : 224;
	size_t dirs = opt + (pe32plus ? 112 : 96), sec = opt + optsize;
	unsigned char *r;
	static const char key[] = "VS_VERSION_INFO";

	assert_non_null(p);
	p[0] = 'M';
	p[1] = 'Z';
	put32(p, 0x3c, (uint32_t)pe);
	memcpy(p + pe, "PE\0\0", 4);
	put16(p, pe + 4, pe32plus ? 0x8664 : 0x14c);
	put16(p, pe + 6, 1); /* one section */
	put16(p, pe + 20, (uint16_t)optsize);
	put16(p, opt, pe32plus ? 0x20b : 0x10b);
	put32(p, dirs - 4, 16);        /* NumberOfRvaAndSizes */
	put32(p, dirs + 16, RSRC_RVA); /* the resource directory */
	put32(p, dirs + 20, 0x200);
	memcpy(p + sec, ".rsrc", 5);
	put32(p, sec + 8, 0x200);      /* VirtualSize */
	put32(p, sec + 12, RSRC_RVA);  /* VirtualAddress */
	put32(p, sec + 16, 0x200);     /* SizeOfRawData */
	put32(p, sec + 20, RSRC_FILE); /* PointerToRawData */
	r = p + RSRC_FILE;
	dir1(r, 0x00, type, 0x18, 1);  /* type */
	dir1(r, 0x18, 1, 0x30, 1);     /* name */
	dir1(r, 0x30, 0x409, 0x48, 0); /* language -> data entry */
	put32(r, 0x48, RSRC_RVA + 0x58);
	put32(r, 0x4c, 0x100);
	/* VS_VERSIONINFO */
	put16(r, 0x58, 0x100);
	put16(r, 0x5a, 52);
	for (size_t i = 0; i < sizeof(key); i++)
		put16(r, 0x5e + 2 * i, (uint16_t)key[i]);
	put32(r, 0x58 + 40, 0xfeef04bdu);
	put32(r, 0x58 + 48, (uint32_t)ver[0] << 16 | ver[1]);
	put32(r, 0x58 + 52, (uint32_t)ver[2] << 16 | ver[3]);
	put32(r, 0x58 + 56, (uint32_t)ver[0] << 16 | ver[1]);
	put32(r, 0x58 + 60, (uint32_t)ver[2] << 16 | ver[3]);
	return p;
}

static void reads_both_pe_kinds(void **state)
{
	static const uint16_t v[4] = {15, 1, 2507, 6};
	struct exs_pe_version out;
	struct exs_error err = {{0}};

	(void)state;
	for (int plus = 0; plus < 2; plus++) {
		unsigned char *p = make_pe(plus, 16, v);

		assert_int_equal(exs_pe_version_read(p, IMAGE_SIZE, &out, &err), 0);
		assert_string_equal(out.text, "15.1.2507.6");
		assert_int_equal(out.product[2], 2507);
		free(p);
	}
}

static void every_truncation_is_refused(void **state)
{
	static const uint16_t v[4] = {15, 2, 1748, 10};
	unsigned char *p = make_pe(1, 16, v);
	struct exs_pe_version out;
	struct exs_error err = {{0}};
	size_t need = RSRC_FILE + 0x58 + 64; /* the end of the fixed file info */

	(void)state;
	for (size_t n = 0; n < need; n++) {
		unsigned char *cut = malloc(n ? n : 1);

		assert_non_null(cut);
		memcpy(cut, p, n);
		if (exs_pe_version_read(cut, n, &out, &err) == 0)
			fail_msg("a PE cut at %zu bytes gave %s", n, out.text);
		assert_true(err.msg[0] != '\0');
		free(cut);
	}
	assert_int_equal(exs_pe_version_read(p, need, &out, &err), 0);
	assert_string_equal(out.text, "15.2.1748.10");
	free(p);
}

static void damaged_images(void **state)
{
	static const uint16_t v[4] = {15, 1, 2176, 2};
	struct exs_pe_version out;
	struct exs_error err = {{0}};
	unsigned char *p;

	(void)state;
	/* an icon, not a version resource */
	p = make_pe(1, 3, v);
	assert_int_equal(exs_pe_version_read(p, IMAGE_SIZE, &out, &err), -1);
	assert_non_null(strstr(err.msg, "no version resource"));
	free(p);
	/* a name directory that points back at the root: no loop, an error */
	p = make_pe(1, 16, v);
	dir1(p + RSRC_FILE, 0x18, 1, 0x00, 1);
	assert_int_equal(exs_pe_version_read(p, IMAGE_SIZE, &out, &err), -1);
	free(p);
	/* a data entry pointing past the file */
	p = make_pe(0, 16, v);
	put32(p + RSRC_FILE, 0x48, 0x7ffffff0u);
	assert_int_equal(exs_pe_version_read(p, IMAGE_SIZE, &out, &err), -1);
	free(p);
	/* a bad fixed-info signature */
	p = make_pe(0, 16, v);
	put32(p + RSRC_FILE, 0x58 + 40, 0x12345678u);
	assert_int_equal(exs_pe_version_read(p, IMAGE_SIZE, &out, &err), -1);
	free(p);
	/* not a PE at all */
	assert_int_equal(exs_pe_version_read((const unsigned char *)"#!/bin/sh\n", 10, &out, &err),
	                 -1);
	assert_non_null(strstr(err.msg, "not a PE file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(reads_both_pe_kinds),
	        cmocka_unit_test(every_truncation_is_refused),
	        cmocka_unit_test(damaged_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
