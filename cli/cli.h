/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Declarations shared by the files of the tlsverify command line tool. */
#ifndef TV_CLI_CLI_H
#define TV_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>
#include <tlsverify/tlsverify.h>

/* Exit codes of every command. */
enum {
	CLI_EXIT_OK = 0,       /* trusted, ok */
	CLI_EXIT_REJECTED = 1, /* rejected; `plugins`: some plugin unusable */
	CLI_EXIT_ERROR = 2,    /* usage, configuration or input error */
};

/*
 * The global options as given on the command line (before or after the
 * command word); NULL when absent.  Owned by main().
 */
typedef struct {
	char *conf_dir;
	char *plugin_dir;
} cli_globals;

/* One subcommand: parses its own options from @argv (argv[0] = its name). */
typedef int (*cli_command_fn)(cli_globals *globals, int argc, char **argv);

int cmd_verify(cli_globals *globals, int argc, char **argv);
int cmd_check_config(cli_globals *globals, int argc, char **argv);
int cmd_plugins(cli_globals *globals, int argc, char **argv);
int cmd_pin(cli_globals *globals, int argc, char **argv);
int cmd_connect(cli_globals *globals, int argc, char **argv);
int cmd_probe(cli_globals *globals, int argc, char **argv);

/* ---- main.c: option handling shared by the subcommands --------------- */

/* What the help of one subcommand says besides its options. */
typedef struct {
	const char *name;	 /* "verify" */
	const char *parameters;	 /* after "[OPTION…]" in the usage line */
	const char *summary;	 /* paragraph before the options */
	const char *description; /* paragraph after the options */
} cli_command_help;

/*
 * cli_parse_command:
 * @help: the subcommand's name and help paragraphs
 * @entries: the subcommand's options (G_OPTION_REMAINING for operands)
 * @argc, @argv: (inout): the arguments from the command word on
 *
 * Parses the subcommand's options, -h/--help and the global options (which
 * are stored in @globals).
 * Returns: true when the command should run; false when it should exit
 * with *@status: CLI_EXIT_OK after printing help on stdout, CLI_EXIT_ERROR
 * after printing a usage error on stderr.
 */
bool cli_parse_command(const cli_command_help *help,
		       const GOptionEntry *entries, cli_globals *globals,
		       int *argc, char ***argv, int *status);

/* Policy directory: --conf-dir, else $TLSVERIFY_CONF_DIR, else default. */
const char *cli_conf_dir(const cli_globals *globals);
/* Plugin directory: --plugin-dir, else $TLSVERIFY_PLUGIN_DIR, else NULL. */
const char *cli_plugin_dir(const cli_globals *globals);

/* ---- output.c ------------------------------------------------------- */

/* Prints "tlsverify: <message>" on stderr. */
void cli_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* Prints a usage error and a pointer to @command's help on stderr. */
void cli_usage_error(const char *command, const char *format, ...)
	G_GNUC_PRINTF(2, 3);

/*
 * Log writer for the library's and plugins' g_log output (audit events,
 * warnings): "DOMAIN: LEVEL: MESSAGE" on stderr, or journald when stderr is
 * the journal.  Honours G_MESSAGES_DEBUG like the default writer.
 */
/* When set, sees every log record first; true when it consumed it. */
typedef bool (*cli_log_tap_func)(const GLogField *fields, gsize n_fields);
extern cli_log_tap_func cli_log_tap;
GLogWriterOutput cli_log_writer(GLogLevelFlags level, const GLogField *fields,
				gsize n_fields, gpointer user_data);

/*
 * cli_dup_printable:
 * Returns: (transfer full): @text with control characters escaped as \xNN,
 * so that text taken from certificates or files cannot drive the terminal
 * or break a line-oriented format.  NULL gives "".
 */
char *cli_dup_printable(const char *text);

/* Prints the human form of @result (header, trace table, verdict line). */
void cli_print_result(FILE *out, const tv_result *result, uint16_t port,
		      tv_purpose purpose);

#endif /* TV_CLI_CLI_H */
