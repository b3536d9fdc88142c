/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Operations: metrics, status, audit counting, the result cache, reload under
 * load. */
#include "tv-engine-test.h"

#include <json-glib/json-glib.h>

static char *plugin_dir;

static int suite_init(void)
{
	static const char *const names[] = {"mock", "mock-anchor", "mock-keep",
					    "system", NULL};
	plugin_dir = tv_test_plugin_dir(names);
	return 0;
}

static int suite_clean(void)
{
	g_free(plugin_dir);
	return 0;
}

static tv_engine *engine_in(const char *dir)
{
	GError *error = NULL;
	tv_engine *e = tv_engine_new(dir, plugin_dir, &error);

	if (e == NULL)
		fprintf(stderr, "engine: %s\n", error->message);
	g_clear_error(&error);
	return e;
}

#define PASSING                                                                \
	"chain = ( { use = \"mock-anchor\"; control = \"required\"; "          \
	"verdict = \"pass\"; } );"

#define POLICY                                                                 \
	"defaults = { cache = { size = 64; ttl = 300; }; };\n"                 \
	"endpoints = ( { name = \"t\"; hosts = "                               \
	"[\"*.internal.test\"]; " PASSING " },\n"                              \
	" { name = \"dev\"; hosts = [\"dev-box.local\"]; "                     \
	"insecure_skip_verify = true; reason = \"r\"; owner = \"ops\"; "       \
	"expires = \"2099-01-01\"; } );\n"

/* Verifies at "now" (cacheable), unlike tv_test_request's fixed time. */
static tv_result *verify_now(tv_engine *e, const char *host, const char *file)
{
	g_autoptr(tv_request) r = tv_test_request(host, file);
	tv_result *res = NULL;

	tv_request_set_time(r, -1);
	CU_ASSERT_TRUE(tv_engine_verify(e, r, &res, NULL));
	return res;
}

static bool has_line(const char *text, const char *line)
{
	g_autofree char *needle = g_strconcat("\n", line, "\n", NULL);
	g_autofree char *hay = g_strconcat("\n", text, NULL);

	if (strstr(hay, needle) != NULL)
		return true;
	fprintf(stderr, "missing metrics line: %s\n", line);
	return false;
}

/* Counts audit lines written (not events counted). */
static int audit_lines;

static GLogWriterOutput count_audit(GLogLevelFlags level,
				    const GLogField *fields, gsize n,
				    gpointer data)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "TLSVERIFY_EVENT") == 0 &&
		    strcmp(fields[i].value, "insecure-skip") == 0)
			audit_lines++;
	return G_LOG_WRITER_HANDLED;
}

static void test_metrics_and_cache(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autofree char *metrics = NULL;
	tv_result *a, *b, *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	a = verify_now(e, "good.internal.test", "chain-good.pem");
	b = verify_now(e, "good.internal.test", "chain-good.pem");
	c = verify_now(e, "other.internal.test", "chain-good.pem");
	/* The hit is the very result the miss produced. */
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_EQUAL(tv_result_get_verdict(a), TV_VERDICT_TRUSTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(c), TV_REASON_NAME_MISMATCH);
	tv_result_free(a);
	tv_result_free(b);
	tv_result_free(c);

	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE(has_line(
		metrics, "# TYPE tlsverify_verifications_total counter"));
	CU_ASSERT_TRUE(has_line(metrics,
				"tlsverify_verifications_total{endpoint="
				"\"t\",verdict=\"trusted\"} 2"));
	CU_ASSERT_TRUE(has_line(metrics,
				"tlsverify_verifications_total{endpoint="
				"\"t\",verdict=\"rejected\"} 1"));
	CU_ASSERT_TRUE(has_line(metrics, "tlsverify_rejections_total{endpoint="
					 "\"t\",reason=\"name-mismatch\"} 1"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_cache_hits_total{endpoint=\"t\"} 1"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_cache_misses_total{endpoint=\"t\"} 2"));
	CU_ASSERT_TRUE(has_line(metrics, "tlsverify_verification_duration_"
					 "seconds_count{endpoint=\"t\"} 3"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_insecure_exception_expiry_timestamp_"
			 "seconds{endpoint=\"dev\",owner=\"ops\"} 4070908800"));
	CU_ASSERT_TRUE(
		has_line(metrics, "tlsverify_config_last_reload_success 1"));
	/* Plugin instances describe themselves (the built-in system step). */
	CU_ASSERT_PTR_NOT_NULL(strstr(
		metrics, "tlsverify_plugin_value{endpoint=\"(built-in)\",step="
			 "\"1\",plugin=\"system\",key=\"anchors\"} "));
	/* 2030-01-01, the good chain's earliest notAfter. */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(metrics, "tlsverify_chain_earliest_not_after_timestamp_"
				"seconds{endpoint=\"t\"} "));
}

static void test_reload_flushes_cache(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autofree char *metrics = NULL;
	tv_result *a, *b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	a = verify_now(e, "good.internal.test", "chain-good.pem");
	CU_ASSERT_TRUE(tv_engine_reload(e, NULL));
	b = verify_now(e, "good.internal.test", "chain-good.pem");
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	tv_result_free(a);
	tv_result_free(b);
	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_cache_hits_total{endpoint=\"t\"} 0"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_config_reloads_total{result=\"ok\"} 1"));
}

/* A fixed verification time is never answered from the cache. */
static void test_fixed_time_not_cached(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autoptr(tv_request) r =
		tv_test_request("good.internal.test", "chain-good.pem");
	g_autofree char *metrics = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (int i = 0; i < 2; i++) {
		tv_result *res = NULL;
		CU_ASSERT_TRUE(tv_engine_verify(e, r, &res, NULL));
		tv_result_free(res);
	}
	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_cache_hits_total{endpoint=\"t\"} 0"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_cache_misses_total{endpoint=\"t\"} 0"));
}

static void test_audit_rate_limited_but_counted(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autofree char *metrics = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	audit_lines = 0;
	g_log_set_writer_func(count_audit, NULL, NULL);
	for (int i = 0; i < 5; i++)
		tv_result_free(verify_now(e, "dev-box.local", "chain-dev.pem"));
	/* Once written, the same event is held back for a minute... */
	CU_ASSERT_EQUAL(audit_lines, 1);
	/* ...but every one is counted. */
	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE(has_line(metrics,
				"tlsverify_audit_events_total{endpoint="
				"\"dev\",event=\"insecure-skip\"} 5"));
	CU_ASSERT_TRUE(has_line(
		metrics, "tlsverify_insecure_skips_total{endpoint=\"dev\"} 5"));
}

static void test_failed_reload_visible(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *metrics = NULL;
	g_autofree char *status = NULL;
	JsonObject *root, *reload;
	JsonArray *endpoints;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	tv_test_write(dir, "60-broken.conf", "endpoints = ( {\n");
	CU_ASSERT_FALSE(tv_engine_reload(e, NULL));
	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE(
		has_line(metrics, "tlsverify_config_last_reload_success 0"));
	CU_ASSERT_TRUE(has_line(
		metrics,
		"tlsverify_config_reloads_total{result=\"failed\"} 1"));

	status = tv_engine_status(e);
	CU_ASSERT_TRUE_FATAL(
		json_parser_load_from_data(parser, status, -1, NULL));
	root = json_node_get_object(json_parser_get_root(parser));
	reload = json_object_get_object_member(root, "reload");
	CU_ASSERT_FALSE(json_object_get_boolean_member(reload, "ok"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(json_object_get_string_member(reload, "error"),
		       "60-broken.conf:2"));
	endpoints = json_object_get_array_member(root, "endpoints");
	/* The running policy is still the old one: t, dev and the default. */
	CU_ASSERT_EQUAL(json_array_get_length(endpoints), 3);
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string_member(
			json_array_get_object_element(endpoints, 0), "name"),
		"t");
}

/* The exposition passes Prometheus' own linter. */
static void test_promtool(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	g_autoptr(tv_engine) e = engine_in(dir);
	g_autofree char *promtool = g_find_program_in_path("promtool");
	g_autofree char *tmp = tv_test_mkdtemp("metrics");
	g_autofree char *file = g_build_filename(tmp, "metrics.txt", NULL);
	g_autofree char *metrics = NULL;
	g_autofree char *cmd = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status = -1;

	/* ./bootstrap installs it (Debian package prometheus). */
	CU_ASSERT_PTR_NOT_NULL_FATAL(promtool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	tv_result_free(verify_now(e, "good.internal.test", "chain-good.pem"));
	tv_result_free(verify_now(e, "other.internal.test", "chain-good.pem"));
	tv_result_free(verify_now(e, "dev-box.local", "chain-dev.pem"));
	metrics = tv_engine_metrics(e);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(file, metrics, -1, NULL));
	cmd = g_strdup_printf("sh -c '%s check metrics < %s'", promtool, file);
	CU_ASSERT_TRUE_FATAL(
		g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL))
		fprintf(stderr, "promtool: %s%s\n", out, err);
	CU_ASSERT_TRUE(g_spawn_check_wait_status(status, NULL));
}

/* Which instance serves endpoint @name's first step, from the status. */
static gint64 serving_instance(tv_engine *e, const char *name)
{
	g_autofree char *status = tv_engine_status(e);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonArray *eps;

	if (!json_parser_load_from_data(parser, status, -1, NULL))
		return -1;
	eps = json_object_get_array_member(
		json_node_get_object(json_parser_get_root(parser)),
		"endpoints");
	for (unsigned i = 0; i < json_array_get_length(eps); i++) {
		JsonObject *ep = json_array_get_object_element(eps, i);
		JsonObject *step;

		if (strcmp(json_object_get_string_member(ep, "name"), name) !=
		    0)
			continue;
		step = json_array_get_object_element(
			json_object_get_array_member(ep, "chain"), 0);
		return json_object_get_int_member(
			json_object_get_object_member(step, "state"),
			"instance");
	}
	return -1;
}

/* Unchanged steps keep their instance across reloads; a changed setting
 * or a changed file opens a new one. */
static void test_reload_keeps_unchanged_instances(void)
{
	g_autofree char *dir = tv_test_conf(
		"50-keep.conf",
		"endpoints = ( { name = \"k\"; hosts = [\"*.internal.test\"];\n"
		" chain = ( { use = \"mock-keep\"; control = \"required\"; "
		"verdict = \"pass\"; file = \"trust.txt\"; } ); } );\n");
	g_autoptr(tv_engine) e = NULL;
	g_autofree char *trust = g_build_filename(dir, "trust.txt", NULL);
	gint64 first, again;

	tv_test_write(dir, "trust.txt", "one\n");
	e = engine_in(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	first = serving_instance(e, "k");
	CU_ASSERT_TRUE(first > 0);

	/* Another endpoint added: the unchanged step is kept. */
	tv_test_write(
		dir, "60-more.conf",
		"endpoints = ( { name = \"m\"; hosts = [\"m.test\"]; " PASSING
		" } );\n");
	CU_ASSERT_TRUE(tv_engine_reload(e, NULL));
	CU_ASSERT_EQUAL(serving_instance(e, "k"), first);

	/* The file it named changed (size): a fresh instance. */
	tv_test_write(dir, "trust.txt", "two, longer\n");
	CU_ASSERT_TRUE(tv_engine_reload(e, NULL));
	again = serving_instance(e, "k");
	CU_ASSERT_TRUE(again > first);

	/* A setting changed: a fresh instance again. */
	tv_test_write(
		dir, "50-keep.conf",
		"endpoints = ( { name = \"k\"; hosts = [\"*.internal.test\"];\n"
		" chain = ( { use = \"mock-keep\"; control = \"required\"; "
		"verdict = \"pass\"; message = \"new\"; file = \"trust.txt\"; "
		"} ); } );\n");
	CU_ASSERT_TRUE(tv_engine_reload(e, NULL));
	CU_ASSERT_TRUE(serving_instance(e, "k") > again);
	(void)trust;
}

typedef struct {
	tv_engine *engine;
	gint errors;
} load;

static gpointer hammer(gpointer data)
{
	load *l = data;
	g_autoptr(tv_request) req =
		tv_test_request("good.internal.test", "chain-good.pem");

	tv_request_set_time(req, -1);
	for (int i = 0; i < 10000; i++) {
		tv_result *r = NULL;

		if (!tv_engine_verify(l->engine, req, &r, NULL) ||
		    tv_result_get_verdict(r) != TV_VERDICT_TRUSTED)
			g_atomic_int_inc(&l->errors);
		tv_result_free(r);
	}
	return NULL;
}

/* 4 threads x 10,000 verifications against 100 reloads: no errors. */
static void test_reload_under_load(void)
{
	g_autofree char *dir = tv_test_conf("50-ops.conf", POLICY);
	load l = {engine_in(dir), 0};
	GThread *threads[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(l.engine);
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("hammer", hammer, &l);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_TRUE(tv_engine_reload(l.engine, NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	CU_ASSERT_EQUAL(l.errors, 0);
	tv_engine_free(l.engine);
}

static CU_TestInfo tests[] = {
	{"/ops/metrics-and-cache", test_metrics_and_cache},
	{"/ops/reload-flushes-cache", test_reload_flushes_cache},
	{"/ops/fixed-time-not-cached", test_fixed_time_not_cached},
	{"/ops/audit-rate-limited-but-counted",
	 test_audit_rate_limited_but_counted},
	{"/ops/failed-reload-visible", test_failed_reload_visible},
	{"/ops/reload-under-load", test_reload_under_load},
	{"/ops/promtool-check-metrics", test_promtool},
	{"/ops/reload-keeps-unchanged-instances",
	 test_reload_keeps_unchanged_instances},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"ops", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
