#!/usr/bin/env bash
# exscan builds, --help, --version and exit codes, through the real binary.
. "$(dirname "$0")/tap.sh"

cve() { # python expression: the open CVE with id $1 of build object b
	echo "next((c for c in b['open_cves'] if c['id'] == '$1'), None)"
}

run "$EXSCAN" builds --format json 15.1.2176.2
expect_rc 1 "15.1.2176.2 reaches the default --fail-on vulnerable"
json_check "15.1.2176.2 is Exchange 2016 CU19 with ProxyLogon open and KEV" \
	"(lambda b: b['product'] == 'Exchange Server 2016' and b['cu'] == 'CU19' and b['update'] is None
	  and b['known'] and b['precision'] == 'exact' and $(cve CVE-2021-26855)['kev']
	  and $(cve CVE-2021-26855)['certain'])(d['builds'][0])"

run "$EXSCAN" builds --format json --fail-on never 15.1.2176.9
expect_rc 0 "--fail-on never exits 0"
json_check "15.1.2176.9 closes ProxyLogon, leaves ProxyShell open" \
	"(lambda b: b['update'] == 'Mar21SU' and $(cve CVE-2021-26855) is None
	  and $(cve CVE-2021-34473) is not None and $(cve CVE-2021-31207) is not None)(d['builds'][0])"

run "$EXSCAN" builds --format json 15.2.1748.43
json_check "15.2.1748.43 is Exchange 2019 CU15 Feb26SU" \
	"(lambda b: b['product'] == 'Exchange Server 2019' and b['cu'] == 'CU15'
	  and b['update'] == 'Feb26SU' and 'Aug26SU' in b['missing_updates'])(d['builds'][0])"

run "$EXSCAN" builds --format json 15.2.2562.57
json_check "15.2.2562.57 is Exchange SE, supported" \
	"(lambda b: b['product'] == 'Exchange Server SE' and not b['end_of_support']
	  and b['missing_updates'] == [])(d['builds'][0])"

# review 2026-11, sections 1.1A and 1.1B: every build is known, with its update
# (the expected rows are the review's, kept in tools/kb/review-2026-11.tsv)
REVIEW_BUILDS=$(awk -F'\t' '$1 == "build" {print $2}' "$EXSCAN_SRCDIR/tools/kb/review-2026-11.tsv")
run "$EXSCAN" builds --format json --fail-on never $REVIEW_BUILDS
json_check "every build of the review (1.1A, 1.1B, 1.2) is known with its update and KB" \
	"(lambda want: len(d['builds']) == len(want) == 51 and all(b['known'] and (b['update'] or '-') == w[5]
	  and (b['kb'] or '-') == w[7] for b, w in zip(d['builds'], want)))([l.split('\t') for l in
	  open('$EXSCAN_SRCDIR/tools/kb/review-2026-11.tsv') if l.startswith('build\t')])"
run "$EXSCAN" builds --format json --fail-on never 15.2.858.12 15.2.2562.37 15.2.2562.49 15.2.2562.53 15.1.1531.8 15.1.2507.31
json_check "review section 2: ProxyToken by Apr21SU, CVE-2026-42897 KEV, Sep26SUv2 and Aug23SUv2 required, Dec18SU fixes CVE-2018-8604" \
	"((lambda b: $(cve CVE-2021-33766) is None)(d['builds'][0]) and (lambda b: $(cve CVE-2026-42897)['kev'] and $(cve CVE-2026-42897)['certain'])(d['builds'][1]) and
	  (lambda b: $(cve CVE-2026-96940)['fixed_by'] == 'Sep26SUv2' and 'Sep26SUv2' in b['missing_updates'])(d['builds'][2]) and
	  (lambda b: $(cve CVE-2026-96940) is None)(d['builds'][3]) and
	  (lambda b: $(cve CVE-2018-8604) is None)(d['builds'][4]) and
	  (lambda b: $(cve CVE-2023-21709)['fixed_by'] == 'Aug23SUv2')(d['builds'][5]))"

run "$EXSCAN" builds --format json --fail-on never 15.2.1748.10 15.2.2562.37
json_check "ESU-only advice names the move to SE; a hotfix update is reported apart" \
	"(lambda e, s: e['newest']['esu_only'] and 'esu-only' in e['remedy'] and 'move to Exchange Server SE' in e['remedy']
	  and s['missing_hotfixes'] == ['May26HU'] and 'May26HU' not in s['missing_updates']
	  and 'esu-only' not in s['remedy'] and s['updates_behind'] == len(s['missing_updates']))(*d['builds'])"
run "$EXSCAN" builds --no-color --fail-on never 15.2.1748.10 15.2.1544.4
grep -q "remedy .*esu-only.*move to Exchange Server SE" "$TMP/out" && grep -q "behind on 2 hotfix updates" "$TMP/out" &&
	grep -q "after the update: run Setup /PrepareSchema" "$TMP/out"
tap_ok $? "text: ESU-only remedy, hotfixes apart, the configuration step after the update" "$(cat "$TMP/out" | head -30)"

# service cut-offs from the build alone (no request): EEMS below Mar23SU, the
# configuration files of July 2026 on below Jun26SU, hybrid mail below Oct25SU
run "$EXSCAN" builds --format json --fail-on never 15.1.2176.2 15.2.1748.39 15.2.2562.57
json_check "service notes: three for 2016 CU19, Jun26SU's for 2019 CU15 Oct25SU, none for SE Nov26SU" \
	"[[n.split('(')[1].split(')')[0] for n in b['service_notes']] for b in d['builds']] == [['Mar23SU', 'Jun26SU', 'Oct25SU'], ['Jun26SU'], []]"
run "$EXSCAN" builds --no-color --fail-on never 15.2.1748.39
grep -q "^  service      mitigation and flighting configuration files" "$TMP/out"
tap_ok $? "text: a service line for the missing Jun26SU" "$(cat "$TMP/out" | head -30)"

# staleness: "today" is set with EXSCAN_TODAY; the tables' newest update is 2026-11-10
EXSCAN_TODAY=2026-11-29 run "$EXSCAN" builds --format json --fail-on never 15.2.2562.57
json_check "19 days after the newest update the tables are not stale" \
	"d['tables'] == {'newest_update': '2026-11-10', 'age_days': 19, 'stale': False, 'advice': None}"
EXSCAN_TODAY=2026-12-27 run "$EXSCAN" builds --format json --fail-on never 15.2.2562.57
json_check "47 days after it they may be stale, with how to refresh them" \
	"(d['tables']['stale'] and d['tables']['age_days'] == 47 and '--builds' in d['tables']['advice']
	  and '/usr/share/exscan' in d['tables']['advice'])"
EXSCAN_TODAY=2026-12-27 run "$EXSCAN" builds --no-color --fail-on never 15.2.2562.57
grep -q "^note: the newest update in the tables is from 2026-11-10, 47 days ago: .*--builds and --cves" "$TMP/out"
tap_ok $? "text output says the tables may be stale" "$(tail -2 "$TMP/out")"
EXSCAN_TODAY=2026-12-24 run "$EXSCAN" builds --no-color --fail-on never 15.2.2562.57
grep -q "^note: " "$TMP/out"
tap_ok $(( ! $? )) "44 days after it: no staleness line" "$(tail -2 "$TMP/out")"
run "$EXSCAN" builds --format json --fail-on at-risk 15.2.2562.60 15.2.2563
expect_rc 1 "a build newer than the tables is at-risk, not clean"
json_check "a build newer than the tables says so" \
	"all(b['newer_than_tables'] and 'newer than the tables' in b['note'] for b in d['builds'])"

run "$EXSCAN" builds --format json 15.0.1497.2
json_check "15.0.1497.2 is Exchange 2013 CU23, end of support" \
	"(lambda b: b['product'] == 'Exchange Server 2013' and b['cu'] == 'CU23'
	  and b['end_of_support'] is True)(d['builds'][0])"

run "$EXSCAN" builds --format json 15.1.2176
json_check "15.1.2176 is CU-only with ProxyLogon not certain" \
	"(lambda b: b['precision'] == 'cu' and b['cu'] == 'CU19' and b['known']
	  and $(cve CVE-2021-26855)['certain'] is False and 'Mar21SU' in b['undecided_updates'])(d['builds'][0])"

run "$EXSCAN" builds --format json 15.1.2176.99
json_check "an unknown build names its nearest known builds and says the table may be stale" \
	"(lambda b: not b['known'] and len(b['nearest_known']) == 2 and 'stale' in b['note'])(d['builds'][0])"

run "$EXSCAN" builds banana
expect_rc 2 "garbage is a usage error"
lines=$(wc -l <"$TMP/err")
grep -q "'banana' is not a build number" "$TMP/err"
tap_ok $(( $? + (lines != 1) )) "garbage gives one line naming it" "$(cat "$TMP/err")"

run "$EXSCAN" builds --format json banana 15.1.2176.9
expect_rc 2 "garbage among good builds still exits 2"
json_check "and the good builds are still reported" "len(d['builds']) == 1"

run "$EXSCAN" builds $'\033[31mred'
grep -q $'\033' "$TMP/err"
tap_ok $(( ! $? )) "control characters in a bad argument are escaped" "$(cat -v "$TMP/err")"

run "$EXSCAN" builds --no-color 15.1.2176.2
grep -q "CVE-2021-26855 *KEV" "$TMP/out" && grep -q "Exchange Server 2016 CU19" "$TMP/out"
tap_ok $? "text output names product, CU and KEV CVEs" "$(cat "$TMP/out")"
grep -q $'\033' "$TMP/out"
tap_ok $(( ! $? )) "no colour when stdout is not a terminal"

if [ -f "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" ]; then
	run "$EXSCAN" builds --format json 15.1.2176.2 15.1.2176 15.2.2562.57 15.1.2176.99
	python3 "$EXSCAN_SRCDIR/../shared/tools/check-output-contract.py" builds "$TMP/out" >"$TMP/contract" 2>&1
	tap_ok $? "JSON meets the shared output contract" "$(cat "$TMP/contract")"
else
	tap_skip "JSON meets the shared output contract" "../shared is not there"
fi

run "$EXSCAN" --version
grep -q "^exscan " "$TMP/out" && grep -q "^libyara " "$TMP/out" && grep -q "^libcurl " "$TMP/out" &&
	grep -q "^OpenSSL " "$TMP/out" && grep -q "^libmagic " "$TMP/out" &&
	grep -q "newest release 2026-11-10" "$TMP/out"
tap_ok $? "--version names exscan, libyara, libcurl, OpenSSL, libmagic and the table date" "$(cat "$TMP/out")"

run "$EXSCAN" --help
grep -q "builds" "$TMP/out" && grep -q "3  incomplete" "$TMP/out"
tap_ok $? "--help lists commands and exit codes"
run "$EXSCAN" help builds
expect_rc 0 "exscan help builds"
grep -q -- "--format text|json" "$TMP/out"
tap_ok $? "command help shows its formats"
run "$EXSCAN" help nosuch
expect_rc 2 "help for an unknown command"
run "$EXSCAN" builds --bogus 15.1.2176.2
expect_rc 2 "unknown option is a usage error"
run "$EXSCAN" builds --format xml 15.1.2176.2
expect_rc 2 "unknown format is a usage error"
run "$EXSCAN"
expect_rc 2 "no command is a usage error"

# tables from files: override and malformed (hand-made tables are sealed
# with tools/gen-kb.py --seal, as docs/knowledge-base.md says)
seal() { python3 "$EXSCAN_SRCDIR/tools/gen-kb.py" --seal "$@"; }
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2020-12-15\t-\n' >"$TMP/b.tsv"
printf 'cve\tCVE-2099-0001\tkev\tTest\nfix\t-\tCVE-2099-0001\tExchange2016\n' >"$TMP/c.tsv"
seal "$TMP/b.tsv" "$TMP/c.tsv"
run "$EXSCAN" builds --builds "$TMP/b.tsv" --cves "$TMP/c.tsv" --format json 15.1.2176.2
json_check "--builds/--cves replace the built-in tables" \
	"[c['id'] for c in d['builds'][0]['open_cves']] == ['CVE-2099-0001'] and d['builds'][0]['support_ends'] is None"
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\tnope\n' >"$TMP/bad.tsv"
seal "$TMP/bad.tsv"
run "$EXSCAN" builds --builds "$TMP/bad.tsv" 15.1.2176.2
expect_rc 2 "a malformed table is a configuration error"
grep -q "bad.tsv:3:" "$TMP/err"
tap_ok $? "the error names file and line" "$(cat "$TMP/err")"

# A table must prove it is whole. Each damaged CVE table below would
# otherwise leave the unpatched CU19 with few or no open CVEs and exit 0:
# exit 2, one line on stderr naming the file and the reason.
CVES=$EXSCAN_SRCDIR/rules/exchange-cves.tsv
BUILDS=$EXSCAN_SRCDIR/rules/exchange-builds.tsv
refused() { # refused DESCRIPTION FILE PATTERN [OPTION]: --cves FILE (or OPTION FILE) is refused
	run "$EXSCAN" builds --format json ${4:---cves} "$2" 15.1.2176.2
	local n
	n=$(wc -l <"$TMP/err")
	grep -qF -- "$3" "$TMP/err" && [ "$RC" -eq 2 ] && [ "$n" -eq 1 ] && [ ! -s "$TMP/out" ]
	tap_ok $? "$1: exit 2 and one line (exit $RC, $n lines)" "$(cat "$TMP/err" "$TMP/out" | head -c 1500)"
}
: >"$TMP/empty.tsv"
refused "an empty CVE table" "$TMP/empty.tsv" "empty.tsv: empty file, not an exscan cves table"
grep '^#' "$CVES" >"$TMP/comments.tsv"
refused "a comment-only CVE table" "$TMP/comments.tsv" "comments.tsv:1: no 'exscan-table' header line"
grep -v '^exscan-table' "$CVES" >"$TMP/unsealed.tsv"
refused "a CVE table without its header" "$TMP/unsealed.tsv" "unsealed.tsv:1: no 'exscan-table' header"
head -c $(( $(stat -c %s "$CVES") * 2 / 3 )) "$CVES" >"$TMP/cut.tsv"
refused "a CVE table cut two thirds in, mid-line" "$TMP/cut.tsv" "cut.tsv: truncated: the header promises 342 rows"
head -n -5 "$CVES" >"$TMP/short.tsv"
refused "a CVE table without its last 5 rows" "$TMP/short.tsv" "the header promises 342 rows, the file has 339"
head -c -12 "$CVES" >"$TMP/halfline.tsv"
refused "a CVE table whose last line is cut in half" "$TMP/halfline.tsv" "halfline.tsv: checksum mismatch"
sed 's/^fix\tMar21SU\tCVE-2021-26855\t/fix\tFeb21SU\tCVE-2021-26855\t/' "$CVES" >"$TMP/changed.tsv"
cmp -s "$CVES" "$TMP/changed.tsv"
tap_ok $(( ! $? )) "the edit below changes a row"
refused "a CVE table with one row changed" "$TMP/changed.tsv" "changed.tsv: checksum mismatch"
refused "the build table given as --cves" "$BUILDS" "this is a builds table, not a cves table"
head -n -40 "$BUILDS" >"$TMP/builds-short.tsv"
refused "a build table without its last 40 rows" "$TMP/builds-short.tsv" "the header promises 379 rows, the file has 348" --builds
# the complete table still answers: the same build is vulnerable
run "$EXSCAN" builds --format json --cves "$CVES" --builds "$BUILDS" 15.1.2176.2
expect_rc 1 "the whole tables: the unpatched CU19 is vulnerable"
# impossible dates and control characters, in sealed tables: file and line
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t-\nbuild\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t2026-02-30\t-\n' >"$TMP/date.tsv"
seal "$TMP/date.tsv"
refused "a build released on 2026-02-30" "$TMP/date.tsv" "date.tsv:3: '2026-02-30' is not a real date" --builds
printf 'product\tExchange2016\tExchange Server 2016\t15.1\t0\t2025-13\nbuild\t15.1.2176.2\tExchange2016\tCU19\t15.1.2176.2\t-\t-\t-\n' >"$TMP/month.tsv"
seal "$TMP/month.tsv"
refused "an end of support in month 13" "$TMP/month.tsv" "month.tsv:2: '2025-13' is not a real date" --builds
printf 'cve\tCVE-2099-0001\tkev\tTest\033]0;pwned\007\nfix\t-\tCVE-2099-0001\tExchange2016\n' >"$TMP/ctl.tsv"
seal "$TMP/ctl.tsv"
refused "a control character in a CVE name" "$TMP/ctl.tsv" "ctl.tsv:2: control character 0x1b in a field"
grep -q $'\033' "$TMP/err"
tap_ok $(( ! $? )) "the control character itself is not printed" "$(cat -v "$TMP/err")"

# tools/gen-kb.py reproduces the shipped tables byte for byte, and --seal
# leaves a generated table as it is
if [ -d "$EXSCAN_SRCDIR/../shared/ref" ]; then
	python3 "$EXSCAN_SRCDIR/tools/gen-kb.py" "$EXSCAN_SRCDIR/../shared/ref" "$TMP/gen" >"$TMP/gen.out" 2>&1 &&
		cmp "$TMP/gen/exchange-builds.tsv" "$BUILDS" && cmp "$TMP/gen/exchange-cves.tsv" "$CVES"
	tap_ok $? "tools/gen-kb.py reproduces rules/*.tsv" "$(cat "$TMP/gen.out")"
else
	tap_skip "tools/gen-kb.py reproduces rules/*.tsv" "../shared/ref is not there"
fi
cp "$CVES" "$TMP/reseal.tsv"
seal "$TMP/reseal.tsv" && cmp -s "$TMP/reseal.tsv" "$CVES"
tap_ok $? "gen-kb.py --seal agrees with the generated header"

# works from any directory: defaults are built in
( cd / && "$EXSCAN" builds --format json 15.1.2176.2 >"$TMP/out" 2>&1 )
json_check "the binary works from any directory" "d['builds'][0]['cu'] == 'CU19'"

run "$EXSCAN" builds -o "$TMP/o.json" --format json 15.2.2562.57
expect_rc 0 "-o writes to a file"
cp "$TMP/o.json" "$TMP/out"
json_check "-o file holds the JSON" "d['builds'][0]['product'] == 'Exchange Server SE'"

tap_done
