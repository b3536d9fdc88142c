/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery source "consul": Connect CA roots from a Consul agent, with
 * blocking queries. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "remote-sources.h"

/*
 * The loop (research notes §2.3, Consul's api-docs/features/blocking.mdx):
 * GET the roots without an index, then again with ?index=<X-Consul-Index>
 * &wait=<wait>s: the agent holds the request until the index moves past
 * ours or the wait expires.  A return is not a change, so the body is
 * compared with the last one and only a different body is offered to the
 * pipeline; an equal one only says the agent is alive.  The index rules:
 * an index lower than ours means the agent's state was reset, so the next
 * query starts over without an index; an index of 0 is taken as 1, so
 * the query still blocks.  Requests are rate limited by a token bucket
 * (two at once, then one per `min_interval`), so an agent that returns
 * at once every time cannot make us spin; failures (transport errors,
 * HTTP 5xx and other non-200s) back off exponentially with jitter up to
 * `retry_max`.  Every Roots[].RootCert is trusted (consul-roots.c).
 */

#define AGENT_PATH "/v1/agent/connect/ca/roots"
#define SERVERS_PATH "/v1/connect/ca/roots"
#define DEFAULT_WAIT_S 300 /* Consul's default; its maximum is 600 */
#define MAX_WAIT_S 600
#define DEFAULT_MIN_INTERVAL_S 15
#define DEFAULT_RETRY_MAX_S 60
#define BACKOFF_MIN_MS 1000
#define TOKEN_BURST 2.0
#define MAX_TOKEN_BYTES 4096

typedef struct {
	/* Settings, fixed after configure(). */
	char *location;
	char *base_url; /* the agent's address, no trailing slash */
	const char *path;
	char *token_header; /* "X-Consul-Token: ..." or NULL */
	char *ca_file, *cert_file, *key_file;
	gint64 wait_s;
	gint64 min_interval_ms; /* one token per this */
	gint64 retry_max_ms;
	gsize cap;
	/* Worker only. */
	dsc_sink *sink;
	GMainContext *ctx;
	dsc_http *http;
	dsc_http_request *req;
	GSource *timer;
	guint64 index; /* 0: none yet, or reset */
	GBytes *last_body;
	double tokens;
	gint64 tokens_at; /* monotonic µs of the last refill */
	gint64 backoff_ms;
	bool failing;
	guint64 resets; /* index went backwards */
} consul_source;

static void secret_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		g_free(s);
	}
}

static void consul_free(void *source)
{
	consul_source *s = source;

	if (s == NULL)
		return;
	g_free(s->location);
	g_free(s->base_url);
	secret_free(s->token_header);
	g_free(s->ca_file);
	g_free(s->cert_file);
	g_free(s->key_file);
	g_free(s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(consul_source, consul_free)

/* A token is sent in a header: no line breaks, no NULs, bounded. */
static bool token_is_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MAX_TOKEN_BYTES)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isprint(t[i]))
			return false;
	return true;
}

static bool read_token(const tv_settings *settings, consul_source *s,
		       GError **error)
{
	g_autofree char *token_file = NULL;
	g_autoptr(GError) local = NULL;
	const char *token = NULL;
	char *data = NULL;
	gsize len = 0;
	bool ok;

	if (!tv_settings_get_string(settings, "token", &token, error) ||
	    !tv_settings_get_path(settings, "token_file", &token_file, error))
		return false;
	if (token != NULL && token_file != NULL) {
		tv_settings_set_error(settings, "token_file", error,
				      "set token or token_file, not both");
		return false;
	}
	if (token_file != NULL) {
		if (!g_file_get_contents(token_file, &data, &len, &local)) {
			tv_settings_set_error(settings, "token_file", error,
					      "%s", local->message);
			return false;
		}
		g_strstrip(data);
		token = data;
	}
	if (token == NULL)
		return true;
	ok = token_is_valid(token);
	if (ok)
		s->token_header = g_strconcat("X-Consul-Token: ", token, NULL);
	else
		tv_settings_set_error(
			settings, token_file ? "token_file" : "token", error,
			"not a usable token (1 to %d printable "
			"characters)",
			MAX_TOKEN_BYTES);
	secret_free(data);
	return ok;
}

static void *consul_configure(const tv_settings *settings,
			      const dsc_config *config, GError **error)
{
	g_autoptr(consul_source) s = g_new0(consul_source, 1);
	g_autoptr(GError) local = NULL;
	g_autoptr(GUri) uri = NULL;
	const char *url = NULL, *endpoint = "agent";
	int64_t wait = DEFAULT_WAIT_S, min_interval = DEFAULT_MIN_INTERVAL_S;
	int64_t retry_max = DEFAULT_RETRY_MAX_S;
	size_t n;

	if (!tv_settings_get_string(settings, "url", &url, error) ||
	    !tv_settings_get_string(settings, "endpoint", &endpoint, error) ||
	    !tv_settings_get_path(settings, "ca", &s->ca_file, error) ||
	    !tv_settings_get_path(settings, "certificate", &s->cert_file,
				  error) ||
	    !tv_settings_get_path(settings, "private_key", &s->key_file,
				  error) ||
	    !tv_settings_get_int(settings, "wait", &wait, error) ||
	    !tv_settings_get_int(settings, "min_interval", &min_interval,
				 error) ||
	    !tv_settings_get_int(settings, "retry_max", &retry_max, error) ||
	    !read_token(settings, s, error))
		return NULL;
	if (url == NULL) {
		tv_settings_set_error(settings, "url", error,
				      "missing: the Consul agent's address, "
				      "e.g. http://127.0.0.1:8500");
		return NULL;
	}
	uri = g_uri_parse(url, G_URI_FLAGS_NONE, &local);
	if (uri == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "http") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "https") != 0) ||
	    g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
	    g_uri_get_fragment(uri) != NULL ||
	    (*g_uri_get_path(uri) != '\0' &&
	     strcmp(g_uri_get_path(uri), "/") != 0)) {
		tv_settings_set_error(settings, "url", error,
				      "'%s' is not an http(s) address without "
				      "path, user info, query or fragment",
				      url);
		return NULL;
	}
	if (strcmp(endpoint, "agent") == 0) {
		s->path = AGENT_PATH;
	} else if (strcmp(endpoint, "servers") == 0) {
		s->path = SERVERS_PATH;
	} else {
		tv_settings_set_error(settings, "endpoint", error,
				      "'%s' is not agent (%s) or servers (%s)",
				      endpoint, AGENT_PATH, SERVERS_PATH);
		return NULL;
	}
	if ((s->cert_file == NULL) != (s->key_file == NULL)) {
		tv_settings_set_error(
			settings, s->cert_file ? "private_key" : "certificate",
			error, "certificate and private_key go together");
		return NULL;
	}
	if (wait < 1 || wait > MAX_WAIT_S) {
		tv_settings_set_error(settings, "wait", error,
				      "must be 1 to %d seconds", MAX_WAIT_S);
		return NULL;
	}
	if (min_interval < 0 || min_interval > 3600) {
		tv_settings_set_error(settings, "min_interval", error,
				      "must be 0 to 3600 seconds");
		return NULL;
	}
	if (retry_max < 1 || retry_max > 3600) {
		tv_settings_set_error(settings, "retry_max", error,
				      "must be 1 to 3600 seconds");
		return NULL;
	}
	if (config->max_staleness_s <= wait)
		tv_settings_warn(settings, "max_staleness",
				 "%" G_GINT64_FORMAT
				 " s is not above wait (%" G_GINT64_FORMAT
				 " s): an idle agent answers only every "
				 "wait seconds, so the bundle may expire while "
				 "Consul is healthy",
				 config->max_staleness_s, (gint64)wait);
	s->location = g_strdup(config->location);
	s->base_url = g_strdup(url);
	n = strlen(s->base_url);
	if (n > 0 && s->base_url[n - 1] == '/')
		s->base_url[n - 1] = '\0';
	s->wait_s = wait;
	s->min_interval_ms = min_interval * 1000;
	s->retry_max_ms = MAX(retry_max * 1000, BACKOFF_MIN_MS);
	s->cap = config->max_bundle_bytes;
	return g_steal_pointer(&s);
}

static void query(consul_source *s);

static gboolean on_timer(gpointer data)
{
	consul_source *s = data;

	g_clear_pointer(&s->timer, g_source_unref);
	query(s);
	return G_SOURCE_REMOVE;
}

/* Milliseconds until a token is available (0: now), refilling first. */
static gint64 token_wait_ms(consul_source *s)
{
	gint64 now = g_get_monotonic_time();

	if (s->min_interval_ms == 0)
		return 0;
	s->tokens = MIN(TOKEN_BURST,
			s->tokens + (double)(now - s->tokens_at) / 1000.0 /
					    (double)s->min_interval_ms);
	s->tokens_at = now;
	if (s->tokens >= 1.0)
		return 0;
	return (gint64)((1.0 - s->tokens) * (double)s->min_interval_ms) + 1;
}

/* Runs the next query after @delay_ms, or later if the bucket is empty. */
static void schedule(consul_source *s, gint64 delay_ms)
{
	delay_ms = MAX(delay_ms, token_wait_ms(s));
	if (s->timer != NULL) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
	}
	s->timer = g_timeout_source_new((guint)MIN(delay_ms, G_MAXUINT));
	g_source_set_callback(s->timer, on_timer, s, NULL);
	g_source_attach(s->timer, s->ctx);
}

/* The next backoff: doubling up to retry_max, with full jitter. */
static gint64 next_backoff_ms(consul_source *s)
{
	s->backoff_ms = s->backoff_ms == 0
				? BACKOFF_MIN_MS
				: MIN(s->backoff_ms * 2, s->retry_max_ms);
	return s->backoff_ms / 2 +
	       g_random_int_range(0, (gint32)(s->backoff_ms / 2) + 1);
}

static void query_failed(consul_source *s, const char *message)
{
	gint64 delay = next_backoff_ms(s);

	if (!s->failing)
		g_warning("%s: consul source: %s (retrying with backoff)",
			  s->location, message);
	s->failing = true;
	dsc_sink_failed(s->sink, "%s", message);
	schedule(s, delay);
}

/*
 * The X-Consul-Index of @r: true with *@index, or false when the header is
 * missing or not a decimal unsigned integer.
 */
static bool response_index(const dsc_http_response *r, guint64 *index)
{
	const char *v = dsc_http_response_header(r, "x-consul-index");

	return v != NULL &&
	       g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, index, NULL);
}

static void on_done(const dsc_http_response *r, gpointer user_data)
{
	consul_source *s = user_data;
	g_autofree char *version = NULL;
	guint64 index = 0;

	s->req = NULL;
	if (r->error != NULL) {
		query_failed(s, r->error->message);
		return;
	}
	if (r->status != 200) {
		g_autofree char *m = NULL;
		gsize len = 0;
		const char *body = g_bytes_get_data(r->body, &len);

		m = g_strdup_printf("%s%s: HTTP status %ld%s%.*s", s->base_url,
				    s->path, r->status, len ? ": " : "",
				    (int)MIN(len, 200), len ? body : "");
		query_failed(s, m);
		return;
	}
	if (!response_index(r, &index)) {
		/* Not a Consul answer we can block on: start over. */
		query_failed(s, "response without a valid X-Consul-Index");
		s->index = 0;
		return;
	}
	if (s->failing)
		g_info("%s: consul source: %s answers again", s->location,
		       s->base_url);
	s->failing = false;
	s->backoff_ms = 0;
	if (index < s->index) {
		/* blocking.mdx: the index went backwards (a restored or
		 * rebuilt cluster); reset, or we would block on an index
		 * that may never come back. */
		s->resets++;
		g_info("%s: consul source: index went back from "
		       "%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
		       ": starting over",
		       s->location, s->index, index);
		s->index = 0;
	} else {
		/* An index of 0 would not block: treat it as 1. */
		s->index = MAX(index, 1);
	}
	if (s->last_body != NULL && g_bytes_equal(s->last_body, r->body)) {
		dsc_sink_contact(s->sink);
	} else {
		version = g_strdup_printf("index %" G_GUINT64_FORMAT, index);
		/* Order -1: Consul indexes restart, contents are compared. */
		if (dsc_sink_offer(s->sink, r->body, DSC_FORMAT_CONSUL_ROOTS,
				   -1, version, NULL) != DSC_OFFER_REJECTED) {
			g_clear_pointer(&s->last_body, g_bytes_unref);
			s->last_body = g_bytes_ref(r->body);
		}
	}
	schedule(s, 0);
}

static void query(consul_source *s)
{
	const char *headers[3] = {"Accept: application/json", s->token_header,
				  NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;
	dsc_http_options o = {
		.headers = headers,
		.max_body_bytes = s->cap,
		.ca_file = s->ca_file,
		.cert_file = s->cert_file,
		.key_file = s->key_file,
		.user_data = s,
		.on_done = on_done,
	};

	if (s->min_interval_ms > 0)
		s->tokens -= 1.0; /* token_wait_ms() made sure there is one */
	if (s->index == 0) {
		url = g_strconcat(s->base_url, s->path, NULL);
		o.timeout_ms = 60000;
	} else {
		url = g_strdup_printf("%s%s?index=%" G_GUINT64_FORMAT
				      "&wait=%" G_GINT64_FORMAT "s",
				      s->base_url, s->path, s->index,
				      s->wait_s);
		/* Consul adds up to wait/16 of jitter; then some slack. */
		o.timeout_ms =
			(guint)((s->wait_s + s->wait_s / 16 + 10) * 1000);
	}
	o.url = url;
	s->req = dsc_http_start(s->http, &o, &error);
	if (s->req == NULL)
		query_failed(s, error->message);
}

static void consul_start(void *source, GMainContext *ctx, dsc_sink *sink)
{
	consul_source *s = source;

	s->ctx = ctx;
	s->sink = sink;
	s->http = dsc_http_new(ctx);
	s->tokens = TOKEN_BURST;
	s->tokens_at = g_get_monotonic_time();
	query(s);
}

static void consul_stop(void *source)
{
	consul_source *s = source;

	dsc_http_cancel(s->req);
	s->req = NULL;
	if (s->timer != NULL) {
		g_source_destroy(s->timer);
		g_clear_pointer(&s->timer, g_source_unref);
	}
	g_clear_pointer(&s->http, dsc_http_free);
	g_clear_pointer(&s->last_body, g_bytes_unref);
}

const dsc_source_ops dsc_source_consul = {
	.name = "consul",
	.configure = consul_configure,
	.start = consul_start,
	.stop = consul_stop,
	.free = consul_free,
};
