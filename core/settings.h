/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A step's settings copied out of libconfig, with file:line per key. */
#ifndef TV_CORE_SETTINGS_H
#define TV_CORE_SETTINGS_H

#include "tlsverify/plugin.h"

typedef enum {
	SETTING_STRING,
	SETTING_BOOL,
	SETTING_INT,
	SETTING_FLOAT,
	SETTING_STRV,  /* list or array of strings */
	SETTING_GROUP, /* nested group */
	SETTING_OTHER, /* list of non-strings: readable by no accessor */
} setting_type;

typedef struct {
	char *key;
	setting_type type;
	int line;
	char *string;
	bool boolean;
	int64_t integer;
	double real;
	char **strv;
	tv_settings *group;
	char *location; /* "file:line" of this key */
	bool read; /* set by accessors through a const pointer: see below */
} setting;

struct tv_settings {
	gint refcount;
	char *file;	     /* policy file path as shown in messages */
	char *base_dir;	     /* relative paths resolve against this */
	int line;	     /* line of the group itself */
	char *location;	     /* "file:line" */
	GPtrArray *items;    /* setting*, in file order */
	GPtrArray *warnings; /* borrowed: where open()'s lint goes */
	GPtrArray *paths;    /* char*: every path resolved for the plugin */
};

tv_settings *settings_new(const char *file, const char *base_dir, int line);
tv_settings *settings_ref(tv_settings *settings);
/* Drops a reference (plugin instances keep theirs until close). */
void settings_free(tv_settings *settings);

/* SHA-256 (hex) over the base directory and every key, type and value,
 * lines excluded: equal when a plugin would see equal settings. */
char *settings_fingerprint(const tv_settings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_settings, settings_free)

/* Appends a setting (transfer full of the returned slot's contents). */
setting *settings_add(tv_settings *settings, const char *key, setting_type type,
		      int line);
setting *settings_lookup(const tv_settings *settings, const char *key);

/* Marks @key read without reading it (keys the core consumes itself). */
void settings_mark_read(const tv_settings *settings, const char *key);

/* Fails with "file:line: unknown key 'k' for plugin 'p'" for the first key
 * no accessor read. */
bool settings_check_all_read(const tv_settings *settings, const char *plugin,
			     GError **error);

#endif
