/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPIFFE IDs (spiffe://trust-domain/path) and X509-SVID leaf checks. */
#ifndef TV_PLUGINS_DISCOVERY_SPIFFE_ID_H
#define TV_PLUGINS_DISCOVERY_SPIFFE_ID_H

#include <stdbool.h>

#include <glib.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* SPIFFE-ID §2: limits on the trust domain and on the whole ID. */
#define DSC_SPIFFE_TRUST_DOMAIN_MAX 255
#define DSC_SPIFFE_ID_MAX 2048

/*
 * dsc_spiffe_trust_domain_is_valid: whether @td is a canonical trust domain
 * name: 1-255 bytes of [a-z0-9._-].  Not canonical (upper case,
 * percent-encoding, a port) is invalid: IDs are compared byte for byte.
 * Returns: true, or false with @error (TV_ERROR_INPUT) saying what is wrong.
 */
bool dsc_spiffe_trust_domain_is_valid(const char *td, GError **error);

/*
 * dsc_spiffe_id_parse: validates @id as a canonical SPIFFE ID
 * ("spiffe://" + trust domain + optional path of "/segment"s, segments
 * [A-Za-z0-9._-]+ other than "." and "..", no trailing slash, no query,
 * fragment, user info or port, at most 2048 bytes).
 * @trust_domain: (out) (optional) (transfer full): the trust domain, g_free.
 * @path: (out) (optional) (transfer full): the path ("" for none), g_free.
 * Returns: true, or false with @error (TV_ERROR_INPUT) naming the problem.
 */
bool dsc_spiffe_id_parse(const char *id, char **trust_domain, char **path,
			 GError **error);

/*
 * dsc_spiffe_id_of_crt: the SPIFFE ID of @crt: its one URI SAN, which must
 * be a valid SPIFFE ID (X509-SVID §2: exactly one URI SAN).  No other check
 * (CA flag, key usage): see dsc_spiffe_check_svid.
 * @trust_domain: (out) (optional) (transfer full): its trust domain.
 * Returns: (transfer full) the ID (g_free), or NULL with @error
 * (TV_ERROR_INPUT): no URI SAN, more than one, or not a SPIFFE ID.
 */
char *dsc_spiffe_id_of_crt(gnutls_x509_crt_t crt, char **trust_domain,
			   GError **error);

/*
 * dsc_spiffe_check_svid: the leaf checks of X509-SVID §4-5 on @crt (whose
 * chain the caller verifies separately): not a CA, no keyCertSign or
 * cRLSign, exactly one URI SAN that is a SPIFFE ID with a path, equal to
 * @expected_id when that is non-NULL.
 * Returns: true, or false with @error (TV_ERROR_INPUT) naming the check.
 */
bool dsc_spiffe_check_svid(gnutls_x509_crt_t crt, const char *expected_id,
			   GError **error);

G_END_DECLS

#endif
