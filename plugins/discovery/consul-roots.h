/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Consul Connect CA roots (IndexedCARoots, /v1/agent/connect/ca/roots):
 * parser. */
#ifndef TV_PLUGINS_DISCOVERY_CONSUL_ROOTS_H
#define TV_PLUGINS_DISCOVERY_CONSUL_ROOTS_H

#include <stddef.h>

#include <glib.h>
#include <gnutls/x509.h>

#include "source.h"

G_BEGIN_DECLS

/* Hard bounds of the parser, whatever the source's max_bundle_bytes. */
#define DSC_CONSUL_MAX_BYTES (16u * 1024 * 1024)
#define DSC_CONSUL_MAX_ROOTS 1024

/*
 * dsc_consul_roots_parse: parses an IndexedCARoots response.  Every
 * Roots[].RootCert (one PEM certificate each) is trusted, active or not:
 * roots being rotated out still sign live leaves.  IntermediateCerts are
 * not anchors and are not read.  A root listed twice is kept once.
 * Refused: not a JSON object, a member name twice in one object, "Roots"
 * missing, null, empty or not an array, a root that is not an object or
 * whose RootCert is not exactly one certificate, an "ActiveRootID" that
 * is not a string or names none of the roots' "ID"s, a "TrustDomain" that
 * is not a canonical trust domain name.
 * @active_root_id: (out) (optional) (transfer full): the ActiveRootID.
 * Returns: (transfer full) an array of gnutls_x509_crt_t that frees them,
 * or NULL with @error (TV_ERROR_INPUT) naming what is wrong.
 */
GPtrArray *dsc_consul_roots_parse(const void *data, size_t len,
				  char **active_root_id, GError **error);

/*
 * dsc_consul_roots_format_parse: the DSC_FORMAT_CONSUL_ROOTS parser of the
 * pipeline (dsc_parse_fn): the roots appended to out->crts (created when
 * NULL), out->trust_domain set from "TrustDomain" (a canonical SPIFFE
 * trust domain, or an error) when present.  On error @out is untouched.
 */
bool dsc_consul_roots_format_parse(GBytes *data, dsc_parsed *out,
				   GError **error);

G_END_DECLS

#endif
