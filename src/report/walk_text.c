/* exscan walk: one host as text for people. */
#include <inttypes.h>
#include <string.h>

#include "exscan/escape.h"
#include "exscan/report.h"
#include "exscan/server.h"

static void put_escaped(FILE *fp, const char *s, size_t n)
{
	struct exs_buf b;

	exs_buf_init(&b, 1 << 20);
	exs_escape_text(&b, s ? s : "", s ? n : 0);
	fputs(exs_buf_cstr(&b), fp);
	exs_buf_release(&b);
}

static void put_cstr(FILE *fp, const char *s)
{
	put_escaped(fp, s, s ? strlen(s) : 0);
}

void exs_walk_host_write_text(FILE *fp, const struct exs_walk_host *h, bool color)
{
	const struct exs_walk_layout *l = &h->layout;
	const struct exs_walk_stats *s = &h->stats;
	size_t hidden = 0;

	fputs("host ", fp);
	put_cstr(fp, h->host);
	fputs(" (root ", fp);
	put_cstr(fp, h->root);
	fputs(")\n", fp);
	if (l->exchange) {
		fprintf(fp, "  exchange %s at ", l->version ? l->version : "(version unknown)");
		put_cstr(fp, *l->exchange_dir ? l->exchange_dir : ".");
		fputc('\n', fp);
		if (l->build || l->build_error) {
			fputs("  build ", fp);
			put_cstr(fp, l->build ? l->build : "unknown");
			fputs(l->build ? " from " : " (", fp);
			put_cstr(fp, l->build ? l->build_file : l->build_error);
			fputs(l->build ? "\n" : ")\n", fp);
		}
	} else if (l->single_file) {
		fputs("  one file, scanned alone\n", fp);
	} else {
		fprintf(fp, "  no Exchange installation found%s\n",
		        l->web_root ? "; every file under the root is scanned as web content" : "");
	}
	for (size_t i = 0; l->iis && i < l->iis->n_mitigations; i++) {
		const struct exs_iis_mitigation *m = &l->iis->mitigations[i];

		fprintf(fp, "  mitigation %s: URL Rewrite rule '", m->cve);
		put_cstr(fp, m->rule ? m->rule : "?");
		fputs("' in ", fp);
		put_cstr(fp, m->file ? m->file : "?");
		fputs(m->enabled ? "\n" : " (disabled: it mitigates nothing)\n", fp);
	}
	for (size_t i = 0; i < h->findings.n; i++) {
		const struct exs_finding *f = &h->findings.items[i];
		enum exs_severity sev = exs_severity_of(f->score);
		const char *on = "", *off = "";

		/* informational log findings (event logs with unreadable records)
		 * are few and say what was not checked: shown */
		if (f->kind != EXS_FINDING_ERROR && f->kind != EXS_FINDING_LOG &&
		    sev == EXS_SEVERITY_INFO) {
			hidden++;
			continue;
		}
		if (color && f->kind != EXS_FINDING_ERROR) {
			on = sev == EXS_SEVERITY_ALERT     ? "\033[1;31m"
			     : sev == EXS_SEVERITY_WARNING ? "\033[33m"
			                                   : "\033[36m";
			off = "\033[0m";
		}
		if (f->kind == EXS_FINDING_ERROR) {
			fputs("  ERROR    ", fp);
			put_cstr(fp, f->path);
			fputs(": ", fp);
			put_cstr(fp, f->description);
			fputc('\n', fp);
			continue;
		}
		fprintf(fp, "  %s%-8s%s %3d %-8s ", on, exs_severity_name(sev), off, f->score,
		        exs_finding_kind_name(f->kind));
		put_cstr(fp, f->path);
		fputs("\n           ", fp);
		put_cstr(fp, f->rule);
		if (f->family) {
			fputs(" [", fp);
			put_cstr(fp, f->family);
			fputc(']', fp);
		}
		if (f->description) {
			fputs(": ", fp);
			put_cstr(fp, f->description);
		}
		fputc('\n', fp);
		if (f->sha256[0])
			fprintf(fp, "           sha256 %s, %" PRIu64 " bytes\n", f->sha256,
			        f->size);
		for (size_t j = 0; j < f->n_matches && j < 3; j++) {
			struct exs_buf b;

			exs_buf_init(&b, 4096);
			exs_escape_excerpt(&b, f->matches[j].data, f->matches[j].data_len, 64);
			fprintf(fp, "           %s at %" PRIu64 ": %s\n",
			        f->matches[j].identifier ? f->matches[j].identifier : "?",
			        f->matches[j].offset, exs_buf_cstr(&b));
			exs_buf_release(&b);
		}
	}
	if (hidden)
		fprintf(fp,
		        "  (%zu informational findings, e.g. links out of the root: see --format "
		        "json)\n",
		        hidden);
	fprintf(fp,
	        "  %" PRIu64 " files seen, %" PRIu64 " scanned (%.1f MB), %" PRIu64
	        " directories, %" PRIu64 " errors, %.2f s\n",
	        s->files_seen, s->files_scanned, (double)s->bytes_scanned / 1e6, s->dirs, s->errors,
	        s->seconds);
	fputs("  skipped:", fp);
	for (int i = 0; i < EXS_SKIP__N; i++)
		fprintf(fp, " %s %" PRIu64 "%s", exs_walk_skip_name((enum exs_walk_skip)i),
		        s->skipped[i], i + 1 < EXS_SKIP__N ? "," : "\n");
	if (s->truncated || s->changed || s->logs)
		fprintf(fp,
		        "  %" PRIu64 " larger than --max-size (head scanned; %" PRIu64
		        " server pages head and tail), %" PRIu64 " changed while read, %" PRIu64
		        " logs read\n",
		        s->truncated, s->pages_cut, s->changed, s->logs);
	if (s->log_records_unreadable)
		fprintf(fp, "  %" PRIu64 " event log record%s could not be decoded\n",
		        s->log_records_unreadable, s->log_records_unreadable == 1 ? "" : "s");
}
