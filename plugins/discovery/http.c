/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP for discovery sources: libcurl multi (GnuTLS) driven by a GMainContext.
 */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include "http.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <string.h>
#include <tlsverify/tlsverify.h>

struct dsc_http {
	GMainContext *ctx;
	CURLM *multi;
	GSource *timer;
	GHashTable *requests; /* dsc_http_request * set */
	bool in_action;	      /* inside curl_multi_socket_action */
};

struct dsc_http_request {
	dsc_http *http;
	CURL *easy;
	struct curl_slist *headers;
	GBytes *body_out;
	GByteArray *body;
	GHashTable *resp_headers;
	char *url;
	char *ca_file, *cert_file, *key_file;
	char errbuf[CURL_ERROR_SIZE];
	gsize received;
	gsize cap;
	bool over_cap;
	bool aborted_by_data;
	bool cancelled;
	GError *peer_error;
	dsc_http_options opts; /* callbacks and user data */
};

/* A socket curl asked us to watch. */
typedef struct {
	dsc_http *http;
	curl_socket_t fd;
	GSource *src;
} sock_watch;

static void check_done(dsc_http *h);

static void socket_action(dsc_http *h, curl_socket_t fd, int flags)
{
	int running = 0;

	h->in_action = true;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	h->in_action = false;
	check_done(h);
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
	sock_watch *w = data;
	int flags = 0;

	if (cond & G_IO_IN)
		flags |= CURL_CSELECT_IN;
	if (cond & G_IO_OUT)
		flags |= CURL_CSELECT_OUT;
	if (cond & (G_IO_ERR | G_IO_HUP))
		flags |= CURL_CSELECT_ERR;
	/* May free @w (CURL_POLL_REMOVE): do not touch it afterwards. */
	socket_action(w->http, fd, flags);
	return G_SOURCE_CONTINUE;
}

static void watch_drop(sock_watch *w)
{
	if (w->src != NULL) {
		g_source_destroy(w->src);
		g_source_unref(w->src);
		w->src = NULL;
	}
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	dsc_http *h = userp;
	sock_watch *w = socketp;
	GIOCondition cond = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w != NULL) {
			watch_drop(w);
			curl_multi_assign(h->multi, fd, NULL);
			g_free(w);
		}
		return 0;
	}
	if (w == NULL) {
		w = g_new0(sock_watch, 1);
		w->http = h;
		w->fd = fd;
		curl_multi_assign(h->multi, fd, w);
	}
	watch_drop(w);
	if (what & CURL_POLL_IN)
		cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (what & CURL_POLL_OUT)
		cond |= G_IO_OUT | G_IO_ERR;
	w->src = g_unix_fd_source_new(fd, cond);
	g_source_set_callback(w->src, G_SOURCE_FUNC(on_fd), w, NULL);
	g_source_attach(w->src, h->ctx);
	return 0;
}

static gboolean on_timer(gpointer data)
{
	dsc_http *h = data;

	/* Forget it first: curl may set a new timer from inside. */
	g_source_unref(h->timer);
	h->timer = NULL;
	socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	return G_SOURCE_REMOVE;
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	dsc_http *h = userp;

	(void)multi;
	if (h->timer != NULL) {
		g_source_destroy(h->timer);
		g_source_unref(h->timer);
		h->timer = NULL;
	}
	if (timeout_ms < 0)
		return 0;
	h->timer = g_timeout_source_new((guint)timeout_ms);
	g_source_set_callback(h->timer, on_timer, h, NULL);
	g_source_attach(h->timer, h->ctx);
	return 0;
}

dsc_http *dsc_http_new(GMainContext *ctx)
{
	dsc_http *h = g_new0(dsc_http, 1);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->ctx = ctx;
	h->multi = curl_multi_init();
	h->requests = g_hash_table_new(NULL, NULL);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static void request_free(dsc_http_request *r)
{
	dsc_http *h = r->http;

	g_hash_table_remove(h->requests, r);
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	if (r->body_out != NULL)
		g_bytes_unref(r->body_out);
	g_byte_array_unref(r->body);
	g_hash_table_unref(r->resp_headers);
	g_clear_error(&r->peer_error);
	g_free(r->url);
	g_free(r->ca_file);
	g_free(r->cert_file);
	g_free(r->key_file);
	g_free(r);
}

void dsc_http_free(dsc_http *h)
{
	GHashTableIter it;
	gpointer k;

	if (h == NULL)
		return;
	while (g_hash_table_size(h->requests) > 0) {
		g_hash_table_iter_init(&it, h->requests);
		g_hash_table_iter_next(&it, &k, NULL);
		request_free(k);
	}
	g_hash_table_unref(h->requests);
	curl_multi_cleanup(h->multi);
	if (h->timer != NULL) {
		g_source_destroy(h->timer);
		g_source_unref(h->timer);
	}
	g_free(h);
}

static size_t on_write(char *ptr, size_t size, size_t n, void *userdata)
{
	dsc_http_request *r = userdata;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	r->received += len;
	if (r->cap > 0 && r->received > r->cap) {
		r->over_cap = true;
		return 0;
	}
	if (r->opts.on_data != NULL) {
		if (!r->opts.on_data((const guint8 *)ptr, len,
				     r->opts.user_data)) {
			r->aborted_by_data = true;
			return 0;
		}
		return r->cancelled ? 0 : len;
	}
	g_byte_array_append(r->body, (const guint8 *)ptr, len);
	return len;
}

static size_t on_header(char *buf, size_t size, size_t n, void *userdata)
{
	dsc_http_request *r = userdata;
	size_t len = size * n;
	const char *colon = memchr(buf, ':', len);

	if (colon != NULL) {
		g_autofree char *name = g_ascii_strdown(buf, colon - buf);
		char *value = g_strndup(colon + 1, len - (colon + 1 - buf));

		g_strstrip(value);
		g_hash_table_replace(r->resp_headers, g_steal_pointer(&name),
				     value);
	} else if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after a 100 or a redirect): start over. */
		g_hash_table_remove_all(r->resp_headers);
	}
	return len;
}

static int on_prereq(void *userdata, char *conn_primary_ip, char *conn_local_ip,
		     int conn_primary_port, int conn_local_port)
{
	dsc_http_request *r = userdata;
	const struct curl_tlssessioninfo *info = NULL;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	if (curl_easy_getinfo(r->easy, CURLINFO_TLS_SSL_PTR, &info) !=
		    CURLE_OK ||
	    info == NULL || info->backend != CURLSSLBACKEND_GNUTLS ||
	    info->internals == NULL) {
		g_set_error(&r->peer_error, TV_ERROR, TV_ERROR_IO,
			    "no TLS session to check (not https?)");
		return CURL_PREREQFUNC_ABORT;
	}
	if (!r->opts.peer_check((gnutls_session_t)info->internals,
				r->opts.user_data, &r->peer_error))
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

dsc_http_request *dsc_http_start(dsc_http *h, const dsc_http_options *o,
				 GError **error)
{
	dsc_http_request *r = g_new0(dsc_http_request, 1);
	CURL *e;

	r->http = h;
	r->opts = *o;
	r->url = g_strdup(o->url);
	r->ca_file = g_strdup(o->ca_file);
	r->cert_file = g_strdup(o->cert_file);
	r->key_file = g_strdup(o->key_file);
	r->body = g_byte_array_new();
	r->resp_headers =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->cap = o->max_body_bytes;
	e = r->easy = curl_easy_init();
	if (e == NULL) {
		g_byte_array_unref(r->body);
		g_hash_table_unref(r->resp_headers);
		g_free(r->url);
		g_free(r->ca_file);
		g_free(r->cert_file);
		g_free(r->key_file);
		g_free(r);
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot create a curl handle");
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask is deprecated */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(
		e, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(o->connect_timeout_ms ? o->connect_timeout_ms : 10000));
	if (o->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	if (o->low_speed_time_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
				 (long)o->low_speed_time_s);
	}
	if (o->max_body_bytes > 0)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)o->max_body_bytes);
	if (o->body != NULL) {
		gsize len;
		const void *d;

		r->body_out = g_bytes_ref(o->body);
		d = g_bytes_get_data(r->body_out, &len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, d);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	if (o->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
	for (const char *const *hd = o->headers; hd && *hd; hd++)
		r->headers = curl_slist_append(r->headers, *hd);
	/* etcd's gateway streams; no "Expect: 100-continue" round trip. */
	r->headers = curl_slist_append(r->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (r->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
	if (r->cert_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLCERT, r->cert_file);
	if (r->key_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLKEY, r->key_file);
	if (o->peer_check != NULL) {
		/* Our own check replaces libcurl's, on every connection. */
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
	}
	g_hash_table_add(h->requests, r);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		request_free(r);
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot start the transfer");
		return NULL;
	}
	return r;
}

void dsc_http_cancel(dsc_http_request *r)
{
	if (r == NULL)
		return;
	r->cancelled = true;
	/* Inside curl's own callbacks the handle must stay: the write
	 * callback refuses the data and check_done frees it quietly. */
	if (!r->http->in_action)
		request_free(r);
}

const char *dsc_http_response_header(const dsc_http_response *response,
				     const char *name)
{
	return g_hash_table_lookup(response->headers, name);
}

static void finish(dsc_http_request *r, CURLcode code)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	dsc_http_response resp = {0};

	if (r->cancelled) {
		request_free(r);
		return;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	if (r->peer_error != NULL) {
		error = g_steal_pointer(&r->peer_error);
		g_prefix_error(&error, "%s: server refused: ", r->url);
	} else if (r->over_cap || code == CURLE_FILESIZE_EXCEEDED) {
		error = g_error_new(TV_ERROR, TV_ERROR_IO,
				    "%s: response over %zu bytes", r->url,
				    r->cap);
	} else if (r->aborted_by_data) {
		error = g_error_new(TV_ERROR, TV_ERROR_IO, "%s: stream aborted",
				    r->url);
	} else if (code != CURLE_OK) {
		error = g_error_new(TV_ERROR, TV_ERROR_IO, "%s: %s", r->url,
				    r->errbuf[0] ? r->errbuf
						 : curl_easy_strerror(code));
	}
	body = g_byte_array_free_to_bytes(g_steal_pointer(&r->body));
	r->body = g_byte_array_new();
	resp.body = body;
	resp.headers = r->resp_headers;
	resp.error = error;
	if (error != NULL)
		resp.status = 0;
	if (r->opts.on_done != NULL)
		r->opts.on_done(&resp, r->opts.user_data);
	request_free(r);
}

static void check_done(dsc_http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		dsc_http_request *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		finish(r, msg->data.result);
	}
}
