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

# The sources through the engine, against test servers on 127.0.0.1 that
# the tests start and stop by PID: a SPIFFE bundle endpoint over HTTPS
# and a Consul agent double with blocking queries (no Consul server
# package exists on Debian).  libsoup serves both (TLS through
# glib-networking, which libsoup3 depends on).
check_PROGRAMS += tests/discovery/spiffe-bundle-server \
	tests/discovery/consul-agent-mock \
	tests/discovery/test-spiffe tests/discovery/test-consul
TESTS += tests/discovery/test-spiffe tests/discovery/test-consul
EXTRA_DIST += tests/discovery/spiffe-consul-test.h

tests_discovery_spiffe_bundle_server_SOURCES = \
	tests/discovery/spiffe-bundle-server.c
tests_discovery_spiffe_bundle_server_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS)
tests_discovery_spiffe_bundle_server_LDADD = $(SOUP_LIBS) $(GLIB_LIBS)

tests_discovery_consul_agent_mock_SOURCES = tests/discovery/consul-agent-mock.c
tests_discovery_consul_agent_mock_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS)
tests_discovery_consul_agent_mock_LDADD = $(SOUP_LIBS) $(GLIB_LIBS)

tests_discovery_test_spiffe_SOURCES = tests/discovery/test-spiffe.c
tests_discovery_test_spiffe_CFLAGS = $(dsc_remote_test_cflags)
tests_discovery_test_spiffe_LDADD = $(unit_libs)

tests_discovery_test_consul_SOURCES = tests/discovery/test-consul.c
tests_discovery_test_consul_CFLAGS = $(dsc_remote_test_cflags) $(SOUP_CFLAGS)
tests_discovery_test_consul_LDADD = $(unit_libs) $(SOUP_LIBS)
