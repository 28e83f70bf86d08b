/* Exchange's setup keys in a SOFTWARE registry hive (see exscan/server.h).
 *
 * libregf reads the hive from memory through a libbfio handle of our own, so
 * nothing is opened a second time on the scanned disk.  Not libbfio's own
 * memory range: its read (Debian's libbfio 20170123) copies the size asked
 * for even past the end of the range, which a short hive turns into a read
 * beyond the buffer (found by fuzz_server_registry). */
#include <libbfio.h>
#include <limits.h>
#include <libregf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "exscan/server.h"

/* The setup key of Exchange 2013 and later (v15); 2010 is v14. */
static const char *const setup_keys[] = {
        "Microsoft\\ExchangeServer\\v15\\Setup",
        "Microsoft\\ExchangeServer\\v14\\Setup",
};
static const char *const value_names[4] = {"MsiProductMajor", "MsiProductMinor", "MsiBuildMajor",
                                           "MsiBuildMinor"};

/* A read-only view of the buffer for libbfio, every read bounded by it. */
struct mem_io {
	const unsigned char *p;
	size_t n, off;
	bool open;
};

static int mem_free(intptr_t **io, libbfio_error_t **e)
{
	(void)e;
	*io = NULL; /* the view lives on the caller's stack */
	return 1;
}

static int mem_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
	(void)e;
	*dst = src;
	return 1;
}

static int mem_open(intptr_t *io, int flags, libbfio_error_t **e)
{
	(void)e;
	if (flags & LIBBFIO_ACCESS_FLAG_WRITE)
		return -1;
	((struct mem_io *)io)->open = true;
	return 1;
}

static int mem_close(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	((struct mem_io *)io)->open = false;
	return 0;
}

static ssize_t mem_read(intptr_t *io, uint8_t *buf, size_t size, libbfio_error_t **e)
{
	struct mem_io *m = (struct mem_io *)io;
	size_t k = m->off < m->n ? m->n - m->off : 0;

	(void)e;
	if (k > size)
		k = size;
	if (k > SSIZE_MAX)
		k = SSIZE_MAX;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static ssize_t mem_write(intptr_t *io, const uint8_t *buf, size_t size, libbfio_error_t **e)
{
	(void)io, (void)buf, (void)size, (void)e;
	return -1;
}

static off64_t mem_seek(intptr_t *io, off64_t off, int whence, libbfio_error_t **e)
{
	struct mem_io *m = (struct mem_io *)io;
	off64_t base = whence == SEEK_CUR   ? (off64_t)m->off
	               : whence == SEEK_END ? (off64_t)m->n
	                                    : 0;

	(void)e;
	if ((whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) ||
	    (off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -1;
	m->off = (size_t)(base + off);
	return base + off;
}

static int mem_exists(intptr_t *io, libbfio_error_t **e)
{
	(void)io, (void)e;
	return 1;
}

static int mem_is_open(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	return ((struct mem_io *)io)->open ? 1 : 0;
}

static int mem_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
	(void)e;
	*size = ((struct mem_io *)io)->n;
	return 1;
}

static int value_u32(libregf_key_t *key, const char *name, uint32_t *out)
{
	libregf_value_t *v = NULL;
	int rc = -1;

	if (libregf_key_get_value_by_utf8_name(key, (const uint8_t *)name, strlen(name), &v,
	                                       NULL) == 1 &&
	    libregf_value_get_value_32bit(v, out, NULL) == 1)
		rc = 0;
	if (v)
		libregf_value_free(&v, NULL);
	return rc;
}

int exs_registry_exchange_build(const unsigned char *p, size_t n, struct exs_registry_build *out,
                                struct exs_error *err)
{
	struct mem_io view = {.p = p, .n = n};
	libbfio_handle_t *io = NULL;
	libregf_file_t *file = NULL;
	libregf_key_t *key = NULL;
	uint32_t part[4];
	int rc = -1;
	bool open = false;

	memset(out, 0, sizeof(*out));
	if (n < 4 || memcmp(p, "regf", 4) != 0) {
		exs_error_set(err, "not a registry hive (no regf signature)");
		goto out;
	}
	if (libbfio_handle_initialize(
	            &io, (intptr_t *)&view, mem_free, mem_clone, mem_open, mem_close, mem_read,
	            mem_write, mem_seek, mem_exists, mem_is_open, mem_size,
	            LIBBFIO_FLAG_IO_HANDLE_NON_MANAGED | LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_REFERENCE,
	            NULL) != 1 ||
	    libregf_file_initialize(&file, NULL) != 1) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	if (libregf_file_open_file_io_handle(file, io, LIBREGF_OPEN_READ, NULL) != 1) {
		exs_error_set(err, "a damaged registry hive");
		goto out;
	}
	open = true;
	for (size_t i = 0; i < sizeof(setup_keys) / sizeof(setup_keys[0]) && !key; i++)
		if (libregf_file_get_key_by_utf8_path(file, (const uint8_t *)setup_keys[i],
		                                      strlen(setup_keys[i]), &key, NULL) != 1)
			key = NULL;
	if (!key) {
		exs_error_set(err, "no Exchange setup key (Microsoft\\ExchangeServer\\v15\\Setup)");
		goto out;
	}
	for (int i = 0; i < 4; i++)
		if (value_u32(key, value_names[i], &part[i]) != 0 || part[i] > 65535) {
			exs_error_set(err, "the Exchange setup key has no usable %s",
			              value_names[i]);
			goto out;
		}
	for (int i = 0; i < 4; i++)
		out->part[i] = (uint16_t)part[i];
	snprintf(out->text, sizeof(out->text), "%u.%u.%u.%u", part[0], part[1], part[2], part[3]);
	rc = 0;
out:
	if (key)
		libregf_key_free(&key, NULL);
	if (open)
		libregf_file_close(file, NULL);
	if (file)
		libregf_file_free(&file, NULL);
	if (io)
		libbfio_handle_free(&io, NULL);
	return rc;
}
