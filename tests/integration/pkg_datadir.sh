#!/usr/bin/env bash
# The installed data layout: tables read from the data directory when they are
# there (EXSCAN_DATADIR stands in for /usr/share/exscan), built-in copies
# otherwise, --builds/--cves above both, and --version saying which it used.
# pkg_dist.sh checks the real installed layout.
. "$(dirname "$0")/tap.sh"

mkdir -p "$TMP/empty" "$TMP/data"
EXSCAN_DATADIR="$TMP/empty" run "$EXSCAN" --version
grep -q "^build table: built-in, " "$TMP/out" && grep -q "^cve table: built-in, " "$TMP/out"
tap_ok $? "no installed tables: --version says built-in" "$(cat "$TMP/out" "$TMP/err")"

EXSCAN_DATADIR="$TMP/empty" run "$EXSCAN" builds --format json 15.1.2176.2
json_check "no installed tables: the built-in ones answer" "d['builds'][0]['cu'] == 'CU19'"

# a data directory with a (small, different) table of its own, sealed as
# docs/knowledge-base.md says
seal() { python3 "$EXSCAN_SRCDIR/tools/gen-kb.py" --seal "$@"; }
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n' \
	>"$TMP/data/exchange-builds.tsv"
printf 'cve\tCVE-2099-0001\tkev\tTest\nfix\t-\tCVE-2099-0001\tExchange2016\n' >"$TMP/data/exchange-cves.tsv"
seal "$TMP/data/exchange-builds.tsv" "$TMP/data/exchange-cves.tsv"
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
seal "$TMP/data/exchange-builds.tsv"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" builds 15.1.2176.2
expect_rc 2 "a broken installed table is a configuration error"
grep -qF "$TMP/data/exchange-builds.tsv:3:" "$TMP/err"
tap_ok $? "the error names the installed file and line" "$(cat "$TMP/err")"

# installed tables that cannot prove they are whole (empty, comment-only,
# cut, rows missing, a row changed) are refused for every command and for
# --version, never taken as "no CVEs": exit 2 and one line naming the file
cp "$EXSCAN_SRCDIR/rules/exchange-builds.tsv" "$TMP/data/"
CVES=$EXSCAN_SRCDIR/rules/exchange-cves.tsv
damaged() { # damaged DESCRIPTION PATTERN: $TMP/data/exchange-cves.tsv is refused
	local n1 n2 rc1
	EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" builds --format json 15.1.2176.2
	n1=$(wc -l <"$TMP/err")
	rc1=$RC
	grep -qF -- "$TMP/data/exchange-cves.tsv$2" "$TMP/err"
	tap_ok $(( $? + (rc1 != 2) + (n1 != 1) )) "installed $1: builds exits 2 with one line (exit $rc1)" \
		"$(cat "$TMP/err")"
	EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" report --format json --fail-on never /dev/null
	n2=$(wc -l <"$TMP/err")
	grep -qF -- "$TMP/data/exchange-cves.tsv$2" "$TMP/err"
	tap_ok $(( $? + (RC != 2) + (n2 != 1) )) "installed $1: report exits 2 too (exit $RC)" "$(cat "$TMP/err")"
}
: >"$TMP/data/exchange-cves.tsv"
damaged "empty CVE table" ": empty file, not an exscan cves table"
grep '^#' "$CVES" >"$TMP/data/exchange-cves.tsv"
damaged "comment-only CVE table" ":1: no 'exscan-table' header line"
head -c 5000 "$CVES" >"$TMP/data/exchange-cves.tsv"
damaged "CVE table cut at 5000 bytes" ": truncated: the header promises 342 rows"
head -n -3 "$CVES" >"$TMP/data/exchange-cves.tsv"
damaged "CVE table without its last 3 rows" ": truncated: the header promises 342 rows, the file has 340"
sed 's/^cve\tCVE-2021-26855\tkev\t/cve\tCVE-2021-26855\t-\t/' "$CVES" >"$TMP/data/exchange-cves.tsv"
damaged "CVE table with ProxyLogon's KEV flag removed" ": checksum mismatch"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --version
grep -qF "$TMP/data/exchange-cves.tsv: checksum mismatch" "$TMP/err"
tap_ok $(( $? + (RC != 2) )) "--version refuses it as well (exit $RC)" "$(cat "$TMP/err")"
rm "$TMP/data/exchange-cves.tsv"

# a directory where a table should be is ignored (built-in used)
rm "$TMP/data/exchange-builds.tsv"
mkdir "$TMP/data/exchange-builds.tsv"
EXSCAN_DATADIR="$TMP/data" run "$EXSCAN" --version
grep -q "^build table: built-in" "$TMP/out"
tap_ok $? "a directory in place of a table is not read" "$(cat "$TMP/out" "$TMP/err")"

# the YARA rules follow the installed layout too, file by file
mkdir -p "$TMP/rules-data" "$TMP/tree/inetpub/wwwroot"
cat >"$TMP/rules-data/webshells.yar" <<'YAR'
rule installed_marker_rule
{
	meta:
		score = 90
		family = "installed copy"
		description = "proves the installed rules file is read"
		reference = "test"
	strings:
		$m = "exscan-installed-rules-marker"
	condition:
		$m
}
YAR
printf '<%%@ Page Language="C#" %%>exscan-installed-rules-marker\n' >"$TMP/tree/inetpub/wwwroot/page.aspx"
EXSCAN_DATADIR="$TMP/rules-data" run "$EXSCAN" --version
grep -qF "rules: $TMP/rules-data/webshells.yar" "$TMP/out" && grep -q "^rules: built-in exchange.yar" "$TMP/out"
tap_ok $? "--version names the installed rules file and the built-in fallback" "$(cat "$TMP/out")"
EXSCAN_DATADIR="$TMP/rules-data" XDG_CACHE_HOME="$TMP/cache" run "$EXSCAN" walk --format json "$TMP/tree"
json_check "walk uses the installed rules file" \
	"any(f['rule'] == 'installed_marker_rule' for f in d['hosts'][0]['findings'])"
EXSCAN_DATADIR=/nonexistent XDG_CACHE_HOME="$TMP/cache" run "$EXSCAN" walk --format json "$TMP/tree"
json_check "and the built-in rules without it" \
	"not any(f['rule'] == 'installed_marker_rule' for f in d['hosts'][0]['findings'])"

tap_done
