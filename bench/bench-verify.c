/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verifications per second: tlsverify's engine vs raw GnuTLS verify_crt2, same
 * chain, same run. */
#include "tlsverify/tlsverify.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 9

typedef struct {
	gnutls_datum_t der[8];
	unsigned n;
	const char *host;
	int64_t when;
	gnutls_x509_trust_list_t list;
	tv_engine *engine;
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

static int engine_once(bench *b)
{
	tv_request *r = tv_request_new(b->host, 443);
	tv_result *res = NULL;
	int ok;

	for (unsigned i = 0; i < b->n; i++)
		tv_request_add_der(r, b->der[i].data, b->der[i].size);
	tv_engine_verify(b->engine, r, &res, NULL);
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

int main(int argc, char **argv)
{
	bench b = {0};
	gnutls_datum_t pem;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	double raw[ROUNDS], eng[ROUNDS];
	int batch = 300;
	GError *error = NULL;

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s CA.pem CHAIN.pem HOST CONF_DIR "
			"PLUGIN_DIR\n",
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
	if (!raw_once(&b) || !engine_once(&b)) {
		fprintf(stderr, "the chain does not verify: fix the setup\n");
		return 1;
	}

	/* Interleaved rounds: both contenders see the same machine noise. */
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_cpu();
		for (int i = 0; i < batch; i++)
			raw_once(&b);
		double t1 = now_cpu();
		for (int i = 0; i < batch; i++)
			engine_once(&b);
		double t2 = now_cpu();
		raw[r] = (t1 - t0) / batch;
		eng[r] = (t2 - t1) / batch;
	}
	qsort(raw, ROUNDS, sizeof(double), cmp_double);
	qsort(eng, ROUNDS, sizeof(double), cmp_double);
	printf("%-38s %10s %10s %12s\n", "contender", "min us", "median us",
	       "verifs/s");
	printf("%-38s %10.1f %10.1f %12.0f\n", "raw GnuTLS import+verify_crt2",
	       raw[0] * 1e6, raw[ROUNDS / 2] * 1e6, 1.0 / raw[ROUNDS / 2]);
	printf("%-38s %10.1f %10.1f %12.0f\n", "tlsverify engine (pem step)",
	       eng[0] * 1e6, eng[ROUNDS / 2] * 1e6, 1.0 / eng[ROUNDS / 2]);
	printf("ratio engine/raw (median time): %.3f   (min: %.3f)\n",
	       eng[ROUNDS / 2] / raw[ROUNDS / 2], eng[0] / raw[0]);

	tv_engine_free(b.engine);
	gnutls_x509_trust_list_deinit(b.list, 1);
	for (unsigned i = 0; i < b.n; i++)
		gnutls_free(b.der[i].data);
	return 0;
}
