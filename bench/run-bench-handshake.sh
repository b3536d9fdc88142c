#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench: client CPU per TLS handshake with the GnuTLS glue
# (tv_session_attach, a pem step) vs gnutls_session_set_verify_cert on the
# same trust anchor, interleaved in one run (ratio printed; no thresholds).
set -eu
: "${TV_BUILDDIR:?}" "${TV_SRCDIR:?}"
out="$TV_BUILDDIR/bench-out/handshake"
rm -rf "$out"
mkdir -p "$out/conf.d"
sh "$TV_SRCDIR/tests/fixtures/gen-pki.sh" "$out/pki" >/dev/null
# The result cache is off: every handshake's verification runs in full.
cat >"$out/conf.d/50-bench.conf" <<EOC
defaults = { cache = { size = 0; }; };
endpoints = ( { name = "bench"; hosts = [ "*.internal.test" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$out/pki/ca.pem"; } ); } );
EOC
LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" \
	"$TV_BUILDDIR/bench/bench-handshake" "$out/pki/ca.pem" \
	"$out/pki/chain-good.pem" "$out/pki/leaf-good.key" \
	good.internal.test "$out/conf.d" "$TV_BUILDDIR/build-plugins"

# CPU time on a shared machine wanders by a few percent; instructions do
# not.  callgrind counts the client side of N handshakes in each mode
# (--toggle-collect: only the client thread runs these functions).
if ! command -v valgrind >/dev/null 2>&1 ||
	! command -v callgrind_annotate >/dev/null 2>&1; then
	echo "handshake instructions: skipped (valgrind not installed)"
	exit 0
fi
n=50
LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" valgrind --tool=callgrind \
	--callgrind-out-file="$out/callgrind.out" \
	--toggle-collect=ir_run_glue --toggle-collect=ir_run_gnutls \
	"$TV_BUILDDIR/bench/.libs/bench-handshake" "$out/pki/ca.pem" \
	"$out/pki/chain-good.pem" "$out/pki/leaf-good.key" \
	good.internal.test "$out/conf.d" "$TV_BUILDDIR/build-plugins" \
	--ir=$n >"$out/callgrind.log" 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$out/callgrind.out" \
	2>/dev/null >"$out/callgrind.txt"
ir() { # FUNCTION: its inclusive instruction count
	awk -v f="bench-handshake.c:$1" '$0 ~ f" " { gsub(",", "", $1); print $1; exit }' \
		"$out/callgrind.txt"
}
glue=$(ir ir_run_glue)
raw=$(ir ir_run_gnutls)
if [ -z "$glue" ] || [ -z "$raw" ]; then
	echo "handshake instructions: no counts (see $out/callgrind.log)" >&2
	exit 1
fi
awk -v g="$glue" -v r="$raw" -v n="$n" 'BEGIN {
	printf "client instructions per handshake (callgrind, %d each): glue %.0f, gnutls %.0f, ratio %.4f (glue adds %.0f)\n", n, g / n, r / n, g / r, (g - r) / n
}'
