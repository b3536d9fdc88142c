/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An index of a trust list's subject names: a store that cannot anchor a
 * chain says so in microseconds instead of a trial verification. */
#include "chain.h"

#include <string.h>

/*
 * A GnuTLS miss is not cheap: verify_crt2 imports, sorts and compares DNs
 * (falling back to rendering both as strings on every mismatch), 60-500 µs
 * whatever the bucket count.  The index answers "could any anchor of this
 * list issue (or be) a certificate of this chain?" by name only.  It may
 * say yes wrongly (then the full check runs and decides); it must never
 * say no when GnuTLS, or a name comparison looser than GnuTLS's (RFC 5280
 * 7.1: case and whitespace), could find an anchor:
 *  - raw: the DER subject of every anchor, exactly as GnuTLS hashes it;
 *  - loose: the anchor's DN as GnuTLS renders it (every string type in
 *    UTF-8), case-folded, with whitespace and escapes dropped.
 */
struct tv_trust_index {
	GHashTable *raw;   /* GBytes (raw subject DN), a set */
	GHashTable *loose; /* char * (loose DN), a set */
};

/* Case-folded, without whitespace or backslashes: looser than any DN
 * comparison a verifier may apply, so never a false miss. */
static char *loose_key(const gnutls_datum_t *dn)
{
	g_autofree char *folded = NULL;
	char *out, *w;

	if (g_utf8_validate((const char *)dn->data, dn->size, NULL))
		folded = g_utf8_casefold((const char *)dn->data, dn->size);
	else
		folded = g_ascii_strdown((const char *)dn->data, dn->size);
	out = w = g_malloc(strlen(folded) + 1);
	for (const char *r = folded; *r != '\0'; r++)
		if (!g_ascii_isspace(*r) && *r != '\\')
			*w++ = *r;
	*w = '\0';
	return out;
}

void tv_trust_index_free(tv_trust_index *index)
{
	if (index == NULL)
		return;
	g_hash_table_unref(index->raw);
	g_hash_table_unref(index->loose);
	g_free(index);
}

static bool index_add(tv_trust_index *index, gnutls_x509_crt_t ca)
{
	gnutls_datum_t raw = {NULL, 0}, text = {NULL, 0};
	bool ok = false;

	if (gnutls_x509_crt_get_raw_dn(ca, &raw) >= 0 &&
	    gnutls_x509_crt_get_dn3(ca, &text, 0) >= 0) {
		g_hash_table_add(index->raw, g_bytes_new(raw.data, raw.size));
		g_hash_table_add(index->loose, loose_key(&text));
		ok = true;
	}
	gnutls_free(raw.data);
	gnutls_free(text.data);
	return ok;
}

tv_trust_index *tv_trust_index_new(gnutls_x509_trust_list_t list)
{
	gnutls_x509_trust_list_iter_t iter = NULL;
	tv_trust_index *index;
	gnutls_x509_crt_t ca;
	int ret;

	g_return_val_if_fail(list != NULL, NULL);
	index = g_new0(tv_trust_index, 1);
	index->raw = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					   (GDestroyNotify)g_bytes_unref, NULL);
	index->loose =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((ret = gnutls_x509_trust_list_iter_get_ca(list, &iter, &ca)) >=
	       0) {
		bool ok = index_add(index, ca);

		gnutls_x509_crt_deinit(ca);
		if (!ok)
			break;
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	/* An anchor the index could not record would be a false miss: no
	 * index at all then, every chain gets the full check. */
	if (ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		tv_trust_index_free(index);
		return NULL;
	}
	return index;
}

static bool raw_known(const tv_trust_index *index, const gnutls_datum_t *dn)
{
	g_autoptr(GBytes) key = g_bytes_new_static(dn->data, dn->size);

	return g_hash_table_contains(index->raw, key);
}

/*
 * Whether an anchor of @index may issue, or be, a certificate of the
 * request: the path or the pool (a path builder may pick another top).
 * On a sure "no", *@issuer is the top of the path's issuer, for the
 * message.
 */
static bool may_anchor(const tv_trust_index *index, const tv_chain *c,
		       char **issuer)
{
	gnutls_datum_t subj[CHAIN_MAX_INPUT], iss[CHAIN_MAX_INPUT];
	size_t n = c->n_all;
	bool maybe = false;

	memset(subj, 0, sizeof(subj));
	memset(iss, 0, sizeof(iss));
	/* Raw names first: what GnuTLS itself looks up. */
	for (size_t i = 0; i < n && !maybe; i++) {
		if (gnutls_x509_crt_get_raw_dn(c->all[i], &subj[i]) < 0 ||
		    gnutls_x509_crt_get_raw_issuer_dn(c->all[i], &iss[i]) < 0 ||
		    raw_known(index, &subj[i]) || raw_known(index, &iss[i]))
			maybe = true; /* unsure, or a candidate */
	}
	/* Then, loosely, each issuer no other certificate here names as its
	 * subject: where a path can leave the request for an anchor. */
	for (size_t i = 0; i < n && !maybe; i++) {
		gnutls_datum_t text = {NULL, 0};
		bool dangling = true;

		for (size_t j = 0; j < n && dangling; j++)
			if (j != i && subj[j].size == iss[i].size &&
			    memcmp(subj[j].data, iss[i].data, iss[i].size) == 0)
				dangling = false;
		if (!dangling)
			continue;
		if (gnutls_x509_crt_get_issuer_dn3(c->all[i], &text, 0) < 0) {
			maybe = true;
		} else {
			g_autofree char *key = loose_key(&text);

			maybe = g_hash_table_contains(index->loose, key);
		}
		gnutls_free(text.data);
	}
	for (size_t i = 0; i < n; i++) {
		gnutls_free(subj[i].data);
		gnutls_free(iss[i].data);
	}
	if (!maybe) {
		gnutls_datum_t text = {NULL, 0};
		gnutls_x509_crt_t top = c->crts[c->len - 1];

		if (gnutls_x509_crt_get_issuer_dn3(top, &text, 0) >= 0 &&
		    text.data != NULL)
			*issuer = g_strndup((const char *)text.data, text.size);
		else
			*issuer = g_strdup("(unreadable issuer)");
		gnutls_free(text.data);
	}
	return maybe;
}

tv_step_verdict tv_trust_list_verify_indexed(gnutls_x509_trust_list_t list,
					     const tv_trust_index *index,
					     const tv_request *request,
					     const tv_chain *chain,
					     tv_step_result *result)
{
	g_autofree char *issuer = NULL;

	g_return_val_if_fail(list != NULL && chain != NULL && result != NULL,
			     TV_STEP_FAIL);
	if (index != NULL && chain->len > 0 && chain->n_all > 0 &&
	    chain->n_all <= CHAIN_MAX_INPUT &&
	    !may_anchor(index, chain, &issuer)) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result, "no trust anchor for '%s'",
					   issuer);
		return TV_STEP_FAIL;
	}
	return tv_trust_list_verify(list, request, chain, result);
}
