#!/usr/bin/env bash
# exscan probe against the emulated Exchange server (tests/lab/exlab) on
# loopback: every profile's build, precision, source and check results, and
# every hostile case ending in a clear per-host error while the scan goes on.
. "$(dirname "$0")/tap.sh"

lab_start

# Batched JSON checks (one python run for many assertions on $TMP/out):
# batch DESCRIPTION EXPR ... then batch_run.
B_DESC=()
B_EXPR=()
batch() {
	B_DESC+=("$1")
	B_EXPR+=("$2")
}
batch_run() {
	local i=0 st
	python3 - "$TMP/out" "${B_EXPR[@]}" >"$TMP/batch" 2>&1 <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    d = None
    err = f"output is not JSON: {e}"
for i, expr in enumerate(sys.argv[2:]):
    try:
        ok = d is not None and eval(expr)
        msg = "" if ok else ("expression false: " + expr if d is not None else err)
    except Exception as e:
        ok, msg = False, f"{type(e).__name__}: {e}"
    print(f"{i}\t{0 if ok else 1}\t{msg[:1500]!r}")
PY
	for desc in "${B_DESC[@]}"; do
		line=$(grep -P "^$i\t" "$TMP/batch")
		st=${line#*$'\t'}
		st=${st%%$'\t'*}
		[ -z "$line" ] && st=1
		tap_ok "$st" "$desc" "$(printf '%s' "${line##*$'\t'}" | head -c 1500; [ -z "$line" ] && cat "$TMP/batch")"
		i=$((i + 1))
	done
	B_DESC=()
	B_EXPR=()
}

host() { # python expression: the host object for address $1
	echo "next(h for h in d['hosts'] if h['host'] == '$1')"
}
check() { # python expression: result of check $2 on host $1
	echo "next(c['result'] for c in $(host "$1")['probe']['checks'] if c['id'] == '$2')"
}

run "$EXSCAN" probe --format json --no-progress --fail-on never -o "$TMP/out" \
	127.0.1.1:$P 127.0.1.2:$P 127.0.1.3:$P 127.0.1.4:$P 127.0.1.5:$P 127.0.1.6:$P 127.0.1.7:$P
expect_rc 0 "the seven profiles scan without errors"
batch "summary counts 7 hosts, 6 Exchange, no errors" \
	"d['summary']['hosts'] == 7 and d['summary']['exchange'] == 6 and d['summary']['errors'] == 0"
batch "2013 before March 2021: CU-only from the asset path, both checks vulnerable" \
	"((lambda p: p['is_exchange'] and p['build'] == '15.0.1497' and p['build_precision'] == 'cu'
	  and p['build_source'] == 'owa-asset-path' and p['product'] == 'Exchange Server 2013'
	  and p['cu'] == 'CU23' and p['update'] is None)($(host 127.0.1.1)['probe'])
	 and $(check 127.0.1.1 CVE-2021-26855) == 'vulnerable' and $(check 127.0.1.1 CVE-2021-34473) == 'vulnerable'
	 and $(check 127.0.1.1 CVE-2022-41040) == 'unknown')"
batch "2016 CU19 unpatched: 15.1.2176.2 exact from the manifest, ProxyLogon and ProxyShell vulnerable" \
	"((lambda p: p['build'] == '15.1.2176.2' and p['build_precision'] == 'exact'
	  and p['build_source'] == 'exporttool-manifest' and p['cu'] == 'CU19' and p['update'] is None
	  and any(c['id'] == 'CVE-2021-26855' and c['certain'] for c in p['open_cves']))($(host 127.0.1.2)['probe'])
	 and $(check 127.0.1.2 CVE-2021-26855) == 'vulnerable' and $(check 127.0.1.2 CVE-2021-34473) == 'vulnerable')"
batch "2016 CU19 Mar21SU: 15.1.2176.9, ProxyLogon not vulnerable, ProxyShell vulnerable" \
	"((lambda p: p['build'] == '15.1.2176.9' and p['update'] == 'Mar21SU'
	  and p['build_source'] == 'exporttool-manifest'
	  and not any(c['id'] == 'CVE-2021-26855' for c in p['open_cves']))($(host 127.0.1.3)['probe'])
	 and $(check 127.0.1.3 CVE-2021-26855) == 'not-vulnerable' and $(check 127.0.1.3 CVE-2021-34473) == 'vulnerable')"
batch "2019 CU11 Nov22SU: X-OWA-Version wins over the manifest, checks not vulnerable" \
	"((lambda p: p['build'] == '15.2.986.36' and p['build_source'] == 'x-owa-version'
	  and p['cu'] == 'CU11' and p['update'] == 'Nov22SU')($(host 127.0.1.4)['probe'])
	 and $(check 127.0.1.4 CVE-2021-26855) == 'not-vulnerable' and $(check 127.0.1.4 CVE-2021-34473) == 'not-vulnerable'
	 and $(check 127.0.1.4 CVE-2022-41082) == 'not-vulnerable' and $(check 127.0.1.4 CVE-2024-21410) == 'unknown')"
batch "2019 CU15 Aug26SU: 15.2.1748.49, no known-exploited CVE certainly open" \
	"((lambda p: p['build'] == '15.2.1748.49' and p['update'] == 'Aug26SU' and p['build_precision'] == 'exact'
	  and not any(c['certain'] and c['kev'] for c in p['open_cves']))($(host 127.0.1.5)['probe']))"
batch "SE: 15.2.2562.57 is Exchange Server SE" \
	"((lambda p: p['build'] == '15.2.2562.57' and p['product'] == 'Exchange Server SE'
	  and p['build_source'] == 'x-owa-version')($(host 127.0.1.6)['probe']))"
batch "the plain web server is not Exchange and gets no checks" \
	"((lambda p: not p['is_exchange'] and p['build'] is None and p['build_precision'] == 'none'
	  and p['checks'] == [] and p['open_cves'] == [])($(host 127.0.1.7)['probe']))"
batch "NTLM decoded: names and Windows version of the 2016 server" \
	"((lambda n: n['netbios_computer'] == 'EX2016A' and n['netbios_domain'] == 'LAB'
	  and n['dns_computer'] == 'ex2016a.lab.example' and n['os_version'] == '10.0.14393'
	  and n['os_name'] == 'Windows Server 2016')($(host 127.0.1.2)['probe']['ntlm']))"
batch "TLS facts: protocol, self-signed RSA 2048, SANs, sha256" \
	"((lambda t: t['protocol'].startswith('TLSv1.') and t['self_signed'] and t['key_type'] == 'RSA'
	  and t['key_bits'] == 2048 and 'DNS:mail.lab.example' in t['sans'] and len(t['sha256']) == 64
	  and not t['expired'])($(host 127.0.1.4)['probe']['tls']))"
batch_run
if [ -f "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" ]; then
	msg=$(python3 "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" probe "$TMP/out" 2>&1)
	tap_ok $? "probe JSON passes the output contract check" "$msg"
else
	tap_skip "probe JSON passes the output contract check" "../shared/tools not present"
fi

run "$EXSCAN" probe --format json --no-progress 127.0.1.2:$P
expect_rc 1 "a vulnerable host reaches the default --fail-on vulnerable"
run "$EXSCAN" probe --format json --no-progress --fail-on at-risk 127.0.1.6:$P
expect_rc 1 "SE with a configuration-dependent CVE open is at-risk"
run "$EXSCAN" probe --format json --no-progress 127.0.1.5:$P
expect_rc 0 "the latest 2019 CU15 build is not vulnerable"

# Progress line: on a terminal (a pty from script(1)) it counts done/total,
# rate and ETA; --rate holds across the worker threads; never when stderr is
# a file.
script -qefc "$EXSCAN probe --format jsonl -o $TMP/tty.jsonl --fail-on never --rate 40 --jobs 2 \
	127.1.0.0/26:$P" /dev/null >"$TMP/tty" 2>&1
python3 - "$TMP/tty" "$TMP/tty.jsonl" >"$TMP/py" 2>&1 <<'PY'
import re, sys
text = open(sys.argv[1], errors='replace').read()
lines = re.findall(r'probe: (\d+)/64 hosts, (\d+)/s, \d+ Exchange, \d+ errors(, ETA \d+s)?', text)
assert len(lines) >= 3, text
assert any(eta for _, _, eta in lines), lines
rates = [int(r) for d, r, _ in lines if int(d) >= 20]
assert rates and max(rates) <= 48, rates  # --rate 40, shared by both threads
assert sum(1 for _ in open(sys.argv[2])) == 64
PY
tap_ok $? "progress on a terminal: done/total, rate, ETA; --rate 40 kept with 2 threads" "$(cat "$TMP/py")"
run "$EXSCAN" probe --format jsonl -o "$TMP/notty.jsonl" --fail-on never 127.1.0.0/30:$P
! grep -q "hosts, .*/s" "$TMP/err"
tap_ok $? "no progress line when stderr is not a terminal" "$(head -c 300 "$TMP/err")"

# The output cannot be written (a full device): one clear line, the scan stops
# early (its results would be lost) and hosts still in flight are let go
# cleanly on every worker thread.
for fmt in jsonl json; do
	run "$EXSCAN" probe --format $fmt --no-progress --fail-on never --jobs 2 -o /dev/full 127.1.0.0/24:$P
	expect_rc 4 "$fmt to /dev/full: the output failure code"
	[ "$(grep -c "cannot write '/dev/full'" "$TMP/err")" = 1 ] && grep -q "the scan stopped early" "$TMP/err" &&
		! grep -qE "Success|Sanitizer" "$TMP/err"
	tap_ok $? "$fmt to /dev/full: one line naming the file and the stop, no stale 'Success'" "$(head -c 600 "$TMP/err")"
done

# ProxyShell answered 401: the /mapi/nspi variant decides when it can, and
# is not sent when the first check already decided.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.9:$P 127.0.2.10:$P 127.0.1.2:$P
batch "401 to the ProxyShell check, MAPI page through the variant: vulnerable, saying how" \
	"(lambda c: c['result'] == 'vulnerable' and c['method'] == 'active' and c['evidence']['status'] == 200
	  and '/mapi/nspi variant' in c['evidence']['detail'] and 'HTTP 401' in c['evidence']['detail'])(
	  next(c for c in $(host 127.0.2.9)['probe']['checks'] if c['id'] == 'CVE-2021-34473'))"
batch "401 to both: unknown, never not-vulnerable, both answers in the evidence" \
	"(lambda c: c['result'] == 'unknown' and 'HTTP 401 to its /mapi/nspi variant' in c['evidence']['detail'])(
	  next(c for c in $(host 127.0.2.10)['probe']['checks'] if c['id'] == 'CVE-2021-34473'))"
batch "the variant is one more request, and only where the first check was undecided" \
	"$(host 127.0.2.9)['probe']['requests'] == 8 and $(host 127.0.1.2)['probe']['requests'] == 7"
batch_run

# ProxyToken (CVE-2021-33766): asked only where the build is CU-level; a
# match is an active "vulnerable", no match leaves the build to decide.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.1.1:$P 127.0.2.11:$P 127.0.1.2:$P
pt() { echo "next(c for c in $(host "$1")['probe']['checks'] if c['id'] == 'CVE-2021-33766')"; }
batch "ProxyToken on 2013 CU23 (CU-level build): the back end answered, active vulnerable" \
	"((lambda c: c['result'] == 'vulnerable' and c['method'] == 'active' and c['evidence']['status'] == 403)($(pt 127.0.1.1))
	  and $(host 127.0.1.1)['probe']['requests'] == 14)"
batch "ProxyToken on a patched CU-level build: no match, decided by build and saying both" \
	"(lambda c: c['method'] == 'build' and c['result'] == 'not-vulnerable'
	  and 'ProxyToken request got HTTP 302' in c['evidence']['detail'] and 'fix is installed' in c['evidence']['detail'])($(pt 127.0.2.11))"
batch "ProxyToken not asked of an exact build: decided by build (2016 CU19 lacks Apr21SU)" \
	"((lambda c: c['method'] == 'build' and c['result'] == 'vulnerable' and 'Apr21SU' in c['evidence']['detail'])($(pt 127.0.1.2))
	  and $(host 127.0.1.2)['probe']['requests'] == 7)"
batch_run

# A CU-level build made exact by the ECP folder of its update (/ecp/<build>/):
# the newest six updates of the CU in the tables are asked, GET only.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.17:$P 127.0.1.1:$P 127.0.2.14:$P
batch "2019 CU14 with only the asset path: exact 15.2.1544.46 (Sep26SU) from its /ecp/<build>/ folder" \
	"(lambda p: p['is_exchange'] and p['build'] == '15.2.1544.46' and p['build_precision'] == 'exact'
	  and p['build_source'] == 'ecp-build-path' and p['update'] == 'Sep26SU' and 'exporttool-manifest' in p['markers'])($(host 127.0.2.17)['probe'])"
batch "... judged as that exact build: the re-release's CVE-2026-96940 stays open on v1" \
	"any(c['id'] == 'CVE-2026-96940' for c in $(host 127.0.2.17)['probe']['open_cves'])"
batch "... and, exact now, ProxyToken is left to the tables (not asked)" \
	"not any(c['id'] == 'CVE-2021-33766' and c['method'] == 'active' for c in $(host 127.0.2.17)['probe']['checks'])"
batch "bounded: six ECP folders at most (2013 CU23, none of whose folders answers, stays CU-level)" \
	"($(host 127.0.2.17)['probe']['requests'] == 13 and $(host 127.0.1.1)['probe']['requests'] == 14
	  and $(host 127.0.1.1)['probe']['build_precision'] == 'cu')"
batch "not asked of what is not Exchange (the OWA copy)" \
	"$(host 127.0.2.14)['probe']['requests'] <= 4 and $(host 127.0.2.14)['probe']['build'] is None"
batch_run

# Only ActiveSync (and EWS) published: the build from the X-OWA-Version of
# ActiveSync's OPTIONS answer, asked only where no build was seen yet.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.18:$P 127.0.1.7:$P 127.0.1.2:$P
batch "OWA, ECP and autodiscover blocked: the exact build from ActiveSync's answer, MS-Server-ActiveSync kept" \
	"(lambda p: p['is_exchange'] and p['build'] == '15.1.2507.9' and p['build_precision'] == 'exact'
	  and p['build_source'] == 'x-owa-version' and p['ms_server_activesync'] == '15.1' and p['update'] == 'May22SU')($(host 127.0.2.18)['probe'])"
batch "ActiveSync is not asked where a build was already seen, nor of what shows no Exchange behaviour" \
	"($(host 127.0.1.2)['probe']['requests'] == 7 and $(host 127.0.1.2)['probe']['ms_server_activesync'] is None
	  and $(host 127.0.1.7)['probe']['requests'] == 2)"
batch_run

# Decoy-proof detection (issue 13): a phishing kit's copy of the OWA logon
# page (200 on every path, no Exchange headers) is not Exchange and has no
# build; Exchange is two independent behaviours, whatever the HTML says.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.14:$P \
	127.0.1.1:$P 127.0.1.2:$P 127.0.1.3:$P 127.0.1.4:$P 127.0.1.5:$P 127.0.1.6:$P 127.0.1.7:$P
expect_rc 0 "the OWA copy among the real profiles scans without errors"
batch "the OWA copy: not Exchange, no build, no checks, the catch-all named" \
	"((lambda p: not p['is_exchange'] and p['build'] is None and p['build_precision'] == 'none'
	  and p['build_source'] is None and p['product'] is None and p['checks'] == [] and p['open_cves'] == []
	  and 'catch-all' in p['markers'] and 'owa-page-comment' in p['markers'])($(host 127.0.2.14)['probe']))"
batch "the OWA copy: none of the active checks was sent" \
	"$(host 127.0.2.14)['probe']['requests'] <= 4"
batch "every real Exchange profile keeps its build, source and Exchange verdict" \
	"all((lambda p: p['is_exchange'] and p['build'] == b and p['build_source'] == src)(
	         next(h for h in d['hosts'] if h['host'] == '127.0.1.' + a)['probe'])
	     for a, b, src in [('1', '15.0.1497', 'owa-asset-path'), ('2', '15.1.2176.2', 'exporttool-manifest'),
	                       ('3', '15.1.2176.9', 'exporttool-manifest'), ('4', '15.2.986.36', 'x-owa-version'),
	                       ('5', '15.2.1748.49', 'x-owa-version'), ('6', '15.2.2562.57', 'x-owa-version')])"
batch "every real Exchange profile shows at least two independent Exchange behaviours" \
	"all(len({'x-owa-version', 'x-feserver', 'exporttool-manifest', 'ntlm-ews', 'autodiscover'} & set(h['probe']['markers'])) >= 2
	     and 'catch-all' not in h['probe']['markers'] for h in d['hosts'] if h['host'].startswith('127.0.1.') and h['host'] != '127.0.1.7')"
batch "summary: 8 hosts, 6 Exchange" "d['summary']['hosts'] == 8 and d['summary']['exchange'] == 6"
batch_run

# OWA (and ECP) blocked in front of Exchange: EWS's NTLM and X-FEServer make
# it Exchange, autodiscover's X-OWA-Version gives the exact build.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.15:$P
batch "OWA blocked: Exchange, exact build from autodiscover's X-OWA-Version" \
	"(lambda p: p['is_exchange'] and p['build'] == '15.2.2562.37' and p['build_precision'] == 'exact'
	  and p['build_source'] == 'x-owa-version' and p['product'] == 'Exchange Server SE'
	  and {'ntlm-ews', 'x-feserver', 'x-owa-version'} <= set(p['markers'])
	  and p['ntlm']['netbios_computer'] == 'EXBLOCK')($(host 127.0.2.15)['probe'])"
batch "OWA blocked: the ProxyLogon check is blocked (unknown), ProxyShell answered" \
	"$(check 127.0.2.15 CVE-2021-26855) == 'unknown' and $(check 127.0.2.15 CVE-2021-34473) == 'not-vulnerable'"
batch_run

# CVE-2026-42897: the mitigation's Content-Security-Policy on the OWA logon
# page is recorded as evidence (a "mitigation" check, result unknown: the
# build decides whether the CVE is fixed); hosts without it have none.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.16:$P 127.0.1.5:$P
cp "$TMP/out" "$TMP/mitigated.json"
mit() { echo "[c for c in $(host "$1")['probe']['checks'] if c['id'] == 'CVE-2026-42897']"; }
batch "mitigated 2019 CU15 Feb26SU: exact build from X-OWA-Version" \
	"(lambda p: p['is_exchange'] and p['build'] == '15.2.1748.43' and p['update'] == 'Feb26SU')($(host 127.0.2.16)['probe'])"
batch "mitigated: the CVE-2026-42897 mitigation recorded with the header value and the page" \
	"(lambda cs: len(cs) == 1 and cs[0]['method'] == 'mitigation' and cs[0]['result'] == 'unknown'
	  and 'Content-Security-Policy on /owa/auth/logon.aspx' in cs[0]['evidence']['detail']
	  and \"script-src 'self' 'nonce-exlab'\" in cs[0]['evidence']['detail'])($(mit 127.0.2.16))"
batch "no header, no mitigation recorded" "$(mit 127.0.1.5) == []"
batch_run
# ... and judged: open but mitigated, not patched (at-risk, not vulnerable),
# with the header as evidence; without the header the same CVE is vulnerable
run "$EXSCAN" report --format json --fail-on never "$TMP/mitigated.json"
json_check "verdict: CVE-2026-42897 mitigated, not patched (at-risk), the header quoted" \
	'(lambda h: h["verdict"] != "vulnerable" and any(r["level"] == "at-risk" and "CVE-2026-42897 is open but mitigated, not patched" in r["text"] and "Content-Security-Policy" in r["text"] for r in h["reasons"]) and not any(r["level"] == "vulnerable" and "CVE-2026-42897" in r["text"] for r in h["reasons"]))(next(h for h in d["hosts"] if h["address"] == "127.0.2.16"))'
python3 - "$TMP/mitigated.json" "$TMP/unmitigated.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["hosts"]:
    if h.get("probe"):
        h["probe"]["checks"] = [c for c in h["probe"]["checks"] if c.get("method") != "mitigation"]
json.dump(d, open(sys.argv[2], "w"))
PY
run "$EXSCAN" report --format json --fail-on never "$TMP/unmitigated.json"
json_check "verdict: without the mitigation the same build is vulnerable for CVE-2026-42897" \
	'(lambda h: h["verdict"] == "vulnerable" and any(r["level"] == "vulnerable" and "CVE-2026-42897" in r["text"] for r in h["reasons"]))(next(h for h in d["hosts"] if h["address"] == "127.0.2.16"))'

# Worker threads: the same answers from one thread as from four, and a bad
# --jobs named.
run "$EXSCAN" probe --format json --no-progress --fail-on never --jobs 1 \
	127.0.1.1:$P 127.0.1.2:$P 127.0.1.3:$P 127.0.1.4:$P 127.0.1.5:$P 127.0.1.6:$P 127.0.1.7:$P
cp "$TMP/out" "$TMP/seven.json"
run "$EXSCAN" probe --format json --no-progress --fail-on never --jobs 4 --concurrency 3 \
	127.0.1.1:$P 127.0.1.2:$P 127.0.1.3:$P 127.0.1.4:$P 127.0.1.5:$P 127.0.1.6:$P 127.0.1.7:$P
python3 - "$TMP/seven.json" "$TMP/out" >"$TMP/py" 2>&1 <<'PY'
import json, sys
def facts(path):
    out = {}
    for h in json.load(open(path))['hosts']:
        p = h['probe'] or {}
        out[h['host']] = (h['error'], p.get('build'), p.get('build_precision'), p.get('build_source'),
                          [(c['id'], c['result'], c['method']) for c in p.get('checks', [])],
                          (p.get('ntlm') or {}).get('dns_computer'), p.get('requests'))
    return out
a, b = facts(sys.argv[1]), facts(sys.argv[2])
assert len(a) == 7 and a == b, (a, b)
PY
tap_ok $? "--jobs 4 --concurrency 3 gives the same hosts, builds, checks and requests as one thread" "$(cat "$TMP/py")"
run "$EXSCAN" probe --jobs 0 127.0.1.4:$P
expect_rc 2 "--jobs 0 is a usage error"
grep -q -- "--jobs '0' is not a whole number" "$TMP/err"
tap_ok $? "--jobs 0: the message names the option and the value" "$(cat "$TMP/err")"

run "$EXSCAN" probe --format jsonl --no-progress --no-active-checks 127.0.1.2:$P 127.0.1.4:$P
lines=$(wc -l <"$TMP/out")
python3 -c "
import json,sys
hs=[json.loads(l) for l in open('$TMP/out')]
assert len(hs)==2
for h in hs:
    assert all(c['method']=='build' for c in h['probe']['checks']), h
    assert h['probe']['requests'] <= 5, h
" 2>"$TMP/py"
tap_ok $? "--no-active-checks with jsonl: one line per host, checks by build only" "$(cat "$TMP/py")"

# Hostile cases: each ends with a per-host error, the others still get scanned.
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
run "$EXSCAN" probe --format json --no-progress --fail-on never --timeout 2 --connect-timeout 2 --host-timeout 6 \
	--retries 1 127.0.0.1:$CLOSED 127.0.2.1:$P 127.0.2.2:$P 127.0.2.3:$P 127.0.2.4:$P \
	127.0.2.5:$P 127.0.1.4:$P 'not a target!'
end=$(date +%s.%N)
expect_rc 3 "hostile hosts make the scan incomplete (exit 3)"
batch "refused connection: error says it cannot connect" \
	"'cannot connect' in $(host 127.0.0.1)['error'] and $(host 127.0.0.1)['probe'] is None"
batch "accept-and-never-answer: gives up in time" \
	"'no answer in time' in $(host 127.0.2.1)['error']"
batch "failed TLS handshake: says so" \
	"'tls handshake failed' in $(host 127.0.2.2)['error']"
batch "huge headers: refused past 64 KiB" \
	"'exceed 64 KiB' in $(host 127.0.2.3)['error']"
batch "redirect loop: gives up after 5 redirects" \
	"'redirect loop' in $(host 127.0.2.4)['error']"
batch "garbage NTLM: error names the bad challenge, the build is still reported" \
	"('bad NTLM challenge' in $(host 127.0.2.5)['error'] and $(host 127.0.2.5)['probe']['build'] == '15.2.986.36'
	 and $(host 127.0.2.5)['probe']['ntlm'] is None)"
batch "the good host among them is scanned completely" \
	"$(host 127.0.1.4)['error'] is None and $(host 127.0.1.4)['probe']['build'] == '15.2.986.36'"
batch "summary: 7 hosts, 6 errors, 1 invalid target" \
	"d['summary']['hosts'] == 7 and d['summary']['errors'] == 6 and d['summary']['invalid_targets'] == 1"
batch_run
grep -q "'not a target!' is not a target" "$TMP/err"
tap_ok $? "the invalid target gets one line on stderr" "$(cat "$TMP/err")"
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s < 4.5) }'
tap_ok $? "hostile hosts do not hold the scan back (took $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}') s)"

# A response cut off inside its headers (with a clean TLS close) and a 10 MB
# header line: per-host errors, never a silent "not Exchange" or libcurl's
# "Out of memory"; the host beside them is scanned completely.
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.12:$P 127.0.2.13:$P 127.0.1.4:$P
expect_rc 3 "a cut response and a giant header line make the scan incomplete"
batch "headers cut off: a per-host error saying so" \
	"'response to /owa/ cut off inside its headers' in ($(host 127.0.2.12)['error'] or '')"
batch "a 10 MB header line: over the 64 KiB header limit, not 'Out of memory'" \
	"(lambda e: 'response headers on /owa/ exceed 64 KiB' in e and 'memory' not in e.lower())($(host 127.0.2.13)['error'] or '')"
batch "beside them, 2019 CU11 is complete" \
	"$(host 127.0.1.4)['error'] is None and $(host 127.0.1.4)['probe']['build'] == '15.2.986.36'"
batch "summary: 3 hosts, 2 errors" "d['summary']['hosts'] == 3 and d['summary']['errors'] == 2"
batch_run
run "$EXSCAN" probe --format text --no-progress --fail-on never 127.0.2.13:$P
grep -q "exceed 64 KiB" "$TMP/out" "$TMP/err" && ! grep -qi "out of memory" "$TMP/out" "$TMP/err"
tap_ok $? "text output: the header limit named, no 'Out of memory'" "$(cat "$TMP/out" "$TMP/err" | head -c 1500)"

run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.2.6:$P
batch "invalid certificate: expired and for another name, reported in tls" \
	"(lambda t: t['expired'] and not t['name_match'] and 'old.example.net' in t['subject'])($(host 127.0.2.6)['probe']['tls'])"
batch "invalid certificate: a per-host error naming the expiry, the build still reported" \
	"('invalid certificate: expired on' in $(host 127.0.2.6)['error']
	  and $(host 127.0.2.6)['probe']['build'] == '15.2.986.36')"
batch "the expired certificate's own signature verifies: not called a bad signature" \
	"$(host 127.0.2.6)['probe']['tls']['bad_signature'] is False"
batch_run
run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.1.4:$P
batch "the lab's self-signed certificate (valid, for another name) is no error" \
	"$(host 127.0.1.4)['error'] is None and $(host 127.0.1.4)['probe']['tls']['self_signed']"
batch_run
# A slow host (1.5 s per response): after the first slow answer the requests
# of each round overlap, so its 5 requests (/owa/, then two rounds of two) fit
# in a 5.5 s host limit (one after another they would need 7.5 s); with --jobs 1 too.
run "$EXSCAN" probe --format json --no-progress --fail-on never --host-timeout 5.5 --jobs 1 \
	127.0.2.7:$P 127.0.1.4:$P
batch "slow host: scanned completely within --host-timeout 5.5" \
	"$(host 127.0.2.7)['error'] is None and $(host 127.0.2.7)['probe']['build'] == '15.2.1748.49'"
batch "slow host: both active checks and the NTLM challenge came back" \
	"(lambda p: [c['id'] for c in p['checks'] if c['method'] == 'active'] == ['CVE-2021-26855', 'CVE-2021-34473']
	  and p['ntlm'] is not None and p['requests'] == 5)($(host 127.0.2.7)['probe'])"
batch "slow host: the fast host beside it was not held back" \
	"$(host 127.0.1.4)['probe']['elapsed_ms'] < 2500"
batch_run

run "$EXSCAN" probe --format json --no-progress --fail-on never --host-timeout 2 127.0.2.7:$P 127.0.1.4:$P
batch "slow host over --host-timeout 2: a clear error, what it learnt kept, the other host complete" \
	"('host took longer than 2000 ms in all' in $(host 127.0.2.7)['error']
	  and $(host 127.0.2.7)['probe']['build'] == '15.2.1748.49' and $(host 127.0.1.4)['error'] is None)"
batch_run

run "$EXSCAN" probe --format json --no-progress --tls-verify 127.0.2.6:$P
expect_rc 3 "invalid certificate with --tls-verify: the host is incomplete"
batch "invalid certificate with --tls-verify: a clear certificate error" \
	"'certificate' in $(host 127.0.2.6)['error'] or 'tls handshake failed' in $(host 127.0.2.6)['error']"

# Addressing: --sni, IPv6, CIDR, target files, https:// URLs.
batch_run
run "$EXSCAN" probe --format json --no-progress --fail-on never --sni mail.lab.example 127.0.1.4:$P
batch "--sni sets SNI and Host: the certificate matches and the redirect is followed" \
	"((lambda h: h['sni'] == 'mail.lab.example' and h['probe']['tls']['name_match']
	  and h['probe']['build'] == '15.2.986.36')($(host 127.0.1.4)))"
batch_run
run "$EXSCAN" probe --format json --no-progress --fail-on never "[::1]:$P"
batch "IPv6 literal [::1]:port" "$(host ::1)['probe']['build'] == '15.2.986.36'"
batch_run
run "$EXSCAN" probe --format json --no-progress --fail-on never --resolve "mail.lab.example:$P:127.0.1.5" "https://mail.lab.example:$P/owa/"
batch "https:// URL with --resolve pinning" \
	"$(host mail.lab.example)['probe']['build'] == '15.2.1748.49' and $(host mail.lab.example)['address'] == '127.0.1.5'"
batch_run
printf '# lab\n127.0.1.0/29:%s\n\n' "$P" >"$TMP/targets"
run "$EXSCAN" probe --format json --no-progress --fail-on never -i "$TMP/targets"
batch "CIDR from a target file: 8 addresses walked (127.0.1.0 answers as 2013), 7 Exchange" \
	"(len(d['hosts']) == 8 and d['summary']['exchange'] == 7
	 and sorted(h['host'] for h in d['hosts'])[0] == '127.0.1.0')"
batch_run
# A target line is capped at 4 KiB: a 1 MB line is one bad target naming the
# file and line, and the targets after it are still probed.
{ echo "127.0.1.4:$P"; head -c 1000000 /dev/zero | tr '\0' a; echo; echo "127.0.1.5:$P"; } >"$TMP/long-targets"
run "$EXSCAN" probe --format json --no-progress --fail-on never -i "$TMP/long-targets"
expect_rc 3 "a 1 MB target line: incomplete (a bad target)"
batch "a 1 MB target line: the targets before and after it probed, one invalid target" \
	"($(host 127.0.1.4)['probe']['build'] == '15.2.986.36' and $(host 127.0.1.5)['probe']['build'] == '15.2.1748.49'
	  and d['summary']['invalid_targets'] == 1)"
batch_run
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -qF "$TMP/long-targets:2: target line longer than 4096 bytes: skipped" "$TMP/err"
tap_ok $? "a 1 MB target line: one line on stderr naming file and line" "$(head -c 600 "$TMP/err")"
# /dev/zero is one endless line: reported at once, then read through in
# constant memory (it never ends: stopped after a few seconds)
"$EXSCAN" probe --format jsonl --no-progress -i /dev/zero >"$TMP/zero.out" 2>"$TMP/zero.err" &
ZPID=$!
sleep 3
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ZPID/status" 2>/dev/null)
kill -0 "$ZPID" 2>/dev/null
alive=$?
kill "$ZPID" 2>/dev/null
wait "$ZPID" 2>/dev/null
[ "$alive" -eq 0 ] && [ -n "$hwm" ] && [ "$hwm" -lt 131072 ] &&
	grep -qF "/dev/zero:1: target line longer than 4096 bytes: skipped" "$TMP/zero.err"
tap_ok $? "-i /dev/zero: reported as a bad target, peak memory ${hwm:-?} KiB after 3 s (under 128 MiB)" \
	"$(head -c 600 "$TMP/zero.err")"

printf '127.0.1.4:%s\n' "$P" | "$EXSCAN" probe --format jsonl --no-progress --fail-on never -i - >"$TMP/out" 2>"$TMP/err"
grep -q '"build":"15.2.986.36"' "$TMP/out"
tap_ok $? "targets from standard input (-i -)" "$(cat "$TMP/err")"

run "$EXSCAN" probe --format text --no-progress --fail-on never 127.0.1.2:$P
grep -q "Exchange Server 2016 CU19, build 15.1.2176.2 (exact, from exporttool-manifest)" "$TMP/out" &&
	grep -q "CVE-2021-26855 *ProxyLogon *vulnerable" "$TMP/out"
tap_ok $? "text output names build, source and check results" "$(cat "$TMP/out")"

start=$(date +%s.%N)
run "$EXSCAN" probe --format jsonl --no-progress --fail-on never --no-active-checks --rate 10 "127.0.1.0/29:$P"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 0.65) }' && [ "$(wc -l <"$TMP/out")" -eq 8 ]
tap_ok $? "--rate 10 spreads 8 hosts over at least 0.7 s (took $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.2f", e-s}') s)"

run "$EXSCAN" probe --format jsonl --no-progress --fail-on never --no-active-checks 127.0.2.8:$P
grep -q '"build":"15.0.1497","build_precision":"cu","build_source":"owa-asset-path"' "$TMP/out"
tap_ok $? "a redirect to the canonical host name is followed on the scanned address" "$(cat "$TMP/out" "$TMP/err")"

# IPv6 CIDR and --proxy (a CONNECT proxy on loopback, tests/lab/connect_proxy.py).
run "$EXSCAN" probe --format jsonl --no-progress --fail-on never --no-active-checks "[::1/128]:$P"
grep -q '"host":"::1".*"build":"15.2.986.36"' "$TMP/out"
tap_ok $? "IPv6 CIDR [::1/128]:port" "$(cat "$TMP/out" "$TMP/err")"
python3 "$EXSCAN_SRCDIR/tests/lab/connect_proxy.py" "$TMP/proxy" &
PROXY_PID=$!
trap 'kill $LAB_PID $PROXY_PID 2>/dev/null; wait $LAB_PID $PROXY_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/proxy" ] && break; sleep 0.05; done
run "$EXSCAN" probe --format jsonl --no-progress --fail-on never --proxy "http://127.0.0.1:$(cat "$TMP/proxy")" \
	127.0.1.3:$P 127.0.1.5:$P
grep -q '"build":"15.1.2176.9"' "$TMP/out" && grep -q '"build":"15.2.1748.49"' "$TMP/out" &&
	[ "$(cat "$TMP/proxy.count" 2>/dev/null)" = 2 ]
tap_ok $? "--proxy: both hosts scanned through 2 CONNECT tunnels (proxy saw $(cat "$TMP/proxy.count" 2>/dev/null))" "$(cat "$TMP/err")"
https_proxy="http://127.0.0.1:$(cat "$TMP/proxy")" run "$EXSCAN" probe --format jsonl --no-progress --fail-on never 127.0.1.6:$P
grep -q '"build":"15.2.2562.57"' "$TMP/out" && [ "$(cat "$TMP/proxy.count" 2>/dev/null)" = 3 ]
tap_ok $? "https_proxy from the environment is used" "$(cat "$TMP/err")"

# The progress line appears on a terminal only (script(1) provides one).
if command -v script >/dev/null; then
	script -qec "$EXSCAN probe --format jsonl -o $TMP/pty.jsonl --rate 8 127.0.1.0/29:$P" /dev/null >"$TMP/pty" 2>&1
	grep -q "probe: [0-9]*/8 hosts, [0-9]*/s" "$TMP/pty" && [ "$(wc -l <"$TMP/pty.jsonl")" -eq 8 ]
	tap_ok $? "a progress line on a terminal (done/total, rate)" "$(head -c 500 "$TMP/pty" | od -c | head -8)"
	run "$EXSCAN" probe --format jsonl --fail-on never 127.0.1.4:$P
	! grep -q "probe:" "$TMP/err"
	tap_ok $? "no progress line when stderr is not a terminal"
else
	tap_skip "a progress line on a terminal" "script(1) not installed"
fi

# An unreadable target list (as nobody: root reads anything).
printf '127.0.1.4:%s\n' "$P" >"$TMP/secret"
chmod 000 "$TMP/secret"
chmod 755 "$TMP"
if setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" --version >/dev/null 2>&1; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" probe --no-progress -i "$TMP/secret"
	grep -q "cannot open target list '$TMP/secret': Permission denied" "$TMP/err"
	tap_ok $(( $? + (RC != 2) )) "an unreadable target list is a one-line usage error (exit $RC)" "$(cat "$TMP/err")"
else
	tap_skip "an unreadable target list is a one-line usage error" "nobody cannot run $EXSCAN here"
fi

run "$EXSCAN" probe --concurrency 0 127.0.1.1
expect_rc 2 "--concurrency 0 is a usage error"

# The tables' age: JSON always carries it, text says so once they may be stale.
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.1.4:$P
json_check "probe JSON: the tables' age, not stale 19 days after their newest update" \
	"d['tables'] == {'newest_update': '2026-11-10', 'age_days': 19, 'stale': False, 'advice': None} and len(d['hosts']) == 1"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" probe --format json --no-progress --fail-on never 127.0.1.4:$P
json_check "probe JSON: stale 61 days after, with how to refresh" \
	"d['tables']['stale'] and d['tables']['age_days'] == 61 and '--builds' in d['tables']['advice'] and d['summary']['hosts'] == 1"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" probe --no-progress --fail-on never 127.0.1.4:$P
grep -q "^note: the newest update in the tables is from 2026-11-10, 61 days ago: .*/usr/share/exscan.*--builds" "$TMP/out"
tap_ok $? "probe text: the tables may be stale, and how to refresh them" "$(tail -3 "$TMP/out")"
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" probe --no-progress --fail-on never 127.0.1.4:$P
! grep -q "tables" "$TMP/out"
tap_ok $? "probe text: no note while the tables are current" "$(tail -3 "$TMP/out")"
EXSCAN_TODAY=2027-01-10 run "$EXSCAN" probe --format jsonl --no-progress --fail-on never 127.0.1.4:$P
python3 -c 'import json, sys; L = [json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(L) == 1 and L[0]["tables"]["stale"] and L[0]["tables"]["age_days"] == 61 else 1)' "$TMP/out"
tap_ok $? "probe JSONL: the host line carries the stale tables" "$(head -c 400 "$TMP/out")"
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" probe --format jsonl --no-progress --fail-on never 127.0.1.4:$P
! grep -q '"tables"' "$TMP/out"
tap_ok $? "probe JSONL: no tables field while they are current"
tap_done

