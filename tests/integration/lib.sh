# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
# Helpers shared by the integration scripts (sourced, not run): TAP-style
# "ok N - name" lines, a private temp dir, and CLI runs whose exit status,
# stdout and stderr every check looks at.
#
# Needs the make check environment: TV_CLI, TV_BUILD_PLUGIN_DIR, TV_FIXTURES,
# TV_TMPDIR, TV_SRCDIR.

: "${TV_CLI:?TV_CLI is not set; run through make check}"
: "${TV_BUILD_PLUGIN_DIR:?TV_BUILD_PLUGIN_DIR is not set}"
: "${TV_FIXTURES:?TV_FIXTURES is not set}"
: "${TV_TMPDIR:?TV_TMPDIR is not set}"
: "${TV_SRCDIR:?TV_SRCDIR is not set}"

if ! command -v jq >/dev/null 2>&1; then
	echo "Bail out! jq is required (installed by ./bootstrap)"
	exit 99
fi
if [ ! -f "$TV_FIXTURES/chain-good.pem" ]; then
	echo "Bail out! no fixtures in $TV_FIXTURES (tests/fixtures/gen-pki.sh)"
	exit 99
fi

# Fixed verification time used by every case unless it says otherwise.
# shellcheck disable=SC2034 # both are for the scripts that source this
TV_TIME=2026-06-01 F=$TV_FIXTURES

mkdir -p "$TV_TMPDIR"
tv_tmp=$(mktemp -d "$TV_TMPDIR/${0##*/}.XXXXXX")
tv_out=$tv_tmp/stdout
tv_err=$tv_tmp/stderr
tv_n=0
tv_failed=0
tv_rc=0
tv_cmd=

# Scripts that start something redefine this to stop it.
tv_on_exit() { :; }

# The temp dir stays behind when a check failed, for a look at the configs.
tv_cleanup() {
	tv_on_exit
	if [ "$tv_failed" -eq 0 ]; then
		rm -rf "$tv_tmp"
	else
		echo "# kept $tv_tmp"
	fi
}
trap tv_cleanup EXIT
trap 'exit 1' HUP INT TERM

# The CLI never gets to resolve anything against the current directory.
mkdir "$tv_tmp/cwd"
cd "$tv_tmp/cwd" || exit 99

# tv_run ARG...: run the CLI; sets tv_rc, stdout in $tv_out, stderr in $tv_err.
tv_run() {
	tv_cmd="tlsverify $*"
	tv_rc=0
	"$TV_CLI" "$@" >"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
}

# tv_verify CONFDIR ARG...: `verify` against CONFDIR with the built plugins.
tv_verify() {
	tv_conf=$1
	shift
	tv_run --conf-dir "$tv_conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
		verify "$@"
}

# tv_result NAME WHY: WHY empty means the check passed.
tv_result() {
	tv_n=$((tv_n + 1))
	if [ -z "$2" ]; then
		echo "ok $tv_n - $1"
		return 0
	fi
	tv_failed=$((tv_failed + 1))
	echo "not ok $tv_n - $1"
	echo "#   $2"
	echo "#   command: $tv_cmd"
	sed -n '1,12s/^/#   stdout: /p' "$tv_out"
	sed -n '1,12s/^/#   stderr: /p' "$tv_err"
	return 0
}

# tv_why_rc WANT: prints why the last exit status is wrong, nothing if right.
tv_why_rc() {
	[ "$tv_rc" -eq "$1" ] || echo "exit status $tv_rc, expected $1"
}

# tv_check NAME RC [JQ-FILTER [JQ-ARG...]]: exit status, and optionally a jq
# filter that must hold (-e) on stdout.
tv_check() {
	tv_name=$1
	tv_want=$2
	shift 2
	tv_why=$(tv_why_rc "$tv_want")
	if [ -z "$tv_why" ] && [ $# -gt 0 ]; then
		tv_filter=$1
		shift
		jq -e "$@" "$tv_filter" "$tv_out" >/dev/null 2>&1 ||
			tv_why="stdout does not satisfy: $tv_filter $*"
	fi
	tv_result "$tv_name" "$tv_why"
}

# tv_check_err NAME RC ERE: exit status, and stderr matching ERE.
tv_check_err() {
	tv_why=$(tv_why_rc "$2")
	if [ -z "$tv_why" ] && ! grep -Eq -- "$3" "$tv_err"; then
		tv_why="stderr does not match /$3/"
	fi
	tv_result "$1" "$tv_why"
}

# tv_check_out NAME RC ERE: exit status, and stdout matching ERE.
tv_check_out() {
	tv_why=$(tv_why_rc "$2")
	if [ -z "$tv_why" ] && ! grep -Eq -- "$3" "$tv_out"; then
		tv_why="stdout does not match /$3/"
	fi
	tv_result "$1" "$tv_why"
}

# tv_human_reasons: the reasons of a "verdict: rejected (a, b): ..." last
# line, sorted, comma separated.
tv_human_reasons() {
	tail -n 1 "$tv_out" |
		sed -n 's/^verdict: rejected (\([^)]*\)).*$/\1/p' |
		tr -d ' ' | tr ',' '\n' | sort | paste -sd, -
}

# tv_case NAME RC VERDICT REASONS ENDPOINT CONFDIR HOST ARG...
# Runs `verify --host HOST ARG...` twice.  Human output: exit status RC and a
# last line "verdict: trusted" or "verdict: rejected (REASONS): ...".
# --json: exit status RC, verdict, host, exactly REASONS (comma separated,
# any order) and, unless ENDPOINT is "-", the endpoint name; insecure_skip
# false.
tv_case() {
	c_name=$1 c_rc=$2 c_verdict=$3 c_reasons=$4 c_endpoint=$5 c_conf=$6
	c_host=$7
	shift 7
	c_sorted=$(printf '%s\n' "$c_reasons" | tr ',' '\n' | sed '/^$/d' |
		sort | paste -sd, -)

	tv_verify "$c_conf" --host "$c_host" "$@"
	c_why=$(tv_why_rc "$c_rc")
	c_last=$(tail -n 1 "$tv_out")
	if [ -z "$c_why" ]; then
		case $c_verdict in
		trusted)
			[ "$c_last" = "verdict: trusted" ] ||
				c_why="last line '$c_last', expected 'verdict: trusted'"
			;;
		*)
			c_got=$(tv_human_reasons)
			case $c_last in
			"verdict: rejected ("*"): "*)
				[ "$c_got" = "$c_sorted" ] ||
					c_why="reasons '$c_got', expected '$c_sorted'"
				;;
			*)
				c_why="last line '$c_last', expected 'verdict: rejected ($c_sorted): ...'"
				;;
			esac
			;;
		esac
	fi
	tv_result "$c_name" "$c_why"

	tv_verify "$c_conf" --host "$c_host" --json "$@"
	c_why=$(tv_why_rc "$c_rc")
	if [ -z "$c_why" ]; then
		jq -e --arg v "$c_verdict" --arg h "$c_host" --arg e "$c_endpoint" \
			--arg r "$c_sorted" '
			.verdict == $v and .host == $h and .insecure_skip == false
			and ([.reasons[]] | sort | join(",")) == $r
			and ($e == "-" or .endpoint == $e)' \
			"$tv_out" >/dev/null 2>&1 ||
			c_why="JSON: expected verdict=$c_verdict reasons='$c_sorted' endpoint=$c_endpoint host=$c_host; got $(jq -c '{verdict,reasons,endpoint,host,insecure_skip}' "$tv_out" 2>/dev/null || echo 'no JSON')"
	fi
	tv_result "$c_name (json)" "$c_why"
}

# tv_done: the exit status of the script.
tv_done() {
	echo "1..$tv_n"
	if [ "$tv_failed" -ne 0 ]; then
		echo "# $tv_failed of $tv_n checks failed"
		exit 1
	fi
	exit 0
}
