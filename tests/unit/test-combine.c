/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linux-PAM control-flag semantics: every flag x every verdict, and stacks. */
#include "combine.h"
#include "tv-test.h"

#define P TV_STEP_PASS
#define F TV_STEP_FAIL
#define I TV_STEP_IGNORE
#define U TV_STEP_UNAVAIL
#define REQ CONTROL_REQUIRED
#define RQS CONTROL_REQUISITE
#define SUF CONTROL_SUFFICIENT
#define OPT CONTROL_OPTIONAL

/* One step alone: the action and the final impression. */
static const struct {
	step_control control;
	tv_step_verdict verdict;
	step_action action;
	impression final;
	bool stop;
} single[] = {
	{REQ, P, ACTION_OK, IMPRESSION_POSITIVE, false},
	{REQ, F, ACTION_BAD, IMPRESSION_NEGATIVE, false},
	{REQ, I, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{REQ, U, ACTION_BAD, IMPRESSION_NEGATIVE, false},
	{RQS, P, ACTION_OK, IMPRESSION_POSITIVE, false},
	{RQS, F, ACTION_DIE, IMPRESSION_NEGATIVE, true},
	{RQS, I, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{RQS, U, ACTION_DIE, IMPRESSION_NEGATIVE, true},
	{SUF, P, ACTION_DONE, IMPRESSION_POSITIVE, true},
	{SUF, F, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{SUF, I, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{SUF, U, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{OPT, P, ACTION_OK, IMPRESSION_POSITIVE, false},
	{OPT, F, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{OPT, I, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
	{OPT, U, ACTION_IGNORE, IMPRESSION_UNDECIDED, false},
};

static void test_every_flag_every_verdict(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(single); i++) {
		combine_state s;
		step_action a;

		combine_init(&s);
		a = combine_step(&s, 0, single[i].control, single[i].verdict);
		CU_ASSERT_EQUAL(a, single[i].action);
		CU_ASSERT_EQUAL(s.impression, single[i].final);
		CU_ASSERT_EQUAL(s.stop, single[i].stop);
	}
}

/* Runs a stack until it stops; returns the final impression. */
typedef struct {
	step_control c;
	tv_step_verdict v;
} step;

static impression run(const step *steps, size_t n, size_t *ran)
{
	combine_state s;
	size_t i;

	combine_init(&s);
	for (i = 0; i < n && !s.stop; i++)
		combine_step(&s, i, steps[i].c, steps[i].v);
	*ran = i;
	return s.impression;
}

static const struct {
	const char *name;
	step steps[4];
	size_t n;
	impression final;
	size_t ran;
} stacks[] = {
	{"required fail then required pass stays failed",
	 {{REQ, F}, {REQ, P}},
	 2,
	 IMPRESSION_NEGATIVE,
	 2},
	{"requisite fail stops before the rest",
	 {{RQS, F}, {REQ, P}, {SUF, P}},
	 3,
	 IMPRESSION_NEGATIVE,
	 1},
	{"sufficient pass short-circuits",
	 {{SUF, P}, {REQ, F}},
	 2,
	 IMPRESSION_POSITIVE,
	 1},
	{"sufficient pass after a required failure does not rescue",
	 {{REQ, F}, {SUF, P}, {REQ, P}},
	 3,
	 IMPRESSION_NEGATIVE,
	 3},
	{"sufficient fail is ignored, required decides",
	 {{SUF, F}, {REQ, P}},
	 2,
	 IMPRESSION_POSITIVE,
	 2},
	{"only ignores: no decision (deny)",
	 {{REQ, I}, {OPT, I}},
	 2,
	 IMPRESSION_UNDECIDED,
	 2},
	{"optional pass alone decides",
	 {{OPT, P}, {REQ, I}},
	 2,
	 IMPRESSION_POSITIVE,
	 2},
	{"optional pass does not hide a required failure",
	 {{OPT, P}, {REQ, F}},
	 2,
	 IMPRESSION_NEGATIVE,
	 2},
	{"optional fail does not count",
	 {{OPT, F}, {REQ, P}},
	 2,
	 IMPRESSION_POSITIVE,
	 2},
	{"unavail on required fails",
	 {{REQ, U}, {REQ, P}},
	 2,
	 IMPRESSION_NEGATIVE,
	 2},
	{"all sufficient failing: no decision",
	 {{SUF, F}, {SUF, U}},
	 2,
	 IMPRESSION_UNDECIDED,
	 2},
	{"empty stack: no decision", {{0}}, 0, IMPRESSION_UNDECIDED, 0},
	{"required pass then requisite unavail dies",
	 {{REQ, P}, {RQS, U}, {REQ, P}},
	 3,
	 IMPRESSION_NEGATIVE,
	 2},
};

static void test_stacks(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(stacks); i++) {
		size_t ran = 0;
		impression got = run(stacks[i].steps, stacks[i].n, &ran);

		if (got != stacks[i].final || ran != stacks[i].ran)
			fprintf(stderr, "stack '%s': got %d ran %zu\n",
				stacks[i].name, got, ran);
		CU_ASSERT_EQUAL(got, stacks[i].final);
		CU_ASSERT_EQUAL(ran, stacks[i].ran);
	}
}

static void test_first_failure_kept(void)
{
	combine_state s;

	combine_init(&s);
	combine_step(&s, 0, REQ, P);
	combine_step(&s, 1, REQ, F);
	combine_step(&s, 2, REQ, U);
	CU_ASSERT_EQUAL(s.first_failure, 1);
}

static void test_invalid_verdict_is_failure(void)
{
	combine_state s;

	combine_init(&s);
	CU_ASSERT_EQUAL(combine_step(&s, 0, REQ, (tv_step_verdict)42),
			ACTION_BAD);
	CU_ASSERT_EQUAL(s.impression, IMPRESSION_NEGATIVE);
}

static void test_control_names(void)
{
	step_control c;

	CU_ASSERT_TRUE(control_parse("requisite", &c));
	CU_ASSERT_EQUAL(c, CONTROL_REQUISITE);
	CU_ASSERT_FALSE(control_parse("sufficent", &c));
	CU_ASSERT_FALSE(control_parse("Required", &c));
	CU_ASSERT_STRING_EQUAL(control_to_string(CONTROL_OPTIONAL), "optional");
}

static CU_TestInfo tests[] = {
	{"/combine/every-flag-every-verdict", test_every_flag_every_verdict},
	{"/combine/stacks", test_stacks},
	{"/combine/first-failure-kept", test_first_failure_kept},
	{"/combine/invalid-verdict-is-failure",
	 test_invalid_verdict_is_failure},
	{"/combine/control-names", test_control_names},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"combine", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
