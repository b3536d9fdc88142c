/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: SPIFFE bundles as JWK Sets (dsc_jwks_parse, what the spiffe
 * and file sources hand the pipeline), compiled in from the plugin. */
#include <stdbool.h>

#include "fuzz-util.h"

#include <gnutls/x509.h>
#include <tlsverify/tlsverify.h>

#include "jwks.h"

/* The DER of @crt; aborts when a parsed certificate does not export. */
static GBytes *der_of(gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	GBytes *b;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		abort();
	b = g_bytes_new(der.data, der.size);
	gnutls_free(der.data);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	g_autoptr(dsc_jwks) jwks = NULL;
	g_autoptr(GHashTable) seen = NULL;
	g_autoptr(GBytes) bytes = NULL;
	dsc_parsed parsed;
	bool ok2;

	fuzz_quiet_logs();
	if (size > 1024 * 1024)
		return 0; /* the size cap is checked by tests, not here */
	jwks = dsc_jwks_parse(size ? (const void *)data : "", size, &error);
	if (jwks == NULL) {
		/* Refused: with a reason, in the input error domain. */
		if (error == NULL || error->domain != TV_ERROR ||
		    error->code != TV_ERROR_INPUT)
			abort();
	} else {
		if (error != NULL || jwks->certs == NULL ||
		    jwks->revoked != (jwks->certs->len == 0) ||
		    jwks->sequence < -1 || jwks->refresh_hint < -1)
			abort();
		/* No certificate twice. */
		seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					     (GDestroyNotify)g_bytes_unref,
					     NULL);
		for (guint i = 0; i < jwks->certs->len; i++)
			if (!g_hash_table_add(seen,
					      der_of(jwks->certs->pdata[i])))
				abort();
		/* The sequence peeked before parsing is the parsed one. */
		if (dsc_jwks_peek_sequence(data, size) != jwks->sequence)
			abort();
	}

	/* The pipeline's entry point agrees. */
	bytes = g_bytes_new(data, size);
	dsc_parsed_init(&parsed);
	ok2 = dsc_jwks_format_parse(bytes, &parsed, &error2);
	if (ok2 != (jwks != NULL) ||
	    (ok2 && (parsed.crts->len != jwks->certs->len ||
		     parsed.revoked != jwks->revoked ||
		     parsed.sequence != jwks->sequence)))
		abort();
	dsc_parsed_clear(&parsed);
	return 0;
}
