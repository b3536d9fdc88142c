/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller's request: host, port, purpose, time and raw DER certificates. */
#ifndef TV_CORE_REQUEST_H
#define TV_CORE_REQUEST_H

#include "tlsverify/tlsverify.h"

struct tv_request {
	char *host; /* as given */
	uint16_t port;
	tv_purpose purpose;
	int64_t time;	      /* -1 = now */
	GPtrArray *presented; /* GBytes*, leaf first */
	GPtrArray *untrusted; /* GBytes* */
};

#endif
