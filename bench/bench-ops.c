/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cached vs uncached verification, and the latency of reloading a
 * 1,000-endpoint policy. */
#include "tlsverify/tlsverify.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 7

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static tv_engine *engine_or_die(const char *dir, const char *plugins)
{
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugins, &error);

	if (e == NULL) {
		fprintf(stderr, "%s: %s\n", dir, error->message);
		exit(2);
	}
	return e;
}

/* Verifies @n times at "now"; returns CPU seconds per verification. */
static double run(tv_engine *e, const tv_request *req, int n)
{
	double t0 = cpu_now();

	for (int i = 0; i < n; i++) {
		tv_result *r = NULL;

		if (!tv_engine_verify(e, req, &r, NULL) ||
		    tv_result_get_verdict(r) != TV_VERDICT_TRUSTED) {
			fprintf(stderr, "verification failed: fix the setup\n");
			exit(1);
		}
		tv_result_free(r);
	}
	return (cpu_now() - t0) / n;
}

/* Reload notices would interleave with the table. */
static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *fields,
			      gsize n, gpointer data)
{
	if (level &
	    (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, data);
}

int main(int argc, char **argv)
{
	double uncached[ROUNDS], cached[ROUNDS], reload[ROUNDS];
	g_autofree char *pem = NULL;
	tv_engine *plain, *with_cache, *fleet;
	tv_request *req;
	gsize len;

	g_log_set_writer_func(quiet, NULL, NULL);
	if (argc != 6) {
		fprintf(stderr,
			"usage: %s CHAIN.pem HOST CONF_NOCACHE CONF_CACHE "
			"CONF_1000 (plugin dir in TV_PLUGIN_DIR)\n",
			argv[0]);
		return 2;
	}
	if (!g_file_get_contents(argv[1], &pem, &len, NULL))
		return 2;
	req = tv_request_new(argv[2], 443);
	if (tv_request_add_pem(req, pem, len, false, NULL) < 1)
		return 2;

	plain = engine_or_die(argv[3], g_getenv("TV_PLUGIN_DIR"));
	with_cache = engine_or_die(argv[4], g_getenv("TV_PLUGIN_DIR"));
	fleet = engine_or_die(argv[5], g_getenv("TV_PLUGIN_DIR"));

	/* Interleaved rounds: the contenders share the machine's noise. */
	for (int r = 0; r < ROUNDS; r++) {
		uncached[r] = run(plain, req, 200);
		cached[r] = run(with_cache, req, 200000);
		double t0 = wall_now();
		if (!tv_engine_reload(fleet, NULL))
			return 1;
		reload[r] = wall_now() - t0;
	}
	qsort(uncached, ROUNDS, sizeof(double), cmp_double);
	qsort(cached, ROUNDS, sizeof(double), cmp_double);
	qsort(reload, ROUNDS, sizeof(double), cmp_double);

	printf("%-40s %12s %12s %14s\n", "contender", "min us", "median us",
	       "verifs/s/core");
	printf("%-40s %12.2f %12.2f %14.0f\n", "engine, uncached (pem step)",
	       uncached[0] * 1e6, uncached[ROUNDS / 2] * 1e6,
	       1 / uncached[ROUNDS / 2]);
	printf("%-40s %12.3f %12.3f %14.0f\n", "engine, cache hit",
	       cached[0] * 1e6, cached[ROUNDS / 2] * 1e6,
	       1 / cached[ROUNDS / 2]);
	printf("cache speed-up (median): %.0fx\n",
	       uncached[ROUNDS / 2] / cached[ROUNDS / 2]);
	printf("reload of a 1,000-endpoint policy (wall): min %.1f ms, median "
	       "%.1f ms\n",
	       reload[0] * 1e3, reload[ROUNDS / 2] * 1e3);

	tv_request_free(req);
	tv_engine_free(plain);
	tv_engine_free(with_cache);
	tv_engine_free(fleet);
	return 0;
}
