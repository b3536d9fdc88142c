/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host names and endpoint host patterns: parse, normalise, compare. */
#ifndef TV_CORE_HOSTNAME_H
#define TV_CORE_HOSTNAME_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
	PATTERN_EXACT,	  /* "api.example.com", "10.0.0.1", "::1" */
	PATTERN_WILDCARD, /* "*.example.com": any name below example.com */
	PATTERN_ANY,	  /* "*" */
} pattern_kind;

typedef struct {
	pattern_kind kind;
	char *name;    /* normalised host (EXACT) or suffix (WILDCARD) */
	uint16_t port; /* 0 = any port */
	char *text;    /* as written, for messages */
	int line;      /* where it was written */
} host_pattern;

/* Parses "host", "host:port", "*.suffix[:port]", "*[:port]",
 * "[v6]:port" or a bare IPv6 literal.  Returns NULL with a message
 * (no file:line; the caller adds it) in @error. */
host_pattern *host_pattern_parse(const char *text, GError **error);
void host_pattern_free(host_pattern *p);

/* Lower-cases, strips one trailing dot and IPv6 brackets.  Returns
 * (transfer full) NULL when @host is empty or not a plausible name. */
char *hostname_normalize(const char *host);
bool hostname_is_ip(const char *host);

/* True when @pattern would match @host on some port. */
bool host_pattern_covers_host(const host_pattern *pattern, const char *host);

/*
 * True when @p would take a host away from @protected: @p matches some
 * host and port that @protected matches and @p would win the precedence
 * (equal or more specific).
 */
bool host_pattern_shadows(const host_pattern *p, const host_pattern *protected);

/* True when port-less @outer matches every host @inner matches. */
bool host_pattern_contains(const host_pattern *outer,
			   const host_pattern *inner);

/* True when the two patterns match at least one common host. */
bool host_pattern_overlaps(const host_pattern *a, const host_pattern *b);

#endif
