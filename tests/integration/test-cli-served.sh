#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A chain fetched from a real TLS server (openssl s_server on 127.0.0.1) verifies
# like the file it was served from.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"
# shellcheck source=tests/integration/tls-server.sh
. "$TV_SRCDIR/tests/integration/tls-server.sh"

if ! command -v openssl >/dev/null 2>&1 ||
	! command -v gnutls-cli >/dev/null 2>&1; then
	echo "# SKIP openssl/gnutls-cli not installed (openssl, gnutls-bin)"
	exit 77
fi

# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
tv_on_exit() { tls_server_stop; }

T=$TV_TIME
conf=$tv_tmp/conf.d
mkdir -p "$conf"
cat >"$conf/00-test.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF

# served NAME CHAIN KEY RC REASONS: serve CHAIN, fetch it, verify it.
served() {
	s_name=$1 s_chain=$2 s_key=$3 s_rc=$4 s_reasons=$5
	s_got=$tv_tmp/served-$s_name.pem
	s_why=
	tls_server_start "$s_chain" "$s_key" "$tv_tmp/serv-$s_name.log" ||
		s_why="the TLS server did not start: $(tail -n 2 "$tv_tmp/serv-$s_name.log")"
	if [ -z "$s_why" ] && ! tls_server_fetch "$s_got"; then
		s_why="gnutls-cli could not fetch the chain: $(tail -n 2 "$s_got.log")"
	fi
	tls_server_stop
	# The served chain is the file, certificate for certificate.
	if [ -z "$s_why" ] && [ "$(grep -v -- '-----' "$s_got")" != \
		"$(grep -v -- '-----' "$s_chain")" ]; then
		s_why="served chain differs from $s_chain"
	fi
	tv_result "served $s_name: fetched from 127.0.0.1" "$s_why"

	tv_verify "$conf" --host good.internal.test --time "$T" --json "$s_got"
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "served $s_name: verdict" "$s_rc" \
		'([.reasons[]] | sort | join(",")) == $r
		 and .endpoint == "internal"' --arg r "$s_reasons"
}

served good "$F/chain-good.pem" "$F/leaf-good.key" 0 ""
served rogue "$F/chain-rogue.pem" "$F/leaf-rogue.key" 1 untrusted
served wronghost "$F/chain-wronghost.pem" "$F/leaf-wronghost.key" 1 \
	name-mismatch

tv_done
