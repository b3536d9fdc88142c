/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sharded cache of verification results, keyed by a SHA-256 digest. */
#ifndef TV_CORE_CACHE_H
#define TV_CORE_CACHE_H

#include "tlsverify/tlsverify.h"

#define CACHE_KEY_SIZE 32

typedef struct cache cache;

/* @size entries in all, each kept at most @ttl seconds. */
cache *cache_new(unsigned size, unsigned ttl);
void cache_free(cache *c);

/* A new reference to the result stored under @key, if it has not expired
 * at @now (wall seconds); NULL otherwise. */
tv_result *cache_lookup(cache *c, const uint8_t key[CACHE_KEY_SIZE],
			int64_t now);

/* Stores a reference to @result until min(@now + ttl, @not_after).  When
 * the shard is full the oldest entry goes. */
void cache_store(cache *c, const uint8_t key[CACHE_KEY_SIZE], tv_result *result,
		 int64_t now, int64_t not_after);

#endif
