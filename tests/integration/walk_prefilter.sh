#!/usr/bin/env bash
# exscan walk reads large files only around the built-in rules' atoms
# (src/walk/prefilter.c): a shell in the middle of a 3 MB binary and at the
# end of a 1 MB one is found as with --whole-files, most bytes are left out,
# and --rules (third-party rules may read anywhere) turns the windows off.
# Binaries are not pages: "<%" by chance in random bytes (once every 64 KiB)
# gives neither the normalised view nor an oversized-page finding.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"

R="$TMP/srv"
mkdir -p "$R/bin"
python3 - "$R/bin" <<'PY'
import random, sys
r = random.Random(11)
shell = (b'<%@ Page Language="C#" %><% var p = new System.Diagnostics.ProcessStartInfo('
         b'"cmd.exe", "/c " + Request["c"]); System.Diagnostics.Process.Start(p); %>')
mid = bytearray(b"MZ" + r.randbytes(3 << 20))
mid[1500000:1500000 + len(shell)] = shell
open(sys.argv[1] + "/middle.dll", "wb").write(mid)
end = bytearray(b"MZ" + r.randbytes(1 << 20)) + shell.decode().encode("utf-16-le")
open(sys.argv[1] + "/tail.dll", "wb").write(end)
open(sys.argv[1] + "/clean.dll", "wb").write(b"MZ" + r.randbytes(2 << 20))
PY

found() { # the rules found per file, as one line
	python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["hosts"][0]
print(sorted((f["path"], f.get("rule"), tuple(sorted((m["identifier"], m["offset"]) for m in f.get("matches", []))))
             for f in h["findings"] if f["kind"] == "webshell"))' "$1"
}

run "$EXSCAN" walk --all-files --format json --fail-on never "$R"
expect_rc 0 "walk of large binaries"
cp "$TMP/out" "$TMP/windows.json"
json_check "the shell in the middle of a 3 MB binary is found" \
	'any(f["path"] == "bin/middle.dll" and f["rule"] == "exs_command_execution" for f in d["hosts"][0]["findings"])'
json_check "the UTF-16 shell at the end of a 1 MB binary is found" \
	'any(f["path"] == "bin/tail.dll" and f["rule"] == "exs_command_execution" for f in d["hosts"][0]["findings"])'
json_check "most bytes of the binaries were left out of YARA's walk" \
	'd["hosts"][0]["stats"]["bytes_prefiltered"] > d["hosts"][0]["stats"]["bytes_scanned"] // 2'
json_check "only files with a finding are hashed" \
	'd["hosts"][0]["stats"]["bytes_hashed"] < d["hosts"][0]["stats"]["bytes_scanned"] and all(len(f["sha256"]) == 64 for f in d["hosts"][0]["findings"] if f["kind"] == "webshell")'

run "$EXSCAN" walk --all-files --whole-files --format json --fail-on never "$R"
expect_rc 0 "walk with --whole-files"
cp "$TMP/out" "$TMP/whole.json"
json_check "--whole-files gives YARA every byte" 'd["hosts"][0]["stats"]["bytes_prefiltered"] == 0'
a=$(found "$TMP/windows.json")
b=$(found "$TMP/whole.json")
st=0
[ "$a" = "$b" ] && [ -n "$a" ] || st=1
tap_ok $st "the same findings and match offsets with and without the windows" "windows: $a
whole:   $b"

printf 'rule any_mz { condition: uint16(0) == 0x5a4d and uint8(filesize - 1) != 0x100 }\n' >"$TMP/far.yar"
run "$EXSCAN" walk --all-files --rules "$TMP/far.yar" --format json --fail-on never "$R"
json_check "with --rules every byte is read (a rule may look anywhere)" \
	'd["hosts"][0]["stats"]["bytes_prefiltered"] == 0 and sum(1 for f in d["hosts"][0]["findings"] if f.get("rule") == "any_mz") == 3'

sha=$(sha256sum "$R/bin/clean.dll" | cut -d' ' -f1)
printf '%s clean binary listed\n' "$sha" >"$TMP/ioc.txt"
run "$EXSCAN" walk --all-files --ioc "$TMP/ioc.txt" --format json --fail-on never "$R"
json_check "an --ioc list still hashes every file (the clean binary is listed)" \
	'any(f["path"] == "bin/clean.dll" and f["kind"] == "ioc" for f in d["hosts"][0]["findings"])'

# --- binaries and prose are not server pages; a text file with a server block is
mkdir -p "$R/data"
python3 - "$R/data" <<'PY'
import random, sys
r = random.Random(12)
code = b'<% System.Diagnostics.Process.Start(Request["c"]); %>'
b = bytearray(r.randbytes(2 << 20))
b[900000:900000 + len(code)] = code
open(sys.argv[1] + "/store.bin", "wb").write(b)
big = bytearray(r.randbytes(3 << 20))
for at in (1000, 700000, 2500000):
    big[at:at + 2] = b"<%"
open(sys.argv[1] + "/big.dat", "wb").write(big)
open(sys.argv[1] + "/Syslog.pm", "w").write(
    "=head1 NAME\n\nThe format C<%m> is replaced with the error.\n\n=cut\n"
    "sub connect { my $r = $self->{Request}; socket(my $s, PF_INET, SOCK_STREAM, 0); "
    "connect($s, $r); }\n")
open(sys.argv[1] + "/notes.txt", "w").write(code.decode() + "\n")
# prose and other languages that name what pages name
open(sys.argv[1] + "/perldiag.pod", "w").write(
    "=item C<%s> is one of the hash sigils\n\n" + "Some prose. " * 40 +
    "\n\n=item Use of C<%> sigil, and socket() calls, see the request.\n")
open(sys.argv[1] + "/packages.tsv", "w").write(
    "System.Management.Automation\t7.6\tRuntime for hosting PowerShell, using System types\n"
    "System.Web.Http\t5.2\trequest response queries commands\n")
open(sys.argv[1] + "/Client.java", "w").write(
    "import org.apache.http.protocol.HttpContext;\nclass C { void run(HttpContext ctx, String request) "
    "{ Runtime.getRuntime().exec(request); new java.net.Socket(request, 80); } }\n")
open(sys.argv[1] + "/client.js", "w").write(
    "function send(req) { return client.ExecuteRequest(req) || api.executeRequest(Request[0]); }\n")
open(sys.argv[1] + "/rpc.pas", "w").write(
    "procedure Handle;\nbegin\n  // execute request(s) using context\nend;\n")
# code that is a shell whatever its name
open(sys.argv[1] + "/legacy.asp", "w").write('<% Execute Request("x") %>\n')
open(sys.argv[1] + "/handler.txt", "w").write(
    "using System;\nusing System.Web;\npublic class H : IHttpHandler { public void "
    "ProcessRequest(HttpContext c) { System.Diagnostics.Process.Start(c.Request[\"c\"]); } }\n")
PY
run "$EXSCAN" walk --all-files --max-size 1M --format json --fail-on never "$R/data"
json_check "code in a random binary is not judged as a page (no view, no capability finding)" \
	'not any(f["path"] == "store.bin" for f in d["hosts"][0]["findings"])'
json_check "a binary larger than --max-size with <% by chance is not an oversized page" \
	'not any(f["path"] == "big.dat" for f in d["hosts"][0]["findings"])'
json_check "prose that writes C<%m> is not a page" \
	'not any(f["path"] == "Syslog.pm" for f in d["hosts"][0]["findings"])'
json_check "a text file with a server block is judged as a page" \
	'any(f["path"] == "notes.txt" and f["rule"].startswith("exs_cap_") for f in d["hosts"][0]["findings"])'
json_check "and nothing could not be scanned" 'd["hosts"][0]["stats"]["errors"] == 0'
json_check "POD, a package list, Java, JS and Pascal that name requests, sockets and ExecuteRequest are not shells" \
	'not any(f["kind"] == "webshell" and f["path"] in ("perldiag.pod", "packages.tsv", "Client.java", "client.js", "rpc.pas") for f in d["hosts"][0]["findings"])'
json_check "VBScript's Execute Request(..) is a shell" \
	'any(f["path"] == "legacy.asp" and f["rule"] == "exs_chopper_eval_request" for f in d["hosts"][0]["findings"])'
json_check "a handler's C# in a .txt is judged as code" \
	'any(f["path"] == "handler.txt" and f["rule"] == "exs_cap_process" for f in d["hosts"][0]["findings"])'

tap_done
