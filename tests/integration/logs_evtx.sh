#!/usr/bin/env bash
# Windows event logs: EVTX files written by tests/evtx/write_evtx.py, read by
# exscan logs through libevtx.
. "$(dirname "$0")/tap.sh"

LOGS="$TMP/drive/Windows/System32/winevt/Logs"
mkdir -p "$LOGS"
W="$EXSCAN_SRCDIR/tests/evtx/write_evtx.py"

cat >"$TMP/app.json" <<'JSON'
[{"provider": "MSExchange Unified Messaging", "level": 2, "time": 1614744000,
  "data": ["An unhandled exception occurred: System.InvalidCastException: Unable to cast object of type 'System.Object'"]},
 {"provider": "MSExchange Unified Messaging", "level": 2, "time": 1614747600,
  "data": ["System.InvalidCastException again"]},
 {"provider": "MSExchange Unified Messaging", "level": 3, "time": 1614744001,
  "data": ["a warning mentioning System.InvalidCastException"]},
 {"provider": "MSExchange Unified Messaging", "level": 2, "time": 1614744002,
  "data": ["The Unified Messaging service failed to start"]},
 {"provider": "Application Error", "level": 2, "time": 1614744003,
  "data": ["System.InvalidCastException in another program"]}]
JSON
cat >"$TMP/mgmt.json" <<'JSON'
[{"provider": "MSExchange CmdletLogs", "level": 4, "time": 1628557200, "channel": "MSExchange Management",
  "data": ["New-ManagementRoleAssignment", "-Role 'Mailbox Import Export' -User 'admin@corp.example'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1628557260, "channel": "MSExchange Management",
  "data": ["New-MailboxExportRequest", "-Mailbox 'admin@corp.example' -FilePath '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1628557320, "channel": "MSExchange Management",
  "data": ["Remove-MailboxExportRequest", "-Identity 'admin\\MailboxExport' -Confirm:$false"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1614744000, "channel": "MSExchange Management",
  "data": ["Set-OabVirtualDirectory", "-ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"p\"],\"unsafe\");}</script>' -Identity 'OAB (Default Web Site)'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1614744060, "channel": "MSExchange Management",
  "data": ["Set-OabVirtualDirectory", "-ExternalUrl 'https://mail.corp.example/OAB' -Identity 'OAB (Default Web Site)'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1614744120, "channel": "MSExchange Management",
  "data": ["New-ManagementRoleAssignment", "-Role 'Mail Recipients' -User 'helpdesk@corp.example'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1614744180, "channel": "MSExchange Management",
  "data": ["Get-MailboxExportRequest", ""]}]
JSON
python3 "$W" "$LOGS/Application.evtx" "$TMP/app.json" &&
	python3 "$W" "$LOGS/MSExchange Management.evtx" "$TMP/mgmt.json" &&
	python3 "$W" "$LOGS/Security.evtx" "$TMP/app.json"
tap_ok $? "the fixture writer writes EVTX files"

rule() {
	echo "next((f for f in d['hosts'][0]['findings'] if f['rule'] == '$1'), None)"
}

run "$EXSCAN" logs --format json "$TMP/drive"
expect_rc 1 "event log findings exit 1"
json_check "Unified Messaging InvalidCastException errors: one finding, count 2, times from the records" \
	"(lambda f: f['cve'] == 'CVE-2021-26857' and f['count'] == 2 and f['success'] is False
	  and f['first_seen'] == '2021-03-03T04:00:00Z' and f['last_seen'] == '2021-03-03T05:00:00Z'
	  and f['path'] == 'Windows/System32/winevt/Logs/Application.evtx' and f['line'] == 1)($(rule evtx-um-invalidcast))"
json_check "mailbox export to an aspx over UNC is found with its record" \
	"(lambda f: f['cve'] == 'CVE-2021-31207' and f['success'] and f['count'] == 1 and f['line'] == 2
	  and 'shell.aspx' in f['excerpt'])($(rule evtx-mailbox-export-webshell))"
json_check "role assignment, export removal and OAB ExternalUrl script are found" \
	"($(rule evtx-import-export-role)['count'] == 1 and $(rule evtx-remove-export-request)['count'] == 1
	  and '<script' in $(rule evtx-oab-vdir-script)['excerpt'] and $(rule evtx-oab-vdir-script)['count'] == 1)"
json_check "benign events and other logs (Security.evtx) give nothing" \
	"len(d['hosts'][0]['findings']) == 5 and d['hosts'][0]['stats']['files'] == 2"
json_check "the timeline has the ProxyShell day" \
	"{'date': '2021-08-10', 'campaign': 'ProxyShell', 'attempts': 0, 'successes': 3} in d['hosts'][0]['timeline']"

# a damaged event log: one line naming it, exit 3, the rest still read
head -c 5000 "$LOGS/MSExchange Management.evtx" >"$TMP/x"
printf 'not an event log' >"$LOGS/MSExchange Management.evtx"
run "$EXSCAN" logs --format json --fail-on never "$TMP/drive"
expect_rc 3 "a file that is not EVTX makes the scan incomplete"
lines=$(wc -l <"$TMP/err")
grep -q "cannot read event log 'Windows/System32/winevt/Logs/MSExchange Management.evtx'" "$TMP/err"
tap_ok $(( $? + (lines != 1) )) "one line names the damaged event log" "$(cat "$TMP/err")"
json_check "the Application log is still reported" "$(rule evtx-um-invalidcast)['count'] == 2"
cp "$TMP/x" "$LOGS/MSExchange Management.evtx"
run "$EXSCAN" logs --format json --fail-on never "$TMP/drive"
expect_rc 3 "a truncated event log makes the scan incomplete"
grep -q "MSExchange Management.evtx' is damaged" "$TMP/err"
tap_ok $? "and is named as damaged" "$(cat "$TMP/err")"

# records libevtx cannot decode, in a chunk whose checksums are sound (as in
# real logs): counted per file in every format; most of a file unreadable
# makes the host incomplete with one line naming it
C="$EXSCAN_SRCDIR/tests/evtx/corrupt_evtx.py"
python3 "$W" "$TMP/m.evtx" "$TMP/mgmt.json"
D="$TMP/part/Windows/System32/winevt/Logs"
mkdir -p "$D"
python3 "$C" "$TMP/m.evtx" "$D/MSExchange Management.evtx" 5,7
tap_ok $? "the corrupter damages records 5 and 7 of 7"
run "$EXSCAN" logs --format json "$TMP/part"
expect_rc 1 "two unreadable records of seven: the rest is read, its findings exit 1"
json_check "the unreadable records are counted in the stats, with no error" \
	"d['hosts'][0]['stats']['unreadable_records'] == 2 and d['hosts'][0]['stats']['lines'] == 7 and d['hosts'][0]['errors'] == []"
json_check "one finding names the file and its count" \
	"(lambda f: f['count'] == 2 and f['severity'] == 'info' and f['path'] == 'Windows/System32/winevt/Logs/MSExchange Management.evtx'
	  and '2 of 7 records' in f['description'])($(rule evtx-unreadable-records))"
json_check "the readable records are still checked" \
	"$(rule evtx-mailbox-export-webshell)['count'] == 1 and $(rule evtx-import-export-role)['count'] == 1"
run "$EXSCAN" logs --no-color "$TMP/part"
grep -q "7 lines, .* bytes read; 2 event log records cannot be decoded)" "$TMP/out" &&
	grep -q "info    evtx-unreadable-records: 2 of 7 records" "$TMP/out"
tap_ok $? "text output shows the count and the file" "$(cat "$TMP/out")"
run "$EXSCAN" walk --format jsonl "$TMP/part"
python3 - "$TMP/out" <<'PY'
import json, sys
h = json.loads(open(sys.argv[1]).readline())
f = [f for f in h["findings"] if f["rule"] == "evtx-unreadable-records"]
sys.exit(0 if h["stats"]["log_records_unreadable"] == 2 and len(f) == 1 and f[0]["count"] == 2
         and not any(f["kind"] == "error" for f in h["findings"]) else 1)
PY
tap_ok $? "walk jsonl: stats and the finding" "$(head -c 2000 "$TMP/out")"
run "$EXSCAN" walk --no-color "$TMP/part"
grep -q "evtx-unreadable-records: 2 of 7 records" "$TMP/out" &&
	grep -q "2 event log records could not be decoded" "$TMP/out"
tap_ok $? "walk text: the file and the count" "$(cat "$TMP/out")"

D="$TMP/most/Windows/System32/winevt/Logs"
mkdir -p "$D"
python3 "$C" "$TMP/m.evtx" "$D/MSExchange Management.evtx" first:5
run "$EXSCAN" logs --format json --fail-on never "$TMP/most"
expect_rc 3 "five unreadable records of seven make the host incomplete"
lines=$(wc -l <"$TMP/err")
grep -q "event log 'Windows/System32/winevt/Logs/MSExchange Management.evtx': 5 of 7 records cannot be decoded" "$TMP/err"
tap_ok $(( $? + (lines != 1) )) "one line names the file and the count" "$(cat "$TMP/err")"
json_check "counted in the stats and errors, no separate finding" \
	"(d['hosts'][0]['stats']['unreadable_records'] == 5 and len(d['hosts'][0]['errors']) == 1
	  and $(rule evtx-unreadable-records) is None)"
run "$EXSCAN" walk --format json "$TMP/most"
expect_rc 3 "walk: the host is incomplete"
json_check "walk: an error finding names the file, the stats count the records" \
	"d['hosts'][0]['stats']['log_records_unreadable'] == 5 and any(f['kind'] == 'error'
	 and f['path'].endswith('MSExchange Management.evtx') and '5 of 7 records' in f['description'] for f in d['hosts'][0]['findings'])"

tap_done
