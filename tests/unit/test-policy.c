/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy loading: every error names file:line; overrides; protected rules. */
#include "tv-engine-test.h"

#include <sys/stat.h>

static char *plugin_dir;

static int suite_init(void)
{
	static const char *const names[] = {
		"mock",
		"mock-anchor",
		"mock-badabi",
		"mock-nosym",
		"mock-nullverify",
		"mock-failopen",
		"mock-liaropen",
		"mock-wrongname",
		"system",
		NULL,
	};
	plugin_dir = tv_test_plugin_dir(names);
	return 0;
}

static int suite_clean(void)
{
	g_free(plugin_dir);
	return 0;
}

#define ANCHOR                                                                 \
	"{ use = \"mock-anchor\"; control = \"required\"; verdict = "          \
	"\"pass\"; }"

/* Each case: one file 50-test.conf; the error must contain @want with
 * the file's path prefix replaced by "@". */
static const struct {
	const char *name;
	const char *conf;
	const char *want;
} errors[] = {
	{"syntax", "endpoints = ( { name = \"a\"\n", "@:2: syntax error"},
	{"unknown-top-key", "\nfoo = 1;\n", "@:2: unknown top-level key 'foo'"},
	{"unknown-endpoint-key",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"];\n"
	 " hostz = 1; chain = ( " ANCHOR " ); } );\n",
	 "@:2: unknown endpoint key 'hostz'"},
	{"wrong-type",
	 "endpoints = ( {\n name = 5; hosts = [\"a.test\"]; chain = (); } );\n",
	 "@:2: key 'name' must be a string, not an integer"},
	{"unknown-control",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock\"; control = \"sufficent\"; } ); } );\n",
	 "@:2: unknown control 'sufficent'"},
	{"bad-host",
	 "endpoints = ( { name = \"a\";\n hosts = [\"*.com\"]; chain = (); } "
	 ");\n",
	 "@:2: bad host pattern '*.com'"},
	{"duplicate-name",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (); },\n"
	 " { name = \"a\"; hosts = [\"b.test\"]; chain = (); } );\n",
	 "@:2: duplicate endpoint name 'a' (first at line 1)"},
	{"insecure-needs-expires",
	 "endpoints = (\n { name = \"dev\"; hosts = [\"dev.test\"];\n"
	 " insecure_skip_verify = true; reason = \"x\"; } );\n",
	 "@:2: endpoint 'dev': insecure_skip_verify needs 'reason' and "
	 "'expires'"},
	{"protected-insecure",
	 "endpoints = ( { name = \"p\"; protected = true; hosts = "
	 "[\"p.test\"];\n"
	 " insecure_skip_verify = true; reason = \"x\"; expires = "
	 "\"2030-01-01\"; } );\n",
	 "@:1: endpoint 'p' is protected: insecure_skip_verify is not allowed"},
	{"protected-no-hostname",
	 "endpoints = ( { name = \"p\"; protected = true; hosts = "
	 "[\"p.test\"];\n"
	 " verify_hostname = false; chain = ( " ANCHOR " ); } );\n",
	 "@:1: endpoint 'p' is protected: verify_hostname = false"},
	{"no-chain",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; } );\n",
	 "@:1: endpoint 'a' has no 'chain'"},
	{"bad-endpoint-name",
	 "endpoints = ( { name = \"Bad Name\"; hosts = [\"a.test\"]; chain = "
	 "(); } );\n",
	 "@:1: invalid endpoint name 'Bad Name'"},
	{"defaults-unknown-key",
	 "defaults = {\n  verify_hostnames = true; };\n",
	 "@:2: unknown key 'verify_hostnames' in defaults"},
	{"max-chain-length-range", "defaults = { max_chain_length = 0; };\n",
	 "@:1: max_chain_length 0 out of range"},
	{"bad-expires",
	 "endpoints = ( { name = \"d\"; hosts = [\"d.test\"]; "
	 "insecure_skip_verify = true;\n"
	 " reason = \"r\"; expires = \"next week\"; } );\n",
	 "@:2: key 'expires': invalid time 'next week'"},
	{"reason-without-insecure",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; reason = \"r\"; "
	 "chain = (); } );\n",
	 "@:1: endpoint 'a': key 'reason' only applies to "
	 "insecure_skip_verify"},
	{"client-plugin-without-credentials",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = ();\n"
	 " client = { use = \"mock\"; verdict = \"pass\"; }; } );\n",
	 "@:2: plugin 'mock' cannot present a client certificate"},
	{"client-with-control",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = ();\n"
	 " client = { use = \"mock\";\n control = \"required\"; }; } );\n",
	 "@:3: client takes no 'control'"},
	{"bad-probe",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = ();\n"
	 " probe = \"*.a.test:443\"; } );\n",
	 "@:2: probe '*.a.test:443' must be host or host:port"},
	{"unknown-plugin",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"nosuch\"; control = \"required\"; } ); } );\n",
	 "@:2: plugin 'nosuch' not found"},
	{"plugin-unknown-setting",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock\"; control = \"required\"; verdict = \"pass\";\n"
	 "   verdikt = \"fail\"; } ); } );\n",
	 "@:3: unknown key 'verdikt' for plugin 'mock'"},
	{"plugin-wrong-setting-type",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock\"; control = \"required\";\n verdict = 1; } ); } "
	 ");\n",
	 "@:3: key 'verdict' must be a string, not an integer"},
	{"shadow-protected",
	 "endpoints = ( { name = \"p\"; protected = true; hosts = "
	 "[\"*.p.test\"];\n"
	 " chain = ( " ANCHOR " ); },\n"
	 " { name = \"x\"; hosts = [\n \"api.p.test\" ]; chain = ( " ANCHOR
	 " ); } );\n",
	 "@:4: host 'api.p.test' of endpoint 'x' shadows '*.p.test' of "
	 "protected endpoint 'p'"},
	{"insecure-official-ai",
	 "endpoints = ( { name = \"oops\"; hosts = [\"api.openai.com\"];\n"
	 " insecure_skip_verify = true; reason = \"r\"; expires = "
	 "\"2030-01-01\"; } );\n",
	 "@:2: endpoint 'oops' host 'api.openai.com' covers the official AI "
	 "endpoint 'api.openai.com': insecure_skip_verify is not allowed"},
	{"insecure-star",
	 "endpoints = ( { name = \"all\"; hosts = [\"*\"];\n"
	 " insecure_skip_verify = true; reason = \"r\"; expires = "
	 "\"2030-01-01\"; } );\n",
	 "@:2: endpoint 'all' host '*' covers the official AI endpoint"},
	{"no-anchor-official-ai",
	 "endpoints = ( { name = \"a\"; hosts = [\"*.azure.com\"]; chain = (\n"
	 " { use = \"mock\"; control = \"required\"; verdict = \"pass\"; } ); "
	 "} );\n",
	 "a chain without a trust-anchor step is not allowed there"},
	{"duplicate-host",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = ( " ANCHOR
	 " ); },\n"
	 " { name = \"b\"; hosts = [\"A.test.\"]; chain = ( " ANCHOR
	 " ); } );\n",
	 "@:2: host 'A.test.' of endpoint 'b' is already claimed by endpoint "
	 "'a' (@:1)"},
	{"protected-needs-anchor",
	 "endpoints = ( { name = \"p\"; protected = true; hosts = "
	 "[\"p.test\"];\n"
	 " chain = ( { use = \"mock\"; control = \"required\"; verdict = "
	 "\"pass\"; } ); } );\n",
	 "@:1: endpoint 'p' is protected: its chain needs a trust-anchor step"},
	{"plugin-open-fails",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-failopen\"; control = \"required\"; } ); } );\n",
	 "@:2: plugin 'mock-failopen' failed to open: mock open failure"},
	{"plugin-open-fails-silently",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-liaropen\"; control = \"required\"; } ); } );\n",
	 "@:2: plugin 'mock-liaropen' failed to open: no reason given"},
	{"plugin-bad-abi",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-badabi\"; control = \"required\"; } ); } );\n",
	 "mock-badabi.so: ABI 99."},
	{"plugin-no-symbol",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-nosym\"; control = \"required\"; } ); } );\n",
	 "mock-nosym.so does not export tv_plugin_get_ops"},
	{"plugin-null-member",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-nullverify\"; control = \"required\"; } ); } );\n",
	 "mock-nullverify.so: required member 'verify' is NULL"},
	{"plugin-wrong-name",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"mock-wrongname\"; control = \"required\"; } ); } );\n",
	 "mock-wrongname.so calls itself 'somethingelse'"},
	{"plugin-bad-name",
	 "endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = (\n"
	 " { use = \"../evil\"; control = \"required\"; } ); } );\n",
	 "@:2: invalid plugin name '../evil'"},
};

static void test_errors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
		g_autofree char *dir =
			tv_test_conf("50-test.conf", errors[i].conf);
		g_autofree char *file =
			g_build_filename(dir, "50-test.conf", NULL);
		g_auto(GStrv) parts = g_strsplit(errors[i].want, "@", -1);
		g_autofree char *want = g_strjoinv(file, parts);
		GError *error = NULL;
		tv_engine *e = tv_engine_new(dir, plugin_dir, &error);
		bool ok = e == NULL && error != NULL &&
			  strstr(error->message, want) != NULL;

		if (!ok)
			fprintf(stderr, "case %s:\n  want: %s\n  got:  %s\n",
				errors[i].name, want,
				error ? error->message : "(loaded)");
		CU_ASSERT_TRUE(ok);
		tv_engine_free(e);
		g_clear_error(&error);
	}
}

static tv_verdict verdict_for(tv_engine *e, const char *host, int64_t t,
			      bool *skip)
{
	g_autoptr(tv_request) r = tv_test_request(host, "chain-good.pem");
	g_autoptr(tv_result) res = NULL;
	GError *error = NULL;

	tv_request_set_time(r, t);
	CU_ASSERT_TRUE_FATAL(tv_engine_verify(e, r, &res, &error));
	if (skip)
		*skip = tv_result_is_insecure_skip(res);
	return tv_result_get_verdict(res);
}

static void test_later_file_replaces(void)
{
	g_autofree char *dir = tv_test_conf(
		"10-a.conf",
		"endpoints = ( { name = \"good\"; hosts = "
		"[\"good.internal.test\"];\n"
		" chain = ( { use = \"mock-anchor\"; control = \"required\"; "
		"verdict = \"fail\"; } ); } );\n");
	GError *error = NULL;
	tv_engine *e;

	tv_test_write(dir, "20-b.conf",
		      "endpoints = ( { name = \"good\"; hosts = "
		      "[\"*.internal.test\"];\n"
		      " chain = ( " ANCHOR " ); } );\n");
	e = tv_engine_new(dir, plugin_dir, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(
		verdict_for(e, "good.internal.test", TV_TEST_TIME, NULL),
		TV_VERDICT_TRUSTED);
	tv_engine_free(e);
}

static void test_protected_cannot_be_replaced(void)
{
	g_autofree char *dir = tv_test_conf(
		"10-a.conf", "endpoints = ( { name = \"p\"; protected = true; "
			     "hosts = [\"p.test\"];\n"
			     " chain = ( " ANCHOR " ); } );\n");
	g_autofree char *file = NULL;
	GError *error = NULL;
	tv_engine *e;

	tv_test_write(dir, "20-b.conf",
		      "\nendpoints = ( { name = \"p\"; hosts = [\"p.test\"];\n"
		      " chain = ( " ANCHOR " ); } );\n");
	e = tv_engine_new(dir, plugin_dir, &error);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	file = g_strdup_printf(
		"20-b.conf:2: endpoint 'p' is protected "
		"(defined at %s/10-a.conf:1) and cannot be replaced",
		dir);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, file));
	g_clear_error(&error);
	tv_engine_free(e);
}

static void test_exception_lapses(void)
{
	g_autofree char *dir = tv_test_conf(
		"50-dev.conf",
		"endpoints = ( { name = \"dev\"; hosts = "
		"[\"good.internal.test\"];\n"
		" insecure_skip_verify = true; reason = \"dev box, OPS-42\";\n"
		" owner = \"platform\"; expires = \"2027-01-31\";\n"
		" chain = ( { use = \"mock-anchor\"; control = \"required\"; "
		"verdict = \"fail\"; } ); } );\n");
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugin_dir, &error);
	bool skip = false;
	int64_t before, after;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(tv_time_parse("2027-01-30T23:59:59Z", &before, NULL));
	CU_ASSERT_TRUE(tv_time_parse("2027-01-31T00:00:00Z", &after, NULL));
	CU_ASSERT_EQUAL(verdict_for(e, "good.internal.test", before, &skip),
			TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(skip);
	/* At expiry the exception lapses and the (failing) chain decides. */
	CU_ASSERT_EQUAL(verdict_for(e, "good.internal.test", after, &skip),
			TV_VERDICT_REJECTED);
	CU_ASSERT_FALSE(skip);
	tv_engine_free(e);
}

static void test_failed_reload_changes_nothing(void)
{
	g_autofree char *dir = tv_test_conf(
		"50-a.conf",
		"endpoints = ( { name = \"a\"; hosts = [\"*.internal.test\"];\n"
		" chain = ( " ANCHOR " ); } );\n");
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugin_dir, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	tv_test_write(dir, "60-broken.conf", "endpoints = ( {\n");
	CU_ASSERT_FALSE(tv_engine_reload(e, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_EQUAL(
		verdict_for(e, "good.internal.test", TV_TEST_TIME, NULL),
		TV_VERDICT_TRUSTED);

	/* A good reload takes effect. */
	tv_test_write(
		dir, "60-broken.conf",
		"endpoints = ( { name = \"a\"; hosts = [\"*.internal.test\"];\n"
		" chain = ( { use = \"mock-anchor\"; control = \"required\"; "
		"verdict = \"fail\"; } ); } );\n");
	CU_ASSERT_TRUE(tv_engine_reload(e, &error));
	CU_ASSERT_EQUAL(
		verdict_for(e, "good.internal.test", TV_TEST_TIME, NULL),
		TV_VERDICT_REJECTED);
	tv_engine_free(e);
}

static void test_writable_plugin_refused(void)
{
	static const char *const names[] = {"mock-anchor", NULL};
	g_autofree char *pdir = tv_test_plugin_dir(names);
	g_autofree char *so = g_build_filename(pdir, "mock-anchor.so", NULL);
	g_autofree char *dir = tv_test_conf(
		"50-a.conf",
		"endpoints = ( { name = \"a\"; hosts = [\"a.test\"];\n"
		" chain = ( " ANCHOR " ); } );\n");
	GError *error = NULL;
	tv_engine *e;

	chmod(so, 0777);
	e = tv_engine_new(dir, pdir, &error);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(error->message, "is writable by group or others"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, so));
	g_clear_error(&error);

	chmod(so, 0755);
	chmod(pdir, 0777);
	e = tv_engine_new(dir, pdir, &error);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "plugin directory"));
	g_clear_error(&error);
	chmod(pdir, 0755);
}

static void test_lint_warnings(void)
{
	g_autofree char *dir = tv_test_conf(
		"50-a.conf",
		"endpoints = ( { name = \"a\"; hosts = [\"a.test\"]; chain = "
		"(\n"
		" { use = \"mock-anchor\"; control = \"sufficient\"; verdict = "
		"\"pass\"; },\n"
		" { use = \"mock\"; control = \"required\"; verdict = "
		"\"pass\"; } ); },\n"
		" { name = \"b\"; hosts = [\"b.test\"]; chain = (); } );\n");
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugin_dir, &error);
	g_auto(GStrv) w = NULL;
	g_autofree char *all = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	w = tv_engine_dup_warnings(e);
	all = g_strjoinv("\n", w);
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "50-a.conf:3: endpoint 'a': step 2 "
					   "'mock' (required) comes after "
					   "sufficient step 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "endpoint 'b': empty chain"));
	tv_engine_free(e);
}

static void test_shipped_policy_loads(void)
{
	g_autofree char *dir =
		g_build_filename(tv_test_env("TV_SRCDIR"), "conf.d", NULL);
	GError *error = NULL;
	tv_engine *e =
		tv_engine_new(dir, tv_test_env("TV_BUILD_PLUGIN_DIR"), &error);

	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL(e);
	g_clear_error(&error);
	tv_engine_free(e);
}

/* A big fleet's policy: loads, and every endpoint is found by its host. */
static void test_hundred_thousand_endpoints(void)
{
	g_autoptr(GString) conf = g_string_new("endpoints = (\n");
	g_autofree char *dir = NULL;
	GError *error = NULL;
	tv_engine *e;
	static const char *const probes[] = {
		"h0.fleet.test", "h99999.fleet.test", "x.w99997.fleet.test"};
	static const char *const want[] = {"e0", "e99999", "w99997"};

	for (int i = 0; i < 100000; i++)
		g_string_append_printf(
			conf,
			"%s{ name = \"%s%d\"; hosts = [ \"%s%d.fleet.test\" ]; "
			"chain = ( " ANCHOR " ); }\n",
			i ? "," : "", i % 2 && i % 3 == 1 ? "w" : "e", i,
			i % 2 && i % 3 == 1 ? "*.w" : "h", i);
	g_string_append(conf, ");\n");
	dir = tv_test_conf("50-fleet.conf", conf->str);
	e = tv_engine_new(dir, plugin_dir, &error);
	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
		g_autoptr(tv_request) r =
			tv_test_request(probes[i], "chain-good.pem");
		g_autoptr(tv_result) res = NULL;

		CU_ASSERT_TRUE(tv_engine_verify(e, r, &res, NULL));
		CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(res), want[i]);
	}
	tv_engine_free(e);
}

static CU_TestInfo tests[] = {
	{"/policy/hundred-thousand-endpoints", test_hundred_thousand_endpoints},
	{"/policy/errors-name-file-and-line", test_errors},
	{"/policy/later-file-replaces", test_later_file_replaces},
	{"/policy/protected-cannot-be-replaced",
	 test_protected_cannot_be_replaced},
	{"/policy/exception-lapses", test_exception_lapses},
	{"/policy/failed-reload-changes-nothing",
	 test_failed_reload_changes_nothing},
	{"/policy/writable-plugin-refused", test_writable_plugin_refused},
	{"/policy/lint-warnings", test_lint_warnings},
	{"/policy/shipped-policy-loads", test_shipped_policy_loads},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"policy", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
