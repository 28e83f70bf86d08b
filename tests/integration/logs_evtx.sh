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

tap_done
