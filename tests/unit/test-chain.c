/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DER slicing of the SubjectPublicKeyInfo, checked against GnuTLS's own
 * encoding. */
#include "chain.h"
#include "tv-test.h"

#include <gnutls/abstract.h>

static const char *const files[] = {
	"ca.pem",
	"inter.pem",
	"rogue-ca.pem",
	"chain-good.pem",
	"chain-ip.pem",
	"chain-spiffe.pem",
	"chain-cn-only.pem",
	"chain-dev.pem",
};

/* Every certificate of @file as DER (gnutls_free each .data). */
static unsigned load(const char *file, gnutls_datum_t *out, unsigned max)
{
	g_autofree char *path =
		g_build_filename(tv_test_env("TV_FIXTURES"), file, NULL);
	gnutls_datum_t pem = {NULL, 0};
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	CU_ASSERT_FATAL(gnutls_load_file(path, &pem) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_list_import2(
				&crts, &n, &pem, GNUTLS_X509_FMT_PEM, 0) >= 0);
	for (unsigned i = 0; i < n && i < max; i++)
		gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &out[i]);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	gnutls_free(pem.data);
	return n < max ? n : max;
}

static void test_spki_matches_gnutls(void)
{
	for (size_t f = 0; f < G_N_ELEMENTS(files); f++) {
		gnutls_datum_t der[4];
		unsigned n = load(files[f], der, 4);

		for (unsigned i = 0; i < n; i++) {
			gnutls_x509_crt_t crt;
			gnutls_pubkey_t key;
			gnutls_datum_t want = {NULL, 0}, got = {NULL, 0};

			gnutls_x509_crt_init(&crt);
			gnutls_x509_crt_import(crt, &der[i],
					       GNUTLS_X509_FMT_DER);
			gnutls_pubkey_init(&key);
			gnutls_pubkey_import_x509(key, crt, 0);
			CU_ASSERT_FATAL(
				gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER,
						      &want) >= 0);
			CU_ASSERT_TRUE(der_certificate_spki(&der[i], &got));
			CU_ASSERT_EQUAL(got.size, want.size);
			if (got.size == want.size)
				CU_ASSERT_EQUAL(
					memcmp(got.data, want.data, want.size),
					0);
			gnutls_free(want.data);
			gnutls_pubkey_deinit(key);
			gnutls_x509_crt_deinit(crt);
			gnutls_free(der[i].data);
		}
	}
}

/* Any truncation or corruption is refused, never read past the end. */
static void test_spki_truncated(void)
{
	gnutls_datum_t der[1];
	gnutls_datum_t spki;

	CU_ASSERT_EQUAL_FATAL(load("ca.pem", der, 1), 1);
	for (unsigned len = 0; len < der[0].size; len++) {
		/* A copy of exactly @len bytes, so ASan sees any overread. */
		unsigned char *copy = g_memdup2(der[0].data, len ? len : 1);
		gnutls_datum_t cut = {copy, len};
		bool ok = der_certificate_spki(&cut, &spki);

		/* Only cuts that keep the whole SPKI can succeed. */
		if (ok)
			CU_ASSERT_TRUE(spki.data + spki.size <= copy + len);
		g_free(copy);
	}
	{
		unsigned char *copy = g_memdup2(der[0].data, der[0].size);
		gnutls_datum_t bad = {copy, der[0].size};

		copy[0] = 0x31; /* not a SEQUENCE */
		CU_ASSERT_FALSE(der_certificate_spki(&bad, &spki));
		g_free(copy);
	}
	gnutls_free(der[0].data);
}

static CU_TestInfo tests[] = {
	{"/chain/spki-matches-gnutls", test_spki_matches_gnutls},
	{"/chain/spki-truncated", test_spki_truncated},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"chain", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
