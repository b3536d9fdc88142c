/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPIFFE bundles as JWK Sets (SPIFFE Trust Domain and Bundle §4): parser. */
#ifndef TV_PLUGINS_DISCOVERY_JWKS_H
#define TV_PLUGINS_DISCOVERY_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <gnutls/x509.h>

#include "source.h"

G_BEGIN_DECLS

/* Hard bounds of the parser, whatever the source's max_bundle_bytes. */
#define DSC_JWKS_MAX_BYTES (16u * 1024 * 1024)
#define DSC_JWKS_MAX_KEYS 4096
#define DSC_JWKS_MAX_CERT_B64 (64u * 1024)

typedef struct {
	GPtrArray *certs;    /* gnutls_x509_crt_t, owned (freed with
				gnutls_x509_crt_deinit); no duplicates */
	gint64 sequence;     /* spiffe_sequence, -1 when absent */
	gint64 refresh_hint; /* spiffe_refresh_hint in seconds, -1 when
				absent */
	bool revoked; /* no x509-svid key (keys: [] included): every SVID of
			 the trust domain is invalid (TDB §4.1.3) */
} dsc_jwks;

/*
 * dsc_jwks_parse: parses a SPIFFE bundle (a JWK Set).
 *
 * - "keys" must be an array of objects; "spiffe_sequence" and
 *   "spiffe_refresh_hint", when present, non-negative integers.
 * - A key with "use": "x509-svid" must have "x5c" holding exactly one
 *   standard-base64 DER certificate whose key type matches "kty".
 * - Keys with another or no "use" (jwt-svid), or an unknown "kty", are
 *   ignored (TDB §4.2).  A certificate listed twice is kept once.
 * - A member name twice in one object, a wrong type anywhere, a bad
 *   certificate: the whole bundle is refused.
 * No validation of the certificates (CA flag, validity): the caller's.
 * Returns: (transfer full) the bundle (dsc_jwks_free), or NULL with @error
 * (TV_ERROR_INPUT) naming what is wrong.
 */
dsc_jwks *dsc_jwks_parse(const void *data, size_t len, GError **error);

/*
 * dsc_jwks_peek_sequence: the spiffe_sequence of the bundle @data without
 * reading its keys (for naming a version before the pipeline parses it).
 * Returns: the sequence, or -1 when absent or when @data is not a bundle.
 */
gint64 dsc_jwks_peek_sequence(const void *data, size_t len);

/* Frees @jwks and its certificates; NULL-safe. */
void dsc_jwks_free(dsc_jwks *jwks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dsc_jwks, dsc_jwks_free)

/*
 * dsc_jwks_format_parse: the DSC_FORMAT_SPIFFE_JWKS parser of the pipeline
 * (dsc_parse_fn): dsc_jwks_parse into @out, whose certificates it appends
 * to out->crts (created when NULL).  On error @out is left untouched.
 */
bool dsc_jwks_format_parse(GBytes *data, dsc_parsed *out, GError **error);

G_END_DECLS

#endif
