/* The walk's prefilter against YARA itself: the built-in rules compiled by
 * libyara, real buffers scanned whole and scanned through the prefilter's
 * windows, and the matches (rules, and each string's first offset) compared.
 * Shells are planted in random binaries at random offsets, in UTF-16 too, at
 * the head (conditions read uint16(0)), at the very end, and with the atom
 * far from where the match starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/yara_ranges.h"
#include "walk/prefilter.h"

static YR_RULES *builtin;

static int compile(const char *const *texts, size_t n, YR_RULES **out)
{
	static const char *const ext[] = {"filename", "filepath", "extension", "filetype", "owner"};
	YR_COMPILER *c = NULL;
	int rc = -1;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return -1;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		yr_compiler_define_string_variable(c, ext[i], "");
	for (size_t i = 0; i < n; i++)
		if (yr_compiler_add_string(c, texts[i], NULL) != 0)
			goto out;
	rc = yr_compiler_get_rules(c, out) == ERROR_SUCCESS ? 0 : -1;
out:
	yr_compiler_destroy(c);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *t;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	t = malloc((size_t)n + 1);
	if (t && fread(t, 1, (size_t)n, f) != (size_t)n) {
		free(t);
		t = NULL;
	}
	if (t)
		t[n] = '\0';
	fclose(f);
	return t;
}

static int setup(void **state)
{
	const char *src = getenv("EXSCAN_SRCDIR");
	char path[4096];
	char *texts[2] = {NULL, NULL};
	int rc = -1;

	(void)state;
	if (!src || yr_initialize() != ERROR_SUCCESS)
		return -1;
	snprintf(path, sizeof(path), "%s/rules/webshells.yar", src);
	texts[0] = slurp(path);
	snprintf(path, sizeof(path), "%s/rules/exchange.yar", src);
	texts[1] = slurp(path);
	if (texts[0] && texts[1])
		rc = compile((const char *const *)texts, 2, &builtin);
	free(texts[0]);
	free(texts[1]);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	if (builtin)
		yr_rules_destroy(builtin);
	yr_finalize();
	return 0;
}

/* ---- a scan through given ranges (tests/common/yara_ranges.h) ---- */

static void scan(const uint8_t *p, size_t n, const struct exs_range *r, size_t nr,
                 struct ranges_result *out)
{
	YR_SCANNER *sc;

	assert_int_equal(yr_scanner_create(builtin, &sc), ERROR_SUCCESS);
	yr_scanner_set_flags(sc, SCAN_FLAGS_FAST_MODE);
	assert_int_equal(ranges_scan(sc, p, n, r, nr, out), ERROR_SUCCESS);
	yr_scanner_destroy(sc);
}

/* ---- planted buffers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

#define SPACES_30 "                              "
#define SPACES_300                                                                                 \
	SPACES_30 SPACES_30 SPACES_30 SPACES_30 SPACES_30 SPACES_30 SPACES_30 SPACES_30 SPACES_30  \
	        SPACES_30

/* Code a shell holds, one capability each; some spell the atom YARA picks
 * far after where the match starts (the <script ... runat gap). */
static const char *const snippets[] = {
        "<%@ Page Language=\"C#\" %><% var p = new System.Diagnostics.ProcessStartInfo("
        "\"cmd.exe\", \"/c \" + Request[\"c\"]); p.RedirectStandardOutput = true; "
        "System.Diagnostics.Process.Start(p); %>",
        "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"z\"],\"unsafe\");%>",
        "<script language=\"c#\"                                                "
        "runat=\"server\">void Page_Load(){ System.IO.File.WriteAllText(Request[\"p\"], "
        "Request[\"d\"]); }</script>",
        "<% Set s = Server.CreateObject(\"WScript.Shell\") : s.Exec(\"cmd /c \" & "
        "Request(\"c\")).StdOut.ReadAll %>",
        "System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form[\"k\"]))"
        ".CreateInstance(\"U\").Equals(this); <%@ Page %> System.Web",
        /* nothing but the tag: the atom is the only one within reach */
        "<script                                                                       "
        "runat = server>",
        "<script\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
        "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
        "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t runat='server'",
        /* the atom (Process) far after the match's start (new), further than
         * windows are merged over */
        "System.Web cmd.exe var p = new" SPACES_300 "Process();",
        "App_Web_q1w2e3r4 /aspnet_client/system_web/x.aspx JScriptEvaluate get_Request "
        "Microsoft.JScript",
        "ExternalUrl: http://f/<script language=\"JScript\" runat=\"server\">function "
        "Page_Load(){eval(Request[\"o\"],\"unsafe\");}</script> InternalUrl "
        "InternalAuthenticationMethods OfflineAddressBooks",
};

static size_t plant(uint8_t *p, size_t n, size_t at, const char *s, bool wide)
{
	size_t len = strlen(s), need = wide ? 2 * len : len;

	if (at > n || n - at < need)
		at = n - need;
	for (size_t i = 0; i < len; i++) {
		if (wide) {
			p[at + 2 * i] = (uint8_t)s[i];
			p[at + 2 * i + 1] = 0;
		} else {
			p[at + i] = (uint8_t)s[i];
		}
	}
	return at;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Random binaries with shells planted anywhere: the windows give exactly
 * the matches of a whole scan, and leave most of the bytes out. */
static void test_same_matches_as_whole_scan(void **state)
{
	struct exs_prefilter *pf = exs_prefilter_new(builtin);
	struct exs_ranges w = {0};
	size_t sparse = 0, matched = 0, covered = 0, total = 0;

	(void)state;
	assert_non_null(pf);
	assert_true(exs_prefilter_atoms(pf) > 100);
	for (int trial = 0; trial < 240; trial++) {
		size_t n = EXS_PREFILTER_MIN_SIZE + rnd() % (900u << 10);
		uint8_t *p = malloc(n);
		struct ranges_result full, part;
		int k = (int)(rnd() % 4);

		assert_non_null(p);
		fill_random(p, n);
		/* headers conditions read: MZ (App_Web DLLs), !BDN (PST), none */
		if (trial % 3 == 0)
			memcpy(p, "MZ", 2);
		else if (trial % 3 == 1)
			memcpy(p, "!BDN", 4);
		for (int j = 0; j < k; j++) {
			size_t where;

			switch (rnd() % 5) {
			case 0:
				where = 4096 - rnd() % 64; /* across the head's edge */
				break;
			case 1:
				where = n; /* at the very end */
				break;
			case 2:
				/* where the filter checks density */
				where = (1 + rnd() % (n / 16384)) * 16384 - rnd() % 40;
				break;
			default:
				where = rnd() % n;
			}
			plant(p, n, where, snippets[rnd() % (sizeof(snippets) / sizeof(*snippets))],
			      rnd() % 3 == 0);
		}
		scan(p, n, NULL, 0, &full);
		if (exs_prefilter_windows(pf, p, n, &w)) {
			sparse++;
			for (size_t i = 0; i < w.n; i++) {
				assert_true(w.items[i].start < w.items[i].end);
				assert_true(w.items[i].end <= n);
				if (i)
					assert_true(w.items[i].start > w.items[i - 1].end);
			}
			assert_int_equal(w.items[0].start, 0); /* the head is always read */
			covered += exs_ranges_covered(&w);
			total += n;
			scan(p, n, w.items, w.n, &part);
		} else {
			scan(p, n, NULL, 0, &part);
		}
		if (strcmp(full.text, part.text) != 0)
			fail_msg("trial %d (%zu bytes): whole scan [%s], windows [%s]", trial, n,
			         full.text, part.text);
		matched += full.len > 0;
		free(p);
	}
	/* most random binaries are read in part, and matches were compared */
	assert_true(sparse > 200);
	assert_true(matched > 60);
	assert_true(covered < total / 4);
	exs_ranges_release(&w);
	exs_prefilter_free(pf);
}

/* Small files, and text that names the rules' words everywhere, are read
 * whole: windows would not pay. */
static void test_whole_when_windows_do_not_pay(void **state)
{
	struct exs_prefilter *pf = exs_prefilter_new(builtin);
	struct exs_ranges w = {0};
	size_t n = 1u << 20;
	char *t = malloc(n);

	(void)state;
	assert_non_null(pf);
	assert_non_null(t);
	fill_random((uint8_t *)t, 4096);
	assert_false(exs_prefilter_windows(pf, (uint8_t *)t, 4096, &w));
	for (size_t i = 0; i < n; i++)
		t[i] = "Response.Write(Request.Form[\"x\"]); // the server directory context\n"[i %
		                                                                                68];
	assert_false(exs_prefilter_windows(pf, (uint8_t *)t, n, &w));
	assert_int_equal(w.n, 0);
	free(t);
	exs_ranges_release(&w);
	exs_prefilter_free(pf);
}

/* Rules the windows cannot bound get no prefilter: a one-byte atom, a hex
 * string with a jump, a string with no atom at all. */
static void test_no_prefilter_for_unbounded_rules(void **state)
{
	static const char *const one_byte[] = {"rule a { strings: $a = /x[0-9]{3}/ "
	                                       "condition: $a }"};
	static const char *const hex_jump[] = {"rule h { strings: $h = { 4D 5A 90 00 [0-] 50 45 "
	                                       "00 00 } condition: $h }"};
	static const char *const no_atom[] = {"rule r { strings: $r = /[a-z]+[0-9]/ "
	                                      "condition: $r }"};
	static const char *const literal[] = {"rule l { strings: $l = \"ProcessStartInfo\" "
	                                      "ascii wide nocase condition: $l }"};
	const char *const *sets[] = {one_byte, hex_jump, no_atom};
	struct exs_prefilter *pf;
	YR_RULES *r;

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		assert_int_equal(compile(sets[i], 1, &r), 0);
		pf = exs_prefilter_new(r);
		if (pf)
			fail_msg("rules %zu (%s) got a prefilter", i, sets[i][0]);
		yr_rules_destroy(r);
	}
	assert_int_equal(compile(literal, 1, &r), 0);
	pf = exs_prefilter_new(r);
	assert_non_null(pf);
	assert_true(exs_prefilter_atoms(pf) >= 2); /* ascii and wide, case variants */
	exs_prefilter_free(pf);
	yr_rules_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_matches_as_whole_scan),
	        cmocka_unit_test(test_whole_when_windows_do_not_pay),
	        cmocka_unit_test(test_no_prefilter_for_unbounded_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
