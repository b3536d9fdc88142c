/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the fuzz targets share: quiet logs that still trap criticals,
 * the plugin directory, and a scratch policy directory. */
#ifndef TV_FUZZ_FUZZ_UTIL_H
#define TV_FUZZ_FUZZ_UTIL_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

/* The entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Drops log messages (a rejected policy logs nothing worth the time), but
 * a critical is a g_return_if_fail that fired: a bug, so abort where the
 * fuzzer sees it.
 */
static inline GLogWriterOutput fuzz_log_writer(GLogLevelFlags level,
					       const GLogField *fields,
					       gsize n_fields, gpointer data)
{
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
		g_log_writer_standard_streams(level, fields, n_fields, data);
		abort();
	}
	return G_LOG_WRITER_HANDLED;
}

static inline void fuzz_quiet_logs(void)
{
	static bool done;

	if (!done)
		g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
	done = true;
}

/*
 * Maps every plugin of @dir for good.  libFuzzer keeps pointers to the
 * coverage counters of each instrumented object and writes to them
 * before every run: once an engine is freed and dlclose()s a plugin,
 * those writes hit unmapped memory.  With this reference held the
 * loader's dlclose() leaves the plugin mapped.
 */
static inline void fuzz_keep_plugins(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *entry;

	while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = NULL;

		if (!g_str_has_suffix(entry, ".so"))
			continue;
		path = g_build_filename(dir, entry, NULL);
		if (dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) ==
		    NULL) {
			fprintf(stderr, "fuzz: %s\n", dlerror());
			exit(1);
		}
	}
}

/* The build tree's plugins: $TV_BUILD_PLUGIN_DIR (set by make check and
 * make fuzz-smoke), else the one of the tree this was built in. */
static inline const char *fuzz_plugin_dir(void)
{
	static const char *dir;

	if (dir == NULL) {
		dir = g_getenv("TV_BUILD_PLUGIN_DIR");
		if (dir == NULL || *dir == '\0')
			dir = FUZZ_BUILD_PLUGIN_DIR;
		fuzz_keep_plugins(dir);
	}
	return dir;
}

static char *fuzz_scratch_path;

static inline void fuzz_scratch_remove(void)
{
	g_autoptr(GDir) dir = g_dir_open(fuzz_scratch_path, 0, NULL);
	const char *entry;

	while (dir != NULL && (entry = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path =
			g_build_filename(fuzz_scratch_path, entry, NULL);
		g_unlink(path);
	}
	g_rmdir(fuzz_scratch_path);
}

/*
 * A private directory per process, made on first use and removed with
 * its files at exit: the conf.d of the policy targets.  Made once, so an
 * input costs one file write.  Exits when it cannot be made: a fuzzer
 * without it would test nothing.
 */
static inline const char *fuzz_scratch_dir(void)
{
	g_autoptr(GError) error = NULL;

	if (fuzz_scratch_path != NULL)
		return fuzz_scratch_path;
	fuzz_scratch_path = g_dir_make_tmp("tlsverify-fuzz-XXXXXX", &error);
	if (fuzz_scratch_path == NULL) {
		fprintf(stderr, "fuzz: %s\n", error->message);
		exit(1);
	}
	atexit(fuzz_scratch_remove);
	return fuzz_scratch_path;
}

/* Replaces scratch file @name with @len bytes of @data; exits on failure
 * (a full /tmp must not pass for "the policy was rejected"). */
static inline void fuzz_scratch_write(const char *name, const void *data,
				      size_t len)
{
	g_autofree char *path =
		g_build_filename(fuzz_scratch_dir(), name, NULL);
	FILE *f = fopen(path, "wb");

	/* fwrite's buffer must not be NULL, even for 0 bytes (an empty input
	 * arrives as NULL). */
	if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

#endif
