# SPDX-License-Identifier: LGPL-2.1-or-later
# Per-plugin unit programs: each loads the real plugin (from build-plugins/)
# through the public engine API with a policy written on the fly.

plugin_unit_tests = \
	tests/unit/test-plugin-system \
	tests/unit/test-plugin-pem \
	tests/unit/test-plugin-pin

check_PROGRAMS += $(plugin_unit_tests)
TESTS += $(plugin_unit_tests)

tests_unit_test_plugin_system_SOURCES = tests/unit/test-plugin-system.c
tests_unit_test_plugin_system_CFLAGS = $(unit_cflags)
tests_unit_test_plugin_system_LDADD = $(unit_libs)

tests_unit_test_plugin_pem_SOURCES = tests/unit/test-plugin-pem.c
tests_unit_test_plugin_pem_CFLAGS = $(unit_cflags)
tests_unit_test_plugin_pem_LDADD = $(unit_libs)

tests_unit_test_plugin_pin_SOURCES = tests/unit/test-plugin-pin.c
tests_unit_test_plugin_pin_CFLAGS = $(unit_cflags)
tests_unit_test_plugin_pin_LDADD = $(unit_libs)

# mtls: needs the client PKI of tests/unit/glue.mk (tests/tmp/mtls-pki).
check_PROGRAMS += tests/unit/test-plugin-mtls
TESTS += tests/unit/test-plugin-mtls
tests_unit_test_plugin_mtls_SOURCES = tests/unit/test-plugin-mtls.c
tests_unit_test_plugin_mtls_CFLAGS = $(unit_cflags)
tests_unit_test_plugin_mtls_LDADD = $(unit_libs)
