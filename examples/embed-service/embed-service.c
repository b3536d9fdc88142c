/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Embedding tlsverify in a service: periodic checks, reload, metrics. */

/*
 * A small daemon around one tv_engine, built against an installed
 * libtlsverify with pkg-config only (see Makefile and README.md beside it):
 *
 *   - verifies the chain in CHAIN.pem for --host every --interval seconds,
 *     and at once on SIGUSR2 (the file is read anew each time, so a
 *     rotated certificate is picked up);
 *   - reloads the policy on SIGHUP (a broken policy keeps the running one);
 *   - writes tv_engine_metrics() (Prometheus text) on SIGUSR1, to --metrics
 *     FILE atomically (write + rename, as node_exporter's textfile
 *     collector wants) or to standard output;
 *   - stops on SIGTERM or SIGINT.
 *
 * Signals arrive through g_unix_signal_add(): the handlers run in the main
 * loop, not in signal context, so they may call anything.  Every event is
 * one line on standard output.  --once verifies once, writes the metrics
 * and exits 0 (trusted), 1 (rejected) or 2 (error).
 *
 * A real service verifies on its worker threads: tv_engine_verify() is
 * thread-safe and lock-free, and tv_engine_reload() may run beside it.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <tlsverify/tlsverify.h>

enum { EXIT_TRUSTED = 0, EXIT_REJECTED = 1, EXIT_TROUBLE = 2 };

typedef struct {
	tv_engine *engine;
	GMainLoop *loop;
	const char *chain_file;
	const char *host;
	int port;
	int64_t time;		  /* -1: verify at "now" */
	const char *metrics_file; /* NULL: standard output */
} service;

/* "expired, name-mismatch" from reason bits; (transfer full). */
static char *reasons_text(uint32_t reasons)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < TV_REASON_COUNT; i++) {
		const char *name = tv_reason_to_string(1u << i);

		if ((reasons & (1u << i)) == 0 || name == NULL)
			continue;
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", name);
	}
	return g_string_free(s, FALSE);
}

/* Verifies the chain file once; prints one line; returns an exit status. */
static int verify_once(service *svc)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_request) request = NULL;
	g_autoptr(tv_result) result = NULL;
	g_autofree char *pem = NULL;
	g_autofree char *reasons = NULL;
	gsize len = 0;

	if (!g_file_get_contents(svc->chain_file, &pem, &len, &error)) {
		printf("verify: error: %s\n", error->message);
		return EXIT_TROUBLE;
	}
	request = tv_request_new(svc->host, (uint16_t)svc->port);
	if (svc->time >= 0)
		tv_request_set_time(request, svc->time);
	if (tv_request_add_pem(request, pem, len, false, &error) < 0 ||
	    !tv_engine_verify(svc->engine, request, &result, &error)) {
		printf("verify: error: %s: %s\n", svc->chain_file,
		       error->message);
		return EXIT_TROUBLE;
	}
	if (tv_result_get_verdict(result) == TV_VERDICT_TRUSTED) {
		printf("verify: trusted endpoint=%s host=%s%s\n",
		       tv_result_get_endpoint(result), svc->host,
		       tv_result_is_insecure_skip(result) ? " (INSECURE)" : "");
		return EXIT_TRUSTED;
	}
	reasons = reasons_text(tv_result_get_reasons(result));
	printf("verify: rejected (%s) endpoint=%s host=%s: %s\n", reasons,
	       tv_result_get_endpoint(result), svc->host,
	       tv_result_get_message(result));
	return EXIT_REJECTED;
}

/* Writes the engine's metrics; true on success. */
static bool write_metrics(service *svc)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = tv_engine_metrics(svc->engine);

	if (svc->metrics_file == NULL) {
		fputs(text, stdout);
		return true;
	}
	/* Temporary file + rename: a reader never sees half of it. */
	if (!g_file_set_contents(svc->metrics_file, text, -1, &error)) {
		printf("metrics: error: %s\n", error->message);
		return false;
	}
	printf("metrics: written to %s\n", svc->metrics_file);
	return true;
}

static gboolean on_timer(gpointer data)
{
	verify_once(data);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigusr2(gpointer data)
{
	verify_once(data);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigusr1(gpointer data)
{
	write_metrics(data);
	return G_SOURCE_CONTINUE;
}

/* A failed reload changes nothing: the running policy stays. */
static gboolean on_sighup(gpointer data)
{
	service *svc = data;
	g_autoptr(GError) error = NULL;

	if (tv_engine_reload(svc->engine, &error))
		printf("reload: ok\n");
	else
		printf("reload: failed, keeping the running policy: %s\n",
		       error->message);
	return G_SOURCE_CONTINUE;
}

static gboolean on_stop(gpointer data)
{
	service *svc = data;

	printf("stop\n");
	g_main_loop_quit(svc->loop);
	return G_SOURCE_REMOVE;
}

static void run(service *svc, unsigned interval)
{
	guint sources[6];
	size_t n = 0;

	svc->loop = g_main_loop_new(NULL, FALSE);
	sources[n++] = g_unix_signal_add(SIGHUP, on_sighup, svc);
	sources[n++] = g_unix_signal_add(SIGUSR1, on_sigusr1, svc);
	sources[n++] = g_unix_signal_add(SIGUSR2, on_sigusr2, svc);
	sources[n++] = g_unix_signal_add(SIGTERM, on_stop, svc);
	sources[n++] = g_unix_signal_add(SIGINT, on_stop, svc);
	if (interval > 0)
		sources[n++] = g_timeout_add_seconds(interval, on_timer, svc);

	/* Handlers are in place: now it is safe to be signalled. */
	printf("ready: pid %ld, interval %u s\n", (long)getpid(), interval);
	verify_once(svc);
	g_main_loop_run(svc->loop);

	/* on_stop removed itself; the others are still attached. */
	for (size_t i = 0; i < n; i++) {
		GSource *source =
			g_main_context_find_source_by_id(NULL, sources[i]);
		if (source != NULL)
			g_source_destroy(source);
	}
	g_main_loop_unref(svc->loop);
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *plugin_dir = NULL;
	g_autofree char *host = NULL;
	g_autofree char *metrics = NULL;
	g_autofree char *time_text = NULL;
	gint port = 0, interval = 60;
	gboolean once = FALSE;
	service svc = {NULL, NULL, NULL, NULL, 0, -1, NULL};
	const GOptionEntry entries[] = {
		{"host", 0, 0, G_OPTION_ARG_STRING, &host,
		 "Name to verify; selects the endpoint (required)", "NAME"},
		{"port", 0, 0, G_OPTION_ARG_INT, &port,
		 "Peer port, for host:port endpoints", "N"},
		{"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
		 "Plugin directory (default: $TLSVERIFY_PLUGIN_DIR, else the "
		 "policy's or the installed one)",
		 "DIR"},
		{"interval", 0, 0, G_OPTION_ARG_INT, &interval,
		 "Seconds between verifications, 0 = on SIGUSR2 only "
		 "(default 60)",
		 "S"},
		{"metrics", 0, 0, G_OPTION_ARG_FILENAME, &metrics,
		 "Write the metrics here on SIGUSR1 (default: standard output)",
		 "FILE"},
		{"time", 0, 0, G_OPTION_ARG_STRING, &time_text,
		 "Verify at T (RFC 3339 UTC, date or @EPOCH), not now", "T"},
		{"once", 0, 0, G_OPTION_ARG_NONE, &once,
		 "Verify once, write the metrics, exit 0/1/2", NULL},
		{NULL},
	};

	setvbuf(stdout, NULL, _IOLBF, 0); /* one event, one line, at once */
	context = g_option_context_new("CONF_DIR CHAIN.pem");
	g_option_context_set_summary(
		context, "Verify CHAIN.pem by the policy in CONF_DIR, "
			 "periodically.\nSIGHUP reloads the policy, SIGUSR1 "
			 "writes the metrics, SIGUSR2 verifies now.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) ||
	    argc != 3 || host == NULL || port < 0 || port > 65535 ||
	    interval < 0) {
		fprintf(stderr, "%s\n",
			error ? error->message
			      : "usage: embed-service --host NAME [OPTION...] "
				"CONF_DIR CHAIN.pem");
		return EXIT_TROUBLE;
	}
	if (time_text != NULL && !tv_time_parse(time_text, &svc.time, &error)) {
		fprintf(stderr, "--time: %s\n", error->message);
		return EXIT_TROUBLE;
	}
	if (plugin_dir == NULL && g_getenv("TLSVERIFY_PLUGIN_DIR") != NULL)
		plugin_dir = g_strdup(g_getenv("TLSVERIFY_PLUGIN_DIR"));

	svc.engine = tv_engine_new(argv[1], plugin_dir, &error);
	if (svc.engine == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return EXIT_TROUBLE;
	}
	svc.chain_file = argv[2];
	svc.host = host;
	svc.port = port;
	svc.metrics_file = metrics;

	if (once) {
		int status = verify_once(&svc);

		if (!write_metrics(&svc))
			status = EXIT_TROUBLE;
		tv_engine_free(svc.engine);
		return status;
	}
	run(&svc, (unsigned)interval);
	tv_engine_free(svc.engine);
	return EXIT_TRUSTED;
}
