# SPDX-License-Identifier: LGPL-2.1-or-later
plugins_LTLIBRARIES += plugins/pem/pem.la
plugins_pem_pem_la_SOURCES = plugins/pem/pem.c
plugins_pem_pem_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
plugins_pem_pem_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_pem_pem_la_LIBADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
