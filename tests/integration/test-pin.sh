#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `tlsverify pin` and the pin plugin through the CLI: pins equal openssl's,
# the printed snippet round-trips into a policy, rotation and expiry at fixed
# times, lint and load errors, and pins fetched from a loopback TLS server.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

: "${TV_PIN_FIXTURES:?TV_PIN_FIXTURES is not set; run through make check}"
P=$TV_PIN_FIXTURES
if [ ! -f "$P/chain-ec.pem" ]; then
	echo "Bail out! no fixtures in $P (tests/fixtures/gen-pin-pki.sh)"
	exit 99
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "Bail out! openssl is required (installed by ./bootstrap)"
	exit 99
fi

T=$TV_TIME

# ere PIN: PIN (base64 or hex, so '+' is the only special character) as an
# extended regular expression matching itself.
ere() {
	printf '%s' "$1" | sed 's/+/[+]/g'
}

# openssl_pin CERT: curl's recipe for the sha256// pin of CERT.
openssl_pin() {
	b64=$(openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	echo "sha256//$b64"
}

# openssl_cert_hash CERT: sha256:<hex> of the DER certificate.
openssl_cert_hash() {
	hex=$(openssl x509 -in "$1" -outform der |
		openssl dgst -sha256 -r | cut -d' ' -f1)
	echo "sha256:$hex"
}

# --- pins equal openssl's, for each key type -------------------------------
for kind in rsa ec ed; do
	want=$(openssl_pin "$P/leaf-$kind.pem")
	want_hash=$(openssl_cert_hash "$P/leaf-$kind.pem")
	want_inter=$(openssl_pin "$P/inter.pem")
	tv_run pin --json "$P/chain-$kind.pem"
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "pin $kind leaf: key pin and cert hash equal openssl's" 0 '
		.certificates | length == 2
		and .[0].position == "leaf" and .[0].pin_sha256 == $p
		and .[0].cert_sha256 == $h
		and .[0].subject == "CN=pin.internal.test"
		and .[0].not_after == "2030-01-01T00:00:00Z"
		and .[1].position == "intermediate 1"
		and .[1].pin_sha256 == $i' \
		--arg p "$want" --arg h "$want_hash" --arg i "$want_inter"

	tv_run pin --json "$P/leaf-$kind.pub"
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "pin $kind public key file: same pin, no certificate" 0 '
		.certificates == [{"position": "key", "subject": null,
		  "issuer": null, "not_after": null, "pin_sha256": $p,
		  "cert_sha256": null}]' --arg p "$want"
done

want=$(openssl_pin "$P/ca.pem")
tv_run pin --json "$P/chain-full-ec.pem"
# shellcheck disable=SC2016 # jq, not shell
tv_check "pin of a chain ending in the root (RSA)" 0 '
	[.certificates[].position] == ["leaf", "intermediate 1", "root"]
	and .certificates[2].pin_sha256 == $p' --arg p "$want"

tv_run pin --json "$P/spare.key"
# shellcheck disable=SC2016 # jq, not shell
tv_check "pin of a private key is its public half's" 0 \
	'.certificates[0].pin_sha256 == $p' \
	--arg p "$(openssl pkey -in "$P/spare.key" -pubout -outform der |
		openssl dgst -sha256 -binary | base64 | sed 's|^|sha256//|')"

leaf_pin=$(openssl_pin "$P/leaf-ec.pem")
tv_run pin "$P/chain-ec.pem"
tv_check_out "human output: position, pin, cert hash" 0 \
	"^  pin: +$(ere "$leaf_pin")\$"
tv_check_out "human output: the intermediate" 0 "^certificate 2: intermediate 1\$"
tv_check_out "human output: snippet" 0 "^pins = \\[ \"sha256//"
tv_check_out "human output: snippet says what a real backup is" 0 \
	"tlsverify pin spare-key.pem"

# --- the snippet round-trips into a policy (pem + pin) --------------------
# policy_with DIR SETTINGS...: endpoint "pinned" = pem (the pin test root)
# then pin with SETTINGS.
policy_with() {
	pw_dir=$1
	shift
	mkdir -p "$pw_dir"
	{
		echo 'endpoints = ('
		echo '  { name = "pinned"; hosts = [ "pin.internal.test" ];'
		echo "    chain = ( { use = \"pem\"; control = \"required\"; bundle = \"$P/ca.pem\"; },"
		echo '      { use = "pin"; control = "required";'
		for line in "$@"; do
			echo "        $line"
		done
		echo '      } ); }'
		echo ');'
	} >"$pw_dir/50-pin.conf"
}

tv_run pin --json "$P/chain-ec.pem"
snippet=$(jq -r .snippet "$tv_out")
policy_with "$tv_tmp/roundtrip.d" "$snippet"
tv_case "snippet round-trip: same chain trusted" 0 trusted "" pinned \
	"$tv_tmp/roundtrip.d" pin.internal.test --time "$T" "$P/chain-ec.pem"
tv_verify "$tv_tmp/roundtrip.d" --host pin.internal.test --time "$T" \
	--json "$P/chain-ec.pem"
# shellcheck disable=SC2016 # jq, not shell
tv_check "snippet round-trip: the leaf pin is what matched" 0 '
	.trace[1].plugin == "pin" and .trace[1].verdict == "pass"
	and (.trace[1].message | startswith("primary pin " + $p + " matched the leaf"))' \
	--arg p "$leaf_pin"
# The suggested backup is the intermediate: another leaf of the same CA
# passes through it (what the snippet's comment says).
tv_verify "$tv_tmp/roundtrip.d" --host pin.internal.test --time "$T" \
	--json "$P/chain-rsa.pem"
# shellcheck disable=SC2016 # jq, not shell
tv_check "snippet round-trip: a sibling leaf passes by the backup" 0 '
	.trace[1].verdict == "pass"
	and (.trace[1].message | startswith("backup pin " + $i + " matched intermediate 1"))' \
	--arg i "$(openssl_pin "$P/inter.pem")"
tv_run --conf-dir "$tv_tmp/roundtrip.d" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
	check-config
tv_check_out "snippet round-trip: check-config ok, no warning" 0 \
	"^configuration ok: "
if grep -q warning "$tv_err"; then
	tv_result "snippet round-trip: no lint warning" "stderr has a warning"
else
	tv_result "snippet round-trip: no lint warning" ""
fi

tv_run pin --json "$P/leaf-ed.pub"
policy_with "$tv_tmp/keyonly.d" "$(jq -r .snippet "$tv_out")"
tv_case "public-key snippet round-trip: Ed25519 chain trusted" 0 trusted "" \
	pinned "$tv_tmp/keyonly.d" pin.internal.test --time "$T" \
	"$P/chain-ed.pem"
tv_case "public-key snippet: the ECDSA leaf is rejected" 1 rejected \
	pin-mismatch pinned "$tv_tmp/keyonly.d" pin.internal.test --time "$T" \
	"$P/chain-ec.pem"
tv_run --conf-dir "$tv_tmp/keyonly.d" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
	check-config
tv_check_err "no backup: check-config warns with file:line" 0 \
	"^warning: .*/50-pin\\.conf:[0-9]+: key 'pins': no backup pin: a key rotation will lock clients out\$"

# --- rotation and expiry at fixed times ------------------------------------
spare_pin=$(openssl pkey -pubin -in "$P/spare.pub" -outform der |
	openssl dgst -sha256 -binary | base64 | sed 's|^|sha256//|')
rot=$tv_tmp/rotation.d
policy_with "$rot" "pins = [ \"$leaf_pin\" ];" "backup = [ \"$spare_pin\" ];"
tv_case "rotation: backup pin pre-announced, rotated leaf trusted" 0 trusted \
	"" pinned "$rot" pin.internal.test --time "$T" "$P/chain-rotated.pem"
tv_case "rotation: unpinned key rejected (enforce)" 1 rejected pin-mismatch \
	pinned "$rot" pin.internal.test --time "$T" "$P/chain-unpinned.pem"
tv_check_out "rotation: the rejection lists the presented pin" 1 \
	"$(ere "$(openssl_pin "$P/leaf-unpinned.pem")")"

report=$tv_tmp/report.d
policy_with "$report" "pins = [ \"$leaf_pin\" ];" \
	"backup = [ \"$spare_pin\" ];" 'mode = "report";'
tv_case "report mode: unpinned key trusted" 0 trusted "" pinned "$report" \
	pin.internal.test --time "$T" "$P/chain-unpinned.pem"
tv_check_err "report mode: the mismatch is logged" 0 \
	"warning: no pin matched at position any"

expiring=$tv_tmp/expires.d
policy_with "$expiring" "pins = [ \"$leaf_pin\" ];" \
	"backup = [ \"$spare_pin\" ];" 'expires = "2027-01-01";'
tv_case "expires: enforced before" 1 rejected pin-mismatch pinned \
	"$expiring" pin.internal.test --time 2026-12-31T23:59:59Z \
	"$P/chain-unpinned.pem"
tv_case "expires: lapsed after" 0 trusted "" pinned "$expiring" \
	pin.internal.test --time 2027-01-01T00:00:01Z "$P/chain-unpinned.pem"
tv_check_out "expires: the trace says pinning lapsed" 0 \
	"pinning lapsed at 2027-01-01T00:00:00Z"

inter_pin=$(openssl_pin "$P/inter.pem")
other_pin=$(openssl_pin "$P/other-ca.pem")
mid=$tv_tmp/intermediate.d
policy_with "$mid" "pins = [ \"$inter_pin\" ];" \
	"backup = [ \"$other_pin\" ];" 'position = "intermediate";'
for chain in ec rotated unpinned; do
	tv_case "intermediate pin survives leaf rotation: $chain" 0 trusted "" \
		pinned "$mid" pin.internal.test --time "$T" "$P/chain-$chain.pem"
done

root=$tv_tmp/root.d
policy_with "$root" "pins = [ \"$(openssl_pin "$P/ca.pem")\" ];" \
	"backup = [ \"$other_pin\" ];" 'position = "root";'
tv_case "root pin via the pem anchor" 0 trusted "" pinned "$root" \
	pin.internal.test --time "$T" "$P/chain-rsa.pem"

# --- load errors name file:line ----------------------------------------------
bad_pin() { # NAME ERE SETTINGS...
	bp_name=$1 bp_ere=$2
	shift 2
	bp_dir=$tv_tmp/bad-$(echo "$bp_name" | tr -c 'a-z0-9' '-')
	policy_with "$bp_dir" "$@"
	tv_run --conf-dir "$bp_dir" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
		check-config
	tv_check_err "load error: $bp_name" 2 "50-pin\\.conf:[0-9]+: .*$bp_ere"
}
bad_pin "sha1 pin" "unknown pin algorithm 'sha1'" \
	'pins = [ "sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=" ];'
bad_pin "sha384 pin" "unknown pin algorithm 'sha384'" \
	'pins = [ "sha384//AAAA" ];'
bad_pin "bad base64" "not valid base64" \
	'pins = [ "sha256//not base64 at all, not at all, not at all!!" ];'
bad_pin "wrong length" "decodes to 3 bytes" 'pins = [ "sha256//AAAA" ];'
bad_pin "bad hex" "not a SHA-256 certificate hash" 'pins = [ "sha256:xyz" ];'
bad_pin "unreadable file" "cannot read pin file" \
	'pins = [ "no-such-file.pem" ];'
bad_pin "backup equal to a primary" "matches a primary pin" \
	"pins = [ \"$leaf_pin\" ];" "backup = [ \"$P/leaf-ec.pub\" ];"

# --- the shipped example loads once its placeholders are filled in ----------
ex=$tv_tmp/example.d
mkdir -p "$ex"
cp "$P/ca.pem" "$ex/internal-ca.pem"
cp "$P/spare.pub" "$ex/spare-key.pub"
cp "$TV_SRCDIR/conf.d/examples/60-pinning.conf.example" "$ex/60-pinning.conf"
tv_run --conf-dir "$ex" --plugin-dir "$TV_BUILD_PLUGIN_DIR" check-config
tv_check_err "example as shipped: the placeholder pin is refused" 2 \
	"60-pinning\\.conf:[0-9]+: key 'pins': 'sha256//REPLACE"
sed -e "s|sha256//REPLACE[^\"]*|$leaf_pin|" \
	-e 's|"payments.internal:8443"|"pin.internal.test:8443"|' \
	"$TV_SRCDIR/conf.d/examples/60-pinning.conf.example" >"$ex/60-pinning.conf"
tv_run --conf-dir "$ex" --plugin-dir "$TV_BUILD_PLUGIN_DIR" check-config
tv_check_out "example with a real pin: loads" 0 "^configuration ok: "
tv_case "example with a real pin: the pinned leaf is trusted" 0 trusted "" \
	payments "$ex" pin.internal.test --port 8443 --time "$T" \
	"$P/chain-ec.pem"

# --- pins fetched from a loopback TLS server ---------------------------------
srv_pid=
srv_port=
srv_log=$tv_tmp/s_server.log
srv_stop() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null || :
		# It may be stopped (the timeout check): let it see the TERM.
		kill -CONT "$srv_pid" 2>/dev/null || :
		wait "$srv_pid" 2>/dev/null || :
		srv_pid=
	fi
}
# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
tv_on_exit() { srv_stop; }

# srv_start: openssl s_server on 127.0.0.1 and a random port, serving the
# ECDSA leaf and the intermediate; bounded waits, a few ports tried.
srv_start() {
	ss_try=0
	while [ "$ss_try" -lt 5 ]; do
		ss_try=$((ss_try + 1))
		srv_port=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 30000))
		rm -f "$srv_log" # no stale ACCEPT before the fork truncates it
		openssl s_server -accept "127.0.0.1:$srv_port" \
			-cert "$P/leaf-ec.pem" -key "$P/leaf-ec.key" \
			-cert_chain "$P/inter.pem" -www \
			</dev/null >"$srv_log" 2>&1 &
		srv_pid=$!
		ss_poll=0
		while [ "$ss_poll" -lt 100 ]; do
			grep -q '^ACCEPT' "$srv_log" 2>/dev/null && return 0
			kill -0 "$srv_pid" 2>/dev/null || break
			ss_poll=$((ss_poll + 1))
			sleep 0.1
		done
		srv_stop
	done
	return 1
}

if srv_start; then
	tv_run pin --json "$P/chain-ec.pem"
	file_pins=$(jq -c '[.certificates[] | [.position, .pin_sha256, .cert_sha256]]' "$tv_out")
	tv_run pin --json --timeout 10 "127.0.0.1:$srv_port"
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "pin 127.0.0.1:PORT gives the file's pins" 0 \
		'[.certificates[] | [.position, .pin_sha256, .cert_sha256]] == $f' \
		--argjson f "$file_pins"
	tv_run pin --sni pin.internal.test "127.0.0.1:$srv_port"
	tv_check_out "pin with --sni, human output" 0 \
		"^  pin: +$(ere "$leaf_pin")\$"
	# A stopped server still completes TCP connections (the kernel
	# does) but never answers the ClientHello: the handshake must give up
	# after --timeout.
	kill -STOP "$srv_pid"
	tv_run pin --timeout 1 "127.0.0.1:$srv_port"
	kill -CONT "$srv_pid"
	tv_check_err "pin against a server that does not answer: timeout" 2 \
		"127\\.0\\.0\\.1 port $srv_port: TLS handshake: timed out"
	srv_stop
	tv_run pin --timeout 5 "127.0.0.1:$srv_port"
	tv_check_err "pin against a closed port: exit 2" 2 \
		"cannot connect to 127\\.0\\.0\\.1 port $srv_port: "
else
	tv_result "openssl s_server on 127.0.0.1" \
		"did not start: $(tail -n 3 "$srv_log")"
fi

# --- usage ------------------------------------------------------------------
tv_run pin
tv_check_err "pin without an operand: usage error" 2 "missing FILE.pem"
tv_run pin --timeout 0 127.0.0.1:1
tv_check_err "pin --timeout 0: usage error" 2 "--timeout"
tv_run pin "$tv_tmp/no-such.pem"
tv_check_err "pin of a missing file: exit 2" 2 "no-such\\.pem"
tv_run pin "$P/garbage.pem"
tv_check_err "pin of a file without certificate or key: exit 2" 2 \
	"no PEM certificate, public key or unencrypted private key"
tv_run pin --sni x "$P/chain-ec.pem"
tv_check_err "pin --sni with a file: usage error" 2 "HOST:PORT only"
tv_run pin --help
tv_check_out "pin --help says the fetch trusts nothing" 0 "trusts nothing"

tv_done
