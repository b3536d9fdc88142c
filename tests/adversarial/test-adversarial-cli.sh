#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults at the CLI: a plugin that crashes in open(), and `tlsverify
# probe` hit with malformed HTTP (a garbage request line, a 1 MB header,
# a stalled request head).  Each ends in a clean report or a refused
# request, and the prober keeps serving; nothing hangs (every wait is
# bounded).
. "$TV_SRCDIR/tests/integration/lib.sh"

: "${TV_MOCK_DIR:?}"
if ! command -v curl >/dev/null 2>&1; then
	echo "Bail out! curl is required (installed by ./bootstrap)"
	exit 99
fi

# ---- a plugin that crashes in open --------------------------------------
plugins=$tv_tmp/plugins
mkdir -m 0755 "$plugins"
cp "$TV_MOCK_DIR/mock-crashopen.so" "$TV_BUILD_PLUGIN_DIR/pem.so" "$plugins/"
chmod 0755 "$plugins"/*.so
mkdir "$tv_tmp/crash"
cat >"$tv_tmp/crash/50-crash.conf" <<EOF
endpoints = (
  { name = "fine"; hosts = [ "a.example" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); },
  { name = "crashy"; hosts = [ "b.example" ];
    chain = ( { use = "mock-crashopen"; control = "required"; } ); }
);
EOF
# Under ASan, let the signal end the child as it would in production.
crash_run() {
	tv_cmd="tlsverify $*"
	tv_rc=0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" \
		timeout 60 "$TV_CLI" --plugin-dir "$plugins" \
		--conf-dir "$tv_tmp/crash" "$@" >"$tv_out" 2>"$tv_err" \
		</dev/null || tv_rc=$?
}
crash_run check-config
tv_check_err "check-config: the crash is reported, naming the plugin" 2 \
	"^tlsverify: plugin 'mock-crashopen' crashed in open \\(signal 11\\)$"
why=
grep -q 'configuration ok' "$tv_out" && why="stdout says configuration ok"
tv_result "check-config: no 'configuration ok' after the crash" "$why"
# verify loads in process, as an embedding program does: the crash takes
# it down (documented in tlsverify-plugin(7)); it never passes.
crash_run verify --host a.example --time "$TV_TIME" "$F/chain-good.pem"
why=
[ "$tv_rc" -gt 128 ] || why="exit status $tv_rc, expected death by a signal"
grep -q 'verdict: trusted' "$tv_out" && why="stdout says trusted"
tv_result "verify: the process dies with the plugin, no verdict" "$why"

# ---- the prober and malformed HTTP --------------------------------------
mkdir "$tv_tmp/probe"
cat >"$tv_tmp/probe/50-probe.conf" <<EOF
endpoints = ( { name = "fine"; hosts = [ "a.example" ];
  chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); } );
EOF
probe_pid=
stall_pid=
writer_pid=
tv_on_exit() {
	for p in $writer_pid $stall_pid $probe_pid; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
}
"$TV_CLI" --conf-dir "$tv_tmp/probe" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
	probe --listen 127.0.0.1:0 --interval 60 \
	>"$tv_tmp/probe.out" 2>"$tv_tmp/probe.err" </dev/null &
probe_pid=$!
n=0
while [ "$n" -lt 100 ] && ! grep -q '^listening on http://127\.0\.0\.1:' \
	"$tv_tmp/probe.out" 2>/dev/null; do
	n=$((n + 1))
	sleep 0.1
done
url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' \
	"$tv_tmp/probe.out" | head -n 1)
port=${url##*:}
tv_cmd="tlsverify probe --listen 127.0.0.1:0"
if [ -z "$port" ]; then
	tv_result "probe listens" "no 'listening on' line: $(cat "$tv_tmp/probe.err")"
	exit 1
fi

# alive NAME: the prober still answers /metrics with 200.
alive() {
	tv_cmd="curl $url/metrics (after $1)"
	code=$(curl -s --max-time 10 -o "$tv_out" -w '%{http_code}' \
		"$url/metrics" || :)
	why=
	[ "$code" = 200 ] || why="HTTP status '$code'"
	kill -0 "$probe_pid" 2>/dev/null || why="the prober died"
	tv_result "$1: the prober still serves /metrics" "$why"
}

# raw TEXT: TEXT sent as is over TCP (curl's telnet:// sends stdin
# unchanged); the reply in $tv_out.
raw() {
	tv_rc=0
	printf '%b' "$1" | curl -s --max-time 10 "telnet://127.0.0.1:$port" \
		>"$tv_out" 2>/dev/null || tv_rc=$?
}

tv_cmd="garbage request line"
raw '\001\002GARBAGE \377\376 \r\n\r\n'
why=
grep -q '^HTTP/1\.[01] 400' "$tv_out" || why="no 400 reply: $(head -c 200 "$tv_out")"
tv_result "garbage request line: 400 Bad Request" "$why"
alive "garbage request line"

tv_cmd="curl -H 'X-Big: <1 MB>' $url/metrics"
{
	printf 'X-Big: '
	head -c 1048576 /dev/zero | tr '\0' a
	echo
} >"$tv_tmp/big-header"
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
	-H "@$tv_tmp/big-header" "$url/metrics" || :)
why=
case $code in
4??) ;;
000) ;; # connection closed without a reply: refused too
*) why="HTTP status '$code' for a 1 MB header" ;;
esac
tv_result "1 MB header: refused (4xx or closed)" "$why"
alive "1 MB header"

# Slowloris: half a request head, then nothing.  The prober must close
# the connection by itself (5 s for a request head), and serve others
# meanwhile.
tv_cmd="half a request head, then a stall"
mkfifo "$tv_tmp/stall.fifo"
(
	printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n'
	exec sleep 60
) >"$tv_tmp/stall.fifo" &
writer_pid=$!
curl -s --max-time 60 "telnet://127.0.0.1:$port" <"$tv_tmp/stall.fifo" \
	>"$tv_tmp/stall.out" 2>/dev/null &
stall_pid=$!
# established COUNT: connections to the prober's port in state
# ESTABLISHED on its side (/proc/net/tcp: local address, state 01).
# curl's telnet client does not exit on the server's FIN while its input
# stays open, so the server's side is what tells.
established() {
	awk -v p=":$(printf '%04X' "$port")" \
		'substr($2, length($2) - 4) == p && $4 == "01"' /proc/net/tcp |
		wc -l
}
n=0
while [ "$n" -lt 100 ] && [ "$(established)" -eq 0 ]; do
	n=$((n + 1))
	sleep 0.1
done
tv_cmd="half a request head, then a stall"
why=
[ "$(established)" -gt 0 ] || why="the stalled connection never showed"
tv_result "stalled request head: connection open" "$why"
alive "a stalled request head, still open"
start=$(date +%s)
n=0
while [ "$n" -lt 300 ] && [ "$(established)" -gt 0 ]; do
	n=$((n + 1))
	sleep 0.1
done
took=$(($(date +%s) - start))
why=
[ "$(established)" -eq 0 ] ||
	why="the stalled connection was still open after 30 s"
tv_cmd="half a request head, then a stall"
tv_result "stalled request head: the prober closes it (${took}s)" "$why"
grep -q '^HTTP/1\.1 200' "$tv_tmp/stall.out" &&
	tv_result "stalled request head: never answered as complete" \
		"a 200 reply for half a request" ||
	tv_result "stalled request head: never answered as complete" ""
alive "the stall"

echo "1..$tv_n"
[ "$tv_failed" -eq 0 ]
