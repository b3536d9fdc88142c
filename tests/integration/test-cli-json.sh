#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Shape of `verify --json`: one object, every key present with its type,
# reason names from the stable list, trace entries with their five keys.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

T=$TV_TIME
conf=$tv_tmp/conf.d
mkdir -p "$conf"
cat >"$conf/00-test.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem";
                crl = "$F/crl.pem"; } ); },
  { name = "dev-box"; hosts = [ "dev-box.local" ];
    insecure_skip_verify = true; reason = "self-signed dev server";
    owner = "platform-team"; expires = "2027-01-31"; }
);
CONF

# The shape every verify --json object has.
# shellcheck disable=SC2016 # jq, not shell
shape='
  type == "object"
  and (keys | sort) == (["endpoint", "host", "insecure_skip", "message",
                          "reasons", "trace", "verdict"])
  and (.verdict == "trusted" or .verdict == "rejected")
  and (.endpoint | type) == "string" and (.endpoint | length) > 0
  and (.host | type) == "string"
  and (.message | type) == "string"
  and (.insecure_skip | type) == "boolean"
  and (.reasons | type) == "array"
  and all(.reasons[]; IN("expired", "not-yet-valid", "untrusted",
      "signer-not-ca", "revoked", "insecure-algorithm", "bad-signature",
      "name-mismatch", "purpose-mismatch", "pin-mismatch", "chain-too-long",
      "constraint-violation", "source-unavailable", "no-decision",
      "malformed"))
  and (.reasons | length) == (.reasons | unique | length)
  and ((.verdict == "trusted") == (.reasons == []))
  and (.trace | type) == "array"
  and all(.trace[];
      type == "object"
      and (keys | sort) == ["action", "control", "message", "plugin",
                            "verdict"]
      and ([.plugin, .control, .verdict, .action, .message]
           | all(type == "string"))
      and IN(.verdict; "pass", "fail", "ignore", "unavail"))'

# json NAME RC HOST CHAIN [ARG...]: shape holds, exit status RC, exactly one
# JSON value on stdout and nothing else.
json() {
	j_name=$1 j_rc=$2 j_host=$3 j_chain=$4
	shift 4
	tv_verify "$conf" --host "$j_host" --time "$T" --json "$@" "$j_chain"
	j_why=$(tv_why_rc "$j_rc")
	if [ -z "$j_why" ]; then
		j_count=$(jq -s 'length' "$tv_out" 2>/dev/null) ||
			j_count="not JSON"
		[ "$j_count" = 1 ] ||
			j_why="stdout holds $j_count JSON values, expected 1"
	fi
	if [ -z "$j_why" ]; then
		jq -e "$shape" "$tv_out" >/dev/null 2>&1 ||
			j_why="shape: $(jq -c . "$tv_out")"
	fi
	tv_result "$j_name" "$j_why"
}

json "shape: trusted" 0 good.internal.test "$F/chain-good.pem"
tv_check "trusted: pem step passed as required, message non-empty" 0 \
	'.verdict == "trusted" and .insecure_skip == false
	 and .host == "good.internal.test" and .endpoint == "internal"
	 and (.message | length) > 0
	 and any(.trace[]; .plugin == "pem" and .control == "required"
	                   and .verdict == "pass")
	 and all(.trace[]; .verdict != "fail" and .verdict != "unavail")'

json "shape: rejected, untrusted" 1 good.internal.test "$F/chain-rogue.pem"
tv_check "rejected: pem step failed, message non-empty" 1 \
	'.verdict == "rejected" and .reasons == ["untrusted"]
	 and (.message | length) > 0
	 and any(.trace[]; .plugin == "pem" and .verdict == "fail")'

json "shape: rejected, name mismatch" 1 good.internal.test \
	"$F/chain-wronghost.pem"
tv_check "name mismatch: pem passed, a core check failed" 1 \
	'.reasons == ["name-mismatch"]
	 and any(.trace[]; .plugin == "pem" and .verdict == "pass")
	 and any(.trace[]; .verdict == "fail" and .plugin != "pem")'

json "shape: rejected, revoked" 1 good.internal.test "$F/chain-revoked.pem"
json "shape: rejected, purpose" 1 good.internal.test \
	"$F/chain-clientonly.pem"
json "shape: no endpoint matches (built-in default)" 1 127.0.0.1 \
	"$F/chain-ip.pem"
tv_check "built-in default: endpoint (built-in), system store, untrusted" 1 \
	'.endpoint == "(built-in)" and .host == "127.0.0.1"
	 and .reasons == ["untrusted"]
	 and any(.trace[]; .plugin == "system" and .verdict == "fail")'
json "shape: insecure exception" 0 dev-box.local "$F/chain-dev.pem"
tv_check "insecure exception: insecure_skip true, endpoint dev-box" 0 \
	'.verdict == "trusted" and .insecure_skip == true
	 and .endpoint == "dev-box"'

# Strings with characters JSON must escape: either refused as a usage
# error, or rejected with the host escaped correctly.
odd='quote"back\slash.internal.test'
tv_verify "$conf" --host "$odd" --time "$T" --json "$F/chain-good.pem"
if [ "$tv_rc" -eq 2 ]; then
	tv_result "host with quote and backslash: refused" ""
else
	# shellcheck disable=SC2016 # jq, not shell
	tv_check "host with quote and backslash is escaped" 1 \
		'.host == $h and .reasons == ["name-mismatch"]' --arg h "$odd"
fi

tv_done
