/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine: current snapshot, lock-free acquisition, verification. */
#include "engine.h"

#include "audit.h"
#include "cache.h"
#include "chain.h"
#include "checks.h"
#include "request.h"
#include "result.h"
#include "worker.h"

#include <string.h>
#include <time.h>

tv_engine *tv_engine_new(const char *conf_dir, const char *plugin_dir,
			 GError **error)
{
	tv_engine *e;
	snapshot *s;

	g_return_val_if_fail(conf_dir != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	e = g_new0(tv_engine, 1);
	e->shared.stats = stats_registry_new();
	e->shared.worker = worker_new();
	s = snapshot_new(conf_dir, plugin_dir, &e->shared, NULL, error);
	if (s == NULL) {
		worker_free(e->shared.worker);
		stats_registry_free(e->shared.stats);
		g_free(e);
		return NULL;
	}
	e->last_reload_ok = 1;
	e->last_reload_time = g_get_real_time() / G_USEC_PER_SEC;
	e->creds = engine_credentials_new();
	if (e->creds == NULL) {
		snapshot_unref(s);
		worker_free(e->shared.worker);
		stats_registry_free(e->shared.stats);
		g_free(e);
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot allocate TLS credentials");
		return NULL;
	}
	e->conf_dir = g_strdup(conf_dir);
	e->plugin_dir = g_strdup(plugin_dir);
	e->current = s;
	core_lock_init(&e->reload_lock);
	return e;
}

void tv_engine_free(tv_engine *e)
{
	if (e == NULL)
		return;
	snapshot_unref(e->current);
	/* After the instances closed: their close() may still need it. */
	worker_free(e->shared.worker);
	if (e->creds != NULL)
		gnutls_certificate_free_credentials(e->creds);
	core_lock_clear(&e->reload_lock);
	stats_registry_free(e->shared.stats);
	g_free(e->last_reload_error);
	g_free(e->conf_dir);
	g_free(e->plugin_dir);
	g_free(e);
}

snapshot *engine_acquire(tv_engine *e)
{
	for (;;) {
		gint ep = g_atomic_int_get(&e->epoch);
		snapshot *s;

		g_atomic_int_inc(&e->readers[ep]);
		if (g_atomic_int_get(&e->epoch) != ep) {
			/* A swap started: retry in the new epoch. */
			g_atomic_int_add(&e->readers[ep], -1);
			continue;
		}
		s = snapshot_ref(g_atomic_pointer_get(&e->current));
		g_atomic_int_add(&e->readers[ep], -1);
		return s;
	}
}

bool tv_engine_reload(tv_engine *e, GError **error)
{
	GError *local = NULL;
	snapshot *fresh, *old;
	gint ep;

	g_return_val_if_fail(e != NULL, false);
	core_lock_acquire(&e->reload_lock);
	/* Only reloads swap `current`, and they hold reload_lock: the
	 * running snapshot stays alive while the new one borrows from it. */
	fresh = snapshot_new(e->conf_dir, e->plugin_dir, &e->shared, e->current,
			     &local);
	g_atomic_int_set(&e->last_reload_ok, fresh != NULL);
	e->last_reload_time = g_get_real_time() / G_USEC_PER_SEC;
	if (fresh == NULL) {
		e->reloads_failed++;
		g_free(e->last_reload_error);
		e->last_reload_error = g_strdup(local->message);
		core_lock_release(&e->reload_lock);
		stats_audit(NULL, "reload-failed", NULL, NULL, NULL,
			    local->message);
		g_propagate_error(error, local);
		return false; /* the old snapshot stays */
	}
	e->reloads_ok++;
	g_clear_pointer(&e->last_reload_error, g_free);
	old = g_atomic_pointer_exchange(&e->current, fresh);
	ep = g_atomic_int_get(&e->epoch);
	g_atomic_int_set(&e->epoch, !ep);
	/* Readers still between load and ref in the old epoch finish in a
	 * few instructions; wait for them before dropping our reference. */
	while (g_atomic_int_get(&e->readers[ep]) != 0)
		g_thread_yield();
	g_atomic_int_inc(&e->shared.trust_generation);
	core_lock_release(&e->reload_lock);
	snapshot_unref(old);
	stats_audit(NULL, "reload", NULL, NULL, NULL,
		    "policy reloaded from the configuration directory");
	return true;
}

char **tv_engine_dup_warnings(tv_engine *e)
{
	snapshot *s;
	char **out;

	g_return_val_if_fail(e != NULL, NULL);
	s = engine_acquire(e);
	out = g_new0(char *, s->warnings->len + 1);
	for (unsigned i = 0; i < s->warnings->len; i++)
		out[i] = g_strdup(s->warnings->pdata[i]);
	snapshot_unref(s);
	return out;
}

static void probe_target_free(tv_probe_target *t)
{
	g_free(t->endpoint);
	g_free(t->host);
	g_free(t);
}

GPtrArray *tv_engine_dup_probe_targets(tv_engine *e)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)probe_target_free);
	snapshot *s;

	g_return_val_if_fail(e != NULL, out);
	s = engine_acquire(e);
	for (unsigned i = 0; i < s->policy->endpoints->len; i++) {
		const policy_endpoint *def = s->policy->endpoints->pdata[i];
		tv_probe_target *t;

		if (def->probe == NULL)
			continue;
		t = g_new0(tv_probe_target, 1);
		t->endpoint = g_strdup(def->name);
		t->host = g_strdup(def->probe->name);
		t->port = def->probe->port;
		g_ptr_array_add(out, t);
	}
	snapshot_unref(s);
	return out;
}

const char *tv_engine_get_plugin_dir(const tv_engine *e)
{
	g_return_val_if_fail(e != NULL, NULL);
	/* The current snapshot's directory; it only changes with a reload
	 * of a policy whose defaults.plugin_dir changed. */
	return ((snapshot *)g_atomic_pointer_get(
			(snapshot **)&((tv_engine *)e)->current))
		->plugin_dir;
}

/* ---- one verification ------------------------------------------------- */

typedef struct {
	uint32_t failed;     /* reasons of counted failures */
	uint32_t ignored;    /* reasons of failures that did not count */
	char *first_failure; /* message of the first counted failure */
	char *first_ignored;
	int64_t valid_until; /* earliest limit a step put on its verdict */
} outcome;

static char *format_time(int64_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt ? g_date_time_format_iso8601(dt) : g_strdup("?");
}

/* Returns true when the insecure exception applies (and fills @r). */
static bool apply_insecure(const snap_endpoint *ep, const tv_request *req,
			   int64_t now, tv_result *r)
{
	const policy_endpoint *def = ep->def;
	g_autofree char *until = format_time(def->expires);
	g_autofree char *msg = NULL;

	if (now < def->expires) {
		msg = g_strdup_printf("verification skipped: %s (owner %s, "
				      "until %s)",
				      def->reason,
				      def->owner ? def->owner : "unknown",
				      until);
		r->verdict = TV_VERDICT_TRUSTED;
		r->insecure_skip = true;
		result_trace(r, "core", "insecure_skip_verify", "pass", "done",
			     0, msg);
		result_set_message(r, msg);
		stats_audit(ep->stats, "insecure-skip", req->host, def->reason,
			    def->owner, msg);
		return true;
	}
	msg = g_strdup_printf("insecure exception expired at %s: full "
			      "verification applies",
			      until);
	result_trace(r, "core", "insecure_skip_verify", "ignore", "ignore", 0,
		     msg);
	stats_audit(ep->stats, "insecure-lapsed", req->host, def->reason,
		    def->owner, msg);
	return false;
}

static void run_steps(const snap_endpoint *ep, const tv_request *req,
		      const tv_chain *chain, tv_result *r, combine_state *cs,
		      outcome *o)
{
	for (unsigned i = 0; i < ep->steps->len && !cs->stop; i++) {
		const snap_step *st = ep->steps->pdata[i];
		tv_step_result sr = {0, NULL};
		tv_step_verdict v;
		step_action action;

		v = st->plugin->ops->verify(st->state, req, chain, &sr);
		if ((unsigned)v > TV_STEP_UNAVAIL) {
			tv_step_result_set_message(
				&sr, "plugin returned an invalid verdict (%d)",
				(int)v);
			sr.reasons |= TV_REASON_UNTRUSTED;
			v = TV_STEP_FAIL;
		}
		if (v == TV_STEP_FAIL && sr.reasons == 0)
			sr.reasons = TV_REASON_UNTRUSTED;
		if (v == TV_STEP_UNAVAIL && sr.reasons == 0)
			sr.reasons = TV_REASON_SOURCE_UNAVAILABLE;
		if (v == TV_STEP_PASS || v == TV_STEP_IGNORE)
			sr.reasons = 0; /* only failures carry reasons */
		if (sr.message == NULL)
			sr.message = g_strdup(step_verdict_to_string(v));

		if (sr.valid_until > 0 &&
		    (o->valid_until == 0 || sr.valid_until < o->valid_until))
			o->valid_until = sr.valid_until;
		action = combine_step(cs, i, st->control, v);
		result_trace(r, st->use, control_to_string(st->control),
			     step_verdict_to_string(v),
			     action_to_string(action), sr.reasons, sr.message);
		if (action == ACTION_BAD || action == ACTION_DIE) {
			o->failed |= sr.reasons;
			if (o->first_failure == NULL)
				o->first_failure = g_strdup_printf(
					"%s: %s", st->use, sr.message);
		} else if (v == TV_STEP_FAIL || v == TV_STEP_UNAVAIL) {
			o->ignored |= sr.reasons;
			if (o->first_ignored == NULL)
				o->first_ignored = g_strdup_printf(
					"%s: %s", st->use, sr.message);
		}
		step_result_clear(&sr);
	}
}

static void core_check(tv_result *r, const char *what, bool ok,
		       uint32_t reasons, char *message, uint32_t *core_failed,
		       char **first)
{
	g_autofree char *msg = message;

	result_trace(r, "core", what, ok ? "pass" : "fail", ok ? "ok" : "bad",
		     ok ? 0 : reasons, msg);
	if (ok)
		return;
	*core_failed |= reasons;
	if (*first == NULL)
		*first = g_strdup(msg);
}

/* Verifies and reports, for the cache and the metrics, the path's
 * earliest notAfter and when its validity next changes (0: unknown). */
static void verify_chain(const snapshot *s, const snap_endpoint *ep,
			 const tv_request *req, const char *host, int64_t now,
			 tv_result *r, int64_t *not_after, int64_t *next_change)
{
	tv_chain chain;
	combine_state cs;
	outcome o = {0, 0, NULL, NULL, 0};
	uint32_t bad = 0, core_failed = 0;
	g_autofree char *input_msg = NULL;
	g_autofree char *core_first = NULL;
	char *msg = NULL;

	if (!chain_build(&chain, req, now, &bad, &input_msg)) {
		r->reasons = bad;
		result_trace(r, "core", "input", "fail", "die", bad, input_msg);
		result_set_message(r, input_msg);
		chain_clear(&chain);
		return;
	}

	combine_init(&cs);
	run_steps(ep, req, &chain, r, &cs, &o);

	if (chain.time_reasons != 0)
		core_check(r, "validity", false, chain.time_reasons,
			   g_strdup(chain.time_message), &core_failed,
			   &core_first);
	else
		core_check(r, "validity", true, 0,
			   g_strdup("every certificate of the path is valid "
				    "at the verification time"),
			   &core_failed, &core_first);

	/* A client's name is checked only against explicit match_names. */
	const char *const *names =
		ep->def ? (const char *const *)ep->def->match_names : NULL;
	if (ep->verify_hostname &&
	    (req->purpose == TV_PURPOSE_SERVER || names != NULL)) {
		uint32_t rs = 0;
		bool ok = check_name(chain.crts[0], host, (char *const *)names,
				     &rs, &msg);
		core_check(r, "name", ok, rs, msg, &core_failed, &core_first);
	}
	{
		uint32_t rs = 0;
		bool ok = check_purpose(chain.crts[0], req->purpose, &rs, &msg);
		core_check(r, "purpose", ok, rs, msg, &core_failed,
			   &core_first);
	}
	{
		uint32_t rs = 0;
		bool ok = check_length(&chain, s->max_chain_length, &rs, &msg);
		core_check(r, "chain-length", ok, rs, msg, &core_failed,
			   &core_first);
	}

	if (cs.impression == IMPRESSION_POSITIVE && core_failed == 0) {
		g_autofree char *m =
			g_strdup_printf("trusted by endpoint '%s'", ep->name);
		r->verdict = TV_VERDICT_TRUSTED;
		r->reasons = 0;
		result_set_message(r, m);
	} else {
		r->verdict = TV_VERDICT_REJECTED;
		r->reasons = core_failed;
		if (cs.impression == IMPRESSION_NEGATIVE) {
			r->reasons |= o.failed;
			result_set_message(r, o.first_failure);
		} else if (cs.impression == IMPRESSION_UNDECIDED) {
			g_autofree char *m = g_strdup_printf(
				"no step of endpoint '%s' decided%s%s%s",
				ep->name, o.first_ignored ? " (" : "",
				o.first_ignored ? o.first_ignored : "",
				o.first_ignored ? ")" : "");
			r->reasons |= TV_REASON_NO_DECISION | o.ignored;
			result_set_message(r, m);
		} else {
			result_set_message(r, core_first);
		}
	}
	*not_after = chain.earliest_not_after;
	*next_change = chain.next_change;
	if (o.valid_until > 0 &&
	    (*next_change == 0 || o.valid_until < *next_change))
		*next_change = o.valid_until;
	g_free(o.first_failure);
	g_free(o.first_ignored);
	chain_clear(&chain);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool tv_engine_verify(tv_engine *e, const tv_request *req, tv_result **out,
		      GError **error)
{
	uint64_t started = monotonic_ns();
	g_autofree char *host = NULL;
	cache_key key;
	bool cacheable = false;
	int64_t not_after = 0, next_change = 0;
	const snap_endpoint *ep;
	snapshot *s;
	tv_result *r;
	int64_t now;

	g_return_val_if_fail(e != NULL && req != NULL && out != NULL, false);
	*out = NULL;
	host = hostname_normalize(req->host);
	if (host == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "invalid host '%s': expected a DNS name or an IP "
			    "address",
			    req->host);
		return false;
	}
	/* One clock reading per verification; checks never call time(). */
	now = req->time >= 0 ? req->time : g_get_real_time() / G_USEC_PER_SEC;

	s = engine_acquire(e);
	ep = snapshot_match(s, host, req->port);

	/* Only verifications at "now" are cached: a fixed time is a test
	 * or an investigation, and insecure skips cost nothing anyway. */
	if (s->cache != NULL && req->time < 0 &&
	    (ep->def == NULL || !ep->def->insecure)) {
		/* Everything the verdict depends on besides the clock (the
		 * entry's lifetime covers that). */
		cache_key_init(
			s->cache, &key,
			(uint32_t)g_atomic_int_get(&e->shared.trust_generation),
			ep, host, req->port, (uint8_t)req->purpose,
			req->presented, req->untrusted);
		cacheable = true;
	}
	if (cacheable) {
		r = cache_lookup(s->cache, &key, now);
		if (r != NULL) {
			atomic_fetch_add_explicit(&ep->stats->cache_hits, 1,
						  memory_order_relaxed);
			stats_record(ep->stats, r->verdict, r->reasons, false,
				     monotonic_ns() - started, 0);
			snapshot_unref(s);
			*out = r;
			return true;
		}
		atomic_fetch_add_explicit(&ep->stats->cache_misses, 1,
					  memory_order_relaxed);
	}

	r = result_new(ep->name, req->host);
	if (ep->def == NULL || !ep->def->insecure ||
	    !apply_insecure(ep, req, now, r))
		verify_chain(s, ep, req, host, now, r, &not_after,
			     &next_change);
	if (cacheable && r->reasons != TV_REASON_MALFORMED)
		cache_store(s->cache, &key, r, now, next_change);
	stats_record(ep->stats, r->verdict, r->reasons, r->insecure_skip,
		     monotonic_ns() - started, not_after);
	snapshot_unref(s);
	*out = r;
	return true;
}

/* ---- host API for plugins --------------------------------------------- */

const char *tv_host_get_endpoint(const tv_host *host)
{
	g_return_val_if_fail(host != NULL, NULL);
	return host->endpoint;
}

tv_role tv_host_get_role(const tv_host *host)
{
	g_return_val_if_fail(host != NULL, TV_ROLE_CHAIN);
	return host->role;
}

void tv_host_trust_changed(const tv_host *host)
{
	g_return_if_fail(host != NULL);
	if (host->shared != NULL)
		g_atomic_int_inc(&host->shared->trust_generation);
}

void tv_host_audit(const tv_host *host, const tv_request *request,
		   const char *event, const char *reason, const char *message)
{
	g_return_if_fail(host != NULL && event != NULL);
	stats_audit(host->stats, event, request ? request->host : NULL, reason,
		    NULL, message);
}
