/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP for discovery sources: libcurl multi (GnuTLS) driven by a GMainContext.
 */
#ifndef TV_DISCOVERY_HTTP_H
#define TV_DISCOVERY_HTTP_H

#include <stdbool.h>

#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/*
 * One dsc_http per source, created and used on the worker thread only:
 * libcurl's socket and timer callbacks become GSources of @ctx, so
 * transfers progress while the worker's main loop runs.  Callbacks run on
 * the worker.  Errors are GErrors of domain TV_ERROR (TV_ERROR_IO).
 */
typedef struct dsc_http dsc_http;
typedef struct dsc_http_request dsc_http_request;

/*
 * The response of a finished request.  Everything is borrowed for the
 * duration of the done callback.
 */
typedef struct {
	long status;	     /* HTTP status, 0 when none arrived */
	GBytes *body;	     /* the body (empty when streamed via on_data) */
	GHashTable *headers; /* lower-case name -> value (last one wins) */
	const GError *error; /* transport error (connect, TLS, timeout, cap,
			      * peer check, aborted by on_data); NULL when a
			      * response arrived, whatever its status */
} dsc_http_response;

/* Called once when the request ends (not after dsc_http_cancel()).  The
 * request is freed after it returns. */
typedef void (*dsc_http_done_fn)(const dsc_http_response *response,
				 gpointer user_data);
/* Streaming: called for each piece of the body as it arrives (then the
 * body is not accumulated).  Return false to abort the transfer (done
 * gets an error). */
typedef bool (*dsc_http_data_fn)(const guint8 *data, gsize len,
				 gpointer user_data);
/*
 * Checks the server after the TLS handshake and before the request is sent
 * (CURLOPT_PREREQFUNCTION): @session is the connection's GnuTLS session.
 * Return false with @error to abort.  With a peer check, libcurl's own
 * verification is off and every request uses a new connection
 * (CURLOPT_FORBID_REUSE), so no connection skips the check.
 */
typedef bool (*dsc_http_peer_check_fn)(gnutls_session_t session,
				       gpointer user_data, GError **error);

typedef struct {
	const char *url;
	const char *method; /* NULL: GET, or POST when body is set */
	GBytes *body;	    /* request body, or NULL */
	const char *const
		*headers;	  /* "Name: value", NULL-terminated, or NULL */
	guint connect_timeout_ms; /* 0: 10 s */
	guint timeout_ms;	  /* whole transfer; 0: none (streams) */
	guint low_speed_time_s; /* abort below 1 byte/s for this long; 0 off */
	gsize max_body_bytes;	/* abort past this many bytes; 0: no cap */
	/* TLS: libcurl's own verification against @ca_file (NULL: the
	 * system store) unless @peer_check is set. */
	const char *ca_file;
	const char *cert_file; /* client certificate (file or pkcs11: URI) */
	const char *key_file;
	dsc_http_peer_check_fn peer_check;
	dsc_http_data_fn on_data;
	dsc_http_done_fn on_done;
	gpointer user_data; /* for on_data, on_done and peer_check */
} dsc_http_options;

/* A client on @ctx (borrowed; must outlive the client).  Never NULL. */
dsc_http *dsc_http_new(GMainContext *ctx);
/* Cancels every request (no callbacks) and frees.  NULL-safe. */
void dsc_http_free(dsc_http *http);

/*
 * dsc_http_start: starts a request; the options are copied (strings and
 * body) so they may be freed after the call.  Returns (transfer none) a
 * handle valid until on_done returns or dsc_http_cancel(), or NULL with
 * @error when the request cannot be set up.
 */
dsc_http_request *dsc_http_start(dsc_http *http, const dsc_http_options *opts,
				 GError **error);
/* Stops @request; its callbacks are not called afterwards.  Safe from the
 * request's own callbacks except on_done.  NULL-safe. */
void dsc_http_cancel(dsc_http_request *request);

/* Header @name (lower-case) of @response, or NULL. */
const char *dsc_http_response_header(const dsc_http_response *response,
				     const char *name);

G_END_DECLS

#endif
