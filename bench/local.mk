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
