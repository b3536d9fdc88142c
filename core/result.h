/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tv_result: verdict, reasons, message and the decision trace. */
#ifndef TV_CORE_RESULT_H
#define TV_CORE_RESULT_H

#include "tlsverify/tlsverify.h"

struct tv_result {
	gint refcount; /* immutable once returned: the cache shares it */
	tv_verdict verdict;
	uint32_t reasons;
	char *message;
	char *endpoint;
	char *host;
	bool insecure_skip;
	GPtrArray *trace; /* tv_trace_entry*, strings owned */
};

tv_result *result_new(const char *endpoint, const char *host);
tv_result *result_ref(tv_result *result);
/* Appends a trace line; strings are copied. */
void result_trace(tv_result *result, const char *plugin, const char *control,
		  const char *verdict, const char *action, uint32_t reasons,
		  const char *message);
void result_set_message(tv_result *result, const char *message);

/* "a, b" for reason bits; (transfer full). */
char *reasons_join(uint32_t reasons, const char *separator);

#endif
