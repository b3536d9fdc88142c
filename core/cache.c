/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sharded cache of verification results, keyed by a SHA-256 digest. */
#include "cache.h"

#include "result.h"
#include "lock.h"

#include <string.h>

/* Threads contend only when their keys fall in the same shard. */
#define CACHE_SHARDS 16

typedef struct {
	uint8_t key[CACHE_KEY_SIZE];
	tv_result *result;
	int64_t expires;
	GList *age; /* link in the shard's FIFO */
} entry;

typedef struct {
	core_lock lock;
	GHashTable *entries; /* key -> entry* */
	GQueue fifo;	     /* entry*, oldest first */
	unsigned capacity;
} shard;

struct cache {
	unsigned ttl;
	shard shards[CACHE_SHARDS];
};

/* The key is a SHA-256 digest: its first bytes are already uniform. */
static guint key_hash(gconstpointer k)
{
	guint h;

	memcpy(&h, k, sizeof(h));
	return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, CACHE_KEY_SIZE) == 0;
}

static void entry_free(entry *e)
{
	tv_result_free(e->result);
	g_free(e);
}

cache *cache_new(unsigned size, unsigned ttl)
{
	cache *c = g_new0(cache, 1);

	c->ttl = ttl;
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

static shard *shard_of(cache *c, const uint8_t *key)
{
	return &c->shards[key[CACHE_KEY_SIZE - 1] % CACHE_SHARDS];
}

static void drop(shard *s, entry *e)
{
	g_queue_delete_link(&s->fifo, e->age);
	g_hash_table_remove(s->entries, e->key);
}

tv_result *cache_lookup(cache *c, const uint8_t key[CACHE_KEY_SIZE],
			int64_t now)
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

void cache_store(cache *c, const uint8_t key[CACHE_KEY_SIZE], tv_result *result,
		 int64_t now, int64_t not_after)
{
	shard *s = shard_of(c, key);
	int64_t expires = now + (int64_t)c->ttl;
	entry *e, *old;

	if (not_after > 0 && not_after < expires)
		expires = not_after;
	if (expires <= now || s->capacity == 0)
		return;
	e = g_new0(entry, 1);
	memcpy(e->key, key, CACHE_KEY_SIZE);
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
	g_hash_table_insert(s->entries, e->key, e);
	core_lock_release(&s->lock);
}
