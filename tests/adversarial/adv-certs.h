/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile certificates made at test time with GnuTLS's certificate API:
 * fresh ECDSA keys, nothing stored. */
#ifndef TV_TESTS_ADVERSARIAL_ADV_CERTS_H
#define TV_TESTS_ADVERSARIAL_ADV_CERTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

/* Validity of every generated certificate: 2026-01-01 .. 2027-01-01,
 * around the tests' fixed clock (TV_TEST_TIME, 2026-06-01). */
#define ADV_NOT_BEFORE 1767225600
#define ADV_NOT_AFTER 1798761600

static inline void adv_check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "adv-certs: %s: %s\n", what,
			gnutls_strerror(ret));
		exit(99);
	}
}

static inline gnutls_x509_privkey_t adv_key_new(void)
{
	gnutls_x509_privkey_t key;

	adv_check(gnutls_x509_privkey_init(&key), "privkey_init");
	adv_check(gnutls_x509_privkey_generate2(
			  key, GNUTLS_PK_ECDSA,
			  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
			  NULL, 0),
		  "privkey_generate");
	return key;
}

/* One subjectAltName entry: @len bytes of @data (may hold NULs). */
typedef struct {
	unsigned type; /* GNUTLS_SAN_DNSNAME, GNUTLS_SAN_IPADDRESS, ... */
	const char *data;
	size_t len; /* 0: strlen(data) */
} adv_san;

/* An extra extension, DER value given. */
typedef struct {
	const char *oid;
	const unsigned char *der;
	size_t len;
	bool critical;
} adv_ext;

/* Appends a DER tag and length. */
static inline void adv_der_head(GByteArray *out, guint8 tag, size_t len)
{
	guint8 h[6] = {tag};
	unsigned n = 1;

	if (len < 0x80) {
		h[n++] = (guint8)len;
	} else if (len < 0x100) {
		h[n++] = 0x81;
		h[n++] = (guint8)len;
	} else if (len < 0x10000) {
		h[n++] = 0x82;
		h[n++] = (guint8)(len >> 8);
		h[n++] = (guint8)len;
	} else {
		h[n++] = 0x83;
		h[n++] = (guint8)(len >> 16);
		h[n++] = (guint8)(len >> 8);
		h[n++] = (guint8)len;
	}
	g_byte_array_append(out, h, n);
}

/*
 * The subjectAltName value (SEQUENCE OF GeneralName) with each name's
 * bytes exactly as given.  Encoded here, not through
 * gnutls_subject_alt_names_set(): that one stops a dNSName at its first
 * NUL and maps UTF-8 to its A-label, which would turn the hostile
 * certificates into harmless ones.  Only the [2] dNSName, [6] URI and
 * [7] iPAddress forms, all primitive.
 */
static inline GByteArray *adv_san_der(const adv_san *sans, size_t n)
{
	GByteArray *body = g_byte_array_new();
	GByteArray *out = g_byte_array_new();

	for (size_t i = 0; i < n; i++) {
		size_t len = sans[i].len ? sans[i].len : strlen(sans[i].data);
		guint8 tag = sans[i].type == GNUTLS_SAN_IPADDRESS ? 0x87
			     : sans[i].type == GNUTLS_SAN_URI	  ? 0x86
								  : 0x82;

		adv_der_head(body, tag, len);
		g_byte_array_append(body, (const guint8 *)sans[i].data,
				    (guint)len);
	}
	adv_der_head(out, 0x30, body->len);
	g_byte_array_append(out, body->data, body->len);
	g_byte_array_unref(body);
	return out;
}

typedef struct {
	const char *cn; /* may hold NULs: cn_len then says how long */
	size_t cn_len;
	bool ca;
	const adv_san *sans;
	size_t n_sans;
	const adv_ext *ext;
	gnutls_x509_crt_t issuer; /* NULL: self-signed */
	gnutls_x509_privkey_t issuer_key;
} adv_cert_spec;

static inline gnutls_x509_crt_t adv_cert_new(const adv_cert_spec *s,
					     gnutls_x509_privkey_t key)
{
	static unsigned serial = 1;
	gnutls_x509_crt_t crt;
	unsigned char sn[4], id[64];
	size_t id_len = sizeof(id);

	adv_check(gnutls_x509_crt_init(&crt), "crt_init");
	adv_check(gnutls_x509_crt_set_version(crt, 3), "set_version");
	sn[0] = 0x01;
	sn[1] = (unsigned char)(serial >> 16);
	sn[2] = (unsigned char)(serial >> 8);
	sn[3] = (unsigned char)serial;
	serial++;
	adv_check(gnutls_x509_crt_set_serial(crt, sn, sizeof(sn)),
		  "set_serial");
	adv_check(gnutls_x509_crt_set_activation_time(crt, ADV_NOT_BEFORE),
		  "set_activation_time");
	adv_check(gnutls_x509_crt_set_expiration_time(crt, ADV_NOT_AFTER),
		  "set_expiration_time");
	adv_check(gnutls_x509_crt_set_dn_by_oid(
			  crt, GNUTLS_OID_X520_COMMON_NAME, 0, s->cn,
			  s->cn_len ? (unsigned)s->cn_len
				    : (unsigned)strlen(s->cn)),
		  "set_dn");
	adv_check(gnutls_x509_crt_set_key(crt, key), "set_key");
	adv_check(gnutls_x509_crt_get_key_id(crt, 0, id, &id_len),
		  "get_key_id");
	adv_check(gnutls_x509_crt_set_subject_key_id(crt, id, id_len),
		  "set_subject_key_id");
	if (s->ca) {
		adv_check(gnutls_x509_crt_set_basic_constraints(crt, 1, -1),
			  "set_basic_constraints");
		adv_check(gnutls_x509_crt_set_key_usage(
				  crt, GNUTLS_KEY_KEY_CERT_SIGN |
					       GNUTLS_KEY_CRL_SIGN),
			  "set_key_usage");
	} else {
		adv_check(gnutls_x509_crt_set_basic_constraints(crt, 0, -1),
			  "set_basic_constraints");
		adv_check(gnutls_x509_crt_set_key_usage(
				  crt, GNUTLS_KEY_DIGITAL_SIGNATURE),
			  "set_key_usage");
		adv_check(gnutls_x509_crt_set_key_purpose_oid(
				  crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
			  "set_key_purpose");
	}
	if (s->n_sans > 0) {
		GByteArray *der = adv_san_der(s->sans, s->n_sans);

		adv_check(gnutls_x509_crt_set_extension_by_oid(
				  crt, GNUTLS_X509EXT_OID_SAN, der->data,
				  der->len, 0),
			  "set_san_ext");
		g_byte_array_unref(der);
	}
	if (s->ext != NULL)
		adv_check(gnutls_x509_crt_set_extension_by_oid(
				  crt, s->ext->oid, s->ext->der, s->ext->len,
				  s->ext->critical),
			  "set_extension");
	adv_check(gnutls_x509_crt_sign2(crt, s->issuer ? s->issuer : crt,
					s->issuer_key ? s->issuer_key : key,
					GNUTLS_DIG_SHA256, 0),
		  "sign");
	return crt;
}

/* DER of @crt; (transfer full) g_bytes_unref. */
static inline GBytes *adv_der(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};
	GBytes *out;

	adv_check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d),
		  "export");
	out = g_bytes_new(d.data, d.size);
	gnutls_free(d.data);
	return out;
}

/* PEM of @crt; (transfer full) g_free. */
static inline char *adv_pem(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};
	char *out;

	adv_check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d),
		  "export");
	out = g_strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return out;
}

#endif
