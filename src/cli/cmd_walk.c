/* exscan walk ROOT...: webshells, IOC files and unexpected pages on disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exscan/kb.h"
#include "exscan/report.h"
#include "exscan/writer.h"
#include "exscan/walk.h"

enum {
	OPT_JOBS = EXS_OPT_COMMAND_BASE,
	OPT_RULES,
	OPT_NO_BUILTIN,
	OPT_IOC,
	OPT_ALL_FILES,
	OPT_CROSS_FS,
	OPT_NO_LOGS,
	OPT_EXCHANGE_DIR,
	OPT_HOST,
	OPT_MAX_SIZE,
	OPT_TIMEOUT,
	OPT_NO_CACHE,
	OPT_WHOLE_FILES,
	OPT_SHARD,
	OPT_PARTITION,
	OPT_VOLUME,
};

static const struct exs_option walk_options[] = {
        EXS_OPTION_FORMAT,
        EXS_OPTION_OUTPUT,
        EXS_OPTION_FAIL_ON,
        {"jobs", 'j', "N", "scan with N worker threads (default: one per CPU)", OPT_JOBS},
        {"rules", 0, "FILE|DIR",
         "also use these YARA rules (every .yar/.yara below DIR; includes relative to the "
         "including file); repeatable",
         OPT_RULES},
        {"no-builtin-rules", 0, NULL,
         "do not use exscan's built-in rules (nor its capability model)", OPT_NO_BUILTIN},
        {"ioc", 0, "FILE", "flag files whose MD5, SHA-1 or SHA-256 is listed in FILE; repeatable",
         OPT_IOC},
        {"all-files", 0, NULL, "scan every regular file, not only web content", OPT_ALL_FILES},
        {"cross-fs", 0, NULL, "descend into other mounted file systems", OPT_CROSS_FS},
        {"no-logs", 0, NULL, "do not hand log files to the log readers; treat them as other files",
         OPT_NO_LOGS},
        {"exchange-dir", 0, "DIR", "the Exchange directory (V15), relative to the root",
         OPT_EXCHANGE_DIR},
        {"host", 0, "NAME", "name the host in the report (default: the root's name)", OPT_HOST},
        {"max-size", 0, "SIZE",
         "scan at most SIZE bytes of a file (K, M, G; default 64M); a larger server page: its "
         "first and last SIZE/2, reported as oversized",
         OPT_MAX_SIZE},
        {"timeout", 0, "SECONDS",
         "stop YARA on a file after SECONDS, keeping what it found (default 30)", OPT_TIMEOUT},
        {"no-rules-cache", 0, NULL, "neither read nor write the compiled-rules cache",
         OPT_NO_CACHE},
        {"whole-files", 0, NULL,
         "give YARA every byte of large files; by default, with the built-in rules alone, it "
         "reads only the parts around their atoms (the same matches, faster)",
         OPT_WHOLE_FILES},
        {"shard", 0, "K/N",
         "walk only part K of N of the roots: the i-th ROOT given (from 0) when i mod N = K-1",
         OPT_SHARD},
        {"partition", 0, "N",
         "a disk image ROOT: walk only the NTFS volume of partition N (1 is the first in its "
         "table)",
         OPT_PARTITION},
        {"volume", 0, "OFFSET",
         "a disk image ROOT: walk only the NTFS volume that starts OFFSET bytes into the disk",
         OPT_VOLUME},
        EXS_OPTION_NO_COLOR,
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

static int parse_number(const char *arg, bool suffix, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!arg[0] || arg[0] == '-')
		return -1;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return -1;
	if (suffix && *end) {
		int shift = *end == 'K' || *end == 'k'   ? 10
		            : *end == 'M' || *end == 'm' ? 20
		            : *end == 'G' || *end == 'g' ? 30
		                                         : -1;

		if (shift < 0 || end[1] || v > (~0ULL >> shift))
			return -1;
		v <<= shift;
		end++;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int walk_set_option(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	struct exs_walk_options *o = &cfg->walk;
	unsigned long long v;

	switch (id) {
	case OPT_SHARD: {
		struct exs_error e = {{0}};

		if (exs_shard_parse(arg, &cfg->shard, &e))
			return exs_error_set(err, "exscan walk: %s", e.msg);
		return 0;
	}
	case OPT_JOBS:
		if (parse_number(arg, false, &v) || v < 1 || v > 256)
			return exs_error_set(
			        err, "exscan walk: --jobs '%s' is not a number from 1 to 256", arg);
		o->jobs = (int)v;
		return 0;
	case OPT_RULES:
		if (o->n_rule_paths == EXS_WALK_MAX_RULE_PATHS)
			return exs_error_set(err,
			                     "exscan walk: at most %d --rules; give a directory",
			                     EXS_WALK_MAX_RULE_PATHS);
		o->rule_paths[o->n_rule_paths++] = arg;
		return 0;
	case OPT_NO_BUILTIN:
		o->no_builtin_rules = true;
		return 0;
	case OPT_IOC:
		if (o->n_ioc_paths == EXS_WALK_MAX_IOC_PATHS)
			return exs_error_set(err, "exscan walk: at most %d --ioc lists; join them",
			                     EXS_WALK_MAX_IOC_PATHS);
		o->ioc_paths[o->n_ioc_paths++] = arg;
		return 0;
	case OPT_ALL_FILES:
		o->all_files = true;
		return 0;
	case OPT_CROSS_FS:
		o->cross_fs = true;
		return 0;
	case OPT_NO_LOGS:
		o->no_logs = true;
		return 0;
	case OPT_EXCHANGE_DIR:
		o->exchange_dir = arg;
		return 0;
	case OPT_HOST:
		o->host = arg;
		return 0;
	case OPT_MAX_SIZE:
		if (parse_number(arg, true, &v) || v < 1)
			return exs_error_set(
			        err, "exscan walk: --max-size '%s' is not a size such as 64M", arg);
		o->max_size = v;
		return 0;
	case OPT_TIMEOUT:
		if (parse_number(arg, false, &v) || v < 1 || v > 86400)
			return exs_error_set(
			        err,
			        "exscan walk: --timeout '%s' is not a number of seconds "
			        "from 1 to 86400",
			        arg);
		o->timeout = (int)v;
		return 0;
	case OPT_NO_CACHE:
		o->no_cache = true;
		return 0;
	case OPT_WHOLE_FILES:
		o->no_prefilter = true;
		return 0;
	case OPT_PARTITION:
		if (parse_number(arg, false, &v) || v < 1 || v > 4096)
			return exs_error_set(
			        err, "exscan walk: --partition '%s' is not a number from 1 to 4096",
			        arg);
		o->partition = (unsigned)v;
		return 0;
	case OPT_VOLUME:
		if (parse_number(arg, true, &v))
			return exs_error_set(err, "exscan walk: --volume '%s' is not a byte offset",
			                     arg);
		o->volume_given = true;
		o->volume = v;
		return 0;
	default:
		return exs_error_set(err, "exscan walk: option id %d has no handler (a bug)", id);
	}
}

/* compromised: an alert-level webshell, IOC or successful-exploitation finding */
static enum exs_fail_on level_of(const struct exs_walk_host *h)
{
	enum exs_fail_on level = EXS_FAIL_ON_NEVER;

	for (size_t i = 0; i < h->findings.n; i++) {
		const struct exs_finding *f = &h->findings.items[i];
		enum exs_severity s = exs_severity_of(f->score);

		if (s == EXS_SEVERITY_ALERT &&
		    (f->kind == EXS_FINDING_WEBSHELL || f->kind == EXS_FINDING_IOC ||
		     (f->kind == EXS_FINDING_LOG && f->success)))
			return EXS_FAIL_ON_COMPROMISED;
		if (f->kind != EXS_FINDING_ERROR && s >= EXS_SEVERITY_WARNING)
			level = EXS_FAIL_ON_AT_RISK;
	}
	return level;
}

/* A build read from the disk is judged later (scan, report) with the tables:
 * a walk that found one says how old they are, as every output that carries
 * a build does (JSON: "tables"; text: a note once they may be stale). */
struct walk_tables {
	struct exs_report_meta meta; /* tables_newest is a copy, freed at the end */
	int state;                   /* 0: not read yet, 1: read, -1: the tables failed */
};

/* The tables' age, read once a run (the first host with a disk build). */
static const struct exs_report_meta *tables_meta(struct exs_config *cfg, struct walk_tables *t)
{
	struct exs_error err = {{0}};
	struct exs_kb *kb;

	if (t->state)
		return t->state > 0 ? &t->meta : NULL;
	t->state = -1;
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan walk: warning: %s\n", err.msg);
		return NULL;
	}
	exs_report_meta_tables(&t->meta, kb, cfg->now);
	/* the date is static text of the tables: keep a copy past them */
	t->meta.tables_newest = t->meta.tables_newest ? strdup(t->meta.tables_newest) : NULL;
	exs_kb_free(kb);
	if (t->meta.tables_newest)
		t->state = 1;
	return t->state > 0 ? &t->meta : NULL;
}

static void walk_tables(struct exs_config *cfg, struct walk_tables *t, FILE *out,
                        struct json_object *root)
{
	const struct exs_report_meta *meta = tables_meta(cfg, t);
	char note[512];

	if (!meta)
		return;
	if (root)
		json_object_object_add(root, "tables", exs_tables_to_json(meta));
	else if (cfg->format == EXS_FORMAT_TEXT && meta->tables_stale)
		fprintf(out, "%s\n", exs_tables_note(meta, note, sizeof(note)));
}

void exs_cli_warn_atimes(const char *cmd, const char *root, const struct exs_walk_host *h,
                         bool *warned)
{
	if (!h->stats.atimes_changed || *warned)
		return;
	*warned = true;
	fprintf(stderr,
	        "exscan %s: warning: files under '%s' belong to another user, so Linux refuses "
	        "to read them without updating their access times (O_NOATIME): access times "
	        "will change; run as their owner or root, or mount the tree read-only or "
	        "with noatime\n",
	        cmd, root);
}

bool exs_cli_warn_incomplete(const char *cmd, const char *root, const struct exs_walk_host *h)
{
	if (h->stats.errors)
		fprintf(stderr,
		        "exscan %s: %llu files or directories under '%s' could not be scanned "
		        "(see the error findings)\n",
		        cmd, (unsigned long long)h->stats.errors, root);
	if (h->stats.pages_cut)
		fprintf(stderr,
		        "exscan %s: %llu server pages under '%s' are larger than --max-size and "
		        "were scanned in part (see the oversized-server-page findings)\n",
		        cmd, (unsigned long long)h->stats.pages_cut, root);
	return h->stats.errors || h->stats.pages_cut;
}

struct walk_out {
	FILE *out;
	struct json_object *arr;
	struct exs_config *cfg;
	bool *incomplete, *threshold, *warned, *disk_build;
	struct walk_tables *tables;
};

/* Walks one root (or one volume of a disk image) and writes its host. */
static void walk_one(struct exs_walk_engine *engine, const struct exs_walk_options *o,
                     const char *root, struct walk_out *wo)
{
	struct exs_error err = {{0}};
	struct exs_config *cfg = wo->cfg;
	struct exs_walk_host h;

	exs_walk_host_init(&h);
	if (exs_walk_run(engine, o, root, &h, &err)) {
		fprintf(stderr, "exscan walk: %s\n", err.msg);
		*wo->incomplete = true;
		exs_walk_host_release(&h);
		return;
	}
	exs_cli_warn_atimes("walk", root, &h, wo->warned);
	if (exs_cli_warn_incomplete("walk", root, &h))
		*wo->incomplete = true;
	*wo->threshold = *wo->threshold || exs_cli_reaches(level_of(&h), cfg->fail_on);
	*wo->disk_build = *wo->disk_build || h.layout.build;
	if (wo->arr) {
		json_object_array_add(wo->arr, exs_walk_host_to_json(&h));
	} else if (cfg->format == EXS_FORMAT_JSONL) {
		struct json_object *j = exs_walk_host_to_json(&h);

		/* a line with a disk build says the tables are stale (no document) */
		if (h.layout.build) {
			const struct exs_report_meta *meta = tables_meta(cfg, wo->tables);

			if (meta && meta->tables_stale)
				json_object_object_add(j, "tables", exs_tables_to_json(meta));
		}
		exs_json_write(wo->out, j, false);
		fputc('\n', wo->out);
		json_object_put(j);
	} else {
		exs_walk_host_write_text(wo->out, &h, cfg->color && wo->out == stdout);
	}
	exs_walk_host_release(&h);
}

static int walk_run(struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	struct exs_walk_engine *engine = NULL;
	struct json_object *root = NULL, *arr = NULL;
	FILE *out = NULL;
	int rc = EXS_EXIT_OK;
	bool incomplete = false, threshold = false, any = false, warned = false,
	     output_failed = false, disk_build = false;
	struct walk_tables tables = {{0}};

	if (cfg->nargs == 0) {
		fprintf(stderr, "exscan walk: give at least one directory to scan, e.g. /mnt/c\n");
		return EXS_EXIT_USAGE;
	}
	for (int i = 0; i < cfg->nargs; i++)
		any = any || exs_shard_owns(&cfg->shard, (uint64_t)i);
	if (!any) {
		/* no root in this shard: nothing to say (an empty -o FILE, so that
		 * collecting every shard's file works the same) */
		out = exs_cli_output_open(cfg, &err);
		if (!out || exs_cli_output_close(cfg, out, &err)) {
			fprintf(stderr, "exscan walk: %s\n", err.msg);
			return EXS_EXIT_OUTPUT;
		}
		return EXS_EXIT_OK;
	}
	for (int i = 0; i < cfg->nargs; i++) {
		if (exs_shard_owns(&cfg->shard, (uint64_t)i) &&
		    exs_cli_output_outside(cfg, cfg->args[i], &err)) {
			fprintf(stderr, "exscan walk: %s\n", err.msg);
			return EXS_EXIT_USAGE;
		}
	}
	engine = exs_walk_engine_new(&cfg->walk, &err);
	if (!engine) {
		fprintf(stderr, "exscan walk: %s\n", err.msg);
		return EXS_EXIT_USAGE;
	}
	for (size_t i = 0; i < exs_walk_engine_warning_count(engine); i++)
		fprintf(stderr, "exscan walk: warning: %s\n", exs_walk_engine_warning(engine, i));
	for (size_t i = 0; i < exs_walk_engine_problem_count(engine); i++) {
		fprintf(stderr, "exscan walk: %s\n", exs_walk_engine_problem(engine, i));
		incomplete = true;
	}
	out = exs_cli_output_open(cfg, &err);
	if (!out) {
		fprintf(stderr, "exscan walk: %s\n", err.msg);
		rc = EXS_EXIT_OUTPUT;
		goto out;
	}
	if (cfg->format == EXS_FORMAT_JSON) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "hosts", arr);
	}
	for (int i = 0; i < cfg->nargs; i++) {
		uint64_t *vols = NULL;
		char **problems = NULL;
		size_t n_vols = 0, n_problems = 0;
		int rc_plan;

		if (!exs_shard_owns(&cfg->shard, (uint64_t)i))
			continue;
		/* a disk image: one host per NTFS volume; what is not walked first */
		rc_plan = exs_walk_image_plan(&cfg->walk, cfg->args[i], &vols, &n_vols, &problems,
		                              &n_problems, &err);
		for (size_t k = 0; k < n_problems; k++) {
			fprintf(stderr, "exscan walk: '%s': %s\n", cfg->args[i], problems[k]);
			free(problems[k]);
		}
		free(problems);
		if (rc_plan) {
			fprintf(stderr, "exscan walk: %s\n", err.msg);
			incomplete = true;
			continue;
		}
		for (size_t v = 0; v < (n_vols > 1 ? n_vols : 1); v++) {
			struct walk_out wo = {out,        arr,     cfg,         &incomplete,
			                      &threshold, &warned, &disk_build, &tables};
			struct exs_walk_options o = cfg->walk;

			if (n_vols > 1) {
				o.volume_given = true;
				o.volume = vols[v];
				o.partition = 0;
			}
			walk_one(engine, &o, cfg->args[i], &wo);
		}
		free(vols);
	}
	if (disk_build)
		walk_tables(cfg, &tables, out, root);
	if (root) {
		exs_json_write(out, root, true);
		fputc('\n', out);
	}
	if (exs_cli_output_close(cfg, out, &err)) {
		fprintf(stderr, "exscan walk: %s\n", err.msg);
		output_failed = true;
	}
	out = NULL;
	rc = exs_cli_exit_code(threshold, incomplete, output_failed);
out:
	if (out && out != stdout)
		fclose(out);
	json_object_put(root);
	exs_walk_engine_free(engine);
	free((char *)tables.meta.tables_newest);
	return rc;
}

const struct exs_command exs_cmd_walk = {
        .name = "walk",
        .synopsis = "[OPTIONS] ROOT...",
        .summary = "scan a system drive or mounted disk image for webshells and IOC files",
        .description =
                "Walks each ROOT (a mounted system drive, a disk image's mount point or any\n"
                "directory; or a disk image file itself: raw/dd, split raw, E01, VHD, VHDX,\n"
                "VMDK or qcow2, read without mounting, each NTFS volume as one host, with\n"
                "alternate data streams, deleted files and NTFS times; or one file, scanned\n"
                "alone whatever its type) without following links or leaving its file\n"
                "system, finds the Exchange layout (inetpub, Exchange Server/V15, Temporary\n"
                "ASP.NET Files) and scans with YARA: every file under the Exchange web\n"
                "directories and every web type (aspx ashx asmx ascx asax config js css htm\n"
                "html) elsewhere; --all-files scans everything. Log files go to the log\n"
                "readers instead. Nothing in the tree\n"
                "is written, -o inside a ROOT is refused, and run as root or as the files'\n"
                "owner no access time changes (reading where a symbolic link points sets the\n"
                "link's own); as another user Linux refuses O_NOATIME: access times change,\n"
                "and a one-line warning says so. Rules may use the externals\n"
                "filename, filepath (C:\\-style), extension, filetype and owner, as Loki and\n"
                "THOR define them. --fail-on compromised: an alert-level webshell or IOC finding.\n"
                "--shard K/N partitions the ROOTs given (not the files under them) across a\n"
                "fleet; a shard without a root prints nothing and exits 0.",
        .formats = "text|json|jsonl",
        .options = walk_options,
        .set_option = walk_set_option,
        .run = walk_run,
};
