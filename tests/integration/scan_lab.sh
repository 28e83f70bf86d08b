#!/usr/bin/env bash
# exscan scan on the bundled lab (emulated Exchange server + lab disk images), the
# same verdicts from separate probe and walk runs merged by exscan report, and the
# demo script the README names.
. "$(dirname "$0")/tap.sh"

"$EXSCAN_SRCDIR/tests/lab/make-lab.sh" "$TMP/img" >/dev/null
lab_start

# name address [image]
HOSTS="ex2013.lab.example 127.0.1.1 -
ex2016a.lab.example 127.0.1.2 vuln-2016
ex2016b.lab.example 127.0.1.3 proxyshell-pwned
ex2019a.lab.example 127.0.1.4 -
ex2019b.lab.example 127.0.1.5 patched-pwned
exse01.lab.example 127.0.1.6 clean-se
www.lab.example 127.0.1.7 -"
scan_args=(--no-progress)
probe_args=(--no-progress)
walk_roots=()
while read -r name addr img; do
	scan_args+=(--resolve "$name:$P:$addr")
	probe_args+=(--resolve "$name:$P:$addr" "$name:$P")
	if [ "$img" = - ]; then
		scan_args+=(--target "$name:$P")
	else
		scan_args+=(--target "$name:$P=$TMP/img/$img")
		walk_roots+=("$name=$TMP/img/$img")
	fi
done <<<"$HOSTS"

WANT="{'ex2016b.lab.example': 'compromised', 'ex2019b.lab.example': 'compromised',
       'ex2013.lab.example': 'vulnerable', 'ex2016a.lab.example': 'vulnerable',
       'ex2019a.lab.example': 'vulnerable', 'exse01.lab.example': 'at-risk', 'www.lab.example': 'unknown'}"

run "$EXSCAN" scan "${scan_args[@]}" --format json
expect_rc 1 "scan of the lab reaches --fail-on vulnerable"
cp "$TMP/out" "$TMP/scan.json"
json_check "every lab host gets its verdict" "{h['host']: h['verdict'] for h in d['hosts']} == $WANT"
json_check "patched but compromised: the newest 2019 build with a webshell and ProxyLogon log traces" \
	"(lambda h: h['probe']['build'] == '15.2.1748.49' and any(f['kind'] == 'webshell' for f in h['findings'])
	  and any(f['kind'] == 'log' and f['cve'] == 'CVE-2021-26855' and f['success'] for f in h['findings'])
	  and any('rebuild' in r for r in h['remediation']))(next(h for h in d['hosts'] if h['host'] == 'ex2019b.lab.example'))"
json_check "ProxyShell host: PST-encoded shell, rogue virtual directory, IIS traces" \
	"(lambda h: any(f.get('family') == 'ProxyShell PST export' for f in h['findings'])
	  and any(f['kind'] == 'artifact' and 'applicationHost.config' in f['path'] for f in h['findings'])
	  and any(f['kind'] == 'log' and f.get('campaign') == 'ProxyShell' for f in h['findings']))(next(h for h in d['hosts'] if h['host'] == 'ex2016b.lab.example'))"
json_check "hosts come out strongest verdict first" \
	"[h['verdict'] for h in d['hosts']] == sorted([h['verdict'] for h in d['hosts']],
	  key=['compromised', 'vulnerable', 'at-risk', 'clean', 'unknown'].index)"
if [ -f "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" ]; then
	python3 "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" scan "$TMP/scan.json" >"$TMP/c" 2>&1
	tap_ok $? "scan JSON meets the shared scan contract" "$(cat "$TMP/c")"
else
	tap_skip "scan JSON meets the shared scan contract" "../shared is not there"
fi

# The same hosts scanned in pieces: probe on one "machine", walk on another, then report.
run "$EXSCAN" probe "${probe_args[@]}" --format jsonl -o "$TMP/probe.jsonl"
: >"$TMP/walk.jsonl"
for rw in "${walk_roots[@]}"; do
	"$EXSCAN" walk --host "${rw%%=*}" --format jsonl "${rw#*=}" >>"$TMP/walk.jsonl" 2>/dev/null
done
run "$EXSCAN" report --format json "$TMP/walk.jsonl" "$TMP/probe.jsonl"
expect_rc 1 "report over separate probe and walk results"
python3 - "$TMP/scan.json" "$TMP/out" >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
a = {h["host"]: h for h in json.load(open(sys.argv[1]))["hosts"]}
b = {h["host"]: h for h in json.load(open(sys.argv[2]))["hosts"]}
assert a.keys() == b.keys(), (sorted(a), sorted(b))
for name in a:
    va, vb = a[name]["verdict"], b[name]["verdict"]
    assert va == vb, f"{name}: scan says {va}, merged report says {vb}"
    ra = sorted((r["level"], r["text"]) for r in a[name]["reasons"])
    rb = sorted((r["level"], r["text"]) for r in b[name]["reasons"])
    assert ra == rb, f"{name}: reasons differ\n{ra}\n{rb}"
print("ok")
PY
tap_ok $? "merged probe + walk results give the same verdicts and reasons as one scan" "$(cat "$TMP/cmp")"

# File system only, and a bad target among good ones
run "$EXSCAN" scan --format json --fs "$TMP/img/patched-pwned" --host pwned.example --fs "$TMP/img/clean-se"
json_check "--fs ROOT --host NAME judges file systems without a probe" \
	"{h['host']: h['verdict'] for h in d['hosts']} == {'pwned.example': 'compromised', 'clean-se': 'clean'}"
run "$EXSCAN" scan --format json --fail-on never --no-progress --target "127.0.1.0/30:$P=$TMP/img/clean-se" \
	--target "exse01.lab.example:$P" --resolve "exse01.lab.example:$P:127.0.1.6"
expect_rc 3 "a file system given to an address range is refused, the rest is scanned (exit 3)"
grep -q "is an address range" "$TMP/err"
tap_ok $? "and the refusal names the target" "$(cat "$TMP/err")"
run "$EXSCAN" scan --format json --fs /nonexistent/root
expect_rc 3 "an unreadable root is incomplete"
json_check "and its host is unknown, saying why" \
	"d['hosts'][0]['verdict'] == 'unknown' and 'nonexistent' in d['hosts'][0]['reasons'][0]['text']"
run "$EXSCAN" scan
expect_rc 2 "scan without targets is a usage error"
run "$EXSCAN" scan 127.0.0.1
expect_rc 2 "a bare argument is a usage error (targets go with --target)"

# The README's first command ends in tools/demo.sh: verdicts on screen, HTML path last.
BUILD_DIR=$(dirname "$(dirname "$EXSCAN")")
run env EXSCAN_DEMO_NO_BUILD=1 bash "$EXSCAN_SRCDIR/tools/demo.sh" "$BUILD_DIR"
expect_rc 0 "tools/demo.sh runs the lab"
grep -q "^ex2019b.lab.example  *compromised" "$TMP/out" && grep -q "^exse01.lab.example  *at-risk" "$TMP/out" &&
	grep -q "7 hosts: 2 compromised, 3 vulnerable, 1 at-risk, 0 clean, 1 unknown" "$TMP/out"
tap_ok $? "the demo prints the lab's verdicts" "$(head -12 "$TMP/out")"
html=$(sed -n 's/^HTML report: //p' "$TMP/out")
[ -s "$html" ] && grep -q "ex2016b.lab.example" "$html"
tap_ok $? "and names the HTML report it wrote" "$(tail -3 "$TMP/out")"

tap_done
