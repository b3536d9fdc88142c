/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 path validation where GnuTLS 3.7 falls short: the checks it
 * lacks on paths it accepted, and, when it rejects for a reason it gets
 * wrong, candidate paths validated by tlsverify's own 6.1 loop. */
#include "config.h"

#include "path.h"

#include "anchor-index.h"
#include "cert-policy.h"
#include "crt-key.h"
#include "der.h"
#include "dn.h"
#include "name-constraints.h"
#include "request.h"

#include <gnutls/abstract.h>
#include <stddef.h>
#include <string.h>

#define ARC_NAME_CONSTRAINTS 0x1e
#define OID_ANY_EKU "2.5.29.37.0"

/* Bounds the candidate search (nodes visited). */
#define PATH_MAX_VISITS 64

unsigned path_gnutls_flags(const tv_path_options *options)
{
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
			 GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN;

	if (options != NULL && options->allow_sha1)
		flags |= GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
	return flags;
}

static bool set_failure(uint32_t *reasons, char **message, uint32_t reason,
			char *text)
{
	*reasons |= reason;
	g_free(*message);
	*message = text;
	return false;
}

/* ---- the checks GnuTLS lacks, on any validated path ----------------- */

/* @crts (leaf first, @n, the anchor last when @with_anchor) against the
 * name constraints and policies. */
static bool check_names_and_policies(gnutls_x509_crt_t *crts,
				     const gnutls_datum_t *ders, size_t n,
				     bool with_anchor, bool force,
				     const tv_path_options *options,
				     uint32_t *reasons, char **message)
{
	size_t n_path = with_anchor ? n - 1 : n;
	bool nc = force;

	for (size_t i = 0; i < n && !nc; i++)
		nc = ders[i].data == NULL ||
		     der_may_have_extension(&ders[i], ARC_NAME_CONSTRAINTS);
	if (nc && !nc_check_path(crts, n, reasons, message))
		return false;
	if ((force || policy_may_reject(ders, n_path, options)) &&
	    !policy_check_path(crts, n_path, options, reasons, message))
		return false;
	return true;
}

bool path_check_extras(const tv_chain *c, const gnutls_datum_t *anchor_der,
		       const tv_path_options *options, uint32_t *reasons,
		       char **message)
{
	gnutls_x509_crt_t anchor = NULL;
	gnutls_x509_crt_t *crts;
	gnutls_datum_t *ders;
	size_t n = c->len;
	bool ok;

	/* The anchor's constraints count only when it has some: the
	 * common path never imports it again. */
	if (anchor_der != NULL &&
	    der_may_have_extension(anchor_der, ARC_NAME_CONSTRAINTS)) {
		if (gnutls_x509_crt_init(&anchor) < 0 ||
		    gnutls_x509_crt_import(anchor, anchor_der,
					   GNUTLS_X509_FMT_DER) < 0) {
			if (anchor != NULL)
				gnutls_x509_crt_deinit(anchor);
			return set_failure(reasons, message,
					   TV_REASON_MALFORMED,
					   g_strdup("trust anchor does not "
						    "parse"));
		}
	}
	if (anchor == NULL)
		return check_names_and_policies(c->crts, c->ders, n, false,
						false, options, reasons,
						message);
	crts = g_new(gnutls_x509_crt_t, n + 1);
	ders = g_new(gnutls_datum_t, n + 1);
	memcpy(crts, c->crts, n * sizeof(*crts));
	memcpy(ders, c->ders, n * sizeof(*ders));
	crts[n] = anchor;
	ders[n] = *anchor_der;
	ok = check_names_and_policies(crts, ders, n + 1, true, false, options,
				      reasons, message);
	g_free(crts);
	g_free(ders);
	gnutls_x509_crt_deinit(anchor);
	return ok;
}

/* ---- tlsverify's own RFC 5280 6.1 loop ------------------------------ */

/* Extensions this loop processes or knows to be harmless when critical. */
static bool is_known_extension(const char *oid)
{
	static const char *const known[] = {
		"2.5.29.14",	     /* subjectKeyIdentifier */
		"2.5.29.15",	     /* keyUsage */
		"2.5.29.17",	     /* subjectAltName */
		"2.5.29.19",	     /* basicConstraints */
		"2.5.29.30",	     /* nameConstraints */
		"2.5.29.31",	     /* cRLDistributionPoints */
		"2.5.29.32",	     /* certificatePolicies */
		"2.5.29.33",	     /* policyMappings */
		"2.5.29.35",	     /* authorityKeyIdentifier */
		"2.5.29.36",	     /* policyConstraints */
		"2.5.29.37",	     /* extKeyUsage */
		"2.5.29.54",	     /* inhibitAnyPolicy */
		"1.3.6.1.5.5.7.1.1", /* authorityInfoAccess */
		NULL,
	};

	return g_strv_contains(known, oid);
}

static const char *unknown_critical(gnutls_x509_crt_t crt)
{
	static _Thread_local char oid[128];

	for (unsigned i = 0;; i++) {
		size_t size = sizeof(oid);
		unsigned crit = 0;
		int ret = gnutls_x509_crt_get_extension_info(crt, i, oid, &size,
							     &crit);

		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return NULL;
		if (ret < 0)
			return "(unreadable)";
		if (crit && !is_known_extension(oid))
			return oid;
	}
}

/* Whether @crt allows @purpose: no EKU, or one listing it or any. */
static bool purpose_allowed(gnutls_x509_crt_t crt, const char *purpose)
{
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int ret = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid,
							      &size, NULL);

		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return i == 0;
		if (ret < 0)
			return false;
		if (strcmp(oid, purpose) == 0 || strcmp(oid, OID_ANY_EKU) == 0)
			return true;
	}
}

/* Checks that the key of @path[@at] (its issuer; parameters inherited as
 * crt_key_import says) signed @der (certificate @crt). */
static bool signature_ok(gnutls_x509_crt_t crt, const gnutls_datum_t *der,
			 gnutls_x509_crt_t *path, size_t n, size_t at,
			 unsigned vflags, uint32_t *reason)
{
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t tbs, sig = {NULL, 0};
	size_t size = 0;
	int algo = gnutls_x509_crt_get_signature_algorithm(crt);
	int ret;

	*reason = TV_REASON_MALFORMED;
	if (algo < 0 || !der_certificate_tbs(der, &tbs))
		return false;
	if (gnutls_x509_crt_get_signature(crt, NULL, &size) !=
		    GNUTLS_E_SHORT_MEMORY_BUFFER ||
	    size == 0 || size > 65536)
		return false;
	sig.data = g_malloc(size);
	ret = gnutls_x509_crt_get_signature(crt, (char *)sig.data, &size);
	sig.size = (unsigned)size;
	if (ret >= 0)
		ret = crt_key_import(path, n, at, &key);
	if (ret >= 0) {
		ret = gnutls_pubkey_verify_data2(
			key, (gnutls_sign_algorithm_t)algo, vflags, &tbs, &sig);
		*reason = ret == GNUTLS_E_INSUFFICIENT_SECURITY
				  ? TV_REASON_INSECURE_ALGORITHM
				  : TV_REASON_BAD_SIGNATURE;
	}
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	g_free(sig.data);
	return ret >= 0;
}

static bool time_ok(gnutls_x509_crt_t crt, int64_t when, uint32_t *reason)
{
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t until = gnutls_x509_crt_get_expiration_time(crt);

	if (from == (time_t)-1 || until == (time_t)-1)
		*reason = TV_REASON_MALFORMED;
	else if (when < (int64_t)from)
		*reason = TV_REASON_NOT_YET_VALID;
	else if (when > (int64_t)until)
		*reason = TV_REASON_EXPIRED;
	else
		return true;
	return false;
}

static bool self_issued(gnutls_x509_crt_t crt)
{
	gnutls_datum_t s = {NULL, 0}, i = {NULL, 0};
	bool same = false;

	if (gnutls_x509_crt_get_raw_dn(crt, &s) >= 0 &&
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &i) >= 0)
		same = dn_equal(&s, &i);
	gnutls_free(s.data);
	gnutls_free(i.data);
	return same;
}

static bool names_chain(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	gnutls_datum_t s = {NULL, 0}, i = {NULL, 0};
	bool same = false;

	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &i) >= 0 &&
	    gnutls_x509_crt_get_raw_dn(issuer, &s) >= 0)
		same = dn_equal(&i, &s);
	gnutls_free(s.data);
	gnutls_free(i.data);
	return same;
}

/*
 * RFC 5280 6.1 over @crts (leaf first, @n certificates, @ders their DER)
 * up to the trust anchor @anchor, at @when for @purpose.  Every check
 * GnuTLS makes on a path is made here too, with GnuTLS primitives.
 */
static bool own_validate(gnutls_x509_crt_t *crts, const gnutls_datum_t *ders,
			 size_t n, gnutls_x509_crt_t anchor,
			 const gnutls_datum_t *anchor_der, int64_t when,
			 const char *purpose, const tv_path_options *options,
			 uint32_t *reasons, char **message)
{
	unsigned vflags = options != NULL && options->allow_sha1
				  ? GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1
				  : 0;
	size_t max_path = n;
	unsigned ca = 0, crit = 0;
	int pathlen = -1;
	int ret;
	g_autofree gnutls_x509_crt_t *all = g_new(gnutls_x509_crt_t, n + 1);
	g_autofree gnutls_datum_t *all_ders = g_new(gnutls_datum_t, n + 1);

	memcpy(all, crts, n * sizeof(*all));
	memcpy(all_ders, ders, n * sizeof(*all_ders));
	all[n] = anchor;
	all_ders[n] = *anchor_der;

	/* A pathLenConstraint on the anchor holds as GnuTLS applies it. */
	ret = gnutls_x509_crt_get_basic_constraints(anchor, &crit, &ca,
						    &pathlen);
	if (ret >= 0 && ca && pathlen >= 0 && (size_t)pathlen < max_path)
		max_path = (size_t)pathlen;

	for (size_t k = n; k-- > 0;) {
		gnutls_x509_crt_t crt = crts[k];
		gnutls_x509_crt_t issuer = k + 1 < n ? crts[k + 1] : anchor;
		g_autofree char *who = crt_describe(crt);
		const char *bad_ext;
		uint32_t reason = 0;

		if (!names_chain(crt, issuer))
			return set_failure(
				reasons, message, TV_REASON_UNTRUSTED,
				g_strdup_printf("issuer name of '%s' does not "
						"match its issuer",
						who));
		if (!signature_ok(crt, &ders[k], all, n + 1, k + 1, vflags,
				  &reason))
			return set_failure(
				reasons, message, reason,
				g_strdup_printf(
					"signature of '%s' %s", who,
					reason == TV_REASON_INSECURE_ALGORITHM
						? "uses an insecure "
						  "algorithm"
						: "does not verify"));
		if (!time_ok(crt, when, &reason))
			return set_failure(
				reasons, message, reason,
				g_strdup_printf("'%s' is not valid at the "
						"verification time",
						who));
		bad_ext = unknown_critical(crt);
		if (bad_ext != NULL)
			return set_failure(
				reasons, message, TV_REASON_MALFORMED,
				g_strdup_printf("'%s' has an unknown critical "
						"extension %s",
						who, bad_ext));
		if (purpose != NULL && !purpose_allowed(crt, purpose))
			return set_failure(
				reasons, message, TV_REASON_PURPOSE_MISMATCH,
				g_strdup_printf("'%s' is not valid for %s", who,
						purpose));
		if (k == 0)
			break;
		/* 6.1.4 (k), (l), (m), (n): an intermediate CA. */
		pathlen = -1;
		ret = gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca,
							    &pathlen);
		if (ret < 0 || !ca)
			return set_failure(
				reasons, message, TV_REASON_SIGNER_NOT_CA,
				g_strdup_printf("'%s' is not a CA", who));
		if (!self_issued(crt)) {
			if (max_path == 0)
				return set_failure(
					reasons, message,
					TV_REASON_CONSTRAINT_VIOLATION,
					g_strdup_printf("path below '%s' is "
							"longer than a "
							"pathLenConstraint "
							"allows",
							who));
			max_path--;
		}
		if (pathlen >= 0 && (size_t)pathlen < max_path)
			max_path = (size_t)pathlen;
		{
			unsigned usage = 0;

			ret = gnutls_x509_crt_get_key_usage(crt, &usage, NULL);
			if (ret >= 0 && !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
				return set_failure(
					reasons, message,
					TV_REASON_SIGNER_NOT_CA,
					g_strdup_printf("'%s' may not sign "
							"certificates",
							who));
			if (ret < 0 &&
			    ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				return set_failure(
					reasons, message, TV_REASON_MALFORMED,
					g_strdup_printf("key usage of '%s' "
							"does not parse",
							who));
		}
	}
	return check_names_and_policies(all, all_ders, n + 1, true, true,
					options, reasons, message);
}

/* ---- candidate paths ------------------------------------------------ */

typedef struct {
	gnutls_x509_trust_list_t list;
	const tv_request *request;
	tv_chain *c;
	const tv_path_options *options;
	const char *purpose;
	unsigned primary_status;
	gnutls_datum_t *subject, *issuer; /* raw DNs of c->all[] */
	size_t stack[CHAIN_MAX_INPUT];
	bool used[CHAIN_MAX_INPUT];
	size_t depth;
	unsigned tried, visits;
	bool found;
	bool have_first; /* a revisable candidate was judged */
	uint32_t reasons;
	char *message;
} search;

/* A trust-list CA whose subject is @cur's issuer: (transfer full) or
 * NULL.  GnuTLS's hashed lookup finds an anchor of exactly that name;
 * after a miss, the step's trust index (tv_path_options.index, built in
 * open(), not a scan of the store per chain) finds one whose name differs
 * in case or spacing, which own_validate then compares as RFC 5280 says. */
static gnutls_x509_crt_t find_anchor(search *s, size_t cur)
{
	gnutls_x509_crt_t ca = NULL;
	const tv_path_options *o = s->options;

	if (gnutls_x509_trust_list_get_issuer(s->list, s->c->all[cur], &ca,
					      GNUTLS_TL_GET_COPY) >= 0)
		return ca;
	if (o == NULL ||
	    o->size < offsetof(tv_path_options, index) + sizeof(o->index))
		return NULL;
	return trust_index_find_loose(o->index, s->list, s->c->all[cur]);
}

static void note_first(search *s, uint32_t reasons, char *message)
{
	if (s->have_first) {
		g_free(message);
		return;
	}
	s->have_first = true;
	s->reasons = reasons;
	s->message = message;
}

/* Replaces the chain's path by the validated candidate. */
static void record(search *s, gnutls_x509_crt_t *crts, size_t n,
		   gnutls_x509_crt_t anchor)
{
	tv_chain *c = s->c;

	for (size_t i = 0; i < n; i++) {
		c->crts[i] = crts[i];
		c->ders[i] = c->all_ders[s->stack[i]];
	}
	c->len = n;
	gnutls_free(c->anchor.data);
	c->anchor.data = NULL;
	c->anchor.size = 0;
	if (gnutls_x509_crt_export2(anchor, GNUTLS_X509_FMT_DER, &c->anchor) <
	    0) {
		c->anchor.data = NULL;
		c->anchor.size = 0;
	}
	chain_check_times(c);
}

static void try_candidate(search *s, size_t n, gnutls_x509_crt_t anchor)
{
	gnutls_x509_crt_t crts[CHAIN_MAX_INPUT];
	gnutls_datum_t ders[CHAIN_MAX_INPUT];
	gnutls_datum_t anchor_der = {NULL, 0};
	bool primary = n == s->c->len;
	unsigned status = 0;
	uint32_t reasons = 0;
	char *message = NULL;
	bool ok;

	s->tried++;
	for (size_t i = 0; i < n; i++) {
		crts[i] = s->c->all[s->stack[i]];
		ders[i] = s->c->all_ders[s->stack[i]];
		primary = primary && crts[i] == s->c->crts[i];
	}
	if (primary) {
		status = s->primary_status;
	} else {
		gnutls_typed_vdata_st vdata = {GNUTLS_DT_KEY_PURPOSE_OID,
					       (unsigned char *)s->purpose, 0};

		if (gnutls_x509_trust_list_verify_crt2(
			    s->list, crts, (unsigned)n, &vdata, 1,
			    path_gnutls_flags(s->options), &status, NULL) < 0)
			return;
	}
	/* GnuTLS's verdict stands unless only its known gaps explain it. */
	if ((status & ~PATH_GNUTLS_REVISABLE) != 0)
		return;
	if (gnutls_x509_crt_export2(anchor, GNUTLS_X509_FMT_DER, &anchor_der) <
	    0)
		return;
	if (status == 0) {
		/* GnuTLS accepted a path it was not shown first: only the
		 * times (it was told to skip them) and the extra checks. */
		uint32_t reason = 0;

		ok = true;
		for (size_t i = 0; i <= n && ok; i++)
			if (!time_ok(i < n ? crts[i] : anchor, s->c->time,
				     &reason))
				ok = set_failure(
					&reasons, &message, reason,
					g_strdup("a certificate of the "
						 "alternative path is not "
						 "valid at the verification "
						 "time"));
		if (ok) {
			gnutls_x509_crt_t *all =
				g_new(gnutls_x509_crt_t, n + 1);
			gnutls_datum_t *all_ders = g_new(gnutls_datum_t, n + 1);

			memcpy(all, crts, n * sizeof(*all));
			memcpy(all_ders, ders, n * sizeof(*all_ders));
			all[n] = anchor;
			all_ders[n] = anchor_der;
			ok = check_names_and_policies(all, all_ders, n + 1,
						      true, false, s->options,
						      &reasons, &message);
			g_free(all);
			g_free(all_ders);
		}
	} else {
		uint32_t reason = 0;

		ok = own_validate(crts, ders, n, anchor, &anchor_der,
				  s->c->time, s->purpose, s->options, &reasons,
				  &message);
		if (ok && !time_ok(anchor, s->c->time, &reason))
			ok = set_failure(&reasons, &message, reason,
					 g_strdup("trust anchor is not valid "
						  "at the verification time"));
	}
	gnutls_free(anchor_der.data);
	if (ok) {
		g_free(message);
		record(s, crts, n, anchor);
		s->found = true;
		return;
	}
	note_first(s, reasons, message);
}

static void dfs(search *s, size_t cur)
{
	gnutls_x509_crt_t anchor;

	if (s->found || s->tried >= PATH_MAX_CANDIDATES ||
	    s->visits++ >= PATH_MAX_VISITS)
		return;
	s->stack[s->depth++] = cur;
	s->used[cur] = true;

	anchor = find_anchor(s, cur);
	if (anchor != NULL) {
		if (gnutls_x509_crt_equals2(anchor, &s->c->all_ders[cur])) {
			/* The peer sent the trusted certificate itself. */
			if (s->depth > 1)
				try_candidate(s, s->depth - 1, anchor);
		} else {
			try_candidate(s, s->depth, anchor);
		}
		gnutls_x509_crt_deinit(anchor);
	}
	for (size_t j = 0; j < s->c->n_all && !s->found; j++)
		if (!s->used[j] && dn_equal(&s->subject[j], &s->issuer[cur]))
			dfs(s, j);
	s->used[cur] = false;
	s->depth--;
}

bool path_search(gnutls_x509_trust_list_t list, const tv_request *request,
		 tv_chain *c, const tv_path_options *options,
		 unsigned primary_status, uint32_t *reasons, char **message)
{
	search s = {0};
	size_t n = c->n_all;
	bool ok = true;

	s.list = list;
	s.request = request;
	s.c = c;
	s.options = options;
	s.primary_status = primary_status;
	s.purpose = tv_request_get_purpose(request) == TV_PURPOSE_CLIENT
			    ? GNUTLS_KP_TLS_WWW_CLIENT
			    : GNUTLS_KP_TLS_WWW_SERVER;
	s.subject = g_new0(gnutls_datum_t, n);
	s.issuer = g_new0(gnutls_datum_t, n);
	for (size_t i = 0; i < n && ok; i++)
		ok = gnutls_x509_crt_get_raw_dn(c->all[i], &s.subject[i]) >=
			     0 &&
		     gnutls_x509_crt_get_raw_issuer_dn(c->all[i],
						       &s.issuer[i]) >= 0;
	if (ok)
		dfs(&s, 0);
	for (size_t i = 0; i < n; i++) {
		gnutls_free(s.subject[i].data);
		gnutls_free(s.issuer[i].data);
	}
	g_free(s.subject);
	g_free(s.issuer);
	if (s.found) {
		/* An earlier candidate's failure explains nothing now. */
		g_free(s.message);
		return true;
	}
	if (s.have_first) {
		*reasons |= s.reasons;
		g_free(*message);
		*message = s.message;
	}
	return false;
}
