/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Distinguished names compared as RFC 5280 7.1 says: case and whitespace
 * insensitive for directory strings, not byte for byte. */
#include "config.h"

#include "dn.h"

#include <glib.h>
#include <gnutls/x509.h>
#include <libtasn1.h>
#include <string.h>

/* Bounds the work one name can cause (real names have < 20). */
#define DN_MAX_AVAS 64

typedef struct {
	unsigned rdn; /* index of the RDN it belongs to */
	char *oid;
	unsigned long tag;
	char *value; /* normalised text, or the raw bytes */
	size_t len;
} dn_ava;

typedef struct {
	dn_ava avas[DN_MAX_AVAS];
	unsigned n_avas;
	unsigned n_rdns;
} dn_parsed;

static void dn_parsed_clear(dn_parsed *d)
{
	for (unsigned i = 0; i < d->n_avas; i++) {
		g_free(d->avas[i].oid);
		g_free(d->avas[i].value);
	}
	d->n_avas = 0;
}

static bool is_directory_string(unsigned long tag)
{
	return tag == ASN1_TAG_PRINTABLE_STRING || tag == ASN1_TAG_UTF8_STRING;
}

/*
 * RFC 4518 in short, for PrintableString and UTF8String: NFKC, case
 * folded, leading and trailing spaces removed, inner runs of spaces
 * folded to one.  Other string types keep their bytes.
 */
static char *normalise(const unsigned char *data, size_t len, size_t *out_len)
{
	g_autofree char *folded = NULL;
	g_autofree char *nfkc = NULL;
	GString *s;
	bool space = false;

	if (!g_utf8_validate((const char *)data, (gssize)len, NULL) ||
	    memchr(data, 0, len) != NULL)
		return NULL;
	folded = g_utf8_casefold((const char *)data, (gssize)len);
	nfkc = g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
	if (nfkc == NULL)
		return NULL;
	s = g_string_sized_new(len);
	for (const char *p = nfkc; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c)) {
			space = s->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(s, ' ');
		space = false;
		g_string_append_unichar(s, c);
	}
	*out_len = s->len;
	return g_string_free(s, FALSE);
}

static bool dn_parse(const gnutls_datum_t *raw, dn_parsed *out)
{
	gnutls_x509_dn_t dn = NULL;
	bool ok = false;

	out->n_avas = 0;
	out->n_rdns = 0;
	if (gnutls_x509_dn_init(&dn) < 0)
		return false;
	if (gnutls_x509_dn_import(dn, raw) < 0)
		goto out;
	for (unsigned r = 0;; r++) {
		unsigned a = 0;

		for (;; a++) {
			gnutls_x509_ava_st ava;
			dn_ava *d;
			int ret = gnutls_x509_dn_get_rdn_ava(dn, (int)r, (int)a,
							     &ava);

			if (ret == GNUTLS_E_ASN1_ELEMENT_NOT_FOUND)
				break;
			if (ret < 0 || out->n_avas == DN_MAX_AVAS)
				goto out;
			d = &out->avas[out->n_avas++];
			d->rdn = r;
			d->oid = g_strndup((const char *)ava.oid.data,
					   ava.oid.size);
			d->tag = ava.value_tag;
			if (is_directory_string(ava.value_tag)) {
				d->value = normalise(ava.value.data,
						     ava.value.size, &d->len);
				if (d->value == NULL)
					goto out;
			} else {
				d->value = g_memdup2(ava.value.data,
						     ava.value.size);
				d->len = ava.value.size;
			}
		}
		if (a == 0)
			break;
		out->n_rdns = r + 1;
	}
	ok = true;
out:
	gnutls_x509_dn_deinit(dn);
	return ok;
}

static bool ava_equal(const dn_ava *a, const dn_ava *b)
{
	/* PrintableString and UTF8String compare by text (a CA may roll
	 * over from one to the other, PKITS 4.3.10); others by type and
	 * bytes. */
	if (strcmp(a->oid, b->oid) != 0 || a->len != b->len)
		return false;
	if (a->tag != b->tag &&
	    !(is_directory_string(a->tag) && is_directory_string(b->tag)))
		return false;
	return memcmp(a->value, b->value, a->len) == 0;
}

/* RDN @ra of @a equals RDN @rb of @b: the same set of AVAs. */
static bool rdn_equal(const dn_parsed *a, unsigned ra, const dn_parsed *b,
		      unsigned rb)
{
	unsigned na = 0, nb = 0;

	for (unsigned i = 0; i < a->n_avas; i++) {
		bool found = false;

		if (a->avas[i].rdn != ra)
			continue;
		na++;
		for (unsigned j = 0; j < b->n_avas && !found; j++)
			found = b->avas[j].rdn == rb &&
				ava_equal(&a->avas[i], &b->avas[j]);
		if (!found)
			return false;
	}
	for (unsigned j = 0; j < b->n_avas; j++)
		nb += b->avas[j].rdn == rb;
	return na == nb;
}

/* Whether the first @n RDNs of @a and @b are equal. */
static bool prefix_equal(const dn_parsed *a, const dn_parsed *b, unsigned n)
{
	for (unsigned r = 0; r < n; r++)
		if (!rdn_equal(a, r, b, r))
			return false;
	return true;
}

bool dn_equal(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	dn_parsed pa = {0}, pb = {0};
	bool eq;

	if (a->size == b->size && memcmp(a->data, b->data, a->size) == 0)
		return true;
	eq = dn_parse(a, &pa) && dn_parse(b, &pb) && pa.n_rdns == pb.n_rdns &&
	     prefix_equal(&pa, &pb, pa.n_rdns);
	dn_parsed_clear(&pa);
	dn_parsed_clear(&pb);
	return eq;
}

bool dn_is_within(const gnutls_datum_t *name, const gnutls_datum_t *base,
		  bool *malformed)
{
	dn_parsed pn = {0}, pb = {0};
	bool in = false;

	*malformed = false;
	if (!dn_parse(name, &pn) || !dn_parse(base, &pb)) {
		*malformed = true;
	} else {
		in = pb.n_rdns <= pn.n_rdns &&
		     prefix_equal(&pb, &pn, pb.n_rdns);
	}
	dn_parsed_clear(&pn);
	dn_parsed_clear(&pb);
	return in;
}

bool dn_is_empty(const gnutls_datum_t *name)
{
	/* An empty SEQUENCE: 30 00. */
	return name->size <= 2;
}
