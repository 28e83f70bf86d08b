/* Scan policy and Exchange layout detection of src/walk, on real directories. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exscan/walk.h"

static void web_extensions(void **state)
{
	(void)state;
	assert_true(exs_walk_is_web_extension("shell.aspx"));
	assert_true(exs_walk_is_web_extension("SHELL.ASHX"));
	assert_true(exs_walk_is_web_extension("x.asmx"));
	assert_true(exs_walk_is_web_extension("x.ascx"));
	assert_true(exs_walk_is_web_extension("global.asax"));
	assert_true(exs_walk_is_web_extension("web.config"));
	assert_true(exs_walk_is_web_extension("a.min.js"));
	assert_true(exs_walk_is_web_extension("logon.css"));
	assert_true(exs_walk_is_web_extension("x.htm"));
	assert_true(exs_walk_is_web_extension("x.html"));
	assert_false(exs_walk_is_web_extension("Microsoft.Exchange.Data.dll"));
	assert_false(exs_walk_is_web_extension("aspx"));
	assert_false(exs_walk_is_web_extension(".aspx.bak"));
	assert_false(exs_walk_is_web_extension("lsass.dmp"));
}

static void location_scores(void **state)
{
	struct exs_walk_layout l;
	const char *why = NULL;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(exs_walk_location_score(
	                         &l, "inetpub/wwwroot/aspnet_client/system_web/x.aspx", &why),
	                 70);
	assert_non_null(why);
	assert_int_equal(exs_walk_location_score(&l, "INETPUB/wwwroot/ASPNET_CLIENT/y.ashx", &why),
	                 70);
	/* not a script page */
	assert_int_equal(
	        exs_walk_location_score(&l, "inetpub/wwwroot/aspnet_client/readme.txt", &why), 0);
	/* what Exchange installs in owa/auth is fine, anything else is not */
	assert_int_equal(
	        exs_walk_location_score(
	                &l,
	                "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/logon.aspx",
	                &why),
	        0);
	assert_int_equal(
	        exs_walk_location_score(
	                &l,
	                "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/OutlookCN.aspx",
	                &why),
	        0);
	assert_int_equal(
	        exs_walk_location_score(
	                &l,
	                "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/shell.aspx",
	                &why),
	        60);
	assert_int_equal(
	        exs_walk_location_score(
	                &l, "V15/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/logon.aspx",
	                &why),
	        60);
	assert_int_equal(
	        exs_walk_location_score(&l, "V15/FrontEnd/HttpProxy/ecp/auth/x.aspx", &why), 60);
	assert_int_equal(exs_walk_location_score(
	                         &l, "V15/FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx", &why),
	                 0);
	/* ordinary application pages */
	assert_int_equal(exs_walk_location_score(&l, "V15/ClientAccess/ecp/default.aspx", &why), 0);
}

#define EX "Program Files/Microsoft/Exchange Server/V15/"

/* Pages in the folders where OWA and ECP keep only static assets. */
static void location_static_asset_folders(void **state)
{
	static const char *const out_of_place[] = {
	        EX "ClientAccess/Owa/prem/15.1.2507.6/scripts/x.aspx",
	        EX "ClientAccess/Owa/prem/15.1.2507.6/resources/themes/base/shell.ashx",
	        EX "ClientAccess/Owa/prem/15.2.1118.7/resources/images/0/a.asmx",
	        EX "ClientAccess/owa/15.2.1118.7/scripts/premium/boot.aspx",
	        EX "ClientAccess/ecp/15.1.2507.6/themes/default/x.aspx",
	        EX "ClientAccess/ecp/15.1.2507.6/exporttool/x.ashx",
	        EX "ClientAccess/ecp/15.1.2507.6/x.aspx",
	        EX "ClientAccess/ecp/scripts/x.aspx",
	        EX "ClientAccess/ecp/images/x.ascx",
	        EX "ClientAccess/Owa/fonts/x.cshtml",
	        EX "ClientAccess/Owa/css/x.svc",
	        EX "ClientAccess/Owa/img/x.asp",
	        "Program Files/Microsoft/Exchange Server/V14/ClientAccess/Owa/14.3.123.4/themes/base/x.aspx",
	        "V15/FrontEnd/HttpProxy/ecp/15.1.2176/scripts/x.aspx",
	        "V15/FrontEnd/HttpProxy/ecp/auth/15.1.2507.6/x.aspx",
	        "V15/FrontEnd/HttpProxy/owa/auth/15.1.2507.6/themes/resources/x.aspx",
	        "V15/FrontEnd/HttpProxy/OAB/Resources/x.aspx",
	        "inetpub/wwwroot/owa/15.1.2507.6/scripts/x.aspx",
	};
	/* what a real Exchange server has in its web applications */
	static const char *const legitimate[] = {
	        EX "ClientAccess/ecp/default.aspx",
	        EX "ClientAccess/ecp/About.aspx",
	        EX "ClientAccess/ecp/Reporting/AdminAuditLogSearch.aspx",
	        EX "ClientAccess/ecp/PersonalSettings/HomePage.aspx",
	        EX "ClientAccess/ecp/DDI/DDIService.svc",
	        EX "ClientAccess/ecp/LegacyNotificationHandler.ashx",
	        EX "ClientAccess/ecp/web.config",
	        EX "ClientAccess/ecp/15.1.2507.6/web.config",
	        EX "ClientAccess/Owa/prem/15.1.2507.6/scripts/boot.worker.js",
	        EX "ClientAccess/Owa/prem/15.1.2507.6/resources/themes/base/owa.css",
	        EX "ClientAccess/Owa/prem/15.1.2507.6/resources/images/0/sprite1.mouse.png",
	        EX "ClientAccess/ecp/15.1.2507.6/exporttool/"
	           "microsoft.exchange.ediscovery.exporttool.application",
	        EX "ClientAccess/Owa/service.svc",
	        EX "ClientAccess/Owa/projection.aspx",
	        EX "ClientAccess/Owa/web.config",
	        EX "ClientAccess/Autodiscover/Autodiscover.xml",
	        EX "ClientAccess/exchweb/ews/Exchange.asmx",
	        EX "ClientAccess/Sync/web.config",
	        EX "FrontEnd/HttpProxy/owa/auth/15.1.2507.6/themes/resources/favicon.ico",
	        EX "FrontEnd/HttpProxy/owa/auth/15.1.2507.6/scripts/premium/flogon.js",
	        EX "FrontEnd/HttpProxy/owa/auth/logon.aspx",
	        EX "FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx",
	        EX "FrontEnd/HttpProxy/owa/web.config",
	        /* a version-like file name is not a folder, and folders that only
	         * look alike are not asset folders */
	        EX "ClientAccess/ecp/15.1.2507.6.aspx",
	        EX "ClientAccess/ecp/Scripts2/x.aspx",
	        EX "ClientAccess/ecp/v15.1.2507.6/x.aspx",
	        EX "ClientAccess/ecp/15.1/x.aspx",
	        EX "ClientAccess/ecp/1.2.3.4.5/x.aspx",
	        /* other sites: their own layouts (themes of a CMS, handlers that draw
	         * images) are not Exchange's */
	        "inetpub/wwwroot/blog/themes/standard/site.master",
	        "inetpub/wwwroot/shop/images/thumbnail.ashx",
	        "inetpub/wwwroot/Scripts/x.aspx",
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(out_of_place) / sizeof(out_of_place[0]); i++) {
		why = NULL;
		if (exs_walk_location_score(NULL, out_of_place[i], &why) != 60)
			fail_msg("not flagged: %s", out_of_place[i]);
		assert_non_null(why);
	}
	for (size_t i = 0; i < sizeof(legitimate) / sizeof(legitimate[0]); i++)
		if (exs_walk_location_score(NULL, legitimate[i], &why) != 0)
			fail_msg("flagged: %s (%s)", legitimate[i], why);
	why = NULL;
	exs_walk_location_score(NULL, EX "ClientAccess/Owa/prem/15.1.2507.6/scripts/x.aspx", &why);
	assert_non_null(strstr(why, "static-asset folder"));
}

static void mkdirs(const char *base, const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (p = path + strlen(base) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
}

static void rmtree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void layout_case_insensitive(void **state)
{
	char tmpl[] = "/tmp/exscan-unit-layout.XXXXXX";
	struct exs_walk_layout l;
	struct exs_error err = {{0}};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	mkdirs(tmpl, "PROGRAM FILES/microsoft/Exchange Server/v14/ClientAccess");
	mkdirs(tmpl, "InetPub/wwwroot");
	mkdirs(tmpl, "windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files");
	mkdirs(tmpl, "programdata");
	fd = open(tmpl, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(exs_walk_layout_detect(fd, NULL, &l, &err), 0);
	assert_true(l.exchange);
	assert_string_equal(l.version, "V14");
	assert_string_equal(l.exchange_dir, "PROGRAM FILES/microsoft/Exchange Server/v14");
	assert_string_equal(l.inetpub, "InetPub");
	assert_string_equal(l.temp_aspnet,
	                    "windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files");
	assert_string_equal(l.programdata, "programdata");
	assert_null(l.logging);
	assert_false(l.web_root);
	exs_walk_layout_release(&l);

	/* an override that is not there is an error naming it */
	assert_int_equal(exs_walk_layout_detect(fd, "no/such", &l, &err), -1);
	assert_non_null(strstr(err.msg, "no/such"));
	exs_walk_layout_release(&l);
	close(fd);
	rmtree(tmpl);
}

static void layout_plain_directory(void **state)
{
	char tmpl[] = "/tmp/exscan-unit-layout.XXXXXX";
	struct exs_walk_layout l;
	struct exs_error err = {{0}};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	mkdirs(tmpl, "site/pages");
	fd = open(tmpl, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(exs_walk_layout_detect(fd, NULL, &l, &err), 0);
	assert_false(l.exchange);
	assert_null(l.inetpub);
	assert_true(l.web_root);
	exs_walk_layout_release(&l);
	/* the root can be the V15 directory itself */
	mkdirs(tmpl, "FrontEnd/HttpProxy/owa");
	assert_int_equal(exs_walk_layout_detect(fd, NULL, &l, &err), 0);
	assert_true(l.exchange);
	assert_string_equal(l.exchange_dir, "");
	exs_walk_layout_release(&l);
	close(fd);
	rmtree(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(web_extensions),
	        cmocka_unit_test(location_scores),
	        cmocka_unit_test(location_static_asset_folders),
	        cmocka_unit_test(layout_case_insensitive),
	        cmocka_unit_test(layout_plain_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
