#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Policy loading through the CLI: check-config, protected endpoints refused
# at load with file:line, audited insecure exceptions and their expiry,
# endpoint overrides, configuration errors.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

T=$TV_TIME
P=$TV_BUILD_PLUGIN_DIR
shipped=$TV_SRCDIR/conf.d

# mkconf NAME: a new conf dir holding copies of the shipped *.conf files.
mkconf() {
	mkdir -p "$tv_tmp/$1"
	cp "$shipped"/*.conf "$tv_tmp/$1/"
	echo "$tv_tmp/$1"
}

# --- check-config ----------------------------------------------------------
tv_run --conf-dir "$shipped" --plugin-dir "$P" check-config
tv_check_out "check-config on the shipped conf.d" 0 \
	"^configuration ok: .*conf\\.d/?\$"
tv_result "check-config on the shipped conf.d: no warnings" \
	"$(sed -n '1s/^/unexpected stderr: /p' "$tv_err")"

# A required step after a sufficient one that can short-circuit it.
lint=$tv_tmp/lint
mkdir -p "$lint"
cat >"$lint/50-lint.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "system"; control = "sufficient"; },
              { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF
tv_run --conf-dir "$lint" --plugin-dir "$P" check-config
tv_check_err "check-config warns about a fail-open ordering" 0 \
	'^warning: .*50-lint\.conf:[0-9]+'
tv_check_out "check-config with warnings still reports ok" 0 \
	"^configuration ok: "

tv_run --conf-dir "$tv_tmp/does-not-exist" --plugin-dir "$P" check-config
tv_check "check-config on a missing directory" 2

tv_run --plugin-dir "$P" plugins
tv_check_out "plugins lists system" 0 "system"
tv_check_out "plugins lists pem" 0 "pem"

# --- the dev-box insecure exception -------------------------------------
dev=$(mkconf dev)
cat >"$dev/50-dev.conf" <<'CONF'
endpoints = (
  { name = "dev-box"; hosts = [ "dev-box.local" ];
    insecure_skip_verify = true; reason = "self-signed dev server, OPS-42";
    owner = "platform-team"; expires = "2027-01-31"; }
);
CONF
tv_run --conf-dir "$dev" --plugin-dir "$P" check-config
tv_check_out "check-config accepts the dev-box exception" 0 \
	"^configuration ok: "

tv_verify "$dev" --host dev-box.local --time "$T" "$F/chain-dev.pem"
tv_check_out "insecure exception: human verdict" 0 \
	'^verdict: trusted \(INSECURE: verification skipped\): '
tv_verify "$dev" --host dev-box.local --time "$T" --json "$F/chain-dev.pem"
tv_check "insecure exception: JSON" 0 \
	'.verdict == "trusted" and .insecure_skip == true
	 and .endpoint == "dev-box" and .host == "dev-box.local"
	 and .reasons == []'
tv_verify "$dev" --host dev-box.local --time 2027-01-30T23:59:59Z --json \
	"$F/chain-dev.pem"
tv_check "insecure exception: last second before expires" 0 \
	'.verdict == "trusted" and .insecure_skip == true'
tv_verify "$dev" --host dev-box.local --time 2027-02-01 --json \
	"$F/chain-dev.pem"
tv_check "insecure exception lapsed: full verification rejects" 1 \
	'.verdict == "rejected" and .insecure_skip == false
	 and .endpoint == "dev-box" and .reasons == ["untrusted"]'
tv_verify "$dev" --host dev-box.local --time 2027-02-01 "$F/chain-dev.pem"
tv_check_out "insecure exception lapsed: human verdict" 1 \
	'^verdict: rejected \('
tv_verify "$dev" --host other-box.local --time "$T" --json "$F/chain-dev.pem"
tv_check "insecure exception covers only its host" 1 \
	'.verdict == "rejected" and .insecure_skip == false'

# --- protected endpoints cannot be weakened ------------------------------
# Each offending endpoint sits on line 2 so the error must name ":2".
refuse() { # NAME CONF-LINE
	d=$(mkconf "refuse-$1")
	printf 'endpoints = (\n%s\n);\n' "$2" >"$d/90-$1.conf"
	tv_run --conf-dir "$d" --plugin-dir "$P" check-config
	tv_check_err "refused at load: $1 (check-config)" 2 \
		"90-$1\\.conf:2([^0-9]|\$)"
	tv_verify "$d" --host api.openai.com --time "$T" \
		"$F/chain-openai-forged.pem"
	tv_check_err "refused at load: $1 (verify)" 2 "90-$1\\.conf:2([^0-9]|\$)"
	tv_result "refused at load: $1 prints no verdict" \
		"$(sed -n '/^verdict:/{s/^/stdout has /p;q;}' "$tv_out")"
}
refuse insecure-openai '  { name = "openai-direct"; hosts = [ "api.openai.com" ]; insecure_skip_verify = true; reason = "debugging"; owner = "someone"; expires = "2027-01-31"; }'
refuse insecure-openai-wildcard '  { name = "openai-all"; hosts = [ "*.openai.com" ]; insecure_skip_verify = true; reason = "debugging"; owner = "someone"; expires = "2027-01-31"; }'
refuse no-hostname-openai '  { name = "openai-noname"; hosts = [ "api.openai.com" ]; verify_hostname = false; chain = ( { use = "system"; control = "required"; } ); }'
refuse replace-ai-providers '  { name = "ai-providers"; hosts = [ "api.openai.com" ]; chain = ( { use = "system"; control = "required"; } ); }'

# The same insecure endpoint for a host no protected pattern covers loads.
d=$(mkconf insecure-other)
cat >"$d/90-other.conf" <<'CONF'
endpoints = (
  { name = "openai-lookalike"; hosts = [ "api.openai.com.example" ]; insecure_skip_verify = true; reason = "lab"; owner = "qa"; expires = "2027-01-31"; }
);
CONF
tv_run --conf-dir "$d" --plugin-dir "$P" check-config
tv_check_out "insecure exception next to a protected host loads" 0 \
	"^configuration ok: "
tv_verify "$d" --host api.openai.com --time "$T" --json \
	"$F/chain-openai-forged.pem"
tv_check "api.openai.com stays with ai-providers" 1 \
	'.endpoint == "ai-providers" and .insecure_skip == false
	 and (.reasons | index("untrusted")) != null'

# --- insecure exceptions must be justified --------------------------------
bad() { # NAME BODY: a conf.d with only BODY must fail with file:line
	mkdir -p "$tv_tmp/bad-$1"
	printf '%s\n' "$2" >"$tv_tmp/bad-$1/50-bad.conf"
	tv_run --conf-dir "$tv_tmp/bad-$1" --plugin-dir "$P" check-config
	tv_check_err "config error: $1" 2 '50-bad\.conf:[0-9]+'
}
bad insecure-without-reason 'endpoints = ( { name = "dev-box"; hosts = [ "dev-box.local" ]; insecure_skip_verify = true; owner = "x"; expires = "2027-01-31"; } );'
bad insecure-without-expires 'endpoints = ( { name = "dev-box"; hosts = [ "dev-box.local" ]; insecure_skip_verify = true; reason = "x"; owner = "x"; } );'
bad insecure-bad-expires 'endpoints = ( { name = "dev-box"; hosts = [ "dev-box.local" ]; insecure_skip_verify = true; reason = "x"; owner = "x"; expires = "next week"; } );'
bad unknown-endpoint-key 'endpoints = ( { name = "x"; hosts = [ "x.test" ]; colour = "blue"; chain = ( { use = "system"; control = "required"; } ); } );'
bad unknown-control 'endpoints = ( { name = "x"; hosts = [ "x.test" ]; chain = ( { use = "system"; control = "sufficent"; } ); } );'
bad unknown-plugin 'endpoints = ( { name = "x"; hosts = [ "x.test" ]; chain = ( { use = "nosuchplugin"; control = "required"; } ); } );'
bad wrong-type 'endpoints = ( { name = "x"; hosts = "x.test"; chain = ( { use = "system"; control = "required"; } ); } );'
bad syntax 'endpoints = ( { name = "x"; hosts = [ "x.test" ] ;; } '
bad bad-endpoint-name 'endpoints = ( { name = "Bad Name"; hosts = [ "x.test" ]; chain = ( { use = "system"; control = "required"; } ); } );'

# --- lexical order: a later file replaces an endpoint of the same name -------
ov=$tv_tmp/override
mkdir -p "$ov"
cat >"$ov/10-first.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/rogue-ca.pem"; } ); }
);
CONF
tv_verify "$ov" --host good.internal.test --time "$T" --json \
	"$F/chain-good.pem"
tv_check "first file alone: rogue bundle rejects" 1 \
	'.verdict == "rejected" and .endpoint == "internal"
	 and (.reasons | index("untrusted")) != null'
cat >"$ov/20-second.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF
echo 'this is not libconfig' >"$ov/README"
echo 'neither is this' >"$ov/30-disabled.conf.example"
tv_verify "$ov" --host good.internal.test --time "$T" --json \
	"$F/chain-good.pem"
tv_check "later file replaces the endpoint; non-.conf files ignored" 0 \
	'.verdict == "trusted" and .endpoint == "internal"'

# --- the annotated example policy loads -----------------------------------
ex=$tv_tmp/example
mkdir -p "$ex"
cp "$TV_SRCDIR/conf.d/examples/50-internal.conf.example" "$ex/50-internal.conf"
cp "$F/ca.pem" "$ex/internal-ca.pem"
cp "$F/crl.pem" "$ex/internal.crl"
tv_run --conf-dir "$ex" --plugin-dir "$P" check-config
tv_check_out "conf.d/examples/50-internal.conf.example loads" 0 \
	"^configuration ok: "
tv_verify "$ex" --host good.internal.test --time "$T" --json \
	"$F/chain-good.pem"
tv_check "example policy: internal chain trusted" 0 \
	'.verdict == "trusted" and .endpoint == "internal"'
tv_verify "$ex" --host good.internal.test --time "$T" --json \
	"$F/chain-revoked.pem"
tv_check "example policy: revoked leaf rejected" 1 \
	'.verdict == "rejected" and .reasons == ["revoked"]'
tv_verify "$ex" --host dev-box.local --time "$T" --json "$F/chain-dev.pem"
tv_check "example policy: dev-box exception" 0 \
	'.verdict == "trusted" and .insecure_skip == true
	 and .endpoint == "dev-box"'

tv_done
