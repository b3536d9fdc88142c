/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linux-PAM control flags: each step verdict maps to an action by table. */
#include "combine.h"

#include <string.h>

/*
 * The four keywords as Linux-PAM defines them (pam.conf(5)):
 *   required   = [success=ok ignore=ignore default=bad]
 *   requisite  = [success=ok ignore=ignore default=die]
 *   sufficient = [success=done default=ignore]
 *   optional   = [success=ok default=ignore]
 * UNAVAIL falls under "default".
 */
static const step_action action_table[4][4] = {
	/*                 PASS         FAIL           IGNORE         UNAVAIL */
	[CONTROL_REQUIRED] = {ACTION_OK, ACTION_BAD, ACTION_IGNORE, ACTION_BAD},
	[CONTROL_REQUISITE] = {ACTION_OK, ACTION_DIE, ACTION_IGNORE,
			       ACTION_DIE},
	[CONTROL_SUFFICIENT] = {ACTION_DONE, ACTION_IGNORE, ACTION_IGNORE,
				ACTION_IGNORE},
	[CONTROL_OPTIONAL] = {ACTION_OK, ACTION_IGNORE, ACTION_IGNORE,
			      ACTION_IGNORE},
};

static const char *const control_names[] = {
	[CONTROL_REQUIRED] = "required",
	[CONTROL_REQUISITE] = "requisite",
	[CONTROL_SUFFICIENT] = "sufficient",
	[CONTROL_OPTIONAL] = "optional",
};

bool control_parse(const char *text, step_control *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(control_names); i++) {
		if (strcmp(text, control_names[i]) == 0) {
			*out = (step_control)i;
			return true;
		}
	}
	return false;
}

const char *control_to_string(step_control control)
{
	g_return_val_if_fail((size_t)control < G_N_ELEMENTS(control_names),
			     "?");
	return control_names[control];
}

const char *action_to_string(step_action action)
{
	switch (action) {
	case ACTION_IGNORE:
		return "ignore";
	case ACTION_OK:
		return "ok";
	case ACTION_DONE:
		return "done";
	case ACTION_BAD:
		return "bad";
	case ACTION_DIE:
		return "die";
	}
	return "?";
}

const char *step_verdict_to_string(tv_step_verdict verdict)
{
	switch (verdict) {
	case TV_STEP_PASS:
		return "pass";
	case TV_STEP_FAIL:
		return "fail";
	case TV_STEP_IGNORE:
		return "ignore";
	case TV_STEP_UNAVAIL:
		return "unavail";
	}
	return "fail";
}

void combine_init(combine_state *s)
{
	s->impression = IMPRESSION_UNDECIDED;
	s->stop = false;
	s->first_failure = 0;
}

step_action combine_step(combine_state *s, size_t index, step_control control,
			 tv_step_verdict verdict)
{
	step_action action;

	g_return_val_if_fail((unsigned)control < 4, ACTION_DIE);
	/* An out-of-range verdict from a plugin is a failure. */
	if ((unsigned)verdict > TV_STEP_UNAVAIL)
		verdict = TV_STEP_FAIL;
	action = action_table[control][verdict];

	switch (action) {
	case ACTION_IGNORE:
		break;
	case ACTION_OK:
	case ACTION_DONE:
		if (s->impression == IMPRESSION_UNDECIDED)
			s->impression = IMPRESSION_POSITIVE;
		/* Linux-PAM: "done" only ends the stack when nothing failed. */
		if (action == ACTION_DONE &&
		    s->impression != IMPRESSION_NEGATIVE)
			s->stop = true;
		break;
	case ACTION_BAD:
	case ACTION_DIE:
		if (s->impression != IMPRESSION_NEGATIVE) {
			s->impression = IMPRESSION_NEGATIVE;
			s->first_failure = index;
		}
		if (action == ACTION_DIE)
			s->stop = true;
		break;
	}
	return action;
}
