/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prometheus text exposition of the engine's counters. */
#include "engine.h"

#include "describe.h"

#include <string.h>

/* Label values: backslash, double quote and newline are escaped. */
static void append_label(GString *out, const char *value)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\\' || *c == '"')
			g_string_append_c(out, '\\');
		if (*c == '\n') {
			g_string_append(out, "\\n");
			continue;
		}
		g_string_append_c(out, *c);
	}
}

static void header(GString *out, const char *name, const char *type,
		   const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			       name, type);
}

#define LOAD(x) ((guint64)atomic_load_explicit(&(x), memory_order_relaxed))

typedef struct {
	GString *out;
	const char *metric; /* which family this pass writes */
} pass;

static void endpoint_label(GString *out, const char *metric,
			   const endpoint_stats *s)
{
	g_string_append_printf(out, "%s{endpoint=\"", metric);
	append_label(out, s->name);
	g_string_append_c(out, '"');
}

static void write_event(const char *event, uint64_t count, void *data)
{
	void **args = data;
	GString *out = args[0];
	endpoint_stats *s = args[1];
	bool pin_only = GPOINTER_TO_INT(args[2]);

	if (pin_only) {
		if (strcmp(event, "pin-report-mismatch") != 0)
			return;
		endpoint_label(out, "tlsverify_pin_report_mismatches_total", s);
		g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
				       (guint64)count);
		return;
	}
	endpoint_label(out, "tlsverify_audit_events_total", s);
	g_string_append(out, ",event=\"");
	append_label(out, event);
	g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n",
			       (guint64)count);
}

static void write_endpoint(endpoint_stats *s, void *data)
{
	pass *p = data;
	GString *out = p->out;
	const char *m = p->metric;

	if (strcmp(m, "verifications") == 0) {
		static const char *const names[2] = {"rejected", "trusted"};
		for (int v = 0; v < 2; v++) {
			endpoint_label(out, "tlsverify_verifications_total", s);
			g_string_append_printf(
				out, ",verdict=\"%s\"} %" G_GUINT64_FORMAT "\n",
				names[v], LOAD(s->verdicts[v]));
		}
	} else if (strcmp(m, "rejections") == 0) {
		for (unsigned i = 0; i < TV_REASON_COUNT; i++) {
			guint64 n = LOAD(s->reasons[i]);
			if (n == 0)
				continue;
			endpoint_label(out, "tlsverify_rejections_total", s);
			g_string_append_printf(
				out, ",reason=\"%s\"} %" G_GUINT64_FORMAT "\n",
				tv_reason_to_string(1u << i), n);
		}
	} else if (strcmp(m, "skips") == 0) {
		endpoint_label(out, "tlsverify_insecure_skips_total", s);
		g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
				       LOAD(s->insecure_skips));
	} else if (strcmp(m, "hits") == 0) {
		endpoint_label(out, "tlsverify_cache_hits_total", s);
		g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
				       LOAD(s->cache_hits));
	} else if (strcmp(m, "misses") == 0) {
		endpoint_label(out, "tlsverify_cache_misses_total", s);
		g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
				       LOAD(s->cache_misses));
	} else if (strcmp(m, "latency") == 0) {
		guint64 cumulative = 0;
		for (unsigned b = 0; b <= STATS_LATENCY_BUCKETS; b++) {
			char le[32];

			cumulative += LOAD(s->latency[b]);
			if (b < STATS_LATENCY_BUCKETS)
				g_ascii_formatd(le, sizeof(le), "%g",
						stats_latency_bounds[b]);
			else
				g_strlcpy(le, "+Inf", sizeof(le));
			endpoint_label(out,
				       "tlsverify_verification_duration_"
				       "seconds_bucket",
				       s);
			g_string_append_printf(
				out, ",le=\"%s\"} %" G_GUINT64_FORMAT "\n", le,
				cumulative);
		}
		{
			char sum[48];

			g_ascii_formatd(sum, sizeof(sum), "%.9f",
					(double)LOAD(s->latency_sum_ns) / 1e9);
			endpoint_label(
				out,
				"tlsverify_verification_duration_seconds_sum",
				s);
			g_string_append_printf(out, "} %s\n", sum);
		}
		endpoint_label(out,
			       "tlsverify_verification_duration_seconds_count",
			       s);
		g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
				       LOAD(s->latency_count));
	} else if (strcmp(m, "not_after") == 0) {
		gint64 t = (gint64)atomic_load_explicit(&s->last_not_after,
							memory_order_relaxed);
		if (t == 0)
			return;
		endpoint_label(
			out,
			"tlsverify_chain_earliest_not_after_timestamp_seconds",
			s);
		g_string_append_printf(out, "} %" G_GINT64_FORMAT "\n", t);
	} else if (strcmp(m, "events") == 0 || strcmp(m, "pin") == 0) {
		void *args[3] = {out, s,
				 GINT_TO_POINTER(strcmp(m, "pin") == 0)};
		stats_foreach_event(s, write_event, args);
	}
}

static const struct {
	const char *pass, *name, *type, *help;
} families[] = {
	{"verifications", "tlsverify_verifications_total", "counter",
	 "Verifications by endpoint and verdict."},
	{"rejections", "tlsverify_rejections_total", "counter",
	 "Rejected verifications by endpoint and reason (a rejection may "
	 "have several reasons)."},
	{"skips", "tlsverify_insecure_skips_total", "counter",
	 "Verifications skipped by an insecure_skip_verify exception."},
	{"pin", "tlsverify_pin_report_mismatches_total", "counter",
	 "Pin mismatches let through because the pin step is in report "
	 "mode."},
	{"events", "tlsverify_audit_events_total", "counter",
	 "Audit events by endpoint and event, including those held back "
	 "by rate limiting."},
	{"hits", "tlsverify_cache_hits_total", "counter",
	 "Verifications answered from the result cache."},
	{"misses", "tlsverify_cache_misses_total", "counter",
	 "Cacheable verifications that had to run."},
	{"latency", "tlsverify_verification_duration_seconds", "histogram",
	 "Time spent in tv_engine_verify."},
	{"not_after", "tlsverify_chain_earliest_not_after_timestamp_seconds",
	 "gauge",
	 "Earliest notAfter of the last chain verified for the endpoint, "
	 "as a Unix timestamp."},
};

static void write_exceptions(GString *out, const snapshot *snap, gint64 now)
{
	header(out, "tlsverify_insecure_exception_expiry_timestamp_seconds",
	       "gauge",
	       "Active insecure_skip_verify exceptions and when they lapse.");
	for (unsigned i = 0; i < snap->endpoints->len; i++) {
		const snap_endpoint *e = snap->endpoints->pdata[i];
		const policy_endpoint *def = e->def;

		if (def == NULL || !def->insecure || def->expires <= now)
			continue;
		g_string_append(
			out,
			"tlsverify_insecure_exception_expiry_timestamp_seconds"
			"{endpoint=\"");
		append_label(out, def->name);
		g_string_append(out, "\",owner=\"");
		append_label(out, def->owner ? def->owner : "");
		g_string_append_printf(out, "\"} %" G_GINT64_FORMAT "\n",
				       (gint64)def->expires);
	}
}

static void write_step_values(GString *out, const snap_endpoint *e,
			      const snap_step *st, const char *step)
{
	g_autoptr(GPtrArray) items = describe_step(st);

	for (unsigned i = 0; i < items->len; i++) {
		const describe_item *it = items->pdata[i];

		if (!it->is_int)
			continue;
		g_string_append(out, "tlsverify_plugin_value{endpoint=\"");
		append_label(out, e->name);
		g_string_append_printf(out, "\",step=\"%s\",plugin=\"", step);
		append_label(out, st->use);
		g_string_append_printf(out,
				       "\",key=\"%s\"} %" G_GINT64_FORMAT "\n",
				       it->key, (gint64)it->number);
	}
}

/* What each plugin instance reports about itself (describe, ABI 1.2). */
static void write_plugin_values(GString *out, const snapshot *snap)
{
	header(out, "tlsverify_plugin_value", "gauge",
	       "State reported by each plugin instance (e.g. anchors), by "
	       "endpoint, step (1-based, or client) and key.");
	for (unsigned i = 0; i <= snap->endpoints->len; i++) {
		const snap_endpoint *e = i < snap->endpoints->len
						 ? snap->endpoints->pdata[i]
						 : snap->fallback;
		if (e == NULL)
			continue;
		for (unsigned k = 0; k < e->steps->len; k++) {
			char step[16];

			g_snprintf(step, sizeof(step), "%u", k + 1);
			write_step_values(out, e, e->steps->pdata[k], step);
		}
		if (e->client != NULL)
			write_step_values(out, e, e->client, "client");
	}
}

char *tv_engine_metrics(tv_engine *e)
{
	GString *out = g_string_new(NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	snapshot *snap;

	g_return_val_if_fail(e != NULL, NULL);
	for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
		pass p = {out, families[f].pass};

		header(out, families[f].name, families[f].type,
		       families[f].help);
		stats_registry_foreach(e->shared.stats, write_endpoint, &p);
	}

	snap = engine_acquire(e);
	write_exceptions(out, snap, now);
	write_plugin_values(out, snap);
	header(out, "tlsverify_endpoints", "gauge",
	       "Endpoints in the policy in force.");
	g_string_append_printf(out, "tlsverify_endpoints %u\n",
			       snap->endpoints->len);
	snapshot_unref(snap);

	core_lock_acquire(&e->reload_lock);
	header(out, "tlsverify_config_last_reload_success", "gauge",
	       "1 when the last (re)load of the policy succeeded.");
	g_string_append_printf(out, "tlsverify_config_last_reload_success %d\n",
			       g_atomic_int_get(&e->last_reload_ok));
	header(out, "tlsverify_config_last_reload_timestamp_seconds", "gauge",
	       "When the policy was last (re)loaded, successfully or not.");
	g_string_append_printf(out,
			       "tlsverify_config_last_reload_timestamp_seconds "
			       "%" G_GINT64_FORMAT "\n",
			       e->last_reload_time);
	header(out, "tlsverify_config_reloads_total", "counter",
	       "Reloads by result.");
	g_string_append_printf(
		out,
		"tlsverify_config_reloads_total{result=\"ok\"} "
		"%" G_GINT64_FORMAT "\n"
		"tlsverify_config_reloads_total{result=\"failed\"} "
		"%" G_GINT64_FORMAT "\n",
		e->reloads_ok, e->reloads_failed);
	core_lock_release(&e->reload_lock);
	return g_string_free(out, FALSE);
}
