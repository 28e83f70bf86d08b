/* NTLM CHALLENGE_MESSAGE decoding (MS-NLMP 2.2.1.2), built byte by byte here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "exscan/probe.h"

struct msg {
	unsigned char b[1024];
	size_t n;
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static size_t utf16(unsigned char *p, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		p[n++] = (unsigned char)*s;
		p[n++] = 0;
	}
	return n;
}

static void av(struct msg *m, unsigned id, const char *s)
{
	size_t n = utf16(m->b + m->n + 4, s);

	put16(m->b + m->n, id);
	put16(m->b + m->n + 2, (unsigned)n);
	m->n += 4 + n;
}

/* A challenge like Exchange 2019 on Windows Server 2019 sends. */
static void build(struct msg *m)
{
	size_t ti;

	memset(m, 0, sizeof(*m));
	memcpy(m->b, "NTLMSSP", 8);
	put32(m->b + 8, 2);
	put32(m->b + 20, 0xe28a8215u);
	m->n = 56;
	put16(m->b + 12, 8);
	put16(m->b + 14, 8);
	put32(m->b + 16, 56);
	m->n += utf16(m->b + 56, "CORP");
	ti = m->n;
	av(m, 2, "CORP");
	av(m, 1, "MBX01");
	av(m, 4, "corp.example");
	av(m, 3, "mbx01.corp.example");
	av(m, 5, "corp.example");
	put32(m->b + m->n, 0);
	m->n += 4;
	put16(m->b + 40, (unsigned)(m->n - ti));
	put16(m->b + 42, (unsigned)(m->n - ti));
	put32(m->b + 44, (uint32_t)ti);
	m->b[48] = 10;
	m->b[49] = 0;
	put16(m->b + 50, 17763);
	m->b[55] = 15;
}

static void decodes_names_and_version(void **state)
{
	struct msg m;
	struct exs_ntlm_info info;
	struct exs_error err = {{0}};
	unsigned char b64[2048];
	char header[2100];

	(void)state;
	build(&m);
	assert_int_equal(exs_ntlm_decode_challenge(m.b, m.n, &info, &err), 0);
	assert_string_equal(info.target_name, "CORP");
	assert_string_equal(info.nb_computer, "MBX01");
	assert_string_equal(info.nb_domain, "CORP");
	assert_string_equal(info.dns_computer, "mbx01.corp.example");
	assert_string_equal(info.dns_domain, "corp.example");
	assert_string_equal(info.dns_tree, "corp.example");
	assert_true(info.has_version);
	assert_int_equal(info.os_build, 17763);
	assert_string_equal(exs_ntlm_windows_name(&info), "Windows Server 2019");
	exs_ntlm_info_release(&info);

	EVP_EncodeBlock(b64, m.b, (int)m.n);
	snprintf(header, sizeof(header), "NTLM %s", b64);
	assert_int_equal(exs_ntlm_decode_header(header, strlen(header), &info, &err), 0);
	assert_string_equal(info.nb_computer, "MBX01");
	exs_ntlm_info_release(&info);
}

static void expect_bad(struct msg *m, const char *why)
{
	struct exs_ntlm_info info;
	struct exs_error err = {{0}};

	assert_int_equal(exs_ntlm_decode_challenge(m->b, m->n, &info, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("message '%s' lacks '%s'", err.msg, why);
	assert_null(info.nb_computer);
}

static void rejects_malformed(void **state)
{
	struct msg m;
	struct exs_ntlm_info info;
	struct exs_error err = {{0}};

	(void)state;
	build(&m);
	m.n = 40;
	expect_bad(&m, "shorter than");
	build(&m);
	m.b[0] = 'X';
	expect_bad(&m, "signature");
	build(&m);
	put32(m.b + 8, 3);
	expect_bad(&m, "message type 3");
	build(&m);
	put32(m.b + 44, 0x7ffffff0); /* target info offset far outside */
	expect_bad(&m, "target info");
	build(&m);
	put16(m.b + 12, 0xffff); /* target name longer than the message */
	expect_bad(&m, "target name");
	build(&m);
	put16(m.b + 64 + 2, 0x7000); /* first AV pair (after the 8-byte name) claims too much */
	expect_bad(&m, "AV pair");

	assert_int_equal(exs_ntlm_decode_header("NTLM", 4, &info, &err), -1);
	assert_int_equal(exs_ntlm_decode_header("Negotiate abcd", 14, &info, &err), -1);
	assert_int_equal(exs_ntlm_decode_header("NTLM abc", 8, &info, &err), -1);
	assert_non_null(strstr(err.msg, "base64"));
	assert_int_equal(exs_ntlm_decode_header("NTLM ab$d", 9, &info, &err), -1);
	assert_int_equal(exs_ntlm_decode_header("NTLM AAAA", 9, &info, &err), -1);
	assert_non_null(strstr(err.msg, "shorter"));
}

static void negotiate_message(void **state)
{
	unsigned char raw[64];
	const char *b64 = exs_ntlm_negotiate_b64();
	int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strlen(b64));

	(void)state;
	assert_true(n >= 32);
	assert_memory_equal(raw, "NTLMSSP\0", 8);
	assert_int_equal(raw[8], 1); /* NEGOTIATE_MESSAGE */
	assert_true(raw[12] & 0x01); /* unicode */
	assert_true(raw[13] & 0x02); /* NTLM */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(decodes_names_and_version),
	        cmocka_unit_test(rejects_malformed),
	        cmocka_unit_test(negotiate_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
