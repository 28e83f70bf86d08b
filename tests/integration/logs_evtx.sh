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
json_check "benign events and logs of other events (Security.evtx without 4688) give nothing" \
	"len(d['hosts'][0]['findings']) == 5 and d['hosts'][0]['stats']['files'] == 3"
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

# a record whose signature is broken: libevtx drops its chunk, recovers the
# records it can, and exscan checks them (the file is still called damaged)
D="$TMP/rec/Windows/System32/winevt/Logs"
mkdir -p "$D"
python3 "$C" "$TMP/m.evtx" "$D/MSExchange Management.evtx" 1 --signature
run "$EXSCAN" logs --format json --fail-on never "$TMP/rec"
expect_rc 3 "a dropped chunk makes the host incomplete"
grep -q "is damaged: records in it may be missing (0 listed, [1-9][0-9]* recovered" "$TMP/err"
tap_ok $? "the line says what was recovered" "$(cat "$TMP/err")"
json_check "the recovered records are checked" \
	"$(rule evtx-oab-vdir-script)['count'] == 1 and d['hosts'][0]['stats']['lines'] >= 1"

# the new event rules: transport agents, certificate requests named like a
# page, shells under w3wp.exe; Security, Sysmon, PowerShell and System logs
E="$TMP/ev/Windows/System32/winevt/Logs"
mkdir -p "$E"
cat >"$TMP/ev-mgmt.json" <<'JSON'
[{"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000000, "channel": "MSExchange Management",
  "data": ["Install-TransportAgent", "-Name 'Mail Filter' -TransportAgentFactory 'Filter.Factory' -AssemblyPath 'C:\\ProgramData\\Filter\\filter.dll'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000060, "channel": "MSExchange Management",
  "data": ["Enable-TransportAgent", "-Identity 'Mail Filter'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000120, "channel": "MSExchange Management",
  "data": ["Install-TransportAgent", "-Name 'Vendor AV' -TransportAgentFactory 'Vendor.Factory' -AssemblyPath 'C:\\Program Files\\Vendor\\agent.dll'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000180, "channel": "MSExchange Management",
  "data": ["New-ExchangeCertificate", "-GenerateRequest -SubjectName 'CN=x' -RequestFile '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\cert.aspx' -PrivateKeyExportable $true"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000240, "channel": "MSExchange Management",
  "data": ["New-ExchangeCertificate", "-GenerateRequest -SubjectName 'CN=mail.corp.example' -RequestFile 'C:\\certs\\mail.req'"]},
 {"provider": "MSExchange CmdletLogs", "level": 4, "time": 1660000300, "channel": "MSExchange Management",
  "data": ["Get-TransportAgent", ""]}]
JSON
cat >"$TMP/ev-ps.json" <<'JSON'
[{"provider": "Microsoft-Windows-PowerShell", "level": 5, "time": 1660000400, "event_id": 4104,
  "channel": "Microsoft-Windows-PowerShell/Operational",
  "data": [["MessageNumber", "1"], ["MessageTotal", "1"], ["ScriptBlockText",
   "function Install-TransportAgent {\n param(${Name}, ${AssemblyPath})\n}\nfunction Remove-MailboxExportRequest {\n}\nExport-ModuleMember -Function @('Install-TransportAgent','Enable-TransportAgent','New-ExchangeCertificate','Remove-MailboxExportRequest')"],
   ["ScriptBlockId", "a"], ["Path", ""]]},
 {"provider": "Microsoft-Windows-PowerShell", "level": 5, "time": 1660000460, "event_id": 4104,
  "channel": "Microsoft-Windows-PowerShell/Operational",
  "data": [["MessageNumber", "1"], ["MessageTotal", "1"], ["ScriptBlockText",
   "New-ExchangeCertificate -GenerateRequest -SubjectName 'CN=x' -RequestFile \"C:\\inetpub\\wwwroot\\aspnet_client\\req.ashx\""],
   ["ScriptBlockId", "b"], ["Path", ""]]},
 {"provider": "Microsoft-Windows-PowerShell", "level": 4, "time": 1660000520, "event_id": 4103,
  "channel": "Microsoft-Windows-PowerShell/Operational",
  "data": [["ContextInfo", "Host Application = powershell.exe"], ["UserData", ""],
   ["Payload", "CommandInvocation(Enable-TransportAgent): \"Enable-TransportAgent\"\nParameterBinding(Enable-TransportAgent): name=\"Identity\"; value=\"Mail Filter\""]]}]
JSON
cat >"$TMP/ev-sec.json" <<'JSON'
[{"provider": "Microsoft-Windows-Security-Auditing", "level": 0, "time": 1660000600, "event_id": 4688, "channel": "Security",
  "data": [["SubjectUserSid", "S-1-5-18"], ["NewProcessName", "C:\\Windows\\System32\\cmd.exe"],
   ["CommandLine", "cmd.exe /c whoami > C:\\inetpub\\wwwroot\\aspnet_client\\o.txt"],
   ["ParentProcessName", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"]]},
 {"provider": "Microsoft-Windows-Security-Auditing", "level": 0, "time": 1660000610, "event_id": 4688, "channel": "Security",
  "data": [["NewProcessName", "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe"], ["CommandLine", "csc.exe /noconfig"],
   ["ParentProcessName", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"]]},
 {"provider": "Microsoft-Windows-Security-Auditing", "level": 0, "time": 1660000620, "event_id": 4688, "channel": "Security",
  "data": [["NewProcessName", "C:\\Windows\\System32\\cmd.exe"], ["CommandLine", "cmd.exe"],
   ["ParentProcessName", "C:\\Windows\\explorer.exe"]]},
 {"provider": "Microsoft-Windows-Security-Auditing", "level": 0, "time": 1660000630, "event_id": 4624, "channel": "Security",
  "data": [["ProcessName", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"], ["ParentProcessName", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"],
   ["NewProcessName", "C:\\Windows\\System32\\cmd.exe"]]}]
JSON
cat >"$TMP/ev-sysmon.json" <<'JSON'
[{"provider": "Microsoft-Windows-Sysmon", "level": 4, "time": 1660000700, "event_id": 1, "channel": "Microsoft-Windows-Sysmon/Operational",
  "data": [["Image", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"], ["CommandLine", "powershell -enc SQBFAFgA"],
   ["ParentImage", "c:\\windows\\system32\\inetsrv\\W3WP.EXE"]]},
 {"provider": "Microsoft-Windows-Sysmon", "level": 4, "time": 1660000710, "event_id": 1, "channel": "Microsoft-Windows-Sysmon/Operational",
  "data": [["Image", "C:\\Windows\\System32\\cmd.exe"], ["CommandLine", "cmd.exe /c backup.bat"],
   ["ParentImage", "C:\\Windows\\System32\\services.exe"]]},
 {"provider": "Microsoft-Windows-Sysmon", "level": 4, "time": 1660000720, "event_id": 3, "channel": "Microsoft-Windows-Sysmon/Operational",
  "data": [["Image", "C:\\Windows\\System32\\cmd.exe"], ["ParentImage", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"]]}]
JSON
cat >"$TMP/ev-sys.json" <<'JSON'
[{"provider": "Service Control Manager", "level": 4, "time": 1660000800, "event_id": 7036, "channel": "System",
  "data": [["param1", "Windows Update"], ["param2", "running"]]}]
JSON
python3 "$W" "$E/MSExchange Management.evtx" "$TMP/ev-mgmt.json" &&
	python3 "$W" "$E/Microsoft-Windows-PowerShell%4Operational.evtx" "$TMP/ev-ps.json" &&
	python3 "$W" "$E/Security.evtx" "$TMP/ev-sec.json" &&
	python3 "$W" "$E/Microsoft-Windows-Sysmon%4Operational.evtx" "$TMP/ev-sysmon.json" &&
	python3 "$W" "$E/System.evtx" "$TMP/ev-sys.json"
tap_ok $? "the fixture writer writes management, PowerShell, Security, Sysmon and System logs"
run "$EXSCAN" logs --format json "$TMP/ev"
expect_rc 1 "the new event rules find something"
json_check "all five logs are read, nothing is unreadable" \
	"(d['hosts'][0]['stats']['files'] == 5 and d['hosts'][0]['stats']['unreadable_records'] == 0
	  and d['hosts'][0]['errors'] == [])"
json_check "a transport agent installed from ProgramData: alert, with its record" \
	"(lambda f: f['score'] >= 80 and f['count'] == 1 and f['line'] == 1 and 'filter.dll' in f['excerpt']
	  and f['path'].endswith('MSExchange Management.evtx'))($(rule evtx-transport-agent-odd-path))"
json_check "enabling it (cmdlet log and PowerShell module logging) and a vendor agent: warning" \
	"(lambda f: f['score'] == 60 and f['count'] == 3)($(rule evtx-transport-agent-install))"
json_check "certificate requests named .aspx (cmdlet log) and .ashx (script block), not .req" \
	"(lambda f: f['score'] >= 80 and f['count'] == 2 and f['first_seen'] == '2022-08-08T23:09:40Z')($(rule evtx-certificate-request-webshell))"
json_check "shells under w3wp.exe: Security 4688 and Sysmon 1, not csc.exe, not other parents or events" \
	"(lambda f: f['score'] >= 80 and f['count'] == 2 and 'w3wp.exe -> C:\\\\Windows\\\\System32\\\\cmd.exe: cmd.exe /c whoami' in f['excerpt'])($(rule evtx-w3wp-shell-child))"
json_check "a module defining the cmdlets is not a run of them" \
	"(len(d['hosts'][0]['findings']) == 4 and $(rule evtx-remove-export-request) is None)"
run "$EXSCAN" walk --format json "$TMP/ev"
json_check "walk reads them too: the w3wp child is in the findings" \
	"any(f['rule'] == 'evtx-w3wp-shell-child' and f['count'] == 2 for f in d['hosts'][0]['findings'])"

cp "$E/Microsoft-Windows-PowerShell%4Operational.evtx" "$TMP/exported.evtx"
run "$EXSCAN" logs --kind evtx --format json "$TMP/exported.evtx"
json_check "--kind evtx on an exported PowerShell log: its records' channel keeps module definitions out" \
	"sorted(f['rule'] for f in d['hosts'][0]['findings']) == ['evtx-certificate-request-webshell', 'evtx-transport-agent-install']"

tap_done
