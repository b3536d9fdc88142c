/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update pipeline: the sink every source offers to, and its state. */
#ifndef TV_DISCOVERY_PIPELINE_H
#define TV_DISCOVERY_PIPELINE_H

#include "bundle.h"

/* Where the current bundle stands, for describe() and verify(). */
typedef enum {
	DSC_STATE_FRESH,   /* the last attempt succeeded */
	DSC_STATE_STALE,   /* failing (or from the cache), within staleness */
	DSC_STATE_EXPIRED, /* no contact for longer than max_staleness */
	DSC_STATE_ERROR,   /* no bundle at all */
} dsc_state;

const char *dsc_state_name(dsc_state state);

/*
 * dsc_pipeline_new: the sink of one plugin instance.  @config is copied
 * (its strings too); @host is borrowed (valid until close()); @cache_file
 * may be NULL.
 */
dsc_sink *dsc_pipeline_new(const dsc_config *config, const char *source,
			   const char *cache_file, const tv_host *host);
void dsc_pipeline_free(dsc_sink *sink);

/* Blocks until the source delivered its first value (good or rejected;
 * failed fetches do not count: the next endpoint may answer) or
 * @timeout_ms passed.  Returns whether a bundle is in place. */
bool dsc_pipeline_wait_first(dsc_sink *sink, gint64 timeout_ms);

/*
 * Installs the cache file's bundle when there is no bundle yet, and marks
 * it stale; staleness counts from when it was saved.  Returns false with
 * @error when there is no usable cache (missing, unreadable, invalid).
 */
bool dsc_pipeline_load_cache(dsc_sink *sink, GError **error);

/*
 * The bundle verify() should use, (transfer full), and the state; NULL
 * when there is none or it is past max_staleness (*@state tells which).
 * @valid_until: wall-clock second until which the bundle may serve
 * (for the result cache).  Never blocks beyond a few instructions.
 */
dsc_bundle *dsc_pipeline_acquire(dsc_sink *sink, dsc_state *state,
				 gint64 *valid_until);

/* Reports the state with tv_describe_*. */
void dsc_pipeline_describe(dsc_sink *sink, tv_describe *out);

#endif
