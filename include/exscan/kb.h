/* The Exchange knowledge base: product lines, builds, CVEs and which update
 * fixes which CVE.  Format of the table files: docs/knowledge-base.md.
 *
 * Ownership: a struct exs_kb is created with exs_kb_new()/exs_kb_load() and
 * freed with exs_kb_free().  Every pointer into it (products, builds, CVEs,
 * strings) is borrowed and valid until exs_kb_free().  A struct
 * exs_assessment is embedded by the caller; exs_kb_assess() fills it and
 * exs_assessment_release() frees its arrays (the pointers inside them are
 * borrowed from the kb).  A loaded kb is read-only and safe to share between
 * threads.
 */
#ifndef EXSCAN_KB_H
#define EXSCAN_KB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "exscan/error.h"
#include "exscan/version.h"

struct exs_product {
	char id[24];   /* Exchange2016 */
	char name[48]; /* Exchange Server 2016 */
	unsigned major, minor;
	unsigned first_build;    /* lowest build number of the line (SE: 2562) */
	char end_of_support[11]; /* YYYY-MM-DD or "" when still supported */
	char esu_since[11];      /* updates released from this day on are ESU-only, or "" */
};

struct exs_build {
	struct exs_version version;
	const struct exs_product *product;
	char cu[16]; /* CU19, SP3, RTM */
	struct exs_version cu_build;
	char update[16];       /* Mar21SU, Aug23SUv2, RU32, or "" for the CU itself */
	char base_update[16];  /* update without its vN re-release suffix */
	char release_date[11]; /* YYYY-MM-DD, YYYY-MM or "" */
	char kb[16];           /* KB5000871 or "" */
	bool esu_only;         /* only for customers of the paid extended support (ESU) */
};

struct exs_cve {
	char id[24];
	char name[32]; /* campaign name (ProxyLogon) or "" */
	bool kev;      /* in CISA's known exploited list */
	bool config_dependent;
	char step[160]; /* what must be configured after the update, or "" */
};

struct exs_fix {
	const struct exs_cve *cve;
	char update[16];   /* "" when no build fixes it (configuration only); a re-release
	                    * name (Sep26SUv2) requires that release, not an earlier one */
	unsigned products; /* bit i set: kb->products[i] */
};

struct exs_kb;

struct exs_kb *exs_kb_new(void);
void exs_kb_free(struct exs_kb *kb);

/* Loads a build table or a CVE table from memory.  `name` is used in error
 * messages ("FILE:LINE: what is wrong").  CVE tables must be loaded after
 * the build table they refer to. */
int exs_kb_load_builds(struct exs_kb *kb, const char *name, const char *text, size_t len,
                       struct exs_error *err);
int exs_kb_load_cves(struct exs_kb *kb, const char *name, const char *text, size_t len,
                     struct exs_error *err);

/* Loads both tables: from the given files, or the built-in copies where a
 * path is NULL.  Returns a new kb or NULL with err set. */
struct exs_kb *exs_kb_load(const char *builds_path, const char *cves_path, struct exs_error *err);

/* Where the tables came from (file path or "built-in"); borrowed. */
const char *exs_kb_builds_source(const struct exs_kb *kb);
const char *exs_kb_cves_source(const struct exs_kb *kb);

size_t exs_kb_build_count(const struct exs_kb *kb);
const struct exs_build *exs_kb_build_at(const struct exs_kb *kb, size_t i); /* ascending */
size_t exs_kb_product_count(const struct exs_kb *kb);
const struct exs_product *exs_kb_product_at(const struct exs_kb *kb, size_t i);
size_t exs_kb_cve_count(const struct exs_kb *kb);
const struct exs_cve *exs_kb_cve_find(const struct exs_kb *kb, const char *id);
/* Newest release date in the build table (YYYY-MM-DD) or "". */
const char *exs_kb_newest_date(const struct exs_kb *kb);

/* Whether a CVE's configuration step is Extended Protection (NULL or "":
 * the step is not named, as for CVE-2024-21410's configuration-only line). */
bool exs_kb_step_is_extended_protection(const char *step);

/* Tables older than this many days (since their newest update) may be stale:
 * updates come monthly. */
#define EXS_KB_STALE_DAYS 45
/* Days from the newest update in the tables to `now` (-1 when the tables carry
 * no date); *stale is set when that is more than EXS_KB_STALE_DAYS. */
long exs_kb_age_days(const struct exs_kb *kb, time_t now, bool *stale);
/* How to refresh stale tables: one lowercase line. */
const char *exs_kb_refresh_advice(void);

/* The product line a build belongs to, or NULL. */
const struct exs_product *exs_kb_product_for(const struct exs_kb *kb, const struct exs_version *v);
/* The table entry for an exact build, or NULL. */
const struct exs_build *exs_kb_build_find(const struct exs_kb *kb, const struct exs_version *v);

enum exs_precision {
	EXS_PRECISION_NONE,
	EXS_PRECISION_CU,    /* major.minor.build: the update is unseen */
	EXS_PRECISION_EXACT, /* all four parts */
};
const char *exs_precision_name(enum exs_precision p);

enum exs_update_state {
	EXS_UPDATE_INSTALLED,
	EXS_UPDATE_MISSING,
	EXS_UPDATE_UNDECIDED, /* CU-only build: depends on the unseen update */
};

struct exs_missing_update {
	const char *name;            /* base update name (Mar21SU) */
	const struct exs_build *fix; /* the build to reach: on the own CU if it got the update,
	                              * else on the newest CU that did */
	bool certain;                /* false: UNDECIDED */
	bool hotfix;                 /* fixes no CVE of this line: "behind on hotfixes", not a
	                              * missing security update */
};

struct exs_open_cve {
	const struct exs_cve *cve;
	const char *fixed_by; /* base update name, or NULL for configuration-only */
	bool certain;         /* false when it depends on the unseen update or on configuration */
};

struct exs_assessment {
	struct exs_version version;
	enum exs_precision precision;
	const struct exs_product *product; /* NULL: not a known Exchange line */
	const struct exs_build *entry;     /* exact table entry, or NULL */
	const struct exs_build *cu_entry;  /* lowest known build of the same CU, or NULL */
	bool known;                        /* exact build (or CU) is in the table */
	bool end_of_support;
	const struct exs_build *newest;       /* newest build of the product line */
	const struct exs_build *newest_on_cu; /* newest build of the same CU */
	const struct exs_build *nearest_below, *nearest_above; /* for unknown builds */
	bool newer_than_tables;             /* above the newest build of its line: the tables are
	                                     * older than the server, nothing is known to be fixed */
	struct exs_missing_update *missing; /* security updates and hotfixes (see .hotfix) */
	size_t n_missing;
	size_t n_missing_security; /* certainly missing updates that fix a CVE */
	struct exs_open_cve *open;
	size_t n_open;
};

/* Assesses a build with HealthChecker's patched-or-not rule (docs/knowledge-base.md).
 * `today` decides end of support (pass time(NULL)). */
int exs_kb_assess(const struct exs_kb *kb, const struct exs_version *v, time_t today,
                  struct exs_assessment *out, struct exs_error *err);
void exs_assessment_release(struct exs_assessment *a);
/* A deep copy: dst owns its own arrays (release it with exs_assessment_release);
 * the table pointers are shared with src and the kb. Returns 0, or -1 when out of
 * memory (dst then empty). */
int exs_assessment_copy(const struct exs_assessment *src, struct exs_assessment *dst);

/* Assessments of the builds seen last, for callers that judge many hosts (a
 * fleet runs few distinct builds).  Embedded by its user (one per thread: it
 * is not locked); exs_kb_memo_assess() fills `out` with a copy the caller
 * releases with exs_assessment_release(). */
#define EXS_KB_MEMO_SLOTS 32
struct exs_kb_memo {
	const struct exs_kb *kb;
	time_t today;
	struct {
		bool used;
		struct exs_version v;
		struct exs_assessment a;
	} slot[EXS_KB_MEMO_SLOTS];
	int next; /* the slot replaced next (round robin) */
};

void exs_kb_memo_init(struct exs_kb_memo *m, const struct exs_kb *kb, time_t today);
int exs_kb_memo_assess(struct exs_kb_memo *m, const struct exs_version *v,
                       struct exs_assessment *out, struct exs_error *err);
void exs_kb_memo_release(struct exs_kb_memo *m);

/* What to install for an assessed build, one lowercase line ("" when nothing is
 * missing): the newest update of its line, and, when that update is ESU-only,
 * says so and names the supported path (move to Exchange Server SE). */
void exs_kb_advice(const struct exs_assessment *a, char *buf, size_t size);

/* Service cut-offs an assessed build meets because it certainly lacks an
 * update (no request needed; kb-review 2026-11, rank 9): the Emergency
 * Mitigation Service below Mar23SU, the mitigation configuration files of July
 * 2026 on below Jun26SU, Exchange Online's hybrid mail blocking below Oct25SU.
 * Fills out[] with up to max static lowercase lines; returns how many. */
size_t exs_kb_service_notes(const struct exs_kb *kb, const struct exs_assessment *a,
                            const char **out, size_t max);

/* State of one update for a build (used by the assessment; exposed for tests).
 * A base name (Aug23SU) is installed by any of its releases; a re-release name
 * (Aug23SUv2) only by that release or a later build. */
enum exs_update_state exs_kb_update_state(const struct exs_kb *kb, const struct exs_version *v,
                                          const struct exs_product *p, const char *update,
                                          const struct exs_build **fix);

#endif
