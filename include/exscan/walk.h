/* exscan walk: the file-system scan of an Exchange server's system drive (or
 * a mounted disk image, or any directory) for webshells and IOC files.
 *
 * Ownership: struct exs_walk_options is embedded in struct exs_config; its
 * strings are borrowed from argv.  An exs_walk_engine (compiled rules and IOC
 * hashes) is created once with exs_walk_engine_new() and freed with
 * exs_walk_engine_free(); it is shared read-only by all workers and roots.
 * struct exs_walk_host is embedded by the caller (exs_walk_host_init /
 * exs_walk_host_release) and owns every string and finding in it.
 * Nothing here prints: errors come back in findings of kind "error", in the
 * engine's problem list and in struct exs_error.
 */
#ifndef EXSCAN_WALK_H
#define EXSCAN_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"
#include "exscan/finding.h"

#define EXS_WALK_MAX_RULE_PATHS 32
#define EXS_WALK_MAX_IOC_PATHS 16
#define EXS_WALK_DEFAULT_MAX_SIZE (64u << 20)
#define EXS_WALK_DEFAULT_TIMEOUT 30

/* All zero is the default (0 for max_size and timeout: the defaults above). */
struct exs_walk_options {
	int jobs;                 /* -j N; 0: one per online CPU */
	uint64_t max_size;        /* bytes of one file given to YARA */
	int timeout;              /* seconds per file in YARA */
	bool all_files;           /* scan every regular file, not only the scan policy's */
	bool cross_fs;            /* descend into other file systems */
	bool no_logs;             /* do not hand log files to the log readers */
	bool no_builtin_rules;    /* only --rules (no built-in rules, no capability model) */
	const char *builtin_dir;  /* read webshells.yar/exchange.yar here (installed copies);
	                           * NULL or a missing file: the copies built into the binary */
	bool no_cache;            /* neither read nor write the compiled-rules cache */
	bool no_prefilter;        /* --whole-files: YARA reads every byte of large files */
	const char *exchange_dir; /* --exchange-dir, relative to the root or absolute */
	const char *host;         /* --host NAME */
	/* a disk image ROOT: the NTFS volume to walk (neither: the Windows one) */
	unsigned partition; /* --partition N (1-based); 0: not given */
	bool volume_given;  /* --volume OFFSET */
	uint64_t volume;
	const char *rule_paths[EXS_WALK_MAX_RULE_PATHS];
	size_t n_rule_paths;
	const char *ioc_paths[EXS_WALK_MAX_IOC_PATHS];
	size_t n_ioc_paths;
};

/* Why a file was not given to YARA. */
enum exs_walk_skip {
	EXS_SKIP_POLICY,   /* not a web type and not under a web directory (see --all-files) */
	EXS_SKIP_LOG,      /* a log file: read by the log readers, not YARA */
	EXS_SKIP_SPECIAL,  /* FIFO, socket, device */
	EXS_SKIP_SYMLINK,  /* symbolic links are never followed */
	EXS_SKIP_OTHER_FS, /* a mount point of another file system (see --cross-fs) */
	EXS_SKIP_VANISHED, /* removed between listing and opening */
	EXS_SKIP_EMPTY,    /* zero bytes */
	EXS_SKIP__N,
};
const char *exs_walk_skip_name(enum exs_walk_skip s);

struct exs_walk_stats {
	uint64_t files_seen;    /* directory entries that are not directories */
	uint64_t files_scanned; /* given to YARA */
	uint64_t dirs;
	uint64_t bytes_scanned;     /* bytes given to YARA */
	uint64_t bytes_hashed;      /* files with a finding, or all with an --ioc list */
	uint64_t bytes_prefiltered; /* of the files scanned, bytes YARA did not need to read
	                             * (no atom of the built-in rules within reach) */
	uint64_t skipped[EXS_SKIP__N];
	uint64_t errors;           /* could not be read or scanned: see the error findings */
	uint64_t truncated;        /* larger than max_size: only the first max_size bytes scanned */
	uint64_t pages_cut;        /* server pages larger than max_size: head and tail scanned,
	                            * not the middle (the host is incomplete) */
	uint64_t changed;          /* size or mtime changed while it was read */
	uint64_t timeouts;         /* YARA gave up (also counted in errors) */
	uint64_t symlinks_outside; /* links whose target leaves the root (also findings) */
	uint64_t logs;             /* files read by the log readers */
	uint64_t log_records_unreadable; /* event log records libevtx could not decode */
	uint64_t artifacts;              /* files given to the artifact checks (dumps, WER, ...) */
	uint64_t streams;                /* disk images: named $DATA streams visited */
	uint64_t deleted;                /* disk images: deleted files read (content still there) */
	bool atimes_changed; /* O_NOATIME was refused (not the owner nor root): reads set
	                      * access times */
	double seconds;
};

struct exs_iis_config;

struct exs_walk_layout {
	bool exchange;      /* an Exchange installation was found */
	char *version;      /* "V15", "V14" or NULL */
	char *exchange_dir; /* relative to the root, '/' separators; NULL if none */
	char *inetpub;
	char *temp_aspnet; /* Temporary ASP.NET Files of Framework64 v4 (or v2) */
	char *programdata;
	char *logging; /* <exchange>/Logging */
	/* the exact build from <exchange>/Bin/ExSetup.exe's version resource */
	char *build;       /* "15.1.2507.6", or NULL */
	char *build_file;  /* the file it was read from (or tried), relative to the root */
	char *build_error; /* why the file gave no build, or NULL */
	/* "exact" from ExSetup.exe; "cu" (major.minor.build) from the SOFTWARE
	 * hive's setup keys when ExSetup.exe is missing: they tell the CU only */
	const char *build_precision;
	/* Windows/System32/inetsrv/config/applicationHost.config */
	struct exs_iis_config *iis; /* parsed, or NULL */
	char *iis_file;             /* relative to the root, or NULL when absent */
	char *iis_error;            /* why it could not be read or parsed */
	/* a web.config that could not be read for URL Rewrite mitigations:
	 * its path and why, or NULL */
	char *web_config_file, *web_config_error;
	bool web_root;    /* no layout found: the whole root is treated as a web directory */
	bool single_file; /* ROOT was one file, scanned alone (no layout looked for) */
};

struct json_object;

struct exs_walk_host {
	char *host;
	char *root;
	struct exs_walk_layout layout;
	struct exs_findings findings; /* sorted by path, then rule */
	/* the log readers' attempts and successes per day and campaign
	 * (exs_log_timeline_to_json()), or NULL; owned (json_object_put) */
	struct json_object *log_days;
	struct exs_walk_stats stats;
};

struct exs_walk_engine;

/* Compiles (or loads from the cache) the built-in rules and every --rules
 * path, and loads the --ioc lists.  A rule file or IOC list that cannot be
 * used is left out and described in the problem list (see below); NULL with
 * err set when nothing usable is left or on a system error. */
struct exs_walk_engine *exs_walk_engine_new(const struct exs_walk_options *o,
                                            struct exs_error *err);
void exs_walk_engine_free(struct exs_walk_engine *e);
/* Problems met while building the engine (borrowed strings, one line each). */
size_t exs_walk_engine_problem_count(const struct exs_walk_engine *e);
const char *exs_walk_engine_problem(const struct exs_walk_engine *e, size_t i);
/* YARA's warnings about --rules files ("file:line: message (rule R)", e.g.
 * a string that may slow down scanning): shown, but nothing was left out. */
size_t exs_walk_engine_warning_count(const struct exs_walk_engine *e);
const char *exs_walk_engine_warning(const struct exs_walk_engine *e, size_t i);
/* Number of compiled rules; whether they came from the cache. */
size_t exs_walk_engine_rule_count(const struct exs_walk_engine *e);
bool exs_walk_engine_from_cache(const struct exs_walk_engine *e);

void exs_walk_host_init(struct exs_walk_host *h);
void exs_walk_host_release(struct exs_walk_host *h);

/* Walks one root.  Returns 0 (errors met inside the tree are findings of
 * kind "error" and counted in stats.errors), or -1 with err set when the
 * root itself cannot be scanned. */
int exs_walk_run(struct exs_walk_engine *e, const struct exs_walk_options *o, const char *root,
                 struct exs_walk_host *out, struct exs_error *err);

/* What one ROOT stands for.  A directory: *n = 0 (one exs_walk_run()).  A
 * disk image: the byte offsets of the NTFS volumes to walk, one host each
 * (malloc'd in *offsets; every NTFS volume, or the one --partition or
 * --volume picks), and its problems (volumes that are not walked: BitLocker,
 * damaged NTFS), one line each, in *problems (malloc'd array of malloc'd
 * strings, *n_problems).  -1 with err: no NTFS volume, or not readable. */
int exs_walk_image_plan(const struct exs_walk_options *o, const char *root, uint64_t **offsets,
                        size_t *n, char ***problems, size_t *n_problems, struct exs_error *err);

/* Locates the Exchange layout under an open root directory (case-insensitive).
 * exchange_dir: an override (relative to the root), or NULL. */
int exs_walk_layout_detect(int rootfd, const char *exchange_dir, struct exs_walk_layout *l,
                           struct exs_error *err);
void exs_walk_layout_release(struct exs_walk_layout *l);
/* Findings the layout itself gives (IIS modules and virtual directories
 * from applicationHost.config), appended to out.  Returns 0 or -1 (memory). */
int exs_walk_layout_findings(const struct exs_walk_layout *l, struct exs_findings *out);
struct exs_iis_vdir;
/* An Exchange virtual directory whose Extended Protection decides CVE-2024-21410. */
bool exs_walk_iis_ep_vdir(const struct exs_iis_vdir *v);

/* Scan policy, exposed for tests.  relpath uses '/' and is relative to the root. */
bool exs_walk_is_web_extension(const char *name);
/* Score of a location finding for a file at relpath (0: none); *why gets a
 * static description. */
int exs_walk_location_score(const struct exs_walk_layout *l, const char *relpath, const char **why);
/* Whether relpath is the DLL of an IIS module nobody ships (layout.iis): its
 * bytes go through the rules whatever the policy. */
bool exs_walk_layout_module_dll(const struct exs_walk_layout *l, const char *relpath);

#endif
