#!/usr/bin/env bash
# Log reader benchmark: generates an IIS W3C log of IIS_MB megabytes and
# HttpProxy logs of HP_MB megabytes (default 2048 each) under OUT, then
# times `exscan logs` and `grep -c` on the same files, in the same run, from
# the page cache, and prints MB/s, peak memory and the speed ratio.
# Memory must not grow with the file: a small run (SMALL_MB) is measured too.
#
# usage: bench/logs/run.sh [BUILD_DIR]   (env: IIS_MB, HP_MB, SMALL_MB, OUT, KEEP=1)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
EXSCAN="$BUILD/src/exscan"
IIS_MB=${IIS_MB:-2048}
HP_MB=${HP_MB:-2048}
SMALL_MB=${SMALL_MB:-64}
OUT=${OUT:-/tmp/exscan-bench}
[ -x "$EXSCAN" ] || { echo "bench: build exscan first (ninja -C $BUILD)" >&2; exit 2; }

measure() { # measure LABEL CMD...: prints "LABEL seconds maxrss_kb"
	local label=$1 t
	shift
	t=$(mktemp)
	/usr/bin/time -f "%e %M" -o "$t" "$@" >"$OUT/last.out" || [ $? -le 1 ]
	echo "$label $(tail -n 1 "$t")"
	rm -f "$t"
}

run_set() { # run_set NAME IIS_MB HP_MB
	local name=$1 d="$OUT/$1"
	rm -rf "$d"
	python3 bench/logs/gen.py "$d" "$2" "$3"
	local iis="$d/drive/inetpub" hp="$d/drive/Program Files"
	local iis_file="$iis/logs/LogFiles/W3SVC1/u_ex210303.log"
	local hp_dir="$hp/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa"
	local iis_bytes hp_bytes
	iis_bytes=$(stat -c %s "$iis_file")
	hp_bytes=$(cat "$hp_dir"/* | wc -c)
	cat "$iis_file" "$hp_dir"/* >/dev/null # into the page cache
	for round in 1 2; do
		measure "$name exscan-iis $iis_bytes" "$EXSCAN" logs --format json "$iis"
		measure "$name grep-iis $iis_bytes" grep -c -F autodiscover.json "$iis_file"
		measure "$name exscan-httpproxy $hp_bytes" "$EXSCAN" logs --format json "$hp"
		measure "$name grep-httpproxy $hp_bytes" grep -c -F 'ServerInfo~' "$hp_dir"/*
	done
	[ "${KEEP:-0}" = 1 ] || rm -rf "$d"
}

mkdir -p "$OUT"
{
	run_set small "$SMALL_MB" "$SMALL_MB"
	run_set full "$IIS_MB" "$HP_MB"
} >"$OUT/results.txt"
python3 - "$OUT/results.txt" <<'PY'
import sys, collections
best = {}
for line in open(sys.argv[1]):
    s, tool, size, secs, rss = line.split()
    key = (s, tool)
    secs = max(float(secs), 0.01)
    if key not in best or secs < best[key][1]:
        best[key] = (int(size), secs, int(rss))
print(f"{'set':6} {'tool':18} {'MB':>7} {'s':>6} {'MB/s':>7} {'peak KB':>8}")
for (s, tool), (size, secs, rss) in sorted(best.items()):
    print(f"{s:6} {tool:18} {size/1e6:7.0f} {secs:6.2f} {size/1e6/secs:7.0f} {rss:8}")
for s in ("small", "full"):
    for kind in ("iis", "httpproxy"):
        e, g = best.get((s, "exscan-" + kind)), best.get((s, "grep-" + kind))
        if e and g:
            print(f"{s} {kind}: exscan runs at {g[1]/e[1]:.2f}x grep's speed")
e_small, e_full = best.get(("small", "exscan-iis")), best.get(("full", "exscan-iis"))
if e_small and e_full:
    print(f"peak memory, iis: {e_small[2]} KB for {e_small[0]/1e6:.0f} MB, {e_full[2]} KB for {e_full[0]/1e6:.0f} MB")
PY
