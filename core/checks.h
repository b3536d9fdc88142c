/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Core checks after the plugin chain: validity, name, key purpose, length. */
#ifndef TV_CORE_CHECKS_H
#define TV_CORE_CHECKS_H

#include "chain.h"

/* Each check returns true on pass; on failure it adds reason bits and
 * sets *message (transfer full).  On pass *message says what held. */
bool check_name(gnutls_x509_crt_t leaf, const char *host,
		char *const *match_names, uint32_t *reasons, char **message);
bool check_purpose(gnutls_x509_crt_t leaf, tv_purpose purpose,
		   uint32_t *reasons, char **message);
bool check_length(const tv_chain *chain, int max_length, uint32_t *reasons,
		  char **message);

#endif
