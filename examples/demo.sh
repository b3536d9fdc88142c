#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make demo`: the shipped default policy plus a small demo policy, applied by
# the tlsverify CLI to a generated PKI and to a chain served by a local TLS
# server on 127.0.0.1.  Exits 1 when any case differs from its expectation.
#
# Environment: TV_BUILDDIR, TV_SRCDIR (set by make demo); optional TV_CLI,
# TV_BUILD_PLUGIN_DIR, CERTTOOL.
set -eu

: "${TV_BUILDDIR:?TV_BUILDDIR is not set; run make demo}"
: "${TV_SRCDIR:?TV_SRCDIR is not set; run make demo}"
cli=${TV_CLI:-$TV_BUILDDIR/cli/tlsverify}
plugins=${TV_BUILD_PLUGIN_DIR:-$TV_BUILDDIR/build-plugins}
out=$TV_BUILDDIR/demo-out
pki=$out/pki
conf=$out/conf.d

for tool in jq certtool openssl gnutls-cli timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "demo: $tool is required" >&2
		exit 1
	fi
done

# shellcheck source=tests/integration/tls-server.sh
. "$TV_SRCDIR/tests/integration/tls-server.sh"
trap tls_server_stop EXIT
trap 'exit 1' HUP INT TERM

cases=0
failed=0

# --- set-up ---------------------------------------------------------------
rm -rf "$out"
mkdir -p "$out"
${SHELL:-/bin/sh} "$TV_SRCDIR/tests/fixtures/gen-pki.sh" "$pki"

mkdir -p "$conf"
cp "$TV_SRCDIR"/conf.d/*.conf "$conf/"
# Paths are relative to this file: ../pki is the generated PKI.
cat >"$conf/50-demo.conf" <<'CONF'
# Demo policy: the internal PKI through the pem plugin, and one audited
# insecure exception.
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required";
                bundle = "../pki/ca.pem"; crl = "../pki/crl.pem"; } ); },
  { name = "dev-box"; hosts = [ "dev-box.local" ];
    insecure_skip_verify = true;
    reason = "self-signed certificate on the shared dev server, OPS-42";
    owner = "platform-team"; expires = "2027-01-31"; }
);
CONF

echo "tlsverify demo"
echo "  PKI:     $pki"
echo "  policy:  $conf ($(cd "$conf" && echo ./*.conf | sed 's|\./||g'))"
echo "  plugins: $plugins"
echo

# --- verdict table ----------------------------------------------------------
row() {
	printf '%-36s %-20s %-24s %-24s %-16s %s\n' "$@"
}

# describe VERDICT REASONS INSECURE: "trusted", "trusted, INSECURE",
# "rejected: a,b".
describe() {
	if [ "$1" = trusted ]; then
		if [ "$3" = true ]; then
			echo "trusted, INSECURE"
		else
			echo trusted
		fi
	else
		echo "rejected: ${2:--}"
	fi
}

# check LABEL HOST VERDICT REASONS ENDPOINT INSECURE CONF [ARG...] CHAIN:
# one `verify --json`, one table row; counts a case and a failure.  REASONS
# is comma separated in sorted order.
check() {
	c_label=$1 c_host=$2 c_verdict=$3 c_reasons=$4 c_endpoint=$5
	c_insecure=$6 c_conf=$7
	shift 7
	cases=$((cases + 1))
	c_rc=0
	"$cli" --conf-dir "$c_conf" --plugin-dir "$plugins" verify \
		--host "$c_host" --json "$@" >"$out/last.json" 2>"$out/last.err" ||
		c_rc=$?
	c_want=$(describe "$c_verdict" "$c_reasons" "$c_insecure")
	if jq -e 'type == "object"' "$out/last.json" >/dev/null 2>&1 &&
		c_got_v=$(jq -r '.verdict' "$out/last.json") &&
		c_got_r=$(jq -r '[.reasons[]] | sort | join(",")' "$out/last.json") &&
		c_got_e=$(jq -r '.endpoint' "$out/last.json") &&
		c_got_i=$(jq -r '.insecure_skip' "$out/last.json"); then
		c_got=$(describe "$c_got_v" "$c_got_r" "$c_got_i")
	else
		c_got="error (exit $c_rc)" c_got_r=- c_got_e=- c_got_i=-
	fi
	c_want_rc=1
	[ "$c_verdict" != trusted ] || c_want_rc=0
	c_mark=
	if [ "$c_got" != "$c_want" ] || [ "$c_got_e" != "$c_endpoint" ] ||
		[ "$c_rc" -ne "$c_want_rc" ]; then
		failed=$((failed + 1))
		c_mark="  <-- UNEXPECTED (exit $c_rc)"
	fi
	row "$c_label" "$c_host" "$c_want" "$c_got" "${c_got_r:--}" \
		"$c_got_e$c_mark"
	if [ -n "$c_mark" ] && [ -s "$out/last.err" ]; then
		sed 's/^/    stderr: /' "$out/last.err"
	fi
}

# human HOST [ARG...] CHAIN: the last line a person sees from `verify`.
human() {
	h_host=$1
	shift
	"$cli" --conf-dir "$conf" --plugin-dir "$plugins" verify --host "$h_host" \
		"$@" 2>&1 | tail -n 1 | sed 's/^/    /' || :
}

row case host expected got reasons endpoint
row ---- ---- -------- --- ------- --------
check "internal chain, trusted through pem" good.internal.test \
	trusted "" internal false "$conf" "$pki/chain-good.pem"
check "expired leaf" good.internal.test \
	rejected expired internal false "$conf" "$pki/chain-expired.pem"
check "wrong hostname" good.internal.test \
	rejected name-mismatch internal false "$conf" "$pki/chain-wronghost.pem"
check "revoked leaf (CRL)" good.internal.test \
	rejected revoked internal false "$conf" "$pki/chain-revoked.pem"
check "forged api.openai.com, rogue CA" api.openai.com \
	rejected untrusted ai-providers false "$conf" \
	"$pki/chain-openai-forged.pem"
# The exception expires on 2027-01-31: pin the clock on both sides of it.
check "dev-box exception (at 2026-12-01)" dev-box.local \
	trusted "" dev-box true "$conf" --time 2026-12-01 "$pki/chain-dev.pem"
check "dev-box lapsed (at 2027-02-01)" dev-box.local \
	rejected untrusted dev-box false "$conf" --time 2027-02-01 \
	"$pki/chain-dev.pem"

echo
echo "What a person sees for the forged api.openai.com and for dev-box.local:"
human api.openai.com "$pki/chain-openai-forged.pem"
human dev-box.local --time 2026-12-01 "$pki/chain-dev.pem"

# --- a protected endpoint cannot be weakened ------------------------------
echo
echo "A policy that adds insecure_skip_verify for api.openai.com is refused:"
refused=$out/conf-refused.d
mkdir -p "$refused"
cp "$conf"/*.conf "$refused/"
cat >"$refused/60-openai-insecure.conf" <<'CONF'
# "just for debugging": must never load.
endpoints = (
  { name = "openai-debug"; hosts = [ "api.openai.com" ];
    insecure_skip_verify = true; reason = "debugging"; owner = "someone";
    expires = "2027-01-31"; }
);
CONF
cases=$((cases + 1))
r_rc=0
"$cli" --conf-dir "$refused" --plugin-dir "$plugins" check-config \
	>"$out/refused.out" 2>"$out/refused.err" || r_rc=$?
sed -n '1,3s/^/    /p' "$out/refused.err"
if [ "$r_rc" -eq 2 ] &&
	grep -Eq '60-openai-insecure\.conf:[0-9]+' "$out/refused.err"; then
	echo "    -> refused at load (exit 2), naming file:line, as expected"
else
	failed=$((failed + 1))
	echo "    -> UNEXPECTED: exit $r_rc; expected 2 and an error naming" \
		"60-openai-insecure.conf:LINE"
fi

# --- a real TLS server on 127.0.0.1 ----------------------------------------
echo
echo "A local TLS server (openssl s_server on 127.0.0.1) presenting chain-good.pem:"
served=$out/served-chain.pem
if tls_server_start "$pki/chain-good.pem" "$pki/leaf-good.key" \
	"$out/tls-server.log" && tls_server_fetch "$served"; then
	tls_server_stop
	echo "    fetched $(grep -c 'BEGIN CERTIFICATE' "$served") certificates" \
		"from 127.0.0.1:$tls_server_port into $served"
	shipped_only=$out/conf-shipped.d
	mkdir -p "$shipped_only"
	cp "$TV_SRCDIR"/conf.d/*.conf "$shipped_only/"
	echo
	row case host expected got reasons endpoint
	row ---- ---- -------- --- ------- --------
	check "served chain, shipped policy only" good.internal.test \
		rejected untrusted default false "$shipped_only" "$served"
	check "served chain, shipped + demo policy" good.internal.test \
		trusted "" internal false "$conf" "$served"
else
	tls_server_stop
	cases=$((cases + 1))
	failed=$((failed + 1))
	echo "    UNEXPECTED: could not serve or fetch the chain:"
	tail -n 3 "$out/tls-server.log" "$served.log" 2>/dev/null |
		sed 's/^/    /'
fi

echo
if [ "$failed" -ne 0 ]; then
	echo "demo: $cases cases, $failed not as expected"
	exit 1
fi
echo "demo: $cases cases, all as expected"
