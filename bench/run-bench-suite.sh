#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench (issue 8): generates the benchmark PKIs, times every contender
# interleaved in one run (bench-suite; bench-targets for one step alone,
# threads, reload and memory), counts the same loops with callgrind, and
# prints the ten targets next to the measured figures, each marked
# PASS or FAIL.  A report: nothing here fails the build on a FAIL.
#
# BENCH_ROUNDS (default 15) and BENCH_BATCH_MS (default 20) size the timed
# runs; BENCH_CALLGRIND=no skips the instruction counts; `make
# bench-callgrind` runs the instruction counts alone.
set -eu
: "${TV_BUILDDIR:?}" "${TV_SRCDIR:?}"
# Not under bench-out/: run-bench.sh empties that directory.
out="$TV_BUILDDIR/bench-out-suite"
rounds=${BENCH_ROUNDS:-15}
batch=${BENCH_BATCH_MS:-20}
mode=${1:-all}
prog="$TV_BUILDDIR/bench/bench-suite"
targets="$TV_BUILDDIR/bench/bench-targets"
plugins="$TV_BUILDDIR/build-plugins"
rm -rf "$out"
mkdir -p "$out"
sh "$TV_SRCDIR/bench/gen-bench-pki.sh" "$out" "$targets --bucket" >/dev/null
: >"$out/timed.txt"
: >"$out/targets-timed.txt"
: >"$out/ir.txt"

if [ "$mode" != callgrind ]; then
	echo "== bench-suite: timed run ($rounds rounds, ~$batch ms batches)"
	LD_LIBRARY_PATH="$TV_BUILDDIR/core/.libs" \
		"$prog" "$out" "$plugins" --rounds="$rounds" --batch-ms="$batch" |
		tee "$out/timed.txt"
	echo "== bench-targets: one step, threads, reload, memory ($rounds rounds)"
	"$targets" "$out" "$plugins" --rounds="$rounds" |
		tee "$out/targets-timed.txt"
fi

if [ "$mode" = callgrind ] || { [ "${BENCH_CALLGRIND:-yes}" != no ] &&
	command -v valgrind >/dev/null 2>&1; }; then
	echo "== callgrind: instructions per operation, each loop alone"
	# Each dump holds one contender's loop: "ir CHAIN CONTENDER RUNS".
	"$TV_BUILDDIR/libtool" --mode=execute valgrind --tool=callgrind \
		--collect-atstart=no --instr-atstart=no \
		--callgrind-out-file="$out/cg.out" \
		"$prog" "$out" "$plugins" --callgrind >"$out/callgrind.log" 2>&1
	valgrind --tool=callgrind --collect-atstart=no --instr-atstart=no \
		--callgrind-out-file="$out/cg-step.out" \
		"$targets" "$out" "$plugins" --callgrind \
		>"$out/callgrind-step.log" 2>&1
	for f in "$out"/cg.out.* "$out"/cg-step.out.*; do
		[ -f "$f" ] || continue
		awk '/^desc: Trigger: Client Request: ir / { c = $6; k = $7; n = $8 }
		     /^(summary|totals):/ { t = $2 }
		     END { if (c != "") printf "%s %s %.0f\n", c, k, t / n }' "$f"
	done >"$out/ir.txt"
	printf '%-16s %-18s %14s %9s\n' chain contender Ir/op x_raw
	awk '$2 == "raw-root" { base[$1] = $3 } $2 == "gnutls-miss-1021" { miss[$1] = $3 }
	     { row[NR] = $0 }
	     END { for (i = 1; i <= NR; i++) { split(row[i], f, " ")
		b = f[2] ~ /miss/ && (f[1] in miss) ? miss[f[1]] : base[f[1]]
		printf "%-16s %-18s %14d %9.4f\n", f[1], f[2], f[3], b ? f[3] / b : 0 } }' \
		"$out/ir.txt" | sort -s -k1,1
else
	echo "== callgrind skipped (valgrind not installed or BENCH_CALLGRIND=no)"
fi
[ "$mode" = callgrind ] && exit 0

echo "== issue 8 targets (ratios from this run; see bench/README.md)"
awk -v irfile="$out/ir.txt" -v tfile="$out/targets-timed.txt" '
BEGIN {
	while ((getline line < irfile) > 0) {
		split(line, f, " ")
		ir[f[1] "/" f[2]] = f[3]
	}
	while ((getline line < tfile) > 0) {
		split(line, f, " ")
		if (f[2] == "step-miss" || f[2] == "gnutls-miss-1021") {
			tmin[f[1] "/" f[2]] = f[3]; tmed[f[1] "/" f[2]] = f[4]
		} else if (f[1] == "threads-scaling") {
			scale = f[2]; scale_best = f[4]; cores = f[12]; sub(/\(/, "", cores)
		} else if (f[1] == "threads-cpu-per-op") {
			cpuop = f[2]
		} else if (f[1] == "memory") {
			mem = f[9]; memlist = f[3]; meme = f[6]
		} else if (f[1] == "reload150" && f[2] == "min") {
			rmin = f[3]; rmed = f[6]; rcpu = f[16]; sub(/,/, "", rmed)
		} else if (f[1] == "reload150" && f[2] == "longest") {
			blocked = f[6]; quietblk = f[13]
		}
	}
}
/^#/ || $1 == "chain" || NF < 6 { next }
{ med[$1 "/" $2] = $4; mn[$1 "/" $2] = $3; order[++n] = $1 }
function irr(c, a, b) {
	if (!((c "/" a) in ir) || !((c "/" b) in ir)) return "-"
	return sprintf("%.4f", ir[c "/" a] / ir[c "/" b])
}
function tr(c, a, b) { return sprintf("%.3f", med[c "/" a] / med[c "/" b]) }
function verdict(v, limit, le) {
	if (v == "-" || v == "") return "n/a"
	return (le ? v + 0 <= limit : v + 0 >= limit) ? "PASS" : "FAIL"
}
function row(t, c, what, target, v, extra, pf) {
	printf "%-3s %-16s %-42s %-10s %-10s %-34s %s\n", t, c, what, target, v, extra, pf
}
END {
	printf "%-3s %-16s %-42s %-10s %-10s %-34s %s\n", "#", "chain", "measure", "target", "measured", "other", "result"
	for (i = 1; i <= n; i++) {
		c = order[i]
		if (seen[c]++) continue
		if (c ~ /-collide$/) {
			v = tr(c, "tv-sys+root", "raw-sys+root")
			row("3", c, "system step / stock 127-bucket list, time", "<= 0.5", v,
			    "Ir " irr(c, "tv-sys+root", "raw-sys+root"), verdict(v, 0.5, 1))
			continue
		}
		v = irr(c, "tv-pem", "raw-root")
		row("1", c, "uncached tv-pem / raw GnuTLS, Ir", "<= 1.03", v,
		    "time " tr(c, "tv-pem", "raw-root"), verdict(v, 1.03, 1))
		v = irr(c, "tv-pem+pin", "raw-root")
		row("2", c, "tv-pem+pin (4 plugins) / raw GnuTLS, Ir", "<= 1.05", v,
		    "time " tr(c, "tv-pem+pin", "raw-root"), verdict(v, 1.05, 1))
		v = tmed[c "/step-miss"]
		row("4", c, "trust step, store misses, median us", "<= 5 us", v,
		    sprintf("min %s Ir %s x%s", tmin[c "/step-miss"], ir[c "/step-miss"],
			irr(c, "step-miss", "gnutls-miss-1021")), verdict(v, 5, 1))
		v = sprintf("%.0f", 1e6 / med[c "/tv-cached"])
		row("5", c, "cached verifs/s/core (median)", ">= 500000", v,
		    "min-time rate " sprintf("%.0f", 1e6 / mn[c "/tv-cached"]),
		    verdict(v, 500000, 0))
		s = sprintf("%.0f", med[c "/tv-pem"] / med[c "/tv-cached"])
		row("5", c, "cached speed-up vs uncached (median)", ">= 100", s, "", verdict(s, 100, 0))
		if ((c "/tv-pem+crl") in med) {
			v = irr(c, "tv-pem+crl", "tv-pem")
			row("R", c, "revocation: verify with CRLs / tv-pem, Ir", "<= 1.10", v,
			    "time " tr(c, "tv-pem+crl", "tv-pem"), verdict(v, 1.10, 1))
		}
		if ((c "/tv-match-10") in med) {
			v = irr(c, "tv-match-100000", "tv-match-10")
			row("6", c, "100,000 vs 10 endpoints, Ir", "<= 1.1", v,
			    "time " tr(c, "tv-match-100000", "tv-match-10"), verdict(v, 1.1, 1))
		}
		v = tr(c, "tv-pem", "openssl")
		row("10", c, "tv-pem / OpenSSL X509_verify_cert, time", "aim <= 1", v,
		    "Ir " irr(c, "tv-pem", "openssl"), verdict(v, 1.0, 1))
	}
	row("7", "rsa2048", "2 threads / 1, shared engine, throughput", ">= 1.8", scale,
	    sprintf("best round %s at %s cores", scale_best, cores), verdict(scale, 1.8, 0))
	row("7", "rsa2048", "CPU per verification, 2 threads / 1", "<= 1.1", cpuop, "", verdict(cpuop, 1.1, 1))
	row("8", "150 anchors", "reload of a pem source, warm, median ms", "<= 10", rmed,
	    "min " rmin " CPU median " rcpu, verdict(rmed, 10, 1))
	row("8", "150 anchors", "longest verification during reloads, ms", "<= 1", blocked,
	    "same without reloads " quietblk, verdict(blocked, 1, 1))
	row("9", "150 anchors", "engine heap / GnuTLS list heap", "<= 1.2", mem,
	    meme " / " memlist " bytes", verdict(mem, 1.2, 1))
	print "(1, 2, 6, R: instruction ratios (callgrind), the time ratio of medians beside; 3, 4, 5, 7, 8, 10: time;"
	print " 9: heap bytes (mallinfo2); 4: the step alone, x = instructions / GnuTLS verify_crt2 missing on the same store;"
	print " a FAIL on a loaded machine may be noise: compare the min and the instruction counts)"
}' "$out/timed.txt" | tee "$out/targets.txt"
