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

#endif
