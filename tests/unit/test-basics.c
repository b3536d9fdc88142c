/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times, reason names, requests from PEM. */
#include "tv-engine-test.h"

static void test_time_parse(void)
{
	static const struct {
		const char *text;
		bool ok;
		int64_t want;
	} cases[] = {
		{"2027-01-31T00:00:00Z", true, 1801353600},
		{"2027-01-31", true, 1801353600},
		{"2027-01-31T12:30:15.5Z", true, 1801398615},
		{"@0", true, 0},
		{"@1780272000", true, 1780272000},
		{"2027-01-31T00:00:00+02:00", false, 0},
		{"2027-01-31T00:00:00", false, 0},
		{"2027-13-01", false, 0},
		{"@12x", false, 0},
		{"@", false, 0},
		{"tomorrow", false, 0},
		{"", false, 0},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int64_t t = -1;
		GError *error = NULL;
		bool ok = tv_time_parse(cases[i].text, &t, &error);

		if (ok != cases[i].ok || (ok && t != cases[i].want))
			fprintf(stderr,
				"time '%s': ok %d t %" G_GINT64_FORMAT "\n",
				cases[i].text, ok, (gint64)t);
		CU_ASSERT_EQUAL(ok, cases[i].ok);
		if (ok) {
			CU_ASSERT_EQUAL(t, cases[i].want);
		} else {
			CU_ASSERT_TRUE(g_error_matches(error, TV_ERROR,
						       TV_ERROR_INPUT));
		}
		g_clear_error(&error);
	}
}

static void test_reason_names(void)
{
	static const char *const names[TV_REASON_COUNT] = {
		"expired",
		"not-yet-valid",
		"untrusted",
		"signer-not-ca",
		"revoked",
		"insecure-algorithm",
		"bad-signature",
		"name-mismatch",
		"purpose-mismatch",
		"pin-mismatch",
		"chain-too-long",
		"constraint-violation",
		"source-unavailable",
		"no-decision",
		"malformed",
	};

	for (unsigned i = 0; i < TV_REASON_COUNT; i++) {
		CU_ASSERT_STRING_EQUAL(tv_reason_to_string(1u << i), names[i]);
		CU_ASSERT_EQUAL(tv_reason_from_string(names[i]), 1u << i);
	}
	CU_ASSERT_PTR_NULL(tv_reason_to_string(0));
	CU_ASSERT_PTR_NULL(tv_reason_to_string(3));
	CU_ASSERT_PTR_NULL(tv_reason_to_string(1u << 20));
	CU_ASSERT_EQUAL(tv_reason_from_string("Expired"), 0);
}

static void test_request_pem(void)
{
	g_autoptr(tv_request) r = tv_request_new("h.test", 443);
	g_autofree char *path = g_build_filename(tv_test_env("TV_FIXTURES"),
						 "chain-good.pem", NULL);
	g_autofree char *pem = NULL;
	GError *error = NULL;
	gsize len;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &pem, &len, NULL));
	CU_ASSERT_EQUAL(tv_request_add_pem(r, pem, len, false, &error), 2);
	CU_ASSERT_EQUAL(tv_request_add_pem(r, "junk", 4, false, &error), -1);
	CU_ASSERT_TRUE(g_error_matches(error, TV_ERROR, TV_ERROR_INPUT));
	g_clear_error(&error);
	CU_ASSERT_STRING_EQUAL(tv_request_get_host(r), "h.test");
	CU_ASSERT_EQUAL(tv_request_get_port(r), 443);
	CU_ASSERT_EQUAL(tv_request_get_time(r), -1);
	CU_ASSERT_EQUAL(tv_request_get_purpose(r), TV_PURPOSE_SERVER);
}

static CU_TestInfo tests[] = {
	{"/basics/time-parse", test_time_parse},
	{"/basics/reason-names", test_reason_names},
	{"/basics/request-pem", test_request_pem},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"basics", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
