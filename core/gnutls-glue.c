/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GnuTLS session glue: SNI, policy verification in the handshake, client
 * certificates. */
#include "engine.h"

#include "hostname.h"
#include "request.h"

#include <gnutls/abstract.h>
#include <string.h>

/* Guards against a session whose user pointer is not ours. */
#define TV_SESSION_MAGIC 0x74767331u /* "tvs1" */

struct tv_session {
	guint32 magic;
	tv_engine *engine;
	char *host;
	uint16_t port;
	tv_result *result;
	tv_client_cert *client_cert; /* kept for the session's lifetime */
	void *user_data;
	bool sent_client_cert;
};

static tv_session *session_of(gnutls_session_t session)
{
	tv_session *tvs = gnutls_session_get_ptr(session);

	return tvs != NULL && tvs->magic == TV_SESSION_MAGIC ? tvs : NULL;
}

/* Runs the endpoint's policy on the peer's chain during the handshake;
 * anything but "trusted" aborts it. */
static int verify_peer(gnutls_session_t session)
{
	tv_session *tvs = session_of(session);
	const gnutls_datum_t *peers;
	unsigned n = 0;
	tv_request *req;
	tv_result *r = NULL;
	GError *error = NULL;

	if (tvs == NULL)
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	peers = gnutls_certificate_get_peers(session, &n);
	req = tv_request_new(tvs->host, tvs->port);
	for (unsigned i = 0; i < n && peers != NULL; i++)
		tv_request_add_der(req, peers[i].data, peers[i].size);
	if (!tv_engine_verify(tvs->engine, req, &r, &error)) {
		/* Could not run: fail closed, keep no stale result. */
		g_clear_error(&error);
		r = NULL;
	}
	tv_request_free(req);
	tv_result_free(tvs->result);
	tvs->result = r;
	if (r == NULL || tv_result_get_verdict(r) != TV_VERDICT_TRUSTED) {
		/*
		 * GnuTLS aborts the handshake on our error but tells the
		 * peer nothing (the peer only sees the connection drop)
		 * unless the application remembers
		 * gnutls_alert_send_appropriate().  Send the fatal alert
		 * the attach documents here, for every application; the
		 * handshake fails whatever this returns.
		 */
		(void)gnutls_alert_send(session, GNUTLS_AL_FATAL,
					GNUTLS_A_BAD_CERTIFICATE);
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	}
	return 0;
}

/* Presents the endpoint's `client` certificate when the server asks. */
static int retrieve_client_cert(gnutls_session_t session,
				const gnutls_datum_t *req_ca_rdn, int nreqs,
				const gnutls_pk_algorithm_t *pk_algos,
				int pk_algos_length, gnutls_pcert_st **pcert,
				unsigned int *pcert_length,
				gnutls_privkey_t *pkey)
{
	tv_session *tvs = session_of(session);
	g_autofree char *host = NULL;
	tv_client_cert *cc = NULL;
	const snap_endpoint *ep;
	snapshot *snap;

	*pcert = NULL;
	*pcert_length = 0;
	*pkey = NULL;
	if (tvs == NULL)
		return 0;
	host = hostname_normalize(tvs->host);
	if (host == NULL)
		return 0;

	snap = engine_acquire(tvs->engine);
	ep = snapshot_match(snap, host, tvs->port);
	if (ep->client != NULL) {
		tv_request *req = tv_request_new(tvs->host, tvs->port);
		tv_client_cert *(*fn)(void *, const tv_request *) =
			loader_credentials_fn(ep->client->plugin);

		cc = fn ? fn(ep->client->state, req) : NULL;
		tv_request_free(req);
	}
	snapshot_unref(snap);
	if (cc == NULL)
		return 0; /* present no certificate */

	tv_client_cert_unref(tvs->client_cert);
	tvs->client_cert = cc;
	*pcert = tv_client_cert_get_pcerts(cc, pcert_length);
	*pkey = tv_client_cert_get_key(cc);
	tvs->sent_client_cert = true;
	return 0;
}

gnutls_certificate_credentials_t engine_credentials_new(void)
{
	gnutls_certificate_credentials_t creds = NULL;

	if (gnutls_certificate_allocate_credentials(&creds) < 0)
		return NULL;
	gnutls_certificate_set_retrieve_function2(creds, retrieve_client_cert);
	return creds;
}

tv_session *tv_session_attach(tv_engine *engine, gnutls_session_t session,
			      const char *host, uint16_t port, GError **error)
{
	g_autofree char *name = NULL;
	g_autofree char *sni = NULL;
	tv_session *tvs;
	snapshot *snap;
	int ret;

	g_return_val_if_fail(engine != NULL && session != NULL && host != NULL,
			     NULL);
	name = hostname_normalize(host);
	if (name == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "invalid host '%s': expected a DNS name or an IP "
			    "address",
			    host);
		return NULL;
	}

	/* SNI from the policy as it is now; an IP literal sends none. */
	snap = engine_acquire(engine);
	{
		const snap_endpoint *ep = snapshot_match(snap, name, port);
		sni = g_strdup(ep->sni != NULL ? ep->sni : name);
	}
	snapshot_unref(snap);
	if (!hostname_is_ip(sni)) {
		ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, sni,
					     strlen(sni));
		if (ret < 0)
			goto gnutls_failed;
	}
	ret = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
				     engine->creds);
	if (ret < 0)
		goto gnutls_failed;

	tvs = g_new0(tv_session, 1);
	tvs->magic = TV_SESSION_MAGIC;
	tvs->engine = engine;
	tvs->host = g_strdup(host);
	tvs->port = port;
	gnutls_session_set_ptr(session, tvs);
	gnutls_session_set_verify_function(session, verify_peer);
	return tvs;

gnutls_failed:
	g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
		    "cannot prepare the TLS session for %s: %s", host,
		    gnutls_strerror(ret));
	return NULL;
}

const tv_result *tv_session_get_result(const tv_session *tvs)
{
	g_return_val_if_fail(tvs != NULL, NULL);
	return tvs->result;
}

void tv_session_set_user_data(tv_session *tvs, void *data)
{
	g_return_if_fail(tvs != NULL);
	tvs->user_data = data;
}

void *tv_session_get_user_data(const tv_session *tvs)
{
	g_return_val_if_fail(tvs != NULL, NULL);
	return tvs->user_data;
}

bool tv_session_sent_client_cert(const tv_session *tvs)
{
	g_return_val_if_fail(tvs != NULL, false);
	return tvs->sent_client_cert;
}

void tv_session_free(tv_session *tvs)
{
	if (tvs == NULL)
		return;
	tvs->magic = 0;
	tv_result_free(tvs->result);
	tv_client_cert_unref(tvs->client_cert);
	g_free(tvs->host);
	g_free(tvs);
}
