/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Issue-8 targets 4, 7, 8 and 9: a trust step that misses, measured alone;
 * two threads on one engine; reloading a 150-anchor pem source; its
 * memory.  Linked with the testable library to reach one step directly. */
#include "chain.h"
#include "engine.h"
#include "request.h"
#include "snapshot.h"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__has_include) && __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TV_BENCH_CALLGRIND 1
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(label) (void)(label)
#endif

#define HOST "leaf.example.test"
#define MAX_ROUNDS 101

static const char *const chain_names[] = {"rsa2048", "rsa4096", "p256",
					  "ed25519", "rsa2048-5"};

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

G_GNUC_NORETURN static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-targets: %s: %s\n", what, detail);
	exit(2);
}

static tv_engine *engine_open(const char *dir, const char *plugins)
{
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugins, &error);

	if (e == NULL)
		die(dir, error->message);
	return e;
}

/* The request for OUT/CHAIN/chain.pem (leaf first). */
static tv_request *request_for(const char *out, const char *chain)
{
	g_autofree char *file = g_strdup_printf("%s/%s/chain.pem", out, chain);
	g_autofree char *pem = NULL;
	tv_request *r = tv_request_new(HOST, 443);
	gsize len;

	if (!g_file_get_contents(file, &pem, &len, NULL) ||
	    tv_request_add_pem(r, pem, len, false, NULL) < 1)
		die("cannot read chain", file);
	return r;
}

/* ---- target 4: one trust step whose store lacks the root -------------- */

typedef struct {
	const char *name;
	tv_engine *engine;
	snapshot *snap;
	const snap_step *step;
	tv_request *req;
	tv_chain chain;
	gnutls_x509_trust_list_t list; /* the same store, no index */
	double t_step[MAX_ROUNDS], t_gnutls[MAX_ROUNDS];
	int batch_step, batch_gnutls;
} miss_case;

static void step_once(miss_case *m)
{
	tv_step_result sr = {0, NULL, 0};
	tv_step_verdict v = m->step->plugin->ops->verify(m->step->state, m->req,
							 &m->chain, &sr);

	if (v != TV_STEP_FAIL || !(sr.reasons & TV_REASON_UNTRUSTED))
		die(m->name, "the system step did not miss: fix the setup");
	step_result_clear(&sr);
}

/* What the step cost before the index: the same store (1021 buckets),
 * the same flags as tv_trust_list_verify. */
static void gnutls_miss_once(miss_case *m)
{
	unsigned status = 0;

	if (gnutls_x509_trust_list_verify_crt2(
		    m->list, m->chain.crts, (unsigned)m->chain.len, NULL, 0,
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
			    GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN,
		    &status, NULL) < 0 ||
	    status == 0)
		die(m->name, "GnuTLS accepted the chain: fix the setup");
}

static void miss_setup(miss_case *m, const char *out, const char *plugins,
		       const char *name)
{
	g_autofree char *conf = g_strdup_printf("%s/conf/%s-sys", out, name);
	uint32_t bad = 0;
	char *msg = NULL;
	const snap_endpoint *ep;

	m->name = name;
	m->engine = engine_open(conf, plugins);
	m->snap = engine_acquire(m->engine);
	ep = snapshot_match(m->snap, HOST, 443);
	if (ep->steps->len != 1)
		die(conf, "expected one step");
	m->step = ep->steps->pdata[0];
	m->req = request_for(out, name);
	if (!chain_build(&m->chain, m->req, g_get_real_time() / G_USEC_PER_SEC,
			 &bad, &msg))
		die(name, msg);
	if (gnutls_x509_trust_list_init(&m->list, 1021) < 0 ||
	    gnutls_x509_trust_list_add_system_trust(m->list, 0, 0) <= 0)
		die("system trust", "cannot load");
	step_once(m);
	gnutls_miss_once(m);
	m->batch_step = 20000;
	m->batch_gnutls = 200;
}

static void miss_free(miss_case *m)
{
	chain_clear(&m->chain);
	tv_request_free(m->req);
	snapshot_unref(m->snap);
	tv_engine_free(m->engine);
	gnutls_x509_trust_list_deinit(m->list, 1);
}

static void run_miss(const char *out, const char *plugins, int rounds,
		     bool callgrind)
{
	miss_case m[G_N_ELEMENTS(chain_names)];
	size_t n = G_N_ELEMENTS(chain_names);

	for (size_t i = 0; i < n; i++)
		miss_setup(&m[i], out, plugins, chain_names[i]);
	if (callgrind) {
		CALLGRIND_START_INSTRUMENTATION;
		for (size_t i = 0; i < n; i++) {
			char label[128];

			snprintf(label, sizeof label, "ir %s step-miss 200",
				 m[i].name);
			CALLGRIND_ZERO_STATS;
			CALLGRIND_TOGGLE_COLLECT;
			for (int j = 0; j < 200; j++)
				step_once(&m[i]);
			CALLGRIND_TOGGLE_COLLECT;
			CALLGRIND_DUMP_STATS_AT(label);
			snprintf(label, sizeof label,
				 "ir %s gnutls-miss-1021 20", m[i].name);
			CALLGRIND_ZERO_STATS;
			CALLGRIND_TOGGLE_COLLECT;
			for (int j = 0; j < 20; j++)
				gnutls_miss_once(&m[i]);
			CALLGRIND_TOGGLE_COLLECT;
			CALLGRIND_DUMP_STATS_AT(label);
		}
	} else {
		for (int r = 0; r < rounds; r++)
			for (size_t i = 0; i < n; i++) {
				double t0 = cpu_now();

				for (int j = 0; j < m[i].batch_step; j++)
					step_once(&m[i]);
				m[i].t_step[r] =
					(cpu_now() - t0) / m[i].batch_step;
				t0 = cpu_now();
				for (int j = 0; j < m[i].batch_gnutls; j++)
					gnutls_miss_once(&m[i]);
				m[i].t_gnutls[r] =
					(cpu_now() - t0) / m[i].batch_gnutls;
			}
		printf("%-10s %-22s %10s %10s %9s\n", "chain", "contender",
		       "min_us", "median_us", "x_gnutls");
		for (size_t i = 0; i < n; i++) {
			qsort(m[i].t_step, (size_t)rounds, sizeof(double),
			      cmp_double);
			qsort(m[i].t_gnutls, (size_t)rounds, sizeof(double),
			      cmp_double);
			printf("%-10s %-22s %10.3f %10.3f %9.4f\n", m[i].name,
			       "step-miss", m[i].t_step[0] * 1e6,
			       m[i].t_step[rounds / 2] * 1e6,
			       m[i].t_step[rounds / 2] /
				       m[i].t_gnutls[rounds / 2]);
			printf("%-10s %-22s %10.3f %10.3f %9.4f\n", m[i].name,
			       "gnutls-miss-1021", m[i].t_gnutls[0] * 1e6,
			       m[i].t_gnutls[rounds / 2] * 1e6, 1.0);
		}
	}
	for (size_t i = 0; i < n; i++)
		miss_free(&m[i]);
}

/* ---- target 7: two threads, one engine -------------------------------- */

typedef struct {
	tv_engine *engine;
	tv_request *req;
	double seconds;
	long ops;
	double cpu;
} worker;

static gpointer work(gpointer data)
{
	worker *w = data;
	double c0 = cpu_now(), end = wall_now() + w->seconds;

	w->ops = 0;
	while (wall_now() < end) {
		for (int i = 0; i < 10; i++) {
			tv_result *res = NULL;

			if (!tv_engine_verify(w->engine, w->req, &res, NULL) ||
			    tv_result_get_verdict(res) != TV_VERDICT_TRUSTED)
				die("threads", "verification failed");
			tv_result_free(res);
		}
		w->ops += 10;
	}
	w->cpu = cpu_now() - c0;
	return NULL;
}

/* Throughput in verifications per wall second with @n threads, and CPU
 * seconds per verification. */
static void run_threads_once(tv_engine *e, tv_request *req, int n,
			     double seconds, double *rate, double *cpu_per_op,
			     double *cores)
{
	worker w[2];
	GThread *t[2];
	double w0 = wall_now(), wall, cpu = 0;
	long ops = 0;

	for (int i = 0; i < n; i++) {
		w[i] = (worker){e, req, seconds, 0, 0};
		t[i] = g_thread_new("bench", work, &w[i]);
	}
	for (int i = 0; i < n; i++) {
		g_thread_join(t[i]);
		ops += w[i].ops;
		cpu += w[i].cpu;
	}
	wall = wall_now() - w0;
	*rate = (double)ops / wall;
	*cpu_per_op = cpu / (double)ops;
	*cores = cpu / wall;
}

static void run_threads(const char *out, const char *plugins, int rounds)
{
	g_autofree char *conf = g_strdup_printf("%s/conf/rsa2048-pem", out);
	tv_engine *e = engine_open(conf, plugins);
	tv_request *req = request_for(out, "rsa2048");
	double r1[MAX_ROUNDS], r2[MAX_ROUNDS], c1[MAX_ROUNDS], c2[MAX_ROUNDS];
	double k1[MAX_ROUNDS], k2[MAX_ROUNDS], best = 0, best_cores = 0;

	for (int r = 0; r < rounds; r++) {
		run_threads_once(e, req, 1, 0.3, &r1[r], &c1[r], &k1[r]);
		run_threads_once(e, req, 2, 0.3, &r2[r], &c2[r], &k2[r]);
		/* The round where the machine gave the most CPU. */
		if (k2[r] > best_cores) {
			best_cores = k2[r];
			best = r2[r] / r1[r];
		}
	}
	qsort(r1, (size_t)rounds, sizeof(double), cmp_double);
	qsort(r2, (size_t)rounds, sizeof(double), cmp_double);
	qsort(c1, (size_t)rounds, sizeof(double), cmp_double);
	qsort(c2, (size_t)rounds, sizeof(double), cmp_double);
	printf("threads 1: %.0f verifs/s (median), CPU %.1f us/op\n",
	       r1[rounds / 2], c1[rounds / 2] * 1e6);
	printf("threads 2: %.0f verifs/s (median), CPU %.1f us/op\n",
	       r2[rounds / 2], c2[rounds / 2] * 1e6);
	printf("threads-scaling %.3f median; %.3f in the round with the most "
	       "CPU (%.2f cores)\n",
	       r2[rounds / 2] / r1[rounds / 2], best, best_cores);
	printf("threads-cpu-per-op %.3f\n", c2[rounds / 2] / c1[rounds / 2]);
	tv_request_free(req);
	tv_engine_free(e);
}

/* ---- targets 8 and 9: a 150-anchor pem source ------------------------- */

typedef struct {
	tv_engine *engine;
	tv_request *req;
	volatile gint stop;
	double max_latency;
	long ops;
} prober;

static gpointer probe_verifications(gpointer data)
{
	prober *p = data;

	while (!g_atomic_int_get(&p->stop)) {
		tv_result *res = NULL;
		double t0 = wall_now(), dt;

		if (!tv_engine_verify(p->engine, p->req, &res, NULL) ||
		    tv_result_get_verdict(res) != TV_VERDICT_TRUSTED)
			die("reload", "verification failed");
		tv_result_free(res);
		dt = wall_now() - t0;
		if (dt > p->max_latency)
			p->max_latency = dt;
		p->ops++;
	}
	return NULL;
}

/* Writes the bundle anew (a new inode: the pem step is reopened). */
static void rewrite(const char *path, const char *data, gsize len)
{
	g_autofree char *tmp = g_strdup_printf("%s.tmp", path);

	if (!g_file_set_contents(tmp, data, (gssize)len, NULL) ||
	    g_rename(tmp, path) != 0)
		die("cannot write", path);
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void run_source(const char *out, const char *plugins, int rounds)
{
	g_autofree char *dir = g_strdup_printf("%s/conf/anchors150", out);
	g_autofree char *bundle = g_strdup_printf("%s/anchors150.pem", out);
	g_autofree char *data = NULL;
	double reload[MAX_ROUNDS], reload_cpu[MAX_ROUNDS], quiet_max = 0;
	gnutls_x509_trust_list_t list;
	size_t h0, h_list, h_engine;
	prober p = {0};
	GThread *t;
	gsize len;
	int n;

	if (!g_file_get_contents(bundle, &data, &len, NULL))
		die("cannot read", bundle);

	/* Memory: GnuTLS's own list of the bundle vs the engine holding
	 * one pem step with it (the whole engine counted). */
	malloc_trim(0);
	h0 = heap_used();
	if (gnutls_x509_trust_list_init(&list, 0) < 0)
		die("trust list", "init");
	n = gnutls_x509_trust_list_add_trust_file(list, bundle, NULL,
						  GNUTLS_X509_FMT_PEM, 0, 0);
	h_list = heap_used() - h0;
	gnutls_x509_trust_list_deinit(list, 1);
	malloc_trim(0);
	h0 = heap_used();
	p.engine = engine_open(dir, plugins);
	h_engine = heap_used() - h0;
	printf("anchors %d\n", n);
	printf("memory gnutls-list %zu bytes, engine %zu bytes, ratio %.3f\n",
	       h_list, h_engine, (double)h_engine / (double)h_list);

	/* Reload while another thread verifies (cached: the fastest, so the
	 * most sensitive to any blocking). */
	p.req = request_for(out, "rsa2048");
	t = g_thread_new("probe", probe_verifications, &p);
	for (int r = 0; r < rounds; r++) {
		double t0, c0, dt;
		GError *error = NULL;

		rewrite(bundle, data, len);
		t0 = wall_now();
		c0 = cpu_now();
		if (!tv_engine_reload(p.engine, &error))
			die("reload", error->message);
		dt = wall_now() - t0;
		reload[r] = dt;
		reload_cpu[r] = cpu_now() - c0;
		/* The same time without a reload: the machine's own stalls. */
		{
			double q0 = wall_now(), before = p.max_latency;

			p.max_latency = 0;
			while (wall_now() - q0 < dt)
				g_usleep(100);
			if (p.max_latency > quiet_max)
				quiet_max = p.max_latency;
			if (before > p.max_latency)
				p.max_latency = before;
		}
	}
	g_atomic_int_set(&p.stop, 1);
	g_thread_join(t);
	qsort(reload, (size_t)rounds, sizeof(double), cmp_double);
	qsort(reload_cpu, (size_t)rounds, sizeof(double), cmp_double);
	printf("reload150 min %.2f ms, median %.2f ms (wall, %d rounds); "
	       "CPU min %.2f ms, median %.2f ms\n",
	       reload[0] * 1e3, reload[rounds / 2] * 1e3, rounds,
	       reload_cpu[0] * 1e3, reload_cpu[rounds / 2] * 1e3);
	printf("reload150 longest verification during reloads %.3f ms; "
	       "during as long without reloads %.3f ms (%ld verifications)\n",
	       p.max_latency * 1e3, quiet_max * 1e3, p.ops);
	tv_request_free(p.req);
	tv_engine_free(p.engine);
}

/* ---- helper for the generator: does a root share a 127-bucket? -------- */

/* GnuTLS 3.7 places a CA in bucket hash_pjw_bare(raw subject) % size. */
static size_t pjw(const unsigned char *s, size_t n)
{
	size_t h = 0;

	for (size_t i = 0; i < n; i++)
		h = s[i] + ((h << 9) | (h >> (sizeof(size_t) * 8 - 9)));
	return h;
}

/* Prints how many system CAs share @root's bucket in a default list. */
static int run_bucket(const char *root)
{
	gnutls_x509_trust_list_t list;
	gnutls_x509_trust_list_iter_t iter = NULL;
	gnutls_x509_crt_t crt, *crts = NULL;
	gnutls_datum_t pem, dn;
	unsigned n = 0, same = 0;
	size_t mine;

	if (gnutls_load_file(root, &pem) < 0 ||
	    gnutls_x509_crt_list_import2(&crts, &n, &pem, GNUTLS_X509_FMT_PEM,
					 0) < 0 ||
	    n < 1 || gnutls_x509_crt_get_raw_dn(crts[0], &dn) < 0)
		die("cannot read", root);
	mine = pjw(dn.data, dn.size) % 127;
	gnutls_free(dn.data);
	gnutls_x509_trust_list_init(&list, 0);
	gnutls_x509_trust_list_add_system_trust(list, 0, 0);
	while (gnutls_x509_trust_list_iter_get_ca(list, &iter, &crt) >= 0) {
		if (gnutls_x509_crt_get_raw_dn(crt, &dn) >= 0) {
			same += pjw(dn.data, dn.size) % 127 == mine;
			gnutls_free(dn.data);
		}
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_x509_trust_list_iter_deinit(iter);
	gnutls_x509_trust_list_deinit(list, 1);
	printf("%u\n", same);
	return 0;
}

static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *fields,
			      gsize n, gpointer data)
{
	if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
		     G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, data);
}

int main(int argc, char **argv)
{
	int rounds = 11;
	bool callgrind = false;
	const char *what = "all";

	g_log_set_writer_func(quiet, NULL, NULL);
	if (argc == 3 && strcmp(argv[1], "--bucket") == 0)
		return run_bucket(argv[2]);
	for (int i = 3; i < argc; i++) {
		if (g_str_has_prefix(argv[i], "--rounds="))
			rounds = atoi(argv[i] + strlen("--rounds="));
		else if (g_str_has_prefix(argv[i], "--only="))
			what = argv[i] + strlen("--only=");
#ifdef TV_BENCH_CALLGRIND
		else if (strcmp(argv[i], "--callgrind") == 0)
			callgrind = true;
#endif
		else
			rounds = 0;
	}
	if (argc < 3 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr,
			"usage: %s OUTDIR PLUGIN_DIR [--rounds=N] "
			"[--only=miss|threads|source] [--callgrind]\n"
			"       %s --bucket ROOT.pem\n",
			argv[0], argv[0]);
		return 2;
	}
	if (callgrind) {
		run_miss(argv[1], argv[2], rounds, true);
		return 0;
	}
	if (strcmp(what, "all") == 0 || strcmp(what, "miss") == 0)
		run_miss(argv[1], argv[2], rounds, false);
	if (strcmp(what, "all") == 0 || strcmp(what, "threads") == 0)
		run_threads(argv[1], argv[2], rounds);
	if (strcmp(what, "all") == 0 || strcmp(what, "source") == 0)
		run_source(argv[1], argv[2], rounds);
	return 0;
}
