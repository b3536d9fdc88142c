/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TV_ERROR domain and the installed default directories. */
#include "tlsverify/tlsverify.h"

GQuark tv_error_quark(void)
{
	return g_quark_from_static_string("tlsverify-error-quark");
}

const char *tv_default_conf_dir(void)
{
	return TV_DEFAULT_CONF_DIR;
}

const char *tv_default_plugin_dir(void)
{
	return TV_DEFAULT_PLUGIN_DIR;
}
