/* MERGE HOOK between the walker and src/logs (issue 4): the only place where
 * src/walk calls the log readers and artifact checks.
 *
 * With include/exscan/logs.h (branch logs) the calls below are compiled in;
 * without it, log files are still recognised by path (so they are kept away
 * from YARA) and reported as skipped: no log reader in this build.  The
 * walker calls SCAN from several worker threads at once with the same
 * state (exs_log_state is thread-safe); BEGIN, INDICATOR and FINISH come
 * from the walking thread, before the workers start or after they end.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "walk_internal.h"

#if defined(__has_include)
#if __has_include("exscan/logs.h")
#define EXS_HAVE_LOGS 1
#include "exscan/logs.h"
#endif
#endif

#ifdef EXS_HAVE_LOGS

int exs_walk_log_hook(struct exs_walk_log_call *c)
{
	switch (c->op) {
	case EXS_WALK_LOG_BEGIN:
		c->state = exs_log_state_new();
		return c->state ? 0 : exs_error_set(c->err, "out of memory for the log readers");
	case EXS_WALK_LOG_CLASSIFY:
		c->kind = (int)exs_logs_classify(c->relpath);
		c->artifact = c->kind ? 0 : (int)exs_logs_classify_artifact(c->relpath);
		return 0;
	case EXS_WALK_LOG_SCAN:
		if (!c->state)
			return 1;
		if (c->artifact)
			return exs_logs_check_artifact(c->fd, c->relpath,
			                               (enum exs_artifact_kind)c->artifact, c->st,
			                               c->state, c->err);
		return exs_logs_scan_fd(c->fd, c->relpath, (enum exs_log_kind)c->kind, c->state,
		                        c->err);
	case EXS_WALK_LOG_INDICATOR:
		if (c->state)
			exs_log_state_note_indicator(c->state);
		return 0;
	case EXS_WALK_LOG_FINISH: {
		int rc = 0;

		if (c->state && c->out) {
			struct exs_log_stats s;

			rc = exs_logs_finish(c->state, c->out, c->err);
			if (rc == 0)
				rc = exs_logs_coverage(c->state, c->out, c->err);
			exs_log_state_stats(c->state, &s);
			c->unreadable_records = s.unreadable_records;
			c->days = exs_log_timeline_to_json(c->state);
		}
		exs_log_state_free(c->state);
		c->state = NULL;
		return rc;
	}
	}
	return 0;
}

#else /* no log readers in this build */

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
		c->artifact = 0;
		return 0;
	case EXS_WALK_LOG_SCAN:
		return 1;
	case EXS_WALK_LOG_INDICATOR:
	case EXS_WALK_LOG_FINISH:
		c->state = NULL;
		return 0;
	}
	return 0;
}

#endif
