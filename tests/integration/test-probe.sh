#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `tlsverify probe` end to end: three loopback TLS servers (good, expired,
# wrong name), /metrics (promtool-clean) and /status over HTTP, SIGHUP
# with a broken policy, SIGTERM, and --once.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

for tool in openssl curl promtool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is not installed (./bootstrap installs it)"
		exit 99
	fi
done
F=$TV_FIXTURES

servers=
probe_pid=

# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
tv_on_exit() {
	# start_server runs in a command substitution (a subshell): its
	# PIDs come back through a file, not through $servers.
	for p in $servers $(cat "$tv_tmp/servers.pids" 2>/dev/null) $probe_pid; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
}

# wait_for FILE ERE SECONDS: bounded wait for ERE to appear in FILE.
wait_for() {
	w_n=0
	while [ "$w_n" -lt $(($3 * 10)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		w_n=$((w_n + 1))
		sleep 0.1
	done
	return 1
}

# start_server NAME LEAF: openssl s_server on 127.0.0.1 serving LEAF (with
# the intermediate); prints the port.
start_server() {
	s_log=$tv_tmp/server-$1.log
	s_try=0
	while [ "$s_try" -lt 5 ]; do
		s_try=$((s_try + 1))
		s_port=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 30000))
		rm -f "$s_log" # no stale ACCEPT before the fork truncates it
		openssl s_server -accept "127.0.0.1:$s_port" -cert "$F/leaf-$2.pem" \
			-key "$F/leaf-$2.key" -cert_chain "$F/inter.pem" -www \
			</dev/null >"$s_log" 2>&1 &
		s_pid=$!
		if wait_for "$s_log" '^ACCEPT' 10; then
			echo "$s_pid" >>"$tv_tmp/servers.pids"
			echo "$s_port"
			return 0
		fi
		kill "$s_pid" 2>/dev/null || :
		wait "$s_pid" 2>/dev/null || :
	done
	return 1
}

good=$(start_server good ip)
expired=$(start_server expired expired)
wrong=$(start_server wrong good)

conf=$tv_tmp/conf.d
mkdir "$conf"
endpoint() {
	printf '{ name = "%s"; hosts = [ "127.0.0.1:%s" ]; probe = "127.0.0.1:%s";\n' "$1" "$2" "$2"
	printf '  chain = ( { use = "pem"; control = "required"; bundle = "%s"; } ); }' "$F/ca.pem"
}
{
	echo 'endpoints = ('
	endpoint good "$good"
	echo ','
	endpoint expired "$expired"
	echo ','
	endpoint wrongname "$wrong"
	echo ');'
} >"$conf/50-probe.conf"

# --once: one round on stdout; some probe failed, so exit 1.
tv_run --conf-dir "$conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR" probe --once --timeout 5
tv_check_out "probe --once: one round, exit 1 when a probe failed" 1 \
	"^tlsverify_probe_success\\{endpoint=\"good\",target=\"127\\.0\\.0\\.1:$good\"\\} 1$"

tv_run probe --once --interval 0
tv_check_err "probe --interval 0 is a usage error" 2 "--interval"
tv_run probe --interval 5
tv_check_err "probe without --listen is a usage error" 2 "--listen"

"$TV_CLI" --conf-dir "$conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR" probe \
	--listen 127.0.0.1:0 --interval 1 --timeout 5 \
	>"$tv_tmp/probe.out" 2>"$tv_tmp/probe.err" </dev/null &
probe_pid=$!
tv_cmd="tlsverify probe --listen 127.0.0.1:0"
if wait_for "$tv_tmp/probe.out" '^listening on http://127\.0\.0\.1:[0-9]+/' 10; then
	tv_result "probe listens on 127.0.0.1" ""
else
	tv_result "probe listens on 127.0.0.1" "no 'listening on' line: $(cat "$tv_tmp/probe.err")"
	exit 1
fi
url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$tv_tmp/probe.out" | head -n 1)

# fetch PATH: GET into $tv_out; prints the HTTP status; tv_rc 0 on 200.
fetch() {
	f_code=$(curl -s --max-time 5 -o "$tv_out" -w '%{http_code}' "$url$1" || :)
	tv_rc=1
	[ "$f_code" = 200 ] && tv_rc=0
	: >"$tv_err"
	echo "$f_code"
}

# Wait (bounded) until every target has been probed once.
n=0
while [ "$n" -lt 150 ]; do
	fetch /metrics >/dev/null || :
	[ "$(grep -c '^tlsverify_probe_last_timestamp_seconds{.*} [1-9]' "$tv_out" || :)" -ge 3 ] && break
	n=$((n + 1))
	sleep 0.1
done

tv_cmd="curl $url/metrics"
fetch /metrics >/dev/null
tv_check_out "/metrics: 200" 0 '^# TYPE tlsverify_probe_success gauge$'
tv_check_out "good endpoint probed and trusted" 0 \
	"^tlsverify_probe_success\\{endpoint=\"good\",target=\"127\\.0\\.0\\.1:$good\"\\} 1$"
tv_check_out "expired endpoint fails" 0 \
	"^tlsverify_probe_success\\{endpoint=\"expired\",target=\"127\\.0\\.0\\.1:$expired\"\\} 0$"
tv_check_out "expired: rejection reason expired" 0 \
	'^tlsverify_rejections_total\{endpoint="expired",reason="expired"\} [1-9]'
tv_check_out "expired: failure stage verify" 0 \
	'^tlsverify_probe_failures_total\{endpoint="expired",target="[^"]*",stage="verify"\} [1-9]'
tv_check_out "wrong name fails with name-mismatch" 0 \
	'^tlsverify_rejections_total\{endpoint="wrongname",reason="name-mismatch"\} [1-9]'
tv_check_out "good endpoint verifications counted" 0 \
	'^tlsverify_verifications_total\{endpoint="good",verdict="trusted"\} [1-9]'
cp "$tv_out" "$tv_tmp/metrics.txt"
tv_cmd="promtool check metrics"
tv_rc=0
promtool check metrics <"$tv_tmp/metrics.txt" >"$tv_out" 2>"$tv_err" || tv_rc=$?
tv_check "promtool check metrics: clean" 0

tv_cmd="curl $url/status"
fetch /status >/dev/null
tv_check "/status: JSON with the three probes" 0 \
	'(.probes | length) == 3 and ([.probes[] | select(.endpoint == "good")][0].ok == true) and ([.probes[] | select(.endpoint == "wrongname")][0].stage == "verify")'
tv_check "/status: endpoint counters" 0 \
	'[.endpoints[] | select(.name == "good")][0].counters.trusted >= 1'

code=$(fetch /nope)
tv_result "unknown path: 404" "$([ "$code" = 404 ] || echo "HTTP $code")"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$url/metrics")
tv_result "POST: 405" "$([ "$code" = 405 ] || echo "HTTP $code")"

# SIGHUP with a broken file: the running policy stays, the failure shows.
printf 'endpoints = ( {\n' >"$conf/60-broken.conf"
kill -HUP "$probe_pid"
n=0
while [ "$n" -lt 100 ]; do
	fetch /metrics >/dev/null || :
	grep -q '^tlsverify_config_last_reload_success 0$' "$tv_out" && break
	n=$((n + 1))
	sleep 0.1
done
tv_cmd="kill -HUP; curl $url/metrics"
tv_check_out "SIGHUP with a broken file: reload failure visible" 0 \
	'^tlsverify_config_last_reload_success 0$'
fetch /status >/dev/null
tv_check "SIGHUP with a broken file: still serving the old policy" 0 \
	'(.endpoints | map(.name) | index("good")) != null and (.reload.error | test("60-broken.conf:2"))'
if kill -0 "$probe_pid" 2>/dev/null; then
	tv_result "probe still running after a bad reload" ""
else
	tv_result "probe still running after a bad reload" "it exited"
fi

# SIGTERM: stops cleanly, within the probe timeout.
kill -TERM "$probe_pid"
n=0
while kill -0 "$probe_pid" 2>/dev/null && [ "$n" -lt 150 ]; do
	n=$((n + 1))
	sleep 0.1
done
rc=0
wait "$probe_pid" || rc=$?
probe_pid=
tv_result "SIGTERM: clean exit 0" "$([ "$rc" -eq 0 ] || echo "exit status $rc")"

tv_done
