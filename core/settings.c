/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed accessors plugins use to read their step's settings. */
#include "settings.h"
#include "error.h"

#include <stdarg.h>

static void setting_free(setting *s)
{
	g_free(s->key);
	g_free(s->string);
	g_strfreev(s->strv);
	settings_free(s->group);
	g_free(s->location);
	g_free(s);
}

tv_settings *settings_new(const char *file, const char *base_dir, int line)
{
	tv_settings *s = g_new0(tv_settings, 1);

	s->refcount = 1;
	s->paths = g_ptr_array_new_with_free_func(g_free);
	s->file = g_strdup(file);
	s->base_dir = g_strdup(base_dir);
	s->line = line;
	s->location = g_strdup_printf("%s:%d", file, line);
	s->items = g_ptr_array_new_with_free_func((GDestroyNotify)setting_free);
	return s;
}

tv_settings *settings_ref(tv_settings *s)
{
	g_atomic_int_inc(&s->refcount);
	return s;
}

void settings_free(tv_settings *s)
{
	if (s == NULL || !g_atomic_int_dec_and_test(&s->refcount))
		return;
	g_ptr_array_unref(s->paths);
	g_free(s->file);
	g_free(s->base_dir);
	g_free(s->location);
	g_ptr_array_unref(s->items);
	g_free(s);
}

setting *settings_add(tv_settings *settings, const char *key, setting_type type,
		      int line)
{
	setting *s = g_new0(setting, 1);

	s->key = g_strdup(key);
	s->type = type;
	s->line = line;
	s->location = g_strdup_printf("%s:%d", settings->file, line);
	g_ptr_array_add(settings->items, s);
	return s;
}

setting *settings_lookup(const tv_settings *settings, const char *key)
{
	for (unsigned i = 0; i < settings->items->len; i++) {
		setting *s = settings->items->pdata[i];
		if (strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

/*
 * Accessors take a const tv_settings (plugins must not change their
 * settings) but record which keys were read; the record is the only
 * mutable part and is written only during open(), single-threaded.
 */
static setting *lookup_and_mark(const tv_settings *settings, const char *key)
{
	setting *s = settings_lookup(settings, key);

	if (s != NULL)
		s->read = true;
	return s;
}

void settings_mark_read(const tv_settings *settings, const char *key)
{
	(void)lookup_and_mark(settings, key);
}

static const char *type_name(setting_type t)
{
	switch (t) {
	case SETTING_STRING:
		return "a string";
	case SETTING_BOOL:
		return "a boolean";
	case SETTING_INT:
		return "an integer";
	case SETTING_FLOAT:
		return "a number";
	case SETTING_STRV:
		return "a list of strings";
	case SETTING_GROUP:
		return "a group";
	case SETTING_OTHER:
		break;
	}
	return "a list";
}

static bool wrong_type(const tv_settings *settings, const setting *s,
		       const char *wanted, GError **error)
{
	g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
		    "%s:%d: key '%s' must be %s, not %s", settings->file,
		    s->line, s->key, wanted, type_name(s->type));
	return false;
}

/*
 * The setting @key, marked read: *@out is NULL when absent (true), the
 * setting when it has @type (true), NULL with @error otherwise (false).
 */
static bool lookup_typed(const tv_settings *settings, const char *key,
			 setting_type type, const char *wanted, setting **out,
			 GError **error)
{
	*out = lookup_and_mark(settings, key);
	if (*out == NULL || (*out)->type == type)
		return true;
	wrong_type(settings, *out, wanted, error);
	*out = NULL;
	return false;
}

bool tv_settings_has(const tv_settings *settings, const char *key)
{
	g_return_val_if_fail(settings != NULL && key != NULL, false);
	return settings_lookup(settings, key) != NULL;
}

bool tv_settings_get_string(const tv_settings *settings, const char *key,
			    const char **out, GError **error)
{
	setting *s;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!lookup_typed(settings, key, SETTING_STRING, "a string", &s, error))
		return false;
	if (s != NULL)
		*out = s->string;
	return true;
}

bool tv_settings_get_bool(const tv_settings *settings, const char *key,
			  bool *out, GError **error)
{
	setting *s;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!lookup_typed(settings, key, SETTING_BOOL, "a boolean (true/false)",
			  &s, error))
		return false;
	if (s != NULL)
		*out = s->boolean;
	return true;
}

bool tv_settings_get_int(const tv_settings *settings, const char *key,
			 int64_t *out, GError **error)
{
	setting *s;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!lookup_typed(settings, key, SETTING_INT, "an integer", &s, error))
		return false;
	if (s != NULL)
		*out = s->integer;
	return true;
}

bool tv_settings_get_strv(const tv_settings *settings, const char *key,
			  char ***out, GError **error)
{
	setting *s;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	s = lookup_and_mark(settings, key);
	if (s == NULL)
		return true;
	if (s->type == SETTING_STRING) {
		char *one[] = {s->string, NULL};
		*out = g_strdupv(one);
		return true;
	}
	if (s->type != SETTING_STRV)
		return wrong_type(settings, s, "a string or a list of strings",
				  error);
	*out = g_strdupv(s->strv);
	return true;
}

static char *resolve(const tv_settings *settings, const char *path)
{
	if (g_path_is_absolute(path))
		return g_strdup(path);
	return g_build_filename(settings->base_dir, path, NULL);
}

bool tv_settings_get_path(const tv_settings *settings, const char *key,
			  char **out, GError **error)
{
	const char *value = NULL;
	setting *s;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!tv_settings_get_string(settings, key, &value, error))
		return false;
	if (value == NULL)
		return true;
	if (*value == '\0') {
		s = settings_lookup(settings, key);
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: key '%s' must not be empty", settings->file,
			    s->line, key);
		return false;
	}
	*out = resolve(settings, value);
	g_ptr_array_add(settings->paths, g_strdup(*out));
	return true;
}

bool tv_settings_get_pathv(const tv_settings *settings, const char *key,
			   char ***out, GError **error)
{
	char **values = NULL;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!tv_settings_get_strv(settings, key, &values, error))
		return false;
	if (values == NULL)
		return true;
	for (char **v = values; *v != NULL; v++) {
		char *abs;

		if (**v == '\0') {
			setting *s = settings_lookup(settings, key);
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: key '%s' holds an empty path",
				    settings->file, s->line, key);
			g_strfreev(values);
			return false;
		}
		abs = resolve(settings, *v);
		g_free(*v);
		*v = abs;
		g_ptr_array_add(settings->paths, g_strdup(abs));
	}
	*out = values;
	return true;
}

bool tv_settings_get_time(const tv_settings *settings, const char *key,
			  int64_t *out, GError **error)
{
	const char *value = NULL;
	GError *local = NULL;
	int64_t t;

	g_return_val_if_fail(settings != NULL && key != NULL && out != NULL,
			     false);
	if (!tv_settings_get_string(settings, key, &value, error))
		return false;
	if (value == NULL)
		return true;
	if (!tv_time_parse(value, &t, &local)) {
		setting *s = settings_lookup(settings, key);
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: key '%s': %s", settings->file, s->line, key,
			    local->message);
		g_error_free(local);
		return false;
	}
	*out = t;
	return true;
}

const char *tv_settings_get_location(const tv_settings *settings,
				     const char *key)
{
	const setting *s;

	g_return_val_if_fail(settings != NULL, NULL);
	s = key != NULL ? settings_lookup(settings, key) : NULL;
	return s != NULL ? s->location : settings->location;
}

void tv_settings_set_error(const tv_settings *settings, const char *key,
			   GError **error, const char *format, ...)
{
	g_autofree char *msg = NULL;
	setting *s = NULL;
	va_list ap;

	g_return_if_fail(settings != NULL && format != NULL);
	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	error_elide(&msg);
	if (key != NULL)
		s = settings_lookup(settings, key);
	if (s != NULL)
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: key '%s': %s", settings->file, s->line, key,
			    msg);
	else if (key != NULL)
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s: key '%s': %s", settings->location, key, msg);
	else
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG, "%s: %s",
			    settings->location, msg);
}

void tv_settings_warn(const tv_settings *settings, const char *key,
		      const char *format, ...)
{
	g_autofree char *msg = NULL;
	setting *s = NULL;
	va_list ap;

	g_return_if_fail(settings != NULL && format != NULL);
	if (settings->warnings == NULL)
		return;
	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	error_elide(&msg);
	if (key != NULL)
		s = settings_lookup(settings, key);
	if (s != NULL)
		g_ptr_array_add(settings->warnings,
				g_strdup_printf("%s:%d: key '%s': %s",
						settings->file, s->line, key,
						msg));
	else
		g_ptr_array_add(
			settings->warnings,
			g_strdup_printf("%s: %s", settings->location, msg));
}

bool settings_check_all_read(const tv_settings *settings, const char *plugin,
			     GError **error)
{
	for (unsigned i = 0; i < settings->items->len; i++) {
		setting *s = settings->items->pdata[i];

		if (!s->read) {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: unknown key '%s' for plugin '%s'",
				    settings->file, s->line, s->key, plugin);
			return false;
		}
	}
	return true;
}

static void hash_settings(GChecksum *h, const tv_settings *settings)
{
	for (unsigned i = 0; i < settings->items->len; i++) {
		const setting *it = settings->items->pdata[i];
		char num[32];

		g_checksum_update(h, (const guchar *)it->key, -1);
		g_snprintf(num, sizeof(num), "|%d|", (int)it->type);
		g_checksum_update(h, (const guchar *)num, -1);
		switch (it->type) {
		case SETTING_STRING:
			g_checksum_update(h, (const guchar *)it->string, -1);
			break;
		case SETTING_BOOL:
			g_checksum_update(
				h, (const guchar *)(it->boolean ? "1" : "0"),
				1);
			break;
		case SETTING_INT:
			g_snprintf(num, sizeof(num), "%" G_GINT64_FORMAT,
				   (gint64)it->integer);
			g_checksum_update(h, (const guchar *)num, -1);
			break;
		case SETTING_FLOAT:
			g_ascii_dtostr(num, sizeof(num), it->real);
			g_checksum_update(h, (const guchar *)num, -1);
			break;
		case SETTING_STRV:
			for (char **v = it->strv; *v != NULL; v++) {
				g_checksum_update(h, (const guchar *)*v, -1);
				g_checksum_update(h, (const guchar *)"\x1f", 1);
			}
			break;
		case SETTING_GROUP:
			hash_settings(h, it->group);
			break;
		case SETTING_OTHER:
			break;
		}
		/* Separates values; no key or value holds a NUL. */
		g_checksum_update(h, (const guchar *)"\x1e", 1);
	}
}

char *settings_fingerprint(const tv_settings *settings)
{
	g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(h, (const guchar *)settings->base_dir, -1);
	g_checksum_update(h, (const guchar *)"\x1d", 1);
	hash_settings(h, settings);
	return g_strdup(g_checksum_get_string(h));
}
