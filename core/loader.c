/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen of trust plugins by plain name from one trusted directory. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

bool loader_name_is_valid(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_' ||
		      *c == '-'))
			return false;
	return true;
}

bool loader_check_dir(const char *dir, GError **error)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin directory %s: %s", dir, g_strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin directory %s is not a directory", dir);
		return false;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin directory %s is writable by group or "
			    "others (mode %04o): refusing to load plugins "
			    "from it",
			    dir, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

bool loader_path_is(const loaded_plugin *p, const char *dir, const char *name)
{
	g_autofree char *file = g_strconcat(name, ".so", NULL);
	g_autofree char *path = g_build_filename(dir, file, NULL);

	return strcmp(p->path, path) == 0;
}

loaded_plugin *loaded_plugin_ref(loaded_plugin *p)
{
	g_atomic_int_inc(&p->refcount);
	return p;
}

void loaded_plugin_free(loaded_plugin *p)
{
	if (p == NULL || !g_atomic_int_dec_and_test(&p->refcount))
		return;
	if (p->handle != NULL)
		dlclose(p->handle);
	g_free(p->name);
	g_free(p->path);
	g_free(p);
}

tv_client_cert *(*loader_credentials_fn(const loaded_plugin *p))(
	void *, const tv_request *)
{
	if (p->ops->abi_minor < 1)
		return NULL;
	return p->ops->credentials;
}

void (*loader_describe_fn(const loaded_plugin *p))(void *, tv_describe *)
{
	if (p->ops->abi_minor < 2)
		return NULL;
	return p->ops->describe;
}

static bool check_ops(const tv_plugin_ops *ops, const char *name,
		      const char *path, GError **error)
{
	const char *missing = NULL;

	if (ops->abi_major != TV_PLUGIN_ABI_MAJOR) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s: ABI %u.%u, this engine speaks %u.x",
			    path, ops->abi_major, ops->abi_minor,
			    TV_PLUGIN_ABI_MAJOR);
		return false;
	}
	if (ops->name == NULL)
		missing = "name";
	else if (ops->summary == NULL)
		missing = "summary";
	else if (ops->open == NULL)
		missing = "open";
	else if (ops->verify == NULL)
		missing = "verify";
	else if (ops->close == NULL)
		missing = "close";
	if (missing != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s: required member '%s' is NULL", path,
			    missing);
		return false;
	}
	if (strcmp(ops->name, name) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s calls itself '%s': a plugin's name must "
			    "equal its file name",
			    path, ops->name);
		return false;
	}
	return true;
}

loaded_plugin *loader_load(const char *dir, const char *name, GError **error)
{
	g_autoptr(loaded_plugin) p = NULL;
	tv_plugin_get_ops_fn get_ops;
	struct stat st;
	const char *err;

	if (!loader_name_is_valid(name)) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "invalid plugin name '%s': expected [a-z0-9_-]+",
			    name);
		return NULL;
	}
	p = g_new0(loaded_plugin, 1);
	p->refcount = 1;
	p->name = g_strdup(name);
	{
		g_autofree char *file = g_strconcat(name, ".so", NULL);
		p->path = g_build_filename(dir, file, NULL);
	}

	if (stat(p->path, &st) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin '%s' not found: %s: %s", name, p->path,
			    g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s is not a regular file", p->path);
		return NULL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s is writable by group or others (mode "
			    "%04o): refusing to load it",
			    p->path, (unsigned)(st.st_mode & 07777));
		return NULL;
	}

	/* RTLD_LOCAL: plugins never see each other's symbols. */
	p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (p->handle == NULL) {
		err = dlerror();
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "cannot load plugin %s: %s", p->path,
			    err ? err : "unknown error");
		return NULL;
	}
	dlerror();
	*(void **)&get_ops = dlsym(p->handle, TV_PLUGIN_ENTRY);
	err = dlerror();
	if (get_ops == NULL || err != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s does not export %s: %s", p->path,
			    TV_PLUGIN_ENTRY, err ? err : "symbol is NULL");
		return NULL;
	}
	p->ops = get_ops();
	if (p->ops == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "plugin %s: %s() returned NULL", p->path,
			    TV_PLUGIN_ENTRY);
		return NULL;
	}
	if (!check_ops(p->ops, name, p->path, error))
		return NULL;
	return g_steal_pointer(&p);
}

static void info_free(tv_plugin_info *info)
{
	g_free(info->name);
	g_free(info->path);
	g_free(info->summary);
	g_free(info->error);
	g_free(info);
}

static int info_compare(gconstpointer a, gconstpointer b)
{
	const tv_plugin_info *x = *(tv_plugin_info *const *)a;
	const tv_plugin_info *y = *(tv_plugin_info *const *)b;

	return strcmp(x->name, y->name);
}

GPtrArray *tv_plugins_scan(const char *dir, GError **error)
{
	g_autoptr(GDir) d = NULL;
	GPtrArray *out;
	const char *entry;

	g_return_val_if_fail(dir != NULL, NULL);
	if (!loader_check_dir(dir, error))
		return NULL;
	d = g_dir_open(dir, 0, error);
	if (d == NULL)
		return NULL;

	out = g_ptr_array_new_with_free_func((GDestroyNotify)info_free);
	while ((entry = g_dir_read_name(d)) != NULL) {
		g_autoptr(GError) local = NULL;
		g_autoptr(loaded_plugin) p = NULL;
		tv_plugin_info *info;

		if (!g_str_has_suffix(entry, ".so"))
			continue;
		info = g_new0(tv_plugin_info, 1);
		info->name = g_strndup(entry, strlen(entry) - 3);
		info->path = g_build_filename(dir, entry, NULL);
		p = loader_load(dir, info->name, &local);
		if (p == NULL) {
			info->error = g_strdup(local->message);
		} else {
			info->abi_major = p->ops->abi_major;
			info->abi_minor = p->ops->abi_minor;
			info->summary = g_strdup(p->ops->summary);
		}
		g_ptr_array_add(out, info);
	}
	g_ptr_array_sort(out, info_compare);
	return out;
}
