/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the discovery update pipeline (dsc_sink_offer: size cap,
 * parse, validate, compare, swap) on one value, compiled in from the
 * plugin.
 *
 * Input: one control byte, then the value.  Control bits 0-1 modulo 3:
 * the format (pem, spiffe-jwks, consul-roots); bit 2: the instance has a
 * trust domain (else unscoped); bit 3: a small max_bundle_bytes (4 KB). */
#include <stdbool.h>

#include "fuzz-util.h"

#include <tlsverify/tlsverify.h>

#include "instance.h"
#include "pipeline.h"

/* Every set of a bundle has anchors, or is an authoritative empty one. */
static void check_bundle(dsc_bundle *b)
{
	GHashTableIter it;
	gpointer k, v;
	unsigned anchors = 0;

	if (b->hash == NULL || b->version == NULL ||
	    g_hash_table_size(b->sets) == 0)
		abort();
	g_hash_table_iter_init(&it, b->sets);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		dsc_anchor_set *set = v;

		if (set->revoked ? set->ders->len != 0 || set->list != NULL
				 : set->ders->len == 0 || set->list == NULL)
			abort();
		anchors += set->ders->len;
	}
	if (anchors != b->anchors)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {DSC_FORMAT_PEM,
					      DSC_FORMAT_SPIFFE_JWKS,
					      DSC_FORMAT_CONSUL_ROOTS};
	/* No engine: a trust change bumps nothing. */
	tv_host host = {.role = TV_ROLE_CHAIN, .endpoint = "fuzz"};
	dsc_config config = {0};
	g_autoptr(GBytes) value = NULL;
	g_autoptr(dsc_bundle) b = NULL;
	dsc_offer_status first, again;
	dsc_offer_info info;
	dsc_state state;
	gint64 until = 0;
	dsc_sink *sink;
	uint8_t control;

	fuzz_quiet_logs();
	if (size < 1 || size > 1024 * 1024)
		return 0;
	control = data[0];
	value = g_bytes_new(data + 1, size - 1);
	config.location = "fuzz:1";
	config.format = formats[(control & 3) % 3];
	config.trust_domain = control & 4 ? "example.org" : NULL;
	config.max_bundle_bytes = control & 8 ? 4096 : 1024 * 1024;
	config.initial_timeout_ms = 0;
	config.max_staleness_s = 3600;
	sink = dsc_pipeline_new(&config, "fuzz", NULL, &host);

	first = dsc_sink_offer(sink, value, NULL, -1, NULL, &info);
	b = dsc_pipeline_acquire(sink, &state, &until);
	switch (first) {
	case DSC_OFFER_ACCEPTED:
		/* In place, fresh, and it holds what validation allows. */
		if (b == NULL || state != DSC_STATE_FRESH)
			abort();
		check_bundle(b);
		if (g_bytes_get_size(value) > config.max_bundle_bytes)
			abort();
		break;
	case DSC_OFFER_REJECTED:
		/* Nothing in place: the step answers UNAVAIL. */
		if (b != NULL || state != DSC_STATE_ERROR)
			abort();
		break;
	default:
		abort(); /* nothing to be unchanged from or older than */
	}
	/* The same value again: the same answer, nothing swapped. */
	again = dsc_sink_offer(sink, value, NULL, -1, NULL, NULL);
	if (again != (first == DSC_OFFER_ACCEPTED ? DSC_OFFER_UNCHANGED
						  : DSC_OFFER_REJECTED))
		abort();
	if (first == DSC_OFFER_ACCEPTED) {
		g_autoptr(dsc_bundle) b2 =
			dsc_pipeline_acquire(sink, &state, &until);

		if (b2 == NULL || strcmp(b2->hash, b->hash) != 0)
			abort();
	}
	dsc_pipeline_free(sink);
	return 0;
}
