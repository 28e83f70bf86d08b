/* exscan probe TARGET...: fingerprint Exchange over HTTPS, map the build,
 * run the safe checks; many hosts at once. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exscan/escape.h"
#include "exscan/kb.h"
#include "exscan/probe.h"
#include "exscan/report.h"
#include "exscan/writer.h"

enum {
	OPT_INPUT = EXS_OPT_COMMAND_BASE,
	OPT_CONCURRENCY,
	OPT_JOBS,
	OPT_RATE,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_HOST_TIMEOUT,
	OPT_RETRIES,
	OPT_NO_ACTIVE,
	OPT_SNI,
	OPT_RESOLVE,
	OPT_PROXY,
	OPT_TLS_VERIFY,
	OPT_NO_PROGRESS,
	OPT_SHARD,
};

static const struct exs_option probe_options[] = {
        {"input", 'i', "FILE",
         "read targets from FILE, one per line of 4 KiB at most ('-': standard input)", OPT_INPUT},
        {"concurrency", 'c', "N", "hosts scanned at once (default 256)", OPT_CONCURRENCY},
        {"jobs", 'j', "N",
         "worker threads sharing the hosts in flight (default: one per CPU, at most 8)", OPT_JOBS},
        {"rate", 0, "HOSTS_PER_S", "start at most this many hosts a second (default: no limit)",
         OPT_RATE},
        {"timeout", 0, "SECONDS", "time limit of one request (default 5)", OPT_TIMEOUT},
        {"connect-timeout", 0, "SECONDS",
         "time limit of TCP connect plus TLS handshake (default 5)", OPT_CONNECT_TIMEOUT},
        {"host-timeout", 0, "SECONDS", "time limit of one whole host (default 20)",
         OPT_HOST_TIMEOUT},
        {"retries", 0, "N", "retry a failed connect N times (default 1)", OPT_RETRIES},
        {"no-active-checks", 0, NULL,
         "fingerprint only: skip the ProxyLogon, ProxyShell and ProxyToken checks", OPT_NO_ACTIVE},
        {"sni", 0, "NAME", "send NAME as TLS SNI and Host when scanning addresses", OPT_SNI},
        {"resolve", 0, "HOST:PORT:ADDRESS",
         "pin HOST:PORT to ADDRESS (repeatable, as curl --resolve)", OPT_RESOLVE},
        {"proxy", 0, "URL", "connect through this proxy (default: libcurl's https_proxy etc.)",
         OPT_PROXY},
        {"tls-verify", 0, NULL,
         "also refuse untrusted certificates (chain and name checked): an error, no fingerprint",
         OPT_TLS_VERIFY},
        {"no-progress", 0, NULL, "no progress line on a terminal", OPT_NO_PROGRESS},
        {"shard", 0, "K/N",
         "probe only part K of N of the targets: target i (from 0, each address of a CIDR and "
         "each -i line but comments counting as one) when i mod N = K-1",
         OPT_SHARD},
        EXS_OPTION_FORMAT,
        EXS_OPTION_OUTPUT,
        EXS_OPTION_FAIL_ON,
        EXS_OPTION_BUILDS,
        EXS_OPTION_CVES,
        EXS_OPTION_NO_COLOR,
        EXS_OPTION_HELP,
        EXS_OPTION_END,
};

static int parse_seconds(const char *arg, const char *opt, long *ms, struct exs_error *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 86400)
		return exs_error_set(
		        err, "exscan probe: %s '%s' is not a number of seconds (0 < s <= 86400)",
		        opt, arg);
	*ms = (long)ceil(v * 1000);
	return 0;
}

static int parse_count(const char *arg, const char *opt, long lo, long hi, long *out,
                       struct exs_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return exs_error_set(err,
		                     "exscan probe: %s '%s' is not a whole number from %ld to %ld",
		                     opt, arg, lo, hi);
	*out = v;
	return 0;
}

static int probe_set_option(struct exs_config *cfg, int id, const char *arg, struct exs_error *err)
{
	struct exs_probe_options *o = &cfg->probe;
	long v = 0;

	switch (id) {
	case OPT_INPUT:
		o->input = arg;
		return 0;
	case OPT_CONCURRENCY:
		if (parse_count(arg, "--concurrency", 1, 100000, &v, err))
			return -1;
		o->concurrency = (int)v;
		return 0;
	case OPT_JOBS:
		if (parse_count(arg, "--jobs", 1, 256, &v, err))
			return -1;
		o->threads = (int)v;
		return 0;
	case OPT_RATE: {
		char *end;

		errno = 0;
		o->rate = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->rate > 0) || o->rate > 1e7)
			return exs_error_set(
			        err,
			        "exscan probe: --rate '%s' is not a positive number of hosts a second",
			        arg);
		return 0;
	}
	case OPT_TIMEOUT:
		return parse_seconds(arg, "--timeout", &o->timeout_ms, err);
	case OPT_CONNECT_TIMEOUT:
		return parse_seconds(arg, "--connect-timeout", &o->connect_timeout_ms, err);
	case OPT_HOST_TIMEOUT:
		return parse_seconds(arg, "--host-timeout", &o->host_timeout_ms, err);
	case OPT_RETRIES:
		if (parse_count(arg, "--retries", 0, 10, &v, err))
			return -1;
		o->retries = (int)v;
		return 0;
	case OPT_NO_ACTIVE:
		o->active_checks = false;
		return 0;
	case OPT_SNI:
		o->sni = arg;
		return 0;
	case OPT_RESOLVE:
		if (o->n_resolve >= EXS_PROBE_MAX_RESOLVE)
			return exs_error_set(err, "exscan probe: at most %d --resolve options",
			                     EXS_PROBE_MAX_RESOLVE);
		if (!strchr(arg, ':') || !strchr(strchr(arg, ':') + 1, ':'))
			return exs_error_set(
			        err, "exscan probe: --resolve '%s' is not HOST:PORT:ADDRESS", arg);
		o->resolve[o->n_resolve++] = arg;
		return 0;
	case OPT_PROXY:
		o->proxy = arg;
		return 0;
	case OPT_TLS_VERIFY:
		o->tls_verify = true;
		return 0;
	case OPT_NO_PROGRESS:
		o->progress = false;
		return 0;
	case OPT_SHARD: {
		struct exs_error e = {{0}};

		if (exs_shard_parse(arg, &o->shard, &e))
			return exs_error_set(err, "exscan probe: %s", e.msg);
		return 0;
	}
	default:
		return exs_error_set(err, "exscan probe: option id %d has no handler (a bug)", id);
	}
}

struct run {
	struct exs_config *cfg;
	FILE *out;
	uint64_t written, bad_targets;
	bool threshold;
	bool progress_shown;
	int write_errno; /* the output failed (-1: errno unknown): the scan stops, its
	                  * results would be lost */
	const struct exs_report_meta *tables; /* the tables' age (JSONL lines say it if stale) */
};

static enum exs_fail_on level_of(const struct exs_probe_result *r)
{
	const struct exs_assessment *a = r->assessed ? &r->assessment : NULL;

	for (size_t i = 0; i < r->n_checks; i++)
		if (r->checks[i].result == EXS_CHECK_VULNERABLE)
			return EXS_FAIL_ON_VULNERABLE;
	if (a) {
		for (size_t i = 0; i < a->n_open; i++)
			if (a->open[i].cve->kev && a->open[i].certain)
				return EXS_FAIL_ON_VULNERABLE;
		if (a->n_open > 0)
			return EXS_FAIL_ON_AT_RISK;
	}
	return EXS_FAIL_ON_NEVER;
}

static void clear_progress(struct run *run)
{
	if (run->progress_shown) {
		fputs("\r\033[K", stderr);
		run->progress_shown = false;
	}
}

static int on_host(const struct exs_probe_result *r, void *ud)
{
	struct run *run = ud;
	struct json_object *o;

	clear_progress(run);
	if (!r->host[0]) {
		/* a bad target spec: one line, the scan goes on */
		fprintf(stderr, "exscan probe: %s\n", r->error);
		run->bad_targets++;
		return 0;
	}
	run->threshold = run->threshold || exs_cli_reaches(level_of(r), run->cfg->fail_on);
	switch (run->cfg->format) {
	case EXS_FORMAT_JSON:
		o = exs_probe_result_to_json(r);
		fprintf(run->out, "%s\n    ", run->written ? "," : "");
		exs_json_write(run->out, o, false);
		errno = 0;
		if (fflush(run->out) != 0)
			run->write_errno = errno ? errno : -1;
		json_object_put(o);
		break;
	case EXS_FORMAT_JSONL:
		o = exs_probe_result_to_json(r);
		/* no document around the lines: each says the tables are stale */
		if (run->tables && run->tables->tables_stale)
			json_object_object_add(o, "tables", exs_tables_to_json(run->tables));
		exs_json_write(run->out, o, false);
		fputc('\n', run->out);
		errno = 0;
		if (fflush(run->out) != 0)
			run->write_errno = errno ? errno : -1;
		json_object_put(o);
		break;
	default:
		exs_probe_result_write_text(run->out, r, run->cfg->color && run->out == stdout);
		break;
	}
	run->written++;
	if (run->write_errno || ferror(run->out)) {
		/* a buffered write failed earlier: its errno is gone */
		if (!run->write_errno)
			run->write_errno = -1;
		return 1;
	}
	return 0;
}

static void on_progress(const struct exs_probe_stats *s, void *ud)
{
	struct run *run = ud;
	double rate = s->elapsed_s > 0 ? (double)s->done / s->elapsed_s : 0;

	fprintf(stderr, "\r\033[Kprobe: %llu", (unsigned long long)s->done);
	if (s->total)
		fprintf(stderr, "/%llu", (unsigned long long)s->total);
	fprintf(stderr, " hosts, %.0f/s, %llu Exchange, %llu errors", rate,
	        (unsigned long long)s->exchange, (unsigned long long)s->errors);
	if (s->total && rate > 0 && s->done < s->total)
		fprintf(stderr, ", ETA %.0fs", (double)(s->total - s->done) / rate);
	run->progress_shown = true;
}

/* The signal that interrupted the scan (SIGINT, SIGTERM), 0 while none. */
static volatile sig_atomic_t probe_interrupted;

static void on_signal(int sig)
{
	probe_interrupted = sig;
}

/* Ctrl-C or a TERM stops the scan and the document is closed; the handler
 * is one-shot (SA_RESETHAND), so a second Ctrl-C ends exscan at once. */
static void catch_signals(struct sigaction old[2])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	probe_interrupted = 0;
	sigaction(SIGINT, NULL, &old[0]);
	sigaction(SIGTERM, NULL, &old[1]);
	/* a signal ignored on entry (a script's background job) stays ignored */
	if (old[0].sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (old[1].sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
}

static void restore_signals(const struct sigaction old[2])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}

static int probe_run(struct exs_config *cfg)
{
	struct sigaction old_sa[2];
	struct exs_error err = {{0}};
	struct exs_kb *kb = NULL;
	struct exs_target_gen *gen = NULL;
	struct exs_probe_stats stats;
	struct run run = {.cfg = cfg};
	struct exs_report_meta tables = {0};
	char note[512];
	int rc = EXS_EXIT_OK;
	bool output_failed = false;

	if (cfg->nargs == 0 && !cfg->probe.input) {
		fprintf(stderr,
		        "exscan probe: give targets (host, address, CIDR, URL) or -i FILE\n");
		return EXS_EXIT_USAGE;
	}
	kb = exs_kb_load(cfg->builds_path, cfg->cves_path, &err);
	if (!kb) {
		fprintf(stderr, "exscan probe: %s\n", err.msg);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	gen = exs_target_gen_new(cfg->args, cfg->nargs, cfg->probe.input, &err);
	if (!gen) {
		fprintf(stderr, "exscan probe: %s\n", err.msg);
		rc = EXS_EXIT_USAGE;
		goto out;
	}
	exs_target_gen_set_interrupt(gen, &probe_interrupted);
	exs_target_gen_set_shard(gen, &cfg->probe.shard);
	run.out = exs_cli_output_open(cfg, &err);
	if (!run.out) {
		fprintf(stderr, "exscan probe: %s\n", err.msg);
		rc = EXS_EXIT_OUTPUT;
		goto out;
	}
	cfg->probe.progress = cfg->probe.progress && isatty(STDERR_FILENO);
	cfg->probe.interrupt = &probe_interrupted;
	if (cfg->format == EXS_FORMAT_JSON)
		fputs("{\n  \"hosts\": [", run.out);
	exs_report_meta_tables(&tables, kb, cfg->now);
	run.tables = &tables;
	catch_signals(old_sa);
	if (exs_probe_run(&cfg->probe, kb, cfg->now, gen, on_host, on_progress, &run, &stats,
	                  &err)) {
		clear_progress(&run);
		fprintf(stderr, "exscan probe: %s\n", err.msg);
		rc = EXS_EXIT_INCOMPLETE;
	}
	clear_progress(&run);
	if (probe_interrupted)
		fprintf(stderr,
		        "exscan probe: interrupted by %s after %llu hosts; the output is closed "
		        "and complete up to them (hosts in flight are left out): run again "
		        "for the rest\n",
		        probe_interrupted == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM",
		        (unsigned long long)(stats.done - run.bad_targets));
	if (cfg->format == EXS_FORMAT_JSON) {
		struct json_object *t = exs_tables_to_json(&tables);

		fprintf(run.out, "%s  ],\n  \"tables\": %s,\n", run.written ? "\n" : "",
		        json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
		json_object_put(t);
		fprintf(run.out,
		        "  \"summary\": {\"hosts\": %llu, \"exchange\": %llu, \"errors\": %llu, "
		        "\"invalid_targets\": %llu, \"seconds\": %.3f, \"interrupted\": %s}\n}\n",
		        (unsigned long long)(stats.done - run.bad_targets),
		        (unsigned long long)stats.exchange,
		        (unsigned long long)(stats.errors - run.bad_targets),
		        (unsigned long long)run.bad_targets, stats.elapsed_s,
		        probe_interrupted ? "true" : "false");
	} else if (cfg->format == EXS_FORMAT_TEXT) {
		fprintf(run.out, "%llu hosts in %.1f s: %llu Exchange, %llu could not be scanned",
		        (unsigned long long)(stats.done - run.bad_targets), stats.elapsed_s,
		        (unsigned long long)stats.exchange,
		        (unsigned long long)(stats.errors - run.bad_targets));
		if (run.bad_targets)
			fprintf(run.out, ", %llu invalid targets",
			        (unsigned long long)run.bad_targets);
		fputc('\n', run.out);
		if (tables.tables_stale)
			fprintf(run.out, "%s\n", exs_tables_note(&tables, note, sizeof(note)));
	}
	if (run.write_errno) {
		fprintf(stderr,
		        "exscan probe: cannot write '%s': %s; the scan stopped early (%llu "
		        "written)\n",
		        cfg->output ? cfg->output : "standard output",
		        run.write_errno > 0 ? strerror(run.write_errno)
		                            : "a write failed (device full or closed?)",
		        (unsigned long long)run.written);
		exs_cli_output_close(cfg, run.out, &err);
		output_failed = true;
	} else if (exs_cli_output_close(cfg, run.out, &err)) {
		fprintf(stderr, "exscan probe: %s\n", err.msg);
		output_failed = true;
	}
	/* only now: a Ctrl-C while the document is closed must not cut it */
	restore_signals(old_sa);
	rc = exs_cli_exit_code(run.threshold, rc != EXS_EXIT_OK || stats.errors > 0, output_failed);
	/* as a shell expects of a program stopped by a signal, unless the output
	 * was lost */
	if (probe_interrupted && rc != EXS_EXIT_OUTPUT)
		rc = 128 + probe_interrupted;
out:
	exs_target_gen_free(gen);
	exs_kb_free(kb);
	return rc;
}

static int probe_main(struct exs_config *cfg)
{
	return probe_run(cfg);
}

const struct exs_command exs_cmd_probe = {
        .name = "probe",
        .synopsis = "[OPTIONS] TARGET...",
        .summary = "fingerprint Exchange servers over HTTPS and run safe checks",
        .description =
                "Targets: host names, IPv4/IPv6 addresses, host:port, [v6]:port, https:// URLs,\n"
                "CIDR blocks (v4, v6) and CIDR:port, from arguments or -i FILE (one per line, '#'\n"
                "comments). Default port 443. Per host, over one kept-alive TLS connection: TLS\n"
                "facts, the build from X-OWA-Version, the export tool manifest or the OWA asset\n"
                "path (most precise first), NTLM names and Windows version, then the safe\n"
                "CVE-2021-26855 cookie check and the ProxyShell autodiscover check (nothing sent\n"
                "changes server state). Other CVEs are decided by build and say so. Exit 3 when a\n"
                "host could not be scanned completely; else 1 when --fail-on is reached\n"
                "(vulnerable: a check says vulnerable or a known exploited CVE is certainly open;\n"
                "at-risk: any open CVE); 4 when the output cannot be written. Ctrl-C (SIGINT) or\n"
                "SIGTERM stops the scan, closes the output (JSON: \"interrupted\": true in the\n"
                "summary) and exits 130 or 143.",
        .formats = "text|json|jsonl",
        .options = probe_options,
        .set_option = probe_set_option,
        .run = probe_main,
};
