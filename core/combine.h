/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linux-PAM control flags: each step verdict maps to an action by table. */
#ifndef TV_CORE_COMBINE_H
#define TV_CORE_COMBINE_H

#include "tlsverify/plugin.h"

typedef enum {
	CONTROL_REQUIRED,
	CONTROL_REQUISITE,
	CONTROL_SUFFICIENT,
	CONTROL_OPTIONAL,
} step_control;

typedef enum {
	ACTION_IGNORE, /* the step does not count */
	ACTION_OK,     /* a pass that counts, unless a failure came first */
	ACTION_DONE,   /* like OK, and stop now if nothing failed before */
	ACTION_BAD,    /* a failure; go on */
	ACTION_DIE,    /* a failure; stop now */
} step_action;

/* Start from deny: UNDECIDED ends as a rejection (no-decision). */
typedef enum {
	IMPRESSION_UNDECIDED,
	IMPRESSION_POSITIVE,
	IMPRESSION_NEGATIVE,
} impression;

typedef struct {
	impression impression;
	bool stop;
	size_t first_failure; /* index of the step that made it negative */
} combine_state;

bool control_parse(const char *text, step_control *out);
const char *control_to_string(step_control control);
const char *action_to_string(step_action action);
const char *step_verdict_to_string(tv_step_verdict verdict);

void combine_init(combine_state *state);

/* Applies step @index's @verdict under @control; returns the action taken
 * (after Linux-PAM's rule that DONE does not stop after a failure). */
step_action combine_step(combine_state *state, size_t index,
			 step_control control, tv_step_verdict verdict);

#endif
