#include <string.h>

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
