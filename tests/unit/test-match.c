/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Endpoint matching precedence, ports, patterns, and a 100,000-entry index. */
#include "match.h"
#include "tv-test.h"

static host_pattern *pat(const char *text)
{
	GError *error = NULL;
	host_pattern *p = host_pattern_parse(text, &error);

	if (p == NULL) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
	}
	return p;
}

static void add(match_index *m, const char *text, const char *value)
{
	host_pattern *p = pat(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NULL(match_index_add(m, p, (gpointer)value));
	host_pattern_free(p);
}

static void test_precedence(void)
{
	g_autoptr(match_index) m = match_index_new();
	static const struct {
		const char *host;
		uint16_t port;
		const char *want;
	} cases[] = {
		{"api.example.com", 443, "exact"},
		{"api.example.com", 8443, "exact-port"},
		{"x.api.example.com", 443, "wild-api"},
		{"a.b.example.com", 443, "wild-example"},
		{"b.example.com", 9000, "wild-example-port"},
		{"example.com", 443, "any"}, /* *.example.com is below only */
		{"other.org", 443, "any"},
		{"other.org", 8080, "any-8080"},
		{"10.0.0.1", 443, "ip"},
		{"10.0.0.2", 443, "any"},
		{"::1", 443, "v6"},
		{"::1", 8443, "v6-port"},
	};

	add(m, "api.example.com", "exact");
	add(m, "api.example.com:8443", "exact-port");
	add(m, "*.api.example.com", "wild-api");
	add(m, "*.example.com", "wild-example");
	add(m, "*.example.com:9000", "wild-example-port");
	add(m, "*", "any");
	add(m, "*:8080", "any-8080");
	add(m, "10.0.0.1", "ip");
	add(m, "::1", "v6");
	add(m, "[::1]:8443", "v6-port");

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *got =
			match_index_lookup(m, cases[i].host, cases[i].port);
		if (got == NULL || strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "%s:%u -> %s, want %s\n", cases[i].host,
				cases[i].port, got ? got : "(null)",
				cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(got);
		if (got)
			CU_ASSERT_STRING_EQUAL(got, cases[i].want);
	}
}

static void test_no_default(void)
{
	g_autoptr(match_index) m = match_index_new();

	add(m, "*.internal.test", "internal");
	CU_ASSERT_PTR_NULL(match_index_lookup(m, "internal.test", 0));
	CU_ASSERT_PTR_NULL(match_index_lookup(m, "evilinternal.test", 0));
	CU_ASSERT_PTR_NOT_NULL(match_index_lookup(m, "a.internal.test", 0));
}

static void test_duplicate_returns_owner(void)
{
	g_autoptr(match_index) m = match_index_new();
	host_pattern *p = pat("API.Example.COM.");

	CU_ASSERT_PTR_NULL(match_index_add(m, p, "first"));
	CU_ASSERT_STRING_EQUAL(match_index_add(m, p, "second"), "first");
	CU_ASSERT_STRING_EQUAL(match_index_lookup(m, "api.example.com", 0),
			       "first");
	host_pattern_free(p);
}

static void test_bad_patterns(void)
{
	static const char *const bad[] = {
		"",
		"*.com",
		"a.*.com",
		"api..example.com",
		"host:0",
		"host:70000",
		"host:x",
		"*.",
		"[::1",
		"[nothost]:1",
		"a b.com",
		"*x.example.com",
		"exa$mple.com",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		host_pattern *p = host_pattern_parse(bad[i], &error);

		if (p != NULL)
			fprintf(stderr, "accepted bad pattern '%s'\n", bad[i]);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_PTR_NOT_NULL(error);
		host_pattern_free(p);
		g_clear_error(&error);
	}
}

static void test_shadowing(void)
{
	host_pattern *prot = pat("*.openai.azure.com");
	host_pattern *exact = pat("api.openai.com");
	host_pattern *a = pat("x.openai.azure.com");
	host_pattern *b = pat("*.eu.openai.azure.com");
	host_pattern *c = pat("*.azure.com");
	host_pattern *d = pat("*");
	host_pattern *e = pat("api.openai.com:8443");

	CU_ASSERT_TRUE(host_pattern_shadows(a, prot));
	CU_ASSERT_TRUE(host_pattern_shadows(b, prot));
	CU_ASSERT_FALSE(host_pattern_shadows(c, prot)); /* less specific */
	CU_ASSERT_FALSE(host_pattern_shadows(d, prot));
	CU_ASSERT_TRUE(host_pattern_shadows(e, exact));
	CU_ASSERT_TRUE(host_pattern_overlaps(c, prot));
	CU_ASSERT_TRUE(host_pattern_overlaps(d, exact));
	CU_ASSERT_FALSE(host_pattern_overlaps(a, exact));
	CU_ASSERT_TRUE(host_pattern_contains(prot, b));
	CU_ASSERT_FALSE(host_pattern_contains(prot, c));
	host_pattern_free(prot);
	host_pattern_free(exact);
	host_pattern_free(a);
	host_pattern_free(b);
	host_pattern_free(c);
	host_pattern_free(d);
	host_pattern_free(e);
}

/* Instruction counts would vary with hashing; what must hold is that
 * lookups stay correct at scale (the benchmark measures the cost ratio). */
static void test_hundred_thousand(void)
{
	g_autoptr(match_index) m = match_index_new();
	char name[64];

	for (int i = 0; i < 100000; i++) {
		host_pattern *p;

		g_snprintf(name, sizeof(name), "%s%d.example.com",
			   i % 2 ? "*." : "host", i);
		p = pat(name);
		CU_ASSERT_PTR_NULL(
			match_index_add(m, p, GINT_TO_POINTER(i + 1)));
		host_pattern_free(p);
	}
	CU_ASSERT_EQUAL(GPOINTER_TO_INT(match_index_lookup(
				m, "host99998.example.com", 0)),
			99999);
	CU_ASSERT_EQUAL(GPOINTER_TO_INT(match_index_lookup(
				m, "a.b.77777.example.com", 443)),
			77778);
	CU_ASSERT_PTR_NULL(match_index_lookup(m, "host99999.example.com", 0));
}

static CU_TestInfo tests[] = {
	{"/match/precedence", test_precedence},
	{"/match/no-default", test_no_default},
	{"/match/duplicate-returns-owner", test_duplicate_returns_owner},
	{"/match/bad-patterns", test_bad_patterns},
	{"/match/shadowing", test_shadowing},
	{"/match/hundred-thousand", test_hundred_thousand},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"match", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
