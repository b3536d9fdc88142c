#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `tlsverify verify` on every fixture chain: exit status, verdict, reasons and
# endpoint, in human and JSON output, at a fixed time.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

# A policy whose paths are relative to the conf file (the CLI runs elsewhere).
conf=$tv_tmp/conf.d
mkdir -p "$conf/pki"
cp "$F/ca.pem" "$F/crl.pem" "$conf/pki/"
cat >"$conf/00-test.conf" <<'CONF'
defaults = { verify_hostname = true; max_chain_length = 8; };
endpoints = (
  { name = "lab-default"; hosts = [ "*" ];
    chain = ( { use = "pem"; control = "required"; bundle = "pki/ca.pem"; } ); },
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "pki/ca.pem";
                crl = "pki/crl.pem"; } ); },
  { name = "payments"; hosts = [ "payments.internal.test" ];
    match_names = [ "spiffe://prod.example/payments" ];
    chain = ( { use = "pem"; control = "required"; bundle = "pki/ca.pem"; } ); }
);
CONF

T=$TV_TIME

# NAME RC VERDICT REASONS ENDPOINT CONF HOST ARGS...
tv_case "good chain is trusted" 0 trusted "" internal "$conf" \
	good.internal.test --time "$T" "$F/chain-good.pem"
tv_case "good chain, second DNS SAN" 0 trusted "" - "$conf" \
	www.good.internal.test --time "$T" "$F/chain-good.pem"
tv_case "expired leaf" 1 rejected expired internal "$conf" \
	good.internal.test --time "$T" "$F/chain-expired.pem"
tv_case "not yet valid leaf" 1 rejected not-yet-valid internal "$conf" \
	good.internal.test --time "$T" "$F/chain-notyet.pem"
tv_case "wrong host name" 1 rejected name-mismatch internal "$conf" \
	good.internal.test --time "$T" "$F/chain-wronghost.pem"
tv_case "IP SAN 127.0.0.1" 0 trusted "" lab-default "$conf" \
	127.0.0.1 --time "$T" "$F/chain-ip.pem"
tv_case "IP SAN ::1" 0 trusted "" lab-default "$conf" \
	::1 --time "$T" "$F/chain-ip.pem"
tv_case "IP 127.0.0.2 not in SANs" 1 rejected name-mismatch lab-default \
	"$conf" 127.0.0.2 --time "$T" "$F/chain-ip.pem"
tv_case "DNS name against IP-only leaf" 1 rejected name-mismatch internal \
	"$conf" good.internal.test --time "$T" "$F/chain-ip.pem"
tv_case "leaf from a rogue root" 1 rejected untrusted internal "$conf" \
	good.internal.test --time "$T" "$F/chain-rogue.pem"
tv_case "leaf without its intermediate" 1 rejected untrusted internal \
	"$conf" good.internal.test --time "$T" "$F/leaf-good.pem"
tv_case "leaf with --untrusted intermediate" 0 trusted "" internal "$conf" \
	good.internal.test --time "$T" --untrusted "$F/inter.pem" \
	"$F/leaf-good.pem"
tv_case "--untrusted rogue root does not help" 1 rejected untrusted \
	internal "$conf" good.internal.test --time "$T" \
	--untrusted "$F/rogue-ca.pem" "$F/leaf-good.pem"
tv_case "revoked by the CRL" 1 rejected revoked internal "$conf" \
	good.internal.test --time "$T" "$F/chain-revoked.pem"
tv_case "clientAuth-only leaf as server" 1 rejected purpose-mismatch \
	internal "$conf" good.internal.test --time "$T" \
	"$F/chain-clientonly.pem"
tv_case "clientAuth-only leaf with --purpose client" 0 trusted "" internal \
	"$conf" good.internal.test --time "$T" --purpose client \
	"$F/chain-clientonly.pem"
tv_case "serverAuth-only leaf with --purpose client" 1 rejected \
	purpose-mismatch internal "$conf" good.internal.test --time "$T" \
	--purpose client "$F/chain-good.pem"
tv_case "CN without SAN (no CN fallback)" 1 rejected name-mismatch \
	internal "$conf" good.internal.test --time "$T" "$F/chain-cn-only.pem"
tv_case "SPIFFE ID via match_names (exact host beats wildcard)" 0 trusted \
	"" payments "$conf" payments.internal.test --time "$T" \
	"$F/chain-spiffe.pem"
tv_case "match_names replaces the host" 1 rejected name-mismatch payments \
	"$conf" payments.internal.test --time "$T" "$F/chain-good.pem"
tv_case "SPIFFE leaf without match_names" 1 rejected name-mismatch \
	internal "$conf" good.internal.test --time "$T" "$F/chain-spiffe.pem"
tv_case "self-signed dev leaf without an exception" 1 rejected untrusted \
	lab-default "$conf" dev-box.local --time "$T" "$F/chain-dev.pem"

# Time forms and the validity boundaries of the good leaf (2024..2030).
tv_case "--time RFC 3339" 0 trusted "" internal "$conf" \
	good.internal.test --time 2026-06-01T12:00:00Z "$F/chain-good.pem"
tv_case "--time @EPOCH (2026-06-01)" 0 trusted "" internal "$conf" \
	good.internal.test --time @1780272000 "$F/chain-good.pem"
tv_case "good leaf after notAfter" 1 rejected expired internal "$conf" \
	good.internal.test --time 2030-01-02 "$F/chain-good.pem"
tv_case "good leaf before notBefore" 1 rejected not-yet-valid internal \
	"$conf" good.internal.test --time 2023-12-31 "$F/chain-good.pem"
tv_case "expired leaf inside its validity" 0 trusted "" internal "$conf" \
	good.internal.test --time 2020-06-01 "$F/chain-expired.pem"

# The shipped policy: api.openai.com is protected and uses the system store.
tv_case "forged api.openai.com against the shipped policy" 1 rejected \
	untrusted ai-providers "$TV_SRCDIR/conf.d" api.openai.com --time "$T" \
	"$F/chain-openai-forged.pem"

# Without the CRL the same leaf passes: the CRL is what rejects it.
nocrl=$tv_tmp/nocrl.d
mkdir -p "$nocrl"
cat >"$nocrl/00-nocrl.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF
tv_case "revoked leaf, endpoint without CRL" 0 trusted "" internal "$nocrl" \
	good.internal.test --time "$T" "$F/chain-revoked.pem"

# max_chain_length.
short=$tv_tmp/short.d
mkdir -p "$short"
cat >"$short/00-short.conf" <<CONF
defaults = { max_chain_length = 1; };
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF
tv_case "max_chain_length = 1" 1 rejected chain-too-long internal "$short" \
	good.internal.test --time "$T" "$F/chain-good.pem"

tv_done
