/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An opened plugin instance, shared by reference so a reload can keep it. */
#ifndef TV_CORE_INSTANCE_H
#define TV_CORE_INSTANCE_H

#include "loader.h"
#include "settings.h"
#include "stats.h"

/* What snapshots and plugin hosts share with their engine. */
typedef struct {
	gint trust_generation; /* bumped on reload and trust change */
	stats_registry *stats;
	struct core_worker *worker; /* plugins' background work (worker.c) */
} engine_shared;

struct tv_host {
	tv_role role;
	const char *endpoint; /* the instance's own copy */
	engine_shared *shared;
	endpoint_stats *stats; /* the endpoint's counters */
};

typedef struct {
	gint refcount;
	loaded_plugin *plugin; /* a reference */
	void *state;
	tv_settings *settings; /* a reference: the plugin borrows from it */
	char *endpoint;
	tv_host host;
	/* For reuse across reloads (TV_PLUGIN_CAP_KEEP_ON_RELOAD): */
	char *key;	     /* plugin, role, endpoint and settings digest */
	char *files_digest;  /* of the files the plugin resolved */
	GPtrArray *warnings; /* lint the plugin gave at open, replayed */
} plugin_instance;

/*
 * Opens @plugin with @settings for @endpoint in @role.  Returns (transfer
 * full) the instance, or NULL with @error (the plugin's message, file:line
 * first when it named none).
 */
plugin_instance *instance_open(loaded_plugin *plugin, tv_settings *settings,
			       const char *endpoint, tv_role role,
			       engine_shared *shared, const char *where,
			       GError **error);
plugin_instance *instance_ref(plugin_instance *inst);
/* The last reference closes the plugin state. */
void instance_unref(plugin_instance *inst);

/* The reuse key of an instance-to-be; NULL when the plugin does not
 * declare TV_PLUGIN_CAP_KEEP_ON_RELOAD.  (transfer full) */
char *instance_key(const loaded_plugin *plugin, const tv_settings *settings,
		   const char *endpoint, tv_role role);

/* Whether @inst may serve a new snapshot: its files are unchanged. */
bool instance_is_current(const plugin_instance *inst);

#endif
