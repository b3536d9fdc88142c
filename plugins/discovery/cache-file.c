/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last known good bundle on disk, written atomically. */
#include "config.h"

#include "cache-file.h"

#include <json-glib/json-glib.h>

static void parsed_free(gpointer data)
{
	dsc_parsed_clear(data);
	g_free(data);
}

GHashTable *dsc_parsed_table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     parsed_free);
}

bool dsc_cache_file_save(const char *path, const dsc_bundle *b, gint64 saved,
			 GError **error)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	GHashTableIter it;
	gpointer k, v;

	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "format");
	json_builder_add_string_value(jb, "tlsverify-discovery-cache-1");
	json_builder_set_member_name(jb, "saved");
	json_builder_add_int_value(jb, saved);
	json_builder_set_member_name(jb, "version");
	json_builder_add_string_value(jb, b->version);
	json_builder_set_member_name(jb, "sets");
	json_builder_begin_object(jb);
	g_hash_table_iter_init(&it, b->sets);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const dsc_anchor_set *set = v;

		json_builder_set_member_name(jb, k);
		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "revoked");
		json_builder_add_boolean_value(jb, set->revoked);
		json_builder_set_member_name(jb, "anchors");
		json_builder_begin_array(jb);
		for (unsigned i = 0; i < set->ders->len; i++) {
			gsize len;
			const guchar *d =
				g_bytes_get_data(set->ders->pdata[i], &len);
			g_autofree char *b64 = g_base64_encode(d, len);

			json_builder_add_string_value(jb, b64);
		}
		json_builder_end_array(jb);
		json_builder_end_object(jb);
	}
	json_builder_end_object(jb);
	json_builder_end_object(jb);
	root = json_builder_get_root(jb);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	/* CONSISTENT: temporary file, fsync, rename over the old one. */
	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT |
						G_FILE_SET_CONTENTS_DURABLE,
					0600, error);
}

static bool load_set(JsonObject *o, dsc_parsed *p, GError **error)
{
	JsonArray *a;

	if (!JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "anchors")))
		goto bad;
	p->revoked = json_object_get_boolean_member_with_default(o, "revoked",
								 FALSE);
	a = json_object_get_array_member(o, "anchors");
	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		const char *b64 = json_array_get_string_element(a, i);
		g_autofree guchar *der = NULL;
		gsize len = 0;
		gnutls_datum_t d;
		gnutls_x509_crt_t crt;

		if (b64 == NULL)
			goto bad;
		der = g_base64_decode(b64, &len);
		d.data = der;
		d.size = (unsigned)len;
		if (gnutls_x509_crt_init(&crt) < 0)
			goto bad;
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt);
			goto bad;
		}
		g_ptr_array_add(p->crts, crt);
	}
	return true;
bad:
	g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "malformed anchor set");
	return false;
}

bool dsc_cache_file_load(const char *path, GHashTable **parsed, char **version,
			 gint64 *saved, GError **error)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	g_autoptr(GHashTable) table = dsc_parsed_table_new();
	JsonObject *root, *sets;
	JsonObjectIter it;
	const char *name;
	JsonNode *node;

	if (!json_parser_load_from_file(jp, path, error))
		return false;
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(jp)))
		goto bad;
	root = json_node_get_object(json_parser_get_root(jp));
	if (g_strcmp0(json_object_get_string_member_with_default(root, "format",
								 ""),
		      "tlsverify-discovery-cache-1") != 0 ||
	    !json_object_has_member(root, "sets") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(root, "sets")))
		goto bad;
	sets = json_object_get_object_member(root, "sets");
	json_object_iter_init(&it, sets);
	while (json_object_iter_next(&it, &name, &node)) {
		dsc_parsed *p = g_new0(dsc_parsed, 1);

		dsc_parsed_init(p);
		g_hash_table_insert(table, g_strdup(name), p);
		if (!JSON_NODE_HOLDS_OBJECT(node) ||
		    !load_set(json_node_get_object(node), p, error)) {
			g_prefix_error(error, "%s: ", path);
			return false;
		}
	}
	*version = g_strdup(json_object_get_string_member_with_default(
		root, "version", ""));
	*saved = json_object_get_int_member_with_default(root, "saved", 0);
	*parsed = g_steal_pointer(&table);
	return true;
bad:
	g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
		    "%s: not a discovery cache file", path);
	return false;
}
