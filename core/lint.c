/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Warnings about policies that load but may not mean what they say. */
#include "lint.h"

#define SOON_SECONDS (30 * 24 * 3600)

static void lint_chain(const snap_endpoint *e, GPtrArray *out)
{
	const policy_endpoint *def = e->def;
	int sufficient = -1;

	if (def->steps->len == 0) {
		g_ptr_array_add(
			out, g_strdup_printf("%s:%d: endpoint '%s': empty "
					     "chain: every verification is "
					     "rejected (no-decision)",
					     def->file, def->line, def->name));
		return;
	}
	if (!e->has_anchor)
		g_ptr_array_add(
			out, g_strdup_printf(
				     "%s:%d: endpoint '%s': no trust-anchor "
				     "step that can fail (system, pem, ...): "
				     "trust rests on the other plugins alone",
				     def->file, def->line, def->name));

	for (unsigned i = 0; i < e->steps->len; i++) {
		const snap_step *st = e->steps->pdata[i];
		const policy_step *ps = st->def;

		if ((st->control == CONTROL_REQUIRED ||
		     st->control == CONTROL_REQUISITE) &&
		    sufficient >= 0) {
			const snap_step *suf = e->steps->pdata[sufficient];
			g_ptr_array_add(
				out,
				g_strdup_printf(
					"%s:%d: endpoint '%s': step %u '%s' "
					"(%s) comes after sufficient step %d "
					"'%s': when that step passes this one "
					"never runs (fail-open ordering)",
					ps->file, ps->line, def->name, i + 1,
					st->use, control_to_string(st->control),
					sufficient + 1, suf->use));
		}
		if (st->control == CONTROL_SUFFICIENT && sufficient < 0)
			sufficient = (int)i;
		if ((st->plugin->ops->caps & TV_PLUGIN_CAP_TRUST_ANCHOR) &&
		    st->control == CONTROL_OPTIONAL)
			g_ptr_array_add(
				out,
				g_strdup_printf(
					"%s:%d: endpoint '%s': trust-anchor "
					"step '%s' is optional: its failure "
					"is ignored",
					ps->file, ps->line, def->name,
					st->use));
	}
}

void lint_snapshot(const snapshot *snap, GPtrArray *out)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (snap->policy->files->len == 0)
		g_ptr_array_add(out, g_strdup("no *.conf policy files: every "
					      "host gets the built-in default "
					      "(system, required)"));
	for (unsigned i = 0; i < snap->endpoints->len; i++) {
		const snap_endpoint *e = snap->endpoints->pdata[i];
		const policy_endpoint *def = e->def;

		if (def->insecure) {
			g_autoptr(GDateTime) dt =
				g_date_time_new_from_unix_utc(def->expires);
			g_autofree char *when =
				dt ? g_date_time_format_iso8601(dt) : NULL;

			if (def->expires <= now)
				g_ptr_array_add(
					out,
					g_strdup_printf(
						"%s:%d: endpoint '%s': "
						"insecure exception expired at "
						"%s: full verification applies",
						def->file, def->insecure_line,
						def->name, when));
			else if (def->expires - now < SOON_SECONDS)
				g_ptr_array_add(
					out,
					g_strdup_printf(
						"%s:%d: endpoint '%s': "
						"insecure exception expires at "
						"%s (in less than 30 days)",
						def->file, def->insecure_line,
						def->name, when));
			if (def->owner == NULL)
				g_ptr_array_add(
					out,
					g_strdup_printf(
						"%s:%d: endpoint '%s': "
						"insecure exception has no "
						"'owner'",
						def->file, def->line,
						def->name));
		}
		if (def->steps != NULL)
			lint_chain(e, out);
	}
}
