#!/usr/bin/env bash
# exscan report against hostile inputs (issue 12): merge poisoning by NTLM
# names, output that cannot be written, invalid UTF-8, lossy path escaping,
# bidi controls, trailing garbage, a fleet-sized merge, Ctrl-C during probe.
. "$(dirname "$0")/tap.sh"
CONTRACT="$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py"

# Fixtures: 127.0.1.2 is a vulnerable Exchange 2016 CU19 (ProxyLogon answered
# vulnerable); 127.0.2.66 claims the same NTLM computer names with a patched
# SE build.
cat >"$TMP/real.json" <<'EOF'
{"hosts":[{"host":"127.0.1.2","address":"127.0.1.2","port":443,"error":null,"probe":{"is_exchange":true,"build":"15.1.2176.2","build_precision":"exact","build_source":"x-owa-version","product":"Exchange Server 2016","cu":"CU19","update":null,"open_cves":[{"id":"CVE-2021-26855","kev":true,"config_dependent":false,"certain":true,"fixed_by":"Mar21SU"}],"checks":[{"id":"CVE-2021-26855","result":"vulnerable","evidence":{"status":500,"detail":"X-CalculatedBETarget: localhost"}}],"tls":{"protocol":"TLSv1.3"},"ntlm":{"dns_computer":"EXCH01.lab.local","netbios_computer":"EXCH01"}}}]}
EOF
cat >"$TMP/impostor.json" <<'EOF'
{"hosts":[{"host":"127.0.2.66","address":"127.0.2.66","port":443,"error":null,"probe":{"is_exchange":true,"build":"15.2.2562.46","build_precision":"exact","build_source":"x-owa-version","product":"Exchange Server SE","open_cves":[],"checks":[{"id":"CVE-2021-26855","result":"not-vulnerable","evidence":"no X-CalculatedBETarget"}],"tls":{"protocol":"TLSv1.3"},"ntlm":{"dns_computer":"exch01.LAB.local","netbios_computer":"EXCH01"}}}]}
EOF

# --- merge poisoning -------------------------------------------------------
# Whatever the order, nothing of 127.0.1.2 may be lost.
for order in "impostor real" "real impostor"; do
	set -- $order
	run "$EXSCAN" report --format json --fail-on vulnerable "$TMP/$1.json" "$TMP/$2.json"
	expect_rc 1 "impostor and real host ($order): --fail-on vulnerable is reached"
	json_check "($order) one host, vulnerable, judged on 127.0.1.2's probe with its ProxyLogon check" \
		"(len(d['hosts']) == 1 and d['hosts'][0]['verdict'] == 'vulnerable'
		 and d['hosts'][0]['address'] == '127.0.1.2' and d['hosts'][0]['host'] == '127.0.1.2'
		 and d['hosts'][0]['probe']['build'] == '15.1.2176.2'
		 and {'id': 'CVE-2021-26855', 'result': 'vulnerable'}.items() <= d['hosts'][0]['probe']['checks'][0].items())"
	json_check "($order) the impostor's probe is kept and the conflict is a reason" \
		"([p['address'] for p in d['hosts'][0]['other_probes']] == ['127.0.2.66']
		 and d['hosts'][0]['other_probes'][0]['probe']['build'] == '15.2.2562.46'
		 and any(r['text'].startswith('conflicting identity: 127.0.1.2:443 (15.1.2176.2) and 127.0.2.66:443 (15.2.2562.46)')
		         and r['level'] == 'at-risk' for r in d['hosts'][0]['reasons']))"
done
if [ -f "$CONTRACT" ]; then
	python3 "$CONTRACT" scan "$TMP/out" >"$TMP/c" 2>&1
	tap_ok $? "a report with other_probes meets the shared scan contract" "$(cat "$TMP/c")"
else
	tap_skip "a report with other_probes meets the shared scan contract" "../shared is not there"
fi
run "$EXSCAN" report --fail-on vulnerable "$TMP/impostor.json" "$TMP/real.json"
grep -q "^127.0.1.2 .* vulnerable .*15.1.2176.2" "$TMP/out" && grep -q "conflicting identity" "$TMP/out"
tap_ok $? "text: the vulnerable build in the table, the conflict among the reasons" "$(cat "$TMP/out")"

# a walk named by the NTLM name still joins, and the same build at a second
# address (a second name of the same server) is no conflict
sed 's/127.0.2.66/127.0.9.9/g; s/"15.2.2562.46"/"15.1.2176.2"/' "$TMP/impostor.json" >"$TMP/second.json"
printf '%s\n' '{"host":"exch01","root":"/mnt/exch01","findings":[],"stats":{"files_seen":3,"files_scanned":3,"errors":0}}' >"$TMP/walk.jsonl"
run "$EXSCAN" report --format json "$TMP/walk.jsonl" "$TMP/real.json" "$TMP/second.json"
json_check "walk first, then two addresses with one build: one host, no conflict reason" \
	"(len(d['hosts']) == 1 and d['hosts'][0]['root'] == '/mnt/exch01' and d['hosts'][0]['verdict'] == 'vulnerable'
	 and len(d['hosts'][0]['other_probes']) == 1
	 and not any('conflicting' in r['text'] for r in d['hosts'][0]['reasons']))"

# --- a fleet-sized merge: every host kept, every walk joined by NTLM name ----
python3 "$EXSCAN_SRCDIR/bench/fleet/gen_report.py" 3000 "$TMP/fleet"
run "$EXSCAN" report --format jsonl --fail-on never "$TMP/fleet/probe-3000.jsonl" "$TMP/fleet/walk-3000.jsonl"
python3 - "$TMP/out" >"$TMP/py" 2>&1 <<'PY'
import json, sys
hosts = [json.loads(l) for l in open(sys.argv[1])]
assert len(hosts) == 3000, len(hosts)
walked = [h for h in hosts if "root" in h]
assert len(walked) == 750, len(walked)
assert all(h["root"][-6:] == h["probe"]["ntlm"]["netbios_computer"][-6:] for h in walked)
assert sum(h["verdict"] == "compromised" for h in hosts) == 75, sum(h["verdict"] == "compromised" for h in hosts)
assert not any("other_probes" in h for h in hosts)
print("ok")
PY
tap_ok $? "3000 probes and 750 walks: 3000 hosts, each walk on the host whose NTLM name it has" "$(cat "$TMP/py")"

# --- output that cannot be written: exit 4, over 1 -------------------------
run "$EXSCAN" report --fail-on vulnerable -o /dev/full "$TMP/real.json"
expect_rc 4 "report to /dev/full with a vulnerable host: 4, not 1"
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "exscan report: cannot write '/dev/full': No space left on device" "$TMP/err"
tap_ok $? "one line naming the file and the reason" "$(cat "$TMP/err")"
for fmt in json jsonl sarif junit html; do
	run "$EXSCAN" report --format $fmt --fail-on vulnerable -o /dev/full "$TMP/real.json"
	expect_rc 4 "report --format $fmt to /dev/full"
done
run "$EXSCAN" report --fail-on vulnerable -o "$TMP/no/such/dir/r.txt" "$TMP/real.json"
expect_rc 4 "report -o into a missing directory"
run "$EXSCAN" builds --fail-on vulnerable -o /dev/full 15.1.2176.2
expect_rc 4 "builds to /dev/full with a vulnerable build"
mkdir -p "$TMP/root/inetpub/wwwroot/aspnet_client"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["z"],"unsafe");%%>' \
	>"$TMP/root/inetpub/wwwroot/aspnet_client/s.aspx"
run "$EXSCAN" walk --fail-on compromised "$TMP/root"
expect_rc 1 "walk of a tree with a shell exits 1"
for fmt in text json jsonl; do
	run "$EXSCAN" walk --format $fmt --fail-on compromised -o /dev/full "$TMP/root"
	expect_rc 4 "walk --format $fmt to /dev/full: 4, not 1"
done
run "$EXSCAN" scan --fs "$TMP/root" --fail-on compromised -o /dev/full
expect_rc 4 "scan to /dev/full: 4, not 1"
run "$EXSCAN" logs -o /dev/full "$TMP/root"
expect_rc 4 "logs to /dev/full"
"$EXSCAN" help report | grep -q "4 output could not be written"
tap_ok $? "exscan help report lists exit 4"

# --- invalid UTF-8 from inputs: the JSON written stays JSON ------------------
printf '{"host":"bad\xff\xfehost","root":"/mnt/\xc0x","k\xffey":"v\xe2\x82","findings":[{"path":"a\xffb.aspx","kind":"webshell","rule":"r\xff","family":"F\x80","score":90,"severity":"alert","sha256":"00"}],"stats":{"files_seen":1,"files_scanned":1,"errors":0}}\n' >"$TMP/badutf8.jsonl"
for fmt in json jsonl sarif; do
	run "$EXSCAN" report --format $fmt --fail-on never -o "$TMP/u.$fmt" "$TMP/badutf8.jsonl"
	python3 - "$TMP/u.$fmt" "$fmt" >"$TMP/py" 2>&1 <<'PY'
import json, sys
path, fmt = sys.argv[1], sys.argv[2]
if fmt == "jsonl":
    docs = [json.loads(l) for l in open(path, encoding="utf-8")]
else:
    docs = [json.load(open(path, encoding="utf-8"))]
text = json.dumps(docs)
assert "bad\\\\xff\\\\xfehost" in text, text[:500]
if fmt != "sarif":
    h = docs[0] if fmt == "jsonl" else docs[0]["hosts"][0]
    assert h["host"] == "bad\\xff\\xfehost" and h["k\\xffey"] == "v\\xe2\\x82", h
    assert h["findings"][0]["path_b64"] == "Yf9iLmFzcHg=", h["findings"][0]
print("ok")
PY
	tap_ok $? "report --format $fmt of invalid UTF-8: valid JSON, bytes shown as \\xNN" "$(cat "$TMP/py")"
done

# --- lossy paths: a byte 0xFF and the text \xff ------------------------------
mkdir -p "$TMP/two/inetpub/wwwroot/aspnet_client"
cp "$TMP/root/inetpub/wwwroot/aspnet_client/s.aspx" "$TMP/two/inetpub/wwwroot/aspnet_client/sh"$'\xff'".aspx"
printf 'harmless decoy\n' >"$TMP/two/inetpub/wwwroot/aspnet_client/sh\\xff.aspx"
run "$EXSCAN" walk --format json --host two "$TMP/two"
cp "$TMP/out" "$TMP/two.json"
python3 - "$TMP/two.json" "$TMP/two" >"$TMP/py" 2>&1 <<'PY'
import base64, json, os, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
fs = [f for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"]
assert len(fs) >= 1 and all("path_b64" in f for f in fs), fs
raw = base64.b64decode(fs[0]["path_b64"])
assert raw == b"inetpub/wwwroot/aspnet_client/sh\xff.aspx", raw
real = os.path.join(os.fsencode(sys.argv[2]), raw)
assert b"eval(Request" in open(real, "rb").read()
print("ok")
PY
tap_ok $? "walk: path_b64 gives the raw name of the shell, not the decoy" "$(cat "$TMP/py")"
if [ -f "$CONTRACT" ]; then
	python3 "$CONTRACT" walk "$TMP/two.json" >"$TMP/c" 2>&1
	tap_ok $? "walk JSON with path_b64 meets the shared walk contract" "$(cat "$TMP/c")"
else
	tap_skip "walk JSON with path_b64 meets the shared walk contract" "../shared is not there"
fi
run "$EXSCAN" report --format json --fail-on never "$TMP/two.json"
json_check "report: the evidence names the raw bytes of the shell's name" \
	"any(e.endswith('[name not UTF-8: raw bytes base64 aW5ldHB1Yi93d3dyb290L2FzcG5ldF9jbGllbnQvc2j/LmFzcHg=]') for e in d['hosts'][0]['evidence'])"
# html_paths FILE: the findings' paths as the page's data carries them
html_paths() {
	python3 -c 'import json,re,sys
t = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(re.search(r"<script id=\"details\" type=\"application/json\">(.*?)</script>", t, re.S).group(1))
print("\n".join(f[1] for h in d for f in h["f"]))' "$1"
}
run "$EXSCAN" report --format html --fail-on never "$TMP/two.json"
html_paths "$TMP/out" | grep -qxF 'inetpub/wwwroot/aspnet_client/sh\xff.aspx' &&
	html_paths "$TMP/out" | grep -qxF 'inetpub/wwwroot/aspnet_client/sh\x5cxff.aspx'
tap_ok $? "html: the finding's path is escaped from the raw name (\\xff, not \\x5cxff)"
run "$EXSCAN" report --format sarif --fail-on never "$TMP/two.json"
grep -qF 'aspnet_client/sh%FF.aspx' "$TMP/out"
tap_ok $? "sarif: the URI encodes the raw byte (%FF)"

# --- bidi controls and line separators ---------------------------------------
python3 - "$TMP/bidi.jsonl" <<'PY'
import json, sys
h = {"host": "exch\u202egnp.aspx", "root": "/mnt/x",
     "findings": [{"path": "inetpub/a\u2066b\u2028c\u200f.aspx", "kind": "webshell", "rule": "r",
                   "family": "F", "score": 90, "severity": "alert", "sha256": "00"}],
     "stats": {"files_seen": 1, "files_scanned": 1, "errors": 0}}
open(sys.argv[1], "w", encoding="utf-8").write(json.dumps(h, ensure_ascii=False) + "\n")
PY
# no_bidi FILE: none of those characters is left raw in FILE
no_bidi() {
	python3 -c 'import sys; t = open(sys.argv[1], encoding="utf-8").read(); sys.exit(any(c in t for c in "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))' "$1"
}
run "$EXSCAN" report --fail-on never "$TMP/bidi.jsonl"
no_bidi "$TMP/out" && grep -qF 'exch\u202egnp.aspx' "$TMP/out" && grep -qF 'a\u2066b\u2028c\u200f.aspx' "$TMP/out"
tap_ok $? "text: bidi controls and separators shown as \\uXXXX" "$(head -c 800 "$TMP/out")"
run "$EXSCAN" report --format html --fail-on never "$TMP/bidi.jsonl"
no_bidi "$TMP/out" && grep -qF 'exch\\u202egnp.aspx' "$TMP/out" && html_paths "$TMP/out" | grep -qxF 'inetpub/a\u2066b\u2028c\u200f.aspx'
tap_ok $? "html: the same"
run "$EXSCAN" report --format json --fail-on never "$TMP/bidi.jsonl"
no_bidi "$TMP/out" && grep -qF '"exch\u202egnp.aspx"' "$TMP/out" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["hosts"][0]["host"] == "exch\u202egnp.aspx"' "$TMP/out"
tap_ok $? "json: \\u escapes that parse back to the same characters" "$(head -c 400 "$TMP/out")"

# --- trailing garbage: one accurate line -------------------------------------
{ cat "$TMP/real.json"; printf 'garbage\n'; } >"$TMP/trail.json"
run "$EXSCAN" report --format json --fail-on never "$TMP/trail.json"
expect_rc 3 "trailing garbage makes the report incomplete"
grep -q "trail.json:2: not valid JSON (.*) after the JSON that ends on line 1; its 1 host is kept, the rest of the file left out" "$TMP/err" &&
	grep -q "1 of 1 input could not be read completely; the verdicts below leave out what could not be read" "$TMP/err"
tap_ok $? "the message says the host read is kept" "$(cat "$TMP/err")"
json_check "and it is" "[h['host'] for h in d['hosts']] == ['127.0.1.2']"

# --- Ctrl-C during probe: the JSON document is closed --------------------------
lab_start
# started from Python: a background job of a script has SIGINT ignored, and
# exscan keeps a signal ignored on entry ignored
RC=$(python3 - "$EXSCAN" "$TMP" "$P" <<'PY'
import os, signal, subprocess, sys, time
exscan, tmp, port = sys.argv[1:4]
out = os.path.join(tmp, "int.json")
with open(os.path.join(tmp, "int.err"), "w") as err:
    p = subprocess.Popen([exscan, "probe", "--format", "json", "--no-progress", "--fail-on", "never",
                          "-o", out, "127.0.1.2:" + port, "127.3.0.0/28:" + port], stderr=err)
    for _ in range(100):
        if os.path.exists(out) and '"host"' in open(out).read():
            break
        time.sleep(0.1)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    print(p.wait(timeout=60))
PY
)
expect_rc 130 "probe stopped by SIGINT exits 130"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["interrupted"] is True and d["summary"]["hosts"] == len(d["hosts"]) >= 1 and len(d["hosts"]) < 17, d["summary"]' "$TMP/int.json" >"$TMP/py" 2>&1
tap_ok $? "the interrupted JSON parses, says interrupted and holds the hosts finished" "$(cat "$TMP/py"; head -c 400 "$TMP/int.json")"
[ "$(grep -c . "$TMP/int.err")" = 1 ] && grep -q "exscan probe: interrupted by SIGINT (Ctrl-C) after [0-9]* hosts" "$TMP/int.err"
tap_ok $? "one line says so" "$(cat "$TMP/int.err")"

tap_done
