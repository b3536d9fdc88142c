/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* etcd v3 JSON gateway responses (range, watch stream, auth): parsers of the
 * etcd source, apart so the fuzzer and tests reach them.  Internal. */
#ifndef TV_PLUGINS_DISCOVERY_ETCD_PARSE_H
#define TV_PLUGINS_DISCOVERY_ETCD_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

G_BEGIN_DECLS

/* etcd's gRPC error code of an expired or unknown auth token. */
#define DSC_ETCD_INVALID_AUTH_TOKEN 16

/* What was asked for: every key of a response must be in it. */
typedef struct {
	const char *key; /* the key, or the prefix */
	bool is_prefix;
} dsc_etcd_scope;

/* Revisions a response carries (proto3 JSON omits zeros: absent is 0). */
typedef struct {
	gint64 revision;	 /* header.revision */
	gint64 mod_revision;	 /* highest mod_revision of the kvs/events */
	gint64 compact_revision; /* watch responses */
} dsc_etcd_revs;

/*
 * dsc_etcd_range_parse: a /v3/kv/range response of at most @max bytes.
 * Fills @values (key (char *) -> value (GBytes *), both owned by the
 * table: create it with g_str_hash/g_str_equal, g_free and g_bytes_unref)
 * with its kvs and @revs with its revisions.  Refused (false with @error,
 * TV_ERROR_INPUT; @values then holds a part, to be dropped): not a JSON
 * object, a member of the wrong type, a revision that is not a
 * non-negative integer, a key or value that is not base64, a key that is
 * empty, holds a NUL or is outside @scope.
 */
bool dsc_etcd_range_parse(const void *data, size_t len, size_t max,
			  const dsc_etcd_scope *scope, GHashTable *values,
			  dsc_etcd_revs *revs, GError **error);

/* What one line of the watch stream says. */
typedef enum {
	DSC_ETCD_WATCH_EMPTY,	 /* an empty line: nothing */
	DSC_ETCD_WATCH_PROGRESS, /* created, or a progress notification */
	DSC_ETCD_WATCH_EVENTS,	 /* events, applied to @values */
	DSC_ETCD_WATCH_RESTART,	 /* cancelled or compacted: range again */
	DSC_ETCD_WATCH_ERROR,	 /* not a watch response, or an error one;
				    @error says which */
} dsc_etcd_watch_kind;

/*
 * dsc_etcd_watch_parse: one line (one JSON object) of a /v3/watch stream,
 * at most @max bytes.  Events are checked as for a range (keys in
 * @scope, base64, types) and applied to @values only when all of them
 * are good: a bad line changes nothing.  @revs gets the revisions.
 */
dsc_etcd_watch_kind dsc_etcd_watch_parse(const char *line, size_t len,
					 size_t max,
					 const dsc_etcd_scope *scope,
					 GHashTable *values,
					 dsc_etcd_revs *revs, GError **error);

/* A complete line of the watch stream, without its '\n'. */
typedef void (*dsc_etcd_line_fn)(const char *line, gsize len,
				 gpointer user_data);

/*
 * dsc_etcd_lines_feed: the watch stream is chunked, one JSON object per
 * line across chunks.  Appends @data to the partial line in @buf and
 * calls @fn for every line it completes.  Returns false when the partial
 * line left grows past @cap (the stream is then to be dropped).
 */
bool dsc_etcd_lines_feed(GString *buf, const guint8 *data, gsize len, gsize cap,
			 dsc_etcd_line_fn fn, gpointer user_data);

/*
 * dsc_etcd_auth_token: the "token" of a /v3/auth/authenticate response.
 * Returns (transfer full) the token, or NULL with @error.
 */
char *dsc_etcd_auth_token(const void *data, size_t len, size_t max,
			  GError **error);

/* Whether an error response says the auth token must be renewed. */
bool dsc_etcd_token_expired(const void *data, size_t len, size_t max);

G_END_DECLS

#endif
