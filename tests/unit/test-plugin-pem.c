/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the pem plugin: real pem.so driven through the engine API. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <tlsverify/tlsverify.h>

#include "tv-engine-test.h"

#define FIXED_TIME INT64_C(1780272000) /* 2026-06-01T00:00:00Z */
#define POLICY_FILE "50-test.conf"
#define STEP_LOCATION POLICY_FILE ":5" /* the line the step is written on */

static char *plugin_dir; /* private, 0755, holds pem.so only */

/* Copies @src to @dir/@name with mode @mode; false on any error. */
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

static int suite_init(void)
{
	g_autofree char *so = g_build_filename(
		tv_test_env("TV_BUILD_PLUGIN_DIR"), "pem.so", NULL);

	plugin_dir = tv_test_mkdtemp("plugin-pem");
	if (g_chmod(plugin_dir, 0755) != 0)
		return 1;
	return copy_file(so, plugin_dir, "pem.so", 0755) ? 0 : 1;
}

static int suite_clean(void)
{
	g_clear_pointer(&plugin_dir, g_free);
	return 0;
}

/*
 * Writes a conf.d whose endpoint "internal" runs @step (on line 5, see
 * STEP_LOCATION) and loads it.  A "*" endpoint keeps the built-in default
 * (which needs the system plugin) out of these tests; it trusts only the
 * rogue CA, so a host that falls through to it cannot pass by accident.
 * Returns the engine, or NULL with @error.
 */
static tv_engine *engine_for_step(const char *step, char **conf_dir,
				  GError **error)
{
	g_autofree char *dir = tv_test_mkdtemp("conf-pem");
	g_autofree char *rogue = tv_test_fixture("rogue-ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"# written by test-plugin-pem\n"
		"endpoints = (\n"
		"  { name = \"internal\";\n"
		"    hosts = [ \"*.internal.test\", "
		"\"127.0.0.1\", \"127.0.0.2\" ];\n"
		"    chain = ( %s ); },\n"
		"  { name = \"catch-all\"; hosts = [ \"*\" ];\n"
		"    chain = ( { use = \"pem\"; "
		"control = \"required\"; bundle = \"%s\"; } ); }\n"
		");\n",
		step, rogue);

	tv_test_write(dir, POLICY_FILE, policy);
	if (conf_dir != NULL)
		*conf_dir = g_strdup(dir);
	return tv_engine_new(dir, plugin_dir, error);
}

/* The usual step: pem required, bundle = the test root, optional CRL. */
static char *pem_step(const char *bundle, const char *crl)
{
	g_autofree char *crl_key = NULL;

	if (crl != NULL)
		crl_key = g_strdup_printf(" crl = \"%s\";", crl);
	return g_strdup_printf(
		"{ use = \"pem\"; control = \"required\"; bundle = \"%s\";%s }",
		bundle, crl_key != NULL ? crl_key : "");
}

/* Verifies fixture @chain for @host at FIXED_TIME; NULL on a harness error. */
static tv_result *verify_fixture(tv_engine *engine, const char *chain,
				 const char *host, tv_purpose purpose)
{
	g_autoptr(tv_request) request = tv_request_new(host, 0);
	g_autofree char *path = tv_test_fixture(chain);
	g_autoptr(GError) error = NULL;
	g_autofree char *pem = NULL;
	tv_result *result = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &pem, &len, &error) ||
	    tv_request_add_pem(request, pem, len, false, &error) < 0) {
		fprintf(stderr, "%s: %s\n", path, error->message);
		return NULL;
	}
	tv_request_set_purpose(request, purpose);
	tv_request_set_time(request, FIXED_TIME);
	if (!tv_engine_verify(engine, request, &result, &error)) {
		fprintf(stderr, "verify %s: %s\n", chain, error->message);
		return NULL;
	}
	return result;
}

/* Expects tv_engine_new to fail with a message naming the step and @what. */
static void expect_load_error(const char *step, const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(step, NULL, &error);

	CU_ASSERT_PTR_NULL(engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (strstr(error->message, STEP_LOCATION) == NULL ||
	    strstr(error->message, what) == NULL)
		fprintf(stderr, "\n  want '%s' and '%s' in: %s\n",
			STEP_LOCATION, what, error->message);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, STEP_LOCATION));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, what));
}

/* ---- verification cases: one table, one CUnit test per row ---------- */

typedef struct {
	const char *name;  /* CUnit test name */
	const char *chain; /* fixture presented by the peer */
	const char *host;
	tv_purpose purpose;
	bool with_crl; /* step also has crl = crl.pem */
	tv_verdict verdict;
	uint32_t reasons; /* exact reason bits of the result */
	const char *step; /* pem step verdict, NULL: not the plugin's call */
} verify_case;

static const verify_case verify_cases[] = {
	{"/pem/valid-chain", "chain-good.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_TRUSTED, 0, "pass"},
	{"/pem/valid-second-name", "chain-good.pem", "www.good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_TRUSTED, 0, "pass"},
	{"/pem/expired-leaf", "chain-expired.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED, TV_REASON_EXPIRED,
	 "fail"},
	{"/pem/not-yet-valid", "chain-notyet.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED, TV_REASON_NOT_YET_VALID,
	 "fail"},
	{"/pem/wrong-host", "chain-wronghost.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH,
	 NULL},
	{"/pem/ip-san-trusted", "chain-ip.pem", "127.0.0.1", TV_PURPOSE_SERVER,
	 false, TV_VERDICT_TRUSTED, 0, "pass"},
	{"/pem/ip-san-mismatch", "chain-ip.pem", "127.0.0.2", TV_PURPOSE_SERVER,
	 false, TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, NULL},
	{"/pem/untrusted-root", "chain-rogue.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED, TV_REASON_UNTRUSTED,
	 "fail"},
	{"/pem/intermediate-missing", "leaf-good.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED, TV_REASON_UNTRUSTED,
	 "fail"},
	{"/pem/crl-revoked", "chain-revoked.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, true, TV_VERDICT_REJECTED, TV_REASON_REVOKED,
	 "fail"},
	{"/pem/crl-other-leaf-valid", "chain-good.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, true, TV_VERDICT_TRUSTED, 0, "pass"},
	{"/pem/revoked-without-crl", "chain-revoked.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_TRUSTED, 0, "pass"},
	{"/pem/wrong-purpose", "chain-clientonly.pem", "good.internal.test",
	 TV_PURPOSE_SERVER, false, TV_VERDICT_REJECTED,
	 TV_REASON_PURPOSE_MISMATCH, NULL},
};

static void run_verify_case(const verify_case *c)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *crl = c->with_crl ? tv_test_fixture("crl.pem") : NULL;
	g_autofree char *step = pem_step(ca, crl);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(step, NULL, &error);
	g_autoptr(tv_result) result = NULL;
	const tv_trace_entry *e;

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	result = verify_fixture(engine, c->chain, c->host, c->purpose);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);

	if (tv_result_get_verdict(result) != c->verdict ||
	    tv_result_get_reasons(result) != c->reasons) {
		g_autofree char *json = tv_result_to_json(result);

		fprintf(stderr, "\n  want verdict %d reasons 0x%x, got %s\n",
			c->verdict, c->reasons, json);
	}
	/* The default endpoint would judge through "system": make sure the
	 * verdict came from our pem step. */
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(result), "internal");
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), c->verdict);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), c->reasons);

	e = tv_test_find_step(result, "pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	if (c->step != NULL) {
		CU_ASSERT_STRING_EQUAL(e->verdict, c->step);
		if (strcmp(c->step, "fail") == 0)
			CU_ASSERT_EQUAL(e->reasons, c->reasons);
	}
}

#define VERIFY_TEST(i)                                                         \
	static void verify_case_##i(void)                                      \
	{                                                                      \
		run_verify_case(&verify_cases[i]);                             \
	}

VERIFY_TEST(0)
VERIFY_TEST(1)
VERIFY_TEST(2)
VERIFY_TEST(3)
VERIFY_TEST(4)
VERIFY_TEST(5)
VERIFY_TEST(6)
VERIFY_TEST(7)
VERIFY_TEST(8)
VERIFY_TEST(9)
VERIFY_TEST(10)
VERIFY_TEST(11)
VERIFY_TEST(12)

static const CU_TestFunc verify_fns[] = {
	verify_case_0,	verify_case_1, verify_case_2,  verify_case_3,
	verify_case_4,	verify_case_5, verify_case_6,  verify_case_7,
	verify_case_8,	verify_case_9, verify_case_10, verify_case_11,
	verify_case_12,
};

G_STATIC_ASSERT(G_N_ELEMENTS(verify_fns) == G_N_ELEMENTS(verify_cases));

/* ---- loading ----------------------------------------------------------- */

static void test_dlopen_smoke(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) infos = tv_plugins_scan(plugin_dir, &error);
	const tv_plugin_info *info;

	CU_ASSERT_PTR_NOT_NULL_FATAL(infos);
	CU_ASSERT_EQUAL_FATAL(infos->len, 1);
	info = infos->pdata[0];
	CU_ASSERT_STRING_EQUAL(info->name, "pem");
	CU_ASSERT_PTR_NULL(info->error);
	CU_ASSERT_EQUAL(info->abi_major, 1);
	CU_ASSERT_PTR_NOT_NULL(info->summary);
}

static void test_missing_bundle(void)
{
	g_autofree char *dir = tv_test_mkdtemp("missing");
	g_autofree char *path = g_build_filename(dir, "nope.pem", NULL);
	g_autofree char *step = pem_step(path, NULL);

	expect_load_error(step, path);
}

static void test_no_bundle_key(void)
{
	expect_load_error("{ use = \"pem\"; control = \"required\"; }",
			  "bundle");
}

static void test_garbage_bundle(void)
{
	g_autofree char *garbage = tv_test_fixture("garbage.pem");
	g_autofree char *step = pem_step(garbage, NULL);

	expect_load_error(step, garbage);
}

static void test_garbage_crl(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *garbage = tv_test_fixture("garbage.pem");
	g_autofree char *step = pem_step(ca, garbage);

	expect_load_error(step, garbage);
}

static void test_missing_crl(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *dir = tv_test_mkdtemp("missing");
	g_autofree char *path = g_build_filename(dir, "nope.crl", NULL);
	g_autofree char *step = pem_step(ca, path);

	expect_load_error(step, path);
}

/* A certificate is not a CRL: the file must not be taken as "no CRLs". */
static void test_crl_without_crl(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *step = pem_step(ca, ca);

	expect_load_error(step, ca);
}

/* ---- revocation setting ---------------------------------------------- */

static void test_revocation_bad_value(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *step = g_strdup_printf(
		"{ use = \"pem\"; control = \"required\"; bundle = \"%s\"; "
		"revocation = \"sometimes\"; }",
		ca);

	expect_load_error(step, "unknown revocation mode 'sometimes'");
}

static void test_revocation_require_without_crl(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *step = g_strdup_printf(
		"{ use = \"pem\"; control = \"required\"; bundle = \"%s\"; "
		"revocation = \"require\"; }",
		ca);

	expect_load_error(step, "needs CRLs");
}

/* Verifies @chain with a pem step on the test root, CRL file @crl and
 * `revocation = @mode` (NULL: the default); returns the result. */
static tv_result *verify_revocation(const char *chain, const char *crl,
				    const char *mode)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *crl_path = tv_test_fixture(crl);
	g_autofree char *mode_key =
		mode != NULL ? g_strdup_printf(" revocation = \"%s\";", mode)
			     : g_strdup("");
	g_autofree char *step = g_strdup_printf(
		"{ use = \"pem\"; control = \"required\"; bundle = \"%s\"; "
		"crl = \"%s\";%s }",
		ca, crl_path, mode_key);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(step, NULL, &error);

	if (engine == NULL) {
		fprintf(stderr, "\n  engine: %s\n", error->message);
		return NULL;
	}
	return verify_fixture(engine, chain, "good.internal.test",
			      TV_PURPOSE_SERVER);
}

/* With `crl` the default is require: the intermediate needs the root's
 * CRL, which crl-inter.pem lacks. */
static void test_revocation_default_require(void)
{
	g_autoptr(tv_result) result =
		verify_revocation("chain-good.pem", "crl-inter.pem", NULL);
	const tv_trace_entry *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(tv_result_get_reasons(result) & TV_REASON_UNTRUSTED);
	e = tv_test_find_step(result, "pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "no valid CRL for"));
}

/* if-present: no CRL of the root, so the intermediate is not checked;
 * the intermediate's CRL still revokes its leaf. */
static void test_revocation_if_present(void)
{
	g_autoptr(tv_result) good = verify_revocation(
		"chain-good.pem", "crl-inter.pem", "if-present");
	g_autoptr(tv_result) revoked = verify_revocation(
		"chain-revoked.pem", "crl-inter.pem", "if-present");

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(revoked);
	CU_ASSERT_EQUAL(tv_result_get_verdict(good), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_verdict(revoked), TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(tv_result_get_reasons(revoked) & TV_REASON_REVOKED);
}

static void test_revocation_off(void)
{
	g_autoptr(tv_result) result =
		verify_revocation("chain-revoked.pem", "crl.pem", "off");

	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_TRUSTED);
}

static void test_empty_dir(void)
{
	g_autofree char *dir = tv_test_mkdtemp("empty-bundle");
	g_autofree char *step = NULL;

	tv_test_write(dir, "README", "not a certificate\n");
	step = pem_step(dir, NULL);
	expect_load_error(step, dir);
}

/* A *.pem in the directory that holds no certificate is an error, not a
 * smaller trust set. */
static void test_dir_with_bad_file(void)
{
	g_autofree char *dir = tv_test_mkdtemp("bad-bundle");
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *bad = g_build_filename(dir, "20-bad.pem", NULL);
	g_autofree char *step = NULL;

	CU_ASSERT_FATAL(copy_file(ca, dir, "10-ca.pem", 0644));
	tv_test_write(dir, "20-bad.pem", "garbage\n");
	step = pem_step(dir, NULL);
	expect_load_error(step, bad);
}

/* Only *.pem and *.crt count: a disabled rogue root stays untrusted. */
static void test_dir_bundle(void)
{
	g_autofree char *dir = tv_test_mkdtemp("dir-bundle");
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *rogue = tv_test_fixture("rogue-ca.pem");
	g_autofree char *step = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_result) good = NULL;
	g_autoptr(tv_result) bad = NULL;

	CU_ASSERT_FATAL(copy_file(ca, dir, "internal.crt", 0644));
	CU_ASSERT_FATAL(copy_file(rogue, dir, "rogue.pem.disabled", 0644));
	CU_ASSERT_FATAL(copy_file(rogue, dir, ".rogue.pem", 0644));
	tv_test_write(dir, "README", "not a certificate\n");
	step = pem_step(dir, NULL);
	engine = engine_for_step(step, NULL, &error);
	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);

	good = verify_fixture(engine, "chain-good.pem", "good.internal.test",
			      TV_PURPOSE_SERVER);
	bad = verify_fixture(engine, "chain-rogue.pem", "good.internal.test",
			     TV_PURPOSE_SERVER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	CU_ASSERT_EQUAL(tv_result_get_verdict(good), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_verdict(bad), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(bad), TV_REASON_UNTRUSTED);
}

/* bundle may list several files; each one is an anchor source. */
static void test_bundle_list(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *rogue = tv_test_fixture("rogue-ca.pem");
	g_autofree char *step =
		g_strdup_printf("{ use = \"pem\"; control = \"required\"; "
				"bundle = [ \"%s\", \"%s\" ]; }",
				ca, rogue);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(step, NULL, &error);
	g_autoptr(tv_result) result = NULL;

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	result = verify_fixture(engine, "chain-rogue.pem", "good.internal.test",
				TV_PURPOSE_SERVER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_TRUSTED);
}

/* A relative bundle resolves against the policy file's directory, not
 * against the working directory. */
static void test_relative_bundle(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *dir = tv_test_mkdtemp("conf-rel");
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_result) result = NULL;

	CU_ASSERT_FATAL(copy_file(ca, dir, "internal-ca.pem", 0644));
	tv_test_write(dir, POLICY_FILE,
		      "endpoints = (\n"
		      "  { name = \"internal\"; hosts = [ \"*\" ];\n"
		      "    chain = ( { use = \"pem\"; control = \"required\";\n"
		      "                bundle = \"internal-ca.pem\"; } ); }\n"
		      ");\n");
	engine = tv_engine_new(dir, plugin_dir, &error);
	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	result = verify_fixture(engine, "chain-good.pem", "good.internal.test",
				TV_PURPOSE_SERVER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(result), "internal");
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_TRUSTED);
}

/* ---- the issuer index: fast misses, never a false one ---------------- */

/* Verifies the concatenation of fixtures @files (NULL-terminated) against
 * a pem step trusting @bundle; returns the pem step's trace entry message
 * in *@message and the result. */
static tv_result *verify_with(const char *bundle, const char *const *files,
			      char **message)
{
	g_autofree char *anchor = tv_test_fixture(bundle);
	g_autofree char *step = pem_step(anchor, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for_step(step, NULL, &error);
	g_autoptr(tv_request) request = tv_request_new("good.internal.test", 0);
	const tv_trace_entry *e;
	tv_result *result = NULL;

	*message = NULL;
	if (engine == NULL) {
		fprintf(stderr, "\n  engine: %s\n", error->message);
		return NULL;
	}
	for (const char *const *f = files; *f != NULL; f++) {
		g_autofree char *path = tv_test_fixture(*f);
		g_autofree char *pem = NULL;
		gsize len = 0;

		if (!g_file_get_contents(path, &pem, &len, NULL) ||
		    tv_request_add_pem(request, pem, len, false, NULL) < 1)
			return NULL;
	}
	tv_request_set_time(request, FIXED_TIME);
	if (!tv_engine_verify(engine, request, &result, NULL))
		return NULL;
	e = tv_test_find_step(result, "pem");
	if (e != NULL)
		*message = g_strdup(e->message);
	return result;
}

/* A store without the chain's root says so by name, without a trial
 * verification. */
static void test_index_miss(void)
{
	static const char *const files[] = {"chain-rogue.pem", NULL};
	g_autofree char *message = NULL;
	g_autoptr(tv_result) result = verify_with("ca.pem", files, &message);

	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), TV_REASON_UNTRUSTED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(message);
	if (strstr(message, "no trust anchor for 'CN=rogue root") == NULL)
		fprintf(stderr, "\n  message: %s\n", message);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(message, "no trust anchor for 'CN=rogue root"));
}

/* An anchor named like the chain's root but for case and spacing is a
 * possible issuer (RFC 5280 7.1): the index must leave the verdict to the
 * full check, whatever that check then says. */
static void test_index_loose_name(void)
{
	static const char *const files[] = {"chain-good.pem", NULL};
	g_autofree char *message = NULL;
	g_autoptr(tv_result) result =
		verify_with("ca-loose.pem", files, &message);

	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_PTR_NOT_NULL_FATAL(message);
	if (strstr(message, "no trust anchor") != NULL)
		fprintf(stderr, "\n  false miss: %s\n", message);
	CU_ASSERT_PTR_NULL(strstr(message, "no trust anchor"));
}

/* Anchors the index must find: the intermediate itself (presented or
 * not) and the root sent along by the peer. */
static void test_index_hits(void)
{
	static const char *const with_inter[] = {"chain-good.pem", NULL};
	static const char *const leaf_only[] = {"leaf-good.pem", NULL};
	static const char *const with_root[] = {"chain-good.pem", "ca.pem",
						NULL};
	struct {
		const char *bundle;
		const char *const *files;
	} cases[] = {
		{"inter.pem", with_inter},
		{"inter.pem", leaf_only},
		{"ca.pem", with_root},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *message = NULL;
		g_autoptr(tv_result) result =
			verify_with(cases[i].bundle, cases[i].files, &message);

		CU_ASSERT_PTR_NOT_NULL_FATAL(result);
		if (tv_result_get_verdict(result) != TV_VERDICT_TRUSTED)
			fprintf(stderr, "\n  case %zu: %s\n", i,
				tv_result_get_message(result));
		CU_ASSERT_EQUAL(tv_result_get_verdict(result),
				TV_VERDICT_TRUSTED);
	}
}

static CU_TestInfo load_tests[] = {
	{"/pem/dlopen-smoke", test_dlopen_smoke},
	{"/pem/missing-bundle", test_missing_bundle},
	{"/pem/no-bundle-key", test_no_bundle_key},
	{"/pem/garbage-bundle", test_garbage_bundle},
	{"/pem/garbage-crl", test_garbage_crl},
	{"/pem/missing-crl", test_missing_crl},
	{"/pem/crl-without-crl", test_crl_without_crl},
	{"/pem/revocation-bad-value", test_revocation_bad_value},
	{"/pem/revocation-require-without-crl",
	 test_revocation_require_without_crl},
	{"/pem/revocation-default-require", test_revocation_default_require},
	{"/pem/revocation-if-present", test_revocation_if_present},
	{"/pem/revocation-off", test_revocation_off},
	{"/pem/empty-directory", test_empty_dir},
	{"/pem/directory-with-bad-file", test_dir_with_bad_file},
	{"/pem/directory-bundle", test_dir_bundle},
	{"/pem/bundle-list", test_bundle_list},
	{"/pem/relative-bundle", test_relative_bundle},
	{"/pem/index/miss", test_index_miss},
	{"/pem/index/loose-name", test_index_loose_name},
	{"/pem/index/hits", test_index_hits},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_TestInfo verify_tests[G_N_ELEMENTS(verify_cases) + 1];
	CU_SuiteInfo suites[] = {
		{"pem-verify", suite_init, suite_clean, NULL, NULL,
		 verify_tests},
		{"pem-load", suite_init, suite_clean, NULL, NULL, load_tests},
		CU_SUITE_INFO_NULL,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(verify_cases); i++) {
		verify_tests[i].pName = verify_cases[i].name;
		verify_tests[i].pTestFunc = verify_fns[i];
	}
	verify_tests[G_N_ELEMENTS(verify_cases)] =
		(CU_TestInfo)CU_TEST_INFO_NULL;
	return tv_test_run(suites);
}
