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
        &exs_cmd_probe,  &exs_cmd_walk, &exs_cmd_scan, &exs_cmd_report,
        &exs_cmd_builds, &exs_cmd_logs, NULL,
};

const struct exs_option exs_global_options[] = {
        EXS_OPTION_HELP,
        {"version", 'V', NULL, "show the versions of exscan, its libraries and its tables",
         EXS_OPT_VERSION},
        EXS_OPTION_BUILDS,
        EXS_OPTION_CVES,
        EXS_OPTION_END,
};

const char exs_cli_about[] =
        "exscan tells the people who run Microsoft Exchange servers which build a server\n"
        "runs, which known holes are open, and whether there is evidence of compromise.";

const struct exs_exit_doc exs_exit_docs[] = {
        {0, "ok: nothing reached the --fail-on threshold"},
        {1, "a result reached the --fail-on threshold"},
        {2, "usage or configuration error"},
        {3, "incomplete: something could not be scanned (1 wins when both hold)"},
        {4, "the output could not be written (device full, closed pipe, no permission): "
            "the results are lost; wins over 1 and 3"},
        {130, "probe stopped by SIGINT (Ctrl-C; 143: SIGTERM) after closing its output, "
              "which is complete up to the hosts finished"},
        {0, NULL},
};

const struct exs_command *exs_cli_find_command(const char *name)
{
	for (size_t i = 0; exs_commands[i]; i++)
		if (strcmp(exs_commands[i]->name, name) == 0)
			return exs_commands[i];
	return NULL;
}

void exs_cli_print_help(FILE *fp)
{
	fprintf(fp,
	        "usage: exscan [OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	        "       exscan help COMMAND\n"
	        "       exscan --version\n\n"
	        "%s\n\n"
	        "commands:\n",
	        exs_cli_about);
	for (size_t i = 0; exs_commands[i]; i++)
		fprintf(fp, "  %-10s %s\n", exs_commands[i]->name, exs_commands[i]->summary);
	fprintf(fp, "  %-10s %s\n", "help", "show the help of a command");
	fprintf(fp, "\noptions:\n");
	for (const struct exs_option *o = exs_global_options; o->name; o++) {
		char left[80];

		exs_cli_option_tag(left, sizeof(left), NULL, o);
		fprintf(fp, "  %-22s %s\n", left, o->help);
	}
	fprintf(fp, "\nexit codes:\n");
	for (const struct exs_exit_doc *e = exs_exit_docs; e->meaning; e++)
		fprintf(fp, "  %d  %s\n", e->code, e->meaning);
}

int exs_cli_print_version(FILE *fp, const struct exs_config *cfg)
{
	static const char *const rule_files[] = {"webshells.yar", "exchange.yar"};
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
	for (size_t i = 0; i < sizeof(rule_files) / sizeof(rule_files[0]); i++) {
		char *path = cfg->walk.builtin_dir ? exs_cli_data_file(rule_files[i]) : NULL;

		if (path)
			fprintf(fp, "rules: %s\n", path);
		else
			fprintf(fp, "rules: built-in %s\n", rule_files[i]);
		free(path);
	}
	exs_kb_free(kb);
	return EXS_EXIT_OK;
}

/* exscan help [COMMAND]; the packaging build also uses the undocumented
 * forms "help --man [COMMAND]", "help --man-dir DIR" and
 * "help --completion bash|zsh". */
static int run_help(int argc, char **argv)
{
	struct exs_error err = {{0}};
	const struct exs_command *cmd = NULL;
	const char *name = argc >= 2 ? argv[1] : NULL;
	bool man = false;
	int rc = EXS_EXIT_OK;

	if (name && strcmp(name, "--completion") == 0) {
		if (argc != 3) {
			fprintf(stderr, "exscan help: --completion takes bash or zsh\n");
			return EXS_EXIT_USAGE;
		}
		rc = exs_cli_print_completion(stdout, argv[2], &err);
		goto out;
	}
	if (name && strcmp(name, "--man-dir") == 0) {
		if (argc != 3) {
			fprintf(stderr, "exscan help: --man-dir takes a directory\n");
			return EXS_EXIT_USAGE;
		}
		rc = exs_cli_write_man_dir(argv[2], &err);
		goto out;
	}
	if (name && strcmp(name, "--man") == 0) {
		man = true;
		name = argc >= 3 ? argv[2] : NULL;
	}
	if (name) {
		cmd = exs_cli_find_command(name);
		if (!cmd) {
			fprintf(stderr, "exscan: no command '%s'; 'exscan --help' lists them\n",
			        name);
			return EXS_EXIT_USAGE;
		}
	}
	if (man)
		exs_cli_print_man(stdout, cmd);
	else if (cmd)
		exs_cli_print_command_help(stdout, cmd);
	else
		exs_cli_print_help(stdout);
out:
	if (rc) {
		fprintf(stderr, "exscan help: %s\n", err.msg);
		return EXS_EXIT_USAGE;
	}
	return EXS_EXIT_OK;
}

static const struct exs_option *find_global(const char *a, const char **value)
{
	*value = NULL;
	for (const struct exs_option *o = exs_global_options; o->name; o++) {
		size_t n = strlen(o->name);

		if (a[1] != '-') {
			if (o->short_name && a[1] == o->short_name && a[2] == '\0')
				return o;
			continue;
		}
		if (strncmp(a + 2, o->name, n) != 0)
			continue;
		if (a[2 + n] == '\0')
			return o;
		if (a[2 + n] == '=' && o->arg) {
			*value = a + 3 + n;
			return o;
		}
	}
	return NULL;
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
	/* options before the command name: those of exs_global_options[] */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *value;
		const struct exs_option *o = find_global(argv[i], &value);

		if (!o) {
			fprintf(stderr, "exscan: unknown option '%s'; see 'exscan --help'\n",
			        argv[i]);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
		if (o->arg && !value) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				        "exscan: option '%s' needs a value; see 'exscan --help'\n",
				        argv[i]);
				rc = EXS_EXIT_USAGE;
				goto out;
			}
			value = argv[++i];
		}
		switch (o->id) {
		case EXS_OPT_HELP:
			exs_cli_print_help(stdout);
			goto out;
		case EXS_OPT_VERSION:
			want_version = true;
			break;
		case EXS_OPT_BUILDS:
			cfg.builds_path = value;
			break;
		case EXS_OPT_CVES:
			cfg.cves_path = value;
			break;
		default:
			fprintf(stderr, "exscan: option '%s' has no handler (a bug)\n", argv[i]);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
	}
	if (want_version) {
		exs_cli_default_tables(&cfg, &err);
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
	cmd = exs_cli_find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "exscan: no command '%s'; 'exscan --help' lists them\n", argv[i]);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	switch (exs_cli_parse(cmd, &cfg, argc - i, argv + i, &err)) {
	case 0:
		exs_cli_default_tables(&cfg, &err);
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
