/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TV_ERROR domain and the installed default directories. */
#include "tlsverify/tlsverify.h"

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
