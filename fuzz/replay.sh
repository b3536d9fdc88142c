#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Replays every fuzz target over its committed seeds (fuzz/corpus/<name>/):
# each input once, so what a fuzzer found once stays fixed.
set -eu
: "${TV_SRCDIR:?run through make check}" "${TV_BUILDDIR:?}"
# Leaks inside libconfig are not ours (LeakSanitizer runs only in
# --enable-fuzzing builds).
LSAN_OPTIONS="suppressions=$TV_SRCDIR/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
status=0
for name in policy chain spki host time pin jwks consul-roots etcd pipeline; do
	# Files, not the directory: a libFuzzer build then runs each once
	# instead of fuzzing.
	if ! "$TV_BUILDDIR/fuzz/fuzz-$name" "$TV_SRCDIR/fuzz/corpus/$name"/*; then
		echo "FAIL: fuzz-$name on fuzz/corpus/$name"
		status=1
	fi
done
exit "$status"
