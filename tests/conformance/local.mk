# SPDX-License-Identifier: LGPL-2.1-or-later
# Conformance: tests/conformance/run-cases over ../shared/conformance (NIST
# PKITS).  The floor is the pass count make check insists on; raise it as
# verdicts improve, never lower it.
noinst_PROGRAMS += tests/conformance/run-cases
tests_conformance_run_cases_SOURCES = tests/conformance/run-cases.c
tests_conformance_run_cases_CFLAGS = $(AM_CFLAGS) $(JSON_GLIB_CFLAGS)
tests_conformance_run_cases_LDADD = core/libtlsverify.la $(JSON_GLIB_LIBS) \
	$(GLIB_LIBS) $(GNUTLS_LIBS)

TESTS += tests/conformance/check-pkits.sh
EXTRA_DIST += tests/conformance/check-pkits.sh tests/conformance/pkits-floor
