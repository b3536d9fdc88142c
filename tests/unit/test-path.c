/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 path gaps of GnuTLS 3.7, each on certificates generated here
 * with the GnuTLS API at a fixed clock: name chaining, self-issued
 * certificates and pathLen, DN/URI name constraints, certificate policies,
 * SHA-1, alternative paths. */
#include "chain.h"
#include "der.h"
#include "dn.h"
#include "tv-test.h"

#include <gnutls/abstract.h>
#include <libtasn1.h>
#include <string.h>

#define NOW 1700000000 /* 2023-11-14, the verification time */
#define DAY 86400
#define P1 "1.3.6.1.4.1.55555.1.1"
#define P2 "1.3.6.1.4.1.55555.1.2"

typedef struct {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
} pki_cert;

static void pki_cert_clear(pki_cert *c)
{
	if (c->crt != NULL)
		gnutls_x509_crt_deinit(c->crt);
	if (c->key != NULL)
		gnutls_x509_privkey_deinit(c->key);
	memset(c, 0, sizeof(*c));
}

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t key;

	CU_ASSERT_FATAL(gnutls_x509_privkey_init(&key) >= 0);
	CU_ASSERT_FATAL(
		gnutls_x509_privkey_generate(
			key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
			0) >= 0);
	return key;
}

/* What a generated certificate carries beyond the basics. */
typedef struct {
	bool ca;
	int pathlen;		      /* -1: none */
	const char *policies[3];      /* certificatePolicies OIDs */
	const unsigned char *ext_der; /* one raw extension */
	unsigned ext_len;
	const char *ext_oid;
	const char *nc_dn;  /* permitted directoryName (text DN) */
	const char *nc_uri; /* permitted URI subtree */
	const char *san_uri;
	gnutls_digest_algorithm_t digest; /* 0: SHA-256 */
	int64_t not_after;		  /* 0: NOW + 30 days */
} cert_opts;

/* Appends tag, short-form length @len and, when @data is set, @len bytes
 * (a header alone when @data is NULL). */
static void tlv(GByteArray *out, unsigned char tag, const unsigned char *data,
		unsigned len)
{
	unsigned char head[2] = {tag, (unsigned char)len};

	CU_ASSERT_FATAL(len < 128);
	g_byte_array_append(out, head, 2);
	if (data != NULL)
		g_byte_array_append(out, data, len);
}

/* Signs a certificate for @subject with key @key (NULL: a new one) by
 * @issuer (NULL: self-signed), appearing as issued by @issuer_dn when
 * set (the DER of @issuer otherwise). */
static pki_cert make(const char *subject, gnutls_x509_privkey_t key,
		     const pki_cert *issuer, const char *issuer_dn,
		     const cert_opts *o)
{
	static unsigned serial = 1;
	cert_opts none = {.pathlen = -1};
	pki_cert out = {0};
	gnutls_x509_crt_t signer = NULL;
	unsigned char sn[4];

	if (o == NULL)
		o = &none;
	out.key = key != NULL ? key : new_key();
	CU_ASSERT_FATAL(gnutls_x509_crt_init(&out.crt) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_dn(out.crt, subject, NULL) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_key(out.crt, out.key) >= 0);
	gnutls_x509_crt_set_version(out.crt, 3);
	serial++;
	memcpy(sn, &serial, sizeof(sn));
	sn[0] &= 0x7f;
	gnutls_x509_crt_set_serial(out.crt, sn, sizeof(sn));
	gnutls_x509_crt_set_activation_time(out.crt, NOW - DAY);
	gnutls_x509_crt_set_expiration_time(
		out.crt, o->not_after ? o->not_after : NOW + 30 * DAY);
	if (o->ca) {
		gnutls_x509_crt_set_basic_constraints(out.crt, 1, o->pathlen);
		gnutls_x509_crt_set_key_usage(out.crt,
					      GNUTLS_KEY_KEY_CERT_SIGN |
						      GNUTLS_KEY_CRL_SIGN);
	}
	for (int i = 0; i < 3 && o->policies[i] != NULL; i++) {
		struct gnutls_x509_policy_st pol = {0};

		pol.oid = (char *)o->policies[i];
		CU_ASSERT_FATAL(gnutls_x509_crt_set_policy(out.crt, &pol, 0) >=
				0);
	}
	if (o->ext_oid != NULL)
		CU_ASSERT_FATAL(gnutls_x509_crt_set_extension_by_oid(
					out.crt, o->ext_oid, o->ext_der,
					o->ext_len, 1) >= 0);
	if (o->nc_dn != NULL || o->nc_uri != NULL) {
		/* NameConstraints { permittedSubtrees [0] { GeneralSubtree {
		 * base } } }, written here: GnuTLS 3.7 cannot export a
		 * directoryName constraint.  Short forms only (< 128). */
		GByteArray *trees = g_byte_array_new();
		GByteArray *ext = g_byte_array_new();

		if (o->nc_dn != NULL) {
			gnutls_x509_crt_t tmp;
			gnutls_datum_t dn;

			gnutls_x509_crt_init(&tmp);
			gnutls_x509_crt_set_dn(tmp, o->nc_dn, NULL);
			CU_ASSERT_FATAL(gnutls_x509_crt_get_raw_dn(tmp, &dn) >=
					0);
			CU_ASSERT_FATAL(dn.size < 120);
			tlv(trees, 0x30, NULL, dn.size + 2);
			tlv(trees, 0xa4, dn.data, dn.size);
			gnutls_free(dn.data);
			gnutls_x509_crt_deinit(tmp);
		}
		if (o->nc_uri != NULL) {
			unsigned len = (unsigned)strlen(o->nc_uri);

			tlv(trees, 0x30, NULL, len + 2);
			tlv(trees, 0x86, (const unsigned char *)o->nc_uri, len);
		}
		tlv(ext, 0x30, NULL, trees->len + 2);
		tlv(ext, 0xa0, trees->data, trees->len);
		CU_ASSERT_FATAL(gnutls_x509_crt_set_extension_by_oid(
					out.crt, "2.5.29.30", ext->data,
					ext->len, 1) >= 0);
		g_byte_array_unref(trees);
		g_byte_array_unref(ext);
	}
	if (o->san_uri != NULL)
		gnutls_x509_crt_set_subject_alt_name(
			out.crt, GNUTLS_SAN_URI, o->san_uri,
			(unsigned)strlen(o->san_uri), GNUTLS_FSAN_APPEND);
	if (issuer == NULL) {
		signer = out.crt;
	} else if (issuer_dn != NULL) {
		/* A stand-in issuer: @issuer's key under another name. */
		CU_ASSERT_FATAL(gnutls_x509_crt_init(&signer) >= 0);
		gnutls_x509_crt_set_dn(signer, issuer_dn, NULL);
		gnutls_x509_crt_set_key(signer, issuer->key);
	} else {
		signer = issuer->crt;
	}
	CU_ASSERT_FATAL(gnutls_x509_crt_sign2(
				out.crt, signer, issuer ? issuer->key : out.key,
				o->digest ? o->digest : GNUTLS_DIG_SHA256,
				0) >= 0);
	if (issuer != NULL && issuer_dn != NULL)
		gnutls_x509_crt_deinit(signer);
	return out;
}

/* The verdict of tv_trust_list_verify_with for @leaf with the pool
 * @pool (NULL-terminated) under the anchors @roots, at NOW. */
static tv_step_verdict verify(const pki_cert *leaf, const pki_cert *const *pool,
			      const pki_cert *const *roots,
			      const tv_path_options *opts, uint32_t *reasons)
{
	gnutls_x509_trust_list_t list;
	tv_request *req = tv_request_new("path.test", 443);
	tv_step_result res = {0};
	tv_chain chain;
	tv_step_verdict v;
	gnutls_datum_t der;
	uint32_t build_reasons = 0;
	char *msg = NULL;

	CU_ASSERT_FATAL(tv_trust_list_new(&list) >= 0);
	for (int i = 0; roots[i] != NULL; i++) {
		gnutls_x509_crt_t copy;

		gnutls_x509_crt_export2(roots[i]->crt, GNUTLS_X509_FMT_DER,
					&der);
		gnutls_x509_crt_init(&copy);
		gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER);
		gnutls_free(der.data);
		CU_ASSERT_FATAL(
			gnutls_x509_trust_list_add_cas(list, &copy, 1, 0) == 1);
	}
	gnutls_x509_crt_export2(leaf->crt, GNUTLS_X509_FMT_DER, &der);
	tv_request_add_der(req, der.data, der.size);
	gnutls_free(der.data);
	for (int i = 0; pool != NULL && pool[i] != NULL; i++) {
		gnutls_x509_crt_export2(pool[i]->crt, GNUTLS_X509_FMT_DER,
					&der);
		tv_request_add_untrusted_der(req, der.data, der.size);
		gnutls_free(der.data);
	}
	CU_ASSERT_FATAL(chain_build(&chain, req, NOW, &build_reasons, &msg));
	v = tv_trust_list_verify_with(list, req, &chain, opts, &res);
	if (v != TV_STEP_PASS && g_test_verbose())
		g_printerr("%s\n", res.message);
	*reasons = res.reasons;
	step_result_clear(&res);
	chain_clear(&chain);
	g_free(msg);
	tv_request_free(req);
	gnutls_x509_trust_list_deinit(list, 1);
	return v;
}

static cert_opts ca_opts(void)
{
	cert_opts o = {.ca = true, .pathlen = -1};
	return o;
}

/* ---- name chaining --------------------------------------------------- */

static void test_dn_equal(void)
{
	pki_cert a = make("CN=Good CA,O=Test,C=US", NULL, NULL, NULL, NULL);
	pki_cert b = make("CN=good   ca,O=TEST,C=US", NULL, NULL, NULL, NULL);
	pki_cert c = make("CN=Other CA,O=Test,C=US", NULL, NULL, NULL, NULL);
	gnutls_datum_t da, db, dc;

	gnutls_x509_crt_get_raw_dn(a.crt, &da);
	gnutls_x509_crt_get_raw_dn(b.crt, &db);
	gnutls_x509_crt_get_raw_dn(c.crt, &dc);
	CU_ASSERT_TRUE(da.size != db.size ||
		       memcmp(da.data, db.data, da.size) != 0);
	CU_ASSERT_TRUE(dn_equal(&da, &db));
	CU_ASSERT_FALSE(dn_equal(&da, &dc));
	gnutls_free(da.data);
	gnutls_free(db.data);
	gnutls_free(dc.data);
	pki_cert_clear(&a);
	pki_cert_clear(&b);
	pki_cert_clear(&c);
}

static void test_name_chaining_case_space(void)
{
	cert_opts ca = ca_opts();
	pki_cert root = make("CN=Root,O=Test,C=US", NULL, NULL, NULL, &ca);
	pki_cert inter = make("CN=Good CA,O=Test,C=US", NULL, &root, NULL, &ca);
	pki_cert leaf = make("CN=leaf,O=Test,C=US", NULL, &inter,
			     "CN=GOOD  ca,O=Test,C=US", NULL);
	pki_cert other = make("CN=leaf,O=Test,C=US", NULL, &inter,
			      "CN=Bad CA,O=Test,C=US", NULL);
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *roots[] = {&root, NULL};
	uint32_t reasons = 0;

	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
			TV_STEP_PASS);
	CU_ASSERT_EQUAL(verify(&other, pool, roots, NULL, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_UNTRUSTED);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
	pki_cert_clear(&other);
}

/* ---- self-issued certificates and pathLenConstraint ------------------ */

static void test_self_issued_pathlen(void)
{
	cert_opts ca = ca_opts(), ca0 = ca_opts();
	pki_cert root, ca1, rollover, leaf, ca2, leaf2;
	const pki_cert *roots[] = {&root, NULL};
	uint32_t reasons = 0;

	ca0.pathlen = 0;
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	ca1 = make("CN=CA1,C=US", NULL, &root, NULL, &ca0);
	/* Key rollover: CA1's new key, certified by its old one. */
	rollover = make("CN=CA1,C=US", NULL, &ca1, NULL, &ca);
	leaf = make("CN=leaf,C=US", NULL, &rollover, NULL, NULL);
	{
		const pki_cert *pool[] = {&rollover, &ca1, NULL};

		CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
				TV_STEP_PASS);
	}
	/* A non-self-issued CA below pathLen 0 still fails. */
	ca2 = make("CN=CA2,C=US", NULL, &ca1, NULL, &ca);
	leaf2 = make("CN=leaf2,C=US", NULL, &ca2, NULL, NULL);
	{
		const pki_cert *pool[] = {&ca2, &ca1, NULL};

		reasons = 0;
		CU_ASSERT_EQUAL(verify(&leaf2, pool, roots, NULL, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	}
	pki_cert_clear(&root);
	pki_cert_clear(&ca1);
	pki_cert_clear(&rollover);
	pki_cert_clear(&leaf);
	pki_cert_clear(&ca2);
	pki_cert_clear(&leaf2);
}

/* ---- name constraints ------------------------------------------------ */

static void test_dn_name_constraints(void)
{
	cert_opts ca = ca_opts(), nc = ca_opts();
	pki_cert root, inter, good, bad;
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *roots[] = {&root, NULL};
	uint32_t reasons = 0;

	nc.nc_dn = "O=Good,C=US";
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	inter = make("CN=NC CA,O=Good,C=US", NULL, &root, NULL, &nc);
	good = make("CN=inside,OU=x,O=Good,C=US", NULL, &inter, NULL, NULL);
	bad = make("CN=outside,O=Evil,C=US", NULL, &inter, NULL, NULL);
	CU_ASSERT_EQUAL(verify(&good, pool, roots, NULL, &reasons),
			TV_STEP_PASS);
	CU_ASSERT_EQUAL(verify(&bad, pool, roots, NULL, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&good);
	pki_cert_clear(&bad);
}

static void test_uri_name_constraints(void)
{
	cert_opts ca = ca_opts(), nc = ca_opts();
	cert_opts in = {.pathlen = -1, .san_uri = "https://svc.example.com/a"};
	cert_opts out = {.pathlen = -1, .san_uri = "https://svc.evil.test/a"};
	pki_cert root, inter, good, bad;
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *roots[] = {&root, NULL};
	uint32_t reasons = 0;

	nc.nc_uri = ".example.com";
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	inter = make("CN=URI CA,C=US", NULL, &root, NULL, &nc);
	good = make("CN=in,C=US", NULL, &inter, NULL, &in);
	bad = make("CN=out,C=US", NULL, &inter, NULL, &out);
	CU_ASSERT_EQUAL(verify(&good, pool, roots, NULL, &reasons),
			TV_STEP_PASS);
	CU_ASSERT_EQUAL(verify(&bad, pool, roots, NULL, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&good);
	pki_cert_clear(&bad);
}

/* ---- certificate policies -------------------------------------------- */

static void test_policy_inputs(void)
{
	cert_opts ca = ca_opts(), cap = ca_opts();
	cert_opts lp = {.pathlen = -1, .policies = {P1}};
	pki_cert root, inter, leaf, bare;
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *roots[] = {&root, NULL};
	const char *const p1[] = {P1, NULL};
	const char *const p2[] = {P2, NULL};
	tv_path_options opts = {.size = sizeof(opts)};
	uint32_t reasons = 0;

	cap.policies[0] = P1;
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	inter = make("CN=Policy CA,C=US", NULL, &root, NULL, &cap);
	leaf = make("CN=leaf,C=US", NULL, &inter, NULL, &lp);
	bare = make("CN=bare,C=US", NULL, &inter, NULL, NULL);

	opts.require_explicit_policy = true;
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_PASS);
	CU_ASSERT_EQUAL(verify(&bare, pool, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	/* Without explicit policy a path without policies is fine... */
	opts.require_explicit_policy = false;
	CU_ASSERT_EQUAL(verify(&bare, pool, roots, &opts, &reasons),
			TV_STEP_PASS);
	/* ...unless the relying party named the policies it accepts. */
	opts.initial_policy_set = p1;
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_PASS);
	opts.initial_policy_set = p2;
	reasons = 0;
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
	pki_cert_clear(&bare);
}

static void test_policy_constraints_critical(void)
{
	/* policyConstraints { requireExplicitPolicy 0 }, critical: GnuTLS
	 * calls it unknown; RFC 5280 processing accepts it and then requires
	 * a policy of every later certificate. */
	static const unsigned char require0[] = {0x30, 0x03, 0x80, 0x01, 0x00};
	/* policyMappings { anyPolicy -> P1 }: never allowed. */
	static const unsigned char map_any[] = {
		0x30, 0x15, 0x30, 0x13, 0x06, 0x04, 0x55, 0x1d,
		0x20, 0x00, 0x06, 0x0b, 0x2b, 0x06, 0x01, 0x04,
		0x01, 0x83, 0xb2, 0x23, 0x01, 0x01, 0x00};
	cert_opts ca = ca_opts(), pc = ca_opts(), pm = ca_opts();
	cert_opts lp = {.pathlen = -1, .policies = {P1}};
	pki_cert root, inter, leaf, bare, mapper, leaf2;
	const pki_cert *roots[] = {&root, NULL};
	uint32_t reasons = 0;

	pc.policies[0] = P1;
	pc.ext_oid = "2.5.29.36";
	pc.ext_der = require0;
	pc.ext_len = sizeof(require0);
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	inter = make("CN=Explicit CA,C=US", NULL, &root, NULL, &pc);
	leaf = make("CN=leaf,C=US", NULL, &inter, NULL, &lp);
	bare = make("CN=bare,C=US", NULL, &inter, NULL, NULL);
	{
		const pki_cert *pool[] = {&inter, NULL};

		CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
				TV_STEP_PASS);
		reasons = 0;
		CU_ASSERT_EQUAL(verify(&bare, pool, roots, NULL, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	}
	pm.policies[0] = "2.5.29.32.0";
	pm.ext_oid = "2.5.29.33";
	pm.ext_der = map_any;
	pm.ext_len = sizeof(map_any);
	mapper = make("CN=Mapping CA,C=US", NULL, &root, NULL, &pm);
	leaf2 = make("CN=leaf2,C=US", NULL, &mapper, NULL, &lp);
	{
		const pki_cert *pool[] = {&mapper, NULL};

		reasons = 0;
		CU_ASSERT_EQUAL(verify(&leaf2, pool, roots, NULL, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	}
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
	pki_cert_clear(&bare);
	pki_cert_clear(&mapper);
	pki_cert_clear(&leaf2);
}

static void test_inhibit_any_policy(void)
{
	/* inhibitAnyPolicy 0 (critical): a later anyPolicy counts for
	 * nothing, so an explicit policy cannot be met. */
	static const unsigned char skip0[] = {0x02, 0x01, 0x00};
	cert_opts ca = ca_opts(), ia = ca_opts();
	cert_opts la = {.pathlen = -1, .policies = {"2.5.29.32.0"}};
	pki_cert root, inter, leaf;
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *roots[] = {&root, NULL};
	tv_path_options opts = {.size = sizeof(opts)};
	uint32_t reasons = 0;

	ia.policies[0] = "2.5.29.32.0";
	ia.ext_oid = "2.5.29.54";
	ia.ext_der = skip0;
	ia.ext_len = sizeof(skip0);
	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	inter = make("CN=Inhibit CA,C=US", NULL, &root, NULL, &ia);
	leaf = make("CN=leaf,C=US", NULL, &inter, NULL, &la);
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_PASS);
	opts.require_explicit_policy = true;
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_CONSTRAINT_VIOLATION);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
}

/* ---- SHA-1 ------------------------------------------------------------ */

static void test_sha1_opt_in(void)
{
	cert_opts ca = ca_opts();
	cert_opts sha1 = {.pathlen = -1, .digest = GNUTLS_DIG_SHA1};
	pki_cert root, leaf;
	const pki_cert *roots[] = {&root, NULL};
	tv_path_options opts = {.size = sizeof(opts)};
	uint32_t reasons = 0;

	root = make("CN=Root,C=US", NULL, NULL, NULL, &ca);
	leaf = make("CN=leaf,C=US", NULL, &root, NULL, &sha1);
	CU_ASSERT_EQUAL(verify(&leaf, NULL, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_INSECURE_ALGORITHM);
	opts.allow_sha1 = true;
	CU_ASSERT_EQUAL(verify(&leaf, NULL, roots, &opts, &reasons),
			TV_STEP_PASS);
	pki_cert_clear(&root);
	pki_cert_clear(&leaf);
}

/* ---- alternative paths ----------------------------------------------- */

static void test_alternative_path(void)
{
	/* Let's Encrypt, 2021: the intermediate cross-signed by an expired
	 * root comes first in the pool; the same key certified by the
	 * current root must still be found. */
	cert_opts ca = ca_opts(), old = ca_opts();
	pki_cert old_root, new_root, cross, direct, leaf;
	gnutls_x509_privkey_t inter_key = new_key();
	gnutls_x509_privkey_t copy;
	const pki_cert *pool[] = {&cross, &direct, NULL};
	const pki_cert *roots[] = {&old_root, &new_root, NULL};
	uint32_t reasons = 0;

	old.not_after = NOW - DAY / 2;
	old_root = make("CN=Old Root,C=US", NULL, NULL, NULL, &old);
	new_root = make("CN=New Root,C=US", NULL, NULL, NULL, &ca);
	cross = make("CN=Issuing CA,C=US", inter_key, &old_root, NULL, &ca);
	gnutls_x509_privkey_init(&copy);
	gnutls_x509_privkey_cpy(copy, inter_key);
	direct = make("CN=Issuing CA,C=US", copy, &new_root, NULL, &ca);
	leaf = make("CN=leaf,C=US", NULL, &direct, NULL, NULL);
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
			TV_STEP_PASS);
	/* Without the current root, the expired one is all there is. */
	{
		const pki_cert *only_old[] = {&old_root, NULL};

		reasons = 0;
		CU_ASSERT_EQUAL(verify(&leaf, pool, only_old, NULL, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_TRUE(reasons & TV_REASON_EXPIRED);
	}
	pki_cert_clear(&old_root);
	pki_cert_clear(&new_root);
	pki_cert_clear(&cross);
	pki_cert_clear(&direct);
	pki_cert_clear(&leaf);
}

/* ---- DSA parameter inheritance ---------------------------------------- */

/* Appends tag @tag with @len bytes of @data (any length). */
static void der_append(GByteArray *out, unsigned char tag,
		       const unsigned char *data, size_t len)
{
	unsigned char head[16];
	int head_len = (int)sizeof(head) - 1;

	head[0] = tag;
	asn1_length_der((unsigned long)len, head + 1, &head_len);
	g_byte_array_append(out, head, (guint)head_len + 1);
	g_byte_array_append(out, data, (guint)len);
}

/*
 * @cert (a DSA key, signed by @signer_key) again with the parameters left
 * out of its SubjectPublicKeyInfo and re-signed by @signer_key: GnuTLS
 * always writes the parameters, so the TBS is re-assembled here.
 */
static void strip_dsa_params(pki_cert *cert, gnutls_x509_privkey_t signer_key)
{
	gnutls_datum_t der, tbs, spki, sig = {NULL, 0};
	gnutls_datum_t new_der;
	const unsigned char *p, *end;
	der_tlv outer, t, spki_seq, alg, oid, bits, sig_alg;
	GByteArray *alg_der = g_byte_array_new();
	GByteArray *spki_content = g_byte_array_new();
	GByteArray *tbs_content = g_byte_array_new();
	GByteArray *new_tbs = g_byte_array_new();
	GByteArray *cert_content = g_byte_array_new();
	GByteArray *out = g_byte_array_new();
	gnutls_privkey_t key;
	gnutls_datum_t to_sign;
	gnutls_datum_t y;

	CU_ASSERT_FATAL(gnutls_x509_crt_export2(cert->crt, GNUTLS_X509_FMT_DER,
						&der) >= 0);
	CU_ASSERT_FATAL(der_certificate_tbs(&der, &tbs));
	CU_ASSERT_FATAL(der_certificate_spki(&der, &spki));
	CU_ASSERT_FALSE(der_spki_dsa_without_params(&spki, &y));
	/* SPKI { AlgorithmIdentifier { id-dsa, Dss-Parms }, BIT STRING } */
	p = spki.data;
	CU_ASSERT_FATAL(der_read(&p, spki.data + spki.size, &spki_seq));
	p = spki_seq.content;
	end = spki_seq.content + spki_seq.len;
	CU_ASSERT_FATAL(der_read(&p, end, &alg) && der_read(&p, end, &bits));
	p = alg.content;
	CU_ASSERT_FATAL(der_read(&p, alg.content + alg.len, &oid));
	der_append(alg_der, 0x30, oid.whole, oid.whole_len);
	g_byte_array_append(spki_content, alg_der->data, alg_der->len);
	g_byte_array_append(spki_content, bits.whole, (guint)bits.whole_len);
	/* TBS: what comes before the SPKI, the new SPKI, what follows. */
	{
		der_tlv tbs_tlv;
		const unsigned char *q = tbs.data;

		CU_ASSERT_FATAL(der_read(&q, tbs.data + tbs.size, &tbs_tlv));
		g_byte_array_append(tbs_content, tbs_tlv.content,
				    (guint)(spki.data - tbs_tlv.content));
		der_append(tbs_content, 0x30, spki_content->data,
			   spki_content->len);
		g_byte_array_append(tbs_content, spki.data + spki.size,
				    (guint)(tbs_tlv.content + tbs_tlv.len -
					    (spki.data + spki.size)));
	}
	der_append(new_tbs, 0x30, tbs_content->data, tbs_content->len);
	/* The signature algorithm follows the TBS in the certificate. */
	p = der.data;
	CU_ASSERT_FATAL(der_read(&p, der.data + der.size, &outer));
	p = outer.content;
	end = outer.content + outer.len;
	CU_ASSERT_FATAL(der_read(&p, end, &t) && der_read(&p, end, &sig_alg));

	CU_ASSERT_FATAL(gnutls_privkey_init(&key) >= 0);
	CU_ASSERT_FATAL(gnutls_privkey_import_x509(key, signer_key, 0) >= 0);
	to_sign.data = new_tbs->data;
	to_sign.size = new_tbs->len;
	CU_ASSERT_FATAL(gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0,
						 &to_sign, &sig) >= 0);
	gnutls_privkey_deinit(key);

	g_byte_array_append(cert_content, new_tbs->data, new_tbs->len);
	g_byte_array_append(cert_content, sig_alg.whole,
			    (guint)sig_alg.whole_len);
	{
		GByteArray *bit = g_byte_array_new();
		unsigned char zero = 0;

		g_byte_array_append(bit, &zero, 1);
		g_byte_array_append(bit, sig.data, sig.size);
		der_append(cert_content, 0x03, bit->data, bit->len);
		g_byte_array_unref(bit);
	}
	der_append(out, 0x30, cert_content->data, cert_content->len);

	gnutls_x509_crt_deinit(cert->crt);
	CU_ASSERT_FATAL(gnutls_x509_crt_init(&cert->crt) >= 0);
	new_der.data = out->data;
	new_der.size = out->len;
	CU_ASSERT_FATAL(gnutls_x509_crt_import(cert->crt, &new_der,
					       GNUTLS_X509_FMT_DER) >= 0);
	CU_ASSERT_FATAL(der_certificate_spki(&new_der, &spki));
	CU_ASSERT_FATAL(der_spki_dsa_without_params(&spki, &y));
	gnutls_free(der.data);
	gnutls_free(sig.data);
	g_byte_array_unref(alg_der);
	g_byte_array_unref(spki_content);
	g_byte_array_unref(tbs_content);
	g_byte_array_unref(new_tbs);
	g_byte_array_unref(cert_content);
	g_byte_array_unref(out);
}

/* A CRL of @issuer at NOW, revoking @revoked when set. */
static gnutls_x509_crl_t make_crl(const pki_cert *issuer,
				  const pki_cert *revoked)
{
	gnutls_x509_crl_t crl;
	unsigned char number = 1;

	CU_ASSERT_FATAL(gnutls_x509_crl_init(&crl) >= 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, NOW - DAY);
	gnutls_x509_crl_set_next_update(crl, NOW + DAY);
	gnutls_x509_crl_set_number(crl, &number, 1);
	if (revoked != NULL)
		CU_ASSERT_FATAL(gnutls_x509_crl_set_crt(crl, revoked->crt,
							NOW - DAY) >= 0);
	CU_ASSERT_FATAL(gnutls_x509_crl_sign2(crl, issuer->crt, issuer->key,
					      GNUTLS_DIG_SHA256, 0) >= 0);
	return crl;
}

static void test_dsa_parameter_inheritance(void)
{
	/* RFC 5280 6.1.4 (f): a DSA key without parameters uses its
	 * issuer's.  One DSA key serves the root and the CA below it, so
	 * the CA's key only works with the root's parameters. */
	cert_opts ca = ca_opts();
	gnutls_x509_privkey_t dsa, copy, copy2;
	pki_cert root, inter, leaf, other, ec_root, orphan, leaf2;
	gnutls_x509_crl_t crls[2];
	tv_path_options opts = {.size = sizeof(opts)};
	uint32_t reasons = 0;

	CU_ASSERT_FATAL(gnutls_x509_privkey_init(&dsa) >= 0);
	CU_ASSERT_FATAL(
		gnutls_x509_privkey_generate(dsa, GNUTLS_PK_DSA, 2048, 0) >= 0);
	gnutls_x509_privkey_init(&copy);
	gnutls_x509_privkey_cpy(copy, dsa);
	gnutls_x509_privkey_init(&copy2);
	gnutls_x509_privkey_cpy(copy2, dsa);
	root = make("CN=DSA Root,C=US", dsa, NULL, NULL, &ca);
	inter = make("CN=Inherited CA,C=US", copy, &root, NULL, &ca);
	strip_dsa_params(&inter, root.key);
	leaf = make("CN=leaf,C=US", NULL, &inter, NULL, NULL);
	other = make("CN=other,C=US", NULL, &inter, NULL, NULL);
	{
		const pki_cert *pool[] = {&inter, NULL};
		const pki_cert *roots[] = {&root, NULL};

		CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
				TV_STEP_PASS);
		/* The CRL signed with the inherited key counts too. */
		crls[0] = make_crl(&root, NULL);
		crls[1] = make_crl(&inter, &other);
		opts.crls = crls;
		opts.n_crls = 2;
		opts.revocation = TV_REVOCATION_REQUIRE;
		CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
				TV_STEP_PASS);
		reasons = 0;
		CU_ASSERT_EQUAL(verify(&other, pool, roots, &opts, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_TRUE(reasons & TV_REASON_REVOKED);
		gnutls_x509_crl_deinit(crls[0]);
		gnutls_x509_crl_deinit(crls[1]);
	}
	/* Under a non-DSA issuer there is nothing to inherit. */
	ec_root = make("CN=EC Root,C=US", NULL, NULL, NULL, &ca);
	orphan = make("CN=Inherited CA,C=US", copy2, &ec_root, NULL, &ca);
	strip_dsa_params(&orphan, ec_root.key);
	leaf2 = make("CN=leaf2,C=US", NULL, &orphan, NULL, NULL);
	{
		const pki_cert *pool[] = {&orphan, NULL};
		const pki_cert *roots[] = {&ec_root, NULL};

		reasons = 0;
		CU_ASSERT_EQUAL(verify(&leaf2, pool, roots, NULL, &reasons),
				TV_STEP_FAIL);
		CU_ASSERT_NOT_EQUAL(reasons, 0);
	}
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
	pki_cert_clear(&other);
	pki_cert_clear(&ec_root);
	pki_cert_clear(&orphan);
	pki_cert_clear(&leaf2);
}

/* ---- anchors named with other case or spacing ------------------------- */

static void test_anchor_name_case_space(void)
{
	/* The intermediate names its issuer "GOOD  root": the anchor is
	 * "Good Root".  GnuTLS's hashed lookup misses; the step's trust
	 * index finds it by its loose name. */
	cert_opts ca = ca_opts();
	pki_cert root = make("CN=Good Root,O=Test,C=US", NULL, NULL, NULL, &ca);
	pki_cert inter = make("CN=Inter,O=Test,C=US", NULL, &root,
			      "CN=GOOD  root,O=Test,C=US", &ca);
	pki_cert leaf = make("CN=leaf,O=Test,C=US", NULL, &inter, NULL, NULL);
	pki_cert stranger = make("CN=Inter,O=Test,C=US", NULL, &root,
				 "CN=Other Root,O=Test,C=US", &ca);
	pki_cert leaf2 =
		make("CN=leaf2,O=Test,C=US", NULL, &stranger, NULL, NULL);
	pki_cert squeezed = make("CN=Inter,O=Test,C=US", NULL, &root,
				 "CN=GoodRoot,O=Test,C=US", &ca);
	pki_cert leaf3 =
		make("CN=leaf3,O=Test,C=US", NULL, &squeezed, NULL, NULL);
	const pki_cert *pool[] = {&inter, NULL};
	const pki_cert *pool2[] = {&stranger, NULL};
	const pki_cert *pool3[] = {&squeezed, NULL};
	tv_trust_index *index;
	const pki_cert *roots[] = {&root, NULL};
	tv_path_options opts = {.size = sizeof(opts)};
	uint32_t reasons = 0;

	/* Without the index: exact names only. */
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, NULL, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_UNTRUSTED);
	/* The step's index of its anchors (as pem builds it in open()). */
	opts.index = index = tv_trust_index_new(NULL);
	tv_trust_index_add(index, root.crt);
	CU_ASSERT_EQUAL(verify(&leaf, pool, roots, &opts, &reasons),
			TV_STEP_PASS);
	/* A name that is not equal under any folding finds nothing. */
	reasons = 0;
	CU_ASSERT_EQUAL(verify(&leaf2, pool2, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_UNTRUSTED);
	/* Loosely equal (no space at all) is not RFC 5280 equal: the
	 * index proposes the anchor, the name comparison refuses it. */
	reasons = 0;
	CU_ASSERT_EQUAL(verify(&leaf3, pool3, roots, &opts, &reasons),
			TV_STEP_FAIL);
	CU_ASSERT_TRUE(reasons & TV_REASON_UNTRUSTED);
	tv_trust_index_free(index);
	pki_cert_clear(&root);
	pki_cert_clear(&inter);
	pki_cert_clear(&leaf);
	pki_cert_clear(&stranger);
	pki_cert_clear(&leaf2);
	pki_cert_clear(&squeezed);
	pki_cert_clear(&leaf3);
}

static CU_TestInfo tests[] = {
	{"/path/dn-equal-case-space", test_dn_equal},
	{"/path/name-chaining-case-space", test_name_chaining_case_space},
	{"/path/self-issued-not-counted-in-pathlen", test_self_issued_pathlen},
	{"/path/dn-name-constraints", test_dn_name_constraints},
	{"/path/uri-name-constraints", test_uri_name_constraints},
	{"/path/policy-inputs", test_policy_inputs},
	{"/path/policy-constraints-critical", test_policy_constraints_critical},
	{"/path/inhibit-any-policy", test_inhibit_any_policy},
	{"/path/sha1-opt-in", test_sha1_opt_in},
	{"/path/alternative-path", test_alternative_path},
	{"/path/dsa-parameter-inheritance", test_dsa_parameter_inheritance},
	{"/path/anchor-name-case-space", test_anchor_name_case_space},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"path", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
