/* Walking an NTFS volume of a disk image: every file and named stream the
 * scan policy wants is copied into a sealed memfd and queued to the same
 * workers as files on disk, so rules, capability model, log readers and
 * findings are those of a directory walk.  Only this thread touches the
 * image (libtsk handles are not shared between threads). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exscan/image.h"
#include "walk_image.h"

#define COPY_CHUNK (1u << 20)

struct visit {
	struct exs_walk_feed *feed;
	unsigned char *chunk;
	char *display; /* relpath[:stream] */
	size_t display_cap;
};

/* Whether relpath is dir or below it (case-insensitive; dir "" is the root). */
static bool under(const char *relpath, const char *dir)
{
	size_t n;

	if (!dir)
		return false;
	n = strlen(dir);
	if (n == 0)
		return true;
	return strncasecmp(relpath, dir, n) == 0 && (relpath[n] == '/' || relpath[n] == '\0');
}

/* Deleted files are read only where attackers leave tools and pages. */
static bool deleted_in_scope(const struct exs_walk_feed *f, const char *relpath, bool web)
{
	const struct exs_walk_layout *l = f->layout;

	return web || under(relpath, l->exchange_dir) || under(relpath, l->programdata) ||
	       under(relpath, l->inetpub) || under(relpath, l->temp_aspnet) ||
	       under(relpath, "Windows/Temp");
}

static bool head_is_code(const unsigned char *b, size_t n)
{
	if (n >= 2 && b[0] == 'M' && b[1] == 'Z')
		return true;
	for (size_t i = 0; i + 1 < n; i++) {
		if (b[i] == '<' && b[i + 1] == '%')
			return true;
		if (i + 6 <= n && strncasecmp((const char *)b + i, "runat", 5) == 0)
			return true;
	}
	return false;
}

static void set_times(struct exs_finding *f, const struct exs_ntfs_entry *e)
{
	f->ntfs_times = true;
	f->deleted = e->deleted;
	f->si_created = e->times.si_created;
	f->si_modified = e->times.si_modified;
	f->fn_created = e->times.fn_created;
	f->fn_modified = e->times.fn_modified;
}

static void own_finding(struct visit *v, const struct exs_ntfs_entry *e, const char *rule,
                        int score, const char *desc)
{
	struct exs_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = EXS_FINDING_ARTIFACT;
	f.path = strdup(v->display);
	f.rule = strdup(rule);
	f.score = score;
	f.size = e->size;
	f.mtime = e->times.si_modified;
	f.ctime = e->times.si_mft_changed;
	f.btime = e->times.si_created;
	f.description = strdup(desc);
	set_times(&f, e);
	if (f.path && f.rule)
		v->feed->finding(v->feed->ctx, &f);
	else
		exs_finding_release(&f);
}

/* $STANDARD_INFORMATION can be set by any program (SetFileTime); $FILE_NAME
 * only by the kernel.  A creation time in $SI before the one in $FN is what
 * back-dating a file leaves. */
static void check_timestomp(struct visit *v, const struct exs_ntfs_entry *e)
{
	const struct exs_ntfs_times *t = &e->times;
	char desc[200];

	if (!t->has_fn || !t->si_created || !t->fn_created)
		return;
	if (t->si_created > t->fn_created ||
	    (t->si_created == t->fn_created && t->si_created_ns >= t->fn_created_ns))
		return;
	if (t->fn_created - t->si_created < 1 && t->fn_created == t->si_created)
		return; /* sub-second: rounding in some writers */
	snprintf(desc, sizeof(desc),
	         "NTFS $STANDARD_INFORMATION creation time is %lld s before the $FILE_NAME one: "
	         "the file's times were set back (time-stomping)%s",
	         (long long)(t->fn_created - t->si_created),
	         t->si_created_ns == 0 ? "; whole seconds, as timestomp tools write them" : "");
	own_finding(v, e, "ntfs-timestomp", t->si_created_ns == 0 ? 70 : 60, desc);
}

/* Copies the entry's content (at most EXS_WALK_IMG_FILE_MAX) into a sealed
 * memfd; -1 when it cannot be read.  *head gets its first bytes. */
static int copy_to_memfd(struct visit *v, const struct exs_ntfs_entry *e, uint64_t want,
                         size_t *head_len, uint64_t *copied)
{
	int fd = memfd_create("exscan-image-file", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint64_t off = 0;

	*head_len = 0;
	if (fd < 0)
		return -1;
	while (off < want) {
		size_t n = want - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(want - off);
		long got = exs_ntfs_read(e, off, v->chunk, n);
		size_t done = 0;

		if (got <= 0)
			break;
		if (off == 0)
			*head_len = (size_t)got;
		while (done < (size_t)got) {
			ssize_t w = write(fd, v->chunk + done, (size_t)got - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto fail;
			done += (size_t)w;
		}
		off += (uint64_t)got;
		if ((size_t)got < n)
			break;
	}
	*copied = off;
	if (off < want && off == 0 && want) {
		errno = EIO;
		goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int visit(const struct exs_ntfs_entry *e, void *arg)
{
	struct visit *v = arg;
	struct exs_walk_feed *f = v->feed;
	const struct exs_walk_options *o = f->opts;
	struct exs_walk_item it;
	size_t need, name_off, head_len = 0;
	uint64_t copied = 0;
	bool web, scan;
	uint64_t want;
	int fd;

	if (e->dir) {
		if (!e->deleted)
			f->stats->dirs++;
		return 0;
	}
	need = strlen(e->relpath) + (e->stream ? strlen(e->stream) + 1 : 0) + 1;
	if (need > v->display_cap) {
		char *p = realloc(v->display, need);

		if (!p) {
			f->error(f->ctx, e->relpath, "out of memory; not scanned");
			return 0;
		}
		v->display = p;
		v->display_cap = need;
	}
	snprintf(v->display, need, "%s%s%s", e->relpath, e->stream ? ":" : "",
	         e->stream ? e->stream : "");
	name_off = (size_t)(e->name - e->relpath);
	if (e->stream)
		f->stats->streams++;
	else if (!e->deleted)
		f->stats->files_seen++;
	web = f->in_web_dir(f->ctx, e->relpath);
	if (e->deleted && (!deleted_in_scope(f, e->relpath, web) || e->reused || !e->size))
		return 0;
	memset(&it, 0, sizeof(it));
	it.fd = -1;
	it.kind = EXS_ITEM_SCAN;
	if (!o->no_logs && !e->stream)
		exs_walk_item_classify(&it, v->display);
	scan = o->all_files || web || e->deleted || exs_walk_is_web_extension(e->name) ||
	       (e->stream && exs_walk_is_web_extension(e->stream)) ||
	       (!e->stream && exs_walk_layout_module_dll(f->layout, e->relpath));
	it.also_scan = it.kind == EXS_ITEM_ARTIFACT && scan;
	if (!e->stream && (scan || it.kind != EXS_ITEM_SCAN))
		check_timestomp(v, e);
	if (!scan && it.kind == EXS_ITEM_SCAN) {
		f->stats->skipped[EXS_SKIP_POLICY]++;
		return 0;
	}
	if (e->size == 0) {
		f->stats->skipped[EXS_SKIP_EMPTY]++;
		return 0;
	}
	want = e->size > EXS_WALK_IMG_FILE_MAX ? EXS_WALK_IMG_FILE_MAX : e->size;
	f->reserve(f->ctx, want);
	fd = copy_to_memfd(v, e, want, &head_len, &copied);
	if (fd < 0) {
		f->release(f->ctx, want);
		if (!e->deleted)
			f->error(f->ctx, v->display, "cannot be read from the image (damaged?)");
		return 0;
	}
	if (copied < want && !e->deleted)
		f->error(f->ctx, v->display,
		         "only %llu of its %llu bytes could be read from the image (truncated or "
		         "damaged?); those were scanned",
		         (unsigned long long)copied, (unsigned long long)e->size);
	if (e->stream && web && head_is_code(v->chunk, head_len))
		own_finding(v, e, "ntfs-stream-code", 80,
		            "server code or an executable hidden in an NTFS alternate data "
		            "stream under a web directory (invisible to dir and Explorer)");
	if (e->deleted)
		f->stats->deleted++;
	if (e->size > want)
		f->stats->truncated++;
	it.img = calloc(1, sizeof(*it.img));
	it.relpath = strdup(v->display);
	if (!it.img || !it.relpath) {
		free(it.img);
		free(it.relpath);
		close(fd);
		f->release(f->ctx, want);
		f->error(f->ctx, v->display, "out of memory; not scanned");
		return 0;
	}
	it.fd = fd;
	it.name_off = name_off;
	it.img->size = e->size;
	it.img->mtime = e->times.si_modified;
	it.img->ctime = e->times.si_mft_changed;
	it.img->deleted = e->deleted;
	it.img->si_created = e->times.si_created;
	it.img->si_modified = e->times.si_modified;
	it.img->fn_created = e->times.fn_created;
	it.img->fn_modified = e->times.fn_modified;
	it.img_bytes = want;
	if (fstat(fd, &it.st) != 0)
		memset(&it.st, 0, sizeof(it.st));
	it.st.st_mtime = (time_t)e->times.si_modified;
	f->push(f->ctx, &it);
	return 0;
}

static void problem(const char *relpath, const char *msg, void *arg)
{
	struct visit *v = arg;

	v->feed->error(v->feed->ctx, relpath, "%s", msg);
}

int exs_walk_image_tree(struct exs_walk_feed *feed, struct exs_ntfs *vol, struct exs_error *err)
{
	struct visit v = {.feed = feed};
	int rc;

	v.chunk = malloc(COPY_CHUNK);
	if (!v.chunk)
		return exs_error_set(err, "out of memory");
	rc = exs_ntfs_walk(vol, true, visit, &v, problem, err);
	free(v.chunk);
	free(v.display);
	return rc;
}

/* ---- which volumes ---- */

static bool picked(const struct exs_walk_options *o, const struct exs_image_volume *v)
{
	if (o->volume_given)
		return v->offset == o->volume;
	if (o->partition)
		return v->partition == o->partition;
	return true;
}

int exs_walk_image_plan(const struct exs_walk_options *o, const char *root, uint64_t **offsets,
                        size_t *n, char ***problems, size_t *n_problems, struct exs_error *err)
{
	struct exs_image *im;
	size_t nv, np;
	int rc = -1;

	*offsets = NULL;
	*n = 0;
	*problems = NULL;
	*n_problems = 0;
	if (!exs_image_is_file(root))
		return 0;
	im = exs_image_open(root, err);
	if (!im)
		return -1;
	nv = exs_image_volume_count(im);
	np = exs_image_problem_count(im);
	*offsets = calloc(nv ? nv : 1, sizeof(**offsets));
	*problems = calloc(np ? np : 1, sizeof(**problems));
	if (!*offsets || !*problems) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < np; i++)
		if (((*problems)[*n_problems] = strdup(exs_image_problem(im, i))))
			(*n_problems)++;
	for (size_t i = 0; i < nv; i++) {
		const struct exs_image_volume *v = exs_image_volume(im, i);

		if (v->ntfs && picked(o, v))
			(*offsets)[(*n)++] = v->offset;
	}
	if (*n == 0) {
		if (o->volume_given || o->partition)
			exs_error_set(err, "'%s': no NTFS volume at %s %llu", root,
			              o->volume_given ? "offset" : "partition",
			              o->volume_given ? (unsigned long long)o->volume
			                              : (unsigned long long)o->partition);
		else if (*n_problems)
			exs_error_set(err, "'%s': no NTFS volume to walk", root);
		else
			exs_error_set(err, "'%s': no NTFS volume found in the %s image", root,
			              exs_image_container(im));
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(*offsets);
		*offsets = NULL;
		*n = 0;
	}
	exs_image_free(im);
	return rc;
}

/* Opens the volume the options pick (the first NTFS one that holds Windows
 * or Exchange when none is picked) and names it in *root_out. */
struct exs_ntfs *exs_walk_image_open(const struct exs_walk_options *o, const char *root,
                                     struct exs_image **im_out, char **root_out, bool *several,
                                     struct exs_error *err)
{
	struct exs_image *im = exs_image_open(root, err);
	const struct exs_image_volume *chosen = NULL;
	struct exs_ntfs *vol = NULL;
	size_t idx = 0, n_ntfs = 0;

	*im_out = NULL;
	*root_out = NULL;
	*several = false;
	if (!im)
		return NULL;
	for (size_t i = 0; i < exs_image_volume_count(im); i++) {
		const struct exs_image_volume *v = exs_image_volume(im, i);

		if (!v->ntfs)
			continue;
		n_ntfs++;
		if (!picked(o, v) || (chosen && (o->volume_given || o->partition)))
			continue;
		if (!chosen) {
			chosen = v;
			idx = i;
			continue;
		}
		/* none picked: prefer the volume with Windows on it */
		{
			struct exs_error e2 = {{0}};
			struct exs_ntfs *t = exs_ntfs_open(im, i, &e2);
			char *w = t ? exs_ntfs_resolve_ci(t, "Windows") : NULL;
			struct exs_ntfs *c = exs_ntfs_open(im, idx, &e2);
			char *cw = c ? exs_ntfs_resolve_ci(c, "Windows") : NULL;

			if (w && !cw) {
				chosen = v;
				idx = i;
			}
			free(w);
			free(cw);
			exs_ntfs_close(t);
			exs_ntfs_close(c);
		}
	}
	*several = n_ntfs > 1;
	if (!chosen) {
		exs_error_set(err, "'%s': no NTFS volume %s in the %s image", root,
		              o->volume_given || o->partition ? "there" : "found",
		              exs_image_container(im));
		goto fail;
	}
	vol = exs_ntfs_open(im, idx, err);
	if (!vol)
		goto fail;
	if ((chosen->partition
	             ? asprintf(root_out, "%s (%s, %s partition %u at offset %llu, NTFS)", root,
	                        exs_image_container(im), exs_image_table(im), chosen->partition,
	                        (unsigned long long)chosen->offset)
	             : asprintf(root_out, "%s (%s, NTFS volume without a partition table)", root,
	                        exs_image_container(im))) < 0) {
		*root_out = NULL;
		exs_error_set(err, "out of memory");
		exs_ntfs_close(vol);
		goto fail;
	}
	*im_out = im;
	return vol;
fail:
	exs_image_free(im);
	return NULL;
}
