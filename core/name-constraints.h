/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 name constraints along a path: GnuTLS for DNS, e-mail and IP
 * names, tlsverify for directory names and URIs (GnuTLS 3.7 has neither). */
#ifndef TV_CORE_NAME_CONSTRAINTS_H
#define TV_CORE_NAME_CONSTRAINTS_H

#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Checks @path (leaf first, @n certificates, the last one the trust
 * anchor) against every nameConstraints extension of its CAs and anchor:
 * each certificate below a constraining CA, except self-issued
 * intermediates, must have its subject DN and alternative names within
 * the permitted subtrees and outside the excluded ones.  Returns true when
 * the path complies; false with @reasons (constraint-violation, or
 * malformed for an extension that does not parse) and @message
 * (transfer full).
 */
bool nc_check_path(gnutls_x509_crt_t *path, size_t n, uint32_t *reasons,
		   char **message);

#endif
