#!/usr/bin/env bash
# The built-in rules on the shared corpus of real webshells and benign pages
# (../shared/corpus, read as bytes only): recall >= 0.96, false positives
# <= 0.3% (bench/detection has the per-source and leave-one-source-out
# figures).  Skipped when the corpus is not there.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
C="$EXSCAN_SRCDIR/../shared/corpus"
if [ ! -d "$C/webshells" ] || [ ! -d "$C/benign" ]; then
	tap_skip "recall on corpus/webshells" "no corpus at $C"
	tap_skip "false positives on corpus/benign" "no corpus at $C"
	tap_done
	exit $?
fi
rate() { # rate DIR: prints "hits total"
	"$EXSCAN" walk --format json --fail-on never "$1" >"$TMP/c.json"
	python3 - "$TMP/c.json" "$1" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
hits = {f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"}
total = sum(1 for n in os.listdir(sys.argv[2]) if os.path.isfile(os.path.join(sys.argv[2], n)))
print(len(hits), total)
PY
}
read -r hit total < <(rate "$C/webshells")
python3 -c "import sys; sys.exit(0 if $hit / $total >= 0.96 else 1)"
tap_ok $? "recall on corpus/webshells: $hit/$total (>= 0.96)"
read -r hit total < <(rate "$C/benign")
python3 -c "import sys; sys.exit(0 if $hit / $total <= 0.003 else 1)"
tap_ok $? "false positives on corpus/benign: $hit/$total (<= 0.3%)"
tap_done
