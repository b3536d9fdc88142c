#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C file follows the committed .clang-format (kernel style).
# Skips (exit 77) where clang-format is not installed.
set -eu
: "${TV_SRCDIR:?}"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "clang-format not installed: skipping the format check"
	exit 77
fi
cd "$TV_SRCDIR"
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find core plugins cli tests bench -name '*.[ch]'); do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run clang-format -i $f)"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "all C files formatted"
exit "$bad"
