/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile certificates through tv_engine_verify: each ends in a rejection
 * with a reason (or a clean input error), never a pass or a crash. */
#include "config.h"

#include "adv-certs.h"
#include "../unit/tv-engine-test.h"

#include <arpa/inet.h>

static gnutls_x509_privkey_t root_key;
static gnutls_x509_crt_t root;
static tv_engine *engine;

/* Verifies @n certificates (leaf first) for @host at the fixed clock;
 * (transfer full). */
static tv_result *verify_ders(const char *host, GBytes *const *ders, size_t n)
{
	g_autoptr(tv_request) r = tv_request_new(host, 443);
	g_autoptr(GError) error = NULL;
	tv_result *result = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *d = g_bytes_get_data(ders[i], &len);

		tv_request_add_der(r, d, len);
	}
	tv_request_set_time(r, TV_TEST_TIME);
	if (!tv_engine_verify(engine, r, &result, &error)) {
		fprintf(stderr, "verify: %s\n", error->message);
		return NULL;
	}
	return result;
}

/* Asserts @result is a rejection carrying every bit of @want. */
#define ASSERT_REJECTED(result, want)                                          \
	do {                                                                   \
		CU_ASSERT_PTR_NOT_NULL_FATAL(result);                          \
		CU_ASSERT_EQUAL(tv_result_get_verdict(result),                 \
				TV_VERDICT_REJECTED);                          \
		CU_ASSERT_EQUAL(tv_result_get_reasons(result) & (want),        \
				(want));                                       \
		/* The outcome, for tests/adversarial/README.md. */            \
		fprintf(stderr, "\n    %s: %s", #result,                       \
			tv_result_get_message(result));                        \
	} while (0)

/* A leaf for @sans (and CN "adversarial leaf") issued by the root. */
static GBytes *leaf_with(const adv_san *sans, size_t n)
{
	g_autoptr(GBytes) der = NULL;
	gnutls_x509_privkey_t key = adv_key_new();
	adv_cert_spec s = {.cn = "adversarial leaf",
			   .sans = sans,
			   .n_sans = n,
			   .issuer = root,
			   .issuer_key = root_key};
	gnutls_x509_crt_t crt = adv_cert_new(&s, key);

	der = adv_der(crt);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return g_steal_pointer(&der);
}

/* Verifies a leaf holding one dNSName SAN @san (@len bytes) for @host. */
static tv_result *one_dns(const char *san, size_t len, const char *host)
{
	adv_san s = {GNUTLS_SAN_DNSNAME, san, len};
	g_autoptr(GBytes) leaf = leaf_with(&s, 1);

	return verify_ders(host, &leaf, 1);
}

static int suite_init(void)
{
	g_autofree char *conf = tv_test_mkdtemp("adv-conf");
	g_autofree char *pem = NULL;
	g_autofree char *root_path = NULL;
	g_autofree char *text = NULL;
	g_autofree char *plugins = NULL;
	g_autoptr(GError) error = NULL;
	static const char *const names[] = {"pem", NULL};
	adv_cert_spec s = {.cn = "adversarial root", .ca = true};

	root_key = adv_key_new();
	root = adv_cert_new(&s, root_key);
	pem = adv_pem(root);
	tv_test_write(conf, "root.pem", pem);
	root_path = g_build_filename(conf, "root.pem", NULL);
	text = g_strdup_printf(
		"endpoints = ( { name = \"adv\"; hosts = [ \"*\" ];\n"
		"  chain = ( { use = \"pem\"; control = \"required\";\n"
		"              bundle = \"%s\"; } ); } );\n",
		root_path);
	tv_test_write(conf, "50-adv.conf", text);
	plugins = tv_test_plugin_dir(names);
	engine = tv_engine_new(conf, plugins, &error);
	if (engine == NULL) {
		fprintf(stderr, "engine: %s\n", error->message);
		return 1;
	}
	return 0;
}

static int suite_clean(void)
{
	tv_engine_free(engine);
	gnutls_x509_crt_deinit(root);
	gnutls_x509_privkey_deinit(root_key);
	return 0;
}

/* The set-up can pass at all: without this, every rejection below could
 * come from a broken fixture. */
static void test_control_trusted(void)
{
	g_autoptr(tv_result) r =
		one_dns("good.example.com", 0, "good.example.com");

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r), TV_VERDICT_TRUSTED);
}

/* "good.example.com\0.evil.com": a C-string comparison would see the
 * first half. */
static void test_nul_in_san(void)
{
	static const char evil[] = "good.example.com\0.evil.com";
	g_autoptr(tv_result) r1 =
		one_dns(evil, sizeof(evil) - 1, "good.example.com");
	/* Beside a usable name the NUL one still matches nothing. */
	adv_san two[] = {{GNUTLS_SAN_DNSNAME, evil, sizeof(evil) - 1},
			 {GNUTLS_SAN_DNSNAME, "other.example.net", 0}};
	g_autoptr(GBytes) leaf = leaf_with(two, 2);
	g_autoptr(tv_result) r2 = verify_ders("good.example.com", &leaf, 1);

	ASSERT_REJECTED(r1, TV_REASON_NAME_MISMATCH);
	ASSERT_REJECTED(r2, TV_REASON_NAME_MISMATCH);
}

/* No SAN, CN with a NUL: no CN fallback, and the NUL must not help. */
static void test_nul_in_cn(void)
{
	static const char evil[] = "good.example.com\0.evil.com";
	gnutls_x509_privkey_t key = adv_key_new();
	adv_cert_spec s = {.cn = evil,
			   .cn_len = sizeof(evil) - 1,
			   .issuer = root,
			   .issuer_key = root_key};
	gnutls_x509_crt_t crt = adv_cert_new(&s, key);
	g_autoptr(GBytes) leaf = adv_der(crt);
	g_autoptr(tv_result) r = verify_ders("good.example.com", &leaf, 1);

	ASSERT_REJECTED(r, TV_REASON_NAME_MISMATCH);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void test_wildcard_abuse(void)
{
	static const struct {
		const char *san, *host;
	} cases[] = {
		{"*.com", "example.com"},
		{"*", "example.com"},
		{"*.*.example.com", "a.b.example.com"},
		{"a*b.example.com", "axb.example.com"},
		{"*.example.com", "a.b.example.com"},
		/* A wildcard inside an A-label (RFC 6125 6.4.3) and an
		 * A-label prefix with a wildcard after it. */
		{"*--bcher-kva.example.com", "xn--bcher-kva.example.com"},
		{"xn--*.example.com", "xn--bcher-kva.example.com"},
		{"*n--bcher-kva.example.com", "xn--bcher-kva.example.com"},
		{"*.com", "xn--bcher-kva.com"},
		{"*.example.com", "xn--bcher-kva.sub.example.com"},
		/* A U-label in a dNSName (must be IA5): never matches its
		 * A-label. */
		{"b\xc3\xbc"
		 "cher.example.com",
		 "xn--bcher-kva.example.com"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(tv_result) r =
			one_dns(cases[i].san, 0, cases[i].host);

		if (r == NULL ||
		    tv_result_get_verdict(r) != TV_VERDICT_REJECTED)
			fprintf(stderr, "  SAN '%s' passed for '%s'\n",
				cases[i].san, cases[i].host);
		ASSERT_REJECTED(r, TV_REASON_NAME_MISMATCH);
	}
}

/* The legitimate forms still work, so the cases above test the rule and
 * not a broken matcher. */
static void test_wildcard_controls(void)
{
	g_autoptr(tv_result) r1 =
		one_dns("*.example.com", 0, "www.example.com");
	g_autoptr(tv_result) r2 = one_dns("*.xn--bcher-kva.example", 0,
					  "www.xn--bcher-kva.example");
	/* A whole-label wildcard may stand for an A-label. */
	g_autoptr(tv_result) r3 =
		one_dns("*.example.com", 0, "xn--bcher-kva.example.com");
	g_autoptr(tv_result) r4 = one_dns("xn--bcher-kva.example.com", 0,
					  "XN--BCHER-KVA.example.com");

	CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r1), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r2), TV_VERDICT_TRUSTED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r4);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r3), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_verdict(r4), TV_VERDICT_TRUSTED);
}

/* An address is matched against iPAddress SANs only (RFC 6125 1.7.2),
 * never against a dNSName that spells it. */
static void test_ip_in_dns_san(void)
{
	static const struct {
		const char *san, *host;
	} cases[] = {
		{"127.0.0.1", "127.0.0.1"},
		{"*.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"[::1]", "::1"},
	};
	unsigned char lo[4] = {127, 0, 0, 1};
	adv_san ip = {GNUTLS_SAN_IPADDRESS, (const char *)lo, 4};
	g_autoptr(GBytes) good = leaf_with(&ip, 1);
	g_autoptr(tv_result) control = verify_ders("127.0.0.1", &good, 1);

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(tv_result) r =
			one_dns(cases[i].san, 0, cases[i].host);

		ASSERT_REJECTED(r, TV_REASON_NAME_MISMATCH);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(control);
	CU_ASSERT_EQUAL(tv_result_get_verdict(control), TV_VERDICT_TRUSTED);
}

/* root -> 98 intermediates -> leaf, all 100 presented, then the same
 * chain cut to 30 (under the input limit, over GnuTLS's depth of 16). */
static void test_long_chains(void)
{
	enum { N = 100 };
	g_autoptr(GPtrArray) ders =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	gnutls_x509_crt_t issuer = root, crts[N];
	gnutls_x509_privkey_t issuer_key = root_key, keys[N];
	g_autoptr(tv_result) r100 = NULL;
	g_autoptr(tv_result) r30 = NULL;

	for (int i = 0; i < N - 1; i++) {
		char cn[32];
		adv_cert_spec s = {.cn = cn,
				   .ca = i < N - 2,
				   .issuer = issuer,
				   .issuer_key = issuer_key};

		if (i == N - 2) {
			static const adv_san san = {GNUTLS_SAN_DNSNAME,
						    "long.example.com", 0};
			s.sans = &san;
			s.n_sans = 1;
		}
		g_snprintf(cn, sizeof(cn), "adversarial %d", i);
		keys[i] = adv_key_new();
		crts[i] = adv_cert_new(&s, keys[i]);
		issuer = crts[i];
		issuer_key = keys[i];
	}
	/* Leaf first, then every intermediate, nearest first. */
	for (int i = N - 2; i >= 0; i--)
		g_ptr_array_add(ders, adv_der(crts[i]));
	r100 = verify_ders("long.example.com", (GBytes **)ders->pdata,
			   ders->len);
	r30 = verify_ders("long.example.com", (GBytes **)ders->pdata, 30);
	ASSERT_REJECTED(r100, 0);
	CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(r100), 0);
	ASSERT_REJECTED(r30, 0);
	CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(r30), 0);
	for (int i = 0; i < N - 1; i++) {
		gnutls_x509_crt_deinit(crts[i]);
		gnutls_x509_privkey_deinit(keys[i]);
	}
}

/* A signs B and B signs A (neither chains to the root); the leaf is
 * A's.  Presented once and repeated up to the input limit. */
static void test_cross_signed_loop(void)
{
	gnutls_x509_privkey_t ka = adv_key_new(), kb = adv_key_new();
	gnutls_x509_privkey_t kl = adv_key_new();
	adv_cert_spec sb0 = {.cn = "loop B", .ca = true};
	gnutls_x509_crt_t b0 = adv_cert_new(&sb0, kb); /* B's name for A */
	adv_cert_spec sa = {
		.cn = "loop A", .ca = true, .issuer = b0, .issuer_key = kb};
	gnutls_x509_crt_t a = adv_cert_new(&sa, ka);
	adv_cert_spec sb = {
		.cn = "loop B", .ca = true, .issuer = a, .issuer_key = ka};
	gnutls_x509_crt_t b = adv_cert_new(&sb, kb);
	adv_san san = {GNUTLS_SAN_DNSNAME, "loop.example.com", 0};
	adv_cert_spec sl = {.cn = "loop leaf",
			    .sans = &san,
			    .n_sans = 1,
			    .issuer = a,
			    .issuer_key = ka};
	gnutls_x509_crt_t leaf = adv_cert_new(&sl, kl);
	GBytes *ders[32];
	g_autoptr(tv_result) r3 = NULL;
	g_autoptr(tv_result) r32 = NULL;

	ders[0] = adv_der(leaf);
	for (size_t i = 1; i < G_N_ELEMENTS(ders); i++)
		ders[i] = adv_der(i % 2 ? a : b);
	r3 = verify_ders("loop.example.com", ders, 3);
	r32 = verify_ders("loop.example.com", ders, G_N_ELEMENTS(ders));
	ASSERT_REJECTED(r3, TV_REASON_UNTRUSTED);
	ASSERT_REJECTED(r32, 0);
	CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(r32), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(ders); i++)
		g_bytes_unref(ders[i]);
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_crt_deinit(b);
	gnutls_x509_crt_deinit(a);
	gnutls_x509_crt_deinit(b0);
	gnutls_x509_privkey_deinit(kl);
	gnutls_x509_privkey_deinit(kb);
	gnutls_x509_privkey_deinit(ka);
}

/* 10 MB of PEM: one block of random base64 after a good leaf (an input
 * error, nothing added), and a good leaf followed by ~7000 copies of the
 * root (parsed, then refused whole). */
static void test_10mb_pem(void)
{
	enum { SIZE = 10 * 1024 * 1024 };
	adv_san san = {GNUTLS_SAN_DNSNAME, "big.example.com", 0};
	gnutls_x509_privkey_t key = adv_key_new();
	adv_cert_spec s = {.cn = "big",
			   .sans = &san,
			   .n_sans = 1,
			   .issuer = root,
			   .issuer_key = root_key};
	gnutls_x509_crt_t leaf = adv_cert_new(&s, key);
	g_autofree char *leaf_pem = adv_pem(leaf);
	g_autofree char *root_pem = adv_pem(root);
	g_autoptr(GString) junk = g_string_sized_new(SIZE + 4096);
	g_autoptr(GString) copies = g_string_sized_new(SIZE + 4096);
	g_autofree guchar *raw = g_malloc(SIZE / 4 * 3);
	g_autofree char *b64 = NULL;
	g_autoptr(tv_request) r1 = tv_request_new("big.example.com", 443);
	g_autoptr(tv_request) r2 = tv_request_new("big.example.com", 443);
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(tv_result) result = NULL;
	int n;

	for (size_t i = 0; i < SIZE / 4 * 3; i++)
		raw[i] = (guchar)g_random_int();
	b64 = g_base64_encode(raw, SIZE / 4 * 3);
	g_string_append(junk, leaf_pem);
	g_string_append(junk, "-----BEGIN CERTIFICATE-----\n");
	g_string_append(junk, b64);
	g_string_append(junk, "\n-----END CERTIFICATE-----\n");
	CU_ASSERT(junk->len > SIZE);
	n = tv_request_add_pem(r1, junk->str, junk->len, false, &e1);
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT(g_error_matches(e1, TV_ERROR, TV_ERROR_INPUT));
	if (e1 != NULL)
		fprintf(stderr, "\n    e1: %s", e1->message);

	g_string_append(copies, leaf_pem);
	while (copies->len < SIZE)
		g_string_append(copies, root_pem);
	n = tv_request_add_pem(r2, copies->str, copies->len, false, &e2);
	if (n < 0) {
		/* Refusing the input whole is a clean end too. */
		CU_ASSERT(g_error_matches(e2, TV_ERROR, TV_ERROR_INPUT));
	} else {
		tv_request_set_time(r2, TV_TEST_TIME);
		CU_ASSERT_FATAL(tv_engine_verify(engine, r2, &result, &e2));
		ASSERT_REJECTED(result, 0);
		CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(result), 0);
	}
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_privkey_deinit(key);
}

/* 10,000 dNSNames: a name it lacks is a mismatch (every SAN looked at,
 * in bounded time); the last name it has matches. */
static void test_10000_sans(void)
{
	enum { N = 10000 };
	adv_san *sans = g_new0(adv_san, N);
	char **names = g_new0(char *, N + 1);
	g_autoptr(GBytes) leaf = NULL;
	g_autoptr(tv_result) absent = NULL;
	g_autoptr(tv_result) last = NULL;

	for (int i = 0; i < N; i++) {
		names[i] = g_strdup_printf("n%d.example.com", i);
		sans[i] = (adv_san){GNUTLS_SAN_DNSNAME, names[i], 0};
	}
	leaf = leaf_with(sans, N);
	absent = verify_ders("absent.example.com", &leaf, 1);
	last = verify_ders("n9999.example.com", &leaf, 1);
	ASSERT_REJECTED(absent, TV_REASON_NAME_MISMATCH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	CU_ASSERT_EQUAL(tv_result_get_verdict(last), TV_VERDICT_TRUSTED);
	g_strfreev(names);
	g_free(sans);
}

/* An unknown critical extension (RFC 5280 4.2: must reject) on the leaf,
 * then on an intermediate. */
static void test_unknown_critical(void)
{
	static const unsigned char null_der[] = {0x05, 0x00};
	adv_ext ext = {"1.3.6.1.4.1.55555.1.1", null_der, sizeof(null_der),
		       true};
	adv_san san = {GNUTLS_SAN_DNSNAME, "crit.example.com", 0};
	gnutls_x509_privkey_t kl = adv_key_new(), ki = adv_key_new();
	adv_cert_spec sl = {.cn = "crit leaf",
			    .sans = &san,
			    .n_sans = 1,
			    .ext = &ext,
			    .issuer = root,
			    .issuer_key = root_key};
	gnutls_x509_crt_t l1 = adv_cert_new(&sl, kl);
	adv_cert_spec si = {.cn = "crit intermediate",
			    .ca = true,
			    .ext = &ext,
			    .issuer = root,
			    .issuer_key = root_key};
	gnutls_x509_crt_t inter = adv_cert_new(&si, ki);
	adv_cert_spec sl2 = {.cn = "crit leaf 2",
			     .sans = &san,
			     .n_sans = 1,
			     .issuer = inter,
			     .issuer_key = ki};
	gnutls_x509_crt_t l2 = adv_cert_new(&sl2, kl);
	GBytes *chain2[2] = {adv_der(l2), adv_der(inter)};
	g_autoptr(GBytes) d1 = adv_der(l1);
	g_autoptr(tv_result) r1 = verify_ders("crit.example.com", &d1, 1);
	g_autoptr(tv_result) r2 = verify_ders("crit.example.com", chain2, 2);

	ASSERT_REJECTED(r1, 0);
	CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(r1), 0);
	ASSERT_REJECTED(r2, 0);
	CU_ASSERT_NOT_EQUAL(tv_result_get_reasons(r2), 0);
	g_bytes_unref(chain2[0]);
	g_bytes_unref(chain2[1]);
	gnutls_x509_crt_deinit(l1);
	gnutls_x509_crt_deinit(l2);
	gnutls_x509_crt_deinit(inter);
	gnutls_x509_privkey_deinit(kl);
	gnutls_x509_privkey_deinit(ki);
}

/* A good leaf's DER with bytes after its end: not the certificate that
 * was signed as far as a byte-for-byte cache or pin is concerned, so the
 * input is malformed. */
static void test_trailing_garbage(void)
{
	adv_san san = {GNUTLS_SAN_DNSNAME, "tail.example.com", 0};
	g_autoptr(GBytes) leaf = leaf_with(&san, 1);
	static const char *const tails[] = {"\0", "garbage", "\x30\x00"};
	g_autoptr(tv_result) control =
		verify_ders("tail.example.com", &leaf, 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(control);
	CU_ASSERT_EQUAL(tv_result_get_verdict(control), TV_VERDICT_TRUSTED);
	for (size_t i = 0; i < G_N_ELEMENTS(tails); i++) {
		size_t len, tlen = i == 0 ? 1 : strlen(tails[i]);
		const guint8 *d = g_bytes_get_data(leaf, &len);
		g_autoptr(GByteArray) buf = g_byte_array_new();
		g_autoptr(GBytes) bad = NULL;
		g_autoptr(tv_result) r = NULL;

		g_byte_array_append(buf, d, (guint)len);
		g_byte_array_append(buf, (const guint8 *)tails[i], (guint)tlen);
		bad = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
		r = verify_ders("tail.example.com", &bad, 1);
		ASSERT_REJECTED(r, TV_REASON_MALFORMED);
	}
}

static CU_TestInfo tests[] = {
	{"/adversarial/control-trusted", test_control_trusted},
	{"/adversarial/nul-in-san", test_nul_in_san},
	{"/adversarial/nul-in-cn", test_nul_in_cn},
	{"/adversarial/wildcard-abuse", test_wildcard_abuse},
	{"/adversarial/wildcard-controls", test_wildcard_controls},
	{"/adversarial/ip-in-dns-san", test_ip_in_dns_san},
	{"/adversarial/long-chains", test_long_chains},
	{"/adversarial/cross-signed-loop", test_cross_signed_loop},
	{"/adversarial/10mb-pem", test_10mb_pem},
	{"/adversarial/10000-sans", test_10000_sans},
	{"/adversarial/unknown-critical-extension", test_unknown_critical},
	{"/adversarial/trailing-garbage", test_trailing_garbage},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"adversarial-certs", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
