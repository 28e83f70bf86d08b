#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exscan/finding.h"

enum exs_severity exs_severity_of(int score)
{
	if (score >= 80)
		return EXS_SEVERITY_ALERT;
	if (score >= 60)
		return EXS_SEVERITY_WARNING;
	if (score >= 40)
		return EXS_SEVERITY_NOTICE;
	return EXS_SEVERITY_INFO;
}

const char *exs_severity_name(enum exs_severity s)
{
	static const char *const names[] = {"info", "notice", "warning", "alert"};

	return (unsigned)s < 4 ? names[s] : "info";
}

const char *exs_finding_kind_name(enum exs_finding_kind k)
{
	static const char *const names[] = {"webshell", "location", "artifact",
	                                    "ioc",      "log",      "error"};

	return (unsigned)k < 6 ? names[k] : "error";
}

void exs_finding_release(struct exs_finding *f)
{
	free(f->path);
	free(f->rule);
	free(f->family);
	free(f->description);
	free(f->reference);
	free(f->filetype);
	for (size_t i = 0; i < f->n_matches; i++) {
		free(f->matches[i].identifier);
		free(f->matches[i].data);
	}
	free(f->matches);
	free(f->cve);
	free(f->campaign);
	for (size_t i = 0; i < f->n_clients; i++)
		free(f->clients[i]);
	free(f->clients);
	free(f->excerpt);
	memset(f, 0, sizeof(*f));
}

void exs_findings_init(struct exs_findings *l)
{
	memset(l, 0, sizeof(*l));
}

void exs_findings_release(struct exs_findings *l)
{
	for (size_t i = 0; i < l->n; i++)
		exs_finding_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int exs_findings_push(struct exs_findings *l, struct exs_finding *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct exs_finding *p = realloc(l->items, cap * sizeof(*p));

		if (!p) {
			exs_finding_release(f);
			return -1;
		}
		l->items = p;
		l->cap = cap;
	}
	l->items[l->n++] = *f;
	memset(f, 0, sizeof(*f));
	return 0;
}

int exs_findings_push_errorv(struct exs_findings *l, const char *path, const char *fmt, va_list ap)
{
	struct exs_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = EXS_FINDING_ERROR;
	if (vasprintf(&f.description, fmt, ap) < 0)
		f.description = NULL;
	f.path = strdup(path);
	if (!f.path || !f.description) {
		exs_finding_release(&f);
		return -1;
	}
	return exs_findings_push(l, &f);
}
