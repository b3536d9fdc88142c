# SPDX-License-Identifier: LGPL-2.1-or-later
plugins_LTLIBRARIES += plugins/system/system.la
plugins_system_system_la_SOURCES = plugins/system/system.c
plugins_system_system_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
plugins_system_system_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_system_system_la_LIBADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
