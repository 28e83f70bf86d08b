#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exscan/buf.h"
#include "exscan/escape.h"
#include "exscan/report.h"

struct json_object *exs_json_str(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct exs_buf b;
	struct json_object *o;
	size_t i = 0;

	exs_buf_init(&b, n * 4 + 16);
	while (i < n) {
		size_t len = p[i] < 0x80 ? 1 : exs_utf8_seq_len(p + i, n - i);

		if (len == 0 || p[i] == 0) {
			exs_buf_printf(&b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		exs_buf_append(&b, p + i, len);
		i += len;
	}
	o = json_object_new_string_len(exs_buf_cstr(&b), (int)b.len);
	exs_buf_release(&b);
	return o;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool exs_utf8_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, len; i < n; i += len) {
		len = p[i] < 0x80 ? 1 : exs_utf8_seq_len(p + i, n - i);
		if (len == 0 || p[i] == 0)
			return false;
	}
	return true;
}

struct json_object *exs_json_b64(const void *data, size_t n)
{
	const unsigned char *p = data;
	struct exs_buf b;
	struct json_object *o;

	exs_buf_init(&b, (n + 2) / 3 * 4 + 16);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		v |= i + 1 < n ? (unsigned)p[i + 1] << 8 : 0;
		v |= i + 2 < n ? p[i + 2] : 0;
		q[0] = b64_chars[(v >> 18) & 63];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64_chars[v & 63] : '=';
		exs_buf_append(&b, q, 4);
	}
	o = json_object_new_string_len(exs_buf_cstr(&b), (int)b.len);
	exs_buf_release(&b);
	return o;
}

const char *exs_json_raw_path(struct json_object *f, struct exs_buf *b)
{
	const char *enc = exs_json_get_str(f, "path_b64", NULL);
	unsigned v = 0;
	int bits = 0;

	exs_buf_reset(b);
	if (!enc)
		return exs_json_get_str(f, "path", "");
	for (const char *c = enc; *c && *c != '='; c++) {
		const char *at = strchr(b64_chars, *c);

		if (!at || !*at)
			return exs_json_get_str(f, "path", ""); /* not base64: the display path */
		v = (v << 6) | (unsigned)(at - b64_chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			/* a NUL cannot be in a file name: stop there */
			if (((v >> bits) & 0xff) == 0 ||
			    exs_buf_putc(b, (char)((v >> bits) & 0xff)))
				break;
		}
	}
	return exs_buf_cstr(b);
}

struct json_object *exs_json_cstr(const char *s)
{
	return s ? exs_json_str(s, strlen(s)) : NULL;
}

const char *exs_json_text(struct json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |=
	        pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return json_object_to_json_string_ext(o, flags);
}

int exs_json_write(FILE *fp, struct json_object *o, bool pretty)
{
	const unsigned char *p = (const unsigned char *)exs_json_text(o, pretty);
	size_t i = 0, run = 0, n = strlen((const char *)p);

	/* The serialised text is ASCII outside strings, so whatever is not
	 * plain ASCII sits inside a string (a key or a value) where an escape is
	 * valid: invalid UTF-8 (raw input bytes json-c copied) becomes the text
	 * \xNN, C1 controls, bidi controls and line separators \u escapes. */
	while (i + run < n) {
		const unsigned char *c = p + i + run;
		size_t len;
		unsigned long cp;

		if (*c < 0x80) {
			run++;
			continue;
		}
		len = exs_utf8_seq_len(c, n - i - run);
		cp = len ? exs_utf8_invisible_control(c, len) : 0;
		if (len && !cp) {
			run += len;
			continue;
		}
		fwrite(p + i, 1, run, fp);
		i += run;
		run = 0;
		if (cp) {
			fprintf(fp, "\\u%04lx", cp);
			i += len;
		} else if (c[0] >= 0xc2 && c[0] <= 0xdf && (c[1] & 0xc0) == 0x80) {
			/* a C1 control in UTF-8: valid, but shown as what it is */
			fprintf(fp, "\\u%04x", ((c[0] & 0x1fu) << 6) | (c[1] & 0x3fu));
			i += 2;
		} else {
			fprintf(fp, "\\\\x%02x", c[0]);
			i++;
		}
	}
	fwrite(p + i, 1, run, fp);
	return ferror(fp) ? -1 : 0;
}

struct json_object *exs_json_get(struct json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		struct json_object *next = NULL;

		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &next))
			return NULL;
		o = next;
		path += n + (dot ? 1 : 0);
	}
	return o;
}

const char *exs_json_get_str(struct json_object *o, const char *path, const char *def)
{
	struct json_object *v = exs_json_get(o, path);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

bool exs_json_get_bool(struct json_object *o, const char *path, bool def)
{
	struct json_object *v = exs_json_get(o, path);

	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

int64_t exs_json_get_int(struct json_object *o, const char *path, int64_t def)
{
	struct json_object *v = exs_json_get(o, path);

	if (v &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return json_object_get_int64(v);
	return def;
}

struct json_object *exs_json_time(int64_t t)
{
	char b[40];
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm))
		return NULL;
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(b);
}

const char *exs_check_evidence(struct json_object *check, char *buf, size_t n)
{
	struct json_object *ev = exs_json_get(check, "evidence");

	if (!ev) {
		snprintf(buf, n, "no evidence recorded");
	} else if (json_object_is_type(ev, json_type_string)) {
		snprintf(buf, n, "%s", json_object_get_string(ev));
	} else {
		int64_t status = exs_json_get_int(ev, "status", 0);
		const char *detail = exs_json_get_str(ev, "detail", "");

		if (status && strncmp(detail, "HTTP ", 5) != 0)
			snprintf(buf, n, "HTTP %lld%s%s", (long long)status, *detail ? ": " : "",
			         detail);
		else
			snprintf(buf, n, "%s", *detail ? detail : "no evidence recorded");
	}
	return buf;
}
