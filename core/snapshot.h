/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One immutable policy snapshot: endpoints with opened plugin steps. */
#ifndef TV_CORE_SNAPSHOT_H
#define TV_CORE_SNAPSHOT_H

#include "instance.h"
#include "loader.h"
#include "match.h"
#include "policy.h"
#include "stats.h"

typedef struct cache cache;

typedef struct {
	const policy_step *def; /* NULL for a built-in step */
	const char *use;
	step_control control;
	tv_role role;
	plugin_instance *inst; /* a reference; may be shared with the
				* snapshot before (kept across a reload) */
	loaded_plugin *plugin; /* inst's, for the hot path */
	void *state;	       /* inst's */
	bool opened;
} snap_step;

typedef struct {
	const policy_endpoint *def; /* NULL for the built-in default */
	const char *name;
	GPtrArray *steps; /* snap_step*; for an insecure endpoint: the chain
			   * that applies once the exception lapsed */
	bool verify_hostname;
	bool has_anchor;
	snap_step *client; /* the endpoint's `client`, NULL when none */
	endpoint_stats *stats;
	const char *sni; /* borrowed from the policy, NULL = the host */
} snap_endpoint;

typedef struct {
	gint refcount;
	policy *policy;
	GHashTable *plugins;	 /* name -> loaded_plugin* */
	GPtrArray *endpoints;	 /* snap_endpoint* */
	snap_endpoint *fallback; /* when no port-less "*" endpoint exists */
	match_index *index;
	GPtrArray *warnings; /* char* */
	char *plugin_dir;
	int max_chain_length;
	cache *cache;	      /* NULL when the policy turns caching off */
	GHashTable *reusable; /* while building: key -> plugin_instance* */
	GHashTable *previous_plugins; /* while building: borrowed */
	unsigned kept; /* instances kept from the previous snapshot */
	engine_shared *shared;
} snapshot;

#define SNAPSHOT_BUILTIN_NAME "(built-in)"

/*
 * Loads @conf_dir, loads and opens every plugin step.  Steps whose
 * plugin allows it (TV_PLUGIN_CAP_KEEP_ON_RELOAD) and whose settings and
 * files equal a step of @previous (nullable) keep that step's instance.
 * @plugin_dir NULL means the policy's defaults.plugin_dir, else the installed
 * directory. Returns (transfer full, refcount 1) NULL with @error.
 */
snapshot *snapshot_new(const char *conf_dir, const char *plugin_dir,
		       engine_shared *shared, snapshot *previous,
		       GError **error);
snapshot *snapshot_ref(snapshot *snap);
void snapshot_unref(snapshot *snap);

/* Endpoint for a normalised host; never NULL. */
const snap_endpoint *snapshot_match(const snapshot *snap, const char *host,
				    uint16_t port);

#endif
