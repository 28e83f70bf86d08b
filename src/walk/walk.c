/* The walker: an iterative, read-only, no-follow traversal of one root that
 * feeds a bounded queue drained by a pool of scan workers. */
#include <dirent.h>
#include <json-c/json.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exscan/buf.h"
#include "exscan/image.h"
#include "walk_image.h"
#include "walk_scan.h"

#define MAX_WORKERS 256
#define MAX_PATH_BYTES (1u << 20)

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct exs_walk_item *items;
	size_t cap, head, n;
	bool closed;
};

/* One directory being listed.  Only the deepest few keep their listing open
 * (a tree deeper than the open-file limit is walked all the same): an
 * ancestor further up is closed after its remaining entries are saved, and
 * reopened through ".." of its child when the walk comes back to it, checked
 * by device and inode. */
struct frame {
	DIR *dir;    /* the listing, or NULL once its entries are saved */
	int fd;      /* the directory (dirfd(dir)), -1 while closed */
	char **rest; /* entries still to walk once saved */
	size_t n_rest, i_rest;
	size_t path_len; /* length of this directory's relpath in the path buffer */
	bool web;
	dev_t dev;
	ino_t ino;
};

struct walk_ctx {
	const struct exs_walk_engine *engine;
	const struct exs_walk_options *opts;
	struct exs_walk_host *host;
	struct queue q;
	struct exs_worker *workers;
	size_t n_workers;
	void *log_state;
	/* walker-side results */
	struct exs_findings findings;
	struct exs_walk_stats stats;
	char **web_dirs; /* relpaths below which every file is scanned */
	size_t n_web_dirs;
	bool noatime;       /* O_NOATIME still permitted */
	const char *single; /* ROOT is this one file (in the folder rootfd): scan it alone */
	dev_t root_dev;
	size_t keep_open; /* directories kept open at once (from the open-file limit) */
	/* disk images: bytes copied into memfds and not yet scanned (q.mu) */
	uint64_t inflight;
	pthread_cond_t drained;
};

const char *exs_walk_skip_name(enum exs_walk_skip s)
{
	static const char *const names[] = {
	        [EXS_SKIP_POLICY] = "policy",     [EXS_SKIP_LOG] = "log",
	        [EXS_SKIP_SPECIAL] = "special",   [EXS_SKIP_SYMLINK] = "symlink",
	        [EXS_SKIP_OTHER_FS] = "other_fs", [EXS_SKIP_VANISHED] = "vanished",
	        [EXS_SKIP_EMPTY] = "empty",
	};

	return (unsigned)s < EXS_SKIP__N ? names[s] : "?";
}

static void item_release(struct exs_walk_item *it)
{
	if (it->fd >= 0)
		close(it->fd);
	free(it->relpath);
	free(it->img);
	it->fd = -1;
	it->relpath = NULL;
	it->img = NULL;
}

/* ---- bounded queue ---- */

static int queue_init(struct queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->items = calloc(cap, sizeof(*q->items));
	if (!q->items)
		return -1;
	q->cap = cap;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return 0;
}

static void queue_release(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
}

static void queue_push(struct queue *q, struct exs_walk_item *it)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == q->cap)
		pthread_cond_wait(&q->not_full, &q->mu);
	q->items[(q->head + q->n) % q->cap] = *it;
	q->n++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

/* Returns false when the queue is closed and empty. */
static bool queue_pop(struct queue *q, struct exs_walk_item *it)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->n == 0) {
		pthread_mutex_unlock(&q->mu);
		return false;
	}
	*it = q->items[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	/* the lister, waiting on a full queue, is woken once half of it has
	 * drained, not after every file: one wake-up (and context switch on
	 * a busy machine) per half queue instead of one per file */
	if (q->n == q->cap / 2)
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return true;
}

static void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

/* ---- workers ---- */

struct worker_slot {
	struct exs_worker w;
	struct walk_ctx *ctx;
	pthread_t tid;
	bool started;
};

static void *slot_main(void *p)
{
	struct worker_slot *s = p;
	struct walk_ctx *ctx = s->ctx;
	struct exs_walk_item it;
	struct exs_error err = {{0}};

	s->w.ok = exs_worker_init(&s->w, ctx->engine, ctx->opts, &err) == 0;
	if (!s->w.ok)
		s->w.init_err = err;
	while (queue_pop(&ctx->q, &it)) {
		if (!s->w.ok) {
			exs_worker_error(&s->w, it.relpath, "not scanned: %s", s->w.init_err.msg);
		} else if (it.kind == EXS_ITEM_LOG || it.kind == EXS_ITEM_ARTIFACT) {
			struct exs_walk_log_call c = {.op = EXS_WALK_LOG_SCAN,
			                              .relpath = it.relpath,
			                              .fd = it.fd,
			                              .st = &it.st,
			                              .kind = it.log_kind,
			                              .artifact = it.artifact,
			                              .state = ctx->log_state,
			                              .err = &err};
			int r = exs_walk_log_hook(&c);

			if (r == 0 && it.kind == EXS_ITEM_LOG)
				s->w.stats.logs++;
			else if (r == 0)
				s->w.stats.artifacts++;
			else if (r == 1 && it.kind == EXS_ITEM_LOG)
				s->w.stats.skipped[EXS_SKIP_LOG]++;
			else if (r < 0)
				exs_worker_error(&s->w, it.relpath, "%s not read: %s",
				                 it.kind == EXS_ITEM_LOG ? "log" : "artifact",
				                 err.msg);
			if (it.kind == EXS_ITEM_ARTIFACT && it.also_scan &&
			    lseek(it.fd, 0, SEEK_SET) == 0)
				exs_worker_scan(&s->w, &it, &ctx->host->layout);
		} else {
			exs_worker_scan(&s->w, &it, &ctx->host->layout);
		}
		if (it.img_bytes) {
			pthread_mutex_lock(&ctx->q.mu);
			ctx->inflight -= it.img_bytes;
			pthread_cond_signal(&ctx->drained);
			pthread_mutex_unlock(&ctx->q.mu);
		}
		item_release(&it);
	}
	return NULL;
}

/* ---- walker ---- */

static void walk_error(struct walk_ctx *ctx, const char *relpath, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void walk_error(struct walk_ctx *ctx, const char *relpath, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	exs_findings_push_errorv(&ctx->findings, *relpath ? relpath : ".", fmt, ap);
	va_end(ap);
	ctx->stats.errors++;
}

static bool is_web_dir(const struct walk_ctx *ctx, const char *relpath)
{
	for (size_t i = 0; i < ctx->n_web_dirs; i++)
		if (strcasecmp(relpath, ctx->web_dirs[i]) == 0)
			return true;
	return false;
}

static void add_web_dir(struct walk_ctx *ctx, const char *base, const char *sub)
{
	char *p = NULL, **arr;

	if (!base)
		return;
	if (!sub)
		p = strdup(base);
	else if (asprintf(&p, "%s%s%s", base, *base ? "/" : "", sub) < 0)
		p = NULL;
	if (!p)
		return;
	arr = realloc(ctx->web_dirs, (ctx->n_web_dirs + 1) * sizeof(*arr));
	if (!arr) {
		free(p);
		return;
	}
	ctx->web_dirs = arr;
	ctx->web_dirs[ctx->n_web_dirs++] = p;
}

static int open_noatime(struct walk_ctx *ctx, int dirfd, const char *name, int flags)
{
	int fd;

	flags |= O_NOFOLLOW | O_CLOEXEC | O_RDONLY;
	if (ctx->noatime) {
		fd = openat(dirfd, name, flags | O_NOATIME);
		if (fd >= 0 || errno != EPERM)
			return fd;
		/* not the owner and not privileged: plain reads, which the CLI
		 * warns about (once) */
		ctx->noatime = false;
		ctx->stats.atimes_changed = true;
	}
	return openat(dirfd, name, flags);
}

/* Whether a symlink's target leaves the root (absolute, or too many ".."). */
static bool link_leaves_root(const char *dir_relpath, const char *target)
{
	long depth = 0;
	const char *p;

	if (target[0] == '/')
		return true;
	if (*dir_relpath) {
		depth = 1;
		for (p = dir_relpath; *p; p++)
			depth += *p == '/';
	}
	p = target;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

static void note_symlink(struct walk_ctx *ctx, int dirfd, const char *name, const char *relpath,
                         size_t dir_len)
{
	char target[4096];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	char *dir;
	struct exs_finding f;

	ctx->stats.skipped[EXS_SKIP_SYMLINK]++;
	if (n < 0)
		return;
	target[n] = '\0';
	dir = strndup(relpath, dir_len);
	if (!dir)
		return;
	if (link_leaves_root(dir, target)) {
		ctx->stats.symlinks_outside++;
		memset(&f, 0, sizeof(f));
		f.kind = EXS_FINDING_LOCATION;
		f.path = strdup(relpath);
		f.rule = strdup("symlink-outside-root");
		f.score = 10;
		f.excerpt = strdup(target);
		f.excerpt_len = f.excerpt ? (size_t)n : 0;
		f.description = strdup("symbolic link whose target is outside the scanned root; "
		                       "not followed");
		exs_findings_push(&ctx->findings, &f);
	}
	free(dir);
}

void exs_walk_item_classify(struct exs_walk_item *it, const char *relpath)
{
	struct exs_walk_log_call c = {.op = EXS_WALK_LOG_CLASSIFY, .relpath = relpath};

	exs_walk_log_hook(&c);
	it->kind = EXS_ITEM_SCAN;
	if (c.kind) {
		it->kind = EXS_ITEM_LOG;
		it->log_kind = c.kind;
	} else if (c.artifact) {
		it->kind = EXS_ITEM_ARTIFACT;
		it->artifact = c.artifact;
	}
}

static void handle_file(struct walk_ctx *ctx, const struct frame *top, const char *name,
                        const char *relpath, size_t name_off, const struct stat *st)
{
	struct exs_walk_item it;
	bool scan;
	int fd;

	memset(&it, 0, sizeof(it));
	it.kind = EXS_ITEM_SCAN;
	if (!ctx->opts->no_logs)
		exs_walk_item_classify(&it, relpath);
	scan = ctx->opts->all_files || top->web || exs_walk_is_web_extension(name) ||
	       exs_walk_layout_module_dll(&ctx->host->layout, relpath);
	it.also_scan = it.kind == EXS_ITEM_ARTIFACT && scan;
	if (!scan && it.kind == EXS_ITEM_SCAN) {
		ctx->stats.skipped[EXS_SKIP_POLICY]++;
		return;
	}
	/* O_NONBLOCK: if a FIFO was swapped in after fstatat, open must not hang */
	fd = open_noatime(ctx, top->fd, name, O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			ctx->stats.skipped[EXS_SKIP_VANISHED]++;
		else if (errno == ELOOP)
			ctx->stats.skipped[EXS_SKIP_SYMLINK]++; /* became a link */
		else
			walk_error(ctx, relpath, "cannot open: %s", strerror(errno));
		return;
	}
	/* O_NONBLOCK stays: it does not change reads of regular files, and the
	 * worker scans nothing else */
	it.fd = fd;
	it.relpath = strdup(relpath);
	it.name_off = name_off;
	it.st = *st;
	if (!it.relpath) {
		close(fd);
		walk_error(ctx, relpath, "out of memory");
		return;
	}
	queue_push(&ctx->q, &it);
}

/* ROOT named one file: it is listed and scanned like a file of a web folder
 * (the user asked for it), relative to its own folder. */
static void walk_single(struct walk_ctx *ctx, int dirfd)
{
	struct frame top = {.fd = dirfd, .web = true};
	struct stat st;

	ctx->stats.files_seen++;
	if (fstatat(dirfd, ctx->single, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		walk_error(ctx, ctx->single, "cannot stat: %s", strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		ctx->stats.skipped[EXS_SKIP_SPECIAL]++;
		return;
	}
	handle_file(ctx, &top, ctx->single, ctx->single, 0, &st);
}

static bool on_stack(const struct frame *stack, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (stack[i].dev == dev && stack[i].ino == ino)
			return true;
	return false;
}

static void frame_release(struct frame *f)
{
	if (f->dir)
		closedir(f->dir);
	else if (f->fd >= 0)
		close(f->fd);
	for (size_t i = 0; i < f->n_rest; i++)
		free(f->rest[i]);
	free(f->rest);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Saves the entries f has not listed yet and closes it. */
static int frame_close(struct frame *f)
{
	struct dirent *de;

	if (!f->dir) {
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return 0;
	}
	errno = 0;
	while ((de = readdir(f->dir))) {
		char **p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = realloc(f->rest, (f->n_rest + 1) * sizeof(*p));
		if (!p || !(p[f->n_rest] = strdup(de->d_name))) {
			if (p)
				f->rest = p;
			return -1;
		}
		f->rest = p;
		f->n_rest++;
	}
	if (errno)
		return -1;
	closedir(f->dir);
	f->dir = NULL;
	f->fd = -1;
	return 0;
}

/* The next entry of f (NULL at its end; errno set on a listing error). */
static const char *frame_next(struct frame *f)
{
	struct dirent *de;

	errno = 0;
	if (!f->dir) {
		if (f->i_rest == f->n_rest)
			return NULL;
		/* freed when the next one is taken, or with the frame */
		if (f->i_rest) {
			free(f->rest[f->i_rest - 1]);
			f->rest[f->i_rest - 1] = NULL;
		}
		return f->rest[f->i_rest++];
	}
	de = readdir(f->dir);
	return de ? de->d_name : NULL;
}

static int walk_tree(struct walk_ctx *ctx, int rootfd, struct exs_error *err)
{
	struct frame *stack = NULL;
	size_t depth = 0, cap = 0;
	struct exs_buf path;
	struct stat st;
	int rc = -1;
	DIR *d;

	exs_buf_init(&path, MAX_PATH_BYTES);
	if (fstat(rootfd, &st)) {
		exs_error_set(err, "cannot stat the root: %s", strerror(errno));
		close(rootfd);
		return -1;
	}
	d = fdopendir(rootfd);
	if (!d) {
		exs_error_set(err, "cannot list the root: %s", strerror(errno));
		close(rootfd);
		return -1;
	}
	cap = 64;
	stack = malloc(cap * sizeof(*stack));
	if (!stack) {
		closedir(d);
		return exs_error_set(err, "out of memory");
	}
	stack[0] = (struct frame){.dir = d,
	                          .fd = dirfd(d),
	                          .path_len = 0,
	                          .web = ctx->host->layout.web_root || is_web_dir(ctx, ""),
	                          .dev = st.st_dev,
	                          .ino = st.st_ino};
	depth = 1;
	ctx->stats.dirs = 1;
	while (depth) {
		struct frame *top = &stack[depth - 1];
		const char *name;
		size_t name_off;

		name = frame_next(top);
		if (!name) {
			struct frame *up = depth > 1 ? &stack[depth - 2] : NULL;

			if (errno)
				walk_error(ctx, exs_buf_cstr(&path), "cannot list directory: %s",
				           strerror(errno));
			if (up && up->fd < 0) {
				/* back to a directory closed on the way down */
				int fd = openat(top->fd, "..",
				                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == up->dev &&
				    st.st_ino == up->ino) {
					up->fd = fd;
				} else {
					if (fd >= 0)
						close(fd);
					path.len = up->path_len;
					if (path.data)
						path.data[path.len] = '\0';
					walk_error(ctx, exs_buf_cstr(&path),
					           "directory moved while walked (cannot return to "
					           "it); the rest of it was not scanned");
					/* its remaining entries are dropped with it */
					for (size_t i = up->i_rest; i < up->n_rest; i++) {
						free(up->rest[i]);
						up->rest[i] = NULL;
					}
					up->i_rest = up->n_rest;
				}
			}
			frame_release(top);
			depth--;
			if (depth) {
				path.len = stack[depth - 1].path_len;
				if (path.data)
					path.data[path.len] = '\0';
			}
			continue;
		}
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		path.len = top->path_len;
		if (path.data)
			path.data[path.len] = '\0';
		if ((path.len && exs_buf_putc(&path, '/')) || exs_buf_puts(&path, name)) {
			walk_error(ctx, exs_buf_cstr(&path),
			           "path longer than %u bytes; not scanned", MAX_PATH_BYTES);
			continue;
		}
		name_off = path.len - strlen(name);
		if (fstatat(top->fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				ctx->stats.skipped[EXS_SKIP_VANISHED]++;
			else
				walk_error(ctx, path.data, "cannot stat: %s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int fd;
			DIR *sub;

			if (st.st_dev != ctx->root_dev && !ctx->opts->cross_fs) {
				ctx->stats.skipped[EXS_SKIP_OTHER_FS]++;
				continue;
			}
			if (on_stack(stack, depth, st.st_dev, st.st_ino)) {
				walk_error(ctx, path.data,
				           "directory loop (bind mount?); not entered");
				continue;
			}
			/* the deepest keep_open directories stay open: close the one
			 * that falls out of that window (never the root) */
			if (depth >= ctx->keep_open && depth - ctx->keep_open >= 1 &&
			    frame_close(&stack[depth - ctx->keep_open])) {
				walk_error(ctx, path.data,
				           "out of memory saving a directory listing; not entered");
				continue;
			}
			fd = open_noatime(ctx, top->fd, name, O_DIRECTORY);
			if (fd < 0) {
				if (errno == ENOENT)
					ctx->stats.skipped[EXS_SKIP_VANISHED]++;
				else
					walk_error(ctx, path.data, "cannot open directory: %s%s",
					           strerror(errno),
					           errno == EACCES ? " (run as root or with "
					                             "CAP_DAC_READ_SEARCH)"
					                           : "");
				continue;
			}
			sub = fdopendir(fd);
			if (!sub) {
				close(fd);
				walk_error(ctx, path.data, "cannot list directory: %s",
				           strerror(errno));
				continue;
			}
			if (depth == cap) {
				struct frame *ns = realloc(stack, cap * 2 * sizeof(*ns));

				if (!ns) {
					closedir(sub);
					walk_error(ctx, path.data, "out of memory; not entered");
					continue;
				}
				stack = ns;
				cap *= 2;
				top = &stack[depth - 1];
			}
			ctx->stats.dirs++;
			stack[depth] = (struct frame){.dir = sub,
			                              .fd = fd,
			                              .path_len = path.len,
			                              .web = top->web || is_web_dir(ctx, path.data),
			                              .dev = st.st_dev,
			                              .ino = st.st_ino};
			depth++;
			continue;
		}
		ctx->stats.files_seen++;
		if (S_ISLNK(st.st_mode))
			note_symlink(ctx, top->fd, name, path.data, top->path_len);
		else if (!S_ISREG(st.st_mode))
			ctx->stats.skipped[EXS_SKIP_SPECIAL]++; /* never opened */
		else
			handle_file(ctx, top, name, path.data, name_off, &st);
	}
	rc = 0;
	free(stack);
	exs_buf_release(&path);
	return rc;
}

/* ---- disk images (imagewalk.c walks, this side queues) ---- */

static bool feed_in_web_dir(void *p, const char *relpath)
{
	struct walk_ctx *ctx = p;

	if (ctx->host->layout.web_root)
		return true;
	for (size_t i = 0; i < ctx->n_web_dirs; i++) {
		size_t n = strlen(ctx->web_dirs[i]);

		if (n == 0 || (strncasecmp(relpath, ctx->web_dirs[i], n) == 0 && relpath[n] == '/'))
			return true;
	}
	return false;
}

static void feed_reserve(void *p, uint64_t bytes)
{
	struct walk_ctx *ctx = p;

	pthread_mutex_lock(&ctx->q.mu);
	while (ctx->inflight && ctx->inflight + bytes > EXS_WALK_IMG_INFLIGHT_MAX)
		pthread_cond_wait(&ctx->drained, &ctx->q.mu);
	ctx->inflight += bytes;
	pthread_mutex_unlock(&ctx->q.mu);
}

static void feed_release(void *p, uint64_t bytes)
{
	struct walk_ctx *ctx = p;

	pthread_mutex_lock(&ctx->q.mu);
	ctx->inflight -= bytes;
	pthread_mutex_unlock(&ctx->q.mu);
}

static void feed_push(void *p, struct exs_walk_item *it)
{
	queue_push(&((struct walk_ctx *)p)->q, it);
}

static void feed_error(void *p, const char *relpath, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void feed_error(void *p, const char *relpath, const char *fmt, ...)
{
	struct walk_ctx *ctx = p;
	va_list ap;

	va_start(ap, fmt);
	exs_findings_push_errorv(&ctx->findings, *relpath ? relpath : ".", fmt, ap);
	va_end(ap);
	ctx->stats.errors++;
}

static void feed_finding(void *p, struct exs_finding *f)
{
	exs_findings_push(&((struct walk_ctx *)p)->findings, f);
}

static int walk_image(struct walk_ctx *ctx, struct exs_ntfs *vol, struct exs_error *err)
{
	struct exs_walk_feed feed = {.ctx = ctx,
	                             .opts = ctx->opts,
	                             .layout = &ctx->host->layout,
	                             .stats = &ctx->stats,
	                             .in_web_dir = feed_in_web_dir,
	                             .reserve = feed_reserve,
	                             .release = feed_release,
	                             .push = feed_push,
	                             .error = feed_error,
	                             .finding = feed_finding};

	ctx->stats.dirs = 1;
	return exs_walk_image_tree(&feed, vol, err);
}

/* Raises the soft open-file limit to the hard one; returns the limit. */
static size_t raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? (1u << 20)
	                                                                : (size_t)rl.rlim_cur;
}

static size_t clamp(size_t v, size_t lo, size_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void stats_add(struct exs_walk_stats *a, const struct exs_walk_stats *b)
{
	a->files_seen += b->files_seen;
	a->files_scanned += b->files_scanned;
	a->dirs += b->dirs;
	a->bytes_scanned += b->bytes_scanned;
	a->bytes_hashed += b->bytes_hashed;
	a->bytes_prefiltered += b->bytes_prefiltered;
	for (int i = 0; i < EXS_SKIP__N; i++)
		a->skipped[i] += b->skipped[i];
	a->errors += b->errors;
	a->truncated += b->truncated;
	a->pages_cut += b->pages_cut;
	a->changed += b->changed;
	a->timeouts += b->timeouts;
	a->symlinks_outside += b->symlinks_outside;
	a->logs += b->logs;
	a->log_records_unreadable += b->log_records_unreadable;
	a->artifacts += b->artifacts;
	a->streams += b->streams;
	a->deleted += b->deleted;
	a->atimes_changed = a->atimes_changed || b->atimes_changed;
}

static int move_findings(struct exs_findings *dst, struct exs_findings *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (exs_findings_push(dst, &src->items[i]))
			return -1;
	src->n = 0;
	return 0;
}

static int cmp_str0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct exs_finding *a = pa, *b = pb;
	int c = cmp_str0(a->path, b->path);

	if (c)
		return c;
	if (a->score != b->score)
		return b->score - a->score;
	return cmp_str0(a->rule, b->rule);
}

static char *host_name(const struct exs_walk_options *o, const char *root, bool image)
{
	if (!o->host && image) {
		const char *slash = strrchr(root, '/');
		char *r = NULL;

		/* several NTFS volumes: one host each, named by partition */
		if (o->volume_given && asprintf(&r, "%s@%llu", slash ? slash + 1 : root,
		                                (unsigned long long)o->volume) < 0)
			r = NULL;
		return o->volume_given ? r : strdup(slash ? slash + 1 : root);
	}
	char *copy, *base, *r;

	if (o->host)
		return strdup(o->host);
	copy = realpath(root, NULL);
	if (!copy)
		copy = strdup(root);
	if (!copy)
		return NULL;
	base = basename(copy);
	r = strdup(*base && strcmp(base, "/") != 0 ? base : "localhost");
	free(copy);
	return r;
}

void exs_walk_host_init(struct exs_walk_host *h)
{
	memset(h, 0, sizeof(*h));
	exs_findings_init(&h->findings);
}

void exs_walk_host_release(struct exs_walk_host *h)
{
	free(h->host);
	free(h->root);
	exs_walk_layout_release(&h->layout);
	exs_findings_release(&h->findings);
	if (h->log_days)
		json_object_put(h->log_days);
	memset(h, 0, sizeof(*h));
}

int exs_walk_run(struct exs_walk_engine *e, const struct exs_walk_options *o, const char *root,
                 struct exs_walk_host *out, struct exs_error *err)
{
	struct walk_ctx ctx;
	struct exs_folds folds = {0};
	struct worker_slot *slots = NULL;
	struct timespec t0, t1;
	struct stat st;
	long ncpu;
	size_t nw, nofile;
	int rootfd = -1, rc = -1;
	struct exs_walk_src src = {.rootfd = -1};
	struct exs_image *im = NULL;
	char *dir = NULL; /* the folder of a ROOT that is one file */
	bool image;

	memset(&ctx, 0, sizeof(ctx));
	pthread_cond_init(&ctx.drained, NULL);
	exs_findings_init(&ctx.findings);
	ctx.engine = e;
	ctx.opts = o;
	ctx.host = out;
	ctx.noatime = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nofile = raise_fd_limit();
	/* open directories and queued files share the open-file limit */
	ctx.keep_open = clamp(nofile / 8, 2, 64);
	out->root = strdup(root);
	/* read once: whether ROOT is a disk image opens it and reads its ends */
	image = exs_image_is_file(root);
	out->host = host_name(o, root, image);
	if (!out->root || !out->host) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	if (image) {
		char *named = NULL;
		bool several = false;

		src.ntfs = exs_walk_image_open(o, root, &im, &named, &several, err);
		if (!src.ntfs)
			goto out;
		free(out->root);
		out->root = named;
		for (size_t i = 0; i < exs_image_problem_count(im); i++)
			walk_error(&ctx, "", "%s", exs_image_problem(im, i));
		goto layout;
	}
	if (stat(root, &st) == 0 && S_ISREG(st.st_mode)) {
		/* one file (a page, a DLL), not a disk image: scanned alone,
		 * whatever the policy, from its folder */
		const char *slash = strrchr(root, '/');

		ctx.single = slash ? slash + 1 : root;
		dir = slash ? strndup(root, slash == root ? 1 : (size_t)(slash - root))
		            : strdup(".");
		if (!dir) {
			exs_error_set(err, "out of memory");
			goto out;
		}
	}
	rootfd = open(dir ? dir : root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
	if (rootfd < 0 && errno == EPERM) {
		rootfd = open(dir ? dir : root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ctx.noatime = false;
		ctx.stats.atimes_changed = true;
	}
	if (rootfd < 0 || fstat(rootfd, &st)) {
		exs_error_set(err, "cannot open root '%s': %s", root, strerror(errno));
		goto out;
	}
	ctx.root_dev = st.st_dev;
	src.rootfd = rootfd;
layout:
	/* one file has no layout: its folder's would describe something else */
	if (ctx.single)
		out->layout.single_file = true;
	else if (exs_walk_layout_detect_src(&src, o->exchange_dir, &out->layout, err))
		goto out;
	if (exs_walk_layout_findings(&out->layout, &ctx.findings)) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	if (out->layout.exchange) {
		add_web_dir(&ctx, out->layout.exchange_dir, "FrontEnd/HttpProxy");
		add_web_dir(&ctx, out->layout.exchange_dir, "ClientAccess");
	}
	add_web_dir(&ctx, out->layout.inetpub, NULL);
	add_web_dir(&ctx, out->layout.temp_aspnet, NULL);
	/* the web directories as spelt on disk */
	for (size_t i = 0; i < ctx.n_web_dirs; i++) {
		char *real = exs_walk_src_resolve(&src, ctx.web_dirs[i]);

		if (real) {
			free(ctx.web_dirs[i]);
			ctx.web_dirs[i] = real;
		}
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nw = o->jobs > 0 ? (size_t)o->jobs : ncpu > 0 ? (size_t)ncpu : 1;
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if (queue_init(&ctx.q, clamp(nofile / 4, 4, nw * 8 + 32))) {
		exs_error_set(err, "out of memory");
		goto out;
	}
	if (!o->no_logs) {
		struct exs_walk_log_call c = {.op = EXS_WALK_LOG_BEGIN, .err = err};

		if (exs_walk_log_hook(&c))
			goto out_queue;
		ctx.log_state = c.state;
	}
	slots = calloc(nw, sizeof(*slots));
	if (!slots) {
		exs_error_set(err, "out of memory");
		goto out_queue;
	}
	for (size_t i = 0; i < nw; i++) {
		slots[i].ctx = &ctx;
		if (pthread_create(&slots[i].tid, NULL, slot_main, &slots[i]) == 0)
			slots[i].started = true;
	}
	if (!slots[0].started) {
		exs_error_set(err, "cannot start a scan thread");
		queue_close(&ctx.q);
		goto out_join;
	}
	if (src.ntfs) {
		if (walk_image(&ctx, src.ntfs, err)) {
			queue_close(&ctx.q);
			goto out_join;
		}
	} else if (ctx.single) {
		walk_single(&ctx, rootfd);
	} else {
		int dfd = dup(rootfd);

		if (dfd < 0 || walk_tree(&ctx, dfd, err)) {
			if (dfd < 0)
				exs_error_set(err, "cannot open root '%s': %s", root,
				              strerror(errno));
			queue_close(&ctx.q);
			goto out_join;
		}
	}
	queue_close(&ctx.q);
	rc = 0;
out_join:
	for (size_t i = 0; i < nw; i++) {
		if (!slots[i].started)
			continue;
		pthread_join(slots[i].tid, NULL);
		stats_add(&ctx.stats, &slots[i].w.stats);
		move_findings(&ctx.findings, &slots[i].w.findings);
		if (exs_folds_merge(&folds, &slots[i].w.folds))
			walk_error(&ctx, "", "out of memory counting findings");
		exs_worker_release(&slots[i].w);
	}
	exs_folds_emit(&folds, &ctx.findings);
	exs_folds_release(&folds);
	if (!o->no_logs) {
		struct exs_walk_log_call ind = {.op = EXS_WALK_LOG_INDICATOR,
		                                .state = ctx.log_state};

		/* archives under ProgramData count only next to another indicator */
		for (size_t i = 0; i < ctx.findings.n; i++) {
			const struct exs_finding *f = &ctx.findings.items[i];

			if ((f->kind == EXS_FINDING_WEBSHELL || f->kind == EXS_FINDING_IOC) &&
			    exs_severity_of(f->score) >= EXS_SEVERITY_WARNING) {
				exs_walk_log_hook(&ind);
				break;
			}
		}
	}
	if (!o->no_logs) {
		struct exs_error lerr = {{0}};
		struct exs_walk_log_call c = {.op = EXS_WALK_LOG_FINISH,
		                              .state = ctx.log_state,
		                              .out = &ctx.findings,
		                              .err = &lerr};

		if (exs_walk_log_hook(&c))
			walk_error(&ctx, "", "log findings lost: %s", lerr.msg);
		ctx.stats.log_records_unreadable += c.unreadable_records;
		if (out->log_days)
			json_object_put(out->log_days);
		out->log_days = c.days;
		ctx.log_state = NULL;
	}
out_queue:
	if (ctx.log_state) { /* stopped before the workers ran */
		struct exs_walk_log_call c = {.op = EXS_WALK_LOG_FINISH, .state = ctx.log_state};

		exs_walk_log_hook(&c);
	}
	/* items left when the walk stopped early */
	while (ctx.q.n) {
		struct exs_walk_item it;

		if (!queue_pop(&ctx.q, &it))
			break;
		item_release(&it);
	}
	queue_release(&ctx.q);
out:
	free(slots);
	free(dir);
	if (rootfd >= 0)
		close(rootfd);
	exs_ntfs_close(src.ntfs);
	exs_image_free(im);
	pthread_cond_destroy(&ctx.drained);
	if (ctx.findings.n)
		qsort(ctx.findings.items, ctx.findings.n, sizeof(struct exs_finding), finding_cmp);
	move_findings(&out->findings, &ctx.findings);
	exs_findings_release(&ctx.findings);
	for (size_t i = 0; i < ctx.n_web_dirs; i++)
		free(ctx.web_dirs[i]);
	free(ctx.web_dirs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ctx.stats.seconds =
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	out->stats = ctx.stats;
	return rc;
}
