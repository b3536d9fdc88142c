/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The discovery plugin against a real etcd on 127.0.0.1 (run by test-etcd.sh).
 */
#include "config.h"

#include "disc-test.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST "good.internal.test"
#define KEY "/tlsverify-test/bundle.pem"

/*
 * One etcd process, started and stopped by PID.  Its PID is also appended
 * to $DISC_ETCD_DIR/pids so that test-etcd.sh can stop it if this program
 * dies first.  Ports are free ones the kernel picked (not 2379/2380).
 */
typedef struct {
	GPid pid;
	int port, peer_port;
	char *url;
	char *data_dir;
	bool tls;
	const char *extra_arg; /* one more etcd flag, or NULL */
} etcd_proc;

static const char *work_dir(void)
{
	return tv_test_env("DISC_ETCD_DIR");
}

static char *tls_file(const char *name)
{
	return g_build_filename(work_dir(), "tls", name, NULL);
}

static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("free port");
		exit(99);
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

typedef struct {
	long status;
	GString *body;
} http_reply;

static size_t collect(char *p, size_t size, size_t n, void *data)
{
	g_string_append_len(data, p, (gssize)(size * n));
	return size * n;
}

/* POST @body to @path of @e; the status (0: no answer) and the body. */
static long etcd_call(const etcd_proc *e, const char *path, const char *body,
		      GString **out)
{
	g_autofree char *url = g_strconcat(e->url, path, NULL);
	g_autofree char *ca = tls_file("ca.pem");
	g_autofree char *cert = tls_file("client.pem");
	g_autofree char *key = tls_file("client.key");
	GString *reply = g_string_new(NULL);
	CURL *c = curl_easy_init();
	long status = 0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (e->tls) {
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (out != NULL)
		*out = reply;
	else
		g_string_free(reply, TRUE);
	return status;
}

static bool etcd_healthy(const etcd_proc *e)
{
	g_autofree char *url = g_strconcat(e->url, "/health", NULL);
	g_autofree char *ca = tls_file("ca.pem");
	g_autofree char *cert = tls_file("client.pem");
	g_autofree char *key = tls_file("client.key");
	GString *reply = g_string_new(NULL);
	CURL *c = curl_easy_init();
	bool ok;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (e->tls) {
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	ok = curl_easy_perform(c) == CURLE_OK &&
	     strstr(reply->str, "\"health\":\"true\"") != NULL;
	curl_easy_cleanup(c);
	g_string_free(reply, TRUE);
	return ok;
}

static bool etcd_exited(etcd_proc *e)
{
	int status;

	if (e->pid == 0)
		return true;
	if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
		e->pid = 0;
		return true;
	}
	return false;
}

/* Starts @e (ports and data dir kept across restarts). */
static bool etcd_start(etcd_proc *e)
{
	const char *scheme = e->tls ? "https" : "http";
	g_autofree char *client = NULL, *peer = NULL, *cluster = NULL;
	g_autofree char *log = g_build_filename(e->data_dir, "etcd.log", NULL);
	g_autofree char *data = g_build_filename(e->data_dir, "data", NULL);
	g_autofree char *ca = tls_file("ca.pem");
	g_autofree char *cert = tls_file("server.pem");
	g_autofree char *key = tls_file("server.key");
	g_autofree char *pids = g_build_filename(work_dir(), "pids", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	FILE *f;

	if (e->port == 0) {
		e->port = free_port();
		e->peer_port = free_port();
	}
	client = g_strdup_printf("%s://127.0.0.1:%d", scheme, e->port);
	peer = g_strdup_printf("http://127.0.0.1:%d", e->peer_port);
	cluster = g_strdup_printf("ci=%s", peer);
	g_free(e->url);
	e->url = g_strdup(client);
	const char *args[] = {
		"etcd",	 "--name",
		"ci",	 "--data-dir",
		data,	 "--listen-client-urls",
		client,	 "--advertise-client-urls",
		client,	 "--listen-peer-urls",
		peer,	 "--initial-advertise-peer-urls",
		peer,	 "--initial-cluster",
		cluster, "--initial-cluster-state",
		"new",	 "--heartbeat-interval",
		"10",	 "--election-timeout",
		"100",	 "--experimental-watch-progress-notify-interval",
		"1s",	 "--logger",
		"zap",	 "--log-outputs",
		log,	 "--log-level",
		"warn"};
	for (size_t i = 0; i < G_N_ELEMENTS(args); i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	if (e->tls) {
		const char *targs[] = {"--cert-file",
				       cert,
				       "--key-file",
				       key,
				       "--client-cert-auth",
				       "--trusted-ca-file",
				       ca};
		for (size_t i = 0; i < G_N_ELEMENTS(targs); i++)
			g_ptr_array_add(argv, (gpointer)targs[i]);
	}
	if (e->extra_arg != NULL)
		g_ptr_array_add(argv, (gpointer)e->extra_arg);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_async(NULL, (char **)argv->pdata, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				   G_SPAWN_STDOUT_TO_DEV_NULL |
				   G_SPAWN_STDERR_TO_DEV_NULL,
			   NULL, NULL, &e->pid, &error)) {
		fprintf(stderr, "etcd: %s\n", error->message);
		return false;
	}
	f = fopen(pids, "a");
	if (f != NULL) {
		fprintf(f, "%d\n", (int)e->pid);
		fclose(f);
	}
	if (!DISC_WAIT(etcd_healthy(e) || etcd_exited(e)) || e->pid == 0) {
		fprintf(stderr, "etcd did not start on %s (see %s)\n", e->url,
			log);
		return false;
	}
	return true;
}

static void etcd_stop(etcd_proc *e)
{
	if (e->pid == 0)
		return;
	kill(e->pid, SIGTERM);
	if (!DISC_WAIT(etcd_exited(e))) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	e->pid = 0;
}

static etcd_proc *etcd_new(const char *tag, bool tls)
{
	etcd_proc *e = g_new0(etcd_proc, 1);

	e->tls = tls;
	e->data_dir = g_build_filename(work_dir(), tag, NULL);
	g_mkdir_with_parents(e->data_dir, 0700);
	return e;
}

/* Puts @value at @key; the revision of the put (0 on failure). */
static gint64 etcd_put(const etcd_proc *e, const char *key, const char *value,
		       gsize len)
{
	g_autofree char *k = g_base64_encode((const guchar *)key, strlen(key));
	g_autofree char *v = g_base64_encode((const guchar *)value, len);
	g_autofree char *body =
		g_strdup_printf("{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
	GString *reply = NULL;
	gint64 rev = 0;
	const char *r;

	if (etcd_call(e, "/v3/kv/put", body, &reply) == 200 &&
	    (r = strstr(reply->str, "\"revision\":\"")) != NULL)
		rev = g_ascii_strtoll(r + strlen("\"revision\":\""), NULL, 10);
	if (rev == 0)
		fprintf(stderr, "put failed: %s\n", reply->str);
	g_string_free(reply, TRUE);
	return rev;
}

static gint64 put_text(const etcd_proc *e, const char *text)
{
	return etcd_put(e, KEY, text, strlen(text));
}

static bool trusted(tv_engine *e, const char *chain)
{
	return disc_verify(e, HOST, chain, NULL) == TV_VERDICT_TRUSTED;
}

/* ---- shared state of the ordered tests ----------------------------------- */

static etcd_proc *etcd;
static tv_engine *engine;
static char *ca_pem, *rogue_pem, *both_pem;
static char *cache_path;

static char *policy(const etcd_proc *e, const char *extra)
{
	/* A dead endpoint first: the source fails over to the live one. */
	int dead = free_port();

	return g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"http://127.0.0.1:%d\", "
		"\"%s\" ];\n"
		"    key = \"" KEY "\"; poll_interval = 1;\n"
		"    cache_file = \"%s\"; max_bundle_bytes = 65536; %s } ); } "
		");\n",
		dead, e->url, cache_path, extra);
}

static tv_engine *open_engine(const char *text)
{
	g_autoptr(GError) error = NULL;
	tv_engine *e = disc_engine(text, &error);

	if (e == NULL)
		fprintf(stderr, "engine: %s\n", error->message);
	return e;
}

static int suite_init(void)
{
	ca_pem = disc_fixture_text("ca.pem");
	rogue_pem = disc_fixture_text("rogue-ca.pem");
	both_pem = g_strconcat(ca_pem, rogue_pem, NULL);
	cache_path = g_build_filename(work_dir(), "lkg.json", NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	etcd = etcd_new("plain", false);
	return etcd_start(etcd) ? 0 : 1;
}

static int suite_clean(void)
{
	tv_engine_free(engine);
	if (etcd != NULL)
		etcd_stop(etcd);
	return 0;
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_put_verify(void)
{
	g_autofree char *text = NULL;

	CU_ASSERT_FATAL(put_text(etcd, ca_pem) > 0);
	text = policy(etcd, "max_staleness = 3;");
	engine = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	/* open() waited for the first bundle: no polling needed here. */
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(engine, "chain-rogue.pem"));
	CU_ASSERT_TRUE(disc_state_is(engine, "fresh"));
}

static void test_rotate(void)
{
	gint64 rev, t0, t1;
	g_autofree char *version = NULL;
	bool ok;

	rev = put_text(etcd, both_pem);
	CU_ASSERT_FATAL(rev > 0);
	t0 = g_get_monotonic_time();
	ok = DISC_WAIT(trusted(engine, "chain-rogue.pem"));
	t1 = g_get_monotonic_time();
	CU_ASSERT_TRUE(ok);
	printf("\n  put -> first verification with the new bundle: %.1f ms "
	       "(target < 1000 ms, required < 2000 ms)\n",
	       (t1 - t0) / 1000.0);
	version = disc_state_str(engine, "version");
	CU_ASSERT_EQUAL(g_ascii_strtoll(version ? version : "0", NULL, 10),
			rev);

	/* The old CA removed: its chain fails. */
	CU_ASSERT_FATAL(put_text(etcd, rogue_pem) > 0);
	CU_ASSERT_TRUE(DISC_WAIT(!trusted(engine, "chain-good.pem")));
	CU_ASSERT_TRUE(trusted(engine, "chain-rogue.pem"));
}

/* Two threads verify without pause while the bundle is swapped 100
 * times: every verification must pass (none blocked or failed by a swap).
 * The latencies are printed against a phase without swaps, for the
 * record (no wall-clock threshold is asserted). */
typedef struct {
	tv_engine *e;
	gint stop;
	pthread_mutex_t lock; /* not GMutex: ThreadSanitizer sees it */
	GArray *lat; /* gint64 µs of every verification, both threads */
	gint64 failures;
} loop_state;

static gpointer verify_loop(gpointer data)
{
	loop_state *ls = data;
	g_autoptr(tv_request) r = tv_test_request(HOST, "chain-good.pem");
	g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 failures = 0;

	while (!g_atomic_int_get(&ls->stop)) {
		g_autoptr(tv_result) res = NULL;
		gint64 t = g_get_monotonic_time();

		if (!tv_engine_verify(ls->e, r, &res, NULL) ||
		    tv_result_get_verdict(res) != TV_VERDICT_TRUSTED)
			failures++;
		t = g_get_monotonic_time() - t;
		g_array_append_val(lat, t);
	}
	pthread_mutex_lock(&ls->lock);
	g_array_append_vals(ls->lat, lat->data, lat->len);
	ls->failures += failures;
	pthread_mutex_unlock(&ls->lock);
	return NULL;
}

static int compare_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

static void print_latencies(const char *what, GArray *lat)
{
	gint64 *v = (gint64 *)lat->data;
	guint n = lat->len, slow = 0;

	if (n == 0)
		return;
	g_array_sort(lat, compare_i64);
	for (guint i = 0; i < n; i++)
		slow += v[i] > 10000;
	printf("  %s: %u verifications, p50 %.3f ms, p99 %.3f ms, max %.2f "
	       "ms, %u over 10 ms\n",
	       what, n, v[n / 2] / 1000.0, v[n * 99 / 100] / 1000.0,
	       v[n - 1] / 1000.0, slow);
}

static void run_threads(loop_state *ls, GThread **th)
{
	g_atomic_int_set(&ls->stop, 0);
	for (int i = 0; i < 2; i++)
		th[i] = g_thread_new("verify", verify_loop, ls);
}

static void stop_threads(loop_state *ls, GThread **th)
{
	g_atomic_int_set(&ls->stop, 1);
	for (int i = 0; i < 2; i++)
		g_thread_join(th[i]);
}

static void test_rotation_loop(void)
{
	g_autofree char *text = NULL, *step = NULL;
	loop_state ls = {0};
	GThread *th[2];
	int seen = 0;
	gint64 updates0, t0;

	pthread_mutex_init(&ls.lock, NULL);
	ls.lat = g_array_new(FALSE, FALSE, sizeof(gint64));
	CU_ASSERT_FATAL(put_text(etcd, ca_pem) > 0);
	/* No verdict cache: every verification runs the step. */
	step = policy(etcd, "");
	text = g_strconcat("defaults = { cache = { size = 0; }; };\n", step,
			   NULL);
	ls.e = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ls.e);
	CU_ASSERT_TRUE_FATAL(DISC_WAIT(!trusted(ls.e, "chain-rogue.pem")));

	/* Baseline: the same loop for a second, no swaps. */
	run_threads(&ls, th);
	t0 = g_get_monotonic_time();
	while (g_get_monotonic_time() - t0 < G_USEC_PER_SEC)
		g_usleep(10000);
	stop_threads(&ls, th);
	printf("\n");
	print_latencies("no swaps  ", ls.lat);
	CU_ASSERT_EQUAL(ls.failures, 0);
	g_array_set_size(ls.lat, 0);

	updates0 = disc_state_int(ls.e, "updates");
	run_threads(&ls, th);
	for (int i = 1; i <= 100; i++) {
		bool with_rogue = i % 2 == 1;

		if (put_text(etcd, with_rogue ? both_pem : ca_pem) == 0)
			break;
		if (!DISC_WAIT(trusted(ls.e, "chain-rogue.pem") == with_rogue))
			break;
		seen++;
	}
	stop_threads(&ls, th);
	print_latencies("100 swaps ", ls.lat);
	printf("  rotations %d, bundle swaps %" G_GINT64_FORMAT
	       ", failed verifications %" G_GINT64_FORMAT "\n",
	       seen, disc_state_int(ls.e, "updates") - updates0, ls.failures);
	CU_ASSERT_EQUAL(seen, 100);
	CU_ASSERT_TRUE(disc_state_int(ls.e, "updates") - updates0 >= 100);
	CU_ASSERT_TRUE(ls.lat->len > 0);
	CU_ASSERT_EQUAL(ls.failures, 0);
	g_array_unref(ls.lat);
	pthread_mutex_destroy(&ls.lock);
	tv_engine_free(ls.e);
}

static void test_rejects(void)
{
	GString *big = g_string_new(NULL);
	gint64 rejected0;

	CU_ASSERT_FATAL(put_text(etcd, ca_pem) > 0);
	CU_ASSERT_TRUE_FATAL(DISC_WAIT(trusted(engine, "chain-good.pem")));
	rejected0 = disc_state_int(engine, "rejected_updates");

	CU_ASSERT_FATAL(put_text(etcd, "this is not a bundle") > 0);
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_int(engine, "rejected_updates") >
				 rejected0));
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));

	/* Over max_bundle_bytes (65536), though every certificate is good. */
	while (big->len <= 65536)
		g_string_append(big, rogue_pem);
	CU_ASSERT_FATAL(put_text(etcd, big->str) > 0);
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_int(engine, "rejected_updates") >
				 rejected0 + 1));
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(engine, "chain-rogue.pem"));
	g_string_free(big, TRUE);
}

/* Compaction past the revision the watch started from: updates keep
 * flowing and the newest value wins. */
static void test_compaction(void)
{
	gint64 rev;
	g_autofree char *body = NULL;
	GString *reply = NULL;

	for (int i = 0; i < 3; i++)
		CU_ASSERT_FATAL(
			etcd_put(etcd, "/tlsverify-test/other", "x", 1) > 0);
	rev = put_text(etcd, ca_pem);
	CU_ASSERT_FATAL(rev > 0);
	body = g_strdup_printf("{\"revision\":\"%" G_GINT64_FORMAT
			       "\",\"physical\":true}",
			       rev);
	CU_ASSERT_EQUAL(etcd_call(etcd, "/v3/kv/compaction", body, &reply),
			200);
	g_string_free(reply, TRUE);
	CU_ASSERT_FATAL(put_text(etcd, both_pem) > 0);
	CU_ASSERT_TRUE(DISC_WAIT(trusted(engine, "chain-rogue.pem")));
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));
}

static bool spiffe_trusted(tv_engine *e)
{
	return disc_verify(e, "payments.internal", "chain-spiffe.pem", NULL) ==
	       TV_VERDICT_TRUSTED;
}

/* A prefix without trust_domain: one trust domain per key, never merged;
 * the leaf's SPIFFE ID (spiffe://prod.example/...) picks the set; a
 * deleted key takes its trust domain away. */
static void test_prefix_trust_domains(void)
{
	g_autofree char *text = g_strdup_printf(
		"endpoints = ( { name = \"pay\"; hosts = [ "
		"\"payments.internal\" "
		"];\n  match_names = [ \"spiffe://prod.example/payments\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"%s\" ];\n"
		"    prefix = \"/tlsverify-td/\"; poll_interval = 1; } ); } "
		");\n",
		etcd->url);
	g_autofree char *k =
		g_base64_encode((const guchar *)"/tlsverify-td/prod.example",
				strlen("/tlsverify-td/prod.example"));
	g_autofree char *del = g_strdup_printf("{\"key\":\"%s\"}", k);
	tv_engine *e;

	CU_ASSERT_FATAL(etcd_put(etcd, "/tlsverify-td/prod.example", rogue_pem,
				 strlen(rogue_pem)) > 0);
	CU_ASSERT_FATAL(etcd_put(etcd, "/tlsverify-td/other.example", ca_pem,
				 strlen(ca_pem)) > 0);
	e = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(disc_state_int(e, "trust_domains"), 2);
	/* Its root is in other.example's set: not good enough. */
	CU_ASSERT_FALSE(spiffe_trusted(e));

	CU_ASSERT_FATAL(etcd_put(etcd, "/tlsverify-td/prod.example", ca_pem,
				 strlen(ca_pem)) > 0);
	CU_ASSERT_TRUE(DISC_WAIT(spiffe_trusted(e)));

	/* De-federation: the key goes, so does the trust domain. */
	CU_ASSERT_EQUAL(etcd_call(etcd, "/v3/kv/deleterange", del, NULL), 200);
	CU_ASSERT_TRUE(DISC_WAIT(!spiffe_trusted(e)));
	CU_ASSERT_EQUAL(disc_state_int(e, "trust_domains"), 1);
	tv_engine_free(e);
}

/* etcd down: the last good bundle serves until max_staleness, then the
 * step fails closed. */
static void test_outage(void)
{
	uint32_t reasons = 0;

	CU_ASSERT_FATAL(put_text(etcd, ca_pem) > 0);
	CU_ASSERT_TRUE_FATAL(DISC_WAIT(!trusted(engine, "chain-rogue.pem")));
	etcd_stop(etcd);
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_is(engine, "stale") ||
				 disc_state_is(engine, "expired")));
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_is(engine, "expired")));
	CU_ASSERT_EQUAL(disc_verify(engine, HOST, "chain-good.pem", &reasons),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(reasons & TV_REASON_SOURCE_UNAVAILABLE);
	{
		g_autofree char *err = disc_state_str(engine, "last_error");

		CU_ASSERT_PTR_NOT_NULL(err);
	}
}

/* The process restarts while etcd is down: the cache file serves. */
static void test_restart_with_cache(void)
{
	g_autofree char *text = NULL;

	tv_engine_free(engine);
	text = policy(etcd, "max_staleness = 3600; initial_timeout = 1;");
	engine = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	CU_ASSERT_TRUE(trusted(engine, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(engine, "chain-rogue.pem"));
	CU_ASSERT_TRUE(disc_state_is(engine, "stale"));
}

/* etcd back: the source reconnects and follows changes again. */
static void test_recover(void)
{
	CU_ASSERT_TRUE_FATAL(etcd_start(etcd));
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_is(engine, "fresh")));
	CU_ASSERT_FATAL(put_text(etcd, rogue_pem) > 0);
	CU_ASSERT_TRUE(DISC_WAIT(trusted(engine, "chain-rogue.pem")));
	CU_ASSERT_FALSE(trusted(engine, "chain-good.pem"));
}

/* TLS with client-certificate authentication to etcd. */
static void test_tls(void)
{
	etcd_proc *e = etcd_new("tls", true);
	g_autofree char *ca = tls_file("ca.pem");
	g_autofree char *cert = tls_file("client.pem");
	g_autofree char *key = tls_file("client.key");
	g_autofree char *text = NULL, *nocert = NULL;
	tv_engine *t;
	uint32_t reasons = 0;

	CU_ASSERT_TRUE_FATAL(etcd_start(e));
	CU_ASSERT_FATAL(put_text(e, ca_pem) > 0);
	text = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"%s\" ]; key = \"" KEY
		"\";\n"
		"    ca = \"%s\"; certificate = \"%s\"; private_key = \"%s\"; "
		"} ); } );\n",
		e->url, ca, cert, key);
	t = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL(t);
	if (t != NULL) {
		CU_ASSERT_TRUE(trusted(t, "chain-good.pem"));
		CU_ASSERT_FATAL(put_text(e, both_pem) > 0);
		CU_ASSERT_TRUE(DISC_WAIT(trusted(t, "chain-rogue.pem")));
		tv_engine_free(t);
	}

	/* Without the client certificate etcd refuses: no bundle. */
	nocert = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"%s\" ]; key = \"" KEY
		"\";\n"
		"    ca = \"%s\"; initial_timeout = 1; } ); } );\n",
		e->url, ca);
	t = open_engine(nocert);
	CU_ASSERT_PTR_NOT_NULL(t);
	if (t != NULL) {
		CU_ASSERT_EQUAL(
			disc_verify(t, HOST, "chain-good.pem", &reasons),
			TV_VERDICT_REJECTED);
		CU_ASSERT_TRUE(reasons & TV_REASON_SOURCE_UNAVAILABLE);
		tv_engine_free(t);
	}
	etcd_stop(e);
	g_free(e->url);
	g_free(e->data_dir);
	g_free(e);
}

/* POSTs @body (JSON) with an optional token; true on HTTP 200. */
static bool etcd_admin(const etcd_proc *e, const char *path, const char *body,
		       const char *token)
{
	g_autofree char *url = g_strconcat(e->url, path, NULL);
	g_autofree char *auth =
		token ? g_strconcat("Authorization: ", token, NULL) : NULL;
	struct curl_slist *h = auth ? curl_slist_append(NULL, auth) : NULL;
	GString *reply = g_string_new(NULL);
	CURL *c = curl_easy_init();
	long status = 0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		fprintf(stderr, "%s: %ld %s\n", path, status, reply->str);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	g_string_free(reply, TRUE);
	return status == 200;
}

/* A token of @user (transfer full), or NULL. */
static char *etcd_token(const etcd_proc *e, const char *user, const char *pw)
{
	g_autofree char *body = g_strdup_printf(
		"{\"name\":\"%s\",\"password\":\"%s\"}", user, pw);
	GString *reply = NULL;
	char *token = NULL;
	const char *t;

	if (etcd_call(e, "/v3/auth/authenticate", body, &reply) == 200 &&
	    (t = strstr(reply->str, "\"token\":\"")) != NULL) {
		t += strlen("\"token\":\"");
		token = g_strndup(t, strcspn(t, "\""));
	}
	g_string_free(reply, TRUE);
	return token;
}

/* Puts as @token (the reader may not). */
static bool put_as(const etcd_proc *e, const char *token, const char *text)
{
	g_autofree char *k = g_base64_encode((const guchar *)KEY, strlen(KEY));
	g_autofree char *v =
		g_base64_encode((const guchar *)text, strlen(text));
	g_autofree char *body =
		g_strdup_printf("{\"key\":\"%s\",\"value\":\"%s\"}", k, v);

	return etcd_admin(e, "/v3/kv/put", body, token);
}

/* Counts the source's "authenticated" log lines. */
static gint logins;

static GLogWriterOutput count_logins(GLogLevelFlags level,
				     const GLogField *fields, gsize n_fields,
				     gpointer data)
{
	for (gsize i = 0; i < n_fields; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0 &&
		    fields[i].length < 0 &&
		    strstr(fields[i].value, "authenticated as reader") != NULL)
			g_atomic_int_inc(&logins);
	return g_log_writer_default(level, fields, n_fields, data);
}

/*
 * User and password: a read-only user gets a token from
 * /v3/auth/authenticate.  Tokens live --auth-token-ttl (1 s here) unless
 * used: with poll_interval 3 every poll meets an expired token, and the
 * source must authenticate again to keep following changes.
 */
static void test_token_auth(void)
{
	etcd_proc *e = etcd_new("auth", false);
	g_autofree char *k = g_base64_encode((const guchar *)"/tlsverify-test/",
					     strlen("/tlsverify-test/"));
	g_autofree char *end = g_base64_encode(
		(const guchar *)"/tlsverify-test0", strlen("/tlsverify-test0"));
	g_autofree char *grant = g_strdup_printf(
		"{\"name\":\"trustreader\",\"perm\":{\"permType\":\"READ\","
		"\"key\":\"%s\",\"range_end\":\"%s\"}}",
		k, end);
	g_autofree char *pwfile =
		g_build_filename(work_dir(), "reader.pw", NULL);
	g_autofree char *text = NULL, *root = NULL, *bad = NULL;
	tv_engine *t;
	uint32_t reasons = 0;

	e->extra_arg = "--auth-token-ttl=1";
	CU_ASSERT_TRUE_FATAL(etcd_start(e));
	CU_ASSERT_FATAL(put_text(e, ca_pem) > 0);
	CU_ASSERT_FATAL(etcd_admin(
		e, "/v3/auth/user/add",
		"{\"name\":\"root\",\"password\":\"rootpw\"}", NULL));
	CU_ASSERT_FATAL(etcd_admin(e, "/v3/auth/user/grant",
				   "{\"user\":\"root\",\"role\":\"root\"}",
				   NULL));
	CU_ASSERT_FATAL(etcd_admin(e, "/v3/auth/role/add",
				   "{\"name\":\"trustreader\"}", NULL));
	CU_ASSERT_FATAL(etcd_admin(e, "/v3/auth/role/grant", grant, NULL));
	CU_ASSERT_FATAL(etcd_admin(
		e, "/v3/auth/user/add",
		"{\"name\":\"reader\",\"password\":\"readerpw\"}", NULL));
	CU_ASSERT_FATAL(etcd_admin(e, "/v3/auth/user/grant",
				   "{\"user\":\"reader\","
				   "\"role\":\"trustreader\"}",
				   NULL));
	CU_ASSERT_FATAL(etcd_admin(e, "/v3/auth/enable", "{}", NULL));
	tv_test_write(work_dir(), "reader.pw", "readerpw\n");

	text = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"%s\" ]; key = \"" KEY
		"\";\n"
		"    username = \"reader\"; password_file = \"%s\";\n"
		"    poll_interval = 3; } ); } );\n",
		e->url, pwfile);
	t = open_engine(text);
	CU_ASSERT_PTR_NOT_NULL(t);
	if (t != NULL) {
		CU_ASSERT_TRUE(trusted(t, "chain-good.pem"));
		/* A poll met the expired token and the source logged in
		 * again: it still follows changes. */
		CU_ASSERT_TRUE(DISC_WAIT(g_atomic_int_get(&logins) >= 2));
		root = etcd_token(e, "root", "rootpw");
		CU_ASSERT_PTR_NOT_NULL_FATAL(root);
		CU_ASSERT_TRUE(put_as(e, root, both_pem));
		CU_ASSERT_TRUE(DISC_WAIT(trusted(t, "chain-rogue.pem")));
		tv_engine_free(t);
	}

	/* A wrong password: no bundle, UNAVAIL. */
	bad = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"%s\" ]; key = \"" KEY
		"\";\n"
		"    username = \"reader\"; password = \"wrong\";\n"
		"    initial_timeout = 1; } ); } );\n",
		e->url);
	t = open_engine(bad);
	CU_ASSERT_PTR_NOT_NULL(t);
	if (t != NULL) {
		CU_ASSERT_EQUAL(
			disc_verify(t, HOST, "chain-good.pem", &reasons),
			TV_VERDICT_REJECTED);
		CU_ASSERT_TRUE(reasons & TV_REASON_SOURCE_UNAVAILABLE);
		tv_engine_free(t);
	}
	etcd_stop(e);
	g_free(e->url);
	g_free(e->data_dir);
	g_free(e);
}

/* ---- a scripted gateway for the compacted-watch answer ------------------
 *
 * A live watch on a real etcd is cancelled for compaction only when the
 * client fell behind; that cannot be arranged from outside.  This loopback
 * server answers like the 3.4 gateway did when it was recorded (research
 * notes §1.4): the first range at revision 5, a watch that is created and
 * then cancelled with compact_revision 8, then ranges at revision 9 with a
 * new bundle.  The source must range again and watch from 10.
 */
typedef struct {
	int listen_fd;
	int port;
	GThread *thread;
	pthread_mutex_t lock;
	int ranges;	     /* range requests answered */
	GPtrArray *watches;  /* bodies of the watch requests */
	GPtrArray *conns;    /* GThread * serving connections */
	GPtrArray *fds;	     /* their sockets, shut down at the end */
	char *first, *later; /* PEM values */
} fake_gw;

static bool read_request(int fd, char **path, char **body)
{
	GString *in = g_string_new(NULL);
	char buf[4096];
	const char *end, *cl;
	gsize need;

	while ((end = strstr(in->str, "\r\n\r\n")) == NULL) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0) {
			g_string_free(in, TRUE);
			return false;
		}
		g_string_append_len(in, buf, n);
	}
	cl = strstr(in->str, "Content-Length:"); /* as curl spells it */
	need = (end - in->str) + 4 +
	       (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
	while (in->len < need) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0) {
			g_string_free(in, TRUE);
			return false;
		}
		g_string_append_len(in, buf, n);
	}
	*path = g_strndup(in->str + 5, strcspn(in->str + 5, " "));
	*body = g_strdup(strstr(in->str, "\r\n\r\n") + 4);
	g_string_free(in, TRUE);
	return true;
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void write_chunk(int fd, const char *s)
{
	g_autofree char *head = g_strdup_printf("%zx\r\n", strlen(s));

	write_all(fd, head);
	write_all(fd, s);
	write_all(fd, "\r\n");
}

typedef struct {
	fake_gw *gw;
	int fd;
} gw_conn;

static gpointer gw_serve(gpointer data)
{
	gw_conn *c = data;
	fake_gw *gw = c->gw;
	char *path = NULL, *body = NULL;

	while (read_request(c->fd, &path, &body)) {
		if (strcmp(path, "/v3/kv/range") == 0) {
			int n;
			const char *value;
			g_autofree char *k = NULL, *v = NULL, *json = NULL,
					*reply = NULL;

			pthread_mutex_lock(&gw->lock);
			n = ++gw->ranges;
			value = gw->watches->len >= 1 ? gw->later : gw->first;
			pthread_mutex_unlock(&gw->lock);
			k = g_base64_encode((const guchar *)KEY, strlen(KEY));
			v = g_base64_encode((const guchar *)value,
					    strlen(value));
			json = g_strdup_printf(
				"{\"header\":{\"revision\":\"%d\"},\"kvs\":[{"
				"\"key\":\"%s\",\"mod_revision\":\"%d\","
				"\"value\":\"%s\"}],\"count\":\"1\"}",
				value == gw->first ? 5 : 9, k,
				value == gw->first ? 5 : 9, v);
			reply = g_strdup_printf(
				"HTTP/1.1 200 OK\r\nContent-Type: "
				"application/json\r\nContent-Length: "
				"%zu\r\n\r\n%s",
				strlen(json), json);
			write_all(c->fd, reply);
			(void)n;
		} else if (strcmp(path, "/v3/watch") == 0) {
			bool first;

			pthread_mutex_lock(&gw->lock);
			first = gw->watches->len == 0;
			g_ptr_array_add(gw->watches, g_strdup(body));
			pthread_mutex_unlock(&gw->lock);
			write_all(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: "
					 "application/json\r\n"
					 "Transfer-Encoding: chunked\r\n\r\n");
			write_chunk(c->fd, "{\"result\":{\"header\":{"
					   "\"revision\":\"5\"},"
					   "\"created\":true}}\n");
			if (first)
				write_chunk(c->fd,
					    "{\"result\":{\"header\":{"
					    "\"revision\":\"9\"},"
					    "\"canceled\":true,"
					    "\"compact_revision\":\"8\"}}\n");
			/* Then the stream stays open, as etcd's does. */
		} else {
			write_all(c->fd, "HTTP/1.1 404 Not Found\r\n"
					 "Content-Length: 0\r\n\r\n");
		}
		g_free(path);
		g_free(body);
	}
	g_free(c);
	return NULL;
}

static gpointer gw_accept(gpointer data)
{
	fake_gw *gw = data;

	for (;;) {
		int fd = accept(gw->listen_fd, NULL, NULL);
		gw_conn *c;

		if (fd < 0)
			return NULL; /* shut down */
		c = g_new0(gw_conn, 1);
		c->gw = gw;
		c->fd = fd;
		pthread_mutex_lock(&gw->lock);
		g_ptr_array_add(gw->fds, GINT_TO_POINTER(fd));
		g_ptr_array_add(gw->conns, g_thread_new("gw", gw_serve, c));
		pthread_mutex_unlock(&gw->lock);
	}
}

static fake_gw *gw_start(void)
{
	fake_gw *gw = g_new0(fake_gw, 1);
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);

	pthread_mutex_init(&gw->lock, NULL);
	gw->watches = g_ptr_array_new_with_free_func(g_free);
	gw->conns = g_ptr_array_new();
	gw->fds = g_ptr_array_new();
	gw->first = ca_pem;
	gw->later = both_pem;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	gw->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (gw->listen_fd < 0 ||
	    bind(gw->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(gw->listen_fd, 8) != 0 ||
	    getsockname(gw->listen_fd, (struct sockaddr *)&a, &len) != 0) {
		perror("fake gateway");
		exit(99);
	}
	gw->port = ntohs(a.sin_port);
	gw->thread = g_thread_new("gw-accept", gw_accept, gw);
	return gw;
}

static void gw_stop(fake_gw *gw)
{
	shutdown(gw->listen_fd, SHUT_RDWR);
	close(gw->listen_fd);
	g_thread_join(gw->thread);
	pthread_mutex_lock(&gw->lock);
	for (unsigned i = 0; i < gw->fds->len; i++)
		shutdown(GPOINTER_TO_INT(gw->fds->pdata[i]), SHUT_RDWR);
	pthread_mutex_unlock(&gw->lock);
	for (unsigned i = 0; i < gw->conns->len; i++)
		g_thread_join(gw->conns->pdata[i]);
	for (unsigned i = 0; i < gw->fds->len; i++)
		close(GPOINTER_TO_INT(gw->fds->pdata[i]));
	g_ptr_array_unref(gw->watches);
	g_ptr_array_unref(gw->conns);
	g_ptr_array_unref(gw->fds);
	pthread_mutex_destroy(&gw->lock);
	g_free(gw);
}

static int gw_watches(fake_gw *gw)
{
	int n;

	pthread_mutex_lock(&gw->lock);
	n = (int)gw->watches->len;
	pthread_mutex_unlock(&gw->lock);
	return n;
}

static void test_watch_compacted(void)
{
	fake_gw *gw = gw_start();
	g_autofree char *text = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"etcd\"; endpoints = [ \"http://127.0.0.1:%d\" "
		"];\n"
		"    key = \"" KEY "\"; poll_interval = 3600; } ); } );\n",
		gw->port);
	tv_engine *e = open_engine(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* Cancelled for compaction: ranged again, the new bundle is in. */
	CU_ASSERT_TRUE(DISC_WAIT(trusted(e, "chain-rogue.pem")));
	CU_ASSERT_TRUE(DISC_WAIT(gw_watches(gw) >= 2));
	pthread_mutex_lock(&gw->lock);
	CU_ASSERT_TRUE(gw->ranges >= 2);
	if (gw->watches->len >= 2) {
		CU_ASSERT_PTR_NOT_NULL(strstr(gw->watches->pdata[0],
					      "\"start_revision\":\"6\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(gw->watches->pdata[1],
					      "\"start_revision\":\"10\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(gw->watches->pdata[1],
					      "\"progress_notify\":true"));
	}
	pthread_mutex_unlock(&gw->lock);
	CU_ASSERT_EQUAL(disc_state_int(e, "rejected_updates"), 0);
	{
		g_autofree char *v = disc_state_str(e, "version");

		CU_ASSERT_STRING_EQUAL(v ? v : "", "9");
	}
	tv_engine_free(e);
	gw_stop(gw);
}

static CU_TestInfo tests[] = {
	{"/etcd/put-verify", test_put_verify},
	{"/etcd/rotate", test_rotate},
	{"/etcd/rotation-loop", test_rotation_loop},
	{"/etcd/rejects", test_rejects},
	{"/etcd/compaction", test_compaction},
	{"/etcd/watch-cancelled-for-compaction", test_watch_compacted},
	{"/etcd/prefix-trust-domains", test_prefix_trust_domains},
	{"/etcd/outage-then-fail-closed", test_outage},
	{"/etcd/restart-process-with-cache", test_restart_with_cache},
	{"/etcd/recover", test_recover},
	{"/etcd/tls-client-cert", test_tls},
	{"/etcd/token-auth", test_token_auth},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"etcd", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	g_log_set_writer_func(count_logins, NULL, NULL);
	return tv_test_run(suites);
}
