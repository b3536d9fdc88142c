/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sharded cache of verification results, keyed by everything a verdict
 * depends on besides the clock, compared byte for byte. */
#ifndef TV_CORE_CACHE_H
#define TV_CORE_CACHE_H

#include "tlsverify/tlsverify.h"

typedef struct cache cache;

/*
 * What a cached verdict depends on.  The pointers are borrowed (from the
 * request and the snapshot) in a lookup key; an entry holds its own
 * copy of the host and references to the certificates.
 */
typedef struct {
	uint64_t hash; /* set by cache_key_init */
	uint32_t generation;
	const void *endpoint; /* the snapshot's endpoint: the cache is the
			       * snapshot's, so its address names it */
	const char *host;
	uint16_t port;
	uint8_t purpose;
	GBytes *const *presented;
	unsigned n_presented;
	GBytes *const *untrusted;
	unsigned n_untrusted;
} cache_key;

/* @size entries in all, each kept at most @ttl seconds. */
cache *cache_new(unsigned size, unsigned ttl);
void cache_free(cache *c);

/* Fills @key (borrowing every pointer) and hashes it with @c's seed. */
void cache_key_init(const cache *c, cache_key *key, uint32_t generation,
		    const void *endpoint, const char *host, uint16_t port,
		    uint8_t purpose, const GPtrArray *presented,
		    const GPtrArray *untrusted);

/* A new reference to the result stored under @key, if it has not expired
 * at @now (wall seconds); NULL otherwise. */
tv_result *cache_lookup(cache *c, const cache_key *key, int64_t now);

/* Stores a reference to @result until min(@now + ttl, @not_after).  When
 * the shard is full the oldest entry goes. */
void cache_store(cache *c, const cache_key *key, tv_result *result, int64_t now,
		 int64_t not_after);

#endif
