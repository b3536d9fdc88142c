# SPDX-License-Identifier: LGPL-2.1-or-later
# The GnuTLS session glue and the mtls plugin: handshakes over socketpairs
# against in-process GnuTLS servers, with the client-certificate PKI of
# tests/fixtures/gen-mtls-pki.sh (in $TV_TMPDIR/mtls-pki).

check_DATA += tests/tmp/mtls-pki.stamp
tests/tmp/mtls-pki.stamp: $(top_srcdir)/tests/fixtures/gen-mtls-pki.sh
	$(AM_V_GEN)rm -rf tests/tmp/mtls-pki && mkdir -p tests/tmp && \
	CERTTOOL='$(CERTTOOL)' $(SHELL) \
		$(top_srcdir)/tests/fixtures/gen-mtls-pki.sh tests/tmp/mtls-pki && \
	touch $@
EXTRA_DIST += tests/fixtures/gen-mtls-pki.sh tests/unit/tv-tls-test.h

check_PROGRAMS += tests/unit/test-glue
TESTS += tests/unit/test-glue
tests_unit_test_glue_SOURCES = tests/unit/test-glue.c
tests_unit_test_glue_CFLAGS = $(unit_cflags)
tests_unit_test_glue_LDADD = $(unit_libs)
