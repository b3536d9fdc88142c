/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Endpoint lookup by host and port; cost independent of the endpoint count. */
#ifndef TV_CORE_MATCH_H
#define TV_CORE_MATCH_H

#include "hostname.h"

typedef struct match_index match_index;

match_index *match_index_new(void);
void match_index_free(match_index *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(match_index, match_index_free)

/* Adds @pattern for @value.  Returns the value already registered for the
 * same pattern (nothing is changed then), or NULL on success. */
gpointer match_index_add(match_index *index, const host_pattern *pattern,
			 gpointer value);

/*
 * Precedence: exact host:port, exact host, then the longest wildcard
 * suffix (with the port before without), then *:port, then *.
 * @host must be normalised (hostname_normalize).  Returns NULL when
 * nothing matches.
 */
gpointer match_index_lookup(const match_index *index, const char *host,
			    uint16_t port);

#endif
