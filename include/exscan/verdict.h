/* Per-host verdicts from probe and walk results.
 *
 * The engine works on host objects in exscan's JSON form (docs/report.md),
 * so results made on other machines and merged by `exscan report` are
 * judged exactly like those of `exscan scan`.
 *
 * Ownership: exs_verdict_judge() adds "verdict", "reasons" and
 * "remediation" members to the caller's host object (which keeps owning
 * them); nothing else is allocated for the caller.
 */
#ifndef EXSCAN_VERDICT_H
#define EXSCAN_VERDICT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "exscan/config.h"
#include "exscan/kb.h"

/* Strongest first; the numeric order is used to compare. */
enum exs_verdict {
	EXS_VERDICT_UNKNOWN = 0,
	EXS_VERDICT_CLEAN = 1,
	EXS_VERDICT_AT_RISK = 2,
	EXS_VERDICT_VULNERABLE = 3,
	EXS_VERDICT_COMPROMISED = 4,
};

const char *exs_verdict_name(enum exs_verdict v);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int exs_verdict_parse(const char *name, enum exs_verdict *out);

/* Judges one host object; returns the verdict and records it in the object.
 * The build seen by the probe is re-assessed with `kb` (for end of support
 * and the update to install). *incomplete is set when part of the host
 * could not be scanned. */
enum exs_verdict exs_verdict_judge(struct json_object *host, const struct exs_kb *kb, time_t now,
                                   bool *incomplete);
/* The same, for many hosts: builds are assessed through the caller's memo
 * (its tables and date; memo->kb may be NULL). */
enum exs_verdict exs_verdict_judge_memo(struct json_object *host, struct exs_kb_memo *memo,
                                        bool *incomplete);

/* The reason that decides a judged host's verdict: the first reason at the
 * verdict's level (reasons are listed in the order the evidence was
 * judged, so reasons[0] may be a weaker one).  Borrowed, or NULL. */
struct json_object *exs_verdict_main_reason(struct json_object *host);

/* Whether a verdict reaches a --fail-on threshold. */
bool exs_verdict_reaches(enum exs_verdict v, enum exs_fail_on threshold);

#endif
