# SPDX-License-Identifier: LGPL-2.1-or-later
# Adversarial tests of the discovery plugin (issue 9): the consul and etcd
# sources, through the engine, against hostile-server on 127.0.0.1 (a
# gigabyte body, a stall mid-body, HTTP 500 forever, garbage on the watch
# stream, a nesting bomb).  Included by tests/discovery/local.mk.

check_PROGRAMS += tests/discovery/hostile-server \
	tests/discovery/test-adversarial
TESTS += tests/discovery/test-adversarial

tests_discovery_hostile_server_SOURCES = tests/discovery/hostile-server.c
tests_discovery_hostile_server_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_discovery_hostile_server_LDADD = $(GLIB_LIBS)

tests_discovery_test_adversarial_SOURCES = \
	tests/discovery/test-adversarial.c \
	tests/discovery/spiffe-consul-test.h tests/discovery/spiffe-test-pki.h
tests_discovery_test_adversarial_CFLAGS = $(unit_cflags)
tests_discovery_test_adversarial_LDADD = $(unit_libs)
EXTRA_DIST += tests/discovery/ADVERSARIAL.md
