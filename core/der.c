/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slicing DER with libtasn1's primitives: no copy, no tree, bounds-checked. */
#include "config.h"

#include "der.h"

#include <libtasn1.h>
#include <limits.h>
#include <string.h>

bool der_read(const unsigned char **p, const unsigned char *end, der_tlv *out)
{
	const unsigned char *at = *p;
	int avail, tag_len = 0, len_len = 0;
	long len;

	if (at >= end || end - at > INT_MAX)
		return false;
	avail = (int)(end - at);
	if (asn1_get_tag_der(at, avail, &out->cls, &tag_len, &out->tag) !=
	    ASN1_SUCCESS)
		return false;
	len = asn1_get_length_der(at + tag_len, avail - tag_len, &len_len);
	/* -1 is the indefinite form, which DER forbids; others are
	 * truncations and overflows. */
	if (len < 0 || len_len <= 0 || (long)(avail - tag_len - len_len) < len)
		return false;
	out->whole = at;
	out->length_at = at + tag_len;
	out->content = at + tag_len + len_len;
	out->len = (size_t)len;
	out->whole_len = (size_t)(tag_len + len_len) + (size_t)len;
	*p = out->content + out->len;
	return true;
}

bool der_is_sequence(const der_tlv *t)
{
	return t->cls == (ASN1_CLASS_UNIVERSAL | ASN1_CLASS_STRUCTURED) &&
	       t->tag == ASN1_TAG_SEQUENCE;
}

/* Steps into Certificate and reads the first field of TBSCertificate
 * after the optional version.  @tbs receives the TBSCertificate TLV, *@p
 * points after the serial number. */
static bool enter_tbs(const gnutls_datum_t *der, der_tlv *tbs,
		      const unsigned char **p, const unsigned char **end)
{
	const unsigned char *q = der->data;
	der_tlv cert, t;

	if (!der_read(&q, der->data + der->size, &cert) ||
	    !der_is_sequence(&cert))
		return false;
	q = cert.content;
	if (!der_read(&q, cert.content + cert.len, tbs) ||
	    !der_is_sequence(tbs))
		return false;
	q = tbs->content;
	*end = tbs->content + tbs->len;
	if (!der_read(&q, *end, &t))
		return false;
	if (t.cls == (ASN1_CLASS_CONTEXT_SPECIFIC | ASN1_CLASS_STRUCTURED) &&
	    t.tag == 0) {
		/* [0] EXPLICIT Version: exactly one INTEGER, nothing else.
		 * libtasn1 reads on after the INTEGER whatever length the
		 * wrapper claims; skipping by that length would slice other
		 * bytes than GnuTLS parses (found by fuzz/fuzz-spki.c). */
		const unsigned char *v = t.content;
		der_tlv ver;

		if (!der_read(&v, t.content + t.len, &ver) ||
		    ver.cls != ASN1_CLASS_UNIVERSAL ||
		    ver.tag != ASN1_TAG_INTEGER || v != t.content + t.len)
			return false;
		if (!der_read(&q, *end, &t))
			return false;
	}
	/* serialNumber */
	if (t.cls != ASN1_CLASS_UNIVERSAL || t.tag != ASN1_TAG_INTEGER)
		return false;
	*p = q;
	return true;
}

bool der_certificate_spki(const gnutls_datum_t *der, gnutls_datum_t *spki)
{
	const unsigned char *p, *end;
	der_tlv tbs, t;

	if (!enter_tbs(der, &tbs, &p, &end))
		return false;
	/* signature, issuer, validity, subject, then the SPKI */
	for (int i = 0; i < 5; i++)
		if (!der_read(&p, end, &t) || !der_is_sequence(&t))
			return false;
	spki->data = (unsigned char *)t.whole;
	spki->size = (unsigned)t.whole_len;
	return true;
}

bool der_spki_dsa_without_params(const gnutls_datum_t *spki, gnutls_datum_t *y)
{
	const unsigned char *p = spki->data, *end = spki->data + spki->size;
	const unsigned char *a, *b;
	der_tlv seq, alg, oid, bits, integer;
	char text[32];

	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	p = seq.content;
	end = seq.content + seq.len;
	if (!der_read(&p, end, &alg) || !der_is_sequence(&alg) ||
	    !der_read(&p, end, &bits) || p != end)
		return false;
	/* id-dsa and nothing after it: the parameters are absent. */
	a = alg.content;
	if (!der_read(&a, alg.content + alg.len, &oid) ||
	    a != alg.content + alg.len ||
	    !der_oid_text(&oid, text, sizeof(text)) ||
	    strcmp(text, "1.2.840.10040.4.1") != 0)
		return false;
	/* BIT STRING { 0 unused bits, INTEGER y } */
	if (bits.cls != ASN1_CLASS_UNIVERSAL ||
	    bits.tag != ASN1_TAG_BIT_STRING || bits.len < 1 ||
	    bits.content[0] != 0)
		return false;
	b = bits.content + 1;
	if (!der_read(&b, bits.content + bits.len, &integer) ||
	    b != bits.content + bits.len ||
	    integer.cls != ASN1_CLASS_UNIVERSAL ||
	    integer.tag != ASN1_TAG_INTEGER || integer.len == 0 ||
	    integer.len > UINT_MAX)
		return false;
	y->data = (unsigned char *)integer.content;
	y->size = (unsigned)integer.len;
	return true;
}

bool der_certificate_tbs(const gnutls_datum_t *der, gnutls_datum_t *out)
{
	const unsigned char *p, *end;
	der_tlv tbs;

	if (!enter_tbs(der, &tbs, &p, &end))
		return false;
	out->data = (unsigned char *)tbs.whole;
	out->size = (unsigned)tbs.whole_len;
	return true;
}

bool der_oid_text(const der_tlv *t, char *buf, size_t size)
{
	int used = 0;

	if (t->cls != ASN1_CLASS_UNIVERSAL || t->tag != ASN1_TAG_OBJECT_ID ||
	    size > INT_MAX || t->whole_len > INT_MAX)
		return false;
	/* libtasn1 reads from the length octets on. */
	return asn1_get_object_id_der(
		       t->length_at,
		       (int)(t->whole_len - (size_t)(t->length_at - t->whole)),
		       &used, buf, (int)size) == ASN1_SUCCESS;
}

bool der_small_uint(const der_tlv *t, unsigned *out)
{
	unsigned v = 0;

	if (t->len == 0 || t->len > 4 || (t->content[0] & 0x80) != 0)
		return false;
	for (size_t i = 0; i < t->len; i++)
		v = (v << 8) | t->content[i];
	*out = v;
	return true;
}
