/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test server: a SPIFFE bundle endpoint over HTTPS on 127.0.0.1 (libsoup). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

/*
 * Usage: spiffe-bundle-server --cert PEM --key PEM --bundle FILE
 *                             --state FILE
 *
 * Listens on 127.0.0.1 on a port the kernel picks and answers every GET
 * with the current contents of FILE (read again on each request, so a test
 * rotates the bundle by rewriting it) as application/json.  The server
 * certificate is CERT/KEY, read again on SIGHUP (a test swaps in an SVID
 * with another SPIFFE ID).  STATE is rewritten atomically after startup
 * and after each request and reload:
 *
 *     port P
 *     hits N      (bundle responses sent)
 *     reloads M   (certificate reloads done)
 *
 * SIGTERM or SIGINT stops it.  Used by test-spiffe only; not installed.
 */

typedef struct {
	SoupServer *server;
	GMainLoop *loop;
	const char *cert, *key, *bundle, *state;
	guint port;
	unsigned hits, reloads;
} server;

static void write_state(server *s)
{
	g_autofree char *text = g_strdup_printf(
		"port %u\nhits %u\nreloads %u\n", s->port, s->hits, s->reloads);
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(s->state, text, -1, &error)) {
		fprintf(stderr, "spiffe-bundle-server: %s\n", error->message);
		exit(1);
	}
}

static bool load_cert(server *s, GError **error)
{
	g_autoptr(GTlsCertificate) cert =
		g_tls_certificate_new_from_files(s->cert, s->key, error);

	if (cert == NULL)
		return false;
	soup_server_set_tls_certificate(s->server, cert);
	return true;
}

static void on_request(SoupServer *soup, SoupServerMessage *msg,
		       const char *path, GHashTable *query, gpointer data)
{
	server *s = data;
	g_autofree char *body = NULL;
	gsize len = 0;

	(void)soup;
	(void)path;
	(void)query;
	if (strcmp(soup_server_message_get_method(msg), "GET") != 0) {
		soup_server_message_set_status(msg, 405, NULL);
		return;
	}
	if (!g_file_get_contents(s->bundle, &body, &len, NULL)) {
		soup_server_message_set_status(msg, 404, NULL);
		return;
	}
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(msg, "application/json",
					 SOUP_MEMORY_COPY, body, len);
	s->hits++;
	write_state(s);
}

static gboolean on_hup(gpointer data)
{
	server *s = data;
	g_autoptr(GError) error = NULL;

	if (!load_cert(s, &error)) {
		fprintf(stderr, "spiffe-bundle-server: reload: %s\n",
			error->message);
		exit(1);
	}
	s->reloads++;
	write_state(s);
	return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
	server *s = data;

	g_main_loop_quit(s->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	server s = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	GSList *uris;
	GOptionEntry entries[] = {
		{"cert", 0, 0, G_OPTION_ARG_FILENAME, &s.cert, "PEM", NULL},
		{"key", 0, 0, G_OPTION_ARG_FILENAME, &s.key, "PEM", NULL},
		{"bundle", 0, 0, G_OPTION_ARG_FILENAME, &s.bundle, "FILE",
		 NULL},
		{"state", 0, 0, G_OPTION_ARG_FILENAME, &s.state, "FILE", NULL},
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
	    s.cert == NULL || s.key == NULL || s.bundle == NULL ||
	    s.state == NULL) {
		fprintf(stderr,
			"usage: %s --cert PEM --key PEM --bundle FILE "
			"--state FILE\n",
			argv[0]);
		return 2;
	}
	if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
		fprintf(stderr, "spiffe-bundle-server: GIO has no TLS backend "
				"(glib-networking missing)\n");
		return 77;
	}
	s.server =
		soup_server_new("server-header", "spiffe-bundle-server", NULL);
	if (!load_cert(&s, &error)) {
		fprintf(stderr, "spiffe-bundle-server: %s\n", error->message);
		return 1;
	}
	soup_server_add_handler(s.server, NULL, on_request, &s, NULL);
	lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	addr = g_inet_socket_address_new(lo, 0);
	if (!soup_server_listen(s.server, addr, SOUP_SERVER_LISTEN_HTTPS,
				&error)) {
		fprintf(stderr, "spiffe-bundle-server: %s\n", error->message);
		return 1;
	}
	uris = soup_server_get_uris(s.server);
	s.port = (guint)g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	write_state(&s);
	s.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGHUP, on_hup, &s);
	g_unix_signal_add(SIGTERM, on_term, &s);
	g_unix_signal_add(SIGINT, on_term, &s);
	g_main_loop_run(s.loop);
	g_main_loop_unref(s.loop);
	g_object_unref(s.server);
	g_free((char *)s.cert);
	g_free((char *)s.key);
	g_free((char *)s.bundle);
	g_free((char *)s.state);
	return 0;
}
