#!/usr/bin/env bash
# IIS configuration from the disk: applicationHost.config files written for
# this test.  Unknown native modules and modules loaded from odd places are
# findings; a virtual directory outside the usual folders is one; Extended
# Protection read from the file decides CVE-2024-21410 (off on /owa: open,
# with the file as evidence; on: closed); a file that is not XML is one line.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/pe.inc.sh"
export XDG_CACHE_HOME="$TMP/cache"
EX="Program Files/Microsoft/Exchange Server/V15"
R="$TMP/srv"
CFG="$R/Windows/System32/inetsrv/config"
mkdir -p "$CFG" "$R/$EX/FrontEnd/HttpProxy/owa/auth"
printf '<%%@ Page Language="C#" Inherits="Microsoft.Exchange.HttpProxy.Logon" %%>\n' \
	>"$R/$EX/FrontEnd/HttpProxy/owa/auth/logon.aspx"
# config TOKENCHECKING: an Exchange-like applicationHost.config
config() {
	cat <<C
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost><sites><site name="Default Web Site" id="1">
    <application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" /></application>
    <application path="/owa"><virtualDirectory path="/" physicalPath="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa" /></application>
    <application path="/ecp"><virtualDirectory path="/" physicalPath="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\ecp" /></application>
    <application path="/help"><virtualDirectory path="/" physicalPath="C:\\Windows\\Temp\\h" /></application>
  </site></sites></system.applicationHost>
  <system.webServer><globalModules>
    <add name="HttpLoggingModule" image="%windir%\\System32\\inetsrv\\loghttp.dll" />
    <add name="ManagedEngineV4.0_64bit" image="%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\webengine4.dll" />
    <add name="kerbauth" image="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\kerbauth.dll" />
    $2
  </globalModules>${3:+<modules>$3</modules>}</system.webServer>
  <location path="Default Web Site/owa"><system.webServer><security><authentication>
    <windowsAuthentication enabled="true"><extendedProtection tokenChecking="$1" /></windowsAuthentication>
  </authentication></security></system.webServer></location>
  <location path="Default Web Site/ecp"><system.webServer><security><authentication>
    <windowsAuthentication enabled="true"><extendedProtection tokenChecking="Require" /></windowsAuthentication>
  </authentication></security></system.webServer></location>
</configuration>
C
}
config None '<add name="ExtenDB" image="%windir%\System32\inetsrv\ExtenDB.dll" /><add name="StaticFileModule" image="C:\Users\Public\s.dll" />' \
	'<add name="OutputCache" type="System.Web.Caching.OutputCacheModule" /><add name="Gate" type="Contoso.Gate.Module, Contoso.Gate" />' \
	>"$CFG/applicationHost.config"
chmod -R a+rX "$TMP"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
expect_rc 0 "walk (as nobody) reads the tree"
json_check "the unknown module is a finding at warning level" \
	'any(f["rule"] == "iis-unknown-module" and "ExtenDB" in f["description"] and f["severity"] == "warning" for f in d["hosts"][0]["findings"])'
json_check "the unknown module's DLL is not under the root: its finding says so" \
	'any(f["rule"] == "iis-unknown-module" and "ExtenDB" in f["description"] and "not found under the root" in f["description"] for f in d["hosts"][0]["findings"])'
# the module's DLL on the disk: its finding names the file, its SHA-256 and its
# version resource (a PE built here with mingw-w64)
if have_mingw; then
	make_exe "$R/Windows/System32/inetsrv/ExtenDB.dll" 7 1 2 3
	chmod a+r "$R/Windows/System32/inetsrv/ExtenDB.dll"
	sum=$(sha256sum "$R/Windows/System32/inetsrv/ExtenDB.dll" | cut -d' ' -f1)
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
	json_check "the unknown module's finding names its DLL, SHA-256 and version" \
		'any(f["rule"] == "iis-unknown-module" and "DLL Windows/System32/inetsrv/ExtenDB.dll, SHA-256 '"$sum"', version 7.1.2.3" in f["description"] for f in d["hosts"][0]["findings"])'
	# and its bytes go through the rules though the default policy skips DLLs there
	printf 'zq-module-marker-zq' >>"$R/Windows/System32/inetsrv/ExtenDB.dll"
	printf 'MZ zq-module-marker-zq' >"$R/Windows/System32/inetsrv/other.dll"
	printf 'rule user_module_marker { strings: $m = "zq-module-marker-zq" condition: $m }\n' >"$TMP/module.yar"
	run "$EXSCAN" walk --format json --fail-on never --rules "$TMP/module.yar" "$R"
	json_check "the unknown module's DLL is scanned by the rules (a --rules match on it)" \
		'any(f.get("rule") == "user_module_marker" and f["path"] == "Windows/System32/inetsrv/ExtenDB.dll" for f in d["hosts"][0]["findings"])'
	json_check "a DLL beside it that no module loads is left to the policy (not scanned)" \
		'not any(f["path"] == "Windows/System32/inetsrv/other.dll" for f in d["hosts"][0]["findings"])'
	rm -f "$R/Windows/System32/inetsrv/ExtenDB.dll" "$R/Windows/System32/inetsrv/other.dll"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
else
	tap_skip "the unknown module's finding names its DLL, SHA-256 and version" "mingw-w64 not installed"
fi
json_check "a managed module whose assembly Microsoft did not sign is a finding" \
	'any(f["rule"] == "iis-unknown-managed-module" and "Contoso.Gate" in f["description"] for f in d["hosts"][0]["findings"]) and not any("OutputCacheModule" in (f.get("description") or "") for f in d["hosts"][0]["findings"])'
json_check "a known name loaded from a user folder is an alert" \
	'any(f["rule"] == "iis-module-outside-system" and "StaticFileModule" in f["description"] and f["severity"] == "alert" for f in d["hosts"][0]["findings"])'
json_check "the modules Windows, IIS and Exchange ship are not findings" \
	'not any(w in f.get("description", "") for f in d["hosts"][0]["findings"] for w in ("HttpLoggingModule", "kerbauth", "webengine4"))'
json_check "a virtual directory in Windows/Temp is a finding" \
	'any(f["rule"] == "iis-vdir-outside" and "Windows\\Temp" in f["description"] for f in d["hosts"][0]["findings"])'
json_check "Extended Protection: /owa off, /ecp on" \
	'(lambda i: i["extended_protection_off"] == ["Default Web Site/owa"] and i["extended_protection_checked"] == 2)(d["hosts"][0]["layout"]["iis"])'

# a patched Exchange 2019 by the disk (no probe), so only configuration decides
EXE="$EXSCAN_SRCDIR/tests/fuzz/corpus/fuzz_server_pe"
if [ -f "$EXE/exsetup-15.2.1748.49.exe" ]; then
	mkdir -p "$R/$EX/Bin"
	cp "$EXE/exsetup-15.2.1748.49.exe" "$R/$EX/Bin/ExSetup.exe"
	run "$EXSCAN" scan --fs "$R" --host e19 --format json --fail-on never
	json_check "EP off on /owa: CVE-2024-21410 open, known exploited, the file as evidence" \
		'any(r["level"] == "vulnerable" and "CVE-2024-21410" in r["text"] and "Default Web Site/owa" in r["text"] and "applicationHost.config" in r["text"] for r in d["hosts"][0]["reasons"])'
	config Allow '' >"$CFG/applicationHost.config"
	run "$EXSCAN" scan --fs "$R" --host e19 --format json --fail-on never
	json_check "EP on everywhere: CVE-2024-21410 is not a reason" \
		'not any("CVE-2024-21410" in r["text"] for r in d["hosts"][0]["reasons"])'
else
	tap_skip "CVE-2024-21410 by configuration" "no exsetup-15.2.1748.49.exe seed"
	tap_skip "CVE-2024-21410 closed by configuration" "no exsetup-15.2.1748.49.exe seed"
fi

# Microsoft's emergency URL Rewrite mitigations, from applicationHost.config and
# from web.config files: rewrite_config PNS_ENABLED writes the configuration
# (Extended Protection on everywhere, no odd virtual directory) with ProxyNotShell's autodiscover rule on
# the Default Web Site (PNS_ENABLED: true, false; none leaves the rule out);
# owa_csp ENABLED writes the OWA application's web.config with the
# CVE-2026-42897 header rule (none: a web.config without it).
rewrite_config() {
	config Require '' | grep -v 'path="/help"' >"$CFG/applicationHost.config"
	[ "$1" = none ] && return
	python3 - "$CFG/applicationHost.config" "$1" <<'PY'
import sys
path, enabled = sys.argv[1], sys.argv[2]
rule = f"""  <location path="Default Web Site"><system.webServer><rewrite><rules>
    <rule name="PowerShell - inbound" enabled="{enabled}" patternSyntax="ECMAScript" stopProcessing="true">
      <match url=".*" />
      <conditions logicalGrouping="MatchAll"><add input="{{UrlDecode:{{REQUEST_URI}}}}" pattern=".*autodiscover\.json.*Powershell.*" /></conditions>
      <action type="AbortRequest" />
    </rule>
  </rules></rewrite></system.webServer></location>
</configuration>"""
t = open(path).read().replace("</configuration>", rule)
open(path, "w").write(t)
PY
}
OWA_WEB="$R/$EX/FrontEnd/HttpProxy/owa/web.config"
owa_csp() {
	local rule=""
	[ "$1" != none ] && rule="<outboundRules><rule name=\"EEMS M2.1 OWA CSP - outbound\" enabled=\"$1\">
  <match serverVariable=\"RESPONSE_Content-Security-Policy\" pattern=\".*\" />
  <action type=\"Rewrite\" value=\"frame-ancestors 'self'; object-src 'none'\" /></rule></outboundRules>"
	cat >"$OWA_WEB" <<C
<?xml version="1.0" encoding="UTF-8"?>
<configuration><system.webServer><rewrite>$rule</rewrite>
<httpProtocol><customHeaders><add name="X-Test" value="1" /></customHeaders></httpProtocol>
</system.webServer></configuration>
C
}
rewrite_config true
owa_csp true
chmod -R a+rX "$TMP"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
json_check "walk: both mitigations found, each with its file and where it applies" \
	'[(m["cve"], m["rule"], m["location"], m["file"], m["enabled"]) for m in d["hosts"][0]["layout"]["iis"]["mitigations"]] == [
	  ("CVE-2022-41040", "PowerShell - inbound", "Default Web Site", "Windows/System32/inetsrv/config/applicationHost.config", True),
	  ("CVE-2026-42897", "EEMS M2.1 OWA CSP - outbound", "Default Web Site/owa", "'"$EX"'/FrontEnd/HttpProxy/owa/web.config", True)]'
run "$EXSCAN" walk --fail-on never "$R"
grep -q "^  mitigation CVE-2022-41040: URL Rewrite rule 'PowerShell - inbound' in Windows/System32/inetsrv/config/applicationHost.config$" "$TMP/out" &&
	grep -q "^  mitigation CVE-2026-42897: URL Rewrite rule 'EEMS M2.1 OWA CSP - outbound' in .*/owa/web.config$" "$TMP/out"
tap_ok $? "walk text lists the mitigations" "$(cat "$TMP/out")"

# Exchange 2016 CU19 without updates: both CVEs are open by the build
if [ -f "$EXE/exsetup-15.1.2176.2.exe" ]; then
	mkdir -p "$R/$EX/Bin"
	cp "$EXE/exsetup-15.1.2176.2.exe" "$R/$EX/Bin/ExSetup.exe"
	run "$EXSCAN" scan --fs "$R" --host e16 --format json --fail-on never
	json_check "enabled rules: both CVEs 'open but mitigated, not patched' (at-risk) with the config file as evidence" \
		'(lambda rs: any(r["level"] == "at-risk" and r["text"].startswith("CVE-2022-41040 is open but mitigated, not patched: URL Rewrite rule '"'"'PowerShell - inbound'"'"' in Windows/System32/inetsrv/config/applicationHost.config (Default Web Site)") and "Nov22SU" in r["text"] for r in rs)
	      and any(r["level"] == "at-risk" and r["text"].startswith("CVE-2026-42897 is open but mitigated, not patched: URL Rewrite rule") and "owa/web.config" in r["text"] for r in rs)
	      and not any(r["level"] == "vulnerable" and ("CVE-2022-41040" in r["text"] or "CVE-2026-42897" in r["text"]) for r in rs))(d["hosts"][0]["reasons"])'
	rewrite_config false
	owa_csp false
	run "$EXSCAN" scan --fs "$R" --host e16 --format json --fail-on never
	json_check "disabled rules change nothing: both CVEs open, known exploited" \
		'(lambda rs: any(r["level"] == "vulnerable" and r["text"].startswith("CVE-2022-41040") and "is open: known exploited" in r["text"] for r in rs)
	      and any(r["level"] == "vulnerable" and r["text"].startswith("CVE-2026-42897") for r in rs)
	      and not any("mitigated" in r["text"] for r in rs))(d["hosts"][0]["reasons"])'
	json_check "... and the walk still lists them, disabled" \
		'[m["enabled"] for m in d["hosts"][0]["layout"]["iis"]["mitigations"]] == [False, False]'
	rewrite_config none
	owa_csp none
	run "$EXSCAN" scan --fs "$R" --host e16 --format json --fail-on never
	json_check "no rules: both CVEs open, nothing mitigated" \
		'(lambda rs: any(r["level"] == "vulnerable" and r["text"].startswith("CVE-2022-41040") for r in rs)
	      and not any("mitigated" in r["text"] for r in rs) and d["hosts"][0]["layout"]["iis"]["mitigations"] == [])(d["hosts"][0]["reasons"])'
	rm -f "$R/$EX/Bin/ExSetup.exe"
else
	tap_skip "mitigations judged by the disk build" "no exsetup-15.1.2176.2.exe seed"
fi

# 2019 CU15 Dec25SU (mingw-made): CVE-2026-42897 is its only certain known-exploited
# hole, so the mitigation turns the host from vulnerable into at-risk
if have_mingw; then
	mkdir -p "$R/$EX/Bin"
	make_exe "$R/$EX/Bin/ExSetup.exe" 15 2 1748 42
	rewrite_config none
	owa_csp true
	run "$EXSCAN" scan --fs "$R" --host e19dec --format json --fail-on vulnerable
	json_check "2019 Dec25SU with the CSP rule in OWA's web.config: at-risk, mitigated, not patched" \
		'd["hosts"][0]["verdict"] == "at-risk" and any(r["text"].startswith("CVE-2026-42897 is open but mitigated") and "Jun26SU" in r["text"] for r in d["hosts"][0]["reasons"])'
	owa_csp false
	run "$EXSCAN" scan --fs "$R" --host e19dec --format json --fail-on vulnerable
	expect_rc 1 "the same rule disabled: vulnerable reaches --fail-on vulnerable"
	json_check "... vulnerable for CVE-2026-42897" \
		'd["hosts"][0]["verdict"] == "vulnerable" and any(r["level"] == "vulnerable" and r["text"].startswith("CVE-2026-42897") for r in d["hosts"][0]["reasons"])'
	rm -f "$R/$EX/Bin/ExSetup.exe"
else
	tap_skip "the CVE-2026-42897 mitigation turns vulnerable into at-risk" "x86_64-w64-mingw32-gcc/windres not installed"
fi

# a web.config that is not XML: one error finding naming it
printf '<configuration><system.webServer>' >"$OWA_WEB"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "a broken OWA web.config is an error finding: its mitigations were not checked" \
	'any(f["kind"] == "error" and f["path"].endswith("FrontEnd/HttpProxy/owa/web.config") and "mitigations were not checked" in f["description"] for f in d["hosts"][0]["findings"])'
rm -f "$OWA_WEB"

# a configuration that sets Extended Protection nowhere decides nothing
config Allow '' | grep -v extendedProtection >"$CFG/applicationHost.config"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "no extendedProtection element anywhere: nothing checked, nothing off" \
	'(lambda i: i["extended_protection_checked"] == 0 and i["extended_protection_off"] == [])(d["hosts"][0]["layout"]["iis"])'

printf 'this is <not xml' >"$CFG/applicationHost.config"
run "$EXSCAN" walk --format json --fail-on never "$R"
json_check "a file that is not XML: one error finding naming it, no other findings from it" \
	'd["hosts"][0]["layout"]["iis"]["error"] == "not well-formed XML" and [f["path"] for f in d["hosts"][0]["findings"] if f["kind"] == "error"] == ["Windows/System32/inetsrv/config/applicationHost.config"] and not any((f.get("rule") or "").startswith("iis-") for f in d["hosts"][0]["findings"])'
run "$EXSCAN" scan --fs "$R" --host e19 --format json --fail-on never
json_check "... and the host is incomplete" 'd["hosts"][0]["incomplete"] is True'
tap_done
