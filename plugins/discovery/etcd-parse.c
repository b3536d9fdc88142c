/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* etcd v3 JSON gateway responses (range, watch stream, auth): parsers of the
 * etcd source. */
#include "config.h"

#include "etcd-parse.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <tlsverify/tlsverify.h>

#include "remote-json.h"

/*
 * Everything here comes from the network: a wrong type is an error, never
 * a default (json-glib's typed getters would log a critical and go on).
 * JSON goes through dsc_json_load_object (bounded size and depth, no
 * duplicate members).
 */

/* The member @name of @o as an object: absent or null is NULL with
 * success. */
static bool get_object(JsonObject *o, const char *name, JsonObject **out,
		       GError **error)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	*out = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"%s\" is not an object", name);
		return false;
	}
	*out = json_node_get_object(n);
	return true;
}

/* The member @name as an array: absent or null is NULL with success. */
static bool get_array(JsonObject *o, const char *name, JsonArray **out,
		      GError **error)
{
	JsonNode *n = json_object_get_member(o, name);

	*out = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"%s\" is not an array", name);
		return false;
	}
	*out = json_node_get_array(n);
	return true;
}

/* A revision: proto3 JSON writes int64 as a decimal string; a number is
 * taken too.  Absent: 0.  Anything else, or negative: an error. */
static bool get_revision(JsonObject *o, const char *name, gint64 *out,
			 GError **error)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	guint64 v = 0;

	*out = 0;
	if (n == NULL)
		return true;
	if (JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_STRING &&
	    g_ascii_string_to_unsigned(json_node_get_string(n), 10, 0,
				       G_MAXINT64, &v, NULL)) {
		*out = (gint64)v;
		return true;
	}
	if (JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_INT64 &&
	    json_node_get_int(n) >= 0) {
		*out = json_node_get_int(n);
		return true;
	}
	g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "\"%s\" is not a revision",
		    name);
	return false;
}

/* A bytes member (base64): absent or null is empty. */
static GBytes *get_bytes(JsonObject *o, const char *name, GError **error)
{
	JsonNode *n = json_object_get_member(o, name);
	const char *text;
	guchar *d;
	gsize len = 0;

	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return g_bytes_new(NULL, 0);
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"%s\" is not a base64 string", name);
		return NULL;
	}
	text = json_node_get_string(n);
	if (*text == '\0')
		return g_bytes_new(NULL, 0);
	d = g_base64_decode(text, &len);
	return g_bytes_new_take(d, len);
}

/*
 * The key of the kv @kv, checked against @scope: (transfer full) a string,
 * or NULL with @error.  A key with a NUL would be cut short by every
 * string function after this; one outside the range asked for is not an
 * answer to it (and the trust domain of a prefix key is what follows the
 * prefix).
 */
static char *kv_key(JsonObject *kv, const dsc_etcd_scope *scope, GError **error)
{
	g_autoptr(GBytes) k = get_bytes(kv, "key", error);
	gsize len = 0;
	const char *d;
	size_t want;

	if (k == NULL)
		return NULL;
	d = g_bytes_get_data(k, &len);
	if (len == 0 || memchr(d, '\0', len) != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "a key is empty or holds a NUL byte");
		return NULL;
	}
	want = strlen(scope->key);
	if (scope->is_prefix
		    ? len < want || memcmp(d, scope->key, want) != 0
		    : len != want || memcmp(d, scope->key, want) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "key '%.*s' is outside the %s asked for",
			    (int)MIN(len, 200), d,
			    scope->is_prefix ? "prefix" : "key");
		return NULL;
	}
	return g_strndup(d, len);
}

/* One kv: its key (*@key) and value (*@value, NULL when @with_value is
 * false); the highest mod_revision so far in *@mod_rev. */
static bool kv_parse(JsonNode *node, const dsc_etcd_scope *scope,
		     bool with_value, char **key, GBytes **value,
		     gint64 *mod_rev, GError **error)
{
	JsonObject *kv;
	gint64 rev;

	*key = NULL;
	*value = NULL;
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "a kv is not an object");
		return false;
	}
	kv = json_node_get_object(node);
	if (!get_revision(kv, "mod_revision", &rev, error))
		return false;
	*mod_rev = MAX(*mod_rev, rev);
	*key = kv_key(kv, scope, error);
	if (*key == NULL)
		return false;
	if (with_value) {
		*value = get_bytes(kv, "value", error);
		if (*value == NULL) {
			g_clear_pointer(key, g_free);
			return false;
		}
	}
	return true;
}

bool dsc_etcd_range_parse(const void *data, size_t len, size_t max,
			  const dsc_etcd_scope *scope, GHashTable *values,
			  dsc_etcd_revs *revs, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *obj, *header;
	JsonArray *kvs;

	memset(revs, 0, sizeof(*revs));
	root = dsc_json_load_object(data, len, max, "range response", error);
	if (root == NULL)
		return false;
	obj = json_node_get_object(root);
	if (!get_object(obj, "header", &header, error) ||
	    !get_revision(header, "revision", &revs->revision, error) ||
	    !get_array(obj, "kvs", &kvs, error)) {
		g_prefix_error(error, "range response: ");
		return false;
	}
	for (guint i = 0; kvs != NULL && i < json_array_get_length(kvs); i++) {
		char *key;
		GBytes *value;

		if (!kv_parse(json_array_get_element(kvs, i), scope, true, &key,
			      &value, &revs->mod_revision, error)) {
			g_prefix_error(error, "range response: kvs[%u]: ", i);
			return false;
		}
		g_hash_table_replace(values, key, value);
	}
	return true;
}

/* An event checked, not yet applied. */
typedef struct {
	char *key;
	GBytes *value; /* NULL: DELETE */
} watch_event;

static void watch_event_clear(gpointer data)
{
	watch_event *ev = data;

	g_free(ev->key);
	if (ev->value != NULL)
		g_bytes_unref(ev->value);
}

/* The message of an error response, (transfer none) or a default. */
static const char *error_message(JsonObject *root)
{
	JsonNode *n = json_object_get_member(root, "message");
	JsonObject *err = NULL;

	if (n == NULL && get_object(root, "error", &err, NULL) && err != NULL)
		n = json_object_get_member(err, "message");
	if (n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_STRING)
		return json_node_get_string(n);
	return "an error without a message";
}

static bool events_parse(JsonArray *events, const dsc_etcd_scope *scope,
			 GArray *out, gint64 *mod_rev, GError **error)
{
	for (guint i = 0; i < json_array_get_length(events); i++) {
		JsonNode *node = json_array_get_element(events, i);
		const char *type = "PUT";
		watch_event ev = {NULL, NULL};
		JsonObject *o;
		bool put;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "events[%u] is not an object", i);
			return false;
		}
		o = json_node_get_object(node);
		/* proto3 omits the default type, PUT. */
		if (!dsc_json_get_string(o, "type", &type, error)) {
			g_prefix_error(error, "events[%u]: ", i);
			return false;
		}
		put = strcmp(type, "PUT") == 0;
		if (!put && strcmp(type, "DELETE") != 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "events[%u]: unknown type", i);
			return false;
		}
		if (!kv_parse(json_object_get_member(o, "kv"), scope, put,
			      &ev.key, &ev.value, mod_rev, error)) {
			g_prefix_error(error, "events[%u]: ", i);
			return false;
		}
		g_array_append_val(out, ev);
	}
	return true;
}

dsc_etcd_watch_kind dsc_etcd_watch_parse(const char *line, size_t len,
					 size_t max,
					 const dsc_etcd_scope *scope,
					 GHashTable *values,
					 dsc_etcd_revs *revs, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GArray) events = NULL;
	JsonObject *obj, *res, *header;
	JsonArray *list;
	gboolean canceled = FALSE;
	JsonNode *n;

	memset(revs, 0, sizeof(*revs));
	if (len == 0)
		return DSC_ETCD_WATCH_EMPTY;
	root = dsc_json_load_object(line, len, max, "watch response", error);
	if (root == NULL)
		return DSC_ETCD_WATCH_ERROR;
	obj = json_node_get_object(root);
	if (!get_object(obj, "result", &res, error))
		goto bad;
	if (res == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "%s",
			    error_message(obj));
		return DSC_ETCD_WATCH_ERROR;
	}
	if (!get_object(res, "header", &header, error) ||
	    !get_revision(header, "revision", &revs->revision, error) ||
	    !get_revision(res, "compact_revision", &revs->compact_revision,
			  error))
		goto bad;
	n = json_object_get_member(res, "canceled");
	if (n != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(n) ||
		    json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "\"canceled\" is not a boolean");
			goto bad;
		}
		canceled = json_node_get_boolean(n);
	}
	if (canceled || revs->compact_revision > 0)
		return DSC_ETCD_WATCH_RESTART;
	if (!get_array(res, "events", &list, error))
		goto bad;
	if (list == NULL)
		return DSC_ETCD_WATCH_PROGRESS;
	events = g_array_new(FALSE, FALSE, sizeof(watch_event));
	g_array_set_clear_func(events, watch_event_clear);
	if (!events_parse(list, scope, events, &revs->mod_revision, error))
		goto bad;
	for (guint i = 0; i < events->len; i++) {
		watch_event *ev = &g_array_index(events, watch_event, i);

		if (ev->value == NULL)
			g_hash_table_remove(values, ev->key);
		else
			g_hash_table_replace(values, g_steal_pointer(&ev->key),
					     g_steal_pointer(&ev->value));
	}
	return DSC_ETCD_WATCH_EVENTS;
bad:
	g_prefix_error(error, "watch response: ");
	return DSC_ETCD_WATCH_ERROR;
}

bool dsc_etcd_lines_feed(GString *buf, const guint8 *data, gsize len, gsize cap,
			 dsc_etcd_line_fn fn, gpointer user_data)
{
	gsize start = 0;

	for (gsize i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		g_string_append_len(buf, (const char *)data + start, i - start);
		fn(buf->str, buf->len, user_data);
		g_string_truncate(buf, 0);
		start = i + 1;
	}
	g_string_append_len(buf, (const char *)data + start, len - start);
	return buf->len <= cap;
}

char *dsc_etcd_auth_token(const void *data, size_t len, size_t max,
			  GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	const char *token = NULL;

	root = dsc_json_load_object(data, len, max, "authenticate response",
				    error);
	if (root == NULL)
		return NULL;
	if (!dsc_json_get_string(json_node_get_object(root), "token", &token,
				 error))
		return NULL;
	if (token == NULL || *token == '\0') {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "no token in the response");
		return NULL;
	}
	return g_strdup(token);
}

bool dsc_etcd_token_expired(const void *data, size_t len, size_t max)
{
	g_autoptr(JsonNode) root = NULL;
	JsonNode *code;

	root = dsc_json_load_object(data, len, max, "error response", NULL);
	if (root == NULL)
		return false;
	code = json_object_get_member(json_node_get_object(root), "code");
	return code != NULL && JSON_NODE_HOLDS_VALUE(code) &&
	       json_node_get_value_type(code) == G_TYPE_INT64 &&
	       json_node_get_int(code) == DSC_ETCD_INVALID_AUTH_TOKEN;
}
