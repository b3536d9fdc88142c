/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: policy loading (libconfig file, endpoints, host patterns,
 * protected rules, plugin settings) as the only file of a conf.d. */
#include "tlsverify/tlsverify.h"

#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(GError) error = NULL;

	fuzz_quiet_logs();
	fuzz_scratch_write("fuzz.conf", data, size);
	engine = tv_engine_new(fuzz_scratch_dir(), fuzz_plugin_dir(), &error);
	if (engine == NULL) {
		if (error == NULL || error->domain != TV_ERROR)
			abort(); /* a failed load says why */
		return 0;
	}
	/* What check-config and the status endpoint print of a policy. */
	g_strfreev(tv_engine_dup_warnings(engine));
	g_free(tv_engine_status(engine));
	g_ptr_array_unref(tv_engine_dup_probe_targets(engine));
	return 0;
}
