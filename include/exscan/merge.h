/* Merging probe, walk and scan results of the same hosts (exscan report).
 *
 * Ownership: struct exs_merge is heap-allocated (_new/_free) and owns the
 * host objects; exs_merge_hosts() returns a borrowed array.
 */
#ifndef EXSCAN_MERGE_H
#define EXSCAN_MERGE_H

#include <json-c/json.h>

#include "exscan/error.h"

struct exs_merge;

struct exs_merge *exs_merge_new(void);
void exs_merge_free(struct exs_merge *m);

/* --alias A=B: results named A belong to host B. Returns -1 on bad syntax. */
int exs_merge_add_alias(struct exs_merge *m, const char *spec, struct exs_error *err);

/* Adds one host object (a probe, walk or scan host); takes ownership. */
int exs_merge_add_host(struct exs_merge *m, struct json_object *host, const char *source,
                       struct exs_error *err);

/* Reads a JSON document ({"hosts": [...]}) or JSON lines (one host per line)
 * from `path` ("-" for standard input) and adds its hosts. Returns 0, or -1
 * naming the file and line that is not exscan JSON. */
int exs_merge_add_file(struct exs_merge *m, const char *path, struct exs_error *err);

/* The merged hosts in first-seen order: a borrowed JSON array. */
struct json_object *exs_merge_hosts(struct exs_merge *m);

#endif
