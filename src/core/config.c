#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exscan/config.h"

static const char *const format_names[] = {
        [EXS_FORMAT_TEXT] = "text",   [EXS_FORMAT_JSON] = "json",   [EXS_FORMAT_JSONL] = "jsonl",
        [EXS_FORMAT_SARIF] = "sarif", [EXS_FORMAT_JUNIT] = "junit", [EXS_FORMAT_HTML] = "html",
};

/* EXSCAN_TODAY=YYYY-MM-DD stands in for today's date (tests, reproducible
 * reports); anything else is ignored and the clock is used. */
static time_t today_from_env(void)
{
	const char *s = getenv("EXSCAN_TODAY");
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%d", &tm)) || *end)
		return time(NULL);
	tm.tm_hour = 12;
	return timegm(&tm);
}

void exs_config_init(struct exs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->format = EXS_FORMAT_TEXT;
	cfg->formats_allowed = 1u << EXS_FORMAT_TEXT;
	cfg->fail_on = EXS_FAIL_ON_VULNERABLE;
	cfg->now = today_from_env();
	exs_probe_options_init(&cfg->probe);
}

void exs_config_release(struct exs_config *cfg)
{
	free((void *)cfg->report.aliases);
	cfg->report.aliases = NULL;
	cfg->report.n_aliases = 0;
	free((void *)cfg->scan.targets);
	free((void *)cfg->scan.fs_roots);
	free((void *)cfg->scan.fs_names);
	free(cfg->scan.target_ord);
	free(cfg->scan.fs_ord);
	memset(&cfg->scan, 0, sizeof(cfg->scan));
	free(cfg->data.builds_path);
	free(cfg->data.cves_path);
	cfg->data.builds_path = NULL;
	cfg->data.cves_path = NULL;
}

const char *exs_format_name(enum exs_format f)
{
	return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

int exs_format_parse(const char *name, enum exs_format *out)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum exs_format)i;
			return 0;
		}
	}
	return -1;
}
