/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the system plugin: real system.so driven through the engine API. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <tlsverify/tlsverify.h>

#include "tv-engine-test.h"

#define FIXED_TIME INT64_C(1780272000) /* 2026-06-01T00:00:00Z */
#define POLICY_FILE "50-test.conf"
#define STEP_LOCATION POLICY_FILE ":5" /* the line the step is written on */

static char *plugin_dir; /* private, 0755, holds system.so only */

/*
 * How many CAs GnuTLS finds in this machine's system store.  With none, the
 * plugin must refuse to load, and every test checks that refusal instead of
 * passing vacuously.
 */
static int system_cas;

static bool copy_file(const char *src, const char *dir, const char *name,
		      int mode)
{
	g_autofree char *dst = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(src, &data, &len, &error) ||
	    !g_file_set_contents_full(dst, data, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, mode,
				      &error)) {
		fprintf(stderr, "%s\n", error->message);
		return false;
	}
	return g_chmod(dst, mode) == 0;
}

static int count_system_cas(void)
{
	gnutls_x509_trust_list_t list;
	int n;

	if (gnutls_x509_trust_list_init(&list, 0) < 0)
		return -1;
	n = gnutls_x509_trust_list_add_system_trust(list, 0, 0);
	gnutls_x509_trust_list_deinit(list, 1);
	return n;
}

static int suite_init(void)
{
	g_autofree char *so = g_build_filename(
		tv_test_env("TV_BUILD_PLUGIN_DIR"), "system.so", NULL);

	system_cas = count_system_cas();
	if (system_cas <= 0)
		fprintf(stderr,
			"\n  no system trust store (%d): the tests "
			"check that the plugin refuses to load\n",
			system_cas);
	plugin_dir = tv_test_mkdtemp("plugin-system");
	if (g_chmod(plugin_dir, 0755) != 0)
		return 1;
	return copy_file(so, plugin_dir, "system.so", 0755) ? 0 : 1;
}

static int suite_clean(void)
{
	g_clear_pointer(&plugin_dir, g_free);
	return 0;
}

/*
 * Writes a conf.d with one endpoint @name for @hosts running @step (on line
 * 5, see STEP_LOCATION) and loads it.  Returns the engine or NULL with @error.
 */
static tv_engine *engine_for_step(const char *name, const char *hosts,
				  const char *extra, const char *step,
				  GError **error)
{
	g_autofree char *dir = tv_test_mkdtemp("conf-system");
	g_autofree char *policy =
		g_strdup_printf("# written by test-plugin-system\n"
				"endpoints = (\n"
				"  { name = \"%s\"; %s\n"
				"    hosts = [ %s ];\n"
				"    chain = ( %s ); }\n"
				");\n",
				name, extra != NULL ? extra : "", hosts, step);

	tv_test_write(dir, POLICY_FILE, policy);
	return tv_engine_new(dir, plugin_dir, error);
}

static char *system_step(const char *crl)
{
	g_autofree char *crl_key = NULL;

	if (crl != NULL)
		crl_key = g_strdup_printf(" crl = \"%s\";", crl);
	return g_strdup_printf(
		"{ use = \"system\"; control = \"required\";%s }",
		crl_key != NULL ? crl_key : "");
}

/*
 * Checks that a failed load names the step and @what (NULL: only the
 * step).  Used for bad settings, and for every test when the machine has no
 * system store.
 */
static void check_load_error(const GError *error, const char *what)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (strstr(error->message, STEP_LOCATION) == NULL ||
	    (what != NULL && strstr(error->message, what) == NULL))
		fprintf(stderr, "\n  want '%s' and '%s' in: %s\n",
			STEP_LOCATION, what != NULL ? what : "",
			error->message);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, STEP_LOCATION));
	if (what != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, what));
}

/*
 * tv_engine_new for @step on the "internal" endpoint, expecting success
 * exactly when the machine has a system store.  Returns NULL (with the
 * refusal checked) when it has none.
 */
static tv_engine *engine_expect_store(const char *name, const char *hosts,
				      const char *extra, const char *step)
{
	g_autoptr(GError) error = NULL;
	tv_engine *engine = engine_for_step(name, hosts, extra, step, &error);

	if (system_cas <= 0) {
		CU_ASSERT_PTR_NULL(engine);
		check_load_error(error, "system trust store");
		g_clear_pointer(&engine, tv_engine_free);
		return NULL;
	}
	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL(engine);
	return engine;
}

static tv_result *verify_request(tv_engine *engine, tv_request *request)
{
	g_autoptr(GError) error = NULL;
	tv_result *result = NULL;

	tv_request_set_time(request, FIXED_TIME);
	if (!tv_engine_verify(engine, request, &result, &error)) {
		fprintf(stderr, "verify: %s\n", error->message);
		return NULL;
	}
	return result;
}

static tv_result *verify_fixture(tv_engine *engine, const char *chain,
				 const char *host)
{
	g_autoptr(tv_request) request = tv_request_new(host, 0);
	g_autofree char *path = tv_test_fixture(chain);
	g_autoptr(GError) error = NULL;
	g_autofree char *pem = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &pem, &len, &error) ||
	    tv_request_add_pem(request, pem, len, false, &error) < 0) {
		fprintf(stderr, "%s: %s\n", path, error->message);
		return NULL;
	}
	return verify_request(engine, request);
}

/* Our private CA is not in the system store: @chain must be "untrusted" by
 * the system step, on endpoint @name. */
static void check_untrusted(const char *name, const char *hosts,
			    const char *chain, const char *host,
			    const char *crl)
{
	g_autofree char *step = system_step(crl);
	g_autoptr(tv_engine) engine =
		engine_expect_store(name, hosts, NULL, step);
	g_autoptr(tv_result) result = NULL;
	const tv_trace_entry *e;

	if (engine == NULL)
		return;
	result = verify_fixture(engine, chain, host);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	if (tv_result_get_reasons(result) != TV_REASON_UNTRUSTED) {
		g_autofree char *json = tv_result_to_json(result);

		fprintf(stderr, "\n  want untrusted, got %s\n", json);
	}
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(result), name);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), TV_REASON_UNTRUSTED);
	e = tv_test_find_step(result, "system");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->verdict, "fail");
	CU_ASSERT_EQUAL(e->reasons, TV_REASON_UNTRUSTED);
	/* No system CA carries the issuer's name: the index built from
	 * the store answers, without a trial verification.  (A store with
	 * an anchor whose name has no text form would make every miss a
	 * full check; Debian's has none.) */
	if (strstr(e->message, "no trust anchor for '") == NULL)
		fprintf(stderr, "\n  step message: %s\n", e->message);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "no trust anchor for '"));
}

/* ---- tests ------------------------------------------------------------- */

static void test_dlopen_smoke(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) infos = tv_plugins_scan(plugin_dir, &error);
	const tv_plugin_info *info;

	CU_ASSERT_PTR_NOT_NULL_FATAL(infos);
	CU_ASSERT_EQUAL_FATAL(infos->len, 1);
	info = infos->pdata[0];
	CU_ASSERT_STRING_EQUAL(info->name, "system");
	CU_ASSERT_PTR_NULL(info->error);
	CU_ASSERT_EQUAL(info->abi_major, 1);
	CU_ASSERT_PTR_NOT_NULL(info->summary);
}

static void test_loads(void)
{
	g_autofree char *step = system_step(NULL);
	g_autoptr(tv_engine) engine = engine_expect_store(
		"internal", "\"*.internal.test\"", NULL, step);

	(void)engine; /* engine_expect_store checked the outcome */
}

static void test_private_ca_untrusted(void)
{
	check_untrusted("internal", "\"*.internal.test\"", "chain-good.pem",
			"good.internal.test", NULL);
}

static void test_leaf_only_untrusted(void)
{
	check_untrusted("internal", "\"*.internal.test\"", "leaf-good.pem",
			"good.internal.test", NULL);
}

/* A certificate for a public name from a rogue CA gets nowhere. */
static void test_forged_public_name(void)
{
	check_untrusted("ai", "\"api.openai.com\"", "chain-openai-forged.pem",
			"api.openai.com", NULL);
}

static void test_with_crl(void)
{
	g_autofree char *crl = tv_test_fixture("crl.pem");

	check_untrusted("internal", "\"*.internal.test\"", "chain-good.pem",
			"good.internal.test", crl);
}

/*
 * The positive case: a CA of the system store, presented as the whole
 * chain, is trusted through the system step.  Proves the store is really
 * consulted, without any network.
 */
static void test_system_root_trusted(void)
{
	g_autofree char *step = system_step(NULL);
	g_autoptr(tv_engine) engine = engine_expect_store(
		"roots", "\"*.system.test\"", "verify_hostname = false;", step);
	g_autoptr(tv_request) request = NULL;
	g_autoptr(tv_result) result = NULL;
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_trust_list_t list = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = {NULL, 0};
	const tv_trace_entry *e;

	if (engine == NULL)
		return;

	/* Any self-signed CA valid at FIXED_TIME without an EKU. */
	CU_ASSERT_FATAL(gnutls_x509_trust_list_init(&list, 0) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_trust_list_add_system_trust(list, 0, 0) >
			0);
	while (gnutls_x509_trust_list_iter_get_ca(list, &iter, &crt) >= 0) {
		char oid[128];
		size_t oid_size = sizeof(oid);

		if (gnutls_x509_crt_get_activation_time(crt) <= FIXED_TIME &&
		    gnutls_x509_crt_get_expiration_time(crt) > FIXED_TIME &&
		    gnutls_x509_crt_check_issuer(crt, crt) != 0 &&
		    gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &oid_size,
							NULL) < 0 &&
		    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) >=
			    0) {
			gnutls_x509_crt_deinit(crt);
			break;
		}
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	gnutls_x509_trust_list_deinit(list, 1);
	if (der.data == NULL)
		fprintf(stderr, "\n  no system CA valid at the test time\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(der.data);

	request = tv_request_new("root.system.test", 0);
	tv_request_add_der(request, der.data, der.size);
	gnutls_free(der.data);
	result = verify_request(engine, request);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	if (tv_result_get_verdict(result) != TV_VERDICT_TRUSTED) {
		g_autofree char *json = tv_result_to_json(result);

		fprintf(stderr, "\n  want trusted, got %s\n", json);
	}
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(result), "roots");
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), 0);
	e = tv_test_find_step(result, "system");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->verdict, "pass");
}

/* Bad CRL settings are load errors naming the step and the file, whether
 * or not the machine has a system store. */
static void expect_crl_error(const char *crl)
{
	g_autofree char *step = system_step(crl);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(
		"internal", "\"*.internal.test\"", NULL, step, &error);

	CU_ASSERT_PTR_NULL(engine);
	check_load_error(error, system_cas > 0 ? crl : NULL);
}

static void test_garbage_crl(void)
{
	g_autofree char *garbage = tv_test_fixture("garbage.pem");

	expect_crl_error(garbage);
}

static void test_missing_crl(void)
{
	g_autofree char *dir = tv_test_mkdtemp("missing");
	g_autofree char *path = g_build_filename(dir, "nope.crl", NULL);

	expect_crl_error(path);
}

static void test_crl_without_crl(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");

	expect_crl_error(ca);
}

/* A bad mode is refused before the store is read: the same error with
 * or without a system store. */
static void test_revocation_bad_value(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine =
		engine_for_step("internal", "\"*.internal.test\"", NULL,
				"{ use = \"system\"; control = \"required\"; "
				"revocation = \"maybe\"; }",
				&error);

	CU_ASSERT_PTR_NULL(engine);
	check_load_error(error, "unknown revocation mode 'maybe'");
}

static void test_revocation_require_without_crl(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine =
		engine_for_step("internal", "\"*.internal.test\"", NULL,
				"{ use = \"system\"; control = \"required\"; "
				"revocation = \"require\"; }",
				&error);

	CU_ASSERT_PTR_NULL(engine);
	check_load_error(error, "needs CRLs");
}

static CU_TestInfo system_tests[] = {
	{"/system/dlopen-smoke", test_dlopen_smoke},
	{"/system/loads", test_loads},
	{"/system/private-ca-untrusted", test_private_ca_untrusted},
	{"/system/leaf-only-untrusted", test_leaf_only_untrusted},
	{"/system/forged-public-name", test_forged_public_name},
	{"/system/with-crl", test_with_crl},
	{"/system/revocation-bad-value", test_revocation_bad_value},
	{"/system/revocation-require-without-crl",
	 test_revocation_require_without_crl},
	{"/system/system-root-trusted", test_system_root_trusted},
	{"/system/garbage-crl", test_garbage_crl},
	{"/system/missing-crl", test_missing_crl},
	{"/system/crl-without-crl", test_crl_without_crl},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"system", suite_init, suite_clean, NULL, NULL, system_tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
