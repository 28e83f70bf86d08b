#!/usr/bin/env bash
# Builds exscan with AddressSanitizer and UndefinedBehaviorSanitizer, warnings
# as errors, runs every test, then a short fuzz smoke run with clang (FUZZ=0
# skips it), and ends with the line "N passed, N failed, N skipped"
# (TAP subtests counted one by one). Exit status: 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-test}

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
		--buildtype=debugoptimized || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! meson compile -C "$BUILD"; then
	echo "0 passed, 1 failed"
	exit 1
fi
meson test -C "$BUILD" --print-errorlogs --num-processes "${JOBS:-2}" "$@"
status=$?
logs=("$BUILD/meson-logs/testlog.json")

# A short libFuzzer smoke run of every parser of untrusted data (clang only;
# FUZZ=0 skips it). Each target runs a few seconds over its seed corpus.
if [ "${FUZZ:-1}" != 0 ] && command -v clang >/dev/null; then
	FBUILD="$BUILD-fuzz"
	if [ ! -f "$FBUILD/build.ninja" ]; then
		CC=clang meson setup "$FBUILD" -Dfuzzing=true -Db_sanitize=address,undefined \
			-Db_lundef=false -Dwerror=true --buildtype=debugoptimized >/dev/null || status=1
	fi
	if meson compile -C "$FBUILD" >/dev/null; then
		meson test -C "$FBUILD" --suite fuzz --print-errorlogs --num-processes "${JOBS:-2}" || status=1
		logs+=("$FBUILD/meson-logs/testlog.json")
	else
		echo "run-tests: the fuzz build failed" >&2
		status=1
	fi
elif [ "${FUZZ:-1}" != 0 ]; then
	echo "run-tests: clang not found: fuzz smoke run skipped" >&2
fi

python3 - "${logs[@]}" <<'PY'
import json, re, sys
passed = failed = skipped = 0
lines = []
for path in sys.argv[1:]:
    try:
        lines += open(path).read().splitlines()
    except OSError:
        failed += 1
for line in lines:
    t = json.loads(line)
    res = t.get("result")
    out = t.get("stdout") or ""
    sub = [l for l in out.splitlines() if re.match(r"^(not )?ok\b", l)]
    if res == "SKIP":
        skipped += 1
    elif sub:
        for l in sub:
            if l.startswith("not ok"):
                failed += 1
            elif re.search(r"#\s*SKIP", l, re.I):
                skipped += 1
            else:
                passed += 1
        if res not in ("OK", "EXPECTEDFAIL") and not any(l.startswith("not ok") for l in sub):
            failed += 1  # crashed or timed out after its last subtest
    elif res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
