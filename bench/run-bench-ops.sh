#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench (part 2): result cache speed-up and reload latency, one run.
set -eu
: "${TV_BUILDDIR:?}" "${TV_SRCDIR:?}"
out="$TV_BUILDDIR/bench-out/ops"
rm -rf "$out"
mkdir -p "$out/nocache" "$out/cache" "$out/fleet"
sh "$TV_SRCDIR/tests/fixtures/gen-pki.sh" "$out/pki" >/dev/null
ep="endpoints = ( { name = \"bench\"; hosts = [ \"*.internal.test\" ];
  chain = ( { use = \"pem\"; control = \"required\"; bundle = \"$out/pki/ca.pem\"; } ); } );"
printf 'defaults = { cache = { size = 0; }; };\n%s\n' "$ep" >"$out/nocache/50.conf"
printf 'defaults = { cache = { size = 4096; ttl = 300; }; };\n%s\n' "$ep" >"$out/cache/50.conf"
{
	echo 'endpoints = ('
	i=0
	while [ "$i" -lt 1000 ]; do
		[ "$i" -gt 0 ] && echo ','
		printf '{ name = "e%d"; hosts = [ "h%d.fleet.test" ]; chain = ( { use = "pem"; control = "required"; bundle = "%s"; } ); }' \
			"$i" "$i" "$out/pki/ca.pem"
		i=$((i + 1))
	done
	echo ');'
} >"$out/fleet/50.conf"
TV_PLUGIN_DIR="$TV_BUILDDIR/build-plugins" \
LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" \
	"$TV_BUILDDIR/bench/bench-ops" "$out/pki/chain-good.pem" \
	good.internal.test "$out/nocache" "$out/cache" "$out/fleet"
