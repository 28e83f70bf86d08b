/* libFuzzer target: the artifact checks that read file contents (WER
 * reports, applicationHost.config, dump magic) over arbitrary bytes. The
 * first byte picks the check. */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exscan/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
	        "ProgramData/Microsoft/Windows/WER/ReportQueue/AppCrash_w3wp.exe_1/Report.wer",
	        "Windows/System32/inetsrv/config/applicationHost.config",
	        "root/x.dmp",
	};
	struct exs_log_state *st;
	struct exs_findings fs;
	struct stat sb;
	const char *path;
	int fd;

	if (size < 1)
		return 0;
	path = paths[data[0] % 3];
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) ||
	    fstat(fd, &sb)) {
		close(fd);
		return 0;
	}
	st = exs_log_state_new();
	if (st) {
		exs_findings_init(&fs);
		exs_logs_check_artifact(fd, path, exs_logs_classify_artifact(path), &sb, st, NULL);
		exs_logs_finish(st, &fs, NULL);
		exs_findings_release(&fs);
		exs_log_state_free(st);
	}
	close(fd);
	return 0;
}
