/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collects what a plugin instance says about itself (ABI 1.2 describe). */
#ifndef TV_CORE_DESCRIBE_H
#define TV_CORE_DESCRIBE_H

#include "snapshot.h"

typedef struct {
	char *key;
	bool is_int;
	int64_t number;
	char *text;
} describe_item;

/* Asks @step's plugin to describe itself; (transfer full) describe_item*
 * array, empty when the plugin has no describe member. */
GPtrArray *describe_step(const snap_step *step);

#endif
