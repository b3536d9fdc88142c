# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks are built by `make` and run by `make bench`, never by make check.
noinst_PROGRAMS += bench/bench-verify
bench_bench_verify_SOURCES = bench/bench-verify.c
bench_bench_verify_CFLAGS = $(AM_CFLAGS)
bench_bench_verify_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
EXTRA_DIST += bench/run-bench.sh

bench: all
	TV_BUILDDIR=$(abs_top_builddir) TV_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(top_srcdir)/bench/run-bench.sh && \
	TV_BUILDDIR=$(abs_top_builddir) TV_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(top_srcdir)/bench/run-bench-ops.sh
.PHONY: bench

noinst_PROGRAMS += bench/bench-ops
bench_bench_ops_SOURCES = bench/bench-ops.c
bench_bench_ops_CFLAGS = $(AM_CFLAGS)
bench_bench_ops_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
EXTRA_DIST += bench/run-bench-ops.sh

# Handshakes: the GnuTLS glue vs gnutls_session_set_verify_cert.
noinst_PROGRAMS += bench/bench-handshake
bench_bench_handshake_SOURCES = bench/bench-handshake.c
bench_bench_handshake_CFLAGS = $(AM_CFLAGS)
bench_bench_handshake_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
EXTRA_DIST += bench/run-bench-handshake.sh
bench: bench-handshake
bench-handshake: all
	TV_BUILDDIR=$(abs_top_builddir) TV_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(top_srcdir)/bench/run-bench-handshake.sh
.PHONY: bench-handshake

# The issue-8 suite: five chain types, every contender interleaved in one
# run, then the same loops counted by callgrind; targets table at the end.
noinst_PROGRAMS += bench/bench-suite
bench_bench_suite_SOURCES = bench/bench-suite.c
bench_bench_suite_CFLAGS = $(AM_CFLAGS)
bench_bench_suite_CPPFLAGS = $(AM_CPPFLAGS)
bench_bench_suite_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
if HAVE_OPENSSL
bench_bench_suite_CPPFLAGS += -DTV_BENCH_OPENSSL=1
bench_bench_suite_CFLAGS += $(OPENSSL_CFLAGS)
bench_bench_suite_LDADD += $(OPENSSL_LIBS)
endif
EXTRA_DIST += bench/gen-bench-pki.sh bench/run-bench-suite.sh
bench: bench-suite
bench-suite: all
	TV_BUILDDIR=$(abs_top_builddir) TV_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(top_srcdir)/bench/run-bench-suite.sh
.PHONY: bench-suite

# Targets 4, 7, 8, 9: one step alone (hence the testable library), two
# threads, reloading and the memory of a 150-anchor source.
noinst_PROGRAMS += bench/bench-targets
bench_bench_targets_SOURCES = bench/bench-targets.c
bench_bench_targets_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) \
	$(JSON_GLIB_CFLAGS) -I$(top_srcdir)/core
bench_bench_targets_LDADD = core/libtlsverify-testable.la $(GLIB_LIBS) \
	$(GNUTLS_LIBS)

# Instruction counts alone (stable on a noisy machine).
bench-callgrind: all
	TV_BUILDDIR=$(abs_top_builddir) TV_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(top_srcdir)/bench/run-bench-suite.sh callgrind
.PHONY: bench-callgrind
EXTRA_DIST += bench/README.md
