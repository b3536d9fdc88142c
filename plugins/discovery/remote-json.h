/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict JSON loading for the remote bundle formats (JWKS, Consul roots). */
#ifndef TV_PLUGINS_DISCOVERY_REMOTE_JSON_H
#define TV_PLUGINS_DISCOVERY_REMOTE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deepest nesting of arrays and objects a discovery document may have:
 * bundles and etcd responses nest a handful of levels. */
#define DSC_JSON_MAX_DEPTH 64

/*
 * dsc_json_depth_ok: whether the @len bytes of @data nest arrays and
 * objects at most @max deep.  json-glib parses recursively, a few stack
 * frames per level: some 100,000 levels (200 KB, under the default
 * max_bundle_bytes) overflow the worker's 8 MB stack, so this runs before
 * json-glib sees untrusted JSON.  Not a parser: an upper bound of the
 * depth, which may refuse (never accept) more than json-glib would nest.
 */
bool dsc_json_depth_ok(const char *data, size_t len, unsigned max);

/*
 * dsc_json_load_object: parses the @len bytes of @data (at most @max) as one
 * JSON object with json-glib, refusing what json-glib alone would accept
 * silently: a member name twice in one object (json-glib keeps the last,
 * so two readers could see two different bundles: TDB §5.1.1), NUL bytes,
 * a root that is not an object, and nesting deeper than
 * DSC_JSON_MAX_DEPTH (dsc_json_depth_ok).  @what names the document in errors.
 * Returns: (transfer full) the root node (json_node_unref), or NULL with
 * @error (TV_ERROR_INPUT).
 */
JsonNode *dsc_json_load_object(const void *data, size_t len, size_t max,
			       const char *what, GError **error);

/*
 * dsc_json_get_int: the member @name of @obj as a non-negative integer.
 * Absent: true with *@out untouched.  Present but not an integer in
 * [0, G_MAXINT64] (a float, a string, null, an overflowing number, which
 * json-glib wraps into a negative one): false with @error.
 */
bool dsc_json_get_int(JsonObject *obj, const char *name, gint64 *out,
		      GError **error);

/*
 * dsc_json_get_string: the member @name of @obj as a string, (transfer
 * none) in *@out, valid while @obj is.  Absent: true with *@out untouched.
 * Present but not a string: false with @error.
 */
bool dsc_json_get_string(JsonObject *obj, const char *name, const char **out,
			 GError **error);

G_END_DECLS

#endif
