/* The per-host timeline of `exscan scan` and `exscan report`: log events
 * (first and last time of each log rule, attempt or success; event-log
 * rules too), the file times of every finding (modified, changed, created
 * when the walker knows it) and how far back the logs reach, in time order,
 * with the moments an incident responder looks for first: first
 * exploitation attempt, first success, first shell, last activity.
 *
 * It is built from the host object's findings (docs/report.md), so a merged
 * host (`exscan report` of several walks and probes) gets one timeline of
 * all its evidence; the per-day log counts ("log_days", from the log
 * readers) are left as they are, for the HTML time axis.
 *
 * Ownership: exs_timeline_build() adds "timeline" (an array) and
 * "timeline_summary" (an object) to the caller's host object, which owns
 * them; nothing else is allocated for the caller.
 */
#ifndef EXSCAN_TIMELINE_H
#define EXSCAN_TIMELINE_H

#include <json-c/json.h>

/* Events kept per host: past it the earliest and latest half are kept and
 * timeline_summary.omitted counts the rest (the moments above are computed
 * from all of them). */
#define EXS_TIMELINE_MAX 400

/* Builds the timeline of one host object.  Returns 0, or -1 when out of
 * memory (the host then has no timeline). */
int exs_timeline_build(struct json_object *host);

#endif
