/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine worker: one thread running a GMainContext for plugins. */
#include "config.h"

#include "worker.h"

#include "lock.h"

#include <stdbool.h>
#include <tlsverify/plugin.h>

#include "instance.h"

struct core_worker {
	core_lock lock; /* guards thread, calls */
	GQueue calls;	/* sync_call *, waiting for the worker */
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
};

core_worker *worker_new(void)
{
	core_worker *w = g_new0(core_worker, 1);

	core_lock_init(&w->lock);
	g_queue_init(&w->calls);
	w->ctx = g_main_context_new();
	w->loop = g_main_loop_new(w->ctx, FALSE);
	return w;
}

static gpointer worker_run(gpointer data)
{
	core_worker *w = data;

	g_main_context_push_thread_default(w->ctx);
	g_main_loop_run(w->loop);
	g_main_context_pop_thread_default(w->ctx);
	return NULL;
}

static gboolean worker_quit(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

void worker_free(core_worker *w)
{
	if (w == NULL)
		return;
	if (w->thread != NULL) {
		g_return_if_fail(!g_main_context_is_owner(w->ctx));
		g_main_context_invoke(w->ctx, worker_quit, w->loop);
		g_thread_join(w->thread);
	}
	g_main_loop_unref(w->loop);
	g_main_context_unref(w->ctx);
	core_lock_clear(&w->lock);
	g_free(w);
}

GMainContext *worker_get_context(core_worker *w)
{
	core_lock_acquire(&w->lock);
	if (w->thread == NULL)
		w->thread = g_thread_new("tv-worker", worker_run, w);
	core_lock_release(&w->lock);
	return w->ctx;
}

/* One synchronous call: the caller waits on @done under @lock. */
typedef struct {
	GSourceFunc fn;
	gpointer data;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
} sync_call;

/*
 * The calls travel through a queue under the worker's lock rather than as
 * the idle source's data: the handover is then ordered by a lock
 * ThreadSanitizer sees (glib's own locks are invisible to it).
 */
static gboolean sync_calls_run(gpointer data)
{
	core_worker *w = data;
	sync_call *c;

	for (;;) {
		core_lock_acquire(&w->lock);
		c = g_queue_pop_head(&w->calls);
		core_lock_release(&w->lock);
		if (c == NULL)
			return G_SOURCE_REMOVE;
		c->fn(c->data);
		pthread_mutex_lock(&c->lock);
		c->done = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

void worker_invoke_sync(core_worker *w, GSourceFunc fn, gpointer data)
{
	sync_call c = {.fn = fn, .data = data, .done = false};
	bool running;
	GSource *src;

	core_lock_acquire(&w->lock);
	running = w->thread != NULL;
	core_lock_release(&w->lock);
	/* Nothing of the plugin's can be dispatched concurrently when the
	 * thread never ran, and on the worker we are that dispatch. */
	if (!running || g_main_context_is_owner(w->ctx)) {
		fn(data);
		return;
	}
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	core_lock_acquire(&w->lock);
	g_queue_push_tail(&w->calls, &c);
	core_lock_release(&w->lock);
	src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_HIGH);
	g_source_set_callback(src, sync_calls_run, w, NULL);
	g_source_attach(src, w->ctx);
	g_source_unref(src);
	pthread_mutex_lock(&c.lock);
	while (!c.done)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
}

/* ---- host API ---------------------------------------------------------- */

GMainContext *tv_host_get_main_context(const tv_host *host)
{
	g_return_val_if_fail(host != NULL, NULL);
	if (host->shared == NULL || host->shared->worker == NULL)
		return NULL;
	return worker_get_context(host->shared->worker);
}

void tv_host_invoke_sync(const tv_host *host, GSourceFunc fn, gpointer data)
{
	g_return_if_fail(host != NULL && fn != NULL);
	if (host->shared == NULL || host->shared->worker == NULL) {
		fn(data);
		return;
	}
	worker_invoke_sync(host->shared->worker, fn, data);
}
