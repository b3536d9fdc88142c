/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tv_request: what the caller hands the engine, copied and immutable after. */
#include "request.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

tv_request *tv_request_new(const char *host, uint16_t port)
{
	tv_request *r;

	g_return_val_if_fail(host != NULL, NULL);
	r = g_new0(tv_request, 1);
	r->host = g_strdup(host);
	r->port = port;
	r->purpose = TV_PURPOSE_SERVER;
	r->time = -1;
	r->presented =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->untrusted =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	return r;
}

void tv_request_free(tv_request *r)
{
	if (r == NULL)
		return;
	g_free(r->host);
	g_ptr_array_unref(r->presented);
	g_ptr_array_unref(r->untrusted);
	g_free(r);
}

void tv_request_set_purpose(tv_request *r, tv_purpose purpose)
{
	g_return_if_fail(r != NULL);
	g_return_if_fail(purpose == TV_PURPOSE_SERVER ||
			 purpose == TV_PURPOSE_CLIENT);
	r->purpose = purpose;
}

void tv_request_set_time(tv_request *r, int64_t unix_time)
{
	g_return_if_fail(r != NULL);
	r->time = unix_time;
}

void tv_request_add_der(tv_request *r, const uint8_t *der, size_t len)
{
	g_return_if_fail(r != NULL && (der != NULL || len == 0));
	g_ptr_array_add(r->presented, g_bytes_new(der, len));
}

void tv_request_add_untrusted_der(tv_request *r, const uint8_t *der, size_t len)
{
	g_return_if_fail(r != NULL && (der != NULL || len == 0));
	g_ptr_array_add(r->untrusted, g_bytes_new(der, len));
}

int tv_request_add_pem(tv_request *r, const char *pem, size_t len,
		       bool untrusted, GError **error)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	gnutls_datum_t data = {(unsigned char *)pem, (unsigned)len};
	int ret;

	g_return_val_if_fail(r != NULL && pem != NULL, -1);
	if (len > G_MAXUINT) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "PEM data too large");
		return -1;
	}
	/* GnuTLS decodes PEM; we keep the DER it re-encodes, so what the
	 * engine sees is exactly what a TLS peer would have sent. */
	ret = gnutls_x509_crt_list_import2(&crts, &n, &data,
					   GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0 || n == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "no usable certificate in PEM data: %s",
			    ret < 0 ? gnutls_strerror(ret)
				    : "no CERTIFICATE block");
		return -1;
	}

	g_autoptr(GPtrArray) blobs =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t der = {NULL, 0};

		if (ret >= 0)
			ret = gnutls_x509_crt_export2(
				crts[i], GNUTLS_X509_FMT_DER, &der);
		if (ret >= 0) {
			g_ptr_array_add(blobs, g_bytes_new(der.data, der.size));
			gnutls_free(der.data);
		}
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "cannot re-encode certificate: %s",
			    gnutls_strerror(ret));
		return -1;
	}

	GPtrArray *dest = untrusted ? r->untrusted : r->presented;
	for (unsigned i = 0; i < blobs->len; i++)
		g_ptr_array_add(dest, g_bytes_ref(blobs->pdata[i]));
	return (int)n;
}

const char *tv_request_get_host(const tv_request *r)
{
	g_return_val_if_fail(r != NULL, NULL);
	return r->host;
}

uint16_t tv_request_get_port(const tv_request *r)
{
	g_return_val_if_fail(r != NULL, 0);
	return r->port;
}

tv_purpose tv_request_get_purpose(const tv_request *r)
{
	g_return_val_if_fail(r != NULL, TV_PURPOSE_SERVER);
	return r->purpose;
}

int64_t tv_request_get_time(const tv_request *r)
{
	g_return_val_if_fail(r != NULL, -1);
	return r->time;
}
