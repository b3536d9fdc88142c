/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last known good bundle on disk, written atomically. */
#ifndef TV_DISCOVERY_CACHE_FILE_H
#define TV_DISCOVERY_CACHE_FILE_H

#include "bundle.h"

/*
 * Saves @b (its anchors per trust domain, version) with @saved (wall
 * seconds) to @path: a temporary file, fsync, rename over, so a reader
 * sees the old file or the new one, never a part.  Mode 0600.
 */
bool dsc_cache_file_save(const char *path, const dsc_bundle *b, gint64 saved,
			 GError **error);

/*
 * Loads the cache at @path: @parsed (scope -> dsc_parsed, freed by the
 * table) is filled with its anchors; @version (transfer full) and @saved
 * set.  Returns false with @error when it is missing or malformed.
 */
bool dsc_cache_file_load(const char *path, GHashTable **parsed, char **version,
			 gint64 *saved, GError **error);

/* A table scope -> dsc_parsed * whose values are cleared and freed. */
GHashTable *dsc_parsed_table_new(void);

#endif
