/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test certificates for the SPIFFE and Consul tests, made with the GnuTLS API
 * at run time (nothing with a key is committed). */
#ifndef TV_TESTS_DISCOVERY_SPIFFE_TEST_PKI_H
#define TV_TESTS_DISCOVERY_SPIFFE_TEST_PKI_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* Validity of every certificate: wide enough for "now" and for a fixed
 * verification time in 2026. */
#define TPKI_NOT_BEFORE INT64_C(1577836800) /* 2020-01-01 */
#define TPKI_NOT_AFTER INT64_C(2208988800)  /* 2040-01-01 */

typedef struct {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
} tpki_cert;

static inline void tpki_check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "test pki: %s: %s\n", what,
			gnutls_strerror(ret));
		exit(99);
	}
}

static inline void tpki_free(tpki_cert *c)
{
	if (c == NULL)
		return;
	gnutls_x509_crt_deinit(c->crt);
	gnutls_x509_privkey_deinit(c->key);
	g_free(c);
}

typedef struct {
	const char *cn;
	const char *uri;  /* URI SAN, or NULL */
	const char *uri2; /* a second URI SAN, or NULL */
	const char *dns;  /* DNS SAN, or NULL */
	const char *ip;	  /* IP SAN (text), or NULL */
	bool ca;
	gnutls_pk_algorithm_t pk; /* 0: ECDSA P-256 */
} tpki_spec;

/* A certificate made from @spec, signed by @issuer (NULL: self-signed). */
static inline tpki_cert *tpki_make(const tpki_spec *spec,
				   const tpki_cert *issuer)
{
	static unsigned serial_counter = 1;
	tpki_cert *c = g_new0(tpki_cert, 1);
	gnutls_pk_algorithm_t pk = spec->pk != 0 ? spec->pk : GNUTLS_PK_ECDSA;
	unsigned char serial[4];
	unsigned bits =
		pk == GNUTLS_PK_RSA ? 2048
		: pk == GNUTLS_PK_ECDSA
			? GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)
			: 0;
	unsigned char id[20];
	size_t id_len = sizeof(id);
	unsigned serial_value = serial_counter++;

	tpki_check(gnutls_x509_privkey_init(&c->key), "privkey_init");
	tpki_check(gnutls_x509_privkey_generate(c->key, pk, bits, 0),
		   "generate");
	tpki_check(gnutls_x509_crt_init(&c->crt), "crt_init");
	tpki_check(gnutls_x509_crt_set_version(c->crt, 3), "version");
	serial[0] = (unsigned char)(serial_value >> 24);
	serial[1] = (unsigned char)(serial_value >> 16);
	serial[2] = (unsigned char)(serial_value >> 8);
	serial[3] = (unsigned char)serial_value;
	tpki_check(gnutls_x509_crt_set_serial(c->crt, serial, sizeof(serial)),
		   "serial");
	tpki_check(gnutls_x509_crt_set_activation_time(c->crt, TPKI_NOT_BEFORE),
		   "activation");
	tpki_check(gnutls_x509_crt_set_expiration_time(c->crt, TPKI_NOT_AFTER),
		   "expiration");
	tpki_check(gnutls_x509_crt_set_dn_by_oid(c->crt,
						 GNUTLS_OID_X520_COMMON_NAME, 0,
						 spec->cn, strlen(spec->cn)),
		   "cn");
	tpki_check(gnutls_x509_crt_set_key(c->crt, c->key), "set_key");
	tpki_check(gnutls_x509_crt_set_basic_constraints(c->crt, spec->ca, -1),
		   "basic constraints");
	tpki_check(gnutls_x509_crt_set_key_usage(
			   c->crt, spec->ca ? GNUTLS_KEY_KEY_CERT_SIGN |
						      GNUTLS_KEY_CRL_SIGN
					    : GNUTLS_KEY_DIGITAL_SIGNATURE),
		   "key usage");
	if (!spec->ca) {
		tpki_check(gnutls_x509_crt_set_key_purpose_oid(
				   c->crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
			   "eku");
		tpki_check(gnutls_x509_crt_set_key_purpose_oid(
				   c->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0),
			   "eku");
	}
	if (spec->uri != NULL)
		tpki_check(gnutls_x509_crt_set_subject_alt_name(
				   c->crt, GNUTLS_SAN_URI, spec->uri,
				   strlen(spec->uri), GNUTLS_FSAN_APPEND),
			   "uri");
	if (spec->uri2 != NULL)
		tpki_check(gnutls_x509_crt_set_subject_alt_name(
				   c->crt, GNUTLS_SAN_URI, spec->uri2,
				   strlen(spec->uri2), GNUTLS_FSAN_APPEND),
			   "uri2");
	if (spec->dns != NULL)
		tpki_check(gnutls_x509_crt_set_subject_alt_name(
				   c->crt, GNUTLS_SAN_DNSNAME, spec->dns,
				   strlen(spec->dns), GNUTLS_FSAN_APPEND),
			   "dns");
	if (spec->ip != NULL) {
		unsigned char addr[16];
		unsigned len = 4;

		if (inet_pton(AF_INET, spec->ip, addr) != 1) {
			len = 16;
			if (inet_pton(AF_INET6, spec->ip, addr) != 1)
				tpki_check(GNUTLS_E_INVALID_REQUEST, "ip");
		}
		tpki_check(gnutls_x509_crt_set_subject_alt_name(
				   c->crt, GNUTLS_SAN_IPADDRESS, addr, len,
				   GNUTLS_FSAN_APPEND),
			   "ip");
	}
	tpki_check(gnutls_x509_crt_get_key_id(c->crt, 0, id, &id_len),
		   "key id");
	tpki_check(gnutls_x509_crt_set_subject_key_id(c->crt, id, id_len),
		   "subject key id");
	if (issuer != NULL) {
		id_len = sizeof(id);
		tpki_check(gnutls_x509_crt_get_subject_key_id(issuer->crt, id,
							      &id_len, NULL),
			   "issuer key id");
		tpki_check(gnutls_x509_crt_set_authority_key_id(c->crt, id,
								id_len),
			   "authority key id");
	}
	tpki_check(gnutls_x509_crt_sign2(c->crt,
					 issuer != NULL ? issuer->crt : c->crt,
					 issuer != NULL ? issuer->key : c->key,
					 GNUTLS_DIG_SHA256, 0),
		   "sign");
	return c;
}

/* A self-signed CA named @cn, with the URI SAN @uri when non-NULL. */
static inline tpki_cert *tpki_ca(const char *cn, const char *uri)
{
	tpki_spec spec = {.cn = cn, .uri = uri, .ca = true};
	return tpki_make(&spec, NULL);
}

/* A leaf (not a CA) with URI SAN @uri, issued by @issuer. */
static inline tpki_cert *tpki_leaf(const tpki_cert *issuer, const char *cn,
				   const char *uri)
{
	tpki_spec spec = {.cn = cn, .uri = uri};
	return tpki_make(&spec, issuer);
}

/* (transfer full) the PEM of @c's certificate. */
static inline char *tpki_pem(const tpki_cert *c)
{
	gnutls_datum_t out = {NULL, 0};
	char *pem;

	tpki_check(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &out),
		   "export pem");
	pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return pem;
}

/* (transfer full) the standard base64 of @c's DER (a JWK x5c entry). */
static inline char *tpki_b64(const tpki_cert *c)
{
	gnutls_datum_t out = {NULL, 0};
	char *b64;

	tpki_check(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_DER, &out),
		   "export der");
	b64 = g_base64_encode(out.data, out.size);
	gnutls_free(out.data);
	return b64;
}

/* (transfer full) the PEM of @c's private key. */
static inline char *tpki_key_pem(const tpki_cert *c)
{
	gnutls_datum_t out = {NULL, 0};
	char *pem;

	tpki_check(
		gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &out),
		"export key");
	pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return pem;
}

/* The JWK "kty" of @c's key. */
static inline const char *tpki_kty(const tpki_cert *c)
{
	int pk = gnutls_x509_crt_get_pk_algorithm(c->crt, NULL);

	return pk == GNUTLS_PK_RSA     ? "RSA"
	       : pk == GNUTLS_PK_ECDSA ? "EC"
				       : "OKP";
}

/* One x509-svid JWK holding @c. (transfer full) */
static inline char *tpki_jwk(const tpki_cert *c)
{
	g_autofree char *b64 = tpki_b64(c);

	return g_strdup_printf("{\"use\":\"x509-svid\",\"kty\":\"%s\","
			       "\"x5c\":[\"%s\"]}",
			       tpki_kty(c), b64);
}

#endif
