/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify check-config`: load the policy and print its lint warnings. */
#include "cli.h"

static const cli_command_help check_config_help = {
	.name = "check-config",
	.parameters = "",
	.summary =
		"Load the policy (every *.conf in the configuration directory, "
		"in lexical\n"
		"order), open every plugin step and lint it: fail-open "
		"orderings, chains\n"
		"that can never decide, pin sets without a backup pin.",
	.description =
		"Output: each warning on standard error as\n"
		"  warning: FILE:LINE: TEXT\n"
		"then on standard output\n"
		"  configuration ok: DIR\n"
		"  N warning(s)              (only when there are warnings)\n"
		"\n"
		"Exit status:\n"
		"  0  the policy loads (warnings do not change this)\n"
		"  2  usage or configuration error (the message names "
		"FILE:LINE)",
};

int cmd_check_config(cli_globals *globals, int argc, char **argv)
{
	g_auto(GStrv) operands = NULL;
	const GOptionEntry entries[] = {
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		 &operands, NULL, NULL},
		{NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_auto(GStrv) warnings = NULL;
	const char *conf_dir;
	g_autofree char *conf_dir_printable = NULL;
	size_t n = 0;
	int status;

	if (!cli_parse_command(&check_config_help, entries, globals, &argc,
			       &argv, &status))
		return status;
	if (operands != NULL && operands[0] != NULL) {
		cli_usage_error("check-config", "unexpected argument '%s'",
				operands[0]);
		return CLI_EXIT_ERROR;
	}

	conf_dir = cli_conf_dir(globals);
	engine = tv_engine_new(conf_dir, cli_plugin_dir(globals), &error);
	if (engine == NULL) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}

	warnings = tv_engine_dup_warnings(engine);
	for (; warnings != NULL && warnings[n] != NULL; n++) {
		g_autofree char *text = cli_dup_printable(warnings[n]);

		fprintf(stderr, "warning: %s\n", text);
	}
	conf_dir_printable = cli_dup_printable(conf_dir);
	printf("configuration ok: %s\n", conf_dir_printable);
	if (n > 0)
		printf("%zu warning%s\n", n, n == 1 ? "" : "s");
	return CLI_EXIT_OK;
}
