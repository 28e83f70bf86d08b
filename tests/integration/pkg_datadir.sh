#!/usr/bin/env bash
# The installed data layout: tables read from the data directory when they are
# there (EXSCAN_DATADIR stands in for /usr/share/exscan), built-in copies
# otherwise, --builds/--cves above both, and --version saying which it used.
# Ends with a real `meson install` into a DESTDIR when the build dir is known.
. "$(dirname "$0")/tap.sh"

mkdir -p "$TMP/empty" "$TMP/data"
EXSCAN_DATADIR="$TMP/empty" run "$EXSCAN" --version
grep -q "^build table: built-in, " "$TMP/out" && grep -q "^cve table: built-in, " "$TMP/out"
tap_ok $? "no installed tables: --version says built-in" "$(cat "$TMP/out" "$TMP/err")"

EXSCAN_DATADIR="$TMP/empty" run "$EXSCAN" builds --format json 15.1.2176.2
json_check "no installed tables: the built-in ones answer" "d['builds'][0]['cu'] == 'CU19'"

# a data directory with a (small, different) table of its own
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n' \
	>"$TMP/data/exchange-builds.tsv"
printf 'cve\tCVE-2099-0001\tkev\tTest\nfix\t-\tCVE-2099-0001\tExchange2016\n' >"$TMP/data/exchange-cves.tsv"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --version
grep -qF "build table: $TMP/data/exchange-builds.tsv, 1 builds" "$TMP/out" &&
	grep -qF "cve table: $TMP/data/exchange-cves.tsv, 1 CVEs" "$TMP/out"
tap_ok $? "installed tables: --version names their paths" "$(cat "$TMP/out" "$TMP/err")"

EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" builds --format json 15.1.2176.2
json_check "installed tables are the ones used by commands" \
	"[c['id'] for c in d['builds'][0]['open_cves']] == ['CVE-2099-0001']"

EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --builds "$EXSCAN_SRCDIR/rules/exchange-builds.tsv" \
	--cves "$EXSCAN_SRCDIR/rules/exchange-cves.tsv" --version
grep -qF "build table: $EXSCAN_SRCDIR/rules/exchange-builds.tsv, " "$TMP/out"
tap_ok $? "--builds before the command beats the data directory" "$(cat "$TMP/out")"

EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" builds --builds "$EXSCAN_SRCDIR/rules/exchange-builds.tsv" \
	--cves "$EXSCAN_SRCDIR/rules/exchange-cves.tsv" --format json 15.1.2176.2
json_check "--builds/--cves of a command beat the data directory" \
	"'CVE-2021-26855' in [c['id'] for c in d['builds'][0]['open_cves']]"

# only one of the two installed: that one is used, the other is built in
rm "$TMP/data/exchange-cves.tsv"
cp "$EXSCAN_SRCDIR/rules/exchange-builds.tsv" "$TMP/data/"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --version
grep -qF "build table: $TMP/data/exchange-builds.tsv" "$TMP/out" && grep -q "^cve table: built-in" "$TMP/out"
tap_ok $? "each table falls back on its own" "$(cat "$TMP/out")"

# a broken installed table is an error naming it, not a silent fallback
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\tnope\n' >"$TMP/data/exchange-builds.tsv"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" builds 15.1.2176.2
expect_rc 2 "a broken installed table is a configuration error"
grep -qF "$TMP/data/exchange-builds.tsv:2:" "$TMP/err"
tap_ok $? "the error names the installed file and line" "$(cat "$TMP/err")"

# a directory where a table should be is ignored (built-in used)
rm "$TMP/data/exchange-builds.tsv"
mkdir "$TMP/data/exchange-builds.tsv"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --version
grep -q "^build table: built-in" "$TMP/out"
tap_ok $? "a directory in place of a table is not read" "$(cat "$TMP/out" "$TMP/err")"

# without EXSCAN_DATADIR the compiled-in data directory is used: a real
# install into a DESTDIR shows the layout (the binary then reads
# DESTDIR-less paths, so only the file list is checked here; CI checks
# the installed package end to end)
if [ -n "${EXSCAN_BUILDDIR:-}" ] && command -v meson >/dev/null; then
	DESTDIR="$TMP/root" meson install -C "$EXSCAN_BUILDDIR" --no-rebuild --quiet >"$TMP/inst" 2>&1
	tap_ok $? "meson install into a DESTDIR" "$(tail -20 "$TMP/inst")"
	datadir=$("$EXSCAN" help --man | sed -n 's/^\.I \(.*\)\/exchange-builds\.tsv$/\1/p')
	ok=0
	for f in "$datadir/exchange-builds.tsv" "$datadir/exchange-cves.tsv"; do
		cmp -s "$TMP/root$f" "$EXSCAN_SRCDIR/rules/$(basename "$f")" || ok=1
	done
	tap_ok $ok "the tables are installed where exscan looks for them ($datadir)" \
		"$(cd "$TMP/root" && find . -type f)"
	n=$(find "$TMP/root" -path '*/man1/exscan*.1' | wc -l)
	tap_ok $([ "$n" -ge 3 ] && echo 0 || echo 1) "man pages are installed to man1 ($n)"
	n=$(find "$TMP/root" \( -path '*/bash-completion/completions/exscan' -o -name _exscan \) | wc -l)
	tap_ok $([ "$n" -eq 2 ] && echo 0 || echo 1) "bash and zsh completions are installed ($n)"
else
	tap_skip "meson install into a DESTDIR" "EXSCAN_BUILDDIR is not set"
fi

tap_done
