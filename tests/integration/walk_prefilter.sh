#!/usr/bin/env bash
# exscan walk reads large files only around the built-in rules' atoms
# (src/walk/prefilter.c): a shell in the middle of a 3 MB blob and at the
# end of a 1 MB one is found as with --whole-files, most bytes are left out,
# and --rules (third-party rules may read anywhere) turns the windows off.
# Binaries are not pages: "<%" by chance in random bytes (once every 64 KiB)
# gives neither the normalised view nor an oversized-page finding.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/pe.inc.sh"
export XDG_CACHE_HOME="$TMP/cache"

R="$TMP/srv"
mkdir -p "$R/bin"
python3 - "$R/bin" <<'PY'
import random, sys
r = random.Random(11)
shell = (b'<%@ Page Language="C#" %><% var p = new System.Diagnostics.ProcessStartInfo('
         b'"cmd.exe", "/c " + Request["c"]); System.Diagnostics.Process.Start(p); %>')
# data blobs (not executables: page rules do not judge those)
mid = bytearray(b"CACHE" + r.randbytes(3 << 20))
mid[1500000:1500000 + len(shell)] = shell
open(sys.argv[1] + "/middle.dat", "wb").write(mid)
end = bytearray(b"CACHE" + r.randbytes(1 << 20)) + shell.decode().encode("utf-16-le")
open(sys.argv[1] + "/tail.dat", "wb").write(end)
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
json_check "the shell in the middle of a 3 MB blob is found" \
	'any(f["path"] == "bin/middle.dat" and f["rule"] == "exs_command_execution" for f in d["hosts"][0]["findings"])'
json_check "the UTF-16 shell at the end of a 1 MB blob is found" \
	'any(f["path"] == "bin/tail.dat" and f["rule"] == "exs_command_execution" for f in d["hosts"][0]["findings"])'
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

printf 'rule any_file { condition: filesize > 0 and uint8(filesize - 1) != 0x100 }\n' >"$TMP/far.yar"
run "$EXSCAN" walk --all-files --rules "$TMP/far.yar" --format json --fail-on never "$R"
json_check "with --rules every byte is read (a rule may look anywhere)" \
	'd["hosts"][0]["stats"]["bytes_prefiltered"] == 0 and sum(1 for f in d["hosts"][0]["findings"] if f.get("rule") == "any_file") == 3'

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

# --- executables are not pages, unless named as pages: a real PE that names
# what a command shell's source names (as Exchange's own .NET DLLs do), and a
# page dressed in an MZ header
if have_mingw; then
	mkdir -p "$TMP/pe"
	cat >"$TMP/pe/t.c" <<'C'
const char *names[] = {"System.Web", "ProcessStartInfo", "RedirectStandardOutput",
                       "Microsoft.PowerShell.Commands", "cmd.exe", "<%", "Process.Start("};
int main(void) { return names[0][0]; }
C
	x86_64-w64-mingw32-gcc -O0 "$TMP/pe/t.c" -o "$TMP/pe/Microsoft.Exchange.Tool.dll"
	rm -f "$TMP/pe/t.c"
	python3 - "$TMP/pe/dressed.aspx" <<'PY'
import sys
open(sys.argv[1], "wb").write(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 +
    b'<%@ Page Language="C#"%><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>')
PY
	run "$EXSCAN" walk --all-files --format json --fail-on never "$TMP/pe"
	json_check "a PE that names System.Web, ProcessStartInfo, PowerShell and cmd.exe is not a command shell" \
		'not any(f["path"] == "Microsoft.Exchange.Tool.dll" and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
	json_check "a page in an MZ header is still judged as a page (rules and capability model)" \
		'{f["rule"] for f in d["hosts"][0]["findings"] if f["path"] == "dressed.aspx"} >= {"exs_command_execution", "exs_binary_headed_page", "exs_cap_process"}'
	# a page compiled by ASP.NET (App_Web_*, under owa: not the aspnet_client or
	# auth paths) that reads the request and runs cmd.exe, and one that does not
	python3 - "$TMP/pe" <<'PY'
import sys
head = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 3000
open(sys.argv[1] + "/App_Web_k2j3h4g5.dll", "wb").write(
    head + b"App_Web_k2j3h4g5\x00get_Request\x00ProcessStartInfo\x00" +
    "cmd.exe".encode("utf-16-le") + b"\x00\x00" + "/c ".encode("utf-16-le") + b"\x00" * 2000)
open(sys.argv[1] + "/App_Web_logon1.dll", "wb").write(
    head + b"App_Web_logon1\x00get_Request\x00ProcessStartInfo\x00" + b"\x00" * 2000)
PY
	run "$EXSCAN" walk --all-files --format json --fail-on never "$TMP/pe"
	json_check "a compiled page from any folder that reads the request and runs cmd.exe is a compiled webshell" \
		'any(f["path"] == "App_Web_k2j3h4g5.dll" and f["rule"] == "exs_app_web_dll_commands" for f in d["hosts"][0]["findings"]) and not any(f["path"] == "App_Web_logon1.dll" and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
else
	tap_skip "a PE that names what a shell names is not a command shell" "mingw-w64 not installed"
	tap_skip "a page in an MZ header is still judged as a page" "mingw-w64 not installed"
	tap_skip "a compiled page from any folder that runs cmd.exe is a compiled webshell" "mingw-w64 not installed"
fi

tap_done
