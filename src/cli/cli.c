/* argv -> config -> the subcommand -> exit code. */
#include <curl/curl.h>
#include <magic.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yara.h>

#include "cli.h"
#include "exscan/kb.h"
#include "version_info.h"

const struct exs_command *const exs_commands[] = {
        &exs_cmd_builds,
        &exs_cmd_probe,
        NULL,
};

static const struct exs_command *find_command(const char *name)
{
	for (size_t i = 0; exs_commands[i]; i++)
		if (strcmp(exs_commands[i]->name, name) == 0)
			return exs_commands[i];
	return NULL;
}

void exs_cli_print_help(FILE *fp)
{
	fprintf(fp,
	        "usage: exscan COMMAND [OPTIONS] [ARGS]\n"
	        "       exscan help COMMAND\n"
	        "       exscan --version\n\n"
	        "exscan tells the people who run Microsoft Exchange servers which build a server\n"
	        "runs, which known holes are open, and whether there is evidence of compromise.\n\n"
	        "commands:\n");
	for (size_t i = 0; exs_commands[i]; i++)
		fprintf(fp, "  %-10s %s\n", exs_commands[i]->name, exs_commands[i]->summary);
	fprintf(fp, "  %-10s %s\n", "help", "show the help of a command");
	fprintf(fp, "\noptions:\n"
	            "  -h, --help      show this help and exit\n"
	            "  -V, --version   show the versions of exscan, its libraries and its tables\n"
	            "\nexit codes:\n"
	            "  0  ok: nothing reached the --fail-on threshold\n"
	            "  1  a result reached the --fail-on threshold\n"
	            "  2  usage or configuration error\n"
	            "  3  incomplete: something could not be scanned\n");
}

int exs_cli_print_version(FILE *fp, const struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	int mv = magic_version();
	struct exs_kb *kb;

	fprintf(fp, "exscan %s\n", EXS_VERSION_STRING);
	fprintf(fp, "libyara %d.%d.%d\n", YR_MAJOR_VERSION, YR_MINOR_VERSION, YR_MICRO_VERSION);
	fprintf(fp, "libcurl %s\n", cv->version);
	fprintf(fp, "%s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(fp, "libmagic %d.%02d\n", mv / 100, mv % 100);
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan: %s\n", err.msg);
		return EXS_EXIT_USAGE;
	}
	fprintf(fp, "build table: %s, %zu builds, newest release %s\n", exs_kb_builds_source(kb),
	        exs_kb_build_count(kb), exs_kb_newest_date(kb));
	fprintf(fp, "cve table: %s, %zu CVEs\n", exs_kb_cves_source(kb), exs_kb_cve_count(kb));
	exs_kb_free(kb);
	return EXS_EXIT_OK;
}

static int run_help(int argc, char **argv)
{
	const struct exs_command *cmd;

	if (argc < 2) {
		exs_cli_print_help(stdout);
		return EXS_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "exscan: no command '%s'; 'exscan --help' lists them\n", argv[1]);
		return EXS_EXIT_USAGE;
	}
	exs_cli_print_command_help(stdout, cmd);
	return EXS_EXIT_OK;
}

int exs_cli_main(int argc, char **argv)
{
	struct exs_config cfg;
	struct exs_error err = {{0}};
	const struct exs_command *cmd;
	int rc = EXS_EXIT_OK, i;
	bool want_version = false;

	exs_config_init(&cfg);
	cfg.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	/* options before the command name: only --help, --version, --builds, --cves */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			exs_cli_print_help(stdout);
			goto out;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			want_version = true;
		} else if ((strcmp(a, "--builds") == 0 || strcmp(a, "--cves") == 0) &&
		           i + 1 < argc) {
			if (a[2] == 'b')
				cfg.builds_path = argv[++i];
			else
				cfg.cves_path = argv[++i];
		} else if (strncmp(a, "--builds=", 9) == 0) {
			cfg.builds_path = a + 9;
		} else if (strncmp(a, "--cves=", 7) == 0) {
			cfg.cves_path = a + 7;
		} else {
			fprintf(stderr, "exscan: unknown option '%s'; see 'exscan --help'\n", a);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
	}
	if (want_version) {
		rc = exs_cli_print_version(stdout, &cfg);
		goto out;
	}
	if (i >= argc) {
		exs_cli_print_help(stderr);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	if (strcmp(argv[i], "help") == 0) {
		rc = run_help(argc - i, argv + i);
		goto out;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "exscan: no command '%s'; 'exscan --help' lists them\n", argv[i]);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	switch (exs_cli_parse(cmd, &cfg, argc - i, argv + i, &err)) {
	case 0:
		rc = cmd->run(&cfg);
		break;
	case 1:
		rc = EXS_EXIT_OK; /* help printed */
		break;
	default:
		fprintf(stderr, "%s\n", err.msg);
		rc = EXS_EXIT_USAGE;
		break;
	}
out:
	exs_config_release(&cfg);
	return rc;
}
