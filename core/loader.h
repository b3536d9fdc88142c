/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen of trust plugins by plain name from one trusted directory. */
#ifndef TV_CORE_LOADER_H
#define TV_CORE_LOADER_H

#include "tlsverify/plugin.h"

typedef struct {
	gint refcount; /* the snapshots and instances using it */
	char *name;
	char *path;
	void *handle;
	const tv_plugin_ops *ops;
} loaded_plugin;

/* True for [a-z0-9_-]+ (what a `use` value may be). */
bool loader_name_is_valid(const char *name);

/* Checks @dir is a directory no group or other user can write to. */
bool loader_check_dir(const char *dir, GError **error);

/*
 * Loads @dir/@name.so: refuses group/world-writable files, a missing entry
 * symbol, another ABI major, a name that differs from the file name and
 * NULL required members; every message names the path.  Returns (transfer
 * full) NULL with @error (TV_ERROR_PLUGIN).
 */
loaded_plugin *loader_load(const char *dir, const char *name, GError **error);
loaded_plugin *loaded_plugin_ref(loaded_plugin *plugin);
/* Whether @plugin was loaded from @dir/@name.so. */
bool loader_path_is(const loaded_plugin *plugin, const char *dir,
		    const char *name);
/* Drops a reference; the last one closes the shared object. */
void loaded_plugin_free(loaded_plugin *plugin);

/* The plugin's credentials member, NULL when it has none or predates
 * ABI 1.1 (a shorter table: the member must not be read at all). */
tv_client_cert *(*loader_credentials_fn(const loaded_plugin *plugin))(
	void *, const tv_request *);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(loaded_plugin, loaded_plugin_free)

/* The plugin's describe member, NULL when absent or before ABI 1.2. */
void (*loader_describe_fn(const loaded_plugin *plugin))(void *, tv_describe *);

#endif
