/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deadline-bounded TCP connections and TLS steps shared by connect, pin and
 * probe. */
#include "cli.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Milliseconds left until @deadline (monotonic µs), 0 when past it. */
int cli_net_remaining_ms(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	return left <= 0 ? 0 : (int)MIN((left + 999) / 1000, G_MAXINT);
}

/* Waits for @events on @fd until @deadline; false on timeout (errno
 * ETIMEDOUT) or a poll failure. */
bool cli_net_wait(int fd, short events, gint64 deadline)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		int ms = cli_net_remaining_ms(deadline);
		int n;

		if (ms == 0) {
			errno = ETIMEDOUT;
			return false;
		}
		n = poll(&p, 1, ms);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* One non-blocking connect, bounded by @deadline; the fd, or -1 and errno.
 */
static int connect_one(const struct addrinfo *ai, gint64 deadline)
{
	socklen_t len = sizeof(int);
	int fd, err = 0;

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS && cli_net_wait(fd, POLLOUT, deadline)) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0)
			return fd;
		errno = err;
	}
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static char *dup_address(const struct addrinfo *ai)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)ai->ai_addr)->sin_addr,
			  text, sizeof(text));
	else if (ai->ai_family == AF_INET6)
		inet_ntop(
			AF_INET6,
			&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			text, sizeof(text));
	return g_strdup(text);
}

/*
 * Resolves @host and connects to the first address that answers before
 * @deadline.  Returns the non-blocking fd and the address in @address, or
 * -1 with @error (TV_ERROR_IO) naming host, port and cause.
 */
int cli_net_connect(const char *host, uint16_t port, gint64 deadline,
		    double timeout, char **address, GError **error)
{
	struct addrinfo hints = {0};
	struct addrinfo *list = NULL;
	char service[8];
	int ret, fd = -1, err = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	g_snprintf(service, sizeof(service), "%u", (unsigned)port);
	ret = getaddrinfo(host, service, &hints, &list);
	if (ret != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot resolve '%s': %s", host,
			    ret == EAI_SYSTEM ? g_strerror(errno)
					      : gai_strerror(ret));
		return -1;
	}
	for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		if (fd >= 0) {
			*address = dup_address(ai);
			break;
		}
		err = errno;
		if (err == ETIMEDOUT)
			break;
	}
	freeaddrinfo(list);
	if (fd < 0 && err == ETIMEDOUT)
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "timed out after %g s connecting to %s port %u",
			    timeout, host, (unsigned)port);
	else if (fd < 0)
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot connect to %s port %u: %s", host,
			    (unsigned)port, g_strerror(err));
	return fd;
}

/*
 * Closes @fd so that what we sent last (an alert, a close_notify) reaches
 * the server: closing a TCP socket with unread data in it (the rest of
 * the server's flight after an aborted handshake) sends a reset, which
 * can make the server's kernel drop our alert unread.  So: end our side,
 * then read and discard until the server closes or @deadline passes.
 */
void cli_net_close(int fd, gint64 deadline)
{
	char buf[4096];

	shutdown(fd, SHUT_WR);
	while (cli_net_wait(fd, POLLIN, deadline)) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(fd);
}

/* Runs gnutls_handshake or gnutls_bye on non-blocking @fd until it
 * finishes or @deadline passes. */
cli_net_outcome cli_net_run(gnutls_session_t s, int fd, bool bye,
			    gint64 deadline, int *ret)
{
	for (;;) {
		*ret = bye ? gnutls_bye(s, GNUTLS_SHUT_RDWR)
			   : gnutls_handshake(s);
		if (*ret == 0 || gnutls_error_is_fatal(*ret))
			return CLI_NET_DONE;
		if (cli_net_remaining_ms(deadline) == 0)
			return CLI_NET_TIMEOUT;
		if (*ret != GNUTLS_E_AGAIN && *ret != GNUTLS_E_INTERRUPTED)
			continue; /* a warning alert: go on */
		if (!cli_net_wait(fd,
				  gnutls_record_get_direction(s) ? POLLOUT
								 : POLLIN,
				  deadline)) {
			if (errno == ETIMEDOUT)
				return CLI_NET_TIMEOUT;
			*ret = GNUTLS_E_PULL_ERROR;
			return CLI_NET_DONE;
		}
	}
}
