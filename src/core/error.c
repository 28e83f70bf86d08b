#include <stdio.h>

#include "exscan/error.h"

int exs_error_setv(struct exs_error *err, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int exs_error_set(struct exs_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	exs_error_setv(err, fmt, ap);
	va_end(ap);
	return -1;
}

void exs_error_clear(struct exs_error *err)
{
	if (err)
		err->msg[0] = '\0';
}
