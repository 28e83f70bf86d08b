#include <stdio.h>
#include <string.h>

#include "exscan/version.h"

int exs_version_parse_n(const char *s, size_t n, struct exs_version *v, struct exs_error *err)
{
	size_t i = 0;
	int part = 0;

	memset(v, 0, sizeof(*v));
	if (n == 0)
		return exs_error_set(err, "'' is not a build number: expected e.g. 15.1.2176.2");
	for (;;) {
		size_t start = i;
		uint64_t val = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			val = val * 10 + (uint64_t)(s[i] - '0');
			if (val > EXS_VERSION_PART_MAX)
				goto bad;
			i++;
		}
		if (i == start || (i - start > 1 && s[start] == '0'))
			goto bad;
		v->part[part++] = (uint32_t)val;
		if (i == n)
			break;
		if (s[i] != '.' || part == 4)
			goto bad;
		i++;
	}
	if (part < 3)
		goto bad;
	v->nparts = part;
	return 0;
bad:
	memset(v, 0, sizeof(*v));
	return exs_error_set(err,
	                     "'%.*s' is not a build number: expected e.g. 15.1.2176.2 or 15.1.2176",
	                     (int)(n > 64 ? 64 : n), s);
}

int exs_version_parse(const char *s, struct exs_version *v, struct exs_error *err)
{
	return exs_version_parse_n(s, strlen(s), v, err);
}

static int cmp_parts(const struct exs_version *a, const struct exs_version *b, int count)
{
	for (int i = 0; i < count; i++) {
		if (a->part[i] != b->part[i])
			return a->part[i] < b->part[i] ? -1 : 1;
	}
	return 0;
}

int exs_version_cmp(const struct exs_version *a, const struct exs_version *b)
{
	return cmp_parts(a, b, 4);
}

int exs_version_cmp3(const struct exs_version *a, const struct exs_version *b)
{
	return cmp_parts(a, b, 3);
}

char *exs_version_format(const struct exs_version *v, char *out, size_t n)
{
	if (v->nparts == 4)
		snprintf(out, n, "%u.%u.%u.%u", v->part[0], v->part[1], v->part[2], v->part[3]);
	else
		snprintf(out, n, "%u.%u.%u", v->part[0], v->part[1], v->part[2]);
	return out;
}
