/* Internals of src/image shared between its files (not a public API). */
#ifndef EXSCAN_IMAGE_INTERNAL_H
#define EXSCAN_IMAGE_INTERNAL_H

#include <tsk/libtsk.h>

#include "exscan/image.h"

struct exs_image {
	TSK_IMG_INFO *img;
	enum exs_image_format format;
	const char *table; /* static (libtsk's name) */
	struct exs_image_volume *volumes;
	size_t n_volumes, cap_volumes;
	char **problems; /* MAX_PROBLEMS slots */
	size_t n_problems;
};

#endif
