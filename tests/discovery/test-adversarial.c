/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The discovery plugin against a hostile server on 127.0.0.1 (hostile-server:
 * a gigabyte body, a stall mid-body, HTTP 500 forever, garbage on the etcd
 * watch stream, a JSON nesting bomb), through the engine.  Each must end
 * in a recorded error or a rejected update, with the last good bundle
 * still serving (or, past max_staleness, UNAVAIL source-unavailable):
 * never a pass of something untrusted, a crash, unbounded memory or a
 * hang. */
#include "config.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

#include "spiffe-consul-test.h"
#include "spiffe-test-pki.h"

#define TD "hostile.test"
#define WORKLOAD_ID "spiffe://" TD "/web"
#define HOST "web.hostile.test"
/* A bundle is small: the cap every case runs with. */
#define MAX_BUNDLE_BYTES (1024 * 1024)
/* What a process may grow by while a gigabyte is thrown at it: the cap,
 * the buffers around it, allocator slack; far below the gigabyte. */
#define RSS_GROWTH_LIMIT_KB (96 * 1024)
/* Garbage kinds hostile-server sends on successive watch streams. */
#define WATCH_GARBAGE_KINDS 7

static char *dir;
static tpki_cert *root;
static char *leaf_pem;
static char *roots_json; /* Consul IndexedCARoots holding root */
static char *root_pem;

typedef struct {
	GPid pid;
	int port;
	char *dir;
	char *state;
} server;

static int suite_init(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	tpki_cert *leaf;

	dir = tv_test_mkdtemp("hostile");
	root = tpki_ca("Hostile Test CA", "spiffe://" TD);
	leaf = tpki_leaf(root, "web", WORKLOAD_ID);
	leaf_pem = tpki_pem(leaf);
	tpki_free(leaf);
	root_pem = tpki_pem(root);
	g_string_append(s, "{\"TrustDomain\": \"" TD "\", \"Roots\": [{\"ID\": "
			   "\"r1\", \"RootCert\": \"");
	for (const char *p = root_pem; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
	g_string_append(s, "\"}], \"ActiveRootID\": \"r1\"}");
	roots_json = g_string_free(g_steal_pointer(&s), FALSE);
	return 0;
}

static int suite_clean(void)
{
	sct_stop_all();
	tpki_free(root);
	g_free(leaf_pem);
	g_free(root_pem);
	g_free(roots_json);
	g_free(dir);
	return 0;
}

static void server_mode(const server *srv, const char *mode)
{
	g_autofree char *path = g_build_filename(srv->dir, "mode", NULL);

	sct_write(path, mode);
}

/* A hostile-server in @mode serving @body when it behaves. */
static server *server_start(const char *mode, const char *body)
{
	static unsigned serial;
	server *srv = g_new0(server, 1);
	g_autofree char *body_path = NULL;
	const char *args[] = {"--dir", NULL, NULL};

	srv->dir = g_strdup_printf("%s/srv%u", dir, serial);
	srv->state = g_strdup_printf("%s/srv%u.state", dir, serial++);
	g_mkdir_with_parents(srv->dir, 0755);
	body_path = g_build_filename(srv->dir, "body", NULL);
	sct_write(body_path, body);
	server_mode(srv, mode);
	args[1] = srv->dir;
	srv->port = sct_start("hostile-server", args, srv->state, &srv->pid);
	return srv;
}

static void server_stop(server *srv)
{
	if (srv == NULL)
		return;
	sct_stop(srv->pid);
	g_free(srv->dir);
	g_free(srv->state);
	g_free(srv);
}

/* Requests of @kind ("consul", "range", "watch") the server saw, the
 * gigabyte bodies that ended ("ended") or the bytes of the longest one
 * ("sent"). */
static gint64 server_count(const server *srv, const char *kind)
{
	return sct_state(srv->state, kind);
}

/* Polls until the server counted @n requests of @kind, for @seconds. */
static bool wait_count(const server *srv, const char *kind, gint64 n,
		       int seconds)
{
	gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;

	while (server_count(srv, kind) < n) {
		if (g_get_monotonic_time() > deadline) {
			fprintf(stderr,
				"server saw %" G_GINT64_FORMAT
				" %s requests, not %" G_GINT64_FORMAT "\n",
				server_count(srv, kind), kind, n);
			return false;
		}
		g_usleep(SCT_POLL_US);
	}
	return true;
}

static tv_engine *consul_engine(const server *srv, int max_staleness)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"  { name = \"mesh\"; hosts = [ \"" HOST "\" ];\n"
		"    match_names = [ \"" WORKLOAD_ID "\" ];\n"
		"    chain = ( { use = \"discovery\"; control = \"required\";\n"
		"      source = \"consul\"; trust_domain = \"" TD "\";\n"
		"      url = \"http://127.0.0.1:%d\"; wait = 1;\n"
		"      min_interval = 1; retry_max = 1;\n"
		"      max_bundle_bytes = %d; max_staleness = %d; } ); }\n"
		");\n",
		srv->port, MAX_BUNDLE_BYTES, max_staleness);
	tv_engine *e = sct_engine(policy, &error);

	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	return e;
}

static tv_engine *etcd_engine(const server *srv, int max_staleness)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"  { name = \"mesh\"; hosts = [ \"" HOST "\" ];\n"
		"    match_names = [ \"" WORKLOAD_ID "\" ];\n"
		"    chain = ( { use = \"discovery\"; control = \"required\";\n"
		"      source = \"etcd\"; format = \"pem\";\n"
		"      endpoints = [ \"http://127.0.0.1:%d\" ];\n"
		"      key = \"/tls/bundle\"; poll_interval = 1;\n"
		"      max_bundle_bytes = %d; max_staleness = %d; } ); }\n"
		");\n",
		srv->port, MAX_BUNDLE_BYTES, max_staleness);
	tv_engine *e = sct_engine(policy, &error);

	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	return e;
}

/* A "VmXXX:" line of /proc/self/status, in kB; -1 when absent. */
static gint64 proc_status_kb(const char *key)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL) ||
	    (p = strstr(text, key)) == NULL)
		return -1;
	return g_ascii_strtoll(p + strlen(key), NULL, 10);
}

/* The resident set now, with the peak reset to it where the kernel
 * allows (clear_refs 5), so VmHWM afterwards is the peak of what follows.
 * Returns VmHWM (the baseline growth is measured against). */
static gint64 rss_baseline_kb(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f != NULL) {
		fputs("5", f);
		fclose(f);
	}
	return proc_status_kb("VmHWM:");
}

/* The peak grew by less than RSS_GROWTH_LIMIT_KB since @base. */
static bool rss_bounded(gint64 base)
{
	gint64 hwm = proc_status_kb("VmHWM:");

	if (base < 0 || hwm < 0)
		return true; /* no /proc: nothing to measure */
	if (hwm - base >= RSS_GROWTH_LIMIT_KB) {
		fprintf(stderr, "peak RSS grew by %" G_GINT64_FORMAT " kB\n",
			hwm - base);
		return false;
	}
	return true;
}

/* A body of a gigabyte, claimed with Content-Length or streamed chunked:
 * the fetch is cut at max_bundle_bytes, memory stays bounded, the error is
 * recorded and the last good bundle keeps serving. */
static void gigabyte(const char *mode)
{
	server *srv = server_start("ok", roots_json);
	g_autoptr(tv_engine) e = consul_engine(srv, 300);
	gint64 base;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_TRUSTED));
	base = rss_baseline_kb();
	server_mode(srv, mode);
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "response over"));
	CU_ASSERT_TRUE(rss_bounded(base));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	/* The client hung up long before the gigabyte. */
	CU_ASSERT_TRUE(wait_count(srv, "ended", 1, SCT_DEADLINE_S));
	CU_ASSERT_TRUE(server_count(srv, "sent") < 1024LL * 1024 * 1024);
	server_stop(srv);
}

static void test_gigabyte_content_length(void)
{
	gigabyte("huge-cl");
}

static void test_gigabyte_chunked(void)
{
	gigabyte("huge-chunked");
}

/* Headers and half a body, then silence: the request times out (the
 * consul source's blocking query: wait + wait/16 + 10 s), the error is
 * recorded, the last good bundle stays, and closing does not hang on the
 * stalled connection. */
static void test_stall_mid_body(void)
{
	server *srv = server_start("ok", roots_json);
	g_autoptr(tv_engine) e = consul_engine(srv, 300);
	gint64 deadline;
	bool timed_out = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_TRUSTED));
	server_mode(srv, "stall");
	/* Longer than the request's own timeout (11 s), bounded. */
	deadline = g_get_monotonic_time() + 3 * SCT_DEADLINE_S * G_USEC_PER_SEC;
	while (!timed_out && g_get_monotonic_time() < deadline) {
		g_autofree char *err = sct_status_str(e, "last_error");

		timed_out = err != NULL && strstr(err, "timed out") != NULL;
		if (!timed_out)
			g_usleep(SCT_POLL_US);
	}
	CU_ASSERT_TRUE(timed_out);
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	/* The next query stalls again: closing cancels it. */
	g_clear_pointer(&e, tv_engine_free);
	server_stop(srv);
}

/* HTTP 500 forever (etcd): the source backs off (a bounded number of
 * requests), the last good bundle serves until max_staleness, then the
 * step answers UNAVAIL with source-unavailable. */
static void test_500_forever(void)
{
	const int max_staleness = 4;
	server *srv = server_start("ok", root_pem);
	g_autoptr(tv_engine) e = etcd_engine(srv, max_staleness);
	gint64 ranges, watches, since, elapsed_s;
	uint32_t reasons = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_TRUSTED));
	/* Fresh: ranged and polled at least once more. */
	CU_ASSERT_TRUE(wait_count(srv, "range", 2, SCT_DEADLINE_S));
	ranges = server_count(srv, "range");
	watches = server_count(srv, "watch");
	since = g_get_monotonic_time();
	server_mode(srv, "500");
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "HTTP 500"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_REJECTED));
	elapsed_s = (g_get_monotonic_time() - since) / G_USEC_PER_SEC;
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, &reasons, NULL),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE((reasons & TV_REASON_SOURCE_UNAVAILABLE) != 0);
	CU_ASSERT_TRUE(sct_wait_status(e, "state", "expired"));
	/* The last contact was at most a poll (1 s) before the switch. */
	CU_ASSERT_TRUE(elapsed_s >= max_staleness - 1);
	fprintf(stderr,
		"500 forever: expired after %" G_GINT64_FORMAT
		" s; %" G_GINT64_FORMAT " ranges, %" G_GINT64_FORMAT
		" watches meanwhile\n",
		elapsed_s, server_count(srv, "range") - ranges,
		server_count(srv, "watch") - watches);
	/* Backoff from 0.2 s, doubling: a handful of requests, where a loop
	 * without it makes thousands. */
	CU_ASSERT_TRUE(server_count(srv, "range") - ranges <=
		       3 + 2 * (elapsed_s + 1));
	CU_ASSERT_TRUE(server_count(srv, "watch") - watches <=
		       3 + 2 * (elapsed_s + 1));
	g_clear_pointer(&e, tv_engine_free);
	server_stop(srv);
}

/* An etcd whose ranges are good and whose every watch stream, once
 * created, sends garbage: bytes that are not UTF-8, text that is not
 * JSON, events of the wrong type, a key outside the one asked for, a
 * result of the wrong type, a nesting bomb, a line without end.  Each
 * is an error and a range again, with backoff; the bundle keeps serving
 * and memory stays bounded. */
static void test_watch_garbage(void)
{
	server *srv = server_start("watch-garbage", root_pem);
	gint64 since = g_get_monotonic_time();
	g_autoptr(tv_engine) e = etcd_engine(srv, 300);
	gint64 base, ranges, watches, elapsed_s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	base = rss_baseline_kb();
	CU_ASSERT_TRUE(sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_TRUSTED));
	/* Every kind once, and the first again: the backoff doubles from
	 * 0.2 s to some 6 s by then. */
	CU_ASSERT_TRUE(wait_count(srv, "watch", WATCH_GARBAGE_KINDS + 1,
				  4 * SCT_DEADLINE_S));
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "watch"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(rss_bounded(base));
	/* Every watch after a range, and backing off: a few a second at
	 * most, where ranging again at once after each makes thousands. */
	ranges = server_count(srv, "range");
	watches = server_count(srv, "watch");
	elapsed_s = (g_get_monotonic_time() - since) / G_USEC_PER_SEC;
	fprintf(stderr,
		"watch garbage: %" G_GINT64_FORMAT " watches, %" G_GINT64_FORMAT
		" ranges in %" G_GINT64_FORMAT " s\n",
		watches, ranges, elapsed_s);
	CU_ASSERT_TRUE(watches <= ranges + 1);
	CU_ASSERT_TRUE(watches <= 3 + 2 * (elapsed_s + 1));
	/* The 1 s polls add a range a second. */
	CU_ASSERT_TRUE(ranges <= 3 + 3 * (elapsed_s + 1));
	g_clear_pointer(&e, tv_engine_free);
	/* The endless line was cut at the source's cap. */
	CU_ASSERT_TRUE(wait_count(srv, "ended", 1, SCT_DEADLINE_S));
	CU_ASSERT_TRUE(server_count(srv, "sent") < 1024LL * 1024 * 1024);
	server_stop(srv);
}

/* A body nested 300,000 levels deep (600 KB, under max_bundle_bytes):
 * json-glib would recurse past the worker's stack; the update is
 * rejected with a reason and the last good bundle stays. */
static void test_json_bomb(void)
{
	server *srv = server_start("ok", roots_json);
	g_autoptr(tv_engine) e = consul_engine(srv, 300);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(sct_wait_verdict(e, HOST, leaf_pem, TV_VERDICT_TRUSTED));
	server_mode(srv, "bomb");
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "nests deeper"));
	CU_ASSERT_TRUE(sct_wait_status(e, "rejected_updates", "1"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	g_clear_pointer(&e, tv_engine_free);
	server_stop(srv);
}

static CU_TestInfo tests[] = {
	{"/hostile/gigabyte-content-length", test_gigabyte_content_length},
	{"/hostile/gigabyte-chunked", test_gigabyte_chunked},
	{"/hostile/stall-mid-body", test_stall_mid_body},
	{"/hostile/500-forever", test_500_forever},
	{"/hostile/etcd-watch-garbage", test_watch_garbage},
	{"/hostile/json-bomb", test_json_bomb},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"hostile", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc;

	atexit(sct_stop_all);
	rc = tv_test_run(suites);
	sct_stop_all();
	return rc;
}
