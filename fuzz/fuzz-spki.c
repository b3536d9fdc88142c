/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: slicing the SubjectPublicKeyInfo out of a DER certificate
 * (der_certificate_spki, what key pins hash on the verify path). */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key GnuTLS finds in @der, re-encoded; false when it finds none. */
static bool gnutls_spki(const gnutls_datum_t *der, gnutls_datum_t *out)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	bool ok;

	ok = gnutls_x509_crt_init(&crt) >= 0 &&
	     gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) >= 0 &&
	     gnutls_pubkey_init(&key) >= 0 &&
	     gnutls_pubkey_import_x509(key, crt, 0) >= 0 &&
	     gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, out) >= 0;
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ok;
}

/* The slice, parsed as a key on its own and re-encoded. */
static bool reencode(const gnutls_datum_t *spki, gnutls_datum_t *out)
{
	gnutls_pubkey_t key = NULL;
	bool ok;

	ok = gnutls_pubkey_init(&key) >= 0 &&
	     gnutls_pubkey_import(key, spki, GNUTLS_X509_FMT_DER) >= 0 &&
	     gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, out) >= 0;
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_datum_t der = {(unsigned char *)data, (unsigned)size};
	gnutls_datum_t spki = {NULL, 0};
	gnutls_datum_t theirs = {NULL, 0}, ours = {NULL, 0};
	bool sliced;

	if (size > 65536)
		return 0; /* certificates are small; depth, not size */
	sliced = der_certificate_spki(&der, &spki);
	if (sliced &&
	    (spki.data < data || spki.size == 0 ||
	     spki.data + spki.size > data + size || spki.data[0] != 0x30))
		abort(); /* outside the input, or not a SEQUENCE */

	/* A slice must be the very key GnuTLS parses: a pin computed from a
	 * file (GnuTLS) has to match the pin of the chain (slice).  Refusing
	 * to slice is allowed: libtasn1 accepts some DER the slicer does
	 * not (an over-long version wrapper), and a pin step then fails
	 * closed; tests/unit/test-chain.c checks real certificates slice. */
	if (sliced && gnutls_spki(&der, &theirs)) {
		if (!reencode(&spki, &ours) || ours.size != theirs.size ||
		    memcmp(ours.data, theirs.data, ours.size) != 0)
			abort();
	}
	gnutls_free(theirs.data);
	gnutls_free(ours.data);
	return 0;
}
