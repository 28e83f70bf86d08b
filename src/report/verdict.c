/* The verdict engine: one host object in, verdict + reasons + remediation
 * out.  Rules (docs/report.md), strongest first:
 *   compromised  a webshell, IOC hash or attacker artifact at alert level,
 *                or log evidence of a successful exploitation at alert level
 *   vulnerable   a known-exploited CVE open by exact build, or an active
 *                check that answered "vulnerable"
 *   at-risk      other open CVEs; a CU-only build that may be vulnerable;
 *                end of support; failed exploitation attempts; suspicious
 *                findings below alert; configuration-dependent CVEs that are
 *                not protected by default; weak TLS
 *   clean        Exchange (seen by probe or on disk) and none of the above
 *   unknown      not Exchange, unreachable, or too little scanned to judge
 * A patched host with a webshell is compromised: evidence beats patch level. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exscan/finding.h"
#include "exscan/report.h"
#include "exscan/verdict.h"

static const char *const verdict_names[] = {
        [EXS_VERDICT_UNKNOWN] = "unknown",         [EXS_VERDICT_CLEAN] = "clean",
        [EXS_VERDICT_AT_RISK] = "at-risk",         [EXS_VERDICT_VULNERABLE] = "vulnerable",
        [EXS_VERDICT_COMPROMISED] = "compromised",
};

const char *exs_verdict_name(enum exs_verdict v)
{
	return (unsigned)v <= EXS_VERDICT_COMPROMISED ? verdict_names[v] : "unknown";
}

int exs_verdict_parse(const char *name, enum exs_verdict *out)
{
	for (int i = 0; i <= EXS_VERDICT_COMPROMISED; i++) {
		if (strcmp(name, verdict_names[i]) == 0) {
			*out = (enum exs_verdict)i;
			return 0;
		}
	}
	return -1;
}

bool exs_verdict_reaches(enum exs_verdict v, enum exs_fail_on threshold)
{
	switch (threshold) {
	case EXS_FAIL_ON_COMPROMISED:
		return v >= EXS_VERDICT_COMPROMISED;
	case EXS_FAIL_ON_VULNERABLE:
		return v >= EXS_VERDICT_VULNERABLE;
	case EXS_FAIL_ON_AT_RISK:
		return v >= EXS_VERDICT_AT_RISK;
	default:
		return false;
	}
}

struct judge {
	struct json_object *host; /* the host judged (borrowed) */
	char coverage[320];       /* "iis 2021-02-27 to 2021-03-10, ..." (log-coverage findings) */
	struct json_object *reasons;
	struct json_object *remedies;
	enum exs_verdict verdict;
	struct exs_kb_memo *memo; /* assessments shared across hosts, or NULL */
};

/* exs_kb_assess(), through the caller's memo when it holds these tables. */
static int assess(struct judge *j, const struct exs_kb *kb, const struct exs_version *v, time_t now,
                  struct exs_assessment *a)
{
	if (j->memo && j->memo->kb == kb && j->memo->today == now)
		return exs_kb_memo_assess(j->memo, v, a, NULL);
	return exs_kb_assess(kb, v, now, a, NULL);
}

/* Adds a reason at `level` pointing at what is behind it (ref_kind: finding,
 * check, cve, probe, walk; ref: index or id). */
static void reason(struct judge *j, enum exs_verdict level, const char *text, const char *ref_kind,
                   struct json_object *ref)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "level", json_object_new_string(exs_verdict_name(level)));
	json_object_object_add(r, "text", json_object_new_string(text));
	json_object_object_add(r, "ref_kind", json_object_new_string(ref_kind));
	json_object_object_add(r, "ref", ref);
	json_object_array_add(j->reasons, r);
	if (level > j->verdict)
		j->verdict = level;
}

static void remedy(struct judge *j, const char *text)
{
	size_t n = json_object_array_length(j->remedies);

	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(j->remedies, i)),
		           text) == 0)
			return;
	json_object_array_add(j->remedies, json_object_new_string(text));
}

/* Adds a finding's path to the evidence list once.  A name that is not
 * UTF-8 is shown with \xNN escapes, as a decoy holding those characters
 * would be: its raw bytes are named too, so the two cannot be confused. */
static void add_evidence(struct json_object *evidence, struct json_object *f)
{
	const char *path = exs_json_get_str(f, "path", "");
	const char *b64 = exs_json_get_str(f, "path_b64", NULL);
	char text[1400];

	if (b64) {
		snprintf(text, sizeof(text), "%s [name not UTF-8: raw bytes base64 %s]", path, b64);
		path = text;
	}
	for (size_t i = 0; i < json_object_array_length(evidence); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(evidence, i)), path) ==
		    0)
			return;
	json_object_array_add(evidence, json_object_new_string(path));
}

static int severity_rank(struct json_object *f)
{
	const char *sev = exs_json_get_str(f, "severity", NULL);

	if (sev) {
		if (strcmp(sev, "alert") == 0)
			return EXS_SEVERITY_ALERT;
		if (strcmp(sev, "warning") == 0)
			return EXS_SEVERITY_WARNING;
		if (strcmp(sev, "notice") == 0)
			return EXS_SEVERITY_NOTICE;
		return EXS_SEVERITY_INFO;
	}
	return (int)exs_severity_of((int)exs_json_get_int(f, "score", 0));
}

static bool compromising_kind(const char *kind)
{
	return strcmp(kind, "webshell") == 0 || strcmp(kind, "ioc") == 0 ||
	       strcmp(kind, "artifact") == 0 || strcmp(kind, "location") == 0;
}

static const char *finding_name(struct json_object *f)
{
	const char *what = exs_json_get_str(f, "family", NULL);

	return what && *what ? what : exs_json_get_str(f, "rule", "");
}

/* One file's findings (indices in `list`) as one reason: every kind and name
 * found in it ("webshell: A, B; location: C"), at the level of the strongest. */
static void judge_file(struct judge *j, struct json_object *findings, struct json_object *list,
                       bool *rebuild, struct json_object *evidence)
{
	enum exs_verdict level = EXS_VERDICT_UNKNOWN;
	struct json_object *seen[64];
	char text[512], names[400] = "";
	const char *path = NULL;
	struct json_object *pf = NULL;
	long long best = -1;
	int64_t ref = 0;
	size_t m = 0, used = 0;

	for (size_t k = 0; k < json_object_array_length(list); k++) {
		int64_t i = json_object_get_int64(json_object_array_get_idx(list, k));
		struct json_object *f = json_object_array_get_idx(findings, (size_t)i);
		const char *kind = exs_json_get_str(f, "kind", "");
		long long score = exs_json_get_int(f, "score", 0);
		int sev = severity_rank(f);

		if (sev < EXS_SEVERITY_NOTICE)
			continue;
		path = exs_json_get_str(f, "path", "");
		pf = f;
		if (sev >= EXS_SEVERITY_ALERT && compromising_kind(kind)) {
			level = EXS_VERDICT_COMPROMISED;
			*rebuild = *rebuild || strcmp(kind, "webshell") == 0 ||
			           strcmp(kind, "ioc") == 0;
		} else if (level < EXS_VERDICT_AT_RISK) {
			level = EXS_VERDICT_AT_RISK;
		}
		if (score > best) {
			best = score;
			ref = i;
		}
		if (m < sizeof(seen) / sizeof(seen[0]))
			seen[m++] = f;
	}
	if (level == EXS_VERDICT_UNKNOWN)
		return;
	/* kinds in order of first appearance, each name once */
	for (size_t a = 0; a < m && used < sizeof(names); a++) {
		const char *kind = exs_json_get_str(seen[a], "kind", "");
		bool first_of_kind = true;

		for (size_t b = 0; b < a && first_of_kind; b++)
			first_of_kind = strcmp(exs_json_get_str(seen[b], "kind", ""), kind) != 0;
		if (!first_of_kind)
			continue;
		for (size_t c = a; c < m && used < sizeof(names); c++) {
			const char *name = finding_name(seen[c]);
			bool again = false;
			int w;

			if (strcmp(exs_json_get_str(seen[c], "kind", ""), kind) != 0)
				continue;
			for (size_t d = a; d < c && !again; d++)
				again = strcmp(exs_json_get_str(seen[d], "kind", ""), kind) == 0 &&
				        strcmp(finding_name(seen[d]), name) == 0;
			if (again)
				continue;
			if (c == a)
				w = snprintf(names + used, sizeof(names) - used, "%s%s%s%s",
				             used ? "; " : "", kind, *name ? ": " : "", name);
			else
				w = snprintf(names + used, sizeof(names) - used, ", %s", name);
			used = w < 0 ? sizeof(names) : used + (size_t)w;
		}
	}
	/* a deleted file (read from a disk image) is no longer where it says */
	snprintf(text, sizeof(text), "%s at %s%s (score %lld)", names, path,
	         exs_json_get_bool(pf, "deleted", false) ? " (deleted)" : "", best);
	reason(j, level, text, "finding", json_object_new_int64(ref));
	add_evidence(evidence, pf);
}

/* What tells one file from another: its raw name when the display path
 * is escaped (path_b64), else its path. */
static const char *file_key(struct json_object *f, char *buf, size_t n)
{
	const char *b64 = exs_json_get_str(f, "path_b64", NULL);

	snprintf(buf, n, "%s%s",
	         b64 ? "raw:" : "path:", b64 ? b64 : exs_json_get_str(f, "path", ""));
	return buf;
}

/* Evidence on disk and in logs. Returns the number of alert-level items. */
static void judge_findings(struct judge *j, struct json_object *host, bool *incomplete,
                           struct json_object *evidence)
{
	struct json_object *findings = exs_json_get(host, "findings");
	size_t n = findings && json_object_is_type(findings, json_type_array)
	                   ? json_object_array_length(findings)
	                   : 0;
	bool rebuild = false, attempts = false;
	struct json_object *by_path = json_object_new_object();
	char key[8192];

	/* file findings by path: one reason per file, however many rules matched */
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(findings, i), *list;
		const char *kind = exs_json_get_str(f, "kind", "");
		const char *path = exs_json_get_str(f, "path", "");

		/* a raw name from input that was not written by exscan */
		if (!exs_json_get(f, "path_b64") && !exs_utf8_clean(path, strlen(path)))
			json_object_object_add(f, "path_b64", exs_json_b64(path, strlen(path)));
		if (strcmp(kind, "error") == 0 || strcmp(kind, "log") == 0)
			continue;
		file_key(f, key, sizeof(key));
		if (!json_object_object_get_ex(by_path, key, &list)) {
			list = json_object_new_array();
			json_object_object_add(by_path, key, list);
		}
		json_object_array_add(list, json_object_new_int64((int64_t)i));
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(findings, i);
		const char *kind = exs_json_get_str(f, "kind", "");
		const char *path = exs_json_get_str(f, "path", "");
		const char *rule = exs_json_get_str(f, "rule", "");
		bool success = exs_json_get_bool(f, "success", false);
		int sev = severity_rank(f);
		struct json_object *list;
		char text[512];

		if (strcmp(kind, "error") == 0) {
			*incomplete = true;
			continue;
		}
		if (strcmp(kind, "log") == 0 && strcmp(rule, "log-coverage") == 0) {
			/* how far back the logs reach: said with "no evidence" */
			size_t len = strlen(j->coverage);
			const char *a = exs_json_get_str(f, "first_seen", NULL);
			const char *b = exs_json_get_str(f, "last_seen", NULL);

			if (a && b && len + 40 < sizeof(j->coverage))
				snprintf(j->coverage + len, sizeof(j->coverage) - len,
				         "%s%s %.10s to %.10s", len ? ", " : "",
				         exs_json_get_str(f, "family", "?"), a, b);
			continue;
		}
		if (strcmp(kind, "log") == 0) {
			const char *cve = exs_json_get_str(f, "cve", NULL);
			const char *camp = exs_json_get_str(f, "campaign", NULL);

			/* a success below alert level (tool traffic that got answers) is
			 * not called an exploitation; a logged event without a CVE (a
			 * transport agent, a shell under w3wp) is named by its rule */
			if (!cve && success)
				snprintf(text, sizeof(text), "logged %s%s%s in %s (%lld times)",
				         camp ? camp : "", camp ? ": " : "", rule, path,
				         (long long)exs_json_get_int(f, "count", 1));
			else
				snprintf(text, sizeof(text), "%s %s%s%s%s in %s (%lld times)",
				         !success                    ? "exploitation attempt"
				         : sev >= EXS_SEVERITY_ALERT ? "successful exploitation"
				                                     : "answered requests of",
				         camp ? camp : "", camp && cve ? " " : "", cve ? cve : "",
				         !camp && !cve ? rule : "", path,
				         (long long)exs_json_get_int(f, "count", 1));
			if (success && sev >= EXS_SEVERITY_ALERT) {
				reason(j, EXS_VERDICT_COMPROMISED, text, "finding",
				       json_object_new_int64((int64_t)i));
				rebuild = true;
			} else if (sev >= EXS_SEVERITY_NOTICE) {
				reason(j, EXS_VERDICT_AT_RISK, text, "finding",
				       json_object_new_int64((int64_t)i));
				attempts = true;
			}
			if (sev >= EXS_SEVERITY_NOTICE)
				add_evidence(evidence, f);
			continue;
		}
		file_key(f, key, sizeof(key));
		if (!json_object_object_get_ex(by_path, key, &list))
			continue; /* judged with the file's first finding */
		judge_file(j, findings, list, &rebuild, evidence);
		/* the file's other findings were judged with it */
		json_object_object_del(by_path, key);
	}
	json_object_put(by_path);
	/* a server page over --max-size was read in part (head and tail) */
	if (exs_json_get_int(host, "stats.errors", 0) > 0 ||
	    exs_json_get_int(host, "stats.server_pages_cut", 0) > 0)
		*incomplete = true;
	if (j->verdict == EXS_VERDICT_COMPROMISED) {
		remedy(j,
		       "preserve evidence before anything is cleaned: copy the files listed under "
		       "'evidence' (their SHA-256 is in the findings), the IIS logs "
		       "(inetpub/logs/LogFiles) and the Exchange logs (V15/Logging), and keep a "
		       "disk image if you can");
		if (rebuild)
			remedy(j,
			       "rebuild the server rather than clean it: a webshell or a successful "
			       "exploitation gives SYSTEM rights, and attackers leave more than one "
			       "foothold; reset the credentials of accounts used on it");
		else
			remedy(j,
			       "investigate the artifacts before deciding whether to clean or rebuild");
	}
	if (attempts)
		remedy(j, "exploitation attempts were logged: confirm the security updates were "
		          "installed before the first attempt and review the logs around it");
}

static bool build_at_least(const char *build, const char *min)
{
	struct exs_version a, b;

	if (!build || exs_version_parse(build, &a, NULL) || exs_version_parse(min, &b, NULL))
		return false;
	return a.part[0] == b.part[0] && a.part[1] == b.part[1] && exs_version_cmp(&a, &b) >= 0;
}

static void judge_tls(struct judge *j, struct json_object *probe)
{
	const char *proto = exs_json_get_str(probe, "tls.protocol", NULL);
	int64_t bits = exs_json_get_int(probe, "tls.key_bits", 0);
	const char *ktype = exs_json_get_str(probe, "tls.key_type", "");
	char text[160];

	if (proto && (strcmp(proto, "TLSv1") == 0 || strcmp(proto, "TLSv1.1") == 0 ||
	              strncmp(proto, "SSL", 3) == 0)) {
		snprintf(text, sizeof(text), "weak TLS: the server negotiated %s", proto);
		reason(j, EXS_VERDICT_AT_RISK, text, "probe", json_object_new_string("tls"));
		remedy(j, "disable TLS 1.0 and 1.1 on the server (Exchange TLS guidance)");
	}
	if (bits > 0 && bits < 2048 && (strcmp(ktype, "RSA") == 0 || strcmp(ktype, "rsa") == 0)) {
		snprintf(text, sizeof(text), "weak TLS: %lld-bit RSA certificate key",
		         (long long)bits);
		reason(j, EXS_VERDICT_AT_RISK, text, "probe", json_object_new_string("tls"));
		remedy(j, "replace the certificate with one of at least 2048-bit RSA or ECDSA");
	}
	if (exs_json_get_bool(probe, "tls.expired", false)) {
		reason(j, EXS_VERDICT_AT_RISK, "the TLS certificate has expired", "probe",
		       json_object_new_string("tls"));
		remedy(j, "renew the server's TLS certificate");
	}
}

/* The evidence of a mitigation for CVE id, copied into ev: one the probe saw
 * (a check of method "mitigation"), or an enabled URL Rewrite rule a walk
 * read from the host's IIS configuration; false when none. */
static bool probe_mitigation(struct json_object *host, struct json_object *probe, const char *id,
                             char *ev, size_t cap)
{
	struct json_object *checks = exs_json_get(probe, "checks");
	struct json_object *rules = exs_json_get(host, "layout.iis.mitigations");
	size_t n = rules && json_object_is_type(rules, json_type_array)
	                   ? json_object_array_length(rules)
	                   : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(rules, i);

		if (strcmp(exs_json_get_str(m, "cve", ""), id) != 0 ||
		    !exs_json_get_bool(m, "enabled", false))
			continue;
		snprintf(ev, cap, "URL Rewrite rule '%s' in %s (%s)",
		         exs_json_get_str(m, "rule", "?"), exs_json_get_str(m, "file", "?"),
		         *exs_json_get_str(m, "location", "") ? exs_json_get_str(m, "location", "")
		                                              : "the whole server");
		return true;
	}
	n = checks && json_object_is_type(checks, json_type_array)
	            ? json_object_array_length(checks)
	            : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(checks, i);

		if (strcmp(exs_json_get_str(c, "id", ""), id) != 0 ||
		    strcmp(exs_json_get_str(c, "method", ""), "mitigation") != 0)
			continue;
		exs_check_evidence(c, ev, cap);
		return true;
	}
	return false;
}

static void judge_probe(struct judge *j, struct json_object *probe, const struct exs_kb *kb,
                        time_t now)
{
	struct json_object *checks = exs_json_get(probe, "checks");
	struct json_object *cves = exs_json_get(probe, "open_cves");
	const char *build = exs_json_get_str(probe, "build", NULL);
	const char *precision = exs_json_get_str(probe, "build_precision", "none");
	size_t n;
	bool kev_certain = false, kev_maybe = false, others = false;
	char text[512];

	if (checks && json_object_is_type(checks, json_type_array)) {
		n = json_object_array_length(checks);
		for (size_t i = 0; i < n; i++) {
			struct json_object *c = json_object_array_get_idx(checks, i);
			const char *id = exs_json_get_str(c, "id", "?");

			/* "build" checks restate open_cves, judged below */
			if (strcmp(exs_json_get_str(c, "result", ""), "vulnerable") != 0 ||
			    strcmp(exs_json_get_str(c, "method", "active"), "build") == 0)
				continue;
			char ev[300];

			snprintf(text, sizeof(text), "%s check %s answered vulnerable (%s)",
			         exs_json_get_str(c, "method", "active"), id,
			         exs_check_evidence(c, ev, sizeof(ev)));
			reason(j, EXS_VERDICT_VULNERABLE, text, "check",
			       json_object_new_string(id));
		}
	}
	n = cves && json_object_is_type(cves, json_type_array) ? json_object_array_length(cves) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cves, i);
		const char *id = exs_json_get_str(c, "id", "?");
		const char *fixed_by = exs_json_get_str(c, "fixed_by", NULL);
		bool kev = exs_json_get_bool(c, "kev", false);
		bool certain = exs_json_get_bool(c, "certain", false);
		bool config = exs_json_get_bool(c, "config_dependent", false);
		char mev[300];
		const char *step = exs_json_get_str(c, "step", NULL);
		bool ep = exs_kb_step_is_extended_protection(step);

		bool exact = strcmp(precision, "exact") == 0;

		if (config && !certain && ep && (!fixed_by || (step && exact)) &&
		    exs_json_get_int(j->host, "layout.iis.extended_protection_checked", 0) > 0) {
			/* Extended Protection read from applicationHost.config on the disk */
			struct json_object *off =
			        exs_json_get(j->host, "layout.iis.extended_protection_off");
			size_t n_off = off && json_object_is_type(off, json_type_array)
			                       ? json_object_array_length(off)
			                       : 0;

			if (n_off == 0)
				continue; /* on for every Exchange virtual directory: closed */
			snprintf(text, sizeof(text),
			         "%s is open: Extended Protection is off on %s%s (%s)", id,
			         json_object_get_string(json_object_array_get_idx(off, 0)),
			         n_off > 1 ? " and others" : "",
			         exs_json_get_str(j->host, "layout.iis.file",
			                          "applicationHost.config"));
			reason(j, kev ? EXS_VERDICT_VULNERABLE : EXS_VERDICT_AT_RISK, text, "cve",
			       json_object_new_string(id));
			remedy(j,
			       "enable Extended Protection on all virtual directories "
			       "(CVE-2024-21410; the Exchange Server Extended Protection script)");
			continue;
		}
		if (config && !certain) {
			/* Serialization signing is on by default once Nov23SU is installed;
			 * Extended Protection is on by default from Exchange 2019 CU14 and in SE
			 * (exchange-facts-extra.md). Elsewhere it cannot be decided: at-risk. */
			bool by_default =
			        (fixed_by && exact && !step) ||
			        ((!fixed_by || step) && build_at_least(build, "15.2.1544.4"));

			if (step && !ep) {
				/* a step after the update (AD preparation, hybrid application) */
				snprintf(text, sizeof(text),
				         "%s depends on configuration that cannot be seen "
				         "from outside: %s",
				         id, step);
				reason(j, EXS_VERDICT_AT_RISK, text, "cve",
				       json_object_new_string(id));
				remedy(j, step);
				continue;
			}
			if (by_default)
				continue;
			snprintf(text, sizeof(text),
			         "%s depends on configuration that cannot be "
			         "seen from outside%s",
			         id, fixed_by && !step ? "" : " (Extended Protection)");
			reason(j, EXS_VERDICT_AT_RISK, text, "cve", json_object_new_string(id));
			if (!fixed_by || step)
				remedy(j, "enable Extended Protection on all virtual directories "
				          "(CVE-2024-21410)");
			continue;
		}
		if (kev && certain && probe_mitigation(j->host, probe, id, mev, sizeof(mev))) {
			/* Microsoft's emergency mitigation seen on the server: the hole
			 * is open but closed off, until the update is installed */
			snprintf(text, sizeof(text),
			         "%s is open but mitigated, not patched: %s; install %s to fix it",
			         id, mev, fixed_by ? fixed_by : "the update that fixes it");
			reason(j, EXS_VERDICT_AT_RISK, text, "cve", json_object_new_string(id));
			continue;
		}
		if (kev && certain) {
			snprintf(text, sizeof(text),
			         "%s%s%s%s is open: known exploited, fixed by %s", id,
			         exs_json_get_str(c, "name", NULL) ? " (" : "",
			         exs_json_get_str(c, "name", ""),
			         exs_json_get_str(c, "name", NULL) ? ")" : "",
			         fixed_by ? fixed_by : "?");
			reason(j, EXS_VERDICT_VULNERABLE, text, "cve", json_object_new_string(id));
			kev_certain = true;
		} else if (kev) {
			snprintf(text, sizeof(text),
			         "%s (known exploited) may be open: only the CU is "
			         "visible, it depends on the installed update",
			         id);
			reason(j, EXS_VERDICT_AT_RISK, text, "cve", json_object_new_string(id));
			kev_maybe = true;
		} else {
			others = true;
		}
	}
	if (others) {
		snprintf(text, sizeof(text), "open CVEs that are not known exploited (%s build)",
		         precision);
		reason(j, EXS_VERDICT_AT_RISK, text, "probe", json_object_new_string("open_cves"));
	}
	if (kev_maybe)
		remedy(j,
		       "confirm the installed security update on the server (HealthChecker or "
		       "Get-Command ExSetup | % FileVersionInfo): only the CU is visible from outside");
	if (build && kb) {
		struct exs_version v;
		struct exs_assessment a;

		if (exs_version_parse(build, &v, NULL) == 0 && assess(j, kb, &v, now, &a) == 0) {
			char nb[48], nb_advice[400];

			if (a.end_of_support) {
				snprintf(text, sizeof(text), "%s is out of support since %s",
				         a.product->name, a.product->end_of_support);
				reason(j, EXS_VERDICT_AT_RISK, text, "probe",
				       json_object_new_string("product"));
				remedy(j, "move to a supported Exchange line (Exchange Server SE): "
				          "out-of-support servers get no fixes for new holes");
			}
			if (a.newer_than_tables) {
				snprintf(text, sizeof(text),
				         "build %s is newer than the tables (newest update %s): "
				         "what it fixes is unknown",
				         build, exs_kb_newest_date(kb));
				reason(j, EXS_VERDICT_AT_RISK, text, "probe",
				       json_object_new_string("build"));
				remedy(j, exs_kb_refresh_advice());
			}
			exs_kb_advice(&a, nb_advice, sizeof(nb_advice));
			if ((nb_advice[0] || kev_certain) && a.newest) {
				if (a.newest_on_cu && a.newest_on_cu != a.newest &&
				    a.newest_on_cu->update[0] && a.entry != a.newest_on_cu)
					snprintf(text, sizeof(text),
					         "install %s for %s %s (%s%s%s), then "
					         "move to %s %s",
					         a.newest_on_cu->update, a.product->name,
					         a.newest_on_cu->cu,
					         exs_version_format(&a.newest_on_cu->version, nb,
					                            sizeof(nb)),
					         a.newest_on_cu->kb[0] ? ", " : "",
					         a.newest_on_cu->kb, a.newest->cu,
					         a.newest->update);
				else if (nb_advice[0]) /* says ESU-only and names SE */
					snprintf(text, sizeof(text), "%s", nb_advice);
				else
					snprintf(text, sizeof(text), "install %s %s %s (%s%s%s)",
					         a.product->name, a.newest->cu, a.newest->update,
					         exs_version_format(&a.newest->version, nb,
					                            sizeof(nb)),
					         a.newest->kb[0] ? ", " : "", a.newest->kb);
				remedy(j, text);
				if (a.newest->esu_only && strcmp(text, nb_advice) != 0)
					remedy(j, nb_advice);
			}
			{
				/* what the missing updates cost besides CVEs */
				const char *notes[4];
				size_t nn = exs_kb_service_notes(kb, &a, notes, 4);

				for (size_t i = 0; i < nn; i++)
					remedy(j, notes[i]);
			}
			exs_assessment_release(&a);
		}
	}
	judge_tls(j, probe);
}

/* The exact build a walk read from the disk (Bin/ExSetup.exe), judged with the
 * same tables as a probe's when no probe saw an Exchange server; beside a
 * probe it is compared, and a disagreement is said, not hidden.  The
 * assessment is kept on the host as "disk_build".  Returns whether the disk
 * build was judged. */
static bool judge_disk_build(struct judge *j, struct json_object *host, struct json_object *probe,
                             bool is_exchange, const struct exs_kb *kb, time_t now)
{
	const char *build = exs_json_get_str(host, "layout.build", NULL);
	const char *file = exs_json_get_str(host, "layout.build_file", "Bin/ExSetup.exe");
	/* "cu" when it came from the registry's setup keys */
	const char *disk_prec = exs_json_get_str(host, "layout.build_precision", "exact");
	struct json_object *d;
	struct exs_version v;
	struct exs_assessment a;
	char text[512];

	if (!build || !kb || exs_version_parse(build, &v, NULL) != 0 ||
	    assess(j, kb, &v, now, &a) != 0)
		return false;
	d = json_object_new_object();
	json_object_object_add(d, "build", json_object_new_string(build));
	json_object_object_add(
	        d, "build_precision",
	        json_object_new_string(strcmp(disk_prec, "cu") == 0 ? "cu" : "exact"));
	json_object_object_add(d, "build_source", json_object_new_string("disk"));
	json_object_object_add(d, "file", json_object_new_string(file));
	json_object_object_add(d, "product",
	                       a.product ? json_object_new_string(a.product->name) : NULL);
	json_object_object_add(d, "open_cves", exs_open_cves_to_json(&a));
	exs_assessment_release(&a);
	json_object_object_add(host, "disk_build", d);
	if (!is_exchange) {
		judge_probe(j, d, kb, now);
		return true;
	}
	{
		const char *pb = exs_json_get_str(probe, "build", NULL);
		const char *prec = exs_json_get_str(probe, "build_precision", "none");

		size_t bl = strlen(build);
		/* the registry's CU agrees with any update of that CU */
		bool differs = strcmp(disk_prec, "cu") == 0
		                       ? pb && (strncmp(pb, build, bl) != 0 || pb[bl] != '.')
		                       : pb && strcmp(pb, build) != 0;

		if (pb && strcmp(prec, "exact") == 0 && differs) {
			snprintf(
			        text, sizeof(text),
			        "the probe saw build %s but %s on the disk says %s: a half-finished "
			        "update, or the probe reached another server",
			        pb, file, build);
			reason(j, EXS_VERDICT_AT_RISK, text, "host",
			       json_object_new_string("disk_build"));
		}
	}
	return false;
}

/* How bad one probe result is on its own: unreachable < not Exchange <
 * Exchange by its verdict.  Used to choose among the probes of several
 * addresses that claim one host. */
static int probe_rank(struct json_object *rec, const struct exs_kb *kb, time_t now,
                      struct exs_kb_memo *memo)
{
	struct json_object *probe = exs_json_get(rec, "probe");
	struct judge j = {0};
	int rank;

	j.host = rec;
	j.memo = memo;
	if (!probe || !json_object_is_type(probe, json_type_object))
		return 0;
	if (!exs_json_get_bool(probe, "is_exchange", false))
		return 1;
	j.reasons = json_object_new_array();
	j.remedies = json_object_new_array();
	j.verdict = EXS_VERDICT_CLEAN;
	judge_probe(&j, probe, kb, now);
	rank = 2 + (int)j.verdict;
	json_object_put(j.reasons);
	json_object_put(j.remedies);
	return rank;
}

/* Exchanges the host's probe (address, port, error, probe) with an
 * "other_probes" entry; the host's name goes with it when it was the
 * demoted probe's address. */
static void swap_probe(struct json_object *host, struct json_object *rec)
{
	static const char *const keys[] = {"host", "address", "port", "error", "probe"};
	const char *name = exs_json_get_str(host, "host", "");
	const char *addr = exs_json_get_str(host, "address", NULL);
	bool move_name = addr && strcasecmp(name, addr) == 0 && exs_json_get_str(rec, "host", NULL);

	for (size_t i = move_name ? 0 : 1; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *a = NULL, *b = NULL;
		bool in_host = json_object_object_get_ex(host, keys[i], &a);
		bool in_rec = json_object_object_get_ex(rec, keys[i], &b);

		json_object_get(a);
		json_object_get(b);
		json_object_object_del(host, keys[i]);
		json_object_object_del(rec, keys[i]);
		if (in_rec)
			json_object_object_add(host, keys[i], b);
		else
			json_object_put(b);
		if (in_host)
			json_object_object_add(rec, keys[i], a);
		else
			json_object_put(a);
	}
}

static size_t other_probes(struct json_object *host, struct json_object **others)
{
	*others = exs_json_get(host, "other_probes");
	return *others && json_object_is_type(*others, json_type_array)
	               ? json_object_array_length(*others)
	               : 0;
}

/* Several addresses answered as this host (the same NTLM computer names,
 * or one name resolved differently): the worst of their probes becomes the
 * host's probe.  Nothing the server says about its identity can hide
 * another address's result. */
static void choose_probe(struct json_object *host, const struct exs_kb *kb, time_t now,
                         struct exs_kb_memo *memo)
{
	struct json_object *others;
	size_t n = other_probes(host, &others), at = SIZE_MAX;
	int best = n ? probe_rank(host, kb, now, memo) : 0;

	for (size_t i = 0; i < n; i++) {
		int r = probe_rank(json_object_array_get_idx(others, i), kb, now, memo);

		if (r > best) {
			best = r;
			at = i;
		}
	}
	if (at != SIZE_MAX)
		swap_probe(host, json_object_array_get_idx(others, at));
}

/* After choose_probe(): differing builds at the addresses of one host are a
 * reason of their own; an address that could not be scanned makes the host
 * incomplete. */
static void judge_other_probes(struct judge *j, struct json_object *host, bool *incomplete)
{
	struct json_object *others;
	size_t n = other_probes(host, &others), used = 0;
	char list[300] = "", text[512];
	const char *build, *name;
	bool exch;

	if (n == 0)
		return;
	build = exs_json_get_str(host, "probe.build", NULL);
	exch = exs_json_get_bool(host, "probe.is_exchange", false);
	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = json_object_array_get_idx(others, i);
		const char *rb = exs_json_get_str(rec, "probe.build", NULL);
		int w;

		if (exs_json_get_str(rec, "error", NULL))
			*incomplete = true;
		if (!json_object_is_type(exs_json_get(rec, "probe"), json_type_object))
			continue;
		if (exs_json_get_bool(rec, "probe.is_exchange", false) == exch &&
		    strcmp(rb ? rb : "", build ? build : "") == 0)
			continue;
		w = snprintf(list + used, sizeof(list) - used, "%s%s:%lld (%s)", used ? ", " : "",
		             exs_json_get_str(rec, "address", "?"),
		             (long long)exs_json_get_int(rec, "port", 443),
		             rb                                                   ? rb
		             : exs_json_get_bool(rec, "probe.is_exchange", false) ? "build unknown"
		                                                                  : "not Exchange");
		used = w < 0 || (size_t)w >= sizeof(list) - used ? sizeof(list) - 1
		                                                 : used + (size_t)w;
	}
	if (!used)
		return;
	name = exs_json_get_str(host, "probe.ntlm.netbios_computer",
	                        exs_json_get_str(host, "probe.ntlm.dns_computer",
	                                         exs_json_get_str(host, "host", "?")));
	snprintf(text, sizeof(text),
	         "conflicting identity: %s:%lld (%s) and %s all answer as %s; the worst of "
	         "them is judged, one may be an impostor",
	         exs_json_get_str(host, "address", "?"),
	         (long long)exs_json_get_int(host, "port", 443),
	         build  ? build
	         : exch ? "build unknown"
	                : "not Exchange",
	         list, name);
	reason(j, EXS_VERDICT_AT_RISK, text, "probe", json_object_new_string("other_probes"));
	remedy(j, "find out which address really is this server (DNS, DHCP and switch "
	          "records) and probe each address alone: a machine that answers with another "
	          "server's computer name may be there to hide it");
}

struct json_object *exs_verdict_main_reason(struct json_object *host)
{
	struct json_object *reasons = exs_json_get(host, "reasons");
	const char *verdict = exs_json_get_str(host, "verdict", "unknown");
	size_t n;

	if (!reasons || !json_object_is_type(reasons, json_type_array))
		return NULL;
	n = json_object_array_length(reasons);
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(reasons, i);

		if (strcmp(exs_json_get_str(r, "level", ""), verdict) == 0)
			return r;
	}
	return n ? json_object_array_get_idx(reasons, 0) : NULL;
}

static enum exs_verdict judge_host(struct json_object *host, const struct exs_kb *kb, time_t now,
                                   struct exs_kb_memo *memo, bool *incomplete)
{
	struct judge j = {0};
	struct json_object *probe, *findings = exs_json_get(host, "findings");
	struct json_object *evidence = json_object_new_array();
	bool has_probe, inc = false, disk_judged = false;
	/* a walk leaves its root and statistics; "findings" alone may be an empty
	 * array added for a probe-only host */
	bool has_walk = exs_json_get(host, "root") || exs_json_get(host, "stats");
	bool is_exchange;
	const char *error;

	if (!findings || !json_object_is_type(findings, json_type_array))
		json_object_object_add(host, "findings", json_object_new_array());
	j.host = host;
	j.reasons = json_object_new_array();
	j.remedies = json_object_new_array();
	j.verdict = EXS_VERDICT_UNKNOWN;
	j.memo = memo;
	/* first: it may choose another address's probe as the host's */
	choose_probe(host, kb, now, memo);
	probe = exs_json_get(host, "probe");
	has_probe = probe && json_object_is_type(probe, json_type_object);
	is_exchange = has_probe && exs_json_get_bool(probe, "is_exchange", false);
	error = exs_json_get_str(host, "error", NULL);
	if (error)
		inc = true;
	if (has_walk)
		judge_findings(&j, host, &inc, evidence);
	if (is_exchange)
		judge_probe(&j, probe, kb, now);
	disk_judged = has_walk && judge_disk_build(&j, host, probe, is_exchange, kb, now);
	judge_other_probes(&j, host, &inc);

	if (j.verdict == EXS_VERDICT_UNKNOWN) {
		/* nothing against the host: clean only if we know it is Exchange and
		 * looked at it; otherwise say why we cannot judge */
		bool walked = has_walk && !exs_json_get_str(host, "walk_error", NULL) &&
		              exs_json_get_int(host, "stats.files_scanned", 1) > 0;

		char clean[512];
		const char *what = NULL;

		if (disk_judged && walked)
			what = "no open known CVE (exact build from the disk) and no evidence of "
			       "compromise";
		else if (is_exchange || (walked && !has_probe))
			what = is_exchange && walked
			               ? "no open known CVE and no evidence of compromise"
			       : is_exchange ? "no open known CVE (file system not scanned)"
			                     : "no evidence of compromise on disk or in logs "
			                       "(patch level not probed)";
		if (what) {
			/* "no evidence in the logs" means as far back as they reach */
			if (j.coverage[0])
				snprintf(clean, sizeof(clean), "%s; the logs read reach: %s", what,
				         j.coverage);
			else
				snprintf(clean, sizeof(clean), "%s", what);
			j.verdict = EXS_VERDICT_CLEAN;
			reason(&j, EXS_VERDICT_CLEAN, clean, "host", NULL);
		} else if (error) {
			char text[512];

			snprintf(text, sizeof(text), "could not be scanned: %s", error);
			reason(&j, EXS_VERDICT_UNKNOWN, text, "host", NULL);
		} else if (has_probe && !is_exchange) {
			reason(&j, EXS_VERDICT_UNKNOWN, "not an Exchange server", "probe", NULL);
		} else {
			reason(&j, EXS_VERDICT_UNKNOWN, "too little was scanned to judge", "host",
			       NULL);
		}
	}
	json_object_object_add(host, "verdict",
	                       json_object_new_string(exs_verdict_name(j.verdict)));
	json_object_object_add(host, "reasons", j.reasons);
	json_object_object_add(host, "remediation", j.remedies);
	json_object_object_add(host, "evidence", evidence);
	json_object_object_add(host, "incomplete", json_object_new_boolean(inc));
	if (incomplete)
		*incomplete = inc;
	return j.verdict;
}

enum exs_verdict exs_verdict_judge(struct json_object *host, const struct exs_kb *kb, time_t now,
                                   bool *incomplete)
{
	return judge_host(host, kb, now, NULL, incomplete);
}

enum exs_verdict exs_verdict_judge_memo(struct json_object *host, struct exs_kb_memo *memo,
                                        bool *incomplete)
{
	return judge_host(host, memo->kb, memo->today, memo, incomplete);
}
