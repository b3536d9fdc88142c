/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The anchor-name index's fast miss, for tv_trust_list_verify_with. */
#ifndef TV_ANCHOR_INDEX_H
#define TV_ANCHOR_INDEX_H

#include <stdbool.h>
#include <tlsverify/plugin.h>

/* False, with @result's reason and message set, when no anchor of @index
 * can issue (or be) any certificate of @chain; true when it may, when
 * the chain is out of the index's reach, or when @index is NULL. */
bool trust_index_admits(const tv_trust_index *index, const tv_chain *chain,
			tv_step_result *result);

/*
 * An anchor of @list whose subject has the loose form of @crt's issuer
 * (case and whitespace aside) but not its exact bytes, when @index (built
 * from @list) names one.  Looser than RFC 5280: the caller still compares
 * the names.  Returns: (transfer full) a copy from @list, or NULL.
 */
gnutls_x509_crt_t trust_index_find_loose(const tv_trust_index *index,
					 gnutls_x509_trust_list_t list,
					 gnutls_x509_crt_t crt);

#endif
