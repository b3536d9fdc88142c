/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tv_result: verdict, reasons, message and the decision trace. */
#include "result.h"

#include <json-glib/json-glib.h>

static void entry_free(tv_trace_entry *e)
{
	g_free((char *)e->plugin);
	g_free((char *)e->control);
	g_free((char *)e->verdict);
	g_free((char *)e->action);
	g_free((char *)e->message);
	g_free(e);
}

tv_result *result_new(const char *endpoint, const char *host)
{
	tv_result *r = g_new0(tv_result, 1);

	r->refcount = 1;
	r->verdict = TV_VERDICT_REJECTED; /* start from deny */
	r->endpoint = g_strdup(endpoint);
	r->host = g_strdup(host);
	r->message = g_strdup("");
	r->trace = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
	return r;
}

tv_result *result_ref(tv_result *r)
{
	g_atomic_int_inc(&r->refcount);
	return r;
}

void tv_result_free(tv_result *r)
{
	if (r == NULL || !g_atomic_int_dec_and_test(&r->refcount))
		return;
	g_free(r->message);
	g_free(r->endpoint);
	g_free(r->host);
	g_ptr_array_unref(r->trace);
	g_free(r);
}

void result_trace(tv_result *r, const char *plugin, const char *control,
		  const char *verdict, const char *action, uint32_t reasons,
		  const char *message)
{
	tv_trace_entry *e = g_new0(tv_trace_entry, 1);

	e->plugin = g_strdup(plugin);
	e->control = g_strdup(control);
	e->verdict = g_strdup(verdict);
	e->action = g_strdup(action);
	e->message = g_strdup(message ? message : "");
	e->reasons = reasons;
	g_ptr_array_add(r->trace, e);
}

void result_set_message(tv_result *r, const char *message)
{
	g_free(r->message);
	r->message = g_strdup(message ? message : "");
}

char *reasons_join(uint32_t reasons, const char *sep)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < TV_REASON_COUNT; i++) {
		if (reasons & (1u << i)) {
			if (s->len > 0)
				g_string_append(s, sep);
			g_string_append(s, tv_reason_to_string(1u << i));
		}
	}
	return g_string_free(s, FALSE);
}

tv_verdict tv_result_get_verdict(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, TV_VERDICT_REJECTED);
	return r->verdict;
}

uint32_t tv_result_get_reasons(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, TV_REASON_MALFORMED);
	return r->reasons;
}

const char *tv_result_get_message(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->message;
}

const char *tv_result_get_endpoint(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->endpoint;
}

const char *tv_result_get_host(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->host;
}

bool tv_result_is_insecure_skip(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, false);
	return r->insecure_skip;
}

size_t tv_result_get_trace_length(const tv_result *r)
{
	g_return_val_if_fail(r != NULL, 0);
	return r->trace->len;
}

const tv_trace_entry *tv_result_get_trace_entry(const tv_result *r,
						size_t index)
{
	g_return_val_if_fail(r != NULL, NULL);
	if (index >= r->trace->len)
		return NULL;
	return r->trace->pdata[index];
}

char *tv_result_to_json(const tv_result *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	g_return_val_if_fail(r != NULL, NULL);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "verdict");
	json_builder_add_string_value(
		b, r->verdict == TV_VERDICT_TRUSTED ? "trusted" : "rejected");
	json_builder_set_member_name(b, "endpoint");
	json_builder_add_string_value(b, r->endpoint);
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, r->host);
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < TV_REASON_COUNT; i++)
		if (r->reasons & (1u << i))
			json_builder_add_string_value(
				b, tv_reason_to_string(1u << i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, r->message);
	json_builder_set_member_name(b, "insecure_skip");
	json_builder_add_boolean_value(b, r->insecure_skip);
	json_builder_set_member_name(b, "trace");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < r->trace->len; i++) {
		const tv_trace_entry *e = r->trace->pdata[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "plugin");
		json_builder_add_string_value(b, e->plugin);
		json_builder_set_member_name(b, "control");
		json_builder_add_string_value(b, e->control);
		json_builder_set_member_name(b, "verdict");
		json_builder_add_string_value(b, e->verdict);
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, e->action);
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, e->message);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, FALSE);
	return json_generator_to_data(gen, NULL);
}
