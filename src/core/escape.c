#include <stdio.h>

#include "exscan/escape.h"

size_t exs_utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned c = s[0];
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls encoded as UTF-8 are escaped too */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

static int escape_byte(struct exs_buf *out, unsigned char c)
{
	return exs_buf_printf(out, "\\x%02x", c);
}

unsigned long exs_utf8_invisible_control(const unsigned char *s, size_t len)
{
	if (len == 2 && s[0] == 0xd8 && s[1] == 0x9c)
		return 0x61c; /* ARABIC LETTER MARK */
	if (len != 3 || s[0] != 0xe2)
		return 0;
	if (s[1] == 0x80 && (s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xa8 && s[2] <= 0xae)))
		return 0x2000 + (unsigned long)(s[2] - 0x80); /* LRM RLM, LS PS, LRE..RLO */
	if (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 0x2040 + (unsigned long)(s[2] - 0x80); /* LRI RLI FSI PDI */
	return 0;
}

int exs_escape_text(struct exs_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') {
			if (escape_byte(out, p[i]))
				return -1;
			i++;
			continue;
		}
		len = exs_utf8_seq_len(p + i, n - i);
		if (len == 0) {
			if (p[i] >= 0xc2 && p[i] <= 0xdf && i + 1 < n && p[i + 1] >= 0x80 &&
			    p[i + 1] <= 0x9f) {
				/* a C1 control in UTF-8: escape both bytes */
				if (escape_byte(out, p[i]) || escape_byte(out, p[i + 1]))
					return -1;
				i += 2;
				continue;
			}
			if (escape_byte(out, p[i]))
				return -1;
			i++;
			continue;
		}
		if (exs_utf8_invisible_control(p + i, len)) {
			/* bidi controls and line separators reorder or break what
			 * is shown around them: named, not applied */
			if (exs_buf_printf(out, "\\u%04lx", exs_utf8_invisible_control(p + i, len)))
				return -1;
		} else if (exs_buf_append(out, p + i, len)) {
			return -1;
		}
		i += len;
	}
	return 0;
}

int exs_escape_excerpt(struct exs_buf *out, const char *s, size_t n, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cut = n;

	if (n <= cap)
		return exs_escape_text(out, s, n);
	cut = cap;
	/* don't split a UTF-8 sequence at the cut */
	while (cut > 0 && (p[cut] & 0xc0) == 0x80)
		cut--;
	if (exs_escape_text(out, s, cut))
		return -1;
	return exs_buf_puts(out, "...");
}
