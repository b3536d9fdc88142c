#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `tlsverify check-config` and `verify` with discovery steps: settings
# errors name file:line, the example policy loads, a file bundle verifies.
# Nothing is contacted: etcd endpoints point at a closed loopback port.
. "$TV_SRCDIR/tests/integration/lib.sh"
P=$TV_BUILD_PLUGIN_DIR
# Loopback only: no proxy from the environment may be consulted.
export no_proxy='*' NO_PROXY='*'

# --- errors name the file, the line and the key -----------------------------
bad=$tv_tmp/bad
mkdir -p "$bad"
cat >"$bad/50-disc.conf" <<'CONF'
endpoints = ( { name = "svc"; hosts = [ "good.internal.test" ];
  chain = ( { use = "discovery"; control = "required";
    source = "etcd"; endpoints = [ "http://127.0.0.1:9" ];
    key = "/k"; prefix = "/p/"; } ); } );
CONF
tv_run --conf-dir "$bad" --plugin-dir "$P" check-config
tv_check_err "check-config: key and prefix together" 2 \
	'50-disc\.conf:[0-9]+: .*exactly one of key and prefix'

sed 's|key = "/k"; prefix = "/p/";|key = "/k"; max_staleness = "1h";|' \
	"$bad/50-disc.conf" >"$bad/50-disc.conf.new"
mv "$bad/50-disc.conf.new" "$bad/50-disc.conf"
tv_run --conf-dir "$bad" --plugin-dir "$P" check-config
tv_check_err "check-config: max_staleness of the wrong type" 2 \
	'50-disc\.conf:[0-9]+: .*max_staleness'

# --- the example policy loads (loopback stand-ins for its hosts) -----------
ex=$tv_tmp/example
mkdir -p "$ex/state"
sed -e 's|https://etcd-[12].internal:2379|http://127.0.0.1:9|' \
	-e 's|ca = "etcd-ca.pem";||' \
	-e 's|certificate = "etcd-client.pem";||' \
	-e 's|private_key = "etcd-client.key";||' \
	-e "s|/var/lib/tlsverify/internal-etcd.json|$ex/state/lkg.json|" \
	-e 's|initial_timeout = 5;|initial_timeout = 0;|' \
	-e "s|/etc/trust/ca.pem|$ex/ca.pem|" \
	"$TV_SRCDIR/conf.d/examples/80-discovery.conf.example" \
	>"$ex/80-discovery.conf"
cp "$F/ca.pem" "$ex/ca.pem"
tv_run --conf-dir "$ex" --plugin-dir "$P" check-config
tv_check_out "conf.d/examples/80-discovery.conf.example loads" 0 \
	"^configuration ok: "

# The file step trusts the bundle; the etcd step has none: UNAVAIL.
tv_verify "$ex" --host a.cluster.internal --time "$TV_TIME" --json \
	"$F/chain-good.pem"
tv_check "file source: the discovery step passes (only the name differs)" 1 \
	'.reasons == ["name-mismatch"] and
	 ([.trace[] | select(.plugin == "discovery") | .verdict] == ["pass"])'
tv_verify "$ex" --host x.svc.internal --time "$TV_TIME" --json \
	"$F/chain-good.pem"
tv_check "etcd down, no cache: source-unavailable" 1 \
	'.verdict == "rejected" and (.reasons | index("source-unavailable"))'
tv_done
