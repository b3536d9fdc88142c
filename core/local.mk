# SPDX-License-Identifier: LGPL-2.1-or-later
# libtlsverify: built twice, once exported (version script, hidden
# visibility) and once whole as a convenience library for unit tests.

tvinclude_HEADERS += \
	core/include/tlsverify/tlsverify.h \
	core/include/tlsverify/plugin.h

core_sources = \
	core/anchor-index.c core/anchor-index.h \
	core/audit.c core/audit.h \
	core/cache.c core/cache.h \
	core/cert-policy.c core/cert-policy.h \
	core/chain.c core/chain.h \
	core/checks.c core/checks.h \
	core/client-cert.c \
	core/combine.c core/combine.h \
	core/crt-key.c core/crt-key.h \
	core/der.c core/der.h \
	core/describe.c core/describe.h \
	core/dn.c core/dn.h \
	core/engine.c core/engine.h \
	core/error.c core/error.h \
	core/gnutls-glue.c \
	core/hostname.c core/hostname.h \
	core/instance.c core/instance.h \
	core/lint.c core/lint.h \
	core/loader.c core/loader.h \
	core/lock.h \
	core/match.c core/match.h \
	core/metrics.c \
	core/name-constraints.c core/name-constraints.h \
	core/path.c core/path.h \
	core/path-options.c \
	core/policy.c core/policy.h \
	core/protected.c core/protected.h \
	core/reason.c \
	core/request.c core/request.h \
	core/revocation.c core/revocation.h \
	core/result.c core/result.h \
	core/settings.c core/settings.h \
	core/snapshot.c core/snapshot.h \
	core/status.c \
	core/stats.c core/stats.h \
	core/timeparse.c \
	core/worker.c core/worker.h

core_cflags = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(JSON_GLIB_CFLAGS) $(TASN1_CFLAGS)
core_libs = $(GLIB_LIBS) $(GNUTLS_LIBS) $(TASN1_LIBS) $(LIBCONFIG_LIBS) $(JSON_GLIB_LIBS) $(LIBS)

lib_LTLIBRARIES += core/libtlsverify.la
core_libtlsverify_la_SOURCES = $(core_sources)
core_libtlsverify_la_CFLAGS = $(core_cflags) -fvisibility=hidden
core_libtlsverify_la_LIBADD = $(core_libs)
core_libtlsverify_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-Wl,--version-script=$(top_srcdir)/core/libtlsverify.map
EXTRA_core_libtlsverify_la_DEPENDENCIES = core/libtlsverify.map

noinst_LTLIBRARIES += core/libtlsverify-testable.la
core_libtlsverify_testable_la_SOURCES = $(core_sources)
core_libtlsverify_testable_la_CFLAGS = $(core_cflags)
core_libtlsverify_testable_la_LIBADD = $(core_libs)

pkgconfig_DATA += core/tlsverify.pc
EXTRA_DIST += core/libtlsverify.map core/tlsverify.pc.in
DISTCLEANFILES += core/tlsverify.pc
