/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy and CLI times: RFC 3339 UTC, bare dates, @EPOCH. */
#include "tlsverify/tlsverify.h"

#include <errno.h>
#include <string.h>

static bool parse_epoch(const char *text, int64_t *out)
{
	char *end = NULL;
	gint64 v;

	if (*text == '\0')
		return false;
	errno = 0;
	v = g_ascii_strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool tv_time_parse(const char *text, int64_t *out, GError **error)
{
	g_autoptr(GDateTime) dt = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	size_t len;

	g_return_val_if_fail(text != NULL && out != NULL, false);
	len = strlen(text);

	if (text[0] == '@') {
		if (parse_epoch(text + 1, out))
			return true;
	} else if (len == 10 && text[4] == '-' && text[7] == '-') {
		g_autofree char *full = g_strconcat(text, "T00:00:00Z", NULL);
		dt = g_date_time_new_from_iso8601(full, NULL);
	} else if (len > 11 && text[10] == 'T' &&
		   (text[len - 1] == 'Z' || text[len - 1] == 'z')) {
		/* UTC only: an offset would hide which instant was meant. */
		dt = g_date_time_new_from_iso8601(text, utc);
	}

	if (dt == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "invalid time '%s': expected RFC 3339 UTC "
			    "(2027-01-31T00:00:00Z), a date (2027-01-31) or "
			    "@EPOCH",
			    text);
		return false;
	}
	*out = g_date_time_to_unix(dt);
	return true;
}
