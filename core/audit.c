/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit events through glib structured logging (journald fields). */
#include "audit.h"

#include <stdbool.h>
#include <string.h>

void audit_event(const char *event, const char *endpoint, const char *host,
		 const char *reason, const char *owner, const char *message,
		 uint64_t held_back)
{
	g_autofree char *text = NULL;
	char held[24];
	const char *body = message ? message : event;

	/* A reload that worked is news, not a warning. */
	bool notice = strcmp(event, "reload") == 0;

	g_snprintf(held, sizeof(held), "%" G_GUINT64_FORMAT,
		   (guint64)held_back);
	if (held_back > 0)
		text = g_strdup_printf("%s (%" G_GUINT64_FORMAT
				       " more like this in the last minute)",
				       body, (guint64)held_back);
	const GLogField fields[] = {
		{"GLIB_DOMAIN", "tlsverify", -1},
		{"PRIORITY", "4", -1}, /* warning */
		{"MESSAGE", text ? text : body, -1},
		{"TLSVERIFY_EVENT", event, -1},
		{"TLSVERIFY_ENDPOINT", endpoint ? endpoint : "", -1},
		{"TLSVERIFY_HOST", host ? host : "", -1},
		{"TLSVERIFY_REASON", reason ? reason : "", -1},
		{"TLSVERIFY_OWNER", owner ? owner : "", -1},
		{"TLSVERIFY_SUPPRESSED", held, -1},
	};

	g_log_structured_array(notice ? G_LOG_LEVEL_MESSAGE
				      : G_LOG_LEVEL_WARNING,
			       fields, G_N_ELEMENTS(fields));
}
