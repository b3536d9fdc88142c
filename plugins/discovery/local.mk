# SPDX-License-Identifier: LGPL-2.1-or-later
# discovery: trust anchors from etcd, SPIFFE bundle endpoints, Consul, files.
# The framework (plugin, pipeline, HTTP client, etcd, file) is listed here;
# the SPIFFE and Consul sources append themselves in remote.mk
# (plugins_discovery_discovery_la_SOURCES += ...).
plugins_LTLIBRARIES += plugins/discovery/discovery.la
plugins_discovery_discovery_la_SOURCES = \
	plugins/discovery/discovery.c \
	plugins/discovery/source.h plugins/discovery/sources.c \
	plugins/discovery/pipeline.c plugins/discovery/pipeline.h \
	plugins/discovery/bundle.c plugins/discovery/bundle.h \
	plugins/discovery/cache-file.c plugins/discovery/cache-file.h \
	plugins/discovery/http.c plugins/discovery/http.h \
	plugins/discovery/etcd.c \
	plugins/discovery/etcd-parse.c plugins/discovery/etcd-parse.h \
	plugins/discovery/file.c
plugins_discovery_discovery_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(JSON_GLIB_CFLAGS) $(CURL_CFLAGS)
plugins_discovery_discovery_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_discovery_discovery_la_LIBADD = core/libtlsverify.la $(GLIB_LIBS) \
	$(GNUTLS_LIBS) $(JSON_GLIB_LIBS) $(CURL_LIBS)
include plugins/discovery/remote.mk
