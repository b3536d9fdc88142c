/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test server: a Consul agent's CA roots endpoints with blocking queries, on
 * 127.0.0.1 over plain HTTP (libsoup). */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

/*
 * There is no Consul server package on Debian, so the consul source is
 * tested against this double.  It implements what Consul documents for
 * GET /v1/agent/connect/ca/roots and /v1/connect/ca/roots
 * (api-docs/features/blocking.mdx, agent/consul/rpc.go blockingQuery):
 *
 *  - no index, or index=0: answer at once;
 *  - ?index=N&wait=D: answer at once when the current index is above N,
 *    else hold the request until the index moves above N or D passes,
 *    then answer with whatever is current (a timeout is not an error);
 *  - every answer carries X-Consul-Index (the current index),
 *    X-Consul-KnownLeader and X-Consul-LastContact;
 *  - a bad index or wait is 400 "Invalid index" / "Invalid wait time";
 *    wait is capped at 10 minutes.
 * Not modelled: Consul's random extra wait (up to wait/16), ACLs.
 *
 * Control endpoints for the tests:
 *  - POST /mock/roots?index=N with the IndexedCARoots JSON as the body:
 *    the new state; N may be lower than before (an index reset) or 0.
 *    Held queries re-check and answer when the index moved above theirs.
 *  - POST /mock/fail?status=S: answer every roots query with HTTP S
 *    (S=0 ends that).
 *  - POST /mock/no-block: from then on, answer every roots query at once
 *    (an agent that ignores the index: not Consul, a client's worst case).
 *  - GET /mock/stats: {"queries": Q, "held": H, "indexes": [..],
 *    "token": T, "path": P} where indexes is the index parameter of every
 *    roots query so far (-1 for none), in order, and token and path are
 *    the X-Consul-Token (absent when none) and the path of the last one.
 *
 * Usage: consul-agent-mock --state FILE; FILE gets "port P" once
 * listening.  SIGTERM or SIGINT stops it.  Not installed.
 */

typedef struct {
	SoupServer *server;
	GMainLoop *loop;
	GBytes *body;
	guint64 index;
	guint fail_status;
	bool no_block; /* a broken agent: answer at once, whatever the index */
	GList *held;   /* held_query */
	guint queries;
	GArray *indexes;  /* gint64 */
	char *last_token; /* X-Consul-Token of the last roots query */
	char *last_path;  /* path of the last roots query */
} mock;

typedef struct {
	mock *m;
	SoupServerMessage *msg;
	guint64 min_index;
	GSource *timeout;
} held_query;

static void answer(mock *m, SoupServerMessage *msg)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	g_autofree char *index =
		g_strdup_printf("%" G_GUINT64_FORMAT, m->index);
	gsize len = 0;
	const void *data = g_bytes_get_data(m->body, &len);

	soup_message_headers_replace(h, "X-Consul-Index", index);
	soup_message_headers_replace(h, "X-Consul-KnownLeader", "true");
	soup_message_headers_replace(h, "X-Consul-LastContact", "0");
	soup_message_headers_replace(h, "X-Cache", "MISS");
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(msg, "application/json",
					 SOUP_MEMORY_COPY, data, len);
}

static void held_free(held_query *q)
{
	if (q->timeout != NULL) {
		g_source_destroy(q->timeout);
		g_source_unref(q->timeout);
	}
	g_object_unref(q->msg);
	g_free(q);
}

/* Ends the hold of @q with the current state. */
static void release(held_query *q)
{
	mock *m = q->m;

	m->held = g_list_remove(m->held, q);
	answer(m, q->msg);
	soup_server_message_unpause(q->msg);
	held_free(q);
}

static gboolean on_wait_expired(gpointer data)
{
	held_query *q = data;

	g_clear_pointer(&q->timeout, g_source_unref);
	release(q);
	return G_SOURCE_REMOVE;
}

/* A client went away while held. */
static void on_finished(SoupServerMessage *msg, gpointer data)
{
	mock *m = data;

	for (GList *l = m->held; l != NULL; l = l->next) {
		held_query *q = l->data;

		if (q->msg == msg) {
			m->held = g_list_delete_link(m->held, l);
			held_free(q);
			return;
		}
	}
}

/* Consul's wait syntax (a Go duration): "10s", "5m", "250ms". */
static bool parse_wait(const char *text, guint64 *ms)
{
	char *end = NULL;
	guint64 v;

	if (text == NULL || !g_ascii_isdigit(*text))
		return false;
	v = g_ascii_strtoull(text, &end, 10);
	if (strcmp(end, "ms") == 0)
		*ms = v;
	else if (strcmp(end, "s") == 0)
		*ms = v * 1000;
	else if (strcmp(end, "m") == 0)
		*ms = v * 60000;
	else
		return false;
	*ms = MIN(*ms, 600000); /* Consul caps wait at 10 minutes */
	return true;
}

static void roots_query(mock *m, SoupServerMessage *msg, const char *path,
			GHashTable *query)
{
	SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
	const char *index_text =
		query != NULL ? g_hash_table_lookup(query, "index") : NULL;
	const char *wait_text =
		query != NULL ? g_hash_table_lookup(query, "wait") : NULL;
	guint64 min_index = 0, wait_ms = 300000;
	gint64 recorded = -1;
	held_query *q;

	m->queries++;
	g_free(m->last_path);
	m->last_path = g_strdup(path);
	g_free(m->last_token);
	m->last_token =
		g_strdup(soup_message_headers_get_one(req, "X-Consul-Token"));
	if (index_text != NULL &&
	    !g_ascii_string_to_unsigned(index_text, 10, 0, G_MAXUINT64,
					&min_index, NULL)) {
		soup_server_message_set_status(msg, 400, NULL);
		soup_server_message_set_response(msg, "text/plain",
						 SOUP_MEMORY_STATIC,
						 "Invalid index", 13);
		return;
	}
	if (wait_text != NULL && !parse_wait(wait_text, &wait_ms)) {
		soup_server_message_set_status(msg, 400, NULL);
		soup_server_message_set_response(msg, "text/plain",
						 SOUP_MEMORY_STATIC,
						 "Invalid wait time", 17);
		return;
	}
	if (index_text != NULL)
		recorded = (gint64)min_index;
	g_array_append_val(m->indexes, recorded);
	if (m->fail_status != 0) {
		soup_server_message_set_status(msg, m->fail_status, NULL);
		soup_server_message_set_response(msg, "text/plain",
						 SOUP_MEMORY_STATIC,
						 "rpc error: no leader", 20);
		return;
	}
	if (min_index == 0 || m->index > min_index || m->no_block) {
		answer(m, msg);
		return;
	}
	q = g_new0(held_query, 1);
	q->m = m;
	q->msg = g_object_ref(msg);
	q->min_index = min_index;
	q->timeout = g_timeout_source_new((guint)wait_ms);
	g_source_set_callback(q->timeout, on_wait_expired, q, NULL);
	g_source_attach(q->timeout, NULL);
	m->held = g_list_prepend(m->held, q);
	soup_server_message_pause(msg);
}

static void set_roots(mock *m, SoupServerMessage *msg, GHashTable *query)
{
	const char *index_text =
		query != NULL ? g_hash_table_lookup(query, "index") : NULL;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
	guint64 index;
	GList *ready = NULL;

	if (index_text == NULL ||
	    !g_ascii_string_to_unsigned(index_text, 10, 0, G_MAXUINT64, &index,
					NULL)) {
		soup_server_message_set_status(msg, 400, NULL);
		return;
	}
	g_bytes_unref(m->body);
	m->body = g_bytes_ref(bytes);
	m->index = index;
	/* Held queries re-check, as Consul's do when their watch fires. */
	for (GList *l = m->held; l != NULL; l = l->next) {
		held_query *q = l->data;

		if (m->index > q->min_index)
			ready = g_list_prepend(ready, q);
	}
	for (GList *l = ready; l != NULL; l = l->next)
		release(l->data);
	g_list_free(ready);
	soup_server_message_set_status(msg, 204, NULL);
}

static void stats(mock *m, SoupServerMessage *msg)
{
	g_autoptr(GString) s = g_string_new(NULL);

	g_string_append_printf(s,
			       "{\"queries\": %u, \"held\": %u, "
			       "\"indexes\": [",
			       m->queries, g_list_length(m->held));
	for (guint i = 0; i < m->indexes->len; i++)
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT,
				       i > 0 ? ", " : "",
				       g_array_index(m->indexes, gint64, i));
	g_string_append(s, "]");
	if (m->last_token != NULL)
		g_string_append_printf(s, ", \"token\": \"%s\"", m->last_token);
	if (m->last_path != NULL)
		g_string_append_printf(s, ", \"path\": \"%s\"", m->last_path);
	g_string_append(s, "}");
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(msg, "application/json",
					 SOUP_MEMORY_COPY, s->str, s->len);
}

static void on_request(SoupServer *soup, SoupServerMessage *msg,
		       const char *path, GHashTable *query, gpointer data)
{
	mock *m = data;
	const char *method = soup_server_message_get_method(msg);

	(void)soup;
	if (strcmp(method, "GET") == 0 &&
	    (strcmp(path, "/v1/agent/connect/ca/roots") == 0 ||
	     strcmp(path, "/v1/connect/ca/roots") == 0)) {
		roots_query(m, msg, path, query);
	} else if (strcmp(method, "POST") == 0 &&
		   strcmp(path, "/mock/roots") == 0) {
		set_roots(m, msg, query);
	} else if (strcmp(method, "POST") == 0 &&
		   strcmp(path, "/mock/fail") == 0) {
		const char *st = query != NULL
					 ? g_hash_table_lookup(query, "status")
					 : NULL;
		guint64 v = 0;

		if (st == NULL ||
		    !g_ascii_string_to_unsigned(st, 10, 0, 599, &v, NULL)) {
			soup_server_message_set_status(msg, 400, NULL);
			return;
		}
		m->fail_status = (guint)v;
		soup_server_message_set_status(msg, 204, NULL);
	} else if (strcmp(method, "POST") == 0 &&
		   strcmp(path, "/mock/no-block") == 0) {
		/* Not Consul: an agent that ignores the index, for the
		 * client's rate limit. */
		m->no_block = true;
		soup_server_message_set_status(msg, 204, NULL);
	} else if (strcmp(method, "GET") == 0 &&
		   strcmp(path, "/mock/stats") == 0) {
		stats(m, msg);
	} else {
		soup_server_message_set_status(msg, 404, NULL);
	}
}

static void on_request_started(SoupServer *soup, SoupServerMessage *msg,
			       gpointer data)
{
	(void)soup;
	g_signal_connect(msg, "finished", G_CALLBACK(on_finished), data);
}

static gboolean on_term(gpointer data)
{
	mock *m = data;

	g_main_loop_quit(m->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	mock m = {0};
	g_autofree char *state = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autofree char *text = NULL;
	GSList *uris;
	GOptionEntry entries[] = {
		{"state", 0, 0, G_OPTION_ARG_FILENAME, &state, "FILE", NULL},
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
	    state == NULL) {
		fprintf(stderr, "usage: %s --state FILE\n", argv[0]);
		return 2;
	}
	m.body = g_bytes_new_static("{\"Roots\": null}", 15);
	m.index = 1;
	m.indexes = g_array_new(FALSE, FALSE, sizeof(gint64));
	m.server = soup_server_new("server-header", "consul-agent-mock", NULL);
	soup_server_add_handler(m.server, NULL, on_request, &m, NULL);
	g_signal_connect(m.server, "request-started",
			 G_CALLBACK(on_request_started), &m);
	lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	addr = g_inet_socket_address_new(lo, 0);
	if (!soup_server_listen(m.server, addr, 0, &error)) {
		fprintf(stderr, "consul-agent-mock: %s\n", error->message);
		return 1;
	}
	uris = soup_server_get_uris(m.server);
	text = g_strdup_printf("port %d\n", g_uri_get_port(uris->data));
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	if (!g_file_set_contents(state, text, -1, &error)) {
		fprintf(stderr, "consul-agent-mock: %s\n", error->message);
		return 1;
	}
	m.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_term, &m);
	g_unix_signal_add(SIGINT, on_term, &m);
	g_main_loop_run(m.loop);
	while (m.held != NULL)
		release(m.held->data);
	g_main_loop_unref(m.loop);
	g_object_unref(m.server);
	g_bytes_unref(m.body);
	g_array_unref(m.indexes);
	g_free(m.last_token);
	g_free(m.last_path);
	return 0;
}
