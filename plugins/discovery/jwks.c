/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPIFFE bundles as JWK Sets (SPIFFE Trust Domain and Bundle §4): parser. */
#include "config.h"

#include "jwks.h"

#include <string.h>

#include <tlsverify/tlsverify.h>

#include "remote-json.h"

static void crt_free(gpointer crt)
{
	gnutls_x509_crt_deinit(crt);
}

void dsc_jwks_free(dsc_jwks *jwks)
{
	if (jwks == NULL)
		return;
	if (jwks->certs != NULL)
		g_ptr_array_unref(jwks->certs);
	g_free(jwks);
}

/* g_base64_decode skips characters outside the alphabet; a certificate
 * must be exactly standard base64 (X509-SVID §6: not base64url). */
static bool b64_is_strict(const char *s, size_t len)
{
	size_t pad = 0;

	if (len == 0 || len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return false; /* data after padding */
		if (!g_ascii_isalnum(c) && c != '+' && c != '/')
			return false;
	}
	return pad <= 2;
}

/* Whether the certificate's key is of the JWK key type @kty; false for an
 * unknown @kty. */
static bool kty_matches(const char *kty, gnutls_x509_crt_t crt)
{
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);

	if (strcmp(kty, "EC") == 0)
		return pk == GNUTLS_PK_ECDSA;
	if (strcmp(kty, "RSA") == 0)
		return pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS;
	if (strcmp(kty, "OKP") == 0)
		return pk == GNUTLS_PK_EDDSA_ED25519 ||
		       pk == GNUTLS_PK_EDDSA_ED448;
	return false;
}

static bool kty_is_known(const char *kty)
{
	return strcmp(kty, "EC") == 0 || strcmp(kty, "RSA") == 0 ||
	       strcmp(kty, "OKP") == 0;
}

/*
 * Imports the one certificate of the x509-svid key @key, or NULL with
 * @error; *@skip set instead when the key is to be ignored.
 */
static gnutls_x509_crt_t key_import(JsonObject *key, bool *skip, GError **error)
{
	const char *use = NULL, *kty = NULL, *b64;
	gnutls_x509_crt_t crt = NULL;
	g_autofree guchar *der = NULL;
	gnutls_datum_t datum;
	JsonNode *x5c_node;
	JsonArray *x5c;
	JsonNode *entry;
	gsize der_len = 0;
	int ret;

	*skip = false;
	if (!dsc_json_get_string(key, "use", &use, error) ||
	    !dsc_json_get_string(key, "kty", &kty, error))
		return NULL;
	/* TDB §4.2.2: a missing or unknown use, e.g. jwt-svid, is ignored. */
	if (use == NULL || strcmp(use, "x509-svid") != 0) {
		*skip = true;
		return NULL;
	}
	if (kty == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key has no \"kty\"");
		return NULL;
	}
	if (!kty_is_known(kty)) {
		*skip = true;
		return NULL;
	}
	x5c_node = json_object_get_member(key, "x5c");
	if (x5c_node == NULL || !JSON_NODE_HOLDS_ARRAY(x5c_node)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key has no \"x5c\" array");
		return NULL;
	}
	x5c = json_node_get_array(x5c_node);
	if (json_array_get_length(x5c) != 1) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key has %u \"x5c\" entries, not exactly "
			    "one",
			    json_array_get_length(x5c));
		return NULL;
	}
	entry = json_array_get_element(x5c, 0);
	if (!JSON_NODE_HOLDS_VALUE(entry) ||
	    json_node_get_value_type(entry) != G_TYPE_STRING) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key's \"x5c\" entry is not a string");
		return NULL;
	}
	b64 = json_node_get_string(entry);
	if (strlen(b64) > DSC_JWKS_MAX_CERT_B64) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key's certificate is longer than %u "
			    "bytes of base64",
			    DSC_JWKS_MAX_CERT_B64);
		return NULL;
	}
	if (!b64_is_strict(b64, strlen(b64))) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key's \"x5c\" entry is not standard "
			    "base64");
		return NULL;
	}
	der = g_base64_decode(b64, &der_len);
	datum.data = der;
	datum.size = (unsigned int)der_len;
	ret = gnutls_x509_crt_init(&crt);
	if (ret >= 0)
		ret = gnutls_x509_crt_import(crt, &datum, GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		gnutls_x509_crt_deinit(crt);
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key's certificate does not parse: %s",
			    gnutls_strerror(ret));
		return NULL;
	}
	if (!kty_matches(kty, crt)) {
		int pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
		const char *pk_name = gnutls_pk_get_name(pk);

		gnutls_x509_crt_deinit(crt);
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "x509-svid key has \"kty\" \"%s\" but its "
			    "certificate holds a%s %s key",
			    kty, pk == GNUTLS_PK_ECDSA ? "n" : "",
			    pk_name != NULL ? pk_name : "unknown");
		return NULL;
	}
	return crt;
}

/* Key for the duplicate check: the certificate's DER. */
static GBytes *crt_der(gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	GBytes *bytes;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return NULL;
	bytes = g_bytes_new(der.data, der.size);
	gnutls_free(der.data);
	return bytes;
}

dsc_jwks *dsc_jwks_parse(const void *data, size_t len, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(dsc_jwks) jwks = NULL;
	g_autoptr(GHashTable) seen = NULL;
	JsonObject *obj;
	JsonNode *keys_node;
	JsonArray *keys;
	guint n;

	g_return_val_if_fail(data != NULL || len == 0, NULL);
	root = dsc_json_load_object(data, len, DSC_JWKS_MAX_BYTES,
				    "SPIFFE bundle", error);
	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	jwks = g_new0(dsc_jwks, 1);
	jwks->certs = g_ptr_array_new_with_free_func(crt_free);
	jwks->sequence = -1;
	jwks->refresh_hint = -1;
	if (!dsc_json_get_int(obj, "spiffe_sequence", &jwks->sequence, error) ||
	    !dsc_json_get_int(obj, "spiffe_refresh_hint", &jwks->refresh_hint,
			      error)) {
		g_prefix_error(error, "SPIFFE bundle: ");
		return NULL;
	}
	keys_node = json_object_get_member(obj, "keys");
	if (keys_node == NULL || !JSON_NODE_HOLDS_ARRAY(keys_node)) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "SPIFFE bundle: \"keys\" is %s",
			    keys_node == NULL ? "missing" : "not an array");
		return NULL;
	}
	keys = json_node_get_array(keys_node);
	n = json_array_get_length(keys);
	if (n > DSC_JWKS_MAX_KEYS) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "SPIFFE bundle: %u keys, more than the limit of %d",
			    n, DSC_JWKS_MAX_KEYS);
		return NULL;
	}
	seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
				     (GDestroyNotify)g_bytes_unref, NULL);
	for (guint i = 0; i < n; i++) {
		JsonNode *key = json_array_get_element(keys, i);
		gnutls_x509_crt_t crt;
		GBytes *der;
		bool skip;

		if (!JSON_NODE_HOLDS_OBJECT(key)) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "SPIFFE bundle: keys[%u] is not an object",
				    i);
			return NULL;
		}
		crt = key_import(json_node_get_object(key), &skip, error);
		if (skip)
			continue;
		if (crt == NULL) {
			g_prefix_error(error, "SPIFFE bundle: keys[%u]: ", i);
			return NULL;
		}
		der = crt_der(crt);
		if (der == NULL) {
			gnutls_x509_crt_deinit(crt);
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "SPIFFE bundle: keys[%u]: certificate "
				    "does not export",
				    i);
			return NULL;
		}
		if (!g_hash_table_add(seen, der)) {
			gnutls_x509_crt_deinit(crt); /* listed twice */
			continue;
		}
		g_ptr_array_add(jwks->certs, crt);
	}
	jwks->revoked = jwks->certs->len == 0;
	return g_steal_pointer(&jwks);
}

gint64 dsc_jwks_peek_sequence(const void *data, size_t len)
{
	g_autoptr(JsonNode) root = NULL;
	gint64 seq = -1;

	root = dsc_json_load_object(data, len, DSC_JWKS_MAX_BYTES, "bundle",
				    NULL);
	if (root == NULL || !dsc_json_get_int(json_node_get_object(root),
					      "spiffe_sequence", &seq, NULL))
		return -1;
	return seq;
}

bool dsc_jwks_format_parse(GBytes *data, dsc_parsed *out, GError **error)
{
	g_autoptr(dsc_jwks) jwks = NULL;
	gsize len = 0;
	const void *bytes = g_bytes_get_data(data, &len);

	jwks = dsc_jwks_parse(bytes != NULL ? bytes : "", len, error);
	if (jwks == NULL)
		return false;
	if (out->crts == NULL)
		out->crts = g_ptr_array_new_with_free_func(crt_free);
	/* The certificates move to @out. */
	g_ptr_array_set_free_func(jwks->certs, NULL);
	for (guint i = 0; i < jwks->certs->len; i++)
		g_ptr_array_add(out->crts, g_ptr_array_index(jwks->certs, i));
	out->sequence = jwks->sequence;
	out->refresh_hint = jwks->refresh_hint;
	out->revoked = jwks->revoked;
	return true;
}
