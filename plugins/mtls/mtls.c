/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "mtls": presents an endpoint's client certificate, or, as a chain
 * step, allows a client certificate by its names. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-mtls"

#include "mtls.h"

/*
 * One state per step.  The role decides which settings are read, so the
 * engine reports the other role's keys as unknown: `allowed_names` in a
 * `client` block or `key` in a chain step is a configuration error.
 */
typedef struct {
	tv_role role;
	mtls_client *client; /* TV_ROLE_CLIENT */
	mtls_authz *authz;   /* TV_ROLE_CHAIN */
} mtls_state;

static void mtls_close(void *state)
{
	mtls_state *st = state;

	if (st == NULL)
		return;
	mtls_client_free(st->client);
	mtls_authz_free(st->authz);
	g_free(st);
}

static bool mtls_open(const tv_settings *settings, const tv_host *host,
		      void **state, GError **error)
{
	mtls_state *st;

	g_return_val_if_fail(settings != NULL && host != NULL, false);
	g_return_val_if_fail(state != NULL, false);

	st = g_new0(mtls_state, 1);
	st->role = tv_host_get_role(host);
	if (st->role == TV_ROLE_CLIENT)
		st->client = mtls_client_open(settings, error);
	else
		st->authz = mtls_authz_open(settings, error);
	if (st->client == NULL && st->authz == NULL) {
		mtls_close(st);
		return false;
	}
	*state = st;
	return true;
}

static tv_step_verdict mtls_verify(void *state, const tv_request *request,
				   const tv_chain *chain,
				   tv_step_result *result)
{
	const mtls_state *st = state;

	if (st == NULL || st->authz == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result,
					   "not opened as a chain step");
		return TV_STEP_FAIL;
	}
	return mtls_authz_verify(st->authz, chain, result);
}

static tv_client_cert *mtls_credentials(void *state, const tv_request *request)
{
	mtls_state *st = state;

	return st != NULL ? mtls_client_get(st->client) : NULL;
}

static void mtls_describe(void *state, tv_describe *out)
{
	mtls_state *st = state;

	if (st != NULL && st->client != NULL)
		mtls_client_describe(st->client, out);
	else if (st != NULL && st->authz != NULL)
		mtls_authz_describe(st->authz, out);
}

static const tv_plugin_ops mtls_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "mtls",
	.summary = "client certificates: presents one per endpoint (PEM, "
		   "PKCS#8, PKCS#12, PKCS#11), allows clients by name",
	.caps = 0,
	.open = mtls_open,
	.verify = mtls_verify,
	.close = mtls_close,
	.credentials = mtls_credentials,
	.describe = mtls_describe,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &mtls_ops;
}
