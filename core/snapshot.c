/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One immutable policy snapshot: endpoints with opened plugin steps. */
#include "snapshot.h"

#include "cache.h"
#include "lint.h"

#include <string.h>

static void step_close(snap_step *s)
{
	if (s == NULL)
		return;
	instance_unref(s->inst);
	g_free(s);
}

static void endpoint_free(snap_endpoint *e)
{
	if (e == NULL)
		return;
	step_close(e->client);
	g_ptr_array_unref(e->steps);
	g_free(e);
}

static void snapshot_free(snapshot *s)
{
	/* Steps close before their plugins are unloaded. */
	if (s->endpoints)
		g_ptr_array_unref(s->endpoints);
	endpoint_free(s->fallback);
	match_index_free(s->index);
	cache_free(s->cache);
	if (s->plugins)
		g_hash_table_unref(s->plugins);
	if (s->warnings)
		g_ptr_array_unref(s->warnings);
	if (s->reusable)
		g_hash_table_unref(s->reusable);
	policy_free(s->policy);
	g_free(s->plugin_dir);
	g_free(s);
}

snapshot *snapshot_ref(snapshot *s)
{
	g_atomic_int_inc(&s->refcount);
	return s;
}

void snapshot_unref(snapshot *s)
{
	if (s != NULL && g_atomic_int_dec_and_test(&s->refcount))
		snapshot_free(s);
}

static loaded_plugin *get_plugin(snapshot *s, const char *name, GError **error)
{
	loaded_plugin *p = g_hash_table_lookup(s->plugins, name);

	if (p != NULL)
		return p;
	/* The running snapshot's copy, when it came from the same file:
	 * instances kept across the reload must see the very same ops. */
	p = s->previous_plugins ? g_hash_table_lookup(s->previous_plugins, name)
				: NULL;
	if (p != NULL && loader_path_is(p, s->plugin_dir, name)) {
		g_hash_table_insert(s->plugins, p->name, loaded_plugin_ref(p));
		return p;
	}
	p = loader_load(s->plugin_dir, name, error);
	if (p == NULL)
		return NULL;
	g_hash_table_insert(s->plugins, p->name, p);
	return p;
}

/* Reusable instances of the previous snapshot, by instance key. */
static void collect_reusable(GHashTable *into, const snap_endpoint *e)
{
	if (e == NULL)
		return;
	for (unsigned i = 0; i < e->steps->len; i++) {
		const snap_step *st = e->steps->pdata[i];
		if (st->inst != NULL && st->inst->key != NULL)
			g_hash_table_insert(into, st->inst->key, st->inst);
	}
	if (e->client != NULL && e->client->inst != NULL &&
	    e->client->inst->key != NULL)
		g_hash_table_insert(into, e->client->inst->key,
				    e->client->inst);
}

static bool open_step(snapshot *s, snap_step *step, const char *endpoint,
		      tv_settings *settings, engine_shared *shared,
		      GError **error)
{
	/* Built-in steps have no file:line; their caller says what they are. */
	const char *where = step->def ? settings->location : NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *key = NULL;
	plugin_instance *old;

	step->plugin = get_plugin(s, step->use, &local);
	if (step->plugin == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_PLUGIN, "%s%s%s",
			    where ? where : "", where ? ": " : "",
			    local->message);
		return false;
	}

	/* An unchanged instance of the running snapshot is kept: no reload
	 * refetches a bundle or rebuilds a trust list for nothing. */
	key = instance_key(step->plugin, settings, endpoint, step->role);
	old = key && s->reusable ? g_hash_table_lookup(s->reusable, key) : NULL;
	if (old != NULL && old->plugin == step->plugin &&
	    instance_is_current(old)) {
		step->inst = instance_ref(old);
		for (unsigned i = 0; i < old->warnings->len; i++)
			g_ptr_array_add(s->warnings,
					g_strdup(old->warnings->pdata[i]));
		s->kept++;
	} else {
		step->inst = instance_open(step->plugin, settings, endpoint,
					   step->role, shared, where, error);
		if (step->inst == NULL)
			return false;
		for (unsigned i = 0; i < step->inst->warnings->len; i++)
			g_ptr_array_add(
				s->warnings,
				g_strdup(step->inst->warnings->pdata[i]));
		if (!settings_check_all_read(settings, step->use, error))
			return false;
	}
	step->state = step->inst->state;
	step->opened = true;
	return true;
}

static snap_endpoint *builtin_chain(snapshot *s, const policy_endpoint *def,
				    const char *name, engine_shared *shared,
				    GError **error)
{
	snap_endpoint *e = g_new0(snap_endpoint, 1);
	snap_step *step = g_new0(snap_step, 1);
	/* Empty settings: the instance keeps its own reference. */
	g_autoptr(tv_settings) empty =
		settings_new(def ? def->file : SNAPSHOT_BUILTIN_NAME, "/",
			     def ? def->line : 0);

	e->def = def;
	e->name = name;
	e->stats = stats_registry_get(shared->stats, name);
	e->verify_hostname = true;
	e->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_close);
	step->use = "system";
	step->control = CONTROL_REQUIRED;
	g_ptr_array_add(e->steps, step);
	if (!open_step(s, step, name, empty, shared, error)) {
		if (def != NULL)
			g_prefix_error(error,
				       "%s:%d: endpoint '%s': the chain that "
				       "applies once its exception lapses "
				       "(system, required): ",
				       def->file, def->line, def->name);
		else
			g_prefix_error(error,
				       "no endpoint matches '*', so the "
				       "built-in default (system, required) "
				       "applies: ");
		endpoint_free(e);
		return NULL;
	}
	e->has_anchor = true;
	return e;
}

static bool endpoint_has_anchor(const policy_endpoint *def, void *data)
{
	snapshot *s = data;
	unsigned index = GPOINTER_TO_UINT(
		g_hash_table_lookup(s->policy->by_name, def->name));
	snap_endpoint *e = s->endpoints->pdata[index];

	/* Endpoints are built in policy order, so indexes agree. */
	g_assert(e->def == def);
	return e->has_anchor;
}

/* Opens the endpoint's `client` step: a plugin that can present a
 * certificate (ABI 1.1 credentials). */
static bool open_client(snapshot *s, snap_endpoint *e,
			const policy_endpoint *def, engine_shared *shared,
			GError **error)
{
	const policy_step *ps = def->client;
	snap_step *step;

	if (ps == NULL)
		return true;
	step = g_new0(snap_step, 1);
	step->def = ps;
	step->use = ps->use;
	step->role = TV_ROLE_CLIENT;
	e->client = step;
	if (!open_step(s, step, def->name, ps->settings, shared, error))
		return false;
	if (loader_credentials_fn(step->plugin) == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: plugin '%s' cannot present a client "
			    "certificate (it has no credentials function)",
			    ps->file, ps->line, ps->use);
		return false;
	}
	return true;
}

static bool build_endpoint(snapshot *s, const policy_endpoint *def,
			   engine_shared *shared, GError **error)
{
	snap_endpoint *e;

	if (def->steps == NULL) {
		/* An insecure exception with no chain: once it lapses, the
		 * built-in default applies. */
		e = builtin_chain(s, def, def->name, shared, error);
		if (e == NULL)
			return false;
		e->has_anchor = false; /* the endpoint itself declared none */
		e->sni = def->sni;
		g_ptr_array_add(s->endpoints, e);
		return open_client(s, e, def, shared, error);
	}

	e = g_new0(snap_endpoint, 1);
	e->def = def;
	e->name = def->name;
	e->stats = stats_registry_get(shared->stats, def->name);
	e->verify_hostname = policy_endpoint_verifies_hostname(s->policy, def);
	e->sni = def->sni;
	e->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_close);
	g_ptr_array_add(s->endpoints, e);
	if (!open_client(s, e, def, shared, error))
		return false;

	for (unsigned i = 0; i < def->steps->len; i++) {
		const policy_step *ps = def->steps->pdata[i];
		snap_step *step = g_new0(snap_step, 1);

		step->def = ps;
		step->use = ps->use;
		step->control = ps->control;
		g_ptr_array_add(e->steps, step);
		if (!open_step(s, step, def->name, ps->settings, shared, error))
			return false;
		if ((step->plugin->ops->caps & TV_PLUGIN_CAP_TRUST_ANCHOR) &&
		    step->control != CONTROL_OPTIONAL)
			e->has_anchor = true;
	}
	if (def->is_protected && !e->has_anchor) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: endpoint '%s' is protected: its chain "
			    "needs a trust-anchor step (system, pem, ...) "
			    "that is not optional",
			    def->file, def->line, def->name);
		return false;
	}
	return true;
}

static bool index_endpoint(snapshot *s, snap_endpoint *e, GError **error)
{
	const policy_endpoint *def = e->def;

	for (unsigned h = 0; h < def->hosts->len; h++) {
		host_pattern *p = def->hosts->pdata[h];
		snap_endpoint *other = match_index_add(s->index, p, e);

		if (other != NULL) {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: host '%s' of endpoint '%s' is "
				    "already claimed by endpoint '%s' (%s:%d)",
				    def->file, p->line, p->text, def->name,
				    other->name, other->def->file,
				    other->def->line);
			return false;
		}
	}
	return true;
}

snapshot *snapshot_new(const char *conf_dir, const char *plugin_dir,
		       engine_shared *shared, snapshot *previous,
		       GError **error)
{
	snapshot *s = g_new0(snapshot, 1);
	bool has_any = false;

	s->refcount = 1;
	s->shared = shared;
	s->plugins = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)loaded_plugin_free);
	s->endpoints =
		g_ptr_array_new_with_free_func((GDestroyNotify)endpoint_free);
	s->index = match_index_new();
	s->warnings = g_ptr_array_new_with_free_func(g_free);
	if (previous != NULL) {
		s->previous_plugins = previous->plugins;
		s->reusable = g_hash_table_new(g_str_hash, g_str_equal);
		for (unsigned i = 0; i < previous->endpoints->len; i++)
			collect_reusable(s->reusable,
					 previous->endpoints->pdata[i]);
		collect_reusable(s->reusable, previous->fallback);
	}

	s->policy = policy_load(conf_dir, error);
	if (s->policy == NULL)
		goto fail;
	s->max_chain_length = s->policy->max_chain_length;
	s->plugin_dir =
		g_strdup(plugin_dir		 ? plugin_dir
			 : s->policy->plugin_dir ? s->policy->plugin_dir
						 : tv_default_plugin_dir());
	if (!loader_check_dir(s->plugin_dir, error))
		goto fail;

	for (unsigned i = 0; i < s->policy->endpoints->len; i++)
		if (!build_endpoint(s, s->policy->endpoints->pdata[i], shared,
				    error))
			goto fail;
	/* Protected-endpoint rules first: their message says what is wrong
	 * with an exception for an official host better than "already
	 * claimed" would. */
	if (!policy_check_protected(s->policy, endpoint_has_anchor, s, error))
		goto fail;
	for (unsigned i = 0; i < s->endpoints->len; i++) {
		snap_endpoint *e = s->endpoints->pdata[i];

		if (!index_endpoint(s, e, error))
			goto fail;
		for (unsigned h = 0; h < e->def->hosts->len; h++) {
			host_pattern *p = e->def->hosts->pdata[h];
			if (p->kind == PATTERN_ANY && p->port == 0)
				has_any = true;
		}
	}
	if (!has_any) {
		s->fallback = builtin_chain(s, NULL, SNAPSHOT_BUILTIN_NAME,
					    shared, error);
		if (s->fallback == NULL)
			goto fail;
	}
	if (s->policy->cache_size > 0)
		s->cache =
			cache_new(s->policy->cache_size, s->policy->cache_ttl);
	lint_snapshot(s, s->warnings);
	g_clear_pointer(&s->reusable, g_hash_table_unref);
	s->previous_plugins = NULL;
	return s;
fail:
	snapshot_free(s);
	return NULL;
}

const snap_endpoint *snapshot_match(const snapshot *s, const char *host,
				    uint16_t port)
{
	const snap_endpoint *e = match_index_lookup(s->index, host, port);

	return e != NULL ? e : s->fallback;
}
