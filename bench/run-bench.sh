#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench: generates a PKI and compares tlsverify's engine with raw
# GnuTLS on the same chain in one run (ratio printed; no thresholds).
set -eu
: "${TV_BUILDDIR:?}" "${TV_SRCDIR:?}"
out="$TV_BUILDDIR/bench-out"
rm -rf "$out"
mkdir -p "$out/conf.d"
sh "$TV_SRCDIR/tests/fixtures/gen-pki.sh" "$out/pki" >/dev/null
cat >"$out/conf.d/50-bench.conf" <<EOC
endpoints = ( { name = "bench"; hosts = [ "*.internal.test" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$out/pki/ca.pem"; } ); } );
EOC
LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" \
	"$TV_BUILDDIR/bench/bench-verify" "$out/pki/ca.pem" \
	"$out/pki/chain-good.pem" good.internal.test "$out/conf.d" \
	"$TV_BUILDDIR/build-plugins"
