/* src/server: what the disk says about the server, read from its files.
 *
 * The PE version reader: the VS_FIXEDFILEINFO of a Windows executable's
 * version resource (RT_VERSION), e.g. Exchange's Bin/ExSetup.exe, whose
 * file version is the exact Exchange build (15.1.2507.6).  A pure function
 * on a buffer: no I/O, bounds-checked everywhere, fuzzed.
 *
 * Ownership: the caller owns both the buffer and the result struct.
 */
#ifndef EXSCAN_SERVER_H
#define EXSCAN_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"

struct exs_pe_version {
	uint16_t file[4];    /* file version: 15, 1, 2507, 6 */
	uint16_t product[4]; /* product version */
	char text[24];       /* the file version as "15.1.2507.6" */
};

/* Reads the version resource of the PE image in p[0, n).  Returns 0, or -1
 * with err saying what is missing or malformed (not a PE file, no resource
 * section, no version resource, a truncated or looping directory). */
int exs_pe_version_read(const unsigned char *p, size_t n, struct exs_pe_version *out,
                        struct exs_error *err);

#endif
