/* The version resource of a PE image (see exscan/server.h).
 *
 * DOS header -> PE header -> the resource data directory -> the section
 * holding it (RVA to file offset) -> the resource tree: type RT_VERSION (16),
 * its first name, its first language -> the data entry -> VS_VERSIONINFO,
 * whose value is a VS_FIXEDFILEINFO.  Every read is checked against n. */
#include <stdio.h>
#include <string.h>

#include "exscan/server.h"

#define RT_VERSION 16
#define FIXED_SIGNATURE 0xfeef04bdu
#define MAX_SECTIONS 96
#define MAX_ENTRIES 4096 /* entries looked at in one resource directory */

struct pe {
	const unsigned char *p;
	size_t n;
	size_t sections; /* file offset of the section table */
	unsigned n_sections;
	uint32_t rsrc_rva; /* the resource directory */
	uint32_t rsrc_size;
};

static int u16(const struct pe *pe, uint64_t off, uint16_t *v)
{
	if (off + 2 > pe->n)
		return -1;
	*v = (uint16_t)(pe->p[off] | pe->p[off + 1] << 8);
	return 0;
}

static int u32(const struct pe *pe, uint64_t off, uint32_t *v)
{
	if (off + 4 > pe->n)
		return -1;
	*v = (uint32_t)pe->p[off] | (uint32_t)pe->p[off + 1] << 8 | (uint32_t)pe->p[off + 2] << 16 |
	     (uint32_t)pe->p[off + 3] << 24;
	return 0;
}

/* The file offset of rva, inside a section's raw data; -1 when no section holds it. */
static int64_t rva_to_off(const struct pe *pe, uint32_t rva, uint32_t len)
{
	for (unsigned i = 0; i < pe->n_sections; i++) {
		uint64_t s = pe->sections + (uint64_t)i * 40;
		uint32_t vsize, va, rawsize, rawptr, span;

		if (u32(pe, s + 8, &vsize) || u32(pe, s + 12, &va) || u32(pe, s + 16, &rawsize) ||
		    u32(pe, s + 20, &rawptr))
			return -1;
		span = vsize > rawsize ? vsize : rawsize;
		if (rva < va || (uint64_t)rva + len > (uint64_t)va + span)
			continue;
		if ((uint64_t)rva - va + len > rawsize)
			return -1; /* in the section, past its bytes on disk */
		return (int64_t)rawptr + (rva - va);
	}
	return -1;
}

/* Entry `want` (an id) of the resource directory at dir (an offset from the
 * resource root), or the first entry when want < 0.  Returns the entry's
 * target (offset from the root) and whether it is a subdirectory. */
static int dir_entry(const struct pe *pe, int64_t root, uint32_t dir, int want, uint32_t *target,
                     int *subdir)
{
	uint16_t named, ids;
	uint64_t d = (uint64_t)root + dir;
	unsigned total;

	if (u16(pe, d + 12, &named) || u16(pe, d + 14, &ids))
		return -1;
	total = (unsigned)named + ids;
	if (total > MAX_ENTRIES)
		total = MAX_ENTRIES;
	for (unsigned i = 0; i < total; i++) {
		uint32_t name, off;

		if (u32(pe, d + 16 + (uint64_t)i * 8, &name) ||
		    u32(pe, d + 16 + (uint64_t)i * 8 + 4, &off))
			return -1;
		if (want >= 0 && ((name & 0x80000000u) || name != (uint32_t)want))
			continue;
		*subdir = (off & 0x80000000u) != 0;
		*target = off & 0x7fffffffu;
		if (*target >= pe->rsrc_size)
			return -1;
		return 0;
	}
	return -1;
}

static int parse_headers(struct pe *pe, struct exs_error *err)
{
	uint32_t lfanew, sig, ndirs, rva, size;
	uint16_t nsec, optsize, magic;
	uint64_t opt, dirs;

	if (pe->n < 64 || pe->p[0] != 'M' || pe->p[1] != 'Z')
		return exs_error_set(err, "not a PE file (no MZ header)");
	if (u32(pe, 0x3c, &lfanew) || u32(pe, lfanew, &sig) || sig != 0x00004550u)
		return exs_error_set(err, "not a PE file (no PE header)");
	if (u16(pe, (uint64_t)lfanew + 6, &nsec) || u16(pe, (uint64_t)lfanew + 20, &optsize))
		return exs_error_set(err, "truncated PE header");
	opt = (uint64_t)lfanew + 24;
	if (u16(pe, opt, &magic))
		return exs_error_set(err, "truncated PE optional header");
	if (magic == 0x10b)
		dirs = opt + 96; /* PE32 */
	else if (magic == 0x20b)
		dirs = opt + 112; /* PE32+ */
	else
		return exs_error_set(err, "unknown PE optional header (magic 0x%x)", magic);
	if (u32(pe, dirs - 4, &ndirs) || ndirs < 3 || dirs + 24 > opt + optsize)
		return exs_error_set(err, "the PE file has no resource directory");
	if (u32(pe, dirs + 16, &rva) || u32(pe, dirs + 20, &size) || !rva || !size)
		return exs_error_set(err, "the PE file has no resources");
	if (nsec == 0 || nsec > MAX_SECTIONS)
		return exs_error_set(err, "implausible PE section count %u", nsec);
	pe->sections = opt + optsize;
	pe->n_sections = nsec;
	pe->rsrc_rva = rva;
	pe->rsrc_size = size;
	return 0;
}

int exs_pe_version_read(const unsigned char *p, size_t n, struct exs_pe_version *out,
                        struct exs_error *err)
{
	struct pe pe = {.p = p, .n = n};
	uint32_t t, data_rva, data_size, signature, ms, ls, pms, pls;
	uint16_t vlen, wlen;
	int64_t root, data;
	uint64_t fixed;
	int sub, rc = -1;

	memset(out, 0, sizeof(*out));
	if (parse_headers(&pe, err))
		goto out;
	root = rva_to_off(&pe, pe.rsrc_rva, 16);
	if (root < 0) {
		exs_error_set(err, "the resource directory lies outside the file's sections");
		goto out;
	}
	/* type RT_VERSION, then the first name, then the first language */
	if (dir_entry(&pe, root, 0, RT_VERSION, &t, &sub) || !sub) {
		exs_error_set(err, "no version resource");
		goto out;
	}
	if (dir_entry(&pe, root, t, -1, &t, &sub) || !sub ||
	    dir_entry(&pe, root, t, -1, &t, &sub) || sub) {
		exs_error_set(err, "malformed version resource directory");
		goto out;
	}
	if (u32(&pe, (uint64_t)root + t, &data_rva) ||
	    u32(&pe, (uint64_t)root + t + 4, &data_size) || data_size < 92) {
		exs_error_set(err, "truncated version resource");
		goto out;
	}
	data = rva_to_off(&pe, data_rva, data_size);
	if (data < 0) {
		exs_error_set(err, "the version resource lies outside the file");
		goto out;
	}
	/* VS_VERSIONINFO: wLength, wValueLength, wType, L"VS_VERSION_INFO\0",
	 * padding to 32 bits (6 + 32 = 38, so 40), then VS_FIXEDFILEINFO */
	if (u16(&pe, (uint64_t)data, &wlen) || u16(&pe, (uint64_t)data + 2, &vlen) || vlen < 52 ||
	    wlen > data_size) {
		exs_error_set(err, "the version resource has no fixed file information");
		goto out;
	}
	fixed = (uint64_t)data + 40;
	if (u32(&pe, fixed, &signature) || signature != FIXED_SIGNATURE ||
	    u32(&pe, fixed + 8, &ms) || u32(&pe, fixed + 12, &ls) || u32(&pe, fixed + 16, &pms) ||
	    u32(&pe, fixed + 20, &pls)) {
		exs_error_set(err, "bad fixed file information in the version resource");
		goto out;
	}
	out->file[0] = (uint16_t)(ms >> 16);
	out->file[1] = (uint16_t)ms;
	out->file[2] = (uint16_t)(ls >> 16);
	out->file[3] = (uint16_t)ls;
	out->product[0] = (uint16_t)(pms >> 16);
	out->product[1] = (uint16_t)pms;
	out->product[2] = (uint16_t)(pls >> 16);
	out->product[3] = (uint16_t)pls;
	snprintf(out->text, sizeof(out->text), "%u.%u.%u.%u", out->file[0], out->file[1],
	         out->file[2], out->file[3]);
	rc = 0;
out:
	return rc;
}
