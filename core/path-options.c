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

/* "revocation": "require" | "if-present" | "off".  Default: require when
 * the step names CRLs (a CRL the policy gives is meant to be used), else
 * if-present (which, with no CRL, checks nothing). */
bool tv_revocation_mode_read(const tv_settings *settings, bool have_crls,
			     tv_revocation_mode *mode, GError **error)
{
	g_return_val_if_fail(settings != NULL && mode != NULL, false);
	const char *text = NULL;

	*mode = have_crls ? TV_REVOCATION_REQUIRE : TV_REVOCATION_IF_PRESENT;
	if (!tv_settings_get_string(settings, "revocation", &text, error))
		return false;
	if (text == NULL)
		return true;
	if (strcmp(text, "require") == 0)
		*mode = TV_REVOCATION_REQUIRE;
	else if (strcmp(text, "if-present") == 0)
		*mode = TV_REVOCATION_IF_PRESENT;
	else if (strcmp(text, "off") == 0)
		*mode = TV_REVOCATION_OFF;
	else {
		tv_settings_set_error(settings, "revocation", error,
				      "unknown revocation mode '%s' (require, "
				      "if-present or off)",
				      text);
		return false;
	}
	if (*mode == TV_REVOCATION_REQUIRE && !have_crls) {
		tv_settings_set_error(settings, "revocation", error,
				      "'require' needs CRLs: add a 'crl' "
				      "setting");
		return false;
	}
	return true;
}
