/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: a presented chain through the whole engine (import, path
 * order, pem plugin, core checks); never a crash, never trusted junk. */
#include "tlsverify/tlsverify.h"

#include <gnutls/crypto.h>

#include "chain-anchor.h"
#include "fuzz-util.h"

#define FUZZ_MAX_CERTS 4
#define FUZZ_TIME 1906502400 /* 2030-06-01T00:00:00Z */

/* One endpoint for every host: the seed PKI's root through pem.  No
 * cache, so every input runs the whole verification. */
static const char fuzz_policy[] =
	"defaults = { cache = { size = 0; }; };\n"
	"endpoints = ( { name = \"fuzz\"; hosts = [ \"*\" ];\n"
	"  chain = ( { use = \"pem\"; control = \"required\";\n"
	"              bundle = \"root.pem\"; } ); } );\n";

static tv_engine *engine;

static tv_engine *fuzz_engine(void)
{
	g_autoptr(GError) error = NULL;

	if (engine != NULL)
		return engine;
	fuzz_quiet_logs();
	fuzz_scratch_write("root.pem", fuzz_chain_root_pem,
			   strlen(fuzz_chain_root_pem));
	fuzz_scratch_write("fuzz.conf", fuzz_policy, strlen(fuzz_policy));
	engine = tv_engine_new(fuzz_scratch_dir(), fuzz_plugin_dir(), &error);
	if (engine == NULL) {
		fprintf(stderr, "fuzz-chain: %s\n", error->message);
		exit(1);
	}
	return engine;
}

/* True when @der is the one leaf of the seed PKI valid for fuzz.example. */
static bool is_known_leaf(const uint8_t *der, size_t len)
{
	unsigned char digest[32];
	char hex[65];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, digest) < 0)
		abort();
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return strcmp(hex, fuzz_chain_leaf_sha256) == 0;
}

/*
 * Input: up to FUZZ_MAX_CERTS certificates, each a two-byte big-endian
 * length and that many bytes of DER (the last one takes what is left
 * when its length overruns).  The first is the leaf.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(tv_request) request = tv_request_new("fuzz.example", 443);
	g_autoptr(tv_result) result = NULL;
	g_autoptr(GError) error = NULL;
	const uint8_t *leaf = NULL;
	size_t leaf_len = 0, n = 0;

	tv_request_set_time(request, FUZZ_TIME);
	while (n < FUZZ_MAX_CERTS && size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		tv_request_add_der(request, data, len);
		if (n++ == 0) {
			leaf = data;
			leaf_len = len;
		}
		data += len;
		size -= len;
	}

	if (!tv_engine_verify(fuzz_engine(), request, &result, &error)) {
		if (result != NULL || error == NULL)
			abort(); /* "could not run" comes with an error only */
		return 0;
	}
	if (result == NULL || tv_result_get_message(result) == NULL)
		abort();
	/* Every key of the seed PKI is gone: the one leaf signed for this
	 * name and purpose is all that may ever be trusted. */
	if (tv_result_get_verdict(result) == TV_VERDICT_TRUSTED) {
		if (leaf == NULL || !is_known_leaf(leaf, leaf_len) ||
		    tv_result_get_reasons(result) != 0)
			abort();
	} else if (tv_result_get_reasons(result) == 0) {
		abort(); /* a rejection names its reason */
	}
	/* Triage aid: what each input of a replay decided. */
	if (g_getenv("TV_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz-chain: %s\n",
			tv_result_get_message(result));
	g_free(tv_result_to_json(result));
	return 0;
}
