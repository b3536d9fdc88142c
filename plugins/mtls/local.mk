# SPDX-License-Identifier: LGPL-2.1-or-later
plugins_LTLIBRARIES += plugins/mtls/mtls.la
plugins_mtls_mtls_la_SOURCES = \
	plugins/mtls/mtls.h \
	plugins/mtls/mtls.c \
	plugins/mtls/credentials.c \
	plugins/mtls/authorize.c
plugins_mtls_mtls_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
plugins_mtls_mtls_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mtls_mtls_la_LIBADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
