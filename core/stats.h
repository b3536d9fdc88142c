/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-endpoint counters, latency histogram and rate-limited audit events. */
#ifndef TV_CORE_STATS_H
#define TV_CORE_STATS_H

#include "tlsverify/tlsverify.h"

#include "lock.h"

#include <stdatomic.h>

/* Upper bounds of the latency buckets, in seconds (Prometheus "le"). */
#define STATS_LATENCY_BUCKETS 10
extern const double stats_latency_bounds[STATS_LATENCY_BUCKETS];

/* One endpoint's counters.  Lives as long as the engine, across reloads,
 * so counters never go backwards; updated with relaxed atomics. */
typedef struct {
	char *name;
	atomic_uint_fast64_t verdicts[2]; /* by tv_verdict */
	atomic_uint_fast64_t reasons[TV_REASON_COUNT];
	atomic_uint_fast64_t insecure_skips;
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t cache_misses;
	atomic_uint_fast64_t latency[STATS_LATENCY_BUCKETS + 1]; /* +Inf */
	atomic_uint_fast64_t latency_count;
	atomic_uint_fast64_t latency_sum_ns;
	atomic_int_fast64_t last_not_after; /* 0 = no chain seen yet */

	/* Audit events: rare, so a mutex; name -> audit_count*. */
	core_lock lock;
	GHashTable *events;
} endpoint_stats;

typedef struct stats_registry stats_registry;

stats_registry *stats_registry_new(void);
void stats_registry_free(stats_registry *reg);

/* The endpoint's counters, created on first use; (transfer none). */
endpoint_stats *stats_registry_get(stats_registry *reg, const char *name);

/* Calls @fn for every endpoint's stats, sorted by name. */
void stats_registry_foreach(stats_registry *reg,
			    void (*fn)(endpoint_stats *s, void *data),
			    void *data);

/* Records one verification. */
void stats_record(endpoint_stats *s, tv_verdict verdict, uint32_t reasons,
		  bool insecure_skip, uint64_t duration_ns, int64_t not_after);

/*
 * Counts audit event @event for @s and writes it to the log unless the
 * same event was logged for this endpoint in the last minute; the next
 * one written says how many were held back.  Nothing is lost: the count
 * is in the metrics either way.  @s may be NULL (engine-wide events).
 */
void stats_audit(endpoint_stats *s, const char *event, const char *host,
		 const char *reason, const char *owner, const char *message);

/* Per-event totals of @s: calls @fn(event, count) sorted by event. */
void stats_foreach_event(endpoint_stats *s,
			 void (*fn)(const char *event, uint64_t count,
				    void *data),
			 void *data);

#endif
