/* Attacker artifacts: process dumps, staged archives, crash reports of the
 * Exchange app pools, and IIS virtual directories pointing into ProgramData. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "logs_internal.h"

static const char *base_name(const char *relpath)
{
	const char *s = strrchr(relpath, '/');

	return s ? s + 1 : relpath;
}

/* dir as whole path components, case-insensitive, anywhere in relpath */
static bool has_dir(const char *relpath, const char *dir)
{
	size_t n = strlen(relpath), l = strlen(dir);

	for (size_t i = 0; i + l < n; i++)
		if ((i == 0 || relpath[i - 1] == '/') && relpath[i + l] == '/' &&
		    lg_prefix_ci(relpath + i, n - i, dir))
			return true;
	return false;
}

enum exs_artifact_kind exs_logs_classify_artifact(const char *relpath)
{
	const char *b = base_name(relpath);
	size_t bn = strlen(b);

	if (lg_suffix_ci(b, bn, ".dmp"))
		return EXS_ARTIFACT_DUMP;
	if ((lg_suffix_ci(b, bn, ".zip") || lg_suffix_ci(b, bn, ".7z") ||
	     lg_suffix_ci(b, bn, ".rar")) &&
	    has_dir(relpath, "ProgramData"))
		return EXS_ARTIFACT_ARCHIVE;
	if (lg_eq_ci(b, bn, "Report.wer") && has_dir(relpath, "WER"))
		return EXS_ARTIFACT_WER;
	if (lg_eq_ci(b, bn, "applicationHost.config") && has_dir(relpath, "inetsrv"))
		return EXS_ARTIFACT_APPHOST;
	return EXS_ARTIFACT_NONE;
}

static void record(struct lg_file *f, enum lg_rule rule, const struct stat *sb, uint64_t line,
                   const char *text, size_t n)
{
	struct lg_hit h = {
	        .rule = rule,
	        .ts = sb ? (int64_t)sb->st_mtime : 0,
	        .text = text,
	        .text_len = n,
	        .line = line,
	        .size = sb ? (uint64_t)sb->st_size : 0,
	        .mtime = sb ? (int64_t)sb->st_mtime : 0,
	};

	lg_file_hit(f, &h);
}

static int read_head(int fd, char *buf, size_t n, const char *name, struct exs_error *err)
{
	ssize_t got;

	do
		got = pread(fd, buf, n, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return exs_error_set(err, "cannot read '%s': %s", name, strerror(errno));
	return (int)got;
}

static int check_dump(int fd, const char *relpath, const struct stat *sb, struct lg_file *f,
                      struct exs_error *err)
{
	char head[4];
	int got;

	if (lg_prefix_ci(base_name(relpath), strlen(base_name(relpath)), "lsass")) {
		record(f, LG_R_ART_LSASS, sb, 0, NULL, 0);
		return 0;
	}
	if (has_dir(relpath, "WER"))
		return 0; /* Windows Error Reporting keeps its own dumps */
	got = read_head(fd, head, sizeof(head), relpath, err);
	if (got < 0)
		return -1;
	if (got == 4 && memcmp(head, "MDMP", 4) == 0)
		record(f, LG_R_ART_DUMP, sb, 0, NULL, 0);
	return 0;
}

/* Report.wer (usually UTF-16): the crashed application is w3wp or the
 * ECP application pool. */
static int check_wer(int fd, const char *relpath, const struct stat *sb, struct lg_file *f,
                     struct exs_error *err)
{
	struct lg_reader r;
	const char *s;
	size_t n;
	int rc;

	if (lg_reader_init(&r, fd, relpath, err))
		return -1;
	while ((rc = lg_reader_next(&r, &s, &n, err)) == 1 && r.lineno < 2000) {
		if (lg_prefix_ci(s, n, "AppName=w3wp") ||
		    lg_find_ci(s, n, "MSExchangeECPAppPool") ||
		    (lg_prefix_ci(s, n, "AppPath=") && lg_find_ci(s, n, "w3wp.exe"))) {
			record(f, LG_R_ART_WER, sb, r.lineno, s, n);
			break;
		}
	}
	lg_reader_release(&r);
	return rc < 0 ? -1 : 0;
}

/* <virtualDirectory path="/x" physicalPath="C:\ProgramData\COM" /> */
static int check_apphost(int fd, const char *relpath, const struct stat *sb, struct lg_file *f,
                         struct exs_error *err)
{
	struct lg_reader r;
	const char *s;
	size_t n;
	int rc;

	if (lg_reader_init(&r, fd, relpath, err))
		return -1;
	while ((rc = lg_reader_next(&r, &s, &n, err)) == 1) {
		const char *vd = lg_find_ci(s, n, "<virtualDirectory"), *pp, *q;
		size_t rest;

		if (!vd)
			continue;
		rest = n - (size_t)(vd - s);
		pp = lg_find_ci(vd, rest, "physicalPath=");
		if (!pp)
			continue;
		pp += 13;
		rest = n - (size_t)(pp - s);
		if (rest < 2 || (*pp != '"' && *pp != '\''))
			continue;
		q = memchr(pp + 1, *pp, rest - 1);
		if (!q)
			continue;
		if (lg_find_ci(pp + 1, (size_t)(q - pp - 1), "ProgramData"))
			record(f, LG_R_ART_VDIR, sb, r.lineno, s, n);
	}
	lg_reader_release(&r);
	return rc < 0 ? -1 : 0;
}

int exs_logs_check_artifact(int fd, const char *relpath, enum exs_artifact_kind kind,
                            const struct stat *sb, struct exs_log_state *st, struct exs_error *err)
{
	struct lg_file f;
	int rc = 0;

	lg_file_init(&f, relpath);
	switch (kind) {
	case EXS_ARTIFACT_DUMP:
		rc = check_dump(fd, relpath, sb, &f, err);
		break;
	case EXS_ARTIFACT_ARCHIVE:
		record(&f, LG_R_ART_ARCHIVE, sb, 0, NULL, 0);
		break;
	case EXS_ARTIFACT_WER:
		rc = check_wer(fd, relpath, sb, &f, err);
		break;
	case EXS_ARTIFACT_APPHOST:
		rc = check_apphost(fd, relpath, sb, &f, err);
		break;
	default:
		rc = exs_error_set(err, "'%s' is not an artifact exscan checks", relpath);
		break;
	}
	lg_state_merge(st, &f);
	lg_file_release(&f);
	return rc;
}
