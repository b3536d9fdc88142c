/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Client CPU per TLS handshake: tv_session_attach vs GnuTLS's own
 * gnutls_session_set_verify_cert, same server, same trust, same run. */
#include "tlsverify/tlsverify.h"

#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 31
/* Handshakes per mode between switches inside a round. */
#define CHUNK 20
#define TIMEOUT_S 10

typedef enum { MODE_GLUE, MODE_GNUTLS, N_MODES } mode;

static const char *const mode_names[N_MODES] = {
	"tv_session_attach (policy: pem step)",
	"gnutls_session_set_verify_cert",
};

typedef struct {
	const char *host;
	tv_engine *engine;			/* MODE_GLUE */
	gnutls_certificate_credentials_t trust; /* MODE_GNUTLS */
	GAsyncQueue *server_fds; /* fd + 1 for the server thread; -1: stop */
	gnutls_certificate_credentials_t server_creds;
} bench;

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_timeouts(int fd)
{
	struct timeval tv = {TIMEOUT_S, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int handshake(gnutls_session_t s)
{
	int ret, tries = 0;

	do
		ret = gnutls_handshake(s);
	while (ret < 0 && !gnutls_error_is_fatal(ret) && ++tries < 100);
	return ret;
}

/* The server: one handshake per fd, in its own thread so that its CPU is
 * not the client's. */
static gpointer server_main(gpointer data)
{
	bench *b = data;

	for (;;) {
		int fd = GPOINTER_TO_INT(g_async_queue_pop(b->server_fds)) - 1;
		gnutls_session_t s;

		if (fd < 0)
			return NULL;
		/* No tickets: the client never reads them anyway. */
		gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_TICKETS);
		gnutls_set_default_priority(s);
		gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				       b->server_creds);
		gnutls_transport_set_int(s, fd);
		handshake(s);
		gnutls_deinit(s);
		close(fd);
	}
}

/* One client handshake in @m; true when it succeeded (and was trusted). */
static bool client_once(bench *b, mode m)
{
	gnutls_session_t s;
	tv_session *tvs = NULL;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	set_timeouts(sv[0]);
	set_timeouts(sv[1]);
	g_async_queue_push(b->server_fds, GINT_TO_POINTER(sv[1] + 1));

	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_set_default_priority(s);
	if (m == MODE_GLUE) {
		tvs = tv_session_attach(b->engine, s, b->host, 443, NULL);
	} else {
		gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, b->trust);
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, b->host,
				       strlen(b->host));
		gnutls_session_set_verify_cert(s, b->host, 0);
	}
	gnutls_transport_set_int(s, sv[0]);
	ret = handshake(s);
	if (ret == 0 && m == MODE_GLUE)
		ret = tv_session_get_result(tvs) != NULL &&
				      tv_result_get_verdict(
					      tv_session_get_result(tvs)) ==
					      TV_VERDICT_TRUSTED
			      ? 0
			      : -1;
	gnutls_deinit(s);
	tv_session_free(tvs);
	close(sv[0]);
	return ret == 0;
}

/*
 * Instruction counts (bench/run-bench-handshake.sh runs these under
 * callgrind with --toggle-collect on each): CPU time on a shared machine
 * wanders by a few percent, instructions do not.  Not static, so that
 * callgrind finds them by name.
 */
G_GNUC_NO_INLINE void ir_run_glue(bench *b, int n);
G_GNUC_NO_INLINE void ir_run_gnutls(bench *b, int n);

G_GNUC_NO_INLINE void ir_run_glue(bench *b, int n)
{
	for (int i = 0; i < n; i++)
		client_once(b, MODE_GLUE);
}

G_GNUC_NO_INLINE void ir_run_gnutls(bench *b, int n)
{
	for (int i = 0; i < n; i++)
		client_once(b, MODE_GNUTLS);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return a < c ? -1 : a > c;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	double per[N_MODES][ROUNDS];
	double med[N_MODES];
	unsigned failures = 0;
	GThread *server;
	bench b = {0};

	if (argc != 7 && !(argc == 8 && g_str_has_prefix(argv[7], "--ir="))) {
		fprintf(stderr,
			"usage: %s CA.pem CHAIN.pem KEY HOST CONF_DIR "
			"PLUGIN_DIR [--ir=N]\n",
			argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	b.host = argv[4];
	b.engine = tv_engine_new(argv[5], argv[6], &error);
	if (b.engine == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 2;
	}
	if (gnutls_certificate_allocate_credentials(&b.trust) < 0 ||
	    gnutls_certificate_set_x509_trust_file(b.trust, argv[1],
						   GNUTLS_X509_FMT_PEM) <= 0 ||
	    gnutls_certificate_allocate_credentials(&b.server_creds) < 0 ||
	    gnutls_certificate_set_x509_key_file2(b.server_creds, argv[2],
						  argv[3], GNUTLS_X509_FMT_PEM,
						  NULL, 0) < 0) {
		fprintf(stderr, "cannot load %s, %s or %s\n", argv[1], argv[2],
			argv[3]);
		return 2;
	}
	b.server_fds = g_async_queue_new();
	server = g_thread_new("bench-server", server_main, &b);

	/* Warm-up: caches, lazy initialisation, the server thread. */
	for (int i = 0; i < CHUNK; i++)
		for (int m = 0; m < N_MODES; m++)
			failures += !client_once(&b, (mode)m);

	if (argc == 8) {
		int n = atoi(argv[7] + strlen("--ir="));

		ir_run_glue(&b, n);
		ir_run_gnutls(&b, n);
		g_async_queue_push(b.server_fds, GINT_TO_POINTER(-1));
		g_thread_join(server);
		g_async_queue_unref(b.server_fds);
		gnutls_certificate_free_credentials(b.trust);
		gnutls_certificate_free_credentials(b.server_creds);
		tv_engine_free(b.engine);
		return failures > 0;
	}

	/* Interleaved: every round runs a chunk of each mode, the order
	 * alternating, so drift in machine load hits both alike. */
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < N_MODES; k++) {
			mode m = (mode)((r + k) % N_MODES);
			double t0 = thread_cpu();

			for (int i = 0; i < CHUNK; i++)
				failures += !client_once(&b, m);
			per[m][r] = (thread_cpu() - t0) / CHUNK;
		}
	}
	g_async_queue_push(b.server_fds, GINT_TO_POINTER(-1)); /* stop */
	g_thread_join(server);

	if (failures > 0) {
		fprintf(stderr, "%u handshakes failed: the numbers are void\n",
			failures);
		return 1;
	}
	printf("client CPU per handshake, median of %d chunks of %d "
	       "(TLS 1.3, ECDSA P-256 chain of 2, socketpair):\n",
	       ROUNDS, CHUNK);
	for (int m = 0; m < N_MODES; m++) {
		qsort(per[m], ROUNDS, sizeof(double), cmp_double);
		med[m] = per[m][ROUNDS / 2];
		printf("  %-38s %8.1f us (min %.1f, max %.1f)\n", mode_names[m],
		       med[m] * 1e6, per[m][0] * 1e6, per[m][ROUNDS - 1] * 1e6);
	}
	/* The minima are the least disturbed by other load on the machine. */
	printf("ratio glue/gnutls: %.3f of the medians (%+.1f us), %.3f of "
	       "the minima (%+.1f us)\n",
	       med[MODE_GLUE] / med[MODE_GNUTLS],
	       (med[MODE_GLUE] - med[MODE_GNUTLS]) * 1e6,
	       per[MODE_GLUE][0] / per[MODE_GNUTLS][0],
	       (per[MODE_GLUE][0] - per[MODE_GNUTLS][0]) * 1e6);

	g_async_queue_unref(b.server_fds);
	gnutls_certificate_free_credentials(b.trust);
	gnutls_certificate_free_credentials(b.server_creds);
	tv_engine_free(b.engine);
	return 0;
}
