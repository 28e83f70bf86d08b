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


tap_done
