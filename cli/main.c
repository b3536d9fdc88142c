/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tlsverify command line: global options, help and subcommand dispatch. */
#include "cli.h"

#include <string.h>

#define CLI_ENV_CONF_DIR "TLSVERIFY_CONF_DIR"
#define CLI_ENV_PLUGIN_DIR "TLSVERIFY_PLUGIN_DIR"

static const struct {
	const char *name;
	cli_command_fn run;
	const char *summary;
} commands[] = {
	{"verify", cmd_verify,
	 "Verify a certificate chain offline against the policy"},
	{"check-config", cmd_check_config,
	 "Load the policy, open its plugins and print lint warnings"},
	{"plugins", cmd_plugins, "List the plugins in the plugin directory"},
	{"pin", cmd_pin, "Print the sha256// pins of a chain, key or server"},
	{"connect", cmd_connect,
	 "Connect to a TLS server and verify it by the policy"},
	{"probe", cmd_probe,
	 "Probe the policy's endpoints and serve /metrics and /status"},
};

static const char global_summary[] =
	"Decide whether a TLS peer is trusted, per endpoint, by policy.";

static char *dup_commands_text(void)
{
	GString *text = g_string_new("Commands:\n");

	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(text, "  %-16s%s\n", commands[i].name,
				       commands[i].summary);
	g_string_append_printf(text, "  %-16s%s\n", "help [COMMAND]",
			       "Show this help, or the help of COMMAND");
	return g_string_free(text, FALSE);
}

static char *dup_global_description(void)
{
	g_autofree char *command_text = dup_commands_text();

	return g_strdup_printf(
		"%s\n"
		"Environment:\n"
		"  " CLI_ENV_CONF_DIR "    policy directory when --conf-dir "
		"is not given\n"
		"                        (default: %s)\n"
		"  " CLI_ENV_PLUGIN_DIR "  plugin directory when --plugin-dir "
		"is not given\n"
		"                        (default: the policy's "
		"defaults.plugin_dir, else\n"
		"                        %s)\n"
		"  A command-line option beats the environment; an empty "
		"variable counts\n"
		"  as unset.  The global options may also follow COMMAND.\n"
		"\n"
		"Exit status:\n"
		"  0  trusted (verify, connect), ok\n"
		"  1  rejected (verify, connect), some plugin unusable "
		"(plugins),\n"
		"     some probe failed (probe --once)\n"
		"  2  usage, configuration or input error\n"
		"\n"
		"Run 'tlsverify COMMAND --help' for the options of a command.",
		command_text, tv_default_conf_dir(), tv_default_plugin_dir());
}

/*
 * GOption's usage line is "PRGNAME [OPTION…] PARAMETERS"; a subcommand needs
 * its name before [OPTION…], so replace the first paragraph.
 */
static void print_help(GOptionContext *context, const char *usage)
{
	g_autofree char *help = g_option_context_get_help(context, FALSE, NULL);
	const char *rest = strstr(help, "\n\n");

	printf("Usage:\n  %s%s", usage, rest ? rest : "\n");
}

static void add_global_entries(GOptionContext *context, char **conf_dir,
			       char **plugin_dir)
{
	const GOptionEntry entries[] = {
		{"conf-dir", 0, 0, G_OPTION_ARG_FILENAME, conf_dir,
		 "Policy directory (its *.conf files)", "DIR"},
		{"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, plugin_dir,
		 "Plugin directory", "DIR"},
		{NULL},
	};

	g_option_context_add_main_entries(context, entries, NULL);
}

static void add_help_entry(GOptionContext *context, gboolean *help)
{
	const GOptionEntry entries[] = {
		{"help", 'h', 0, G_OPTION_ARG_NONE, help,
		 "Show this help and exit", NULL},
		{NULL},
	};

	g_option_context_set_help_enabled(context, FALSE);
	g_option_context_add_main_entries(context, entries, NULL);
}

/* Moves a non-empty option value into @slot; refuses an empty one. */
static bool take_dir_option(char **slot, char **value, const char *option,
			    const char *command)
{
	if (*value == NULL)
		return true;
	if (**value == '\0') {
		cli_usage_error(command, "%s: empty directory name", option);
		return false;
	}
	g_free(*slot);
	*slot = g_steal_pointer(value);
	return true;
}

bool cli_parse_command(const cli_command_help *help,
		       const GOptionEntry *entries, cli_globals *globals,
		       int *argc, char ***argv, int *status)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *conf_dir = NULL;
	g_autofree char *plugin_dir = NULL;
	g_autofree char *usage = NULL;
	gboolean want_help = FALSE;

	context = g_option_context_new(help->parameters);
	g_option_context_set_summary(context, help->summary);
	g_option_context_set_description(context, help->description);
	add_help_entry(context, &want_help);
	g_option_context_add_main_entries(context, entries, NULL);
	add_global_entries(context, &conf_dir, &plugin_dir);

	if (!g_option_context_parse(context, argc, argv, &error)) {
		cli_usage_error(help->name, "%s", error->message);
		*status = CLI_EXIT_ERROR;
		return false;
	}
	if (want_help) {
		usage = g_strdup_printf(
			"tlsverify %s [OPTION…]%s%s", help->name,
			*help->parameters != '\0' ? " " : "", help->parameters);
		print_help(context, usage);
		*status = CLI_EXIT_OK;
		return false;
	}
	if (!take_dir_option(&globals->conf_dir, &conf_dir, "--conf-dir",
			     help->name) ||
	    !take_dir_option(&globals->plugin_dir, &plugin_dir, "--plugin-dir",
			     help->name)) {
		*status = CLI_EXIT_ERROR;
		return false;
	}
	return true;
}

const char *cli_conf_dir(const cli_globals *globals)
{
	const char *env = g_getenv(CLI_ENV_CONF_DIR);

	if (globals->conf_dir != NULL)
		return globals->conf_dir;
	if (env != NULL && *env != '\0')
		return env;
	return tv_default_conf_dir();
}

const char *cli_plugin_dir(const cli_globals *globals)
{
	const char *env = g_getenv(CLI_ENV_PLUGIN_DIR);

	if (globals->plugin_dir != NULL)
		return globals->plugin_dir;
	if (env != NULL && *env != '\0')
		return env;
	return NULL;
}

static cli_command_fn find_command(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run;
	return NULL;
}

/* `help [COMMAND]`: the global help, or COMMAND's own --help. */
static int run_help(GOptionContext *context, cli_globals *globals, int argc,
		    char **argv)
{
	char *command_argv[] = {NULL, (char *)"--help", NULL};
	cli_command_fn run;

	if (argc > 2) {
		cli_usage_error(NULL, "help: too many arguments");
		return CLI_EXIT_ERROR;
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0) {
		print_help(context, "tlsverify [OPTION…] COMMAND [ARGS…]");
		return CLI_EXIT_OK;
	}
	run = find_command(argv[1]);
	if (run == NULL) {
		cli_usage_error(NULL, "help: unknown command '%s'", argv[1]);
		return CLI_EXIT_ERROR;
	}
	command_argv[0] = argv[1];
	return run(globals, 2, command_argv);
}

static int run(cli_globals *globals, int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *description = dup_global_description();
	g_autofree char *conf_dir = NULL;
	g_autofree char *plugin_dir = NULL;
	gboolean want_help = FALSE;
	gboolean want_version = FALSE;
	const GOptionEntry version_entries[] = {
		{"version", 0, 0, G_OPTION_ARG_NONE, &want_version,
		 "Print the version and exit", NULL},
		{NULL},
	};
	cli_command_fn command;

	context = g_option_context_new("COMMAND [ARGS…]");
	/* Stop at the command word: what follows belongs to the command. */
	g_option_context_set_strict_posix(context, TRUE);
	g_option_context_set_summary(context, global_summary);
	g_option_context_set_description(context, description);
	add_help_entry(context, &want_help);
	g_option_context_add_main_entries(context, version_entries, NULL);
	add_global_entries(context, &conf_dir, &plugin_dir);

	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		cli_usage_error(NULL, "%s", error->message);
		return CLI_EXIT_ERROR;
	}
	if (want_help) {
		print_help(context, "tlsverify [OPTION…] COMMAND [ARGS…]");
		return CLI_EXIT_OK;
	}
	if (want_version) {
		printf("tlsverify %s\n", PACKAGE_VERSION);
		return CLI_EXIT_OK;
	}
	if (!take_dir_option(&globals->conf_dir, &conf_dir, "--conf-dir",
			     NULL) ||
	    !take_dir_option(&globals->plugin_dir, &plugin_dir, "--plugin-dir",
			     NULL))
		return CLI_EXIT_ERROR;
	if (argc < 2) {
		cli_usage_error(NULL, "missing command");
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "help") == 0)
		return run_help(context, globals, argc - 1, argv + 1);
	command = find_command(argv[1]);
	if (command == NULL) {
		cli_usage_error(NULL, "unknown command '%s'", argv[1]);
		return CLI_EXIT_ERROR;
	}
	return command(globals, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	cli_globals globals = {NULL, NULL};
	int status;

	g_set_prgname("tlsverify");
	g_log_set_writer_func(cli_log_writer, NULL, NULL);
	status = run(&globals, argc, argv);
	g_free(globals.conf_dir);
	g_free(globals.plugin_dir);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		status = CLI_EXIT_ERROR;
	}
	return status;
}
