/* Exchange's setup keys in a SOFTWARE registry hive (see exscan/server.h).
 *
 * libregf reads the hive from memory (a libbfio memory range), so nothing
 * is opened a second time on the scanned disk. */
#include <libbfio.h>
#include <libregf.h>
#include <stdio.h>
#include <string.h>

#include "exscan/server.h"

/* The setup key of Exchange 2013 and later (v15); 2010 is v14. */
static const char *const setup_keys[] = {
        "Microsoft\\ExchangeServer\\v15\\Setup",
        "Microsoft\\ExchangeServer\\v14\\Setup",
};
static const char *const value_names[4] = {"MsiProductMajor", "MsiProductMinor", "MsiBuildMajor",
                                           "MsiBuildMinor"};

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
	/* libbfio takes a non-const pointer but only reads through it */
	if (libbfio_memory_range_initialize(&io, NULL) != 1 ||
	    libbfio_memory_range_set(io, (uint8_t *)(uintptr_t)p, n, NULL) != 1 ||
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
