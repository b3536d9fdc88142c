/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify check-config`: load the policy and print its lint warnings. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
		"The policy is loaded in a child process: a plugin that "
		"crashes in its open()\n"
		"is reported as \"plugin 'P' crashed in open (signal N)\".\n"
		"\n"
		"Exit status:\n"
		"  0  the policy loads (warnings do not change this)\n"
		"  2  usage or configuration error (the message names "
		"FILE:LINE), or a plugin\n"
		"     crashed while opening",
};

/* The child's end of the pipe that tells the parent which plugin's
 * open() is running. */
static int report_fd = -1;

/* Tells the parent when a plugin's open() starts ("+name") and returns
 * ("-name"); other records go on to the CLI's writer. */
static bool report_tap(const GLogField *fields, gsize n_fields)
{
	const char *plugin = NULL, *phase = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "TLSVERIFY_PLUGIN") == 0)
			plugin = fields[i].value;
		else if (strcmp(fields[i].key, "TLSVERIFY_PLUGIN_OPEN") == 0)
			phase = fields[i].value;
	}
	if (plugin != NULL && phase != NULL && report_fd >= 0) {
		g_autofree char *line = g_strdup_printf(
			"%c%s\n", strcmp(phase, "start") == 0 ? '+' : '-',
			plugin);
		size_t len = strlen(line);
		const char *p = line;

		while (len > 0) {
			ssize_t n = write(report_fd, p, len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			p += n;
			len -= (size_t)n;
		}
		return true;
	}
	return false;
}

static int check_config_run(cli_globals *globals);

/*
 * A plugin runs in the loading process: a SIGSEGV in its open() would
 * take the process down with no word about which plugin did it.  Load
 * in a child that reports each open() start and end over a pipe; if the
 * child dies with an open() still running, name that plugin.  (A program
 * that embeds libtlsverify has no such shield: see tlsverify-plugin(7).)
 */
static int check_config_guarded(cli_globals *globals)
{
	g_autoptr(GString) progress = g_string_new(NULL);
	g_autofree char *running = NULL;
	int fds[2], wstatus = 0;
	pid_t pid;
	char buf[512];
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		/* No child: load here, unguarded. */
		return check_config_run(globals);
	}
	if (pid == 0) {
		int rc;

		close(fds[0]);
		report_fd = fds[1];
		cli_log_tap = report_tap;
		rc = check_config_run(globals);
		/* _exit: no atexit handlers of the parent's libraries twice,
		 * but stdio must reach the terminal. */
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		g_string_append_len(progress, buf, n);
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	/* The last open() that started and did not return. */
	for (char *line = progress->str; *line != '\0';) {
		char *end = strchr(line, '\n');

		if (end == NULL)
			break;
		*end = '\0';
		if (line[0] == '+') {
			g_free(running);
			running = g_strdup(line + 1);
		} else if (line[0] == '-') {
			g_clear_pointer(&running, g_free);
		}
		line = end + 1;
	}
	if (WIFEXITED(wstatus) && running == NULL)
		return WEXITSTATUS(wstatus);
	if (running != NULL) {
		g_autofree char *name = cli_dup_printable(running);

		if (WIFSIGNALED(wstatus))
			cli_error("plugin '%s' crashed in open (signal %d)",
				  name, WTERMSIG(wstatus));
		else
			cli_error("plugin '%s' ended the process in open "
				  "(exit status %d)",
				  name, WEXITSTATUS(wstatus));
	} else {
		cli_error("loading the policy crashed (signal %d)",
			  WTERMSIG(wstatus));
	}
	return CLI_EXIT_ERROR;
}

int cmd_check_config(cli_globals *globals, int argc, char **argv)
{
	g_auto(GStrv) operands = NULL;
	const GOptionEntry entries[] = {
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		 &operands, NULL, NULL},
		{NULL},
	};
	int status;

	if (!cli_parse_command(&check_config_help, entries, globals, &argc,
			       &argv, &status))
		return status;
	if (operands != NULL && operands[0] != NULL) {
		cli_usage_error("check-config", "unexpected argument '%s'",
				operands[0]);
		return CLI_EXIT_ERROR;
	}

	return check_config_guarded(globals);
}

static int check_config_run(cli_globals *globals)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_auto(GStrv) warnings = NULL;
	const char *conf_dir;
	g_autofree char *conf_dir_printable = NULL;
	size_t n = 0;

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
