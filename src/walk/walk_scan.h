/* Scan workers of src/walk (internal).
 *
 * Ownership: a worker owns its scanner, libmagic handle, buffers and the
 * findings it produced until the walk merges them.  An item owns its fd
 * and relpath until exs_walk_item_release().
 */
#ifndef EXSCAN_WALK_SCAN_H
#define EXSCAN_WALK_SCAN_H

#include <magic.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "exscan/detect.h"
#include "prefilter.h"
#include "walk_internal.h"

enum exs_walk_item_kind {
	EXS_ITEM_SCAN,
	EXS_ITEM_LOG,      /* to the log readers only */
	EXS_ITEM_ARTIFACT, /* to the artifact checks, then YARA if also_scan */
};

/* What a file read from a disk image carries besides its content (a memfd). */
struct exs_walk_img_meta {
	uint64_t size; /* in the image (the memfd holds at most EXS_WALK_IMG_FILE_MAX) */
	int64_t mtime; /* $STANDARD_INFORMATION modified */
	int64_t ctime; /* $STANDARD_INFORMATION MFT entry changed */
	bool deleted;
	int64_t si_created, si_modified, fn_created, fn_modified;
};

struct exs_walk_item {
	enum exs_walk_item_kind kind;
	int fd;
	int log_kind;
	int artifact;
	bool also_scan;
	char *relpath;                 /* raw bytes, '/' separators */
	size_t name_off;               /* the file name starts at relpath + name_off */
	struct stat st;                /* as listed (fstatat) */
	struct exs_walk_img_meta *img; /* owned; NULL for files on disk */
	uint64_t img_bytes;            /* copied from the image (the walk's budget) */
};

/* Sets it->kind (and log_kind or artifact) from what the log readers make of
 * relpath: a log they read, an artifact they check, or a file to scan. */
void exs_walk_item_classify(struct exs_walk_item *it, const char *relpath);

struct exs_worker_file {
	const char *relpath;
	uint64_t size;
	int64_t mtime;
	int64_t ctime;
	size_t scan_len; /* bytes in buf: head_len + tail_len */
	size_t head_len; /* from offset 0 */
	size_t tail_len; /* a server page over max_size: its last bytes, from tail_base */
	uint64_t tail_base;
	bool changed;
	bool hashed;     /* false for files over 1 GiB and over max_size */
	bool hash_later; /* read whole, not hashed yet: on its first finding */
	const struct exs_walk_img_meta *img;
	char *filetype;
	char sha256[65];
	unsigned char sha256_raw[32], sha1_raw[20], md5_raw[16];
};

/* Findings of one rule in one folder beyond EXS_WALK_SAME_RULE_LIMIT are not
 * kept one by one (200,000 decoy pages would take half a GB): they are
 * counted here and reported as one finding per folder and rule. */
#define EXS_WALK_SAME_RULE_LIMIT 1000

struct exs_fold {
	char *dir;  /* NULL: an empty slot */
	char *rule; /* owned */
	enum exs_finding_kind kind;
	char *family;   /* of the first finding folded, owned */
	uint64_t kept;  /* listed one by one */
	uint64_t more;  /* folded into the count */
	int best;       /* best score folded */
	uint64_t bytes; /* of the files folded */
};

struct exs_folds {
	struct exs_fold *slots;
	size_t n, cap; /* cap: a power of two */
};

/* Counts finding f under its folder and rule; true when it is beyond the
 * limit (then it is counted, and the caller drops it). */
bool exs_folds_note(struct exs_folds *t, const struct exs_finding *f);
/* Adds b's counts into a (b is emptied). */
int exs_folds_merge(struct exs_folds *a, struct exs_folds *b);
/* Appends one finding per folder and rule with folded findings. */
void exs_folds_emit(const struct exs_folds *t, struct exs_findings *out);
void exs_folds_release(struct exs_folds *t);

/* A run of bytes YARA reads, and where it sits in the file. */
struct exs_scan_segment {
	const uint8_t *data;
	size_t len;
	uint64_t base; /* offset of data[0] in the file */
};

struct exs_worker {
	const struct exs_walk_engine *engine;
	const struct exs_walk_options *opts;
	uint64_t max_size;
	YR_SCANNER *scanner;
	YR_SCANNER *builtin_scanner; /* the built-in rules alone, only with --rules */
	magic_t magic;
	EVP_MD_CTX *sha256, *sha1, *md5;
	unsigned char *buf; /* up to max_size + 1 bytes */
	size_t buf_cap;
	unsigned char *chunk; /* bytes past max_size go through here to the hashes */
	struct exs_worker_file cur;
	uid_t owner_uid;
	bool owner_known;
	char owner[64];
	struct exs_findings findings;
	struct exs_folds folds;        /* findings beyond the per-folder limit, counted */
	const struct exs_view *view;   /* set while YARA scans the normalised view */
	uint64_t view_base;            /* file offset of the bytes the view was made of */
	size_t view_first;             /* the file's first finding (view matches dedupe) */
	bool view_cut;                 /* the view's scan ended at the deadline */
	struct exs_ranges windows;     /* the prefilter's windows of the file */
	struct exs_scan_segment *segs; /* what YARA reads of the file */
	size_t n_segs, cap_segs;
	struct exs_walk_stats stats;
	bool ok; /* init succeeded */
	struct exs_error init_err;
};

int exs_worker_init(struct exs_worker *w, const struct exs_walk_engine *e,
                    const struct exs_walk_options *o, struct exs_error *err);
void exs_worker_release(struct exs_worker *w);
void exs_worker_scan(struct exs_worker *w, struct exs_walk_item *it,
                     const struct exs_walk_layout *l);
/* Records an error finding for relpath (counted in stats.errors). */
void exs_worker_error(struct exs_worker *w, const char *relpath, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
