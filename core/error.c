/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TV_ERROR domain and the installed default directories. */
#include "error.h"

#include <string.h>

GQuark tv_error_quark(void)
{
	/* Not the _static_ variant: a process may unload this library (a
	 * plugin's dependency) while glib's quark table lives on. */
	return g_quark_from_string("tlsverify-error-quark");
}

const char *tv_default_conf_dir(void)
{
	return TV_DEFAULT_CONF_DIR;
}

const char *tv_default_plugin_dir(void)
{
	return TV_DEFAULT_PLUGIN_DIR;
}

void error_elide(char **msg)
{
	size_t len = strlen(*msg);
	const char *head_end, *tail;
	char *out;

	if (len <= ERROR_MESSAGE_MAX)
		return;
	head_end = g_utf8_find_prev_char(*msg, *msg + ERROR_MESSAGE_MAX / 2);
	tail = g_utf8_find_next_char(*msg + len - ERROR_MESSAGE_MAX / 2 - 1,
				     NULL);
	if (head_end == NULL || tail == NULL)
		return;
	out = g_strdup_printf("%.*s ... %s", (int)(head_end - *msg), *msg,
			      tail);
	g_free(*msg);
	*msg = out;
}
