/* libFuzzer target: one file's scan (read, hash, built-in YARA rules, match
 * recording, location policy) on arbitrary bytes, as the walker hands a
 * file in aspnet_client to a worker. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk/walk_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct exs_walk_engine *engine;
static struct exs_walk_options opts;
static struct exs_worker worker;
static struct exs_walk_layout layout;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exs_error err = {{0}};
	struct exs_walk_item it;
	int fd;

	if (!engine) {
		setenv("XDG_CACHE_HOME", "/tmp/exscan-fuzz-cache", 1);
		opts.max_size = 1 << 20;
		engine = exs_walk_engine_new(&opts, &err);
		if (!engine || exs_worker_init(&worker, engine, &opts, &err))
			abort();
	}
	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	memset(&it, 0, sizeof(it));
	it.fd = fd;
	it.relpath = strdup("inetpub/wwwroot/aspnet_client/system_web/f.aspx");
	if (!it.relpath) {
		close(fd);
		return 0;
	}
	it.name_off = strlen(it.relpath) - strlen("f.aspx");
	fstat(fd, &it.st);
	exs_worker_scan(&worker, &it, &layout);
	exs_findings_release(&worker.findings);
	exs_findings_init(&worker.findings);
	free(it.relpath);
	close(fd);
	return 0;
}
