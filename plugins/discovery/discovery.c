/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "discovery": trust anchors from etcd, SPIFFE endpoints, Consul, files.
 */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include <string.h>

#include "pipeline.h"

typedef struct {
	const tv_host *host;
	const dsc_source_ops *ops;
	void *source;
	dsc_sink *sink;
	dsc_config config;
	char *location;
	char *trust_domain;
	char *format;
	bool started;
} dsc_state_t;

static void dsc_state_free(dsc_state_t *st)
{
	if (st == NULL)
		return;
	if (st->ops != NULL)
		st->ops->free(st->source);
	dsc_pipeline_free(st->sink);
	g_free(st->location);
	g_free(st->trust_domain);
	g_free(st->format);
	g_free(st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dsc_state_t, dsc_state_free)

static gboolean start_on_worker(gpointer data)
{
	dsc_state_t *st = data;

	st->ops->start(st->source, tv_host_get_main_context(st->host),
		       st->sink);
	return G_SOURCE_REMOVE;
}

static gboolean stop_on_worker(gpointer data)
{
	dsc_state_t *st = data;

	st->ops->stop(st->source);
	return G_SOURCE_REMOVE;
}

/* A trust domain name as SPIFFE IDs spell it: lower-case [a-z0-9._-]. */
static bool trust_domain_is_valid(const char *td)
{
	if (*td == '\0' || strlen(td) > 255)
		return false;
	for (const char *p = td; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) &&
		    strchr("._-", *p) == NULL)
			return false;
	return true;
}

static bool read_common(const tv_settings *settings, dsc_state_t *st,
			char **cache_file, const char **source, GError **error)
{
	const char *format = DSC_FORMAT_PEM, *td = NULL;
	int64_t staleness = 86400, initial = 5, max_bytes = 1024 * 1024;

	*source = NULL;
	if (!tv_settings_get_string(settings, "source", source, error) ||
	    !tv_settings_get_string(settings, "format", &format, error) ||
	    !tv_settings_get_string(settings, "trust_domain", &td, error) ||
	    !tv_settings_get_int(settings, "max_staleness", &staleness,
				 error) ||
	    !tv_settings_get_int(settings, "initial_timeout", &initial,
				 error) ||
	    !tv_settings_get_int(settings, "max_bundle_bytes", &max_bytes,
				 error) ||
	    !tv_settings_get_path(settings, "cache_file", cache_file, error))
		return false;
	if (*source == NULL) {
		tv_settings_set_error(settings, "source", error,
				      "missing: one of etcd, file, spiffe, "
				      "consul");
		return false;
	}
	if (dsc_source_find(*source) == NULL) {
		tv_settings_set_error(settings, "source", error,
				      "unknown source '%s'", *source);
		return false;
	}
	if (dsc_format_find(format) == NULL) {
		tv_settings_set_error(settings, "format", error,
				      "unsupported format '%s'", format);
		return false;
	}
	if (td != NULL && !trust_domain_is_valid(td)) {
		tv_settings_set_error(settings, "trust_domain", error,
				      "'%s' is not a trust domain name "
				      "(lower-case [a-z0-9._-])",
				      td);
		return false;
	}
	if (staleness <= 0) {
		tv_settings_set_error(settings, "max_staleness", error,
				      "must be a positive number of seconds");
		return false;
	}
	if (initial < 0 || initial > 600) {
		tv_settings_set_error(settings, "initial_timeout", error,
				      "must be 0 to 600 seconds");
		return false;
	}
	if (max_bytes < 1024 || max_bytes > 64 * 1024 * 1024) {
		tv_settings_set_error(settings, "max_bundle_bytes", error,
				      "must be 1024 to 67108864");
		return false;
	}
	st->location = g_strdup(tv_settings_get_location(settings, NULL));
	st->trust_domain = g_strdup(td);
	st->format = g_strdup(format);
	st->config.location = st->location;
	st->config.trust_domain = st->trust_domain;
	st->config.format = st->format;
	st->config.max_bundle_bytes = (gsize)max_bytes;
	st->config.initial_timeout_ms = initial * 1000;
	st->config.max_staleness_s = staleness;
	return true;
}

static bool dsc_open(const tv_settings *settings, const tv_host *host,
		     void **state, GError **error)
{
	g_autoptr(dsc_state_t) st = g_new0(dsc_state_t, 1);
	g_autofree char *cache_file = NULL;
	const char *source;

	st->host = host;
	if (!read_common(settings, st, &cache_file, &source, error))
		return false;
	st->source = dsc_source_find(source)->configure(settings, &st->config,
							error);
	if (st->source == NULL)
		return false;
	st->ops = dsc_source_find(source);
	st->sink = dsc_pipeline_new(&st->config, source, cache_file, host);
	if (tv_host_get_main_context(host) == NULL) {
		tv_settings_set_error(settings, NULL, error,
				      "the engine has no worker");
		return false;
	}
	tv_host_invoke_sync(host, start_on_worker, st);
	st->started = true;
	if (!dsc_pipeline_wait_first(st->sink, st->config.initial_timeout_ms)) {
		g_autoptr(GError) local = NULL;

		if (dsc_pipeline_load_cache(st->sink, &local)) {
			g_warning("%s: %s source has no bundle yet: using the "
				  "cache_file, stale",
				  st->location, source);
		} else if (!dsc_pipeline_wait_first(st->sink, 0)) {
			g_warning("%s: %s source has no bundle yet (%s): the "
				  "step answers UNAVAIL until one arrives",
				  st->location, source, local->message);
		}
	}
	*state = g_steal_pointer(&st);
	return true;
}

static void dsc_close(void *state)
{
	dsc_state_t *st = state;

	if (st == NULL)
		return;
	if (st->started)
		tv_host_invoke_sync(st->host, stop_on_worker, st);
	dsc_state_free(st);
}

static tv_step_verdict dsc_verify(void *state, const tv_request *request,
				  const tv_chain *chain, tv_step_result *result)
{
	dsc_state_t *st = state;
	g_autoptr(dsc_bundle) b = NULL;
	g_autofree char *td = NULL;
	const dsc_anchor_set *set = NULL;
	gint64 until = 0;
	dsc_state state_now;
	tv_step_verdict v;

	b = dsc_pipeline_acquire(st->sink, &state_now, &until);
	if (b == NULL) {
		tv_step_result_add_reasons(result,
					   TV_REASON_SOURCE_UNAVAILABLE);
		tv_step_result_set_message(
			result, "%s source: %s", st->ops->name,
			state_now == DSC_STATE_EXPIRED
				? "bundle older than max_staleness"
				: "no trust bundle yet");
		return TV_STEP_UNAVAIL;
	}
	if (tv_chain_get_length(chain) == 0) {
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result, "no certificate");
		return TV_STEP_FAIL;
	}
	/* Pick the set by the leaf's SPIFFE trust domain: sets of different
	 * trust domains are never merged. */
	td = dsc_spiffe_trust_domain(tv_chain_get_crt(chain, 0));
	if (td != NULL)
		set = g_hash_table_lookup(b->sets, td);
	if (set == NULL && g_hash_table_size(b->sets) == 1 &&
	    (td == NULL || st->trust_domain == NULL))
		set = g_hash_table_lookup(b->sets, "");
	if (set == NULL && td == NULL && st->trust_domain != NULL)
		set = g_hash_table_lookup(b->sets, st->trust_domain);
	if (set == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(
			result, "no %s bundle for trust domain '%s'",
			st->ops->name, td ? td : "(leaf has no SPIFFE ID)");
		return TV_STEP_FAIL;
	}
	if (set->revoked || set->list == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result,
					   "trust domain '%s' is revoked "
					   "(empty bundle)",
					   set->scope);
		return TV_STEP_FAIL;
	}
	v = tv_trust_list_verify(set->list, request, chain, result);
	if (v == TV_STEP_PASS)
		tv_step_result_set_valid_until(result, until);
	return v;
}

static void dsc_describe(void *state, tv_describe *out)
{
	dsc_state_t *st = state;

	dsc_pipeline_describe(st->sink, out);
}

static const tv_plugin_ops discovery_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "discovery",
	.summary = "trust anchors from etcd, SPIFFE bundle endpoints, Consul "
		   "and watched files, refreshed in the background",
	.caps = TV_PLUGIN_CAP_TRUST_ANCHOR,
	.open = dsc_open,
	.verify = dsc_verify,
	.close = dsc_close,
	.describe = dsc_describe,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &discovery_ops;
}
