/* Disk images read directly: the container (raw, split raw, E01, VHD/VHDX,
 * VMDK, qcow2), its partition table (MBR, GPT) and the NTFS volumes in it,
 * read-only through The Sleuth Kit (and libqcow for qcow2), with no mount.
 *
 * Ownership: exs_image_open() returns a heap object freed by
 * exs_image_free(); every string and volume it returns is borrowed from it.
 * An exs_ntfs (one volume opened for walking) is freed by exs_ntfs_close()
 * before its image.  Strings returned by exs_ntfs_resolve_ci() and
 * buffers from exs_ntfs_read_small() are malloc'd and owned by the caller.
 * Entries given to an exs_ntfs_walk() callback are valid during the call.
 * None of these objects may be used by two threads at once.
 */
#ifndef EXSCAN_IMAGE_H
#define EXSCAN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"

enum exs_image_format {
	EXS_IMAGE_UNKNOWN, /* not a disk image container; read as raw */
	EXS_IMAGE_RAW,
	EXS_IMAGE_SPLIT_RAW,
	EXS_IMAGE_EWF,  /* E01 / Ex01 */
	EXS_IMAGE_VHD,  /* VHD (footer "conectix") */
	EXS_IMAGE_VHDX, /* "vhdxfile" */
	EXS_IMAGE_VMDK, /* sparse extent "KDMV" or a text descriptor */
	EXS_IMAGE_QCOW, /* "QFI\xfb" */
	EXS_IMAGE_NTFS, /* a raw NTFS volume (no partition table) */
	EXS_IMAGE_MBR,  /* a raw disk with a boot signature */
};

/* What the first bytes (head) and the last 512 bytes (tail, may be NULL)
 * of a file say it is: a pure function for tests and fuzzing.  size is the
 * file's size. */
enum exs_image_format exs_image_sniff(const unsigned char *head, size_t head_len,
                                      const unsigned char *tail, size_t tail_len, uint64_t size);
const char *exs_image_format_name(enum exs_image_format f);

/* What a volume's first sector says (pure, for fuzzing): "ntfs",
 * "bitlocker", "fat", "refs", "exfat" or NULL. */
const char *exs_image_volume_kind(const unsigned char *boot, size_t len);

/* Follows the section chain of an E01 segment file (pure: reads through
 * read(arg, offset, buf, n), 0 or -1).  Returns 0 when it ends in a "done"
 * or "next" section, -1 with a one-line reason in why (truncated, damaged). */
typedef int (*exs_image_read_fn)(void *arg, uint64_t off, void *buf, size_t n);
int exs_image_ewf_chain(exs_image_read_fn read, void *arg, uint64_t file_size, char *why,
                        size_t why_len);

/* Whether path is a regular file that is a disk image: a known container or
 * disk by its first and last bytes, or any file named like an image (.raw,
 * .img, .dd, .001, .E01, .vhd(x), .vmdk, .qcow2).  Any other file (a page, a
 * DLL) is not: the walk scans it alone. */
bool exs_image_is_file(const char *path);

struct exs_image_volume {
	unsigned partition; /* 1-based number in the partition table; 0: no table */
	uint64_t offset;    /* bytes from the start of the disk */
	uint64_t size;
	const char *kind; /* what its boot sector says, see exs_image_volume_kind() */
	bool ntfs;        /* The Sleuth Kit opened it as NTFS */
};

struct exs_image;

/* Opens path read-only.  NULL with err set when it cannot be read at all;
 * volumes that are not usable NTFS are listed with a problem line each. */
struct exs_image *exs_image_open(const char *path, struct exs_error *err);
void exs_image_free(struct exs_image *im);
const char *exs_image_container(const struct exs_image *im); /* "E01", "qcow2", ... */
const char *exs_image_table(const struct exs_image *im);     /* "gpt", "dos" or "none" */
uint64_t exs_image_size(const struct exs_image *im);
size_t exs_image_volume_count(const struct exs_image *im);
const struct exs_image_volume *exs_image_volume(const struct exs_image *im, size_t i);
/* One line each: a volume not walked and why (BitLocker, not NTFS, damaged). */
size_t exs_image_problem_count(const struct exs_image *im);
const char *exs_image_problem(const struct exs_image *im, size_t i);

/* ---- one NTFS volume ---- */

struct exs_ntfs;

struct exs_ntfs_times {
	int64_t si_created, si_modified, si_mft_changed, si_accessed; /* $STANDARD_INFORMATION */
	int64_t fn_created, fn_modified, fn_mft_changed, fn_accessed; /* $FILE_NAME */
	uint32_t si_created_ns, fn_created_ns;
	bool has_fn;
};

struct exs_ntfs_entry {
	const char *relpath; /* '/' separators, from the volume root; no stream suffix */
	const char *name;    /* the last component */
	const char *stream;  /* a named $DATA stream, or NULL for the file's content */
	bool dir;
	bool deleted;  /* the MFT entry is free (the file was deleted) */
	bool reused;   /* deleted, and some of its clusters now belong to another file */
	bool resident; /* the content lives in the MFT entry itself */
	uint64_t size; /* of this stream */
	uint64_t mft;  /* MFT entry number */
	struct exs_ntfs_times times;
	void *priv_;
};

/* Called once per directory, file and named stream.  Return 0 to go on,
 * -1 to stop the walk. */
typedef int (*exs_ntfs_visit_fn)(const struct exs_ntfs_entry *e, void *arg);

struct exs_ntfs *exs_ntfs_open(struct exs_image *im, size_t volume, struct exs_error *err);
void exs_ntfs_close(struct exs_ntfs *v);
/* Walks every directory (depth first).  with_deleted: also entries of
 * deleted files that are still named in their directory.  Returns 0, or -1
 * with err set when the root directory cannot be read; problems inside the
 * tree go to problem(). */
int exs_ntfs_walk(struct exs_ntfs *v, bool with_deleted, exs_ntfs_visit_fn fn, void *arg,
                  void (*problem)(const char *relpath, const char *msg, void *arg),
                  struct exs_error *err);
/* Reads from the entry being visited (only inside its callback).  Returns
 * the bytes read (short at its end) or -1. */
long exs_ntfs_read(const struct exs_ntfs_entry *e, uint64_t off, void *buf, size_t len);
/* The path as spelt on the volume for a '/'-path matched case-insensitively
 * component by component (directories only); "" for the root; NULL if none. */
char *exs_ntfs_resolve_ci(struct exs_ntfs *v, const char *path);
/* The content of file name (case-insensitive) in directory dir (already
 * resolved) when at most max bytes; NULL with *why set (or NULL: absent).
 * *relpath: the file's spelt path when found. */
unsigned char *exs_ntfs_read_small(struct exs_ntfs *v, const char *dir, const char *name,
                                   size_t max, size_t *len, char **relpath, const char **why);

#endif
