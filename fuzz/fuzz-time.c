/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: policy and CLI time strings (tv_time_parse). */
#include "tlsverify/tlsverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	int64_t t = 0;

	if (tv_time_parse(text, &t, &error)) {
		g_autofree char *again =
			g_strdup_printf("@%" G_GINT64_FORMAT, t);
		int64_t u = 0;

		/* Whatever parsed names an instant that @EPOCH gives back. */
		if (!tv_time_parse(again, &u, NULL) || u != t)
			abort();
	} else if (error == NULL || error->domain != TV_ERROR) {
		abort(); /* a failure without its error */
	}
	return 0;
}
