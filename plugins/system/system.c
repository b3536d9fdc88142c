/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "system": trust anchors from the OS CA store, optional PEM CRLs. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-system"

#include <limits.h>

#include <tlsverify/plugin.h>

/* Built once in open(); read-only afterwards, shared by all verify calls. */
typedef struct {
	gnutls_x509_trust_list_t list;
	tv_trust_index *index; /* NULL: full checks only */
	unsigned int anchors;
	unsigned int crls;
} system_state;

static void system_state_free(system_state *st)
{
	if (st == NULL)
		return;
	tv_trust_index_free(st->index);
	if (st->list != NULL)
		gnutls_x509_trust_list_deinit(st->list, 1);
	g_free(st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(system_state, system_state_free)

/*
 * Adds the CRLs of every file in @paths.  A file that cannot be read or
 * holds no CRL is an error: a revocation list the policy asked for and that
 * silently went missing would fail open.
 */
static bool system_add_crls(system_state *st, const tv_settings *settings,
			    char **paths, GError **error)
{
	for (char **p = paths; *p != NULL; p++) {
		g_autoptr(GError) local = NULL;
		g_autofree char *data = NULL;
		gnutls_datum_t datum;
		gsize len = 0;
		int ret;

		if (!g_file_get_contents(*p, &data, &len, &local)) {
			tv_settings_set_error(settings, "crl", error,
					      "cannot read CRL file: %s",
					      local->message);
			return false;
		}
		if (len == 0 || len > UINT_MAX) {
			tv_settings_set_error(settings, "crl", error,
					      "'%s' holds no CRL", *p);
			return false;
		}
		datum.data = (unsigned char *)data;
		datum.size = (unsigned int)len;
		ret = gnutls_x509_trust_list_add_trust_mem(
			st->list, NULL, &datum, GNUTLS_X509_FMT_PEM, 0, 0);
		if (ret < 0) {
			tv_settings_set_error(
				settings, "crl", error,
				"'%s' holds no usable PEM CRL: %s", *p,
				gnutls_strerror(ret));
			return false;
		}
		if (ret == 0) {
			tv_settings_set_error(settings, "crl", error,
					      "'%s' holds no CRL", *p);
			return false;
		}
		st->crls += (unsigned int)ret;
	}
	return true;
}

static bool system_open(const tv_settings *settings, const tv_host *host,
			void **state, GError **error)
{
	g_autoptr(system_state) st = NULL;
	g_auto(GStrv) crls = NULL;
	int ret;

	g_return_val_if_fail(settings != NULL, false);
	g_return_val_if_fail(state != NULL, false);

	/* Settings first: a typo is reported before the store is read. */
	if (!tv_settings_get_pathv(settings, "crl", &crls, error))
		return false;
	if (crls != NULL && crls[0] == NULL) {
		tv_settings_set_error(settings, "crl", error,
				      "empty list of CRL files");
		return false;
	}

	st = g_new0(system_state, 1);
	ret = tv_trust_list_new(&st->list);
	if (ret < 0) {
		st->list = NULL;
		tv_settings_set_error(settings, NULL, error,
				      "cannot create a trust list: %s",
				      gnutls_strerror(ret));
		return false;
	}

	ret = gnutls_x509_trust_list_add_system_trust(
		st->list, GNUTLS_TL_NO_DUPLICATES, 0);
	if (ret < 0) {
		tv_settings_set_error(settings, NULL, error,
				      "cannot load the system trust store: %s",
				      gnutls_strerror(ret));
		return false;
	}
	if (ret == 0) {
		/* Trusting nothing would reject everything, but only by
		 * accident; say why instead. */
		tv_settings_set_error(settings, NULL, error,
				      "the system trust store holds no CA "
				      "certificate (is ca-certificates "
				      "installed?)");
		return false;
	}
	st->anchors = (unsigned int)ret;

	if (crls != NULL && !system_add_crls(st, settings, crls, error))
		return false;

	/* Last: the index covers every anchor added above. */
	st->index = tv_trust_index_new(st->list);
	g_debug("%s: %u system trust anchors, %u CRLs",
		tv_settings_get_location(settings, NULL), st->anchors,
		st->crls);
	*state = g_steal_pointer(&st);
	return true;
}

static tv_step_verdict system_verify(void *state, const tv_request *request,
				     const tv_chain *chain,
				     tv_step_result *result)
{
	const system_state *st = state;

	if (st == NULL || st->list == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result, "system: not opened");
		return TV_STEP_FAIL;
	}
	return tv_trust_list_verify_indexed(st->list, st->index, request, chain,
					    result);
}

static void system_close(void *state)
{
	system_state_free(state);
}

/* Read only: safe beside concurrent verify() calls. */
static void system_describe(void *state, tv_describe *out)
{
	const system_state *st = state;

	tv_describe_int(out, "anchors", st->anchors);
	tv_describe_int(out, "crls", st->crls);
}

static const tv_plugin_ops system_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "system",
	.summary = "operating system CA store, optional PEM CRLs",
	.caps = TV_PLUGIN_CAP_TRUST_ANCHOR,
	.open = system_open,
	.verify = system_verify,
	.close = system_close,
	.describe = system_describe,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &system_ops;
}
