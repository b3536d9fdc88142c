/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: one pin string, as the pins list of a pin step, through
 * policy loading (the pin plugin's parser runs in its open()). */
#include "tlsverify/tlsverify.h"

#include "fuzz-util.h"

/* @data as the body of a libconfig string: quotes, backslashes and
 * anything unprintable escaped; NULL when it holds a NUL, which a
 * libconfig string cannot. */
static char *config_escape(const uint8_t *data, size_t size)
{
	GString *s = g_string_sized_new(size + 16);

	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (c == 0) {
			g_string_free(s, TRUE);
			return NULL;
		}
		if (c == '"' || c == '\\')
			g_string_append_printf(s, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			g_string_append_c(s, (char)c);
		else
			g_string_append_printf(s, "\\x%02x", c);
	}
	return g_string_free(s, FALSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *pin = NULL;
	g_autofree char *conf = NULL;

	/* A pin that is not a hash names a file.  Keep to the scratch
	 * directory: "/dev/zero" would read forever, and no file outside
	 * it is this parser's business. */
	if (size > 0 && data[0] == '/')
		return 0;
	for (size_t i = 0; i + 1 < size; i++)
		if (data[i] == '.' && data[i + 1] == '.')
			return 0;
	pin = config_escape(data, size);
	if (pin == NULL)
		return 0;
	conf = g_strdup_printf(
		"endpoints = ( { name = \"pinned\"; hosts = [ \"*\" ];\n"
		"  chain = ( { use = \"pin\"; control = \"required\";\n"
		"              pins = [ \"%s\" ]; } ); } );\n",
		pin);

	fuzz_quiet_logs();
	fuzz_scratch_write("fuzz.conf", conf, strlen(conf));
	engine = tv_engine_new(fuzz_scratch_dir(), fuzz_plugin_dir(), &error);
	if (engine == NULL && (error == NULL || error->domain != TV_ERROR))
		abort(); /* a failed load says why */
	return 0;
}
