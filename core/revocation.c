/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Revocation of a validated path from a set of CRLs (RFC 5280 6.3). */
#include "config.h"

#include "revocation.h"

#include "crt-key.h"

#include <limits.h>
#include <string.h>

#include <libtasn1.h>

/*
 * GnuTLS parses a CRL's header, extensions list, numbers and serials, and
 * verifies signatures; it has no accessor for CRL entry extensions
 * (reasonCode, certificateIssuer, criticality), for issuingDistributionPoint
 * or deltaCRLIndicator, nor for the cRLIssuer and nameRelativeToCRLIssuer
 * of a certificate's distribution points.  Those few structures are walked
 * here with libtasn1's DER primitives (asn1_get_tag_der,
 * asn1_get_length_der, asn1_get_bit_der), every read bounded by its
 * enclosing element.
 */

/* A signer's own CRLs are checked to this depth (key rollover, indirect
 * CRL issuers); deeper means something loops. */
#define MAX_DEPTH 4

/* RFC 5280 ReasonFlags bits 1..8 (keyCompromise .. aACompromise). */
#define ALL_REASONS 0x1feu
#define REASON_CERTIFICATE_HOLD 6
#define REASON_REMOVE_FROM_CRL 8

/* ---- DER reading with libtasn1 ---------------------------------------- */

typedef struct {
	const unsigned char *p, *end;
} der_in;

typedef struct {
	unsigned char cls; /* ASN1_CLASS_*, without ASN1_CLASS_STRUCTURED */
	bool constructed;
	unsigned long tag;
	const unsigned char *whole; /* tag, length and content */
	size_t whole_len;
	const unsigned char *content;
	size_t len;
} der_tlv;

static der_in der_of(const unsigned char *p, size_t len)
{
	der_in in = {p, p + len};
	return in;
}

static bool der_at_end(const der_in *in)
{
	return in->p >= in->end;
}

/* Reads the next element; false at the end or on a malformed header. */
static bool der_get(der_in *in, der_tlv *t)
{
	size_t avail = (size_t)(in->end - in->p);
	unsigned char cls;
	int tag_len, len_len;
	long len;

	if (in->p >= in->end || avail > INT_MAX)
		return false;
	if (asn1_get_tag_der(in->p, (int)avail, &cls, &tag_len, &t->tag) !=
	    ASN1_SUCCESS)
		return false;
	len = asn1_get_length_der(in->p + tag_len, (int)avail - tag_len,
				  &len_len);
	if (len < 0 || (size_t)tag_len + (size_t)len_len + (size_t)len > avail)
		return false;
	t->constructed = (cls & ASN1_CLASS_STRUCTURED) != 0;
	t->cls = cls & ~ASN1_CLASS_STRUCTURED;
	t->whole = in->p;
	t->content = in->p + tag_len + len_len;
	t->len = (size_t)len;
	t->whole_len = (size_t)tag_len + (size_t)len_len + (size_t)len;
	in->p += t->whole_len;
	return true;
}

/* Whether the next element has class @cls and tag @tag (not consumed). */
static bool der_peek(const der_in *in, unsigned char cls, unsigned long tag)
{
	der_in copy = *in;
	der_tlv t;

	return der_get(&copy, &t) && t.cls == cls && t.tag == tag;
}

static bool der_expect(der_in *in, unsigned char cls, unsigned long tag,
		       der_tlv *t)
{
	return der_get(in, t) && t->cls == cls && t->tag == tag;
}

static bool der_universal(der_in *in, unsigned long tag, der_tlv *t)
{
	return der_expect(in, ASN1_CLASS_UNIVERSAL, tag, t);
}

static der_in der_inside(const der_tlv *t)
{
	return der_of(t->content, t->len);
}

/* ReasonFlags BIT STRING content (implicitly tagged) to a mask. */
static bool der_reason_flags(const der_tlv *t, unsigned *mask)
{
	unsigned char bits[4] = {0};
	int ret_len = 0, bit_len = 0;
	unsigned char hdr[8];
	int hdr_len;
	g_autofree unsigned char *buf = NULL;

	/* asn1_get_bit_der wants the length octets before the content. */
	if (t->len > 64)
		return false;
	hdr_len = (int)sizeof(hdr);
	asn1_length_der((unsigned long)t->len, hdr, &hdr_len);
	buf = g_malloc((size_t)hdr_len + t->len);
	memcpy(buf, hdr, (size_t)hdr_len);
	memcpy(buf + hdr_len, t->content, t->len);
	if (asn1_get_bit_der(buf, hdr_len + (int)t->len, &ret_len, bits,
			     (int)sizeof(bits), &bit_len) != ASN1_SUCCESS)
		return false;
	/* Bit 0 is "unused": never a reason to cover. */
	*mask = 0;
	for (int i = 1; i < bit_len && i < 9; i++)
		if (bits[i / 8] & (0x80u >> (i % 8)))
			*mask |= 1u << i;
	return true;
}

static bool der_boolean(const der_tlv *t, bool *out)
{
	if (t->constructed || t->len != 1)
		return false;
	*out = t->content[0] != 0;
	return true;
}

/* OBJECT IDENTIFIER element to dotted text. */
static bool der_oid_text(const der_tlv *oid, char *out, int size)
{
	int used = 0;

	/* asn1_get_object_id_der reads from the length octets on. */
	return oid->whole_len >= 2 && oid->whole_len - 1 <= INT_MAX &&
	       asn1_get_object_id_der(oid->whole + 1, (int)oid->whole_len - 1,
				      &used, out, size) == ASN1_SUCCESS;
}

/* INTEGER content bytes without sign padding, for comparing CRL numbers
 * (which are non-negative). */
static int integer_compare(const unsigned char *a, size_t alen,
			   const unsigned char *b, size_t blen)
{
	while (alen > 1 && a[0] == 0) {
		a++;
		alen--;
	}
	while (blen > 1 && b[0] == 0) {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* ---- names (RFC 5280 7.1: case- and whitespace-insensitive) ----------- */

/* One attribute value as comparable text: strings transcoded to UTF-8,
 * case-folded, NFKC, spaces trimmed and collapsed; anything else (or a
 * string that does not transcode) as tag + hex. */
static void ava_append(GString *out, const gnutls_x509_ava_st *ava)
{
	const char *from = NULL;
	g_autofree char *utf8 = NULL;
	g_autofree char *folded = NULL;
	g_autofree char *norm = NULL;
	GString *v;
	bool space = false;

	switch (ava->value_tag) {
	case 12: /* UTF8String */
	case 19: /* PrintableString */
	case 22: /* IA5String */
	case 26: /* VisibleString */
		/* g_utf8_validate with a length refuses embedded NULs. */
		if (g_utf8_validate((const char *)ava->value.data,
				    ava->value.size, NULL))
			utf8 = g_strndup((const char *)ava->value.data,
					 ava->value.size);
		break;
	case 20: /* TeletexString: in practice Latin-1 */
		from = "ISO-8859-1";
		break;
	case 30: /* BMPString */
		from = "UTF-16BE";
		break;
	case 28: /* UniversalString */
		from = "UCS-4BE";
		break;
	default:
		break;
	}
	if (from != NULL)
		utf8 = g_convert((const char *)ava->value.data, ava->value.size,
				 "UTF-8", from, NULL, NULL, NULL);
	if (utf8 != NULL) {
		folded = g_utf8_casefold(utf8, -1);
		norm = g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
	}
	/* GnuTLS counts the OID text's terminating NUL in its size. */
	g_string_append_len(
		out, (const char *)ava->oid.data,
		(gssize)strnlen((const char *)ava->oid.data, ava->oid.size));
	if (norm == NULL) {
		g_string_append_printf(out, "#%lu:", ava->value_tag);
		for (unsigned i = 0; i < ava->value.size; i++)
			g_string_append_printf(out, "%02x", ava->value.data[i]);
		g_string_append_c(out, '\x1f');
		return;
	}
	v = g_string_new(NULL);
	for (const char *p = norm; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c)) {
			space = v->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(v, ' ');
		space = false;
		g_string_append_unichar(v, c);
	}
	g_string_append_printf(out, "=%zu:", v->len);
	g_string_append_len(out, v->str, (gssize)v->len);
	g_string_append_c(out, '\x1f');
	g_string_free(v, TRUE);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Canonical text of a DER Name: each RDN's values sorted (a SET has no
 * order) and terminated by \x1e, so that appending an RDN to a name is
 * appending its text.  (transfer full); NULL when it does not parse.
 */
static char *dn_canon(const gnutls_datum_t *der)
{
	gnutls_x509_dn_t dn = NULL;
	GString *out = NULL;
	bool ok = false;

	if (gnutls_x509_dn_init(&dn) < 0)
		return NULL;
	if (gnutls_x509_dn_import(dn, der) < 0)
		goto out;
	out = g_string_new(NULL);
	for (int irdn = 0;; irdn++) {
		g_autoptr(GPtrArray) avas =
			g_ptr_array_new_with_free_func(g_free);
		int ret = 0;

		for (int iava = 0;; iava++) {
			gnutls_x509_ava_st ava;
			GString *one;

			ret = gnutls_x509_dn_get_rdn_ava(dn, irdn, iava, &ava);
			if (ret < 0)
				break;
			one = g_string_new(NULL);
			ava_append(one, &ava);
			g_ptr_array_add(avas, g_string_free(one, FALSE));
		}
		if (ret != GNUTLS_E_ASN1_ELEMENT_NOT_FOUND)
			goto out;
		if (avas->len == 0)
			break;
		g_ptr_array_sort(avas, compare_strings);
		for (guint i = 0; i < avas->len; i++)
			g_string_append(out, avas->pdata[i]);
		g_string_append_c(out, '\x1e');
	}
	ok = true;
out:
	gnutls_x509_dn_deinit(dn);
	if (!ok) {
		if (out != NULL)
			g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static char *dn_canon_slice(const unsigned char *p, size_t len)
{
	gnutls_datum_t d = {(unsigned char *)p, (unsigned)len};

	if (len > UINT_MAX)
		return NULL;
	return dn_canon(&d);
}

/* The canonical text of one RDN given as the content of its SET. */
static char *rdn_canon(const der_tlv *set_content)
{
	unsigned char set_hdr[16], seq_hdr[16];
	int set_len = (int)sizeof(set_hdr) - 1;
	int seq_len = (int)sizeof(seq_hdr) - 1;
	g_autofree unsigned char *buf = NULL;
	size_t total;

	if (set_content->len > (1u << 20))
		return NULL;
	/* Name ::= SEQUENCE OF RDN: wrap the one RDN so GnuTLS reads it. */
	set_hdr[0] = 0x31;
	asn1_length_der((unsigned long)set_content->len, set_hdr + 1, &set_len);
	set_len += 1;
	seq_hdr[0] = 0x30;
	asn1_length_der((unsigned long)(set_content->len + (size_t)set_len),
			seq_hdr + 1, &seq_len);
	seq_len += 1;
	total = (size_t)seq_len + (size_t)set_len + set_content->len;
	buf = g_malloc(total);
	memcpy(buf, seq_hdr, (size_t)seq_len);
	memcpy(buf + seq_len, set_hdr, (size_t)set_len);
	memcpy(buf + seq_len + set_len, set_content->content, set_content->len);
	return dn_canon_slice(buf, total);
}

/* A GeneralName as comparable text ("D" + canonical DN for a
 * directoryName, the tag and bytes otherwise). */
static char *general_name_canon(const der_tlv *t)
{
	GString *s;

	if (t->cls != ASN1_CLASS_CONTEXT_SPECIFIC)
		return NULL;
	if (t->tag == 4) {
		/* directoryName [4] EXPLICIT Name */
		der_in in = der_inside(t);
		der_tlv name;
		g_autofree char *dn = NULL;

		if (!der_universal(&in, ASN1_TAG_SEQUENCE, &name) ||
		    !der_at_end(&in))
			return NULL;
		dn = dn_canon_slice(name.whole, name.whole_len);
		return dn != NULL ? g_strconcat("D", dn, NULL) : NULL;
	}
	s = g_string_sized_new(16 + 2 * t->len);
	g_string_append_printf(s, "G%lu:", t->tag);
	for (size_t i = 0; i < t->len; i++) {
		g_string_append_c(s, "0123456789abcdef"[t->content[i] >> 4]);
		g_string_append_c(s, "0123456789abcdef"[t->content[i] & 15]);
	}
	return g_string_free(s, FALSE);
}

/* GeneralNames content to canonical texts; false on malformed input. */
static bool general_names(der_in in, GPtrArray *out)
{
	while (!der_at_end(&in)) {
		der_tlv t;
		char *c;

		if (!der_get(&in, &t) || (c = general_name_canon(&t)) == NULL)
			return false;
		g_ptr_array_add(out, c);
	}
	return true;
}

static bool names_intersect(const GPtrArray *a, const GPtrArray *b)
{
	if (a == NULL || b == NULL)
		return false;
	for (guint i = 0; i < a->len; i++)
		for (guint j = 0; j < b->len; j++)
			if (strcmp(a->pdata[i], b->pdata[j]) == 0)
				return true;
	return false;
}

/* A DistributionPointName (the content of its [0] wrapper) to canonical
 * full names; nameRelativeToCRLIssuer is appended to @issuer_canon. */
static bool dp_name(const der_tlv *wrapper, const char *issuer_canon,
		    GPtrArray *out)
{
	der_in in = der_inside(wrapper);
	der_tlv choice;

	if (!der_get(&in, &choice) || !der_at_end(&in) ||
	    choice.cls != ASN1_CLASS_CONTEXT_SPECIFIC)
		return false;
	if (choice.tag == 0)
		return general_names(der_inside(&choice), out);
	if (choice.tag == 1 && issuer_canon != NULL) {
		g_autofree char *rdn = rdn_canon(&choice);

		if (rdn == NULL)
			return false;
		g_ptr_array_add(out, g_strconcat("D", issuer_canon, rdn, NULL));
		return true;
	}
	return false;
}

/* ---- certificates ----------------------------------------------------- */

typedef struct {
	GPtrArray *names;	/* canonical full names; NULL: none */
	GPtrArray *crl_issuers; /* canonical "D" names; NULL: none */
	unsigned reasons;	/* ALL_REASONS when absent */
} dist_point;

static void dist_point_clear(dist_point *dp)
{
	if (dp->names != NULL)
		g_ptr_array_unref(dp->names);
	if (dp->crl_issuers != NULL)
		g_ptr_array_unref(dp->crl_issuers);
}

typedef struct {
	gnutls_x509_crt_t crt;
	const char *issuer; /* canonical issuer DN (the set's, or owned) */
	char *issuer_owned;
	int is_ca; /* -1: not read yet (only a CRL's scope asks) */
	unsigned char serial[64];
	size_t serial_len;
	dist_point *dps; /* one empty DP when the extension is absent */
	size_t n_dps;
	bool ok; /* parsed */
} crt_info;

static void crt_info_clear(crt_info *ci)
{
	g_free(ci->issuer_owned);
	for (size_t i = 0; i < ci->n_dps; i++)
		dist_point_clear(&ci->dps[i]);
	g_free(ci->dps);
	memset(ci, 0, sizeof(*ci));
}

/* cRLDistributionPoints: SEQUENCE OF DistributionPoint. */
static bool crt_dist_points(crt_info *ci, const gnutls_datum_t *ext)
{
	der_in in = der_of(ext->data, ext->size), seq;
	der_tlv t;
	GArray *dps = g_array_new(FALSE, TRUE, sizeof(dist_point));
	bool ok = false;

	if (!der_universal(&in, ASN1_TAG_SEQUENCE, &t) || !der_at_end(&in))
		goto out;
	seq = der_inside(&t);
	while (!der_at_end(&seq)) {
		dist_point dp = {NULL, NULL, ALL_REASONS};
		der_tlv one, f, name_wrapper = {0};
		der_in fields;
		bool has_name = false;

		if (!der_universal(&seq, ASN1_TAG_SEQUENCE, &one))
			goto out;
		fields = der_inside(&one);
		g_array_append_val(dps, dp);
		while (!der_at_end(&fields)) {
			dist_point *d =
				&g_array_index(dps, dist_point, dps->len - 1);

			if (!der_get(&fields, &f) ||
			    f.cls != ASN1_CLASS_CONTEXT_SPECIFIC)
				goto out;
			if (f.tag == 0) {
				name_wrapper = f;
				has_name = true;
			} else if (f.tag == 1) {
				if (!der_reason_flags(&f, &d->reasons))
					goto out;
			} else if (f.tag == 2) {
				d->crl_issuers =
					g_ptr_array_new_with_free_func(g_free);
				if (!general_names(der_inside(&f),
						   d->crl_issuers))
					goto out;
			} else {
				goto out;
			}
		}
		if (has_name) {
			dist_point *d =
				&g_array_index(dps, dist_point, dps->len - 1);
			/* Relative names hang off the CRL issuer: the
			 * cRLIssuer when given, else the certificate's
			 * issuer. */
			const char *base = ci->issuer;

			if (d->crl_issuers != NULL) {
				base = NULL;
				for (guint k = 0; k < d->crl_issuers->len; k++)
					if (((char *)d->crl_issuers
						     ->pdata[k])[0] == 'D')
						base = (char *)d->crl_issuers
							       ->pdata[k] +
						       1;
			}
			d->names = g_ptr_array_new_with_free_func(g_free);
			if (!dp_name(&name_wrapper, base, d->names))
				goto out;
		}
	}
	ok = true;
out:
	ci->n_dps = dps->len;
	ci->dps = (dist_point *)(void *)g_array_free(dps, FALSE);
	return ok;
}

/* The canonical text of the raw name @raw: the set's when a CRL issuer has
 * exactly these bytes (no parsing), else (transfer full) in @owned. */
static const char *canon_of(const tv_crl_set *set, const gnutls_datum_t *raw,
			    char **owned);

/* Whether the subject name of @crt is the name whose canonical text is
 * @canon and raw DER @raw_canon (a CRL's issuer): equal bytes need no
 * parsing. */
static bool crt_subject_is(gnutls_x509_crt_t crt, const char *canon,
			   const gnutls_datum_t *raw_canon)
{
	gnutls_datum_t raw = {NULL, 0};
	g_autofree char *mine = NULL;
	bool same;

	if (gnutls_x509_crt_get_raw_dn(crt, &raw) < 0)
		return false;
	same = raw.size == raw_canon->size &&
	       memcmp(raw.data, raw_canon->data, raw.size) == 0;
	if (!same) {
		mine = dn_canon(&raw);
		same = mine != NULL && strcmp(mine, canon) == 0;
	}
	gnutls_free(raw.data);
	return same;
}

static bool crt_info_is_ca(crt_info *ci)
{
	unsigned critical = 0, ca = 0;
	int ret;

	if (ci->is_ca < 0) {
		ret = gnutls_x509_crt_get_basic_constraints(ci->crt, &critical,
							    &ca, NULL);
		ci->is_ca = ret >= 0 && ca != 0;
	}
	return ci->is_ca != 0;
}

/* What the check needs of @crt: names through @set's table when it can. */
static bool crt_info_init(crt_info *ci, gnutls_x509_crt_t crt,
			  const tv_crl_set *set)
{
	gnutls_datum_t raw = {NULL, 0};
	gnutls_datum_t ext = {NULL, 0};
	unsigned critical = 0;
	size_t size = sizeof(ci->serial);
	int ret;

	memset(ci, 0, sizeof(*ci));
	ci->crt = crt;
	ci->is_ca = -1;
	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &raw) < 0)
		return false;
	ci->issuer = canon_of(set, &raw, &ci->issuer_owned);
	gnutls_free(raw.data);
	if (ci->issuer == NULL)
		return false;
	if (gnutls_x509_crt_get_serial(crt, ci->serial, &size) < 0)
		return false;
	ci->serial_len = size;
	ret = gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.31", 0, &ext,
						    &critical);
	if (ret >= 0) {
		bool ok = crt_dist_points(ci, &ext);

		gnutls_free(ext.data);
		if (!ok)
			return false;
	} else if (ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		return false;
	}
	if (ci->n_dps == 0) {
		ci->dps = g_new0(dist_point, 1);
		ci->dps[0].reasons = ALL_REASONS;
		ci->n_dps = 1;
	}
	ci->ok = true;
	return true;
}

/* ---- CRLs -------------------------------------------------------------- */

/* One revokedCertificates entry, as the lookup needs it. */
typedef struct {
	const unsigned char *serial; /* INTEGER content, inside the DER */
	size_t serial_len;
	int reason; /* reasonCode; 0 when absent */
	/* canonical "D" names of the issuers the entry is about (the CRL's
	 * issuer, or the certificateIssuer in force in an indirect CRL) */
	const GPtrArray *issuers;
	size_t order; /* position in the CRL: the first match wins */
} crl_entry;

/* A signer key seen to verify a CRL (its SubjectPublicKeyInfo DER). */
typedef struct sig_memo sig_memo;
struct sig_memo {
	sig_memo *next;
	unsigned count; /* memos from this one to the end of the list */
	size_t len;
	unsigned char spki[];
};

/* At most this many signer keys are remembered per CRL (only keys that
 * verified it are: nobody can fill the list with others). */
#define MAX_SIG_MEMOS 4

/* Everything about a CRL the check reads, decoded once when the set is
 * built and read-only afterwards but for the memo list. */
typedef struct {
	gnutls_x509_crl_t crl;	   /* while being prepared only */
	const char *problem;	   /* why it can never be used; NULL: fine */
	gnutls_datum_t der;	   /* exported DER (owned) */
	gnutls_datum_t raw_issuer; /* issuer Name as encoded (owned) */
	char *issuer;		   /* canonical issuer DN */
	char *issuer_d;		   /* "D" + issuer: as a GeneralName */
	char *issuer_text;	   /* printable issuer */
	der_tlv tbs;		   /* signed part, inside der */
	int sig_algo;
	gnutls_datum_t sig; /* signature value (owned) */
	crl_entry *index;   /* entries sorted by serial, then order */
	size_t n_index;
	GPtrArray *entry_issuers; /* owns the issuer lists of the index */
	sig_memo *memos;	  /* atomic: signer keys that verified it */
	const unsigned char *entries;
	size_t entries_len; /* revokedCertificates content; 0: none */
	time_t this_update, next_update;
	unsigned char number[32];
	size_t number_len; /* 0: no CRL number */
	bool is_delta;
	unsigned char base[32];
	size_t base_len;
	bool has_idp;
	gnutls_datum_t idp; /* extension value (owned) */
	GPtrArray *idp_names;
	bool only_user, only_ca, only_attr, indirect;
	unsigned some_reasons; /* ALL_REASONS when absent */
} crl_info;

static void crl_info_clear(crl_info *ri)
{
	sig_memo *m = ri->memos;

	while (m != NULL) {
		sig_memo *next = m->next;

		g_free(m);
		m = next;
	}
	gnutls_free(ri->der.data);
	gnutls_free(ri->raw_issuer.data);
	g_free(ri->issuer_d);
	g_free(ri->sig.data);
	g_free(ri->index);
	if (ri->entry_issuers != NULL)
		g_ptr_array_unref(ri->entry_issuers);
	gnutls_free(ri->idp.data);
	g_free(ri->issuer);
	g_free(ri->issuer_text);
	if (ri->idp_names != NULL)
		g_ptr_array_unref(ri->idp_names);
}

static bool crl_idp(crl_info *ri)
{
	der_in in = der_of(ri->idp.data, ri->idp.size), fields;
	der_tlv t, f;

	ri->some_reasons = ALL_REASONS;
	if (!der_universal(&in, ASN1_TAG_SEQUENCE, &t) || !der_at_end(&in))
		return false;
	fields = der_inside(&t);
	while (!der_at_end(&fields)) {
		if (!der_get(&fields, &f) ||
		    f.cls != ASN1_CLASS_CONTEXT_SPECIFIC)
			return false;
		switch (f.tag) {
		case 0:
			ri->idp_names = g_ptr_array_new_with_free_func(g_free);
			if (!dp_name(&f, ri->issuer, ri->idp_names))
				return false;
			break;
		case 1:
			if (!der_boolean(&f, &ri->only_user))
				return false;
			break;
		case 2:
			if (!der_boolean(&f, &ri->only_ca))
				return false;
			break;
		case 3:
			if (!der_reason_flags(&f, &ri->some_reasons))
				return false;
			break;
		case 4:
			if (!der_boolean(&f, &ri->indirect))
				return false;
			break;
		case 5:
			if (!der_boolean(&f, &ri->only_attr))
				return false;
			break;
		default:
			return false;
		}
	}
	return true;
}

/* INTEGER extension value (deltaCRLIndicator) to its content bytes. */
static bool ext_integer(const gnutls_datum_t *v, unsigned char *out,
			size_t *len)
{
	der_in in = der_of(v->data, v->size);
	der_tlv t;

	if (!der_universal(&in, ASN1_TAG_INTEGER, &t) || !der_at_end(&in) ||
	    t.len == 0 || t.len > 32 || (t.content[0] & 0x80) != 0)
		return false;
	memcpy(out, t.content, t.len);
	*len = t.len;
	return true;
}

/* Extensions of the CRL through GnuTLS: unknown critical ones make it
 * unusable; IDP and delta indicator are decoded. */
static const char *crl_extensions(crl_info *ri)
{
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t oid_size = sizeof(oid);
		unsigned critical = 0;
		gnutls_datum_t v = {NULL, 0};
		int ret;

		ret = gnutls_x509_crl_get_extension_info(ri->crl, i, oid,
							 &oid_size, &critical);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return NULL;
		if (ret < 0)
			return "has unreadable extensions";
		if (strcmp(oid, "2.5.29.28") == 0) {
			if (ri->has_idp)
				return "has two issuingDistributionPoint "
				       "extensions";
			if (gnutls_x509_crl_get_extension_data2(ri->crl, i,
								&ri->idp) < 0)
				return "has an unreadable "
				       "issuingDistributionPoint";
			ri->has_idp = true;
			if (!crl_idp(ri))
				return "has a malformed "
				       "issuingDistributionPoint";
		} else if (strcmp(oid, "2.5.29.27") == 0) {
			bool ok;

			if (gnutls_x509_crl_get_extension_data2(ri->crl, i,
								&v) < 0)
				return "has an unreadable deltaCRLIndicator";
			ok = ext_integer(&v, ri->base, &ri->base_len);
			gnutls_free(v.data);
			if (!ok)
				return "has a malformed deltaCRLIndicator";
			ri->is_delta = true;
		} else if (critical &&
			   strcmp(oid, "2.5.29.20") != 0 && /* cRLNumber */
			   strcmp(oid, "2.5.29.35") != 0 && /* AKI */
			   strcmp(oid, "2.5.29.18") != 0 && /* issuerAltName */
			   strcmp(oid, "2.5.29.46") != 0) { /* freshestCRL */
			return "has an unknown critical extension";
		}
	}
}

/* Scans the entries once: a critical entry extension other than
 * reasonCode, invalidityDate and certificateIssuer makes the CRL
 * unusable (RFC 5280 5.3). */
static const char *crl_scan_entries(const crl_info *ri)
{
	der_in in = der_of(ri->entries, ri->entries_len);

	while (!der_at_end(&in)) {
		der_tlv entry, t, exts;
		der_in e, x;

		if (!der_universal(&in, ASN1_TAG_SEQUENCE, &entry))
			return "has a malformed entry";
		e = der_inside(&entry);
		if (!der_universal(&e, ASN1_TAG_INTEGER, &t) ||
		    !der_get(&e, &t))
			return "has a malformed entry";
		if (der_at_end(&e))
			continue;
		if (!der_universal(&e, ASN1_TAG_SEQUENCE, &exts) ||
		    !der_at_end(&e))
			return "has a malformed entry";
		x = der_inside(&exts);
		while (!der_at_end(&x)) {
			der_tlv ext, oid, f;
			der_in fields;
			bool critical = false;
			char oid_text[128];

			if (!der_universal(&x, ASN1_TAG_SEQUENCE, &ext))
				return "has a malformed entry extension";
			fields = der_inside(&ext);
			if (!der_universal(&fields, ASN1_TAG_OBJECT_ID, &oid) ||
			    !der_get(&fields, &f))
				return "has a malformed entry extension";
			if (f.cls == ASN1_CLASS_UNIVERSAL &&
			    f.tag == ASN1_TAG_BOOLEAN &&
			    !der_boolean(&f, &critical))
				return "has a malformed entry extension";
			if (!critical)
				continue;
			if (!der_oid_text(&oid, oid_text,
					  (int)sizeof(oid_text)))
				return "has a malformed entry extension";
			if (strcmp(oid_text, "2.5.29.21") != 0 &&
			    strcmp(oid_text, "2.5.29.24") != 0 &&
			    strcmp(oid_text, "2.5.29.29") != 0)
				return "has an unknown critical entry "
				       "extension";
		}
	}
	return NULL;
}

/* Splits the exported DER: the signed TBS and the revoked list. */
static bool crl_layout(crl_info *ri)
{
	der_in in = der_of(ri->der.data, ri->der.size), tbs;
	der_tlv outer, t;

	if (!der_universal(&in, ASN1_TAG_SEQUENCE, &outer))
		return false;
	in = der_inside(&outer);
	if (!der_universal(&in, ASN1_TAG_SEQUENCE, &ri->tbs))
		return false;
	tbs = der_inside(&ri->tbs);
	if (der_peek(&tbs, ASN1_CLASS_UNIVERSAL, ASN1_TAG_INTEGER) &&
	    !der_get(&tbs, &t))
		return false;
	/* signature, issuer, thisUpdate */
	if (!der_universal(&tbs, ASN1_TAG_SEQUENCE, &t) ||
	    !der_universal(&tbs, ASN1_TAG_SEQUENCE, &t) || !der_get(&tbs, &t))
		return false;
	if ((der_peek(&tbs, ASN1_CLASS_UNIVERSAL, ASN1_TAG_UTCTime) ||
	     der_peek(&tbs, ASN1_CLASS_UNIVERSAL, ASN1_TAG_GENERALIZEDTime)) &&
	    !der_get(&tbs, &t))
		return false;
	if (der_peek(&tbs, ASN1_CLASS_UNIVERSAL, ASN1_TAG_SEQUENCE)) {
		if (!der_get(&tbs, &t))
			return false;
		ri->entries = t.content;
		ri->entries_len = t.len;
	}
	return true;
}

/* Only tv_crl_set_new() exports, normally in open(); a plugin that lends
 * bare CRLs has them prepared per verification, and those may be shared
 * by concurrent ones. */
static GMutex export_lock;

static int compare_entries(const void *a, const void *b)
{
	const crl_entry *x = a, *y = b;
	int c;

	if (x->serial_len != y->serial_len)
		return x->serial_len < y->serial_len ? -1 : 1;
	c = memcmp(x->serial, y->serial, x->serial_len);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Indexes the entries by serial number.  In an indirect CRL,
 * certificateIssuer entry extensions switch the issuer the following
 * entries are about; each entry keeps the issuers in force.
 */
static void crl_index(crl_info *ri)
{
	der_in in = der_of(ri->entries, ri->entries_len);
	GArray *index = g_array_new(FALSE, FALSE, sizeof(crl_entry));
	GPtrArray *current = g_ptr_array_new_with_free_func(g_free);

	ri->entry_issuers = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_ptr_array_unref);
	g_ptr_array_add(current, g_strdup(ri->issuer_d));
	g_ptr_array_add(ri->entry_issuers, current);
	while (!der_at_end(&in)) {
		der_tlv entry, serial, t, exts;
		der_in e, x;
		crl_entry one = {0};
		GPtrArray *issuers = NULL;

		/* Scanned before (crl_scan_entries): cannot happen; the
		 * entries after it would never be reached. */
		if (!der_universal(&in, ASN1_TAG_SEQUENCE, &entry))
			break;
		e = der_inside(&entry);
		if (!der_universal(&e, ASN1_TAG_INTEGER, &serial) ||
		    !der_get(&e, &t))
			break;
		if (!der_at_end(&e) &&
		    der_universal(&e, ASN1_TAG_SEQUENCE, &exts)) {
			x = der_inside(&exts);
			while (!der_at_end(&x)) {
				der_tlv ext, oid, f;
				der_in fields;
				char oid_text[128];

				if (!der_universal(&x, ASN1_TAG_SEQUENCE, &ext))
					break;
				fields = der_inside(&ext);
				if (!der_universal(&fields, ASN1_TAG_OBJECT_ID,
						   &oid) ||
				    !der_get(&fields, &f))
					break;
				if (f.cls == ASN1_CLASS_UNIVERSAL &&
				    f.tag == ASN1_TAG_BOOLEAN &&
				    !der_get(&fields, &f))
					break;
				if (!der_oid_text(&oid, oid_text,
						  (int)sizeof(oid_text)))
					continue;
				if (strcmp(oid_text, "2.5.29.21") == 0) {
					/* OCTET STRING { ENUMERATED } */
					der_in v = der_inside(&f);
					der_tlv en;

					if (der_universal(&v,
							  ASN1_TAG_ENUMERATED,
							  &en) &&
					    en.len == 1)
						one.reason = en.content[0];
				} else if (strcmp(oid_text, "2.5.29.29") == 0 &&
					   ri->indirect) {
					der_in v = der_inside(&f);
					der_tlv gns;

					if (issuers != NULL)
						g_ptr_array_unref(issuers);
					issuers =
						g_ptr_array_new_with_free_func(
							g_free);
					if (!der_universal(&v,
							   ASN1_TAG_SEQUENCE,
							   &gns) ||
					    !general_names(der_inside(&gns),
							   issuers))
						g_ptr_array_set_size(issuers,
								     0);
				}
			}
		}
		if (issuers != NULL) {
			current = issuers;
			g_ptr_array_add(ri->entry_issuers, current);
		}
		one.serial = serial.content;
		one.serial_len = serial.len;
		one.issuers = current;
		one.order = index->len;
		g_array_append_val(index, one);
	}
	ri->n_index = index->len;
	ri->index = (crl_entry *)(void *)g_array_free(index, FALSE);
	if (ri->n_index > 1)
		qsort(ri->index, ri->n_index, sizeof(crl_entry),
		      compare_entries);
}

/* Decodes @ri->crl once; a CRL that cannot be used gets its problem. */
static void crl_prepare(crl_info *ri)
{
	gnutls_datum_t raw = {NULL, 0};
	size_t size;
	unsigned critical;
	int ret;

	ri->some_reasons = ALL_REASONS;
	ri->issuer_text = NULL;
	/* Read first: they bound a cached verdict even when unusable. */
	ri->this_update = gnutls_x509_crl_get_this_update(ri->crl);
	ri->next_update = gnutls_x509_crl_get_next_update(ri->crl);
	if (gnutls_x509_crl_get_raw_issuer_dn(ri->crl, &ri->raw_issuer) < 0) {
		ri->raw_issuer.data = NULL;
		ri->raw_issuer.size = 0;
		ri->problem = "has an unreadable issuer";
		return;
	}
	ri->issuer = dn_canon(&ri->raw_issuer);
	if (gnutls_x509_crl_get_issuer_dn3(ri->crl, &raw, 0) >= 0) {
		ri->issuer_text = g_strndup((const char *)raw.data, raw.size);
		gnutls_free(raw.data);
	}
	if (ri->issuer == NULL) {
		ri->problem = "has an unreadable issuer";
		return;
	}
	ri->issuer_d = g_strconcat("D", ri->issuer, NULL);
	/* Exporting re-encodes through libtasn1's asn1_der_coding, which
	 * writes scratch offsets into the parsed tree. */
	g_mutex_lock(&export_lock);
	ret = gnutls_x509_crl_export2(ri->crl, GNUTLS_X509_FMT_DER, &ri->der);
	g_mutex_unlock(&export_lock);
	if (ret < 0 || !crl_layout(ri)) {
		ri->problem = "does not parse";
		return;
	}
	size = sizeof(ri->number);
	if (gnutls_x509_crl_get_number(ri->crl, ri->number, &size, &critical) >=
	    0)
		ri->number_len = size;
	/* The signature, for crl_signed_by; one that cannot be read makes
	 * every signer fail. */
	ri->sig_algo = gnutls_x509_crl_get_signature_algorithm(ri->crl);
	size = 0;
	if (ri->sig_algo >= 0 && ri->tbs.whole_len <= UINT_MAX &&
	    gnutls_x509_crl_get_signature(ri->crl, NULL, &size) ==
		    GNUTLS_E_SHORT_MEMORY_BUFFER &&
	    size > 0 && size <= UINT_MAX) {
		ri->sig.data = g_malloc(size);
		if (gnutls_x509_crl_get_signature(ri->crl, (char *)ri->sig.data,
						  &size) >= 0) {
			ri->sig.size = (unsigned)size;
		} else {
			g_free(ri->sig.data);
			ri->sig.data = NULL;
		}
	}
	if ((ri->problem = crl_extensions(ri)) != NULL)
		return;
	if (ri->is_delta && ri->number_len == 0) {
		ri->problem = "is a delta CRL without a CRL number";
		return;
	}
	ri->problem = crl_scan_entries(ri);
	if (ri->problem == NULL)
		crl_index(ri);
}

/*
 * Looks @ci up in the entries (binary search on the serial).  Returns the
 * reason code (0 when the entry has none), or -1 when not listed.
 */
static int crl_find(const crl_info *ri, const crt_info *ci)
{
	g_autofree char *want = NULL;
	size_t lo = 0, hi = ri->n_index;
	crl_entry key = {ci->serial, ci->serial_len, 0, NULL, 0};

	/* The first entry of that serial: order 0 sorts before any. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (compare_entries(&ri->index[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < ri->n_index; k++) {
		const crl_entry *e = &ri->index[k];

		if (e->serial_len != ci->serial_len ||
		    memcmp(e->serial, ci->serial, e->serial_len) != 0)
			break;
		if (want == NULL)
			want = g_strconcat("D", ci->issuer, NULL);
		for (guint j = 0; j < e->issuers->len; j++)
			if (strcmp(e->issuers->pdata[j], want) == 0)
				return e->reason;
	}
	return -1;
}

/* ---- the set ---------------------------------------------------------- */

/* A trust anchor imported for the checks, kept with its DER. */
typedef struct anchor_memo anchor_memo;
struct anchor_memo {
	anchor_memo *next;
	unsigned count; /* memos from this one to the end of the list */
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
};

/* Anchors come from the plugin's trust list only; a few cover it. */
#define MAX_ANCHOR_MEMOS 16

struct tv_crl_set {
	crl_info *crls;
	size_t n;
	anchor_memo *anchors; /* atomic, like the signature memos */
	/* raw issuer Name -> canonical text, for certificates whose issuer
	 * is encoded exactly as a CRL's (GBytes -> borrowed char *) */
	GHashTable *canon_by_raw;
};

tv_crl_set *tv_crl_set_new(gnutls_x509_crl_t *crls, size_t n)
{
	tv_crl_set *set = g_new0(tv_crl_set, 1);

	set->canon_by_raw =
		g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
				      (GDestroyNotify)g_bytes_unref, NULL);
	set->crls = g_new0(crl_info, n > 0 ? n : 1);
	/* Never NULL, so a caller's mistake is an empty set; an empty set
	 * under REQUIRE fails every certificate. */
	g_return_val_if_fail(crls != NULL || n == 0, set);
	set->n = n;
	for (size_t k = 0; k < n; k++) {
		crl_info *ri = &set->crls[k];

		ri->crl = crls[k];
		crl_prepare(ri);
		ri->crl = NULL;
		if (ri->issuer != NULL)
			g_hash_table_replace(set->canon_by_raw,
					     g_bytes_new(ri->raw_issuer.data,
							 ri->raw_issuer.size),
					     ri->issuer);
	}
	return set;
}

void tv_crl_set_free(tv_crl_set *set)
{
	if (set == NULL)
		return;
	for (size_t k = 0; k < set->n; k++)
		crl_info_clear(&set->crls[k]);
	for (anchor_memo *m = set->anchors, *next; m != NULL; m = next) {
		next = m->next;
		gnutls_x509_crt_deinit(m->crt);
		g_free(m->der.data);
		g_free(m);
	}
	g_free(set->crls);
	g_hash_table_unref(set->canon_by_raw);
	g_free(set);
}

size_t tv_crl_set_get_size(const tv_crl_set *set)
{
	return set != NULL ? set->n : 0;
}

int64_t crl_set_next_change(const tv_crl_set *set, int64_t time)
{
	int64_t next = 0;

	for (size_t k = 0; set != NULL && k < set->n; k++) {
		const crl_info *ri = &set->crls[k];
		time_t t[2] = {ri->this_update, ri->next_update};

		for (int j = 0; j < 2; j++)
			if (t[j] != (time_t)-1 && (int64_t)t[j] > time &&
			    (next == 0 || (int64_t)t[j] < next))
				next = (int64_t)t[j];
	}
	return next;
}

gnutls_x509_crt_t crl_set_anchor(const tv_crl_set *set,
				 const gnutls_datum_t *der,
				 gnutls_x509_crt_t *owned)
{
	anchor_memo **head = (anchor_memo **)&set->anchors;
	gnutls_x509_crt_t crt = NULL;
	anchor_memo *m, *old;

	*owned = NULL;
	for (m = g_atomic_pointer_get(head); m != NULL; m = m->next)
		if (m->der.size == der->size &&
		    memcmp(m->der.data, der->data, der->size) == 0)
			return m->crt;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	/* Published whole by one compare-and-swap; read-only afterwards
	 * (GnuTLS reads a trust list's certificates concurrently too). */
	m = g_new0(anchor_memo, 1);
	m->crt = crt;
	m->der.data = g_memdup2(der->data, der->size);
	m->der.size = der->size;
	do {
		old = g_atomic_pointer_get(head);
		if (old != NULL && old->count >= MAX_ANCHOR_MEMOS) {
			g_free(m->der.data);
			g_free(m);
			*owned = crt;
			return crt;
		}
		m->next = old;
		m->count = old != NULL ? old->count + 1 : 1;
	} while (!g_atomic_pointer_compare_and_exchange(head, old, m));
	return crt;
}

static const char *canon_of(const tv_crl_set *set, const gnutls_datum_t *raw,
			    char **owned)
{
	const char *canon = NULL;

	*owned = NULL;
	if (set != NULL && g_hash_table_size(set->canon_by_raw) > 0) {
		GBytes *key = g_bytes_new_static(raw->data, raw->size);

		canon = g_hash_table_lookup(set->canon_by_raw, key);
		g_bytes_unref(key);
	}
	if (canon == NULL)
		canon = *owned = dn_canon(raw);
	return canon;
}

/* ---- the check -------------------------------------------------------- */

typedef struct {
	gnutls_x509_crt_t *pool;
	size_t n_pool;
	const tv_crl_set *set;
	crl_info *crls; /* the set's */
	size_t n_crls;
	int64_t time;
	tv_revocation_mode mode;
} rev_ctx;

typedef enum {
	STATUS_GOOD,
	STATUS_REVOKED,
	STATUS_UNKNOWN,
} rev_status;

static bool check_path(rev_ctx *ctx, gnutls_x509_crt_t *path, size_t n,
		       int depth, rev_status *status, char **message);

static bool crt_time_ok(gnutls_x509_crt_t crt, int64_t time)
{
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t until = gnutls_x509_crt_get_expiration_time(crt);

	return from != (time_t)-1 && until != (time_t)-1 &&
	       (int64_t)from <= time && time <= (int64_t)until;
}

static bool crt_can_sign_crls(gnutls_x509_crt_t crt)
{
	unsigned usage = 0, critical = 0;
	int ret = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);

	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return true;
	return ret >= 0 && (usage & GNUTLS_KEY_CRL_SIGN) != 0;
}

static bool memo_has(const crl_info *ri, const gnutls_datum_t *spki)
{
	sig_memo **head = (sig_memo **)&ri->memos;

	for (const sig_memo *m = g_atomic_pointer_get(head); m != NULL;
	     m = m->next)
		if (m->len == spki->size &&
		    memcmp(m->spki, spki->data, spki->size) == 0)
			return true;
	return false;
}

/* Remembers that the key @spki verified @ri.  Lock-free: a memo is
 * pushed with compare-and-swap and never removed before the set is
 * freed, so readers walk the list without a lock.  The set is lent
 * const; the memo list is its only mutable part. */
static void memo_add(const crl_info *ri, const gnutls_datum_t *spki)
{
	sig_memo **head = (sig_memo **)&ri->memos;
	sig_memo *m = g_malloc(sizeof(*m) + spki->size);
	sig_memo *old;

	m->len = spki->size;
	memcpy(m->spki, spki->data, spki->size);
	do {
		old = g_atomic_pointer_get(head);
		if (old != NULL && old->count >= MAX_SIG_MEMOS) {
			g_free(m);
			return;
		}
		m->next = old;
		m->count = old != NULL ? old->count + 1 : 1;
	} while (!g_atomic_pointer_compare_and_exchange(head, old, m));
}

/* Whether the key of @crts[@at] (parameters inherited from above it as
 * crt_key_import says) signed @ri.  A key that did is remembered by its
 * SubjectPublicKeyInfo, so the signature is verified once per CRL and
 * key, not once per verification. */
static bool crl_signed_by(const crl_info *ri, gnutls_x509_crt_t *crts, size_t n,
			  size_t at)
{
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t tbs = {(unsigned char *)ri->tbs.whole,
			      (unsigned)ri->tbs.whole_len};
	gnutls_datum_t der = {NULL, 0}, spki = {NULL, 0};
	bool complete = false, have_spki;
	int ret;

	if (ri->sig.data == NULL)
		return false;
	have_spki = crt_key_spki(crts[at], &der, &spki, &complete);
	/* A key that needs parameters from above is not itself the key:
	 * it is not remembered. */
	if (have_spki && complete && memo_has(ri, &spki)) {
		gnutls_free(der.data);
		return true;
	}
	ret = crt_key_import(crts, n, at, &key);
	if (ret >= 0) {
		ret = gnutls_pubkey_verify_data2(
			key, (gnutls_sign_algorithm_t)ri->sig_algo, 0, &tbs,
			&ri->sig);
		gnutls_pubkey_deinit(key);
	}
	if (ret >= 0 && have_spki && complete)
		memo_add(ri, &spki);
	gnutls_free(der.data);
	return ret >= 0;
}

/*
 * Finds who signed @ri for the certificate @path[@i]: the certificate's
 * issuer @path[@i + 1] when the names agree and its key verifies, else a
 * certificate of the CRL issuer's name (from the pool) that verifies it,
 * is issued by a certificate of the path above @i, is valid at the time,
 * and is itself not revoked.  Returns NULL with @why when none qualifies.
 */
static const char *crl_signer_ok(rev_ctx *ctx, const crl_info *ri,
				 gnutls_x509_crt_t *path, size_t n, size_t i,
				 const crt_info *ci, int depth)
{
	const char *why = "is not signed by its issuer's key";
	bool issuer_named = strcmp(ri->issuer, ci->issuer) == 0;

	if (issuer_named && crl_signed_by(ri, path, n, i + 1)) {
		if (!crt_can_sign_crls(path[i + 1]))
			return "is signed by a certificate without cRLSign";
		return NULL;
	}
	/* The pool, then the path above the issuer (already validated and,
	 * checked from the top, already known not revoked). */
	for (size_t k = 0; k < ctx->n_pool + n; k++) {
		gnutls_x509_crt_t cand =
			k < ctx->n_pool ? ctx->pool[k] : path[k - ctx->n_pool];
		bool in_path = false;
		crt_info cand_info;

		/* The certificate checked may be the signer of the CRL that
		 * covers it (an indirect CRL issuer's own status, PKITS
		 * 4.14.30): it is validated as part of the path. */
		for (size_t m = 0; m < n; m++)
			if (path[m] == cand && (m == i || m > i + 1))
				in_path = true;
		if (cand == path[i + 1] || (k >= ctx->n_pool && !in_path))
			continue;
		/* Named as the CRL's issuer, and readable as a certificate
		 * this check could judge. */
		if (!crt_subject_is(cand, ri->issuer, &ri->raw_issuer))
			continue;
		if (!crt_info_init(&cand_info, cand, ctx->set)) {
			crt_info_clear(&cand_info);
			continue;
		}
		if (!(k < ctx->n_pool
			      ? crl_signed_by(ri, &cand, 1, 0)
			      : crl_signed_by(ri, path, n, k - ctx->n_pool))) {
			crt_info_clear(&cand_info);
			continue;
		}
		if (!crt_can_sign_crls(cand)) {
			why = "is signed by a certificate without cRLSign";
			crt_info_clear(&cand_info);
			continue;
		}
		if (in_path) {
			crt_info_clear(&cand_info);
			return NULL;
		}
		if (!crt_time_ok(cand, ctx->time)) {
			why = "is signed by a certificate not valid at the "
			      "time";
			crt_info_clear(&cand_info);
			continue;
		}
		/* The signer must chain to the same anchor: through a
		 * certificate of the path above the one checked. */
		for (size_t j = i + 1; j < n; j++) {
			unsigned vstatus = 0;
			g_autofree gnutls_x509_crt_t *sub = NULL;
			g_autofree char *sub_message = NULL;
			rev_status st = STATUS_GOOD;

			if (gnutls_x509_crt_verify(
				    cand, &path[j], 1,
				    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
					    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
				    &vstatus) < 0 ||
			    vstatus != 0)
				continue;
			if (depth + 1 >= MAX_DEPTH) {
				why = "has a signer whose status is too deep "
				      "to check";
				break;
			}
			sub = g_new(gnutls_x509_crt_t, n - j + 1);
			sub[0] = cand;
			memcpy(sub + 1, path + j,
			       (n - j) * sizeof(gnutls_x509_crt_t));
			if (check_path(ctx, sub, n - j + 1, depth + 1, &st,
				       &sub_message)) {
				crt_info_clear(&cand_info);
				return NULL;
			}
			why = st == STATUS_REVOKED
				      ? "is signed by a revoked certificate"
				      : "is signed by a certificate whose "
					"status is unknown";
			break;
		}
		crt_info_clear(&cand_info);
	}
	return why;
}

/* Whether the complete CRL @ri is meant for @ci through @dp (RFC 5280
 * 6.3.3 b); sets the reasons it covers. */
static bool crl_covers(const crl_info *ri, crt_info *ci, const dist_point *dp,
		       unsigned *interim, const char **why)
{
	if (dp->crl_issuers != NULL) {
		bool listed = false;

		if (!ri->indirect)
			return false;
		for (guint k = 0; k < dp->crl_issuers->len; k++)
			if (strcmp(dp->crl_issuers->pdata[k], ri->issuer_d) ==
			    0)
				listed = true;
		if (!listed)
			return false;
	} else if (strcmp(ri->issuer, ci->issuer) != 0) {
		return false;
	}
	if (ri->has_idp) {
		if (ri->idp_names != NULL) {
			if (dp->names != NULL) {
				if (!names_intersect(ri->idp_names,
						     dp->names)) {
					*why = "has a distribution point the "
					       "certificate does not name";
					return false;
				}
			} else if (dp->crl_issuers != NULL) {
				if (!names_intersect(ri->idp_names,
						     dp->crl_issuers)) {
					*why = "has a distribution point the "
					       "certificate does not name";
					return false;
				}
			} else {
				*why = "has a distribution point the "
				       "certificate does not name";
				return false;
			}
		}
		if (ri->only_user && crt_info_is_ca(ci)) {
			*why = "covers only end-entity certificates";
			return false;
		}
		if (ri->only_ca && !crt_info_is_ca(ci)) {
			*why = "covers only CA certificates";
			return false;
		}
		if (ri->only_attr) {
			*why = "covers only attribute certificates";
			return false;
		}
	}
	*interim = ri->some_reasons & dp->reasons;
	return true;
}

static bool crl_time_ok(const crl_info *ri, int64_t time, const char **why)
{
	if (ri->this_update == (time_t)-1 || (int64_t)ri->this_update > time) {
		*why = "is not yet valid";
		return false;
	}
	if (ri->next_update == (time_t)-1) {
		*why = "has no nextUpdate";
		return false;
	}
	if (time >= (int64_t)ri->next_update) {
		*why = "is out of date (nextUpdate passed)";
		return false;
	}
	return true;
}

static bool idp_equal(const crl_info *a, const crl_info *b)
{
	if (a->has_idp != b->has_idp)
		return false;
	return !a->has_idp ||
	       (a->idp.size == b->idp.size &&
		memcmp(a->idp.data, b->idp.data, a->idp.size) == 0);
}

/* Status of @path[@i] (RFC 5280 6.3.3, complete CRLs plus deltas). */
/* The subject of @crt as text, for messages only: (transfer full). */
static char *crt_who(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = {NULL, 0};
	char *who;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0 && dn.size > 0)
		who = g_strndup((const char *)dn.data, dn.size);
	else
		who = g_strdup("(no subject)");
	gnutls_free(dn.data);
	return who;
}

static rev_status check_one(rev_ctx *ctx, gnutls_x509_crt_t *path, size_t n,
			    size_t i, int depth, char **message)
{
	crt_info ci;
	unsigned mask = 0;
	const char *problem = NULL;
	const char *problem_issuer = NULL;
	bool named = false;
	g_autofree char *who = NULL;
	rev_status result = STATUS_UNKNOWN;

	if (!crt_info_init(&ci, path[i], ctx->set)) {
		who = crt_who(path[i]);
		crt_info_clear(&ci);
		*message = g_strdup_printf(
			"certificate '%s': cannot read its names or "
			"distribution points",
			who);
		return STATUS_UNKNOWN;
	}

	for (size_t c = 0; c < ctx->n_crls; c++) {
		crl_info *ri = &ctx->crls[c];
		unsigned interim = 0;
		const char *why = NULL;
		bool covers = false;
		int found;

		if (ri->issuer == NULL)
			continue;
		/* Does any CRL name this certificate's CRL issuer? */
		if (strcmp(ri->issuer, ci.issuer) == 0)
			named = true;
		for (size_t d = 0; d < ci.n_dps && !named; d++)
			if (ci.dps[d].crl_issuers != NULL)
				for (guint k = 0;
				     k < ci.dps[d].crl_issuers->len; k++)
					if (strcmp(ci.dps[d]
							   .crl_issuers
							   ->pdata[k],
						   ri->issuer_d) == 0)
						named = true;
		if (ri->is_delta)
			continue;
		for (size_t d = 0; d < ci.n_dps && !covers; d++) {
			unsigned r = 0;

			if (crl_covers(ri, &ci, &ci.dps[d], &r, &why)) {
				covers = true;
				interim = r;
			}
		}
		if (!covers) {
			if (why != NULL) {
				problem = why;
				problem_issuer = ri->issuer_text;
			}
			continue;
		}
		if ((interim & ~mask) == 0)
			continue; /* nothing new from this one */
		why = ri->problem;
		if (why == NULL)
			crl_time_ok(ri, ctx->time, &why);
		if (why == NULL)
			why = crl_signer_ok(ctx, ri, path, n, i, &ci, depth);
		if (why != NULL) {
			problem = why;
			problem_issuer = ri->issuer_text;
			continue;
		}

		/* A usable complete CRL; apply the newest delta that fits. */
		{
			crl_info *delta = NULL;

			for (size_t k = 0; k < ctx->n_crls; k++) {
				crl_info *di = &ctx->crls[k];
				const char *dwhy = NULL;

				if (!di->is_delta || di->problem != NULL ||
				    di->issuer == NULL ||
				    strcmp(di->issuer, ri->issuer) != 0 ||
				    !idp_equal(di, ri) || ri->number_len == 0 ||
				    integer_compare(di->base, di->base_len,
						    ri->number,
						    ri->number_len) > 0 ||
				    !crl_time_ok(di, ctx->time, &dwhy))
					continue;
				if (crl_signer_ok(ctx, di, path, n, i, &ci,
						  depth) != NULL)
					continue;
				if (delta == NULL ||
				    integer_compare(di->number, di->number_len,
						    delta->number,
						    delta->number_len) > 0)
					delta = di;
			}
			found = delta != NULL ? crl_find(delta, &ci) : -1;
			if (found == REASON_REMOVE_FROM_CRL) {
				/* Lifted by the delta. */
			} else if (found >= 0) {
				who = crt_who(path[i]);
				*message = g_strdup_printf(
					"certificate '%s' is revoked (delta "
					"CRL of '%s')",
					who, delta->issuer_text);
				result = STATUS_REVOKED;
				goto out;
			} else {
				found = crl_find(ri, &ci);
				if (found >= 0 &&
				    found != REASON_REMOVE_FROM_CRL) {
					who = crt_who(path[i]);
					*message = g_strdup_printf(
						"certificate '%s' is revoked "
						"(CRL of '%s'%s)",
						who, ri->issuer_text,
						found == REASON_CERTIFICATE_HOLD
							? ", on hold"
							: "");
					result = STATUS_REVOKED;
					goto out;
				}
			}
		}
		mask |= interim;
		if (mask == ALL_REASONS)
			break;
	}

	if (mask == ALL_REASONS) {
		result = STATUS_GOOD;
		goto out;
	}
	if (ctx->mode == TV_REVOCATION_IF_PRESENT && !named) {
		result = STATUS_GOOD;
		goto out;
	}
	who = crt_who(path[i]);
	if (problem != NULL) {
		*message = g_strdup_printf(
			"no valid CRL for '%s': the CRL of "
			"'%s' %s",
			who, problem_issuer ? problem_issuer : "?", problem);
	} else if (mask != 0) {
		*message = g_strdup_printf("no valid CRL for '%s': the CRLs "
					   "found do not cover every "
					   "revocation reason",
					   who);
	} else {
		*message = g_strdup_printf("no valid CRL for '%s'", who);
	}
out:
	crt_info_clear(&ci);
	return result;
}

static bool check_path(rev_ctx *ctx, gnutls_x509_crt_t *path, size_t n,
		       int depth, rev_status *status, char **message)
{
	g_autofree char *unknown = NULL;

	/* From the top: a revoked CA explains more than its leaf.  A revoked
	 * certificate anywhere outranks an unknown status above it. */
	for (size_t k = n - 1; k-- > 0;) {
		g_autofree char *msg = NULL;
		rev_status st = check_one(ctx, path, n, k, depth, &msg);

		if (st == STATUS_REVOKED) {
			*status = st;
			*message = g_steal_pointer(&msg);
			return false;
		}
		if (st != STATUS_GOOD && unknown == NULL)
			unknown = g_steal_pointer(&msg);
	}
	if (unknown != NULL) {
		*status = STATUS_UNKNOWN;
		*message = g_steal_pointer(&unknown);
		return false;
	}
	*status = STATUS_GOOD;
	return true;
}

bool tv_revocation_check_set(gnutls_x509_crt_t *path, size_t n,
			     gnutls_x509_crt_t *pool, size_t n_pool,
			     const tv_crl_set *set, tv_revocation_mode mode,
			     int64_t time, uint32_t *reasons, char **message)
{
	rev_ctx ctx;
	rev_status status = STATUS_GOOD;
	bool ok;

	g_return_val_if_fail(reasons != NULL && message != NULL, false);
	*reasons = 0;
	*message = NULL;
	if (mode == TV_REVOCATION_OFF || n < 2)
		return true;
	if (path == NULL) {
		*reasons = TV_REASON_UNTRUSTED;
		*message = g_strdup("revocation: no path to check");
		return false;
	}
	if (tv_crl_set_get_size(set) == 0 && mode == TV_REVOCATION_IF_PRESENT)
		return true;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pool = pool != NULL ? pool : path;
	ctx.n_pool = pool != NULL ? n_pool : n;
	ctx.set = set;
	ctx.crls = set != NULL ? set->crls : NULL;
	ctx.n_crls = tv_crl_set_get_size(set);
	ctx.time = time;
	ctx.mode = mode;

	ok = check_path(&ctx, path, n, 0, &status, message);
	if (!ok) {
		*reasons = status == STATUS_REVOKED ? TV_REASON_REVOKED
						    : TV_REASON_UNTRUSTED;
		if (*message == NULL)
			*message = g_strdup("revocation status unknown");
	}
	return ok;
}

bool tv_revocation_check_pool(gnutls_x509_crt_t *path, size_t n,
			      gnutls_x509_crt_t *pool, size_t n_pool,
			      gnutls_x509_crl_t *crls, size_t n_crls,
			      tv_revocation_mode mode, int64_t time,
			      uint32_t *reasons, char **message)
{
	tv_crl_set *set;
	bool ok;

	g_return_val_if_fail(reasons != NULL && message != NULL, false);
	*reasons = 0;
	*message = NULL;
	if (mode == TV_REVOCATION_OFF || n < 2)
		return true;
	if (path == NULL || (crls == NULL && n_crls > 0)) {
		*reasons = TV_REASON_UNTRUSTED;
		*message = g_strdup("revocation: no path to check");
		return false;
	}
	if (n_crls == 0 && mode == TV_REVOCATION_IF_PRESENT)
		return true;
	set = tv_crl_set_new(crls, n_crls);
	ok = tv_revocation_check_set(path, n, pool, n_pool, set, mode, time,
				     reasons, message);
	tv_crl_set_free(set);
	return ok;
}

bool tv_revocation_check(gnutls_x509_crt_t *path, size_t n,
			 gnutls_x509_crl_t *crls, size_t n_crls,
			 tv_revocation_mode mode, int64_t time,
			 uint32_t *reasons, char **message)
{
	return tv_revocation_check_pool(path, n, NULL, 0, crls, n_crls, mode,
					time, reasons, message);
}
