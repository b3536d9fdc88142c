/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Consul Connect CA roots (IndexedCARoots, /v1/agent/connect/ca/roots):
 * parser. */
#include "config.h"

#include "consul-roots.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

#include "remote-json.h"
#include "spiffe-id.h"

static void crt_free(gpointer crt)
{
	gnutls_x509_crt_deinit(crt);
}

/* Imports the one PEM certificate of RootCert, or NULL with @error. */
static gnutls_x509_crt_t root_import(const char *pem, GError **error)
{
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t datum;
	unsigned int n = 0;
	int ret;

	datum.data = (unsigned char *)pem;
	datum.size = (unsigned int)strlen(pem);
	ret = gnutls_x509_crt_list_import2(&list, &n, &datum,
					   GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"RootCert\" does not parse: %s",
			    gnutls_strerror(ret));
		return NULL;
	}
	if (n != 1) {
		for (unsigned int i = 0; i < n; i++)
			gnutls_x509_crt_deinit(list[i]);
		gnutls_free(list);
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "\"RootCert\" holds %u certificates, not one", n);
		return NULL;
	}
	gnutls_x509_crt_t crt = list[0];
	gnutls_free(list);
	return crt;
}

/* Whether @crt's DER is already among @seen's; adds it otherwise. */
static bool seen_before(GHashTable *seen, gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	GBytes *bytes;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return false;
	bytes = g_bytes_new(der.data, der.size);
	gnutls_free(der.data);
	return !g_hash_table_add(seen, bytes);
}

static GPtrArray *roots_parse(const void *data, size_t len,
			      char **active_root_id, char **trust_domain,
			      GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) certs = NULL;
	g_autoptr(GHashTable) seen = NULL;
	const char *active = NULL, *td = NULL;
	bool active_found = false;
	JsonObject *obj;
	JsonNode *roots_node;
	JsonArray *roots;
	guint n;

	g_return_val_if_fail(data != NULL || len == 0, NULL);
	root = dsc_json_load_object(data, len, DSC_CONSUL_MAX_BYTES,
				    "Consul CA roots", error);
	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	if (!dsc_json_get_string(obj, "ActiveRootID", &active, error) ||
	    !dsc_json_get_string(obj, "TrustDomain", &td, error)) {
		g_prefix_error(error, "Consul CA roots: ");
		return NULL;
	}
	if (td != NULL && !dsc_spiffe_trust_domain_is_valid(td, error)) {
		g_prefix_error(error, "Consul CA roots: \"TrustDomain\": ");
		return NULL;
	}
	roots_node = json_object_get_member(obj, "Roots");
	if (roots_node == NULL || !JSON_NODE_HOLDS_ARRAY(roots_node)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "Consul CA roots: \"Roots\" is %s",
			    roots_node == NULL ? "missing"
			    : JSON_NODE_HOLDS_NULL(roots_node)
				    ? "null (no CA configured)"
				    : "not an array");
		return NULL;
	}
	roots = json_node_get_array(roots_node);
	n = json_array_get_length(roots);
	if (n == 0 || n > DSC_CONSUL_MAX_ROOTS) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "Consul CA roots: %u roots; expected 1 to %d", n,
			    DSC_CONSUL_MAX_ROOTS);
		return NULL;
	}
	certs = g_ptr_array_new_with_free_func(crt_free);
	seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
				     (GDestroyNotify)g_bytes_unref, NULL);
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(roots, i);
		const char *id = NULL, *pem = NULL;
		gnutls_x509_crt_t crt;
		JsonObject *r;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "Consul CA roots: Roots[%u] is not an "
				    "object",
				    i);
			return NULL;
		}
		r = json_node_get_object(node);
		if (!dsc_json_get_string(r, "ID", &id, error) ||
		    !dsc_json_get_string(r, "RootCert", &pem, error)) {
			g_prefix_error(error,
				       "Consul CA roots: Roots[%u]: ", i);
			return NULL;
		}
		if (pem == NULL) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "Consul CA roots: Roots[%u] has no "
				    "\"RootCert\"",
				    i);
			return NULL;
		}
		crt = root_import(pem, error);
		if (crt == NULL) {
			g_prefix_error(error,
				       "Consul CA roots: Roots[%u]: ", i);
			return NULL;
		}
		if (active != NULL && id != NULL && strcmp(active, id) == 0)
			active_found = true;
		if (seen_before(seen, crt))
			gnutls_x509_crt_deinit(crt);
		else
			g_ptr_array_add(certs, crt);
	}
	if (active != NULL && !active_found) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "Consul CA roots: \"ActiveRootID\" \"%s\" names "
			    "none of the roots",
			    active);
		return NULL;
	}
	if (active_root_id != NULL)
		*active_root_id = g_strdup(active);
	if (trust_domain != NULL)
		*trust_domain = g_strdup(td);
	return g_steal_pointer(&certs);
}

GPtrArray *dsc_consul_roots_parse(const void *data, size_t len,
				  char **active_root_id, GError **error)
{
	return roots_parse(data, len, active_root_id, NULL, error);
}

bool dsc_consul_roots_format_parse(GBytes *data, dsc_parsed *out,
				   GError **error)
{
	g_autoptr(GPtrArray) certs = NULL;
	g_autofree char *td = NULL;
	gsize len = 0;
	const void *bytes = g_bytes_get_data(data, &len);

	certs = roots_parse(bytes != NULL ? bytes : "", len, NULL, &td, error);
	if (certs == NULL)
		return false;
	if (out->crts == NULL)
		out->crts = g_ptr_array_new_with_free_func(crt_free);
	/* The certificates move to @out. */
	g_ptr_array_set_free_func(certs, NULL);
	for (guint i = 0; i < certs->len; i++)
		g_ptr_array_add(out->crts, g_ptr_array_index(certs, i));
	g_free(out->trust_domain);
	out->trust_domain = g_steal_pointer(&td);
	return true;
}
