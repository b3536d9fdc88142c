#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench: generates a PKI and compares tlsverify's engine (a pem step;
# a pem step then a pin step) with raw GnuTLS on the same chain in one run
# (ratios and the pin step's added cost printed; no thresholds).
set -eu
: "${TV_BUILDDIR:?}" "${TV_SRCDIR:?}"
out="$TV_BUILDDIR/bench-out"
rm -rf "$out"
mkdir -p "$out/conf.d" "$out/conf-pin.d"
sh "$TV_SRCDIR/tests/fixtures/gen-pki.sh" "$out/pki" >/dev/null
# The result cache is off: every verification is measured in full.
cat >"$out/conf.d/50-bench.conf" <<EOC
defaults = { cache = { size = 0; }; };
endpoints = ( { name = "bench"; hosts = [ "*.internal.test" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$out/pki/ca.pem"; } ); } );
EOC
# Same policy plus a pin step as deployed: the leaf's key pinned (matched
# first), the intermediate's as backup.
cat >"$out/conf-pin.d/50-bench.conf" <<EOC
defaults = { cache = { size = 0; }; };
endpoints = ( { name = "bench"; hosts = [ "*.internal.test" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$out/pki/ca.pem"; },
            { use = "pin"; control = "required";
              pins = [ "$out/pki/leaf-good.pem" ];
              backup = [ "$out/pki/inter.pem" ]; } ); } );
EOC
args="$out/pki/ca.pem $out/pki/chain-good.pem good.internal.test \
	$out/conf.d $TV_BUILDDIR/build-plugins $out/conf-pin.d"
# shellcheck disable=SC2086 # $args: paths without blanks, split on purpose
LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" \
	"$TV_BUILDDIR/bench/bench-verify" $args | tee "$out/timed.txt"

# Half a microsecond drowns in the timing noise of a shared machine;
# instructions do not.  callgrind counts what N verifications cost with
# each engine (same run, same chain); the difference is the pin step's,
# converted to time with the pem engine's median from the run above.
if ! command -v valgrind >/dev/null 2>&1 ||
	! command -v callgrind_annotate >/dev/null 2>&1; then
	echo "pin step in instructions: skipped (valgrind not installed)"
	exit 0
fi
n=100
# shellcheck disable=SC2086 # as above
"$TV_BUILDDIR/libtool" --mode=execute valgrind --tool=callgrind \
	--callgrind-out-file="$out/callgrind.out" \
	--toggle-collect=ir_run_pem --toggle-collect=ir_run_pin \
	"$TV_BUILDDIR/bench/bench-verify" $args --ir=$n \
	>"$out/callgrind.log" 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$out/callgrind.out" \
	2>/dev/null >"$out/callgrind.txt"
ir() { # FUNCTION: its inclusive instruction count
	awk -v f="bench-verify.c:$1" '$0 ~ f" " { gsub(",", "", $1); print $1; exit }' \
		"$out/callgrind.txt"
}
pem=$(ir ir_run_pem)
pin=$(ir ir_run_pin)
min=$(awk '/^tlsverify engine \(pem step\)/ { print $(NF - 2) }' \
	"$out/timed.txt")
median=$(awk '/^tlsverify engine \(pem step\)/ { print $(NF - 1) }' \
	"$out/timed.txt")
if [ -z "$pem" ] || [ -z "$pin" ] || [ -z "$min" ] || [ -z "$median" ]; then
	echo "pin step in instructions: no counts (see $out/callgrind.log)" >&2
	exit 1
fi
awk -v pem="$pem" -v pin="$pin" -v n="$n" -v min="$min" -v med="$median" '
BEGIN {
	per = pem / n
	added = (pin - pem) / n
	printf "engine (pem step): %.0f instructions per verification (callgrind, %d runs)\n", per, n
	printf "pin step added: %.0f instructions, ratio engine+pin/engine %.4f\n", added, pin / pem
	printf "pin step added, as time: %.2f us at the min, %.2f us at the median of the timed run\n", added / per * min, added / per * med
}'
