/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A discovered trust bundle: per-trust-domain anchor sets, immutable, shared.
 */
#include "config.h"

#include "bundle.h"

#include <string.h>

#include <gnutls/crypto.h>

void dsc_parsed_init(dsc_parsed *parsed)
{
	memset(parsed, 0, sizeof(*parsed));
	parsed->crts = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gnutls_x509_crt_deinit);
	parsed->sequence = -1;
	parsed->refresh_hint = -1;
}

void dsc_parsed_clear(dsc_parsed *parsed)
{
	if (parsed->crts != NULL)
		g_ptr_array_unref(parsed->crts);
	g_free(parsed->trust_domain);
	memset(parsed, 0, sizeof(*parsed));
}

bool dsc_pem_parse(GBytes *data, dsc_parsed *out, GError **error)
{
	gsize len = 0;
	const void *p = g_bytes_get_data(data, &len);
	gnutls_datum_t d = {(unsigned char *)p, (unsigned)len};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int ret;

	if (len == 0 || len > G_MAXUINT) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "empty value");
		return false;
	}
	ret = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM,
					   0);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "PEM does not parse: %s", gnutls_strerror(ret));
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		g_ptr_array_add(out->crts, list[i]);
	gnutls_free(list);
	return true;
}

static void anchor_set_free(gpointer data)
{
	dsc_anchor_set *set = data;

	if (set->list != NULL)
		gnutls_x509_trust_list_deinit(set->list, 1);
	g_ptr_array_unref(set->ders);
	g_free(set->scope);
	g_free(set);
}

static char *crt_name(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = {NULL, 0};
	char *s;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		return g_strdup("(no subject)");
	s = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return s;
}

/* Checks one anchor; false with @error naming it. */
static bool anchor_is_acceptable(gnutls_x509_crt_t crt, gint64 now,
				 const char *scope, GError **error)
{
	g_autofree char *name = crt_name(crt);
	unsigned critical = 0;
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t until = gnutls_x509_crt_get_expiration_time(crt);

	if (gnutls_x509_crt_get_basic_constraints(crt, &critical, NULL, NULL) !=
	    1) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s%sanchor '%s' is not a CA", scope,
			    *scope ? ": " : "", name);
		return false;
	}
	if (until == (time_t)-1 || (gint64)until < now) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s%sanchor '%s' has expired", scope,
			    *scope ? ": " : "", name);
		return false;
	}
	if (from == (time_t)-1 || (gint64)from > now) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s%sanchor '%s' is not valid yet", scope,
			    *scope ? ": " : "", name);
		return false;
	}
	return true;
}

static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compare_bytes(gconstpointer a, gconstpointer b)
{
	return g_bytes_compare(*(GBytes *const *)a, *(GBytes *const *)b);
}

/* Builds the set of @scope from @p, taking its certificates. */
static dsc_anchor_set *anchor_set_build(const char *scope, dsc_parsed *p,
					gint64 now, GChecksum *hash,
					dsc_bundle *b, GError **error)
{
	dsc_anchor_set *set = g_new0(dsc_anchor_set, 1);
	int ret;

	set->scope = g_strdup(scope);
	set->ders =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	set->revoked = p->revoked && p->crts->len == 0;
	if (p->crts->len == 0 && !set->revoked) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s%sno trust anchor", scope, *scope ? ": " : "");
		goto fail;
	}
	for (unsigned i = 0; i < p->crts->len; i++) {
		gnutls_x509_crt_t crt = p->crts->pdata[i];
		gnutls_datum_t der = {NULL, 0};
		time_t until;

		if (!anchor_is_acceptable(crt, now, scope, error))
			goto fail;
		ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
		if (ret < 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "cannot export anchor: %s",
				    gnutls_strerror(ret));
			goto fail;
		}
		g_ptr_array_add(set->ders, g_bytes_new(der.data, der.size));
		gnutls_free(der.data);
		until = gnutls_x509_crt_get_expiration_time(crt);
		if (b->not_after == 0 || (gint64)until < b->not_after)
			b->not_after = until;
	}
	/* Content identity does not depend on the order of anchors. */
	g_ptr_array_sort(set->ders, compare_bytes);
	g_checksum_update(hash, (const guchar *)scope, strlen(scope) + 1);
	g_checksum_update(hash, (const guchar *)(set->revoked ? "R" : "A"), 1);
	for (unsigned i = 0; i < set->ders->len; i++) {
		gsize len;
		const guchar *d = g_bytes_get_data(set->ders->pdata[i], &len);
		guint32 n = GUINT32_TO_BE((guint32)len);

		g_checksum_update(hash, (const guchar *)&n, sizeof(n));
		g_checksum_update(hash, d, len);
	}
	set->list = dsc_anchor_set_dup_list(set);
	if (set->list == NULL && !set->revoked) {
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot build trust list");
		goto fail;
	}
	b->anchors += set->ders->len;
	return set;
fail:
	anchor_set_free(set);
	return NULL;
}

gnutls_x509_trust_list_t dsc_anchor_set_dup_list(const dsc_anchor_set *set)
{
	gnutls_x509_trust_list_t list = NULL;

	if (set->ders->len == 0 || tv_trust_list_new(&list) < 0)
		return NULL;
	for (unsigned i = 0; i < set->ders->len; i++) {
		gsize len;
		const void *d = g_bytes_get_data(set->ders->pdata[i], &len);
		gnutls_datum_t der = {(unsigned char *)d, (unsigned)len};
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) < 0)
			goto fail;
		if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) <
			    0 ||
		    gnutls_x509_trust_list_add_cas(list, &crt, 1, 0) != 1) {
			gnutls_x509_crt_deinit(crt);
			goto fail;
		}
	}
	return list;
fail:
	gnutls_x509_trust_list_deinit(list, 1);
	return NULL;
}

dsc_bundle *dsc_bundle_build(GHashTable *parsed, gint64 order,
			     const char *version, gint64 now, GError **error)
{
	g_autoptr(GChecksum) hash = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GPtrArray) scopes = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;
	dsc_bundle *b = g_new0(dsc_bundle, 1);

	b->refcount = 1;
	b->order = order;
	b->sets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					anchor_set_free);
	g_hash_table_iter_init(&it, parsed);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(scopes, k);
	g_ptr_array_sort(scopes, compare_str);
	if (scopes->len == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "no trust domain in the update");
		dsc_bundle_unref(b);
		return NULL;
	}
	for (unsigned i = 0; i < scopes->len; i++) {
		const char *scope = scopes->pdata[i];
		dsc_anchor_set *set = anchor_set_build(
			scope, g_hash_table_lookup(parsed, scope), now, hash, b,
			error);

		if (set == NULL) {
			dsc_bundle_unref(b);
			return NULL;
		}
		g_hash_table_insert(b->sets, set->scope, set);
	}
	b->hash = g_strdup(g_checksum_get_string(hash));
	b->version =
		version != NULL ? g_strdup(version) : g_strndup(b->hash, 16);
	return b;
}

dsc_bundle *dsc_bundle_ref(dsc_bundle *b)
{
	g_atomic_int_inc(&b->refcount);
	return b;
}

void dsc_bundle_unref(dsc_bundle *b)
{
	if (b == NULL || !g_atomic_int_dec_and_test(&b->refcount))
		return;
	g_hash_table_unref(b->sets);
	g_free(b->hash);
	g_free(b->version);
	g_free(b);
}

char *dsc_spiffe_trust_domain(gnutls_x509_crt_t leaf)
{
	for (unsigned i = 0;; i++) {
		char buf[2048 + 1];
		size_t size = sizeof(buf) - 1;
		unsigned critical;
		int type = gnutls_x509_crt_get_subject_alt_name(
			leaf, i, buf, &size, &critical);
		const char *td, *end;

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return NULL;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			return NULL;
		if (type != GNUTLS_SAN_URI)
			continue;
		buf[size] = '\0';
		if (g_ascii_strncasecmp(buf, "spiffe://", 9) != 0)
			continue;
		td = buf + 9;
		end = strchr(td, '/');
		if (end == NULL)
			end = td + strlen(td);
		if (end == td)
			return NULL;
		return g_ascii_strdown(td, end - td);
	}
}
