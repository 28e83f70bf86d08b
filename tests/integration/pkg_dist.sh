#!/usr/bin/env bash
# What `meson install` puts where, and that the Debian and RPM packaging
# agree with it: the RPM spec's %files (rpmspec -P) against a real DESTDIR
# install, the Debian changelog's version against meson's.
. "$(dirname "$0")/tap.sh"

BUILDDIR=${EXSCAN_BUILDDIR:?set by meson}
version=$("$EXSCAN" --version | sed -n 's/^exscan //p')

# the build's own settings (prefix, zsh dir) as meson reports them
meson introspect "$BUILDDIR" --buildoptions >"$TMP/opts.json" 2>"$TMP/err"
opt() {
	python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(open(sys.argv[1]))}[sys.argv[2]])' \
		"$TMP/opts.json" "$1"
}
prefix=$(opt prefix)
datadir=$(opt datadir)
mandir=$(opt mandir)
zshdir=$(opt zsh_completion_dir)
[ -n "$zshdir" ] || zshdir="$datadir/zsh/site-functions"
case $zshdir in /*) ;; *) zshdir="$prefix/$zshdir" ;; esac

DESTDIR="$TMP/root" meson install -C "$BUILDDIR" --no-rebuild --quiet >"$TMP/inst" 2>&1
tap_ok $? "meson install into a DESTDIR" "$(tail -20 "$TMP/inst")"
(cd "$TMP/root" && find . -type f | sed 's/^\.//' | sort) >"$TMP/installed"

ok=0
for f in exchange-builds.tsv exchange-cves.tsv; do
	cmp -s "$TMP/root$prefix/$datadir/exscan/$f" "$EXSCAN_SRCDIR/rules/$f" || ok=1
done
tap_ok $ok "the tables are installed to $prefix/$datadir/exscan" "$(cat "$TMP/installed")"
# exscan looks where they are installed (the man page's FILES names the path)
"$EXSCAN" help --man | grep -qxF ".I $prefix/$datadir/exscan/exchange-builds.tsv"
tap_ok $? "exscan's data directory is the installed one"
"$EXSCAN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/:$/ && $1 != "help" {print $1}' |
	sort >"$TMP/commands"
(echo exscan.1; sed 's/.*/exscan-&.1/' "$TMP/commands") | sort >"$TMP/want"
grep "^$prefix/$mandir/man1/" "$TMP/installed" | xargs -n1 basename | sort >"$TMP/got"
d=$(diff "$TMP/want" "$TMP/got")
tap_ok $([ -z "$d" ] && echo 0 || echo 1) "one installed man page per command, plus exscan(1)" "$d"
grep -qxF "$prefix/$datadir/bash-completion/completions/exscan" "$TMP/installed" &&
	grep -qxF "$zshdir/_exscan" "$TMP/installed"
tap_ok $? "bash and zsh completions are installed" "$(cat "$TMP/installed")"

# RPM: the spec meson filled in, expanded by rpmspec
SPEC="$BUILDDIR/packaging/exscan.spec"
if ! command -v rpmspec >/dev/null; then
	tap_skip "rpmspec -P parses the spec" "rpmspec is not installed (Debian package rpm)"
else
	rpmspec -P "$SPEC" >"$TMP/spec" 2>"$TMP/err"
	tap_ok $? "rpmspec -P parses the spec" "$(cat "$TMP/err")"
	grep -qx "Version: *$version" "$TMP/spec"
	tap_ok $? "the spec's version is meson's ($version)" "$(grep Version "$TMP/spec")"
	ok=0
	for m in '%meson' '%meson_build' '%meson_install' '%meson_test'; do
		grep -q "^$m\b" "$SPEC" || ok=1
	done
	tap_ok $ok "the spec builds with %meson, %meson_build, %meson_install, %meson_test"
	# %files against the DESTDIR install, rpm's /usr mapped to this build's
	# prefix and rpm's zsh directory to this build's
	python3 - "$TMP/spec" "$TMP/installed" "$prefix" "$zshdir" >"$TMP/cmp" 2>&1 <<'PY'
import fnmatch, sys
spec, installed, prefix, zshdir = sys.argv[1:]
files, inside = [], False
for line in open(spec):
    line = line.strip()
    if line.startswith("%"):
        if line == "%files":
            inside = True
            continue
        if not line.startswith(("%dir", "%doc", "%license", "%config")):
            inside = False
    if inside and line and not line.startswith(("%doc", "%license", "%dir", "#")):
        files.append(line)
def match(f, p):
    # "DIR/" in %files owns the directory and everything below it
    return f.startswith(p) if p.endswith("/") else fnmatch.fnmatch(f, p)
def local(p):
    p = p.replace("/usr/share/zsh/site-functions", zshdir, 1)
    return p if p.startswith(zshdir) else prefix + p[len("/usr"):]
pats = [local(p) for p in files]
have = [l.strip() for l in open(installed) if l.strip()]
bad = 0
for f in have:
    if not any(match(f, p) for p in pats):
        print("installed but not in %files:", f); bad = 1
for p in pats:
    if not any(match(f, p) for f in have):
        print("in %files but not installed:", p); bad = 1
sys.exit(bad)
PY
	tap_ok $? "the spec's %files are exactly what meson installs" "$(cat "$TMP/cmp")"
fi

# Debian: the changelog's upstream version is meson's
CHANGELOG="$EXSCAN_SRCDIR/packaging/debian/changelog"
if command -v dpkg-parsechangelog >/dev/null; then
	deb=$(dpkg-parsechangelog -l "$CHANGELOG" -S Version 2>"$TMP/err")
	[ "${deb%-*}" = "$version" ]
	tap_ok $? "packaging/debian/changelog is at version $version ($deb)" "$(cat "$TMP/err")"
else
	tap_skip "debian changelog version" "dpkg-parsechangelog is not installed"
fi

tap_done
