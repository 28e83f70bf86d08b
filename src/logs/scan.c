/* Which reader reads which file, and running one over a descriptor. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs_internal.h"

static const char *const kind_names[] = {
        [EXS_LOG_NONE] = "none", [EXS_LOG_HTTPPROXY] = "httpproxy",
        [EXS_LOG_ECP] = "ecp",   [EXS_LOG_OAB] = "oabgenerator",
        [EXS_LOG_IIS] = "iis",   [EXS_LOG_RPS_HTTP] = "rps_http",
        [EXS_LOG_EVTX] = "evtx",
};

const char *exs_log_kind_name(enum exs_log_kind kind)
{
	return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind]
	                                                                   : "none";
}

enum exs_log_kind exs_log_kind_parse(const char *name)
{
	for (size_t i = 1; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (enum exs_log_kind)i;
	return EXS_LOG_NONE;
}

/* Finds dir (a '/'-separated sequence of components, case-insensitive) at
 * the start of relpath or right after a '/'. Returns what follows it. */
static const char *find_dir(const char *relpath, const char *dir)
{
	size_t n = strlen(relpath), l = strlen(dir);

	for (size_t i = 0; i + l <= n; i++) {
		if (i > 0 && relpath[i - 1] != '/')
			continue;
		if (lg_prefix_ci(relpath + i, n - i, dir) && (i + l == n || relpath[i + l] == '/'))
			return relpath + i + l;
	}
	return NULL;
}

static const char *base_name(const char *relpath)
{
	const char *s = strrchr(relpath, '/');

	return s ? s + 1 : relpath;
}

enum exs_log_kind exs_logs_classify(const char *relpath)
{
	const char *base = base_name(relpath), *rest;
	size_t bn = strlen(base);

	if (lg_find_ci(base, bn, "Rps_Http_20") &&
	    find_dir(relpath, "CmdletInfra/Powershell-Proxy/Http"))
		return EXS_LOG_RPS_HTTP;
	if (lg_suffix_ci(base, bn, ".evtx"))
		return find_dir(relpath, "winevt/Logs") && lg_evtx_channel(base) != LG_EVTX_OTHER
		               ? EXS_LOG_EVTX
		               : EXS_LOG_NONE;
	if (!lg_suffix_ci(base, bn, ".log"))
		return EXS_LOG_NONE;
	if (find_dir(relpath, "Logging/HttpProxy"))
		return EXS_LOG_HTTPPROXY;
	if (find_dir(relpath, "Logging/ECP/Server"))
		return EXS_LOG_ECP;
	if (find_dir(relpath, "Logging/OABGeneratorLog"))
		return EXS_LOG_OAB;
	rest = find_dir(relpath, "logs/LogFiles");
	if (rest && lg_prefix_ci(rest, strlen(rest), "/W3SVC"))
		return EXS_LOG_IIS;
	return EXS_LOG_NONE;
}

static int run(struct lg_reader *r, enum exs_log_kind kind, struct lg_file *f,
               struct exs_error *err)
{
	switch (kind) {
	case EXS_LOG_HTTPPROXY:
		return lg_read_httpproxy(r, f, err);
	case EXS_LOG_ECP:
		return lg_read_ecp(r, f, err);
	case EXS_LOG_OAB:
		return lg_read_oab(r, f, err);
	case EXS_LOG_IIS:
		return lg_read_iis(r, f, err);
	case EXS_LOG_RPS_HTTP:
		return lg_read_rps(r, f, err);
	default:
		return exs_error_set(err, "'%s' is not a log exscan reads", r->name);
	}
}

int exs_logs_scan_fd(int fd, const char *relpath, enum exs_log_kind kind, struct exs_log_state *st,
                     struct exs_error *err)
{
	struct lg_reader r;
	struct lg_file f;
	int rc;

	lg_file_init(&f, relpath);
	f.kind = kind;
	if (kind == EXS_LOG_EVTX) {
		struct stat sb;

		rc = lg_read_evtx(fd, relpath, &f, err);
		if (fstat(fd, &sb) == 0)
			f.bytes = (uint64_t)sb.st_size;
		goto out;
	}
	rc = lg_reader_init(&r, fd, relpath, err);
	if (rc)
		goto out;
	rc = run(&r, kind, &f, err);
	f.bytes = r.bytes;
	lg_reader_span(&r, &f.oldest, &f.newest);
	lg_reader_release(&r);
out:
	lg_state_merge(st, &f);
	lg_file_release(&f);
	return rc;
}

int exs_logs_scan_mem(const char *data, size_t n, const char *relpath, enum exs_log_kind kind,
                      struct exs_log_state *st, struct exs_error *err)
{
	struct lg_reader r;
	struct lg_file f;
	int rc;

	if (kind == EXS_LOG_EVTX) {
		/* libevtx reads files: give it one in memory */
		int fd = memfd_create("evtx", MFD_CLOEXEC);

		if (fd < 0)
			return exs_error_set(err, "cannot create a memory file: %s",
			                     strerror(errno));
		if (write(fd, data, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
			close(fd);
			return exs_error_set(err, "cannot write a memory file: %s",
			                     strerror(errno));
		}
		rc = exs_logs_scan_fd(fd, relpath, kind, st, err);
		close(fd);
		return rc;
	}
	lg_file_init(&f, relpath);
	f.kind = kind;
	lg_reader_init_mem(&r, data, n, relpath);
	rc = run(&r, kind, &f, err);
	f.bytes = n;
	lg_reader_span(&r, &f.oldest, &f.newest);
	lg_reader_release(&r);
	lg_state_merge(st, &f);
	lg_file_release(&f);
	return rc;
}
