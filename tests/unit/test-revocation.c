/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of core/revocation.c with a PKI and CRLs generated at test time. */
#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <libtasn1.h>

#include "revocation.h"
#include "tv-test.h"

/*
 * Certificates and plain CRLs come from the GnuTLS API (what certtool
 * --generate-crl calls).  certtool templates cannot write an
 * issuingDistributionPoint, a deltaCRLIndicator, entry reason codes or an
 * unknown critical extension, so those CRLs are assembled here as DER
 * (lengths by libtasn1's asn1_length_der) and signed with GnuTLS.
 */

#define T_START INT64_C(1577836800) /* 2020-01-01 */
#define T_END INT64_C(2208988800)   /* 2040-01-01 */
#define T_NOW INT64_C(1780272000)   /* 2026-06-01: verification time */
#define T_CRL INT64_C(1767225600)   /* 2026-01-01: CRLs issued */
#define T_NEXT INT64_C(1798761600)  /* 2027-01-01: next update */

typedef struct {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
} ident;

static ident root, inter, inter_ncs, crl_signer, leaf1, leaf2, leaf3;
static gnutls_x509_privkey_t evil_key;

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t k = NULL;

	if (gnutls_x509_privkey_init(&k) < 0 ||
	    gnutls_x509_privkey_generate(
		    k, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		abort();
	return k;
}

/* A certificate CN=@cn (serial @serial) for @id's key, signed by @issuer
 * (itself when NULL). */
static void make_cert(ident *id, const char *cn, unsigned char serial,
		      const ident *issuer, bool ca, unsigned usage)
{
	unsigned char sn[1] = {serial};
	const ident *signer = issuer != NULL ? issuer : id;

	if (id->key == NULL)
		id->key = new_key();
	if (gnutls_x509_crt_init(&id->crt) < 0 ||
	    gnutls_x509_crt_set_version(id->crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(id->crt, sn, 1) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(id->crt, GNUTLS_OID_X520_COMMON_NAME,
					  0, cn, (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_key(id->crt, id->key) < 0 ||
	    gnutls_x509_crt_set_activation_time(id->crt, (time_t)T_START) < 0 ||
	    gnutls_x509_crt_set_expiration_time(id->crt, (time_t)T_END) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(id->crt, ca ? 1 : 0, -1) <
		    0 ||
	    gnutls_x509_crt_set_key_usage(id->crt, usage) < 0 ||
	    gnutls_x509_crt_sign2(id->crt, signer->crt ? signer->crt : id->crt,
				  signer->key, GNUTLS_DIG_SHA256, 0) < 0)
		abort();
}

/* ---- CRLs through the GnuTLS API ------------------------------------- */

/* A CRL of @issuer's name signed with @key, revoking the certificates in
 * @revoked (NULL-terminated). */
static gnutls_x509_crl_t api_crl(const ident *issuer, gnutls_x509_privkey_t key,
				 int64_t next, gnutls_x509_crt_t *revoked)
{
	gnutls_x509_crl_t crl = NULL;
	unsigned char number[1] = {1};

	if (gnutls_x509_crl_init(&crl) < 0 ||
	    gnutls_x509_crl_set_version(crl, 2) < 0 ||
	    gnutls_x509_crl_set_this_update(crl, (time_t)T_CRL) < 0 ||
	    gnutls_x509_crl_set_next_update(crl, (time_t)next) < 0 ||
	    gnutls_x509_crl_set_number(crl, number, 1) < 0)
		abort();
	for (gnutls_x509_crt_t *r = revoked; r != NULL && *r != NULL; r++)
		if (gnutls_x509_crl_set_crt(crl, *r, (time_t)T_CRL) < 0)
			abort();
	if (gnutls_x509_crl_sign2(crl, issuer->crt, key, GNUTLS_DIG_SHA256, 0) <
	    0)
		abort();
	return crl;
}

/* ---- CRLs assembled as DER -------------------------------------------- */

static void put_tlv(GByteArray *out, guint8 tag, const guint8 *content,
		    size_t len)
{
	unsigned char hdr[16];
	int hdr_len = (int)sizeof(hdr);

	asn1_length_der((unsigned long)len, hdr, &hdr_len);
	g_byte_array_append(out, &tag, 1);
	g_byte_array_append(out, hdr, (guint)hdr_len);
	g_byte_array_append(out, content, (guint)len);
}

/* Wraps @inner (consumed) in a TLV of @tag, appended to @out. */
static void put_wrapped(GByteArray *out, guint8 tag, GByteArray *inner)
{
	put_tlv(out, tag, inner->data, inner->len);
	g_byte_array_unref(inner);
}

static void put_time(GByteArray *out, int64_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	g_autofree char *s = g_date_time_format(dt, "%y%m%d%H%M%SZ");

	put_tlv(out, 0x17, (const guint8 *)s, strlen(s));
}

static void put_integer(GByteArray *out, guint8 value)
{
	put_tlv(out, 0x02, &value, 1);
}

/* Extension { extnID, critical, extnValue OCTET STRING { @value } }. */
static void put_ext(GByteArray *out, const guint8 *oid, size_t oid_len,
		    bool critical, GByteArray *value)
{
	GByteArray *e = g_byte_array_new();
	static const guint8 true_der[] = {0x01, 0x01, 0xff};

	put_tlv(e, 0x06, oid, oid_len);
	if (critical)
		g_byte_array_append(e, true_der, sizeof(true_der));
	put_wrapped(e, 0x04, value);
	put_wrapped(out, 0x30, e);
}

static const guint8 oid_crl_number[] = {0x55, 0x1d, 0x14};
static const guint8 oid_delta[] = {0x55, 0x1d, 0x1b};
static const guint8 oid_idp[] = {0x55, 0x1d, 0x1c};
static const guint8 oid_reason[] = {0x55, 0x1d, 0x15};
/* 1.3.6.1.4.1.99999.1: an extension nobody knows */
static const guint8 oid_unknown[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
				     0x86, 0x8d, 0x1f, 0x01};

typedef struct {
	gnutls_x509_crt_t crt;
	int reason;	       /* -1: no reasonCode */
	bool unknown_critical; /* an unknown critical entry extension */
} entry;

typedef struct {
	const ident *issuer;		 /* name (unless issuer_dn) and key */
	const gnutls_datum_t *issuer_dn; /* DER Name to write instead */
	gnutls_x509_privkey_t key;	 /* signing key; NULL: issuer's */
	int64_t next;
	guint8 number;
	int delta_base;	       /* >= 0: a delta CRL on this base */
	bool idp_only_ca;      /* IDP onlyContainsCACerts */
	bool unknown_critical; /* an unknown critical CRL extension */
	const entry *entries;
	size_t n_entries;
} der_crl_spec;

static gnutls_x509_crl_t der_crl(const der_crl_spec *s)
{
	static const guint8 ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08,
					      0x2a, 0x86, 0x48, 0xce,
					      0x3d, 0x04, 0x03, 0x02};
	GByteArray *tbs = g_byte_array_new();
	GByteArray *list, *exts, *v, *whole;
	gnutls_datum_t dn = {NULL, 0}, data, sig = {NULL, 0}, der;
	gnutls_privkey_t pk = NULL;
	gnutls_x509_crl_t crl = NULL;
	g_autoptr(GByteArray) signed_tbs = g_byte_array_new();

	put_integer(tbs, 1);
	g_byte_array_append(tbs, ecdsa_sha256, sizeof(ecdsa_sha256));
	if (s->issuer_dn != NULL) {
		g_byte_array_append(tbs, s->issuer_dn->data,
				    s->issuer_dn->size);
	} else {
		if (gnutls_x509_crt_get_raw_dn(s->issuer->crt, &dn) < 0)
			abort();
		g_byte_array_append(tbs, dn.data, dn.size);
		gnutls_free(dn.data);
	}
	put_time(tbs, T_CRL);
	put_time(tbs, s->next);
	if (s->n_entries > 0) {
		list = g_byte_array_new();
		for (size_t i = 0; i < s->n_entries; i++) {
			GByteArray *e = g_byte_array_new();
			unsigned char sn[64];
			size_t sn_len = sizeof(sn);

			if (gnutls_x509_crt_get_serial(s->entries[i].crt, sn,
						       &sn_len) < 0)
				abort();
			put_tlv(e, 0x02, sn, sn_len);
			put_time(e, T_CRL);
			if (s->entries[i].reason >= 0 ||
			    s->entries[i].unknown_critical) {
				GByteArray *ee = g_byte_array_new();

				if (s->entries[i].reason >= 0) {
					guint8 r = (guint8)s->entries[i].reason;

					v = g_byte_array_new();
					put_tlv(v, 0x0a, &r, 1);
					put_ext(ee, oid_reason,
						sizeof(oid_reason), false, v);
				}
				if (s->entries[i].unknown_critical) {
					v = g_byte_array_new();
					put_tlv(v, 0x05, NULL, 0);
					put_ext(ee, oid_unknown,
						sizeof(oid_unknown), true, v);
				}
				put_wrapped(e, 0x30, ee);
			}
			put_wrapped(list, 0x30, e);
		}
		put_wrapped(tbs, 0x30, list);
	}
	exts = g_byte_array_new();
	v = g_byte_array_new();
	put_integer(v, s->number);
	put_ext(exts, oid_crl_number, sizeof(oid_crl_number), false, v);
	if (s->delta_base >= 0) {
		v = g_byte_array_new();
		put_integer(v, (guint8)s->delta_base);
		put_ext(exts, oid_delta, sizeof(oid_delta), true, v);
	}
	if (s->idp_only_ca) {
		static const guint8 only_ca[] = {0x82, 0x01, 0xff};
		GByteArray *seq = g_byte_array_new();

		v = g_byte_array_new();
		g_byte_array_append(seq, only_ca, sizeof(only_ca));
		put_wrapped(v, 0x30, seq);
		put_ext(exts, oid_idp, sizeof(oid_idp), true, v);
	}
	if (s->unknown_critical) {
		v = g_byte_array_new();
		put_tlv(v, 0x05, NULL, 0);
		put_ext(exts, oid_unknown, sizeof(oid_unknown), true, v);
	}
	{
		GByteArray *seq = g_byte_array_new();

		put_wrapped(seq, 0x30, exts);
		put_wrapped(tbs, 0xa0, seq);
	}
	put_wrapped(signed_tbs, 0x30, tbs);

	data.data = signed_tbs->data;
	data.size = signed_tbs->len;
	if (gnutls_privkey_init(&pk) < 0 ||
	    gnutls_privkey_import_x509(
		    pk, s->key != NULL ? s->key : s->issuer->key, 0) < 0 ||
	    gnutls_privkey_sign_data2(pk, GNUTLS_SIGN_ECDSA_SHA256, 0, &data,
				      &sig) < 0)
		abort();
	gnutls_privkey_deinit(pk);

	whole = g_byte_array_new();
	g_byte_array_append(whole, signed_tbs->data, signed_tbs->len);
	g_byte_array_append(whole, ecdsa_sha256, sizeof(ecdsa_sha256));
	{
		GByteArray *bits = g_byte_array_new();
		guint8 zero = 0;

		g_byte_array_append(bits, &zero, 1);
		g_byte_array_append(bits, sig.data, sig.size);
		put_wrapped(whole, 0x03, bits);
	}
	gnutls_free(sig.data);
	{
		GByteArray *outer = g_byte_array_new();

		put_wrapped(outer, 0x30, whole);
		der.data = outer->data;
		der.size = outer->len;
		if (gnutls_x509_crl_init(&crl) < 0 ||
		    gnutls_x509_crl_import(crl, &der, GNUTLS_X509_FMT_DER) < 0)
			abort();
		g_byte_array_unref(outer);
	}
	return crl;
}

/* ---- harness ---------------------------------------------------------- */

static int suite_init(void)
{
	const unsigned ca_usage =
		GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN;

	make_cert(&root, "revocation test root", 1, NULL, true, ca_usage);
	make_cert(&inter, "revocation test intermediate", 2, &root, true,
		  ca_usage);
	make_cert(&inter_ncs, "intermediate without crlsign", 3, &root, true,
		  GNUTLS_KEY_KEY_CERT_SIGN);
	/* Same name as the intermediate, another key, only for CRLs. */
	make_cert(&crl_signer, "revocation test intermediate", 4, &root, false,
		  GNUTLS_KEY_CRL_SIGN);
	make_cert(&leaf1, "leaf one", 10, &inter, false,
		  GNUTLS_KEY_DIGITAL_SIGNATURE);
	make_cert(&leaf2, "leaf two", 11, &inter, false,
		  GNUTLS_KEY_DIGITAL_SIGNATURE);
	make_cert(&leaf3, "leaf three", 12, &inter_ncs, false,
		  GNUTLS_KEY_DIGITAL_SIGNATURE);
	evil_key = new_key();
	return 0;
}

static int suite_clean(void)
{
	ident *all[] = {&root,	&inter, &inter_ncs, &crl_signer,
			&leaf1, &leaf2, &leaf3};

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		gnutls_x509_crt_deinit(all[i]->crt);
		gnutls_x509_privkey_deinit(all[i]->key);
	}
	gnutls_x509_privkey_deinit(evil_key);
	return 0;
}

/* Runs the check on leaf, @ca, root with @crls (NULL-terminated, freed);
 * returns the reasons (0 = passed) and stores the message. */
static uint32_t run_pool(gnutls_x509_crt_t leaf, gnutls_x509_crt_t ca,
			 gnutls_x509_crt_t *pool, size_t n_pool,
			 tv_revocation_mode mode, gnutls_x509_crl_t *crls,
			 char **message)
{
	gnutls_x509_crt_t path[3] = {leaf, ca, root.crt};
	size_t n_crls = 0;
	uint32_t reasons = 0;
	char *msg = NULL;
	bool ok;

	while (crls[n_crls] != NULL)
		n_crls++;
	ok = tv_revocation_check_pool(path, 3, pool, n_pool, crls, n_crls, mode,
				      T_NOW, &reasons, &msg);
	for (size_t i = 0; i < n_crls; i++)
		gnutls_x509_crl_deinit(crls[i]);
	/* A verdict and its reasons always agree. */
	CU_ASSERT_EQUAL(ok, reasons == 0);
	CU_ASSERT_EQUAL(ok, msg == NULL);
	if (message != NULL)
		*message = msg;
	else
		g_free(msg);
	return reasons;
}

static uint32_t run(gnutls_x509_crt_t leaf, tv_revocation_mode mode,
		    gnutls_x509_crl_t *crls, char **message)
{
	return run_pool(leaf, inter.crt, NULL, 0, mode, crls, message);
}

static gnutls_x509_crl_t root_crl(gnutls_x509_crt_t revoked)
{
	gnutls_x509_crt_t list[2] = {revoked, NULL};

	return api_crl(&root, root.key, T_NEXT, list);
}

static gnutls_x509_crl_t inter_crl(void)
{
	gnutls_x509_crt_t list[2] = {leaf2.crt, NULL};

	return api_crl(&inter, inter.key, T_NEXT, list);
}

static void expect_message(const char *message, const char *part)
{
	if (message == NULL || strstr(message, part) == NULL)
		fprintf(stderr, "\n  want '%s' in: %s\n", part,
			message ? message : "(none)");
	CU_ASSERT_PTR_NOT_NULL(message != NULL ? strstr(message, part) : NULL);
}

/* ---- tests ------------------------------------------------------------ */

static void test_good(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), inter_crl(), NULL};

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, NULL), 0);
}

static void test_revoked_leaf(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), inter_crl(), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_REVOKED);
	expect_message(msg, "leaf two");
}

static void test_revoked_intermediate(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(inter.crt), inter_crl(), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_REVOKED);
	expect_message(msg, "revocation test intermediate");
}

static void test_missing_require(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "no valid CRL for 'CN=leaf one'");
}

/* if-present: no CRL of the intermediate, so the leaf is not checked;
 * the root's CRL still checks the intermediate. */
static void test_missing_if_present(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), NULL};
	gnutls_x509_crl_t crls2[] = {root_crl(inter.crt), NULL};

	CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_IF_PRESENT, crls, NULL),
			0);
	CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_IF_PRESENT, crls2, NULL),
			TV_REASON_REVOKED);
}

static void test_off(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(inter.crt), inter_crl(), NULL};

	CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_OFF, crls, NULL), 0);
}

/* A stale CRL is no CRL, and under if-present a present-but-stale one
 * fails too. */
static void test_stale(void)
{
	gnutls_x509_crt_t list[] = {leaf2.crt, NULL};
	gnutls_x509_crl_t crls[] = {
		root_crl(NULL), api_crl(&inter, inter.key, T_NOW - 86400, list),
		NULL};
	gnutls_x509_crl_t crls2[] = {
		root_crl(NULL), api_crl(&inter, inter.key, T_NOW - 86400, list),
		NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "out of date");
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_IF_PRESENT, crls2, NULL),
			TV_REASON_UNTRUSTED);
}

static void test_wrong_key(void)
{
	gnutls_x509_crl_t crls[] = {
		root_crl(NULL), api_crl(&inter, evil_key, T_NEXT, NULL), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "not signed by its issuer's key");
}

static void test_no_crl_sign(void)
{
	gnutls_x509_crl_t crls[] = {
		root_crl(NULL),
		api_crl(&inter_ncs, inter_ncs.key, T_NEXT, NULL), NULL};
	gnutls_x509_crt_t path[3] = {leaf3.crt, inter_ncs.crt, root.crt};
	uint32_t reasons = 0;
	g_autofree char *msg = NULL;

	CU_ASSERT_FALSE(tv_revocation_check(path, 3, crls, 2,
					    TV_REVOCATION_REQUIRE, T_NOW,
					    &reasons, &msg));
	CU_ASSERT_EQUAL(reasons, TV_REASON_UNTRUSTED);
	expect_message(msg, "without cRLSign");
	for (size_t i = 0; i < 2; i++)
		gnutls_x509_crl_deinit(crls[i]);
}

static void test_idp_only_ca(void)
{
	der_crl_spec s = {.issuer = &inter,
			  .next = T_NEXT,
			  .number = 1,
			  .delta_base = -1,
			  .idp_only_ca = true};
	gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&s), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "covers only CA certificates");
}

/* The same CRL without the IDP is usable: the DER builder is sound. */
static void test_der_crl_usable(void)
{
	entry e[] = {{leaf2.crt, 1, false}};
	der_crl_spec s = {.issuer = &inter,
			  .next = T_NEXT,
			  .number = 1,
			  .delta_base = -1,
			  .entries = e,
			  .n_entries = 1};
	gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&s), NULL};
	gnutls_x509_crl_t crls2[] = {root_crl(NULL), der_crl(&s), NULL};

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, NULL), 0);
	CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_REQUIRE, crls2, NULL),
			TV_REASON_REVOKED);
}

static void test_delta_revokes(void)
{
	entry e[] = {{leaf1.crt, 1, false}};
	der_crl_spec base = {.issuer = &inter,
			     .next = T_NEXT,
			     .number = 1,
			     .delta_base = -1};
	der_crl_spec delta = {.issuer = &inter,
			      .next = T_NEXT,
			      .number = 2,
			      .delta_base = 1,
			      .entries = e,
			      .n_entries = 1};
	gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&base),
				    der_crl(&delta), NULL};
	gnutls_x509_crl_t only_delta[] = {root_crl(NULL), der_crl(&delta),
					  NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_REVOKED);
	expect_message(msg, "delta CRL");
	/* A delta alone is not a complete CRL. */
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, only_delta, NULL),
			TV_REASON_UNTRUSTED);
}

/* certificateHold on the complete CRL, removeFromCRL on the delta. */
static void test_delta_remove_from_crl(void)
{
	entry hold[] = {{leaf1.crt, 6, false}};
	entry removed[] = {{leaf1.crt, 8, false}};
	der_crl_spec base = {.issuer = &inter,
			     .next = T_NEXT,
			     .number = 1,
			     .delta_base = -1,
			     .entries = hold,
			     .n_entries = 1};
	der_crl_spec delta = {.issuer = &inter,
			      .next = T_NEXT,
			      .number = 2,
			      .delta_base = 1,
			      .entries = removed,
			      .n_entries = 1};
	der_crl_spec late = delta;
	gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&base),
				    der_crl(&delta), NULL};
	gnutls_x509_crl_t held[] = {root_crl(NULL), der_crl(&base), NULL};
	gnutls_x509_crl_t mismatched[4];
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, NULL), 0);
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, held, &msg),
			TV_REASON_REVOKED);
	expect_message(msg, "on hold");
	/* A delta on a newer base than the complete CRL does not apply. */
	late.delta_base = 2;
	late.number = 3;
	mismatched[0] = root_crl(NULL);
	mismatched[1] = der_crl(&base);
	mismatched[2] = der_crl(&late);
	mismatched[3] = NULL;
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, mismatched, NULL),
			TV_REASON_REVOKED);
}

static void test_unknown_critical(void)
{
	der_crl_spec s = {.issuer = &inter,
			  .next = T_NEXT,
			  .number = 1,
			  .delta_base = -1,
			  .unknown_critical = true};
	entry e[] = {{leaf2.crt, -1, true}};
	der_crl_spec se = {.issuer = &inter,
			   .next = T_NEXT,
			   .number = 1,
			   .delta_base = -1,
			   .entries = e,
			   .n_entries = 1};
	gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&s), NULL};
	gnutls_x509_crl_t crls2[] = {root_crl(NULL), der_crl(&se), NULL};
	g_autofree char *msg = NULL;
	g_autofree char *msg2 = NULL;

	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "unknown critical extension");
	/* An unknown critical entry extension spoils the whole CRL, also
	 * for the certificates it does not list. */
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, crls2, &msg2),
			TV_REASON_UNTRUSTED);
	expect_message(msg2, "unknown critical entry extension");
}

/* The CRL's issuer name differs from the certificate's issuer only in
 * case, spacing and string type (RFC 5280 7.1): still the same issuer. */
static void test_name_normalisation(void)
{
	static const char cn[] = "  REVOCATION test   Intermediate ";
	GByteArray *atv = g_byte_array_new(), *set = g_byte_array_new();
	g_autoptr(GByteArray) name = g_byte_array_new();
	static const guint8 oid_cn[] = {0x55, 0x04, 0x03};
	gnutls_datum_t dn;
	entry e[] = {{leaf2.crt, -1, false}};
	der_crl_spec s = {.issuer = &inter,
			  .next = T_NEXT,
			  .number = 1,
			  .delta_base = -1,
			  .entries = e,
			  .n_entries = 1};
	g_autofree char *msg = NULL;

	put_tlv(atv, 0x06, oid_cn, sizeof(oid_cn));
	put_tlv(atv, 0x0c, (const guint8 *)cn, strlen(cn)); /* UTF8String */
	put_wrapped(set, 0x30, atv);
	put_wrapped(name, 0x31, set);
	{
		GByteArray *seq = g_byte_array_new();

		put_wrapped(seq, 0x30, g_byte_array_ref(name));
		dn.data = seq->data;
		dn.size = seq->len;
		s.issuer_dn = &dn;
		{
			gnutls_x509_crl_t crls[] = {root_crl(NULL), der_crl(&s),
						    NULL};

			CU_ASSERT_EQUAL(run(leaf2.crt, TV_REVOCATION_REQUIRE,
					    crls, &msg),
					TV_REASON_REVOKED);
		}
		g_byte_array_unref(seq);
	}
	expect_message(msg, "leaf two");
}

/* Key rollover style: the CRL is signed by another certificate of the
 * issuer's name (with cRLSign, issued by the root), found in the pool;
 * revoked by the root, it no longer vouches for the CRL. */
static void test_separate_crl_key(void)
{
	gnutls_x509_crt_t list[] = {leaf2.crt, NULL};
	gnutls_x509_crt_t pool[] = {leaf1.crt, inter.crt, crl_signer.crt};
	gnutls_x509_crl_t good[] = {
		root_crl(NULL),
		api_crl(&crl_signer, crl_signer.key, T_NEXT, list), NULL};
	gnutls_x509_crl_t revoked[] = {
		root_crl(NULL),
		api_crl(&crl_signer, crl_signer.key, T_NEXT, list), NULL};
	gnutls_x509_crl_t signer_revoked[] = {
		root_crl(crl_signer.crt),
		api_crl(&crl_signer, crl_signer.key, T_NEXT, list), NULL};
	gnutls_x509_crl_t no_pool[] = {
		root_crl(NULL),
		api_crl(&crl_signer, crl_signer.key, T_NEXT, list), NULL};
	g_autofree char *msg = NULL;

	CU_ASSERT_EQUAL(run_pool(leaf1.crt, inter.crt, pool, 3,
				 TV_REVOCATION_REQUIRE, good, NULL),
			0);
	CU_ASSERT_EQUAL(run_pool(leaf2.crt, inter.crt, pool, 3,
				 TV_REVOCATION_REQUIRE, revoked, NULL),
			TV_REASON_REVOKED);
	CU_ASSERT_EQUAL(run_pool(leaf1.crt, inter.crt, pool, 3,
				 TV_REVOCATION_REQUIRE, signer_revoked, &msg),
			TV_REASON_UNTRUSTED);
	expect_message(msg, "revoked certificate");
	/* Without the signer's certificate nothing vouches for the CRL. */
	CU_ASSERT_EQUAL(run(leaf1.crt, TV_REVOCATION_REQUIRE, no_pool, NULL),
			TV_REASON_UNTRUSTED);
}

/* A path of the anchor alone has nothing to check; REQUIRE with no CRL
 * at all fails the first certificate. */
static void test_edges(void)
{
	gnutls_x509_crt_t path[3] = {leaf1.crt, inter.crt, root.crt};
	uint32_t reasons = 0;
	char *msg = NULL;

	CU_ASSERT_TRUE(tv_revocation_check(path + 2, 1, NULL, 0,
					   TV_REVOCATION_REQUIRE, T_NOW,
					   &reasons, &msg));
	CU_ASSERT_PTR_NULL(msg);
	CU_ASSERT_TRUE(tv_revocation_check(path, 3, NULL, 0,
					   TV_REVOCATION_IF_PRESENT, T_NOW,
					   &reasons, &msg));
	CU_ASSERT_FALSE(tv_revocation_check(path, 3, NULL, 0,
					    TV_REVOCATION_REQUIRE, T_NOW,
					    &reasons, &msg));
	CU_ASSERT_EQUAL(reasons, TV_REASON_UNTRUSTED);
	expect_message(msg, "no valid CRL for 'CN=revocation test "
			    "intermediate'");
	g_free(msg);
}

/* ---- a prepared set, reused ------------------------------------------ */

/* One check of leaf, @ca, root against the prepared @set. */
static uint32_t run_set(gnutls_x509_crt_t leaf, gnutls_x509_crt_t ca,
			const tv_crl_set *set, char **message)
{
	gnutls_x509_crt_t path[3] = {leaf, ca, root.crt};
	uint32_t reasons = 0;
	char *msg = NULL;
	bool ok;

	ok = tv_revocation_check_set(path, 3, NULL, 0, set,
				     TV_REVOCATION_REQUIRE, T_NOW, &reasons,
				     &msg);
	CU_ASSERT_EQUAL(ok, reasons == 0);
	if (message != NULL)
		*message = msg;
	else
		g_free(msg);
	return reasons;
}

/* The verdicts of a set built once do not change with use: the signature
 * remembered for the intermediate's key does not vouch for another key of
 * the same name. */
static void test_set_reused(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), inter_crl()};
	g_autoptr(tv_crl_set) set = tv_crl_set_new(crls, 2);
	ident twin = {0};
	g_autofree char *msg = NULL;

	gnutls_x509_crl_deinit(crls[0]);
	gnutls_x509_crl_deinit(crls[1]);
	CU_ASSERT_EQUAL(tv_crl_set_get_size(set), 2);
	make_cert(&twin, "revocation test intermediate", 5, &root, true,
		  GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL(run_set(leaf1.crt, inter.crt, set, NULL), 0);
		CU_ASSERT_EQUAL(run_set(leaf2.crt, inter.crt, set, NULL),
				TV_REASON_REVOKED);
		g_free(msg);
		msg = NULL;
		CU_ASSERT_EQUAL(run_set(leaf1.crt, twin.crt, set, &msg),
				TV_REASON_UNTRUSTED);
		expect_message(msg, "not signed by its issuer's key");
	}
	gnutls_x509_crt_deinit(twin.crt);
	gnutls_x509_privkey_deinit(twin.key);
}

/* Entries are found by serial whatever their order and length. */
static void test_many_entries(void)
{
	gnutls_x509_crl_t crl = NULL;
	gnutls_x509_crl_t crls[2];
	unsigned char number[1] = {1};
	unsigned char sn[64];
	size_t sn_len = sizeof(sn);
	g_autoptr(tv_crl_set) set = NULL;
	g_autoptr(tv_crl_set) set2 = NULL;

	if (gnutls_x509_crl_init(&crl) < 0 ||
	    gnutls_x509_crl_set_version(crl, 2) < 0 ||
	    gnutls_x509_crl_set_this_update(crl, (time_t)T_CRL) < 0 ||
	    gnutls_x509_crl_set_next_update(crl, (time_t)T_NEXT) < 0 ||
	    gnutls_x509_crl_set_number(crl, number, 1) < 0)
		abort();
	/* 300 serials of one to three bytes, out of order, around leaf
	 * two's; leaf one's (10) is not among them. */
	for (unsigned k = 0; k < 300; k++) {
		unsigned v = (k * 7919u) % 65000u + 12u;
		unsigned char b[3] = {(unsigned char)(v >> 16),
				      (unsigned char)(v >> 8),
				      (unsigned char)v};
		size_t skip = v < 0x80 ? 2 : v < 0x8000 ? 1 : 0;

		CU_ASSERT_FATAL(
			gnutls_x509_crl_set_crt_serial(crl, b + skip, 3 - skip,
						       (time_t)T_CRL) >= 0);
		if (k == 150)
			CU_ASSERT_FATAL(
				gnutls_x509_crl_set_crt(crl, leaf2.crt,
							(time_t)T_CRL) >= 0);
	}
	CU_ASSERT_FATAL(gnutls_x509_crl_sign2(crl, inter.crt, inter.key,
					      GNUTLS_DIG_SHA256, 0) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_get_serial(leaf1.crt, sn, &sn_len) >=
			0);
	CU_ASSERT_EQUAL(sn_len, 1);
	CU_ASSERT_EQUAL(sn[0], 10);
	crls[0] = root_crl(NULL);
	crls[1] = crl;
	set = tv_crl_set_new(crls, 2);
	gnutls_x509_crl_deinit(crls[0]);
	gnutls_x509_crl_deinit(crls[1]);
	CU_ASSERT_EQUAL(run_set(leaf1.crt, inter.crt, set, NULL), 0);
	CU_ASSERT_EQUAL(run_set(leaf2.crt, inter.crt, set, NULL),
			TV_REASON_REVOKED);
	/* Not found without the intermediate's CRL. */
	crls[0] = root_crl(NULL);
	set2 = tv_crl_set_new(crls, 1);
	gnutls_x509_crl_deinit(crls[0]);
	CU_ASSERT_EQUAL(run_set(leaf2.crt, inter.crt, set2, NULL),
			TV_REASON_UNTRUSTED);
}

/* Anchors are imported once per set, a bounded number of them. */
static void test_set_anchors(void)
{
	g_autoptr(tv_crl_set) set = tv_crl_set_new(NULL, 0);
	gnutls_datum_t der = {NULL, 0};
	gnutls_datum_t junk = {(unsigned char *)"\x30\x03\x02\x01\x01", 5};
	gnutls_x509_crt_t owned = NULL, first, again;
	unsigned kept = 0, extra = 0;

	CU_ASSERT_FATAL(gnutls_x509_crt_export2(root.crt, GNUTLS_X509_FMT_DER,
						&der) >= 0);
	first = crl_set_anchor(set, &der, &owned);
	CU_ASSERT_PTR_NOT_NULL(first);
	CU_ASSERT_PTR_NULL(owned);
	again = crl_set_anchor(set, &der, &owned);
	CU_ASSERT_PTR_EQUAL(again, first);
	CU_ASSERT_PTR_NULL(owned);
	CU_ASSERT_TRUE(gnutls_x509_crt_equals(first, root.crt));
	gnutls_free(der.data);
	CU_ASSERT_PTR_NULL(crl_set_anchor(set, &junk, &owned));
	CU_ASSERT_PTR_NULL(owned);
	/* Other certificates, until the set keeps no more. */
	for (unsigned k = 0; k < 20; k++) {
		ident other = {0};

		other.key = root.key;
		make_cert(&other, "another anchor", (unsigned char)(100 + k),
			  NULL, true, GNUTLS_KEY_KEY_CERT_SIGN);
		gnutls_x509_crt_export2(other.crt, GNUTLS_X509_FMT_DER, &der);
		CU_ASSERT_PTR_NOT_NULL(crl_set_anchor(set, &der, &owned));
		if (owned != NULL) {
			extra++;
			gnutls_x509_crt_deinit(owned);
		} else {
			kept++;
		}
		gnutls_free(der.data);
		gnutls_x509_crt_deinit(other.crt);
	}
	CU_ASSERT_EQUAL(kept, 15);
	CU_ASSERT_EQUAL(extra, 5);
}

typedef struct {
	const tv_crl_set *set;
	int wrong;
} worker_arg;

static gpointer worker(gpointer data)
{
	worker_arg *a = data;

	for (int k = 0; k < 50; k++) {
		if (run_set(leaf1.crt, inter.crt, a->set, NULL) != 0)
			a->wrong++;
		if (run_set(leaf2.crt, inter.crt, a->set, NULL) !=
		    TV_REASON_REVOKED)
			a->wrong++;
	}
	return NULL;
}

/* One set shared by concurrent checks (run under ThreadSanitizer or
 * helgrind to see the memo list's lock-free updates). */
static void test_set_concurrent(void)
{
	gnutls_x509_crl_t crls[] = {root_crl(NULL), inter_crl()};
	g_autoptr(tv_crl_set) set = tv_crl_set_new(crls, 2);
	worker_arg args[2] = {{set, 0}, {set, 0}};
	GThread *threads[2];

	gnutls_x509_crl_deinit(crls[0]);
	gnutls_x509_crl_deinit(crls[1]);
	for (int t = 0; t < 2; t++)
		threads[t] = g_thread_new("revocation", worker, &args[t]);
	for (int t = 0; t < 2; t++)
		g_thread_join(threads[t]);
	CU_ASSERT_EQUAL(args[0].wrong, 0);
	CU_ASSERT_EQUAL(args[1].wrong, 0);
}

static CU_TestInfo tests[] = {
	{"/revocation/good", test_good},
	{"/revocation/revoked-leaf", test_revoked_leaf},
	{"/revocation/revoked-intermediate", test_revoked_intermediate},
	{"/revocation/missing-require", test_missing_require},
	{"/revocation/missing-if-present", test_missing_if_present},
	{"/revocation/off", test_off},
	{"/revocation/stale", test_stale},
	{"/revocation/wrong-key", test_wrong_key},
	{"/revocation/signer-without-crlsign", test_no_crl_sign},
	{"/revocation/idp-only-ca-certs", test_idp_only_ca},
	{"/revocation/der-crl-usable", test_der_crl_usable},
	{"/revocation/delta-revokes", test_delta_revokes},
	{"/revocation/delta-remove-from-crl", test_delta_remove_from_crl},
	{"/revocation/unknown-critical", test_unknown_critical},
	{"/revocation/name-normalisation", test_name_normalisation},
	{"/revocation/separate-crl-key", test_separate_crl_key},
	{"/revocation/edges", test_edges},
	{"/revocation/set-reused", test_set_reused},
	{"/revocation/set-many-entries", test_many_entries},
	{"/revocation/set-concurrent", test_set_concurrent},
	{"/revocation/set-anchors", test_set_anchors},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_SuiteInfo suites[] = {
		{"revocation", suite_init, suite_clean, NULL, NULL, tests},
		CU_SUITE_INFO_NULL,
	};

	return tv_test_run(suites);
}
