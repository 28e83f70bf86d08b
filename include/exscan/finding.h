/* Findings: what the walker (files) and the log readers produce, and what
 * the reporter judges.  JSON field names match the struct members.
 *
 * Ownership: a struct exs_finding owns every string and array in it (all
 * heap-allocated, freed by exs_finding_release()).  A struct exs_findings
 * list owns its findings.  Strings hold raw bytes from the scanned system
 * (paths, excerpts): they are escaped only when written out.
 */
#ifndef EXSCAN_FINDING_H
#define EXSCAN_FINDING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum exs_finding_kind {
	EXS_FINDING_WEBSHELL, /* a YARA rule for a webshell family matched */
	EXS_FINDING_LOCATION, /* a page where none should be (aspnet_client, owa/auth) */
	EXS_FINDING_ARTIFACT, /* dumps, archives, WER reports, rogue virtual directories */
	EXS_FINDING_IOC,      /* hash in an --ioc list */
	EXS_FINDING_LOG,      /* exploitation trace in a log */
	EXS_FINDING_ERROR,    /* something that could not be scanned */
};

/* Loki/THOR levels: notice >= 40, warning >= 60, alert >= 80. */
enum exs_severity {
	EXS_SEVERITY_INFO,
	EXS_SEVERITY_NOTICE,
	EXS_SEVERITY_WARNING,
	EXS_SEVERITY_ALERT,
};

struct exs_match {
	uint64_t offset;
	char *identifier; /* YARA string identifier ($a) */
	char *data;       /* matched bytes, capped (raw; escape on output) */
	size_t data_len;
};

struct exs_finding {
	enum exs_finding_kind kind;
	char *path; /* relative to the scanned root; log findings: the log file */
	char *rule;
	char *family;
	char *description;
	char *reference;
	int score; /* 0-100 */
	char sha256[65];
	uint64_t size;
	int64_t mtime;  /* seconds since the epoch */
	int64_t ctime;  /* inode change time (POSIX walks); 0 if unknown */
	int64_t btime;  /* creation time (an image walker's NTFS $STANDARD_INFORMATION
	                 * birth time, or statx's); 0 if unknown */
	char *filetype; /* libmagic's description */
	/* files read from a disk image's NTFS */
	bool deleted;                    /* a deleted file whose content was still readable */
	bool ntfs_times;                 /* the four times below are set */
	int64_t si_created, si_modified; /* $STANDARD_INFORMATION (what Windows shows) */
	int64_t fn_created, fn_modified; /* $FILE_NAME (set by the kernel only) */
	struct exs_match *matches;
	size_t n_matches;
	/* log findings */
	char *cve;                     /* CVE-2021-26855, or NULL */
	char *campaign;                /* ProxyLogon, ProxyShell, ... */
	bool success;                  /* true: the exploitation worked; false: an attempt */
	int64_t first_seen, last_seen; /* epoch seconds, 0 if unknown */
	uint64_t count;
	char **clients; /* client addresses, capped */
	size_t n_clients;
	uint64_t line; /* first line number in the log */
	char *excerpt; /* raw, capped */
	size_t excerpt_len;
};

struct exs_findings {
	struct exs_finding *items;
	size_t n, cap;
};

enum exs_severity exs_severity_of(int score);
const char *exs_severity_name(enum exs_severity s);
const char *exs_finding_kind_name(enum exs_finding_kind k);

void exs_finding_release(struct exs_finding *f);
void exs_findings_init(struct exs_findings *l);
void exs_findings_release(struct exs_findings *l);
/* Adds a finding of kind "error" for `path` with a formatted description.
 * Returns 0, or -1 when out of memory (nothing added). */
int exs_findings_push_errorv(struct exs_findings *l, const char *path, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Moves *f into the list (f is zeroed). Returns 0 or -1 (out of memory; f released). */
int exs_findings_push(struct exs_findings *l, struct exs_finding *f);

#endif
