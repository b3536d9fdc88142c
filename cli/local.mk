# SPDX-License-Identifier: LGPL-2.1-or-later
# The tlsverify command: one file per subcommand.
bin_PROGRAMS += cli/tlsverify
cli_tlsverify_SOURCES = \
	cli/cli.h \
	cli/main.c \
	cli/output.c \
	cli/cmd-verify.c \
	cli/cmd-check-config.c \
	cli/cmd-plugins.c
cli_tlsverify_CFLAGS = $(AM_CFLAGS)
cli_tlsverify_LDADD = core/libtlsverify.la $(GLIB_LIBS) $(GNUTLS_LIBS)
# `tlsverify pin`, and the chain fetcher (cli/fetch.h) other commands share.
cli_tlsverify_SOURCES += cli/cmd-pin.c cli/fetch.c cli/fetch.h cli/net.c cli/net.h
cli_tlsverify_CFLAGS += $(JSON_GLIB_CFLAGS)
cli_tlsverify_LDADD += $(JSON_GLIB_LIBS)
# `tlsverify connect`: a real handshake through tv_session_attach.
cli_tlsverify_SOURCES += cli/cmd-connect.c
# `tlsverify probe`: an HTTP server (libsoup) for /metrics and /status.
cli_tlsverify_SOURCES += cli/cmd-probe.c
cli_tlsverify_CFLAGS += $(SOUP_CFLAGS)
cli_tlsverify_LDADD += $(SOUP_LIBS)
