#!/usr/bin/env bash
# packaging/ansible/exscan.yml: syntax check, then a real run on this machine
# (every inventory host is localhost with connection: local) over the lab
# images: each host's JSONL is fetched into the output directory and exscan
# report writes report.html and report.txt there.
. "$(dirname "$0")/tap.sh"

PB="$EXSCAN_SRCDIR/packaging/ansible/exscan.yml"
if ! command -v ansible-playbook >/dev/null; then
	tap_skip "the ansible playbook" "ansible-playbook is not installed (apt-get install ansible-core)"
	tap_done
	exit
fi
export ANSIBLE_LOCAL_TEMP="$TMP/ansible-local" ANSIBLE_REMOTE_TEMP="$TMP/ansible-remote"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
printf "[defaults]\n" >"$TMP/ansible.cfg"
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_CONFIG="$TMP/ansible.cfg" HOME="$TMP"
[ -x /usr/bin/python3 ] || export ANSIBLE_PYTHON_INTERPRETER=auto_silent

run ansible-playbook --syntax-check -i localhost, "$PB"
expect_rc 0 "ansible-playbook --syntax-check accepts the playbook"

"$EXSCAN_SRCDIR/tests/lab/make-lab.sh" "$TMP/img" >/dev/null
cat >"$TMP/inventory.yml" <<INV
all:
  vars:
    ansible_connection: local
    exscan: "$EXSCAN"
    exscan_report: "$EXSCAN"
    exscan_args: ["--jobs", "2", "--no-rules-cache"]
  hosts:
    ex2016b.lab.example:
      exscan_roots: ["$TMP/img/proxyshell-pwned"]
    ex2016a.lab.example:
      exscan_roots: ["$TMP/img/vuln-2016"]
    exse01.lab.example:
      exscan_command: scan
      exscan_roots: ["$TMP/img/clean-se"]
INV
run ansible-playbook -i "$TMP/inventory.yml" -f 2 -e "exscan_output_dir=$TMP/results" "$PB"
expect_rc 0 "the playbook runs against localhost (connection: local) on the lab images"
[ "$RC" -eq 0 ] || sed -n '1,80p' "$TMP/out" | sed 's/^/# /'
ls "$TMP/results" >"$TMP/ls" 2>&1
[ -s "$TMP/results/ex2016b.lab.example.jsonl" ] && [ -s "$TMP/results/ex2016a.lab.example.jsonl" ] &&
	[ -s "$TMP/results/exse01.lab.example.jsonl" ]
tap_ok $? "each host's JSONL was fetched to the output directory" "$(cat "$TMP/ls")"
grep -q "ex2016b.lab.example" "$TMP/results/report.html" 2>/dev/null
tap_ok $? "report.html was written by exscan report" "$(cat "$TMP/ls")"
# the merged text report has the verdicts of the same roots walked directly
"$EXSCAN" walk --host ex2016b.lab.example --format jsonl "$TMP/img/proxyshell-pwned" >"$TMP/d1.jsonl" 2>/dev/null
"$EXSCAN" walk --host ex2016a.lab.example --format jsonl "$TMP/img/vuln-2016" >"$TMP/d2.jsonl" 2>/dev/null
"$EXSCAN" scan --format jsonl --fs "$TMP/img/clean-se" --host exse01.lab.example >"$TMP/d3.jsonl" 2>/dev/null
run "$EXSCAN" report --format json --fail-on never "$TMP"/d?.jsonl
cp "$TMP/out" "$TMP/direct.json"
python3 - "$TMP/direct.json" "$TMP/results/report.txt" >"$TMP/cmp" 2>&1 <<'PY'
import json, re, sys
want = {h["host"]: h["verdict"] for h in json.load(open(sys.argv[1]))["hosts"]}
text = open(sys.argv[2]).read()
got = {}
for line in text.splitlines():
    m = re.match(r"^(\S+\.lab\.example)\s+(compromised|vulnerable|at-risk|clean|unknown)\b", line)
    if m:
        got[m.group(1)] = m.group(2)
assert want.get("ex2016b.lab.example") == "compromised", want
assert got == want, f"playbook report {got} != direct {want}"
print("ok", got)
PY
tap_ok $? "report.txt gives each host the verdict of a direct run" "$(cat "$TMP/cmp"; head -20 "$TMP/results/report.txt" 2>/dev/null)"

run ansible-playbook -i "$TMP/inventory.yml" "$PB"
[ "$RC" -ne 0 ] && grep -q "exscan_output_dir" "$TMP/out"
tap_ok $? "without exscan_output_dir the playbook stops and says what to set" "$(tail -20 "$TMP/out")"

tap_done
