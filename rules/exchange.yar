/*
 * exscan built-in rules for how webshells land on Exchange servers: through
 * OAB virtual-directory settings (ProxyLogon, CVE-2021-27065), mailbox
 * exports written as .aspx (ProxyShell), certificate requests, and the
 * App_Web DLLs ASP.NET compiles from a dropped page (webshells.yar's page
 * rules do not judge executables: a compiled shell is judged here).
 * The server-code test is repeated here so this file compiles on its own.
 *
 * Cost (bench/walk/padding.py, rules/webshells.yar's header): a regex that
 * starts with "<%" spells the words after it in character classes, not with
 * nocase, so YARA's atom is the "<%" and each match runs forward to the next
 * '%' at most; with the word as atom, every copy of the word in a padded page
 * would run the gap backwards in full.
 */

private rule exs_exch_server_code
{
	strings:
		$d1 = /<script[^<>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
		$d2 = /<%@\s*(Page|WebHandler|WebService)/ nocase ascii wide
		$d3 = /<%[^%@=#:]{0,40}([Ee][Vv][Aa][Ll]|[Rr][Ee][Qq][Uu][Ee][Ss][Tt]|[Rr][Ee][Ss][Pp][Oo][Nn][Ss][Ee]|[Pp][Rr][Oo][Cc][Ee][Ss][Ss]|[Ss][Yy][Ss][Tt][Ee][Mm]\.)/ ascii wide
	condition:
		any of them
}

rule exs_oab_externalurl_injection
{
	meta:
		score = 95
		family = "OAB ExternalUrl injection"
		description = "exported OAB virtual-directory settings with server-side script in ExternalUrl (ProxyLogon CVE-2021-27065)"
		reference = "field notes 5; Microsoft HAFNIUM advisory 2021-03"
	strings:
		$p1 = "ExternalUrl" ascii wide
		$p2 = "InternalUrl" ascii wide
		$p3 = "InternalAuthenticationMethods" ascii wide
		$p4 = "ExtendedProtectionTokenChecking" ascii wide
		$p5 = "OfflineAddressBooks" ascii wide
		$s1 = /<script[^<>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
		$s2 = /eval\s*\(\s*Request/ nocase ascii wide
		$s3 = /<%[^%]{0,200}[Rr][Ee][Qq][Uu][Ee][Ss][Tt]/ ascii wide
	condition:
		3 of ($p*) and any of ($s*)
}

rule exs_pst_export_shell
{
	meta:
		score = 95
		family = "ProxyShell PST export"
		description = "PST mailbox export (magic !BDN) carrying server-side script, written as a web page (ProxyShell)"
		reference = "field notes 5; MS-PST mpbbCrypt permutative encoding"
	condition:
		uint32(0) == 0x4e444221 and exs_exch_server_code
}

rule exs_der_request_shell
{
	meta:
		score = 90
		family = "ProxyShell certificate request"
		description = "DER-encoded certificate request (30 82) carrying server-side script (ProxyShell variant)"
		reference = "field notes 5"
	condition:
		uint16(0) == 0x8230 and exs_exch_server_code
}

rule exs_binary_headed_page
{
	meta:
		score = 75
		family = "binary-headed dropper"
		description = "web page whose first bytes are binary and not a known container, with server-side script after them"
		reference = "field notes 5: any .aspx whose first 8 bytes are binary"
	condition:
		extension matches /^\.(aspx|ashx|asmx|ascx|asax)$/ and
		uint32(0) != 0x4e444221 and uint16(0) != 0x8230 and
		uint16(0) != 0xfeff and uint16(0) != 0xfffe and
		not (uint16(0) == 0xbbef and uint8(2) == 0xbf) and
		for any i in (0..7) : (uint8(i) < 0x09 or (uint8(i) > 0x0d and uint8(i) < 0x20) or uint8(i) == 0x7f) and
		exs_exch_server_code
}

rule exs_app_web_dll_shell
{
	meta:
		score = 85
		family = "compiled webshell"
		description = "small App_Web DLL compiled from a page in aspnet_client or owa/auth, with script evaluation or process start"
		reference = "field notes 3: Temporary ASP.NET Files"
	strings:
		$v1 = "/aspnet_client/" nocase ascii wide
		$v2 = "/auth/" nocase ascii wide
		$a1 = "App_Web_" ascii wide
		$e1 = "JScriptEvaluate" ascii wide
		$e2 = "Microsoft.JScript" ascii wide
		$e3 = "ProcessStartInfo" ascii wide
		$e4 = "get_Request" ascii
		$e5 = "CompileAssemblyFromSource" ascii
	condition:
		uint16(0) == 0x5a4d and filesize < 200KB and $a1 and any of ($v*) and
		(any of ($e1, $e2, $e3, $e5) and $e4 or $e1)
}

rule exs_app_web_dll_commands
{
	meta:
		score = 80
		family = "compiled webshell"
		description = "App_Web DLL (a page compiled by ASP.NET, from any folder) whose code reads the request and runs commands or evaluates code"
		reference = "field notes 3: Temporary ASP.NET Files; the page rules do not judge executables"
	strings:
		$a1 = "App_Web_" ascii wide
		$r1 = "get_Request" ascii
		$p1 = "ProcessStartInfo" ascii
		$c1 = "cmd.exe" nocase wide
		$c2 = "powershell" nocase wide
		$c3 = "/c " nocase wide
		$e1 = "JScriptEvaluate" ascii
		$e2 = "CompileAssemblyFromSource" ascii
	condition:
		uint16(0) == 0x5a4d and filesize < 500KB and $a1 and $r1 and
		(($p1 and any of ($c*)) or any of ($e*))
}

rule exs_app_web_dll_location
{
	meta:
		score = 65
		family = "compiled webshell"
		description = "App_Web DLL compiled from a page in aspnet_client, where Exchange has no pages"
		reference = "field notes 3: Temporary ASP.NET Files"
	strings:
		$v1 = "/aspnet_client/" nocase ascii wide
		$a1 = "App_Web_" ascii wide
	condition:
		uint16(0) == 0x5a4d and filesize < 200KB and all of them
}
