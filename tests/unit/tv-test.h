/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CUnit harness shared by the unit programs: run, report, exit non-zero on any
 * failure. */
#ifndef TV_TESTS_UNIT_TV_TEST_H
#define TV_TESTS_UNIT_TV_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>
#include <glib.h>

/* Environment set by tests/local.mk; abort loudly when run by hand without it.
 */
static inline const char *tv_test_env(const char *name)
{
	const char *v = g_getenv(name);
	if (v == NULL || *v == '\0') {
		fprintf(stderr, "%s is not set: run through make check\n",
			name);
		exit(99);
	}
	return v;
}

/* Fresh empty directory under $TV_TMPDIR; caller g_free()s the path. */
static inline char *tv_test_mkdtemp(const char *tag)
{
	char *tmpl =
		g_strdup_printf("%s/%s-XXXXXX", tv_test_env("TV_TMPDIR"), tag);
	g_mkdir_with_parents(tv_test_env("TV_TMPDIR"), 0755);
	if (g_mkdtemp_full(tmpl, 0755) == NULL) {
		perror(tmpl);
		exit(99);
	}
	return tmpl;
}

/* Writes @text to @dir/@name (0644). */
static inline void tv_test_write(const char *dir, const char *name,
				 const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	GError *error = NULL;
	if (!g_file_set_contents_full(path, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				      &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
	g_free(path);
}

static inline int tv_test_run(CU_SuiteInfo *suites)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cunit: %s\n", CU_get_error_msg());
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1; /* a program that ran nothing has not passed */
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

#endif
