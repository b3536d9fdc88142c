/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A certificate's public key on a path, DSA parameters inherited. */
#ifndef TV_CORE_CRT_KEY_H
#define TV_CORE_CRT_KEY_H

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The public key of @crts[@i] (@crts leaf first, @n certificates, the
 * anchor may be last), as GnuTLS imports it; a DSA key whose parameters
 * are omitted takes them from the key of @crts[@i + 1] (RFC 5280 6.1.4
 * (f), working_public_key_parameters), itself possibly inherited.
 * Returns: 0 and (transfer full) @out, or GnuTLS's error importing
 * @crts[@i] when it has no key that can be used.
 */
int crt_key_import(gnutls_x509_crt_t *crts, size_t n, size_t i,
		   gnutls_pubkey_t *out);

/*
 * The SubjectPublicKeyInfo of @crt: @spki points into @der, a (transfer
 * full, gnutls_free) copy of the certificate.  *@complete is false when
 * the key is a DSA key without parameters (it is not a key by itself).
 * Returns: false when @crt does not export or has no SPKI.
 */
bool crt_key_spki(gnutls_x509_crt_t crt, gnutls_datum_t *der,
		  gnutls_datum_t *spki, bool *complete);

#endif
