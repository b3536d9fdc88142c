/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* In-process TLS for unit tests: a GnuTLS server in a thread, a client
 * through tv_session_attach, over a socketpair (no network at all). */
#ifndef TV_TESTS_UNIT_TV_TLS_TEST_H
#define TV_TESTS_UNIT_TV_TLS_TEST_H

#include "tv-test.h"
#include "tlsverify/tlsverify.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* Every blocking read or write of either peer gives up after this. */
#define TV_TLS_TIMEOUT_S 10
/* Handshake calls that may return GNUTLS_E_AGAIN before one gives up. */
#define TV_TLS_MAX_AGAIN 100

/* The server side of one connection: what to serve, and what it saw. */
typedef struct {
	/* set by the test */
	const char *cert_file; /* PEM chain the server presents */
	const char *key_file;
	gnutls_certificate_request_t client_cert; /* default: IGNORE */
	tv_engine *verifier;	   /* judges the client's chain, or NULL */
	const char *verifier_host; /* request host (selects the endpoint) */
	const char *priority;	   /* NULL: GnuTLS defaults (TLS 1.3) */

	/* set by the server thread */
	int handshake_ret;
	int alert;	  /* alert received (gnutls_alert_description_t), -1 */
	char *sni;	  /* server name the client sent, NULL for none */
	size_t app_bytes; /* application data received */
	size_t raw_bytes_after;	    /* bytes after a failed handshake */
	gnutls_datum_t client_leaf; /* DER of the client's certificate */
	tv_result *client_result;   /* the verifier's result */
	int fd;
} tv_tls_server;

/* What the client saw. */
typedef struct {
	int handshake_ret;
	int alert; /* alert received, -1 */
	tv_session *tvs;
	bool sent_client_cert;
	tv_verdict verdict; /* of tv_session_get_result, REJECTED if none */
	uint32_t reasons;
	char *protocol;
} tv_tls_client;

static inline void tv_tls_server_clear(tv_tls_server *srv)
{
	g_free(srv->sni);
	g_free(srv->client_leaf.data);
	tv_result_free(srv->client_result);
	srv->sni = NULL;
	srv->client_leaf.data = NULL;
	srv->client_result = NULL;
}

static inline void tv_tls_client_clear(tv_tls_client *cl)
{
	tv_session_free(cl->tvs);
	g_free(cl->protocol);
	cl->tvs = NULL;
	cl->protocol = NULL;
}

static inline void tv_tls_set_timeouts(int fd)
{
	struct timeval tv = {TV_TLS_TIMEOUT_S, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static inline int tv_tls_handshake_loop(gnutls_session_t s)
{
	int ret;
	int tries = 0;

	do
		ret = gnutls_handshake(s);
	while (ret < 0 && !gnutls_error_is_fatal(ret) &&
	       ++tries < TV_TLS_MAX_AGAIN);
	return ret;
}

/* The server's verify callback: the client's chain through the policy,
 * purpose client, as a server using tlsverify would do it. */
static inline int tv_tls_server_verify(gnutls_session_t s)
{
	tv_tls_server *srv = gnutls_session_get_ptr(s);
	const gnutls_datum_t *peers;
	unsigned n = 0;
	tv_request *req;
	tv_result *r = NULL;

	peers = gnutls_certificate_get_peers(s, &n);
	if (peers == NULL || n == 0)
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	req = tv_request_new(srv->verifier_host, 0);
	tv_request_set_purpose(req, TV_PURPOSE_CLIENT);
	for (unsigned i = 0; i < n; i++)
		tv_request_add_der(req, peers[i].data, peers[i].size);
	if (!tv_engine_verify(srv->verifier, req, &r, NULL))
		r = NULL;
	tv_request_free(req);
	tv_result_free(srv->client_result);
	srv->client_result = r;
	return r != NULL && tv_result_get_verdict(r) == TV_VERDICT_TRUSTED
		       ? 0
		       : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

static inline gpointer tv_tls_server_main(gpointer data)
{
	tv_tls_server *srv = data;
	gnutls_certificate_credentials_t creds = NULL;
	gnutls_session_t s = NULL;
	const gnutls_datum_t *peers;
	char name[256];
	size_t name_len = sizeof(name);
	unsigned type = 0, n = 0;
	char buf[4096];
	int ret;

	srv->alert = -1;
	srv->handshake_ret = GNUTLS_E_INTERNAL_ERROR;
	if (gnutls_certificate_allocate_credentials(&creds) < 0 ||
	    gnutls_certificate_set_x509_key_file2(
		    creds, srv->cert_file, srv->key_file, GNUTLS_X509_FMT_PEM,
		    NULL, 0) < 0 ||
	    gnutls_init(&s, GNUTLS_SERVER) < 0)
		goto out;
	if (srv->priority != NULL)
		gnutls_priority_set_direct(s, srv->priority, NULL);
	else
		gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_certificate_server_set_request(s, srv->client_cert);
	if (srv->verifier != NULL) {
		gnutls_session_set_ptr(s, srv);
		gnutls_session_set_verify_function(s, tv_tls_server_verify);
	}
	gnutls_transport_set_int(s, srv->fd);
	ret = tv_tls_handshake_loop(s);
	srv->handshake_ret = ret;
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
		srv->alert = (int)gnutls_alert_get(s);
	else if (ret < 0)
		gnutls_alert_send_appropriate(s, ret);
	if (gnutls_server_name_get(s, name, &name_len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS)
		srv->sni = g_strndup(name, name_len);
	peers = gnutls_certificate_get_peers(s, &n);
	if (peers != NULL && n > 0) {
		srv->client_leaf.data = g_memdup2(peers[0].data, peers[0].size);
		srv->client_leaf.size = peers[0].size;
	}
	if (ret < 0) {
		/* Anything the client still wrote after the failed handshake
		 * (application data would be here): raw bytes until EOF. */
		for (int i = 0; i < TV_TLS_MAX_AGAIN; i++) {
			ssize_t got = read(srv->fd, buf, sizeof(buf));

			if (got <= 0)
				break;
			srv->raw_bytes_after += (size_t)got;
		}
		goto out;
	}
	/* Whatever the client sends until it closes. */
	for (int i = 0; i < TV_TLS_MAX_AGAIN; i++) {
		ret = gnutls_record_recv(s, buf, sizeof(buf));
		if (ret > 0)
			srv->app_bytes += (size_t)ret;
		else if (ret == 0 || gnutls_error_is_fatal(ret))
			break;
	}
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
		srv->alert = (int)gnutls_alert_get(s);
out:
	if (s != NULL)
		gnutls_deinit(s);
	if (creds != NULL)
		gnutls_certificate_free_credentials(creds);
	close(srv->fd);
	return NULL;
}

/*
 * tv_tls_connect: one handshake of a client attached to @engine for
 * @host:@port against @srv (started in a thread here, joined before
 * returning).  The client closes right after the handshake and sends no
 * application data.  @priority: the client's, NULL for the defaults.
 */
static inline void tv_tls_connect(tv_engine *engine, const char *host,
				  uint16_t port, const char *priority,
				  tv_tls_server *srv, tv_tls_client *cl)
{
	g_autoptr(GError) error = NULL;
	gnutls_session_t s = NULL;
	const tv_result *r;
	GThread *thread;
	int sv[2];

	/* A peer that gave up closes its end; writing to it must fail,
	 * not kill the test program. */
	signal(SIGPIPE, SIG_IGN);
	memset(cl, 0, sizeof(*cl));
	cl->alert = -1;
	cl->handshake_ret = GNUTLS_E_INTERNAL_ERROR;
	cl->verdict = TV_VERDICT_REJECTED;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		exit(99);
	}
	tv_tls_set_timeouts(sv[0]);
	tv_tls_set_timeouts(sv[1]);
	srv->fd = sv[1];
	thread = g_thread_new("tls-server", tv_tls_server_main, srv);

	if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
		goto out;
	if (priority != NULL)
		gnutls_priority_set_direct(s, priority, NULL);
	else
		gnutls_set_default_priority(s);
	cl->tvs = tv_session_attach(engine, s, host, port, &error);
	if (cl->tvs == NULL) {
		fprintf(stderr, "tv_session_attach: %s\n", error->message);
		goto out;
	}
	gnutls_transport_set_int(s, sv[0]);
	cl->handshake_ret = tv_tls_handshake_loop(s);
	if (cl->handshake_ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
		cl->alert = (int)gnutls_alert_get(s);
	if (cl->handshake_ret == 0) {
		cl->protocol = g_strdup(gnutls_protocol_get_name(
			gnutls_protocol_get_version(s)));
		/* Waits for the server's reply to the close, which in TLS 1.3
		 * is where a refusal of our certificate shows. */
		char byte;
		int ret = gnutls_bye(s, GNUTLS_SHUT_RDWR);

		/* A server that refused us may have closed before our
		 * close_notify: its alert still waits in the socket. */
		if (ret == GNUTLS_E_PUSH_ERROR)
			ret = gnutls_record_recv(s, &byte, 1);
		if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
			cl->alert = (int)gnutls_alert_get(s);
	}
	cl->sent_client_cert = tv_session_sent_client_cert(cl->tvs);
	r = tv_session_get_result(cl->tvs);
	if (r != NULL) {
		cl->verdict = tv_result_get_verdict(r);
		cl->reasons = tv_result_get_reasons(r);
	}
out:
	close(sv[0]);
	g_thread_join(thread);
	if (s != NULL)
		gnutls_deinit(s);
}

/* Path of the mTLS fixture @name (tests/fixtures/gen-mtls-pki.sh). */
static inline char *tv_test_mtls_fixture(const char *name)
{
	return g_build_filename(tv_test_env("TV_TMPDIR"), "mtls-pki", name,
				NULL);
}

/* Whether @der is the first certificate of PEM file @path. */
static inline bool tv_tls_der_is_file(const gnutls_datum_t *der,
				      const char *path)
{
	g_autofree char *pem = NULL;
	gnutls_datum_t in, out = {NULL, 0};
	gsize len = 0;
	bool same;

	if (der->data == NULL || !g_file_get_contents(path, &pem, &len, NULL))
		return false;
	in.data = (unsigned char *)pem;
	in.size = (unsigned)len;
	if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &out) < 0)
		return false;
	same = out.size == der->size &&
	       memcmp(out.data, der->data, der->size) == 0;
	gnutls_free(out.data);
	return same;
}

#endif
