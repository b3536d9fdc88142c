/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for tests that build a real engine: conf dirs, plugin dirs, requests.
 */
#ifndef TV_TESTS_UNIT_TV_ENGINE_TEST_H
#define TV_TESTS_UNIT_TV_ENGINE_TEST_H

#include "tv-test.h"
#include "tlsverify/tlsverify.h"

#include <sys/stat.h>

/* 2026-06-01T00:00:00Z: inside every "good" fixture's validity. */
#define TV_TEST_TIME 1780272000

/* Copies @src to @dir/@name with mode 0755. */
static inline void tv_test_copy_plugin(const char *src, const char *dir,
				       const char *name)
{
	g_autofree char *data = NULL;
	g_autofree char *dst = NULL;
	gsize len = 0;
	GError *error = NULL;

	if (!g_file_get_contents(src, &data, &len, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
	dst = g_build_filename(dir, name, NULL);
	if (!g_file_set_contents(dst, data, (gssize)len, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
	chmod(dst, 0755);
}

/* A fresh plugin dir holding the named plugins ("mock", "pem", ...). */
static inline char *tv_test_plugin_dir(const char *const *names)
{
	char *dir = tv_test_mkdtemp("plugins");

	chmod(dir, 0755);
	for (; *names != NULL; names++) {
		g_autofree char *file = g_strconcat(*names, ".so", NULL);
		const char *from = g_str_has_prefix(*names, "mock")
					   ? tv_test_env("TV_MOCK_DIR")
					   : tv_test_env("TV_BUILD_PLUGIN_DIR");
		g_autofree char *src = g_build_filename(from, file, NULL);
		tv_test_copy_plugin(src, dir, file);
	}
	return dir;
}

/* A conf dir with one file @name holding @text. */
static inline char *tv_test_conf(const char *name, const char *text)
{
	char *dir = tv_test_mkdtemp("conf");

	tv_test_write(dir, name, text);
	return dir;
}

/* Path of fixture @name in $TV_FIXTURES; caller g_free()s it. */
static inline char *tv_test_fixture(const char *name)
{
	return g_build_filename(tv_test_env("TV_FIXTURES"), name, NULL);
}

/* The first trace line of @plugin in @result, NULL when it did not run. */
static inline const tv_trace_entry *tv_test_find_step(const tv_result *result,
						      const char *plugin)
{
	for (size_t i = 0; i < tv_result_get_trace_length(result); i++) {
		const tv_trace_entry *e = tv_result_get_trace_entry(result, i);

		if (e != NULL && g_strcmp0(e->plugin, plugin) == 0)
			return e;
	}
	return NULL;
}

/* Request for @host with the fixture chain @file at TV_TEST_TIME. */
static inline tv_request *tv_test_request(const char *host, const char *file)
{
	g_autofree char *path =
		g_build_filename(tv_test_env("TV_FIXTURES"), file, NULL);
	g_autofree char *pem = NULL;
	gsize len = 0;
	GError *error = NULL;
	tv_request *r = tv_request_new(host, 443);

	if (!g_file_get_contents(path, &pem, &len, &error) ||
	    tv_request_add_pem(r, pem, len, false, &error) < 1) {
		fprintf(stderr, "%s: %s\n", path, error->message);
		exit(99);
	}
	tv_request_set_time(r, TV_TEST_TIME);
	return r;
}

#endif
