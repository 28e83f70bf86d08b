# Minimal TAP helpers for the shell integration tests (sourced).
# EXSCAN (the binary) and EXSCAN_SRCDIR come from meson's test environment.
set -u
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/exscan-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

tap_ok() { # tap_ok STATUS DESCRIPTION [DIAGNOSTIC]
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
	return 0
}

tap_skip() { # tap_skip DESCRIPTION REASON
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# run CMD...: runs with stdout in $TMP/out, stderr in $TMP/err, status in $RC
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

# expect_rc WANT DESCRIPTION
expect_rc() {
	local st=0
	[ "$RC" -eq "$1" ] || st=1
	tap_ok $st "$2 (exit $RC, want $1)" "$(head -c 2000 "$TMP/err")"
}

# json_check DESCRIPTION PYTHON-EXPR: evaluates EXPR with `d` = JSON of $TMP/out
json_check() {
	local msg
	msg=$(python3 - "$TMP/out" "$2" <<'PY' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("expression false:", sys.argv[2])
    print(json.dumps(d, indent=1)[:3000])
    sys.exit(1)
PY
)
	tap_ok $? "$1" "$msg"
}

# lab_start: starts the emulated Exchange server (tests/lab/exlab, named by
# EXSCAN_LAB) on a free loopback port, sets LAB_PID and P (the port), stops it
# on exit. When it does not come up: one failed test point and exit 1.
lab_start() {
	local lab=${EXSCAN_LAB:?EXSCAN_LAB must name the exlab binary}

	"$lab" -f "$TMP/port" 2>"$TMP/lab.err" &
	LAB_PID=$!
	trap 'kill $LAB_PID 2>/dev/null; wait $LAB_PID 2>/dev/null; rm -rf "$TMP"' EXIT
	for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
	P=$(cat "$TMP/port" 2>/dev/null)
	if [ -z "$P" ]; then
		tap_ok 1 "the lab server starts" "$(cat "$TMP/lab.err")"
		tap_done
		exit 1
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
