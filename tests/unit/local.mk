# SPDX-License-Identifier: LGPL-2.1-or-later
# Core unit programs, one per unit.
core_unit_tests = \
	tests/unit/test-combine \
	tests/unit/test-match \
	tests/unit/test-policy \
	tests/unit/test-engine \
	tests/unit/test-basics \
	tests/unit/test-chain \
	tests/unit/test-path \
	tests/unit/test-ops \
	tests/unit/test-cache

check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests)

tests_unit_test_combine_SOURCES = tests/unit/test-combine.c
tests_unit_test_combine_CFLAGS = $(unit_cflags)
tests_unit_test_combine_LDADD = $(unit_internal_libs)

tests_unit_test_match_SOURCES = tests/unit/test-match.c
tests_unit_test_match_CFLAGS = $(unit_cflags)
tests_unit_test_match_LDADD = $(unit_internal_libs)

tests_unit_test_policy_SOURCES = tests/unit/test-policy.c
tests_unit_test_policy_CFLAGS = $(unit_cflags)
tests_unit_test_policy_LDADD = $(unit_libs)

tests_unit_test_engine_SOURCES = tests/unit/test-engine.c
tests_unit_test_engine_CFLAGS = $(unit_cflags)
tests_unit_test_engine_LDADD = $(unit_libs)

tests_unit_test_basics_SOURCES = tests/unit/test-basics.c
tests_unit_test_basics_CFLAGS = $(unit_cflags)
tests_unit_test_basics_LDADD = $(unit_libs)

tests_unit_test_chain_SOURCES = tests/unit/test-chain.c
tests_unit_test_chain_CFLAGS = $(unit_cflags)
tests_unit_test_chain_LDADD = $(unit_internal_libs)

tests_unit_test_path_SOURCES = tests/unit/test-path.c
tests_unit_test_path_CFLAGS = $(unit_cflags)
tests_unit_test_path_LDADD = $(unit_internal_libs)

tests_unit_test_ops_SOURCES = tests/unit/test-ops.c
tests_unit_test_ops_CFLAGS = $(unit_cflags)
tests_unit_test_ops_LDADD = $(unit_libs)

tests_unit_test_cache_SOURCES = tests/unit/test-cache.c
tests_unit_test_cache_CFLAGS = $(unit_cflags)
tests_unit_test_cache_LDADD = $(unit_internal_libs)
