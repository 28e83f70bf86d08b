/* src/cli/man.c: roff and completion text stays inert whatever the tables
 * hold (dots and quotes at line starts, backslashes, dashes, colons). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

static int noop_set(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	(void)cfg;
	(void)id;
	(void)arg;
	(void)err;
	return 0;
}

static int noop_run(struct exs_config *cfg)
{
	(void)cfg;
	return 0;
}

static const struct exs_option hostile_options[] = {
        EXS_OPTION_FORMAT,
        {"dot-help", 'd', "FILE", ".SH INJECTED\nline two", 100, NULL},
        {"back\\slash", 0, NULL, "'quote start and \\fB bold", 101, NULL},
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

static const struct exs_command hostile = {
        .name = "hostile",
        .synopsis = "[OPTIONS] -x FILE...",
        .summary = ".TH fake summary",
        .description = ".TH EVIL 1\n'br\nback\\slash and \\fI italic",
        .formats = "text|json",
        .options = hostile_options,
        .set_option = noop_set,
        .run = noop_run,
};

static char *capture_man(const struct exs_command *cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	exs_cli_print_man(fp, cmd);
	assert_int_equal(fclose(fp), 0);
	return text;
}

/* Every line that roff would read as a request is one the generator meant. */
static void only_known_requests(const char *text)
{
	static const char *const known[] = {".TH ", ".SH ", ".TP", ".B ",    ".BR ", ".I ",
	                                    ".IR ", ".RI ", ".br", ".\\\" ", NULL};
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (line[0] == '.' || line[0] == '\'') {
			bool ok = false;

			for (size_t i = 0; known[i]; i++)
				if (strncmp(line, known[i], strlen(known[i])) == 0)
					ok = true;
			if (!ok)
				fail_msg("unexpected roff request: %.*s", (int)n, line);
		}
		line += n + (nl ? 1 : 0);
	}
}

static void hostile_text_is_escaped(void **state)
{
	char *text = capture_man(&hostile);

	(void)state;
	only_known_requests(text);
	/* the description's own ".TH" became text, so there is exactly one .TH */
	assert_non_null(strstr(text, "\n\\&.TH EVIL 1\n"));
	assert_null(strstr(strstr(text, ".TH ") + 1, "\n.TH "));
	assert_non_null(strstr(text, "\n\\&'br\n"));
	assert_non_null(strstr(text, "\n\\&.SH INJECTED\n"));
	assert_non_null(strstr(text, "back\\eslash and \\efI italic"));
	assert_non_null(strstr(text, "\\fB\\-\\-back\\eslash\\fR"));
	assert_non_null(strstr(text, "\\fB\\-d\\fR, \\fB\\-\\-dot\\-help\\fR \\fIFILE\\fR"));
	/* --format shows the command's formats */
	assert_non_null(strstr(text, "\\fB\\-\\-format\\fR \\fItext|json\\fR"));
	/* the synopsis: capitals as metavariables, dashes as minus signs */
	assert_non_null(strstr(text, "\\&[\\fIOPTIONS\\fR] \\-x \\fIFILE\\fR..."));
	assert_non_null(strstr(text, ".TH EXSCAN\\-HOSTILE 1 "));
	free(text);
}

static void real_pages_use_only_known_requests(void **state)
{
	char *text = capture_man(NULL);

	(void)state;
	only_known_requests(text);
	for (size_t i = 0; exs_commands[i]; i++) {
		char want[128];

		snprintf(want, sizeof(want), ".BR exscan\\-%s (1)", exs_commands[i]->name);
		assert_non_null(strstr(text, want));
	}
	free(text);
	for (size_t i = 0; exs_commands[i]; i++) {
		text = capture_man(exs_commands[i]);
		only_known_requests(text);
		free(text);
	}
}

static void source_date_epoch_sets_the_date(void **state)
{
	char *text;

	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* 2023-11-14 */
	text = capture_man(NULL);
	assert_non_null(strstr(text, ".TH EXSCAN 1 2023-11-14 "));
	free(text);
	unsetenv("SOURCE_DATE_EPOCH");
}

static void completions(void **state)
{
	struct exs_error err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(exs_cli_print_completion(fp, "zsh", &err), 0);
	fclose(fp);
	/* a colon in a help text would end the zsh description: escaped */
	assert_non_null(strstr(text, "at or above LEVEL\\: compromised"));
	assert_non_null(strstr(text, ":LEVEL:(compromised vulnerable at-risk never)'"));
	free(text);

	fp = open_memstream(&text, &len);
	assert_int_equal(exs_cli_print_completion(fp, "fish", &err), -1);
	fclose(fp);
	assert_non_null(strstr(err.msg, "'fish'"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hostile_text_is_escaped),
	        cmocka_unit_test(real_pages_use_only_known_requests),
	        cmocka_unit_test(source_date_epoch_sets_the_date),
	        cmocka_unit_test(completions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
