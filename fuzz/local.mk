# SPDX-License-Identifier: LGPL-2.1-or-later
# Fuzz targets, one LLVMFuzzerTestOneInput per file.  With
# --enable-fuzzing they are libFuzzer binaries (make fuzz-smoke runs each
# for FUZZ_SECONDS); otherwise they link fuzz/replay-main.c, and make
# check replays each over its committed seeds in fuzz/corpus/<target>/.

fuzz_targets = \
	fuzz/fuzz-policy \
	fuzz/fuzz-chain \
	fuzz/fuzz-spki \
	fuzz/fuzz-host \
	fuzz/fuzz-time \
	fuzz/fuzz-pin
check_PROGRAMS += $(fuzz_targets)

fuzz_cppflags = $(AM_CPPFLAGS) \
	-DFUZZ_BUILD_PLUGIN_DIR=\"$(abs_top_builddir)/build-plugins\"
if ENABLE_FUZZING
fuzz_main =
fuzz_ldflags = -fsanitize=fuzzer
else
fuzz_main = fuzz/replay-main.c
fuzz_ldflags =
endif
# Targets that load plugins link the shared library (one copy of the
# core in the process, the one plugins link to); those that reach
# internal units link the testable one.
fuzz_libs = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS) $(LIBS)
fuzz_internal_libs = core/libtlsverify-testable.la $(GLIB_LIBS) \
	$(GNUTLS_LIBS) $(LIBS)

fuzz_fuzz_policy_SOURCES = fuzz/fuzz-policy.c fuzz/fuzz-util.h $(fuzz_main)
fuzz_fuzz_policy_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_policy_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_policy_LDADD = $(fuzz_libs)

fuzz_fuzz_chain_SOURCES = fuzz/fuzz-chain.c fuzz/fuzz-util.h \
	fuzz/chain-anchor.h $(fuzz_main)
fuzz_fuzz_chain_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_chain_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_chain_LDADD = $(fuzz_libs)

fuzz_fuzz_pin_SOURCES = fuzz/fuzz-pin.c fuzz/fuzz-util.h $(fuzz_main)
fuzz_fuzz_pin_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_pin_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_pin_LDADD = $(fuzz_libs)

fuzz_fuzz_spki_SOURCES = fuzz/fuzz-spki.c $(fuzz_main)
fuzz_fuzz_spki_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_spki_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_spki_LDADD = $(fuzz_internal_libs)

fuzz_fuzz_host_SOURCES = fuzz/fuzz-host.c $(fuzz_main)
fuzz_fuzz_host_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_host_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_host_LDADD = $(fuzz_internal_libs)

fuzz_fuzz_time_SOURCES = fuzz/fuzz-time.c $(fuzz_main)
fuzz_fuzz_time_CPPFLAGS = $(fuzz_cppflags)
fuzz_fuzz_time_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_time_LDADD = $(fuzz_internal_libs)

# Both builds take files on the command line and run each once.
TESTS += fuzz/replay.sh
EXTRA_DIST += fuzz/replay.sh fuzz/replay-main.c fuzz/gen-corpus.sh \
	fuzz/lsan.supp fuzz/corpus

# make fuzz-smoke: every fuzzer for FUZZ_SECONDS on a scratch copy of its
# seeds (libFuzzer adds what it finds to its first directory).
FUZZ_SECONDS = 30
fuzz-smoke: $(fuzz_targets) build-plugins.stamp
if ENABLE_FUZZING
	$(AM_V_GEN)set -e; rm -rf fuzz/smoke; \
	for t in $(fuzz_targets); do \
		n=`basename $$t | sed 's/^fuzz-//'`; \
		mkdir -p fuzz/smoke/$$n && \
		cp $(srcdir)/fuzz/corpus/$$n/* fuzz/smoke/$$n/ && \
		echo "fuzz-smoke: $$n for $(FUZZ_SECONDS)s"; \
		TV_BUILD_PLUGIN_DIR='$(abs_top_builddir)/build-plugins' \
		LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/fuzz/lsan.supp' \
		$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=fuzz/smoke/$$n- \
			fuzz/smoke/$$n >fuzz/smoke/$$n.log 2>&1 || \
			{ tail -60 fuzz/smoke/$$n.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
			fuzz/smoke/$$n.log; \
	done
else
	@echo "fuzz-smoke: configure with --enable-fuzzing (clang) first" >&2
	@exit 1
endif
.PHONY: fuzz-smoke
clean-local: clean-fuzz-smoke
clean-fuzz-smoke:
	rm -rf fuzz/smoke
.PHONY: clean-fuzz-smoke

include fuzz/discovery.mk
