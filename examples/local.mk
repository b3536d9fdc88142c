# SPDX-License-Identifier: LGPL-2.1-or-later
# Embedding examples: built by `make check`, run by the integration tests.
check_PROGRAMS += examples/https-get
examples_https_get_SOURCES = examples/https-get.c
examples_https_get_CFLAGS = $(AM_CFLAGS)
examples_https_get_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
include examples/kit.mk
