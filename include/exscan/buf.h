/* Growable byte buffers with a hard maximum size.
 *
 * Ownership: struct exs_buf is embedded by the caller (_init/_release);
 * the buffer owns `data`.  exs_buf_steal() hands the data to the caller,
 * who frees it with free().
 */
#ifndef EXSCAN_BUF_H
#define EXSCAN_BUF_H

#include <stddef.h>

struct exs_buf {
	char *data; /* always NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
	size_t max; /* appends that would exceed this fail with -1 */
};

void exs_buf_init(struct exs_buf *b, size_t max);
void exs_buf_release(struct exs_buf *b);
void exs_buf_reset(struct exs_buf *b);
/* Returns 0, or -1 when out of memory or over the maximum (buffer unchanged). */
int exs_buf_append(struct exs_buf *b, const void *p, size_t n);
int exs_buf_puts(struct exs_buf *b, const char *s);
int exs_buf_putc(struct exs_buf *b, char c);
int exs_buf_printf(struct exs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Never NULL: an empty buffer gives "". Borrowed, valid until the next append. */
const char *exs_buf_cstr(const struct exs_buf *b);
/* Returns the data (caller frees) and leaves the buffer empty. */
char *exs_buf_steal(struct exs_buf *b);

#endif
