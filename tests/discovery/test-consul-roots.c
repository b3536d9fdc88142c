/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the Consul CA roots (IndexedCARoots) parser. */
#include "config.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

#include "../unit/tv-test.h"
#include "consul-roots.h"
#include "source.h"
#include "spiffe-test-pki.h"

#define TD "7f42f496-fbc7-8692-05ed-334aa5340c1e.consul"

static tpki_cert *old_root, *new_root;
static char *old_json, *new_json; /* PEM as a JSON string */

/* @pem as the body of a JSON string (newlines escaped). */
static char *json_string(const char *pem)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (const char *p = pem; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static int suite_init(void)
{
	g_autofree char *p1 = NULL, *p2 = NULL;

	old_root = tpki_ca("Consul CA 24", "spiffe://" TD);
	new_root = tpki_ca("Consul CA 25", "spiffe://" TD);
	p1 = tpki_pem(old_root);
	p2 = tpki_pem(new_root);
	old_json = json_string(p1);
	new_json = json_string(p2);
	return 0;
}

static int suite_clean(void)
{
	tpki_free(old_root);
	tpki_free(new_root);
	g_free(old_json);
	g_free(new_json);
	return 0;
}

/* A response in the shape of Consul's docs (api-docs/agent/connect.mdx),
 * with the old root being rotated out and the new one active. */
static char *rotation_response(void)
{
	return g_strdup_printf(
		"{\"ActiveRootID\": \"25\", \"TrustDomain\": \"" TD "\","
		" \"Roots\": ["
		"{\"ID\": \"24\", \"Name\": \"Consul CA Root Cert\","
		" \"SerialNumber\": 7, \"SigningKeyID\": \"2d:09\","
		" \"ExternalTrustDomain\": \"a1499528\","
		" \"NotBefore\": \"2018-05-25T21:39:23Z\","
		" \"NotAfter\": \"2028-05-22T21:39:23Z\","
		" \"RootCert\": \"%s\", \"IntermediateCerts\": null,"
		" \"Active\": false, \"PrivateKeyType\": \"ec\","
		" \"PrivateKeyBits\": 256, \"CreateIndex\": 8,"
		" \"ModifyIndex\": 8},"
		"{\"ID\": \"25\", \"Name\": \"Consul CA Root Cert\","
		" \"RootCert\": \"%s\", \"IntermediateCerts\": [\"junk\"],"
		" \"Active\": true, \"CreateIndex\": 13, \"ModifyIndex\": 13}"
		"]}",
		old_json, new_json);
}

static void test_all_roots_trusted(void)
{
	g_autofree char *text = rotation_response();
	g_autofree char *active = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) roots =
		dsc_consul_roots_parse(text, strlen(text), &active, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(roots);
	CU_ASSERT_EQUAL_FATAL(roots->len, 2);
	CU_ASSERT_TRUE(gnutls_x509_crt_equals(g_ptr_array_index(roots, 0),
					      old_root->crt));
	CU_ASSERT_TRUE(gnutls_x509_crt_equals(g_ptr_array_index(roots, 1),
					      new_root->crt));
	CU_ASSERT_STRING_EQUAL(active, "25");
}

static void test_duplicate_root_once(void)
{
	g_autofree char *text =
		g_strdup_printf("{\"ActiveRootID\": \"a\", \"Roots\": ["
				"{\"ID\": \"a\", \"RootCert\": \"%s\"},"
				"{\"ID\": \"b\", \"RootCert\": \"%s\"}]}",
				old_json, old_json);
	g_autoptr(GPtrArray) roots =
		dsc_consul_roots_parse(text, strlen(text), NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(roots);
	CU_ASSERT_EQUAL(roots->len, 1);
}

typedef struct {
	const char *text; /* %s: a good RootCert (JSON-escaped PEM), twice */
	const char *error;
} bad_case;

static const bad_case bad_cases[] = {
	{"", "is empty"},
	{"{", "not valid JSON"},
	{"[]", "not a JSON object"},
	{"{\"ActiveRootID\": \"a\"}", "\"Roots\" is missing"},
	{"{\"Roots\": null}", "null (no CA configured)"},
	{"{\"Roots\": {}}", "\"Roots\" is not an array"},
	{"{\"Roots\": []}", "0 roots"},
	{"{\"Roots\": [\"x\"]}", "Roots[0] is not an object"},
	{"{\"Roots\": [{\"ID\": \"a\"}]}", "no \"RootCert\""},
	{"{\"Roots\": [{\"RootCert\": 5}]}", "\"RootCert\" is not a string"},
	{"{\"Roots\": [{\"ID\": 5, \"RootCert\": \"%s\"}]}",
	 "\"ID\" is not a string"},
	{"{\"Roots\": [{\"RootCert\": \"garbage\"}]}", "does not parse"},
	{"{\"Roots\": [{\"RootCert\": \"%s%s\"}]}", "2 certificates"},
	{"{\"ActiveRootID\": 3, \"Roots\": [{\"RootCert\": \"%s\"}]}",
	 "\"ActiveRootID\" is not a string"},
	{"{\"ActiveRootID\": \"zz\", \"Roots\": [{\"ID\": \"a\","
	 " \"RootCert\": \"%s\"}]}",
	 "names none of the roots"},
	{"{\"TrustDomain\": \"Bad Domain\", \"Roots\": [{\"RootCert\":"
	 " \"%s\"}]}",
	 "\"TrustDomain\""},
	{"{\"Roots\": [{\"RootCert\": \"%s\", \"RootCert\": \"%s\"}]}",
	 "\"RootCert\" twice"},
	{"{\"Roots\": [], \"Roots\": [{\"RootCert\": \"%s\"}]}",
	 "\"Roots\" twice"},
};

static void test_malformed(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		g_autofree char *text =
			g_strdup_printf(bad_cases[i].text, old_json, new_json);
#pragma GCC diagnostic pop
		g_autoptr(GError) error = NULL;
		g_autofree char *active = NULL;
		g_autoptr(GPtrArray) roots = dsc_consul_roots_parse(
			text, strlen(text), &active, &error);

		CU_ASSERT_PTR_NULL(roots);
		CU_ASSERT_PTR_NULL(active);
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

static void test_truncations(void)
{
	g_autofree char *text = rotation_response();
	size_t len = strlen(text);
	unsigned refused = 0;

	for (size_t n = 0; n < len; n++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) roots =
			dsc_consul_roots_parse(text, n, NULL, &error);

		if (roots == NULL && error != NULL)
			refused++;
	}
	CU_ASSERT_EQUAL(refused, len);
}

static void test_format_parser(void)
{
	g_autofree char *text = rotation_response();
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	g_autoptr(GBytes) bad = g_bytes_new_static("{\"Roots\": []}", 13);
	g_autoptr(GError) error = NULL;
	dsc_parsed out = {NULL, -1, -1, false, NULL};

	CU_ASSERT_TRUE_FATAL(
		dsc_consul_roots_format_parse(bytes, &out, &error));
	CU_ASSERT_EQUAL(out.crts->len, 2);
	CU_ASSERT_STRING_EQUAL(out.trust_domain, TD);
	CU_ASSERT_FALSE(out.revoked);
	g_ptr_array_unref(out.crts);
	g_free(out.trust_domain);

	out = (dsc_parsed){NULL, -1, -1, false, NULL};
	CU_ASSERT_FALSE(dsc_consul_roots_format_parse(bad, &out, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	CU_ASSERT_PTR_NULL(out.crts);
}

static CU_TestInfo tests[] = {
	{"/consul-roots/all-roots-trusted", test_all_roots_trusted},
	{"/consul-roots/duplicate-root-once", test_duplicate_root_once},
	{"/consul-roots/malformed-refused-with-reason", test_malformed},
	{"/consul-roots/truncations-refused", test_truncations},
	{"/consul-roots/format-parser", test_format_parser},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"consul-roots", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
