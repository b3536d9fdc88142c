/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tv_client_cert: a client certificate chain and key, shared by reference. */
#include "tlsverify/plugin.h"

#include <gnutls/abstract.h>

struct tv_client_cert {
	gint refcount;
	gnutls_pcert_st *pcerts;
	unsigned n;
	gnutls_privkey_t key;
};

tv_client_cert *tv_client_cert_new(gnutls_pcert_st *pcerts, unsigned n,
				   gnutls_privkey_t key)
{
	tv_client_cert *c;

	g_return_val_if_fail(pcerts != NULL && n > 0 && key != NULL, NULL);
	c = g_new0(tv_client_cert, 1);
	c->refcount = 1;
	c->pcerts = pcerts;
	c->n = n;
	c->key = key;
	return c;
}

tv_client_cert *tv_client_cert_ref(tv_client_cert *c)
{
	g_return_val_if_fail(c != NULL, NULL);
	g_atomic_int_inc(&c->refcount);
	return c;
}

void tv_client_cert_unref(tv_client_cert *c)
{
	if (c == NULL || !g_atomic_int_dec_and_test(&c->refcount))
		return;
	for (unsigned i = 0; i < c->n; i++)
		gnutls_pcert_deinit(&c->pcerts[i]);
	g_free(c->pcerts);
	gnutls_privkey_deinit(c->key);
	g_free(c);
}

gnutls_pcert_st *tv_client_cert_get_pcerts(const tv_client_cert *c, unsigned *n)
{
	g_return_val_if_fail(c != NULL && n != NULL, NULL);
	*n = c->n;
	return c->pcerts;
}

gnutls_privkey_t tv_client_cert_get_key(const tv_client_cert *c)
{
	g_return_val_if_fail(c != NULL, NULL);
	return c->key;
}
