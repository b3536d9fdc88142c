# SPDX-License-Identifier: LGPL-2.1-or-later
plugins_LTLIBRARIES += plugins/pin/pin.la
plugins_pin_pin_la_SOURCES = plugins/pin/pin.c
plugins_pin_pin_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
plugins_pin_pin_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_pin_pin_la_LIBADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
