/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An index of a trust list's subject names: a store that cannot anchor a
 * chain says so in microseconds instead of a trial verification. */
#include "anchor-index.h"
#include "chain.h"

#include <string.h>

/*
 * A GnuTLS miss is not cheap: verify_crt2 imports, sorts and compares DNs
 * (falling back to rendering both as strings on every mismatch), 60-500 µs
 * whatever the bucket count.  The index answers "could any anchor of this
 * list issue (or be) a certificate of this chain?" by name only.  It may
 * say yes wrongly (then the full check runs and decides); it must never
 * say no when GnuTLS, or a name comparison looser than GnuTLS's (RFC 5280
 * 7.1: case and whitespace, PrintableString vs UTF8String), could find an
 * anchor:
 *  - raw: the DER subject of every anchor, exactly as GnuTLS hashes it;
 *  - loose: each attribute's OID and value, the value in UTF-8 whatever
 *    its string type, case-folded, without whitespace.  Read attribute by
 *    attribute from GnuTLS's parsed name: rendering a DN as a string costs
 *    ~50k instructions, more than the whole lookup is allowed.
 * A name that cannot be put in that form (an unknown string type, bytes
 * that are not text) makes the answer "maybe": a request's such issuer
 * gets the full check, and so does every miss of an index holding such an
 * anchor.
 */
struct tv_trust_index {
	GHashTable *raw; /* gnutls_datum_t * (raw subject DN), a set */
	/* char * (loose DN) -> GPtrArray of gnutls_datum_t * (the exact
	 * subjects of that loose form) */
	GHashTable *loose;
	bool unsure; /* an anchor's name has no loose form */
};

/* Appends @value (of ASN.1 string type @tag) to @out in UTF-8; false when
 * it has no sure text form. */
static bool append_text(GString *out, unsigned tag, const gnutls_datum_t *v)
{
	g_autofree char *utf8 = NULL;
	const char *from;

	switch (tag) {
	case 12: /* UTF8String */
	case 18: /* NumericString */
	case 19: /* PrintableString */
	case 22: /* IA5String */
	case 26: /* VisibleString */
		if (!g_utf8_validate((const char *)v->data, v->size, NULL))
			return false;
		g_string_append_len(out, (const char *)v->data, v->size);
		return true;
	case 20: /* TeletexString: only its ASCII subset is unambiguous */
		for (unsigned i = 0; i < v->size; i++)
			if (v->data[i] == 0 || v->data[i] > 0x7f)
				return false;
		g_string_append_len(out, (const char *)v->data, v->size);
		return true;
	case 30: /* BMPString */
		from = "UCS-2BE";
		break;
	case 28: /* UniversalString */
		from = "UCS-4BE";
		break;
	default:
		return false;
	}
	utf8 = g_convert((const char *)v->data, v->size, "UTF-8", from, NULL,
			 NULL, NULL);
	if (utf8 == NULL)
		return false;
	g_string_append(out, utf8);
	return true;
}

static size_t oid_len(const gnutls_datum_t *oid)
{
	return strnlen((const char *)oid->data, oid->size);
}

/* @value case-folded, without whitespace; most names are ASCII. */
static void append_folded(GString *key, const GString *value)
{
	g_autofree char *folded = NULL;
	const char *p = value->str;

	for (gsize i = 0; i < value->len; i++)
		if ((unsigned char)value->str[i] >= 0x80) {
			folded =
				g_utf8_casefold(value->str, (gssize)value->len);
			p = folded;
			break;
		}
	for (; *p != '\0'; p++)
		if (!g_ascii_isspace(*p))
			g_string_append_c(key, g_ascii_tolower(*p));
}

/* "NAME=value," in front of @display: RFC 4514 lists the last RDN first. */
static void prepend_display(GString *display, const gnutls_datum_t *oid,
			    const char *value)
{
	g_autofree char *copy = NULL;
	const char *text = (const char *)oid->data;

	if (oid_len(oid) == oid->size) /* no terminating NUL */
		text = copy = g_strndup(text, oid->size);
	if (display->len > 0)
		g_string_prepend_c(display, ',');
	g_string_prepend(display, value);
	g_string_prepend_c(display, '=');
	g_string_prepend(display, gnutls_x509_dn_oid_name(
					  text, GNUTLS_X509_DN_OID_RETURN_OID));
}

/*
 * The loose form of @dn into @key (and, when @display is not NULL, a
 * readable "CN=..., O=..." into it).  Case-folded, without whitespace:
 * looser than any DN comparison a verifier may apply.  False when some
 * attribute has no sure text form.
 */
static bool loose_key(gnutls_x509_dn_t dn, GString *key, GString *display)
{
	g_autoptr(GString) value = g_string_new(NULL);

	g_string_truncate(key, 0);
	for (int irdn = 0;; irdn++) {
		for (int iava = 0;; iava++) {
			gnutls_x509_ava_st ava;
			int ret = gnutls_x509_dn_get_rdn_ava(dn, irdn, iava,
							     &ava);

			if (ret == GNUTLS_E_ASN1_ELEMENT_NOT_FOUND) {
				if (iava == 0)
					return true;
				break;
			}
			if (ret < 0)
				return false;
			g_string_truncate(value, 0);
			if (!append_text(value, ava.value_tag, &ava.value))
				return false;
			/* GnuTLS counts the OID's terminating NUL. */
			g_string_append_len(key, (const char *)ava.oid.data,
					    (gssize)oid_len(&ava.oid));
			g_string_append_c(key, iava == 0 ? '=' : '+');
			append_folded(key, value);
			g_string_append_c(key, ',');
			if (display != NULL)
				prepend_display(display, &ava.oid, value->str);
		}
	}
}

/* Raw names as keys, looked up with the certificate's own datum: no
 * GBytes wrapper to allocate per lookup.  The hash is g_bytes_hash's. */
static guint datum_hash(gconstpointer p)
{
	const gnutls_datum_t *d = p;
	guint h = 5381;

	for (unsigned i = 0; i < d->size; i++)
		h = (h << 5) + h + d->data[i];
	return h;
}

static gboolean datum_equal(gconstpointer a, gconstpointer b)
{
	const gnutls_datum_t *x = a, *y = b;

	return x->size == y->size && memcmp(x->data, y->data, x->size) == 0;
}

static gnutls_datum_t *datum_dup(const gnutls_datum_t *d)
{
	gnutls_datum_t *copy = g_new(gnutls_datum_t, 1);

	copy->data = g_memdup2(d->data, d->size);
	copy->size = d->size;
	return copy;
}

static void datum_free(gpointer p)
{
	gnutls_datum_t *d = p;

	if (d != NULL)
		g_free(d->data);
	g_free(d);
}

void tv_trust_index_free(tv_trust_index *index)
{
	if (index == NULL)
		return;
	g_hash_table_unref(index->raw);
	g_hash_table_unref(index->loose);
	g_free(index);
}

void tv_trust_index_add(tv_trust_index *index, gnutls_x509_crt_t ca)
{
	g_autoptr(GString) key = g_string_new(NULL);
	gnutls_datum_t raw = {NULL, 0};
	gnutls_x509_dn_t dn;

	g_return_if_fail(index != NULL && ca != NULL);
	/* An anchor the index cannot record by name: no miss is sure any
	 * more (unsure makes every loose miss a "maybe"). */
	if (gnutls_x509_crt_get_raw_dn(ca, &raw) < 0) {
		index->unsure = true;
		return;
	}
	g_hash_table_add(index->raw, datum_dup(&raw));
	if (gnutls_x509_crt_get_subject(ca, &dn) < 0 ||
	    !loose_key(dn, key, NULL)) {
		index->unsure = true;
	} else {
		GPtrArray *exact = g_hash_table_lookup(index->loose, key->str);

		if (exact == NULL) {
			exact = g_ptr_array_new_with_free_func(datum_free);
			g_hash_table_insert(
				index->loose,
				g_string_free(g_steal_pointer(&key), false),
				exact);
		}
		g_ptr_array_add(exact, datum_dup(&raw));
	}
	gnutls_free(raw.data);
}

tv_trust_index *tv_trust_index_new(gnutls_x509_trust_list_t list)
{
	gnutls_x509_trust_list_iter_t iter = NULL;
	tv_trust_index *index;
	gnutls_x509_crt_t ca;
	int ret;

	index = g_new0(tv_trust_index, 1);
	index->raw = g_hash_table_new_full(datum_hash, datum_equal, datum_free,
					   NULL);
	index->loose = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_ptr_array_unref);
	if (list == NULL)
		return index;
	/* Each anchor comes as a copy (~170k instructions): an anchor
	 * plugin that parses its certificates itself indexes them with
	 * tv_trust_index_add instead. */
	while ((ret = gnutls_x509_trust_list_iter_get_ca(list, &iter, &ca)) >=
	       0) {
		tv_trust_index_add(index, ca);
		gnutls_x509_crt_deinit(ca);
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	/* An anchor the index could not see would be a false miss: no
	 * index at all then, every chain gets the full check. */
	if (ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		tv_trust_index_free(index);
		return NULL;
	}
	return index;
}

static bool raw_known(const tv_trust_index *index, const gnutls_datum_t *dn)
{
	return g_hash_table_contains(index->raw, dn);
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
	g_autoptr(GString) key = g_string_new(NULL);
	g_autoptr(GString) display = g_string_new(NULL);
	gnutls_x509_crt_t top = c->crts[c->len - 1];
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
		bool dangling = true;
		gnutls_x509_dn_t dn;

		for (size_t j = 0; j < n && dangling; j++)
			if (j != i && subj[j].size == iss[i].size &&
			    memcmp(subj[j].data, iss[i].data, iss[i].size) == 0)
				dangling = false;
		if (!dangling)
			continue;
		if (gnutls_x509_crt_get_issuer(c->all[i], &dn) < 0 ||
		    !loose_key(dn, key, c->all[i] == top ? display : NULL))
			maybe = true;
		else
			maybe = g_hash_table_contains(index->loose, key->str);
	}
	for (size_t i = 0; i < n; i++) {
		gnutls_free(subj[i].data);
		gnutls_free(iss[i].data);
	}
	/* An anchor without a loose form could be anyone's issuer. */
	if (!maybe && index->unsure)
		maybe = true;
	if (!maybe)
		*issuer = display->len > 0 ? g_strdup(display->str)
					   : g_strdup("(unnamed issuer)");
	return maybe;
}

gnutls_x509_crt_t trust_index_find_loose(const tv_trust_index *index,
					 gnutls_x509_trust_list_t list,
					 gnutls_x509_crt_t crt)
{
	g_autoptr(GString) key = g_string_new(NULL);
	gnutls_datum_t issuer = {NULL, 0};
	gnutls_x509_crt_t ca = NULL;
	gnutls_x509_dn_t dn;
	GPtrArray *exact;

	if (index == NULL || gnutls_x509_crt_get_issuer(crt, &dn) < 0 ||
	    !loose_key(dn, key, NULL))
		return NULL;
	exact = g_hash_table_lookup(index->loose, key->str);
	if (exact == NULL ||
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) < 0)
		return NULL;
	for (guint i = 0; i < exact->len && ca == NULL; i++) {
		const gnutls_datum_t *subject = exact->pdata[i];

		/* The exact name missed already; the list itself hands out
		 * the anchor, so the index never adds one it lacks. */
		if (datum_equal(subject, &issuer) ||
		    gnutls_x509_trust_list_get_issuer_by_dn(list, subject, &ca,
							    0) < 0)
			ca = NULL;
	}
	gnutls_free(issuer.data);
	return ca;
}

bool trust_index_admits(const tv_trust_index *index, const tv_chain *chain,
			tv_step_result *result)
{
	g_autofree char *issuer = NULL;

	if (index == NULL || chain->len == 0 || chain->n_all == 0 ||
	    chain->n_all > CHAIN_MAX_INPUT || may_anchor(index, chain, &issuer))
		return true;
	tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
	tv_step_result_set_message(result, "no trust anchor for '%s'", issuer);
	return false;
}

tv_step_verdict tv_trust_list_verify_indexed(gnutls_x509_trust_list_t list,
					     const tv_trust_index *index,
					     const tv_request *request,
					     const tv_chain *chain,
					     tv_step_result *result)
{
	tv_path_options options = {.size = sizeof(options), .index = index};

	return tv_trust_list_verify_with(list, request, chain, &options,
					 result);
}
