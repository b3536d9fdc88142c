# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile input and faults (issue 9): certificates through the engine
# (CUnit, generated at test time with GnuTLS), policy files, a plugin that
# crashes in open, and malformed HTTP at the prober (shell, through the
# CLI).  Cases and outcomes: tests/adversarial/README.md.

adversarial_unit_tests = tests/adversarial/test-adversarial-certs
check_PROGRAMS += $(adversarial_unit_tests)
TESTS += $(adversarial_unit_tests)
tests_adversarial_test_adversarial_certs_SOURCES = \
	tests/adversarial/test-adversarial-certs.c tests/adversarial/adv-certs.h
tests_adversarial_test_adversarial_certs_CFLAGS = $(unit_cflags)
tests_adversarial_test_adversarial_certs_LDADD = $(unit_libs)

EXTRA_DIST += tests/adversarial/README.md

adversarial_scripts = tests/adversarial/test-adversarial-policy.sh \
	tests/adversarial/test-adversarial-cli.sh
TESTS += $(adversarial_scripts)
EXTRA_DIST += $(adversarial_scripts)
