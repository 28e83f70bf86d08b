#!/usr/bin/env bash
# How far back the logs reach: per log family, the oldest and newest time of
# the lines (and event records) read, as an informational finding, and in the
# words of a clean verdict; never as evidence.  Logs written for this test.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
EX="Program Files/Microsoft/Exchange Server/V15"
R="$TMP/srv"
W3="$R/inetpub/logs/LogFiles/W3SVC1"
HP="$R/$EX/Logging/HttpProxy/Owa"
EV="$R/Windows/System32/winevt/Logs"
mkdir -p "$W3" "$HP" "$EV" "$R/$EX/FrontEnd/HttpProxy/owa/auth"
printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %%>\n' \
	>"$R/$EX/FrontEnd/HttpProxy/owa/auth/logon.aspx"
F='#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'
{
	echo "$F"
	echo "2021-02-27 10:00:01 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
	echo "2021-03-01 08:00:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
} >"$W3/u_ex210227.log"
{
	echo "$F"
	echo "2021-03-10 01:00:00 10.0.0.1 GET /ecp/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
	echo "garbage line without a date"
} >"$W3/u_ex210310.log"
{
	echo "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method"
	echo "2021-01-15T03:04:05.678Z,1,15,1,2176,2,,Owa,mail.example,/owa/,,Negotiate,true,user@example,,,Mozilla,10.0.0.9,ex01,200,200,,GET"
	echo "2021-01-16T03:04:05.678Z,2,15,1,2176,2,,Owa,mail.example,/owa/,,Negotiate,true,user@example,,,Mozilla,10.0.0.9,ex01,200,200,,GET"
} >"$HP/HttpProxy_2021011500-1.LOG"
cat >"$TMP/app.json" <<'JSON'
[{"provider": "MSExchange ADAccess", "level": 4, "time": 1609459200, "data": ["a start"]},
 {"provider": "MSExchange ADAccess", "level": 4, "time": 1612137600, "data": ["a stop"]}]
JSON
python3 "$EXSCAN_SRCDIR/tests/evtx/write_evtx.py" "$EV/Application.evtx" "$TMP/app.json"
tap_ok $? "an Application.evtx with records of 2021-01-01 and 2021-02-01 is written"

run "$EXSCAN" walk --format json --fail-on never "$R"
expect_rc 0 "walk reads the logs"
json_check "IIS: 2 files from 2021-02-27 10:00:01 to 2021-03-10 01:00:00" \
	'any(f["rule"] == "log-coverage" and f["family"] == "iis" and f["count"] == 2 and f["first_seen"] == "2021-02-27T10:00:01Z" and f["last_seen"] == "2021-03-10T01:00:00Z" and f["severity"] == "info" for f in d["hosts"][0]["findings"])'
json_check "HttpProxy: its ISO times" \
	'any(f["rule"] == "log-coverage" and f["family"] == "httpproxy" and f["first_seen"].startswith("2021-01-15T03:04:05") and f["last_seen"].startswith("2021-01-16") for f in d["hosts"][0]["findings"])'
json_check "event logs: the records' times" \
	'any(f["rule"] == "log-coverage" and f["family"] == "evtx" and f["first_seen"].startswith("2021-01-01") and f["last_seen"].startswith("2021-02-01") for f in d["hosts"][0]["findings"])'

run "$EXSCAN" scan --fs "$R" --host exch01 --format json --fail-on never
json_check "a clean verdict says how far back the logs reach" \
	'(lambda h: h["verdict"] == "clean" and any("the logs read reach:" in r["text"] and "iis 2021-02-27 to 2021-03-10" in r["text"] and "evtx 2021-01-01 to 2021-02-01" in r["text"] for r in h["reasons"]))(d["hosts"][0])'
json_check "coverage is no evidence to preserve" 'd["hosts"][0]["evidence"] == []'
tap_done
