/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine: current snapshot, lock-free acquisition, verification. */
#ifndef TV_CORE_ENGINE_H
#define TV_CORE_ENGINE_H

#include "snapshot.h"
#include "lock.h"

struct tv_engine {
	char *conf_dir;
	char *plugin_dir;  /* as given; NULL = policy or installed default */
	snapshot *current; /* atomic */
	/*
	 * Readers announce themselves in readers[epoch] for the few
	 * instructions between loading `current` and taking a reference;
	 * a swap flips the epoch and waits for the old epoch to drain
	 * before dropping its own reference.  No lock on the hot path.
	 */
	gint readers[2];
	gint epoch;
	core_lock reload_lock;
	engine_shared shared;
	/* The last reload (or the first load), for metrics and status. */
	gint last_reload_ok;
	gint64 last_reload_time; /* wall seconds */
	gint64 reloads_ok, reloads_failed;
	char *last_reload_error; /* under reload_lock */
	/* Shared by every attached session: presents `client` certificates
	 * through a retrieve callback (gnutls-glue.c). */
	gnutls_certificate_credentials_t creds;
};

/* Certificate credentials whose retrieve callback serves the policy's
 * client certificates; NULL on allocation failure. */
gnutls_certificate_credentials_t engine_credentials_new(void);

/* (transfer full) reference to the current snapshot. */
snapshot *engine_acquire(tv_engine *engine);

#endif
