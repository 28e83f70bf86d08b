/* Fingerprint extractors: OWA asset paths, the export tool manifest, page
 * markers, header lines; TLS facts of a certificate made here. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "exscan/probe.h"

static void version_is(const char *page, const char *want)
{
	struct exs_version v;
	char got[48];

	if (exs_fp_owa_asset_version(page, strlen(page), &v))
		fail_msg("no version found in '%s'", page);
	exs_version_format(&v, got, sizeof(got));
	assert_string_equal(got, want);
}

static void asset_paths(void **state)
{
	struct exs_version v;
	const char *none[] = {
	        "<link href=\"/owa/auth/Current/themes/resources/x.css\">",
	        "/owa/auth/15.1./x",
	        "/owa/15.1.2176",         /* no closing slash */
	        "/owa/auth/1.2.3/x",      /* not an Exchange major */
	        "/owa/auth/15.01.2176/x", /* leading zero */
	        "",
	        "/owa/",
	        "/owa/auth/",
	};

	(void)state;
	version_is("<link rel=\"shortcut icon\" href=\"/owa/auth/15.1.2176/themes/resources/"
	           "favicon.ico\">",
	           "15.1.2176");
	version_is("src=\"/owa/14.3.123.4/scripts/x.js\"", "14.3.123.4");
	version_is("/OWA/AUTH/15.2.1118/themes", "15.2.1118");
	version_is("/owa/auth/Current/x /owa/auth/15.0.1497/y", "15.0.1497");
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (exs_fp_owa_asset_version(none[i], strlen(none[i]), &v) == 0)
			fail_msg("found a version in '%s'", none[i]);
}

static void manifest(void **state)
{
	static const char good[] =
	        "<?xml version=\"1.0\"?><asmv1:assembly><assemblyIdentity name=\"other\" "
	        "version=\"1.0.0.0\"/>\n<assemblyIdentity\n name='Microsoft.Exchange.EDiscovery."
	        "ExportTool.application' version = '15.2.986.5' publicKeyToken=\"b1d1\" />";
	static const char three[] = "<assemblyIdentity name=\"microsoft.exchange.ediscovery."
	                            "exporttool.application\" version=\"15.2.986\" />";
	static const char unterminated[] = "<assemblyIdentity name=\"microsoft.exchange.ediscovery."
	                                   "exporttool\" version=\"15.2.986.5";
	struct exs_version v;
	char got[48];

	(void)state;
	assert_int_equal(exs_fp_manifest_version(good, strlen(good), &v), 0);
	assert_string_equal(exs_version_format(&v, got, sizeof(got)), "15.2.986.5");
	assert_int_equal(exs_fp_manifest_version(three, strlen(three), &v), -1);
	assert_int_equal(exs_fp_manifest_version(unterminated, strlen(unterminated), &v), -1);
	assert_int_equal(exs_fp_manifest_version(good, 60, &v), -1); /* bounded by n */
}

static void markers_and_headers(void **state)
{
	static const char page[] = "<html><head><title>Outlook Web App</title></head>"
	                           "<script>function IsOwaPremiumBrowser(){}</script>"
	                           "<!-- OwaPage = ASP.auth_logon_aspx --></html>";
	const char *v;
	size_t n;
	char names[256];

	(void)state;
	assert_int_equal(exs_fp_page_markers(page, strlen(page)),
	                 EXS_OWA_MARK_OWAPAGE | EXS_OWA_MARK_TITLE | EXS_OWA_MARK_PREMIUM);
	assert_int_equal(exs_fp_page_markers("<title>Welcome</title>", 22), 0);
	assert_int_equal(exs_fp_page_markers("<title>Outlook", 14), 0); /* unclosed title */
	exs_fp_marker_names(EXS_OWA_MARK_TITLE | EXS_OWA_MARK_OWA_VERSION, names, sizeof(names));
	assert_string_equal(names, "outlook-title,x-owa-version");
	exs_fp_marker_names(~0u, names, sizeof(names));
	assert_string_equal(names, "owa-page-comment,outlook-title,owa-premium-script,owa-cookie,"
	                           "x-owa-version,x-feserver,owa-asset-path,exporttool-manifest,"
	                           "ntlm-ews,autodiscover,catch-all");
	/* a copied logon page is no Exchange behaviour; two headers are */
	assert_int_equal(exs_fp_evidence_count(EXS_OWA_MARK_OWAPAGE | EXS_OWA_MARK_TITLE |
	                                       EXS_OWA_MARK_PREMIUM | EXS_OWA_MARK_COOKIE |
	                                       EXS_OWA_MARK_ASSET_PATH | EXS_OWA_MARK_CATCH_ALL),
	                 0);
	assert_int_equal(exs_fp_evidence_count(EXS_OWA_MARK_OWA_VERSION | EXS_OWA_MARK_FESERVER),
	                 2);
	assert_int_equal(exs_fp_evidence_count(EXS_OWA_MARK_NTLM | EXS_OWA_MARK_AUTODISCOVER |
	                                       EXS_OWA_MARK_MANIFEST | EXS_OWA_MARK_ASSET_PATH),
	                 3);

	assert_int_equal(exs_fp_header_value("x-owa-version:  15.2.986.36 \r\n", 30,
	                                     "X-OWA-Version", &v, &n),
	                 0);
	assert_int_equal(n, 11);
	assert_memory_equal(v, "15.2.986.36", 11);
	assert_int_equal(exs_fp_header_value("X-OWA-Versions: 1\r\n", 19, "X-OWA-Version", &v, &n),
	                 -1);
	assert_int_equal(exs_fp_header_value("X-OWA", 5, "X-OWA-Version", &v, &n), -1);
}

static void benign_corpus_is_not_owa(void **state)
{
	const char *src = getenv("EXSCAN_SRCDIR");
	char dir[4096];
	DIR *d;
	struct dirent *e;
	int files = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/corpus/benign", src ? src : ".");
	d = opendir(dir);
	if (!d) {
		/* not cmocka's skip(): its "not ok # SKIP" counts as a failure in
		 * tools/run-tests.sh; say so and pass */
		print_message("# SKIP benign corpus: %s not present\n", dir);
		return;
	}
	while ((e = readdir(d))) {
		char path[8192];
		FILE *f;
		char *buf = malloc(1 << 20);
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = e->d_name[0] != '.' ? fopen(path, "rb") : NULL;
		if (!f || !buf) {
			if (f)
				fclose(f);
			free(buf);
			continue;
		}
		n = fread(buf, 1, 1 << 20, f);
		fclose(f);
		if (exs_fp_page_markers(buf, n) & EXS_OWA_MARK_OWAPAGE)
			fail_msg("%s looks like an OWA logon page", path);
		files++;
		free(buf);
	}
	closedir(d);
	assert_true(files > 0);
}

static void tls_facts(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	struct exs_tls_facts t;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 10);
	X509_gmtime_adj(X509_getm_notAfter(x), -86400L);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"mail.corp.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	                          "DNS:mail.corp.example,DNS:*.corp.example,IP:192.0.2.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());

	memset(&t, 0, sizeof(t));
	assert_int_equal(exs_tls_facts_from_cert(x, "owa.corp.example", now, &t), 0);
	assert_string_equal(t.subject, "CN=mail.corp.example");
	assert_int_equal(t.n_sans, 3);
	assert_string_equal(t.sans[1], "DNS:*.corp.example");
	assert_string_equal(t.sans[2], "IP:192.0.2.1");
	assert_true(t.expired);
	assert_true(t.self_signed);
	assert_true(t.name_match); /* through the wildcard */
	assert_string_equal(t.key_type, "EC");
	assert_int_equal(t.key_bits, 256);
	assert_int_equal(strlen(t.sha256), 64);
	exs_tls_facts_release(&t);
	assert_int_equal(exs_tls_facts_from_cert(x, "other.example", now, &t), 0);
	assert_false(t.name_match);
	assert_false(t.bad_signature);
	exs_tls_facts_release(&t);

	/* self-issued but signed by another key: not self-signed, a bad signature */
	{
		EVP_PKEY *other = EVP_EC_gen("P-256");

		assert_non_null(other);
		X509_sign(x, other, EVP_sha256());
		assert_int_equal(exs_tls_facts_from_cert(x, "mail.corp.example", now, &t), 0);
		assert_false(t.self_signed);
		assert_true(t.bad_signature);
		exs_tls_facts_release(&t);
		EVP_PKEY_free(other);
	}
	X509_free(x);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(asset_paths),         cmocka_unit_test(manifest),
	        cmocka_unit_test(markers_and_headers), cmocka_unit_test(benign_corpus_is_not_owa),
	        cmocka_unit_test(tls_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
