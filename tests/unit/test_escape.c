#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/buf.h"
#include "exscan/escape.h"

static const char *esc(struct exs_buf *b, const char *s, size_t n)
{
	exs_buf_reset(b);
	assert_int_equal(exs_escape_text(b, s, n), 0);
	return exs_buf_cstr(b);
}

static void escapes_controls_and_bad_utf8(void **state)
{
	struct exs_buf b;

	(void)state;
	exs_buf_init(&b, 4096);
	assert_string_equal(esc(&b, "plain.aspx", 10), "plain.aspx");
	assert_string_equal(esc(&b, "\033[31mred", 8), "\\x1b[31mred");
	assert_string_equal(esc(&b, "a\nb\rc\td", 7), "a\\x0ab\\x0dc\\x09d");
	assert_string_equal(esc(&b, "C:\\x", 4), "C:\\x5cx");
	assert_string_equal(esc(&b, "\xff\xfe", 2), "\\xff\\xfe");
	assert_string_equal(esc(&b, "\xc3\xa9t\xc3\xa9", 5), "\xc3\xa9t\xc3\xa9"); /* été stays */
	assert_string_equal(esc(&b, "\xe4\xb8\xad", 3), "\xe4\xb8\xad");           /* CJK stays */
	assert_string_equal(esc(&b,
	                        "\xc2\x9b"
	                        "31m",
	                        5),
	                    "\\xc2\\x9b31m");                               /* C1 CSI */
	assert_string_equal(esc(&b, "\xc0\xaf", 2), "\\xc0\\xaf");          /* overlong */
	assert_string_equal(esc(&b, "\xed\xa0\x80", 3), "\\xed\\xa0\\x80"); /* surrogate */
	assert_string_equal(esc(&b, "a\0b", 3), "a\\x00b");
	assert_string_equal(esc(&b, "\xe4\xb8", 2), "\\xe4\\xb8"); /* truncated sequence */
	exs_buf_release(&b);
}

static void names_bidi_controls_and_separators(void **state)
{
	struct exs_buf b;

	(void)state;
	exs_buf_init(&b, 4096);
	/* RLO: "exe.aspx" shown as "xpsa.exe" if applied */
	assert_string_equal(esc(&b, "a\xe2\x80\xaexpsa.exe", 12), "a\\u202expsa.exe");
	assert_string_equal(esc(&b, "\xe2\x81\xa6\xe2\x81\xa9", 6), "\\u2066\\u2069"); /* LRI PDI */
	assert_string_equal(esc(&b, "\xe2\x80\x8e\xe2\x80\x8f", 6), "\\u200e\\u200f"); /* LRM RLM */
	assert_string_equal(esc(&b,
	                        "1\xe2\x80\xa8"
	                        "2\xe2\x80\xa9",
	                        8),
	                    "1\\u20282\\u2029");
	assert_string_equal(esc(&b, "\xe2\x80\xaa\xe2\x80\xac", 6), "\\u202a\\u202c");
	assert_string_equal(esc(&b, "\xd8\x9c", 2), "\\u061c"); /* ARABIC LETTER MARK */
	/* neighbours stay: EN DASH U+2013 and WORD JOINER U+2060 */
	assert_string_equal(esc(&b, "\xe2\x80\x93", 3), "\xe2\x80\x93");
	assert_string_equal(esc(&b, "\xe2\x81\xa0", 3), "\xe2\x81\xa0");
	exs_buf_release(&b);
}

static void excerpt_is_capped(void **state)
{
	struct exs_buf b;

	(void)state;
	exs_buf_init(&b, 4096);
	assert_int_equal(exs_escape_excerpt(&b, "abcdefgh", 8, 4), 0);
	assert_string_equal(exs_buf_cstr(&b), "abcd...");
	exs_buf_reset(&b);
	/* never cut inside a UTF-8 sequence */
	assert_int_equal(exs_escape_excerpt(&b, "ab\xc3\xa9z", 5, 3), 0);
	assert_string_equal(exs_buf_cstr(&b), "ab...");
	exs_buf_release(&b);
}

static void buffer_respects_maximum(void **state)
{
	struct exs_buf b;
	char *s;

	(void)state;
	exs_buf_init(&b, 8);
	assert_int_equal(exs_buf_puts(&b, "12345678"), 0);
	assert_int_equal(exs_buf_putc(&b, '9'), -1);
	assert_int_equal(b.len, 8);
	assert_int_equal(exs_buf_printf(&b, "%d", 1), -1);
	s = exs_buf_steal(&b);
	assert_string_equal(s, "12345678");
	assert_int_equal(b.len, 0);
	free(s);
	exs_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(escapes_controls_and_bad_utf8),
	        cmocka_unit_test(names_bidi_controls_and_separators),
	        cmocka_unit_test(excerpt_is_capped),
	        cmocka_unit_test(buffer_respects_maximum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
