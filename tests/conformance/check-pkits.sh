#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# NIST PKITS through tv_engine_verify; fails below the committed floor.
# PKITS (2011) signs its DSA paths with SHA-1, which tlsverify refuses
# unless a step sets allow_sha1: the runner sets it for this suite only.
set -eu
: "${TV_SRCDIR:?}" "${TV_BUILDDIR:?}"
cases="${TV_CONFORMANCE_DIR:-$TV_SRCDIR/../shared/conformance/nist-pkits}"
if [ ! -d "$cases" ]; then
	# A release tarball has no ../shared beside it.
	echo "no conformance cases at $cases: skipping"
	exit 77
fi
"$TV_BUILDDIR/tests/conformance/run-cases" \
	--plugin-dir "$TV_BUILD_PLUGIN_DIR" --allow-sha1 \
	--floor "$TV_SRCDIR/tests/conformance/pkits-floor" "$cases"
