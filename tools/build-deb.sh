#!/usr/bin/env bash
# Builds the exscan Debian package from a clean export of the committed tree
# (git archive HEAD: uncommitted changes are not packaged), the way a
# distribution would: orig tarball, packaging/debian copied to debian/,
# dpkg-buildpackage -us -uc -b, then lintian.
#
# usage: tools/build-deb.sh [OUTDIR]     (default: build-deb/)
# env:   DEB_BUILD_OPTIONS (e.g. nocheck), LINTIAN=0 to skip lintian,
#        REF (default HEAD) the commit to package.
# Needs: dpkg-dev, debhelper, the Build-Depends of packaging/debian/control
# (tools/install-deps.sh installs them) and lintian.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-$src/build-deb}
ref=${REF:-HEAD}

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)
debversion=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "${debversion%-*}" != "$version" ]; then
	echo "build-deb: packaging/debian/changelog is at $debversion but meson.build at $version:" \
		"add a changelog entry (dch -v $version-1)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exscan-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git archive --format=tar --prefix="exscan-$version/" "$ref" | tar -x -C "$tmp"
tar -C "$tmp" -cJf "$tmp/exscan_$version.orig.tar.xz" "exscan-$version"
cp -r "$tmp/exscan-$version/packaging/debian" "$tmp/exscan-$version/debian"

(cd "$tmp/exscan-$version" && dpkg-buildpackage -us -uc -b)

mkdir -p "$out"
rm -f "$out"/exscan_*.deb "$out"/exscan-dbgsym_*.deb "$out"/exscan_*.changes "$out"/exscan_*.buildinfo
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/
echo "build-deb: packages in $out:"
ls -1 "$out"/*.deb

if [ "${LINTIAN:-1}" != 0 ]; then
	if command -v lintian >/dev/null; then
		# errors fail the build; warnings are printed for the record
		lintian --fail-on error --info "$out"/exscan_*.changes
	else
		echo "build-deb: lintian is not installed; skipped" >&2
	fi
fi
