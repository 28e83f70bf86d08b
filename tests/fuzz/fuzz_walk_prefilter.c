/* libFuzzer target: the walk's prefilter against YARA itself.  The input is
 * written into a random binary (its first bytes choose the size and where)
 * and the built-in rules are run over the whole buffer and over the
 * prefilter's windows; any difference in the rules that match, or in where
 * their strings first match, aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/yara_ranges.h"
#include "walk/prefilter.h"
#include "walk/walk_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct exs_walk_engine *engine;
static struct exs_walk_options opts;
static YR_SCANNER *scanner;
static struct exs_ranges windows;
static uint8_t *buf;

#define MAX_N (EXS_PREFILTER_MIN_SIZE + (256u << 10))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_error err = {{0}};
	struct ranges_result a, b;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t n, at;

	if (!engine) {
		setenv("XDG_CACHE_HOME", "/tmp/exscan-fuzz-cache", 1);
		engine = exs_walk_engine_new(&opts, &err);
		buf = malloc(MAX_N);
		if (!engine || !engine->prefilter || !buf ||
		    yr_scanner_create(engine->rules, &scanner) != ERROR_SUCCESS)
			abort();
		yr_scanner_set_flags(scanner, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
	}
	if (size < 6)
		return 0;
	n = EXS_PREFILTER_MIN_SIZE + ((size_t)data[0] << 8 | data[1]) * 4;
	at = ((size_t)data[2] << 16 | (size_t)data[3] << 8 | data[4]) % n;
	data += 5;
	size -= 5;
	if (size > n)
		size = n;
	if (at > n - size)
		at = n - size;
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (uint8_t)(seed >> 24);
	}
	memcpy(buf + at, data, size);
	if (ranges_scan(scanner, buf, n, NULL, 0, &a) != ERROR_SUCCESS)
		return 0; /* libyara gave up (too many matches): nothing to compare */
	if (!exs_prefilter_windows(engine->prefilter, buf, n, &windows))
		return 0;
	if (ranges_scan(scanner, buf, n, windows.items, windows.n, &b) != ERROR_SUCCESS ||
	    strcmp(a.text, b.text) != 0) {
		fprintf(stderr, "whole: %s\nwindows: %s\n", a.text, b.text);
		abort();
	}
	return 0;
}
