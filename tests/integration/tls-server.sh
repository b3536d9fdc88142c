# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
# A throw-away TLS server on 127.0.0.1 for the integration tests and the
# demo (sourced, not run): openssl s_server, which (unlike gnutls-serv)
# can bind the loopback address only; -www keeps it serving whatever its
# standard input says.  The caller kills it by PID (tls_server_stop),
# normally from an EXIT trap.
#
#   tls_server_start CERT KEY LOG   sets tls_server_pid and tls_server_port
#   tls_server_fetch FILE           saves the chain the server presents
#   tls_server_stop

tls_server_pid=
tls_server_port=

# A random port in 30000..59999; a busy one is detected by the server
# exiting, and another is tried.
tls_server_random_port() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 30000))
}

tls_server_start() {
	ts_attempt=0
	while [ "$ts_attempt" -lt 5 ]; do
		ts_attempt=$((ts_attempt + 1))
		tls_server_port=$(tls_server_random_port)
		# CERT holds the leaf then the intermediates: -cert takes the
		# first, -cert_chain the rest.
		awk 'f; /END CERTIFICATE/ { f = 1 }' "$1" >"$3.chain"
		# A stale ACCEPT from an earlier server must not pass for this
		# one: the redirection below truncates only once forked.
		rm -f "$3"
		openssl s_server -accept "127.0.0.1:$tls_server_port" \
			-cert "$1" -key "$2" -cert_chain "$3.chain" -www \
			</dev/null >"$3" 2>&1 &
		tls_server_pid=$!
		# Bounded: at most 100 polls of 0.1 s for the listening line.
		ts_poll=0
		while [ "$ts_poll" -lt 100 ]; do
			if grep -q '^ACCEPT' "$3" 2>/dev/null; then
				return 0
			fi
			kill -0 "$tls_server_pid" 2>/dev/null || break
			ts_poll=$((ts_poll + 1))
			sleep 0.1
		done
		tls_server_stop
	done
	echo "tls-server.sh: openssl s_server did not start (see $3)" >&2
	return 1
}

# tls_server_fetch FILE: the chain presented on 127.0.0.1:$tls_server_port,
# saved as PEM without verifying it (that is the CLI's job).
tls_server_fetch() {
	timeout 10 gnutls-cli --port "$tls_server_port" --save-cert="$1" \
		--no-ca-verification 127.0.0.1 </dev/null >"$1.log" 2>&1
}

tls_server_stop() {
	if [ -n "$tls_server_pid" ]; then
		kill "$tls_server_pid" 2>/dev/null || :
		wait "$tls_server_pid" 2>/dev/null || :
		tls_server_pid=
	fi
}
