/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "pem": trust anchors from PEM files or directories, optional CRLs. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-pem"

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
} pem_state;

static void pem_state_free(pem_state *st)
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC(pem_state, pem_state_free)

/* What one file of a setting holds; GnuTLS does the PEM parsing. */
typedef enum {
	PEM_CERTS,
	PEM_CRLS,
} pem_kind;

/*
 * What gnutls_x509_trust_list_add_trust_mem does with PEM certificates,
 * with the index fed from the same parsed certificates: indexing the list
 * afterwards would copy every anchor again (a third of a reload).
 * Returns the number added or a GnuTLS error.
 */
static int pem_add_certs(pem_state *st, const gnutls_datum_t *pem)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0;
	int ret;

	ret = gnutls_x509_crt_list_import2(&crts, &n, pem, GNUTLS_X509_FMT_PEM,
					   0);
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND)
		return 0;
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		tv_trust_index_add(st->index, crts[i]);
	/* The list owns the certificates from here, duplicates included. */
	ret = gnutls_x509_trust_list_add_cas(st->list, crts, n,
					     GNUTLS_TL_NO_DUPLICATES);
	gnutls_free(crts);
	return ret;
}

/*
 * Adds the certificates (or CRLs) of the PEM file @path to the trust list.
 * A file that cannot be read, does not parse or holds nothing of @kind is an
 * error naming @key's location and @path.
 */
static bool pem_add_file(pem_state *st, const tv_settings *settings,
			 const char *key, const char *path, pem_kind kind,
			 GError **error)
{
	const char *what = kind == PEM_CERTS ? "certificate" : "CRL";
	g_autoptr(GError) local = NULL;
	g_autofree char *data = NULL;
	gnutls_datum_t datum;
	gsize len = 0;
	int ret;

	if (!g_file_get_contents(path, &data, &len, &local)) {
		tv_settings_set_error(settings, key, error,
				      "cannot read %s file: %s", what,
				      local->message);
		return false;
	}
	if (len == 0 || len > UINT_MAX) {
		tv_settings_set_error(settings, key, error,
				      "'%s' holds no PEM %s", path, what);
		return false;
	}
	datum.data = (unsigned char *)data;
	datum.size = (unsigned int)len;
	if (kind == PEM_CERTS) {
		ret = pem_add_certs(st, &datum);
	} else {
		gnutls_x509_crl_t *crls = NULL;
		unsigned int n = 0;

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
	}
	if (ret < 0) {
		tv_settings_set_error(settings, key, error,
				      "'%s' holds no usable PEM %s: %s", path,
				      what, gnutls_strerror(ret));
		return false;
	}
	if (ret == 0) {
		tv_settings_set_error(settings, key, error,
				      "'%s' holds no PEM %s", path, what);
		return false;
	}
	if (kind == PEM_CERTS)
		st->anchors += (unsigned int)ret;
	return true;
}

static bool pem_is_bundle_name(const char *name)
{
	/* Hidden entries are skipped: Kubernetes mounts keep their
	 * "..data" swap machinery there. */
	if (name[0] == '.')
		return false;
	return g_str_has_suffix(name, ".pem") || g_str_has_suffix(name, ".crt");
}

static int pem_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Loads every *.pem / *.crt file of directory @dir in byte order.  Entries
 * that are directories are skipped; anything else with such a name (a
 * dangling symlink, a device) is an error rather than a silently smaller
 * trust set.
 */
static bool pem_add_dir(pem_state *st, const tv_settings *settings,
			const char *dir, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) d = NULL;
	const char *name;
	unsigned int before = st->anchors;

	d = g_dir_open(dir, 0, &local);
	if (d == NULL) {
		tv_settings_set_error(settings, "bundle", error,
				      "cannot read bundle directory: %s",
				      local->message);
		return false;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		if (pem_is_bundle_name(name))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, pem_compare_names);

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path =
			g_build_filename(dir, names->pdata[i], NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			continue;
		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			tv_settings_set_error(settings, "bundle", error,
					      "'%s' is not a regular file",
					      path);
			return false;
		}
		if (!pem_add_file(st, settings, "bundle", path, PEM_CERTS,
				  error))
			return false;
	}
	if (st->anchors == before) {
		tv_settings_set_error(settings, "bundle", error,
				      "directory '%s' holds no *.pem or *.crt "
				      "certificate file",
				      dir);
		return false;
	}
	return true;
}

/* Loads each bundle: a PEM file, or a directory of them. */
static bool pem_add_bundles(pem_state *st, const tv_settings *settings,
			    char **paths, GError **error)
{
	for (char **p = paths; *p != NULL; p++) {
		bool ok;

		if (g_file_test(*p, G_FILE_TEST_IS_DIR))
			ok = pem_add_dir(st, settings, *p, error);
		else
			ok = pem_add_file(st, settings, "bundle", *p, PEM_CERTS,
					  error);
		if (!ok)
			return false;
	}
	return true;
}

/* Reads the step's settings: "bundle" (required) and "crl" (optional). */
static bool pem_read_settings(const tv_settings *settings, char ***bundles,
			      char ***crls, GError **error)
{
	if (!tv_settings_has(settings, "bundle")) {
		tv_settings_set_error(settings, "bundle", error,
				      "missing: pem needs a PEM file or a "
				      "directory of them");
		return false;
	}
	if (!tv_settings_get_pathv(settings, "bundle", bundles, error) ||
	    !tv_settings_get_pathv(settings, "crl", crls, error))
		return false;
	if (*bundles == NULL || (*bundles)[0] == NULL) {
		tv_settings_set_error(settings, "bundle", error,
				      "empty list of bundles");
		return false;
	}
	if (*crls != NULL && (*crls)[0] == NULL) {
		tv_settings_set_error(settings, "crl", error,
				      "empty list of CRL files");
		return false;
	}
	return true;
}

static bool pem_open(const tv_settings *settings, const tv_host *host,
		     void **state, GError **error)
{
	g_autoptr(pem_state) st = NULL;
	g_auto(GStrv) bundles = NULL;
	g_auto(GStrv) crls = NULL;
	int ret;

	g_return_val_if_fail(settings != NULL, false);
	g_return_val_if_fail(state != NULL, false);

	if (!pem_read_settings(settings, &bundles, &crls, error))
		return false;

	st = g_new0(pem_state, 1);
	if (!tv_path_options_read(settings, &st->options, error))
		return false;
	if (!tv_revocation_mode_read(settings, crls != NULL, &st->revocation,
				     error))
		return false;
	st->index = tv_trust_index_new(NULL); /* filled as files are read */
	ret = tv_trust_list_new(&st->list);
	if (ret < 0) {
		st->list = NULL;
		tv_settings_set_error(settings, NULL, error,
				      "cannot create a trust list: %s",
				      gnutls_strerror(ret));
		return false;
	}
	if (!pem_add_bundles(st, settings, bundles, error))
		return false;
	for (char **p = crls; p != NULL && *p != NULL; p++) {
		if (!pem_add_file(st, settings, "crl", *p, PEM_CRLS, error))
			return false;
	}

	g_debug("%s: %u trust anchors, %u CRLs",
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

static tv_step_verdict pem_verify(void *state, const tv_request *request,
				  const tv_chain *chain, tv_step_result *result)
{
	const pem_state *st = state;
	if (st == NULL || st->list == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result, "pem: not opened");
		return TV_STEP_FAIL;
	}
	return tv_trust_list_verify_with(st->list, request, chain, &st->options,
					 result);
}

static void pem_close(void *state)
{
	pem_state_free(state);
}

/* Read only: safe beside concurrent verify() calls. */
static void pem_describe(void *state, tv_describe *out)
{
	const pem_state *st = state;

	tv_describe_int(out, "anchors", st->anchors);
	tv_describe_int(out, "crls", st->n_crls);
}

static const tv_plugin_ops pem_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "pem",
	.summary = "trust anchors from PEM files or directories, optional CRLs",
	/* Everything pem trusts comes from the files its settings name. */
	.caps = TV_PLUGIN_CAP_TRUST_ANCHOR | TV_PLUGIN_CAP_KEEP_ON_RELOAD,
	.open = pem_open,
	.verify = pem_verify,
	.close = pem_close,
	.describe = pem_describe,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &pem_ops;
}
