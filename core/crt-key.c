/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A certificate's public key on a path, DSA parameters inherited. */
#include "config.h"

#include "crt-key.h"

#include "der.h"

#include <glib.h>

int crt_key_import(gnutls_x509_crt_t *crts, size_t n, size_t i,
		   gnutls_pubkey_t *out)
{
	gnutls_pubkey_t key = NULL, above = NULL;
	gnutls_datum_t der = {NULL, 0}, spki, y;
	gnutls_datum_t p = {NULL, 0}, q = {NULL, 0}, g = {NULL, 0};
	int ret, first;

	*out = NULL;
	if ((ret = gnutls_pubkey_init(&key)) < 0)
		return ret;
	first = gnutls_pubkey_import_x509(key, crts[i], 0);
	if (first >= 0) {
		*out = key;
		return 0;
	}
	/* Only a DSA key without parameters, under a DSA key, inherits;
	 * anything else keeps GnuTLS's error. */
	ret = first;
	if (i + 1 >= n ||
	    gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &der) < 0)
		goto out;
	if (!der_certificate_spki(&der, &spki) ||
	    !der_spki_dsa_without_params(&spki, &y))
		goto out;
	/* Bounded: one level up per call, at most @n. */
	if (crt_key_import(crts, n, i + 1, &above) < 0 ||
	    gnutls_pubkey_get_pk_algorithm(above, NULL) != GNUTLS_PK_DSA ||
	    gnutls_pubkey_export_dsa_raw2(above, &p, &q, &g, NULL, 0) < 0)
		goto out;
	ret = gnutls_pubkey_import_dsa_raw(key, &p, &q, &g, &y);
	if (ret >= 0) {
		*out = g_steal_pointer(&key);
		ret = 0;
	}
out:
	if (ret < 0 && ret != first)
		ret = first;
	gnutls_free(p.data);
	gnutls_free(q.data);
	gnutls_free(g.data);
	gnutls_free(der.data);
	if (above != NULL)
		gnutls_pubkey_deinit(above);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	return ret;
}

bool crt_key_spki(gnutls_x509_crt_t crt, gnutls_datum_t *der,
		  gnutls_datum_t *spki, bool *complete)
{
	gnutls_datum_t y;

	der->data = NULL;
	der->size = 0;
	/* An imported certificate exports its original DER: a copy. */
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der) < 0) {
		der->data = NULL;
		return false;
	}
	if (!der_certificate_spki(der, spki)) {
		gnutls_free(der->data);
		der->data = NULL;
		der->size = 0;
		return false;
	}
	*complete = !der_spki_dsa_without_params(spki, &y);
	return true;
}
