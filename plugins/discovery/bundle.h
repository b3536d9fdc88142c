/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A discovered trust bundle: per-trust-domain anchor sets, immutable, shared.
 */
#ifndef TV_DISCOVERY_BUNDLE_H
#define TV_DISCOVERY_BUNDLE_H

#include "source.h"

/* The anchors of one trust domain; never merged with another's. */
typedef struct {
	char *scope; /* trust domain, or "" for the unscoped set */
	gnutls_x509_trust_list_t list;
	GPtrArray *ders; /* GBytes of each anchor */
	bool revoked;	 /* authoritative empty set: trust nothing */
} dsc_anchor_set;

/*
 * An immutable snapshot handed to verify() by reference.  The worker
 * builds a new one aside and swaps it in; a verification in flight keeps
 * the one it took.
 */
typedef struct {
	gint refcount;
	GHashTable *sets; /* scope -> dsc_anchor_set */
	char *hash;	  /* SHA-256 hex over scopes and anchors */
	gint64 order;	  /* the source's order, -1 none */
	char *version;
	unsigned anchors; /* over every set */
	gint64 not_after; /* earliest anchor expiry */
} dsc_bundle;

/*
 * dsc_bundle_build: validates the parsed sets (@parsed maps scope ->
 * dsc_parsed, whose certificates it takes) at @now and builds the trust
 * lists.  Every anchor must be a CA and be valid at @now; a set needs an
 * anchor unless it is revoked.  Returns (transfer full) the bundle, or
 * NULL with @error naming the first offending anchor.
 */
dsc_bundle *dsc_bundle_build(GHashTable *parsed, gint64 order,
			     const char *version, gint64 now, GError **error);
dsc_bundle *dsc_bundle_ref(dsc_bundle *b);
void dsc_bundle_unref(dsc_bundle *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dsc_bundle, dsc_bundle_unref)

/* A new trust list holding the anchors of @set; NULL when it has none. */
gnutls_x509_trust_list_t dsc_anchor_set_dup_list(const dsc_anchor_set *set);

/*
 * The trust domain of the leaf's SPIFFE ID (its spiffe:// URI SAN),
 * lower-cased; NULL when it has none.  (transfer full)
 */
char *dsc_spiffe_trust_domain(gnutls_x509_crt_t leaf);

#endif
