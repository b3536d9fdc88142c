/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host names and endpoint host patterns: parse, normalise, compare. */
#include "hostname.h"

#include "tlsverify/tlsverify.h"

#include <errno.h>
#include <string.h>

void host_pattern_free(host_pattern *p)
{
	if (p == NULL)
		return;
	g_free(p->name);
	g_free(p->text);
	g_free(p);
}

bool hostname_is_ip(const char *host)
{
	return g_hostname_is_ip_address(host);
}

static bool is_label_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* A DNS name: non-empty labels of [a-z0-9_-], at most 253 bytes. */
static bool is_dns_name(const char *name)
{
	size_t label = 0, len = strlen(name);

	if (len == 0 || len > 253)
		return false;
	for (const char *c = name; *c != '\0'; c++) {
		if (*c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_label_char(*c) && ++label <= 63) {
			continue;
		} else {
			return false;
		}
	}
	return label > 0;
}

char *hostname_normalize(const char *host)
{
	g_autofree char *h = NULL;
	size_t len;

	if (host == NULL)
		return NULL;
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
		h = g_strndup(host + 1, len - 2);
	else
		h = g_strdup(host);
	len = strlen(h);
	if (len > 1 && h[len - 1] == '.')
		h[--len] = '\0';
	if (len == 0)
		return NULL;
	if (hostname_is_ip(h)) {
		/* glib accepts "%zone" suffixes; a zone names an interface,
		 * never a peer, and would make normal forms unstable. */
		if (strspn(h, "0123456789abcdefABCDEF:.") != len)
			return NULL;
	} else if (!is_dns_name(h)) {
		return NULL;
	}
	/* In place: this runs on every verification, cache hits too. */
	for (char *c = h; *c != '\0'; c++)
		*c = g_ascii_tolower(*c);
	return g_steal_pointer(&h);
}

static bool parse_port(const char *s, uint16_t *out)
{
	char *end = NULL;
	guint64 v;

	if (*s == '\0' || !g_ascii_isdigit(*s))
		return false;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

host_pattern *host_pattern_parse(const char *text, GError **error)
{
	g_autofree char *host = NULL;
	const char *colon;
	uint16_t port = 0;
	host_pattern *p;

	if (text == NULL || *text == '\0') {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "empty host pattern");
		return NULL;
	}

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':') ||
		    (close[1] == ':' && !parse_port(close + 2, &port)))
			goto bad;
		host = g_strndup(text + 1, (gsize)(close - text - 1));
		if (!g_hostname_is_ip_address(host) ||
		    strchr(host, ':') == NULL)
			goto bad;
	} else if ((colon = strchr(text, ':')) != NULL &&
		   strchr(colon + 1, ':') == NULL) {
		if (!parse_port(colon + 1, &port))
			goto bad;
		host = g_strndup(text, (gsize)(colon - text));
	} else {
		/* No colon, or a bare IPv6 literal (several colons). */
		host = g_strdup(text);
	}

	p = g_new0(host_pattern, 1);
	p->text = g_strdup(text);
	p->port = port;
	if (strcmp(host, "*") == 0) {
		p->kind = PATTERN_ANY;
		p->name = g_strdup("*");
		return p;
	}
	if (g_str_has_prefix(host, "*.")) {
		p->kind = PATTERN_WILDCARD;
		p->name = hostname_normalize(host + 2);
		if (p->name == NULL || hostname_is_ip(p->name) ||
		    strchr(p->name, '.') == NULL)
			goto bad_free; /* "*.com" would cover a whole TLD */
		return p;
	}
	p->kind = PATTERN_EXACT;
	p->name = hostname_normalize(host);
	if (p->name == NULL || strchr(p->name, '*') != NULL)
		goto bad_free;
	return p;

bad_free:
	host_pattern_free(p);
bad:
	g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
		    "bad host pattern '%s': expected host, host:port, "
		    "*.domain (at least two labels), [ipv6]:port or *",
		    text);
	return NULL;
}

/* True when @name is @suffix or lies below it on a label boundary. */
static bool is_below_or_equal(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n == s)
		return strcmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' &&
	       strcmp(name + n - s, suffix) == 0;
}

static bool is_strictly_below(const char *name, const char *suffix)
{
	return strlen(name) > strlen(suffix) && is_below_or_equal(name, suffix);
}

bool host_pattern_covers_host(const host_pattern *p, const char *host)
{
	switch (p->kind) {
	case PATTERN_ANY:
		return true;
	case PATTERN_EXACT:
		return strcmp(p->name, host) == 0;
	case PATTERN_WILDCARD:
		return !hostname_is_ip(host) &&
		       is_strictly_below(host, p->name);
	}
	return false;
}

static bool ports_overlap(const host_pattern *a, const host_pattern *b)
{
	return a->port == 0 || b->port == 0 || a->port == b->port;
}

bool host_pattern_overlaps(const host_pattern *a, const host_pattern *b)
{
	if (!ports_overlap(a, b))
		return false;
	if (a->kind == PATTERN_ANY || b->kind == PATTERN_ANY)
		return true;
	if (a->kind == PATTERN_EXACT)
		return host_pattern_covers_host(b, a->name);
	if (b->kind == PATTERN_EXACT)
		return host_pattern_covers_host(a, b->name);
	return is_below_or_equal(a->name, b->name) ||
	       is_below_or_equal(b->name, a->name);
}

bool host_pattern_shadows(const host_pattern *p, const host_pattern *prot)
{
	if (!ports_overlap(p, prot))
		return false;
	switch (prot->kind) {
	case PATTERN_ANY:
		/* Every pattern is as specific as "*" or more. */
		return true;
	case PATTERN_EXACT:
		/* Only an exact pattern for the same host beats it. */
		return p->kind == PATTERN_EXACT &&
		       strcmp(p->name, prot->name) == 0;
	case PATTERN_WILDCARD:
		if (p->kind == PATTERN_EXACT)
			return host_pattern_covers_host(prot, p->name);
		if (p->kind == PATTERN_WILDCARD)
			return is_below_or_equal(p->name, prot->name);
		return false;
	}
	return false;
}

bool host_pattern_contains(const host_pattern *outer, const host_pattern *inner)
{
	if (outer->port != 0 && outer->port != inner->port)
		return false;
	switch (outer->kind) {
	case PATTERN_ANY:
		return true;
	case PATTERN_EXACT:
		return inner->kind == PATTERN_EXACT &&
		       strcmp(inner->name, outer->name) == 0;
	case PATTERN_WILDCARD:
		if (inner->kind == PATTERN_EXACT)
			return host_pattern_covers_host(outer, inner->name);
		if (inner->kind == PATTERN_WILDCARD)
			return is_below_or_equal(inner->name, outer->name);
		return false;
	}
	return false;
}
