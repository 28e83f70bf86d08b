#!/usr/bin/env bash
# CI check of the Debian package (called by .ci/run, as root on a fresh
# Debian 12): build it from the committed tree, apt-get install it, run the
# installed exscan with its installed data, apt-get remove it and check that
# nothing it installed is left.  Prints how long it took.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
out=build-deb
say() { echo "ci-package: $*"; }
die() { echo "ci-package: $*" >&2; exit 1; }

if dpkg -s exscan >/dev/null 2>&1; then
	die "an exscan package is already installed: remove it first (apt-get remove exscan)"
fi
mkdir -p "$out"
log="$out/build.log"
DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" bash tools/build-deb.sh "$out" >"$log" 2>&1 ||
	{ tail -60 "$log"; die "tools/build-deb.sh failed (log: $log)"; }
grep -E '^[EW]: ' "$log" | sed 's/^/ci-package: lintian: /'
built=$(date +%s)

deb=$(ls "$out"/exscan_*.deb)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >"$out/install.log" 2>&1 ||
	{ cat "$out/install.log"; die "apt-get install ./$deb failed"; }
dpkg -L exscan | sort >"$out/files"

bad=0
v=$(/usr/bin/exscan --version) || { bad=1; say "exscan --version failed"; }
echo "$v" | sed 's/^/  /'
for t in exchange-builds.tsv exchange-cves.tsv; do
	echo "$v" | grep -q "table: /usr/share/exscan/$t, " ||
		{ bad=1; say "--version does not name /usr/share/exscan/$t"; }
done
for r in webshells.yar exchange.yar; do
	echo "$v" | grep -qx "rules: /usr/share/exscan/$r" ||
		{ bad=1; say "--version does not name /usr/share/exscan/$r"; }
done
# a lab scan with the installed binary, rules and tables: a patched but
# compromised image and a clean one
tests/lab/make-lab.sh "$out/lab" >/dev/null
/usr/bin/exscan scan --no-rules-cache --format json -o "$out/lab.json" \
	--fs "$out/lab/patched-pwned" --host pwned --fs "$out/lab/clean-se" --host clean 2>"$out/lab.err"
rc=$?
[ $rc -eq 1 ] || { bad=1; say "installed exscan scan of the lab exited $rc, want 1"; cat "$out/lab.err"; }
python3 -c 'import json,sys; v={h["host"]: h["verdict"] for h in json.load(open(sys.argv[1]))["hosts"]}; sys.exit(v != {"pwned": "compromised", "clean": "clean"})' \
	"$out/lab.json" || { bad=1; say "installed exscan scan gave the wrong lab verdicts"; }
say "installed exscan scan of the lab: pwned compromised, clean clean"
/usr/bin/exscan builds 15.1.2176.2 >"$out/builds.txt" 2>&1
rc=$?
sed 's/^/  /' "$out/builds.txt" | head -12
[ $rc -eq 1 ] || { bad=1; say "exscan builds 15.1.2176.2 exited $rc, want 1 (ProxyLogon open)"; }
grep -q "Exchange Server 2016 CU19" "$out/builds.txt" && grep -q "CVE-2021-26855" "$out/builds.txt" ||
	{ bad=1; say "exscan builds 15.1.2176.2 did not name CU19 and CVE-2021-26855"; }
for f in /usr/share/man/man1/exscan.1.gz /usr/share/bash-completion/completions/exscan \
	/usr/share/zsh/vendor-completions/_exscan; do
	grep -qxF "$f" "$out/files" || { bad=1; say "the package lacks $f"; }
done
# the installed completion works in a bash that loads it
got=$(bash -c '. /usr/share/bash-completion/completions/exscan; COMP_WORDS=(exscan bu); COMP_CWORD=1; _exscan; echo "${COMPREPLY[*]}"')
[ "$got" = builds ] || { bad=1; say "installed bash completion of 'exscan bu' gave '$got'"; }

DEBIAN_FRONTEND=noninteractive apt-get remove -y -q exscan >"$out/remove.log" 2>&1 ||
	{ cat "$out/remove.log"; die "apt-get remove exscan failed"; }
if dpkg-query -W -f='${db:Status-Status}\n' exscan 2>/dev/null | grep -qv '^not-installed$'; then
	bad=1
	say "dpkg still knows exscan as $(dpkg-query -W -f='${db:Status-Status}' exscan)"
fi
left=0
while read -r f; do
	if [ -f "$f" ] || [ -L "$f" ]; then
		say "left behind: $f"
		left=1
	fi
done <"$out/files"
for d in /usr/share/exscan /usr/share/doc/exscan; do
	[ -e "$d" ] && { say "left behind: $d"; left=1; }
done
[ $left -eq 0 ] || bad=1
end=$(date +%s)
say "package build $((built - start)) s, install/use/remove $((end - built)) s, total $((end - start)) s"
[ $bad -eq 0 ] || die "the installed package did not behave"
say "ok"
