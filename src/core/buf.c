#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/buf.h"

void exs_buf_init(struct exs_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void exs_buf_release(struct exs_buf *b)
{
	free(b->data);
	exs_buf_init(b, b->max);
}

void exs_buf_reset(struct exs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int buf_reserve(struct exs_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int exs_buf_append(struct exs_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int exs_buf_puts(struct exs_buf *b, const char *s)
{
	return exs_buf_append(b, s, strlen(s));
}

int exs_buf_putc(struct exs_buf *b, char c)
{
	return exs_buf_append(b, &c, 1);
}

int exs_buf_printf(struct exs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *exs_buf_cstr(const struct exs_buf *b)
{
	return b->data ? b->data : "";
}

char *exs_buf_steal(struct exs_buf *b)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	exs_buf_init(b, b->max);
	return p;
}
