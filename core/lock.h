/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mutexes for the core's shared state, visible to ThreadSanitizer. */
#ifndef TV_CORE_LOCK_H
#define TV_CORE_LOCK_H

#include <pthread.h>

/*
 * glib's GMutex is futex-based on Linux, so ThreadSanitizer cannot see
 * what it orders and reports every access it protects as a race; the
 * core's locks are plain pthread mutexes instead (`make check-tsan`).
 */
typedef pthread_mutex_t core_lock;

static inline void core_lock_init(core_lock *l)
{
	pthread_mutex_init(l, NULL);
}

static inline void core_lock_clear(core_lock *l)
{
	pthread_mutex_destroy(l);
}

static inline void core_lock_acquire(core_lock *l)
{
	pthread_mutex_lock(l);
}

static inline void core_lock_release(core_lock *l)
{
	pthread_mutex_unlock(l);
}

#endif
