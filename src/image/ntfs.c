/* One NTFS volume of an image through The Sleuth Kit: a depth-first walk
 * that streams directory by directory (libtsk reads the MFT entries it is
 * asked for, not the whole MFT), named $DATA streams, deleted entries still
 * named in their directory, and $STANDARD_INFORMATION / $FILE_NAME times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exscan/buf.h"
#include "image_internal.h"

struct exs_ntfs {
	struct exs_image *im;
	TSK_FS_INFO *fs;
};

struct entry_priv {
	TSK_FS_FILE *file;
	const TSK_FS_ATTR *attr; /* the $DATA attribute being visited, or NULL */
};

struct walk_state {
	struct exs_ntfs *v;
	bool with_deleted;
	exs_ntfs_visit_fn fn;
	void (*problem)(const char *relpath, const char *msg, void *arg);
	void *arg;
	struct exs_buf path;
	bool stopped;
};

static void tsk_msg(char *out, size_t n)
{
	const char *m = tsk_error_get();

	snprintf(out, n, "%s", m && *m ? m : "unknown error");
	out[strcspn(out, "\n")] = '\0';
	tsk_error_reset();
}

struct exs_ntfs *exs_ntfs_open(struct exs_image *im, size_t volume, struct exs_error *err)
{
	const struct exs_image_volume *vol = exs_image_volume(im, volume);
	struct exs_ntfs *v;

	if (!vol || !vol->ntfs) {
		exs_error_set(err, "no NTFS volume %zu in the image", volume);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		exs_error_set(err, "out of memory");
		return NULL;
	}
	v->im = im;
	v->fs = tsk_fs_open_img(im->img, (TSK_OFF_T)vol->offset, TSK_FS_TYPE_NTFS);
	if (!v->fs) {
		char msg[200];

		tsk_msg(msg, sizeof(msg));
		exs_error_set(err, "NTFS at offset %llu cannot be opened: %s",
		              (unsigned long long)vol->offset, msg);
		free(v);
		return NULL;
	}
	return v;
}

void exs_ntfs_close(struct exs_ntfs *v)
{
	if (!v)
		return;
	if (v->fs)
		tsk_fs_close(v->fs);
	free(v);
}

static void fill_times(const TSK_FS_META *m, struct exs_ntfs_times *t)
{
	memset(t, 0, sizeof(*t));
	t->si_created = (int64_t)m->crtime;
	t->si_created_ns = (uint32_t)m->crtime_nano;
	t->si_modified = (int64_t)m->mtime;
	t->si_mft_changed = (int64_t)m->ctime;
	t->si_accessed = (int64_t)m->atime;
	t->fn_created = (int64_t)m->time2.ntfs.fn_crtime;
	t->fn_created_ns = (uint32_t)m->time2.ntfs.fn_crtime_nano;
	t->fn_modified = (int64_t)m->time2.ntfs.fn_mtime;
	t->fn_mft_changed = (int64_t)m->time2.ntfs.fn_ctime;
	t->fn_accessed = (int64_t)m->time2.ntfs.fn_atime;
	t->has_fn = m->time2.ntfs.fn_id != 0 || m->time2.ntfs.fn_crtime != 0;
}

static TSK_WALK_RET_ENUM block_cb(TSK_FS_FILE *f, TSK_OFF_T off, TSK_DADDR_T addr, char *buf,
                                  size_t len, TSK_FS_BLOCK_FLAG_ENUM flags, void *p)
{
	bool *reused = p;

	(void)f, (void)off, (void)addr, (void)buf, (void)len;
	if ((flags & TSK_FS_BLOCK_FLAG_ALLOC) && !(flags & TSK_FS_BLOCK_FLAG_SPARSE)) {
		*reused = true;
		return TSK_WALK_STOP;
	}
	return TSK_WALK_CONT;
}

/* Whether a deleted file's clusters now belong to another file. */
static bool clusters_reused(const TSK_FS_ATTR *a)
{
	bool reused = false;

	if (!(a->flags & TSK_FS_ATTR_NONRES))
		return false;
	if (tsk_fs_attr_walk(a, TSK_FS_FILE_WALK_FLAG_AONLY, block_cb, &reused)) {
		tsk_error_reset();
		return true; /* cannot tell: treat as not readable */
	}
	return reused;
}

static int visit_attr(struct walk_state *s, struct exs_ntfs_entry *e, struct entry_priv *p,
                      const TSK_FS_ATTR *a)
{
	p->attr = a;
	e->stream = a && a->name && a->name[0] ? a->name : NULL;
	e->size = a ? (uint64_t)a->size : 0;
	e->resident = a && (a->flags & TSK_FS_ATTR_RES);
	e->reused = e->deleted && a && clusters_reused(a);
	return s->fn(e, s->arg);
}

static bool skipped_path(const char *path, const char *name)
{
	/* the metadata files at the root, their $Extend directory and
	 * libtsk's virtual directory of orphans (their place is unknown) */
	if (*path == '\0')
		return name[0] == '$' &&
		       (strcmp(name, "$OrphanFiles") == 0 || strcmp(name, "$Extend") == 0 ||
		        strcmp(name, "$MFT") == 0 || strcmp(name, "$MFTMirr") == 0 ||
		        strcmp(name, "$LogFile") == 0 || strcmp(name, "$Volume") == 0 ||
		        strcmp(name, "$AttrDef") == 0 || strcmp(name, "$Bitmap") == 0 ||
		        strcmp(name, "$Boot") == 0 || strcmp(name, "$BadClus") == 0 ||
		        strcmp(name, "$Secure") == 0 || strcmp(name, "$UpCase") == 0);
	return strncmp(path, "$Extend/", 8) == 0 || strncmp(path, "$OrphanFiles/", 13) == 0;
}

static TSK_WALK_RET_ENUM dir_cb(TSK_FS_FILE *f, const char *path, void *arg)
{
	struct walk_state *s = arg;
	struct exs_ntfs_entry e;
	struct entry_priv p = {.file = f};
	const TSK_FS_NAME *n = f->name;
	int rc = 0;

	if (!n || !n->name || strcmp(n->name, ".") == 0 || strcmp(n->name, "..") == 0)
		return TSK_WALK_CONT;
	if (skipped_path(path, n->name))
		return TSK_WALK_CONT;
	memset(&e, 0, sizeof(e));
	e.deleted = (n->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0;
	if (e.deleted && !s->with_deleted)
		return TSK_WALK_CONT;
	s->path.len = 0;
	if (s->path.data)
		s->path.data[0] = '\0';
	if (exs_buf_puts(&s->path, path) || exs_buf_puts(&s->path, n->name)) {
		if (s->problem)
			s->problem(path, "path too long; not scanned", s->arg);
		return TSK_WALK_CONT;
	}
	e.relpath = exs_buf_cstr(&s->path);
	e.name = e.relpath + strlen(path);
	e.mft = (uint64_t)n->meta_addr;
	e.priv_ = &p;
	/* libtsk gives an empty record for one that fails its checks */
	if (!f->meta || f->meta->type == TSK_FS_META_TYPE_UNDEF ||
	    !(f->meta->flags & (TSK_FS_META_FLAG_ALLOC | TSK_FS_META_FLAG_UNALLOC))) {
		if (!e.deleted && s->problem) {
			char msg[120];

			snprintf(msg, sizeof(msg), "its MFT record %llu is damaged; not scanned",
			         (unsigned long long)e.mft);
			s->problem(e.relpath, msg, s->arg);
		}
		return TSK_WALK_CONT;
	}
	/* a name still in an index node whose MFT entry is free: deleted too */
	if (!e.deleted && (f->meta->flags & TSK_FS_META_FLAG_UNALLOC)) {
		if (!s->with_deleted)
			return TSK_WALK_CONT;
		e.deleted = true;
	}
	/* a deleted name whose MFT entry went to another file (deleting a
	 * file bumps its entry's sequence number once) */
	if (e.deleted &&
	    ((f->meta->flags & TSK_FS_META_FLAG_ALLOC) ||
	     (n->meta_seq != f->meta->seq && (uint16_t)(n->meta_seq + 1) != f->meta->seq)))
		return TSK_WALK_CONT;
	fill_times(f->meta, &e.times);
	if (f->meta->type == TSK_FS_META_TYPE_DIR || n->type == TSK_FS_NAME_TYPE_DIR) {
		int na = tsk_fs_file_attr_getsize(f);

		e.dir = true;
		rc = s->fn(&e, s->arg);
		/* a directory has no content, but may carry named streams */
		e.dir = false;
		for (int i = 0; rc == 0 && i < na; i++) {
			const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

			if (a && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name && a->name[0])
				rc = visit_attr(s, &e, &p, a);
		}
		tsk_error_reset();
	} else if (f->meta->type == TSK_FS_META_TYPE_REG) {
		int na = tsk_fs_file_attr_getsize(f);
		const TSK_FS_ATTR *unnamed = NULL;

		for (int i = 0; i < na; i++) {
			const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

			if (a && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA &&
			    (!a->name || !a->name[0])) {
				unnamed = a;
				break;
			}
		}
		tsk_error_reset();
		rc = visit_attr(s, &e, &p, unnamed);
		for (int i = 0; rc == 0 && i < na; i++) {
			const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

			if (a && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name && a->name[0])
				rc = visit_attr(s, &e, &p, a);
		}
		tsk_error_reset();
	}
	if (rc < 0) {
		s->stopped = true;
		return TSK_WALK_STOP;
	}
	return TSK_WALK_CONT;
}

int exs_ntfs_walk(struct exs_ntfs *v, bool with_deleted, exs_ntfs_visit_fn fn, void *arg,
                  void (*problem)(const char *relpath, const char *msg, void *arg),
                  struct exs_error *err)
{
	struct walk_state s = {
	        .v = v, .with_deleted = with_deleted, .fn = fn, .problem = problem, .arg = arg};
	int flags = TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_RECURSE |
	            (with_deleted ? TSK_FS_DIR_WALK_FLAG_UNALLOC : 0);
	int rc = 0;

	exs_buf_init(&s.path, 1u << 20);
	if (tsk_fs_dir_walk(v->fs, v->fs->root_inum, (TSK_FS_DIR_WALK_FLAG_ENUM)flags, dir_cb,
	                    &s)) {
		char msg[200];

		tsk_msg(msg, sizeof(msg));
		if (s.stopped)
			rc = 0;
		else if (s.path.len == 0)
			rc = exs_error_set(err, "the root directory cannot be read: %s", msg);
		else if (problem)
			problem(exs_buf_cstr(&s.path),
			        "the walk of the volume stopped after this entry (damaged "
			        "directory?); the rest was not scanned",
			        arg);
	}
	exs_buf_release(&s.path);
	return rc;
}

long exs_ntfs_read(const struct exs_ntfs_entry *e, uint64_t off, void *buf, size_t len)
{
	const struct entry_priv *p = e->priv_;
	ssize_t n;

	if (!p || !p->attr)
		return off >= e->size ? 0 : -1;
	if (off >= e->size)
		return 0;
	if (len > e->size - off)
		len = (size_t)(e->size - off);
	n = tsk_fs_attr_read(p->attr, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
	if (n < 0)
		tsk_error_reset();
	return (long)n;
}

/* The name in directory dirpath ("/..." form) that equals want
 * case-insensitively and is a directory (dir) or a file (!dir). */
static char *find_ci(struct exs_ntfs *v, const char *dirpath, const char *want, bool dir)
{
	TSK_FS_DIR *d = tsk_fs_dir_open(v->fs, dirpath);
	char *found = NULL;

	if (!d) {
		tsk_error_reset();
		return NULL;
	}
	for (size_t i = 0; i < tsk_fs_dir_getsize(d); i++) {
		const TSK_FS_NAME *n = tsk_fs_dir_get_name(d, i);

		if (!n || !n->name || !(n->flags & TSK_FS_NAME_FLAG_ALLOC) ||
		    strcasecmp(n->name, want) != 0)
			continue;
		if (dir ? n->type != TSK_FS_NAME_TYPE_DIR : n->type != TSK_FS_NAME_TYPE_REG)
			continue;
		found = strdup(n->name);
		break;
	}
	tsk_fs_dir_close(d);
	return found;
}

char *exs_ntfs_resolve_ci(struct exs_ntfs *v, const char *path)
{
	struct exs_buf out;
	char *copy = strdup(path), *save = NULL, *res = NULL;

	exs_buf_init(&out, 1 << 16);
	if (!copy || exs_buf_putc(&out, '/'))
		goto out;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *name = find_ci(v, exs_buf_cstr(&out), c, true);

		if (!name || (out.len > 1 && exs_buf_putc(&out, '/')) || exs_buf_puts(&out, name)) {
			free(name);
			goto out;
		}
		free(name);
	}
	res = strdup(exs_buf_cstr(&out) + 1);
out:
	free(copy);
	exs_buf_release(&out);
	return res;
}

unsigned char *exs_ntfs_read_small(struct exs_ntfs *v, const char *dir, const char *name,
                                   size_t max, size_t *len, char **relpath, const char **why)
{
	char *dpath = NULL, *fname = NULL, *full = NULL;
	TSK_FS_FILE *f = NULL;
	unsigned char *buf = NULL;
	ssize_t n;

	*why = NULL;
	*relpath = NULL;
	if (asprintf(&dpath, "/%s", dir) < 0) {
		dpath = NULL;
		goto out;
	}
	fname = find_ci(v, dpath, name, false);
	if (!fname)
		goto out;
	if (asprintf(&full, "%s%s%s", dpath, dpath[1] ? "/" : "", fname) < 0) {
		full = NULL;
		goto out;
	}
	*relpath = strdup(full + 1);
	f = tsk_fs_file_open(v->fs, NULL, full);
	if (!f || !f->meta) {
		tsk_error_reset();
		*why = "cannot be read";
		goto out;
	}
	if (f->meta->size <= 0 || (uint64_t)f->meta->size > max) {
		*why = "is empty or too large";
		goto out;
	}
	buf = malloc((size_t)f->meta->size);
	if (!buf) {
		*why = "out of memory";
		goto out;
	}
	n = tsk_fs_file_read(f, 0, (char *)buf, (size_t)f->meta->size, TSK_FS_FILE_READ_FLAG_NONE);
	if (n < 0) {
		tsk_error_reset();
		free(buf);
		buf = NULL;
		*why = "cannot be read";
		goto out;
	}
	*len = (size_t)n;
out:
	if (f)
		tsk_fs_file_close(f);
	free(full);
	free(fname);
	free(dpath);
	return buf;
}
