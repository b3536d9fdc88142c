/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery source "file": a PEM or JWKS file, or a directory, watched. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include <string.h>

#include <gio/gio.h>

#include "source.h"

/*
 * The monitor watches the directory (a monitor on a Kubernetes ConfigMap
 * file, a symlink into ..data, never fires); any event there starts a
 * debounce, after which every file is read again through its path, in
 * one read each, and offered: the pipeline compares contents, so events
 * of unrelated names cost a read.  A value that does not validate (a
 * writer halfway through an in-place write) is retried shortly.  A poll
 * timer is the backstop for lost events (inotify overflow, NFS, GLib's
 * hard-link monitor bug).
 */

#define DEBOUNCE_MS 150
#define SPIFFE_SUFFIX ".spiffe-trust-bundle.pem"

typedef struct {
	char *path;	 /* the file or directory */
	char *watch_dir; /* the directory monitored */
	bool is_dir;
	char *format;
	char *trust_domain;
	gint64 poll_ms;
	/* Worker only: */
	GMainContext *ctx;
	dsc_sink *sink;
	GFileMonitor *monitor;
	GSource *debounce;
	GSource *poll;
	GSource *retry;
	unsigned retries;
} file_source;

static void *file_configure(const tv_settings *settings,
			    const dsc_config *config, GError **error)
{
	g_autofree char *path = NULL;
	int64_t poll = 30;
	file_source *f;

	if (!tv_settings_get_path(settings, "path", &path, error) ||
	    !tv_settings_get_int(settings, "poll_interval", &poll, error))
		return NULL;
	if (path == NULL) {
		tv_settings_set_error(settings, "path", error,
				      "missing: the file or directory to "
				      "watch");
		return NULL;
	}
	if (poll < 1 || poll > 86400) {
		tv_settings_set_error(settings, "poll_interval", error,
				      "must be 1 to 86400 seconds");
		return NULL;
	}
	f = g_new0(file_source, 1);
	f->path = g_steal_pointer(&path);
	f->is_dir = g_file_test(f->path, G_FILE_TEST_IS_DIR);
	f->watch_dir =
		f->is_dir ? g_strdup(f->path) : g_path_get_dirname(f->path);
	f->format = g_strdup(config->format);
	f->trust_domain = g_strdup(config->trust_domain);
	f->poll_ms = poll * 1000;
	return f;
}

static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A directory: `<td>.spiffe-trust-bundle.pem` files are one trust domain
 * each; otherwise every visible *.pem / *.crt file (dot names such as
 * Kubernetes' ..data are skipped, their content is reached through the
 * user-visible symlinks) joins one set.
 */
static void read_dir(file_source *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(f->path, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) map = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	g_autoptr(GByteArray) all = g_byte_array_new();
	const char *name;
	bool spiffe = false;

	if (d == NULL) {
		dsc_sink_failed(f->sink, "%s", error->message);
		return;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		if (name[0] == '.')
			continue;
		if (g_str_has_suffix(name, SPIFFE_SUFFIX))
			spiffe = true;
		if (g_str_has_suffix(name, ".pem") ||
		    g_str_has_suffix(name, ".crt") ||
		    g_str_has_suffix(name, ".json"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_str);
	for (unsigned i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];
		g_autofree char *p = g_build_filename(f->path, n, NULL);
		g_autofree char *data = NULL;
		gsize len = 0;

		if (spiffe && !g_str_has_suffix(n, SPIFFE_SUFFIX))
			continue;
		if (!g_file_get_contents(p, &data, &len, &error)) {
			dsc_sink_failed(f->sink, "%s", error->message);
			return;
		}
		if (spiffe) {
			g_hash_table_insert(
				map,
				g_strndup(n, strlen(n) - strlen(SPIFFE_SUFFIX)),
				g_bytes_new_take(g_steal_pointer(&data), len));
		} else {
			g_byte_array_append(all, (const guint8 *)data, len);
			g_byte_array_append(all, (const guint8 *)"\n", 1);
		}
	}
	if (spiffe) {
		dsc_sink_offer_map(f->sink, map, NULL, -1, NULL);
	} else if (names->len == 0) {
		dsc_sink_failed(f->sink, "%s holds no certificate file",
				f->path);
	} else {
		g_autoptr(GBytes) b =
			g_byte_array_free_to_bytes(g_steal_pointer(&all));

		dsc_sink_offer(f->sink, b, NULL, -1, NULL, NULL);
	}
}

static gboolean retry_fire(gpointer data);

/* Reads and offers; schedules a short retry when the value is rejected. */
static void file_refresh(file_source *f)
{
	dsc_offer_status st = DSC_OFFER_ACCEPTED;

	if (f->is_dir) {
		read_dir(f);
	} else {
		g_autoptr(GError) error = NULL;
		g_autofree char *data = NULL;
		gsize len = 0;

		/* One read through the path: symlinks followed at once. */
		if (!g_file_get_contents(f->path, &data, &len, &error)) {
			dsc_sink_failed(f->sink, "%s", error->message);
		} else {
			g_autoptr(GBytes) b =
				g_bytes_new_take(g_steal_pointer(&data), len);

			st = dsc_sink_offer(f->sink, b, NULL, -1, NULL, NULL);
		}
	}
	/* An in-place writer settles quickly: look again soon, 3 times. */
	if (st == DSC_OFFER_REJECTED && f->retries < 3 && f->retry == NULL) {
		f->retry = g_timeout_source_new(500u << f->retries);
		f->retries++;
		g_source_set_callback(f->retry, retry_fire, f, NULL);
		g_source_attach(f->retry, f->ctx);
	} else if (st != DSC_OFFER_REJECTED) {
		f->retries = 0;
	}
}

static void drop_source(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static gboolean retry_fire(gpointer data)
{
	file_source *f = data;

	g_source_unref(f->retry);
	f->retry = NULL;
	file_refresh(f);
	return G_SOURCE_REMOVE;
}

static gboolean debounce_fire(gpointer data)
{
	file_source *f = data;

	g_source_unref(f->debounce);
	f->debounce = NULL;
	f->retries = 0;
	drop_source(&f->retry);
	file_refresh(f);
	return G_SOURCE_REMOVE;
}

static gboolean poll_fire(gpointer data)
{
	file_refresh(data);
	return G_SOURCE_CONTINUE;
}

static void on_event(GFileMonitor *monitor, GFile *file, GFile *other,
		     GFileMonitorEvent event, gpointer data)
{
	file_source *f = data;

	(void)monitor;
	(void)file;
	(void)other;
	(void)event;
	/* Any name: ..data, a temporary, the file itself; restart the wait. */
	drop_source(&f->debounce);
	f->debounce = g_timeout_source_new(DEBOUNCE_MS);
	g_source_set_callback(f->debounce, debounce_fire, f, NULL);
	g_source_attach(f->debounce, f->ctx);
}

static void file_start(void *source, GMainContext *ctx, dsc_sink *sink)
{
	file_source *f = source;
	g_autoptr(GFile) dir = g_file_new_for_path(f->watch_dir);
	g_autoptr(GError) error = NULL;

	f->ctx = ctx;
	f->sink = sink;
	/* The monitor belongs to the thread-default context at creation. */
	g_main_context_push_thread_default(ctx);
	f->monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES,
					      NULL, &error);
	g_main_context_pop_thread_default(ctx);
	if (f->monitor == NULL)
		g_warning("%s: cannot watch, polling only: %s", f->watch_dir,
			  error->message);
	else
		g_signal_connect(f->monitor, "changed", G_CALLBACK(on_event),
				 f);
	f->poll = g_timeout_source_new((guint)f->poll_ms);
	g_source_set_callback(f->poll, poll_fire, f, NULL);
	g_source_attach(f->poll, ctx);
	file_refresh(f);
}

static void file_stop(void *source)
{
	file_source *f = source;

	if (f->monitor != NULL) {
		g_signal_handlers_disconnect_by_data(f->monitor, f);
		g_file_monitor_cancel(f->monitor);
		g_clear_object(&f->monitor);
	}
	drop_source(&f->debounce);
	drop_source(&f->retry);
	drop_source(&f->poll);
}

static void file_free(void *source)
{
	file_source *f = source;

	if (f == NULL)
		return;
	g_free(f->path);
	g_free(f->watch_dir);
	g_free(f->format);
	g_free(f->trust_domain);
	g_free(f);
}

const dsc_source_ops dsc_source_file = {
	.name = "file",
	.configure = file_configure,
	.start = file_start,
	.stop = file_stop,
	.free = file_free,
};
