/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the GnuTLS session glue: real handshakes over a socketpair against
 * an in-process GnuTLS server. */
#include "config.h"

#include <tlsverify/tlsverify.h>

#include "tv-engine-test.h"
#include "tv-tls-test.h"

static char *plugin_dir; /* pem.so and mtls.so */

static int suite_init(void)
{
	static const char *const names[] = {"pem", "mtls", NULL};

	plugin_dir = tv_test_plugin_dir(names);
	return 0;
}

static int suite_clean(void)
{
	g_clear_pointer(&plugin_dir, g_free);
	return 0;
}

/*
 * The client's policy: servers under *.internal.test and 127.0.0.1 are
 * trusted through the test root; @extra endpoints come first.  A "*"
 * endpoint trusting only the rogue root keeps the built-in default (the
 * system store) out of these tests.
 */
static tv_engine *client_engine(const char *extra)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *rogue = tv_test_fixture("rogue-ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"%s"
		"  { name = \"internal\";\n"
		"    hosts = [ \"*.internal.test\", \"127.0.0.1\" ];\n"
		"    chain = ( { use = \"pem\"; control = \"required\";\n"
		"                bundle = \"%s\"; } ); },\n"
		"  { name = \"catch-all\"; hosts = [ \"*\" ];\n"
		"    chain = ( { use = \"pem\"; control = \"required\";\n"
		"                bundle = \"%s\"; } ); }\n"
		");\n",
		extra ? extra : "", ca, rogue);
	g_autofree char *dir = tv_test_conf("50-client.conf", policy);
	g_autoptr(GError) error = NULL;
	tv_engine *engine = tv_engine_new(dir, plugin_dir, &error);

	if (engine == NULL)
		fprintf(stderr, "\n  client engine: %s\n", error->message);
	return engine;
}

/* An endpoint block presenting the mTLS fixture @name as client cert. */
static char *client_endpoint(const char *host, const char *name)
{
	g_autofree char *base = g_strconcat(name, ".pem", NULL);
	g_autofree char *keyname = g_strconcat(name, ".key", NULL);
	g_autofree char *cert = tv_test_mtls_fixture(base);
	g_autofree char *key = tv_test_mtls_fixture(keyname);
	g_autofree char *ca = tv_test_fixture("ca.pem");

	return g_strdup_printf(
		"  { name = \"with-client\"; hosts = [ \"%s\" ];\n"
		"    chain = ( { use = \"pem\"; control = \"required\";\n"
		"                bundle = \"%s\"; } );\n"
		"    client = { use = \"mtls\"; certificate = \"%s\";\n"
		"               key = \"%s\"; }; },\n",
		host, ca, cert, key);
}

/* The server's policy for its clients: the client CA, then mtls allowing
 * exactly spiffe://prod.example/payments. */
static tv_engine *server_engine(void)
{
	g_autofree char *ca = tv_test_mtls_fixture("client-ca.pem");
	g_autofree char *other = tv_test_mtls_fixture("other-client-ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"  { name = \"clients\"; hosts = [ \"clients.internal.test\" "
		"];\n"
		"    chain = (\n"
		"      { use = \"pem\"; control = \"required\"; bundle = "
		"\"%s\"; "
		"},\n"
		"      { use = \"mtls\"; control = \"required\";\n"
		"        allowed_names = [ \"spiffe://prod.example/payments\" "
		"]; "
		"}\n"
		"    ); },\n"
		"  { name = \"nobody\"; hosts = [ \"*\" ]; chain = (\n"
		"      { use = \"pem\"; control = \"required\"; bundle = "
		"\"%s\"; "
		"} ); }\n"
		");\n",
		ca, other);
	g_autofree char *dir = tv_test_conf("50-server.conf", policy);
	g_autoptr(GError) error = NULL;
	tv_engine *engine = tv_engine_new(dir, plugin_dir, &error);

	if (engine == NULL)
		fprintf(stderr, "\n  server engine: %s\n", error->message);
	return engine;
}

/* A server presenting fixture chain @chain with leaf key @key. */
static void server_init(tv_tls_server *srv, const char *chain, const char *key)
{
	memset(srv, 0, sizeof(*srv));
	srv->cert_file = tv_test_fixture(chain);
	srv->key_file = tv_test_fixture(key);
	srv->client_cert = GNUTLS_CERT_IGNORE;
}

static void server_free(tv_tls_server *srv)
{
	g_free((char *)srv->cert_file);
	g_free((char *)srv->key_file);
	tv_tls_server_clear(srv);
}

/* ---- server verification -------------------------------------------- */

static void test_trusted(void)
{
	g_autoptr(tv_engine) engine = client_engine(NULL);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, "chain-good.pem", "leaf-good.key");
	tv_tls_connect(engine, "good.internal.test", 443, NULL, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(srv.handshake_ret, 0);
	CU_ASSERT_FALSE(cl.sent_client_cert);
	CU_ASSERT_STRING_EQUAL(srv.sni, "good.internal.test");
	CU_ASSERT_STRING_EQUAL(
		tv_result_get_endpoint(tv_session_get_result(cl.tvs)),
		"internal");
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

/*
 * A rejected chain aborts the handshake before the client's Finished: the
 * server never completes, gets a bad_certificate alert and no byte of
 * application data.
 */
static void check_rejected(const char *chain, const char *key, const char *host,
			   const char *priority, uint32_t reasons)
{
	g_autoptr(tv_engine) engine = client_engine(NULL);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, chain, key);
	srv.priority = priority;
	tv_tls_connect(engine, host, 443, priority, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret,
			GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tv_session_get_result(cl.tvs));
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_REJECTED);
	if (cl.reasons != reasons)
		fprintf(stderr, "\n  reasons 0x%x, want 0x%x\n", cl.reasons,
			reasons);
	CU_ASSERT_EQUAL(cl.reasons, reasons);
	CU_ASSERT_NOT_EQUAL(srv.handshake_ret, 0);
	CU_ASSERT_EQUAL(srv.handshake_ret, GNUTLS_E_FATAL_ALERT_RECEIVED);
	if (srv.alert != GNUTLS_A_BAD_CERTIFICATE)
		fprintf(stderr, "\n  server saw alert %d (%s), ret %s\n",
			srv.alert,
			srv.alert >= 0 ? gnutls_alert_get_name(srv.alert) : "-",
			gnutls_strerror(srv.handshake_ret));
	CU_ASSERT_EQUAL(srv.alert, GNUTLS_A_BAD_CERTIFICATE);
	CU_ASSERT_EQUAL(srv.app_bytes, 0);
	/* Not a byte after the alert: no request went out. */
	CU_ASSERT_EQUAL(srv.raw_bytes_after, 0);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

static void test_wrong_host(void)
{
	check_rejected("chain-wronghost.pem", "leaf-wronghost.key",
		       "good.internal.test", NULL, TV_REASON_NAME_MISMATCH);
}

static void test_wrong_host_tls12(void)
{
	check_rejected("chain-wronghost.pem", "leaf-wronghost.key",
		       "good.internal.test", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
		       TV_REASON_NAME_MISMATCH);
}

static void test_expired(void)
{
	check_rejected("chain-expired.pem", "leaf-expired.key",
		       "good.internal.test", NULL, TV_REASON_EXPIRED);
}

static void test_untrusted(void)
{
	check_rejected("chain-rogue.pem", "leaf-rogue.key",
		       "good.internal.test", NULL, TV_REASON_UNTRUSTED);
}

/* ---- SNI --------------------------------------------------------------- */

static void test_sni_override(void)
{
	g_autofree char *ca = tv_test_fixture("ca.pem");
	g_autofree char *ep = g_strdup_printf(
		"  { name = \"fronted\"; hosts = [ \"good.internal.test\" ];\n"
		"    sni = \"front.example.test\";\n"
		"    chain = ( { use = \"pem\"; control = \"required\";\n"
		"                bundle = \"%s\"; } ); },\n",
		ca);
	g_autoptr(tv_engine) engine = client_engine(ep);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, "chain-good.pem", "leaf-good.key");
	tv_tls_connect(engine, "good.internal.test", 443, NULL, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv.sni);
	CU_ASSERT_STRING_EQUAL(srv.sni, "front.example.test");
	/* The name checked is still the host, not the SNI. */
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_STRING_EQUAL(
		tv_result_get_endpoint(tv_session_get_result(cl.tvs)),
		"fronted");
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

static void test_sni_ip_literal(void)
{
	g_autoptr(tv_engine) engine = client_engine(NULL);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, "chain-ip.pem", "leaf-ip.key");
	tv_tls_connect(engine, "127.0.0.1", 443, NULL, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_PTR_NULL(srv.sni);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

static void test_attach_bad_host(void)
{
	g_autoptr(tv_engine) engine = client_engine(NULL);
	g_autoptr(GError) error = NULL;
	gnutls_session_t s = NULL;
	tv_session *tvs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_EQUAL_FATAL(gnutls_init(&s, GNUTLS_CLIENT), 0);
	tvs = tv_session_attach(engine, s, "not a host!", 443, &error);
	CU_ASSERT_PTR_NULL(tvs);
	CU_ASSERT_PTR_NOT_NULL(error);
	if (error != NULL)
		CU_ASSERT_TRUE(
			g_error_matches(error, TV_ERROR, TV_ERROR_INPUT));
	gnutls_deinit(s);
	tv_session_free(tvs);
}

/* ---- client certificates ---------------------------------------------- */

/* Runs a handshake where the server requires a client certificate and
 * judges it with server_engine(); the client presents fixture @client
 * (NULL: its endpoint has no `client`). */
static void run_mtls(const char *client, tv_tls_server *srv, tv_tls_client *cl,
		     tv_engine **server_out)
{
	g_autofree char *ep =
		client ? client_endpoint("good.internal.test", client) : NULL;
	g_autoptr(tv_engine) engine = client_engine(ep);
	tv_engine *verifier = server_engine();

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(verifier);
	server_init(srv, "chain-good.pem", "leaf-good.key");
	srv->client_cert = GNUTLS_CERT_REQUIRE;
	srv->verifier = verifier;
	srv->verifier_host = "clients.internal.test";
	tv_tls_connect(engine, "good.internal.test", 443, NULL, srv, cl);
	*server_out = verifier;
}

static void test_client_cert_accepted(void)
{
	g_autofree char *good = tv_test_mtls_fixture("client-good.pem");
	g_autoptr(tv_engine) verifier = NULL;
	tv_tls_server srv;
	tv_tls_client cl;

	run_mtls("client-good", &srv, &cl, &verifier);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(cl.sent_client_cert);
	CU_ASSERT_EQUAL(cl.alert, -1);
	CU_ASSERT_EQUAL(srv.handshake_ret, 0);
	CU_ASSERT_TRUE(tv_tls_der_is_file(&srv.client_leaf, good));
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv.client_result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(srv.client_result),
			TV_VERDICT_TRUSTED);
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(srv.client_result),
			       "clients");
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

/* The server refuses: its handshake fails, the client hears an alert (in
 * TLS 1.3 after its own handshake completed, when it closes). */
static void check_client_refused(const char *client, uint32_t reasons)
{
	g_autoptr(tv_engine) verifier = NULL;
	tv_tls_server srv;
	tv_tls_client cl;

	run_mtls(client, &srv, &cl, &verifier);
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(cl.sent_client_cert);
	CU_ASSERT_EQUAL(srv.handshake_ret,
			GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR);
	CU_ASSERT_NOT_EQUAL(cl.alert, -1);
	CU_ASSERT_EQUAL(srv.app_bytes, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv.client_result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(srv.client_result),
			TV_VERDICT_REJECTED);
	if (tv_result_get_reasons(srv.client_result) != reasons) {
		g_autofree char *json = tv_result_to_json(srv.client_result);

		fprintf(stderr, "\n  want reasons 0x%x: %s\n", reasons, json);
	}
	CU_ASSERT_EQUAL(tv_result_get_reasons(srv.client_result), reasons);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

static void test_client_cert_wrong_id(void)
{
	check_client_refused("client-billing", TV_REASON_NAME_MISMATCH);
}

static void test_client_cert_other_ca(void)
{
	check_client_refused("client-other", TV_REASON_UNTRUSTED);
}

/* No `client` in the endpoint: nothing is sent, the server that requires a
 * certificate refuses the connection. */
static void test_client_cert_none(void)
{
	g_autoptr(tv_engine) verifier = NULL;
	tv_tls_server srv;
	tv_tls_client cl;

	run_mtls(NULL, &srv, &cl, &verifier);
	CU_ASSERT_FALSE(cl.sent_client_cert);
	CU_ASSERT_EQUAL(cl.verdict, TV_VERDICT_TRUSTED);
	CU_ASSERT_NOT_EQUAL(srv.handshake_ret, 0);
	CU_ASSERT_EQUAL(srv.client_leaf.data, NULL);
	CU_ASSERT_EQUAL(cl.alert, GNUTLS_A_CERTIFICATE_REQUIRED);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

/* A `client` is presented only when the server asks for one. */
static void test_client_cert_not_requested(void)
{
	g_autofree char *ep =
		client_endpoint("good.internal.test", "client-good");
	g_autoptr(tv_engine) engine = client_engine(ep);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, "chain-good.pem", "leaf-good.key");
	tv_tls_connect(engine, "good.internal.test", 443, NULL, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_FALSE(cl.sent_client_cert);
	CU_ASSERT_PTR_NULL(srv.client_leaf.data);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

/* Only the endpoint's own `client` is presented, never another's. */
static void test_client_cert_other_endpoint(void)
{
	g_autofree char *ep =
		client_endpoint("www.good.internal.test", "client-good");
	g_autoptr(tv_engine) engine = client_engine(ep);
	tv_tls_server srv;
	tv_tls_client cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	server_init(&srv, "chain-good.pem", "leaf-good.key");
	srv.client_cert = GNUTLS_CERT_REQUEST;
	tv_tls_connect(engine, "good.internal.test", 443, NULL, &srv, &cl);
	CU_ASSERT_EQUAL(cl.handshake_ret, 0);
	CU_ASSERT_FALSE(cl.sent_client_cert);
	CU_ASSERT_PTR_NULL(srv.client_leaf.data);
	tv_tls_client_clear(&cl);
	server_free(&srv);
}

static CU_TestInfo server_tests[] = {
	{"/glue/trusted", test_trusted},
	{"/glue/wrong-host", test_wrong_host},
	{"/glue/wrong-host-tls12", test_wrong_host_tls12},
	{"/glue/expired", test_expired},
	{"/glue/untrusted", test_untrusted},
	{"/glue/sni-override", test_sni_override},
	{"/glue/sni-ip-literal", test_sni_ip_literal},
	{"/glue/attach-bad-host", test_attach_bad_host},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo client_tests[] = {
	{"/glue/client-cert-accepted", test_client_cert_accepted},
	{"/glue/client-cert-wrong-id", test_client_cert_wrong_id},
	{"/glue/client-cert-other-ca", test_client_cert_other_ca},
	{"/glue/client-cert-none", test_client_cert_none},
	{"/glue/client-cert-not-requested", test_client_cert_not_requested},
	{"/glue/client-cert-other-endpoint", test_client_cert_other_endpoint},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_SuiteInfo suites[] = {
		{"glue-server", suite_init, suite_clean, NULL, NULL,
		 server_tests},
		{"glue-client-cert", suite_init, suite_clean, NULL, NULL,
		 client_tests},
		CU_SUITE_INFO_NULL,
	};

	return tv_test_run(suites);
}
