/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the discovery tests: engines on the fly, verdicts, status. */
#ifndef TV_TESTS_DISCOVERY_DISC_TEST_H
#define TV_TESTS_DISCOVERY_DISC_TEST_H

#include "../unit/tv-engine-test.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Bound of every wait on the background worker: generous, so that a busy
 * machine does not fail the test; success is usually far quicker. */
#define DISC_DEADLINE_S 15

/* An engine over a conf dir holding @policy and the discovery plugin;
 * NULL with @error when the policy does not load. */
static inline tv_engine *disc_engine(const char *policy, GError **error)
{
	static const char *const names[] = {"discovery", "system", NULL};
	g_autofree char *plugins = tv_test_plugin_dir(names);
	g_autofree char *conf = tv_test_conf("50-disc.conf", policy);

	return tv_engine_new(conf, plugins, error);
}

/* Verdict of the fixture chain @file for @host; *@reasons gets the bits. */
static inline tv_verdict disc_verify(tv_engine *e, const char *host,
				     const char *file, uint32_t *reasons)
{
	g_autoptr(tv_request) r = tv_test_request(host, file);
	g_autoptr(tv_result) res = NULL;
	g_autoptr(GError) error = NULL;

	if (!tv_engine_verify(e, r, &res, &error)) {
		fprintf(stderr, "verify: %s\n", error->message);
		return TV_VERDICT_REJECTED;
	}
	if (reasons != NULL)
		*reasons = tv_result_get_reasons(res);
	return tv_result_get_verdict(res);
}

/* The first discovery step's status "state" object member @key. */
static inline JsonNode *disc_state_member(tv_engine *e, const char *key)
{
	g_autofree char *text = tv_engine_status(e);
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *eps;

	if (!json_parser_load_from_data(p, text, -1, NULL))
		return NULL;
	eps = json_object_get_array_member(
		json_node_get_object(json_parser_get_root(p)), "endpoints");
	for (unsigned i = 0; i < json_array_get_length(eps); i++) {
		JsonArray *chain = json_object_get_array_member(
			json_array_get_object_element(eps, i), "chain");

		for (unsigned j = 0; j < json_array_get_length(chain); j++) {
			JsonObject *st =
				json_array_get_object_element(chain, j);
			JsonObject *state;

			if (g_strcmp0(
				    json_object_get_string_member_with_default(
					    st, "plugin", ""),
				    "discovery") != 0 ||
			    !json_object_has_member(st, "state"))
				continue;
			state = json_object_get_object_member(st, "state");
			if (!json_object_has_member(state, key))
				return NULL;
			return json_node_copy(
				json_object_get_member(state, key));
		}
	}
	return NULL;
}

static inline gint64 disc_state_int(tv_engine *e, const char *key)
{
	g_autoptr(JsonNode) n = disc_state_member(e, key);

	return n ? json_node_get_int(n) : -1;
}

/* (transfer full) or NULL. */
static inline char *disc_state_str(tv_engine *e, const char *key)
{
	g_autoptr(JsonNode) n = disc_state_member(e, key);

	return n ? g_strdup(json_node_get_string(n)) : NULL;
}

/* Polls @cond until true or DISC_DEADLINE_S passed; its last value. */
#define DISC_WAIT(cond)                                                        \
	({                                                                     \
		gint64 disc_deadline_ = g_get_monotonic_time() +               \
					DISC_DEADLINE_S * G_USEC_PER_SEC;      \
		bool disc_ok_;                                                 \
		while (!(disc_ok_ = (cond)) &&                                 \
		       g_get_monotonic_time() < disc_deadline_)                \
			g_usleep(5000);                                        \
		disc_ok_;                                                      \
	})

static inline bool disc_state_is(tv_engine *e, const char *state)
{
	g_autofree char *s = disc_state_str(e, "state");

	return g_strcmp0(s, state) == 0;
}

/* Contents of fixture @name (transfer full). */
static inline char *disc_fixture_text(const char *name)
{
	g_autofree char *path = tv_test_fixture(name);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(99);
	}
	return text;
}

#endif
