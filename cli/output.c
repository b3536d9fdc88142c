/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Printing shared by the tlsverify commands: errors and the verdict table. */
#include "cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

char *cli_dup_printable(const char *text)
{
	GString *out;
	const char *p = text;

	if (text == NULL)
		return g_strdup("");
	out = g_string_sized_new(strlen(text));
	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated(p, -1);
		const char *next;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* Not UTF-8: show the byte rather than guess. */
			g_string_append_printf(out, "\\x%02x", (guchar)*p);
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		/* Cc only: C0, DEL and C1, all below U+0100. */
		if (g_unichar_iscntrl(c))
			g_string_append_printf(out, "\\x%02x", (unsigned)c);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}

static G_GNUC_PRINTF(1, 0) void vprint_error(const char *format, va_list args)
{
	g_autofree char *message = g_strdup_vprintf(format, args);
	g_autofree char *printable = cli_dup_printable(message);

	fprintf(stderr, "tlsverify: %s\n", printable);
}

void cli_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vprint_error(format, args);
	va_end(args);
}

void cli_usage_error(const char *command, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vprint_error(format, args);
	va_end(args);
	fprintf(stderr, "Try 'tlsverify %s%s--help' for more information.\n",
		command ? command : "", command ? " " : "");
}

/* ---- log messages from the library and its plugins ------------------- */

static const char *level_label(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "message";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

cli_log_tap_func cli_log_tap;

GLogWriterOutput cli_log_writer(GLogLevelFlags level, const GLogField *fields,
				gsize n_fields, gpointer user_data)
{
	g_autofree char *message = NULL;
	g_autofree char *printable = NULL;
	const char *domain = NULL;

	if (cli_log_tap != NULL && cli_log_tap(fields, n_fields))
		return G_LOG_WRITER_HANDLED;

	/* Under systemd, keep the audit fields (TLSVERIFY_ENDPOINT, ...). */
	if (g_log_writer_is_journald(fileno(stderr)))
		return g_log_writer_default(level, fields, n_fields, user_data);

	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0 &&
			 message == NULL)
			message = fields[i].length < 0
					  ? g_strdup(fields[i].value)
					  : g_strndup(fields[i].value,
						      fields[i].length);
	}
	if (g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;

	printable = cli_dup_printable(message);
	fprintf(stderr, "%s: %s: %s\n", domain ? domain : "tlsverify",
		level_label(level), printable);
	return G_LOG_WRITER_HANDLED;
}

/* ---- verify: human output ---------------------------------------------- */

enum {
	COL_INDEX,
	COL_PLUGIN,
	COL_CONTROL,
	COL_VERDICT,
	COL_ACTION,
	COL_MESSAGE,
	N_COLS
};

static const char *const col_titles[N_COLS] = {
	"#", "PLUGIN", "CONTROL", "VERDICT", "ACTION", "MESSAGE",
};

/* Prints the row @cells, padding all but the last column to @widths. */
static void print_row(FILE *out, const char *const cells[N_COLS],
		      const size_t widths[N_COLS])
{
	g_autoptr(GString) line = g_string_new(NULL);

	for (int col = 0; col < N_COLS; col++) {
		g_string_append(line, cells[col]);
		if (col == N_COLS - 1)
			break;
		for (size_t w = g_utf8_strlen(cells[col], -1);
		     w < widths[col] + 2; w++)
			g_string_append_c(line, ' ');
	}
	/* An empty message must not leave trailing blanks. */
	while (line->len > 0 && line->str[line->len - 1] == ' ')
		g_string_truncate(line, line->len - 1);
	fprintf(out, "%s\n", line->str);
}

static void print_trace(FILE *out, const tv_result *result)
{
	size_t n = tv_result_get_trace_length(result);
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	size_t widths[N_COLS];

	for (int col = 0; col < N_COLS; col++)
		widths[col] = strlen(col_titles[col]);

	for (size_t i = 0; i < n; i++) {
		const tv_trace_entry *entry =
			tv_result_get_trace_entry(result, i);
		char **cells;

		if (entry == NULL)
			continue;
		cells = g_new0(char *, N_COLS + 1);
		cells[COL_INDEX] = g_strdup_printf("%zu", i + 1);
		cells[COL_PLUGIN] = cli_dup_printable(entry->plugin);
		cells[COL_CONTROL] = cli_dup_printable(entry->control);
		cells[COL_VERDICT] = cli_dup_printable(entry->verdict);
		cells[COL_ACTION] = cli_dup_printable(entry->action);
		cells[COL_MESSAGE] = cli_dup_printable(entry->message);
		for (int col = 0; col < N_COLS; col++)
			widths[col] =
				MAX(widths[col],
				    (size_t)g_utf8_strlen(cells[col], -1));
		g_ptr_array_add(rows, cells);
	}

	print_row(out, col_titles, widths);
	for (guint i = 0; i < rows->len; i++)
		print_row(out, (const char *const *)g_ptr_array_index(rows, i),
			  widths);
}

/* Returns: (transfer full): "expired, name-mismatch", "" for none. */
static char *dup_reason_names(uint32_t reasons)
{
	GString *names = g_string_new(NULL);

	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t reason = UINT32_C(1) << bit;
		const char *name;

		if ((reasons & reason) == 0)
			continue;
		if (names->len > 0)
			g_string_append(names, ", ");
		name = tv_reason_to_string(reason);
		if (name != NULL)
			g_string_append(names, name);
		else
			g_string_append_printf(names, "0x%" PRIx32, reason);
	}
	return g_string_free(names, FALSE);
}

static void print_verdict(FILE *out, const tv_result *result)
{
	g_autofree char *message =
		cli_dup_printable(tv_result_get_message(result));
	g_autofree char *reasons = NULL;

	if (tv_result_get_verdict(result) == TV_VERDICT_TRUSTED) {
		if (tv_result_is_insecure_skip(result))
			fprintf(out,
				"verdict: trusted (INSECURE: verification "
				"skipped): %s\n",
				message);
		else
			fputs("verdict: trusted\n", out);
		return;
	}
	reasons = dup_reason_names(tv_result_get_reasons(result));
	if (*reasons != '\0')
		fprintf(out, "verdict: rejected (%s): %s\n", reasons, message);
	else
		fprintf(out, "verdict: rejected: %s\n", message);
}

void cli_print_result(FILE *out, const tv_result *result, uint16_t port,
		      tv_purpose purpose)
{
	g_autofree char *endpoint =
		cli_dup_printable(tv_result_get_endpoint(result));
	g_autofree char *host = cli_dup_printable(tv_result_get_host(result));
	g_autofree char *host_port = NULL;

	if (port == 0)
		host_port = g_strdup(host);
	else if (strchr(host, ':') != NULL) /* IPv6 literal */
		host_port = g_strdup_printf("[%s]:%u", host, port);
	else
		host_port = g_strdup_printf("%s:%u", host, port);

	fprintf(out, "endpoint: %s  host: %s  purpose: %s\n", endpoint,
		host_port, purpose == TV_PURPOSE_CLIENT ? "client" : "server");
	print_trace(out, result);
	print_verdict(out, result);
}
