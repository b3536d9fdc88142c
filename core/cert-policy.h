/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 6.1 certificate policy processing: the valid policy tree with
 * policy mappings, requireExplicitPolicy, inhibitPolicyMapping and
 * inhibitAnyPolicy. */
#ifndef TV_CORE_CERT_POLICY_H
#define TV_CORE_CERT_POLICY_H

#include "tlsverify/plugin.h"

#define OID_ANY_POLICY "2.5.29.32.0"

/*
 * Runs policy processing over @path (leaf first, @n certificates, the
 * trust anchor NOT included) with the initial inputs of @options (NULL:
 * RFC 5280 defaults, any policy, nothing required).  When
 * @options->initial_policy_set names policies other than anyPolicy, the
 * path must also leave at least one of them valid (a non-empty
 * user-constrained policy set): a relying party that lists acceptable
 * policies accepts no path without one.
 * Returns true when the path is acceptable; false with @reasons
 * (constraint-violation, or malformed when an extension does not parse)
 * and @message (transfer full).
 */
bool policy_check_path(gnutls_x509_crt_t *path, size_t n,
		       const tv_path_options *options, uint32_t *reasons,
		       char **message);

/*
 * Whether policy processing can reject @path at all: explicit policy
 * required by @options, a specific initial policy set, or a certificate
 * with policyConstraints or policyMappings.  Cheap: a byte search of each
 * DER for those extension OIDs (a hit only means "look closer").
 */
bool policy_may_reject(const gnutls_datum_t *ders, size_t n,
		       const tv_path_options *options);

/* Whether the DER certificate @der may carry the extension whose last OID
 * arc (under 2.5.29) is @arc: a prefilter, false only when it cannot. */
bool der_may_have_extension(const gnutls_datum_t *der, unsigned char arc);

#endif
