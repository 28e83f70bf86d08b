/* The text form of one probed host (exscan probe --format text).  Server
 * strings are escaped with exs_escape_text() before they reach the terminal. */
#include <string.h>

#include "exscan/buf.h"
#include "exscan/escape.h"
#include "exscan/probe.h"
#include "exscan/report.h"

/* Escaped copy of untrusted text in a small rotating set of buffers. */
struct esc {
	struct exs_buf b[6];
	int next;
};

static const char *esc(struct esc *e, const char *s)
{
	struct exs_buf *b = &e->b[e->next++ % 6];

	exs_buf_reset(b);
	exs_escape_excerpt(b, s ? s : "", s ? strlen(s) : 0, 300);
	return exs_buf_cstr(b);
}

static const char *paint(bool color, const char *code)
{
	return color ? code : "";
}

void exs_probe_result_write_text(FILE *fp, const struct exs_probe_result *r, bool color)
{
	struct esc e;
	const struct exs_assessment *a = r->assessed ? &r->assessment : NULL;
	const char *red = paint(color, "\033[31m"), *green = paint(color, "\033[32m"),
	           *yellow = paint(color, "\033[33m"), *bold = paint(color, "\033[1m"),
	           *off = paint(color, "\033[0m");
	char v[48];

	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 6; i++)
		exs_buf_init(&e.b[i], 4096);
	fprintf(fp, "%s%s:%u%s", bold, esc(&e, r->host), r->port, off);
	if (r->address[0] && strcmp(r->address, r->host) != 0)
		fprintf(fp, " (%s)", esc(&e, r->address));
	if (r->sni)
		fprintf(fp, " sni %s", esc(&e, r->sni));
	if (!r->probed) {
		fprintf(fp, "  %serror%s: %s\n", red, off, esc(&e, r->error));
		goto out;
	}
	if (!r->is_exchange) {
		fprintf(fp, "  not Exchange\n");
	} else if (r->precision == EXS_PRECISION_NONE) {
		fprintf(fp, "  Exchange, build not found\n");
	} else {
		const struct exs_build *b = a ? (a->entry ? a->entry : a->cu_entry) : NULL;

		fprintf(fp, "  %s %s%s%s, build %s (%s, from %s)\n",
		        a && a->product ? a->product->name : "Exchange", b ? b->cu : "",
		        a && a->entry && a->entry->update[0] ? " " : "",
		        a && a->entry ? a->entry->update : "",
		        exs_version_format(&r->version, v, sizeof(v)),
		        exs_precision_name(r->precision), r->build_source);
	}
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct exs_check *c = &r->checks[i];
		const char *col = c->result == EXS_CHECK_VULNERABLE       ? red
		                  : c->result == EXS_CHECK_NOT_VULNERABLE ? green
		                                                          : yellow;

		fprintf(fp, "  %-15s %-18s %s%-14s%s %s: %s\n", c->id, c->name, col,
		        exs_check_result_name(c->result), off, c->method, esc(&e, c->evidence));
	}
	if (a && a->n_open) {
		size_t kev = 0, certain = 0;

		for (size_t i = 0; i < a->n_open; i++) {
			kev += a->open[i].cve->kev;
			certain += a->open[i].certain;
		}
		fprintf(fp, "  open CVEs by build: %zu (%zu certain, %zu known exploited)\n",
		        a->n_open, certain, kev);
	}
	if (r->has_ntlm) {
		const struct exs_ntlm_info *n = &r->ntlm;
		const char *os = exs_ntlm_windows_name(n);

		fprintf(fp, "  ntlm: %s\\%s, %s", esc(&e, n->nb_domain), esc(&e, n->nb_computer),
		        esc(&e, n->dns_computer));
		if (n->has_version)
			fprintf(fp, ", Windows %u.%u.%u%s%s%s", n->os_major, n->os_minor,
			        n->os_build, os ? " (" : "", os ? os : "", os ? ")" : "");
		fputc('\n', fp);
	}
	if (r->tls.present) {
		const struct exs_tls_facts *t = &r->tls;

		fprintf(fp, "  tls: %s %s, %s %d, subject %s, expires %s%s%s%s%s\n", t->protocol,
		        t->cipher, t->key_type, t->key_bits, esc(&e, t->subject), t->not_after,
		        t->self_signed ? ", self-signed" : "", t->expired ? ", EXPIRED" : "",
		        t->bad_signature ? ", BAD SIGNATURE" : "",
		        t->name_match ? "" : ", name mismatch");
	}
	if (r->error[0])
		fprintf(fp, "  %serror%s: %s\n", red, off, esc(&e, r->error));
out:
	for (int i = 0; i < 6; i++)
		exs_buf_release(&e.b[i]);
}
