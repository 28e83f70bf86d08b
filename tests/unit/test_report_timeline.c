/* The per-host timeline built from findings, and the main reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/report.h"
#include "exscan/timeline.h"
#include "exscan/verdict.h"

static struct json_object *parse(const char *json)
{
	struct json_object *h = json_tokener_parse(json);

	if (!h)
		fail_msg("test JSON does not parse: %s", json);
	return h;
}

static const char *ev(struct json_object *h, size_t i, const char *member)
{
	return exs_json_get_str(json_object_array_get_idx(exs_json_get(h, "timeline"), i), member,
	                        "");
}

/* Log first/last, file times, coverage; times that do not parse are no events. */
static void events_in_time_order(void **state)
{
	struct json_object *h = parse(
	        "{\"host\":\"h\",\"findings\":["
	        "{\"kind\":\"webshell\",\"path\":\"a/s.aspx\",\"rule\":\"r\",\"family\":\"F\","
	        "\"score\":90,\"severity\":\"alert\",\"mtime\":\"2021-03-04T00:00:00Z\","
	        "\"ctime\":\"2021-03-05T00:00:00Z\",\"btime\":\"2021-03-03T12:00:00Z\"},"
	        "{\"kind\":\"log\",\"path\":\"l.log\",\"rule\":\"x\",\"campaign\":\"ProxyLogon\","
	        "\"cve\":\"CVE-2021-26855\",\"score\":60,\"severity\":\"warning\",\"success\":false,"
	        "\"first_seen\":\"2021-03-02T00:00:00Z\",\"last_seen\":\"2021-03-06T00:00:00Z\","
	        "\"count\":4},"
	        "{\"kind\":\"log\",\"path\":\"l.log\",\"rule\":\"y\",\"campaign\":\"ProxyLogon\","
	        "\"score\":90,\"severity\":\"alert\",\"success\":true,"
	        "\"first_seen\":\"2021-03-03T00:00:00Z\",\"last_seen\":\"2021-03-03T00:00:00Z\","
	        "\"count\":1},"
	        "{\"kind\":\"log\",\"path\":\"Security.evtx\",\"rule\":\"evtx-w3wp-shell-child\","
	        "\"score\":85,\"severity\":\"alert\",\"success\":true,"
	        "\"first_seen\":\"not a time\",\"last_seen\":null,\"count\":1},"
	        "{\"kind\":\"log\",\"path\":\"logs\",\"rule\":\"log-coverage\",\"family\":\"iis\","
	        "\"score\":0,\"severity\":\"info\",\"count\":2,"
	        "\"first_seen\":\"2021-01-01T00:00:00Z\",\"last_seen\":\"2021-03-07T00:00:00Z\"},"
	        "{\"kind\":\"error\",\"path\":\"e\",\"score\":0,\"severity\":\"info\"}]}");
	static const char *const want[][2] = {
	        {"2021-01-01T00:00:00Z", "logs-begin"},    {"2021-03-02T00:00:00Z", "log-first"},
	        {"2021-03-03T00:00:00Z", "log-first"},     {"2021-03-03T12:00:00Z", "file-created"},
	        {"2021-03-04T00:00:00Z", "file-modified"}, {"2021-03-05T00:00:00Z", "file-changed"},
	        {"2021-03-06T00:00:00Z", "log-last"},      {"2021-03-07T00:00:00Z", "logs-end"},
	};
	struct json_object *sum;

	(void)state;
	assert_int_equal(exs_timeline_build(h), 0);
	assert_int_equal(json_object_array_length(exs_json_get(h, "timeline")), 8);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(ev(h, i, "time"), want[i][0]);
		assert_string_equal(ev(h, i, "type"), want[i][1]);
	}
	sum = exs_json_get(h, "timeline_summary");
	assert_string_equal(exs_json_get_str(sum, "first_attempt.time", ""),
	                    "2021-03-02T00:00:00Z");
	assert_string_equal(exs_json_get_str(sum, "first_success.time", ""),
	                    "2021-03-03T00:00:00Z");
	/* created before it was modified: the creation time is the first shell */
	assert_string_equal(exs_json_get_str(sum, "first_shell.time", ""), "2021-03-03T12:00:00Z");
	assert_string_equal(exs_json_get_str(sum, "first_shell.path", ""), "a/s.aspx");
	/* ctime (03-05) is not activity, the last log hit (03-06) is */
	assert_string_equal(exs_json_get_str(sum, "last_activity.time", ""),
	                    "2021-03-06T00:00:00Z");
	assert_int_equal(exs_json_get_int(sum, "last_activity.finding", -1), 1);
	json_object_put(h);
}

/* No findings (a probe-only host): an empty timeline and null moments. */
static void empty_host(void **state)
{
	struct json_object *h = parse("{\"host\":\"h\"}");

	(void)state;
	assert_int_equal(exs_timeline_build(h), 0);
	assert_int_equal(json_object_array_length(exs_json_get(h, "timeline")), 0);
	assert_null(exs_json_get(h, "timeline_summary.first_attempt"));
	assert_int_equal(exs_json_get_int(h, "timeline_summary.events", -1), 0);
	json_object_put(h);
}

/* The main reason is the first at the verdict's level, not reasons[0]. */
static void main_reason(void **state)
{
	struct json_object *h = parse(
	        "{\"verdict\":\"vulnerable\",\"reasons\":[{\"level\":\"at-risk\",\"text\":\"a\"},"
	        "{\"level\":\"vulnerable\",\"text\":\"b\"},{\"level\":\"vulnerable\",\"text\":\"c\"}]}");

	(void)state;
	assert_string_equal(exs_json_get_str(exs_verdict_main_reason(h), "text", ""), "b");
	json_object_object_add(h, "verdict", json_object_new_string("compromised"));
	/* none at that level (an input judged elsewhere): the first */
	assert_string_equal(exs_json_get_str(exs_verdict_main_reason(h), "text", ""), "a");
	json_object_object_del(h, "reasons");
	assert_null(exs_verdict_main_reason(h));
	json_object_put(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(events_in_time_order),
	        cmocka_unit_test(empty_host),
	        cmocka_unit_test(main_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
