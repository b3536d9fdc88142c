#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Generate the benchmark PKIs and policies of bench-suite into OUTDIR.
#
# Usage: gen-bench-pki.sh OUTDIR [BUCKET_CMD]   ($CERTTOOL, default certtool)
#
# With BUCKET_CMD (a command that prints how many system CAs share the
# default 127-bucket GnuTLS list bucket of the root PEM file it is given,
# e.g. "bench-targets --bucket"), also rsa2048-collide: an RSA-2048 chain
# whose root's subject is chosen so that at least two system CAs share its
# bucket, the case the default list makes slow (target 3).
#
# One directory per chain type, each with root.pem, the issuing CA as
# inter.pem, leaf.pem and chain.pem (leaf first, then the intermediates;
# the root is not sent):
#   rsa2048 rsa4096 p256 ed25519   3-level root -> inter -> leaf
#   rsa2048-5                      5-level root -> i1 -> i2 -> i3 -> leaf
# Leaf SANs leaf.example.test and www.example.test, EKU serverAuth, valid
# 2020-01-01..2040-01-01 (verified at "now", so the cache applies).
#
# Policies in OUTDIR/conf/<chain>-<kind>, host leaf.example.test:
#   pem    one pem step with the root, cache off
#   pin    the pem step, then a pin step (leaf key, inter key as backup)
#   cache  the pem step with a 4096-entry cache
#   sys    one system step (the store does not hold the root: a miss)
# and for rsa2048 only, OUTDIR/conf/rsa2048-crl (the pem step with the
# root's and the issuing CA's CRLs: revocation required), and
# OUTDIR/conf/match-10 and match-100000: the pem
# endpoint plus 9 or 99,999 other endpoints (one pin step each: a pem step
# would load a trust list per endpoint, gigabytes at 100,000).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
	echo "usage: $0 OUTDIR [BUCKET_CMD]" >&2
	exit 2
fi
out=$1
bucket=${2:-}
certtool=${CERTTOOL:-certtool}
TZ=UTC
export TZ
mkdir -p "$out"
cd "$out"
out=$(pwd)

ct() {
	if ! "$certtool" --no-text "$@" 2>certtool.log; then
		echo "gen-bench-pki.sh: $certtool $* failed:" >&2
		cat certtool.log >&2
		exit 1
	fi
}

genkey() { # FILE TYPE
	case $2 in
	rsa2048*) ct --generate-privkey --key-type=rsa --bits=2048 --outfile "$1" ;;
	rsa4096) ct --generate-privkey --key-type=rsa --bits=4096 --outfile "$1" ;;
	p256) ct --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" ;;
	ed25519) ct --generate-privkey --key-type=ed25519 --outfile "$1" ;;
	esac
}

# ca NAME SERIAL ISSUER TYPE [CN]: a CA certificate (self-signed when ISSUER
# is "self"); an existing NAME.key is reused.
ca() {
	[ -f "$1.key" ] || genkey "$1.key" "$4"
	cat >"$1.tmpl" <<TMPL
serial = $2
activation_date = "2020-01-01 00:00:00 UTC"
expiration_date = "2040-01-01 00:00:00 UTC"
cn = "${5:-tlsverify bench $1}"
organization = "tlsverify bench $4"
ca
cert_signing_key
crl_signing_key
TMPL
	if [ "$3" = self ]; then
		ct --generate-self-signed --load-privkey "$1.key" \
			--template "$1.tmpl" --outfile "$1.pem"
	else
		ct --generate-certificate --load-privkey "$1.key" \
			--load-ca-certificate "$3.pem" --load-ca-privkey "$3.key" \
			--template "$1.tmpl" --outfile "$1.pem"
	fi
}

pki() { # TYPE LEVELS
	mkdir -p "$out/$1"
	cd "$out/$1"
	if [ "${1%-collide}" != "$1" ]; then
		# Try root names until one lands in a crowded bucket.
		i=0
		while :; do
			i=$((i + 1))
			ca root 1 self "$2" "tlsverify bench collide $i"
			if ! n=$($bucket root.pem) || [ -z "$n" ]; then
				echo "gen-bench-pki.sh: $bucket failed" >&2
				exit 1
			fi
			[ "$n" -ge 2 ] && break
			if [ "$i" -ge 500 ]; then
				echo "gen-bench-pki.sh: no colliding root name" >&2
				exit 1
			fi
		done
	else
		ca root 1 self "$2"
	fi
	if [ "$3" = 5 ]; then
		ca i1 2 root "$2"
		ca i2 3 i1 "$2"
		ca inter 4 i2 "$2"
		inters="inter.pem i2.pem i1.pem"
	else
		ca inter 2 root "$2"
		inters="inter.pem"
	fi
	genkey leaf.key "$2"
	cat >leaf.tmpl <<'TMPL'
serial = 100
activation_date = "2020-01-01 00:00:00 UTC"
expiration_date = "2040-01-01 00:00:00 UTC"
cn = "leaf.example.test"
dns_name = "leaf.example.test"
dns_name = "www.example.test"
signing_key
encryption_key
tls_www_server
TMPL
	ct --generate-certificate --load-privkey leaf.key \
		--load-ca-certificate inter.pem --load-ca-privkey inter.key \
		--template leaf.tmpl --outfile leaf.pem
	# shellcheck disable=SC2086 # file names without blanks
	cat leaf.pem $inters >chain.pem
	chmod 0600 ./*.key
	rm -f certtool.log
	cd "$out"
}

pki rsa2048 rsa2048 3
# CRLs of the rsa2048 root and issuing CA (the latter revoking another
# leaf), valid from now on for a year: the tv-pem+crl contender.
cd "$out/rsa2048"
cat >crl.tmpl <<'TMPL'
crl_next_update = 365
crl_number = 1
TMPL
sed 's/^serial = 100$/serial = 101/' leaf.tmpl >revoked.tmpl
ct --generate-certificate --load-privkey leaf.key \
	--load-ca-certificate inter.pem --load-ca-privkey inter.key \
	--template revoked.tmpl --outfile revoked.pem
ct --generate-crl --load-ca-privkey root.key --load-ca-certificate root.pem \
	--template crl.tmpl --outfile root.crl
ct --generate-crl --load-ca-privkey inter.key --load-ca-certificate inter.pem \
	--load-certificate revoked.pem --template crl.tmpl --outfile inter.crl
rm -f certtool.log
cd "$out"
pki rsa4096 rsa4096 3
pki p256 p256 3
pki ed25519 ed25519 3
pki rsa2048-5 rsa2048 5
[ -z "$bucket" ] || pki rsa2048-collide rsa2048 3

# A pin that matches nothing here: the other endpoints are never asked.
filler_pin="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

pem_step() { # CHAIN
	printf '{ use = "pem"; control = "required"; bundle = "%s/%s/root.pem"; }' \
		"$out" "$1"
}

policy() { # DIR CACHE_SIZE CHAIN_STEPS
	mkdir -p "$1"
	cat >"$1/50-bench.conf" <<EOC
defaults = { cache = { size = $2; ttl = 300; }; };
endpoints = ( { name = "bench"; hosts = [ "leaf.example.test" ];
  chain = ( $3 ); } );
EOC
}

for c in rsa2048 rsa4096 p256 ed25519 rsa2048-5; do
	d=$out/conf/$c
	policy "$d-pem" 0 "$(pem_step "$c")"
	policy "$d-pin" 0 "$(pem_step "$c"),
    { use = \"pin\"; control = \"required\"; pins = [ \"$out/$c/leaf.pem\" ];
      backup = [ \"$out/$c/inter.pem\" ]; }"
	policy "$d-cache" 4096 "$(pem_step "$c")"
	policy "$d-sys" 0 '{ use = "system"; control = "required"; }'
done
policy "$out/conf/rsa2048-crl" 0 "{ use = \"pem\"; control = \"required\";
    bundle = \"$out/rsa2048/root.pem\";
    crl = [ \"$out/rsa2048/root.crl\", \"$out/rsa2048/inter.crl\" ]; }"

# Target 2: the pin policy again, with every plugin that ships loaded
# (system, pem, pin, mtls) by other endpoints: five instances in all.
for c in rsa2048 rsa4096 p256 ed25519 rsa2048-5; do
	cat >"$out/conf/$c-pin/60-others.conf" <<EOC
endpoints = (
  { name = "others-sys"; hosts = [ "sys.other.test" ];
    chain = ( { use = "system"; control = "required"; } ); },
  { name = "others-mtls"; hosts = [ "mtls.other.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$out/$c/root.pem"; } );
    client = { use = "mtls"; certificate = "$out/$c/leaf.pem"; key = "$out/$c/leaf.key"; }; }
);
EOC
done

# Target 3: the system store plus the colliding root, as the system step
# would hold it (a pem step: the OS store cannot be extended here).
if [ -n "$bucket" ]; then
	policy "$out/conf/rsa2048-collide-sys+root" 0 \
		"{ use = \"pem\"; control = \"required\"; bundle = [ \"/etc/ssl/certs/ca-certificates.crt\", \"$out/rsa2048-collide/root.pem\" ]; }"
fi

# Targets 8 and 9: a 150-anchor bundle (the system CAs, topped up with the
# bench roots and intermediates) behind one pem step, cache on.
{
	for c in rsa2048 rsa4096 p256 ed25519 rsa2048-5; do
		cat "$out/$c/root.pem" "$out/$c/inter.pem"
	done
	cat /etc/ssl/certs/ca-certificates.crt
} | awk '/BEGIN CERT/ { n++ } n <= 150' >"$out/anchors150.pem"
policy "$out/conf/anchors150" 4096 \
	"{ use = \"pem\"; control = \"required\"; bundle = \"$out/anchors150.pem\"; }"
# Without a "*" endpoint the built-in default would load the system store
# as well; a one-anchor pem step stands in for it (a "*" endpoint needs a
# trust-anchor step: it covers the protected AI endpoints).
cat >"$out/conf/anchors150/60-rest.conf" <<EOC
endpoints = ( { name = "rest"; hosts = [ "*" ];
  chain = ( $(pem_step rsa2048) ); } );
EOC

for n in 10 100000; do
	d=$out/conf/match-$n
	mkdir -p "$d"
	awk -v n="$n" -v step="$(pem_step rsa2048)" -v pin="$filler_pin" '
	BEGIN {
		print "defaults = { cache = { size = 0; }; };"
		print "endpoints = ("
		printf "{ name = \"bench\"; hosts = [ \"leaf.example.test\" ]; chain = ( %s ); }", step
		for (i = 1; i < n; i++)
			printf ",\n{ name = \"e%d\"; hosts = [ \"h%d.fleet.test\" ]; chain = ( { use = \"pin\"; control = \"required\"; pins = [ \"%s\" ]; } ); }", i, i, pin
		print "\n);"
	}' >"$d/50-bench.conf"
done
