/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deadline-bounded TCP connections and TLS steps shared by connect, pin and
 * probe. */
#ifndef TV_CLI_NET_H
#define TV_CLI_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <gnutls/gnutls.h>

/* Deadlines are g_get_monotonic_time() values (µs). */

/* Milliseconds left until @deadline, 0 when past it. */
int cli_net_remaining_ms(gint64 deadline);

/* Waits for @events (POLLIN/POLLOUT) on @fd until @deadline; false on
 * timeout (errno ETIMEDOUT) or a poll failure (errno set). */
bool cli_net_wait(int fd, short events, gint64 deadline);

/*
 * Resolves @host and connects to the first address that answers before
 * @deadline (@timeout, in seconds, only for the message).  Returns the
 * non-blocking fd and (transfer full) the address in @address, or -1 with
 * @error (TV_ERROR_IO) naming host, port and cause.
 */
int cli_net_connect(const char *host, uint16_t port, gint64 deadline,
		    double timeout, char **address, GError **error);

/* Ends our side of @fd, drains what the server still sends (so our last
 * alert or close_notify is not lost to a TCP reset) until it closes or
 * @deadline passes, then closes @fd. */
void cli_net_close(int fd, gint64 deadline);

typedef enum {
	CLI_NET_DONE,	 /* the call returned *ret (0 or a fatal error) */
	CLI_NET_TIMEOUT, /* the deadline passed */
} cli_net_outcome;

/* Runs gnutls_handshake (@bye false) or gnutls_bye on the non-blocking
 * @fd until it finishes or @deadline passes. */
cli_net_outcome cli_net_run(gnutls_session_t s, int fd, bool bye,
			    gint64 deadline, int *ret);

#endif
