/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fetch the certificate chain a TLS server presents, without trusting it. */
#include "cli.h"
#include "fetch.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* Milliseconds left until @deadline (monotonic µs), 0 when past it. */
static int remaining_ms(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	if (left <= 0)
		return 0;
	return (int)MIN((left + 999) / 1000, G_MAXINT);
}

/*
 * Waits for @events on @fd until @deadline.  Returns true when ready;
 * false with @error on timeout or a poll failure.
 */
static bool wait_fd(int fd, short events, gint64 deadline, const char *what,
		    GError **error)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		int ms = remaining_ms(deadline);
		int n;

		if (ms == 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "%s: timed out", what);
			return false;
		}
		n = poll(&p, 1, ms);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			g_set_error(error, TV_ERROR, TV_ERROR_IO, "%s: %s",
				    what, g_strerror(errno));
			return false;
		}
	}
}

/* One non-blocking connect to @ai, bounded by @deadline; the fd or -1. */
static int connect_one(const struct addrinfo *ai, gint64 deadline,
		       GError **error)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO, "socket: %s",
			    g_strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO, "connect: %s",
			    g_strerror(errno));
		close(fd);
		return -1;
	}
	if (!wait_fd(fd, POLLOUT, deadline, "connect", error)) {
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO, "connect: %s",
			    g_strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* Tries each address of @host in turn; the first that connects wins. */
static int connect_host(const char *host, uint16_t port, gint64 deadline,
			GError **error)
{
	struct addrinfo hints = {0};
	struct addrinfo *list = NULL;
	g_autoptr(GError) last = NULL;
	char service[8];
	int ret, fd = -1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	g_snprintf(service, sizeof(service), "%u", (unsigned)port);
	ret = getaddrinfo(host, service, &hints, &list);
	if (ret != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot resolve %s: %s", host, gai_strerror(ret));
		return -1;
	}
	for (const struct addrinfo *ai = list; ai != NULL && fd < 0;
	     ai = ai->ai_next) {
		g_clear_error(&last);
		fd = connect_one(ai, deadline, &last);
	}
	freeaddrinfo(list);
	if (fd < 0) {
		if (last == NULL)
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "%s: no address", host);
		else
			g_propagate_error(error, g_steal_pointer(&last));
		g_prefix_error(error, "%s port %u: ", host, (unsigned)port);
	}
	return fd;
}

/* Runs the handshake on the non-blocking @fd, bounded by @deadline. */
static bool handshake(gnutls_session_t session, int fd, gint64 deadline,
		      GError **error)
{
	for (;;) {
		int ret = gnutls_handshake(session);
		short events;

		if (ret == GNUTLS_E_SUCCESS)
			return true;
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(ret)) {
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "TLS handshake: %s", gnutls_strerror(ret));
			return false;
		}
		events =
			gnutls_record_get_direction(session) ? POLLOUT : POLLIN;
		if (!wait_fd(fd, events, deadline, "TLS handshake", error))
			return false;
	}
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
	bool ok = false;
	int fd, ret;

	g_return_val_if_fail(host != NULL && der_out != NULL, false);
	*der_out = NULL;
	deadline = g_get_monotonic_time() +
		   (gint64)MAX(timeout_s, 1u) * G_USEC_PER_SEC;

	fd = connect_host(host, port, deadline, error);
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
