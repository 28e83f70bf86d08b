/* Target specs and the streaming generator (CIDR walked, never expanded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/probe.h"

static void parse_ok(const char *text, enum exs_target_kind kind, const char *host, unsigned port)
{
	struct exs_target_spec s;
	struct exs_error err = {{0}};

	if (exs_target_spec_parse(text, strlen(text), &s, &err))
		fail_msg("'%s' rejected: %s", text, err.msg);
	assert_int_equal(s.kind, kind);
	assert_string_equal(s.host, host);
	assert_int_equal(s.port, port);
}

static void parse_bad(const char *text, const char *why)
{
	struct exs_target_spec s;
	struct exs_error err = {{0}};

	assert_int_equal(exs_target_spec_parse(text, strlen(text), &s, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, why);
}

static void specs(void **state)
{
	(void)state;
	parse_ok("mail.example.com", EXS_TARGET_NAME, "mail.example.com", 443);
	parse_ok("mail.example.com:8443", EXS_TARGET_NAME, "mail.example.com", 8443);
	parse_ok("https://mail.example.com/owa/", EXS_TARGET_NAME, "mail.example.com", 443);
	parse_ok("HTTPS://mail.example.com:444", EXS_TARGET_NAME, "mail.example.com", 444);
	parse_ok("192.0.2.7", EXS_TARGET_IPV4, "192.0.2.7", 443);
	parse_ok("192.0.2.7:8443", EXS_TARGET_IPV4, "192.0.2.7", 8443);
	parse_ok("2001:db8::1", EXS_TARGET_IPV6, "2001:db8::1", 443);
	parse_ok("[2001:db8::1]:8443", EXS_TARGET_IPV6, "2001:db8::1", 8443);
	parse_ok("https://[::1]:9443/x", EXS_TARGET_IPV6, "::1", 9443);
	parse_ok("10.1.2.3/24", EXS_TARGET_CIDR4, "10.1.2.3", 443);
	parse_ok("10.1.2.3/24:8443", EXS_TARGET_CIDR4, "10.1.2.3", 8443);
	parse_ok("[2001:db8::/120]:444", EXS_TARGET_CIDR6, "2001:db8::", 444);
	parse_ok("2001:db8::/64", EXS_TARGET_CIDR6, "2001:db8::", 443);
	parse_ok("  host.example  ", EXS_TARGET_NAME, "host.example", 443);

	parse_bad("", "empty");
	parse_bad("http://mail.example.com", "HTTPS only");
	parse_bad("ftp://x", "scheme");
	parse_bad("host:0", "bad port");
	parse_bad("host:65536", "bad port");
	parse_bad("host:12ab", "bad port");
	parse_bad("10.0.0.0/33", "over 32");
	parse_bad("::/129", "over 128");
	parse_bad("10.0.0.0/", "prefix");
	parse_bad("name/24", "CIDR needs an IP");
	parse_bad("[::1", "without ']'");
	parse_bad("[10.0.0.1]", "brackets are for IPv6");
	parse_bad("bad host!", "not a host name");
	parse_bad("evil\033[31m", "\\x1b"); /* the message escapes what it quotes */
}

static void cidr_walk(void **state)
{
	char *args[] = {"192.0.2.254/31", "198.51.100.0/30:8443", "[2001:db8::fe/127]:1"};
	struct exs_target_gen *g;
	struct exs_target t;
	struct exs_error err = {{0}};
	const char *want[] = {"192.0.2.254",  "192.0.2.255",  "198.51.100.0", "198.51.100.1",
	                      "198.51.100.2", "198.51.100.3", "2001:db8::fe", "2001:db8::ff"};
	const unsigned ports[] = {443, 443, 8443, 8443, 8443, 8443, 1, 1};

	(void)state;
	g = exs_target_gen_new(args, 3, NULL, &err);
	assert_non_null(g);
	assert_int_equal(exs_target_gen_total(g), 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
		assert_string_equal(t.host, want[i]);
		assert_int_equal(t.port, ports[i]);
		assert_true(t.is_address);
	}
	assert_int_equal(exs_target_gen_next(g, &t, &err), 0);
	exs_target_gen_free(g);
}

static void huge_blocks_stream(void **state)
{
	char *args[] = {"10.0.0.0/8", "2001:db8::/32"};
	struct exs_target_gen *g;
	struct exs_target t;
	struct exs_error err = {{0}};

	(void)state;
	g = exs_target_gen_new(args, 2, NULL, &err);
	assert_non_null(g);
	assert_int_equal(exs_target_gen_total(g), 0); /* /32 of IPv6 is too many to count */
	for (int i = 0; i < 300; i++)
		assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "10.0.1.43");
	exs_target_gen_free(g);
}

static void file_input(void **state)
{
	char path[] = "/tmp/exscan-targets-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct exs_target_gen *g;
	struct exs_target t;
	struct exs_error err = {{0}};

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment\n\nmail.example:444\r\nnot valid!\n  127.0.0.0/31\n", f);
	fclose(f);
	g = exs_target_gen_new(NULL, 0, path, &err);
	assert_non_null(g);
	assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "mail.example");
	assert_int_equal(t.port, 444);
	assert_false(t.is_address);
	assert_int_equal(exs_target_gen_next(g, &t, &err), -1);
	assert_non_null(strstr(err.msg, ":4: 'not valid!' is not a target"));
	assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "127.0.0.0");
	assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "127.0.0.1");
	assert_int_equal(exs_target_gen_next(g, &t, &err), 0);
	exs_target_gen_free(g);
	unlink(path);

	assert_null(exs_target_gen_new(NULL, 0, "/nonexistent/targets", &err));
	assert_non_null(strstr(err.msg, "cannot open target list '/nonexistent/targets'"));
}

/* A target line is capped: a longer one is one bad target naming its file
 * and line, its rest is dropped, and the lines after it are read as usual. */
static void long_lines(void **state)
{
	char path[] = "/tmp/exscan-targets-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct exs_target_gen *g;
	struct exs_target t;
	struct exs_error err = {{0}};
	char want[64];

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("a.example\n", f);
	/* exactly the cap: read whole (and refused as a host name, not as too long) */
	for (int i = 0; i < EXS_TARGET_LINE_MAX; i++)
		fputc('b', f);
	fputc('\n', f);
	/* one byte more, then a 3 MB line, then one without a line end */
	for (int i = 0; i <= EXS_TARGET_LINE_MAX; i++)
		fputc('c', f);
	fputc('\n', f);
	for (int i = 0; i < 3000000; i++)
		fputc(i % 100 ? 'd' : '\0', f);
	fputs("\n10.0.0.1\n", f);
	for (int i = 0; i < 2 * EXS_TARGET_LINE_MAX; i++)
		fputc('e', f);
	fclose(f);
	g = exs_target_gen_new(NULL, 0, path, &err);
	assert_non_null(g);
	assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "a.example");
	assert_int_equal(exs_target_gen_next(g, &t, &err), -1);
	assert_non_null(strstr(err.msg, ":2: 'bbbb"));
	assert_null(strstr(err.msg, "longer than"));
	assert_int_equal(exs_target_gen_next(g, &t, &err), -1);
	snprintf(want, sizeof(want), ":3: target line longer than %d bytes: skipped",
	         EXS_TARGET_LINE_MAX);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, want));
	assert_int_equal(exs_target_gen_next(g, &t, &err), -1);
	assert_non_null(strstr(err.msg, ":4: target line longer than"));
	assert_int_equal(exs_target_gen_next(g, &t, &err), 1);
	assert_string_equal(t.host, "10.0.0.1");
	assert_int_equal(exs_target_gen_next(g, &t, &err), -1);
	assert_non_null(strstr(err.msg, ":6: target line longer than"));
	assert_int_equal(exs_target_gen_next(g, &t, &err), 0);
	exs_target_gen_free(g);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(specs),
	        cmocka_unit_test(cidr_walk),
	        cmocka_unit_test(huge_blocks_stream),
	        cmocka_unit_test(file_input),
	        cmocka_unit_test(long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
