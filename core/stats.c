/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-endpoint counters, latency histogram and rate-limited audit events. */
#include "stats.h"

#include "audit.h"

#include <string.h>

#define AUDIT_WINDOW_US (60 * G_USEC_PER_SEC)

const double stats_latency_bounds[STATS_LATENCY_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001,
	0.0025,	 0.005,	 0.01,	  0.05,	  0.25,
};

struct stats_registry {
	core_lock lock;
	GHashTable *by_name; /* name -> endpoint_stats* */
};

typedef struct {
	uint64_t count;
	uint64_t held_back; /* not logged since the last line written */
	gint64 last_logged; /* monotonic µs */
} audit_count;

static void endpoint_stats_free(endpoint_stats *s)
{
	g_hash_table_unref(s->events);
	core_lock_clear(&s->lock);
	g_free(s->name);
	g_free(s);
}

stats_registry *stats_registry_new(void)
{
	stats_registry *reg = g_new0(stats_registry, 1);

	core_lock_init(&reg->lock);
	reg->by_name =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				      (GDestroyNotify)endpoint_stats_free);
	return reg;
}

void stats_registry_free(stats_registry *reg)
{
	if (reg == NULL)
		return;
	g_hash_table_unref(reg->by_name);
	core_lock_clear(&reg->lock);
	g_free(reg);
}

endpoint_stats *stats_registry_get(stats_registry *reg, const char *name)
{
	endpoint_stats *s;

	core_lock_acquire(&reg->lock);
	s = g_hash_table_lookup(reg->by_name, name);
	if (s == NULL) {
		s = g_new0(endpoint_stats, 1);
		s->name = g_strdup(name);
		core_lock_init(&s->lock);
		s->events = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, g_free);
		g_hash_table_insert(reg->by_name, s->name, s);
	}
	core_lock_release(&reg->lock);
	return s;
}

static int compare_stats(gconstpointer a, gconstpointer b)
{
	const endpoint_stats *x = *(endpoint_stats *const *)a;
	const endpoint_stats *y = *(endpoint_stats *const *)b;

	return strcmp(x->name, y->name);
}

void stats_registry_foreach(stats_registry *reg,
			    void (*fn)(endpoint_stats *s, void *data),
			    void *data)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	core_lock_acquire(&reg->lock);
	g_hash_table_iter_init(&it, reg->by_name);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(all, v);
	core_lock_release(&reg->lock);
	/* Entries are never removed while the engine lives. */
	g_ptr_array_sort(all, compare_stats);
	for (unsigned i = 0; i < all->len; i++)
		fn(all->pdata[i], data);
}

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

void stats_record(endpoint_stats *s, tv_verdict verdict, uint32_t reasons,
		  bool insecure_skip, uint64_t duration_ns, int64_t not_after)
{
	double seconds = (double)duration_ns / 1e9;
	unsigned b;

	if (s == NULL)
		return;
	INC(s->verdicts[verdict == TV_VERDICT_TRUSTED ? 1 : 0]);
	for (unsigned i = 0; i < TV_REASON_COUNT; i++)
		if (reasons & (1u << i))
			INC(s->reasons[i]);
	if (insecure_skip)
		INC(s->insecure_skips);
	for (b = 0; b < STATS_LATENCY_BUCKETS; b++)
		if (seconds <= stats_latency_bounds[b])
			break;
	INC(s->latency[b]);
	INC(s->latency_count);
	atomic_fetch_add_explicit(&s->latency_sum_ns, duration_ns,
				  memory_order_relaxed);
	if (not_after > 0)
		atomic_store_explicit(&s->last_not_after, not_after,
				      memory_order_relaxed);
}

void stats_audit(endpoint_stats *s, const char *event, const char *host,
		 const char *reason, const char *owner, const char *message)
{
	gint64 now = g_get_monotonic_time();
	uint64_t held = 0;
	bool write = true;

	if (s != NULL) {
		audit_count *c;

		core_lock_acquire(&s->lock);
		c = g_hash_table_lookup(s->events, event);
		if (c == NULL) {
			c = g_new0(audit_count, 1);
			g_hash_table_insert(s->events, g_strdup(event), c);
		} else if (now - c->last_logged < AUDIT_WINDOW_US) {
			write = false;
		}
		c->count++;
		if (write) {
			held = c->held_back;
			c->held_back = 0;
			c->last_logged = now;
		} else {
			c->held_back++;
		}
		core_lock_release(&s->lock);
	}
	if (write)
		audit_event(event, s ? s->name : NULL, host, reason, owner,
			    message, held);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void stats_foreach_event(endpoint_stats *s,
			 void (*fn)(const char *event, uint64_t count,
				    void *data),
			 void *data)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree uint64_t *counts = NULL;
	GHashTableIter it;
	gpointer k, v;

	core_lock_acquire(&s->lock);
	g_hash_table_iter_init(&it, s->events);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(names, g_strdup(k));
	g_ptr_array_sort(names, compare_names);
	counts = g_new0(uint64_t, names->len + 1);
	for (unsigned i = 0; i < names->len; i++)
		counts[i] = ((audit_count *)g_hash_table_lookup(
				     s->events, names->pdata[i]))
				    ->count;
	core_lock_release(&s->lock);
	for (unsigned i = 0; i < names->len; i++)
		fn(names->pdata[i], counts[i], data);
}
