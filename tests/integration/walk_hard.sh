#!/usr/bin/env bash
# exscan walk's hard cases: a 50 MB page, a FIFO, link loops and links out of
# the root, an unreadable directory (as nobody), a non-UTF-8 name, a very deep
# tree, a file that grows while scanned; the tree is never changed (access,
# modification and change times); rules in signature-base style using the
# externals; bad rule files; IOC lists; the rules cache.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/walk_lab.inc.sh"
export XDG_CACHE_HOME="$TMP/cache"
chmod 755 "$TMP"

R="$TMP/srv"
mkdir -p "$R"
lab_clean "$R"
AC="$R/inetpub/wwwroot/aspnet_client/system_web"
AUTH="$R/$EX/FrontEnd/HttpProxy/owa/auth"
shell='<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>'

# 50 MB page with the shell at its end (sparse, so cheap to make)
truncate -s 50M "$AC/big.aspx"
printf '%s\n' "$shell" >>"$AC/big.aspx"
# a FIFO with a page's name: must never be opened (a reader would block)
mkfifo "$AC/pipe.aspx"
# link loops, a link out of the root, and a shell reachable only through it
ln -s loop_b "$AC/loop_a"
ln -s loop_a "$AC/loop_b"
ln -s .. "$AC/up"
mkdir -p "$TMP/outside"
printf '%s\n' "$shell" >"$TMP/outside/hidden.aspx"
ln -s "$TMP/outside" "$AC/out"
# a non-UTF-8 name
printf '%s\n' "$shell" >"$AC/$(printf 'bad\377\376name.aspx')"
# an unreadable directory with a shell in it, and an unreadable page
mkdir "$AC/locked"
printf '%s\n' "$shell" >"$AC/locked/inside.aspx"
printf '%s\n' "$shell" >"$AUTH/locked.aspx"
# plain shells to prove the scan goes on
printf '%s\n' "$shell" >"$AC/plain.aspx"

# --- read-only: access, modification and change times stay as they were
find "$R" -print0 >"$TMP/list"
xargs -0 touch -h -a -d '2001-02-03 04:05:06' <"$TMP/list"
# Reading a symbolic link's target (to report links out of the root) sets
# the link's own access time, as readlink(2) does: links are compared on
# modification and change time only.
snap() { xargs -0 stat -c '%F|%n %X %Y %Z' <"$TMP/list" | sed -E 's/^symbolic link\|(.*) [0-9]+ ([0-9]+ [0-9]+)$/\1 - \2/; s/^[^|]*\|//'; }
snap >"$TMP/before"
run timeout 120 "$EXSCAN" walk --format json "$R"
expect_rc 1 "hard cases as root: exit 1 (shells found, nothing unreadable)"
snap >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after"
tap_ok $? "no access, modification or change time changed in the tree (links: no mtime/ctime)" \
	"$(diff "$TMP/before" "$TMP/after" | head -10)"
find "$R" -print0 | cmp -s - "$TMP/list"
tap_ok $? "nothing created or removed in the tree"

json_check "50 MB page: scanned in full, shell at its end found" \
	'any(f["path"].endswith("big.aspx") and f["kind"] == "webshell" and f["size"] > 50000000 for f in d["hosts"][0]["findings"])'
json_check "FIFO counted as special, never opened" \
	'd["hosts"][0]["stats"]["skipped"]["special"] == 1'
json_check "links counted, never followed: the shell behind a link is not reported" \
	'd["hosts"][0]["stats"]["skipped"]["symlink"] == 4 and not any("hidden.aspx" in f["path"] for f in d["hosts"][0]["findings"])'
json_check "a link out of the root is reported" \
	'd["hosts"][0]["stats"]["symlinks_outside_root"] == 1 and any(f["rule"] == "symlink-outside-root" and f["path"].endswith("system_web/out") for f in d["hosts"][0]["findings"])'
json_check "non-UTF-8 name: found, escaped as \\xff\\xfe in JSON" \
	'any(f["path"].endswith("bad\\xff\\xfename.aspx") and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
json_check "statistics: files seen, scanned, bytes, seconds" \
	'(lambda s: s["files_seen"] == 25 and s["files_scanned"] == 12 and s["bytes_scanned"] > 50000000 and s["seconds"] > 0 and s["errors"] == 0)(d["hosts"][0]["stats"])'

# a deep tree whose path is longer than PATH_MAX (its own root: find, touch
# and stat above cannot handle such paths)
mkdir -p "$TMP/deep"
(
	cd "$TMP/deep" || exit 1
	for i in $(seq 1 150); do
		mkdir d_component_with_a_long_name_$i && cd d_component_with_a_long_name_$i || exit 1
	done
	printf '%s\n' "$shell" >deep.aspx
)
run "$EXSCAN" walk --format json "$TMP/deep"
json_check "deep tree beyond PATH_MAX: shell found, 151 directories, no error" \
	'any(f["path"].endswith("d_component_with_a_long_name_150/deep.aspx") and len(f["path"]) > 4096 for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["directories"] == 151 and d["hosts"][0]["stats"]["errors"] == 0'
rm -rf "$TMP/deep" 2>/dev/null || python3 -c 'import shutil,sys; shutil.rmtree(sys.argv[1])' "$TMP/deep"

run "$EXSCAN" walk --format json --max-size 1M "$R"
expect_rc 1 "--max-size 1M: the shell at the end of the 50 MB page is still found (exit 1)"
json_check "--max-size 1M: the 50 MB page is truncated and cut (head and tail scanned)" \
	'd["hosts"][0]["stats"]["truncated"] == 1 and d["hosts"][0]["stats"]["server_pages_cut"] == 1'
json_check "--max-size 1M: the shell in its tail is found at its true offset, and the page is reported as oversized" \
	'(lambda F: any(f["rule"] == "oversized-server-page" and f["score"] == 65 for f in F) and any(f["kind"] == "webshell" and f["rule"] != "oversized-server-page" and f.get("matches") and f["matches"][0]["offset"] >= 50 * 1024 * 1024 for f in F))([f for f in d["hosts"][0]["findings"] if f["path"].endswith("big.aspx")])'

# --- unreadable directory and file, as nobody (root reads everything)
chmod 000 "$AC/locked" "$AUTH/locked.aspx"
chmod -R a+rX "$R" 2>/dev/null
chmod 000 "$AC/locked" "$AUTH/locked.aspx"
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMP" \
		XDG_CACHE_HOME="$TMP/nocache" "$EXSCAN" walk --format json --fail-on never "$R"
	expect_rc 3 "as nobody: exit 3 (incomplete)"
	json_check "as nobody: the unreadable directory and page are error findings" \
		'(lambda E: any(p.endswith("system_web/locked") for p in E) and any(p.endswith("auth/locked.aspx") for p in E))([f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "error"]) and d["hosts"][0]["stats"]["errors"] == 2'
	json_check "as nobody: the scan went on (other shells found)" \
		'any(f["path"].endswith("plain.aspx") and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
	grep -q "could not be scanned" "$TMP/err"
	tap_ok $? "as nobody: the summary on stderr says what could not be scanned" "$(cat "$TMP/err")"
else
	tap_skip "as nobody: unreadable directory" "setpriv cannot drop to nobody here"
fi
chmod 755 "$AC/locked"
chmod 644 "$AUTH/locked.aspx"

# --- a file that grows while scanned
printf '%s\n' "$shell" >"$AC/grow.aspx"
(for i in $(seq 1 300); do head -c 65536 /dev/zero >>"$AC/grow.aspx"; sleep 0.005; done) &
writer=$!
run "$EXSCAN" walk --format json -j 2 "$R"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
expect_rc 1 "a growing file: the scan completes"
json_check "a growing file: read up to its size at open, shell found, no error" \
	'any(f["path"].endswith("grow.aspx") and f["kind"] == "webshell" for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["errors"] == 0'

# --- signature-base-style rule with the externals, and a broken rule file
mkdir -p "$TMP/rules"
cat >"$TMP/rules/sigbase_style.yar" <<'Y'
rule SUSP_Lab_Exchange_Auth_Page_Externals {
   meta:
      description = "page in owa\\auth that the lab did not install (signature-base style)"
      author = "exscan tests"
      score = 65
   strings:
      $p = "<%@ Page" ascii
   condition:
      filepath contains "\\FrontEnd\\HttpProxy\\owa\\auth\\" and extension == ".aspx"
      and filename matches /^[a-z]+\.aspx$/ and filetype != "EXE" and owner == "root" and $p
}
Y
printf 'rule broken { condition: nonsense_identifier }\n' >"$TMP/rules/broken.yar"
run "$EXSCAN" walk --format json --no-builtin-rules --rules "$TMP/rules" "$R"
expect_rc 3 "a rule file that does not compile: exit 3, the rest runs"
grep -q "broken.yar" "$TMP/err"
tap_ok $? "the broken rule file is named on stderr" "$(cat "$TMP/err")"
json_check "externals: the signature-base-style rule fires on owa/auth/locked.aspx only" \
	'sorted(f["path"].rsplit("/", 1)[1] for f in d["hosts"][0]["findings"] if f["rule"] == "SUSP_Lab_Exchange_Auth_Page_Externals") == ["locked.aspx", "logon.aspx"]'
json_check "third-party rule: meta score used" \
	'all(f["score"] == 65 for f in d["hosts"][0]["findings"] if f["rule"] == "SUSP_Lab_Exchange_Auth_Page_Externals")'

# --- --rules: a folder tree with relative includes, two files of the same name
mkdir -p "$TMP/tree-rules/vendor/lib" "$TMP/tree-rules/mine"
printf 'include "lib/strings.yar"\nrule Vendor_Auth_Page { condition: Vendor_Page_Text }\n' \
	>"$TMP/tree-rules/vendor/webshells.yar"
printf 'rule Vendor_Page_Text { strings: $p = "<%%@ Page" condition: $p and filepath contains "\\\\owa\\\\auth\\\\" }\n' \
	>"$TMP/tree-rules/vendor/lib/strings.yar"
printf 'rule Vendor_Auth_Page { strings: $p = "<%%@ Page" condition: $p and filename == "locked.aspx" }\n' \
	>"$TMP/tree-rules/mine/webshells.yar"
# from another working directory: includes follow the including file, not the cwd
(cd / && "$EXSCAN" walk --format json --no-builtin-rules --rules "$TMP/tree-rules" "$R" \
	>"$TMP/out" 2>"$TMP/err")
[ ! -s "$TMP/err" ]
tap_ok $? "--rules DIR: nested folders, relative includes, same-name files: no problem" "$(cat "$TMP/err")"
json_check "--rules DIR: both webshells.yar files active, the include resolved from its folder" \
	'len([f for f in d["hosts"][0]["findings"] if f["rule"] == "Vendor_Auth_Page"]) >= 2 and any(f["rule"] == "Vendor_Page_Text" for f in d["hosts"][0]["findings"])'
printf 'rule one { condition: nope_one }\n' >"$TMP/tree-rules/mine/webshells.yar"
printf 'include "missing.yar"\n' >"$TMP/tree-rules/vendor/webshells.yar"
run "$EXSCAN" walk --no-builtin-rules --rules "$TMP/tree-rules/mine" --rules "$TMP/tree-rules/vendor/webshells.yar" "$R"
expect_rc 2 "--rules: nothing usable is a usage error"
grep -q 'mine/webshells.yar:1: undefined identifier "nope_one"' "$TMP/err" && grep -q "includes 'missing.yar', which cannot be read" "$TMP/err"
tap_ok $? "--rules: nothing usable shows each file's real error" "$(cat "$TMP/err")"

# --- IOC lists
sha=$(sha256sum "$AC/plain.aspx" | cut -d' ' -f1)
md5=$(md5sum "$R/$EX/FrontEnd/HttpProxy/owa/auth/errorFE.aspx" | cut -d' ' -f1)
printf '# lab IOCs\n%s;lab sha256 entry\n%s lab md5 entry\nnot-a-hash\n' "$sha" "$md5" >"$TMP/iocs.txt"
run "$EXSCAN" walk --format json --ioc "$TMP/iocs.txt" "$R"
json_check "--ioc: SHA-256 and MD5 entries match, with their comments" \
	'(lambda I: I.get("plain.aspx") == "lab sha256 entry" and I.get("errorFE.aspx") == "lab md5 entry")({f["path"].rsplit("/", 1)[1]: f["description"] for f in d["hosts"][0]["findings"] if f["kind"] == "ioc"})'
grep -q "not an MD5, SHA-1 or SHA-256" "$TMP/err"
tap_ok $? "--ioc: a bad line is reported" "$(cat "$TMP/err")"

# --- the rules cache
ls "$XDG_CACHE_HOME"/exscan/rules-*.yarc >/dev/null 2>&1
tap_ok $? "compiled rules cached under \$XDG_CACHE_HOME/exscan"
n=$(ls "$XDG_CACHE_HOME"/exscan/ | wc -l)
run "$EXSCAN" walk --format json "$R"
json_check "a run from the cache finds the same shells" \
	'any(f["path"].endswith("plain.aspx") and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
[ "$(ls "$XDG_CACHE_HOME"/exscan/ | wc -l)" -eq "$n" ]
tap_ok $? "the same rules reuse the same cache entry"

# --- --exchange-dir and one file system
run "$EXSCAN" walk --format json --exchange-dir "program files/microsoft/exchange server/v15" "$R"
json_check "--exchange-dir resolves case-insensitively" \
	'd["hosts"][0]["layout"]["exchange_dir"] == "Program Files/Microsoft/Exchange Server/V15"'
run "$EXSCAN" walk --exchange-dir "no/such/dir" "$R"
expect_rc 3 "--exchange-dir that does not exist: exit 3"

mkdir -p "$R/ProgramData/mnt"
if mount -t tmpfs -o size=1m exscan-test "$R/ProgramData/mnt" 2>/dev/null; then
	printf '%s\n' "$shell" >"$R/ProgramData/mnt/other.aspx"
	run "$EXSCAN" walk --format json "$R"
	json_check "another file system is not entered (counted as other_fs)" \
		'd["hosts"][0]["stats"]["skipped"]["other_fs"] == 1 and not any("other.aspx" in f["path"] for f in d["hosts"][0]["findings"])'
	run "$EXSCAN" walk --format json --cross-fs "$R"
	json_check "--cross-fs enters it" \
		'any(f["path"].endswith("mnt/other.aspx") and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
	umount "$R/ProgramData/mnt"
else
	tap_skip "another file system is not entered" "cannot mount a tmpfs here"
	tap_skip "--cross-fs enters it" "cannot mount a tmpfs here"
fi
# --- ROOT is one file: scanned alone (a page an admin found, a DLL), whatever
# its name; a file named like a disk image stays an image (walk_image.sh)
mkdir -p "$TMP/one"
printf '%s\n' "$shell" >"$TMP/one/found.aspx"
printf '%s\n' "$shell" >"$TMP/one/helper.dll"
printf '%s\n' "$shell" >"$TMP/one/other.aspx"
run "$EXSCAN" walk --format json "$TMP/one/found.aspx"
expect_rc 1 "one page as ROOT: scanned, compromised"
json_check "one page as ROOT: that file alone, named by itself, no layout looked for" \
	'd["hosts"][0]["stats"]["files_scanned"] == 1 and {f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"} == {"found.aspx"} and d["hosts"][0]["host"] == "found.aspx" and d["hosts"][0]["layout"]["single_file"]'
run "$EXSCAN" walk "$TMP/one/found.aspx"
tap_ok $(grep -q "one file, scanned alone" "$TMP/out" && ! grep -q "no Exchange installation" "$TMP/out" && echo 0 || echo 1) \
	"one page as ROOT, text: says it was scanned alone" "$(head -c 1000 "$TMP/out")"
run "$EXSCAN" walk --format json "$TMP/one/helper.dll"
json_check "one file of a type the policy skips: scanned all the same (it was asked for)" \
	'any(f["path"] == "helper.dll" and f["kind"] == "webshell" for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["errors"] == 0'
(cd "$TMP/one" && "$EXSCAN" walk --format json found.aspx >"$TMP/out" 2>"$TMP/err")
json_check "one file given without a folder" \
	'{f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "webshell"} == {"found.aspx"}'

tap_done
