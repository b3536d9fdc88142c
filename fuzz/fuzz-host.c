/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: endpoint host patterns and host names (core/hostname.c). */
#include "hostname.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autofree char *name = hostname_normalize(text);
	g_autoptr(GError) error = NULL;
	host_pattern *p = host_pattern_parse(text, &error);

	if (name != NULL) {
		g_autofree char *twice = hostname_normalize(name);

		/* Normal form is a fixed point. */
		if (twice == NULL || strcmp(twice, name) != 0)
			abort();
		(void)hostname_is_ip(name);
	}
	if (p == NULL) {
		if (error == NULL)
			abort(); /* a failure without its message */
		return 0;
	}
	if (p->text == NULL || (p->kind != PATTERN_ANY && p->name == NULL))
		abort();
	/* The relations a policy load computes between patterns, against
	 * itself: each must hold for a pattern and itself. */
	if (!host_pattern_overlaps(p, p) || !host_pattern_shadows(p, p))
		abort();
	if (p->port == 0 && !host_pattern_contains(p, p))
		abort();
	if (name != NULL)
		(void)host_pattern_covers_host(p, name);
	host_pattern_free(p);
	return 0;
}
