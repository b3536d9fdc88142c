# SPDX-License-Identifier: LGPL-2.1-or-later
# Tests of the discovery plugin: the engine worker, the pipeline and the file
# source (test-discovery), and a real etcd on 127.0.0.1 (test-etcd.sh drives
# test-discovery-etcd).  The SPIFFE and Consul tests are in remote.mk.

check_PROGRAMS += tests/discovery/test-worker
TESTS += tests/discovery/test-worker
tests_discovery_test_worker_SOURCES = tests/discovery/test-worker.c
tests_discovery_test_worker_CFLAGS = $(unit_cflags) -I$(top_srcdir)/core
tests_discovery_test_worker_LDADD = $(unit_internal_libs)

check_PROGRAMS += tests/discovery/test-discovery
TESTS += tests/discovery/test-discovery
tests_discovery_test_discovery_SOURCES = tests/discovery/test-discovery.c \
	tests/discovery/disc-test.h
tests_discovery_test_discovery_CFLAGS = $(unit_cflags)
tests_discovery_test_discovery_LDADD = $(unit_libs)

# etcd on 127.0.0.1: the program is run by the script, not on its own.
check_PROGRAMS += tests/discovery/test-discovery-etcd
TESTS += tests/discovery/test-etcd.sh
EXTRA_DIST += tests/discovery/test-etcd.sh tests/discovery/tsan-glib.supp
tests_discovery_test_discovery_etcd_SOURCES = \
	tests/discovery/test-discovery-etcd.c tests/discovery/disc-test.h
tests_discovery_test_discovery_etcd_CFLAGS = $(unit_cflags) $(CURL_CFLAGS)
tests_discovery_test_discovery_etcd_LDADD = $(unit_libs) $(CURL_LIBS)

TESTS += tests/discovery/test-discovery-cli.sh
EXTRA_DIST += tests/discovery/test-discovery-cli.sh

include tests/discovery/remote.mk
include tests/discovery/adversarial.mk
