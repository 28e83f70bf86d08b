/* Private layout of struct exs_kb, shared by kb.c and kb_assess.c. */
#ifndef EXSCAN_KB_INTERNAL_H
#define EXSCAN_KB_INTERNAL_H

#include "exscan/kb.h"

#define EXS_KB_MAX_PRODUCTS 16
#define EXS_KB_MAX_FIXES 4096

struct exs_kb {
	struct exs_product products[EXS_KB_MAX_PRODUCTS];
	size_t n_products;
	struct exs_build *builds; /* sorted ascending by version */
	size_t n_builds, cap_builds;
	struct exs_cve *cves;
	size_t n_cves, cap_cves;
	struct exs_fix *fixes;
	size_t n_fixes, cap_fixes;
	size_t fix_cve_index[EXS_KB_MAX_FIXES];
	char newest_date[11];
	char builds_source[512];
	char cves_source[512];
};

#endif
