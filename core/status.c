/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy in force and its state, as JSON for /status and operators. */
#include "engine.h"

#include "describe.h"

#include <json-glib/json-glib.h>

#define LOAD(x) ((gint64)atomic_load_explicit(&(x), memory_order_relaxed))

static void add_time(JsonBuilder *b, const char *member, gint64 t)
{
	g_autoptr(GDateTime) dt =
		t > 0 ? g_date_time_new_from_unix_utc(t) : NULL;
	g_autofree char *text = dt ? g_date_time_format_iso8601(dt) : NULL;

	json_builder_set_member_name(b, member);
	if (text != NULL)
		json_builder_add_string_value(b, text);
	else
		json_builder_add_null_value(b);
}

static void add_counters(JsonBuilder *b, endpoint_stats *s)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "trusted");
	json_builder_add_int_value(b, LOAD(s->verdicts[1]));
	json_builder_set_member_name(b, "rejected");
	json_builder_add_int_value(b, LOAD(s->verdicts[0]));
	json_builder_set_member_name(b, "insecure_skips");
	json_builder_add_int_value(b, LOAD(s->insecure_skips));
	json_builder_set_member_name(b, "cache_hits");
	json_builder_add_int_value(b, LOAD(s->cache_hits));
	json_builder_set_member_name(b, "cache_misses");
	json_builder_add_int_value(b, LOAD(s->cache_misses));
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_object(b);
	for (unsigned i = 0; i < TV_REASON_COUNT; i++) {
		gint64 n = LOAD(s->reasons[i]);
		if (n == 0)
			continue;
		json_builder_set_member_name(b, tv_reason_to_string(1u << i));
		json_builder_add_int_value(b, n);
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	add_time(b, "last_chain_not_after",
		 (gint64)atomic_load_explicit(&s->last_not_after,
					      memory_order_relaxed));
}

static void add_step(JsonBuilder *b, const snap_step *st, bool client)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "plugin");
	json_builder_add_string_value(b, st->use);
	if (!client) {
		json_builder_set_member_name(b, "control");
		json_builder_add_string_value(b,
					      control_to_string(st->control));
	}
	if (st->def != NULL) {
		json_builder_set_member_name(b, "location");
		json_builder_add_string_value(b, st->def->settings->location);
	}
	{
		g_autoptr(GPtrArray) items = describe_step(st);

		json_builder_set_member_name(b, "state");
		json_builder_begin_object(b);
		for (unsigned i = 0; i < items->len; i++) {
			const describe_item *it = items->pdata[i];

			json_builder_set_member_name(b, it->key);
			if (it->is_int)
				json_builder_add_int_value(b, it->number);
			else
				json_builder_add_string_value(b, it->text);
		}
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

static void add_endpoint(JsonBuilder *b, const snap_endpoint *e, gint64 now)
{
	const policy_endpoint *def = e->def;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, e->name);
	json_builder_set_member_name(b, "hosts");
	json_builder_begin_array(b);
	if (def != NULL)
		for (unsigned h = 0; h < def->hosts->len; h++)
			json_builder_add_string_value(
				b,
				((host_pattern *)def->hosts->pdata[h])->text);
	else
		json_builder_add_string_value(b, "*");
	json_builder_end_array(b);
	json_builder_set_member_name(b, "protected");
	json_builder_add_boolean_value(b, def && def->is_protected);
	json_builder_set_member_name(b, "verify_hostname");
	json_builder_add_boolean_value(b, e->verify_hostname);
	if (def != NULL) {
		json_builder_set_member_name(b, "location");
		g_autofree char *where =
			g_strdup_printf("%s:%d", def->file, def->line);
		json_builder_add_string_value(b, where);
	}
	json_builder_set_member_name(b, "chain");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < e->steps->len; i++)
		add_step(b, e->steps->pdata[i], false);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "client");
	if (e->client != NULL)
		add_step(b, e->client, true);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "insecure_exception");
	if (def != NULL && def->insecure) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "reason");
		json_builder_add_string_value(b, def->reason);
		json_builder_set_member_name(b, "owner");
		if (def->owner)
			json_builder_add_string_value(b, def->owner);
		else
			json_builder_add_null_value(b);
		add_time(b, "expires", def->expires);
		json_builder_set_member_name(b, "active");
		json_builder_add_boolean_value(b, def->expires > now);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	add_counters(b, e->stats);
	json_builder_end_object(b);
}

char *tv_engine_status(tv_engine *e)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	snapshot *snap;

	g_return_val_if_fail(e != NULL, NULL);
	snap = engine_acquire(e);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "conf_dir");
	json_builder_add_string_value(b, e->conf_dir);
	json_builder_set_member_name(b, "plugin_dir");
	json_builder_add_string_value(b, snap->plugin_dir);
	json_builder_set_member_name(b, "cache");
	if (snap->cache != NULL) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, snap->policy->cache_size);
		json_builder_set_member_name(b, "ttl");
		json_builder_add_int_value(b, snap->policy->cache_ttl);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "endpoints");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < snap->endpoints->len; i++)
		add_endpoint(b, snap->endpoints->pdata[i], now);
	if (snap->fallback != NULL)
		add_endpoint(b, snap->fallback, now);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "warnings");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < snap->warnings->len; i++)
		json_builder_add_string_value(b, snap->warnings->pdata[i]);
	json_builder_end_array(b);
	snapshot_unref(snap);

	core_lock_acquire(&e->reload_lock);
	json_builder_set_member_name(b, "reload");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, g_atomic_int_get(&e->last_reload_ok));
	add_time(b, "time", e->last_reload_time);
	json_builder_set_member_name(b, "error");
	if (e->last_reload_error)
		json_builder_add_string_value(b, e->last_reload_error);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "ok_total");
	json_builder_add_int_value(b, e->reloads_ok);
	json_builder_set_member_name(b, "failed_total");
	json_builder_add_int_value(b, e->reloads_failed);
	json_builder_end_object(b);
	core_lock_release(&e->reload_lock);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}
