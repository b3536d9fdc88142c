/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "system": trust anchors from the OS CA store, optional PEM CRLs. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-system"

#include <limits.h>
#include <string.h>

#include <tlsverify/plugin.h>

/* Built once in open(); read-only afterwards, shared by all verify calls. */
typedef struct {
	gnutls_x509_trust_list_t list;
	tv_trust_index *index; /* NULL: full checks only */
	unsigned int anchors;
	/* CRLs stay out of the trust list: GnuTLS would apply them without
	 * validating them; tv_trust_list_verify_with checks them itself. */
	gnutls_x509_crl_t *crls;
	unsigned int n_crls;
	/* The same CRLs decoded once, for every verify call. */
	tv_crl_set *crl_set;
	tv_revocation_mode revocation;
	tv_path_options
		options; /* RFC 5280 inputs; crls point into the above */
} system_state;

static void system_state_free(system_state *st)
{
	if (st == NULL)
		return;
	tv_trust_index_free(st->index);
	if (st->list != NULL)
		gnutls_x509_trust_list_deinit(st->list, 1);
	tv_path_options_clear(&st->options);
	tv_crl_set_free(st->crl_set);
	for (unsigned int i = 0; i < st->n_crls; i++)
		gnutls_x509_crl_deinit(st->crls[i]);
	g_free(st->crls);
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
		gnutls_x509_crl_t *crls = NULL;
		unsigned int n = 0;
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
		ret = gnutls_x509_crl_list_import2(&crls, &n, &datum,
						   GNUTLS_X509_FMT_PEM, 0);
		if (ret >= 0) {
			st->crls = g_renew(gnutls_x509_crl_t, st->crls,
					   st->n_crls + n);
			memcpy(st->crls + st->n_crls, crls, n * sizeof(*crls));
			st->n_crls += n;
			ret = (int)n;
		}
		gnutls_free(crls);
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
	}
	return true;
}

static bool system_open(const tv_settings *settings, const tv_host *host,
			void **state, GError **error)
{
	g_autoptr(system_state) st = NULL;
	g_auto(GStrv) crls = NULL;
	tv_revocation_mode revocation;
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
	if (!tv_revocation_mode_read(settings, crls != NULL, &revocation,
				     error))
		return false;

	st = g_new0(system_state, 1);
	if (!tv_path_options_read(settings, &st->options, error))
		return false;
	st->revocation = revocation;
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
		st->n_crls);
	/* The CRLs are final now: the options borrow them, and their
	 * prepared set, until close. */
	st->crl_set = tv_crl_set_new(st->crls, st->n_crls);
	st->options.crls = st->crls;
	st->options.n_crls = st->n_crls;
	st->options.crl_set = st->crl_set;
	st->options.revocation = st->revocation;
	st->options.index = st->index;
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
	return tv_trust_list_verify_with(st->list, request, chain, &st->options,
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
	tv_describe_int(out, "crls", st->n_crls);
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
