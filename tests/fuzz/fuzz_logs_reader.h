/* Shared body of the log-reader fuzz targets: one reader over arbitrary
 * bytes, then the findings and the timeline built from what it recorded.
 * Each fuzz_logs_<reader>.c defines FUZZ_LOG_KIND and includes this. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/logs.h"
#include "logs/logs_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_log_state *st = exs_log_state_new();
	struct exs_findings fs;

	if (!st)
		return 0;
	exs_findings_init(&fs);
	exs_logs_scan_mem((const char *)data, size, "fuzz.log", FUZZ_LOG_KIND, st, NULL);
	exs_logs_finish(st, &fs, NULL);
	json_object_put(exs_log_timeline_to_json(st));
	exs_findings_release(&fs);
	exs_log_state_free(st);
	return 0;
}
