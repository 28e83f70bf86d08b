/* MERGE HOOK between the walker and the log readers of src/logs (issue 4).
 *
 * This is the only place where src/walk calls into src/logs.  The logs
 * branch provides (include/exscan/logs.h):
 *   enum exs_log_kind exs_logs_classify(const char *relpath);   EXS_LOG_NONE = not a log
 *   int exs_logs_scan_fd(int fd, const char *relpath, enum exs_log_kind kind,
 *                        struct exs_log_state *st, struct exs_error *err);
 *   exs_logs_finish(struct exs_log_state *st, struct exs_findings *out);
 * To wire it: include "exscan/logs.h", create the state in BEGIN, replace
 * classify_fallback() by exs_logs_classify(), call exs_logs_scan_fd() in SCAN
 * (return its status; 0 = read) and exs_logs_finish() plus the state's free
 * function in FINISH.  The walker calls SCAN from several worker threads at
 * once with the same state (the log readers' state is thread-safe).
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "walk_internal.h"

/* Until the log readers are merged: the files they will read, by path. */
static int classify_fallback(const char *relpath)
{
	const char *dot = strrchr(relpath, '.');
	const char *slash = strrchr(relpath, '/');
	bool in_logging = false;

	for (const char *p = relpath; *p; p++)
		if ((p == relpath || p[-1] == '/') &&
		    (strncasecmp(p, "Logging/", 8) == 0 || strncasecmp(p, "LogFiles/", 9) == 0 ||
		     strncasecmp(p, "winevt/Logs/", 12) == 0))
			in_logging = true;
	if (dot && (!slash || dot > slash) &&
	    (strcasecmp(dot, ".log") == 0 || strcasecmp(dot, ".evtx") == 0))
		return 1;
	return in_logging ? 1 : 0;
}

int exs_walk_log_hook(struct exs_walk_log_call *c)
{
	switch (c->op) {
	case EXS_WALK_LOG_BEGIN:
		c->state = NULL;
		return 0;
	case EXS_WALK_LOG_CLASSIFY:
		c->kind = classify_fallback(c->relpath);
		return 0;
	case EXS_WALK_LOG_SCAN:
		return 1; /* no log reader in this build */
	case EXS_WALK_LOG_FINISH:
		return 0;
	}
	return 0;
}
