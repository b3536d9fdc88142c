/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine worker: one thread running a GMainContext for plugins. */
#ifndef TV_CORE_WORKER_H
#define TV_CORE_WORKER_H

#include <glib.h>

typedef struct core_worker core_worker;

/* A worker whose thread starts on first use.  Never NULL. */
core_worker *worker_new(void);
/* Stops the thread (if it ran) and joins it; sources still attached to
 * the context are destroyed with it.  Not from the worker itself.
 * NULL-safe. */
void worker_free(core_worker *w);
/* (transfer none) the worker's context; starts the thread. */
GMainContext *worker_get_context(core_worker *w);
/* Runs @fn(@data) once on the worker and waits for it; runs it directly
 * when called on the worker or when the thread never started. */
void worker_invoke_sync(core_worker *w, GSourceFunc fn, gpointer data);

#endif
