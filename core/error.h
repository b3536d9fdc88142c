/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal helpers for error messages. */
#ifndef TV_CORE_ERROR_H
#define TV_CORE_ERROR_H

#include "tlsverify/tlsverify.h"

#define ERROR_MESSAGE_MAX 480

/*
 * Messages quote what a policy file said, which may be a megabyte long:
 * keeps the head and the tail of *@msg (where messages say what was
 * expected), at most about ERROR_MESSAGE_MAX bytes, cut on UTF-8
 * boundaries.  Replaces *@msg (g_free'd) when it shortens it.
 */
void error_elide(char **msg);

#endif
