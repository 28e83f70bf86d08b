#!/usr/bin/env bash
# `exscan report` over a fleet: merges N probe results and N/4 walks (matched
# by NTLM name) for each N given, and prints the wall time and peak memory
# (GNU time) of each run.  No network traffic.
#   bench/fleet/report.sh [BUILD_DIR] [N...]     (default N: 10000 40000 65536)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
[ $# -gt 0 ] || set -- 10000 40000 65536
EXSCAN=${EXSCAN:-$BUILD/src/exscan}
[ -x "$EXSCAN" ] || ninja -C "$BUILD" src/exscan
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
printf '%-8s %-8s %10s %12s %s\n' hosts walks seconds "peak MB" "verdicts (out of hosts)"
for n in "$@"; do
	python3 bench/fleet/gen_report.py "$n" "$OUT"
	rc=0
	/usr/bin/time -f '%e %M' -o "$OUT/time" "$EXSCAN" report --format jsonl --fail-on never \
		-o "$OUT/report.jsonl" "$OUT/probe-$n.jsonl" "$OUT/walk-$n.jsonl" 2>/dev/null || rc=$?
	read -r secs kb <"$OUT/time"
	printf '%-8s %-8s %10s %12.1f %s lines, exit %s\n' "$n" $(((n + 3) / 4)) "$secs" \
		"$(echo "$kb / 1024" | bc -l)" "$(wc -l <"$OUT/report.jsonl")" "$rc"
	rm -f "$OUT"/*.jsonl
done
