/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Revocation of a validated path from a set of CRLs (RFC 5280 6.3). */
#ifndef TV_CORE_REVOCATION_H
#define TV_CORE_REVOCATION_H

#include "tlsverify/plugin.h"

/*
 * tv_revocation_check: decides the revocation status of every certificate
 * of @path except the trust anchor, at @time, from @crls only (nothing is
 * fetched).  @path[0] is the leaf, @path[@n - 1] the trust anchor; the path
 * must already be validated (signatures, names, constraints).
 *
 * A CRL counts for a certificate only when it is usable: its issuer name
 * equals the certificate's issuer (or a cRLIssuer of the certificate's
 * distribution point, for an indirect CRL), it is signed by the issuer's
 * key or by another certificate of that name which chains to the same
 * anchor and has not been revoked itself, the signer's keyUsage (when
 * present) has cRLSign, thisUpdate <= @time < nextUpdate, it has no
 * critical extension (of the CRL or of an entry) that is not understood,
 * and its issuingDistributionPoint covers the certificate.  Delta CRLs
 * are applied on top of a usable complete CRL whose number is at least
 * their base CRL number; a delta's removeFromCRL entry lifts a hold of the
 * complete CRL.  With onlySomeReasons, several CRLs must together cover
 * every reason.
 *
 * @mode:
 *  - TV_REVOCATION_OFF: nothing is checked; returns true.
 *  - TV_REVOCATION_REQUIRE: every certificate must be covered by usable
 *    CRLs for all reasons, or the check fails with TV_REASON_UNTRUSTED
 *    ("no valid CRL for ...").
 *  - TV_REVOCATION_IF_PRESENT: a certificate is checked exactly as under
 *    REQUIRE when @crls holds at least one CRL naming its issuer (or a
 *    cRLIssuer of its distribution points) as issuer, whether or not that
 *    CRL turns out usable; a certificate of an issuer no CRL names is
 *    accepted unchecked.  So a stale, badly signed or out-of-scope CRL of
 *    the issuer fails, a missing one does not.
 *
 * @pool: further certificates (the presented ones and the untrusted pool,
 * may repeat @path; may be NULL) where a CRL signer other than the
 * certificate's issuer is looked for.
 *
 * Returns: true when no certificate is revoked and every status required
 * is known; otherwise false with @reasons (TV_REASON_REVOKED, or
 * TV_REASON_UNTRUSTED when a status could not be established) and a
 * (transfer full) @message naming the certificate and the CRL problem.
 * Never fails open: a CRL that does not parse is an unusable CRL.
 */
bool tv_revocation_check_pool(gnutls_x509_crt_t *path, size_t n,
			      gnutls_x509_crt_t *pool, size_t n_pool,
			      gnutls_x509_crl_t *crls, size_t n_crls,
			      tv_revocation_mode mode, int64_t time,
			      uint32_t *reasons, char **message);

/* The same with CRLs prepared by tv_crl_set_new() (@set may be NULL: no
 * CRL). */
bool tv_revocation_check_set(gnutls_x509_crt_t *path, size_t n,
			     gnutls_x509_crt_t *pool, size_t n_pool,
			     const tv_crl_set *set, tv_revocation_mode mode,
			     int64_t time, uint32_t *reasons, char **message);

/* The earliest instant after @time at which a CRL of @set starts or
 * stops being usable (thisUpdate, nextUpdate); 0 when none. */
int64_t crl_set_next_change(const tv_crl_set *set, int64_t time);

/*
 * The trust anchor of DER @der imported for the checks: kept in @set (a
 * few per set, imported once and then shared read-only by concurrent
 * checks), or, when the set holds enough already, (transfer full) in
 * @owned as well.  Returns: NULL when @der does not import.
 */
gnutls_x509_crt_t crl_set_anchor(const tv_crl_set *set,
				 const gnutls_datum_t *der,
				 gnutls_x509_crt_t *owned);

/* The same with no pool beyond @path. */
bool tv_revocation_check(gnutls_x509_crt_t *path, size_t n,
			 gnutls_x509_crl_t *crls, size_t n_crls,
			 tv_revocation_mode mode, int64_t time,
			 uint32_t *reasons, char **message);

#endif
