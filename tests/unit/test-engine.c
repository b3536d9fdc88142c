/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine end to end with mock plugins: PAM chains, core checks, trace. */
#include "tv-engine-test.h"

#include <json-glib/json-glib.h>

static char *plugin_dir;

static int suite_init(void)
{
	static const char *const names[] = {"mock", "mock-anchor",
					    "mock-badverdict", "system", NULL};
	plugin_dir = tv_test_plugin_dir(names);
	return 0;
}

static int suite_clean(void)
{
	g_free(plugin_dir);
	return 0;
}

static tv_engine *engine_for(const char *conf)
{
	g_autofree char *dir = tv_test_conf("50-test.conf", conf);
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugin_dir, &error);

	if (e == NULL)
		fprintf(stderr, "engine: %s\n", error->message);
	g_clear_error(&error);
	return e;
}

static tv_result *verify(tv_engine *e, const char *host, const char *file,
			 tv_purpose purpose)
{
	g_autoptr(tv_request) r = tv_test_request(host, file);
	tv_result *res = NULL;
	GError *error = NULL;

	tv_request_set_purpose(r, purpose);
	if (!tv_engine_verify(e, r, &res, &error)) {
		fprintf(stderr, "verify: %s\n", error->message);
		g_error_free(error);
	}
	return res;
}

#define STEP(use, control, verdict)                                            \
	"{ use = \"" use "\"; control = \"" control "\"; verdict = \"" verdict \
	"\"; reasons = [\"revoked\"]; }"

/* Chains of mocks on the good chain (core checks pass). */
static const struct {
	const char *name;
	const char *chain;
	tv_verdict verdict;
	uint32_t reasons;
	size_t trace_steps; /* plugin lines before the core checks */
} chains[] = {
	{"required-pass", STEP("mock-anchor", "required", "pass"),
	 TV_VERDICT_TRUSTED, 0, 1},
	{"required-fail", STEP("mock-anchor", "required", "fail"),
	 TV_VERDICT_REJECTED, TV_REASON_REVOKED, 1},
	{"required-unavail-fails",
	 "{ use = \"mock-anchor\"; control = \"required\"; verdict = "
	 "\"unavail\"; }",
	 TV_VERDICT_REJECTED, TV_REASON_SOURCE_UNAVAILABLE, 1},
	{"ignore-alone-is-no-decision",
	 STEP("mock-anchor", "required", "ignore"), TV_VERDICT_REJECTED,
	 TV_REASON_NO_DECISION, 1},
	{"requisite-stops",
	 STEP("mock-anchor", "requisite",
	      "fail") ", " STEP("mock", "sufficient", "pass"),
	 TV_VERDICT_REJECTED, TV_REASON_REVOKED, 1},
	{"sufficient-short-circuits",
	 STEP("mock-anchor", "sufficient", "pass") ", " STEP("mock", "required",
							     "fail"),
	 TV_VERDICT_TRUSTED, 0, 1},
	{"sufficient-fail-ignored",
	 STEP("mock", "sufficient", "fail") ", " STEP("mock-anchor", "required",
						      "pass"),
	 TV_VERDICT_TRUSTED, 0, 2},
	{"optional-fail-only-is-no-decision",
	 STEP("mock-anchor", "optional", "fail"), TV_VERDICT_REJECTED,
	 TV_REASON_NO_DECISION | TV_REASON_REVOKED, 1},
	{"optional-pass-alone-decides",
	 STEP("mock-anchor", "required", "ignore") ", " STEP("mock", "optional",
							     "pass"),
	 TV_VERDICT_TRUSTED, 0, 2},
	{"required-fail-not-rescued-by-sufficient",
	 STEP("mock-anchor", "required", "fail") ", " STEP("mock", "sufficient",
							   "pass"),
	 TV_VERDICT_REJECTED, TV_REASON_REVOKED, 2},
	{"invalid-verdict-is-failure",
	 "{ use = \"mock-badverdict\"; control = \"required\"; }, " STEP(
		 "mock-anchor", "optional", "pass"),
	 TV_VERDICT_REJECTED, TV_REASON_UNTRUSTED, 2},
	{"empty-chain-is-no-decision", "", TV_VERDICT_REJECTED,
	 TV_REASON_NO_DECISION, 0},
};

static void test_chains(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(chains); i++) {
		g_autofree char *conf =
			g_strdup_printf("endpoints = ( { name = \"t\"; hosts = "
					"[\"*.internal.test\"];"
					" chain = ( %s ); } );\n",
					chains[i].chain);
		g_autoptr(tv_engine) e = engine_for(conf);
		g_autoptr(tv_result) r = NULL;
		size_t plugin_lines = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		r = verify(e, "good.internal.test", "chain-good.pem",
			   TV_PURPOSE_SERVER);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		for (size_t k = 0; k < tv_result_get_trace_length(r); k++)
			if (strcmp(tv_result_get_trace_entry(r, k)->plugin,
				   "core") != 0)
				plugin_lines++;
		if (tv_result_get_verdict(r) != chains[i].verdict ||
		    tv_result_get_reasons(r) != chains[i].reasons ||
		    plugin_lines != chains[i].trace_steps)
			fprintf(stderr,
				"chain %s: verdict %d reasons 0x%x "
				"steps %zu: %s\n",
				chains[i].name, tv_result_get_verdict(r),
				tv_result_get_reasons(r), plugin_lines,
				tv_result_get_message(r));
		CU_ASSERT_EQUAL(tv_result_get_verdict(r), chains[i].verdict);
		CU_ASSERT_EQUAL(tv_result_get_reasons(r), chains[i].reasons);
		CU_ASSERT_EQUAL(plugin_lines, chains[i].trace_steps);
	}
}

#define PASSING "chain = ( " STEP("mock-anchor", "required", "pass") " );"

/* Core checks on real certificates: the chain itself always passes. */
static const struct {
	const char *name;
	const char *endpoint_extra;
	const char *host;
	const char *file;
	tv_purpose purpose;
	tv_verdict verdict;
	uint32_t reasons;
} core_cases[] = {
	{"good", "", "good.internal.test", "chain-good.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_TRUSTED, 0},
	{"second-san", "", "www.good.internal.test", "chain-good.pem",
	 TV_PURPOSE_SERVER, TV_VERDICT_TRUSTED, 0},
	{"wrong-host", "", "other.internal.test", "chain-good.pem",
	 TV_PURPOSE_SERVER, TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH},
	{"no-cn-fallback", "", "good.internal.test", "chain-cn-only.pem",
	 TV_PURPOSE_SERVER, TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH},
	{"expired", "", "good.internal.test", "chain-expired.pem",
	 TV_PURPOSE_SERVER, TV_VERDICT_REJECTED, TV_REASON_EXPIRED},
	{"not-yet-valid", "", "good.internal.test", "chain-notyet.pem",
	 TV_PURPOSE_SERVER, TV_VERDICT_REJECTED, TV_REASON_NOT_YET_VALID},
	{"client-only-as-server", "", "good.internal.test",
	 "chain-clientonly.pem", TV_PURPOSE_SERVER, TV_VERDICT_REJECTED,
	 TV_REASON_PURPOSE_MISMATCH},
	{"client-only-as-client", "", "good.internal.test",
	 "chain-clientonly.pem", TV_PURPOSE_CLIENT, TV_VERDICT_TRUSTED, 0},
	{"server-as-client", "", "good.internal.test", "chain-good.pem",
	 TV_PURPOSE_CLIENT, TV_VERDICT_REJECTED, TV_REASON_PURPOSE_MISMATCH},
	{"ip-v4", "", "127.0.0.1", "chain-ip.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_TRUSTED, 0},
	{"ip-v6", "", "[::1]", "chain-ip.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_TRUSTED, 0},
	{"ip-wrong", "", "127.0.0.2", "chain-ip.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH},
	{"spiffe-match-names",
	 "match_names = [ \"spiffe://prod.example/payments\" ];",
	 "payments.internal.test", "chain-spiffe.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_TRUSTED, 0},
	{"spiffe-wrong-id",
	 "match_names = [ \"spiffe://prod.example/billing\" ];",
	 "payments.internal.test", "chain-spiffe.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH},
	{"hostname-check-off", "verify_hostname = false;",
	 "other.internal.test", "chain-good.pem", TV_PURPOSE_SERVER,
	 TV_VERDICT_TRUSTED, 0},
};

static void test_core_checks(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(core_cases); i++) {
		g_autofree char *conf = g_strdup_printf(
			"endpoints = ( { name = \"t\"; hosts = "
			"[\"*.internal.test\", "
			"\"127.0.0.1\", \"127.0.0.2\", \"::1\"]; %s " PASSING
			" } );\n",
			core_cases[i].endpoint_extra);
		g_autoptr(tv_engine) e = engine_for(conf);
		g_autoptr(tv_result) r = NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		r = verify(e, core_cases[i].host, core_cases[i].file,
			   core_cases[i].purpose);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		if (tv_result_get_verdict(r) != core_cases[i].verdict ||
		    tv_result_get_reasons(r) != core_cases[i].reasons)
			fprintf(stderr,
				"core %s: verdict %d reasons 0x%x: %s\n",
				core_cases[i].name, tv_result_get_verdict(r),
				tv_result_get_reasons(r),
				tv_result_get_message(r));
		CU_ASSERT_EQUAL(tv_result_get_verdict(r),
				core_cases[i].verdict);
		CU_ASSERT_EQUAL(tv_result_get_reasons(r),
				core_cases[i].reasons);
	}
}

static void test_chain_too_long(void)
{
	g_autoptr(tv_engine) e =
		engine_for("defaults = { max_chain_length = 1; };\n"
			   "endpoints = ( { name = \"t\"; hosts = "
			   "[\"*.internal.test\"]; " PASSING " } );\n");
	g_autoptr(tv_result) r = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	r = verify(e, "good.internal.test", "chain-good.pem",
		   TV_PURPOSE_SERVER);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(r), TV_REASON_CHAIN_TOO_LONG);
}

static void test_malformed_input(void)
{
	g_autoptr(tv_engine) e =
		engine_for("endpoints = ( { name = \"t\"; hosts = "
			   "[\"*.internal.test\"]; " PASSING " } );\n");
	g_autoptr(tv_request) req = tv_request_new("good.internal.test", 443);
	g_autoptr(tv_request) empty = tv_request_new("good.internal.test", 443);
	g_autoptr(tv_result) r = NULL;
	g_autoptr(tv_result) r2 = NULL;
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01};
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	tv_request_add_der(req, junk, sizeof(junk));
	CU_ASSERT_TRUE(tv_engine_verify(e, req, &r, &error));
	CU_ASSERT_EQUAL(tv_result_get_verdict(r), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(r), TV_REASON_MALFORMED);
	/* no plugin ran on input that does not parse */
	CU_ASSERT_EQUAL(tv_result_get_trace_length(r), 1);

	CU_ASSERT_TRUE(tv_engine_verify(e, empty, &r2, &error));
	CU_ASSERT_EQUAL(tv_result_get_reasons(r2), TV_REASON_MALFORMED);

	{
		g_autoptr(tv_request) bad = tv_request_new("bad host!", 443);
		tv_result *r3 = NULL;

		CU_ASSERT_FALSE(tv_engine_verify(e, bad, &r3, &error));
		CU_ASSERT_PTR_NULL(r3);
		CU_ASSERT_TRUE(
			g_error_matches(error, TV_ERROR, TV_ERROR_INPUT));
		g_clear_error(&error);
	}
}

static void test_untrusted_pool_builds_path(void)
{
	g_autoptr(tv_engine) e =
		engine_for("defaults = { max_chain_length = 1; };\n"
			   "endpoints = ( { name = \"t\"; hosts = "
			   "[\"*.internal.test\"]; " PASSING " } );\n");
	g_autoptr(tv_request) req =
		tv_test_request("good.internal.test", "leaf-good.pem");
	g_autofree char *inter = NULL;
	g_autofree char *path =
		g_build_filename(tv_test_env("TV_FIXTURES"), "inter.pem", NULL);
	g_autoptr(tv_result) r = NULL;
	gsize len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &inter, &len, NULL));
	CU_ASSERT_EQUAL(tv_request_add_pem(req, inter, len, true, NULL), 1);
	CU_ASSERT_TRUE(tv_engine_verify(e, req, &r, NULL));
	/* The pool's intermediate joins the path: now 2 > limit 1. */
	CU_ASSERT_EQUAL(tv_result_get_reasons(r), TV_REASON_CHAIN_TOO_LONG);
}

/* Hosts no endpoint claims get the built-in default: system, required. */
static void test_fallback_endpoint(void)
{
	static const char *const only_mock[] = {"mock-anchor", NULL};
	g_autofree char *pdir = tv_test_plugin_dir(only_mock);
	g_autofree char *dir = tv_test_conf(
		"50-test.conf", "endpoints = ( { name = \"t\"; hosts = "
				"[\"*.internal.test\"]; " PASSING " } );\n");
	g_autoptr(tv_engine) e =
		engine_for("endpoints = ( { name = \"t\"; hosts = "
			   "[\"*.internal.test\"]; " PASSING " } );\n");
	g_autoptr(tv_result) r = NULL;
	GError *error = NULL;
	tv_engine *broken;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	r = verify(e, "good.example.test", "chain-good.pem", TV_PURPOSE_SERVER);
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(r), "(built-in)");
	CU_ASSERT_STRING_EQUAL(tv_result_get_trace_entry(r, 0)->plugin,
			       "system");
	/* Our test CA is not in the system store. */
	CU_ASSERT_EQUAL(tv_result_get_verdict(r), TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(tv_result_get_reasons(r) & TV_REASON_UNTRUSTED);

	/* Without the system plugin the policy cannot load: fail closed. */
	broken = tv_engine_new(dir, pdir, &error);
	CU_ASSERT_PTR_NULL(broken);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "built-in default"));
	g_clear_error(&error);
}

static void test_trace_and_json(void)
{
	g_autoptr(tv_engine) e = engine_for(
		"endpoints = ( { name = \"t\"; hosts = [\"*.internal.test\"]; "
		"chain = (" STEP("mock", "sufficient", "fail") ", " STEP(
			"mock-anchor", "required", "pass") " ); } );\n");
	g_autoptr(tv_result) r = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *json = NULL;
	const tv_trace_entry *t;
	JsonObject *root, *first;
	JsonArray *trace;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	r = verify(e, "other.internal.test", "chain-good.pem",
		   TV_PURPOSE_SERVER);
	t = tv_result_get_trace_entry(r, 0);
	CU_ASSERT_STRING_EQUAL(t->plugin, "mock");
	CU_ASSERT_STRING_EQUAL(t->control, "sufficient");
	CU_ASSERT_STRING_EQUAL(t->verdict, "fail");
	CU_ASSERT_STRING_EQUAL(t->action, "ignore");
	t = tv_result_get_trace_entry(r, 1);
	CU_ASSERT_STRING_EQUAL(t->action, "ok");
	CU_ASSERT_PTR_NULL(tv_result_get_trace_entry(r, 99));

	json = tv_result_to_json(r);
	CU_ASSERT_TRUE_FATAL(
		json_parser_load_from_data(parser, json, -1, NULL));
	root = json_node_get_object(json_parser_get_root(parser));
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(root, "verdict"),
			       "rejected");
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(root, "endpoint"),
			       "t");
	CU_ASSERT_STRING_EQUAL(
		json_array_get_string_element(
			json_object_get_array_member(root, "reasons"), 0),
		"name-mismatch");
	CU_ASSERT_FALSE(json_object_get_boolean_member(root, "insecure_skip"));
	trace = json_object_get_array_member(root, "trace");
	CU_ASSERT_EQUAL(json_array_get_length(trace),
			tv_result_get_trace_length(r));
	first = json_array_get_object_element(trace, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(first, "plugin"),
			       "mock");
	CU_ASSERT_TRUE(json_object_has_member(first, "message"));
}

/* Many threads verify while the policy is reloaded underneath them. */
typedef struct {
	tv_engine *engine;
	gint stop;
	gint wrong;
	gint done;
} race;

static gpointer verifier(gpointer data)
{
	race *ra = data;
	g_autoptr(tv_request) req =
		tv_test_request("good.internal.test", "chain-good.pem");

	while (!g_atomic_int_get(&ra->stop)) {
		tv_result *r = NULL;

		if (!tv_engine_verify(ra->engine, req, &r, NULL) ||
		    tv_result_get_verdict(r) != TV_VERDICT_TRUSTED)
			g_atomic_int_inc(&ra->wrong);
		tv_result_free(r);
		g_atomic_int_inc(&ra->done);
	}
	return NULL;
}

static void test_reload_under_load(void)
{
	race ra = {0};
	GThread *threads[3];
	GError *error = NULL;

	ra.engine = engine_for("endpoints = ( { name = \"t\"; hosts = "
			       "[\"*.internal.test\"]; " PASSING " } );\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra.engine);
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("verifier", verifier, &ra);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_TRUE(tv_engine_reload(ra.engine, &error));
		g_clear_error(&error);
	}
	g_atomic_int_set(&ra.stop, 1);
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	CU_ASSERT_EQUAL(ra.wrong, 0);
	CU_ASSERT_TRUE(ra.done > 0);
	tv_engine_free(ra.engine);
}

static CU_TestInfo tests[] = {
	{"/engine/pam-chains", test_chains},
	{"/engine/core-checks", test_core_checks},
	{"/engine/chain-too-long", test_chain_too_long},
	{"/engine/malformed-input", test_malformed_input},
	{"/engine/untrusted-pool-builds-path", test_untrusted_pool_builds_path},
	{"/engine/fallback-endpoint", test_fallback_endpoint},
	{"/engine/trace-and-json", test_trace_and_json},
	{"/engine/reload-under-load", test_reload_under_load},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"engine", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
