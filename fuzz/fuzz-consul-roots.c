/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: Consul Connect CA roots responses (dsc_consul_roots_parse),
 * compiled in from the plugin. */
#include <stdbool.h>

#include "fuzz-util.h"

#include <gnutls/x509.h>
#include <tlsverify/tlsverify.h>

#include "consul-roots.h"
#include "spiffe-id.h"

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
	g_autoptr(GPtrArray) certs = NULL;
	g_autoptr(GHashTable) seen = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *active = NULL;
	dsc_parsed parsed;
	bool ok2;

	fuzz_quiet_logs();
	if (size > 1024 * 1024)
		return 0;
	certs = dsc_consul_roots_parse(size ? (const void *)data : "", size,
				       &active, &error);
	if (certs == NULL) {
		if (error == NULL || error->domain != TV_ERROR ||
		    error->code != TV_ERROR_INPUT || active != NULL)
			abort();
	} else {
		/* At least one root, none twice. */
		if (error != NULL || certs->len == 0 ||
		    certs->len > DSC_CONSUL_MAX_ROOTS)
			abort();
		seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					     (GDestroyNotify)g_bytes_unref,
					     NULL);
		for (guint i = 0; i < certs->len; i++)
			if (!g_hash_table_add(seen, der_of(certs->pdata[i])))
				abort();
	}

	bytes = g_bytes_new(data, size);
	dsc_parsed_init(&parsed);
	ok2 = dsc_consul_roots_format_parse(bytes, &parsed, &error2);
	if (ok2 != (certs != NULL) || (ok2 && parsed.crts->len != certs->len))
		abort();
	/* A trust domain it names is a canonical one. */
	if (ok2 && parsed.trust_domain != NULL &&
	    !dsc_spiffe_trust_domain_is_valid(parsed.trust_domain, NULL))
		abort();
	dsc_parsed_clear(&parsed);
	return 0;
}
