#!/usr/bin/env bash
# IIS configuration from the disk: applicationHost.config files written for
# this test.  Unknown native modules and modules loaded from odd places are
# findings; a virtual directory outside the usual folders is one; Extended
# Protection read from the file decides CVE-2024-21410 (off on /owa: open,
# with the file as evidence; on: closed); a file that is not XML is one line.
. "$(dirname "$0")/tap.sh"
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
  </globalModules></system.webServer>
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
	>"$CFG/applicationHost.config"
chmod -R a+rX "$TMP"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXSCAN" walk --format json --fail-on never "$R"
expect_rc 0 "walk (as nobody) reads the tree"
json_check "the unknown module is a finding at warning level" \
	'any(f["rule"] == "iis-unknown-module" and "ExtenDB" in f["description"] and f["severity"] == "warning" for f in d["hosts"][0]["findings"])'
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
