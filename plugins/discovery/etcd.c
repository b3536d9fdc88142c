/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery source "etcd": a key or prefix through the v3 JSON gateway,
 * watched. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include <string.h>

#include <json-glib/json-glib.h>

#include "etcd-parse.h"
#include "http.h"
#include "source.h"

/*
 * The loop (research notes §1.4): range the key or prefix and remember
 * the revision R; watch from R+1 with progress notifications; on a
 * cancelled or compacted watch, a broken stream or any error, range
 * again, on the next endpoint, after a backoff.  A periodic range (the
 * poll) is the liveness check and the backstop for a half-open stream:
 * its value goes through the pipeline, which drops it when unchanged.
 * The revision orders updates and is the trust version.
 */

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 15000
#define REQUEST_TIMEOUT_MS 10000
/* Trouble (a failure or a restart) this long after the last one starts
 * the backoff over. */
#define QUIET_US (30 * G_USEC_PER_SEC)

typedef struct {
	/* Settings, fixed after configure(). */
	char **endpoints;
	unsigned n_endpoints;
	char *key; /* raw key, or the prefix */
	bool is_prefix;
	dsc_etcd_scope scope; /* key and is_prefix, for the parsers */
	char *trust_domain;
	char *ca_file, *cert_file, *key_file;
	char *username, *password;
	gint64 poll_ms;
	gsize cap; /* a range response's byte cap */
	/* Worker only. */
	GMainContext *ctx;
	dsc_sink *sink;
	dsc_http *http;
	unsigned ep; /* current endpoint */
	char *token;
	dsc_http_request *pending; /* auth or range */
	dsc_http_request *watch;
	dsc_http_request *poll_req;
	GSource *retry;
	GSource *poll;
	GSource *restart; /* deferred from inside a curl callback */
	guint backoff_ms;
	gint64 last_trouble; /* monotonic µs of the last failure or restart */
	gint64 revision;
	GHashTable *values; /* key -> GBytes, what the store holds */
	GString *line;	    /* a watch line being assembled */
} etcd_source;

static void secret_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		g_free(s);
	}
}

static void *etcd_configure(const tv_settings *settings,
			    const dsc_config *config, GError **error)
{
	g_auto(GStrv) endpoints = NULL;
	g_autofree char *ca = NULL, *cert = NULL, *key = NULL, *pwfile = NULL;
	const char *k = NULL, *prefix = NULL, *user = NULL, *password = NULL;
	int64_t poll = 30;
	etcd_source *s;

	if (!tv_settings_get_strv(settings, "endpoints", &endpoints, error) ||
	    !tv_settings_get_string(settings, "key", &k, error) ||
	    !tv_settings_get_string(settings, "prefix", &prefix, error) ||
	    !tv_settings_get_path(settings, "ca", &ca, error) ||
	    !tv_settings_get_path(settings, "certificate", &cert, error) ||
	    !tv_settings_get_path(settings, "private_key", &key, error) ||
	    !tv_settings_get_string(settings, "username", &user, error) ||
	    !tv_settings_get_string(settings, "password", &password, error) ||
	    !tv_settings_get_path(settings, "password_file", &pwfile, error) ||
	    !tv_settings_get_int(settings, "poll_interval", &poll, error))
		return NULL;
	if (endpoints == NULL || endpoints[0] == NULL) {
		tv_settings_set_error(settings, "endpoints", error,
				      "missing: etcd client URLs");
		return NULL;
	}
	for (char **e = endpoints; *e; e++)
		if (!g_str_has_prefix(*e, "http://") &&
		    !g_str_has_prefix(*e, "https://")) {
			tv_settings_set_error(settings, "endpoints", error,
					      "'%s' is not an http(s) URL", *e);
			return NULL;
		}
	if ((k == NULL) == (prefix == NULL)) {
		tv_settings_set_error(settings, k ? "prefix" : "key", error,
				      "set exactly one of key and prefix");
		return NULL;
	}
	if ((prefix ? prefix : k)[0] == '\0') {
		tv_settings_set_error(settings, k ? "key" : "prefix", error,
				      "must not be empty");
		return NULL;
	}
	if ((cert == NULL) != (key == NULL)) {
		tv_settings_set_error(
			settings, cert ? "private_key" : "certificate", error,
			"certificate and private_key go together");
		return NULL;
	}
	if (password != NULL && pwfile != NULL) {
		tv_settings_set_error(
			settings, "password_file", error,
			"set password or password_file, not both");
		return NULL;
	}
	if ((password != NULL || pwfile != NULL) != (user != NULL)) {
		tv_settings_set_error(settings, "username", error,
				      "username and a password go together");
		return NULL;
	}
	if (poll < 1 || poll > 86400) {
		tv_settings_set_error(settings, "poll_interval", error,
				      "must be 1 to 86400 seconds");
		return NULL;
	}
	if (prefix != NULL && config->trust_domain != NULL &&
	    strcmp(config->format, DSC_FORMAT_PEM) != 0) {
		tv_settings_set_error(settings, "format", error,
				      "a prefix with trust_domain joins "
				      "values: format must be pem");
		return NULL;
	}
	s = g_new0(etcd_source, 1);
	if (pwfile != NULL) {
		g_autoptr(GError) local = NULL;
		char *pw = NULL;

		if (!g_file_get_contents(pwfile, &pw, NULL, &local)) {
			tv_settings_set_error(settings, "password_file", error,
					      "%s", local->message);
			g_free(s);
			return NULL;
		}
		s->password = g_strdup(g_strchomp(pw));
		secret_free(pw);
	} else {
		s->password = g_strdup(password);
	}
	s->n_endpoints = g_strv_length(endpoints);
	s->endpoints = g_steal_pointer(&endpoints);
	for (unsigned i = 0; i < s->n_endpoints; i++) {
		char *e = s->endpoints[i];
		size_t n = strlen(e);

		while (n > 0 && e[n - 1] == '/')
			e[--n] = '\0';
	}
	s->key = g_strdup(prefix ? prefix : k);
	s->is_prefix = prefix != NULL;
	s->scope.key = s->key;
	s->scope.is_prefix = s->is_prefix;
	s->trust_domain = g_strdup(config->trust_domain);
	s->ca_file = g_steal_pointer(&ca);
	s->cert_file = g_steal_pointer(&cert);
	s->key_file = g_steal_pointer(&key);
	s->username = g_strdup(user);
	s->poll_ms = poll * 1000;
	/* base64 and JSON around the values: room for several. */
	s->cap = config->max_bundle_bytes * 4 + 1024 * 1024;
	s->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)g_bytes_unref);
	s->line = g_string_new(NULL);
	return s;
}

/* ---- requests ------------------------------------------------------------ */

static char *b64(const char *s, gsize len)
{
	return g_base64_encode((const guchar *)s, len);
}

/* The range_end of a prefix: its last byte plus one (notes §1.2). */
static char *prefix_end_b64(const char *prefix)
{
	g_autofree char *end = g_strdup(prefix);
	size_t n = strlen(end);

	while (n > 0 && (guchar)end[n - 1] == 0xff)
		n--;
	if (n == 0)
		return b64("\0", 1); /* every key */
	end[n - 1]++;
	return b64(end, n);
}

static char *range_body(etcd_source *s)
{
	g_autofree char *k = b64(s->key, strlen(s->key));

	if (s->is_prefix) {
		g_autofree char *end = prefix_end_b64(s->key);

		return g_strdup_printf("{\"key\":\"%s\",\"range_end\":\"%s\"}",
				       k, end);
	}
	return g_strdup_printf("{\"key\":\"%s\"}", k);
}

static dsc_http_request *post(etcd_source *s, const char *path, char *body,
			      bool stream, dsc_http_data_fn on_data,
			      dsc_http_done_fn on_done)
{
	g_autofree char *url = g_strconcat(s->endpoints[s->ep], path, NULL);
	g_autofree char *auth =
		s->token ? g_strconcat("Authorization: ", s->token, NULL)
			 : NULL;
	const char *headers[] = {"Content-Type: application/json", auth, NULL};
	g_autoptr(GBytes) data = g_bytes_new_take(body, strlen(body));
	g_autoptr(GError) error = NULL;
	dsc_http_options o = {0};
	dsc_http_request *r;

	o.url = url;
	o.method = "POST";
	o.body = data;
	o.headers = headers;
	o.connect_timeout_ms = 3000;
	o.timeout_ms = stream ? 0 : REQUEST_TIMEOUT_MS;
	o.max_body_bytes = stream ? 0 : s->cap;
	o.ca_file = s->ca_file;
	o.cert_file = s->cert_file;
	o.key_file = s->key_file;
	o.on_data = on_data;
	o.on_done = on_done;
	o.user_data = s;
	r = dsc_http_start(s->http, &o, &error);
	if (r == NULL)
		g_warning("etcd: %s", error->message);
	return r;
}

static void begin(etcd_source *s);
static void fail(etcd_source *s, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void drop(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void stop_all(etcd_source *s)
{
	dsc_http_cancel(s->pending);
	s->pending = NULL;
	dsc_http_cancel(s->watch);
	s->watch = NULL;
	dsc_http_cancel(s->poll_req);
	s->poll_req = NULL;
	drop(&s->retry);
	drop(&s->poll);
	drop(&s->restart);
	g_string_truncate(s->line, 0);
}

static gboolean retry_fire(gpointer data)
{
	etcd_source *s = data;

	g_source_unref(s->retry);
	s->retry = NULL;
	begin(s);
	return G_SOURCE_REMOVE;
}

/*
 * The wait before ranging again after a failure or a restart: doubling,
 * with jitter so a fleet does not stampede.  Only a quiet spell resets it,
 * not a good range: a server that answers the range and then breaks every
 * watch (garbage, a compaction, closing it) would otherwise have the
 * source range and watch again in a tight loop.  @now_first: no wait for
 * the first trouble after a quiet spell (a compaction: range at once).
 */
static guint next_wait_ms(etcd_source *s, bool now_first)
{
	gint64 now = g_get_monotonic_time();
	bool quiet = s->last_trouble == 0 || now - s->last_trouble > QUIET_US;

	s->last_trouble = now;
	if (quiet)
		s->backoff_ms = 0;
	if (quiet && now_first)
		return 0;
	s->backoff_ms = s->backoff_ms ? MIN(s->backoff_ms * 2, BACKOFF_MAX_MS)
				      : BACKOFF_MIN_MS;
	return s->backoff_ms / 2 + g_random_int_range(0, s->backoff_ms / 2 + 1);
}

/* Records the failure, moves to the next endpoint and begins again after
 * a backoff. */
static void fail(etcd_source *s, const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;
	guint wait;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	dsc_sink_failed(s->sink, "%s: %s", s->endpoints[s->ep], msg);
	stop_all(s);
	s->ep = (s->ep + 1) % s->n_endpoints;
	wait = next_wait_ms(s, false);
	s->retry = g_timeout_source_new(wait);
	g_source_set_callback(s->retry, retry_fire, s, NULL);
	g_source_attach(s->retry, s->ctx);
}

static gboolean restart_fire(gpointer data)
{
	etcd_source *s = data;

	g_source_unref(s->restart);
	s->restart = NULL;
	stop_all(s);
	begin(s);
	return G_SOURCE_REMOVE;
}

/* Range again, outside curl's callbacks: at once after a quiet spell,
 * else after the backoff. */
static void schedule_restart(etcd_source *s)
{
	guint wait;

	if (s->restart != NULL)
		return;
	wait = next_wait_ms(s, true);
	s->restart = wait ? g_timeout_source_new(wait) : g_idle_source_new();
	g_source_set_callback(s->restart, restart_fire, s, NULL);
	g_source_attach(s->restart, s->ctx);
}

/* Offers what the store holds now (s->values) at @order. */
static void offer_values(etcd_source *s, gint64 order, gint64 mod_rev)
{
	g_autofree char *version =
		g_strdup_printf("%" G_GINT64_FORMAT, mod_rev);
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(s->values),
					    (GCompareFunc)strcmp);

	if (keys == NULL) {
		dsc_sink_failed(s->sink, "%s '%s' holds nothing",
				s->is_prefix ? "prefix" : "key", s->key);
		return;
	}
	if (!s->is_prefix) {
		dsc_sink_offer(s->sink, g_hash_table_lookup(s->values, s->key),
			       NULL, order, version, NULL);
	} else if (s->trust_domain != NULL) {
		g_autoptr(GByteArray) all = g_byte_array_new();
		g_autoptr(GBytes) joined = NULL;

		for (GList *l = keys; l; l = l->next) {
			gsize len;
			const guint8 *d = g_bytes_get_data(
				g_hash_table_lookup(s->values, l->data), &len);

			g_byte_array_append(all, d, len);
			g_byte_array_append(all, (const guint8 *)"\n", 1);
		}
		joined = g_byte_array_free_to_bytes(g_steal_pointer(&all));
		dsc_sink_offer(s->sink, joined, NULL, order, version, NULL);
	} else {
		/* One trust domain per key: the name after the prefix. */
		g_autoptr(GHashTable) map =
			g_hash_table_new(g_str_hash, g_str_equal);
		size_t plen = strlen(s->key);

		/* The parsers keep only keys under the prefix. */
		for (GList *l = keys; l; l = l->next) {
			const char *td = (const char *)l->data + plen;

			if (*td != '\0')
				g_hash_table_insert(
					map, (gpointer)td,
					g_hash_table_lookup(s->values,
							    l->data));
		}
		dsc_sink_offer_map(s->sink, map, NULL, order, version);
	}
}

/* Common checks of a unary response; its body, or NULL (the failure
 * handled). */
static GBytes *response_body(etcd_source *s, const dsc_http_response *r,
			     const char *what)
{
	gsize len;
	const char *d;

	if (r->error != NULL) {
		fail(s, "%s: %s", what, r->error->message);
		return NULL;
	}
	d = g_bytes_get_data(r->body, &len);
	if (r->status != 200) {
		if (r->status >= 400 && s->username &&
		    dsc_etcd_token_expired(d, len, s->cap)) {
			/* Simple tokens expire (auth-token-ttl): renew. */
			g_clear_pointer(&s->token, secret_free);
			schedule_restart(s);
			return NULL;
		}
		fail(s, "%s: HTTP %ld: %.*s", what, r->status,
		     (int)MIN(len, 200), d);
		return NULL;
	}
	return r->body;
}

/* ---- watch --------------------------------------------------------------- */

static void watch_line(const char *line, gsize len, gpointer user_data)
{
	etcd_source *s = user_data;
	g_autoptr(GError) error = NULL;
	dsc_etcd_revs revs;

	if (s->restart != NULL)
		return; /* ranging again anyway */
	switch (dsc_etcd_watch_parse(line, len, s->cap, &s->scope, s->values,
				     &revs, &error)) {
	case DSC_ETCD_WATCH_EMPTY:
		break;
	case DSC_ETCD_WATCH_ERROR:
		dsc_sink_failed(s->sink, "watch: %s", error->message);
		schedule_restart(s);
		break;
	case DSC_ETCD_WATCH_RESTART:
		/* Compacted past our revision, or cancelled: range again. */
		g_info("etcd: watch cancelled (compact_revision "
		       "%" G_GINT64_FORMAT "): ranging again",
		       revs.compact_revision);
		schedule_restart(s);
		break;
	case DSC_ETCD_WATCH_PROGRESS:
		/* Created, or a progress notification: alive, up to date. */
		if (revs.revision > s->revision)
			s->revision = revs.revision;
		dsc_sink_contact(s->sink);
		break;
	case DSC_ETCD_WATCH_EVENTS:
		s->revision = MAX(revs.revision, revs.mod_revision);
		offer_values(s, s->revision, revs.mod_revision);
		break;
	}
}

static bool watch_data(const guint8 *data, gsize len, gpointer user_data)
{
	etcd_source *s = user_data;

	/* One JSON object per line inside the chunked stream (§1.4). */
	if (!dsc_etcd_lines_feed(s->line, data, len, s->cap, watch_line, s)) {
		dsc_sink_failed(s->sink, "watch: line over the size cap");
		return false;
	}
	return s->restart == NULL;
}

static void watch_done(const dsc_http_response *r, gpointer user_data)
{
	etcd_source *s = user_data;

	s->watch = NULL;
	if (s->restart != NULL)
		return; /* restarting anyway */
	fail(s, "watch ended: %s",
	     r->error ? r->error->message : "stream closed by the server");
}

static void start_watch(etcd_source *s)
{
	g_autofree char *k = b64(s->key, strlen(s->key));
	g_autofree char *end = s->is_prefix ? prefix_end_b64(s->key) : NULL;
	g_autofree char *range =
		end ? g_strdup_printf(",\"range_end\":\"%s\"", end)
		    : g_strdup("");
	char *body = g_strdup_printf("{\"create_request\":{\"key\":\"%s\"%s,"
				     "\"start_revision\":\"%" G_GINT64_FORMAT
				     "\",\"progress_notify\":true}}",
				     k, range, s->revision + 1);

	g_string_truncate(s->line, 0);
	s->watch = post(s, "/v3/watch", body, true, watch_data, watch_done);
	if (s->watch == NULL)
		fail(s, "cannot start the watch");
}

/* ---- range and poll ------------------------------------------------------ */

/* Replaces s->values with the kvs of the range response @body: whether it
 * parsed, else the failure is handled (@what names the request). */
static bool take_range(etcd_source *s, GBytes *body, const char *what,
		       dsc_etcd_revs *revs)
{
	g_autoptr(GHashTable) values = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	g_autoptr(GError) error = NULL;
	gsize len;
	const char *d = g_bytes_get_data(body, &len);

	if (!dsc_etcd_range_parse(d, len, s->cap, &s->scope, values, revs,
				  &error)) {
		fail(s, "%s: %s", what, error->message);
		return false;
	}
	g_hash_table_unref(s->values);
	s->values = g_steal_pointer(&values);
	return true;
}

static gboolean poll_fire(gpointer data);

static void schedule_poll(etcd_source *s)
{
	drop(&s->poll);
	s->poll = g_timeout_source_new((guint)s->poll_ms);
	g_source_set_callback(s->poll, poll_fire, s, NULL);
	g_source_attach(s->poll, s->ctx);
}

static void range_done(const dsc_http_response *r, gpointer user_data)
{
	etcd_source *s = user_data;
	dsc_etcd_revs revs;
	GBytes *body;

	s->pending = NULL;
	body = response_body(s, r, "range");
	if (body == NULL || !take_range(s, body, "range", &revs))
		return;
	s->revision = revs.revision;
	offer_values(s, s->revision, revs.mod_revision);
	start_watch(s);
	schedule_poll(s);
}

static void poll_done(const dsc_http_response *r, gpointer user_data)
{
	etcd_source *s = user_data;
	dsc_etcd_revs revs;
	GBytes *body;

	s->poll_req = NULL;
	body = response_body(s, r, "poll");
	if (body == NULL || !take_range(s, body, "poll", &revs))
		return;
	/* Newer than the watch told us: the stream missed something. */
	if (revs.revision > s->revision)
		s->revision = revs.revision;
	offer_values(s, revs.revision, revs.mod_revision);
	schedule_poll(s);
}

static gboolean poll_fire(gpointer data)
{
	etcd_source *s = data;

	g_source_unref(s->poll);
	s->poll = NULL;
	if (s->poll_req == NULL)
		s->poll_req = post(s, "/v3/kv/range", range_body(s), false,
				   NULL, poll_done);
	return G_SOURCE_REMOVE;
}

static void auth_done(const dsc_http_response *r, gpointer user_data)
{
	etcd_source *s = user_data;
	g_autoptr(GError) error = NULL;
	GBytes *body;
	gsize len;
	const char *d;

	s->pending = NULL;
	body = response_body(s, r, "authenticate");
	if (body == NULL)
		return;
	d = g_bytes_get_data(body, &len);
	s->token = dsc_etcd_auth_token(d, len, s->cap, &error);
	if (s->token == NULL) {
		fail(s, "authenticate: %s", error->message);
		return;
	}
	g_info("etcd %s: authenticated as %s", s->endpoints[s->ep],
	       s->username);
	begin(s);
}

static void begin(etcd_source *s)
{
	if (s->username != NULL && s->token == NULL) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonGenerator) g = json_generator_new();
		g_autoptr(JsonNode) root = NULL;

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, s->username);
		json_builder_set_member_name(b, "password");
		json_builder_add_string_value(b, s->password);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		json_generator_set_root(g, root);
		s->pending = post(s, "/v3/auth/authenticate",
				  json_generator_to_data(g, NULL), false, NULL,
				  auth_done);
	} else {
		s->pending = post(s, "/v3/kv/range", range_body(s), false, NULL,
				  range_done);
	}
	if (s->pending == NULL)
		fail(s, "cannot start a request");
}

static void etcd_start(void *source, GMainContext *ctx, dsc_sink *sink)
{
	etcd_source *s = source;

	s->ctx = ctx;
	s->sink = sink;
	s->http = dsc_http_new(ctx);
	begin(s);
}

static void etcd_stop(void *source)
{
	etcd_source *s = source;

	stop_all(s);
	g_clear_pointer(&s->http, dsc_http_free);
}

static void etcd_free(void *source)
{
	etcd_source *s = source;

	if (s == NULL)
		return;
	g_strfreev(s->endpoints);
	g_free(s->key);
	g_free(s->trust_domain);
	g_free(s->ca_file);
	g_free(s->cert_file);
	g_free(s->key_file);
	g_free(s->username);
	secret_free(s->password);
	secret_free(s->token);
	g_hash_table_unref(s->values);
	g_string_free(s->line, TRUE);
	g_free(s);
}

const dsc_source_ops dsc_source_etcd = {
	.name = "etcd",
	.configure = etcd_configure,
	.start = etcd_start,
	.stop = etcd_stop,
	.free = etcd_free,
};
