/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the mtls plugin: real mtls.so through the engine API, client
 * certificates seen by an in-process GnuTLS server. */
#include "config.h"

#include <glib/gstdio.h>
#include <tlsverify/tlsverify.h>

#include "tv-engine-test.h"
#include "tv-tls-test.h"

#define FIXED_TIME INT64_C(1780272000) /* 2026-06-01T00:00:00Z */
#define POLICY_FILE "50-test.conf"
#define STEP_LOCATION POLICY_FILE ":5" /* the line the settings are on */

static char *plugin_dir;   /* pem.so and mtls.so */
static gint mtls_warnings; /* warnings logged by the plugin */

static char *pki(const char *name)
{
	return tv_test_mtls_fixture(name);
}

static char *server_fixture(const char *name)
{
	return g_build_filename(tv_test_env("TV_FIXTURES"), name, NULL);
}

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

/* Counts the plugin's warnings (reload failures), prints the rest. */
static GLogWriterOutput count_writer(GLogLevelFlags level,
				     const GLogField *fields, gsize n_fields,
				     gpointer data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 &&
		    g_strcmp0(fields[i].value, "tlsverify-mtls") == 0 &&
		    (level & G_LOG_LEVEL_WARNING))
			g_atomic_int_inc(&mtls_warnings);
	}
	return g_log_writer_default(level, fields, n_fields, data);
}

/*
 * Writes a policy whose endpoint "ep" (*.internal.test and
 * clients.internal.test) holds @settings on line 5 (STEP_LOCATION) and
 * loads it.  A "*" endpoint trusting only the rogue root keeps the built-in
 * default out.  Returns the engine, or NULL with @error.
 */
static tv_engine *engine_with(const char *settings, GError **error)
{
	g_autofree char *dir = tv_test_mkdtemp("conf-mtls");
	g_autofree char *rogue = server_fixture("rogue-ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"# written by test-plugin-mtls\n"
		"endpoints = (\n"
		"  { name = \"ep\";\n"
		"    hosts = [ \"*.internal.test\", \"clients.internal.test\" "
		"];\n"
		"    %s\n"
		"  },\n"
		"  { name = \"catch-all\"; hosts = [ \"*\" ];\n"
		"    chain = ( { use = \"pem\"; control = \"required\"; "
		"bundle = \"%s\"; } ); }\n"
		");\n",
		settings, rogue);

	tv_test_write(dir, POLICY_FILE, policy);
	return tv_engine_new(dir, plugin_dir, error);
}

/* Line-5 settings: servers trusted by the test root, and a `client`. */
static char *client_settings(const char *client)
{
	g_autofree char *ca = server_fixture("ca.pem");

	return g_strdup_printf("chain = ( { use = \"pem\"; control = "
			       "\"required\"; bundle = \"%s\"; } ); "
			       "client = { use = \"mtls\"; %s };",
			       ca, client);
}

/* Line-5 settings: clients trusted by the client CA, then mtls. */
static char *chain_settings(const char *mtls)
{
	g_autofree char *ca = pki("client-ca.pem");

	return g_strdup_printf("chain = ( { use = \"pem\"; control = "
			       "\"required\"; bundle = \"%s\"; }, "
			       "{ use = \"mtls\"; control = \"required\"; %s "
			       "} );",
			       ca, mtls);
}

/* "certificate = ...; key = ...;" for fixture @name. */
static char *cert_key(const char *name)
{
	g_autofree char *c = g_strconcat(name, ".pem", NULL);
	g_autofree char *k = g_strconcat(name, ".key", NULL);
	g_autofree char *cert = pki(c);
	g_autofree char *key = pki(k);

	return g_strdup_printf("certificate = \"%s\"; key = \"%s\";", cert,
			       key);
}

static void expect_load_error(const char *settings, const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_with(settings, &error);

	CU_ASSERT_PTR_NULL(engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (strstr(error->message, STEP_LOCATION) == NULL ||
	    strstr(error->message, what) == NULL)
		fprintf(stderr, "\n  want '%s' and '%s' in: %s\n",
			STEP_LOCATION, what, error->message);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, STEP_LOCATION));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, what));
}

static void expect_client_error(const char *client, const char *what)
{
	g_autofree char *settings = client_settings(client);

	expect_load_error(settings, what);
}

/* Copies fixture @name into @dir with @mode; returns the new path. */
static char *copy_with_mode(const char *name, const char *dir, int mode)
{
	g_autofree char *src = pki(name);
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	char *dst = g_build_filename(dir, name, NULL);
	gsize len = 0;

	if (!g_file_get_contents(src, &data, &len, &error) ||
	    !g_file_set_contents_full(dst, data, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, mode,
				      &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
	g_chmod(dst, mode);
	return dst;
}

/* ---- client role: what loads ------------------------------------------ */

/* One handshake with a server that requires a client certificate and
 * accepts any; true when it saw the certificate of fixture @expected. */
static bool presents(tv_engine *engine, const char *expected)
{
	g_autofree char *file = pki(expected);
	tv_tls_server srv;
	tv_tls_client cl;
	bool seen;

	memset(&srv, 0, sizeof(srv));
	srv.cert_file = server_fixture("chain-good.pem");
	srv.key_file = server_fixture("leaf-good.key");
	srv.client_cert = GNUTLS_CERT_REQUIRE;
	tv_tls_connect(engine, "good.internal.test", 443, NULL, &srv, &cl);
	seen = cl.handshake_ret == 0 && srv.handshake_ret == 0 &&
	       cl.sent_client_cert &&
	       tv_tls_der_is_file(&srv.client_leaf, file);
	if (!seen)
		fprintf(stderr,
			"\n  want %s: client %s, server %s, sent %d, %s\n",
			expected, gnutls_strerror(cl.handshake_ret),
			gnutls_strerror(srv.handshake_ret), cl.sent_client_cert,
			srv.client_leaf.data ? "other certificate" : "none");
	g_free((char *)srv.cert_file);
	g_free((char *)srv.key_file);
	tv_tls_server_clear(&srv);
	tv_tls_client_clear(&cl);
	return seen;
}

static void expect_presents(const char *client, const char *expected)
{
	g_autofree char *settings = client_settings(client);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_with(settings, &error);

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_TRUE(presents(engine, expected));
}

static void test_dlopen_smoke(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) infos = tv_plugins_scan(plugin_dir, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(infos);
	for (guint i = 0; i < infos->len; i++) {
		const tv_plugin_info *info = infos->pdata[i];

		if (strcmp(info->name, "mtls") != 0)
			continue;
		CU_ASSERT_PTR_NULL(info->error);
		CU_ASSERT_EQUAL(info->abi_major, 1);
		CU_ASSERT_TRUE(info->abi_minor >= 1);
		return;
	}
	CU_FAIL("mtls.so not listed");
}

static void test_load_pem(void)
{
	g_autofree char *ck = cert_key("client-good");

	expect_presents(ck, "client-good.pem");
}

static void test_load_pkcs8(void)
{
	g_autofree char *cert = pki("client-good.pem");
	g_autofree char *key = pki("client-good.p8");
	g_autofree char *pass = pki("client.pass");
	g_autofree char *client = g_strdup_printf(
		"certificate = \"%s\"; key = \"%s\"; password_file = \"%s\";",
		cert, key, pass);

	expect_presents(client, "client-good.pem");
}

static void test_load_pkcs12(void)
{
	g_autofree char *p12 = pki("client-good.p12");
	g_autofree char *pass = pki("client.pass");
	g_autofree char *client = g_strdup_printf(
		"pkcs12 = \"%s\"; password_file = \"%s\";", p12, pass);

	expect_presents(client, "client-good.pem");
}

/* Relative paths resolve against the policy file's directory. */
static void test_load_relative(void)
{
	g_autofree char *dir = tv_test_mkdtemp("conf-mtls-rel");
	g_autofree char *c = copy_with_mode("client-good.pem", dir, 0644);
	g_autofree char *k = copy_with_mode("client-good.key", dir, 0600);
	g_autofree char *ca = server_fixture("ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"endpoints = ( { name = \"ep\"; hosts = [ \"*\" ];\n"
		"  chain = ( { use = \"pem\"; control = \"required\"; "
		"bundle = \"%s\"; } );\n"
		"  client = { use = \"mtls\"; certificate = "
		"\"client-good.pem\"; "
		"key = \"client-good.key\"; }; } );\n",
		ca);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;

	tv_test_write(dir, POLICY_FILE, policy);
	engine = tv_engine_new(dir, plugin_dir, &error);
	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_TRUE(presents(engine, "client-good.pem"));
}

/* ---- client role: load errors, each naming file:line --------------- */

typedef struct {
	const char *name;
	const char *fmt; /* settings; {D} = the fixture directory */
	const char *what;
} load_error_case;

static const load_error_case client_errors[] = {
	{"/mtls/error/key-mismatch",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-billing.key\";",
	 "does not match the certificate"},
	{"/mtls/error/expired",
	 "certificate = \"{D}/client-expired.pem\"; "
	 "key = \"{D}/client-expired.key\";",
	 "expired on 2021-01-01T00:00:00Z"},
	{"/mtls/error/not-yet-valid",
	 "certificate = \"{D}/client-notyet.pem\"; "
	 "key = \"{D}/client-notyet.key\";",
	 "is not valid before 2035-01-01T00:00:00Z"},
	{"/mtls/error/missing-certificate",
	 "certificate = \"{D}/nope.pem\"; key = \"{D}/client-good.key\";",
	 "nope.pem': No such file"},
	{"/mtls/error/missing-key",
	 "certificate = \"{D}/client-good.pem\"; key = \"{D}/nope.key\";",
	 "nope.key': No such file"},
	{"/mtls/error/missing-password-file",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.p8\"; password_file = \"{D}/nope.pass\";",
	 "key 'password_file': cannot read password file"},
	{"/mtls/error/wrong-password-pkcs8",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.p8\"; "
	 "password_file = \"{D}/wrong.pass\";",
	 "key 'password_file': cannot decrypt key file"},
	{"/mtls/error/encrypted-without-password",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.p8\";",
	 "is an encrypted PKCS#8 key: set password_file"},
	{"/mtls/error/wrong-password-pkcs12",
	 "pkcs12 = \"{D}/client-good.p12\"; "
	 "password_file = \"{D}/wrong.pass\";",
	 "wrong password for PKCS#12 file"},
	{"/mtls/error/pkcs12-and-key",
	 "pkcs12 = \"{D}/client-good.p12\"; key = \"{D}/client-good.key\";",
	 "use either pkcs12 or certificate + key"},
	{"/mtls/error/no-key", "certificate = \"{D}/client-good.pem\";",
	 "missing: key"},
	{"/mtls/error/garbage-certificate",
	 "certificate = \"{D}/client.pass\"; key = \"{D}/client-good.key\";",
	 "holds no usable certificate"},
	{"/mtls/error/certificate-is-key",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.pem\";",
	 "has mode 0644"},
	{"/mtls/error/pin-file-without-token",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.key\"; pin_file = \"{D}/client.pass\";",
	 "only for a key on a PKCS#11 token"},
	{"/mtls/error/check-interval",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.key\"; check_interval = 7200;",
	 "key 'check_interval'"},
	{"/mtls/error/chain-key-in-client",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"{D}/client-good.key\"; allowed_names = [ \"x.test\" ];",
	 "unknown key 'allowed_names' for plugin 'mtls'"},
	{"/mtls/error/pkcs11-token-missing",
	 "certificate = \"{D}/client-good.pem\"; "
	 "key = \"pkcs11:token=tlsverify-no-such-token;object=k;type=private"
	 "?pin-value=1234\";",
	 "pin-value=REDACTED"},
};

static void run_client_error(const load_error_case *c)
{
	g_autofree char *file = pki("client-ca.pem");
	g_autofree char *dir = g_path_get_dirname(file);
	g_autoptr(GString) client = g_string_new(c->fmt);

	g_string_replace(client, "{D}", dir, 0);
	expect_client_error(client->str, c->what);
}

#define CLIENT_ERROR_TEST(i)                                                   \
	static void client_error_##i(void)                                     \
	{                                                                      \
		run_client_error(&client_errors[i]);                           \
	}

CLIENT_ERROR_TEST(0)
CLIENT_ERROR_TEST(1)
CLIENT_ERROR_TEST(2)
CLIENT_ERROR_TEST(3)
CLIENT_ERROR_TEST(4)
CLIENT_ERROR_TEST(5)
CLIENT_ERROR_TEST(6)
CLIENT_ERROR_TEST(7)
CLIENT_ERROR_TEST(8)
CLIENT_ERROR_TEST(9)
CLIENT_ERROR_TEST(10)
CLIENT_ERROR_TEST(11)
CLIENT_ERROR_TEST(12)
CLIENT_ERROR_TEST(13)
CLIENT_ERROR_TEST(14)
CLIENT_ERROR_TEST(15)
CLIENT_ERROR_TEST(16)

static const CU_TestFunc client_error_fns[] = {
	client_error_0,	 client_error_1,  client_error_2,  client_error_3,
	client_error_4,	 client_error_5,  client_error_6,  client_error_7,
	client_error_8,	 client_error_9,  client_error_10, client_error_11,
	client_error_12, client_error_13, client_error_14, client_error_15,
	client_error_16,
};

G_STATIC_ASSERT(G_N_ELEMENTS(client_error_fns) == G_N_ELEMENTS(client_errors));

/* A key readable by others is refused, naming the file and its mode. */
static void check_mode_refused(const char *name, const char *key, int mode,
			       const char *want_mode)
{
	g_autofree char *dir = tv_test_mkdtemp("mtls-mode");
	g_autofree char *path = copy_with_mode(name, dir, mode);
	g_autofree char *cert = pki("client-good.pem");
	g_autofree char *p8 = pki("client-good.p8");
	g_autofree char *client = NULL;
	g_autofree char *what = NULL;

	if (strcmp(key, "key") == 0)
		client = g_strdup_printf("certificate = \"%s\"; key = \"%s\";",
					 cert, path);
	else
		client = g_strdup_printf("certificate = \"%s\"; key = \"%s\"; "
					 "password_file = \"%s\";",
					 cert, p8, path);
	what = g_strdup_printf("key '%s': %s '%s' has mode %s", key,
			       strcmp(key, "key") == 0 ? "key file"
						       : "password file",
			       path, want_mode);
	expect_client_error(client, what);
}

static void test_world_readable_key(void)
{
	check_mode_refused("client-good.key", "key", 0644, "0644");
}

static void test_group_readable_password(void)
{
	check_mode_refused("client.pass", "password_file", 0640, "0640");
}

/* ---- chain role: loading --------------------------------------------- */

static void expect_chain_error(const char *mtls, const char *what)
{
	g_autofree char *settings = chain_settings(mtls);

	expect_load_error(settings, what);
}

static void test_chain_needs_names(void)
{
	expect_chain_error("", "key 'allowed_names': missing");
}

static void test_chain_empty_names(void)
{
	expect_chain_error("allowed_names = [ ];", "empty list");
}

static void test_chain_client_key(void)
{
	expect_chain_error("allowed_names = [ \"a.test\" ]; key = \"k.pem\";",
			   "unknown key 'key' for plugin 'mtls'");
}

/* Malformed allowed_names entries: each refused with file:line and why. */
static const struct {
	const char *entry;
	const char *why;
} bad_names[] = {
	{"SPIFFE://prod.example/a", "the scheme must be lowercase"},
	{"spiffe://Prod.example/a", "the trust domain must be lowercase"},
	{"spiffe:///a", "the trust domain is empty"},
	{"spiffe://prod.example/a//b", "empty path segments"},
	{"spiffe://prod.example/a/", "a trailing '/'"},
	{"spiffe://prod.example/./a", "'.' and '..' path segments"},
	{"spiffe://prod.example/a/..", "'.' and '..' path segments"},
	{"spiffe://prod.example/a?x=1", "a query is not allowed"},
	{"spiffe://prod.example/a#frag", "a fragment is not allowed"},
	{"spiffe://prod.example/a%20b", "percent-encoding"},
	{"spiffe://user@prod.example/a", "userinfo is not allowed"},
	{"spiffe://prod.example:8443/a", "a port is not allowed"},
	{"spiffe://prod.example/a*", "'*' is only allowed as the whole last"},
	{"spiffe://prod.example/*/a", "'*' is only allowed as the whole last"},
	{"spiffe://prod.example", "names a trust domain, not a workload"},
	{"*.internal.test", "wildcards are not allowed"},
	{"10.0.0.1", "IP addresses are not supported"},
	{"https://example.test/x", "neither a DNS name nor a spiffe:// ID"},
	{"bad-.internal.test", "a DNS label must not start or end with '-'"},
	{"a..test", "empty DNS label"},
};

static void test_chain_malformed_names(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_names); i++) {
		g_autofree char *mtls = g_strdup_printf(
			"allowed_names = [ \"client.internal.test\", \"%s\" ];",
			bad_names[i].entry);
		g_autofree char *what =
			g_strdup_printf("key 'allowed_names': '%s': %s",
					bad_names[i].entry, bad_names[i].why);

		expect_chain_error(mtls, what);
	}
}

/* ---- chain role: matching ------------------------------------------- */

typedef struct {
	const char *names; /* allowed_names value */
	const char *cert;  /* client fixture presented */
	tv_verdict verdict;
	uint32_t reasons;
	const char *message; /* expected in the mtls step's message */
} match_case;

static const match_case match_cases[] = {
	/* exact DNS names, compared without case, never a wildcard */
	{"\"client.internal.test\"", "client-good.pem", TV_VERDICT_TRUSTED, 0,
	 "'client.internal.test' allowed by 'client.internal.test'"},
	{"\"CLIENT.Internal.Test\"", "client-dns.pem", TV_VERDICT_TRUSTED, 0,
	 "allowed by 'CLIENT.Internal.Test'"},
	{"\"internal.test\"", "client-dns.pem", TV_VERDICT_REJECTED,
	 TV_REASON_NAME_MISMATCH,
	 "no allowed name: the certificate presents DNS:client.internal.test"},
	{"\"client.internal.test\"", "client-billing.pem", TV_VERDICT_REJECTED,
	 TV_REASON_NAME_MISMATCH, "URI:spiffe://prod.example/billing"},
	/* exact SPIFFE IDs */
	{"\"spiffe://prod.example/payments\"", "client-good.pem",
	 TV_VERDICT_TRUSTED, 0,
	 "'spiffe://prod.example/payments' allowed by "
	 "'spiffe://prod.example/payments'"},
	{"\"spiffe://prod.example/payments\"", "client-deep.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH,
	 "URI:spiffe://prod.example/payments/eu"},
	{"\"spiffe://prod.example/payments\"", "client-billing.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, "no allowed name"},
	{"\"spiffe://prod.example/payments\"", "client-staging.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, "no allowed name"},
	/* any ID of a trust domain */
	{"\"spiffe://prod.example/*\"", "client-good.pem", TV_VERDICT_TRUSTED,
	 0, "allowed by 'spiffe://prod.example/*'"},
	{"\"spiffe://prod.example/*\"", "client-billing.pem",
	 TV_VERDICT_TRUSTED, 0, "'spiffe://prod.example/billing' allowed"},
	{"\"spiffe://prod.example/*\"", "client-deep.pem", TV_VERDICT_TRUSTED,
	 0, "'spiffe://prod.example/payments/eu' allowed"},
	{"\"spiffe://prod.example/*\"", "client-staging.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH,
	 "URI:spiffe://staging.example/payments"},
	/* path prefixes, on segment boundaries only */
	{"\"spiffe://prod.example/payments/*\"", "client-deep.pem",
	 TV_VERDICT_TRUSTED, 0,
	 "allowed by 'spiffe://prod.example/payments/*'"},
	{"\"spiffe://prod.example/payments/*\"", "client-good.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, "no allowed name"},
	{"\"spiffe://prod.example/pay/*\"", "client-good.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, "no allowed name"},
	{"\"spiffe://prod.example/pay/*\"", "client-deep.pem",
	 TV_VERDICT_REJECTED, TV_REASON_NAME_MISMATCH, "no allowed name"},
	/* presented IDs that are not canonical never match */
	{"\"spiffe://prod.example/*\"", "client-badid.pem", TV_VERDICT_REJECTED,
	 TV_REASON_NAME_MISMATCH,
	 "spiffe://prod.example/a//b (invalid SPIFFE ID: empty path"},
	{"\"spiffe://prod.example/*\"", "client-upper.pem", TV_VERDICT_REJECTED,
	 TV_REASON_NAME_MISMATCH, "(invalid SPIFFE ID: the trust domain must"},
	/* two SPIFFE IDs: not an X509-SVID, refused whatever is allowed */
	{"\"spiffe://prod.example/*\"", "client-twoids.pem",
	 TV_VERDICT_REJECTED, TV_REASON_MALFORMED, "carries 2 SPIFFE IDs"},
	/* a list: the first pattern that matches is named */
	{"\"nobody.internal.test\", \"spiffe://prod.example/billing\", "
	 "\"spiffe://prod.example/*\"",
	 "client-billing.pem", TV_VERDICT_TRUSTED, 0,
	 "allowed by 'spiffe://prod.example/billing'"},
};

static void run_match_case(const match_case *c)
{
	g_autofree char *mtls =
		g_strdup_printf("allowed_names = [ %s ];", c->names);
	g_autofree char *settings = chain_settings(mtls);
	g_autofree char *path = pki(c->cert);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_with(settings, &error);
	g_autoptr(tv_request) req = tv_request_new("clients.internal.test", 0);
	g_autoptr(tv_result) result = NULL;
	g_autofree char *pem = NULL;
	const tv_trace_entry *step = NULL;
	gsize len = 0;

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_FATAL(g_file_get_contents(path, &pem, &len, NULL));
	CU_ASSERT_FATAL(tv_request_add_pem(req, pem, len, false, NULL) == 1);
	tv_request_set_purpose(req, TV_PURPOSE_CLIENT);
	tv_request_set_time(req, FIXED_TIME);
	CU_ASSERT_FATAL(tv_engine_verify(engine, req, &result, NULL));

	for (size_t i = 0; i < tv_result_get_trace_length(result); i++) {
		const tv_trace_entry *e = tv_result_get_trace_entry(result, i);

		if (strcmp(e->plugin, "mtls") == 0)
			step = e;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(step);
	if (tv_result_get_verdict(result) != c->verdict ||
	    tv_result_get_reasons(result) != c->reasons ||
	    strstr(step->message, c->message) == NULL) {
		g_autofree char *json = tv_result_to_json(result);

		fprintf(stderr, "\n  [%s] vs %s: want '%s', got %s\n", c->names,
			c->cert, c->message, json);
	}
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), c->verdict);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), c->reasons);
	CU_ASSERT_PTR_NOT_NULL(strstr(step->message, c->message));
}

static void test_match_table(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(match_cases); i++)
		run_match_case(&match_cases[i]);
}

/* ---- reload ------------------------------------------------------------- */

/* Replaces @dir/@name by fixture @from (or @text) the way deployment
 * tools do: write a temporary file, rename it over. */
static void rename_over(const char *dir, const char *name, const char *from,
			const char *text, int mode)
{
	g_autofree char *tmp_name = g_strconcat(".", name, ".tmp", NULL);
	g_autofree char *tmp = NULL;
	g_autofree char *dst = g_build_filename(dir, name, NULL);

	if (from != NULL) {
		g_autofree char *src = pki(from);
		g_autofree char *data = NULL;
		gsize len = 0;

		CU_ASSERT_FATAL(g_file_get_contents(src, &data, &len, NULL));
		tmp = g_build_filename(dir, tmp_name, NULL);
		CU_ASSERT_FATAL(g_file_set_contents_full(
			tmp, data, (gssize)len, G_FILE_SET_CONTENTS_NONE, mode,
			NULL));
	} else {
		tmp = g_build_filename(dir, tmp_name, NULL);
		CU_ASSERT_FATAL(g_file_set_contents_full(
			tmp, text, -1, G_FILE_SET_CONTENTS_NONE, mode, NULL));
	}
	g_chmod(tmp, mode);
	CU_ASSERT_FATAL(g_rename(tmp, dst) == 0);
}

/* Whether the metrics hold the client step's describe() value @key. */
static bool has_value(tv_engine *engine, const char *key, int64_t value)
{
	g_autofree char *metrics = tv_engine_metrics(engine);
	g_autofree char *line = g_strdup_printf(
		"tlsverify_plugin_value{endpoint=\"ep\",step=\"client\","
		"plugin=\"mtls\",key=\"%s\"} %" G_GINT64_FORMAT "\n",
		key, (gint64)value);

	if (strstr(metrics, line) == NULL)
		fprintf(stderr, "\n  no '%s' in the metrics\n", line);
	return strstr(metrics, line) != NULL;
}

/* The client certificate's expiry is a metric (2030-01-01T00:00:00Z). */
static void test_describe(void)
{
	g_autofree char *ck = cert_key("client-good");
	g_autofree char *settings = client_settings(ck);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_with(settings, &error);
	g_autofree char *status = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_TRUE(has_value(engine, "certificate_not_after", 1893456000));
	CU_ASSERT_TRUE(has_value(engine, "reloads", 0));
	status = tv_engine_status(engine);
	CU_ASSERT_PTR_NOT_NULL(strstr(status, "CN=client-good"));
}

static tv_engine *reload_engine(const char *dir, const char *interval)
{
	g_autofree char *client = g_strdup_printf(
		"certificate = \"%s/client.pem\"; key = \"%s/client.key\";%s",
		dir, dir, interval);
	g_autofree char *settings = client_settings(client);
	g_autoptr(GError) error = NULL;
	tv_engine *engine = engine_with(settings, &error);

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n", error->message);
	return engine;
}

static void test_reload_rename_over(void)
{
	g_autofree char *dir = tv_test_mkdtemp("mtls-reload");
	g_autoptr(tv_engine) engine = NULL;
	gint warnings;

	rename_over(dir, "client.pem", "client-good.pem", NULL, 0644);
	rename_over(dir, "client.key", "client-good.key", NULL, 0600);
	engine = reload_engine(dir, " check_interval = 0;");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_TRUE(presents(engine, "client-good.pem"));

	/* A rotated pair is served from the next handshake on. */
	rename_over(dir, "client.pem", "client-billing.pem", NULL, 0644);
	rename_over(dir, "client.key", "client-billing.key", NULL, 0600);
	CU_ASSERT_TRUE(presents(engine, "client-billing.pem"));

	CU_ASSERT_TRUE(has_value(engine, "reloads", 1));
	CU_ASSERT_TRUE(has_value(engine, "reload_failing", 0));

	/* A bad new key keeps the last good pair, with one warning however
	 * many handshakes see the bad state. */
	warnings = g_atomic_int_get(&mtls_warnings);
	rename_over(dir, "client.key", NULL, "not a key\n", 0600);
	CU_ASSERT_TRUE(presents(engine, "client-billing.pem"));
	CU_ASSERT_TRUE(presents(engine, "client-billing.pem"));
	CU_ASSERT_EQUAL(g_atomic_int_get(&mtls_warnings), warnings + 1);
	CU_ASSERT_TRUE(has_value(engine, "reload_failing", 1));

	/* Half a rotation (new certificate, old key) is not served either. */
	rename_over(dir, "client.key", "client-billing.key", NULL, 0600);
	rename_over(dir, "client.pem", "client-good.pem", NULL, 0644);
	CU_ASSERT_TRUE(presents(engine, "client-billing.pem"));
	CU_ASSERT_EQUAL(g_atomic_int_get(&mtls_warnings), warnings + 2);

	/* Completing it is picked up. */
	rename_over(dir, "client.key", "client-good.key", NULL, 0600);
	CU_ASSERT_TRUE(presents(engine, "client-good.pem"));

	/* A key that became world-readable is refused like at load. */
	rename_over(dir, "client.key", "client-good.key", NULL, 0644);
	CU_ASSERT_TRUE(presents(engine, "client-good.pem"));
	CU_ASSERT_EQUAL(g_atomic_int_get(&mtls_warnings), warnings + 3);
}

/* Files are looked at no more than once per check_interval (default 1 s):
 * right after loading, a change is not seen yet. */
static void test_reload_throttled(void)
{
	g_autofree char *dir = tv_test_mkdtemp("mtls-throttle");
	g_autoptr(tv_engine) engine = NULL;

	rename_over(dir, "client.pem", "client-good.pem", NULL, 0644);
	rename_over(dir, "client.key", "client-good.key", NULL, 0600);
	engine = reload_engine(dir, " check_interval = 3600;");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	rename_over(dir, "client.pem", "client-billing.pem", NULL, 0644);
	rename_over(dir, "client.key", "client-billing.key", NULL, 0600);
	CU_ASSERT_TRUE(presents(engine, "client-good.pem"));
}

static CU_TestInfo client_tests[] = {
	{"/mtls/dlopen-smoke", test_dlopen_smoke},
	{"/mtls/load-pem", test_load_pem},
	{"/mtls/load-pkcs8", test_load_pkcs8},
	{"/mtls/load-pkcs12", test_load_pkcs12},
	{"/mtls/load-relative-paths", test_load_relative},
	{"/mtls/describe", test_describe},
	{"/mtls/error/world-readable-key", test_world_readable_key},
	{"/mtls/error/group-readable-password", test_group_readable_password},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo chain_tests[] = {
	{"/mtls/chain/needs-allowed-names", test_chain_needs_names},
	{"/mtls/chain/empty-allowed-names", test_chain_empty_names},
	{"/mtls/chain/client-key-unknown", test_chain_client_key},
	{"/mtls/chain/malformed-names", test_chain_malformed_names},
	{"/mtls/chain/match-table", test_match_table},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo reload_tests[] = {
	{"/mtls/reload/rename-over", test_reload_rename_over},
	{"/mtls/reload/throttled", test_reload_throttled},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_TestInfo error_tests[G_N_ELEMENTS(client_errors) + 1];
	CU_SuiteInfo suites[] = {
		{"mtls-client", suite_init, suite_clean, NULL, NULL,
		 client_tests},
		{"mtls-client-errors", suite_init, suite_clean, NULL, NULL,
		 error_tests},
		{"mtls-chain", suite_init, suite_clean, NULL, NULL,
		 chain_tests},
		{"mtls-reload", suite_init, suite_clean, NULL, NULL,
		 reload_tests},
		CU_SUITE_INFO_NULL,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(client_errors); i++) {
		error_tests[i].pName = client_errors[i].name;
		error_tests[i].pTestFunc = client_error_fns[i];
	}
	error_tests[G_N_ELEMENTS(client_errors)] =
		(CU_TestInfo)CU_TEST_INFO_NULL;
	g_log_set_writer_func(count_writer, NULL, NULL);
	return tv_test_run(suites);
}
