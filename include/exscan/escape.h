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
 * and every Unicode bidi control or line/paragraph separator (U+061C,
 * U+200E/F, U+2028/9, U+202A-202E, U+2066-2069) written as \uXXXX, so the
 * result can be printed on a terminal, stays on one line and shows its
 * characters in the order they are stored.
 * Returns 0 or -1 if the buffer's maximum was reached (output truncated). */
int exs_escape_text(struct exs_buf *out, const char *s, size_t n);

/* Same, but stops after `cap` bytes of input and appends "..." when cut. */
int exs_escape_excerpt(struct exs_buf *out, const char *s, size_t n, size_t cap);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t exs_utf8_seq_len(const unsigned char *s, size_t n);

/* The code point of the valid `len`-byte UTF-8 sequence at s when it is a
 * bidi control or a line/paragraph separator (see exs_escape_text), else 0. */
unsigned long exs_utf8_invisible_control(const unsigned char *s, size_t len);

#endif
