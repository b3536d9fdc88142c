/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify probe`: connect to every policy probe target at an interval and
 * serve /metrics and /status. */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const cli_command_help probe_help = {
	.name = "probe",
	.parameters = "--listen ADDRESS:PORT | --once",
	.summary = "Connect to every endpoint that has `probe = \"host:port\"` "
		   "in the policy,\nat each interval, verify the peer by "
		   "policy, and serve the results over HTTP:\n"
		   "/metrics (Prometheus text) and /status (JSON).  Like a "
		   "blackbox exporter,\nbut each verdict is the policy's.",
	.description =
		"Prints \"listening on http://ADDRESS:PORT/\" once serving "
		"(PORT 0 picks a free\nport).  SIGHUP reloads the policy "
		"(a broken policy keeps the running one and\nshows in "
		"tlsverify_config_last_reload_success); SIGTERM and SIGINT "
		"stop cleanly.\nA probe that fails is a metric "
		"(tlsverify_probe_success 0,\ntlsverify_probe_failures_total"
		"{stage}), never a crash.  Stages: connect,\nhandshake, "
		"verify.\n"
		"\n"
		"With --once: one round, the metrics on standard output, no "
		"server.\n"
		"\n"
		"Exit status:\n"
		"  0  stopped by a signal; with --once, every probe succeeded\n"
		"  1  with --once, some probe failed\n"
		"  2  usage or configuration error, or the address cannot be "
		"served",
};

/* The last outcome for one target; under probe->lock. */
typedef struct {
	char *endpoint;
	char *target; /* host:port */
	bool ok;
	double seconds;
	gint64 when; /* wall seconds; 0 = never probed */
	char *stage; /* of the last failure, NULL after a success */
	char *error;
	guint64 failures[3]; /* connect, handshake, verify */
} target_state;

static const char *const stage_names[3] = {"connect", "handshake", "verify"};

typedef struct {
	tv_engine *engine;
	double timeout;
	unsigned interval;
	GMutex lock;
	GCond wake;
	bool stop;
	GHashTable *targets; /* "endpoint\ttarget" -> target_state* */
	GMainLoop *loop;
} probe;

static void target_state_free(target_state *t)
{
	g_free(t->endpoint);
	g_free(t->target);
	g_free(t->stage);
	g_free(t->error);
	g_free(t);
}

/* One connection: stage and message on failure (transfer full). */
static bool probe_one(probe *p, const tv_probe_target *t, char **stage,
		      char **message)
{
	gint64 deadline =
		g_get_monotonic_time() + (gint64)(p->timeout * G_USEC_PER_SEC);
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;
	gnutls_session_t s = NULL;
	tv_session *tvs = NULL;
	const tv_result *r;
	bool ok = false;
	int fd, ret = 0;

	fd = cli_net_connect(t->host, t->port, deadline, p->timeout, &address,
			     &error);
	if (fd < 0) {
		*stage = g_strdup("connect");
		*message = g_strdup(error->message);
		return false;
	}
	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_set_default_priority(s) < 0 ||
	    (tvs = tv_session_attach(p->engine, s, t->host, t->port, &error)) ==
		    NULL) {
		*stage = g_strdup("handshake");
		*message = g_strdup(error ? error->message
					  : "cannot set up a TLS session");
		goto out;
	}
	gnutls_transport_set_int(s, fd);
	if (cli_net_run(s, fd, false, deadline, &ret) == CLI_NET_TIMEOUT) {
		*stage = g_strdup("handshake");
		*message = g_strdup_printf("timed out after %g s", p->timeout);
		goto out;
	}
	r = tv_session_get_result(tvs);
	if (ret == 0 && r != NULL &&
	    tv_result_get_verdict(r) == TV_VERDICT_TRUSTED) {
		ok = true;
		(void)cli_net_run(s, fd, true, deadline, &ret);
	} else if (r != NULL &&
		   tv_result_get_verdict(r) != TV_VERDICT_TRUSTED) {
		*stage = g_strdup("verify");
		*message = g_strdup(tv_result_get_message(r));
	} else {
		*stage = g_strdup("handshake");
		*message = g_strdup(ret < 0 ? gnutls_strerror(ret)
					    : "the peer was not verified");
		if (ret < 0 && ret != GNUTLS_E_FATAL_ALERT_RECEIVED)
			(void)gnutls_alert_send_appropriate(s, ret);
	}
out:
	if (s != NULL)
		gnutls_deinit(s);
	tv_session_free(tvs);
	cli_net_close(fd, deadline);
	return ok;
}

static void record(probe *p, const tv_probe_target *t, bool ok, double seconds,
		   char *stage, char *message)
{
	g_autofree char *key = g_strdup_printf("%s\t%s:%u", t->endpoint,
					       t->host, (unsigned)t->port);
	target_state *st;

	g_mutex_lock(&p->lock);
	st = g_hash_table_lookup(p->targets, key);
	if (st == NULL) {
		st = g_new0(target_state, 1);
		st->endpoint = g_strdup(t->endpoint);
		st->target =
			g_strdup_printf("%s:%u", t->host, (unsigned)t->port);
		g_hash_table_insert(p->targets, g_strdup(key), st);
	}
	st->ok = ok;
	st->seconds = seconds;
	st->when = g_get_real_time() / G_USEC_PER_SEC;
	g_free(st->stage);
	g_free(st->error);
	st->stage = stage;
	st->error = message;
	for (int i = 0; stage != NULL && i < 3; i++)
		if (strcmp(stage, stage_names[i]) == 0)
			st->failures[i]++;
	g_mutex_unlock(&p->lock);
}

/* One round over the policy's current targets; false if any failed. */
static bool probe_round(probe *p)
{
	g_autoptr(GPtrArray) targets = tv_engine_dup_probe_targets(p->engine);
	bool all_ok = true;

	for (unsigned i = 0; i < targets->len; i++) {
		const tv_probe_target *t = targets->pdata[i];
		gint64 t0 = g_get_monotonic_time();
		char *stage = NULL, *message = NULL;
		bool ok = probe_one(p, t, &stage, &message);

		all_ok = all_ok && ok;
		record(p, t, ok,
		       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC,
		       stage, message);
	}
	return all_ok;
}

/* The worker: a round, then wait for the interval or the stop. */
static gpointer worker(gpointer data)
{
	probe *p = data;

	for (;;) {
		gint64 until;

		probe_round(p);
		until = g_get_monotonic_time() +
			(gint64)p->interval * G_USEC_PER_SEC;
		g_mutex_lock(&p->lock);
		while (!p->stop && g_get_monotonic_time() < until)
			g_cond_wait_until(&p->wake, &p->lock, until);
		if (p->stop) {
			g_mutex_unlock(&p->lock);
			return NULL;
		}
		g_mutex_unlock(&p->lock);
	}
}

static void append_label(GString *out, const char *value)
{
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			g_string_append_c(out, '\\');
		if (*c == '\n') {
			g_string_append(out, "\\n");
			continue;
		}
		g_string_append_c(out, *c);
	}
}

static int compare_states(gconstpointer a, gconstpointer b)
{
	const target_state *x = *(target_state *const *)a;
	const target_state *y = *(target_state *const *)b;
	int c = strcmp(x->endpoint, y->endpoint);

	return c != 0 ? c : strcmp(x->target, y->target);
}

/* Sorted snapshot of the target states (borrowed; hold p->lock). */
static GPtrArray *sorted_states(probe *p)
{
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, p->targets);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(all, v);
	g_ptr_array_sort(all, compare_states);
	return all;
}

static void labels(GString *out, const target_state *t)
{
	g_string_append(out, "{endpoint=\"");
	append_label(out, t->endpoint);
	g_string_append(out, "\",target=\"");
	append_label(out, t->target);
	g_string_append_c(out, '"');
}

/* The engine's metrics followed by the probe's own. */
static char *render_metrics(probe *p)
{
	g_autofree char *engine = tv_engine_metrics(p->engine);
	GString *out = g_string_new(engine);
	g_autoptr(GPtrArray) all = NULL;
	char num[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append(out,
			"# HELP tlsverify_probe_success 1 when the last probe "
			"connected and the policy trusted the peer.\n"
			"# TYPE tlsverify_probe_success gauge\n");
	g_mutex_lock(&p->lock);
	all = sorted_states(p);
	for (unsigned i = 0; i < all->len; i++) {
		const target_state *t = all->pdata[i];
		g_string_append(out, "tlsverify_probe_success");
		labels(out, t);
		g_string_append_printf(out, "} %d\n", t->ok ? 1 : 0);
	}
	g_string_append(out, "# HELP tlsverify_probe_duration_seconds How "
			     "long the last probe took.\n"
			     "# TYPE tlsverify_probe_duration_seconds "
			     "gauge\n");
	for (unsigned i = 0; i < all->len; i++) {
		const target_state *t = all->pdata[i];
		g_string_append(out, "tlsverify_probe_duration_seconds");
		labels(out, t);
		g_string_append_printf(
			out, "} %s\n",
			g_ascii_dtostr(num, sizeof(num), t->seconds));
	}
	g_string_append(out,
			"# HELP tlsverify_probe_last_timestamp_seconds When "
			"the target was last probed.\n"
			"# TYPE tlsverify_probe_last_timestamp_seconds "
			"gauge\n");
	for (unsigned i = 0; i < all->len; i++) {
		const target_state *t = all->pdata[i];
		g_string_append(out, "tlsverify_probe_last_timestamp_seconds");
		labels(out, t);
		g_string_append_printf(out, "} %" G_GINT64_FORMAT "\n",
				       t->when);
	}
	g_string_append(out, "# HELP tlsverify_probe_failures_total Failed "
			     "probes by stage.\n"
			     "# TYPE tlsverify_probe_failures_total counter\n");
	for (unsigned i = 0; i < all->len; i++) {
		const target_state *t = all->pdata[i];
		for (int s = 0; s < 3; s++) {
			g_string_append(out, "tlsverify_probe_failures_total");
			labels(out, t);
			g_string_append_printf(
				out, ",stage=\"%s\"} %" G_GUINT64_FORMAT "\n",
				stage_names[s], (guint64)t->failures[s]);
		}
	}
	g_mutex_unlock(&p->lock);
	return g_string_free(out, FALSE);
}

/* The engine's status with a "probes" member added. */
static char *render_status(probe *p)
{
	g_autofree char *engine = tv_engine_status(p->engine);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(GPtrArray) all = NULL;
	JsonObject *root;
	JsonArray *probes = json_array_new();

	if (!json_parser_load_from_data(parser, engine, -1, NULL))
		return g_steal_pointer(&engine);
	root = json_node_get_object(json_parser_get_root(parser));
	g_mutex_lock(&p->lock);
	all = sorted_states(p);
	for (unsigned i = 0; i < all->len; i++) {
		const target_state *t = all->pdata[i];
		JsonObject *o = json_object_new();

		json_object_set_string_member(o, "endpoint", t->endpoint);
		json_object_set_string_member(o, "target", t->target);
		json_object_set_boolean_member(o, "ok", t->ok);
		json_object_set_double_member(o, "seconds", t->seconds);
		json_object_set_int_member(o, "when", t->when);
		if (t->stage != NULL) {
			json_object_set_string_member(o, "stage", t->stage);
			json_object_set_string_member(o, "error", t->error);
		} else {
			json_object_set_null_member(o, "stage");
			json_object_set_null_member(o, "error");
		}
		json_array_add_object_element(probes, o);
	}
	g_mutex_unlock(&p->lock);
	json_object_set_array_member(root, "probes", probes);
	json_generator_set_root(gen, json_parser_get_root(parser));
	return json_generator_to_data(gen, NULL);
}

/*
 * A client that opens a connection and sends its request head slowly, or
 * never (slowloris), would hold a socket for good: libsoup's server has
 * no timeout of its own.  Each request gets HEADER_TIMEOUT_S seconds
 * from its first byte to its complete head; then the socket is shut down
 * and libsoup drops the connection.
 */
#define HEADER_TIMEOUT_S 5
#define HEADER_TIMER_KEY "tlsverify-header-timer"

static void header_timer_remove(gpointer id)
{
	g_source_remove(GPOINTER_TO_UINT(id));
}

static gboolean header_timeout(gpointer data)
{
	SoupServerMessage *msg = data;
	GSocket *socket = soup_server_message_get_socket(msg);

	/* This source ends by returning; the message must not remove it. */
	g_object_steal_data(G_OBJECT(msg), HEADER_TIMER_KEY);
	if (socket != NULL)
		g_socket_shutdown(socket, TRUE, TRUE, NULL);
	return G_SOURCE_REMOVE;
}

static void request_started(SoupServer *server, SoupServerMessage *msg,
			    gpointer data)
{
	/* Removed with the message, if that goes first. */
	g_object_set_data_full(G_OBJECT(msg), HEADER_TIMER_KEY,
			       GUINT_TO_POINTER(g_timeout_add_seconds(
				       HEADER_TIMEOUT_S, header_timeout, msg)),
			       header_timer_remove);
}

static void request_read(SoupServer *server, SoupServerMessage *msg,
			 gpointer data)
{
	g_object_set_data(G_OBJECT(msg), HEADER_TIMER_KEY, NULL);
}

static void serve(SoupServer *server, SoupServerMessage *msg, const char *path,
		  GHashTable *query, gpointer data)
{
	probe *p = data;
	const char *method = soup_server_message_get_method(msg);
	char *body;
	const char *type;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		soup_server_message_set_status(msg, 405, NULL);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		body = render_metrics(p);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/status") == 0) {
		body = render_status(p);
		type = "application/json";
	} else {
		soup_server_message_set_status(msg, 404, NULL);
		return;
	}
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(msg, type, SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

static gboolean on_hangup(gpointer data)
{
	probe *p = data;
	g_autoptr(GError) error = NULL;

	/* A broken policy keeps the running one; the engine audits and
	 * counts the failure for the metrics. */
	if (!tv_engine_reload(p->engine, &error))
		cli_error("reload failed, keeping the running policy: %s",
			  error->message);
	return G_SOURCE_CONTINUE;
}

static gboolean on_terminate(gpointer data)
{
	probe *p = data;

	g_main_loop_quit(p->loop);
	return G_SOURCE_REMOVE;
}

static GSocketAddress *parse_listen(const char *text)
{
	g_autofree char *host = NULL;
	const char *colon = strrchr(text, ':');
	guint64 port;

	if (colon == NULL || colon == text ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL))
		return NULL;
	host = g_strndup(text, (gsize)(colon - text));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		char *inner = g_strndup(host + 1, strlen(host) - 2);
		g_free(host);
		host = inner;
	}
	return g_inet_socket_address_new_from_string(host, (guint)port);
}

int cmd_probe(cli_globals *globals, int argc, char **argv)
{
	g_autofree char *listen = NULL;
	g_autofree char *timeout_text = NULL;
	gint interval = 30;
	gboolean once = FALSE;
	GOptionEntry entries[] = {
		{"listen", 0, 0, G_OPTION_ARG_STRING, &listen,
		 "Serve HTTP on ADDRESS:PORT (e.g. 127.0.0.1:9115)",
		 "ADDRESS:PORT"},
		{"interval", 0, 0, G_OPTION_ARG_INT, &interval,
		 "Seconds between probe rounds (default 30)", "S"},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
		 "Seconds each probe may take (default 10)", "S"},
		{"once", 0, 0, G_OPTION_ARG_NONE, &once,
		 "One round, print the metrics, exit", NULL},
		{NULL},
	};
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(SoupServer) server = NULL;
	g_autoptr(GError) error = NULL;
	probe p = {0};
	guint64 timeout_s = 10;
	GThread *thread;
	int status;

	if (!cli_parse_command(&probe_help, entries, globals, &argc, &argv,
			       &status))
		return status;
	if (argc > 1) {
		cli_usage_error("probe", "unexpected argument '%s'", argv[1]);
		return CLI_EXIT_ERROR;
	}
	if (interval < 1 || interval > 86400) {
		cli_usage_error("probe", "--interval: %d is not 1..86400",
				interval);
		return CLI_EXIT_ERROR;
	}
	if (timeout_text != NULL &&
	    !g_ascii_string_to_unsigned(timeout_text, 10, 1, 3600, &timeout_s,
					NULL)) {
		cli_usage_error("probe", "--timeout: '%s' is not 1..3600",
				timeout_text);
		return CLI_EXIT_ERROR;
	}
	p.timeout = (double)timeout_s;
	if (!once) {
		if (listen == NULL) {
			cli_usage_error("probe", "--listen ADDRESS:PORT is "
						 "required (or --once)");
			return CLI_EXIT_ERROR;
		}
		address = parse_listen(listen);
		if (address == NULL) {
			cli_usage_error("probe",
					"--listen: '%s' is not ADDRESS:PORT",
					listen);
			return CLI_EXIT_ERROR;
		}
	}

	p.engine = tv_engine_new(cli_conf_dir(globals), cli_plugin_dir(globals),
				 &error);
	if (p.engine == NULL) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}
	signal(SIGPIPE, SIG_IGN);
	p.interval = (unsigned)interval;
	g_mutex_init(&p.lock);
	g_cond_init(&p.wake);
	p.targets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)target_state_free);

	if (once) {
		g_autofree char *text = NULL;
		bool ok = probe_round(&p);

		text = render_metrics(&p);
		fputs(text, stdout);
		status = ok ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
		goto done;
	}

	server = soup_server_new(NULL, NULL);
	g_signal_connect(server, "request-started", G_CALLBACK(request_started),
			 NULL);
	g_signal_connect(server, "request-read", G_CALLBACK(request_read),
			 NULL);
	soup_server_add_handler(server, "/", serve, &p, NULL);
	if (!soup_server_listen(server, address, 0, &error)) {
		cli_error("cannot listen on %s: %s", listen, error->message);
		status = CLI_EXIT_ERROR;
		goto done;
	}
	{
		GSList *uris = soup_server_get_uris(server);
		for (GSList *u = uris; u != NULL; u = u->next) {
			g_autofree char *s = g_uri_to_string(u->data);
			printf("listening on %s\n", s);
		}
		g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
		fflush(stdout);
	}

	p.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGHUP, on_hangup, &p);
	g_unix_signal_add(SIGTERM, on_terminate, &p);
	g_unix_signal_add(SIGINT, on_terminate, &p);
	thread = g_thread_new("probe", worker, &p);
	g_main_loop_run(p.loop);

	/* Stop: wake the worker; a probe in progress ends within its
	 * timeout. */
	g_mutex_lock(&p.lock);
	p.stop = true;
	g_cond_signal(&p.wake);
	g_mutex_unlock(&p.lock);
	g_thread_join(thread);
	soup_server_disconnect(server);
	g_main_loop_unref(p.loop);
	status = CLI_EXIT_OK;
done:
	g_hash_table_unref(p.targets);
	g_cond_clear(&p.wake);
	g_mutex_clear(&p.lock);
	tv_engine_free(p.engine);
	return status;
}
