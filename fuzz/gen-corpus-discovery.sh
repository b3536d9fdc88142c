#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the seed corpora of the discovery fuzz targets
# (fuzz/corpus/{jwks,consul-roots,etcd,pipeline}/): valid and near-valid
# SPIFFE bundles, Consul roots, etcd range replies and watch streams, and
# pipeline values.  Run by hand from the source tree (gen-corpus.sh runs it
# too); the output is committed, make never runs this.
#
# Usage: fuzz/gen-corpus-discovery.sh   (uses $CERTTOOL, default "certtool")
#
# Certificates come from a throw-away PKI whose keys are deleted here: CAs
# valid 2020-2040 (the pipeline validates at the current time), a leaf (not
# a CA) and an expired CA for the validation's refusals.
set -eu

cd "$(dirname "$0")"
certtool=${CERTTOOL:-certtool}
TZ=UTC
export TZ

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ct() {
	if ! "$certtool" --no-text "$@" 2>"$tmp/certtool.log"; then
		echo "gen-corpus-discovery.sh: $certtool $* failed:" >&2
		cat "$tmp/certtool.log" >&2
		exit 1
	fi
}

# cert NAME KEYTYPE SIGNER FROM UNTIL TEMPLATE-LINES: NAME.pem, NAME.b64
# (the DER in standard base64, as x5c holds it) and NAME.json (the PEM as
# the body of a JSON string).
cert() {
	name=$1 kt=$2 signer=$3 from=$4 until=$5
	shift 5
	case $kt in
	ec) ct --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$tmp/$name.key" ;;
	*) ct --generate-privkey --key-type="$kt" --outfile "$tmp/$name.key" ;;
	esac
	{
		echo "serial = $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
		echo "activation_date = \"$from 00:00:00 UTC\""
		echo "expiration_date = \"$until 00:00:00 UTC\""
		for line in "$@"; do echo "$line"; done
	} >"$tmp/$name.tmpl"
	if [ "$signer" = self ]; then
		ct --generate-self-signed --load-privkey "$tmp/$name.key" \
			--template "$tmp/$name.tmpl" --outfile "$tmp/$name.pem"
	else
		ct --generate-certificate --load-privkey "$tmp/$name.key" \
			--load-ca-certificate "$tmp/$signer.pem" \
			--load-ca-privkey "$tmp/$signer.key" \
			--template "$tmp/$name.tmpl" --outfile "$tmp/$name.pem"
	fi
	ct --certificate-info --infile "$tmp/$name.pem" --outder \
		--outfile "$tmp/$name.der"
	base64 -w0 "$tmp/$name.der" >"$tmp/$name.b64"
	awk '{ printf "%s\\n", $0 }' "$tmp/$name.pem" >"$tmp/$name.json"
}

cert ca-ec ec self 2020-01-01 2040-01-01 'cn = "fuzz disc EC CA"' \
	'uri = "spiffe://example.org"' ca cert_signing_key
cert ca-ed ed25519 self 2020-01-01 2040-01-01 'cn = "fuzz disc OKP CA"' \
	ca cert_signing_key
cert ca-old ed25519 self 2001-01-01 2002-01-01 'cn = "fuzz disc old CA"' \
	ca cert_signing_key
cert leaf ed25519 ca-ed 2020-01-01 2040-01-01 'cn = "leaf.example.org"' \
	'uri = "spiffe://example.org/web"' signing_key tls_www_server
rm -f "$tmp"/*.key

b() { cat "$tmp/$1.b64"; }
j() { cat "$tmp/$1.json"; }
b64() { printf '%s' "$1" | base64 -w0; }

# Seeds are rewritten; found-* files (reproducers) stay.
for d in jwks consul-roots etcd pipeline; do
	mkdir -p "corpus/$d"
	find "corpus/$d" -type f ! -name 'found-*' -exec rm -f {} +
done

# ---- SPIFFE bundles (JWK Sets) ----
ec_key() {
	printf '{"use":"x509-svid","kty":"EC","crv":"P-256","x5c":["%s"]}' \
		"$(b ca-ec)"
}
ed_key() {
	printf '{"use":"x509-svid","kty":"OKP","crv":"Ed25519","x5c":["%s"]}' \
		"$(b ca-ed)"
}
d=corpus/jwks
printf '{"keys":[%s],"spiffe_sequence":7,"spiffe_refresh_hint":300}' \
	"$(ec_key)" >$d/one-ec
printf '{"keys":[%s,%s]}' "$(ec_key)" "$(ed_key)" >$d/two
printf '{"keys":[%s,%s]}' "$(ec_key)" "$(ec_key)" >$d/duplicate-cert
printf '{"keys":[],"spiffe_sequence":9}' >$d/revoked
printf '{"keys":[{"use":"jwt-svid","kty":"EC","kid":"k","crv":"P-256","x":"AA","y":"AA"},%s]}' \
	"$(ed_key)" >$d/with-jwt-svid
printf '{"keys":[{"use":"x509-svid","kty":"RSA","x5c":["%s"]}]}' \
	"$(b ca-ec)" >$d/kty-mismatch
printf '{"keys":[{"use":"x509-svid","kty":"EC","x5c":["%s","%s"]}]}' \
	"$(b ca-ec)" "$(b ca-ed)" >$d/two-x5c
printf '{"keys":[{"use":"x509-svid","kty":"EC","x5c":["%s"]}]}' \
	"$(b ca-ec | tr '+/' '-_')" >$d/base64url
printf '{"keys":[{"use":"x509-svid","kty":"EC","x5c":["%s"]}]}' \
	"$(b ca-ec | cut -c1-200)" >$d/truncated-cert
printf '{"keys":[%s],"keys":[]}' "$(ec_key)" >$d/duplicate-member
printf '{"keys":[%s],"spiffe_sequence":-1}' "$(ed_key)" >$d/negative-sequence
printf '{"keys":[%s],"spiffe_sequence":1e3}' "$(ed_key)" >$d/float-sequence
printf '{"keys":{}}' >$d/keys-object
printf '[{"keys":[]}]' >$d/not-object
printf "{'keys':[/* c */]}" >$d/json-glib-extensions
# Deeper than the parsers allow (64), not deep enough to hurt.
{ printf '{"keys":'; head -c 100 /dev/zero | tr '\0' '['; } >$d/deep
printf '{"keys":[{"use":"x509-svid","kty":"EC","x5c":["\\u0000"]}]}' >$d/escaped-nul
: >$d/empty

# ---- Consul CA roots ----
d=corpus/consul-roots
root() { printf '{"ID":"%s","Name":"Consul CA","RootCert":"%s","Active":%s}' \
	"$1" "$(j "$2")" "$3"; }
printf '{"ActiveRootID":"r1","TrustDomain":"1111-2222.consul","Roots":[%s]}' \
	"$(root r1 ca-ec true)" >$d/one
printf '{"ActiveRootID":"r2","Roots":[%s,%s]}' "$(root r1 ca-ec false)" \
	"$(root r2 ca-ed true)" >$d/rotation
printf '{"ActiveRootID":"r1","Roots":[%s,%s]}' "$(root r1 ca-ec true)" \
	"$(root r1 ca-ec true)" >$d/duplicate-root
printf '{"ActiveRootID":"r9","Roots":[%s]}' "$(root r1 ca-ec true)" \
	>$d/active-missing
printf '{"Roots":[{"ID":"r1","RootCert":"%s%s"}]}' "$(j ca-ec)" \
	"$(j ca-ed)" >$d/two-certs-in-one
printf '{"Roots":[{"ID":"r1","RootCert":"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n"}]}' \
	>$d/bad-pem
printf '{"TrustDomain":"Not A Domain","Roots":[%s]}' "$(root r1 ca-ec true)" \
	>$d/bad-trust-domain
printf '{"Roots":null}' >$d/no-ca
printf '{"Roots":[]}' >$d/empty-roots
printf '{"Roots":[1]}' >$d/root-not-object
printf '{"Roots":[{"ID":"r1","RootCert":7}]}' >$d/root-cert-number
: >$d/empty

# ---- etcd: control byte, then the body (fuzz-etcd.c) ----
# Control: bit 0 watch, bit 1 prefix, bits 2-7 chunk size - 1.
d=corpus/etcd
key=$(b64 /tls/bundle)
val=$(base64 -w0 "$tmp/ca-ec.pem")
val2=$(base64 -w0 "$tmp/ca-ed.pem")
hdr='"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"12","raft_term":"2"}'
kv() { printf '{"key":"%s","create_revision":"5","mod_revision":"%s","version":"1","value":"%s"}' "$1" "$2" "$3"; }
range_key="{$hdr,\"kvs\":[$(kv "$key" 11 "$val")],\"count\":\"1\"}"
range_prefix="{$hdr,\"kvs\":[$(kv "$(b64 /tls/a.example)" 9 "$val"),$(kv "$(b64 /tls/b.example)" 11 "$val2")],\"count\":\"2\"}"
{ printf '\000'; printf '%s' "$range_key"; } >$d/range-key
{ printf '\002'; printf '%s' "$range_prefix"; } >$d/range-prefix
{ printf '\000'; printf '{%s}' "$hdr"; } >$d/range-empty
{ printf '\000'; printf '{"header":{"revision":12},"kvs":[%s]}' \
	"$(kv "$key" 11 "$val2")"; } >$d/range-number-revision
{ printf '\002'; printf '{%s,"kvs":[%s]}' "$hdr" \
	"$(kv "$(b64 /other/x)" 3 "$val")"; } >$d/range-outside-prefix
{ printf '\002'; printf '{%s,"kvs":[%s]}' "$hdr" \
	"$(kv "$(printf '/tl\000s/x' | base64 -w0)" 3 "$val")"; } >$d/range-nul-key
{ printf '\000'; printf '{%s,"kvs":{"key":"%s"}}' "$hdr" "$key"; } >$d/range-kvs-object
{ printf '\000'; printf '{%s,"kvs":[{"key":5,"value":[]}]}' "$hdr"; } >$d/range-wrong-types
{ printf '\000'; printf '{"error":"etcdserver: user name is empty","code":3,"message":"etcdserver: user name is empty"}'; } >$d/range-error
created='{"result":{"header":{"revision":"12"},"created":true}}'
progress='{"result":{"header":{"revision":"15"}}}'
put="{\"result\":{\"header\":{\"revision\":\"16\"},\"events\":[{\"kv\":$(kv "$key" 16 "$val2")}]}}"
del="{\"result\":{\"header\":{\"revision\":\"17\"},\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"$key\",\"mod_revision\":\"17\"}}]}}"
pput="{\"result\":{\"header\":{\"revision\":\"16\"},\"events\":[{\"kv\":$(kv "$(b64 /tls/c.example)" 16 "$val2")},{\"type\":\"DELETE\",\"kv\":{\"key\":\"$(b64 /tls/a.example)\",\"mod_revision\":\"16\"}}]}}"
compacted='{"result":{"header":{"revision":"40"},"canceled":true,"compact_revision":"30"}}'
werror='{"error":{"grpc_code":9,"http_code":400,"message":"etcdserver: mvcc: required revision has been compacted","http_status":"Bad Request"}}'
# Chunks of 1, 7 and 64 bytes.
{ printf '\001'; printf '%s\n%s\n%s\n%s\n' "$created" "$progress" "$put" "$del"; } >$d/watch-key-1
{ printf '\031'; printf '%s\n%s\n' "$created" "$put"; } >$d/watch-key-7
{ printf '\377'; printf '%s\n%s\n%s\n' "$created" "$pput" "$compacted"; } >$d/watch-prefix-64
{ printf '\033'; printf '%s\n\n%s\n' "$progress" "$werror"; } >$d/watch-error
{ printf '\001'; printf '%s\nnot json\n{"result":[]}\n{"result":{"events":[7]}}\n' "$created"; } >$d/watch-garbage
{ printf '\001'; printf '{"result":{"events":[{"type":"PUT","kv":{"key":"%s","value":"%s"}},{"type":"BOGUS","kv":{}}]}}\n' "$key" "$val"; } >$d/watch-half-bad
{ printf '\001'; printf '{"result":{"header":{"revision":"x"},"canceled":"yes"}}\n'; } >$d/watch-wrong-types
{ printf '\001'; printf '%s' "$created"; } >$d/watch-no-newline

# ---- pipeline: control byte, then the value (fuzz-pipeline.c) ----
# Control bits 0-1 modulo 3: 0 pem, 1 spiffe-jwks, 2 consul-roots; bit 2:
# trust domain example.org; bit 3: max_bundle_bytes 4096.
d=corpus/pipeline
{ printf '\000'; cat "$tmp/ca-ec.pem" "$tmp/ca-ed.pem"; } >$d/pem-two-cas
{ printf '\000'; cat "$tmp/leaf.pem"; } >$d/pem-leaf-not-ca
{ printf '\000'; cat "$tmp/ca-old.pem"; } >$d/pem-expired
{ printf '\000'; head -c 300 "$tmp/ca-ec.pem"; } >$d/pem-truncated
{ printf '\010'; for i in 1 2 3 4 5 6 7 8; do cat "$tmp/ca-ec.pem"; done; } >$d/pem-over-cap
{ printf '\005'; cat corpus/jwks/one-ec; } >$d/jwks-one
{ printf '\005'; cat corpus/jwks/revoked; } >$d/jwks-revoked
{ printf '\001'; cat corpus/jwks/two; } >$d/jwks-unscoped
{ printf '\005'; printf '{"keys":[{"use":"x509-svid","kty":"OKP","x5c":["%s"]}]}' \
	"$(b leaf)"; } >$d/jwks-leaf-not-ca
{ printf '\002'; cat corpus/consul-roots/rotation; } >$d/consul-rotation
{ printf '\006'; cat corpus/consul-roots/one; } >$d/consul-other-domain
: >$d/empty

echo "gen-corpus-discovery.sh: corpora written under $(pwd)/corpus"
