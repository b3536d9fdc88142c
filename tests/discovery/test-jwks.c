/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the SPIFFE bundle (JWK Set) parser and the SPIFFE ID rules. */
#include "config.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

#include "../unit/tv-test.h"
#include "jwks.h"
#include "source.h"
#include "spiffe-id.h"
#include "spiffe-test-pki.h"

static tpki_cert *ca1, *ca2, *rsa_ca, *leaf;
static char *jwk1, *jwk2, *jwk_rsa, *b64_1;

static int suite_init(void)
{
	tpki_spec rsa = {.cn = "rsa root", .ca = true, .pk = GNUTLS_PK_RSA};

	ca1 = tpki_ca("root one", "spiffe://example.org");
	ca2 = tpki_ca("root two", "spiffe://example.org");
	rsa_ca = tpki_make(&rsa, NULL);
	leaf = tpki_leaf(ca1, "web", "spiffe://example.org/ns/prod/web");
	jwk1 = tpki_jwk(ca1);
	jwk2 = tpki_jwk(ca2);
	jwk_rsa = tpki_jwk(rsa_ca);
	b64_1 = tpki_b64(ca1);
	return 0;
}

static int suite_clean(void)
{
	tpki_free(ca1);
	tpki_free(ca2);
	tpki_free(rsa_ca);
	tpki_free(leaf);
	g_free(jwk1);
	g_free(jwk2);
	g_free(jwk_rsa);
	g_free(b64_1);
	return 0;
}

static dsc_jwks *parse_str(const char *text, GError **error)
{
	return dsc_jwks_parse(text, strlen(text), error);
}

/* Whether certificate @i of @jwks is @c. */
static bool same_crt(const dsc_jwks *jwks, guint i, const tpki_cert *c)
{
	return i < jwks->certs->len &&
	       gnutls_x509_crt_equals(g_ptr_array_index(jwks->certs, i),
				      c->crt) != 0;
}

static void test_two_keys(void)
{
	g_autofree char *text = g_strdup_printf(
		"{\"spiffe_sequence\": 7, \"spiffe_refresh_hint\": 300,"
		" \"keys\": [%s, %s, {\"use\":\"jwt-svid\",\"kty\":\"EC\","
		"\"kid\":\"k1\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
		" %s]}",
		jwk1, jwk2, jwk_rsa);
	g_autoptr(GError) error = NULL;
	g_autoptr(dsc_jwks) jwks = parse_str(text, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
	CU_ASSERT_EQUAL(jwks->certs->len, 3);
	CU_ASSERT_TRUE(same_crt(jwks, 0, ca1));
	CU_ASSERT_TRUE(same_crt(jwks, 1, ca2));
	CU_ASSERT_TRUE(same_crt(jwks, 2, rsa_ca));
	CU_ASSERT_EQUAL(jwks->sequence, 7);
	CU_ASSERT_EQUAL(jwks->refresh_hint, 300);
	CU_ASSERT_FALSE(jwks->revoked);
}

static void test_absent_hints(void)
{
	g_autofree char *text = g_strdup_printf("{\"keys\": [%s]}", jwk1);
	g_autoptr(dsc_jwks) jwks = parse_str(text, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
	CU_ASSERT_EQUAL(jwks->certs->len, 1);
	CU_ASSERT_EQUAL(jwks->sequence, -1);
	CU_ASSERT_EQUAL(jwks->refresh_hint, -1);
	CU_ASSERT_FALSE(jwks->revoked);
}

/* TDB §4.1.3: no x509-svid key revokes the whole trust domain. */
static void test_revoked(void)
{
	const char *texts[] = {
		"{\"spiffe_sequence\": 9, \"keys\": []}",
		"{\"keys\": [{\"use\":\"jwt-svid\",\"kty\":\"EC\"}]}",
		"{\"keys\": [{\"kty\":\"EC\"}]}",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(dsc_jwks) jwks = parse_str(texts[i], &error);

		CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
		CU_ASSERT_TRUE(jwks->revoked);
		CU_ASSERT_EQUAL(jwks->certs->len, 0);
	}
}

static void test_unknown_ignored(void)
{
	g_autofree char *text = g_strdup_printf(
		"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"oct\","
		"\"x5c\":[\"!!\"]}, {\"use\":\"X509-SVID\",\"kty\":\"EC\","
		"\"x5c\":[\"!!\"]}, {\"use\":\"sig\"}, %s],"
		" \"extra\": {\"nested\": [1, 2]}}",
		jwk1);
	g_autoptr(GError) error = NULL;
	g_autoptr(dsc_jwks) jwks = parse_str(text, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
	CU_ASSERT_EQUAL(jwks->certs->len, 1);
	CU_ASSERT_TRUE(same_crt(jwks, 0, ca1));
}

static void test_duplicate_cert_kept_once(void)
{
	g_autofree char *text =
		g_strdup_printf("{\"keys\": [%s, %s, %s]}", jwk1, jwk2, jwk1);
	g_autoptr(dsc_jwks) jwks = parse_str(text, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
	CU_ASSERT_EQUAL(jwks->certs->len, 2);
}

typedef struct {
	const char *text;  /* %s: one good x5c entry (base64) */
	const char *error; /* substring of the message */
} bad_case;

static const bad_case bad_cases[] = {
	{"", "is empty"},
	{"not json", "not valid JSON"},
	{"[]", "not a JSON object"},
	{"\"keys\"", "not a JSON object"},
	{"{\"spiffe_sequence\": 1}", "\"keys\" is missing"},
	{"{\"keys\": {}}", "\"keys\" is not an array"},
	{"{\"keys\": null}", "\"keys\" is not an array"},
	{"{\"keys\": [1]}", "keys[0] is not an object"},
	{"{\"keys\": [], \"keys\": []}", "\"keys\" twice"},
	{"{\"keys\": [{\"use\":\"jwt-svid\",\"use\":\"x509-svid\"}]}",
	 "\"use\" twice"},
	{"{\"spiffe_sequence\": \"1\", \"keys\": []}", "\"spiffe_sequence\""},
	{"{\"spiffe_sequence\": 1.5, \"keys\": []}", "\"spiffe_sequence\""},
	{"{\"spiffe_sequence\": -1, \"keys\": []}", "\"spiffe_sequence\""},
	{"{\"spiffe_sequence\": 18446744073709551615, \"keys\": []}",
	 "\"spiffe_sequence\""},
	{"{\"spiffe_sequence\": null, \"keys\": []}", "\"spiffe_sequence\""},
	{"{\"spiffe_refresh_hint\": true, \"keys\": []}",
	 "\"spiffe_refresh_hint\""},
	{"{\"keys\": [{\"use\": 1}]}", "\"use\" is not a string"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"x5c\":[\"%s\"]}]}",
	 "no \"kty\""},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":[],\"x5c\":[\"%s\"]}]}",
	 "\"kty\" is not a string"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\"}]}",
	 "no \"x5c\" array"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\",\"x5c\":\"%s\"}]}",
	 "no \"x5c\" array"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\",\"x5c\":[]}]}",
	 "0 \"x5c\" entries"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\","
	 "\"x5c\":[\"%s\",\"%s\"]}]}",
	 "2 \"x5c\" entries"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\",\"x5c\":[7]}]}",
	 "not a string"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\","
	 "\"x5c\":[\"MIIB-_\"]}]}",
	 "not standard base64"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\","
	 "\"x5c\":[\"MII Bxx\"]}]}",
	 "not standard base64"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\","
	 "\"x5c\":[\"QUJD\"]}]}",
	 "does not parse"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"RSA\","
	 "\"x5c\":[\"%s\"]}]}",
	 "holds a"},
	{"{\"keys\": [{\"use\":\"x509-svid\",\"kty\":\"EC\","
	 "\"x5c\":[\"%s\"]}, 3]}",
	 "keys[1] is not an object"},
	{"{\"keys\": [\xff]}", "not UTF-8"},
};

static void test_malformed(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		/* The format strings hold %s only where a good x5c goes. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		g_autofree char *text =
			g_strdup_printf(bad_cases[i].text, b64_1, b64_1);
#pragma GCC diagnostic pop
		g_autoptr(GError) error = NULL;
		g_autoptr(dsc_jwks) jwks = parse_str(text, &error);

		CU_ASSERT_PTR_NULL(jwks);
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_TRUE(
			g_error_matches(error, TV_ERROR, TV_ERROR_INPUT));
		if (strstr(error->message, bad_cases[i].error) == NULL) {
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i,
				error->message, bad_cases[i].error);
			CU_FAIL("error message does not name the problem");
		}
	}
}

static void test_nul_and_limits(void)
{
	static const char nul[] = "{\"keys\": []}\0{}";
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	g_autoptr(GString) many = g_string_new("{\"keys\": [");
	g_autofree char *big = NULL;

	CU_ASSERT_PTR_NULL(dsc_jwks_parse(nul, sizeof(nul) - 1, &e1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e1->message, "NUL byte"));

	for (int i = 0; i <= DSC_JWKS_MAX_KEYS; i++)
		g_string_append(many, i == 0 ? "{}" : ",{}");
	g_string_append(many, "]}");
	CU_ASSERT_PTR_NULL(parse_str(many->str, &e2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e2);
	CU_ASSERT_PTR_NOT_NULL(strstr(e2->message, "limit"));

	big = g_malloc(DSC_JWKS_MAX_BYTES + 2);
	memset(big, ' ', DSC_JWKS_MAX_BYTES + 1);
	big[DSC_JWKS_MAX_BYTES + 1] = '\0';
	CU_ASSERT_PTR_NULL(dsc_jwks_parse(big, DSC_JWKS_MAX_BYTES + 1, &e3));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e3);
	CU_ASSERT_PTR_NOT_NULL(strstr(e3->message, "limit"));
}

/* Every prefix of a good bundle is refused with an error, never a crash
 * and never a partial bundle. */
static void test_truncations(void)
{
	g_autofree char *text = g_strdup_printf(
		"{\"spiffe_sequence\":3,\"keys\":[%s,%s]}", jwk1, jwk2);
	size_t len = strlen(text);
	unsigned refused = 0;

	for (size_t n = 0; n < len; n++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(dsc_jwks) jwks = dsc_jwks_parse(text, n, &error);

		if (jwks == NULL && error != NULL)
			refused++;
	}
	CU_ASSERT_EQUAL(refused, len);
}

/* The pipeline's view (source.h): the format parser fills a dsc_parsed. */
static void test_format_parser(void)
{
	g_autofree char *text = g_strdup_printf(
		"{\"spiffe_sequence\":4,\"spiffe_refresh_hint\":60,"
		"\"keys\":[%s,%s]}",
		jwk1, jwk2);
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	g_autoptr(GBytes) empty = g_bytes_new_static("{\"keys\":[]}", 11);
	g_autoptr(GBytes) bad = g_bytes_new_static("{\"keys\":7}", 10);
	g_autoptr(GError) error = NULL;
	dsc_parsed out = {NULL, -1, -1, false, NULL};

	CU_ASSERT_TRUE_FATAL(dsc_jwks_format_parse(bytes, &out, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out.crts);
	CU_ASSERT_EQUAL(out.crts->len, 2);
	CU_ASSERT_EQUAL(out.sequence, 4);
	CU_ASSERT_EQUAL(out.refresh_hint, 60);
	CU_ASSERT_FALSE(out.revoked);
	g_ptr_array_unref(out.crts);

	out = (dsc_parsed){NULL, -1, -1, false, NULL};
	CU_ASSERT_TRUE_FATAL(dsc_jwks_format_parse(empty, &out, &error));
	CU_ASSERT_TRUE(out.revoked);
	CU_ASSERT_EQUAL(out.crts != NULL ? out.crts->len : 0, 0);
	if (out.crts != NULL)
		g_ptr_array_unref(out.crts);

	out = (dsc_parsed){NULL, -1, -1, false, NULL};
	CU_ASSERT_FALSE(dsc_jwks_format_parse(bad, &out, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	CU_ASSERT_PTR_NULL(out.crts);
}

/* ---- SPIFFE IDs ---- */

typedef struct {
	const char *id;
	const char *td; /* NULL: invalid */
	const char *path;
} id_case;

static void test_id_parse(void)
{
	g_autofree char *long_td = NULL;
	g_autofree char *max_td = NULL;
	g_autofree char *long_id = NULL;
	char *td_buf = g_strnfill(256, 'a');
	const id_case cases[] = {
		{"spiffe://example.org", "example.org", ""},
		{"spiffe://example.org/ns/prod/web", "example.org",
		 "/ns/prod/web"},
		{"spiffe://a-b_c.9/X.y/Z_9-..x", "a-b_c.9", "/X.y/Z_9-..x"},
		{"spiffe://1.2.3.4/p", "1.2.3.4", "/p"},
		{"SPIFFE://example.org", NULL, NULL},
		{"spiffe://Example.org", NULL, NULL},
		{"spiffe://", NULL, NULL},
		{"spiffe:///path", NULL, NULL},
		{"spiffe://example.org/", NULL, NULL},
		{"spiffe://example.org//a", NULL, NULL},
		{"spiffe://example.org/a/", NULL, NULL},
		{"spiffe://example.org/./a", NULL, NULL},
		{"spiffe://example.org/a/..", NULL, NULL},
		{"spiffe://example.org/a?x=1", NULL, NULL},
		{"spiffe://example.org/a#f", NULL, NULL},
		{"spiffe://user@example.org/a", NULL, NULL},
		{"spiffe://example.org:8443/a", NULL, NULL},
		{"spiffe://example.org/%41", NULL, NULL},
		{"spiffe://exa mple.org", NULL, NULL},
		{"https://example.org/a", NULL, NULL},
		{"spiffe:example.org", NULL, NULL},
		{"", NULL, NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *td = NULL, *path = NULL;
		bool ok = dsc_spiffe_id_parse(cases[i].id, &td, &path, &error);

		if (ok != (cases[i].td != NULL)) {
			fprintf(stderr, "id case '%s': %s\n", cases[i].id,
				ok ? "accepted" : error->message);
			CU_FAIL("SPIFFE ID misjudged");
			continue;
		}
		if (!ok) {
			CU_ASSERT_PTR_NOT_NULL(error);
			CU_ASSERT_PTR_NULL(td);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(td, cases[i].td);
		CU_ASSERT_STRING_EQUAL(path, cases[i].path);
	}

	/* Limits: 255-byte trust domain, 2048-byte ID. */
	max_td = g_strconcat("spiffe://", td_buf + 1, NULL);
	CU_ASSERT_TRUE(dsc_spiffe_id_parse(max_td, NULL, NULL, NULL));
	long_td = g_strconcat("spiffe://", td_buf, NULL);
	CU_ASSERT_FALSE(dsc_spiffe_id_parse(long_td, NULL, NULL, NULL));
	g_free(td_buf);
	td_buf = g_strnfill(2048 - strlen("spiffe://t/"), 'p');
	long_id = g_strconcat("spiffe://t/", td_buf, NULL);
	CU_ASSERT_TRUE(dsc_spiffe_id_parse(long_id, NULL, NULL, NULL));
	g_free(long_id);
	long_id = g_strconcat("spiffe://t/", td_buf, "p", NULL);
	CU_ASSERT_FALSE(dsc_spiffe_id_parse(long_id, NULL, NULL, NULL));
	g_free(td_buf);

	CU_ASSERT_TRUE(dsc_spiffe_trust_domain_is_valid("prod.example", NULL));
	CU_ASSERT_FALSE(dsc_spiffe_trust_domain_is_valid("Prod", NULL));
	CU_ASSERT_FALSE(dsc_spiffe_trust_domain_is_valid("", NULL));
	CU_ASSERT_FALSE(dsc_spiffe_trust_domain_is_valid("a/b", NULL));
}

static void test_id_of_crt(void)
{
	tpki_spec two = {.cn = "two",
			 .uri = "spiffe://example.org/a",
			 .uri2 = "spiffe://example.org/b"};
	tpki_spec none = {.cn = "none", .dns = "web.example.org"};
	tpki_spec https = {.cn = "https", .uri = "https://example.org/a"};
	tpki_spec bad = {.cn = "bad", .uri = "spiffe://EXAMPLE.org/a"};
	const tpki_spec *errs[] = {&two, &none, &https, &bad};
	const char *msgs[] = {"more than one URI SAN", "no URI SAN",
			      "not a SPIFFE ID", "trust domain"};
	g_autofree char *td = NULL;
	g_autofree char *id = dsc_spiffe_id_of_crt(leaf->crt, &td, NULL);

	CU_ASSERT_STRING_EQUAL(id, "spiffe://example.org/ns/prod/web");
	CU_ASSERT_STRING_EQUAL(td, "example.org");
	for (size_t i = 0; i < G_N_ELEMENTS(errs); i++) {
		tpki_cert *c = tpki_make(errs[i], ca1);
		g_autoptr(GError) error = NULL;
		char *got = dsc_spiffe_id_of_crt(c->crt, NULL, &error);

		CU_ASSERT_PTR_NULL(got);
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		if (strstr(error->message, msgs[i]) == NULL) {
			fprintf(stderr, "'%s' lacks '%s'\n", error->message,
				msgs[i]);
			CU_FAIL("error message does not name the problem");
		}
		g_free(got);
		tpki_free(c);
	}
	/* A certificate without any SAN extension at all. */
	{
		tpki_spec plain = {.cn = "plain"};
		tpki_cert *c = tpki_make(&plain, ca1);
		g_autoptr(GError) error = NULL;

		CU_ASSERT_PTR_NULL(dsc_spiffe_id_of_crt(c->crt, NULL, &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		tpki_free(c);
	}
}

static void test_check_svid(void)
{
	tpki_spec td_only = {.cn = "td", .uri = "spiffe://example.org"};
	tpki_cert *c = tpki_make(&td_only, ca1);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

	CU_ASSERT_TRUE(dsc_spiffe_check_svid(leaf->crt, NULL, NULL));
	CU_ASSERT_TRUE(dsc_spiffe_check_svid(
		leaf->crt, "spiffe://example.org/ns/prod/web", NULL));
	CU_ASSERT_FALSE(dsc_spiffe_check_svid(
		leaf->crt, "spiffe://example.org/ns/prod/api", &e1));
	CU_ASSERT_PTR_NOT_NULL(e1 != NULL ? strstr(e1->message, "expected")
					  : NULL);
	CU_ASSERT_FALSE(dsc_spiffe_check_svid(ca1->crt, NULL, &e2));
	CU_ASSERT_PTR_NOT_NULL(e2 != NULL ? strstr(e2->message, "is a CA")
					  : NULL);
	CU_ASSERT_FALSE(dsc_spiffe_check_svid(c->crt, NULL, &e3));
	CU_ASSERT_PTR_NOT_NULL(e3 != NULL ? strstr(e3->message, "no path")
					  : NULL);
	tpki_free(c);
}

static CU_TestInfo jwks_tests[] = {
	{"/jwks/two-keys-jwt-ignored", test_two_keys},
	{"/jwks/absent-hints", test_absent_hints},
	{"/jwks/no-x509-keys-revokes", test_revoked},
	{"/jwks/unknown-use-kty-ignored", test_unknown_ignored},
	{"/jwks/duplicate-cert-kept-once", test_duplicate_cert_kept_once},
	{"/jwks/malformed-refused-with-reason", test_malformed},
	{"/jwks/nul-and-limits", test_nul_and_limits},
	{"/jwks/truncations-refused", test_truncations},
	{"/jwks/format-parser", test_format_parser},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo id_tests[] = {
	{"/spiffe-id/parse", test_id_parse},
	{"/spiffe-id/of-certificate", test_id_of_crt},
	{"/spiffe-id/check-svid", test_check_svid},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"jwks", suite_init, suite_clean, NULL, NULL, jwks_tests},
	{"spiffe-id", suite_init, suite_clean, NULL, NULL, id_tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
