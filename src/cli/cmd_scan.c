/* exscan scan: probe and walk in one run, then one verdict per host.
 *   --target HOST            network only
 *   --target HOST=ROOT       network plus the host's mounted file system
 *   --fs ROOT [--host NAME]  file system only
 * Results are merged and judged exactly as `exscan report` does with the
 * separate probe and walk outputs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exscan/merge.h"
#include "exscan/probe.h"
#include "exscan/report.h"
#include "exscan/walk.h"

enum {
	OPT_TARGET = EXS_OPT_COMMAND_BASE,
	OPT_FS,
	OPT_HOST,
	OPT_ALIAS,
	OPT_B_CONCURRENCY,
	OPT_B_RATE,
	OPT_B_TIMEOUT,
	OPT_B_CONNECT_TIMEOUT,
	OPT_B_HOST_TIMEOUT,
	OPT_B_RETRIES,
	OPT_B_NO_ACTIVE_CHECKS,
	OPT_B_SNI,
	OPT_B_RESOLVE,
	OPT_B_PROXY,
	OPT_B_TLS_VERIFY,
	OPT_B_NO_PROGRESS,
	OPT_B_JOBS,
	OPT_B_RULES,
	OPT_B_NO_BUILTIN_RULES,
	OPT_B_IOC,
	OPT_B_ALL_FILES,
	OPT_B_CROSS_FS,
	OPT_B_NO_LOGS,
	OPT_B_EXCHANGE_DIR,
	OPT_B_MAX_SIZE,
	OPT_B_FILE_TIMEOUT,
	OPT_B_NO_RULES_CACHE,
	OPT_B_WHOLE_FILES,
	OPT_B_PARTITION,
	OPT_B_VOLUME,
	OPT_SHARD,
};

/* Options of probe and walk that scan takes, under the same names except
 * walk's --timeout, which is --file-timeout here (probe's --timeout is the
 * request time limit). */
static const struct exs_option scan_options[] = {
        {"target", 't', "HOST[=ROOT]",
         "probe HOST; with =ROOT also walk ROOT as that host's file system (repeatable)",
         OPT_TARGET},
        {"fs", 0, "ROOT", "walk ROOT only, without a probe (repeatable)", OPT_FS},
        {"host", 0, "NAME", "name of the host of the last --fs ROOT (default: the root's name)",
         OPT_HOST},
        {"alias", 0, "A=B", "results for host A belong to host B (repeatable)", OPT_ALIAS},
        {"shard", 0, "K/N",
         "scan only part K of N of the hosts: the i-th --target or --fs (from 0, in "
         "command-line order) when i mod N = K-1",
         OPT_SHARD},
        {"concurrency", 'c', "N", "probe: hosts scanned at once (default 256)", OPT_B_CONCURRENCY},
        {"rate", 0, "HOSTS_PER_S", "probe: start at most this many hosts a second", OPT_B_RATE},
        {"timeout", 0, "SECONDS", "probe: time limit of one request (default 5)", OPT_B_TIMEOUT},
        {"connect-timeout", 0, "SECONDS", "probe: time limit of connect plus TLS handshake",
         OPT_B_CONNECT_TIMEOUT},
        {"host-timeout", 0, "SECONDS", "probe: time limit of one whole host (default 20)",
         OPT_B_HOST_TIMEOUT},
        {"retries", 0, "N", "probe: retry a failed connect N times (default 1)", OPT_B_RETRIES},
        {"no-active-checks", 0, NULL, "probe: fingerprint only, no safe active checks",
         OPT_B_NO_ACTIVE_CHECKS},
        {"sni", 0, "NAME", "probe: send NAME as TLS SNI and Host when scanning addresses",
         OPT_B_SNI},
        {"resolve", 0, "HOST:PORT:ADDRESS", "probe: pin HOST:PORT to ADDRESS (repeatable)",
         OPT_B_RESOLVE},
        {"proxy", 0, "URL", "probe: connect through this proxy", OPT_B_PROXY},
        {"tls-verify", 0, NULL,
         "probe: also refuse untrusted certificates (an error, no fingerprint)", OPT_B_TLS_VERIFY},
        {"no-progress", 0, NULL, "probe: no progress line on a terminal", OPT_B_NO_PROGRESS},
        {"jobs", 'j', "N", "probe and walk: N worker threads each (default: one per CPU)",
         OPT_B_JOBS},
        {"rules", 0, "FILE|DIR",
         "walk: also use these YARA rules (every .yar/.yara below DIR; repeatable)", OPT_B_RULES},
        {"no-builtin-rules", 0, NULL,
         "walk: do not use exscan's built-in rules (nor its capability model)",
         OPT_B_NO_BUILTIN_RULES},
        {"ioc", 0, "FILE", "walk: flag files whose hash is listed in FILE (repeatable)", OPT_B_IOC},
        {"all-files", 0, NULL, "walk: scan every regular file, not only web content",
         OPT_B_ALL_FILES},
        {"cross-fs", 0, NULL, "walk: descend into other mounted file systems", OPT_B_CROSS_FS},
        {"no-logs", 0, NULL, "walk: do not read logs and artifacts", OPT_B_NO_LOGS},
        {"exchange-dir", 0, "DIR", "walk: the Exchange directory (V15), relative to the root",
         OPT_B_EXCHANGE_DIR},
        {"max-size", 0, "SIZE",
         "walk: scan at most SIZE bytes of a file (default 64M; server pages: head and tail)",
         OPT_B_MAX_SIZE},
        {"file-timeout", 0, "SECONDS",
         "walk: stop YARA on a file after SECONDS, keeping what it found", OPT_B_FILE_TIMEOUT},
        {"no-rules-cache", 0, NULL, "walk: neither read nor write the compiled-rules cache",
         OPT_B_NO_RULES_CACHE},
        {"whole-files", 0, NULL,
         "walk: give YARA every byte of large files, not only the parts around the rules' atoms",
         OPT_B_WHOLE_FILES},
        {"partition", 0, "N", "walk: a disk image --fs ROOT: only the NTFS volume of partition N",
         OPT_B_PARTITION},
        {"volume", 0, "OFFSET",
         "walk: a disk image --fs ROOT: only the NTFS volume that starts OFFSET bytes in",
         OPT_B_VOLUME},
        EXS_OPTION_FORMAT,
        EXS_OPTION_OUTPUT,
        EXS_OPTION_FAIL_ON,
        EXS_OPTION_BUILDS,
        EXS_OPTION_CVES,
        EXS_OPTION_NO_COLOR,
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

/* Hands a borrowed option to the command that owns it, by name. */
static int forward_option(struct exs_config *cfg, const char *name, const char *arg,
                          struct exs_error *err)
{
	const struct exs_command *owners[] = {&exs_cmd_probe, &exs_cmd_walk};
	const char *own_name = strcmp(name, "file-timeout") == 0 ? "timeout" : name;
	size_t first = strcmp(name, "file-timeout") == 0 ? 1 : 0;

	bool owned = false;

	/* --jobs belongs to both; every other option to the first owner */
	for (size_t c = first; c < sizeof(owners) / sizeof(owners[0]); c++) {
		for (const struct exs_option *o = owners[c]->options; o->name; o++) {
			if (strcmp(o->name, own_name) != 0 || o->id < EXS_OPT_COMMAND_BASE)
				continue;
			if (owners[c]->set_option(cfg, o->id, arg, err))
				return -1;
			owned = true;
			break;
		}
		if (owned && strcmp(name, "jobs") != 0)
			return 0;
	}
	if (owned)
		return 0;
	return exs_error_set(err, "exscan scan: option --%s has no owner (a bug)", name);
}

static int push(const char ***arr, size_t *n, const char *v, struct exs_error *err)
{
	const char **a = realloc((void *)*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return exs_error_set(err, "out of memory");
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

/* Records the place of the next --target or --fs among all of them. */
static int push_ord(size_t **arr, size_t n, size_t ord, struct exs_error *err)
{
	size_t *a = realloc(*arr, (n + 1) * sizeof(*a));

	if (!a)
		return exs_error_set(err, "out of memory");
	a[n] = ord;
	*arr = a;
	return 0;
}

static int scan_set_option(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	struct exs_scan_options *s = &cfg->scan;

	switch (id) {
	case OPT_TARGET:
		if (!arg[0] || arg[0] == '=')
			return exs_error_set(err, "exscan scan: --target '%s' names no host", arg);
		if (push_ord(&s->target_ord, s->n_targets, s->n_hosts++, err))
			return -1;
		return push(&s->targets, &s->n_targets, arg, err);
	case OPT_FS:
		if (push_ord(&s->fs_ord, s->n_fs, s->n_hosts++, err))
			return -1;
		if (push(&s->fs_roots, &s->n_fs, arg, err))
			return -1;
		return push(&s->fs_names, &s->n_fs_names, NULL, err);
	case OPT_SHARD: {
		struct exs_error e = {{0}};

		if (exs_shard_parse(arg, &cfg->shard, &e))
			return exs_error_set(err, "exscan scan: %s", e.msg);
		return 0;
	}
	case OPT_HOST:
		if (s->n_fs == 0)
			return exs_error_set(err,
			                     "exscan scan: --host NAME names the file system of "
			                     "the --fs ROOT before it; give --fs first");
		s->fs_names[s->n_fs - 1] = arg;
		return 0;
	case OPT_ALIAS:
		return push(&cfg->report.aliases, &cfg->report.n_aliases, arg, err);
	default:
		/* borrowed from probe or walk: forward by name */
		for (const struct exs_option *o = scan_options; o->name; o++)
			if (o->id == id)
				return forward_option(cfg, o->name, arg, err);
		return exs_error_set(err, "exscan scan: unknown option id %d (a bug)", id);
	}
}

struct scan_run {
	struct exs_merge *merge;
	size_t bad_targets;
	bool incomplete;
	bool warned_atimes;
};

static int on_probe_host(const struct exs_probe_result *r, void *ud)
{
	struct scan_run *run = ud;
	struct exs_error err = {{0}};

	if (!r->host[0]) {
		fprintf(stderr, "exscan scan: %s\n", r->error);
		run->bad_targets++;
		return 0;
	}
	if (r->error[0])
		run->incomplete = true;
	if (exs_merge_add_host(run->merge, exs_probe_result_to_json(r), "probe", &err))
		fprintf(stderr, "exscan scan: %s\n", err.msg);
	return 0;
}

static void probe_targets(struct exs_config *cfg, const struct exs_kb *kb, struct scan_run *run)
{
	struct exs_error err = {{0}};
	struct exs_target_gen *gen = NULL;
	struct exs_probe_stats stats;
	char **hosts = calloc(cfg->scan.n_targets + 1, sizeof(*hosts));
	int n = 0;

	if (!hosts)
		goto out;
	for (size_t i = 0; i < cfg->scan.n_targets; i++) {
		const char *t = cfg->scan.targets[i];
		const char *eq = strchr(t, '=');

		hosts[n] = eq ? strndup(t, (size_t)(eq - t)) : strdup(t);
		if (hosts[n])
			n++;
	}
	gen = exs_target_gen_new(hosts, n, NULL, &err);
	if (!gen) {
		fprintf(stderr, "exscan scan: %s\n", err.msg);
		run->incomplete = true;
		goto out;
	}
	cfg->probe.progress = cfg->probe.progress && isatty(STDERR_FILENO);
	if (exs_probe_run(&cfg->probe, kb, cfg->now, gen, on_probe_host, NULL, run, &stats, &err)) {
		fprintf(stderr, "exscan scan: %s\n", err.msg);
		run->incomplete = true;
	}
out:
	exs_target_gen_free(gen);
	for (int i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
}

/* The host name the probe reports for a target ("127.0.1.6:8443" ->
 * "127.0.1.6"), so that the walk of HOST=ROOT merges with its probe.
 * NULL (with a message) when the target is not one host. */
static char *target_host(const char *text, size_t n)
{
	struct exs_target_spec spec;
	struct exs_error err = {{0}};

	if (exs_target_spec_parse(text, n, &spec, &err)) {
		fprintf(stderr, "exscan scan: %s\n", err.msg);
		return NULL;
	}
	if (spec.kind == EXS_TARGET_CIDR4 || spec.kind == EXS_TARGET_CIDR6) {
		fprintf(stderr,
		        "exscan scan: --target '%.*s=...' is an address range: a file system "
		        "belongs to one host\n",
		        (int)n, text);
		return NULL;
	}
	return strdup(spec.host);
}

/* Walks ROOT as host NAME (NULL: the root's name) into the merge. */
static void walk_root(struct exs_config *cfg, struct exs_walk_engine *engine, const char *root,
                      const char *name, struct scan_run *run)
{
	struct exs_error err = {{0}};
	struct exs_walk_host h;
	struct json_object *o;

	exs_walk_host_init(&h);
	cfg->walk.host = name;
	if (exs_walk_run(engine, &cfg->walk, root, &h, &err)) {
		fprintf(stderr, "exscan scan: %s\n", err.msg);
		run->incomplete = true;
		/* the host still gets a verdict (unknown) saying why */
		o = json_object_new_object();
		json_object_object_add(o, "host", exs_json_cstr(name ? name : root));
		json_object_object_add(o, "root", exs_json_cstr(root));
		json_object_object_add(o, "walk_error", exs_json_cstr(err.msg));
		json_object_object_add(o, "error", exs_json_cstr(err.msg));
		json_object_object_add(o, "findings", json_object_new_array());
		goto add;
	}
	exs_cli_warn_atimes("scan", root, &h, &run->warned_atimes);
	if (exs_cli_warn_incomplete("scan", root, &h))
		run->incomplete = true;
	o = exs_walk_host_to_json(&h);
add:
	if (exs_merge_add_host(run->merge, o, "walk", &err))
		fprintf(stderr, "exscan scan: %s\n", err.msg);
	exs_walk_host_release(&h);
}

/* Keeps only the hosts of this --shard (in place, order kept). */
static void keep_shard(struct exs_config *cfg)
{
	struct exs_scan_options *s = &cfg->scan;
	size_t n = 0;

	for (size_t i = 0; i < s->n_targets; i++)
		if (exs_shard_owns(&cfg->shard, s->target_ord[i]))
			s->targets[n++] = s->targets[i];
	s->n_targets = n;
	n = 0;
	for (size_t i = 0; i < s->n_fs; i++) {
		if (exs_shard_owns(&cfg->shard, s->fs_ord[i])) {
			s->fs_roots[n] = s->fs_roots[i];
			s->fs_names[n++] = s->fs_names[i];
		}
	}
	s->n_fs = s->n_fs_names = n;
}

static int scan_run(struct exs_config *cfg)
{
	struct exs_error err = {{0}};
	struct scan_run run = {0};
	struct exs_kb *kb = NULL;
	struct exs_walk_engine *engine = NULL;
	bool any_root;
	int rc = EXS_EXIT_OK;

	if (cfg->nargs == 0 && cfg->scan.n_hosts > 0 && exs_shard_active(&cfg->shard)) {
		keep_shard(cfg);
		if (cfg->scan.n_targets == 0 && cfg->scan.n_fs == 0) {
			/* no host in this shard: nothing to say (an empty -o FILE) */
			FILE *out = exs_cli_output_open(cfg, &err);

			if (!out || exs_cli_output_close(cfg, out, &err)) {
				fprintf(stderr, "exscan scan: %s\n", err.msg);
				return EXS_EXIT_OUTPUT;
			}
			return EXS_EXIT_OK;
		}
	}
	any_root = cfg->scan.n_fs > 0;
	for (size_t i = 0; i < cfg->scan.n_targets; i++)
		any_root = any_root || strchr(cfg->scan.targets[i], '=');
	if (cfg->nargs > 0) {
		fprintf(stderr,
		        "exscan scan: unexpected argument '%s': name hosts with --target "
		        "HOST[=ROOT] and file systems with --fs ROOT\n",
		        cfg->args[0]);
		return EXS_EXIT_USAGE;
	}
	if (cfg->scan.n_targets == 0 && cfg->scan.n_fs == 0) {
		fprintf(stderr,
		        "exscan scan: give --target HOST, --target HOST=ROOT or --fs ROOT\n");
		return EXS_EXIT_USAGE;
	}
	for (size_t i = 0; i < cfg->scan.n_targets + cfg->scan.n_fs; i++) {
		const char *root = i < cfg->scan.n_targets
		                           ? strchr(cfg->scan.targets[i], '=')
		                           : cfg->scan.fs_roots[i - cfg->scan.n_targets];

		if (i < cfg->scan.n_targets && root)
			root++;
		if (root && exs_cli_output_outside(cfg, root, &err)) {
			fprintf(stderr, "exscan scan: %s\n", err.msg);
			return EXS_EXIT_USAGE;
		}
	}
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan scan: %s\n", err.msg);
		return EXS_EXIT_USAGE;
	}
	run.merge = exs_merge_new();
	if (!run.merge) {
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < cfg->report.n_aliases; i++) {
		if (exs_merge_add_alias(run.merge, cfg->report.aliases[i], &err)) {
			fprintf(stderr, "exscan scan: %s\n", err.msg);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
	}
	if (any_root) {
		engine = exs_walk_engine_new(&cfg->walk, &err);
		if (!engine) {
			fprintf(stderr, "exscan scan: %s\n", err.msg);
			rc = EXS_EXIT_USAGE;
			goto out;
		}
		for (size_t i = 0; i < exs_walk_engine_warning_count(engine); i++)
			fprintf(stderr, "exscan scan: warning: %s\n",
			        exs_walk_engine_warning(engine, i));
		for (size_t i = 0; i < exs_walk_engine_problem_count(engine); i++) {
			fprintf(stderr, "exscan scan: %s\n", exs_walk_engine_problem(engine, i));
			run.incomplete = true;
		}
	}
	if (cfg->scan.n_targets)
		probe_targets(cfg, kb, &run);
	for (size_t i = 0; i < cfg->scan.n_targets; i++) {
		const char *t = cfg->scan.targets[i], *eq = strchr(t, '=');
		char *name;

		if (!eq)
			continue;
		name = target_host(t, (size_t)(eq - t));
		if (name)
			walk_root(cfg, engine, eq + 1, name, &run);
		else
			run.incomplete = true;
		free(name);
	}
	for (size_t i = 0; i < cfg->scan.n_fs; i++)
		walk_root(cfg, engine, cfg->scan.fs_roots[i], cfg->scan.fs_names[i], &run);
	if (run.bad_targets)
		run.incomplete = true;
	rc = exs_cli_judge_and_write(cfg, kb, exs_merge_hosts(run.merge), run.incomplete, "scan");
out:
	exs_walk_engine_free(engine);
	exs_merge_free(run.merge);
	exs_kb_free(kb);
	return rc;
}

const struct exs_command exs_cmd_scan = {
        .name = "scan",
        .synopsis = "[OPTIONS] --target HOST[=ROOT]... | --fs ROOT [--host NAME]...",
        .summary = "probe and walk in one run and give each host a verdict",
        .description = "Probes every --target over HTTPS (build, open CVEs, safe checks), walks\n"
                       "every file system given as --target HOST=ROOT or --fs ROOT (webshells,\n"
                       "logs, artifacts), merges what belongs to the same host and gives each\n"
                       "host a verdict with reasons and remediation, exactly as `exscan report`\n"
                       "does with separate probe and walk results: compromised > vulnerable >\n"
                       "at-risk > clean > unknown. --shard K/N partitions the hosts (each\n"
                       "--target and each --fs is one) across a fleet; `exscan report` merges\n"
                       "the shards' JSONL into the same verdicts as one run; a shard without a\n"
                       "host prints nothing and exits 0.",
        .formats = "text|json|jsonl|sarif|junit|html",
        .options = scan_options,
        .set_option = scan_set_option,
        .run = scan_run,
};
