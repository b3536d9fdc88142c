/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Warnings about policies that load but may not mean what they say. */
#ifndef TV_CORE_LINT_H
#define TV_CORE_LINT_H

#include "snapshot.h"

/* Appends "file:line: ..." warnings (char*, transfer full) to @out. */
void lint_snapshot(const snapshot *snap, GPtrArray *out);

#endif
