#!/usr/bin/env bash
# Detection benchmark: recall on a folder of webshells and false-positive rate
# on a folder of benign pages, counting files with at least one `webshell`
# finding from `exscan walk` (built-in rules unless more options are given).
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
python3 - "$out" "$corpus" <<'PY'
import collections, json, os, sys
out, corpus = sys.argv[1], sys.argv[2]
res = {}
for s in ("webshells", "benign"):
    d = json.load(open(os.path.join(out, s + ".json")))
    h = d["hosts"][0]
    total = sum(1 for n in os.listdir(os.path.join(corpus, s))
                if os.path.isfile(os.path.join(corpus, s, n)))
    hit = {f["path"] for f in h["findings"] if f["kind"] == "webshell"}
    rules = collections.Counter(f["rule"] for f in h["findings"] if f["kind"] == "webshell")
    res[s] = (total, hit, rules, h["stats"])
t, hit, rules, st = res["webshells"]
print(f"recall {len(hit)}/{t} = {len(hit)/t:.3f} (target >= 0.95)")
missed = sorted(set(os.listdir(os.path.join(corpus, "webshells"))) - hit)
for m in missed:
    print(f"  missed: {m}")
t, hit, rules, st = res["benign"]
print(f"false positives {len(hit)}/{t} = {100*len(hit)/t:.2f}% (target <= 0.5%)")
for m in sorted(hit):
    print(f"  false positive: {m}")
print("rules firing on webshells/:", ", ".join(f"{r} {n}" for r, n in res["webshells"][2].most_common()))
print(f"scan time: webshells {res['webshells'][3]['seconds']:.2f} s, benign {res['benign'][3]['seconds']:.2f} s")
PY
