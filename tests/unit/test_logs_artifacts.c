/* Attacker artifacts on generated files. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/logs.h"

static char tmpdir[] = "/tmp/exscan-art-test.XXXXXX";

/* Writes data to a scratch file and runs the artifact check for relpath. */
static void check(struct exs_log_state *st, const char *relpath, const char *data, size_t n)
{
	struct exs_error err = {{0}};
	enum exs_artifact_kind kind = exs_logs_classify_artifact(relpath);
	char path[256];
	struct stat sb;
	FILE *fp;
	int fd;

	assert_int_not_equal(kind, EXS_ARTIFACT_NONE);
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	if (exs_logs_check_artifact(fd, relpath, kind, &sb, st, &err))
		fail_msg("check failed: %s", err.msg);
	close(fd);
}

static const struct exs_finding *find(const struct exs_findings *fs, const char *rule)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->items[i].rule, rule) == 0)
			return &fs->items[i];
	return NULL;
}

static void classify(void **state)
{
	(void)state;
	assert_int_equal(exs_logs_classify_artifact("Windows/Temp/lsass.DMP"), EXS_ARTIFACT_DUMP);
	assert_int_equal(exs_logs_classify_artifact("ProgramData/COM/stage.7z"),
	                 EXS_ARTIFACT_ARCHIVE);
	assert_int_equal(exs_logs_classify_artifact("Users/x/stage.zip"), EXS_ARTIFACT_NONE);
	assert_int_equal(exs_logs_classify_artifact("ProgramData/Microsoft/Windows/WER/"
	                                            "ReportArchive/AppCrash_w3wp.exe_1/Report.wer"),
	                 EXS_ARTIFACT_WER);
	assert_int_equal(exs_logs_classify_artifact(
	                         "Windows/System32/inetsrv/config/applicationHost.config"),
	                 EXS_ARTIFACT_APPHOST);
	assert_int_equal(exs_logs_classify_artifact("inetpub/wwwroot/web.config"),
	                 EXS_ARTIFACT_NONE);
}

static void archive_needs_another_indicator(void **state)
{
	struct exs_log_state *st = exs_log_state_new();
	struct exs_findings fs;

	(void)state;
	exs_findings_init(&fs);
	check(st, "ProgramData/COM/stage.zip", "PK\x03\x04rest", 8);
	assert_int_equal(exs_logs_finish(st, &fs, NULL), 0);
	assert_int_equal(fs.n, 0); /* alone: not reported */
	exs_log_state_note_indicator(st);
	assert_int_equal(exs_logs_finish(st, &fs, NULL), 0);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.items[0].kind, EXS_FINDING_ARTIFACT);
	assert_string_equal(fs.items[0].path, "ProgramData/COM/stage.zip");
	assert_int_equal(fs.items[0].size, 8);
	exs_findings_release(&fs);
	exs_log_state_free(st);
}

static void dumps_wer_apphost(void **state)
{
	struct exs_log_state *st = exs_log_state_new();
	struct exs_findings fs;
	const struct exs_finding *f;
	/* Report.wer is UTF-16LE with a BOM: "AppName=w3wp.exe\r\n" after a line */
	static const char wer[] = "\xff\xfe"
	                          "V\0e\0r\0s\0i\0o\0n\0=\0001\0\r\0\n\0"
	                          "A\0p\0p\0N\0a\0m\0e\0=\0w\0003\0w\0p\0.\0e\0x\0e\0\r\0\n\0";
	static const char wer_benign[] = "\xff\xfe"
	                                 "A\0p\0p\0N\0a\0m\0e\0=\0n\0o\0t\0e\0p\0a\0d\0\r\0\n\0";
	static const char apphost[] =
	        "<configuration>\r\n"
	        "<application path=\"/owa\">\r\n"
	        "  <virtualDirectory path=\"/\" physicalPath=\"C:\\Program Files\\Microsoft\\Exchange "
	        "Server\\V15\\FrontEnd\\HttpProxy\\owa\" />\r\n"
	        "  <virtualDirectory path=\"/zing\" physicalPath=\"C:\\ProgramData\\ZING\" />\r\n"
	        "</application>\r\n";

	(void)state;
	exs_findings_init(&fs);
	check(st, "Windows/Temp/lsass.dmp", "MDMP\x93\xa7", 6);
	check(st, "root/procdump.dmp", "MDMP\x93\xa7", 6);
	check(st, "root/notadump.dmp", "text", 4);
	check(st,
	      "ProgramData/Microsoft/Windows/WER/ReportArchive/AppCrash_w3wp.exe_1/"
	      "Report.wer",
	      wer, sizeof(wer) - 1);
	check(st, "ProgramData/Microsoft/Windows/WER/ReportArchive/AppCrash_notepad_1/Report.wer",
	      wer_benign, sizeof(wer_benign) - 1);
	check(st, "Windows/System32/inetsrv/config/applicationHost.config", apphost,
	      sizeof(apphost) - 1);
	check(st, "ProgramData/COM/stage.rar", "Rar!\x1a\x07", 6);
	assert_int_equal(exs_logs_finish(st, &fs, NULL), 0);
	assert_int_equal(fs.n, 5);
	f = find(&fs, "artifact-lsass-dump");
	assert_non_null(f);
	assert_int_equal(f->score, 85);
	f = find(&fs, "artifact-process-dump");
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_string_equal(f->path, "root/procdump.dmp");
	f = find(&fs, "artifact-wer-w3wp");
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->line, 2);
	f = find(&fs, "artifact-vdir-programdata");
	assert_non_null(f);
	assert_int_equal(f->line, 4);
	assert_non_null(strstr(f->excerpt, "ZING"));
	/* the rar is reported: other indicators exist */
	assert_non_null(find(&fs, "artifact-programdata-archive"));
	exs_findings_release(&fs);
	exs_log_state_free(st);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(classify),
	        cmocka_unit_test(archive_needs_another_indicator),
	        cmocka_unit_test(dumps_wer_apphost),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
