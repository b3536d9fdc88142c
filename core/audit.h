/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit events through glib structured logging (journald fields). */
#ifndef TV_CORE_AUDIT_H
#define TV_CORE_AUDIT_H

#include <glib.h>
#include <stdint.h>

/*
 * @event: "insecure-skip", "insecure-lapsed", "reload", ...; the other
 * strings may be NULL.  @held_back: events of the same kind not written
 * since the last one (rate limiting; TLSVERIFY_SUPPRESSED).  Always logged,
 * at warning level.
 */
void audit_event(const char *event, const char *endpoint, const char *host,
		 const char *reason, const char *owner, const char *message,
		 uint64_t held_back);

#endif
