#!/usr/bin/env bash
# exscan report: merging, verdicts, and every output format through the real binary.
. "$(dirname "$0")/tap.sh"
D="$EXSCAN_SRCDIR/tests/integration/data"

run "$EXSCAN" report --format json "$D/report-probe.json" "$D/report-walk.jsonl"
expect_rc 1 "a compromised host reaches the default --fail-on"
json_check "five hosts after merging the walk of exch01 into the probe of 127.0.1.2 (NTLM name)" \
	"len(d['hosts']) == 6 and [h['verdict'] for h in d['hosts'] if h['host'] == '127.0.1.2'] == ['compromised']"
# the tables' age: a "tables" object in JSON, a line in text once they may be stale
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" report --format json --fail-on never "$D/report-probe.json"
json_check "JSON report: tables not stale 19 days after their newest update" \
	"d['tables'] == {'newest_update': '2026-11-10', 'age_days': 19, 'stale': False, 'advice': None}"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" report --format json --fail-on never "$D/report-probe.json"
json_check "JSON report: stale 61 days after, with how to refresh" \
	"d['tables']['stale'] and '--builds' in d['tables']['advice']"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" report --format html --fail-on never "$D/report-probe.json"
grep -q '<p class="stale" id="stale" role="alert">note: the newest update in the tables is from 2026-11-10, 61 days ago: .*/usr/share/exscan' "$TMP/out"
tap_ok $? "html report: the tables may be stale, said at the top" "$(grep -o '<p class="stale".*' "$TMP/out" | head -2)"
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" report --format html --fail-on never "$D/report-probe.json"
grep -q 'class="stale" id="stale"' "$TMP/out"
tap_ok $(( ! $? )) "html report: no notice while the tables are fresh"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" report --format text --no-color --fail-on never "$D/report-probe.json"
grep -q "^note: the newest update in the tables is from 2026-11-10, 61 days ago: .*/usr/share/exscan" "$TMP/out"
tap_ok $? "text report: the tables may be stale" "$(tail -3 "$TMP/out")"
# jsonl has no document to carry the notice: every line says it while stale
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" report --format jsonl --fail-on never "$D/report-probe.json"
python3 -c 'import json, sys; L = [json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if L and all(h["tables"]["stale"] and h["tables"]["age_days"] == 61 for h in L) else 1)' "$TMP/out"
tap_ok $? "jsonl report: every host line carries the stale tables" "$(head -c 600 "$TMP/out")"
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" report --format jsonl --fail-on never "$D/report-probe.json"
python3 -c 'import json, sys; sys.exit(0 if not any("tables" in json.loads(l) for l in open(sys.argv[1])) else 1)' "$TMP/out"
tap_ok $? "jsonl report: no tables field while they are fresh"
run "$EXSCAN" report --format json "$D/report-probe.json" "$D/report-walk.jsonl"
json_check "verdicts for every kind of host" \
	"{h['host']: h['verdict'] for h in d['hosts']} == {'127.0.1.2': 'compromised', '127.0.1.9': 'unknown',
	  '127.0.1.7': 'unknown', '127.0.1.6': 'clean', '127.0.1.3': 'at-risk', 'fs-se': 'compromised'}"
json_check "summary counts the verdicts" \
	"d['summary']['compromised'] == 2 and d['summary']['unknown'] == 2 and d['summary']['incomplete'] == 1"
if [ -f "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" ]; then
	python3 "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" scan "$TMP/out" >"$TMP/c" 2>&1
	tap_ok $? "report JSON meets the shared scan contract" "$(cat "$TMP/c")"
else
	tap_skip "report JSON meets the shared scan contract" "../shared is not there"
fi

run "$EXSCAN" report --format json --alias fs-se=127.0.1.6 "$D/report-probe.json" "$D/report-walk.jsonl"
json_check "--alias merges a walk named differently" \
	"len(d['hosts']) == 5 and [h['verdict'] for h in d['hosts'] if h['host'] == '127.0.1.6'] == ['compromised']"

run "$EXSCAN" report --fail-on never "$D/report-probe.json"
expect_rc 3 "--fail-on never with an unreachable host exits 3 (incomplete)"
run "$EXSCAN" report --fail-on compromised "$D/report-probe.json"
expect_rc 3 "a vulnerable host does not reach --fail-on compromised"
run "$EXSCAN" report --fail-on vulnerable "$D/report-probe.json"
expect_rc 1 "but reaches --fail-on vulnerable"

# text: aligned table, escaped control characters, no colour off a terminal
run "$EXSCAN" report "$D/report-probe.json" "$D/report-walk.jsonl"
grep -q $'\033' "$TMP/out"
tap_ok $(( ! $? )) "text output carries no terminal escape from a file name" "$(cat -v "$TMP/out" | head -5)"
grep -qF '\x1b[31mevil.aspx' "$TMP/out"
tap_ok $? "the control character is shown escaped"
grep -q "^127.0.1.2 .* compromised " "$TMP/out" && grep -q "hosts: 2 compromised, 1 vulnerable\|6 hosts: 2 compromised" "$TMP/out"
tap_ok $? "text table and summary line" "$(cat "$TMP/out")"

# a bad input is named, the rest is still judged
printf '{"hosts": [\n{"host": "a"}\n' >"$TMP/trunc.json"
printf 'not json\n' >"$TMP/garbage.json"
run "$EXSCAN" report --format json --fail-on never "$TMP/garbage.json" "$TMP/trunc.json" "$D/report-walk.jsonl"
expect_rc 3 "unreadable inputs make the report incomplete"
grep -q "garbage.json:1: not valid JSON" "$TMP/err" && grep -q "trunc.json: ends in the middle" "$TMP/err" &&
	grep -q "2 of 3 inputs could not be read" "$TMP/err"
tap_ok $? "each bad input gets a line naming it" "$(cat "$TMP/err")"
json_check "and the good input is still judged" "len(d['hosts']) == 2"

# SARIF 2.1.0
run "$EXSCAN" report --format sarif "$D/report-probe.json" "$D/report-walk.jsonl"
json_check "SARIF has one rule per detection and file locations relative to the root" \
	"(lambda r: r['tool']['driver']['name'] == 'exscan' and len({x['id'] for x in r['tool']['driver']['rules']}) == len(r['tool']['driver']['rules'])
	  and any(l['physicalLocation']['artifactLocation'].get('uriBaseId') == 'HOST0'
	          and l['physicalLocation']['artifactLocation']['uri'].startswith('inetpub/wwwroot/aspnet_client/%3Cscript%3E')
	          for x in r['results'] for l in x['locations'])
	  and r['originalUriBaseIds']['HOST0']['uri'] == 'file:///mnt/exch01/'
	  and {x['level'] for x in r['results']} <= {'error', 'warning', 'note'})(d['runs'][0])"
SCHEMA="$EXSCAN_SRCDIR/../shared/ref/sarif-schema-2.1.0.json"
if [ -f "$SCHEMA" ] && python3 -c 'import jsonschema' 2>/dev/null; then
	python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
		"$TMP/out" "$SCHEMA" >"$TMP/v" 2>&1
	tap_ok $? "SARIF validates against the 2.1.0 schema" "$(tail -5 "$TMP/v")"
else
	tap_skip "SARIF validates against the 2.1.0 schema" "no ../shared/ref schema or python3-jsonschema"
fi

# SARIF: the tables' age on the run, a warning notification once they may be stale
if [ -f "$SCHEMA" ] && python3 -c 'import jsonschema' 2>/dev/null; then HAVE_SCHEMA=1; else HAVE_SCHEMA=0; fi
for today in 2026-11-29 2027-01-10; do
	EXSCAN_TODAY=$today run "$EXSCAN" report --format sarif --fail-on never "$D/report-probe.json" "$D/report-walk.jsonl"
	if [ $today = 2026-11-29 ]; then
		json_check "SARIF: current tables in run properties, no notification" \
			"(lambda r: r['properties']['tables']['age_days'] == 19 and not r['properties']['tables']['stale']
			  and 'invocations' not in r and 'notifications' not in r['tool']['driver'])(d['runs'][0])"
	else
		json_check "SARIF: stale tables are a warning tool-execution notification saying how to refresh them" \
			"(lambda r: r['properties']['tables']['stale'] and r['invocations'][0]['executionSuccessful']
			  and [(n['level'], n['descriptor']['id']) for n in r['invocations'][0]['toolExecutionNotifications']] == [('warning', 'tables-stale')]
			  and r['invocations'][0]['toolExecutionNotifications'][0]['message']['text'].startswith('the newest update in the tables is from 2026-11-10, 61 days ago')
			  and '--builds' in r['invocations'][0]['toolExecutionNotifications'][0]['message']['text']
			  and r['tool']['driver']['notifications'][0]['id'] == 'tables-stale')(d['runs'][0])"
	fi
	if [ $HAVE_SCHEMA = 1 ]; then
		python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
			"$TMP/out" "$SCHEMA" >"$TMP/v" 2>&1
		tap_ok $? "SARIF with tables $today validates against the 2.1.0 schema" "$(tail -5 "$TMP/v")"
	else
		tap_skip "SARIF with tables $today validates against the 2.1.0 schema" "no ../shared/ref schema or python3-jsonschema"
	fi
done

# JUnit
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" report --format junit "$D/report-probe.json" "$D/report-walk.jsonl"
python3 - "$TMP/out" >"$TMP/j" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
cases = root.iter("testcase")
cases = list(cases)
fail = sum(1 for c in cases if c.find("failure") is not None)
skip = sum(1 for c in cases if c.find("skipped") is not None)
# 6 hosts -> 6 verdict cases; checks: 2 + 1 -> 9 cases, and the tables' case; failures: 2
# compromised + 1 vulnerable check (verdict cases reaching 'vulnerable' too); skipped: 2 unknown
# hosts + 1 unknown check (the tables are current)
assert len(suites) == 7, len(suites)
assert int(root.get("tests")) == len(cases) == 10, (root.get("tests"), len(cases))
t = [s for s in suites if s.get("name") == "exscan tables"][0]
props = {p.get("name"): p.get("value") for p in t.iter("property")}
assert props == {"tables.newest_update": "2026-11-10", "tables.age_days": "19", "tables.stale": "false"}, props
assert int(root.get("failures")) == fail == 3, fail
assert int(root.get("skipped")) == skip == 3, skip
assert any(c.get("name") == "check CVE-2021-26855" for c in cases)
print("ok")
PY
tap_ok $? "JUnit parses as XML with the expected counts" "$(cat "$TMP/j")"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" report --format junit --fail-on never "$D/report-probe.json" "$D/report-walk.jsonl"
python3 - "$TMP/out" >"$TMP/j" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
t = [s for s in root.findall("testsuite") if s.get("name") == "exscan tables"][0]
props = {p.get("name"): p.get("value") for p in t.iter("property")}
assert props["tables.stale"] == "true" and props["tables.age_days"] == "61", props
case = t.find("testcase")
sk = case.find("skipped")
assert case.get("name") == "tables current" and sk is not None, ET.tostring(t)
assert "61 days ago" in sk.get("message") and "--builds" in sk.get("message"), sk.get("message")
assert "/usr/share/exscan" in t.find("system-out").text
assert t.get("skipped") == "1" and int(root.get("skipped")) == 4, (t.get("skipped"), root.get("skipped"))
print("ok")
PY
tap_ok $? "JUnit: stale tables are a skipped 'tables current' case with how to refresh them" "$(cat "$TMP/j")"

# HTML in a real browser
run "$EXSCAN" report --format html -o "$TMP/r.html" "$D/report-probe.json" "$D/report-walk.jsonl"
expect_rc 1 "html report written"
grep -q "report written to $TMP/r.html" "$TMP/err"
tap_ok $? "the path of the HTML report is printed"
[ "$(grep -o "<script" "$TMP/r.html" | wc -l)" = 3 ] && [ "$(grep -o "</script" "$TMP/r.html" | wc -l)" = 3 ]
tap_ok $? "three script elements (two JSON data blocks and exscan's own), none from a file name"
grep -qiE "(src|href)=\"(https?:)?//" "$TMP/r.html"
tap_ok $(( ! $? )) "no external resources"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
		--disable-component-update --disable-sync "--user-data-dir=$TMP/chrome")
	timeout 90 "$CHROMIUM" "${flags[@]}" --window-size=1280,2400 --screenshot="$TMP/shot.png" "file://$TMP/r.html" >/dev/null 2>&1
	[ -s "$TMP/shot.png" ] && [ "$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
	tap_ok $? "headless Chromium renders the report to a PNG screenshot"
	timeout 90 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$TMP/r.html" 2>/dev/null >"$TMP/dom.html"
	python3 - "$TMP/dom.html" >"$TMP/h" 2>&1 <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.text = []; self.scripts = 0
    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
    def handle_data(self, d):
        self.text.append(d)
p = P(); p.feed(open(sys.argv[1]).read())
text = "".join(p.text)
assert p.scripts == 3, "a script element was created: %d" % p.scripts
# the table as drawn by the page's script (the detail is tested in report_html)
for want in ("<script>alert(1)</script>.aspx", "compromised", "127.0.1.2", "\\x1b[31mevil.aspx", "6 of 6 hosts"):
    assert want in text, "missing text: " + want
print("ok")
PY
	tap_ok $? "the rendered page shows the hostile file name as text and the verdicts" "$(cat "$TMP/h")"
else
	tap_skip "headless Chromium renders the report" "chromium is not installed (tools/install-deps.sh installs it)"
	tap_skip "the rendered page shows the hostile file name as text" "chromium is not installed"
fi

run "$EXSCAN" report
expect_rc 2 "report without inputs is a usage error"
run "$EXSCAN" report --alias nonsense "$D/report-probe.json"
expect_rc 2 "a bad --alias is a usage error"

tap_done
