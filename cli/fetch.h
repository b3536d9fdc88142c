/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fetch the certificate chain a TLS server presents, without trusting it. */
#ifndef TV_CLI_FETCH_H
#define TV_CLI_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * cli_fetch_chain:
 * @host: DNS name or IP literal to connect to
 * @port: TCP port
 * @sni: (nullable): server name to send; NULL sends @host unless it is an
 *       IP literal (RFC 6066 has no SNI for addresses)
 * @timeout_s: bound on connecting and on the whole TLS handshake, in
 *             seconds (name resolution is the system resolver's)
 * @der_out: (out) (transfer full) (element-type GBytes): the presented
 *           certificates as DER, in the order the server sent them
 *
 * Connects and completes a TLS handshake with GnuTLS, trusting nothing:
 * no certificate is verified, the chain is only collected so that it can
 * be inspected or judged afterwards.
 * Returns: true on success; false with @error (TV_ERROR_IO for connection
 * and handshake failures, TV_ERROR_INPUT when the server sent no
 * certificate).
 */
bool cli_fetch_chain(const char *host, uint16_t port, const char *sni,
		     unsigned timeout_s, GPtrArray **der_out, GError **error);

#endif /* TV_CLI_FETCH_H */
