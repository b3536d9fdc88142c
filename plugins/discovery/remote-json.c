/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict JSON loading for the remote bundle formats (JWKS, Consul roots). */
#include "config.h"

#include "remote-json.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

/* Members seen so far per object while json-glib parses: an object whose
 * size lags behind the number of members parsed into it got a duplicate. */
typedef struct {
	GHashTable *seen; /* JsonObject * -> count */
	char *duplicate;  /* the first duplicated name */
} dup_check;

static void on_object_member(JsonParser *parser, JsonObject *object,
			     const char *name, gpointer user_data)
{
	dup_check *dc = user_data;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(dc->seen, object)) + 1;

	(void)parser;
	g_hash_table_insert(dc->seen, object, GUINT_TO_POINTER(n));
	if (n > json_object_get_size(object) && dc->duplicate == NULL)
		dc->duplicate = g_strdup(name);
}

bool dsc_json_depth_ok(const char *data, size_t len, unsigned max)
{
	/*
	 * Every '[' and '{' counts, inside strings too; a closing bracket
	 * counts only where it surely is not inside a string or comment, so
	 * the count never falls below the real depth.  json-glib 1.6 also
	 * takes single-quoted strings and comments: both are skipped here
	 * (for closing brackets only), as are '#' and '//' to the line end.
	 */
	enum { CODE, DQ, SQ, BLOCK, LINE } in = CODE;
	unsigned depth = 0;
	bool escaped = false;

	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		char next = i + 1 < len ? data[i + 1] : '\0';

		if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
			escaped = false;
			continue;
		}
		switch (in) {
		case CODE:
			if ((c == ']' || c == '}') && depth > 0)
				depth--;
			else if (c == '"')
				in = DQ;
			else if (c == '\'')
				in = SQ;
			else if (c == '#' || (c == '/' && next == '/'))
				in = LINE;
			else if (c == '/' && next == '*') {
				in = BLOCK;
				i++;
			}
			break;
		case DQ:
		case SQ:
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == (in == DQ ? '"' : '\''))
				in = CODE;
			break;
		case BLOCK:
			if (c == '*' && next == '/') {
				in = CODE;
				i++;
			}
			break;
		case LINE:
			if (c == '\n')
				in = CODE;
			break;
		}
	}
	return true;
}

JsonNode *dsc_json_load_object(const void *data, size_t len, size_t max,
			       const char *what, GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local = NULL;
	dup_check dc = {NULL, NULL};
	JsonNode *root;
	bool ok;

	if (len == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "%s is empty",
			    what);
		return NULL;
	}
	if (len > max || len > G_MAXSSIZE) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s is %zu bytes, more than the limit of %zu", what,
			    len, max);
		return NULL;
	}
	if (memchr(data, '\0', len) != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s holds a NUL byte", what);
		return NULL;
	}
	if (!g_utf8_validate(data, (gssize)len, NULL)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "%s is not UTF-8",
			    what);
		return NULL;
	}
	if (!dsc_json_depth_ok(data, len, DSC_JSON_MAX_DEPTH)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s nests deeper than %d levels", what,
			    DSC_JSON_MAX_DEPTH);
		return NULL;
	}
	/* Immutable: no copy of the tree is made. */
	parser = json_parser_new_immutable();
	dc.seen = g_hash_table_new(NULL, NULL);
	g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member),
			 &dc);
	ok = json_parser_load_from_data(parser, data, (gssize)len, &local);
	g_hash_table_unref(dc.seen);
	if (!ok) {
		g_free(dc.duplicate);
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s is not valid JSON: %s", what, local->message);
		return NULL;
	}
	if (dc.duplicate != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s has member \"%s\" twice in one object", what,
			    dc.duplicate);
		g_free(dc.duplicate);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s is not a JSON object", what);
		return NULL;
	}
	return json_node_ref(root);
}

bool dsc_json_get_int(JsonObject *obj, const char *name, gint64 *out,
		      GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64 ||
	    json_node_get_int(node) < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"%s\" is not an integer in [0, %" G_GINT64_FORMAT
			    "]",
			    name, G_MAXINT64);
		return false;
	}
	*out = json_node_get_int(node);
	return true;
}

bool dsc_json_get_string(JsonObject *obj, const char *name, const char **out,
			 GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"%s\" is not a string", name);
		return false;
	}
	*out = json_node_get_string(node);
	return true;
}
