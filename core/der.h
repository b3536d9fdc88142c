/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slicing DER with libtasn1's primitives: no copy, no tree, bounds-checked. */
#ifndef TV_CORE_DER_H
#define TV_CORE_DER_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

/* One TLV read from a buffer. */
typedef struct {
	unsigned char cls;	      /* class bits and the constructed bit */
	unsigned long tag;	      /* tag number */
	const unsigned char *content; /* [content, content + len) */
	size_t len;
	const unsigned char *whole;	/* the TLV from its tag byte */
	const unsigned char *length_at; /* its length octets */
	size_t whole_len;
} der_tlv;

/*
 * Reads the TLV at *@p (not past @end) and moves *@p after it.  Returns
 * false on a truncated or indefinite-length encoding.
 */
bool der_read(const unsigned char **p, const unsigned char *end, der_tlv *out);

/* Whether @t is the universal constructed SEQUENCE. */
bool der_is_sequence(const der_tlv *t);

/* Slices the SubjectPublicKeyInfo TLV out of a DER certificate. */
bool der_certificate_spki(const gnutls_datum_t *der, gnutls_datum_t *spki);

/*
 * Whether the SubjectPublicKeyInfo TLV @spki is a DSA key whose
 * AlgorithmIdentifier omits the parameters (RFC 3279 2.3.2: they are
 * inherited from the issuer's key); sets @y to the content of its public
 * INTEGER y (borrowed from @spki).
 */
bool der_spki_dsa_without_params(const gnutls_datum_t *spki, gnutls_datum_t *y);

/* Slices the TBSCertificate TLV (what the issuer signed). */
bool der_certificate_tbs(const gnutls_datum_t *der, gnutls_datum_t *tbs);

/*
 * Reads an OBJECT IDENTIFIER TLV into dotted text in @buf.  Returns false
 * when @t is not one or the text does not fit.
 */
bool der_oid_text(const der_tlv *t, char *buf, size_t size);

/* Reads a small non-negative INTEGER content (any tag) into @out; false on
 * a negative, empty or too large value. */
bool der_small_uint(const der_tlv *t, unsigned *out);

#endif
