/* Default data files: the installed layout first, the built-in copies as
 * fallback.  Kept in src/cli so that the library only ever takes paths. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "version_info.h"

const char *exs_cli_datadir(void)
{
	const char *env = getenv("EXSCAN_DATADIR");

	return env && env[0] ? env : EXS_DATADIR;
}

char *exs_cli_data_file(const char *name)
{
	const char *dir = exs_cli_datadir();
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *path = malloc(n);
	struct stat st;

	if (!path)
		return NULL;
	snprintf(path, n, "%s/%s", dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return NULL;
	}
	return path;
}

int exs_cli_default_tables(struct exs_config *cfg, struct exs_error *err)
{
	(void)err; /* a missing file is not an error: the built-in copy is used */
	if (!cfg->builds_path) {
		cfg->data.builds_path = exs_cli_data_file("exchange-builds.tsv");
		cfg->builds_path = cfg->data.builds_path;
	}
	if (!cfg->cves_path) {
		cfg->data.cves_path = exs_cli_data_file("exchange-cves.tsv");
		cfg->cves_path = cfg->data.cves_path;
	}
	/* the YARA rules: the engine reads each installed file that exists and
	 * falls back to the built-in copy of the others */
	cfg->walk.builtin_dir = exs_cli_datadir();
	return 0;
}
