# SPDX-License-Identifier: LGPL-2.1-or-later
# Test-only plugins: one source (tests/mock/mock.c) built as several real
# shared objects in tests/mock/.libs/<name>.so ($TV_MOCK_DIR); -rpath makes
# libtool build them shared although they are never installed.

check_LTLIBRARIES += \
	tests/mock/mock.la \
	tests/mock/mock-anchor.la \
	tests/mock/mock-keep.la \
	tests/mock/mock-badabi.la \
	tests/mock/mock-nosym.la \
	tests/mock/mock-nullverify.la \
	tests/mock/mock-failopen.la \
	tests/mock/mock-liaropen.la \
	tests/mock/mock-wrongname.la \
	tests/mock/mock-badverdict.la \
	tests/mock/mock-crashopen.la

mock_cflags = $(AM_CFLAGS) -fvisibility=hidden
mock_ldflags = $(PLUGIN_LDFLAGS) -rpath /nowhere
mock_libadd = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)

tests_mock_mock_la_SOURCES = tests/mock/mock.c
tests_mock_mock_la_CFLAGS = $(mock_cflags)
tests_mock_mock_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_la_LIBADD = $(mock_libadd)

tests_mock_mock_anchor_la_SOURCES = tests/mock/mock.c
tests_mock_mock_anchor_la_CFLAGS = $(mock_cflags) -DMOCK_ANCHOR
tests_mock_mock_anchor_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_anchor_la_LIBADD = $(mock_libadd)

tests_mock_mock_keep_la_SOURCES = tests/mock/mock.c
tests_mock_mock_keep_la_CFLAGS = $(mock_cflags) -DMOCK_KEEP
tests_mock_mock_keep_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_keep_la_LIBADD = $(mock_libadd)

tests_mock_mock_badabi_la_SOURCES = tests/mock/mock.c
tests_mock_mock_badabi_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_BADABI
tests_mock_mock_badabi_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_badabi_la_LIBADD = $(mock_libadd)

tests_mock_mock_nosym_la_SOURCES = tests/mock/mock.c
tests_mock_mock_nosym_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_NOSYM
# No export list here: libtool cannot write an empty one, and the point is
# that the one function this variant exports has the wrong name.
tests_mock_mock_nosym_la_LDFLAGS = -module -avoid-version -shared \
	-no-undefined -rpath /nowhere
tests_mock_mock_nosym_la_LIBADD = $(mock_libadd)

tests_mock_mock_nullverify_la_SOURCES = tests/mock/mock.c
tests_mock_mock_nullverify_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_NULLVERIFY
tests_mock_mock_nullverify_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_nullverify_la_LIBADD = $(mock_libadd)

tests_mock_mock_failopen_la_SOURCES = tests/mock/mock.c
tests_mock_mock_failopen_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_FAILOPEN
tests_mock_mock_failopen_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_failopen_la_LIBADD = $(mock_libadd)

tests_mock_mock_liaropen_la_SOURCES = tests/mock/mock.c
tests_mock_mock_liaropen_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_LIAROPEN
tests_mock_mock_liaropen_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_liaropen_la_LIBADD = $(mock_libadd)

tests_mock_mock_wrongname_la_SOURCES = tests/mock/mock.c
tests_mock_mock_wrongname_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_WRONGNAME
tests_mock_mock_wrongname_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_wrongname_la_LIBADD = $(mock_libadd)

tests_mock_mock_badverdict_la_SOURCES = tests/mock/mock.c
tests_mock_mock_badverdict_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_BADVERDICT
tests_mock_mock_badverdict_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_badverdict_la_LIBADD = $(mock_libadd)

tests_mock_mock_crashopen_la_SOURCES = tests/mock/mock.c
tests_mock_mock_crashopen_la_CFLAGS = $(mock_cflags) -DMOCK_VARIANT_CRASHOPEN
tests_mock_mock_crashopen_la_LDFLAGS = $(mock_ldflags)
tests_mock_mock_crashopen_la_LIBADD = $(mock_libadd)
