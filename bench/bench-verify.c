/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verifications per second: tlsverify's engine (pem; pem + pin) vs raw GnuTLS
 * verify_crt2, same chain, same run. */
#include "tlsverify/tlsverify.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 15
/* Verifications per engine between switches inside a round. */
#define CHUNK 10

typedef struct {
	gnutls_datum_t der[8];
	unsigned n;
	const char *host;
	int64_t when;
	gnutls_x509_trust_list_t list;
	/* The same policy without and with a pin step after the pem step;
	 * engine_pin is NULL when no pin policy was given. */
	tv_engine *engine;
	tv_engine *engine_pin;
} bench;

static double now_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Baseline: what a careful program does per connection with GnuTLS. */
static int raw_once(bench *b)
{
	gnutls_x509_crt_t crts[8];
	gnutls_typed_vdata_st data[2] = {
		{GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)b->host, 0},
		{GNUTLS_DT_KEY_PURPOSE_OID,
		 (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0},
	};
	unsigned status = 0;

	for (unsigned i = 0; i < b->n; i++) {
		gnutls_x509_crt_init(&crts[i]);
		gnutls_x509_crt_import(crts[i], &b->der[i],
				       GNUTLS_X509_FMT_DER);
	}
	/* Time checks off as in the engine, which checks validity at the
	 * request's own time; the fixtures are valid now anyway. */
	gnutls_x509_trust_list_verify_crt2(b->list, crts, b->n, data, 2, 0,
					   &status, NULL);
	for (unsigned i = 0; i < b->n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return status == 0;
}

static int engine_once(bench *b, tv_engine *engine)
{
	tv_request *r = tv_request_new(b->host, 443);
	tv_result *res = NULL;
	int ok;

	for (unsigned i = 0; i < b->n; i++)
		tv_request_add_der(r, b->der[i].data, b->der[i].size);
	tv_engine_verify(engine, r, &res, NULL);
	ok = res && tv_result_get_verdict(res) == TV_VERDICT_TRUSTED;
	tv_result_free(res);
	tv_request_free(r);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * One round of both engines: @batch verifications each, alternating every
 * CHUNK (and which goes first), so that the machine's slow drifts hit both
 * alike.  Seconds of thread CPU per verification in *@eng and *@pin.
 */
static void time_engines(bench *b, int batch, double *eng, double *pin)
{
	double te = 0, tp = 0;

	for (int c = 0; c < batch / CHUNK; c++) {
		tv_engine *first = c % 2 ? b->engine_pin : b->engine;
		tv_engine *second = c % 2 ? b->engine : b->engine_pin;
		double t0 = now_cpu(), t1, t2;

		for (int i = 0; i < CHUNK; i++)
			engine_once(b, first);
		t1 = now_cpu();
		for (int i = 0; i < CHUNK; i++)
			engine_once(b, second);
		t2 = now_cpu();
		te += c % 2 ? t2 - t1 : t1 - t0;
		tp += c % 2 ? t1 - t0 : t2 - t1;
	}
	*eng = te / (batch / CHUNK * CHUNK);
	*pin = tp / (batch / CHUNK * CHUNK);
}

/* Seconds of thread CPU per verification over @batch runs of @engine. */
static double time_engine(bench *b, tv_engine *engine, int batch)
{
	double t0 = now_cpu();

	for (int i = 0; i < batch; i++)
		engine_once(b, engine);
	return (now_cpu() - t0) / batch;
}

/*
 * The instruction-count mode (run under callgrind by run-bench.sh): @n
 * verifications with each engine, in functions callgrind can collect by
 * name.  Out of line and external, so that they keep their names.
 */
G_GNUC_NO_INLINE void ir_run_pem(bench *b, int n);
G_GNUC_NO_INLINE void ir_run_pin(bench *b, int n);

G_GNUC_NO_INLINE void ir_run_pem(bench *b, int n)
{
	for (int i = 0; i < n; i++)
		engine_once(b, b->engine);
}

G_GNUC_NO_INLINE void ir_run_pin(bench *b, int n)
{
	for (int i = 0; i < n; i++)
		engine_once(b, b->engine_pin);
}

static void print_row(const char *name, const double *sorted)
{
	printf("%-38s %10.1f %10.1f %12.0f\n", name, sorted[0] * 1e6,
	       sorted[ROUNDS / 2] * 1e6, 1.0 / sorted[ROUNDS / 2]);
}

int main(int argc, char **argv)
{
	bench b = {0};
	gnutls_datum_t pem;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	double raw[ROUNDS], eng[ROUNDS], pin[ROUNDS], added[ROUNDS];
	int batch = 300;
	GError *error = NULL;

	int ir_runs = 0;

	if (argc == 8 && g_str_has_prefix(argv[7], "--ir="))
		ir_runs = atoi(argv[7] + strlen("--ir="));
	if (argc < 6 || argc > 8 || (argc == 8 && ir_runs <= 0)) {
		fprintf(stderr,
			"usage: %s CA.pem CHAIN.pem HOST CONF_DIR "
			"PLUGIN_DIR [PIN_CONF_DIR [--ir=N]]\n",
			argv[0]);
		return 2;
	}
	b.host = argv[3];
	if (gnutls_load_file(argv[2], &pem) < 0 ||
	    gnutls_x509_crt_list_import2(&crts, &n, &pem, GNUTLS_X509_FMT_PEM,
					 0) < 0 ||
	    n == 0 || n > 8) {
		fprintf(stderr, "cannot read chain %s\n", argv[2]);
		return 2;
	}
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
					&b.der[i]);
		gnutls_x509_crt_deinit(crts[i]);
	}
	b.n = n;
	gnutls_free(crts);
	gnutls_free(pem.data);

	/* Same list size as the pem plugin, so the comparison is fair. */
	gnutls_x509_trust_list_init(&b.list, 1021);
	if (gnutls_x509_trust_list_add_trust_file(
		    b.list, argv[1], NULL, GNUTLS_X509_FMT_PEM, 0, 0) != 1) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 2;
	}
	b.engine = tv_engine_new(argv[4], argv[5], &error);
	if (b.engine == NULL) {
		fprintf(stderr, "engine: %s\n", error->message);
		return 2;
	}
	if (argc >= 7) {
		b.engine_pin = tv_engine_new(argv[6], argv[5], &error);
		if (b.engine_pin == NULL) {
			fprintf(stderr, "engine (pin): %s\n", error->message);
			return 2;
		}
	}
	if (!raw_once(&b) || !engine_once(&b, b.engine) ||
	    (b.engine_pin != NULL && !engine_once(&b, b.engine_pin))) {
		fprintf(stderr, "the chain does not verify: fix the setup\n");
		return 1;
	}
	if (ir_runs > 0) {
		ir_run_pem(&b, ir_runs);
		ir_run_pin(&b, ir_runs);
		batch = 0; /* no timed rounds: callgrind counts instructions */
	}

	if (batch == 0)
		goto out;
	/*
	 * Interleaved rounds: every contender sees the same machine noise.
	 * The pin step's cost is the median of the per-round differences
	 * between the two engines (see time_engines).
	 */
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_cpu();
		for (int i = 0; i < batch; i++)
			raw_once(&b);
		raw[r] = (now_cpu() - t0) / batch;
		if (b.engine_pin != NULL)
			time_engines(&b, batch, &eng[r], &pin[r]);
		else
			eng[r] = time_engine(&b, b.engine, batch);
		added[r] = b.engine_pin != NULL ? pin[r] - eng[r] : 0;
	}
	qsort(raw, ROUNDS, sizeof(double), cmp_double);
	qsort(eng, ROUNDS, sizeof(double), cmp_double);
	printf("%-38s %10s %10s %12s\n", "contender", "min us", "median us",
	       "verifs/s");
	print_row("raw GnuTLS import+verify_crt2", raw);
	print_row("tlsverify engine (pem step)", eng);
	if (b.engine_pin != NULL) {
		qsort(pin, ROUNDS, sizeof(double), cmp_double);
		qsort(added, ROUNDS, sizeof(double), cmp_double);
		print_row("tlsverify engine (pem + pin steps)", pin);
	}
	printf("ratio engine/raw (median time): %.3f   (min: %.3f)\n",
	       eng[ROUNDS / 2] / raw[ROUNDS / 2], eng[0] / raw[0]);
	if (b.engine_pin != NULL) {
		printf("pin step added: %.2f us per verification (median of "
		       "per-round differences; range %.2f .. %.2f)\n",
		       added[ROUNDS / 2] * 1e6, added[0] * 1e6,
		       added[ROUNDS - 1] * 1e6);
		printf("ratio engine+pin/engine (median time): %.4f   "
		       "(min: %.4f)\n",
		       pin[ROUNDS / 2] / eng[ROUNDS / 2], pin[0] / eng[0]);
	}

out:
	tv_engine_free(b.engine);
	if (b.engine_pin != NULL)
		tv_engine_free(b.engine_pin);
	gnutls_x509_trust_list_deinit(b.list, 1);
	for (unsigned i = 0; i < b.n; i++)
		gnutls_free(b.der[i].data);
	return 0;
}
