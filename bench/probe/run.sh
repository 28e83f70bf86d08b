#!/usr/bin/env bash
# bench/probe: exscan probe against the emulated Exchange server (tests/lab)
# on thousands of loopback addresses, next to nmap and the machine's TLS
# handshake ceiling.  Loopback only.  See bench/README.md (## probe).
#
#   bench/probe/run.sh                # 4096 addresses, plus the 65536 memory run
#   SMALL_NET=127.1.0.0/22 SKIP_BIG=1 SKIP_NMAP=1 SKIP_SLOW=1 STIME=3 bench/probe/run.sh   # quick look
#
# Needs an optimised build (made here in build-bench unless BUILD is set),
# nmap, openssl and /usr/bin/time (Debian packages nmap, openssl, time).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-bench}
PORT=${PORT:-443}            # nmap's http scripts only run on HTTP-looking ports
CONC=${CONC:-256}            # exscan --concurrency
CLIENTS=${CLIENTS:-4}        # parallel openssl s_time clients
STIME=${STIME:-10}           # seconds per s_time client
SMALL_NET=${SMALL_NET:-127.1.0.0/20}   # 4096 addresses
BIG_NET=${BIG_NET:-127.2.0.0/16}       # 65536 addresses
SLOW_NET=${SLOW_NET:-127.3.0.0/27}     # 32 hosts answering 1.5 s late
OUT=$(mktemp -d /tmp/exscan-bench.XXXXXX)
LAB_PID=
cleanup() { [ -n "$LAB_PID" ] && kill "$LAB_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" -j2 src/exscan tests/lab/exlab >/dev/null
EXSCAN=$BUILD/src/exscan
LAB=$BUILD/tests/lab/exlab

"$LAB" -p "$PORT" -f "$OUT/port" 2>"$OUT/lab.err" &
LAB_PID=$!
for _ in $(seq 100); do [ -s "$OUT/port" ] && break; sleep 0.05; done
[ -s "$OUT/port" ] || { echo "bench: the lab server did not start: $(cat "$OUT/lab.err")" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true

count() { python3 -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]).num_addresses)" "$1"; }
# timed NAME CMD...: runs under /usr/bin/time -v, sets WALL (s) and RSS (KiB)
timed() {
	local name=$1
	shift
	/usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || true
	WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$OUT/$name.time")
	RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/$name.time")
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }

N=$(count "$SMALL_NET")
echo "bench/probe: $(nproc) cores, lab on port $PORT, $N addresses ($SMALL_NET), exscan --concurrency $CONC"

# 1. TLS ceiling: full handshakes/s from several parallel clients, same server.
for i in $(seq "$CLIENTS"); do
	openssl s_time -connect "127.1.0.$i:$PORT" -new -time "$STIME" >"$OUT/stime.$i" 2>&1 &
done
wait_clients() { for p in $(jobs -p); do [ "$p" = "$LAB_PID" ] || wait "$p" || true; done; }
wait_clients
CEIL=$(cat "$OUT"/stime.* | awk '/connections in [0-9.]+ real seconds/ { n += $1; t = $4 > t ? $4 : t }
	END { printf "%.0f", (t > 0 ? n / t : 0) }')
echo "tls ceiling (openssl s_time -new, $CLIENTS clients): $CEIL handshakes/s"

# 2. exscan, full fingerprint and both checks.
timed full "$EXSCAN" probe --no-progress --format jsonl -o "$OUT/full.jsonl" --fail-on never \
	--concurrency "$CONC" "$SMALL_NET:$PORT"
FULL_WALL=$WALL FULL_RSS=$RSS
FULL_OK=$(grep -c '"error":null' "$OUT/full.jsonl" || true)
FULL_EX=$(grep -c '"is_exchange":true' "$OUT/full.jsonl" || true)
FULL_REQ=$(python3 -c "import json,sys; print(sum(json.loads(l)['probe']['requests'] for l in open(sys.argv[1]) if json.loads(l)['probe']))" "$OUT/full.jsonl")
FULL_RATE=$(rate "$N" "$FULL_WALL")
echo "exscan full:        $N hosts in ${FULL_WALL}s = $FULL_RATE hosts/s, peak RSS ${FULL_RSS} KiB, $FULL_OK complete, $FULL_EX Exchange, $FULL_REQ requests"

# 3. exscan, fingerprint only.
timed fp "$EXSCAN" probe --no-progress --format jsonl -o "$OUT/fp.jsonl" --fail-on never \
	--no-active-checks --concurrency "$CONC" "$SMALL_NET:$PORT"
FP_RATE=$(rate "$N" "$WALL")
echo "exscan fingerprint: $N hosts in ${WALL}s = $FP_RATE hosts/s, peak RSS ${RSS} KiB"

# 4. memory with 16x the targets.
if [ -z "${SKIP_BIG:-}" ]; then
	NB=$(count "$BIG_NET")
	timed big "$EXSCAN" probe --no-progress --format jsonl -o /dev/null --fail-on never \
		--concurrency "$CONC" "$BIG_NET:$PORT"
	echo "exscan full:        $NB hosts in ${WALL}s = $(rate "$NB" "$WALL") hosts/s, peak RSS ${RSS} KiB (vs ${FULL_RSS} KiB for $N)"
fi

# 5. slow hosts mixed in: SLOW_NET (127.3.x.y, each response 1.5 s late) listed
# first, then the same 4096 addresses.  Slow hosts should cost their own slots
# for a few seconds, not the scan its pace.
if [ -z "${SKIP_SLOW:-}" ]; then
	NS=$(count "$SLOW_NET")
	timed slow "$EXSCAN" probe --no-progress --format jsonl -o "$OUT/slow.jsonl" --fail-on never \
		--concurrency "$CONC" "$SLOW_NET:$PORT" "$SMALL_NET:$PORT"
	read -r SLOW_OK SLOW_MED SLOW_REQ < <(python3 -c "
import json, statistics, sys
hs = [json.loads(l) for l in open(sys.argv[1])]
slow = [h for h in hs if h['host'].startswith('127.3.')]
ok = [h for h in slow if h['error'] is None and h['probe'] and h['probe']['is_exchange']]
print(len(ok), round(statistics.median(h['probe']['elapsed_ms'] for h in ok) / 1000, 1) if ok else 0,
      round(statistics.mean(h['probe']['requests'] for h in ok), 1) if ok else 0)" "$OUT/slow.jsonl")
	echo "exscan with $NS slow hosts first: $((N + NS)) hosts in ${WALL}s (vs ${FULL_WALL}s without), $SLOW_OK of $NS slow hosts complete, median ${SLOW_MED}s each for $SLOW_REQ requests at 1.5 s a response"
fi

# 6. nmap, default settings, the same addresses.
if [ -z "${SKIP_NMAP:-}" ]; then
	timed nmap nmap -n -Pn -p "$PORT" --script ssl-cert,http-ntlm-info,http-headers \
		--script-args http-ntlm-info.root=/EWS/Exchange.asmx -oX "$OUT/nmap.xml" "$SMALL_NET"
	NMAP_WALL=$WALL NMAP_RSS=$RSS
	NMAP_NTLM=$(grep -c 'id="http-ntlm-info"' "$OUT/nmap.xml" || true)
	NMAP_RATE=$(awk -v n="$N" -v t="$NMAP_WALL" 'BEGIN { printf "%.1f", n / t }')
	echo "nmap (default):     $N hosts in ${NMAP_WALL}s = $NMAP_RATE hosts/s, peak RSS ${NMAP_RSS} KiB, ntlm info on $NMAP_NTLM hosts"
	echo "ratio exscan/nmap:  $(awk -v a="$N" -v b="$FULL_WALL" -v c="$NMAP_WALL" 'BEGIN { printf "%.1fx", c / b }') hosts/s"
fi
echo "exscan full / tls ceiling: $(awk -v a="$FULL_RATE" -v b="$CEIL" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
