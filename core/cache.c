/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sharded cache of verification results, keyed by everything a verdict
 * depends on besides the clock, compared byte for byte. */
#include "cache.h"

#include "result.h"
#include "lock.h"

#include <string.h>

/* Threads contend only when their keys fall in the same shard. */
#define CACHE_SHARDS 16

/*
 * Why not a SHA-256 digest of the key: hashing the chain costs 1-2 µs
 * even with SHA-NI (0.6 ns/byte), most of a hit's budget, and a
 * 3.5 KB chain alone would exceed it.  A hit instead hashes the key with
 * the fast function below and then compares every byte with the entry
 * (memcmp, ~30 bytes/ns), which is exact: no two different keys can
 * share an entry, whatever an attacker sends.  The price is memory: an
 * entry keeps references to its chain's DER (2-4 KB) instead of 32 bytes.
 * Crafted collisions of the fast hash only slow lookups within one shard
 * (at most its capacity of comparisons), and the seed is random.
 */
typedef struct {
	cache_key key; /* owns host; presented/untrusted point into certs */
	GBytes **certs;
	tv_result *result;
	int64_t expires;
	GList *age; /* link in the shard's FIFO */
} entry;

typedef struct {
	core_lock lock;
	GHashTable *entries; /* cache_key* (of an entry) -> entry* */
	GQueue fifo;	     /* entry*, oldest first */
	unsigned capacity;
} shard;

struct cache {
	unsigned ttl;
	uint64_t seed;
	shard shards[CACHE_SHARDS];
};

#define MIX_K UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * MIX_K;
	return (h << 31) | (h >> 33);
}

static inline uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Four independent lanes of 8 bytes, kept in registers: the multiplies
 * overlap, ~0.05 ns per byte. */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t a = h, b = h ^ 1, c = h ^ 2, d = h ^ 3, w = 0;

	for (; n >= 32; n -= 32, p += 32) {
		a = mix(a, word(p));
		b = mix(b, word(p + 8));
		c = mix(c, word(p + 16));
		d = mix(d, word(p + 24));
	}
	for (; n >= 8; n -= 8, p += 8)
		a = mix(a, word(p));
	memcpy(&w, p, n);
	b = mix(b, w ^ ((uint64_t)n << 56));
	return mix(mix(mix(a, b), c), d);
}

static uint64_t hash_certs(uint64_t h, GBytes *const *certs, unsigned n)
{
	h = mix(h, n);
	for (unsigned i = 0; i < n; i++) {
		gsize len;
		const uint8_t *der = g_bytes_get_data(certs[i], &len);

		h = hash_bytes(mix(h, len), der, len);
	}
	return h;
}

void cache_key_init(const cache *c, cache_key *k, uint32_t generation,
		    const void *endpoint, const char *host, uint16_t port,
		    uint8_t purpose, const GPtrArray *presented,
		    const GPtrArray *untrusted)
{
	uint64_t h = c->seed;

	k->generation = generation;
	k->endpoint = endpoint;
	k->host = host;
	k->port = port;
	k->purpose = purpose;
	k->presented = (GBytes *const *)presented->pdata;
	k->n_presented = presented->len;
	k->untrusted = (GBytes *const *)untrusted->pdata;
	k->n_untrusted = untrusted->len;

	h = mix(h,
		((uint64_t)generation << 32) | ((uint64_t)port << 8) | purpose);
	h = mix(h, (uint64_t)(uintptr_t)endpoint);
	h = hash_bytes(h, (const uint8_t *)host, strlen(host));
	h = hash_certs(h, k->presented, k->n_presented);
	h = hash_certs(h, k->untrusted, k->n_untrusted);
	k->hash = h;
}

static guint key_hash(gconstpointer k)
{
	return (guint)((const cache_key *)k)->hash;
}

static bool certs_equal(GBytes *const *a, GBytes *const *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i] && !g_bytes_equal(a[i], b[i]))
			return false;
	return true;
}

static gboolean key_equal(gconstpointer pa, gconstpointer pb)
{
	const cache_key *a = pa, *b = pb;

	return a->hash == b->hash && a->generation == b->generation &&
	       a->endpoint == b->endpoint && a->port == b->port &&
	       a->purpose == b->purpose && a->n_presented == b->n_presented &&
	       a->n_untrusted == b->n_untrusted &&
	       strcmp(a->host, b->host) == 0 &&
	       certs_equal(a->presented, b->presented, a->n_presented) &&
	       certs_equal(a->untrusted, b->untrusted, a->n_untrusted);
}

static void entry_free(entry *e)
{
	unsigned n = e->key.n_presented + e->key.n_untrusted;

	for (unsigned i = 0; i < n; i++)
		g_bytes_unref(e->certs[i]);
	g_free(e->certs);
	g_free((char *)e->key.host);
	tv_result_free(e->result);
	g_free(e);
}

cache *cache_new(unsigned size, unsigned ttl)
{
	cache *c = g_new0(cache, 1);

	c->ttl = ttl;
	c->seed = ((uint64_t)g_random_int() << 32) | g_random_int();
	for (unsigned i = 0; i < CACHE_SHARDS; i++) {
		shard *s = &c->shards[i];

		core_lock_init(&s->lock);
		s->entries = g_hash_table_new_full(key_hash, key_equal, NULL,
						   (GDestroyNotify)entry_free);
		g_queue_init(&s->fifo);
		s->capacity = (size + CACHE_SHARDS - 1) / CACHE_SHARDS;
	}
	return c;
}

void cache_free(cache *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < CACHE_SHARDS; i++) {
		g_queue_clear(&c->shards[i].fifo);
		g_hash_table_unref(c->shards[i].entries);
		core_lock_clear(&c->shards[i].lock);
	}
	g_free(c);
}

/* The top bits: glib's table uses the low ones. */
static shard *shard_of(cache *c, const cache_key *key)
{
	return &c->shards[key->hash >> 60];
}

static void drop(shard *s, entry *e)
{
	g_queue_delete_link(&s->fifo, e->age);
	g_hash_table_remove(s->entries, &e->key);
}

tv_result *cache_lookup(cache *c, const cache_key *key, int64_t now)
{
	shard *s = shard_of(c, key);
	tv_result *r = NULL;
	entry *e;

	core_lock_acquire(&s->lock);
	e = g_hash_table_lookup(s->entries, key);
	if (e != NULL) {
		if (now < e->expires)
			r = result_ref(e->result);
		else
			drop(s, e);
	}
	core_lock_release(&s->lock);
	return r;
}

/* An entry owning its key: the host copied, the certificates referenced
 * (the request's DER is immutable). */
static entry *entry_new(const cache_key *key)
{
	unsigned n = key->n_presented + key->n_untrusted;
	entry *e = g_new0(entry, 1);

	e->key = *key;
	e->key.host = g_strdup(key->host);
	e->certs = g_new(GBytes *, n + 1);
	for (unsigned i = 0; i < key->n_presented; i++)
		e->certs[i] = g_bytes_ref(key->presented[i]);
	for (unsigned i = 0; i < key->n_untrusted; i++)
		e->certs[key->n_presented + i] = g_bytes_ref(key->untrusted[i]);
	e->key.presented = e->certs;
	e->key.untrusted = e->certs + key->n_presented;
	return e;
}

void cache_store(cache *c, const cache_key *key, tv_result *result, int64_t now,
		 int64_t not_after)
{
	shard *s = shard_of(c, key);
	int64_t expires = now + (int64_t)c->ttl;
	entry *e, *old;

	if (not_after > 0 && not_after < expires)
		expires = not_after;
	if (expires <= now || s->capacity == 0)
		return;
	e = entry_new(key);
	e->result = result_ref(result);
	e->expires = expires;

	core_lock_acquire(&s->lock);
	old = g_hash_table_lookup(s->entries, key);
	if (old != NULL)
		drop(s, old);
	while (g_hash_table_size(s->entries) >= s->capacity)
		drop(s, g_queue_peek_head(&s->fifo));
	g_queue_push_tail(&s->fifo, e);
	e->age = g_queue_peek_tail_link(&s->fifo);
	g_hash_table_insert(s->entries, &e->key, e);
	core_lock_release(&s->lock);
}
