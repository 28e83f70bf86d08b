/* Error reporting for exscan.
 *
 * Ownership: struct exs_error is owned by the caller (usually on the stack);
 * functions that take one fill it on failure and never allocate.  Every
 * function that takes a `struct exs_error *` accepts NULL.
 */
#ifndef EXSCAN_ERROR_H
#define EXSCAN_ERROR_H

#include <stdarg.h>

struct exs_error {
	char msg[512];
};

/* Exit codes of the exscan command, documented in --help and the README. */
enum exs_exit {
	EXS_EXIT_OK = 0,         /* nothing at or above the failure threshold */
	EXS_EXIT_THRESHOLD = 1,  /* a result reached the --fail-on threshold */
	EXS_EXIT_USAGE = 2,      /* usage or configuration error */
	EXS_EXIT_INCOMPLETE = 3, /* something could not be scanned */
	EXS_EXIT_OUTPUT = 4,     /* the result could not be written: wins over 1 and 3 */
};

/* Formats a message into err (if not NULL) and returns -1, so callers can
 * write `return exs_error_set(err, "...")`. */
int exs_error_set(struct exs_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int exs_error_setv(struct exs_error *err, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
void exs_error_clear(struct exs_error *err);

#endif
