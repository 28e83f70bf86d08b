/* Opening a disk image: the container by content, the partition table and
 * the NTFS volumes, through The Sleuth Kit (raw, split raw, E01, VHD/VHDX
 * and VMDK through the libyal libraries Debian's libtsk is built with) and
 * libqcow for qcow2, which libtsk does not read. */
#include <errno.h>
#include <fcntl.h>
#include <libqcow.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <tsk/libtsk.h>
#include <unistd.h>

#include "image_internal.h"

#define MAX_PROBLEMS 64

/* ---- qcow2 through libqcow, handed to libtsk as an external image ---- */

struct qcow_img {
	TSK_IMG_INFO img; /* first: libtsk sees only this */
	libqcow_file_t *file;
};

static ssize_t qcow_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct qcow_img *q = (struct qcow_img *)img;

	return libqcow_file_read_buffer_at_offset(q->file, buf, len, off, NULL);
}

static void qcow_close(TSK_IMG_INFO *img)
{
	struct qcow_img *q = (struct qcow_img *)img;

	libqcow_file_close(q->file, NULL);
	libqcow_file_free(&q->file, NULL);
	free(q);
}

static void qcow_stat(TSK_IMG_INFO *img, FILE *f)
{
	(void)img;
	fputs("qcow2 (libqcow)\n", f);
}

static TSK_IMG_INFO *qcow_open(const char *path, struct exs_error *err)
{
	struct qcow_img *q = calloc(1, sizeof(*q));
	libqcow_error_t *le = NULL;
	size64_t size = 0;
	char msg[256] = "";

	if (!q) {
		exs_error_set(err, "out of memory");
		return NULL;
	}
	if (libqcow_file_initialize(&q->file, &le) != 1 ||
	    libqcow_file_open(q->file, path, LIBQCOW_OPEN_READ, &le) != 1 ||
	    libqcow_file_get_media_size(q->file, &size, &le) != 1) {
		if (le) {
			libqcow_error_sprint(le, msg, sizeof(msg));
			libqcow_error_free(&le);
		}
		/* libyal messages end in a newline and name the function */
		msg[strcspn(msg, "\n")] = '\0';
		exs_error_set(err, "'%s': not a readable qcow2 image (%s)", path, msg);
		if (q->file)
			libqcow_file_free(&q->file, NULL);
		free(q);
		return NULL;
	}
	return tsk_img_open_external(q, (TSK_OFF_T)size, 512, qcow_read, qcow_close, qcow_stat);
}

/* ---- the image ---- */

static void problem(struct exs_image *im, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void problem(struct exs_image *im, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (im->n_problems == MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		im->problems[im->n_problems++] = s;
}

static int pread_all(void *arg, uint64_t off, void *buf, size_t n)
{
	return pread(*(int *)arg, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* A file's first 4 KiB and last 512 bytes: what says which container it is. */
struct file_ends {
	unsigned char head[4096], tail[512];
	ssize_t nh, nt;
	struct stat st;
};

/* Opens path (without touching its access time when allowed) and reads its
 * ends.  Returns the fd, which the caller closes, or -1 with errno set and
 * *what saying which step failed. */
static int read_ends(const char *path, struct file_ends *e, const char **what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME), saved;

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	*what = "open";
	if (fd < 0 || fstat(fd, &e->st) != 0)
		goto fail;
	*what = "read";
	e->nt = 0;
	e->nh = pread(fd, e->head, sizeof(e->head), 0);
	if (e->st.st_size >= (off_t)sizeof(e->tail))
		e->nt = pread(fd, e->tail, sizeof(e->tail), e->st.st_size - (off_t)sizeof(e->tail));
	if (e->nh >= 0 && e->nt >= 0)
		return fd;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

static enum exs_image_format sniff_ends(const struct file_ends *e)
{
	return exs_image_sniff(e->head, (size_t)e->nh, e->tail, (size_t)e->nt,
	                       (uint64_t)e->st.st_size);
}

static int sniff_file(struct exs_image *im, const char *path, enum exs_image_format *fmt,
                      struct exs_error *err)
{
	struct file_ends e;
	const char *what;
	int fd = read_ends(path, &e, &what);

	if (fd < 0)
		return exs_error_set(err, "cannot %s image '%s': %s", what, path, strerror(errno));
	*fmt = sniff_ends(&e);
	if (*fmt == EXS_IMAGE_EWF) {
		char why[160];

		if (exs_image_ewf_chain(pread_all, &fd, (uint64_t)e.st.st_size, why, sizeof(why)))
			problem(im, "%s", why);
	}
	close(fd);
	return 0;
}

/* Names of disk images: a file so named is read as one even when its first
 * bytes say nothing (a blank or damaged disk gets the image's errors). */
static bool image_name(const char *path)
{
	static const char *const exts[] = {"raw", "img",  "dd",    "dsk",  "001",  "e01",  "ex01",
	                                   "vhd", "vhdx", "avhdx", "vmdk", "qcow", "qcow2"};
	const char *slash = strrchr(path, '/'), *dot = strrchr(slash ? slash : path, '.');

	for (size_t i = 0; dot && i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return true;
	return false;
}

bool exs_image_is_file(const char *path)
{
	struct file_ends e;
	struct stat st;
	const char *what;
	int fd;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (image_name(path))
		return true;
	fd = read_ends(path, &e, &what);
	if (fd < 0)
		return true; /* unreadable: the image reader says why */
	close(fd);
	return sniff_ends(&e) != EXS_IMAGE_UNKNOWN;
}

static void tsk_message(char *out, size_t n)
{
	const char *m = tsk_error_get();

	snprintf(out, n, "%s", m && *m ? m : "unknown error");
	out[strcspn(out, "\n")] = '\0';
	tsk_error_reset();
}

static int add_volume(struct exs_image *im, unsigned partition, uint64_t off, uint64_t size)
{
	struct exs_image_volume *v;
	unsigned char boot[512];
	ssize_t n;

	if (im->n_volumes == im->cap_volumes) {
		size_t cap = im->cap_volumes ? im->cap_volumes * 2 : 8;
		struct exs_image_volume *p = realloc(im->volumes, cap * sizeof(*p));

		if (!p)
			return -1;
		im->volumes = p;
		im->cap_volumes = cap;
	}
	v = &im->volumes[im->n_volumes];
	memset(v, 0, sizeof(*v));
	v->partition = partition;
	v->offset = off;
	v->size = size;
	n = tsk_img_read(im->img, (TSK_OFF_T)off, (char *)boot, sizeof(boot));
	if (n != (ssize_t)sizeof(boot)) {
		tsk_error_reset();
		problem(im, "partition %u at offset %llu: cannot be read (truncated image?)",
		        partition, (unsigned long long)off);
		return 0;
	}
	v->kind = exs_image_volume_kind(boot, sizeof(boot));
	if (v->kind && strcmp(v->kind, "ntfs") == 0) {
		/* the volume's own size (total sectors + its backup boot sector) */
		uint64_t bps = (uint64_t)boot[11] | (uint64_t)boot[12] << 8, total = 0;

		for (int i = 7; i >= 0; i--)
			total = total << 8 | boot[0x28 + i];
		if (bps && total < (UINT64_MAX / bps) - 1 &&
		    off + (total + 1) * bps > (uint64_t)im->img->size)
			problem(im,
			        "partition %u at offset %llu: the image ends %llu bytes into this "
			        "%llu-byte NTFS volume (truncated image?); what lies beyond is "
			        "not scanned",
			        partition, (unsigned long long)off,
			        (unsigned long long)((uint64_t)im->img->size - off),
			        (unsigned long long)((total + 1) * bps));
	}
	if (v->kind && strcmp(v->kind, "ntfs") == 0) {
		TSK_FS_INFO *fs = tsk_fs_open_img(im->img, (TSK_OFF_T)off, TSK_FS_TYPE_NTFS);

		if (fs) {
			v->ntfs = true;
			tsk_fs_close(fs);
		} else {
			char msg[200];

			tsk_message(msg, sizeof(msg));
			problem(im, "partition %u at offset %llu: damaged NTFS, not walked (%s)",
			        partition, (unsigned long long)off, msg);
		}
	} else if (v->kind && strcmp(v->kind, "bitlocker") == 0) {
		problem(im,
		        "partition %u at offset %llu: BitLocker-encrypted volume, not walked "
		        "(decrypt it first, e.g. with dislocker, and walk the result)",
		        partition, (unsigned long long)off);
	}
	im->n_volumes++;
	return 0;
}

static int find_volumes(struct exs_image *im)
{
	/* GPT first, then MBR: libtsk's own detection opens both on a GPT disk
	 * (its protective MBR) and leaks the MBR's partition list */
	TSK_VS_INFO *vs = tsk_vs_open(im->img, 0, TSK_VS_TYPE_GPT);
	unsigned number = 0;

	if (!vs) {
		tsk_error_reset();
		vs = tsk_vs_open(im->img, 0, TSK_VS_TYPE_DOS);
	}
	if (!vs) {
		tsk_error_reset();
		im->table = "none";
		return add_volume(im, 0, 0, (uint64_t)im->img->size);
	}
	im->table = tsk_vs_type_toname(vs->vstype);
	for (TSK_PNUM_T i = 0; i < vs->part_count; i++) {
		const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);

		if (!p || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
			continue;
		number++;
		if (add_volume(im, number, (uint64_t)p->start * vs->block_size,
		               (uint64_t)p->len * vs->block_size)) {
			tsk_vs_close(vs);
			return -1;
		}
	}
	tsk_vs_close(vs);
	return 0;
}

struct exs_image *exs_image_open(const char *path, struct exs_error *err)
{
	struct exs_image *im = calloc(1, sizeof(*im));
	enum exs_image_format fmt = EXS_IMAGE_UNKNOWN;
	bool any = false;

	if (!im) {
		exs_error_set(err, "out of memory");
		return NULL;
	}
	im->problems = calloc(MAX_PROBLEMS, sizeof(*im->problems));
	if (!im->problems) {
		exs_error_set(err, "out of memory");
		goto fail;
	}
	if (sniff_file(im, path, &fmt, err))
		goto fail;
	if (fmt == EXS_IMAGE_QCOW) {
		im->img = qcow_open(path, err);
		if (!im->img)
			goto fail;
	} else {
		TSK_IMG_TYPE_ENUM t = fmt == EXS_IMAGE_EWF    ? TSK_IMG_TYPE_EWF_EWF
		                      : fmt == EXS_IMAGE_VMDK ? TSK_IMG_TYPE_VMDK_VMDK
		                      : fmt == EXS_IMAGE_VHD || fmt == EXS_IMAGE_VHDX
		                              ? TSK_IMG_TYPE_VHD_VHD
		                              : TSK_IMG_TYPE_RAW;

		im->img = tsk_img_open_utf8_sing(path, t, 0);
		if (!im->img) {
			char msg[200];

			tsk_message(msg, sizeof(msg));
			/* exscan's own reading of an E01's sections says what is wrong
			 * in words; libewf's chain of function names does not */
			exs_error_set(err, "'%s': cannot open as %s image: %s", path,
			              exs_image_format_name(fmt),
			              im->n_problems ? im->problems[0] : msg);
			goto fail;
		}
		if (t == TSK_IMG_TYPE_RAW)
			fmt = im->img->num_img > 1 ? EXS_IMAGE_SPLIT_RAW : EXS_IMAGE_RAW;
	}
	im->format = fmt;
	if (find_volumes(im)) {
		exs_error_set(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < im->n_volumes; i++)
		any = any || im->volumes[i].ntfs;
	if (!any && im->n_problems == 0)
		problem(im, "no NTFS volume found in the %s image (partition table: %s)",
		        exs_image_format_name(fmt), im->table);
	return im;
fail:
	exs_image_free(im);
	return NULL;
}

void exs_image_free(struct exs_image *im)
{
	if (!im)
		return;
	if (im->img)
		tsk_img_close(im->img);
	for (size_t i = 0; i < im->n_problems; i++)
		free(im->problems[i]);
	free(im->problems);
	free(im->volumes);
	free(im);
}

const char *exs_image_container(const struct exs_image *im)
{
	return exs_image_format_name(im->format);
}

const char *exs_image_table(const struct exs_image *im)
{
	return im->table ? im->table : "none";
}

uint64_t exs_image_size(const struct exs_image *im)
{
	return (uint64_t)im->img->size;
}

size_t exs_image_volume_count(const struct exs_image *im)
{
	return im->n_volumes;
}

const struct exs_image_volume *exs_image_volume(const struct exs_image *im, size_t i)
{
	return i < im->n_volumes ? &im->volumes[i] : NULL;
}

size_t exs_image_problem_count(const struct exs_image *im)
{
	return im->n_problems;
}

const char *exs_image_problem(const struct exs_image *im, size_t i)
{
	return i < im->n_problems ? im->problems[i] : NULL;
}
