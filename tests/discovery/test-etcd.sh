#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The discovery plugin against a real etcd: TLS material for etcd, then
# test-discovery-etcd, which starts etcd on 127.0.0.1 (free ports) and
# stops it by PID; whatever it leaves behind is stopped here on exit.
set -eu
: "${TV_BUILDDIR:?}" "${TV_TMPDIR:?}"
if ! command -v etcd >/dev/null 2>&1; then
	echo "etcd not installed (Debian etcd-server): skipping"
	exit 77
fi
certtool=${CERTTOOL:-certtool}
mkdir -p "$TV_TMPDIR"
work=$(mktemp -d "$TV_TMPDIR/etcd.XXXXXX")
cleanup() {
	if [ -f "$work/pids" ]; then
		for pid in $(cat "$work/pids"); do
			kill "$pid" 2>/dev/null || true
		done
		for pid in $(cat "$work/pids"); do
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
				sleep 0.05
				i=$((i + 1))
			done
			kill -9 "$pid" 2>/dev/null || true
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# etcd's TLS (research notes §1.6): the server certificate also needs
# clientAuth (the gateway dials etcd's gRPC port with it); the client
# certificate has no CN (etcd's gateway refuses one with RBAC on).
tls=$work/tls
mkdir -p "$tls"
ct() { "$certtool" --no-text "$@" 2>>"$tls/certtool.log"; }
for k in ca server client; do
	ct --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$tls/$k.key"
done
cat >"$tls/ca.tmpl" <<'T'
cn = "tlsverify test etcd CA"
ca
cert_signing_key
expiration_days = 2
T
cat >"$tls/server.tmpl" <<'T'
cn = "etcd"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
tls_www_client
signing_key
encryption_key
expiration_days = 2
T
cat >"$tls/client.tmpl" <<'T'
organization = "tlsverify-test"
tls_www_client
signing_key
expiration_days = 2
T
ct --generate-self-signed --load-privkey "$tls/ca.key" \
	--template "$tls/ca.tmpl" --outfile "$tls/ca.pem"
for k in server client; do
	ct --generate-certificate --load-privkey "$tls/$k.key" \
		--load-ca-certificate "$tls/ca.pem" \
		--load-ca-privkey "$tls/ca.key" \
		--template "$tls/$k.tmpl" --outfile "$tls/$k.pem"
done

# Loopback only: no proxy may be consulted.
export no_proxy='*' NO_PROXY='*'
DISC_ETCD_DIR=$work "$TV_BUILDDIR/tests/discovery/test-discovery-etcd"
