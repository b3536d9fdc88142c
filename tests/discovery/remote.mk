# SPDX-License-Identifier: LGPL-2.1-or-later
# Tests of the SPIFFE and Consul sources (owned by that part); included by
# tests/discovery/local.mk.

# Parsers and SPIFFE ID rules, compiled in (no plugin needed).
dsc_remote_parser_sources = plugins/discovery/remote-json.c \
	plugins/discovery/spiffe-id.c
dsc_remote_test_cflags = $(unit_cflags) -I$(top_srcdir)/plugins/discovery

check_PROGRAMS += tests/discovery/test-jwks tests/discovery/test-consul-roots
TESTS += tests/discovery/test-jwks tests/discovery/test-consul-roots
EXTRA_DIST += tests/discovery/spiffe-test-pki.h

tests_discovery_test_jwks_SOURCES = tests/discovery/test-jwks.c \
	plugins/discovery/jwks.c $(dsc_remote_parser_sources)
tests_discovery_test_jwks_CFLAGS = $(dsc_remote_test_cflags)
tests_discovery_test_jwks_LDADD = $(unit_libs)

tests_discovery_test_consul_roots_SOURCES = tests/discovery/test-consul-roots.c \
	plugins/discovery/consul-roots.c $(dsc_remote_parser_sources)
tests_discovery_test_consul_roots_CFLAGS = $(dsc_remote_test_cflags)
tests_discovery_test_consul_roots_LDADD = $(unit_libs)
