/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fetch the certificate chain a TLS server presents, without trusting it. */
#include "cli.h"
#include "fetch.h"
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* Runs the handshake on the non-blocking @fd, bounded by @deadline. */
static bool handshake(gnutls_session_t session, int fd, gint64 deadline,
		      GError **error)
{
	int ret = 0;

	if (cli_net_run(session, fd, false, deadline, &ret) ==
	    CLI_NET_TIMEOUT) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "TLS handshake: timed out");
		return false;
	}
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO, "TLS handshake: %s",
			    gnutls_strerror(ret));
		return false;
	}
	return true;
}

/* Copies the peer's certificates out of @session. */
static bool collect_chain(gnutls_session_t session, GPtrArray **der_out,
			  GError **error)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;
	GPtrArray *out;

	certs = gnutls_certificate_get_peers(session, &n);
	if (certs == NULL || n == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "the server presented no certificate");
		return false;
	}
	out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (unsigned int i = 0; i < n; i++)
		g_ptr_array_add(out, g_bytes_new(certs[i].data, certs[i].size));
	*der_out = out;
	return true;
}

bool cli_fetch_chain(const char *host, uint16_t port, const char *sni,
		     unsigned timeout_s, GPtrArray **der_out, GError **error)
{
	gint64 deadline;
	gnutls_certificate_credentials_t creds = NULL;
	gnutls_session_t session = NULL;
	const char *name = sni;
	g_autofree char *address = NULL;
	bool ok = false;
	int fd, ret;

	g_return_val_if_fail(host != NULL && der_out != NULL, false);
	*der_out = NULL;
	deadline = g_get_monotonic_time() +
		   (gint64)MAX(timeout_s, 1u) * G_USEC_PER_SEC;

	fd = cli_net_connect(host, port, deadline, (double)MAX(timeout_s, 1u),
			     &address, error);
	if (fd < 0)
		return false;

	/* No trust anywhere: credentials without CAs, and no verification
	 * requested, so GnuTLS hands over whatever the server presents. */
	ret = gnutls_certificate_allocate_credentials(&creds);
	if (ret >= 0)
		ret = gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (ret >= 0)
		ret = gnutls_set_default_priority(session);
	if (ret >= 0)
		ret = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
					     creds);
	if (name == NULL && !g_hostname_is_ip_address(host))
		name = host;
	if (ret >= 0 && name != NULL && *name != '\0')
		ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, name,
					     strlen(name));
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot set up a TLS session: %s",
			    gnutls_strerror(ret));
		goto out;
	}
	gnutls_transport_set_int(session, fd);

	if (!handshake(session, fd, deadline, error)) {
		g_prefix_error(error, "%s port %u: ", host, (unsigned)port);
		goto out;
	}
	ok = collect_chain(session, der_out, error);
	/* A polite close_notify, without waiting for the peer's. */
	(void)gnutls_bye(session, GNUTLS_SHUT_WR);
out:
	if (session != NULL)
		gnutls_deinit(session);
	if (creds != NULL)
		gnutls_certificate_free_credentials(creds);
	close(fd);
	return ok;
}
