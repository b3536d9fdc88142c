/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tv_path_options from an anchor step's settings. */
#include "config.h"

#include "tlsverify/plugin.h"

#include <libtasn1.h>
#include <stddef.h>
#include <string.h>

/* Whether @oid is dotted decimal that libtasn1 can encode. */
static bool is_oid(const char *oid)
{
	unsigned char der[128];
	int len = (int)sizeof(der);

	return asn1_object_id_der(oid, der, &len, 0) == ASN1_SUCCESS;
}

bool tv_path_options_read(const tv_settings *settings, tv_path_options *options,
			  GError **error)
{
	char **policies = NULL;

	g_return_val_if_fail(settings != NULL && options != NULL, false);
	memset(options, 0, sizeof(*options));
	options->size = sizeof(*options);
	if (!tv_settings_get_bool(settings, "require_explicit_policy",
				  &options->require_explicit_policy, error) ||
	    !tv_settings_get_bool(settings, "inhibit_policy_mapping",
				  &options->inhibit_policy_mapping, error) ||
	    !tv_settings_get_bool(settings, "inhibit_any_policy",
				  &options->inhibit_any_policy, error) ||
	    !tv_settings_get_bool(settings, "allow_sha1", &options->allow_sha1,
				  error) ||
	    !tv_settings_get_strv(settings, "initial_policy_set", &policies,
				  error))
		return false;
	if (policies != NULL) {
		if (policies[0] == NULL) {
			g_strfreev(policies);
			tv_settings_set_error(settings, "initial_policy_set",
					      error, "empty list of policies");
			return false;
		}
		for (char **p = policies; *p != NULL; p++) {
			if (!is_oid(*p)) {
				tv_settings_set_error(
					settings, "initial_policy_set", error,
					"'%s' is not an OID", *p);
				g_strfreev(policies);
				return false;
			}
		}
		options->initial_policy_set = (const char *const *)policies;
	}
	if (options->allow_sha1)
		tv_settings_warn(settings, "allow_sha1",
				 "SHA-1 signatures are accepted on this "
				 "step's paths (collisions are practical: "
				 "keep it for legacy test PKIs only)");
	return true;
}

void tv_path_options_clear(tv_path_options *options)
{
	if (options == NULL)
		return;
	g_strfreev((char **)options->initial_policy_set);
	memset(options, 0, sizeof(*options));
}
