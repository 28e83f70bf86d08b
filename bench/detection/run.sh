#!/usr/bin/env bash
# Detection benchmark: recall on a folder of webshells and false-positive rate
# on a folder of benign pages, counting files with at least one `webshell`
# finding from `exscan walk` (built-in rules unless more options are given),
# overall, per source_repo and leave-one-source-out (bench/detection/score.py).
#   bench/detection/run.sh [CORPUS_DIR] [-- extra exscan walk options]
# CORPUS_DIR defaults to ../shared/corpus (webshells/ and benign/ below it).
# Environment: EXSCAN (the binary; default build/src/exscan).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$here/../shared/corpus}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
exscan=${EXSCAN:-$here/build/src/exscan}
out=$(mktemp -d "${TMPDIR:-/tmp}/exscan-detection.XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ ! -d "$corpus/webshells" ] || [ ! -d "$corpus/benign" ]; then
	echo "no corpus at $corpus (need webshells/ and benign/)" >&2
	exit 2
fi
for set in webshells benign; do
	rc=0
	"$exscan" walk --format json --fail-on never "$@" "$corpus/$set" >"$out/$set.json" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		echo "exscan walk failed on $set (exit $rc)" >&2
		exit 1
	fi
done
python3 "$here/bench/detection/score.py" "$out/webshells.json" "$out/benign.json" "$corpus"
