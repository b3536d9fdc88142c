/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trust anchors found by their name as RFC 5280 compares names, when the
 * trust list's exact-name lookup misses. */
#include "config.h"

#include "anchor-names.h"

#include "der.h"
#include "dn.h"

#include <libtasn1.h>
#include <string.h>

typedef struct {
	gnutls_x509_trust_list_t list; /* the list it was built from */
	/* normalised subject -> GPtrArray of GBytes: the exact subjects */
	GHashTable *by_name;
	/* sketches of the all-ASCII subjects (a set of guint64 *) */
	GHashTable *sketches;
	bool unsketched; /* some subject is not all ASCII */
} index_t;

struct tv_anchor_names {
	GMutex lock;	/* held while building only */
	index_t *index; /* atomic: NULL until built, then never changed */
};

struct tv_anchor_names *anchor_names_new(void)
{
	struct tv_anchor_names *names = g_new0(struct tv_anchor_names, 1);

	g_mutex_init(&names->lock);
	return names;
}

void anchor_names_free(struct tv_anchor_names *names)
{
	if (names == NULL)
		return;
	if (names->index != NULL) {
		g_hash_table_unref(names->index->by_name);
		g_hash_table_unref(names->index->sketches);
		g_free(names->index);
	}
	g_mutex_clear(&names->lock);
	g_free(names);
}

/*
 * A cheap necessary condition for dn_equal(), so that a chain whose
 * issuer no anchor resembles (every untrusted chain) costs a DER walk,
 * not a normalisation: the number of RDNs plus, over every attribute
 * value, a hash of its letters and digits lowercased.  Only for names
 * whose values are all ASCII (NFKC and case folding of ASCII only lower
 * the case); false for others or a Name that does not walk.
 */
static bool sketch(const gnutls_datum_t *raw, guint64 *out)
{
	const unsigned char *p = raw->data, *end = raw->data + raw->size;
	der_tlv name, rdn, ava, oid, value;
	guint64 sum = 0;

	if (!der_read(&p, end, &name) || !der_is_sequence(&name) || p != end)
		return false;
	p = name.content;
	end = name.content + name.len;
	while (p < end) {
		const unsigned char *q, *q_end;

		if (!der_read(&p, end, &rdn) ||
		    rdn.cls != (ASN1_CLASS_UNIVERSAL | ASN1_CLASS_STRUCTURED) ||
		    rdn.tag != ASN1_TAG_SET)
			return false;
		sum += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
		q = rdn.content;
		q_end = rdn.content + rdn.len;
		while (q < q_end) {
			const unsigned char *v;
			guint64 h = G_GUINT64_CONSTANT(1469598103934665603);

			if (!der_read(&q, q_end, &ava) ||
			    !der_is_sequence(&ava))
				return false;
			v = ava.content;
			if (!der_read(&v, ava.content + ava.len, &oid) ||
			    !der_read(&v, ava.content + ava.len, &value))
				return false;
			for (size_t k = 0; k < value.len; k++) {
				unsigned char c = value.content[k];

				if (c >= 0x80)
					return false;
				if (g_ascii_isalnum(c))
					h = (h ^ (guint64)g_ascii_tolower(c)) *
					    G_GUINT64_CONSTANT(1099511628211);
			}
			/* A sum: the values of an RDN are a set. */
			sum += h * G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
		}
	}
	*out = sum;
	return true;
}

static index_t *index_build(gnutls_x509_trust_list_t list)
{
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t crt = NULL;
	index_t *index = g_new0(index_t, 1);

	index->list = list;
	index->by_name =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				      (GDestroyNotify)g_ptr_array_unref);
	index->sketches = g_hash_table_new_full(g_int64_hash, g_int64_equal,
						g_free, NULL);
	/* Copies, once; the names are all that is kept. */
	while (gnutls_x509_trust_list_iter_get_ca(list, &iter, &crt) >= 0) {
		gnutls_datum_t raw = {NULL, 0};
		char *name = NULL;
		guint64 sk = 0;
		GPtrArray *same;

		if (gnutls_x509_crt_get_raw_dn(crt, &raw) >= 0)
			name = dn_canonical(&raw);
		if (name != NULL) {
			if (sketch(&raw, &sk))
				g_hash_table_add(index->sketches,
						 g_memdup2(&sk, sizeof(sk)));
			else if (g_str_is_ascii(name))
				/* Non-ASCII that may normalise to ASCII (or
				 * hex-coded bytes): could equal an ASCII
				 * name, so no sketch rules it out. */
				index->unsketched = true;
			/* Else its normalised name keeps non-ASCII text,
			 * which no all-ASCII name (all a sketch sees)
			 * normalises to. */
			same = g_hash_table_lookup(index->by_name, name);
			if (same == NULL) {
				same = g_ptr_array_new_with_free_func(
					(GDestroyNotify)g_bytes_unref);
				g_hash_table_insert(index->by_name, name, same);
			} else {
				g_free(name);
			}
			g_ptr_array_add(same, g_bytes_new(raw.data, raw.size));
		}
		gnutls_free(raw.data);
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	return index;
}

gnutls_x509_crt_t anchor_names_find(struct tv_anchor_names *names,
				    gnutls_x509_trust_list_t list,
				    const gnutls_datum_t *issuer)
{
	index_t *index = g_atomic_pointer_get(&names->index);
	g_autofree char *wanted = NULL;
	guint64 sk = 0;
	GPtrArray *same;

	if (index == NULL) {
		g_mutex_lock(&names->lock);
		index = g_atomic_pointer_get(&names->index);
		if (index == NULL) {
			index = index_build(list);
			g_atomic_pointer_set(&names->index, index);
		}
		g_mutex_unlock(&names->lock);
	}
	if (index->list != list || g_hash_table_size(index->by_name) == 0)
		return NULL;
	/* Most misses end here: nothing in the list looks like it. */
	if (!index->unsketched && sketch(issuer, &sk) &&
	    !g_hash_table_contains(index->sketches, &sk))
		return NULL;
	wanted = dn_canonical(issuer);
	if (wanted == NULL)
		return NULL;
	same = g_hash_table_lookup(index->by_name, wanted);
	for (guint i = 0; same != NULL && i < same->len; i++) {
		gsize size = 0;
		const void *data = g_bytes_get_data(same->pdata[i], &size);
		gnutls_datum_t exact = {(unsigned char *)data, (unsigned)size};
		gnutls_x509_crt_t ca = NULL;

		/* The exact name already missed. */
		if (size == issuer->size &&
		    memcmp(data, issuer->data, size) == 0)
			continue;
		if (gnutls_x509_trust_list_get_issuer_by_dn(list, &exact, &ca,
							    0) >= 0)
			return ca;
	}
	return NULL;
}
