/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: etcd v3 gateway responses, a range reply or a watch stream
 * cut into chunks (etcd-parse.c, compiled in from the plugin).
 *
 * Input: one control byte, then the body.  Control bit 0: watch stream
 * (else range reply); bit 1: a prefix (else one key); bits 2-7: the size
 * of the stream's chunks less one. */
#include <stdbool.h>

#include "fuzz-util.h"

#include <tlsverify/tlsverify.h>

#include "etcd-parse.h"

#define CAP (64 * 1024)

typedef struct {
	const dsc_etcd_scope *scope;
	GHashTable *values;
} watch_state;

static GHashTable *values_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)g_bytes_unref);
}

/* Every key is in the scope: the source takes a prefix key's trust
 * domain as what follows the prefix. */
static void check_keys(GHashTable *values, const dsc_etcd_scope *scope)
{
	GHashTableIter it;
	gpointer k, v;
	size_t n = strlen(scope->key);

	g_hash_table_iter_init(&it, values);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (scope->is_prefix ? strncmp(k, scope->key, n) != 0
				     : strcmp(k, scope->key) != 0)
			abort();
		if (v == NULL)
			abort();
	}
}

/* Whether @a and @b hold the same keys and values. */
static bool same_values(GHashTable *a, GHashTable *b)
{
	GHashTableIter it;
	gpointer k, v;

	if (g_hash_table_size(a) != g_hash_table_size(b))
		return false;
	g_hash_table_iter_init(&it, a);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		GBytes *w = g_hash_table_lookup(b, k);

		if (w == NULL || !g_bytes_equal(v, w))
			return false;
	}
	return true;
}

static GHashTable *values_copy(GHashTable *src)
{
	GHashTable *copy = values_new();
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, src);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(copy, g_strdup(k), g_bytes_ref(v));
	return copy;
}

static void on_line(const char *line, gsize len, gpointer user_data)
{
	watch_state *w = user_data;
	g_autoptr(GHashTable) before = values_copy(w->values);
	g_autoptr(GError) error = NULL;
	dsc_etcd_revs revs;
	dsc_etcd_watch_kind kind;

	/* A line is handed over whole, without its newline. */
	if (memchr(line, '\n', len) != NULL || line[len] != '\0')
		abort();
	kind = dsc_etcd_watch_parse(line, len, CAP, w->scope, w->values, &revs,
				    &error);
	if ((kind == DSC_ETCD_WATCH_ERROR) != (error != NULL))
		abort();
	if (revs.revision < 0 || revs.mod_revision < 0 ||
	    revs.compact_revision < 0)
		abort();
	/* Only events change what the store holds; a bad line changes
	 * nothing. */
	if (kind != DSC_ETCD_WATCH_EVENTS && !same_values(before, w->values))
		abort();
	check_keys(w->values, w->scope);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const dsc_etcd_scope key = {"/tls/bundle", false};
	static const dsc_etcd_scope prefix = {"/tls/", true};
	g_autoptr(GHashTable) values = values_new();
	g_autoptr(GError) error = NULL;
	const dsc_etcd_scope *scope;
	dsc_etcd_revs revs;
	uint8_t control;

	fuzz_quiet_logs();
	if (size < 1 || size > 1024 * 1024)
		return 0;
	control = data[0];
	data++;
	size--;
	scope = control & 2 ? &prefix : &key;
	if (control & 1) {
		g_autoptr(GString) buf = g_string_new(NULL);
		watch_state w = {scope, values};
		size_t chunk = (control >> 2) + 1;

		/* Seed the store, so deletions have something to hit. */
		g_hash_table_insert(values,
				    g_strdup(control & 2 ? "/tls/a.example"
							 : "/tls/bundle"),
				    g_bytes_new_static("x", 1));
		for (size_t off = 0; off < size; off += chunk)
			if (!dsc_etcd_lines_feed(buf, data + off,
						 MIN(chunk, size - off), CAP,
						 on_line, &w))
				break;
		return 0;
	}
	if (dsc_etcd_range_parse(size ? (const void *)data : "", size, CAP,
				 scope, values, &revs, &error)) {
		if (error != NULL || revs.revision < 0 || revs.mod_revision < 0)
			abort();
		check_keys(values, scope);
	} else if (error == NULL || error->domain != TV_ERROR) {
		abort();
	}
	return 0;
}
