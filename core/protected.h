/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Official AI provider API hosts that no policy may exempt from verification.
 */
#ifndef TV_CORE_PROTECTED_H
#define TV_CORE_PROTECTED_H

#include "hostname.h"

/* The built-in patterns, parsed once per snapshot; (transfer full). */
GPtrArray *protected_builtin_patterns(void);

#endif
