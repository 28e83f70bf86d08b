/* Writers that turn results into what users read.  Only src/report/ and
 * src/cli/ print; everything else returns data.
 *
 * Ownership: json_object results are new references owned by the caller
 * (release with json_object_put()); the inputs are borrowed.
 */
#ifndef EXSCAN_REPORT_H
#define EXSCAN_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exscan/finding.h"
#include "exscan/kb.h"
#include "exscan/walk.h"

/* A JSON string from untrusted bytes: valid UTF-8 is kept (json-c escapes
 * control characters), every invalid byte becomes the text \xNN. */
struct json_object *exs_json_str(const char *s, size_t n);
struct json_object *exs_json_cstr(const char *s); /* NULL gives JSON null */
/* Whether s holds only valid UTF-8 without NUL or C1 controls, i.e. whether
 * exs_json_str() keeps it as it is. */
bool exs_utf8_clean(const char *s, size_t n);
/* Base64 (RFC 4648, padded) of n bytes, as a JSON string. */
struct json_object *exs_json_b64(const void *data, size_t n);
/* A finding's path as the raw bytes of the file name: decoded from
 * "path_b64" when there is one (the name was not UTF-8 and "path" shows it
 * with \xNN escapes), else "path".  Borrowed: valid until b changes. */
struct exs_buf;
const char *exs_json_raw_path(struct json_object *f, struct exs_buf *b);
/* A check's evidence as one line of text ("HTTP 302: detail"): probe writes
 * {status, detail}, older inputs a string. Returns buf. Raw: escape on output. */
const char *exs_check_evidence(struct json_object *check, char *buf, size_t n);
/* Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ"; 0 gives JSON null. */
struct json_object *exs_json_time(int64_t t);
/* Serialises compactly (jsonl) or pretty (json), without escaping '/'. */
const char *exs_json_text(struct json_object *o, bool pretty);
/* Writes exs_json_text() to fp as valid JSON whatever the strings hold:
 * bytes that are not valid UTF-8 become the text \xNN, C1 controls, bidi
 * controls and line/paragraph separators \u escapes.  Every JSON output goes
 * through it.  Returns 0, or -1 when fp has an error. */
int exs_json_write(FILE *fp, struct json_object *o, bool pretty);

/* Looks up a member by dotted path ("probe.tls.protocol"); borrowed or NULL. */
struct json_object *exs_json_get(struct json_object *o, const char *path);
/* Typed lookups with a default when absent or of another type. */
const char *exs_json_get_str(struct json_object *o, const char *path, const char *def);
bool exs_json_get_bool(struct json_object *o, const char *path, bool def);
int64_t exs_json_get_int(struct json_object *o, const char *path, int64_t def);

/* The open_cves array as in `exscan builds` (also used by probe). */
struct json_object *exs_open_cves_to_json(const struct exs_assessment *a);
/* The per-build object of `exscan builds --format json`. */
struct json_object *exs_assessment_to_json(const struct exs_kb *kb, const struct exs_assessment *a);
/* Human-readable report of one assessment. */
void exs_assessment_write_text(FILE *fp, const struct exs_kb *kb, const struct exs_assessment *a,
                               bool color);
/* Days between two YYYY-MM-DD dates (b - a), or -1 if either is not a full date. */
long exs_days_between(const char *a, const char *b);

/* One finding as an object (kind-specific fields only where they apply). */
struct json_object *exs_finding_to_json(const struct exs_finding *f);
/* One host of `exscan walk`: host, root, layout, findings, stats. */
struct json_object *exs_walk_host_to_json(const struct exs_walk_host *h);
/* Human-readable report of one walked host. */
void exs_walk_host_write_text(FILE *fp, const struct exs_walk_host *h, bool color);

#endif
