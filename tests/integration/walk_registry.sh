#!/usr/bin/env bash
# The build from the SOFTWARE registry hive when Bin/ExSetup.exe is missing.
# The hive is real: the test writes a minimal empty one (the REGF base block,
# one hive bin with the root key and its security cell) and hivexsh (Debian:
# libhivex-bin) adds Exchange's setup keys to it; exscan reads it with
# libregf.  The setup keys tell the CU only, so the build is judged at CU
# precision.  Skipped (and said) without hivexsh.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
if ! command -v hivexsh >/dev/null; then
	tap_skip "build from the SOFTWARE hive" "hivexsh not installed (libhivex-bin)"
	tap_done
	exit $?
fi
EX="Program Files/Microsoft/Exchange Server/V15"

# empty_hive FILE: a minimal REGF hive with an empty root key
empty_hive() {
	python3 - "$1" <<'PY'
import struct, sys

def cell(payload):
    size = (len(payload) + 4 + 7) & ~7  # cells are 8-aligned; negative size: in use
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))

NK, name = 0x20, b"ROOT"  # offsets count from the first hive bin
SK = NK + ((4 + 76 + len(name) + 7) & ~7)  # the security cell right after the root key
nk = b"nk" + struct.pack("<HQIIIIIIIIIIIIIIIHH",
    0x2C,  # hive entry, not deletable, ASCII name
    0, 0, 0xFFFFFFFF,  # written, access bits, no parent
    0, 0, 0xFFFFFFFF, 0xFFFFFFFF,  # no subkeys (stable, volatile), no lists
    0, 0xFFFFFFFF,  # no values
    SK, 0xFFFFFFFF,  # security cell, no class name
    0, 0, 0, 0, 0, len(name), 0) + name
sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)  # self-relative, empty
sk = b"sk" + struct.pack("<HIIII", 0, SK, SK, 1, len(sd)) + sd  # a list of one
cells = cell(nk) + cell(sk)
assert NK + len(cell(nk)) == SK
used = 0x20 + len(cells)
hbin = (b"hbin" + struct.pack("<IIQQI", 0, 4096, 0, 0, 0) + cells
        + struct.pack("<i", 4096 - used) + b"\0" * (4096 - used - 4))  # the rest: one free cell
base = bytearray(4096)
base[0:4] = b"regf"
# sequence numbers, time, version 1.3, primary file, format 1, root, bins' size, clustering
struct.pack_into("<IIQIIIIIII", base, 4, 1, 1, 0, 1, 3, 0, 1, NK, 4096, 1)
csum = 0
for i in range(0, 508, 4):
    csum ^= struct.unpack_from("<I", base, i)[0]
struct.pack_into("<I", base, 508, csum or 1)
open(sys.argv[1], "wb").write(bytes(base) + hbin)
PY
}
# setup_keys FILE MAJOR MINOR BUILD REV: Exchange's setup key with its version values
setup_keys() {
	printf 'add Microsoft\ncd Microsoft\nadd ExchangeServer\ncd ExchangeServer\nadd v15\ncd v15\nadd Setup\ncd Setup\nsetval 5\nMsiProductMajor\ndword:%d\nMsiProductMinor\ndword:%d\nMsiBuildMajor\ndword:%d\nMsiBuildMinor\ndword:%d\nMsiInstallPath\nstring:C:\\Program Files\\Microsoft\\Exchange Server\\V15\\\ncommit\n' \
		"$2" "$3" "$4" "$5" | hivexsh -w "$1"
}
# tree ROOT: an Exchange-like tree without Bin/ExSetup.exe
tree() {
	mkdir -p "$1/$EX/FrontEnd/HttpProxy/owa/auth" "$1/Windows/System32/config"
	printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %%>\n<html></html>\n' \
		>"$1/$EX/FrontEnd/HttpProxy/owa/auth/logon.aspx"
}

R="$TMP/e16"
tree "$R"
HIVE="$R/Windows/System32/config/SOFTWARE"
empty_hive "$HIVE" && setup_keys "$HIVE" 15 1 2507 6 >"$TMP/hivexsh.out" 2>&1
tap_ok $? "hivexsh writes Exchange's setup keys into the hive made here" "$(cat "$TMP/hivexsh.out")"
printf 'cd Microsoft\\ExchangeServer\\v15\\Setup\nlsval\n' | hivexsh "$HIVE" >"$TMP/lsval" 2>&1
grep -q '"MsiBuildMajor"=dword:000009cb' "$TMP/lsval"
tap_ok $? "hivexsh reads them back (2507 = 0x9cb)" "$(cat "$TMP/lsval")"
chmod -R a+rX "$TMP"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
expect_rc 0 "walk (as nobody) reads the tree"
json_check "no ExSetup.exe: the CU from the hive's setup keys (libregf), precision cu" \
	'(lambda l: l["build"] == "15.1.2507" and l["build_precision"] == "cu" and l["build_file"] == "Windows/System32/config/SOFTWARE" and l["build_error"] is None)(d["hosts"][0]["layout"])'
# an access time a day old is one relatime would update on any plain read
touch -a -d 2020-01-01 "$HIVE"
before=$(stat -c %X "$HIVE")
run "$EXSCAN" scan --fs "$R" --host e16 --format json --fail-on never
[ "$(stat -c %X "$HIVE")" = "$before" ]
tap_ok $? "reading the hive as root leaves its access time alone" "$(stat "$HIVE")"
json_check "scan judges the hive's CU: build_source disk, precision cu, known-exploited CVEs 'may be open' (at-risk)" \
	'(lambda h: h["verdict"] == "at-risk" and h["disk_build"]["build"] == "15.1.2507" and h["disk_build"]["build_source"] == "disk"
	  and h["disk_build"]["build_precision"] == "cu" and h["disk_build"]["file"] == "Windows/System32/config/SOFTWARE"
	  and any(r["text"].startswith("CVE-2022-41040 (known exploited) may be open") for r in h["reasons"]))(d["hosts"][0])'

# an old CU whose known-exploited holes were fixed by later CUs: vulnerable by the CU alone
R2="$TMP/e13"
tree "$R2"
empty_hive "$R2/Windows/System32/config/SOFTWARE" && setup_keys "$R2/Windows/System32/config/SOFTWARE" 15 0 1497 2 >/dev/null 2>&1
run "$EXSCAN" scan --fs "$R2" --host e13 --format json --fail-on vulnerable
json_check "Exchange 2013 CU23 by the hive: the product and the CU-level assessment" \
	'(lambda h: h["disk_build"]["build"] == "15.0.1497" and h["disk_build"]["product"] == "Exchange Server 2013" and h["verdict"] in ("vulnerable", "at-risk"))(d["hosts"][0])'

# ExSetup.exe, where present, wins over the hive
SEED="$EXSCAN_SRCDIR/tests/fuzz/corpus/fuzz_server_pe/exsetup-15.1.2176.2.exe"
if [ -f "$SEED" ]; then
	mkdir -p "$R/$EX/Bin"
	cp "$SEED" "$R/$EX/Bin/ExSetup.exe"
	run "$EXSCAN" walk --format json --fail-on never "$R"
	json_check "ExSetup.exe present: its exact build, not the hive's" \
		'(lambda l: l["build"] == "15.1.2176.2" and l["build_precision"] == "exact" and l["build_file"].endswith("Bin/ExSetup.exe"))(d["hosts"][0]["layout"])'
	rm -f "$R/$EX/Bin/ExSetup.exe"
else
	tap_skip "ExSetup.exe wins over the hive" "no exsetup-15.1.2176.2.exe seed"
fi

# a hive without Exchange's key, and a damaged one: a reason, no build
empty_hive "$HIVE"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "a hive without the setup key: build_error says so, no build" \
	'(lambda l: l["build"] is None and "no Exchange setup key" in l["build_error"] and l["build_file"] == "Windows/System32/config/SOFTWARE")(d["hosts"][0]["layout"])'
head -c 6000 /dev/urandom | { printf regf; cat; } >"$HIVE"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "a damaged hive: build_error, no build" \
	'(lambda l: l["build"] is None and l["build_error"] in ("a damaged registry hive", "no Exchange setup key (Microsoft\\ExchangeServer\\v15\\Setup)"))(d["hosts"][0]["layout"])'
printf 'not a hive' >"$HIVE"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "a file that is not a hive: build_error says so" \
	'd["hosts"][0]["layout"]["build_error"] == "not a registry hive (no regf signature)"'
tap_done
