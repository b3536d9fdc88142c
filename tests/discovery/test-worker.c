/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine worker: lazy start, one thread, synchronous calls, clean stop. */
#include "config.h"

#include "worker.h"

#include "../unit/tv-test.h"

static GThread *seen_thread;
static int calls;

static gboolean note_thread(gpointer data)
{
	(void)data;
	seen_thread = g_thread_self();
	calls++;
	return G_SOURCE_CONTINUE; /* ignored: runs once */
}

/* Never started: the call runs on the caller. */
static void test_direct_when_idle(void)
{
	core_worker *w = worker_new();

	calls = 0;
	worker_invoke_sync(w, note_thread, NULL);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_PTR_EQUAL(seen_thread, g_thread_self());
	worker_free(w);
}

static gboolean fire_timer(gpointer data)
{
	g_atomic_int_set((gint *)data, 1);
	return G_SOURCE_REMOVE;
}

/* Started: the call runs on the worker, once, and sources attached to its
 * context are dispatched there. */
static void test_runs_on_worker(void)
{
	core_worker *w = worker_new();
	GMainContext *ctx = worker_get_context(w);
	gint fired = 0;
	GSource *src;
	gint64 deadline;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_PTR_EQUAL(worker_get_context(w), ctx);
	calls = 0;
	worker_invoke_sync(w, note_thread, NULL);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_PTR_NOT_EQUAL(seen_thread, g_thread_self());
	src = g_timeout_source_new(1);
	g_source_set_callback(src, fire_timer, &fired, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (!g_atomic_int_get(&fired) && g_get_monotonic_time() < deadline)
		g_usleep(1000);
	CU_ASSERT_EQUAL(g_atomic_int_get(&fired), 1);
	worker_free(w); /* joins */
}

static core_worker *nested_worker;
static int nested_calls;

static gboolean inner(gpointer data)
{
	(void)data;
	nested_calls++;
	return G_SOURCE_REMOVE;
}

static gboolean outer(gpointer data)
{
	(void)data;
	/* On the worker: must run directly, not deadlock. */
	worker_invoke_sync(nested_worker, inner, NULL);
	return G_SOURCE_REMOVE;
}

static void test_nested_call(void)
{
	nested_worker = worker_new();
	worker_get_context(nested_worker);
	nested_calls = 0;
	worker_invoke_sync(nested_worker, outer, NULL);
	CU_ASSERT_EQUAL(nested_calls, 1);
	worker_free(nested_worker);
}

static CU_TestInfo tests[] = {
	{"/worker/direct-when-idle", test_direct_when_idle},
	{"/worker/runs-on-worker", test_runs_on_worker},
	{"/worker/nested-call", test_nested_call},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"worker", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
