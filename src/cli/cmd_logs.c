/* exscan logs PATH...: runs the log readers and artifact checks over files
 * or directory trees (a developer command until `exscan walk` calls them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exscan/buf.h"
#include "exscan/escape.h"
#include "exscan/logs.h"
#include "exscan/report.h"

#define MAX_DEPTH 64

enum { OPT_KIND = EXS_OPT_COMMAND_BASE };

static const struct exs_option logs_options[] = {
        EXS_OPTION_FORMAT,
        EXS_OPTION_OUTPUT,
        {"kind", 0, "KIND",
         "read files given by name as KIND: httpproxy, ecp, oabgenerator, iis, rps_http, evtx",
         OPT_KIND},
        EXS_OPTION_FAIL_ON,
        EXS_OPTION_NO_COLOR,
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

static int logs_set_option(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	if (id == OPT_KIND) {
		cfg->logs.kind = exs_log_kind_parse(arg);
		if (cfg->logs.kind == EXS_LOG_NONE)
			return exs_error_set(err,
			                     "exscan logs: unknown --kind '%s' (choose httpproxy, "
			                     "ecp, oabgenerator, iis, rps_http, evtx)",
			                     arg);
		return 0;
	}
	return exs_error_set(err, "exscan logs: option id %d has no handler (a bug)", id);
}

struct host_run {
	struct exs_log_state *st;
	struct json_object *errors; /* array of strings */
	size_t n_errors;
};

static void note_error(struct host_run *h, const char *msg)
{
	fprintf(stderr, "exscan logs: %s\n", msg);
	json_object_array_add(h->errors, exs_json_cstr(msg));
	h->n_errors++;
}

/* A message naming an untrusted path: escaped. */
static void path_error(struct host_run *h, const char *what, const char *path, int errnum)
{
	struct exs_buf b;

	exs_buf_init(&b, 8192);
	exs_buf_printf(&b, "%s '", what);
	exs_escape_excerpt(&b, path, strlen(path), 1024);
	exs_buf_printf(&b, "': %s", strerror(errnum));
	note_error(h, exs_buf_cstr(&b));
	exs_buf_release(&b);
}

static void scan_file(struct host_run *h, int dirfd, const char *name, const char *relpath,
                      enum exs_log_kind forced)
{
	struct exs_error err = {{0}};
	enum exs_log_kind kind = exs_logs_classify(relpath);
	enum exs_artifact_kind art = exs_logs_classify_artifact(relpath);
	struct stat sb;
	int fd;

	if (kind == EXS_LOG_NONE)
		kind = forced;
	if (kind == EXS_LOG_NONE && art == EXS_ARTIFACT_NONE)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		path_error(h, "cannot open", relpath, errno);
		return;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return;
	}
	if (kind != EXS_LOG_NONE) {
		if (exs_logs_scan_fd(fd, relpath, kind, h->st, &err))
			note_error(h, err.msg);
	} else if (exs_logs_check_artifact(fd, relpath, art, &sb, h->st, &err)) {
		note_error(h, err.msg);
	}
	close(fd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks the directory open at dfd (relpath names it), in name order. */
static void walk_dir(struct host_run *h, int dfd, struct exs_buf *rel, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, base = rel->len;

	if (!d) {
		path_error(h, "cannot read directory", exs_buf_cstr(rel), errno);
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		char *dup;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(names, nc * sizeof(*p));

			if (!p)
				break;
			names = p;
			cap = nc;
		}
		dup = strdup(de->d_name);
		if (!dup)
			break;
		names[n++] = dup;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat sb;

		rel->len = base;
		if ((base && exs_buf_putc(rel, '/')) || exs_buf_puts(rel, names[i])) {
			note_error(h, "a path is too long; skipped");
			continue;
		}
		if (fstatat(dirfd(d), names[i], &sb, AT_SYMLINK_NOFOLLOW)) {
			path_error(h, "cannot stat", exs_buf_cstr(rel), errno);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			int sub;

			if (depth >= MAX_DEPTH) {
				path_error(h, "too deep, skipped", exs_buf_cstr(rel), ELOOP);
				continue;
			}
			sub = openat(dirfd(d), names[i],
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				path_error(h, "cannot open directory", exs_buf_cstr(rel), errno);
				continue;
			}
			walk_dir(h, sub, rel, depth + 1);
		} else if (S_ISREG(sb.st_mode)) {
			scan_file(h, dirfd(d), names[i], exs_buf_cstr(rel), EXS_LOG_NONE);
		}
	}
	rel->len = base;
	if (rel->data)
		rel->data[base] = '\0';
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void scan_path(struct host_run *h, const char *path, enum exs_log_kind forced)
{
	struct stat sb;

	if (stat(path, &sb)) {
		path_error(h, "cannot read", path, errno);
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct exs_buf rel;

		if (dfd < 0) {
			path_error(h, "cannot open directory", path, errno);
			return;
		}
		exs_buf_init(&rel, 4096);
		walk_dir(h, dfd, &rel, 0);
		exs_buf_release(&rel);
		return;
	}
	if (exs_logs_classify(path) == EXS_LOG_NONE && forced == EXS_LOG_NONE &&
	    exs_logs_classify_artifact(path) == EXS_ARTIFACT_NONE) {
		struct exs_buf b;

		exs_buf_init(&b, 4096);
		exs_buf_puts(&b, "'");
		exs_escape_excerpt(&b, path, strlen(path), 1024);
		exs_buf_puts(&b, "' is not in a log location exscan knows; give --kind");
		note_error(h, exs_buf_cstr(&b));
		exs_buf_release(&b);
		return;
	}
	scan_file(h, AT_FDCWD, path, path, forced);
}

static void iso_time(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm)) {
		snprintf(out, n, "-");
		return;
	}
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void finding_text(FILE *out, const struct exs_finding *f, bool color)
{
	static const char *const col[] = {"", "\033[36m", "\033[33m", "\033[1;31m"};
	enum exs_severity sev = exs_severity_of(f->score);
	char a[40], b[40];
	struct exs_buf e;

	iso_time(f->first_seen, a, sizeof(a));
	iso_time(f->last_seen, b, sizeof(b));
	exs_buf_init(&e, 16384);
	if (!f->campaign && f->description) { /* a note on a file, not a trace */
		exs_escape_text(&e, f->description, strlen(f->description));
		fprintf(out, "  %s%-7s%s %s: %s\n", color ? col[sev] : "", exs_severity_name(sev),
		        color ? "\033[0m" : "", f->rule, exs_buf_cstr(&e));
		exs_buf_reset(&e);
	} else {
		fprintf(out, "  %s%-7s%s %s%s%s %s: %s, %llu time%s, %s .. %s\n",
		        color ? col[sev] : "", exs_severity_name(sev), color ? "\033[0m" : "",
		        f->campaign ? f->campaign : "", f->cve ? " " : "", f->cve ? f->cve : "",
		        f->rule, f->success ? "success" : "attempt", (unsigned long long)f->count,
		        f->count == 1 ? "" : "s", a, b);
	}
	if (f->n_clients) {
		exs_buf_puts(&e, "          clients:");
		for (size_t i = 0; i < f->n_clients; i++) {
			exs_buf_puts(&e, i ? ", " : " ");
			exs_escape_text(&e, f->clients[i], strlen(f->clients[i]));
		}
		fprintf(out, "%s\n", exs_buf_cstr(&e));
		exs_buf_reset(&e);
	}
	exs_escape_text(&e, f->path ? f->path : "", f->path ? strlen(f->path) : 0);
	if (f->line)
		fprintf(out, "          %s:%llu\n", exs_buf_cstr(&e), (unsigned long long)f->line);
	else
		fprintf(out, "          %s\n", exs_buf_cstr(&e));
	if (f->excerpt_len) {
		exs_buf_reset(&e);
		exs_escape_excerpt(&e, f->excerpt, f->excerpt_len, 200);
		fprintf(out, "          > %s\n", exs_buf_cstr(&e));
	}
	exs_buf_release(&e);
}

/* Per day and campaign: attempts and successes (campaign names are ours). */
static void timeline_text(FILE *out, struct exs_log_state *st)
{
	struct json_object *tl = exs_log_timeline_to_json(st);
	size_t n = tl ? json_object_array_length(tl) : 0;

	if (n)
		fprintf(out, "  timeline:\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(tl, i), *v;
		const char *date = "", *camp = "";
		int64_t att = 0, succ = 0;

		if (json_object_object_get_ex(e, "date", &v))
			date = json_object_get_string(v);
		if (json_object_object_get_ex(e, "campaign", &v))
			camp = json_object_get_string(v);
		if (json_object_object_get_ex(e, "attempts", &v))
			att = json_object_get_int64(v);
		if (json_object_object_get_ex(e, "successes", &v))
			succ = json_object_get_int64(v);
		fprintf(out, "    %s  %-16s %6lld attempt%s %6lld success%s\n", date, camp,
		        (long long)att, att == 1 ? " " : "s", (long long)succ,
		        succ == 1 ? "" : "es");
	}
	json_object_put(tl);
}

static int logs_run(struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	struct json_object *root = NULL, *hosts = NULL;
	FILE *out = NULL;
	int rc = EXS_EXIT_OK;
	bool incomplete = false, any = false;

	if (cfg->nargs == 0) {
		fprintf(stderr, "exscan logs: give at least one log file or directory\n");
		return EXS_EXIT_USAGE;
	}
	out = exs_cli_output_open(cfg, &err);
	if (!out) {
		fprintf(stderr, "exscan logs: %s\n", err.msg);
		return EXS_EXIT_OUTPUT;
	}
	if (cfg->format == EXS_FORMAT_JSON) {
		root = json_object_new_object();
		hosts = json_object_new_array();
		json_object_object_add(root, "hosts", hosts);
	}
	for (int i = 0; i < cfg->nargs; i++) {
		struct host_run h = {exs_log_state_new(), json_object_new_array(), 0};
		struct exs_findings fs;
		struct exs_log_stats stats;

		exs_findings_init(&fs);
		if (!h.st) {
			fprintf(stderr, "exscan logs: out of memory\n");
			json_object_put(h.errors);
			rc = EXS_EXIT_INCOMPLETE;
			break;
		}
		scan_path(&h, cfg->args[i], cfg->logs.kind);
		if (exs_logs_finish(h.st, &fs, &err))
			note_error(&h, err.msg);
		exs_log_state_stats(h.st, &stats);
		incomplete = incomplete || h.n_errors > 0;
		for (size_t k = 0; k < fs.n; k++)
			any = any || exs_severity_of(fs.items[k].score) >= EXS_SEVERITY_NOTICE;
		if (hosts) {
			struct json_object *ho = json_object_new_object();
			struct json_object *arr = json_object_new_array(), *so;

			json_object_object_add(ho, "host", exs_json_cstr(cfg->args[i]));
			for (size_t k = 0; k < fs.n; k++)
				json_object_array_add(arr, exs_finding_to_json(&fs.items[k]));
			json_object_object_add(ho, "findings", arr);
			json_object_object_add(ho, "timeline", exs_log_timeline_to_json(h.st));
			so = json_object_new_object();
			json_object_object_add(so, "files",
			                       json_object_new_int64((int64_t)stats.files));
			json_object_object_add(so, "bytes",
			                       json_object_new_int64((int64_t)stats.bytes));
			json_object_object_add(so, "lines",
			                       json_object_new_int64((int64_t)stats.lines));
			json_object_object_add(so, "bad_lines",
			                       json_object_new_int64((int64_t)stats.bad_lines));
			json_object_object_add(so, "hits",
			                       json_object_new_int64((int64_t)stats.hits));
			json_object_object_add(
			        so, "unreadable_records",
			        json_object_new_int64((int64_t)stats.unreadable_records));
			json_object_object_add(ho, "stats", so);
			json_object_object_add(ho, "errors", h.errors);
			h.errors = NULL;
			json_object_array_add(hosts, ho);
		} else {
			struct exs_buf b;

			exs_buf_init(&b, 8192);
			exs_escape_text(&b, cfg->args[i], strlen(cfg->args[i]));
			fprintf(out, "%s: %zu finding%s (%llu files, %llu lines, %llu bytes read%s",
			        exs_buf_cstr(&b), fs.n, fs.n == 1 ? "" : "s",
			        (unsigned long long)stats.files, (unsigned long long)stats.lines,
			        (unsigned long long)stats.bytes,
			        stats.unreadable_records ? "; " : ")\n");
			if (stats.unreadable_records)
				fprintf(out, "%llu event log record%s cannot be decoded)\n",
				        (unsigned long long)stats.unreadable_records,
				        stats.unreadable_records == 1 ? "" : "s");
			for (size_t k = 0; k < fs.n; k++)
				finding_text(out, &fs.items[k], cfg->color && out == stdout);
			timeline_text(out, h.st);
			if (h.n_errors)
				fprintf(out,
				        "  incomplete: %zu thing%s could not be read (see above)\n",
				        h.n_errors, h.n_errors == 1 ? "" : "s");
			exs_buf_release(&b);
		}
		json_object_put(h.errors);
		exs_findings_release(&fs);
		exs_log_state_free(h.st);
	}
	if (root) {
		exs_json_write(out, root, true);
		fputc('\n', out);
	}
	if (exs_cli_output_close(cfg, out, &err)) {
		fprintf(stderr, "exscan logs: %s\n", err.msg);
		rc = EXS_EXIT_OUTPUT;
	}
	if (rc == EXS_EXIT_OK)
		rc = exs_cli_exit_code(any && cfg->fail_on != EXS_FAIL_ON_NEVER, incomplete, false);
	json_object_put(root);
	return rc;
}

const struct exs_command exs_cmd_logs = {
        .name = "logs",
        .synopsis = "[OPTIONS] PATH...",
        .summary = "look for exploitation traces in Exchange and IIS logs (developer command)",
        .description =
                "Read Exchange HttpProxy, ECP server, OABGenerator and Rps_Http logs, IIS W3C logs,\n"
                "and attacker artifacts (lsass dumps, archives under ProgramData, w3wp crash\n"
                "reports, applicationHost.config virtual directories into ProgramData) found\n"
                "under each PATH (a directory tree, e.g. a mounted system drive, or a log file).\n"
                "Each PATH is one host. Files are recognised by their location; --kind reads\n"
                "files named on the command line as the given kind. Hits are aggregated per\n"
                "rule and outcome. Event logs (.evtx) under winevt/Logs are read too:\n"
                "Application, MSExchange Management, PowerShell (Operational and Windows\n"
                "PowerShell), Security, Sysmon and System. Exit 1 when\n"
                "anything is found (unless --fail-on never), 3 when something could not be read.",
        .formats = "text|json",
        .options = logs_options,
        .set_option = logs_set_option,
        .run = logs_run,
};
