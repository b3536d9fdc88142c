#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the committed seed corpora of the fuzz targets (fuzz/corpus/)
# and what the chain target knows of their PKI (fuzz/chain-anchor.h: the
# root certificate and the hash of the one leaf it may trust).  Run by hand
# from the source tree; the output is committed, make never runs this.
#
# Usage: fuzz/gen-corpus.sh   (uses $CERTTOOL, default "certtool")
#
# The chain seeds are a throw-away Ed25519 PKI (Ed25519 signatures are not
# malleable, so no mutation of a seed can stay validly signed): the keys
# are deleted here, only certificates are kept.  Fixed dates; the chain
# target verifies at a fixed time (2030-06-01), so nothing here expires.
set -eu

cd "$(dirname "$0")"
certtool=${CERTTOOL:-certtool}
TZ=UTC
export TZ

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ct() {
	if ! "$certtool" --no-text "$@" 2>"$tmp/certtool.log"; then
		echo "gen-corpus.sh: $certtool $* failed:" >&2
		cat "$tmp/certtool.log" >&2
		exit 1
	fi
}

# cert NAME SERIAL SIGNER TEMPLATE-LINES: NAME.pem/NAME.der on a fresh
# Ed25519 key, signed by SIGNER ("self" for a root).
cert() {
	name=$1 serial=$2 signer=$3
	shift 3
	ct --generate-privkey --key-type=ed25519 --outfile "$tmp/$name.key"
	{
		echo "serial = $serial"
		echo 'activation_date = "2020-01-01 00:00:00 UTC"'
		echo 'expiration_date = "2040-01-01 00:00:00 UTC"'
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
}

cert ca 1 self 'cn = "tlsverify fuzz root"' ca cert_signing_key
cert inter 2 ca 'cn = "tlsverify fuzz intermediate"' ca cert_signing_key \
	'path_len = 0'
cert leaf 3 inter 'cn = "fuzz.example"' 'dns_name = "fuzz.example"' \
	signing_key tls_www_server
cert other 4 inter 'cn = "other.example"' 'dns_name = "other.example"' \
	signing_key tls_www_server
cert client 5 inter 'cn = "fuzz.example"' 'dns_name = "fuzz.example"' \
	signing_key tls_www_client
cert stray 6 self 'cn = "tlsverify fuzz stray root"' ca cert_signing_key
rm -f "$tmp"/*.key

leaf_sha=$(sha256sum "$tmp/leaf.der" | cut -d' ' -f1)
{
	echo '/* SPDX-License-Identifier: LGPL-2.1-or-later */'
	echo '/* The PKI of the chain seeds: written by fuzz/gen-corpus.sh. */'
	echo '#ifndef TV_FUZZ_CHAIN_ANCHOR_H'
	echo '#define TV_FUZZ_CHAIN_ANCHOR_H'
	echo
	echo '/* The root (its key was deleted when the seeds were made). */'
	echo 'static const char fuzz_chain_root_pem[] ='
	sed 's/.*/\t"&\\n"/' "$tmp/ca.pem"
	echo '\t;'
	echo
	echo '/* SHA-256 of the DER of the one leaf valid for fuzz.example. */'
	echo "static const char fuzz_chain_leaf_sha256[] = \"$leaf_sha\";"
	echo
	echo '#endif'
} >chain-anchor.h
if command -v clang-format >/dev/null 2>&1; then
	clang-format -i chain-anchor.h
	clang-format -i chain-anchor.h
fi

# frame FILE DER...: the chain target's input, each DER behind a two-byte
# big-endian length.
frame() {
	out=$1
	shift
	: >"$out"
	for der in "$@"; do
		n=$(wc -c <"$der")
		printf "\\$(printf %03o $((n / 256)))\\$(printf %03o $((n % 256)))" >>"$out"
		cat "$der" >>"$out"
	done
}

# Seeds are rewritten; found-* files (reproducers of what fuzzing found)
# stay.
if [ -d corpus ]; then
	find corpus -type f ! -name 'found-*' -exec rm -f {} +
fi
mkdir -p corpus/chain corpus/spki corpus/policy corpus/host corpus/time \
	corpus/pin
d=$tmp
frame corpus/chain/trusted "$d/leaf.der" "$d/inter.der"
frame corpus/chain/reversed-with-root "$d/leaf.der" "$d/ca.der" "$d/inter.der"
frame corpus/chain/leaf-only "$d/leaf.der"
frame corpus/chain/name-mismatch "$d/other.der" "$d/inter.der"
frame corpus/chain/client-purpose "$d/client.der" "$d/inter.der"
frame corpus/chain/stray-root "$d/stray.der"
frame corpus/chain/four "$d/leaf.der" "$d/inter.der" "$d/stray.der" \
	"$d/ca.der"
printf '\000\004\060\002\001\000' >corpus/chain/tiny-der
printf '\377\377\060' >corpus/chain/short-length
: >corpus/chain/empty

cp "$d/leaf.der" corpus/spki/leaf
cp "$d/ca.der" corpus/spki/root
head -c 200 "$d/inter.der" >corpus/spki/truncated
printf '\060\200\060\200\240\003\002\001\002\002\001\001' >corpus/spki/indefinite
printf '\060\204\377\377\377\377' >corpus/spki/huge-length
printf '\060\003\060\001' >corpus/spki/nested-short
: >corpus/spki/empty

cat >corpus/policy/endpoints <<'CONF'
defaults = { verify_hostname = true; max_chain_length = 4;
  cache = { size = 16; ttl = 60; }; };
endpoints = (
  { name = "web"; hosts = [ "*.example.com", "api.example.com:8443",
      "[::1]:443", "10.0.0.1" ];
    chain = ( { use = "system"; control = "requisite"; },
              { use = "pin"; control = "optional";
                pins = [ "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" ];
                mode = "report"; } );
    match_names = [ "spiffe://prod.example/web" ]; },
  { name = "any"; hosts = [ "*" ];
    chain = ( { use = "system"; control = "sufficient"; } ); }
);
CONF
cat >corpus/policy/insecure <<'CONF'
endpoints = (
  { name = "dev"; hosts = [ "dev.local", "dev.local:8080" ];
    insecure_skip_verify = true; reason = "fuzz seed";
    owner = "nobody"; expires = "2027-01-31"; }
);
CONF
cat >corpus/policy/protected <<'CONF'
endpoints = (
  { name = "p"; protected = true; hosts = [ "api.openai.com" ];
    chain = ( { use = "system"; control = "required"; } ); },
  { name = "x"; hosts = [ "api.openai.com:443" ];
    insecure_skip_verify = true; reason = "r"; expires = "2030-01-01"; }
);
CONF
cat >corpus/policy/pem-missing <<'CONF'
endpoints = ( { name = "i"; hosts = [ "*.internal.example" ];
  chain = ( { use = "pem"; control = "required"; bundle = "nope.pem";
              crl = [ "a.crl" ]; } ); } );
CONF
printf 'endpoints = ( { name = "a" ' >corpus/policy/syntax-error
printf 'defaults = { unknown = 1; };\n' >corpus/policy/unknown-key
: >corpus/policy/empty

for s in api.example.com '*.example.com:443' '*' '*:8443' '[::1]:443' \
	'::1' 10.0.0.1 'Example.COM.' 'a..b' '*.:1' 'host:65536' \
	'host:0' '*.*.x' '[fe80::1%eth0]:1' 'a:b:c'; do
	printf '%s' "$s" >"corpus/host/$(printf '%s' "$s" | od -An -tx1 |
		tr -d ' \n')"
done

for s in 2027-01-31T00:00:00Z 2027-01-31 @0 @-1 @9223372036854775807 \
	2027-02-30 2027-01-31T25:00:00Z 2027-01-31T00:00:00.123456Z \
	2027-01-31T00:00:00+01:00 '@' 9999-12-31T23:59:60z 0000-00-00; do
	printf '%s' "$s" >"corpus/time/$(printf '%s' "$s" | od -An -tx1 |
		tr -d ' \n')"
done

for s in 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' \
	'sha256:0000000000000000000000000000000000000000000000000000000000000000' \
	'SHA256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' \
	'sha1//AAAA' 'sha256//' 'sha256//A' 'sha256:zz' \
	'missing.pem' './sha256:x' 'fuzz.conf' 'a"b\c'; do
	printf '%s' "$s" >"corpus/pin/$(printf '%s' "$s" | cksum | cut -d' ' -f1)"
done
echo "gen-corpus.sh: corpora written under $(pwd)/corpus"
# The discovery plugin's targets (their own script: their own PKI).
sh ./gen-corpus-discovery.sh
