/* The image side of src/walk (internal): what the walker gives the image
 * tree walk (imagewalk.c) to queue files and record findings.
 *
 * Ownership: the feed is borrowed for the walk; items pushed are owned by
 * the queue; findings passed to finding() are moved (zeroed).
 */
#ifndef EXSCAN_WALK_IMAGE_H
#define EXSCAN_WALK_IMAGE_H

#include "walk_scan.h"

/* A file larger than this is copied from the image only this far (scanned
 * like a file cut at --max-size; not hashed). */
#define EXS_WALK_IMG_FILE_MAX (256ull << 20)
/* Bytes copied from the image and not yet scanned, at most (one file over
 * it waits until the workers are idle). */
#define EXS_WALK_IMG_INFLIGHT_MAX (256ull << 20)

struct exs_image;
struct exs_ntfs;

struct exs_walk_feed {
	void *ctx;
	const struct exs_walk_options *opts;
	const struct exs_walk_layout *layout;
	struct exs_walk_stats *stats;
	bool (*in_web_dir)(void *ctx, const char *relpath);
	void (*reserve)(void *ctx, uint64_t bytes); /* waits for room in the budget */
	void (*release)(void *ctx, uint64_t bytes);
	void (*push)(void *ctx, struct exs_walk_item *it);
	void (*error)(void *ctx, const char *relpath, const char *fmt, ...)
	        __attribute__((format(printf, 3, 4)));
	void (*finding)(void *ctx, struct exs_finding *f);
};

int exs_walk_image_tree(struct exs_walk_feed *feed, struct exs_ntfs *vol, struct exs_error *err);
struct exs_ntfs *exs_walk_image_open(const struct exs_walk_options *o, const char *root,
                                     struct exs_image **im_out, char **root_out, bool *several,
                                     struct exs_error *err);

#endif
