# SPDX-License-Identifier: LGPL-2.1-or-later
# core/revocation.c against CRLs generated at test time (internal unit).
check_PROGRAMS += tests/unit/test-revocation
TESTS += tests/unit/test-revocation
tests_unit_test_revocation_SOURCES = tests/unit/test-revocation.c
tests_unit_test_revocation_CFLAGS = $(unit_cflags) $(TASN1_CFLAGS)
tests_unit_test_revocation_LDADD = $(unit_internal_libs) $(TASN1_LIBS)
