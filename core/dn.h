/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Distinguished names compared as RFC 5280 7.1 says: case and whitespace
 * insensitive for directory strings, not byte for byte. */
#ifndef TV_CORE_DN_H
#define TV_CORE_DN_H

#include <gnutls/gnutls.h>
#include <stdbool.h>

/*
 * Whether the DER Names @a and @b are equal: byte-equal names (the common
 * case) are equal without parsing; otherwise both are parsed with GnuTLS
 * and compared RDN by RDN, each attribute value of a directory string type
 * (PrintableString, UTF8String...) after case folding, NFKC and whitespace
 * folding.  A name that does not parse is equal to nothing.
 */
bool dn_equal(const gnutls_datum_t *a, const gnutls_datum_t *b);

/*
 * Whether @name lies in the subtree @base (its RDNs start with all of
 * @base's, compared as dn_equal does): a directoryName name constraint.
 * Sets *@malformed when either does not parse.
 */
bool dn_is_within(const gnutls_datum_t *name, const gnutls_datum_t *base,
		  bool *malformed);

/* Whether the DER Name @name has no RDN. */
bool dn_is_empty(const gnutls_datum_t *name);

#endif
