#!/usr/bin/env bash
# The target generator over a large CIDR block, unsharded and as shard 1/N:
# a shard costs a walk of the whole stream (skipped addresses are counted, not
# formatted) and memory does not grow with the block.  No network traffic.
#   bench/fleet/run.sh [BUILD_DIR] [CIDR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
CIDR=${2:-10.0.0.0/8}
[ -f "$BUILD/src/libexscan.a" ] || ninja -C "$BUILD" src/libexscan.a
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -std=gnu11 -Iinclude bench/fleet/gen_bench.c "$BUILD/src/libexscan.a" -o "$OUT/gen_bench"
"$OUT/gen_bench" "$CIDR" 0 1 4 16 256 65536
