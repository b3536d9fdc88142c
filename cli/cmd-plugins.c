/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify plugins`: list the plugins of the plugin directory. */
#include "cli.h"

static const cli_command_help plugins_help = {
	.name = "plugins",
	.parameters = "",
	.summary =
		"List every plugin (*.so) in the plugin directory, loaded with "
		"the checks the\n"
		"engine applies (ABI major, entry symbol, name, file "
		"permissions).",
	.description =
		"The directory is --plugin-dir, else $TLSVERIFY_PLUGIN_DIR, "
		"else the policy's\n"
		"defaults.plugin_dir (this loads the policy), else the "
		"installed directory.\n"
		"\n"
		"Output: one line per plugin, sorted by name:\n"
		"  NAME  abi MAJOR.MINOR  SUMMARY\n"
		"  NAME  unusable: ERROR\n"
		"\n"
		"Exit status:\n"
		"  0  every plugin is usable (also when there is none)\n"
		"  1  some plugin is unusable\n"
		"  2  usage error, or the directory cannot be scanned",
};

/*
 * Without --plugin-dir or $TLSVERIFY_PLUGIN_DIR the engine's choice counts,
 * and only a loaded engine tells it.  A policy that does not load (perhaps
 * because of the very plugin the user wants to look at) must not hide the
 * list: fall back to the installed directory and say so.  When that cannot
 * be scanned either, the policy's error is the one worth reading.
 * Returns: (transfer full): the plugins, or NULL after printing why.
 */
static GPtrArray *scan_plugins(const cli_globals *globals)
{
	const char *dir = cli_plugin_dir(globals);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) scan_error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	GPtrArray *infos;

	if (dir == NULL) {
		engine = tv_engine_new(cli_conf_dir(globals), NULL, &error);
		dir = engine != NULL ? tv_engine_get_plugin_dir(engine)
				     : tv_default_plugin_dir();
	}
	infos = tv_plugins_scan(dir, &scan_error);
	if (infos == NULL) {
		cli_error("%s", (error ? error : scan_error)->message);
		return NULL;
	}
	if (error != NULL)
		cli_error("note: policy not loaded (%s); listing %s",
			  error->message, dir);
	if (infos->len == 0)
		cli_error("no plugins in %s", dir);
	return infos;
}

int cmd_plugins(cli_globals *globals, int argc, char **argv)
{
	g_auto(GStrv) operands = NULL;
	const GOptionEntry entries[] = {
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		 &operands, NULL, NULL},
		{NULL},
	};
	g_autoptr(GPtrArray) infos = NULL;
	int status;

	if (!cli_parse_command(&plugins_help, entries, globals, &argc, &argv,
			       &status))
		return status;
	if (operands != NULL && operands[0] != NULL) {
		cli_usage_error("plugins", "unexpected argument '%s'",
				operands[0]);
		return CLI_EXIT_ERROR;
	}

	infos = scan_plugins(globals);
	if (infos == NULL)
		return CLI_EXIT_ERROR;

	status = CLI_EXIT_OK;
	for (guint i = 0; i < infos->len; i++) {
		const tv_plugin_info *info = g_ptr_array_index(infos, i);
		g_autofree char *name = cli_dup_printable(info->name);

		if (info->error != NULL) {
			g_autofree char *why = cli_dup_printable(info->error);

			printf("%s  unusable: %s\n", name, why);
			status = CLI_EXIT_REJECTED;
		} else {
			g_autofree char *summary =
				cli_dup_printable(info->summary);

			printf("%s  abi %u.%u  %s\n", name, info->abi_major,
			       info->abi_minor, summary);
		}
	}
	return status;
}
