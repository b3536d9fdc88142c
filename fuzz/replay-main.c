/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target once on every file named, or found in a directory
 * named, on the command line: the corpus replay of builds without
 * libFuzzer.  Arguments starting with '-' (libFuzzer options) are
 * ignored, so the same command line works for both builds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned runs;

static void run_file(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &error)) {
		fprintf(stderr, "replay: %s\n", error->message);
		exit(1);
	}
	/* Named first, so a crash log says which input it was. */
	printf("replay: %s\n", path);
	fflush(stdout);
	/* A copy of exactly @len bytes, so ASan sees reads past the end. */
	{
		g_autofree uint8_t *exact = g_memdup2(data, len);

		LLVMFuzzerTestOneInput(exact, len);
	}
	runs++;
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GDir) dir = NULL;
	const char *entry;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		run_file(path);
		return;
	}
	dir = g_dir_open(path, 0, NULL);
	if (dir == NULL) {
		fprintf(stderr, "replay: cannot open directory %s\n", path);
		exit(1);
	}
	/* Sorted, so a failing run names the same input every time. */
	names = g_ptr_array_new_with_free_func(g_free);
	while ((entry = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_build_filename(path, entry, NULL));
	g_ptr_array_sort(names, compare_paths);
	for (guint i = 0; i < names->len; i++)
		if (g_file_test(names->pdata[i], G_FILE_TEST_IS_REGULAR))
			run_file(names->pdata[i]);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			run_path(argv[i]);
	if (runs == 0) {
		fprintf(stderr, "usage: %s FILE|DIR...: no input found\n",
			argv[0]);
		return 1;
	}
	printf("%s: replayed %u inputs\n", argv[0], runs);
	return 0;
}
