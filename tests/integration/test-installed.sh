#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The installed files are enough: `make install` into a staging DESTDIR,
# the .pc variables point at what was installed, both out-of-tree examples
# (examples/plugin-denylist, examples/embed-service) build against the
# staged prefix with pkg-config only, and the installed tlsverify loads
# the denylist plugin from the installed plugin directory.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

for tool in pkg-config cc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is not installed (./bootstrap installs it)"
		exit 99
	fi
done

# The sub-makes get neither make check's jobserver nor anything that
# would let the compiler find the build or source tree behind pkg-config's
# back; the build tree's libtlsverify is not on the library path.
unset MAKEFLAGS MFLAGS MAKELEVEL CPATH C_INCLUDE_PATH LIBRARY_PATH \
	PKG_CONFIG_SYSROOT_DIR TLSVERIFY_CONF_DIR TLSVERIFY_PLUGIN_DIR \
	LD_LIBRARY_PATH
tv_make=${MAKE:-make}
dest=$tv_tmp/dest
work=$tv_tmp/work
log=$tv_tmp/log
service_pid=

# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
tv_on_exit() {
	if [ -n "$service_pid" ]; then
		kill "$service_pid" 2>/dev/null || :
		wait "$service_pid" 2>/dev/null || :
	fi
}

# wait_for FILE ERE COUNT SECONDS: bounded wait for COUNT lines of FILE to
# match ERE.
wait_for() {
	w_n=0
	while [ "$w_n" -lt $(($4 * 10)) ]; do
		w_count=$(grep -Ec -- "$2" "$1" 2>/dev/null) || w_count=0
		[ "$w_count" -ge "$3" ] && return 0
		w_n=$((w_n + 1))
		sleep 0.1
	done
	return 1
}

# step NAME COMMAND...: runs a build step with its output in $log; the
# check shows the log's tail when it fails.
step() {
	s_name=$1
	shift
	tv_cmd="$*"
	tv_rc=0
	"$@" >"$log" 2>&1 </dev/null || tv_rc=$?
	cp "$log" "$tv_out"
	: >"$tv_err"
	tv_result "$s_name" "$(tv_why_rc 0)"
}

# no_leak NAME FILE: no -I/-L in FILE names the source or build tree
# (the staging directory lives inside the build tree, and is fine).
no_leak() {
	n_why=
	# Words, not lines: every flag of every command.
	# shellcheck disable=SC2013
	for n_word in $(cat "$2"); do
		case $n_word in
		-I* | -L*) n_dir=${n_word#-?} ;;
		*) continue ;;
		esac
		case $n_dir in
		"$dest" | "$dest"/*) ;;
		"$TV_SRCDIR" | "$TV_SRCDIR"/* | "$TV_BUILDDIR" | "$TV_BUILDDIR"/*)
			n_why="$n_word points into the source or build tree"
			break
			;;
		esac
	done
	tv_cmd="(flags in $2)"
	tv_result "$1" "$n_why"
}

# ---- make install into a staging root ---------------------------------

step "make install DESTDIR=..." "$tv_make" -s -C "$TV_BUILDDIR" install \
	DESTDIR="$dest"
[ "$tv_rc" -eq 0 ] || tv_done

pc=$(find "$dest" -name tlsverify.pc -type f)
why=
[ -n "$pc" ] && [ "$(printf '%s\n' "$pc" | wc -l)" -eq 1 ] ||
	why="expected one installed tlsverify.pc, found: '$pc'"
tv_cmd="find $dest -name tlsverify.pc"
tv_result "tlsverify.pc is installed" "$why"
[ -z "$why" ] || tv_done

# The installed .pc, as pkg-config reads it (paths without DESTDIR).
pcvar() {
	PKG_CONFIG_PATH=${pc%/*} pkg-config --variable="$1" tlsverify
}
pluginsdir=$(pcvar pluginsdir)
confdir=$(pcvar confdir)
libdir=$(pcvar libdir)
includedir=$(pcvar includedir)
abi=$(pcvar plugin_abi)
tv_cmd="pkg-config --variable=... tlsverify ($pc)"
why=
for p in system pem pin mtls; do
	[ -f "$dest$pluginsdir/$p.so" ] ||
		why="pluginsdir=$pluginsdir: no $p.so there"
done
tv_result "pluginsdir names the installed plugin directory" "$why"
why=
[ -f "$dest$confdir/00-defaults.conf" ] ||
	why="confdir=$confdir: no 00-defaults.conf there"
tv_result "confdir names the installed policy" "$why"
why=
[ -f "$dest$includedir/tlsverify/plugin.h" ] ||
	why="includedir=$includedir: no tlsverify/plugin.h there"
[ -e "$dest$libdir/libtlsverify.so" ] ||
	why="libdir=$libdir: no libtlsverify.so there"
tv_result "includedir and libdir name the installed files" "$why"
why=
header_abi=$(sed -n 's/^#define TV_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p' \
	"$dest$includedir/tlsverify/plugin.h")
[ -n "$abi" ] && [ "$abi" = "$header_abi" ] ||
	why="plugin_abi='$abi', the installed plugin.h says '$header_abi'"
tv_result "plugin_abi is the header's TV_PLUGIN_ABI_MAJOR" "$why"
why=
ls "$dest$pluginsdir"/*.la >/dev/null 2>&1 &&
	why="libtool .la files left in the plugin directory"
tv_result "only shared objects in the plugin directory" "$why"

# A staged install keeps the final paths inside the .pc; a private copy
# with DESTDIR put in front of each absolute directory makes pkg-config
# point into the staging root.  (PKG_CONFIG_SYSROOT_DIR would prefix the
# system's glib and gnutls flags too.)
mkdir "$tv_tmp/pkgconfig"
sed -E "s#^(prefix|exec_prefix|libdir|includedir|sysconfdir)=/#\\1=$dest/#" \
	"$pc" >"$tv_tmp/pkgconfig/tlsverify.pc"
PKG_CONFIG_PATH=$tv_tmp/pkgconfig
export PKG_CONFIG_PATH
why=
[ "$(pkg-config --variable=pluginsdir tlsverify)" = "$dest$pluginsdir" ] ||
	why="relocated pluginsdir is $(pkg-config --variable=pluginsdir tlsverify)"
tv_cmd="pkg-config --variable=pluginsdir tlsverify"
tv_result "the relocated .pc points into the staging root" "$why"
pkg-config --cflags --libs tlsverify >"$tv_tmp/pcflags"
no_leak "pkg-config flags name only the staged prefix" "$tv_tmp/pcflags"

export LD_LIBRARY_PATH="$dest$libdir"
tlsverify=$dest$(pcvar exec_prefix)/bin/tlsverify

# ---- the plugin kit: an out-of-tree plugin ---------------------------

# As a user would: copy the example folder anywhere, build it there.
for ex in plugin-denylist embed-service; do
	mkdir -p "$work/$ex"
	cp "$TV_SRCDIR/examples/$ex/"* "$work/$ex/"
done

step "denylist plugin builds with pkg-config only (-Werror)" \
	"$tv_make" -C "$work/plugin-denylist" CFLAGS="-O2 -Werror"
no_leak "denylist build names only the staged prefix" "$log"
step "make install puts it in the installed plugin directory" \
	"$tv_make" -C "$work/plugin-denylist" install
plugin=$dest$pluginsdir/denylist.so
why=
mode=$(stat -c %a "$plugin" 2>/dev/null || echo missing)
[ "$mode" = 755 ] || why="$plugin: mode $mode, expected 755"
tv_result "denylist.so is installed with mode 0755" "$why"

# The dynamic linker takes libtlsverify from the staging root.
why=
if command -v ldd >/dev/null 2>&1; then
	for f in "$tlsverify" "$plugin"; do
		ldd "$f" | grep libtlsverify | grep -qF "=> $dest$libdir/" ||
			why="$f: libtlsverify does not resolve into $dest$libdir"
	done
fi
tv_cmd="ldd"
tv_result "installed tlsverify and the plugin use the installed library" \
	"$why"

# ---- the installed tlsverify with the plugin -------------------------

tv_run() {
	tv_cmd="tlsverify $*"
	tv_rc=0
	"$tlsverify" "$@" >"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
}

tv_run --plugin-dir "$dest$pluginsdir" plugins
tv_check_out "installed 'tlsverify plugins' lists denylist" 0 \
	"^denylist +abi $abi\\.[0-9]+ +vetoes chains"

denied_pin=$("$tlsverify" pin --json "$F/leaf-good.pem" |
	jq -r '.certificates[0].pin_sha256')
other_pin=$("$tlsverify" pin --json "$F/rogue-ca.pem" |
	jq -r '.certificates[0].pin_sha256')
conf=$tv_tmp/conf.d
mkdir "$conf"
cp "$F/ca.pem" "$conf/"
cat >"$conf/denied-keys.txt" <<EOF
# the good leaf's key, as \`tlsverify pin\` prints it
$denied_pin  # INC-1234
EOF
printf '%s\n' "$other_pin" >"$conf/other-keys.txt"
cat >"$conf/50-denylist.conf" <<'CONF'
endpoints = (
  { name = "guarded"; hosts = [ "good.internal.test" ];
    chain = ( { use = "denylist"; control = "requisite"; file = "denied-keys.txt"; },
              { use = "pem"; control = "required"; bundle = "ca.pem"; } ); },
  { name = "clean"; hosts = [ "www.good.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "ca.pem"; },
              { use = "denylist"; control = "required"; file = "other-keys.txt"; } ); }
);
CONF
tlsv() {
	tv_run --conf-dir "$conf" --plugin-dir "$dest$pluginsdir" "$@"
}

tlsv check-config
tv_check_out "installed check-config loads the denylist policy" 0 \
	'^configuration ok'
tlsv verify --json --host www.good.internal.test --time "$TV_TIME" \
	"$F/chain-good.pem"
tv_check "a chain with no denied key is trusted" 0 \
	'.verdict == "trusted" and .endpoint == "clean"
	 and (.trace[] | select(.plugin == "denylist") | .verdict) == "ignore"'
tlsv verify --json --host good.internal.test --time "$TV_TIME" \
	"$F/chain-good.pem"
tv_check "a chain whose leaf key is denied is rejected (untrusted)" 1 \
	'.verdict == "rejected" and .reasons == ["untrusted"]
	 and (.trace[0] | .plugin == "denylist" and .verdict == "fail"
	      and .action == "die"
	      and (.message | test("at the leaf .*denied-keys.txt:2")))'

# ---- the embedding example -------------------------------------------

# A sanitizer build's library needs its runtime linked into the program.
step "embed-service builds with pkg-config only (-Werror)" \
	"$tv_make" -C "$work/embed-service" \
	CFLAGS="-O2 -Werror${TV_SAN_FLAGS:+ $TV_SAN_FLAGS}"
no_leak "embed-service build names only the staged prefix" "$log"
service=$work/embed-service/embed-service

tv_cmd="embed-service --once (trusted)"
tv_rc=0
"$service" --once --host www.good.internal.test --time "$TV_TIME" \
	--plugin-dir "$dest$pluginsdir" --metrics "$tv_tmp/once.prom" \
	"$conf" "$F/chain-good.pem" >"$tv_out" 2>"$tv_err" || tv_rc=$?
why=$(tv_why_rc 0)
[ -n "$why" ] || grep -q '^verify: trusted endpoint=clean' "$tv_out" ||
	why="no 'verify: trusted' line"
[ -n "$why" ] ||
	grep -q '^tlsverify_verifications_total{endpoint="clean",verdict="trusted"} 1$' \
		"$tv_tmp/once.prom" || why="metrics file lacks the verification"
tv_result "embed-service --once: trusted, metrics written" "$why"

tv_cmd="embed-service --once (denied)"
tv_rc=0
"$service" --once --host good.internal.test --time "$TV_TIME" \
	--plugin-dir "$dest$pluginsdir" --metrics "$tv_tmp/once.prom" \
	"$conf" "$F/chain-good.pem" >"$tv_out" 2>"$tv_err" || tv_rc=$?
tv_check_out "embed-service --once: denied leaf exits 1" 1 \
	'^verify: rejected \(untrusted\) endpoint=guarded'

# Long-running: SIGUSR1 metrics, SIGHUP reload (good, then broken),
# SIGUSR2 verify now, SIGTERM stop.
events=$tv_tmp/service.out
"$service" --interval 0 --host www.good.internal.test --time "$TV_TIME" \
	--plugin-dir "$dest$pluginsdir" --metrics "$tv_tmp/service.prom" \
	"$conf" "$F/chain-good.pem" >"$events" 2>"$tv_tmp/service.err" \
	</dev/null &
service_pid=$!
tv_cmd="embed-service --interval 0 (pid $service_pid)"
cp /dev/null "$tv_err"
why=
wait_for "$events" '^verify: trusted' 1 10 || why="no first verification"
if [ -z "$why" ]; then
	kill -USR1 "$service_pid"
	wait_for "$events" '^metrics: written' 1 10 || why="SIGUSR1: no metrics"
	grep -q '^tlsverify_config_last_reload_success' "$tv_tmp/service.prom" ||
		why="SIGUSR1: metrics file incomplete"
fi
if [ -z "$why" ]; then
	kill -HUP "$service_pid"
	wait_for "$events" '^reload: ok' 1 10 || why="SIGHUP: no reload"
fi
if [ -z "$why" ]; then
	echo 'sha256//not-a-pin' >>"$conf/other-keys.txt"
	kill -HUP "$service_pid"
	wait_for "$events" '^reload: failed, keeping the running policy: .*other-keys.txt:2' 1 10 ||
		why="SIGHUP with a broken deny list: no failed reload"
fi
if [ -z "$why" ]; then
	kill -USR2 "$service_pid"
	wait_for "$events" '^verify: trusted endpoint=clean' 2 10 ||
		why="SIGUSR2: no second verification on the running policy"
fi
if [ -z "$why" ]; then
	kill -TERM "$service_pid"
	wait_for "$events" '^stop$' 1 10 || why="SIGTERM: no stop"
fi
if [ -z "$why" ]; then
	s_rc=0
	wait "$service_pid" || s_rc=$?
	service_pid=
	[ "$s_rc" -eq 0 ] || why="exit status $s_rc after SIGTERM"
fi
cp "$events" "$tv_out"
tv_result "embed-service: SIGUSR1 metrics, SIGHUP reload, SIGUSR2, SIGTERM" \
	"$why"

tv_done
