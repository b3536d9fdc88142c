/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The issue-8 suite: tlsverify vs raw GnuTLS (and OpenSSL) on five chain
 * types, interleaved in one run, in CPU time or in callgrind instructions. */
#include "tlsverify/tlsverify.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* valgrind's header is only needed for --callgrind: build without it. */
#if defined(__has_include) && __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TV_BENCH_CALLGRIND 1
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(label) (void)(label)
#endif

#ifdef TV_BENCH_OPENSSL
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#endif

#define MAX_CERTS 8
#define MAX_ROUNDS 101
#define MAX_CONTENDERS 16
#define HOST "leaf.example.test"

typedef struct chain chain;
typedef struct contender contender;

struct contender {
	const char *name;
	bool (*once)(chain *c, contender *k);
	tv_engine *engine;	       /* engine contenders */
	gnutls_x509_trust_list_t list; /* raw GnuTLS contenders */
	bool trusted;		       /* the expected outcome */
	int batch;		       /* operations per timed batch */
	int ir_runs;		       /* operations in the callgrind loop */
	double t[MAX_ROUNDS];	       /* CPU seconds per operation */
};

struct chain {
	const char *name;
	gnutls_datum_t der[MAX_CERTS];
	unsigned n;
	contender k[MAX_CONTENDERS];
	unsigned nk;
#ifdef TV_BENCH_OPENSSL
	X509_STORE *store;
#endif
};

/* rsa2048-collide (target 3) only when the generator made it. */
static const char *const chain_names[] = {"rsa2048",   "rsa4096",
					  "p256",      "ed25519",
					  "rsa2048-5", "rsa2048-collide"};
#define N_CHAINS G_N_ELEMENTS(chain_names)

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

G_GNUC_NORETURN static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-suite: %s: %s\n", what, detail);
	exit(2);
}

/* The baseline: what a careful program does per connection with GnuTLS,
 * hostname and purpose checked. */
static bool raw_once(chain *c, contender *k)
{
	gnutls_x509_crt_t crts[MAX_CERTS];
	gnutls_typed_vdata_st data[2] = {
		{GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)HOST, 0},
		{GNUTLS_DT_KEY_PURPOSE_OID,
		 (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0},
	};
	unsigned status = 1;

	for (unsigned i = 0; i < c->n; i++) {
		gnutls_x509_crt_init(&crts[i]);
		gnutls_x509_crt_import(crts[i], &c->der[i],
				       GNUTLS_X509_FMT_DER);
	}
	if (gnutls_x509_trust_list_verify_crt2(k->list, crts, c->n, data, 2, 0,
					       &status, NULL) < 0)
		status = 1;
	for (unsigned i = 0; i < c->n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return status == 0;
}

static bool engine_once(chain *c, contender *k)
{
	tv_request *r = tv_request_new(HOST, 443);
	tv_result *res = NULL;
	bool ok;

	for (unsigned i = 0; i < c->n; i++)
		tv_request_add_der(r, c->der[i].data, c->der[i].size);
	tv_engine_verify(k->engine, r, &res, NULL);
	ok = res != NULL && tv_result_get_verdict(res) == TV_VERDICT_TRUSTED;
	tv_result_free(res);
	tv_request_free(r);
	return ok;
}

#ifdef TV_BENCH_OPENSSL
/* OpenSSL's equivalent: parse, then X509_verify_cert, same checks. */
static bool ossl_once(chain *c, contender *k)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = NULL;
	bool ok = false;

	for (unsigned i = 0; i < c->n; i++) {
		const unsigned char *p = c->der[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)c->der[i].size);

		if (x == NULL)
			goto out;
		if (i == 0)
			leaf = x;
		else
			sk_X509_push(untrusted, x);
	}
	if (X509_STORE_CTX_init(ctx, c->store, leaf, untrusted) != 1)
		goto out;
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), HOST, 0);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(ctx) == 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	return ok;
}
#endif

static gnutls_x509_trust_list_t raw_list(unsigned buckets, bool system,
					 const char *root)
{
	gnutls_x509_trust_list_t list;

	if (gnutls_x509_trust_list_init(&list, buckets) < 0)
		die("trust list", "init failed");
	if (system && gnutls_x509_trust_list_add_system_trust(list, 0, 0) <= 0)
		die("trust list", "no system trust store");
	if (root != NULL &&
	    gnutls_x509_trust_list_add_trust_file(
		    list, root, NULL, GNUTLS_X509_FMT_PEM, 0, 0) != 1)
		die("cannot load", root);
	return list;
}

static tv_engine *engine_open(const char *dir, const char *plugins)
{
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugins, &error);

	if (e == NULL)
		die(dir, error->message);
	return e;
}

static contender *add(chain *c, const char *name,
		      bool (*once)(chain *, contender *), bool trusted)
{
	contender *k = &c->k[c->nk++];

	g_assert(c->nk <= MAX_CONTENDERS);
	k->name = name;
	k->once = once;
	k->trusted = trusted;
	k->ir_runs = 20;
	return k;
}

static void add_engine(chain *c, const char *name, const char *out,
		       const char *conf, const char *plugins, bool trusted)
{
	g_autofree char *dir = g_strdup_printf("%s/conf/%s", out, conf);
	contender *k = add(c, name, engine_once, trusted);

	k->engine = engine_open(dir, plugins);
}

static void chain_load(chain *c, const char *out, const char *plugins,
		       bool matching)
{
	g_autofree char *dir = g_strdup_printf("%s/%s", out, c->name);
	g_autofree char *root = g_strdup_printf("%s/root.pem", dir);
	g_autofree char *file = g_strdup_printf("%s/chain.pem", dir);
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t pem;
	g_autofree char *conf = NULL;
	contender *k;

	if (gnutls_load_file(file, &pem) < 0 ||
	    gnutls_x509_crt_list_import2(&crts, &c->n, &pem,
					 GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    c->n == 0 || c->n > MAX_CERTS)
		die("cannot read chain", file);
	for (unsigned i = 0; i < c->n; i++) {
		gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
					&c->der[i]);
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	gnutls_free(pem.data);

	/* The baseline comes first: every ratio is against it. */
	k = add(c, "raw-root", raw_once, true);
	k->list = raw_list(1021, false, root);
	k = add(c, "raw-sys+root", raw_once, true);
	k->list = raw_list(0, true, root);
	if (g_str_has_suffix(c->name, "-collide")) {
		/* Target 3: the stock list (127 buckets) against the same
		 * store as the system step holds it (pem: the OS store cannot
		 * take the test root). */
		add_engine(c, "tv-sys+root", out, "rsa2048-collide-sys+root",
			   plugins, true);
		return;
	}
	k = add(c, "raw-sys-miss", raw_once, false);
	k->list = raw_list(0, true, NULL);
#ifdef TV_BENCH_OPENSSL
	{
		BIO *bio = BIO_new_file(root, "r");
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

		c->store = X509_STORE_new();
		if (x == NULL || X509_STORE_add_cert(c->store, x) != 1)
			die("openssl cannot load", root);
		X509_free(x);
		BIO_free(bio);
		add(c, "openssl", ossl_once, true);
	}
#endif
	conf = g_strdup_printf("%s-pem", c->name);
	add_engine(c, "tv-pem", out, conf, plugins, true);
	g_free(conf);
	conf = g_strdup_printf("%s-pin", c->name);
	add_engine(c, "tv-pem+pin", out, conf, plugins, true);
	g_free(conf);
	conf = g_strdup_printf("%s-cache", c->name);
	add_engine(c, "tv-cached", out, conf, plugins, true);
	c->k[c->nk - 1].ir_runs = 2000;
	g_free(conf);
	conf = g_strdup_printf("%s-sys", c->name);
	add_engine(c, "tv-sys-miss", out, conf, plugins, false);
	if (matching) {
		/* Revocation required, both CRLs of the path checked. */
		add_engine(c, "tv-pem+crl", out, "rsa2048-crl", plugins, true);
		add_engine(c, "tv-match-10", out, "match-10", plugins, true);
		add_engine(c, "tv-match-100000", out, "match-100000", plugins,
			   true);
	}
}

/* Each contender is checked once (and warmed up) before anything counts. */
static void chain_check(chain *c)
{
	for (unsigned i = 0; i < c->nk; i++) {
		contender *k = &c->k[i];
		double t0;

		if (k->once(c, k) != k->trusted) {
			fprintf(stderr,
				"bench-suite: %s/%s: expected %s, got the "
				"opposite: fix the setup\n",
				c->name, k->name,
				k->trusted ? "trusted" : "rejected");
			exit(1);
		}
		t0 = cpu_now();
		for (int j = 0; j < 3; j++)
			k->once(c, k);
		k->batch = (int)(0.003 / ((cpu_now() - t0) / 3 + 1e-9));
		if (k->batch < 1)
			k->batch = 1;
	}
}

static void chain_free(chain *c)
{
	for (unsigned i = 0; i < c->nk; i++) {
		tv_engine_free(c->k[i].engine);
		if (c->k[i].list != NULL)
			gnutls_x509_trust_list_deinit(c->k[i].list, 1);
	}
	for (unsigned i = 0; i < c->n; i++)
		gnutls_free(c->der[i].data);
#ifdef TV_BENCH_OPENSSL
	X509_STORE_free(c->store);
#endif
}

/*
 * Callgrind mode: each contender's fixed loop alone is collected, then
 * dumped under its own name ("ir CHAIN CONTENDER RUNS"), so every dump
 * file holds the instructions of exactly one loop.  Run under
 * valgrind --tool=callgrind --collect-atstart=no [--instr-atstart=no].
 */
static void run_callgrind(chain *chains, size_t n)
{
	/* Loading 100,000 endpoints instrumented takes minutes: the script
	 * starts valgrind with --instr-atstart=no, so switch it on here. */
	CALLGRIND_START_INSTRUMENTATION;
	for (size_t ci = 0; ci < n; ci++) {
		chain *c = &chains[ci];

		for (unsigned i = 0; i < c->nk; i++) {
			contender *k = &c->k[i];
			char label[128];

			snprintf(label, sizeof label, "ir %s %s %d", c->name,
				 k->name, k->ir_runs);
			CALLGRIND_ZERO_STATS;
			CALLGRIND_TOGGLE_COLLECT;
			for (int j = 0; j < k->ir_runs; j++)
				k->once(c, k);
			CALLGRIND_TOGGLE_COLLECT;
			CALLGRIND_DUMP_STATS_AT(label);
		}
	}
}

/* Timed mode: every round runs one batch of every contender of every
 * chain in turn (round-robin), so drifts of the machine hit all alike. */
static void run_timed(chain *chains, size_t n, int rounds, double batch_s)
{
	for (size_t ci = 0; ci < n; ci++)
		for (unsigned i = 0; i < chains[ci].nk; i++)
			chains[ci].k[i].batch = (int)(chains[ci].k[i].batch *
						      (batch_s / 0.003)) +
						1;
	for (int r = 0; r < rounds; r++) {
		for (size_t ci = 0; ci < n; ci++) {
			chain *c = &chains[ci];

			for (unsigned i = 0; i < c->nk; i++) {
				contender *k = &c->k[i];
				double t0 = cpu_now();

				for (int j = 0; j < k->batch; j++)
					k->once(c, k);
				k->t[r] = (cpu_now() - t0) / k->batch;
			}
		}
	}
	printf("%-10s %-16s %10s %10s %12s %9s\n", "chain", "contender",
	       "min_us", "median_us", "ops/s/core", "x_raw");
	for (size_t ci = 0; ci < n; ci++) {
		chain *c = &chains[ci];
		double base;

		for (unsigned i = 0; i < c->nk; i++)
			qsort(c->k[i].t, (size_t)rounds, sizeof(double),
			      cmp_double);
		base = c->k[0].t[rounds / 2];
		for (unsigned i = 0; i < c->nk; i++) {
			const double *t = c->k[i].t;

			printf("%-10s %-16s %10.3f %10.3f %12.0f %9.3f\n",
			       c->name, c->k[i].name, t[0] * 1e6,
			       t[rounds / 2] * 1e6, 1 / t[rounds / 2],
			       t[rounds / 2] / base);
		}
	}
}

/* Plugins' notices would interleave with the table. */
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
	chain chains[N_CHAINS];
	int rounds = 11;
	double batch_ms = 20;
	bool callgrind = false;
	const char *only = NULL;
	size_t n = 0;

	g_log_set_writer_func(quiet, NULL, NULL);
	for (int i = 3; i < argc; i++) {
		if (g_str_has_prefix(argv[i], "--rounds="))
			rounds = atoi(argv[i] + strlen("--rounds="));
		else if (g_str_has_prefix(argv[i], "--batch-ms="))
			batch_ms = atof(argv[i] + strlen("--batch-ms="));
		else if (g_str_has_prefix(argv[i], "--only="))
			only = argv[i] + strlen("--only=");
#ifdef TV_BENCH_CALLGRIND
		else if (strcmp(argv[i], "--callgrind") == 0)
			callgrind = true;
#endif
		else
			rounds = 0;
	}
	if (argc < 3 || rounds < 1 || rounds > MAX_ROUNDS || batch_ms <= 0) {
		fprintf(stderr,
			"usage: %s OUTDIR PLUGIN_DIR [--rounds=N (1-%d)] "
			"[--batch-ms=MS] [--only=CHAIN] [--callgrind]\n"
			"OUTDIR as written by gen-bench-pki.sh; --callgrind "
			"under valgrind --tool=callgrind "
			"--collect-atstart=no\n",
			argv[0], MAX_ROUNDS);
		return 2;
	}
	memset(chains, 0, sizeof chains);
	for (size_t i = 0; i < N_CHAINS; i++) {
		g_autofree char *dir =
			g_strdup_printf("%s/%s", argv[1], chain_names[i]);

		if (only != NULL && strcmp(only, chain_names[i]) != 0)
			continue;
		if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
			continue;
		chains[n].name = chain_names[i];
		chain_load(&chains[n], argv[1], argv[2], i == 0);
		chain_check(&chains[n]);
		n++;
	}
	if (n == 0)
		die("--only", "no such chain");
	if (callgrind) {
		run_callgrind(chains, n);
	} else {
		printf("# %d interleaved rounds, ~%.0f ms per batch, CPU time "
		       "per operation (CLOCK_THREAD_CPUTIME_ID); x_raw = "
		       "median / raw-root median of the same chain\n",
		       rounds, batch_ms);
		run_timed(chains, n, rounds, batch_ms / 1e3);
	}
	for (size_t i = 0; i < n; i++)
		chain_free(&chains[i]);
	return 0;
}
