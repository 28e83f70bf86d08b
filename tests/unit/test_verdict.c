/* Every verdict rule, on host objects as probe and walk write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/report.h"
#include "exscan/verdict.h"

#define NOW ((time_t)1795392000) /* 2026-11-23 */

static struct exs_kb *kb;

static int setup(void **state)
{
	(void)state;
	kb = exs_kb_load(NULL, NULL, NULL);
	return kb ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	exs_kb_free(kb);
	return 0;
}

/* Judges a host given as JSON text; the kb is used only when with_kb. */
static enum exs_verdict judge(const char *json, bool with_kb, bool *incomplete,
                              struct json_object **out)
{
	struct json_object *h = json_tokener_parse(json);
	bool inc = false;
	enum exs_verdict v;

	if (!h)
		fail_msg("test JSON does not parse: %s", json);
	v = exs_verdict_judge(h, with_kb ? kb : NULL, NOW, &inc);
	assert_string_equal(exs_json_get_str(h, "verdict", ""), exs_verdict_name(v));
	assert_true(json_object_array_length(exs_json_get(h, "reasons")) > 0);
	if (incomplete)
		*incomplete = inc;
	if (out)
		*out = h;
	else
		json_object_put(h);
	return v;
}

#define PROBE(build, cves, checks, tls)                                                            \
	"{\"host\":\"h\",\"port\":443,\"error\":null,\"probe\":{\"is_exchange\":true,"             \
	"\"build\":\"" build "\",\"build_precision\":\"exact\",\"open_cves\":[" cves "],"          \
	"\"checks\":[" checks "],\"tls\":{" tls "}}}"
#define KEV_OPEN                                                                                   \
	"{\"id\":\"CVE-2021-26855\",\"kev\":true,\"config_dependent\":false,\"certain\":true,\"fixed_by\":\"Mar21SU\"}"
#define KEV_MAYBE                                                                                  \
	"{\"id\":\"CVE-2021-26855\",\"kev\":true,\"config_dependent\":false,\"certain\":false,\"fixed_by\":\"Mar21SU\"}"
#define PLAIN_OPEN                                                                                 \
	"{\"id\":\"CVE-2021-24085\",\"kev\":false,\"config_dependent\":false,\"certain\":true,\"fixed_by\":\"Feb21SU\"}"
#define EP_OPEN                                                                                    \
	"{\"id\":\"CVE-2024-21410\",\"kev\":true,\"config_dependent\":true,\"certain\":false,\"fixed_by\":null}"
#define VULN_CHECK "{\"id\":\"CVE-2021-34473\",\"result\":\"vulnerable\",\"evidence\":\"302\"}"
#define SAFE_CHECK                                                                                 \
	"{\"id\":\"CVE-2021-26855\",\"result\":\"not-vulnerable\",\"evidence\":\"no header\"}"
#define WALK(findings)                                                                                           \
	"{\"host\":\"h\",\"root\":\"/mnt\",\"stats\":{\"files_scanned\":5,\"errors\":0},\"findings\":[" findings \
	"]}"
#define SHELL(score, sev)                                                                                                \
	"{\"path\":\"inetpub/wwwroot/aspnet_client/x.aspx\",\"kind\":\"webshell\",\"rule\":\"chopper\",\"score\":" score \
	",\"severity\":\"" sev "\"}"
#define LOG(success, score, sev)                                                                                                                                    \
	"{\"path\":\"V15/Logging/HttpProxy/Ecp/a.log\",\"kind\":\"log\",\"rule\":\"r\",\"cve\":\"CVE-2021-26855\",\"campaign\":\"ProxyLogon\",\"success\":" success \
	",\"score\":" score ",\"severity\":\"" sev "\",\"count\":3}"

static void webshell_at_alert_is_compromised_even_when_patched(void **state)
{
	struct json_object *h;

	(void)state;
	/* latest SE, nothing open by build, but a webshell on disk */
	assert_int_equal(
	        judge("{\"host\":\"h\",\"root\":\"/mnt\",\"stats\":{\"files_scanned\":3},"
	              "\"findings\":[" SHELL(
	                      "90",
	                      "alert") "],\"probe\":{\"is_exchange\":true,"
	                               "\"build\":\"15.2.2562.46\",\"build_precision\":\"exact\",\"open_cves\":[],"
	                               "\"checks\":[" SAFE_CHECK "]}}",
	              true, NULL, &h),
	        EXS_VERDICT_COMPROMISED);
	assert_string_equal(
	        json_object_get_string(json_object_array_get_idx(exs_json_get(h, "evidence"), 0)),
	        "inetpub/wwwroot/aspnet_client/x.aspx");
	assert_non_null(
	        strstr(json_object_to_json_string(exs_json_get(h, "remediation")), "rebuild"));
	assert_non_null(strstr(json_object_to_json_string(exs_json_get(h, "remediation")),
	                       "preserve evidence"));
	json_object_put(h);
}

static void suspicious_below_alert_is_at_risk(void **state)
{
	(void)state;
	assert_int_equal(judge(WALK(SHELL("65", "warning")), false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
	assert_int_equal(judge(WALK(SHELL("20", "info")), false, NULL, NULL), EXS_VERDICT_CLEAN);
}

static void successful_exploitation_in_logs_is_compromised(void **state)
{
	(void)state;
	assert_int_equal(judge(WALK(LOG("true", "90", "alert")), false, NULL, NULL),
	                 EXS_VERDICT_COMPROMISED);
}

static void failed_attempt_is_at_risk(void **state)
{
	(void)state;
	assert_int_equal(judge(WALK(LOG("false", "60", "warning")), false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
}

static void active_check_vulnerable(void **state)
{
	(void)state;
	assert_int_equal(judge(PROBE("15.2.2562.46", "", VULN_CHECK, ""), false, NULL, NULL),
	                 EXS_VERDICT_VULNERABLE);
}

static void kev_open_by_exact_build_is_vulnerable(void **state)
{
	struct json_object *h;

	(void)state;
	assert_int_equal(judge(PROBE("15.1.2176.2", KEV_OPEN, SAFE_CHECK, ""), true, NULL, &h),
	                 EXS_VERDICT_VULNERABLE);
	/* remediation names the update to install */
	assert_non_null(
	        strstr(json_object_to_json_string(exs_json_get(h, "remediation")), "May21SU"));
	json_object_put(h);
}

/* A build above the newest of its line: the tables are older than the server. */
static void newer_than_the_tables_is_not_clean(void **state)
{
	struct json_object *h;

	(void)state;
	assert_int_equal(judge(PROBE("15.2.2562.60", "", SAFE_CHECK, ""), true, NULL, &h),
	                 EXS_VERDICT_AT_RISK);
	assert_non_null(strstr(json_object_to_json_string(exs_json_get(h, "reasons")),
	                       "newer than the tables"));
	assert_non_null(
	        strstr(json_object_to_json_string(exs_json_get(h, "remediation")), "--builds"));
	json_object_put(h);
}

/* An installed update whose configuration step cannot be seen stays
 * "depends on configuration" (at-risk), with the step as the remedy. */
static void config_step_after_the_update(void **state)
{
#define STEP_CVE(id, fixed, step)                                                                  \
	"{\"id\":\"" id "\",\"kev\":false,\"config_dependent\":true,\"certain\":false,"            \
	"\"fixed_by\":" fixed ",\"step\":\"" step "\"}"
	struct json_object *h;

	(void)state;
	assert_int_equal(judge(PROBE("15.1.2507.71",
	                             STEP_CVE("CVE-2021-34470", "\"Jul21SU\"",
	                                      "run Setup /PrepareSchema after the update"),
	                             SAFE_CHECK, ""),
	                       false, NULL, &h),
	                 EXS_VERDICT_AT_RISK);
	assert_non_null(strstr(json_object_to_json_string(exs_json_get(h, "remediation")),
	                       "PrepareSchema"));
	json_object_put(h);
	assert_int_equal(judge(PROBE("15.2.2562.57",
	                             STEP_CVE("CVE-2025-53786", "null",
	                                      "create the dedicated Exchange hybrid application"),
	                             SAFE_CHECK, ""),
	                       false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
	/* Extended Protection after Aug22SU: not on by default on 2016 */
	assert_int_equal(
	        judge(PROBE("15.1.2507.71",
	                    STEP_CVE("CVE-2022-24516", "\"Aug22SU\"",
	                             "enable Extended Protection on every Exchange virtual "
	                             "directory"),
	                    SAFE_CHECK, ""),
	              false, NULL, NULL),
	        EXS_VERDICT_AT_RISK);
	/* ... but on by default from Exchange 2019 CU14 */
	assert_int_equal(
	        judge(PROBE("15.2.1748.55",
	                    STEP_CVE("CVE-2022-24516", "\"Aug22SU\"",
	                             "enable Extended Protection on every Exchange virtual "
	                             "directory"),
	                    SAFE_CHECK, ""),
	              false, NULL, NULL),
	        EXS_VERDICT_CLEAN);
#undef STEP_CVE
}

static void other_open_cves_are_at_risk(void **state)
{
	(void)state;
	assert_int_equal(judge(PROBE("15.1.2176.9", PLAIN_OPEN, "", ""), false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
}

static void cu_only_maybe_vulnerable_is_at_risk(void **state)
{
	(void)state;
	assert_int_equal(judge(PROBE("15.1.2176", KEV_MAYBE, "", ""), false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
}

static void end_of_support_is_at_risk(void **state)
{
	(void)state;
	/* Exchange 2013's last update: nothing open in the probe's list, but out of support */
	assert_int_equal(judge(PROBE("15.0.1497.48", "", SAFE_CHECK, ""), true, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
}

static void config_dependent_cves(void **state)
{
	(void)state;
	/* Extended Protection is not on by default before 2019 CU14: undecidable, at-risk */
	assert_int_equal(judge(PROBE("15.2.1118.40", EP_OPEN, "", ""), false, NULL, NULL),
	                 EXS_VERDICT_AT_RISK);
	/* on by default in SE: not a reason on its own */
	assert_int_equal(judge(PROBE("15.2.2562.46", EP_OPEN, SAFE_CHECK, ""), true, NULL, NULL),
	                 EXS_VERDICT_CLEAN);
}

static void weak_tls_is_at_risk(void **state)
{
	(void)state;
	assert_int_equal(
	        judge(PROBE("15.2.2562.46", "", "", "\"protocol\":\"TLSv1\""), false, NULL, NULL),
	        EXS_VERDICT_AT_RISK);
	assert_int_equal(
	        judge(PROBE("15.2.2562.46", "", "", "\"key_type\":\"RSA\",\"key_bits\":1024"),
	              false, NULL, NULL),
	        EXS_VERDICT_AT_RISK);
	assert_int_equal(
	        judge(PROBE("15.2.2562.46", "", "", "\"protocol\":\"TLSv1.3\""), false, NULL, NULL),
	        EXS_VERDICT_CLEAN);
}

static void unknown_hosts(void **state)
{
	bool inc = false;

	(void)state;
	assert_int_equal(judge("{\"host\":\"h\",\"error\":\"connection refused\",\"probe\":null}",
	                       true, &inc, NULL),
	                 EXS_VERDICT_UNKNOWN);
	assert_true(inc);
	assert_int_equal(judge("{\"host\":\"h\",\"error\":null,\"probe\":{\"is_exchange\":false}}",
	                       true, &inc, NULL),
	                 EXS_VERDICT_UNKNOWN);
	assert_false(inc);
	assert_int_equal(judge("{\"host\":\"h\",\"root\":\"/x\",\"stats\":{\"files_scanned\":0},"
	                       "\"findings\":[]}",
	                       true, NULL, NULL),
	                 EXS_VERDICT_UNKNOWN);
}

static void walk_only_without_evidence_is_clean_and_errors_mark_incomplete(void **state)
{
	bool inc = true;

	(void)state;
	assert_int_equal(judge(WALK(""), false, &inc, NULL), EXS_VERDICT_CLEAN);
	assert_false(inc);
	assert_int_equal(
	        judge(WALK("{\"path\":\"x\",\"kind\":\"error\",\"score\":0}"), false, &inc, NULL),
	        EXS_VERDICT_CLEAN);
	assert_true(inc);
}

static void thresholds(void **state)
{
	(void)state;
	assert_true(exs_verdict_reaches(EXS_VERDICT_COMPROMISED, EXS_FAIL_ON_VULNERABLE));
	assert_true(exs_verdict_reaches(EXS_VERDICT_VULNERABLE, EXS_FAIL_ON_VULNERABLE));
	assert_false(exs_verdict_reaches(EXS_VERDICT_AT_RISK, EXS_FAIL_ON_VULNERABLE));
	assert_true(exs_verdict_reaches(EXS_VERDICT_AT_RISK, EXS_FAIL_ON_AT_RISK));
	assert_false(exs_verdict_reaches(EXS_VERDICT_VULNERABLE, EXS_FAIL_ON_COMPROMISED));
	assert_false(exs_verdict_reaches(EXS_VERDICT_COMPROMISED, EXS_FAIL_ON_NEVER));
	assert_false(exs_verdict_reaches(EXS_VERDICT_UNKNOWN, EXS_FAIL_ON_AT_RISK));
}

/* Two rules on one file and a notice on the same file: one reason, naming
 * each kind and family once, at the strongest level, scored by the best. */
static void one_reason_per_file(void **state)
{
	struct json_object *h, *reasons;
	const char *text;

	(void)state;
	assert_int_equal(
	        judge(WALK("{\"path\":\"a/b.aspx\",\"kind\":\"webshell\",\"rule\":\"r1\","
	                   "\"family\":\"China Chopper\",\"score\":90,\"severity\":\"alert\"},"
	                   "{\"path\":\"a/b.aspx\",\"kind\":\"location\",\"rule\":\"odd-place\","
	                   "\"score\":60,\"severity\":\"notice\"},"
	                   "{\"path\":\"a/b.aspx\",\"kind\":\"webshell\",\"rule\":\"r2\","
	                   "\"family\":\"China Chopper\",\"score\":95,\"severity\":\"alert\"},"
	                   "{\"path\":\"a/b.aspx\",\"kind\":\"webshell\",\"rule\":\"r3\","
	                   "\"family\":\"Godzilla\",\"score\":85,\"severity\":\"alert\"},"
	                   "{\"path\":\"c.aspx\",\"kind\":\"location\",\"rule\":\"odd-place\","
	                   "\"score\":60,\"severity\":\"notice\"}"),
	              false, NULL, &h),
	        EXS_VERDICT_COMPROMISED);
	reasons = exs_json_get(h, "reasons");
	assert_int_equal(json_object_array_length(reasons), 2);
	text = exs_json_get_str(json_object_array_get_idx(reasons, 0), "text", "");
	assert_string_equal(text, "webshell: China Chopper, Godzilla; location: odd-place at "
	                          "a/b.aspx (score 95)");
	assert_string_equal(exs_json_get_str(json_object_array_get_idx(reasons, 0), "level", ""),
	                    "compromised");
	/* the reason points at the best-scored finding */
	assert_int_equal(exs_json_get_int(json_object_array_get_idx(reasons, 0), "ref", -1), 2);
	assert_string_equal(exs_json_get_str(json_object_array_get_idx(reasons, 1), "level", ""),
	                    "at-risk");
	assert_int_equal(json_object_array_length(exs_json_get(h, "evidence")), 2);
	json_object_put(h);
}

/* A logged success below alert level is at-risk, and not called an exploitation. */
static void log_success_below_alert_wording(void **state)
{
	struct json_object *h;
	const char *text;

	(void)state;
	assert_int_equal(judge(WALK(LOG("true", "60", "warning")), false, NULL, &h),
	                 EXS_VERDICT_AT_RISK);
	text = exs_json_get_str(json_object_array_get_idx(exs_json_get(h, "reasons"), 0), "text",
	                        "");
	assert_non_null(strstr(text, "answered requests of ProxyLogon"));
	assert_null(strstr(text, "successful exploitation"));
	json_object_put(h);
	assert_int_equal(judge(WALK(LOG("true", "95", "alert")), false, NULL, &h),
	                 EXS_VERDICT_COMPROMISED);
	text = exs_json_get_str(json_object_array_get_idx(exs_json_get(h, "reasons"), 0), "text",
	                        "");
	assert_non_null(strstr(text, "successful exploitation ProxyLogon"));
	json_object_put(h);
}

/* A logged event without a CVE is named by its rule, at its level. */
static void log_event_without_cve_wording(void **state)
{
	struct json_object *h;
	const char *text;

	(void)state;
	assert_int_equal(
	        judge(WALK("{\"path\":\"Windows/System32/winevt/Logs/Security.evtx\",\"kind\":"
	                   "\"log\",\"rule\":\"evtx-w3wp-shell-child\",\"cve\":null,"
	                   "\"campaign\":\"webshell execution\",\"success\":true,\"score\":85,"
	                   "\"severity\":\"alert\",\"count\":2}"),
	              false, NULL, &h),
	        EXS_VERDICT_COMPROMISED);
	text = exs_json_get_str(json_object_array_get_idx(exs_json_get(h, "reasons"), 0), "text",
	                        "");
	assert_non_null(strstr(text, "logged webshell execution: evtx-w3wp-shell-child in "
	                             "Windows/System32/winevt/Logs/Security.evtx (2 times)"));
	json_object_put(h);
	assert_int_equal(
	        judge(WALK("{\"path\":\"x.evtx\",\"kind\":\"log\",\"rule\":"
	                   "\"evtx-transport-agent-install\",\"cve\":null,\"campaign\":"
	                   "\"transport agent\",\"success\":true,\"score\":60,\"severity\":"
	                   "\"warning\",\"count\":1}"),
	              false, NULL, &h),
	        EXS_VERDICT_AT_RISK);
	text = exs_json_get_str(json_object_array_get_idx(exs_json_get(h, "reasons"), 0), "text",
	                        "");
	assert_non_null(strstr(text, "logged transport agent: evtx-transport-agent-install"));
	assert_null(strstr(text, "answered requests"));
	json_object_put(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(webshell_at_alert_is_compromised_even_when_patched),
	        cmocka_unit_test(one_reason_per_file),
	        cmocka_unit_test(log_success_below_alert_wording),
	        cmocka_unit_test(log_event_without_cve_wording),
	        cmocka_unit_test(suspicious_below_alert_is_at_risk),
	        cmocka_unit_test(successful_exploitation_in_logs_is_compromised),
	        cmocka_unit_test(failed_attempt_is_at_risk),
	        cmocka_unit_test(active_check_vulnerable),
	        cmocka_unit_test(kev_open_by_exact_build_is_vulnerable),
	        cmocka_unit_test(newer_than_the_tables_is_not_clean),
	        cmocka_unit_test(config_step_after_the_update),
	        cmocka_unit_test(other_open_cves_are_at_risk),
	        cmocka_unit_test(cu_only_maybe_vulnerable_is_at_risk),
	        cmocka_unit_test(end_of_support_is_at_risk),
	        cmocka_unit_test(config_dependent_cves),
	        cmocka_unit_test(weak_tls_is_at_risk),
	        cmocka_unit_test(unknown_hosts),
	        cmocka_unit_test(walk_only_without_evidence_is_clean_and_errors_mark_incomplete),
	        cmocka_unit_test(thresholds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
