/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "mtls": the two halves (client credentials, client authorisation). */
#ifndef TV_PLUGINS_MTLS_MTLS_H
#define TV_PLUGINS_MTLS_MTLS_H

#include <tlsverify/plugin.h>

/* ---- credentials.c: the endpoint's `client` (TV_ROLE_CLIENT) ---------- */

typedef struct mtls_client mtls_client;

/*
 * mtls_client_open: reads the client keys of @settings (certificate, key,
 * pkcs12, password_file, pin_file, pkcs11_module, check_interval), loads
 * the credential and checks it.
 * Returns: (transfer full) the state, or NULL with @error naming
 * file:line, the key and the file.
 */
mtls_client *mtls_client_open(const tv_settings *settings, GError **error);

/*
 * mtls_client_get: the credential to present now, reloaded first when its
 * files changed (checked at most once per check_interval).  Thread-safe.
 * Returns: (transfer full) a reference; NULL only if @client is NULL.
 */
tv_client_cert *mtls_client_get(mtls_client *client);

/* For status and metrics: the presented certificate (subject, expiry)
 * and how reloads went.  Thread-safe. */
void mtls_client_describe(mtls_client *client, tv_describe *out);

void mtls_client_free(mtls_client *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mtls_client, mtls_client_free)

/* ---- authorize.c: a chain step judging a client's names --------------- */

typedef struct mtls_authz mtls_authz;

/*
 * mtls_authz_open: reads allowed_names (exact DNS names, exact SPIFFE IDs,
 * and trust-domain or path-prefix patterns ending in "/" "*") and
 * validates each.
 * Returns: (transfer full) the state, or NULL with @error naming file:line.
 */
mtls_authz *mtls_authz_open(const tv_settings *settings, GError **error);

/* PASS when the leaf presents an allowed name; read-only, any thread. */
tv_step_verdict mtls_authz_verify(const mtls_authz *authz,
				  const tv_chain *chain,
				  tv_step_result *result);

void mtls_authz_describe(const mtls_authz *authz, tv_describe *out);

void mtls_authz_free(mtls_authz *authz);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mtls_authz, mtls_authz_free)

/*
 * mtls_spiffe_id_check: whether @id is a canonical SPIFFE ID
 * (spiffe://trust-domain[/path]) per the SPIFFE-ID standard, §2.
 * Returns: NULL when valid, else (transfer none) a static reason.
 */
const char *mtls_spiffe_id_check(const char *id);

#endif
