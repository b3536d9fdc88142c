/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The spiffe source against a SPIFFE bundle endpoint served over HTTPS on
 * 127.0.0.1 (spiffe-bundle-server), through the engine. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <tlsverify/tlsverify.h>

#include "spiffe-consul-test.h"
#include "spiffe-test-pki.h"

#define TD "example.org"
#define ENDPOINT_ID "spiffe://" TD "/bundle-server"
#define WORKLOAD_ID "spiffe://" TD "/ns/prod/web"
#define HOST "web.mesh"

static char *dir;
static tpki_cert *ca1, *ca2, *other_ca;
static char *leaf1_pem, *leaf2_pem; /* workloads under ca1, ca2 */

/* One running bundle endpoint. */
typedef struct {
	GPid pid;
	int port;
	char *state, *bundle, *cert, *key;
} endpoint;

/* Writes @c (certificate and key) to dir/@name.pem and dir/@name.key. */
static void write_cert(const tpki_cert *c, const char *name)
{
	g_autofree char *pem = tpki_pem(c);
	g_autofree char *key = tpki_key_pem(c);
	g_autofree char *f1 = g_strconcat(name, ".pem", NULL);
	g_autofree char *f2 = g_strconcat(name, ".key", NULL);

	tv_test_write(dir, f1, pem);
	tv_test_write(dir, f2, key);
}

/* A server certificate: an SVID for @id issued by @ca, with only a URI
 * SAN (a bundle endpoint is found by its SPIFFE ID, not a host name), or
 * for https_web a host certificate for 127.0.0.1. */
static void write_server_cert(const tpki_cert *ca, const char *id,
			      const char *name)
{
	tpki_spec spec = {.cn = "bundle endpoint",
			  .uri = id,
			  .ip = id == NULL ? "127.0.0.1" : NULL};
	tpki_cert *c = tpki_make(&spec, ca);

	write_cert(c, name);
	tpki_free(c);
}

static int suite_init(void)
{
	tpki_cert *l1, *l2;

	dir = tv_test_mkdtemp("spiffe");
	ca1 = tpki_ca("example.org root 1", "spiffe://" TD);
	ca2 = tpki_ca("example.org root 2", "spiffe://" TD);
	other_ca = tpki_ca("unrelated root", NULL);
	l1 = tpki_leaf(ca1, "web", WORKLOAD_ID);
	l2 = tpki_leaf(ca2, "web", WORKLOAD_ID);
	leaf1_pem = tpki_pem(l1);
	leaf2_pem = tpki_pem(l2);
	tpki_free(l1);
	tpki_free(l2);
	write_server_cert(ca1, ENDPOINT_ID, "svid-ca1");
	write_server_cert(ca2, ENDPOINT_ID, "svid-ca2");
	write_server_cert(ca1, "spiffe://" TD "/intruder", "svid-intruder");
	write_server_cert(other_ca, NULL, "web-host");
	{
		g_autofree char *p1 = tpki_pem(ca1);
		g_autofree char *p3 = tpki_pem(other_ca);

		tv_test_write(dir, "bootstrap.pem", p1);
		tv_test_write(dir, "other-ca.pem", p3);
	}
	return 0;
}

static int suite_clean(void)
{
	sct_stop_all();
	tpki_free(ca1);
	tpki_free(ca2);
	tpki_free(other_ca);
	g_free(leaf1_pem);
	g_free(leaf2_pem);
	g_free(dir);
	return 0;
}

/* The JWK Set with spiffe_sequence @seq and the given roots (NULL-ended). */
static char *bundle(gint64 seq, const tpki_cert *first, ...)
{
	g_autoptr(GString) s = g_string_new(NULL);
	const tpki_cert *c = first;
	va_list ap;

	g_string_append_printf(s,
			       "{\"spiffe_sequence\": %" G_GINT64_FORMAT
			       ", \"spiffe_refresh_hint\": 300, \"keys\": [",
			       seq);
	va_start(ap, first);
	for (bool firstkey = true; c != NULL;
	     c = va_arg(ap, const tpki_cert *), firstkey = false) {
		g_autofree char *jwk = tpki_jwk(c);

		g_string_append_printf(s, "%s%s", firstkey ? "" : ", ", jwk);
	}
	va_end(ap);
	g_string_append(s, "]}");
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Starts a bundle endpoint presenting dir/@cert_name.{pem,key}, serving
 * @initial. */
static endpoint *endpoint_start(const char *cert_name, const char *initial)
{
	static unsigned serial;
	endpoint *ep = g_new0(endpoint, 1);
	g_autofree char *tag = g_strdup_printf("ep%u", serial++);
	g_autofree char *pem = g_strconcat(cert_name, ".pem", NULL);
	g_autofree char *key = g_strconcat(cert_name, ".key", NULL);

	ep->state = g_strdup_printf("%s/%s.state", dir, tag);
	ep->bundle = g_strdup_printf("%s/%s.json", dir, tag);
	/* The server reads these paths again on SIGHUP: copies it owns. */
	ep->cert = g_strdup_printf("%s/%s-cert.pem", dir, tag);
	ep->key = g_strdup_printf("%s/%s-key.pem", dir, tag);
	{
		g_autofree char *src = g_build_filename(dir, pem, NULL);
		g_autofree char *srck = g_build_filename(dir, key, NULL);
		g_autofree char *t1 = NULL, *t2 = NULL;

		g_file_get_contents(src, &t1, NULL, NULL);
		g_file_get_contents(srck, &t2, NULL, NULL);
		sct_write(ep->cert, t1);
		sct_write(ep->key, t2);
	}
	sct_write(ep->bundle, initial);
	{
		const char *args[] = {"--cert",	  ep->cert,   "--key", ep->key,
				      "--bundle", ep->bundle, NULL};

		ep->port = sct_start("spiffe-bundle-server", args, ep->state,
				     &ep->pid);
	}
	return ep;
}

static void endpoint_stop(endpoint *ep)
{
	if (ep == NULL)
		return;
	sct_stop(ep->pid);
	g_free(ep->state);
	g_free(ep->bundle);
	g_free(ep->cert);
	g_free(ep->key);
	g_free(ep);
}

/* Swaps the server certificate to dir/@cert_name and waits for the
 * server to have reloaded it. */
static bool endpoint_swap_cert(endpoint *ep, const char *cert_name)
{
	g_autofree char *src = g_strdup_printf("%s/%s.pem", dir, cert_name);
	g_autofree char *srck = g_strdup_printf("%s/%s.key", dir, cert_name);
	g_autofree char *t1 = NULL, *t2 = NULL;
	gint64 before = sct_state(ep->state, "reloads");
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;

	g_file_get_contents(src, &t1, NULL, NULL);
	g_file_get_contents(srck, &t2, NULL, NULL);
	sct_write(ep->cert, t1);
	sct_write(ep->key, t2);
	kill(ep->pid, SIGHUP);
	while (sct_state(ep->state, "reloads") <= before) {
		if (g_get_monotonic_time() > deadline)
			return false;
		g_usleep(SCT_POLL_US);
	}
	return true;
}

/*
 * Waits until the client has fetched the current bundle file and
 * processed the response: the server handles one request at a time and
 * the client sends the next only after processing the previous one, so
 * once the count moved 3 past @hits (read after the file was written),
 * the response to the second of those was read after the write and has
 * been processed.
 */
static bool endpoint_wait_fetched(endpoint *ep, gint64 hits)
{
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;

	while (sct_state(ep->state, "hits") < hits + 3) {
		if (g_get_monotonic_time() > deadline)
			return false;
		g_usleep(SCT_POLL_US);
	}
	return true;
}

/* An engine whose endpoint HOST runs the spiffe source against @ep;
 * @extra: more settings of the step. */
static tv_engine *spiffe_engine(const endpoint *ep, const char *extra,
				GError **error)
{
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"  { name = \"mesh\"; hosts = [ \"" HOST "\" ];\n"
		"    match_names = [ \"" WORKLOAD_ID "\" ];\n"
		"    chain = ( { use = \"discovery\"; control = \"required\";\n"
		"      source = \"spiffe\"; trust_domain = \"" TD "\";\n"
		"      url = \"https://127.0.0.1:%d/bundle\";\n"
		"      refresh_interval = 1; %s } ); }\n"
		");\n",
		ep != NULL ? ep->port : 1, extra);

	return sct_engine(policy, error);
}

/* bootstrap_bundle is relative to the policy file's directory. */
static char *spiffe_profile(void)
{
	return g_strdup_printf("profile = \"https_spiffe\"; endpoint_id = "
			       "\"" ENDPOINT_ID "\"; bootstrap_bundle = "
			       "\"%s/bootstrap.pem\";",
			       dir);
}

/* https_spiffe: the bundle is used; a rotation with a higher sequence is
 * taken, also once the endpoint's own SVID comes from the new root (which
 * only the latest bundle, not the bootstrap one, trusts). */
static void test_rotation(void)
{
	g_autofree char *b1 = bundle(1, ca1, NULL);
	g_autofree char *b2 = bundle(2, ca1, ca2, NULL);
	g_autofree char *b3 = bundle(3, ca2, NULL);
	g_autofree char *profile = spiffe_profile();
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("svid-ca1", b1);
	g_autoptr(tv_engine) e = spiffe_engine(ep, profile, &error);

	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_REJECTED);

	sct_write(ep->bundle, b2);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf2_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);

	/* The endpoint moves to root 2, then root 1 goes. */
	CU_ASSERT_TRUE(endpoint_swap_cert(ep, "svid-ca2"));
	sct_write(ep->bundle, b3);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_REJECTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	{
		g_autofree char *v = sct_status_str(e, "version");

		CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "3");
	}
	g_clear_pointer(&e, tv_engine_free);
	endpoint_stop(ep);
}

/* FED §4.2: a bundle with a lower spiffe_sequence is ignored. */
static void test_lower_sequence_ignored(void)
{
	g_autofree char *b5 = bundle(5, ca1, NULL);
	g_autofree char *b4 = bundle(4, ca2, NULL);
	g_autofree char *profile = spiffe_profile();
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("svid-ca1", b5);
	g_autoptr(tv_engine) e = spiffe_engine(ep, profile, &error);
	gint64 hits;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	sct_write(ep->bundle, b4);
	hits = sct_state(ep->state, "hits");
	CU_ASSERT_TRUE(endpoint_wait_fetched(ep, hits));
	/* Fetched and processed: still the sequence-5 bundle. */
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	{
		g_autofree char *v = sct_status_str(e, "version");
		g_autofree char *rej = sct_status_str(e, "rejected_updates");

		CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "5");
		/* Ignored, not rejected as malformed. */
		CU_ASSERT_STRING_EQUAL(rej != NULL ? rej : "", "0");
	}
	g_clear_pointer(&e, tv_engine_free);
	endpoint_stop(ep);
}

/* TDB §4.1.3: keys: [] revokes the trust domain; verification fails
 * closed, and stays so. */
static void test_empty_keys_revokes(void)
{
	g_autofree char *b1 = bundle(1, ca1, NULL);
	const char *revoke = "{\"spiffe_sequence\": 2, \"keys\": []}";
	g_autofree char *profile = spiffe_profile();
	g_autofree char *json = NULL;
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("svid-ca1", b1);
	g_autoptr(tv_engine) e = spiffe_engine(ep, profile, &error);
	uint32_t reasons = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	sct_write(ep->bundle, revoke);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_REJECTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, &reasons, &json),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE((reasons & TV_REASON_UNTRUSTED) != 0);
	CU_ASSERT_PTR_NOT_NULL(json != NULL ? strstr(json, "revoked") : NULL);
	/* The endpoint's own SVID belongs to the revoked trust domain: the
	 * source does not fall back to the bootstrap bundle. */
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "revoked"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	g_clear_pointer(&e, tv_engine_free);
	endpoint_stop(ep);
}

/* An endpoint presenting another SPIFFE ID (from a trusted root) is
 * refused before the request is sent: the update is not taken and the
 * old bundle stays. */
static void test_wrong_endpoint_id(void)
{
	g_autofree char *b1 = bundle(1, ca1, NULL);
	g_autofree char *b2 = bundle(2, ca2, NULL);
	g_autofree char *profile = spiffe_profile();
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("svid-ca1", b1);
	g_autoptr(tv_engine) e = spiffe_engine(ep, profile, &error);
	gint64 hits;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_TRUE(endpoint_swap_cert(ep, "svid-intruder"));
	sct_write(ep->bundle, b2);
	hits = sct_state(ep->state, "hits");
	CU_ASSERT_TRUE(
		sct_wait_status(e, "last_error", "spiffe://" TD "/intruder"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	/* At most the request in flight at the swap was answered; none
	 * after the refusal. */
	CU_ASSERT_TRUE(sct_state(ep->state, "hits") <= hits + 1);
	g_clear_pointer(&e, tv_engine_free);
	endpoint_stop(ep);
}

/* A bootstrap bundle that does not vouch for the endpoint: no bundle at
 * all, so the step answers UNAVAIL (fail closed). */
static void test_wrong_bootstrap(void)
{
	g_autofree char *b1 = bundle(1, ca1, NULL);
	g_autofree char *profile = g_strdup_printf(
		"profile = \"https_spiffe\"; endpoint_id = \"" ENDPOINT_ID
		"\"; bootstrap_bundle = \"%s/other-ca.pem\"; "
		"initial_timeout = 0;",
		dir);
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("svid-ca1", b1);
	g_autoptr(tv_engine) e = spiffe_engine(ep, profile, &error);
	uint32_t reasons = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "not trusted"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, &reasons, NULL),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE((reasons & TV_REASON_SOURCE_UNAVAILABLE) != 0);
	CU_ASSERT_EQUAL(sct_state(ep->state, "hits"), 0);
	g_clear_pointer(&e, tv_engine_free);
	endpoint_stop(ep);
}

/* https_web: the Web PKI check (CA file, host name 127.0.0.1). */
static void test_https_web(void)
{
	g_autofree char *b1 = bundle(1, ca1, NULL);
	g_autofree char *good = g_strdup_printf(
		"profile = \"https_web\"; ca = \"%s/other-ca.pem\";", dir);
	g_autofree char *bad = g_strdup_printf(
		"profile = \"https_web\"; ca = \"%s/bootstrap.pem\"; "
		"initial_timeout = 0;",
		dir);
	g_autoptr(GError) error = NULL;
	endpoint *ep = endpoint_start("web-host", b1);
	g_autoptr(tv_engine) e = spiffe_engine(ep, good, &error);
	g_autoptr(tv_engine) e2 = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	/* Another CA file: the server is not trusted, no bundle. */
	e2 = spiffe_engine(ep, bad, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e2);
	CU_ASSERT_TRUE(sct_wait_status(e2, "last_error", "127.0.0.1"));
	CU_ASSERT_EQUAL(sct_verify(e2, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	g_clear_pointer(&e, tv_engine_free);
	g_clear_pointer(&e2, tv_engine_free);
	endpoint_stop(ep);
}

/* Settings the source refuses, each naming its key. */
static void test_settings_refused(void)
{
	g_autofree char *boot = g_strdup_printf("%s/bootstrap.pem", dir);
	g_autofree char *garbage = g_strdup_printf("%s/garbage.pem", dir);
	struct {
		const char *policy; /* %s: the bootstrap file */
		const char *error;
	} cases[] = {
		{"url = \"http://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_web\";",
		 "not an https URL"},
		{"url = \"https://u@127.0.0.1:1/b\"; trust_domain = \"" TD
		 "\"; profile = \"https_web\";",
		 "user info"},
		{"url = \"https://127.0.0.1:1/b\"; profile = \"https_web\";",
		 "trust_domain"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";",
		 "profile"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffy\";",
		 "https_spiffy"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffe\"; bootstrap_bundle = \"%s\";",
		 "endpoint_id"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffe\"; endpoint_id = \"spiffe://"
		 "Example.org/x\"; bootstrap_bundle = \"%s\";",
		 "endpoint_id"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffe\"; endpoint_id = \"" ENDPOINT_ID
		 "\"; bootstrap_bundle = \"%s\"; ca = \"%s\";",
		 "'ca'"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_web\"; endpoint_id = \"" ENDPOINT_ID "\";",
		 "only for profile https_spiffe"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffe\"; endpoint_id = \"" ENDPOINT_ID
		 "\"; bootstrap_bundle = \"GARBAGE\";",
		 "bootstrap_bundle"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_web\"; refresh_interval = 0;",
		 "refresh_interval"},
		{"url = \"https://127.0.0.1:1/b\"; trust_domain = \"" TD "\";"
		 " profile = \"https_spiffe\"; endpoint_id = \"spiffe://" TD
		 "\"; bootstrap_bundle = \"%s\";",
		 "has no path"},
	};

	tv_test_write(dir, "garbage.pem", "not a certificate\n");
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		g_autofree char *step =
			g_strdup_printf(cases[i].policy, boot, boot);
#pragma GCC diagnostic pop
		g_autofree char *fixed = NULL;
		g_autofree char *policy = NULL;
		g_autoptr(GError) error = NULL;
		g_autoptr(tv_engine) e = NULL;
		char *at = strstr(step, "GARBAGE");

		if (at != NULL) {
			*at = '\0';
			fixed = g_strconcat(step, garbage, at + 7, NULL);
		}
		policy = g_strdup_printf(
			"endpoints = ( { name = \"m\"; hosts = [ \"" HOST
			"\" ]; chain = ( { use = \"discovery\"; control = "
			"\"required\"; source = \"spiffe\"; %s } ); } );\n",
			fixed != NULL ? fixed : step);
		e = sct_engine(policy, &error);
		CU_ASSERT_PTR_NULL(e);
		if (error == NULL ||
		    strstr(error->message, cases[i].error) == NULL) {
			fprintf(stderr, "case %zu: %s\n", i,
				error ? error->message : "(loaded)");
			CU_FAIL("setting not refused with its name");
		}
	}
}

static CU_TestInfo tests[] = {
	{"/spiffe/rotation-higher-sequence", test_rotation},
	{"/spiffe/lower-sequence-ignored", test_lower_sequence_ignored},
	{"/spiffe/empty-keys-revokes", test_empty_keys_revokes},
	{"/spiffe/wrong-endpoint-id-refused", test_wrong_endpoint_id},
	{"/spiffe/wrong-bootstrap-unavailable", test_wrong_bootstrap},
	{"/spiffe/https-web", test_https_web},
	{"/spiffe/settings-refused", test_settings_refused},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"spiffe", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc;

	atexit(sct_stop_all);
	rc = tv_test_run(suites);
	sct_stop_all();
	return rc;
}
