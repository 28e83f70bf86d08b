/* src/server/iis_config.c on applicationHost.config files written here:
 * modules known and not, virtual directories, Extended Protection inherited
 * from a parent location, URL Rewrite rules, and hostile files (not XML,
 * another root element, an entity bomb, external entities). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exscan/server.h"

static const char *const known[] = {"HttpLoggingModule", "StaticFileModule", "kerbauth"};

static int parse(const char *xml, struct exs_iis_config *c, struct exs_error *err)
{
	return exs_iis_config_parse((const unsigned char *)xml, strlen(xml), known,
	                            sizeof(known) / sizeof(known[0]), c, err);
}

static const char config[] =
        "<?xml version=\"1.0\"?>\n<configuration>\n"
        "<system.applicationHost><sites><site name=\"Default Web Site\">\n"
        " <application path=\"/\"><virtualDirectory path=\"/\" "
        "physicalPath=\"%SystemDrive%\\inetpub\\wwwroot\"/></application>\n"
        " <application path=\"/owa\"><virtualDirectory path=\"/\" physicalPath=\"C:\\Program "
        "Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\"/>\n"
        "  <virtualDirectory path=\"/x\" physicalPath=\"D:\\Shares\\drop\"/></application>\n"
        "</site></sites></system.applicationHost>\n"
        "<system.webServer><globalModules>\n"
        " <add name=\"HttpLoggingModule\" image=\"%windir%\\System32\\inetsrv\\loghttp.dll\"/>\n"
        " <add name=\"SessionMgr\" image=\"%windir%\\System32\\inetsrv\\sm.dll\"/>\n"
        " <add name=\"StaticFileModule\" image=\"C:\\Users\\Public\\static.dll\"/>\n"
        " <add name=\"ExchangeThing\" image=\"%ExchangeInstallDir%bin\\thing.dll\"/>\n"
        " <add name=\"kerbauth\" image=\"C:\\Program Files\\Microsoft\\Exchange "
        "Server\\V15\\Bin\\kerbauth.dll\"/>\n"
        "</globalModules></system.webServer>\n"
        "<location path=\"Default Web Site\"><system.webServer><security><authentication>"
        "<windowsAuthentication><extendedProtection tokenChecking=\"Allow\"/>"
        "</windowsAuthentication></authentication></security></system.webServer></location>\n"
        "<location path=\"Default Web Site/owa\"><system.webServer><security><authentication>"
        "<windowsAuthentication><extendedProtection tokenChecking=\"None\"/>"
        "</windowsAuthentication></authentication></security>"
        "<rewrite><rules><rule name=\"EEMS M2.1.0 OWA CSP\"/></rules></rewrite>"
        "</system.webServer></location>\n"
        "</configuration>\n";

static const struct exs_iis_module *module(const struct exs_iis_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_modules; i++)
		if (strcmp(c->modules[i].name, name) == 0)
			return &c->modules[i];
	fail_msg("no module %s", name);
	return NULL;
}

static void modules(void **state)
{
	struct exs_iis_config c;
	struct exs_error err = {{0}};

	(void)state;
	assert_int_equal(parse(config, &c, &err), 0);
	assert_int_equal(c.n_modules, 5);
	assert_true(module(&c, "HttpLoggingModule")->known);
	/* an unknown name where IIS keeps its modules */
	assert_false(module(&c, "SessionMgr")->known);
	assert_false(module(&c, "SessionMgr")->odd_path);
	/* a known name loaded from elsewhere: not known */
	assert_false(module(&c, "StaticFileModule")->known);
	assert_true(module(&c, "StaticFileModule")->odd_path);
	/* Exchange's folders, through its environment variable */
	assert_true(module(&c, "ExchangeThing")->known);
	assert_true(module(&c, "kerbauth")->known);
	exs_iis_config_release(&c);
}

static void vdirs_ep_rules(void **state)
{
	struct exs_iis_config c;
	struct exs_error err = {{0}};

	(void)state;
	assert_int_equal(parse(config, &c, &err), 0);
	assert_int_equal(c.n_vdirs, 3);
	assert_string_equal(c.vdirs[0].path, "/");
	assert_false(c.vdirs[0].outside);
	assert_string_equal(c.vdirs[1].site, "Default Web Site");
	assert_string_equal(c.vdirs[1].path, "/owa");
	assert_false(c.vdirs[1].outside);
	assert_string_equal(c.vdirs[2].path, "/owa/x");
	assert_true(c.vdirs[2].outside);
	/* the closest location decides; a child inherits its parent's */
	assert_string_equal(exs_iis_config_ep(&c, "Default Web Site/owa"), "None");
	assert_string_equal(exs_iis_config_ep(&c, "Default Web Site/ecp"), "Allow");
	assert_null(exs_iis_config_ep(&c, "Exchange Back End/owa"));
	/* "Default Web Site/owa2" is not below "Default Web Site/owa" */
	assert_string_equal(exs_iis_config_ep(&c, "Default Web Site/owa2"), "Allow");
	assert_int_equal(c.n_rewrite_rules, 1);
	assert_string_equal(c.rewrite_rules[0], "EEMS M2.1.0 OWA CSP");
	exs_iis_config_release(&c);
}

static void hostile_files(void **state)
{
	struct exs_iis_config c;
	struct exs_error err = {{0}};
	/* a billion laughs: never expanded */
	static const char bomb[] =
	        "<?xml version=\"1.0\"?><!DOCTYPE configuration [<!ENTITY a \"aaaaaaaaaa\">"
	        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
	        "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
	        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f "
	        "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
	        "]><configuration><system.webServer><globalModules><add name=\"&g;\" "
	        "image=\"x.dll\"/></globalModules></system.webServer></configuration>";
	/* an external entity naming a local file: not read */
	static const char xxe[] =
	        "<?xml version=\"1.0\"?><!DOCTYPE configuration [<!ENTITY x SYSTEM "
	        "\"file:///etc/passwd\">]><configuration><system.webServer><globalModules>"
	        "<add name=\"&x;\" image=\"x.dll\"/></globalModules></system.webServer>"
	        "</configuration>";

	(void)state;
	assert_int_equal(parse("not xml at all", &c, &err), -1);
	assert_non_null(strstr(err.msg, "not well-formed"));
	assert_int_equal(parse("<?xml version=\"1.0\"?><html/>", &c, &err), -1);
	assert_non_null(strstr(err.msg, "<configuration>"));
	if (parse(bomb, &c, &err) == 0) {
		for (size_t i = 0; i < c.n_modules; i++)
			assert_true(!c.modules[i].name || strlen(c.modules[i].name) < 1000);
		exs_iis_config_release(&c);
	}
	if (parse(xxe, &c, &err) == 0) {
		for (size_t i = 0; i < c.n_modules; i++)
			assert_null(c.modules[i].name ? strstr(c.modules[i].name, "root:") : NULL);
		exs_iis_config_release(&c);
	}
}

/* Microsoft's emergency URL Rewrite rules, and rules that look alike but do
 * not mitigate: recognised by what they do and where they apply. */
static const char rewrite_config[] =
        "<?xml version=\"1.0\"?>\n<configuration>\n"
        /* EOMTv2's ProxyNotShell rule on the Default Web Site */
        "<location path=\"Default Web Site\"><system.webServer><rewrite><rules>\n"
        " <rule name=\"PowerShell - inbound\" patternSyntax=\"ECMAScript\" stopProcessing=\"true\">"
        "<match url=\".*\"/><conditions logicalGrouping=\"MatchAll\">"
        "<add input=\"{UrlDecode:{REQUEST_URI}}\" pattern=\".*autodiscover\\.json.*Powershell.*\"/>"
        "</conditions><action type=\"AbortRequest\"/></rule>\n"
        /* the same idea, turned off */
        " <rule name=\"EEMS M1.1 PowerShell - inbound\" enabled=\"false\">"
        "<match url=\"(?=.*autodiscover)(?=.*powershell)\"/>"
        "<action type=\"CustomResponse\" statusCode=\"403\"/></rule>\n"
        /* names both words but rewrites: no mitigation */
        " <rule name=\"redirect\"><match url=\"autodiscover/powershell\"/>"
        "<action type=\"Rewrite\" url=\"/x\"/></rule>\n"
        /* a negated condition lets those requests through */
        " <rule name=\"negated\"><match url=\".*\"/><conditions><add input=\"{REQUEST_URI}\" "
        "pattern=\"autodiscover.*powershell\" negate=\"true\"/></conditions>"
        "<action type=\"AbortRequest\"/></rule>\n"
        "</rules></rewrite></system.webServer></location>\n"
        /* blocking autodiscover+powershell on /owa does not cover /Autodiscover */
        "<location path=\"Default Web Site/owa\"><system.webServer><rewrite><rules>\n"
        " <rule name=\"wrong place\"><match url=\".*autodiscover.*powershell.*\"/>"
        "<action type=\"AbortRequest\"/></rule></rules>\n"
        /* the CVE-2026-42897 header rule, and an unrelated header */
        "<outboundRules><rule name=\"EEMS M2.1 OWA CSP - outbound\" "
        "preCondition=\"EEMS M2.1 OWA SPA HTML shell - precondition\">"
        "<match serverVariable=\"RESPONSE_Content-Security-Policy\" pattern=\".*\"/>"
        "<action type=\"Rewrite\" value=\"script-src 'self'\"/></rule>\n"
        " <rule name=\"xfo\"><match serverVariable=\"RESPONSE_X-Frame-Options\" pattern=\".*\"/>"
        "<action type=\"Rewrite\" value=\"DENY\"/></rule></outboundRules>"
        "</rewrite></system.webServer></location>\n"
        /* a header rule on the back end's OWA does not cover the front end */
        "<location path=\"Exchange Back End/owa\"><system.webServer><rewrite><outboundRules>"
        "<rule name=\"back end csp\"><match serverVariable=\"RESPONSE_Content-Security-Policy\"/>"
        "<action type=\"Rewrite\" value=\"x\"/></rule>"
        "</outboundRules></rewrite></system.webServer></location>\n"
        "</configuration>\n";

static void mitigations(void **state)
{
	struct exs_iis_config c;
	struct exs_error err = {{0}};
	static const char web[] =
	        "<?xml version=\"1.0\"?><configuration><system.webServer>"
	        "<globalModules><add name=\"Sneaky\" image=\"C:\\x.dll\"/></globalModules>"
	        "<rewrite><outboundRules><rule name=\"csp in web.config\" enabled=\"true\">"
	        "<match serverVariable=\"response_content-security-policy\"/>"
	        "<action type=\"Rewrite\" value=\"frame-ancestors 'self'\"/></rule>"
	        "<rule name=\"empty csp\"><match serverVariable=\"RESPONSE_Content-Security-Policy\"/>"
	        "<action type=\"Rewrite\" value=\"\"/></rule>"
	        "</outboundRules></rewrite></system.webServer></configuration>";

	(void)state;
	assert_int_equal(parse(rewrite_config, &c, &err), 0);
	assert_int_equal(c.n_mitigations, 3);
	assert_string_equal(c.mitigations[0].cve, "CVE-2022-41040");
	assert_string_equal(c.mitigations[0].rule, "PowerShell - inbound");
	assert_string_equal(c.mitigations[0].location, "Default Web Site");
	assert_true(c.mitigations[0].enabled);
	assert_null(c.mitigations[0].file);
	assert_string_equal(c.mitigations[1].cve, "CVE-2022-41040");
	assert_string_equal(c.mitigations[1].rule, "EEMS M1.1 PowerShell - inbound");
	assert_false(c.mitigations[1].enabled);
	assert_string_equal(c.mitigations[2].cve, "CVE-2026-42897");
	assert_string_equal(c.mitigations[2].rule, "EEMS M2.1 OWA CSP - outbound");
	assert_string_equal(c.mitigations[2].location, "Default Web Site/owa");
	assert_true(c.mitigations[2].enabled);
	/* every rule keeps its name, inbound and outbound */
	assert_int_equal(c.n_rewrite_rules, 8);

	/* the OWA application's web.config: its rules apply to Default Web Site/owa;
	 * nothing but the rules is taken from it */
	assert_int_equal(exs_iis_config_add_web(&c, (const unsigned char *)web, strlen(web),
	                                        "Default Web Site/owa", &err),
	                 0);
	assert_int_equal(c.n_mitigations, 4);
	assert_string_equal(c.mitigations[3].rule, "csp in web.config");
	assert_string_equal(c.mitigations[3].location, "Default Web Site/owa");
	assert_int_equal(c.n_modules, 0);
	assert_int_equal(c.n_rewrite_rules, 8);
	/* the same file for the Default Web Site's root covers /owa too; for
	 * another site it does not */
	assert_int_equal(exs_iis_config_add_web(&c, (const unsigned char *)web, strlen(web),
	                                        "Default Web Site", &err),
	                 0);
	assert_int_equal(c.n_mitigations, 5);
	assert_int_equal(exs_iis_config_add_web(&c, (const unsigned char *)web, strlen(web),
	                                        "Other Site", &err),
	                 0);
	assert_int_equal(c.n_mitigations, 5);
	/* a broken web.config: an error, and what was read stays */
	assert_int_equal(exs_iis_config_add_web(&c, (const unsigned char *)"<configuration>", 15,
	                                        "Default Web Site", &err),
	                 -1);
	assert_non_null(strstr(err.msg, "not well-formed"));
	assert_int_equal(c.n_mitigations, 5);
	exs_iis_config_release(&c);
}

/* Managed modules: known when signed by Microsoft or an unqualified System.*
 * type; from applicationHost.config and from a web.config, with its location. */
static void managed_modules(void **state)
{
	static const char app[] =
	        "<configuration><system.webServer><modules>\n"
	        " <add name=\"OutputCache\" type=\"System.Web.Caching.OutputCacheModule\"/>\n"
	        " <add name=\"ScriptModule-4.0\" type=\"System.Web.Handlers.ScriptModule, "
	        "System.Web.Extensions, Version=4.0.0.0, Culture=neutral, "
	        "PublicKeyToken=31bf3856ad364e35\"/>\n"
	        " <add name=\"Bin\" type=\"Contoso.Shell.Module\"/>\n"
	        " <add name=\"Other\" type=\"X.Y, X, Version=1.0.0.0, PublicKeyToken=0123456789abcdef\"/>\n"
	        " <add name=\"Longer\" type=\"X.Y, X, PublicKeyToken=31bf3856ad364e35ff\"/>\n"
	        " <add name=\"NativeOn\"/>\n"
	        "</modules></system.webServer></configuration>";
	static const char web[] =
	        "<configuration><system.webServer><modules>"
	        "<add name=\"Owa\" type=\"Evil.Owa, Evil\"/></modules></system.webServer>"
	        "</configuration>";
	struct exs_iis_config c;
	struct exs_error err = {{0}};
	bool want[5] = {true, true, false, false, false};

	(void)state;
	assert_int_equal(parse(app, &c, &err), 0);
	assert_int_equal(c.n_managed, 5); /* a native module switched on is not one */
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(c.managed[i].known, want[i]);
		assert_null(c.managed[i].location);
	}
	assert_int_equal(exs_iis_config_add_web(&c, (const unsigned char *)web, strlen(web),
	                                        "Default Web Site/owa", &err),
	                 0);
	assert_int_equal(c.n_managed, 6);
	assert_false(c.managed[5].known);
	assert_string_equal(c.managed[5].location, "Default Web Site/owa");
	exs_iis_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(modules),        cmocka_unit_test(managed_modules),
	        cmocka_unit_test(vdirs_ep_rules), cmocka_unit_test(hostile_files),
	        cmocka_unit_test(mitigations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
