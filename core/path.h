/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 path validation where GnuTLS 3.7 falls short: the checks it
 * lacks on paths it accepted, and, when it rejects for a reason it gets
 * wrong, candidate paths validated by tlsverify's own 6.1 loop. */
#ifndef TV_CORE_PATH_H
#define TV_CORE_PATH_H

#include "chain.h"

/* GnuTLS status bits one of its known gaps can cause (byte-wise DN
 * chaining, self-issued certificates counted against pathLen, DN and
 * URI name constraints, unsupported critical policy extensions): only a
 * rejection made of these alone is looked at again. */
#define PATH_GNUTLS_REVISABLE                                                  \
	(GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND |                  \
	 GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE |                              \
	 GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS)

/* At most this many candidate paths are tried per verification. */
#define PATH_MAX_CANDIDATES 8

/* gnutls_x509_trust_list_verify_crt2 flags for @options. */
unsigned path_gnutls_flags(const tv_path_options *options);

/*
 * The checks GnuTLS does not make, on a path it accepted: name constraints
 * on directory names and URIs, certificate policies.  Costs a byte search
 * per certificate when no certificate has those extensions.  @anchor_der
 * may be NULL (the top of the path is itself trusted).
 */
bool path_check_extras(const tv_chain *chain, const gnutls_datum_t *anchor_der,
		       const tv_path_options *options, uint32_t *reasons,
		       char **message);

/*
 * Looks for a path GnuTLS misjudged or did not build: candidate paths from
 * the presented certificates (names compared as RFC 5280 says; anchors
 * by exact name through the trust list's hash), every
 * issuer of the right name tried, at most PATH_MAX_CANDIDATES), each
 * accepted only when GnuTLS's rejection of it is PATH_GNUTLS_REVISABLE
 * and tlsverify's own RFC 5280 6.1 validation passes.  @primary_status is
 * GnuTLS's status for the chain's current path.  On success the chain's
 * path and anchor are replaced by the validated ones (per-request state)
 * and true is returned; otherwise false with the reasons and message of
 * the own validation of the first revisable candidate, if any.
 */
bool path_search(gnutls_x509_trust_list_t list, const tv_request *request,
		 tv_chain *chain, const tv_path_options *options,
		 unsigned primary_status, uint32_t *reasons, char **message);

#endif
