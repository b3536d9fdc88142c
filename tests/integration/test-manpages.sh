#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The manual pages render without a single groff warning; tlsverify(1)
# has every command and every long option the built CLI's --help prints,
# tlsverify.conf(5) every policy key and shipped plugin setting, and
# tlsverify-plugin(7) every function of plugin.h.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

if ! command -v groff >/dev/null 2>&1; then
	echo "Bail out! groff is not installed (./bootstrap installs groff-base)"
	exit 99
fi
docs=$TV_SRCDIR/docs
pages="tlsverify.1 tlsverify.conf.5 tlsverify-plugin.7"
# Stable output whatever the caller's locale and pager.
LC_ALL=C
MANPAGER="cat"
PAGER="cat"
export LC_ALL MANPAGER PAGER

# ---- every page renders cleanly ------------------------------------------

for page in $pages; do
	for dev in utf8 ascii; do
		tv_cmd="groff -t -man -T$dev -ww -z docs/$page"
		tv_rc=0
		groff -t -man -T"$dev" -ww -z "$docs/$page" >"$tv_out" \
			2>"$tv_err" || tv_rc=$?
		why=$(tv_why_rc 0)
		[ -n "$why" ] || [ ! -s "$tv_err" ] || why="groff warned"
		tv_result "$page renders without warnings ($dev)" "$why"
	done
	if command -v man >/dev/null 2>&1; then
		tv_cmd="man --warnings -l docs/$page"
		tv_rc=0
		MANWIDTH=80 man --warnings=w -l "$docs/$page" >"$tv_out" \
			2>"$tv_err" || tv_rc=$?
		why=$(tv_why_rc 0)
		[ -n "$why" ] || [ ! -s "$tv_err" ] || why="man -l warned"
		[ -n "$why" ] || [ "$(wc -l <"$tv_out")" -gt 20 ] ||
			why="man -l rendered next to nothing"
		tv_result "man -l $page, 80 columns, no warnings" "$why"
	fi
done

# render PAGE: plain text, no hyphenation, long lines (an option is never
# split at a line end).
render() {
	groff -t -man -Tascii -P-cbu -rHY=0 -rLL=1000n "$docs/$1"
}

# has_word FILE WORD: WORD in FILE, not as part of a longer name.
has_word() {
	grep -Eq -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

# ---- tlsverify(1): every command and long option of --help ----------------

render tlsverify.1 >"$tv_tmp/tlsverify.1.txt"
"$TV_CLI" --help >"$tv_tmp/help.txt"
# "Commands:" lists "  NAME  summary" lines up to a blank line.
commands=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p' \
	"$tv_tmp/help.txt")
tv_cmd="tlsverify --help"
why=
[ -n "$commands" ] || why="no commands found in tlsverify --help"
tv_result "tlsverify --help lists the commands" "$why"
for cmd in $commands; do
	"$TV_CLI" "$cmd" --help >>"$tv_tmp/help.txt"
	tv_cmd="docs/tlsverify.1: .SS $cmd"
	why=
	grep -qx "   $cmd" "$tv_tmp/tlsverify.1.txt" ||
		why="no subsection for command '$cmd'"
	tv_result "tlsverify.1 documents command $cmd" "$why"
done
options=$(grep -oE -- '--[a-z][a-z0-9-]*' "$tv_tmp/help.txt" | sort -u)
tv_cmd="tlsverify [COMMAND] --help vs docs/tlsverify.1"
missing=
for opt in $options -h; do
	has_word "$tv_tmp/tlsverify.1.txt" "$opt" || missing="$missing $opt"
done
why=
[ -z "$missing" ] || why="not in tlsverify.1:$missing"
tv_result "tlsverify.1 has all $(echo "$options" | wc -w) long options of --help" \
	"$why"
missing=
for var in TLSVERIFY_CONF_DIR TLSVERIFY_PLUGIN_DIR; do
	grep -q "$var" "$tv_tmp/help.txt" && ! has_word \
		"$tv_tmp/tlsverify.1.txt" "$var" && missing="$missing $var"
done
why=
[ -z "$missing" ] || why="not in tlsverify.1:$missing"
tv_result "tlsverify.1 has the environment of --help" "$why"

# ---- tlsverify.conf(5): every key the loader and the plugins read ---------

# The loader compares keys with strcmp(key, "..."); a step has use and
# control; plugins read theirs as (settings, "...").
keys=$(
	sed -n 's/.*strcmp(key, "\([a-z0-9_]*\)").*/\1/p' "$TV_SRCDIR/core/policy.c"
	echo use control
	cat "$TV_SRCDIR"/plugins/*/*.c |
		grep -oE '\(settings, "[a-z0-9_]+"' | sed 's/.*"\(.*\)"/\1/'
)
# One key per line: split the words on purpose.
# shellcheck disable=SC2086
keys=$(printf '%s\n' $keys | sort -u)
tv_cmd="keys of core/policy.c and plugins/*/*.c vs docs/tlsverify.conf.5"
missing=
for key in $keys; do
	# Documented as a tagged paragraph: ".BR key \" (type)\"".
	grep -Eq "^\\.BR? $key( |\$)" "$docs/tlsverify.conf.5" ||
		missing="$missing $key"
done
why=
[ -n "$keys" ] || why="no keys found in the sources"
[ -z "$missing" ] || why="no .B/.BR entry in tlsverify.conf.5:$missing"
tv_result "tlsverify.conf.5 documents all $(echo "$keys" | wc -w) policy keys and plugin settings" \
	"$why"
render tlsverify.conf.5 >"$tv_tmp/conf.txt"
missing=
for section in MATCHING "CONTROL FLAGS" "PROTECTED ENDPOINTS" \
	"INSECURE EXCEPTIONS" "THE CACHE" PLUGINS; do
	grep -qx "$section" "$tv_tmp/conf.txt" || missing="$missing '$section'"
done
for plugin in system pem pin mtls; do
	grep -qx "   $plugin" "$tv_tmp/conf.txt" ||
		missing="$missing 'plugin $plugin'"
done
why=
[ -z "$missing" ] || why="missing sections:$missing"
tv_result "tlsverify.conf.5 has its sections and every shipped plugin" "$why"

# ---- tlsverify-plugin(7): every function plugin.h declares ---------------

functions=$(sed -n 's/^TV_API .*[* ]\(tv_[a-z0-9_]*\)(.*/\1/p' \
	"$TV_SRCDIR/core/include/tlsverify/plugin.h" | sort -u)
render tlsverify-plugin.7 >"$tv_tmp/plugin.txt"
tv_cmd="plugin.h vs docs/tlsverify-plugin.7"
missing=
for f in $functions; do
	has_word "$tv_tmp/plugin.txt" "$f" || missing="$missing $f"
done
why=
[ -n "$functions" ] || why="no TV_API functions found in plugin.h"
[ -z "$missing" ] || why="not in tlsverify-plugin.7:$missing"
tv_result "tlsverify-plugin.7 names all $(echo "$functions" | wc -w) functions of plugin.h" \
	"$why"
minor=$(sed -n 's/^#define TV_PLUGIN_ABI_MINOR \([0-9]*\)$/\1/p' \
	"$TV_SRCDIR/core/include/tlsverify/plugin.h")
major=$(sed -n 's/^#define TV_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p' \
	"$TV_SRCDIR/core/include/tlsverify/plugin.h")
why=
grep -Eq "^ +$major\.$minor( |\$)" "$tv_tmp/plugin.txt" ||
	why="no change-log entry for ABI $major.$minor"
tv_result "tlsverify-plugin.7 change log reaches ABI $major.$minor" "$why"

tv_done
