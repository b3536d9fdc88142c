/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update pipeline: the sink every source offers to, and its state. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include "pipeline.h"

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "cache-file.h"

struct dsc_sink {
	/* Fixed after new(). */
	char *location;
	char *source;
	char *scope; /* the default trust domain, "" unscoped */
	char *format;
	char *cache_file;
	gsize max_bytes;
	gint64 max_staleness_us;
	const tv_host *host;

	/*
	 * Guarded by lock, held for a few instructions (verify() takes it).
	 * pthread rather than GMutex, as in the core: ThreadSanitizer sees
	 * what it orders (core/lock.h).
	 */
	pthread_mutex_t lock;
	pthread_cond_t first;	  /* on CLOCK_MONOTONIC */
	bool attempted;		  /* the source's first attempt ended */
	dsc_bundle *current;	  /* NULL: none */
	gint64 last_success;	  /* monotonic µs of the last good contact */
	gint64 last_success_wall; /* seconds, for describe */
	bool failing;		  /* the last attempt failed */
	bool from_cache;	  /* current came from the cache file */
	char *last_error;
	gint64 last_error_wall;
	gint64 updates, rejected, failures;
};

const char *dsc_state_name(dsc_state state)
{
	switch (state) {
	case DSC_STATE_FRESH:
		return "fresh";
	case DSC_STATE_STALE:
		return "stale";
	case DSC_STATE_EXPIRED:
		return "expired";
	default:
		return "error";
	}
}

dsc_sink *dsc_pipeline_new(const dsc_config *config, const char *source,
			   const char *cache_file, const tv_host *host)
{
	dsc_sink *s = g_new0(dsc_sink, 1);
	pthread_condattr_t attr;

	s->location = g_strdup(config->location ? config->location : "");
	s->source = g_strdup(source);
	s->scope = g_strdup(config->trust_domain ? config->trust_domain : "");
	s->format = g_strdup(config->format);
	s->cache_file = g_strdup(cache_file);
	s->max_bytes = config->max_bundle_bytes;
	s->max_staleness_us = config->max_staleness_s * G_USEC_PER_SEC;
	s->host = host;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->first, &attr);
	pthread_condattr_destroy(&attr);
	return s;
}

void dsc_pipeline_free(dsc_sink *s)
{
	if (s == NULL)
		return;
	dsc_bundle_unref(s->current);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->first);
	g_free(s->location);
	g_free(s->source);
	g_free(s->scope);
	g_free(s->format);
	g_free(s->cache_file);
	g_free(s->last_error);
	g_free(s);
}

/* Under the lock: the first attempt ended; wake open(). */
static void attempted_locked(dsc_sink *s)
{
	if (!s->attempted) {
		s->attempted = true;
		pthread_cond_broadcast(&s->first);
	}
}

static void contact_locked(dsc_sink *s)
{
	s->last_success = g_get_monotonic_time();
	s->last_success_wall = g_get_real_time() / G_USEC_PER_SEC;
	s->failing = false;
	s->from_cache = false;
}

void dsc_sink_contact(dsc_sink *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->current != NULL)
		contact_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static void record_error(dsc_sink *s, bool rejected, const char *message)
{
	pthread_mutex_lock(&s->lock);
	g_free(s->last_error);
	s->last_error = g_strdup(message);
	s->last_error_wall = g_get_real_time() / G_USEC_PER_SEC;
	/* A rejected value is the source's answer; a failed fetch is not
	 * (the next endpoint may answer), so open() keeps waiting. */
	if (rejected) {
		s->rejected++;
		attempted_locked(s);
	} else {
		s->failures++;
		s->failing = true;
	}
	pthread_mutex_unlock(&s->lock);
}

void dsc_sink_failed(dsc_sink *s, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_debug("%s: %s source: %s", s->location, s->source, message);
	record_error(s, false, message);
}

/* Parses every value of @values (scope -> GBytes) into @parsed. */
static bool parse_all(dsc_sink *s, GHashTable *values, const char *format,
		      GHashTable *parsed, dsc_offer_info *info, GError **error)
{
	dsc_parse_fn parse = dsc_format_find(format);
	GHashTableIter it;
	gpointer k, v;

	if (parse == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "unsupported format '%s'", format);
		return false;
	}
	g_hash_table_iter_init(&it, values);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const char *scope = k;
		dsc_parsed *p = g_new0(dsc_parsed, 1);

		dsc_parsed_init(p);
		g_hash_table_insert(parsed, g_strdup(scope), p);
		if (g_bytes_get_size(v) > s->max_bytes) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "%s%svalue of %zu bytes is over "
				    "max_bundle_bytes (%zu)",
				    scope, *scope ? ": " : "",
				    g_bytes_get_size(v), s->max_bytes);
			return false;
		}
		if (!parse(v, p, error)) {
			if (*scope)
				g_prefix_error(error, "%s: ", scope);
			return false;
		}
		if (p->trust_domain != NULL && *s->scope &&
		    g_ascii_strcasecmp(p->trust_domain, scope) != 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "value is for trust domain '%s', not '%s'",
				    p->trust_domain, scope);
			return false;
		}
		if (info != NULL) {
			info->refresh_hint = p->refresh_hint;
			info->sequence = p->sequence;
		}
	}
	return true;
}

static dsc_offer_status offer(dsc_sink *s, GHashTable *values,
			      const char *format, gint64 order,
			      const char *version, dsc_offer_info *info)
{
	g_autoptr(GHashTable) parsed = dsc_parsed_table_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(dsc_bundle) b = NULL;
	g_autoptr(dsc_bundle) old = NULL;
	g_autofree char *keep = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	bool older;

	if (info != NULL)
		info->refresh_hint = info->sequence = -1;
	if (format == NULL)
		format = s->format;
	if (!parse_all(s, values, format, parsed, info, &error))
		goto reject;
	/* Without an order of its own, a value's sequence orders it. */
	if (order < 0 && info != NULL && g_hash_table_size(values) == 1)
		order = info->sequence;
	b = dsc_bundle_build(parsed, order, version, now, &error);
	if (b == NULL)
		goto reject;

	pthread_mutex_lock(&s->lock);
	older = s->current != NULL && order >= 0 && s->current->order >= 0 &&
		order < s->current->order && !s->from_cache;
	if (older) {
		contact_locked(s);
		attempted_locked(s);
		pthread_mutex_unlock(&s->lock);
		return DSC_OFFER_OLDER;
	}
	if (s->current != NULL && g_strcmp0(s->current->hash, b->hash) == 0) {
		/* Same anchors: only the version and order move on. */
		bool was_cache = s->from_cache;

		old = s->current;
		s->current = g_steal_pointer(&b);
		contact_locked(s);
		attempted_locked(s);
		pthread_mutex_unlock(&s->lock);
		if (was_cache && s->cache_file != NULL)
			goto save;
		return DSC_OFFER_UNCHANGED;
	}
	old = s->current;
	s->current = dsc_bundle_ref(b);
	s->updates++;
	contact_locked(s);
	attempted_locked(s);
	pthread_mutex_unlock(&s->lock);
	/* Cached verdicts were reached with the old anchors. */
	tv_host_trust_changed(s->host);
	g_info("%s: %s source: trust bundle %s in place (%u anchors)",
	       s->location, s->source, b->version, b->anchors);
save:
	if (s->cache_file != NULL) {
		g_autoptr(GError) local = NULL;
		dsc_bundle *cur;

		pthread_mutex_lock(&s->lock);
		cur = dsc_bundle_ref(s->current);
		pthread_mutex_unlock(&s->lock);
		if (!dsc_cache_file_save(s->cache_file, cur, now, &local))
			g_warning("%s: cannot save cache_file: %s", s->location,
				  local->message);
		dsc_bundle_unref(cur);
	}
	return old != NULL && b == NULL ? DSC_OFFER_UNCHANGED
					: DSC_OFFER_ACCEPTED;

reject:
	pthread_mutex_lock(&s->lock);
	keep = g_strdup(s->current ? s->current->version : NULL);
	pthread_mutex_unlock(&s->lock);
	g_warning("%s: %s source: update rejected, %s: %s", s->location,
		  s->source,
		  keep ? "keeping the last good bundle" : "no bundle yet",
		  error->message);
	record_error(s, true, error->message);
	return DSC_OFFER_REJECTED;
}

dsc_offer_status dsc_sink_offer(dsc_sink *s, GBytes *data, const char *format,
				gint64 order, const char *version,
				dsc_offer_info *info)
{
	g_autoptr(GHashTable) values =
		g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(values, s->scope, data);
	return offer(s, values, format, order, version, info);
}

dsc_offer_status dsc_sink_offer_map(dsc_sink *s, GHashTable *values,
				    const char *format, gint64 order,
				    const char *version)
{
	if (g_hash_table_size(values) == 0) {
		record_error(s, true, "no trust domain in the update");
		g_warning("%s: %s source: update rejected: no trust domain",
			  s->location, s->source);
		return DSC_OFFER_REJECTED;
	}
	return offer(s, values, format, order, version, NULL);
}

gnutls_x509_trust_list_t dsc_sink_dup_anchors(dsc_sink *s,
					      const char *trust_domain)
{
	gnutls_x509_trust_list_t list = NULL;
	dsc_bundle *b;
	const dsc_anchor_set *set;

	pthread_mutex_lock(&s->lock);
	b = s->current ? dsc_bundle_ref(s->current) : NULL;
	pthread_mutex_unlock(&s->lock);
	if (b == NULL)
		return NULL;
	set = g_hash_table_lookup(b->sets,
				  trust_domain ? trust_domain : s->scope);
	if (set != NULL)
		list = dsc_anchor_set_dup_list(set);
	dsc_bundle_unref(b);
	return list;
}

bool dsc_pipeline_wait_first(dsc_sink *s, gint64 timeout_ms)
{
	struct timespec deadline;
	bool have;

	/* g_get_monotonic_time() is CLOCK_MONOTONIC on Linux too. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->attempted)
		if (pthread_cond_timedwait(&s->first, &s->lock, &deadline) != 0)
			break;
	have = s->current != NULL;
	pthread_mutex_unlock(&s->lock);
	return have;
}

bool dsc_pipeline_load_cache(dsc_sink *s, GError **error)
{
	g_autoptr(GHashTable) parsed = NULL;
	g_autofree char *version = NULL;
	dsc_bundle *b;
	gint64 saved = 0, now = g_get_real_time() / G_USEC_PER_SEC;

	if (s->cache_file == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO, "no cache_file");
		return false;
	}
	if (!dsc_cache_file_load(s->cache_file, &parsed, &version, &saved,
				 error))
		return false;
	b = dsc_bundle_build(parsed, -1, version, now, error);
	if (b == NULL) {
		g_prefix_error(error, "%s: ", s->cache_file);
		return false;
	}
	pthread_mutex_lock(&s->lock);
	if (s->current == NULL) {
		s->current = b;
		b = NULL;
		s->from_cache = true;
		s->failing = true;
		/* Staleness counts from when the bundle was last good. */
		s->last_success = g_get_monotonic_time() -
				  MAX(now - saved, 0) * G_USEC_PER_SEC;
		s->last_success_wall = saved;
	}
	pthread_mutex_unlock(&s->lock);
	dsc_bundle_unref(b);
	return true;
}

static dsc_state state_locked(dsc_sink *s, gint64 now)
{
	if (s->current == NULL)
		return DSC_STATE_ERROR;
	if (now - s->last_success > s->max_staleness_us)
		return DSC_STATE_EXPIRED;
	if (s->failing || s->from_cache)
		return DSC_STATE_STALE;
	return DSC_STATE_FRESH;
}

dsc_bundle *dsc_pipeline_acquire(dsc_sink *s, dsc_state *state,
				 gint64 *valid_until)
{
	gint64 now = g_get_monotonic_time();
	dsc_bundle *b = NULL;

	pthread_mutex_lock(&s->lock);
	*state = state_locked(s, now);
	if (*state != DSC_STATE_ERROR && *state != DSC_STATE_EXPIRED) {
		b = dsc_bundle_ref(s->current);
		*valid_until = g_get_real_time() / G_USEC_PER_SEC +
			       (s->last_success + s->max_staleness_us - now) /
				       G_USEC_PER_SEC;
	}
	pthread_mutex_unlock(&s->lock);
	return b;
}

void dsc_pipeline_describe(dsc_sink *s, tv_describe *out)
{
	pthread_mutex_lock(&s->lock);
	tv_describe_string(out, "source", s->source);
	tv_describe_string(
		out, "state",
		dsc_state_name(state_locked(s, g_get_monotonic_time())));
	if (s->current != NULL) {
		tv_describe_string(out, "version", s->current->version);
		tv_describe_int(out, "anchors", s->current->anchors);
		tv_describe_int(out, "trust_domains",
				g_hash_table_size(s->current->sets));
	} else {
		tv_describe_int(out, "anchors", 0);
	}
	if (s->last_success_wall > 0)
		tv_describe_int(out, "last_success", s->last_success_wall);
	if (s->last_error != NULL) {
		tv_describe_string(out, "last_error", s->last_error);
		tv_describe_int(out, "last_error_time", s->last_error_wall);
	}
	tv_describe_int(out, "updates", s->updates);
	tv_describe_int(out, "rejected_updates", s->rejected);
	tv_describe_int(out, "failures", s->failures);
	pthread_mutex_unlock(&s->lock);
}
