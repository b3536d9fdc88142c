/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit events through glib structured logging (journald fields). */
#ifndef TV_CORE_AUDIT_H
#define TV_CORE_AUDIT_H

#include <glib.h>

/* @event: "insecure-skip", "insecure-lapsed", ...; any of the strings may
 * be NULL.  Always logged, at warning level. */
void audit_event(const char *event, const char *endpoint, const char *host,
		 const char *reason, const char *owner, const char *message);

#endif
