#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile policy directories through `tlsverify check-config` and
# `verify`: each ends in exit 2 with a message naming the file (or, for
# the valid 100,000-endpoint policy, the right verdict), in bounded time
# and memory; never a hang, a crash or "configuration ok".
. "$TV_SRCDIR/tests/integration/lib.sh"

# Every CLI run here is bounded: a hang fails the check instead of the
# whole suite.
tlsv() {
	tv_cmd="tlsverify $*"
	tv_rc=0
	timeout 120 "$TV_CLI" --plugin-dir "$TV_BUILD_PLUGIN_DIR" "$@" \
		>"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
}

# policy NAME: a fresh policy directory with one good endpoint.
policy() {
	mkdir -p "$tv_tmp/$1"
	cat >"$tv_tmp/$1/10-good.conf" <<EOF
endpoints = ( { name = "good"; hosts = [ "www.good.internal.test" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); } );
EOF
}

# refused NAME ERE: check-config of $tv_tmp/NAME exits 2, stderr matches
# ERE and stays short (messages quote the file, not all of it).
refused() {
	tlsv --conf-dir "$tv_tmp/$1" check-config
	why=$(tv_why_rc 2)
	[ -n "$why" ] || grep -Eq -- "$2" "$tv_err" || why="stderr does not match /$2/"
	size=$(wc -c <"$tv_err")
	[ -n "$why" ] || [ "$size" -lt 2048 ] || why="stderr is $size bytes"
	tv_result "$1: refused" "$why"
}

a_mib=$(head -c 1048576 /dev/zero | tr '\0' a)

# ---- 1 MB strings ----------------------------------------------------
policy big-host
printf 'endpoints = ( { name = "big"; hosts = [ "%s" ];\n  chain = ( { use = "pem"; control = "required"; bundle = "%s"; } ); } );\n' \
	"$a_mib" "$F/ca.pem" >"$tv_tmp/big-host/50-big.conf"
refused big-host "50-big.conf:1: bad host pattern 'a+ \.\.\. a+'"

policy big-name
printf 'endpoints = ( { name = "%s"; hosts = [ "x.example" ];\n  chain = ( { use = "pem"; control = "required"; bundle = "%s"; } ); } );\n' \
	"$a_mib" "$F/ca.pem" >"$tv_tmp/big-name/50-big.conf"
refused big-name "50-big.conf:1: invalid endpoint name .*at most 128 characters"

policy big-setting
printf 'endpoints = ( { name = "big"; hosts = [ "x.example" ];\n  chain = ( { use = "pem"; control = "required"; bundle = "%s"; } ); } );\n' \
	"$a_mib" >"$tv_tmp/big-setting/50-big.conf"
refused big-setting "50-big.conf"

# ---- deep nesting ----------------------------------------------------
# 100,000 levels: libconfig's parser stack (under 5,000 levels) ends it.
# nest DEPTH OPEN CLOSE [MIDDLE]: a step setting nested DEPTH times.
nest() {
	awk -v d="$1" -v o="$2" -v c="$3" -v m="${4:-}" -v ca="$F/ca.pem" 'BEGIN {
		s = ""; for (i = 0; i < d; i++) s = s o
		t = ""; for (i = 0; i < d; i++) t = t c
		printf "endpoints = ( { name = \"deep\"; hosts = [ \"x.example\" ];\n"
		printf "  chain = ( { use = \"pem\"; control = \"required\"; bundle = \"%s\"; deep = %s%s%s; } ); } );\n", ca, s, m, t
	}'
}
policy deep-lists
nest 100000 '(' ')' >"$tv_tmp/deep-lists/50-deep.conf"
refused deep-lists "50-deep.conf:[0-9]+: syntax error"
policy deep-groups
nest 100000 '{ a = ' '; }' 1 >"$tv_tmp/deep-groups/50-deep.conf"
refused deep-groups "50-deep.conf:[0-9]+: syntax error"
# 1,000 levels parse; the pem step then refuses its unknown key.
policy deep-ok
nest 1000 '(' ')' >"$tv_tmp/deep-ok/50-deep.conf"
refused deep-ok "50-deep.conf:[0-9]+: .*deep"

# ---- 100,000 endpoints -----------------------------------------------
# A valid policy: the right endpoint decides, in bounded memory (one pin
# instance each; the loader opens one instance per step).
policy many
awk -v n=100000 'BEGIN {
	print "endpoints = ("
	for (i = 1; i <= n; i++)
		printf "%s{ name = \"e%d\"; hosts = [ \"h%d.fleet.test\" ]; chain = ( { use = \"pin\"; control = \"required\"; pins = [ \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" ]; backup = [ \"sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\" ]; } ); }\n", (i > 1 ? "," : ""), i, i
	print ");"
}' >"$tv_tmp/many/50-many.conf"
# 2 GB of address space is plenty for it (~400 MB resident); sanitizer
# builds reserve terabytes of shadow memory, so no limit there.
limit=
[ -n "${TV_SAN_FLAGS:-}" ] || limit="ulimit -v 2000000;"
many_verify() {
	tv_cmd="tlsverify verify --host $1 (100,000 endpoints)"
	tv_rc=0
	(eval "$limit" && exec timeout 300 "$TV_CLI" --plugin-dir \
		"$TV_BUILD_PLUGIN_DIR" --conf-dir "$tv_tmp/many" verify --json \
		--host "$1" --time "$TV_TIME" "$F/chain-good.pem") \
		>"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
}
many_verify www.good.internal.test
tv_check "100,000 endpoints: the first file's endpoint trusts" 0 \
	'.verdict == "trusted" and .endpoint == "good"'
many_verify h99999.fleet.test
tv_check "100,000 endpoints: endpoint e99999 decides (pin-mismatch)" 1 \
	'.verdict == "rejected" and .endpoint == "e99999"
	 and (.reasons | index("pin-mismatch"))'

# ---- entries that are not readable regular files ---------------------
policy link-self
ln -s 60-self.conf "$tv_tmp/link-self/60-self.conf"
refused link-self "60-self.conf: cannot open: Too many levels of symbolic links"
policy link-pair
ln -s 61-b.conf "$tv_tmp/link-pair/60-a.conf"
ln -s 60-a.conf "$tv_tmp/link-pair/61-b.conf"
refused link-pair "60-a.conf: cannot open: Too many levels of symbolic links"
policy link-dir
ln -s . "$tv_tmp/link-dir/60-sub.conf"
refused link-dir "60-sub.conf: not a regular file"
policy link-dangling
ln -s "$tv_tmp/nonexistent" "$tv_tmp/link-dangling/60-gone.conf"
refused link-dangling "60-gone.conf: cannot open: No such file or directory"
# A FIFO would block an open() for reading until a writer comes.
policy fifo
mkfifo "$tv_tmp/fifo/60-fifo.conf"
refused fifo "60-fifo.conf: not a regular file"
policy dir
mkdir "$tv_tmp/dir/60-dir.conf"
refused dir "60-dir.conf: not a regular file"
# libconfig opens @include files itself: refused, FIFO or not.
policy include-fifo
mkfifo "$tv_tmp/include-fifo.fifo"
printf '@include "%s"\n' "$tv_tmp/include-fifo.fifo" \
	>"$tv_tmp/include-fifo/60-inc.conf"
refused include-fifo "60-inc.conf:1: @include is not supported"

# Unreadable: the tests run as root, whom mode 000 does not stop, so the
# CLI runs as nobody (setpriv) against a 000 file.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
	id nobody >/dev/null 2>&1; then
	policy unreadable
	cp "$tv_tmp/unreadable/10-good.conf" "$tv_tmp/unreadable/60-secret.conf"
	chmod 000 "$tv_tmp/unreadable/60-secret.conf"
	chmod 0755 "$tv_tmp" "$tv_tmp/unreadable"
	tv_cmd="setpriv --reuid=nobody tlsverify check-config"
	tv_rc=0
	timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$TV_CLI" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
		--conf-dir "$tv_tmp/unreadable" check-config \
		>"$tv_out" 2>"$tv_err" </dev/null || tv_rc=$?
	why=$(tv_why_rc 2)
	[ -n "$why" ] || grep -q '60-secret.conf: cannot open: Permission denied' \
		"$tv_err" || why="no 'Permission denied' for 60-secret.conf"
	tv_result "unreadable (mode 000, as nobody): refused" "$why"
else
	echo "ok $((tv_n += 1)) - # SKIP unreadable: needs root, setpriv and user nobody"
fi

echo "1..$tv_n"
[ "$tv_failed" -eq 0 ]
