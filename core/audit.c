/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit events through glib structured logging (journald fields). */
#include "audit.h"

void audit_event(const char *event, const char *endpoint, const char *host,
		 const char *reason, const char *owner, const char *message)
{
	const GLogField fields[] = {
		{"GLIB_DOMAIN", "tlsverify", -1},
		{"PRIORITY", "4", -1}, /* warning */
		{"MESSAGE", message ? message : event, -1},
		{"TLSVERIFY_EVENT", event, -1},
		{"TLSVERIFY_ENDPOINT", endpoint ? endpoint : "", -1},
		{"TLSVERIFY_HOST", host ? host : "", -1},
		{"TLSVERIFY_REASON", reason ? reason : "", -1},
		{"TLSVERIFY_OWNER", owner ? owner : "", -1},
	};

	g_log_structured_array(G_LOG_LEVEL_WARNING, fields,
			       G_N_ELEMENTS(fields));
}
