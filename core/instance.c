/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An opened plugin instance, shared by reference so a reload can keep it. */
#include "instance.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static void hash_stat(GChecksum *h, const char *label, const char *path)
{
	struct stat st;
	char line[160];

	g_checksum_update(h, (const guchar *)label, -1);
	/* stat follows symlinks: a Kubernetes ..data swap changes inodes. */
	if (stat(path, &st) != 0) {
		g_snprintf(line, sizeof(line), "|missing %d\n", errno);
	} else {
		g_snprintf(line, sizeof(line), "|%ju %ju %jd %jd.%09ld %o\n",
			   (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
			   (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
			   st.st_mtim.tv_nsec, (unsigned)st.st_mode);
	}
	g_checksum_update(h, (const guchar *)line, -1);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Size, inode and mtime of each file, and of each entry of a directory
 * (a file replaced inside a directory changes no directory mtime). */
static char *files_digest(const GPtrArray *paths)
{
	g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);

	for (unsigned i = 0; i < paths->len; i++) {
		const char *path = paths->pdata[i];
		g_autoptr(GDir) d = NULL;
		g_autoptr(GPtrArray) names = NULL;
		const char *entry;

		hash_stat(h, path, path);
		if (!g_file_test(path, G_FILE_TEST_IS_DIR))
			continue;
		d = g_dir_open(path, 0, NULL);
		if (d == NULL)
			continue;
		names = g_ptr_array_new_with_free_func(g_free);
		while ((entry = g_dir_read_name(d)) != NULL)
			g_ptr_array_add(names, g_strdup(entry));
		g_ptr_array_sort(names, compare_names);
		for (unsigned k = 0; k < names->len; k++) {
			g_autofree char *child =
				g_build_filename(path, names->pdata[k], NULL);
			hash_stat(h, names->pdata[k], child);
		}
	}
	return g_strdup(g_checksum_get_string(h));
}

char *instance_key(const loaded_plugin *plugin, const tv_settings *settings,
		   const char *endpoint, tv_role role)
{
	g_autofree char *digest = NULL;

	if (!(plugin->ops->caps & TV_PLUGIN_CAP_KEEP_ON_RELOAD) ||
	    settings == NULL)
		return NULL;
	digest = settings_fingerprint(settings);
	return g_strdup_printf("%s|%d|%s|%s", plugin->name, (int)role, endpoint,
			       digest);
}

plugin_instance *instance_open(loaded_plugin *plugin, tv_settings *settings,
			       const char *endpoint, tv_role role,
			       engine_shared *shared, const char *where,
			       GError **error)
{
	plugin_instance *inst = g_new0(plugin_instance, 1);
	g_autoptr(GError) local = NULL;
	bool ok;

	inst->refcount = 1;
	inst->plugin = loaded_plugin_ref(plugin);
	inst->settings = settings_ref(settings);
	inst->endpoint = g_strdup(endpoint);
	inst->host.role = role;
	inst->host.endpoint = inst->endpoint;
	inst->host.shared = shared;
	inst->host.stats = stats_registry_get(shared->stats, endpoint);
	inst->warnings = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_set_size(settings->paths, 0);
	settings->warnings = inst->warnings;
	/* Debug events around open(): a host that runs the load in a child
	 * (tlsverify check-config) names the plugin that crashed in it. */
	g_log_structured("tlsverify", G_LOG_LEVEL_DEBUG, "TLSVERIFY_PLUGIN",
			 plugin->name, "TLSVERIFY_PLUGIN_OPEN", "start",
			 "MESSAGE", "opening plugin '%s' for endpoint '%s'",
			 plugin->name, endpoint ? endpoint : "");
	ok = plugin->ops->open(settings, &inst->host, &inst->state, &local);
	g_log_structured("tlsverify", G_LOG_LEVEL_DEBUG, "TLSVERIFY_PLUGIN",
			 plugin->name, "TLSVERIFY_PLUGIN_OPEN", "end",
			 "MESSAGE", "plugin '%s' open() returned",
			 plugin->name);
	settings->warnings = NULL;
	if (!ok) {
		/* A plugin that fails without saying why still fails. */
		if (local != NULL &&
		    g_str_has_prefix(local->message, settings->file))
			/* tv_settings_set_error already named file:line. */
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG, "%s",
				    local->message);
		else
			g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
				    "%s%splugin '%s' failed to open: %s",
				    where ? where : "", where ? ": " : "",
				    plugin->name,
				    local ? local->message : "no reason given");
		/* Close what a half-open plugin may have left. */
		if (inst->state != NULL)
			plugin->ops->close(inst->state);
		inst->state = NULL;
		inst->plugin = NULL;
		instance_unref(inst);
		loaded_plugin_free(plugin);
		return NULL;
	}
	inst->key = instance_key(plugin, settings, endpoint, role);
	if (inst->key != NULL)
		inst->files_digest = files_digest(settings->paths);
	return inst;
}

plugin_instance *instance_ref(plugin_instance *inst)
{
	g_atomic_int_inc(&inst->refcount);
	return inst;
}

void instance_unref(plugin_instance *inst)
{
	if (inst == NULL || !g_atomic_int_dec_and_test(&inst->refcount))
		return;
	if (inst->plugin != NULL) {
		inst->plugin->ops->close(inst->state);
		loaded_plugin_free(inst->plugin);
	}
	settings_free(inst->settings);
	g_ptr_array_unref(inst->warnings);
	g_free(inst->endpoint);
	g_free(inst->key);
	g_free(inst->files_digest);
	g_free(inst);
}

bool instance_is_current(const plugin_instance *inst)
{
	g_autofree char *now = NULL;

	if (inst->key == NULL || inst->files_digest == NULL)
		return false;
	now = files_digest(inst->settings->paths);
	return strcmp(now, inst->files_digest) == 0;
}
