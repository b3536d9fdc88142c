/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPIFFE IDs (spiffe://trust-domain/path) and X509-SVID leaf checks. */
#include "config.h"

#include "spiffe-id.h"

#include <string.h>

#include <gnutls/x509-ext.h>
#include <tlsverify/tlsverify.h>

#define SPIFFE_SCHEME "spiffe://"

/* Only canonical IDs are accepted (SPIFFE-ID §2.4): comparing them byte for
 * byte is then the same as comparing them by the spec's rules. */
static bool td_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

static bool path_char_ok(char c)
{
	return td_char_ok(c) || (c >= 'A' && c <= 'Z');
}

/* Checks the @len bytes of @td (not NUL-terminated there). */
static bool td_check(const char *td, size_t len, GError **error)
{
	if (len == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "empty trust domain");
		return false;
	}
	if (len > DSC_SPIFFE_TRUST_DOMAIN_MAX) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "trust domain longer than %d bytes",
			    DSC_SPIFFE_TRUST_DOMAIN_MAX);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!td_char_ok(td[i])) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "trust domain has character '%c' (0x%02x) "
				    "at %zu; only [a-z0-9._-] are allowed",
				    g_ascii_isprint(td[i]) ? td[i] : '?',
				    (unsigned char)td[i], i);
			return false;
		}
	}
	return true;
}

bool dsc_spiffe_trust_domain_is_valid(const char *td, GError **error)
{
	g_return_val_if_fail(td != NULL, false);
	return td_check(td, strlen(td), error);
}

/* Checks a path ("" or "/seg/seg"); segments as in SPIFFE-ID §2.2. */
static bool path_check(const char *path, GError **error)
{
	const char *p = path;

	while (*p != '\0') {
		const char *seg = p + 1;
		size_t n = 0;

		/* *p is '/' here: the trust domain ended at the first one. */
		while (seg[n] != '\0' && seg[n] != '/') {
			if (!path_char_ok(seg[n])) {
				g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
					    "path has character '%c' (0x%02x); "
					    "only [A-Za-z0-9._-] are allowed",
					    g_ascii_isprint(seg[n]) ? seg[n]
								    : '?',
					    (unsigned char)seg[n]);
				return false;
			}
			n++;
		}
		if (n == 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    seg[0] == '\0'
					    ? "path ends with '/'"
					    : "path has an empty segment");
			return false;
		}
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "path has a '.' or '..' segment");
			return false;
		}
		p = seg + n;
	}
	return true;
}

bool dsc_spiffe_id_parse(const char *id, char **trust_domain, char **path,
			 GError **error)
{
	const char *td, *slash;
	size_t len;

	g_return_val_if_fail(id != NULL, false);
	len = strlen(id);
	if (len > DSC_SPIFFE_ID_MAX) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "SPIFFE ID longer than %d bytes",
			    DSC_SPIFFE_ID_MAX);
		return false;
	}
	if (strncmp(id, SPIFFE_SCHEME, strlen(SPIFFE_SCHEME)) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "'%s' is not a SPIFFE ID: it does not start with "
			    "'" SPIFFE_SCHEME "'",
			    id);
		return false;
	}
	td = id + strlen(SPIFFE_SCHEME);
	slash = strchr(td, '/');
	if (slash == NULL)
		slash = td + strlen(td);
	if (!td_check(td, (size_t)(slash - td), error) ||
	    !path_check(slash, error)) {
		g_prefix_error(error, "SPIFFE ID '%s': ", id);
		return false;
	}
	if (trust_domain != NULL)
		*trust_domain = g_strndup(td, (gsize)(slash - td));
	if (path != NULL)
		*path = g_strdup(slash);
	return true;
}

char *dsc_spiffe_id_of_crt(gnutls_x509_crt_t crt, char **trust_domain,
			   GError **error)
{
	gnutls_datum_t der = {NULL, 0};
	gnutls_subject_alt_names_t sans = NULL;
	g_autofree char *uri = NULL;
	unsigned int critical = 0, uris = 0;
	int ret;

	g_return_val_if_fail(crt != NULL, NULL);
	ret = gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &der,
						    &critical);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "certificate has no subject alternative name, so "
			    "no SPIFFE ID");
		return NULL;
	}
	if (ret >= 0)
		ret = gnutls_subject_alt_names_init(&sans);
	if (ret >= 0)
		ret = gnutls_x509_ext_import_subject_alt_names(&der, sans, 0);
	gnutls_free(der.data);
	for (unsigned int i = 0; ret >= 0; i++) {
		gnutls_datum_t san;
		unsigned int type;

		ret = gnutls_subject_alt_names_get(sans, i, &type, &san, NULL);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			ret = 0;
			break;
		}
		if (ret < 0 || type != GNUTLS_SAN_URI)
			continue;
		if (++uris > 1)
			break;
		if (memchr(san.data, '\0', san.size) != NULL) {
			gnutls_subject_alt_names_deinit(sans);
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "certificate URI SAN holds a NUL byte");
			return NULL;
		}
		uri = g_strndup((const char *)san.data, san.size);
	}
	gnutls_subject_alt_names_deinit(sans);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "cannot read the certificate's subject alternative "
			    "names: %s",
			    gnutls_strerror(ret));
		return NULL;
	}
	if (uris != 1) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "certificate has %s URI SAN; an X509-SVID has "
			    "exactly one",
			    uris == 0 ? "no" : "more than one");
		return NULL;
	}
	if (!dsc_spiffe_id_parse(uri, trust_domain, NULL, error))
		return NULL;
	return g_steal_pointer(&uri);
}

bool dsc_spiffe_check_svid(gnutls_x509_crt_t crt, const char *expected_id,
			   GError **error)
{
	g_autofree char *id = NULL;
	g_autofree char *path = NULL;
	unsigned int critical = 0, ca = 0, usage = 0;
	int ret;

	g_return_val_if_fail(crt != NULL, false);
	ret = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, NULL);
	if (ret < 0 && ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "cannot read basic constraints: %s",
			    gnutls_strerror(ret));
		return false;
	}
	if (ret >= 0 && ca) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "certificate is a CA, not an X509-SVID leaf");
		return false;
	}
	ret = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);
	if (ret < 0 && ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "cannot read key usage: %s", gnutls_strerror(ret));
		return false;
	}
	if (ret >= 0 &&
	    (usage & (GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "certificate has keyCertSign or cRLSign, not "
			    "allowed in an X509-SVID leaf");
		return false;
	}
	id = dsc_spiffe_id_of_crt(crt, NULL, error);
	if (id == NULL)
		return false;
	if (!dsc_spiffe_id_parse(id, NULL, &path, error))
		return false;
	if (path[0] == '\0') {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "SPIFFE ID '%s' has no path; a leaf's ID needs one",
			    id);
		return false;
	}
	if (expected_id != NULL && strcmp(id, expected_id) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "SPIFFE ID '%s' is not the expected '%s'", id,
			    expected_id);
		return false;
	}
	return true;
}
