/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify verify`: verify a PEM certificate chain offline by policy. */
#include "cli.h"

#include <errno.h>
#include <string.h>

/* A chain file is a few kilobytes; refuse to slurp an endless stream. */
#define CLI_MAX_INPUT (16u * 1024 * 1024)

static const cli_command_help verify_help = {
	.name = "verify",
	.parameters = "--host NAME CHAIN.pem",
	.summary =
		"Verify the certificate chain in CHAIN.pem offline, as the "
		"policy's endpoint\n"
		"for NAME decides.  CHAIN.pem holds the leaf followed by any "
		"intermediates;\n"
		"\"-\" reads standard input.",
	.description =
		"Output: a header line\n"
		"  endpoint: NAME  host: HOST[:PORT]  purpose: PURPOSE\n"
		"then the decision trace, one row per step\n"
		"  #  PLUGIN  CONTROL  VERDICT  ACTION  MESSAGE\n"
		"and one final line, one of\n"
		"  verdict: trusted\n"
		"  verdict: trusted (INSECURE: verification skipped): MESSAGE\n"
		"  verdict: rejected (REASON, ...): MESSAGE\n"
		"With --json, standard output holds only one JSON object.\n"
		"\n"
		"Exit status:\n"
		"  0  trusted\n"
		"  1  rejected\n"
		"  2  usage, configuration or input error: missing or "
		"unreadable file,\n"
		"     no certificate in CHAIN.pem, bad --host, --port, "
		"--purpose or --time",
};

static bool parse_port(const char *text, uint16_t *port)
{
	guint64 value;

	if (text == NULL) {
		*port = 0;
		return true;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &value, NULL)) {
		cli_usage_error("verify",
				"--port: '%s' is not a port number (1-65535)",
				text);
		return false;
	}
	*port = (uint16_t)value;
	return true;
}

static bool parse_purpose(const char *text, tv_purpose *purpose)
{
	if (text == NULL || strcmp(text, "server") == 0) {
		*purpose = TV_PURPOSE_SERVER;
		return true;
	}
	if (strcmp(text, "client") == 0) {
		*purpose = TV_PURPOSE_CLIENT;
		return true;
	}
	cli_usage_error("verify",
			"--purpose: '%s' is neither 'server' nor 'client'",
			text);
	return false;
}

static const char *display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard input" : path;
}

/*
 * Reads all of @path ("-" = standard input, once only).
 * Returns: (transfer full): the contents, NUL-terminated, length in *@len;
 * NULL with @error.
 */
static char *read_input(const char *path, bool *stdin_used, size_t *len,
			GError **error)
{
	g_autoptr(GString) data = g_string_new(NULL);
	bool is_stdin = strcmp(path, "-") == 0;
	char buffer[16384];
	FILE *file;
	int saved_errno = 0;
	size_t n;

	if (is_stdin) {
		if (*stdin_used) {
			g_set_error(
				error, TV_ERROR, TV_ERROR_INPUT,
				"standard input ('-') given more than once");
			return NULL;
		}
		*stdin_used = true;
		file = stdin;
	} else {
		file = fopen(path, "rb");
		if (file == NULL) {
			saved_errno = errno;
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "cannot open '%s': %s", path,
				    g_strerror(saved_errno));
			return NULL;
		}
	}

	while ((n = fread(buffer, 1, sizeof(buffer), file)) > 0) {
		if (data->len + n > CLI_MAX_INPUT)
			break;
		g_string_append_len(data, buffer, n);
	}
	if (ferror(file))
		saved_errno = errno ? errno : EIO;
	if (!is_stdin)
		fclose(file);

	if (n > 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s: larger than %u bytes", display_name(path),
			    CLI_MAX_INPUT);
		return NULL;
	}
	if (saved_errno != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot read '%s': %s", display_name(path),
			    g_strerror(saved_errno));
		return NULL;
	}
	*len = data->len;
	return g_string_free(g_steal_pointer(&data), FALSE);
}

/* Adds the certificates of @path to @request; false after printing why. */
static bool add_pem_file(tv_request *request, const char *path, bool untrusted,
			 bool *stdin_used)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *pem = NULL;
	size_t len = 0;

	pem = read_input(path, stdin_used, &len, &error);
	if (pem == NULL) {
		cli_error("%s", error->message);
		return false;
	}
	if (tv_request_add_pem(request, pem, len, untrusted, &error) < 0) {
		cli_error("%s: %s", display_name(path), error->message);
		return false;
	}
	return true;
}

int cmd_verify(cli_globals *globals, int argc, char **argv)
{
	g_autofree char *host = NULL;
	g_autofree char *port_text = NULL;
	g_autofree char *purpose_text = NULL;
	g_autofree char *time_text = NULL;
	g_auto(GStrv) untrusted = NULL;
	g_auto(GStrv) operands = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"host", 0, 0, G_OPTION_ARG_FILENAME, &host,
		 "Name to verify; selects the endpoint (required)", "NAME"},
		{"port", 0, 0, G_OPTION_ARG_FILENAME, &port_text,
		 "Peer port 1-65535, for host:port patterns", "N"},
		{"purpose", 0, 0, G_OPTION_ARG_FILENAME, &purpose_text,
		 "server (peer is a TLS server; default) or client", "PURPOSE"},
		{"time", 0, 0, G_OPTION_ARG_FILENAME, &time_text,
		 "Verify at T: RFC 3339 UTC, date or @EPOCH (default: now)",
		 "T"},
		{"untrusted", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &untrusted,
		 "More certificates for path building (repeatable)", "FILE"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 "Print the result as one JSON object", NULL},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		 &operands, NULL, "CHAIN.pem"},
		{NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_request) request = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_result) result = NULL;
	tv_purpose purpose;
	uint16_t port;
	int64_t when = 0;
	bool stdin_used = false;
	int status;

	if (!cli_parse_command(&verify_help, entries, globals, &argc, &argv,
			       &status))
		return status;

	if (operands == NULL || operands[0] == NULL) {
		cli_usage_error("verify", "missing CHAIN.pem");
		return CLI_EXIT_ERROR;
	}
	if (operands[1] != NULL) {
		cli_usage_error("verify", "unexpected argument '%s'",
				operands[1]);
		return CLI_EXIT_ERROR;
	}
	if (host == NULL || *host == '\0') {
		cli_usage_error("verify", "missing --host NAME");
		return CLI_EXIT_ERROR;
	}
	if (!parse_port(port_text, &port) ||
	    !parse_purpose(purpose_text, &purpose))
		return CLI_EXIT_ERROR;
	if (time_text != NULL && !tv_time_parse(time_text, &when, &error)) {
		cli_usage_error("verify", "--time: %s", error->message);
		return CLI_EXIT_ERROR;
	}

	request = tv_request_new(host, port);
	tv_request_set_purpose(request, purpose);
	if (time_text != NULL)
		tv_request_set_time(request, when);
	if (!add_pem_file(request, operands[0], false, &stdin_used))
		return CLI_EXIT_ERROR;
	for (size_t i = 0; untrusted != NULL && untrusted[i] != NULL; i++)
		if (!add_pem_file(request, untrusted[i], true, &stdin_used))
			return CLI_EXIT_ERROR;

	engine = tv_engine_new(cli_conf_dir(globals), cli_plugin_dir(globals),
			       &error);
	if (engine == NULL) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}
	if (!tv_engine_verify(engine, request, &result, &error)) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}

	if (json) {
		g_autofree char *text = tv_result_to_json(result);

		printf("%s\n", text);
	} else {
		cli_print_result(stdout, result, port, purpose);
	}
	return tv_result_get_verdict(result) == TV_VERDICT_TRUSTED
		       ? CLI_EXIT_OK
		       : CLI_EXIT_REJECTED;
}
