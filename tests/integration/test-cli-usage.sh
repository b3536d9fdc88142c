#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Usage and input errors exit 2 with a message on stderr and no verdict.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$TV_SRCDIR/tests/integration/lib.sh"

T=$TV_TIME
conf=$tv_tmp/conf.d
mkdir -p "$conf"
cat >"$conf/00-test.conf" <<CONF
endpoints = (
  { name = "internal"; hosts = [ "*.internal.test" ];
    chain = ( { use = "pem"; control = "required"; bundle = "$F/ca.pem"; } ); }
);
CONF

# usage NAME ARG...: `verify ARG...` must exit 2, say something on stderr
# and print no verdict.
usage() {
	u_name=$1
	shift
	tv_verify "$conf" "$@"
	u_why=$(tv_why_rc 2)
	[ -n "$u_why" ] || [ -s "$tv_err" ] || u_why="nothing on stderr"
	[ -n "$u_why" ] || ! grep -q '^verdict:' "$tv_out" ||
		u_why="a verdict was printed"
	[ -n "$u_why" ] || ! grep -q '"verdict"' "$tv_out" ||
		u_why="a JSON verdict was printed"
	tv_result "$u_name" "$u_why"
}

G=$F/chain-good.pem
usage "verify without --host" --time "$T" "$G"
usage "verify without --host (json)" --time "$T" --json "$G"
usage "verify without a chain file" --host good.internal.test --time "$T"
usage "verify with two chain files" --host good.internal.test --time "$T" \
	"$G" "$G"
usage "verify with an unknown option" --host good.internal.test \
	--time "$T" --no-such-option "$G"
usage "verify with a missing file" --host good.internal.test --time "$T" \
	"$tv_tmp/missing.pem"
usage "verify with a missing file (json)" --host good.internal.test \
	--time "$T" --json "$tv_tmp/missing.pem"
usage "verify garbage.pem" --host good.internal.test --time "$T" \
	"$F/garbage.pem"
usage "verify garbage.pem (json)" --host good.internal.test --time "$T" \
	--json "$F/garbage.pem"
usage "verify an empty file" --host good.internal.test --time "$T" \
	/dev/null
usage "verify with a missing --untrusted file" --host good.internal.test \
	--time "$T" --untrusted "$tv_tmp/missing.pem" "$G"
usage "verify with garbage --untrusted" --host good.internal.test \
	--time "$T" --untrusted "$F/garbage.pem" "$G"
usage "verify --time not-a-time" --host good.internal.test \
	--time not-a-time "$G"
usage "verify --time 2026-13-45" --host good.internal.test \
	--time 2026-13-45 "$G"
usage "verify --time @abc" --host good.internal.test --time @abc "$G"
usage "verify --purpose bogus" --host good.internal.test --time "$T" \
	--purpose bogus "$G"
usage "verify --port 70000" --host good.internal.test --time "$T" \
	--port 70000 "$G"
usage "verify --port abc" --host good.internal.test --time "$T" \
	--port abc "$G"

tv_run --conf-dir "$conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR"
tv_check "no command" 2
tv_run --conf-dir "$conf" --plugin-dir "$TV_BUILD_PLUGIN_DIR" frobnicate
tv_check "unknown command" 2
tv_run --no-such-global-option --conf-dir "$conf" check-config
tv_check "unknown global option" 2
tv_run --conf-dir "$tv_tmp/missing.d" --plugin-dir "$TV_BUILD_PLUGIN_DIR" \
	verify --host good.internal.test --time "$T" "$G"
tv_check_err "verify with a missing conf dir" 2 "missing\\.d"
tv_run --conf-dir "$conf" --plugin-dir "$tv_tmp/no-plugins" \
	verify --host good.internal.test --time "$T" "$G"
tv_check_err "verify with a missing plugin dir" 2 "no-plugins"

# The same chain is fine once the mistakes are gone.
tv_verify "$conf" --host good.internal.test --time "$T" "$G"
tv_check_out "control: the corrected command is trusted" 0 \
	'^verdict: trusted$'

tv_done
