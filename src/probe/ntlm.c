/* NTLM (MS-NLMP): the NEGOTIATE_MESSAGE exscan sends and a decoder of the
 * CHALLENGE_MESSAGE a server answers with (computer and domain names,
 * Windows version).  Every offset and length from the server is checked. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exscan/probe.h"

#define NTLM_HEADER_LEN 48 /* up to and including TargetInfoFields */
#define NTLM_VERSION_LEN 8
#define NTLM_FLAG_VERSION 0x02000000u
#define NTLM_MAX_MESSAGE 8192

/* Flags: unicode, OEM, request target, NTLM, always sign, extended session
 * security, version, 128-bit, 56-bit; version 10.0.20348 revision 15. */
static const char negotiate_b64[] = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAHxPAAAADw==";

const char *exs_ntlm_negotiate_b64(void)
{
	return negotiate_b64;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UTF-16LE -> UTF-8 (surrogate pairs joined, lone surrogates -> U+FFFD). */
static char *utf16_to_utf8(const unsigned char *p, size_t n)
{
	char *out = malloc(n / 2 * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint32_t c = get16(p + i);

		if (c >= 0xd800 && c <= 0xdbff && i + 3 < n) {
			uint32_t lo = get16(p + i + 2);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c <= 0xdfff) {
			c = 0xfffd;
		}
		if (c < 0x80) {
			*o++ = (char)c;
		} else if (c < 0x800) {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*o++ = (char)(0xe0 | c >> 12);
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		} else {
			/* 4 bytes from 2 code units: still within n / 2 * 3 overall */
			*o++ = (char)(0xf0 | c >> 18);
			*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

static int field(const unsigned char *msg, size_t n, size_t at, const char *what, size_t *off,
                 size_t *len, struct exs_error *err)
{
	*len = get16(msg + at);
	*off = get32(msg + at + 4);
	if (*len == 0)
		return 0;
	if (*off > n || *len > n - *off)
		return exs_error_set(
		        err,
		        "ntlm challenge is malformed: %s (%zu bytes at offset %zu) lies "
		        "outside the %zu-byte message",
		        what, *len, *off, n);
	return 0;
}

int exs_ntlm_decode_challenge(const unsigned char *msg, size_t n, struct exs_ntlm_info *out,
                              struct exs_error *err)
{
	size_t tn_off, tn_len, ti_off, ti_len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n < NTLM_HEADER_LEN) {
		exs_error_set(
		        err,
		        "ntlm challenge is malformed: %zu bytes, shorter than the %d-byte header",
		        n, NTLM_HEADER_LEN);
		goto out;
	}
	if (memcmp(msg, "NTLMSSP\0", 8) != 0) {
		exs_error_set(err, "ntlm challenge is malformed: no NTLMSSP signature");
		goto out;
	}
	if (get32(msg + 8) != 2) {
		exs_error_set(err, "ntlm challenge is malformed: message type %u, expected 2",
		              (unsigned)get32(msg + 8));
		goto out;
	}
	out->flags = get32(msg + 20);
	if (field(msg, n, 12, "target name", &tn_off, &tn_len, err) ||
	    field(msg, n, 40, "target info", &ti_off, &ti_len, err))
		goto out;
	if (tn_len) {
		out->target_name = utf16_to_utf8(msg + tn_off, tn_len);
		if (!out->target_name) {
			exs_error_set(err, "out of memory");
			goto out;
		}
	}
	if ((out->flags & NTLM_FLAG_VERSION) && n >= NTLM_HEADER_LEN + NTLM_VERSION_LEN &&
	    (tn_len == 0 || tn_off >= NTLM_HEADER_LEN + NTLM_VERSION_LEN) &&
	    (ti_len == 0 || ti_off >= NTLM_HEADER_LEN + NTLM_VERSION_LEN)) {
		out->has_version = true;
		out->os_major = msg[48];
		out->os_minor = msg[49];
		out->os_build = get16(msg + 50);
	}
	for (size_t p = ti_off, end = ti_off + ti_len; ti_len && p < end;) {
		unsigned id, len;
		char **slot = NULL;

		if (end - p < 4) {
			exs_error_set(
			        err,
			        "ntlm challenge is malformed: target info ends inside an AV pair");
			goto out;
		}
		id = get16(msg + p);
		len = get16(msg + p + 2);
		p += 4;
		if (id == 0) /* MsvAvEOL */
			break;
		if (len > end - p) {
			exs_error_set(
			        err,
			        "ntlm challenge is malformed: AV pair %u claims %u bytes, %zu left",
			        id, len, end - p);
			goto out;
		}
		switch (id) {
		case 1:
			slot = &out->nb_computer;
			break;
		case 2:
			slot = &out->nb_domain;
			break;
		case 3:
			slot = &out->dns_computer;
			break;
		case 4:
			slot = &out->dns_domain;
			break;
		case 5:
			slot = &out->dns_tree;
			break;
		default:
			break;
		}
		if (slot && !*slot) {
			*slot = utf16_to_utf8(msg + p, len);
			if (!*slot) {
				exs_error_set(err, "out of memory");
				goto out;
			}
		}
		p += len;
	}
	rc = 0;
out:
	if (rc)
		exs_ntlm_info_release(out);
	return rc;
}

int exs_ntlm_decode_header(const char *value, size_t n, struct exs_ntlm_info *out,
                           struct exs_error *err)
{
	unsigned char *raw = NULL;
	size_t len, pad = 0;
	int dec, rc = -1;

	memset(out, 0, sizeof(*out));
	if (n < 5 || strncasecmp(value, "NTLM ", 5) != 0) {
		exs_error_set(err,
		              "ntlm challenge is malformed: header does not start with 'NTLM '");
		goto out;
	}
	value += 5;
	n -= 5;
	while (n > 0 && value[0] == ' ') {
		value++;
		n--;
	}
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\r' || value[n - 1] == '\n'))
		n--;
	len = n;
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > NTLM_MAX_MESSAGE) {
		exs_error_set(
		        err,
		        "ntlm challenge is malformed: %zu characters are not a base64 message "
		        "(want a multiple of 4, at most %d bytes)",
		        len, NTLM_MAX_MESSAGE);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		char c = value[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || (c == '=' && i >= len - 2))) {
			exs_error_set(err, "ntlm challenge is malformed: not base64");
			goto out;
		}
	}
	if (value[len - 1] == '=')
		pad++;
	if (value[len - 2] == '=')
		pad++;
	raw = malloc(len / 4 * 3 + 1);
	if (!raw) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	dec = EVP_DecodeBlock(raw, (const unsigned char *)value, (int)len);
	if (dec < 0 || (size_t)dec < pad) {
		exs_error_set(err, "ntlm challenge is malformed: not base64");
		goto out;
	}
	rc = exs_ntlm_decode_challenge(raw, (size_t)dec - pad, out, err);
out:
	free(raw);
	return rc;
}

void exs_ntlm_info_release(struct exs_ntlm_info *info)
{
	free(info->target_name);
	free(info->nb_computer);
	free(info->nb_domain);
	free(info->dns_computer);
	free(info->dns_domain);
	free(info->dns_tree);
	memset(info, 0, sizeof(*info));
}

const char *exs_ntlm_windows_name(const struct exs_ntlm_info *info)
{
	if (!info->has_version)
		return NULL;
	if (info->os_major == 6) {
		switch (info->os_minor) {
		case 1:
			return "Windows Server 2008 R2";
		case 2:
			return "Windows Server 2012";
		case 3:
			return "Windows Server 2012 R2";
		default:
			return NULL;
		}
	}
	if (info->os_major == 10 && info->os_minor == 0) {
		if (info->os_build >= 26100)
			return "Windows Server 2025";
		if (info->os_build >= 20348)
			return "Windows Server 2022";
		if (info->os_build >= 17763)
			return "Windows Server 2019";
		if (info->os_build >= 14393)
			return "Windows Server 2016";
	}
	return NULL;
}
