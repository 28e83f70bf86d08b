#!/usr/bin/env bash
# exscan walk IMAGE: disk images built here (mkntfs on a file, written
# through an ntfs-3g mount this test makes, a GPT with sfdisk, VHDX, VMDK
# and qcow2 by qemu-img, E01 by ewfacquire, split raw), scanned as nobody
# (no mount possible), give the findings of a walk of the mounted copy, plus
# what only raw NTFS shows: an alternate data stream, a deleted page and a
# back-dated creation time.  Then damaged images.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/walk_lab.inc.sh"
export XDG_CACHE_HOME="$TMP/cache"

missing=""
for t in mkntfs ntfs-3g sfdisk qemu-img ewfacquire setpriv python3; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ "$(id -u)" -eq 0 ] || missing="$missing (root, to mount the image it builds)"
[ -c /dev/fuse ] || missing="$missing /dev/fuse"
if [ -n "$missing" ]; then
	tap_skip "disk image walk" "needs$missing (tools/install-deps.sh installs them)"
	tap_done
	exit 0
fi
chmod 755 "$TMP"
MNT="$TMP/mnt"
mkdir -p "$MNT"
trap 'umount "$MNT" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
# as an unprivileged user: cannot mount, so nothing here can be a mount
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# ---- the volume: a lab tree, a stream, a back-dated page, a deleted page ----
R="$TMP/tree"
mkdir -p "$R"
lab_clean "$R"
plant_families "$R"
AC="inetpub/wwwroot/aspnet_client/system_web"
AUTH="$EX/FrontEnd/HttpProxy/owa/auth"
VOL="$TMP/vol.img"
truncate -s 64M "$VOL"
mkntfs -F -Q -q -L EXLAB "$VOL" >/dev/null 2>&1
ntfs-3g -o streams_interface=windows "$VOL" "$MNT" || { tap_ok 1 "ntfs-3g mounts the test volume"; tap_done; exit 1; }
cp -r "$R/." "$MNT/"
# a page in a stream of a harmless file under a web directory
printf 'readme\n' >"$MNT/$AC/readme.txt"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["ads"],"unsafe");%%>\n' \
	>"$MNT/$AC/readme.txt:cmd.aspx"
# a page in a stream of the web directory itself
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["dir"],"unsafe");%%>\n' >"$MNT/$AC:dir.aspx"
# an executable in a stream
{ printf 'MZ\x90\x00\x03\x00\x00\x00'; head -c 2000 /dev/zero; } >"$MNT/$AC/readme.txt:tool.exe"
printf '<%%@ Page Language="C#" %%><html><body>old</body></html>\n' >"$MNT/$AUTH/stomped.aspx"
# a page deleted last (its MFT entry and clusters stay as they were)
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["gone"],"unsafe");%%>\n' \
	>"$MNT/$AUTH/gone.aspx"
sync
rm "$MNT/$AUTH/gone.aspx"
umount "$MNT"
# MFT record of the file named $2 (not a directory) in volume $1: python
# code run with `i` (its offset) and `d` (the volume) for the edit in $3
mft_edit() {
	python3 - "$1" "$2" "$3" <<'P'
import struct, sys
path, name, edit = sys.argv[1], sys.argv[2].encode("utf-16-le"), sys.argv[3]
d = bytearray(open(path, "rb").read())
bps = struct.unpack_from("<H", d, 11)[0]; spc = d[13]
mft = struct.unpack_from("<Q", d, 48)[0] * bps * spc
c = struct.unpack_from("<b", d, 64)[0]
rec = (1 << -c) if c < 0 else c * bps * spc
i = mft
while i < len(d):
    if d[i:i + 4] == b"FILE" and not d[i + 22] & 2 and name in d[i:i + rec]:
        exec(edit); break
    i += rec
else:
    sys.exit("no MFT record for " + sys.argv[2])
open(path, "wb").write(d)
P
}
# back-date the page's $STANDARD_INFORMATION creation time to 2019-01-01 (as
# SetFileTime does: $FILE_NAME keeps the real one); ntfs-3g would set both
mft_edit "$VOL" stomped.aspx '
a = i + struct.unpack_from("<H", d, i + 20)[0]
while struct.unpack_from("<I", d, a)[0] != 0x10: a += struct.unpack_from("<I", d, a + 4)[0]
struct.pack_into("<Q", d, a + struct.unpack_from("<H", d, a + 20)[0], (1546300800 + 11644473600) * 10000000)'

# the mounted copy's findings, walked as a directory (read-only mount)
ntfs-3g -o ro "$VOL" "$MNT"
"$EXSCAN" walk --no-rules-cache --format json "$MNT" >"$TMP/dir.json" 2>"$TMP/dir.err"
umount "$MNT"

# ---- the containers ----
DISK="$TMP/disk.raw"
truncate -s 80M "$DISK"
printf 'label: gpt\nstart=2048, size=131072, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' |
	sfdisk -q "$DISK"
dd if="$VOL" of="$DISK" bs=1M seek=1 conv=notrunc status=none
qemu-img convert -O vhdx "$DISK" "$TMP/disk.vhdx"
qemu-img convert -O vmdk "$DISK" "$TMP/disk.vmdk"
qemu-img convert -O qcow2 "$DISK" "$TMP/disk.qcow2"
ewfacquire -u -t "$TMP/disk" -c fast -S 1GiB -q "$DISK" >/dev/null 2>&1
split -b 32M -d -a 3 --numeric-suffixes=1 "$DISK" "$TMP/split.raw."
chmod 644 "$TMP"/disk.* "$TMP"/split.raw.* "$VOL"

# ---- each walked as nobody ----
compare='
import json, sys
def key(f): return (f["path"], f["rule"], f["kind"])
img = json.load(open(sys.argv[1]))["hosts"]
dir_ = json.load(open(sys.argv[2]))["hosts"][0]["findings"]
want = sorted(key(f) for f in dir_ if f["kind"] != "error")
h = img[0]
extra = lambda f: ":" in f["path"] or f.get("deleted") or f["rule"].startswith("ntfs-")
got = sorted(key(f) for f in h["findings"] if f["kind"] != "error" and not extra(f))
if len(img) != 1 or got != want or len(want) < 15:
    print("image:", got); print("mounted copy:", want); sys.exit(1)
'
for f in disk.raw disk.vhdx disk.vmdk disk.qcow2 disk.E01 split.raw.001 vol.img; do
	asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/$f" >"$TMP/$f.json" 2>"$TMP/$f.err"
	rc=$?
	tap_ok $([ $rc -eq 1 ] && echo 0 || echo 1) "$f as nobody: exit 1 (compromised) (exit $rc)" "$(cat "$TMP/$f.err")"
	msg=$(python3 -c "$compare" "$TMP/$f.json" "$TMP/dir.json" 2>&1)
	tap_ok $? "$f: the same findings as the walk of the mounted copy" "$msg"
done
cp "$TMP/disk.vhdx.json" "$TMP/out"
json_check "VHDX: the root names the image, container and partition" \
	'd["hosts"][0]["root"].endswith("disk.vhdx (VHDX, gpt partition 1 at offset 1048576, NTFS)")'
json_check "VHDX: the Exchange layout and its build-less Bin found inside the image" \
	'd["hosts"][0]["layout"]["exchange"] and d["hosts"][0]["layout"]["version"] == "V15"'
json_check "VHDX: the pages in streams of a file and of a directory are webshells, reported as path:stream" \
	'[f for f in d["hosts"][0]["findings"] if f["path"] == "'"$AC"'/readme.txt:cmd.aspx" and f["kind"] == "webshell"] and [f for f in d["hosts"][0]["findings"] if f["path"] == "'"$AC"':dir.aspx" and f["kind"] == "webshell"]'
json_check "VHDX: server code and an executable in streams under a web directory are findings on their own" \
	'sorted(f["path"].split(":")[1] for f in d["hosts"][0]["findings"] if f["rule"] == "ntfs-stream-code") == ["cmd.aspx", "dir.aspx", "tool.exe"]'
json_check "VHDX: the deleted page is scanned and reported deleted" \
	'[f for f in d["hosts"][0]["findings"] if f["path"] == "'"$AUTH"'/gone.aspx" and f["kind"] == "webshell" and f.get("deleted") is True]'
json_check "VHDX: the back-dated page is a time-stomping finding with both times" \
	'[f for f in d["hosts"][0]["findings"] if f["path"] == "'"$AUTH"'/stomped.aspx" and f["rule"] == "ntfs-timestomp" and f["ntfs_times"]["si_created"] == "2019-01-01T00:00:00Z" and f["ntfs_times"]["fn_created"] > "2020"]'
json_check "VHDX: creation times (btime, \$SI) go to the timeline: the back-dated page's shows 2019" \
	'[f for f in d["hosts"][0]["findings"] if f["path"].endswith("/stomped.aspx") and f["btime"] == "2019-01-01T00:00:00Z"] and all(f.get("btime") for f in d["hosts"][0]["findings"] if f["kind"] == "webshell")'
json_check "VHDX: no other file is called time-stomped, and nothing else deleted" \
	'len([f for f in d["hosts"][0]["findings"] if f["rule"] == "ntfs-timestomp"]) == 1 and all(f["path"].endswith("gone.aspx") for f in d["hosts"][0]["findings"] if f.get("deleted"))'
json_check "VHDX: every file finding carries its NTFS times; streams and deleted files counted" \
	'all("ntfs_times" in f for f in d["hosts"][0]["findings"] if f["kind"] not in ("error", "log")) and d["hosts"][0]["stats"]["ntfs_streams"] >= 2 and d["hosts"][0]["stats"]["deleted_files_read"] == 1 and d["hosts"][0]["stats"]["errors"] == 0'
run asnobody "$EXSCAN" scan --no-rules-cache --format json --fs "$TMP/disk.qcow2" --host lab1
json_check "scan --fs IMAGE: the host's verdict is compromised, from the image" \
	'd["hosts"][0]["host"] == "lab1" and d["hosts"][0]["verdict"] == "compromised" and "qcow2" in d["hosts"][0]["root"]'
json_check "scan --fs IMAGE: the reason for the deleted page says it was deleted" \
	'any("gone.aspx (deleted)" in r["text"] for r in d["hosts"][0]["reasons"])'
run asnobody "$EXSCAN" scan --no-rules-cache --format text --fs "$TMP/disk.qcow2" --host lab1
tap_ok $(grep -q "gone.aspx (deleted)" "$TMP/out" && echo 0 || echo 1) "scan --fs IMAGE, text: the deleted page's reason line says deleted" "$(head -c 1500 "$TMP/out")"
contract=${EXSCAN_SRCDIR}/../shared/tools/check-output-contract.py
if [ -f "$contract" ]; then
	python3 "$contract" walk "$TMP/disk.vhdx.json" >"$TMP/contract" 2>&1
	tap_ok $? "the image walk's JSON passes the output contract" "$(cat "$TMP/contract")"
else
	tap_skip "the image walk's JSON passes the output contract" "../shared/tools/check-output-contract.py is not here"
fi
sha() { sha256sum "$1" | cut -c1-64; }
before=$(sha "$TMP/disk.qcow2")
asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/disk.qcow2" >/dev/null 2>&1
tap_ok $([ "$before" = "$(sha "$TMP/disk.qcow2")" ] && echo 0 || echo 1) "the image is not changed by a walk"

# ---- several volumes: one host each; --partition picks one ----
M="$TMP/multi.raw"
truncate -s 200M "$M"
printf 'label: dos\nstart=2048, size=131072, type=7\nstart=135168, size=20480, type=7\nstart=157696, size=131072, type=7\n' |
	sfdisk -q "$M"
dd if="$VOL" of="$M" bs=512 seek=2048 conv=notrunc status=none
# partition 2: a BitLocker volume's signature (no key to read it)
{ printf '\xeb\x58\x90-FVE-FS-'; head -c 4000 /dev/zero; } | dd of="$M" bs=512 seek=135168 conv=notrunc status=none
dd if="$VOL" of="$M" bs=512 seek=157696 conv=notrunc status=none
chmod 644 "$M"
run asnobody "$EXSCAN" walk --no-rules-cache --format json "$M"
json_check "two NTFS volumes: two hosts, partitions 1 and 3" \
	'[h["root"].split("partition ")[1].split(" ")[0] for h in d["hosts"]] == ["1", "3"]'
n=$(grep -c "partition 2 at offset 69206016: BitLocker-encrypted volume, not walked" "$TMP/err")
tap_ok $([ "$n" = 1 ] && echo 0 || echo 1) "the BitLocker partition: one clear line" "$(cat "$TMP/err")"
json_check "the BitLocker partition makes the hosts incomplete (an error finding)" \
	'all([f for f in h["findings"] if f["kind"] == "error" and "BitLocker" in f["description"]] for h in d["hosts"])'
run asnobody "$EXSCAN" walk --no-rules-cache --format json --partition 3 "$M"
json_check "--partition 3: one host, that volume" \
	'len(d["hosts"]) == 1 and "partition 3 at offset 80740352" in d["hosts"][0]["root"]'
run asnobody "$EXSCAN" scan --no-rules-cache --format json --fs "$M" --host m3 --partition 3
json_check "scan --fs IMAGE --partition 3: one host, that volume" \
	'len(d["hosts"]) == 1 and d["hosts"][0]["host"] == "m3" and "partition 3 at offset 80740352" in d["hosts"][0]["root"]'
run asnobody "$EXSCAN" walk --no-rules-cache --format json --volume 1048576 "$M"
json_check "--volume 1048576: one host, partition 1" \
	'len(d["hosts"]) == 1 and "partition 1 at offset 1048576" in d["hosts"][0]["root"]'

# ---- damaged images ----
head -c 30M "$DISK" >"$TMP/short.raw"
chmod 644 "$TMP/short.raw"
run asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/short.raw"
n=$(grep -c "partition 1 at offset 1048576: the image ends 30408704 bytes into this 67108864-byte NTFS volume (truncated image?)" "$TMP/err")
# (any non-zero exit: under ASan the run ends with libtsk's own leak of a
# directory it failed to read, 250 bytes, whose short stack no suppression
# can name; a release build exits 1, for the shells in what is there)
tap_ok $([ $RC -ne 0 ] && [ "$n" = 1 ] && echo 0 || echo 1) "a truncated raw image: one line saying where it ends, a non-zero exit ($RC)" "$(cat "$TMP/err")"
json_check "a truncated raw image: what is there is still walked" \
	'len([f for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"]) >= 3 and d["hosts"][0]["stats"]["errors"] >= 1'

head -c 100000 "$TMP/disk.E01" >"$TMP/short.E01"
chmod 644 "$TMP/short.E01"
run asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/short.E01"
n=$(wc -l <"$TMP/err")
tap_ok $([ $RC -eq 3 ] && grep -q "'.*short.E01': the segment file ends at byte 100000, inside its section chain (truncated E01?)" "$TMP/err" && echo 0 || echo 1) \
	"a truncated E01: a line naming it, and exit 3 (incomplete) ($RC)" "$(cat "$TMP/err")"
head -c 100 "$TMP/disk.E01" >"$TMP/head.E01"
chmod 644 "$TMP/head.E01"
run asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/head.E01"
tap_ok $([ $RC -eq 3 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "'.*head.E01': cannot open as E01 image: the segment file ends at byte 100" "$TMP/err" && ! grep -q libewf "$TMP/err" && echo 0 || echo 1) \
	"an E01 cut inside its header: one line in words, not libewf's call chain ($RC)" "$(cat "$TMP/err")"
head -c 8M /dev/zero >"$TMP/blank.raw"
chmod 644 "$TMP/blank.raw"
run asnobody "$EXSCAN" walk --no-rules-cache "$TMP/blank.raw"
tap_ok $([ $RC -ne 0 ] && grep -q "no NTFS volume found" "$TMP/err" && echo 0 || echo 1) \
	"an image without NTFS: one line saying so ($RC)" "$(cat "$TMP/err")"
# a corrupt MFT record: the update sequence of a planted page's record broken
cp "$VOL" "$TMP/badmft.img"
mft_edit "$TMP/badmft.img" ant.aspx 'd[i + 510] ^= 0xff; d[i + 511] ^= 0xff'
chmod 644 "$TMP/badmft.img"
run asnobody "$EXSCAN" walk --no-rules-cache --format json "$TMP/badmft.img"
json_check "a corrupt MFT record: the rest of the volume is still walked" \
	'len([f for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"]) >= 10'
json_check "a corrupt MFT record: its file is an error finding, not a silent gap" \
	'[f for f in d["hosts"][0]["findings"] if f["kind"] == "error" and "ant.aspx" in f["path"]] and not [f for f in d["hosts"][0]["findings"] if f["kind"] == "webshell" and f["path"].endswith("/ant.aspx")]'
tap_ok $([ $RC -ne 0 ] && echo 0 || echo 1) "a corrupt MFT record: the exit code says incomplete ($RC)"
tap_done
