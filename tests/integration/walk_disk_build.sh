#!/usr/bin/env bash
# The exact build from the disk: executables built here with mingw-w64 and a
# version resource stand in for Exchange's Bin/ExSetup.exe.  A walk reports
# the build, a disk-only scan of an unpatched build is vulnerable by the same
# tables as the probe, a patched one is not, and a damaged ExSetup.exe is
# one line of reason.  Skipped (and said) without x86_64-w64-mingw32-gcc.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
. "$(dirname "$0")/pe.inc.sh"
if ! have_mingw; then
	tap_skip "build from ExSetup.exe" "x86_64-w64-mingw32-gcc/windres not installed (gcc-mingw-w64-x86-64)"
	tap_done
	exit $?
fi
EX="Program Files/Microsoft/Exchange Server/V15"
# tree ROOT: an Exchange-like tree with one benign page
tree() {
	mkdir -p "$1/$EX/Bin" "$1/$EX/FrontEnd/HttpProxy/owa/auth"
	printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %%>\n<html></html>\n' \
		>"$1/$EX/FrontEnd/HttpProxy/owa/auth/logon.aspx"
}

# Exchange 2016 CU19 with no security update: ProxyShell and later are open
tree "$TMP/old"
make_exe "$TMP/old/$EX/Bin/ExSetup.exe" 15 1 2176 2
tap_ok $? "mingw builds an ExSetup.exe with a version resource"
chmod -R a+rX "$TMP"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$TMP/old"
expect_rc 0 "walk (as nobody) reads the tree"
json_check "walk reports the build from Bin/ExSetup.exe" \
	'd["hosts"][0]["layout"]["build"] == "15.1.2176.2" and d["hosts"][0]["layout"]["build_file"].endswith("Bin/ExSetup.exe")'
run "$EXSCAN" scan --fs "$TMP/old" --host exch01 --format json --fail-on vulnerable
expect_rc 1 "a disk-only scan of the unpatched build reaches --fail-on vulnerable"
json_check "disk-only: vulnerable by the exact build on disk, ProxyShell open" \
	'(lambda h: h["verdict"] == "vulnerable" and h["disk_build"]["build_source"] == "disk" and h["disk_build"]["build_precision"] == "exact" and any(c["id"] == "CVE-2021-34473" for c in h["disk_build"]["open_cves"]) and any("CVE-2021-34473" in r["text"] for r in h["reasons"]))(d["hosts"][0])'
run "$EXSCAN" scan --fs "$TMP/old" --host exch01 --fail-on never
grep -q "exch01 *vulnerable *15.1.2176.2" "$TMP/out"
tap_ok $? "the text summary shows the disk build" "$(head -5 "$TMP/out")"
run "$EXSCAN" scan --fs "$TMP/old" --host exch01 --format sarif --fail-on never
json_check "SARIF carries the open CVEs of the disk build" \
	'any("CVE-2021-34473" in r["message"]["text"] and "15.1.2176.2" in r["message"]["text"] for r in d["runs"][0]["results"])'

# the newest Exchange 2019 build in the tables: no known-exploited CVE open
newest=$("$EXSCAN" builds --format json 15.2.1748.10 2>/dev/null | python3 -c '
import json, sys
print((json.load(sys.stdin)["builds"][0].get("newest") or {}).get("build", ""))' 2>/dev/null)
if [ -n "$newest" ]; then
	tree "$TMP/new"
	IFS=. read -r a b c e <<<"$newest"
	make_exe "$TMP/new/$EX/Bin/ExSetup.exe" "$a" "$b" "$c" "$e"
	run "$EXSCAN" scan --fs "$TMP/new" --host exch02 --format json --fail-on never
	json_check "the newest 2019 build ($newest) on disk: not vulnerable" \
		'd["hosts"][0]["verdict"] != "vulnerable" and d["hosts"][0]["disk_build"]["build"] == "'"$newest"'"'
else
	tap_skip "the newest build on disk" "exscan builds gave no newest build"
fi

# the build read from the disk is judged with the tables: the walk says how old they are
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" walk --format json --fail-on never "$TMP/old"
json_check "walk JSON with a disk build: the tables may be stale, and how to refresh them" \
	'd["tables"]["newest_update"] == "2026-11-10" and d["tables"]["age_days"] == 61 and d["tables"]["stale"] and "--builds" in d["tables"]["advice"]'
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" walk --format json --fail-on never "$TMP/old"
json_check "walk JSON: current tables are not stale" \
	'd["tables"] == {"newest_update": "2026-11-10", "age_days": 19, "stale": False, "advice": None}'
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" walk --fail-on never "$TMP/old"
grep -q "^  build 15.1.2176.2 from .*Bin/ExSetup.exe$" "$TMP/out" &&
	grep -q "^note: the newest update in the tables is from 2026-11-10, 61 days ago: .*--builds" "$TMP/out"
tap_ok $? "walk text: the disk build and the stale-tables note" "$(cat "$TMP/out")"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" walk --format jsonl --fail-on never "$TMP/old"
python3 -c 'import json, sys; L = [json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(L) == 1 and L[0]["tables"]["stale"] and L[0]["tables"]["age_days"] == 61 else 1)' "$TMP/out"
tap_ok $? "walk JSONL with a disk build: the host line carries the stale tables" "$(head -c 300 "$TMP/out")"
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" walk --fail-on never "$TMP/old"
! grep -q "^note:" "$TMP/out"
tap_ok $? "walk text: no note while the tables are current" "$(tail -3 "$TMP/out")"
mkdir -p "$TMP/nobuild/inetpub/wwwroot"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" walk --format json --fail-on never "$TMP/nobuild"
json_check "walk JSON without a disk build judges nothing: no tables object" '"tables" not in d'
# the scan of it: SARIF and JUnit say so too
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" scan --fs "$TMP/old" --host exch01 --format sarif --fail-on never
json_check "scan SARIF of a disk build: a tables-stale notification" \
	'any(n["descriptor"]["id"] == "tables-stale" and "61 days ago" in n["message"]["text"] for n in d["runs"][0]["invocations"][0]["toolExecutionNotifications"])'

# a damaged ExSetup.exe: a reason, not a build
tree "$TMP/bad"
head -c 700 "$TMP/old/$EX/Bin/ExSetup.exe" >"$TMP/bad/$EX/Bin/ExSetup.exe"
run "$EXSCAN" walk --format json --fail-on never "$TMP/bad"
json_check "a truncated ExSetup.exe gives build_error, no build" \
	'd["hosts"][0]["layout"]["build"] is None and d["hosts"][0]["layout"]["build_error"]'

# a probe that saw another build than the disk: said, not hidden
"$EXSCAN" walk --host exch01 --format json --fail-on never "$TMP/old" >"$TMP/walk.json"
python3 - "$TMP/walk.json" "$TMP/probe.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
probe = {"tool": w.get("tool", "exscan"), "hosts": [{
    "host": "exch01", "address": "127.0.0.1", "port": 443, "error": None,
    "probe": {"is_exchange": True, "build": "15.1.2507.6", "build_precision": "exact",
              "build_source": "x-owa-version", "product": "Exchange Server 2016",
              "open_cves": [], "checks": [], "tls": None, "ntlm": None}}]}
json.dump(probe, open(sys.argv[2], "w"))
PY
run "$EXSCAN" report --format json --fail-on never "$TMP/probe.json" "$TMP/walk.json"
json_check "probe and disk builds that differ are a reason" \
	'any("15.1.2507.6" in r["text"] and "15.1.2176.2" in r["text"] for h in d["hosts"] for r in h["reasons"])'
tap_done
