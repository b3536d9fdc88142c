#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `tlsverify connect` and examples/https-get against real TLS servers
# (openssl s_server on 127.0.0.1, one per case, stopped by PID): server
# verification, client certificates (PEM files and a SoftHSM2 token), SNI,
# and network errors.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "# SKIP openssl not installed"
	exit 77
fi

M=$TV_TMPDIR/mtls-pki
HTTPS_GET=$TV_BUILDDIR/examples/https-get
if [ ! -f "$M/client-good.pem" ]; then
	echo "Bail out! no mTLS fixtures in $M (tests/fixtures/gen-mtls-pki.sh)"
	exit 99
fi

srv_pid=
srv_port=
srv_log=
stall_pid=

srv_stop() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null || :
		wait "$srv_pid" 2>/dev/null || :
		srv_pid=
	fi
}

# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
tv_on_exit() {
	srv_stop
	if [ -n "$stall_pid" ]; then
		kill "$stall_pid" 2>/dev/null || :
		wait "$stall_pid" 2>/dev/null || :
	fi
}

# srv_start NAME OPTION...: openssl s_server on 127.0.0.1 with OPTIONs; sets
# srv_pid, srv_port and srv_log.  A busy random port makes the server exit
# and another is tried.
srv_start() {
	s_name=$1
	shift
	srv_log=$tv_tmp/server-$s_name.log
	s_attempt=0
	while [ "$s_attempt" -lt 5 ]; do
		s_attempt=$((s_attempt + 1))
		srv_port=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 30000))
		# The previous server's log may still say ACCEPT until this one
		# truncates it, which happens after the fork, on its own time.
		rm -f "$srv_log"
		openssl s_server -accept "127.0.0.1:$srv_port" "$@" \
			</dev/null >"$srv_log" 2>&1 &
		srv_pid=$!
		# Bounded: at most 100 polls of 0.1 s for the ACCEPT line.
		s_poll=0
		while [ "$s_poll" -lt 100 ]; do
			if grep -q '^ACCEPT' "$srv_log" 2>/dev/null; then
				return 0
			fi
			kill -0 "$srv_pid" 2>/dev/null || break
			s_poll=$((s_poll + 1))
			sleep 0.1
		done
		srv_stop
	done
	echo "# openssl s_server did not start: $(tail -n 3 "$srv_log")"
	return 1
}

# srv_log_has ERE: whether the server logged ERE, waiting up to 5 s for it
# (the server logs after our connection ended, on its own schedule).
srv_log_has() {
	s_poll=0
	while [ "$s_poll" -lt 50 ]; do
		grep -Eq -- "$1" "$srv_log" && return 0
		s_poll=$((s_poll + 1))
		sleep 0.1
	done
	return 1
}

# serve LEAF OPTION...: a server presenting fixture leaf-LEAF.pem with the
# intermediate.
serve() {
	s_leaf=$1
	shift
	srv_start "$s_leaf" -cert "$F/leaf-$s_leaf.pem" \
		-key "$F/leaf-$s_leaf.key" -cert_chain "$F/inter.pem" "$@"
}

# conf NAME ENDPOINT-SETTINGS [ANCHOR]: a policy whose endpoint "loop"
# (127.0.0.1) trusts the test root (and ANCHOR); a catch-all keeps the
# system store out.
conf() {
	mkdir -p "$tv_tmp/$1"
	cat >"$tv_tmp/$1/50-test.conf" <<CONF
endpoints = (
  { name = "loop"; hosts = [ "127.0.0.1" ];
    chain = ( { use = "pem"; control = "required";
                bundle = [ "$F/ca.pem"${3:+, \"$3\"} ]; } );
    $2
  },
  { name = "catch-all"; hosts = [ "*" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF
}

# https_get CONF PORT: examples/https-get with the built plugins, checked
# like a CLI run (tv_rc, tv_out, tv_err).
https_get() {
	tv_cmd="https-get $tv_tmp/$1 127.0.0.1 $2"
	tv_rc=0
	TLSVERIFY_PLUGIN_DIR=$TV_BUILD_PLUGIN_DIR "$HTTPS_GET" "$tv_tmp/$1" \
		127.0.0.1 "$2" >"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
}

# tv_connect CONF ARG...: `connect` with the built plugins.
tv_connect() {
	c_conf=$tv_tmp/$1
	shift
	tv_run --conf-dir "$c_conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
		connect "$@"
}

conf base ""
conf mtls "client = { use = \"mtls\"; certificate = \"$M/client-good.pem\";
              key = \"$M/client-good.key\"; };"
conf mtls-other "client = { use = \"mtls\"; certificate = \"$M/client-other.pem\";
              key = \"$M/client-other.key\"; };"
# openssl's second context (-cert2) has no chain: trust its issuer.
conf sni "sni = \"good.internal.test\";" "$F/inter.pem"
conf inter "" "$F/inter.pem"

# --- server verification --------------------------------------------------

serve ip -www
tv_connect base "127.0.0.1:$srv_port"
tv_check_out "good chain: trusted" 0 '^verdict: trusted$'
tv_check_out "good chain: negotiated protocol printed" 0 '^tls: TLS1\.[23] '
tv_check_out "good chain: pins printed" 0 \
	'^      pin:     sha256//[A-Za-z0-9+/]{43}=$'
tv_connect base --json "127.0.0.1:$srv_port"
tv_check "good chain: --json" 0 '
	.result.verdict == "trusted" and .result.endpoint == "loop"
	and .tls.handshake == "completed" and (.tls.protocol | startswith("TLS"))
	and .tls.client_certificate_sent == false and .error == null
	and (.peer | length) == 2 and (.peer[0].names | index("IP:127.0.0.1"))
	and (.peer[0].pin | startswith("sha256//"))
	and (.peer[1].subject | contains("tlsverify test intermediate"))'
https_get base "$srv_port"
tv_check_out "https-get: request and response round-trip" 0 '^HTTP/1\.0 200 ok$'
srv_stop

# rejected NAME LEAF REASON: the policy rejects LEAF served on 127.0.0.1
# with REASON; exit 1; the server saw our bad_certificate alert.
rejected() {
	serve "$2" -www
	tv_connect base --json "127.0.0.1:$srv_port"
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "$1: rejected ($3)" 1 '
		.result.verdict == "rejected" and (.result.reasons | index($r))
		and .tls.handshake == "failed" and .error == null' \
		--arg r "$3"
	r_why=
	srv_log_has 'alert bad certificate|SSL alert number 42' ||
		r_why="server log has no bad_certificate alert: $(tail -n 2 "$srv_log")"
	tv_result "$1: the server received a bad_certificate alert" "$r_why"
	tv_connect base "127.0.0.1:$srv_port"
	tv_check_out "$1: human verdict" 1 "^verdict: rejected \\(.*$3.*\\): "
	https_get base "$srv_port"
	tv_check_err "$1: https-get refuses, sends no request" 1 \
		'^handshake failed: '
	srv_stop
}

rejected "expired" expired expired
rejected "wrong host" good name-mismatch
rejected "untrusted CA" rogue untrusted

# --- client certificates -------------------------------------------------

mtls_server() {
	serve ip -Verify 1 -verify_return_error -CAfile "$M/client-ca.pem" "$@"
}

mtls_server -www
tv_connect mtls --json "127.0.0.1:$srv_port"
tv_check "mTLS, right certificate: completed" 0 '
	.result.verdict == "trusted" and .tls.handshake == "completed"
	and .tls.client_certificate_requested and .tls.client_certificate_sent
	and .error == null'
tv_connect mtls "127.0.0.1:$srv_port"
tv_check_out "mTLS, right certificate: human output says sent" 0 \
	'^client certificate: sent$'
https_get mtls "$srv_port"
tv_check_out "mTLS, right certificate: data round-trips (https-get)" 0 \
	'^HTTP/1\.0 200 ok$'

tv_connect base --json "127.0.0.1:$srv_port"
tv_check "mTLS, no certificate: the server refuses (exit 2)" 2 '
	.result.verdict == "trusted" and .tls.client_certificate_requested
	and .tls.client_certificate_sent == false
	and (.error | test("requires a client certificate"))'
tv_connect base "127.0.0.1:$srv_port"
tv_check_err "mTLS, no certificate: the message says so" 2 \
	'server requires a client certificate and the endpoint has none'

tv_connect mtls-other --json "127.0.0.1:$srv_port"
tv_check "mTLS, other CA: the server refuses (exit 2)" 2 '
	.tls.client_certificate_sent
	and (.error | test("refused our client certificate"))'
tv_connect mtls-other "127.0.0.1:$srv_port"
tv_check_err "mTLS, other CA: the message names the alert" 2 \
	"alert 'CA is unknown': the server refused our client certificate"
srv_stop

# -rev echoes reversed lines: a second server kind, same verdicts.
mtls_server -rev
tv_connect mtls "127.0.0.1:$srv_port"
tv_check_out "mTLS with -rev server: completed" 0 '^verdict: trusted$'
srv_stop

# --- SNI -----------------------------------------------------------------

# The server knows one name and refuses any other (or none, the second
# context then never applies); the endpoint's sni sends it for an address.
serve ip -www -servername good.internal.test -servername_fatal \
	-cert2 "$F/leaf-ip.pem" -key2 "$F/leaf-ip.key"
tv_connect sni --json "127.0.0.1:$srv_port"
tv_check "SNI from the endpoint's sni: accepted by the server" 0 '
	.result.verdict == "trusted" and .sni == null'
tv_connect sni --sni other.internal.test "127.0.0.1:$srv_port"
tv_check_err "SNI: --sni beats the endpoint's sni (server refuses it)" 2 \
	"alert 'The server name sent was not recognized'"
tv_connect inter --sni good.internal.test --json "127.0.0.1:$srv_port"
tv_check "SNI: --sni alone" 0 \
	'.result.verdict == "trusted" and .sni == "good.internal.test"'
srv_stop

# --- network and usage errors ---------------------------------------------

# A port nothing listens on: the one just released.
tv_connect base "127.0.0.1:$srv_port"
tv_check_err "refused connection: exit 2" 2 \
	"cannot connect to 127\\.0\\.0\\.1 port $srv_port: Connection refused"
tv_connect base "127.0.0.1:99999"
tv_check_err "bad port: usage error" 2 "is not HOST, HOST:PORT"
tv_connect base --timeout 0 "127.0.0.1:443"
tv_check_err "bad timeout: usage error" 2 "--timeout: '0'"
tv_connect base
tv_check_err "no host: usage error" 2 "missing HOST"

if command -v python3 >/dev/null 2>&1; then
	# A server that accepts and then says nothing: the handshake times
	# out after --timeout.
	stall_log=$tv_tmp/stall.log
	python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
time.sleep(60)
' >"$stall_log" 2>&1 &
	stall_pid=$!
	s_poll=0
	while [ "$s_poll" -lt 100 ] && ! grep -q '^[0-9]' "$stall_log"; do
		s_poll=$((s_poll + 1))
		sleep 0.1
	done
	stall_port=$(head -n 1 "$stall_log")
	tv_connect base --timeout 0.5 "127.0.0.1:$stall_port"
	tv_check_err "silent server: handshake times out, exit 2" 2 \
		'timed out after 0\.5 s in the TLS handshake'
	kill "$stall_pid" 2>/dev/null || :
	wait "$stall_pid" 2>/dev/null || :
	stall_pid=
else
	echo "# python3 missing: no timeout case"
fi

# --- a client key in a PKCS#11 token (SoftHSM2) ----------------------------

module=
for m in /usr/lib/softhsm/libsofthsm2.so \
	/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -f "$m" ] && module=$m && break
done
if [ -z "$module" ] || ! command -v softhsm2-util >/dev/null 2>&1 ||
	! command -v p11tool >/dev/null 2>&1; then
	echo "# SoftHSM2 or p11tool missing: no PKCS#11 case (./bootstrap installs them)"
	tv_done
fi

hsm=$tv_tmp/softhsm
mkdir -p "$hsm/tokens"
cat >"$hsm/softhsm2.conf" <<CONF
directories.tokendir = $hsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
SOFTHSM2_CONF=$hsm/softhsm2.conf
export SOFTHSM2_CONF
hsm_why=
softhsm2-util --init-token --free --label tlsverify-test --pin 1234 \
	--so-pin 5678 >"$hsm/init.log" 2>&1 ||
	hsm_why="softhsm2-util --init-token failed: $(tail -n 2 "$hsm/init.log")"
for what in "--load-privkey $M/client-good.key" \
	"--load-certificate $M/client-good.pem"; do
	[ -z "$hsm_why" ] || break
	# shellcheck disable=SC2086 # two words on purpose
	p11tool --provider "$module" --login --set-pin 1234 --write $what \
		--label client --id 01 "pkcs11:token=tlsverify-test" \
		>"$hsm/write.log" 2>&1 ||
		hsm_why="p11tool --write failed: $(tail -n 2 "$hsm/write.log")"
done
tv_result "SoftHSM2 token with the client key" "$hsm_why"

printf '1234\n' >"$hsm/pin"
chmod 600 "$hsm/pin"
key_uri="pkcs11:token=tlsverify-test;object=client;type=private"
conf pkcs11 "client = { use = \"mtls\"; certificate = \"$M/client-good.pem\";
              key = \"$key_uri\"; pin_file = \"$hsm/pin\";
              pkcs11_module = \"$module\"; };"
conf pkcs11-uri "client = { use = \"mtls\";
              certificate = \"pkcs11:token=tlsverify-test;object=client;type=cert\";
              key = \"$key_uri;pin-value=1234\";
              pkcs11_module = \"$module\"; };"
printf '9999\n' >"$hsm/wrong-pin"
chmod 600 "$hsm/wrong-pin"
conf pkcs11-wrong "client = { use = \"mtls\"; certificate = \"$M/client-good.pem\";
              key = \"$key_uri\"; pin_file = \"$hsm/wrong-pin\";
              pkcs11_module = \"$module\"; };"

mtls_server -www
tv_connect pkcs11 --json "127.0.0.1:$srv_port"
tv_check "PKCS#11 key (pin_file): client certificate sent and accepted" 0 '
	.result.verdict == "trusted" and .tls.client_certificate_sent
	and .error == null'
tv_connect pkcs11-uri --json "127.0.0.1:$srv_port"
tv_check "PKCS#11 key and certificate (URIs, pin-value): accepted" 0 '
	.result.verdict == "trusted" and .tls.client_certificate_sent'
https_get pkcs11 "$srv_port"
tv_check_out "PKCS#11 key: data round-trips (https-get)" 0 '^HTTP/1\.0 200 ok$'
srv_stop
tv_connect pkcs11-wrong "127.0.0.1:$srv_port"
tv_check_err "PKCS#11 wrong PIN: configuration error naming pin_file" 2 \
	"50-test\\.conf:[0-9]+: key 'pin_file': the token refused the PIN"
if grep -q '1234\|9999' "$tv_err"; then
	tv_result "PKCS#11: no PIN in messages" "a PIN appears on stderr"
else
	tv_result "PKCS#11: no PIN in messages" ""
fi

tv_done
