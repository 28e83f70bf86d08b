/* Making untrusted text (server headers, file names, log lines) safe to show.
 *
 * Ownership: output goes into a caller-owned struct exs_buf.
 */
#ifndef EXSCAN_ESCAPE_H
#define EXSCAN_ESCAPE_H

#include <stddef.h>

#include "exscan/buf.h"

/* Appends `n` bytes of `s` with every control character (C0, DEL, C1), every
 * backslash and every byte that is not part of valid UTF-8 written as \xNN,
 * so the result can be printed on a terminal and stays on one line.
 * Returns 0 or -1 if the buffer's maximum was reached (output truncated). */
int exs_escape_text(struct exs_buf *out, const char *s, size_t n);

/* Same, but stops after `cap` bytes of input and appends "..." when cut. */
int exs_escape_excerpt(struct exs_buf *out, const char *s, size_t n, size_t cap);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t exs_utf8_seq_len(const unsigned char *s, size_t n);

#endif
