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
	        cmocka_unit_test(layout_case_insensitive),
	        cmocka_unit_test(layout_plain_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
