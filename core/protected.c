/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Official AI provider API hosts that no policy may exempt from verification.
 */
#include "protected.h"

/*
 * A floor under conf.d/10-ai-providers.conf: even if that file is removed
 * or edited, no endpoint whose hosts overlap these may skip verification,
 * turn the name check off or run without a trust-anchor step.
 */
static const char *const builtin_hosts[] = {
	"api.openai.com",
	"api.anthropic.com",
	"*.openai.azure.com",
	"*.services.ai.azure.com",
	"*.cognitiveservices.azure.com",
	"generativelanguage.googleapis.com",
	"aiplatform.googleapis.com",
	"api.mistral.ai",
	"api.cohere.com",
	"api.cohere.ai",
	"api.groq.com",
	"api.deepseek.com",
	"api.x.ai",
	"api.together.xyz",
	"api.fireworks.ai",
	"api.perplexity.ai",
	"openrouter.ai",
};

GPtrArray *protected_builtin_patterns(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)host_pattern_free);

	for (size_t i = 0; i < G_N_ELEMENTS(builtin_hosts); i++) {
		host_pattern *p = host_pattern_parse(builtin_hosts[i], NULL);

		g_assert(p != NULL); /* a typo above is a build bug */
		g_ptr_array_add(out, p);
	}
	return out;
}
