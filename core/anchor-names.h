/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trust anchors found by their name as RFC 5280 compares names, when the
 * trust list's exact-name lookup misses. */
#ifndef TV_CORE_ANCHOR_NAMES_H
#define TV_CORE_ANCHOR_NAMES_H

#include "tlsverify/plugin.h"

/* (transfer full) an empty index; built on first use. */
struct tv_anchor_names *anchor_names_new(void);
void anchor_names_free(struct tv_anchor_names *names);

/*
 * An anchor of @list whose subject equals @issuer (a raw DER Name) under
 * RFC 5280 7.1 rules but not byte for byte.  The index of @list's anchors
 * by normalised subject is built at the first call (one copy of every
 * anchor, once) and serves only that list: for another list the answer
 * is NULL.  Every hit is fetched from @list by its exact name, so a stale
 * index can miss but never hands out an anchor @list does not hold.
 * Thread-safe.  Returns: (transfer full) a copy, or NULL.
 */
gnutls_x509_crt_t anchor_names_find(struct tv_anchor_names *names,
				    gnutls_x509_trust_list_t list,
				    const gnutls_datum_t *issuer);

#endif
