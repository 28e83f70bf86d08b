#!/usr/bin/env bash
# The bundled lab: builds exscan (if needed), makes the lab's file system images,
# starts the emulated Exchange server on loopback, scans every lab host with probe and
# walk in one `exscan scan`, prints the verdicts and writes the HTML report.
#   tools/demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" >/dev/null
fi
meson compile -C "$BUILD" >/dev/null
EXSCAN="$BUILD/src/exscan"
LAB="$BUILD/tests/lab/exlab"
OUT="$BUILD/lab"
rm -rf "$OUT"
mkdir -p "$OUT"
tests/lab/make-lab.sh "$OUT/images" >/dev/null
# the ProxyShell server as a VHDX disk image, read without mounting (as root with
# ntfs-3g: made here; otherwise its directory is scanned)
tests/lab/make-lab-image.sh "$OUT/images" >/dev/null
PROXYSHELL=proxyshell-pwned
[ -f "$OUT/images/proxyshell-pwned.vhdx" ] && PROXYSHELL=proxyshell-pwned.vhdx

"$LAB" -f "$OUT/port" 2>"$OUT/exlab.log" &
LAB_PID=$!
trap 'kill $LAB_PID 2>/dev/null || true; wait $LAB_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/port" ] && break; sleep 0.05; done
P=$(cat "$OUT/port")

# Lab hosts: the emulator picks the Exchange profile by the loopback address it is
# reached on; --resolve gives each its DNS name, and =ROOT adds its disk image.
#   ex2013.lab.example   127.0.1.1  Exchange 2013 CU23, before March 2021 (network only)
#   ex2016a.lab.example  127.0.1.2  Exchange 2016 CU19, no updates        + vuln-2016
#   ex2016b.lab.example  127.0.1.3  Exchange 2016 CU19 Mar21SU            + proxyshell-pwned(.vhdx)
#   ex2019a.lab.example  127.0.1.4  Exchange 2019 CU11 Nov22SU (network only)
#   ex2019b.lab.example  127.0.1.5  Exchange 2019 CU15 Aug26SU            + patched-pwned
#   exse01.lab.example   127.0.1.6  Exchange SE Nov26SU                   + clean-se
#   www.lab.example      127.0.1.7  a web site that is not Exchange
args=(--no-progress)
add() { # NAME ADDRESS [ROOT]
	args+=(--resolve "$1:$P:$2")
	if [ -n "${3:-}" ]; then
		args+=(--target "$1:$P=$OUT/images/$3")
	else
		args+=(--target "$1:$P")
	fi
}
add ex2013.lab.example 127.0.1.1
add ex2016a.lab.example 127.0.1.2 vuln-2016
add ex2016b.lab.example 127.0.1.3 "$PROXYSHELL"
add ex2019a.lab.example 127.0.1.4
add ex2019b.lab.example 127.0.1.5 patched-pwned
add exse01.lab.example 127.0.1.6 clean-se
add www.lab.example 127.0.1.7

set +e
"$EXSCAN" scan "${args[@]}" --format json -o "$OUT/scan.json" 2>"$OUT/scan.err"
rc=$?
set -e
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
	cat "$OUT/scan.err" >&2
	echo "demo: exscan scan failed (exit $rc)" >&2
	exit 1
fi
# The same verdicts, rendered from the saved result (as a fleet would merge them).
"$EXSCAN" report --fail-on never --format html -o "$OUT/report.html" "$OUT/scan.json" 2>/dev/null
"$EXSCAN" report --fail-on never "$OUT/scan.json" || true
echo
echo "JSON result: $(cd "$OUT" && pwd)/scan.json"
echo "HTML report: $(cd "$OUT" && pwd)/report.html"
