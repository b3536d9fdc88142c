/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Endpoint lookup by host and port; cost independent of the endpoint count. */
#include "match.h"

#include <string.h>

/*
 * Two hash tables keyed by "name" or "name:port": exact names, and
 * wildcard suffixes.  A lookup tries at most two keys per label of the
 * host, so its cost depends on the host, never on how many endpoints the
 * policy has.
 */
struct match_index {
	GHashTable *exact;
	GHashTable *wildcard;
	gpointer any;
	GHashTable *any_port; /* port (GUINT_TO_POINTER) -> value */
};

match_index *match_index_new(void)
{
	match_index *m = g_new0(match_index, 1);

	m->exact = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->wildcard =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->any_port = g_hash_table_new(g_direct_hash, g_direct_equal);
	return m;
}

void match_index_free(match_index *m)
{
	if (m == NULL)
		return;
	g_hash_table_unref(m->exact);
	g_hash_table_unref(m->wildcard);
	g_hash_table_unref(m->any_port);
	g_free(m);
}

static char *make_key(const char *name, uint16_t port)
{
	if (port == 0)
		return g_strdup(name);
	return g_strdup_printf("%s:%u", name, (unsigned)port);
}

static gpointer insert(GHashTable *table, char *key, gpointer value)
{
	gpointer old = g_hash_table_lookup(table, key);

	if (old != NULL) {
		g_free(key);
		return old;
	}
	g_hash_table_insert(table, key, value);
	return NULL;
}

gpointer match_index_add(match_index *m, const host_pattern *p, gpointer value)
{
	gpointer old;

	g_return_val_if_fail(m != NULL && p != NULL && value != NULL, NULL);
	switch (p->kind) {
	case PATTERN_EXACT:
		return insert(m->exact, make_key(p->name, p->port), value);
	case PATTERN_WILDCARD:
		return insert(m->wildcard, make_key(p->name, p->port), value);
	case PATTERN_ANY:
		if (p->port == 0) {
			if (m->any != NULL)
				return m->any;
			m->any = value;
			return NULL;
		}
		old = g_hash_table_lookup(m->any_port,
					  GUINT_TO_POINTER(p->port));
		if (old != NULL)
			return old;
		g_hash_table_insert(m->any_port, GUINT_TO_POINTER(p->port),
				    value);
		return NULL;
	}
	return NULL;
}

/* Looks up "name:port" then "name" without allocating. */
static gpointer lookup_pair(GHashTable *table, const char *name, size_t len,
			    uint16_t port)
{
	char key[320];
	gpointer v;

	if (len + 7 > sizeof(key))
		return NULL;
	memcpy(key, name, len);
	if (port != 0) {
		/* ":port" by hand: snprintf is a tenth of a cache hit. */
		char digits[5];
		size_t n = 0, k = len;

		for (unsigned p = port; p != 0; p /= 10)
			digits[n++] = (char)('0' + p % 10);
		key[k++] = ':';
		while (n > 0)
			key[k++] = digits[--n];
		key[k] = '\0';
		v = g_hash_table_lookup(table, key);
		if (v != NULL)
			return v;
	}
	key[len] = '\0';
	return g_hash_table_lookup(table, key);
}

gpointer match_index_lookup(const match_index *m, const char *host,
			    uint16_t port)
{
	gpointer v;

	g_return_val_if_fail(m != NULL && host != NULL, NULL);
	v = lookup_pair(m->exact, host, strlen(host), port);
	if (v != NULL)
		return v;

	/* Wildcards: each proper suffix after a dot, longest first.  IP
	 * literals have no labels to strip. */
	if (!hostname_is_ip(host) && g_hash_table_size(m->wildcard) > 0) {
		for (const char *dot = strchr(host, '.'); dot != NULL;
		     dot = strchr(dot + 1, '.')) {
			v = lookup_pair(m->wildcard, dot + 1, strlen(dot + 1),
					port);
			if (v != NULL)
				return v;
		}
	}

	if (port != 0) {
		v = g_hash_table_lookup(m->any_port, GUINT_TO_POINTER(port));
		if (v != NULL)
			return v;
	}
	return m->any;
}
