#!/usr/bin/env bash
# exscan walk on lab trees built here: a clean Exchange layout stays clean;
# each planted family is found at its place with the right family; exit
# codes, output formats and the output contract.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/walk_lab.inc.sh"
export XDG_CACHE_HOME="$TMP/cache"

R="$TMP/srv"
mkdir -p "$R"
lab_clean "$R"

run "$EXSCAN" walk --format json "$R"
expect_rc 0 "clean layout: exit 0"
json_check "clean layout: Exchange V15 located" \
	'd["hosts"][0]["layout"]["exchange"] and d["hosts"][0]["layout"]["version"] == "V15" and d["hosts"][0]["layout"]["exchange_dir"].endswith("Exchange Server/V15")'
json_check "clean layout: no webshell or location findings" \
	'not [f for f in d["hosts"][0]["findings"] if f["kind"] in ("webshell", "location")]'
json_check "clean layout: pages scanned, logs not given to YARA, Bin DLLs skipped by policy" \
	'(lambda s: s["files_scanned"] >= 6 and s["skipped"]["log"] + s["logs_read"] == 2 and s["skipped"]["policy"] >= 5 and s["errors"] == 0)(d["hosts"][0]["stats"])'
json_check "clean layout: temporary ASP.NET files located" \
	'd["hosts"][0]["layout"]["temporary_aspnet_files"].endswith("Temporary ASP.NET Files")'

plant_families "$R"
# a ProxyLogon SSRF line in an HttpProxy log, for the log readers
cat >"$R/$EX/Logging/HttpProxy/Owa/HttpProxy_2026010100-1.LOG" <<'L'
#Software: Microsoft Exchange Server
#Log-type: HttpProxy Logs
#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus
2021-03-03T02:00:00.000Z,abc,15,1,2176,2,,Ecp,mail.lab,/ecp/y.js,,,false,,,ServerInfo~a]@mail.lab:444/mapi/emsmdb?,ExchangeServicesClient/0.0.0.0,203.0.113.5,MAIL,200
L
run "$EXSCAN" walk --format json "$R"
expect_rc 1 "planted shells: exit 1 (compromised reaches the default threshold)"
python3 - "$TMP/out" "$R.expect" >"$TMP/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
found = {}
for f in d["hosts"][0]["findings"]:
    if f["kind"] == "webshell":
        found.setdefault(f["path"], set()).add(f["family"])
bad = 0
for line in open(sys.argv[2]):
    path, fam = line.rstrip("\n").split("\t")
    ok = fam in found.get(path, set())
    print(("ok" if ok else "MISSING"), path, fam, sorted(found.get(path, [])))
    bad += not ok
sys.exit(1 if bad else 0)
PY
st=$?
while read -r line; do
	case $line in
	ok*) tap_ok 0 "found: ${line#ok }" ;;
	MISSING*) tap_ok 1 "found: ${line#MISSING }" ;;
	*) tap_ok 1 "family check" "$line" ;;
	esac
done <"$TMP/check"
[ -s "$TMP/check" ] || tap_ok 1 "family check ran" "exit $st"
json_check "every webshell finding has sha256, size, score and severity" \
	'all(len(f["sha256"]) == 64 and f["size"] > 0 and f["score"] >= 60 and f["severity"] in ("warning", "alert") for f in d["hosts"][0]["findings"] if f["kind"] == "webshell")'
json_check "matched strings: offset and the matched bytes" \
	'any(m["data"].startswith("eval(Request") and m["offset"] > 0 for f in d["hosts"][0]["findings"] if f["path"].endswith("chopper.aspx") for m in f.get("matches", []))'
json_check "location: pages in aspnet_client and unexpected pages in owa/auth, not logon.aspx" \
	'(lambda L: any(p.endswith("aspnet_client/system_web/chopper.aspx") for p in L) and any(p.endswith("owa/auth/behind.aspx") for p in L) and not any(p.endswith("logon.aspx") or p.endswith("TimeoutLogout.aspx") for p in L))({f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "location"})'
if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["hosts"][0]["stats"]["logs_read"] else 1)' "$TMP/out"; then
	json_check "logs go to the log readers: ProxyLogon SSRF found in the HttpProxy log" \
		'any(f["kind"] == "log" and f.get("cve") == "CVE-2021-26855" for f in d["hosts"][0]["findings"])'
else
	json_check "logs kept from YARA (no log readers in this build)" \
		'd["hosts"][0]["stats"]["skipped"]["log"] == 2 and not any("Logging" in f["path"] for f in d["hosts"][0]["findings"])'
	tap_skip "logs go to the log readers" "no log readers in this build (src/logs not merged)"
fi
json_check "clean pages stay clean among planted ones" \
	'not [f for f in d["hosts"][0]["findings"] if f["path"].endswith(("logon.aspx", "errorFE.aspx", "web.config", "logon.css")) and f["kind"] == "webshell"]'

contract=${EXSCAN_SRCDIR}/../shared/tools/check-output-contract.py
if [ -f "$contract" ]; then
	python3 "$contract" walk "$TMP/out" >"$TMP/contract" 2>&1
	tap_ok $? "json output passes the output contract" "$(cat "$TMP/contract")"
	run "$EXSCAN" walk --format jsonl --fail-on never "$R" "$R/inetpub"
	python3 "$contract" walk "$TMP/out" >"$TMP/contract" 2>&1
	tap_ok $? "jsonl output passes the output contract" "$(cat "$TMP/contract")"
else
	tap_skip "json output passes the output contract" "no ../shared/tools"
	tap_skip "jsonl output passes the output contract" "no ../shared/tools"
fi

run "$EXSCAN" walk --format jsonl --fail-on never "$R" "$R/inetpub"
expect_rc 0 "--fail-on never: exit 0"
n=$(wc -l <"$TMP/out")
[ "$n" -eq 2 ]
tap_ok $? "jsonl: one line per root ($n)"

run "$EXSCAN" walk --fail-on compromised --no-color "$R"
expect_rc 1 "text output, --fail-on compromised: exit 1"
grep -q 'alert .*webshell .*chopper.aspx' "$TMP/out"
tap_ok $? "text output names the alert and the path" "$(head -20 "$TMP/out")"

run "$EXSCAN" walk --format json -o "$TMP/report.json" "$R"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/report.json"
tap_ok $? "-o FILE writes the JSON report"

run "$EXSCAN" walk --format xml "$R"
expect_rc 2 "unknown format: usage error"
run "$EXSCAN" walk "$TMP/does-not-exist"
expect_rc 3 "missing root: exit 3 (incomplete)"
grep -q "does-not-exist" "$TMP/err"
tap_ok $? "missing root: the error names it" "$(cat "$TMP/err")"
tap_done
