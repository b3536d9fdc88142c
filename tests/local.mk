# SPDX-License-Identifier: LGPL-2.1-or-later
# make check: CUnit unit programs (tests/unit), test-only plugins
# (tests/mock), integration scripts (tests/integration).  Certificates are
# generated once per run into tests/tmp/pki by tests/fixtures/gen-pki.sh.

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)

AM_TESTS_ENVIRONMENT = \
	export TV_SRCDIR='$(abs_top_srcdir)' TV_BUILDDIR='$(abs_top_builddir)' \
	TV_BUILD_PLUGIN_DIR='$(abs_top_builddir)/build-plugins' \
	TV_MOCK_DIR='$(abs_top_builddir)/tests/mock/.libs' \
	TV_FIXTURES='$(abs_top_builddir)/tests/tmp/pki' \
	TV_PIN_FIXTURES='$(abs_top_builddir)/tests/tmp/pin-pki' \
	TV_TMPDIR='$(abs_top_builddir)/tests/tmp' \
	TV_CLI='$(abs_top_builddir)/cli/tlsverify' \
	LD_LIBRARY_PATH='$(abs_top_builddir)/core/.libs' \
	CERTTOOL='$(CERTTOOL)' G_DEBUG=fatal-criticals;

check_DATA = tests/tmp/pki.stamp
tests/tmp/pki.stamp: $(top_srcdir)/tests/fixtures/gen-pki.sh
	$(AM_V_GEN)rm -rf tests/tmp/pki && mkdir -p tests/tmp && \
	CERTTOOL='$(CERTTOOL)' $(SHELL) $(top_srcdir)/tests/fixtures/gen-pki.sh tests/tmp/pki && \
	touch $@
# The pinning tests' PKI (RSA, ECDSA and Ed25519 leaves, a spare key).
check_DATA += tests/tmp/pin-pki.stamp
tests/tmp/pin-pki.stamp: $(top_srcdir)/tests/fixtures/gen-pin-pki.sh
	$(AM_V_GEN)rm -rf tests/tmp/pin-pki && mkdir -p tests/tmp && \
	CERTTOOL='$(CERTTOOL)' $(SHELL) $(top_srcdir)/tests/fixtures/gen-pin-pki.sh tests/tmp/pin-pki && \
	touch $@
EXTRA_DIST += tests/fixtures/gen-pin-pki.sh
EXTRA_DIST += tests/fixtures/gen-pki.sh tests/unit/tv-test.h \
	tests/unit/tv-engine-test.h

# Programs that test internal units link the whole library (internal
# symbols included); programs that load plugins link the shared library,
# so the process holds one copy of the core, the one plugins link to.
unit_cflags = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(LIBCONFIG_CFLAGS) $(JSON_GLIB_CFLAGS)
unit_internal_libs = core/libtlsverify-testable.la $(CUNIT_LIBS) $(GLIB_LIBS) \
	$(GNUTLS_LIBS) $(LIBCONFIG_LIBS) $(JSON_GLIB_LIBS) $(LIBS)
unit_libs = core/libtlsverify.la $(CUNIT_LIBS) $(GLIB_LIBS) \
	$(GNUTLS_LIBS) $(JSON_GLIB_LIBS) $(LIBS)

include tests/mock/local.mk
include tests/unit/local.mk
include tests/unit/plugins.mk
include tests/unit/revocation.mk
include tests/integration/local.mk
include tests/discovery/local.mk

TESTS += tests/style/check-format.sh
EXTRA_DIST += tests/style/check-format.sh
include tests/unit/glue.mk
