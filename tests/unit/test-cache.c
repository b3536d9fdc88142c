/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result cache: exact keys, lifetimes, capacity. */
#include "cache.h"
#include "result.h"
#include "tv-test.h"

#include <string.h>

#define NOW INT64_C(1780272000)

/* A request-like key: @certs DER blobs (presented), one untrusted. */
typedef struct {
	GPtrArray *presented;
	GPtrArray *untrusted;
	char host[64];
	uint16_t port;
	uint8_t purpose;
	uint32_t generation;
	const void *endpoint;
} probe;

/* Stand-ins for two endpoints of a snapshot (the key uses addresses). */
static const int endpoint_a, endpoint_b;

static void probe_init(probe *p, const char *host)
{
	static const char *const ders[] = {"leaf-der-bytes", "inter-der-bytes"};

	memset(p, 0, sizeof(*p));
	p->presented =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	p->untrusted =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (size_t i = 0; i < G_N_ELEMENTS(ders); i++)
		g_ptr_array_add(p->presented,
				g_bytes_new(ders[i], strlen(ders[i])));
	g_ptr_array_add(p->untrusted, g_bytes_new("pool", 4));
	g_strlcpy(p->host, host, sizeof(p->host));
	p->port = 443;
	p->endpoint = &endpoint_a;
}

static void probe_clear(probe *p)
{
	g_ptr_array_unref(p->presented);
	g_ptr_array_unref(p->untrusted);
}

static cache_key key_of(const cache *c, const probe *p)
{
	cache_key k;

	cache_key_init(c, &k, p->generation, p->endpoint, p->host, p->port,
		       p->purpose, p->presented, p->untrusted);
	return k;
}

/* Replaces presented certificate @i by @der. */
static void set_cert(GPtrArray *a, unsigned i, const char *der)
{
	g_bytes_unref(a->pdata[i]);
	a->pdata[i] = g_bytes_new(der, strlen(der));
}

/* Stores a result for the base probe, then checks that every key that
 * differs in one part misses and an equal one (fresh copies) hits. */
static void test_exact_keys(void)
{
	cache *c = cache_new(64, 300);
	tv_result *stored = result_new("e", "a.test");
	probe base, other;
	uint64_t base_hash;
	cache_key k;
	tv_result *r;

	probe_init(&base, "a.test");
	k = key_of(c, &base);
	base_hash = k.hash;
	cache_store(c, &k, stored, NOW, 0);

	/* Equal content in other buffers: a hit, the same result. */
	probe_init(&other, "a.test");
	k = key_of(c, &other);
	r = cache_lookup(c, &k, NOW + 1);
	CU_ASSERT_PTR_EQUAL(r, stored);
	tv_result_free(r);

	for (int change = 0; change < 8; change++) {
		probe_clear(&other);
		probe_init(&other, "a.test");
		switch (change) {
		case 0: /* one byte of the leaf */
			set_cert(other.presented, 0, "leaf-der-bytez");
			break;
		case 1: /* a certificate shorter */
			set_cert(other.presented, 1, "inter-der-byte");
			break;
		case 2: /* the pool */
			set_cert(other.untrusted, 0, "poOl");
			break;
		case 3: /* a certificate moved from presented to the pool */
			g_ptr_array_add(
				other.untrusted,
				g_ptr_array_steal_index(other.presented, 1));
			break;
		case 4:
			g_strlcpy(other.host, "b.test", sizeof(other.host));
			break;
		case 5:
			other.port = 8443;
			break;
		case 6:
			other.purpose = 1;
			break;
		case 7: /* trust changed */
			other.generation = 1;
			break;
		}
		k = key_of(c, &other);
		r = cache_lookup(c, &k, NOW + 1);
		if (r != NULL)
			fprintf(stderr, "\n  change %d hit\n", change);
		CU_ASSERT_PTR_NULL(r);
		tv_result_free(r);
		/* Even when the fast hash collides, the bytes decide. */
		k.hash = base_hash;
		r = cache_lookup(c, &k, NOW + 1);
		if (r != NULL)
			fprintf(stderr, "\n  change %d hit on a collision\n",
				change);
		CU_ASSERT_PTR_NULL(r);
		tv_result_free(r);
	}
	/* Another endpoint of the snapshot. */
	probe_clear(&other);
	probe_init(&other, "a.test");
	other.endpoint = &endpoint_b;
	k = key_of(c, &other);
	CU_ASSERT_PTR_NULL(cache_lookup(c, &k, NOW + 1));

	probe_clear(&other);
	probe_clear(&base);
	tv_result_free(stored);
	cache_free(c);
}

/* An entry lives until min(now + ttl, not_after), exclusive. */
static void test_lifetime(void)
{
	cache *c = cache_new(64, 300);
	tv_result *stored = result_new("e", "a.test");
	probe p;
	cache_key k;
	tv_result *r;

	probe_init(&p, "a.test");
	k = key_of(c, &p);
	cache_store(c, &k, stored, NOW, 0);
	r = cache_lookup(c, &k, NOW + 299);
	CU_ASSERT_PTR_EQUAL(r, stored);
	tv_result_free(r);
	CU_ASSERT_PTR_NULL(cache_lookup(c, &k, NOW + 300));

	cache_store(c, &k, stored, NOW, NOW + 10);
	r = cache_lookup(c, &k, NOW + 9);
	CU_ASSERT_PTR_EQUAL(r, stored);
	tv_result_free(r);
	CU_ASSERT_PTR_NULL(cache_lookup(c, &k, NOW + 10));

	/* Already past its limit: not stored at all. */
	cache_store(c, &k, stored, NOW, NOW);
	CU_ASSERT_PTR_NULL(cache_lookup(c, &k, NOW));

	probe_clear(&p);
	tv_result_free(stored);
	cache_free(c);
}

/* A full cache drops its oldest entries; the newest stays. */
static void test_capacity(void)
{
	cache *c = cache_new(16, 300); /* one entry per shard */
	tv_result *stored = result_new("e", "h");
	unsigned hits = 0;
	probe p;
	cache_key k;

	for (int i = 0; i < 200; i++) {
		char host[32];

		g_snprintf(host, sizeof(host), "h%d.test", i);
		probe_init(&p, host);
		k = key_of(c, &p);
		cache_store(c, &k, stored, NOW, 0);
		probe_clear(&p);
	}
	for (int i = 0; i < 200; i++) {
		char host[32];
		tv_result *r;

		g_snprintf(host, sizeof(host), "h%d.test", i);
		probe_init(&p, host);
		k = key_of(c, &p);
		r = cache_lookup(c, &k, NOW);
		hits += r != NULL;
		if (i == 199)
			CU_ASSERT_PTR_NOT_NULL(r);
		tv_result_free(r);
		probe_clear(&p);
	}
	CU_ASSERT_TRUE(hits >= 1 && hits <= 16);
	tv_result_free(stored);
	cache_free(c);
}

static CU_TestInfo tests[] = {
	{"/cache/exact-keys", test_exact_keys},
	{"/cache/lifetime", test_lifetime},
	{"/cache/capacity", test_capacity},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"cache", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
