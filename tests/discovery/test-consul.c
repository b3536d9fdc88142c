/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The consul source against consul-agent-mock on 127.0.0.1 (there is no
 * Consul server package on Debian), through the engine. */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>
#include <tlsverify/tlsverify.h>

#include "spiffe-consul-test.h"
#include "spiffe-test-pki.h"

#define TD "11111111-2222-3333-4444-555555555555.consul"
#define WORKLOAD_ID "spiffe://" TD "/ns/default/dc/dc1/svc/web"
#define HOST "web.service.consul"
#define MAX_STALENESS_S 4

static char *dir;
static tpki_cert *root1, *root2;
static char *leaf1_pem, *leaf2_pem;
static SoupSession *session;

/* One running agent mock. */
typedef struct {
	GPid pid;
	int port;
	char *state;
} agent;

static int suite_init(void)
{
	tpki_cert *l1, *l2;

	dir = tv_test_mkdtemp("consul");
	root1 = tpki_ca("Consul CA 7", "spiffe://" TD);
	root2 = tpki_ca("Consul CA 8", "spiffe://" TD);
	l1 = tpki_leaf(root1, "web", WORKLOAD_ID);
	l2 = tpki_leaf(root2, "web", WORKLOAD_ID);
	leaf1_pem = tpki_pem(l1);
	leaf2_pem = tpki_pem(l2);
	tpki_free(l1);
	tpki_free(l2);
	session = soup_session_new();
	return 0;
}

static int suite_clean(void)
{
	sct_stop_all();
	tpki_free(root1);
	tpki_free(root2);
	g_free(leaf1_pem);
	g_free(leaf2_pem);
	g_free(dir);
	g_clear_object(&session);
	return 0;
}

/* @pem as the body of a JSON string. */
static void json_pem(GString *s, const tpki_cert *c)
{
	g_autofree char *pem = tpki_pem(c);

	for (const char *p = pem; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
}

/* IndexedCARoots with the given roots (NULL-ended), the last active. */
static char *roots(const tpki_cert *first, ...)
{
	g_autoptr(GString) s = g_string_new(NULL);
	const tpki_cert *c = first;
	unsigned n = 0;
	va_list ap;

	g_string_append(s, "{\"TrustDomain\": \"" TD "\", \"Roots\": [");
	va_start(ap, first);
	for (; c != NULL; c = va_arg(ap, const tpki_cert *), n++) {
		g_string_append_printf(s,
				       "%s{\"ID\": \"r%u\", \"Name\": \"Consul "
				       "CA Root Cert\", \"RootCert\": \"",
				       n ? ", " : "", n);
		json_pem(s, c);
		g_string_append(s, "\", \"IntermediateCerts\": null}");
	}
	va_end(ap);
	g_string_append_printf(s, "], \"ActiveRootID\": \"r%u\"}", n - 1);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* An HTTP exchange with the mock; returns the status, *@body (optional,
 * transfer full) the response. */
static guint mock_call(const agent *a, const char *method, const char *path,
		       const char *body, char **out)
{
	g_autofree char *url =
		g_strdup_printf("http://127.0.0.1:%d%s", a->port, path);
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	g_autoptr(GBytes) resp = NULL;
	g_autoptr(GError) error = NULL;

	if (body != NULL) {
		g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));

		soup_message_set_request_body_from_bytes(msg,
							 "application/json", b);
	}
	resp = soup_session_send_and_read(session, msg, NULL, &error);
	if (resp == NULL) {
		fprintf(stderr, "mock %s %s: %s\n", method, path,
			error->message);
		return 0;
	}
	if (out != NULL)
		*out = g_strndup(g_bytes_get_data(resp, NULL),
				 g_bytes_get_size(resp));
	return soup_message_get_status(msg);
}

static void set_roots(const agent *a, guint64 index, const char *json)
{
	g_autofree char *path =
		g_strdup_printf("/mock/roots?index=%" G_GUINT64_FORMAT, index);

	CU_ASSERT_EQUAL(mock_call(a, "POST", path, json, NULL), 204);
}

/* The index parameters of every roots query so far (-1: none). */
static GArray *query_indexes(const agent *a)
{
	g_autofree char *text = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
	JsonArray *arr;

	if (mock_call(a, "GET", "/mock/stats", NULL, &text) != 200 ||
	    !json_parser_load_from_data(p, text, -1, NULL))
		return out;
	arr = json_object_get_array_member(
		json_node_get_object(json_parser_get_root(p)), "indexes");
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		gint64 v = json_array_get_int_element(arr, i);

		g_array_append_val(out, v);
	}
	return out;
}

/* A string member of /mock/stats, (transfer full) or NULL. */
static char *stats_str(const agent *a, const char *key)
{
	g_autofree char *text = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o;

	if (mock_call(a, "GET", "/mock/stats", NULL, &text) != 200 ||
	    !json_parser_load_from_data(p, text, -1, NULL))
		return NULL;
	o = json_node_get_object(json_parser_get_root(p));
	if (!json_object_has_member(o, key) ||
	    json_object_get_null_member(o, key))
		return NULL;
	return g_strdup(json_object_get_string_member(o, key));
}

/* The number of roots queries the mock has seen; -1 on error. */
static gint64 stats_queries(const agent *a)
{
	g_autofree char *text = NULL;
	g_autoptr(JsonParser) p = json_parser_new();

	if (mock_call(a, "GET", "/mock/stats", NULL, &text) != 200 ||
	    !json_parser_load_from_data(p, text, -1, NULL))
		return -1;
	return json_object_get_int_member(
		json_node_get_object(json_parser_get_root(p)), "queries");
}

/* Whether @seq appears in @a's query indexes at or after position @from,
 * in order; *@end (optional) gets the position after it. */
static bool has_sequence(GArray *a, guint from, const gint64 *seq, guint n,
			 guint *end)
{
	for (guint i = from; i + n <= a->len; i++) {
		guint j = 0;

		while (j < n && g_array_index(a, gint64, i + j) == seq[j])
			j++;
		if (j == n) {
			if (end != NULL)
				*end = i + n;
			return true;
		}
	}
	return false;
}

/* Polls until the mock saw the query-index sequence @seq (after @from). */
static bool wait_queries(const agent *a, guint from, const gint64 *seq, guint n)
{
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(GArray) idx = query_indexes(a);

		if (has_sequence(idx, from, seq, n, NULL))
			return true;
		if (g_get_monotonic_time() > deadline) {
			fprintf(stderr, "query indexes:");
			for (guint i = 0; i < idx->len; i++)
				fprintf(stderr, " %" G_GINT64_FORMAT,
					g_array_index(idx, gint64, i));
			fprintf(stderr, "\n");
			return false;
		}
		g_usleep(SCT_POLL_US);
	}
}

static agent *agent_start(guint64 index, const char *json)
{
	static unsigned serial;
	agent *a = g_new0(agent, 1);
	const char *args[] = {NULL};

	a->state = g_strdup_printf("%s/agent%u.state", dir, serial++);
	a->port = sct_start("consul-agent-mock", args, a->state, &a->pid);
	set_roots(a, index, json);
	return a;
}

static void agent_stop(agent *a)
{
	if (a == NULL)
		return;
	sct_stop(a->pid);
	g_free(a->state);
	g_free(a);
}

/* An engine whose endpoint HOST runs the consul source against @a, with
 * 1 s blocking queries; @extra: more settings of the step. */
static tv_engine *consul_engine(const agent *a, const char *extra,
				GError **error)
{
	g_autofree char *policy = g_strdup_printf(
		"endpoints = (\n"
		"  { name = \"mesh\"; hosts = [ \"" HOST "\" ];\n"
		"    match_names = [ \"" WORKLOAD_ID "\" ];\n"
		"    chain = ( { use = \"discovery\"; control = \"required\";\n"
		"      source = \"consul\"; trust_domain = \"" TD "\";\n"
		"      url = \"http://127.0.0.1:%d\"; wait = 1;\n"
		"      min_interval = 1; retry_max = 1;\n"
		"      max_staleness = %d; %s } ); }\n"
		");\n",
		a->port, MAX_STALENESS_S, extra);

	return sct_engine(policy, error);
}

/* Initial roots, then a rotation delivered by the blocking query the
 * source keeps open: both roots trusted while rotating, then only the
 * new one. */
static void test_initial_and_rotation(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	g_autofree char *r12 = roots(root1, root2, NULL);
	g_autofree char *r2 = roots(root2, NULL);
	agent *a = agent_start(10, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(a, "", &error);
	const gint64 first[] = {-1, 10};
	const gint64 rotated[] = {11};

	if (e == NULL)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	/* First a plain query, then blocking on index 10. */
	CU_ASSERT_TRUE(wait_queries(a, 0, first, 2));

	set_roots(a, 11, r12);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf2_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	CU_ASSERT_TRUE(wait_queries(a, 0, rotated, 1));
	set_roots(a, 12, r2);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_REJECTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf2_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	{
		g_autofree char *v = sct_status_str(e, "version");

		CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "index 12");
	}
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* blocking.mdx: an index lower than ours resets to a query without an
 * index; the roots it brings are taken. */
static void test_index_reset(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	g_autofree char *r2 = roots(root2, NULL);
	agent *a = agent_start(20, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(a, "", &error);
	const gint64 blocking[] = {20};
	const gint64 after_reset[] = {20, -1, 5};
	g_autoptr(GArray) before = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_TRUE(wait_queries(a, 0, blocking, 1));
	before = query_indexes(a);
	set_roots(a, 5, r2);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf2_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_REJECTED);
	/* The held query (20) came back with 5: start over, then block on
	 * the new index. */
	CU_ASSERT_TRUE(wait_queries(a, before->len - 1, after_reset, 3));
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* blocking.mdx: an index of 0 is treated as 1 (a query with index=0
 * would not block). */
static void test_index_zero(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	agent *a = agent_start(0, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(a, "", &error);
	const gint64 seq[] = {-1, 1};
	g_autoptr(GArray) idx = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_TRUE(wait_queries(a, 0, seq, 2));
	idx = query_indexes(a);
	for (guint i = 0; i < idx->len; i++)
		CU_ASSERT_NOT_EQUAL(g_array_index(idx, gint64, i), 0);
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* HTTP 500 forever: the last good roots serve until max_staleness, then
 * the step fails closed (source-unavailable); the agent back, it
 * recovers. */
static void test_500_until_staleness(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	agent *a = agent_start(30, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(a, "", &error);
	const gint64 blocking[] = {30};
	uint32_t reasons = 0;
	gint64 failing_since, expired_after, queries;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	CU_ASSERT_TRUE(wait_queries(a, 0, blocking, 1));
	queries = stats_queries(a);
	failing_since = g_get_monotonic_time();
	CU_ASSERT_EQUAL(
		mock_call(a, "POST", "/mock/fail?status=500", NULL, NULL), 204);
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "500"));
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_REJECTED));
	expired_after = g_get_monotonic_time() - failing_since;
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, &reasons, NULL),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE((reasons & TV_REASON_SOURCE_UNAVAILABLE) != 0);
	/* The held query still answered 200 after the failures began, so
	 * the bundle cannot have expired sooner than max_staleness. */
	CU_ASSERT_TRUE(expired_after >= MAX_STALENESS_S * G_USEC_PER_SEC);
	/* Retries back off (retry_max = 1 s, jittered down to half): no
	 * more than about two a second, where a loop without backoff makes
	 * thousands. */
	CU_ASSERT_TRUE(stats_queries(a) - queries <=
		       4 + 2 * (expired_after / G_USEC_PER_SEC + 1));
	CU_ASSERT_TRUE(sct_wait_status(e, "state", "expired"));

	CU_ASSERT_EQUAL(mock_call(a, "POST", "/mock/fail?status=0", NULL, NULL),
			204);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* blocking.mdx: the query loop is rate limited (a token bucket: two at
 * once, then one per min_interval = 1 s), so an agent that answers at
 * once, whatever the index, cannot make the source spin. */
static void test_rate_limited(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	agent *a = agent_start(50, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(a, "", &error);
	const gint64 blocking[] = {50};
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;
	gint64 q0, start, elapsed;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(wait_queries(a, 0, blocking, 1));
	q0 = stats_queries(a);
	start = g_get_monotonic_time();
	CU_ASSERT_EQUAL(mock_call(a, "POST", "/mock/no-block", NULL, NULL),
			204);
	while (stats_queries(a) < q0 + 6 && g_get_monotonic_time() < deadline)
		g_usleep(SCT_POLL_US);
	elapsed = g_get_monotonic_time() - start;
	CU_ASSERT_TRUE(stats_queries(a) >= q0 + 6);
	/* Two tokens at most at the start, then one a second: six queries
	 * take four seconds at least. */
	CU_ASSERT_TRUE(elapsed >= 4 * G_USEC_PER_SEC - G_USEC_PER_SEC / 10);
	/* Every answer was the same: contact, still trusted. */
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* The token goes in X-Consul-Token; endpoint = servers queries
 * /v1/connect/ca/roots; a garbage answer is rejected whole and the last
 * good roots stay. */
static void test_token_servers_garbage(void)
{
	g_autofree char *r1 = roots(root1, NULL);
	g_autofree char *r2 = roots(root2, NULL);
	agent *a = agent_start(40, r1);
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) e = consul_engine(
		a, "token = \"s3cr3t-token\"; endpoint = \"servers\";", &error);
	g_autofree char *token = NULL;
	g_autofree char *path = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf1_pem, TV_VERDICT_TRUSTED));
	token = stats_str(a, "token");
	path = stats_str(a, "path");
	CU_ASSERT_STRING_EQUAL(token != NULL ? token : "", "s3cr3t-token");
	CU_ASSERT_STRING_EQUAL(path != NULL ? path : "",
			       "/v1/connect/ca/roots");

	set_roots(a, 41, "{\"Roots\": [{\"RootCert\": \"garbage\"}]}");
	CU_ASSERT_TRUE(sct_wait_status(e, "last_error", "does not parse"));
	CU_ASSERT_EQUAL(sct_verify(e, HOST, leaf1_pem, NULL, NULL),
			TV_VERDICT_TRUSTED);
	set_roots(a, 42, r2);
	CU_ASSERT_TRUE(
		sct_wait_verdict(e, HOST, leaf2_pem, TV_VERDICT_TRUSTED));
	/* The engine first: its source would log the server going away. */
	g_clear_pointer(&e, tv_engine_free);
	agent_stop(a);
}

/* Settings the source refuses, each naming its key. */
static void test_settings_refused(void)
{
	struct {
		const char *step;
		const char *error;
	} cases[] = {
		{"trust_domain = \"" TD "\";", "'url'"},
		{"url = \"ftp://127.0.0.1:1\";", "not an http(s) address"},
		{"url = \"http://127.0.0.1:1/v1/agent\";",
		 "not an http(s) address"},
		{"url = \"http://127.0.0.1:1\"; wait = 0;", "'wait'"},
		{"url = \"http://127.0.0.1:1\"; wait = 601;", "'wait'"},
		{"url = \"http://127.0.0.1:1\"; endpoint = \"catalog\";",
		 "'endpoint'"},
		{"url = \"http://127.0.0.1:1\"; token = \"a\\nb\";", "'token'"},
		{"url = \"http://127.0.0.1:1\"; token = \"a\"; token_file = "
		 "\"/dev/null\";",
		 "not both"},
		{"url = \"http://127.0.0.1:1\"; certificate = \"/dev/null\";",
		 "go together"},
		{"url = \"http://127.0.0.1:1\"; retry_max = 0;", "'retry_max'"},
		{"url = \"http://127.0.0.1:1\"; min_interval = -1;",
		 "'min_interval'"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *policy = g_strdup_printf(
			"endpoints = ( { name = \"m\"; hosts = [ \"" HOST
			"\" ]; chain = ( { use = \"discovery\"; control = "
			"\"required\"; source = \"consul\"; "
			"initial_timeout = 0; %s } ); } );\n",
			cases[i].step);
		g_autoptr(GError) error = NULL;
		g_autoptr(tv_engine) e = sct_engine(policy, &error);

		CU_ASSERT_PTR_NULL(e);
		if (error == NULL ||
		    strstr(error->message, cases[i].error) == NULL) {
			fprintf(stderr, "case %zu: %s\n", i,
				error ? error->message : "(loaded)");
			CU_FAIL("setting not refused with its name");
		}
	}
}

static CU_TestInfo tests[] = {
	{"/consul/initial-and-rotation", test_initial_and_rotation},
	{"/consul/index-reset", test_index_reset},
	{"/consul/index-zero-as-one", test_index_zero},
	{"/consul/500-keeps-bundle-until-max-staleness",
	 test_500_until_staleness},
	{"/consul/rate-limited", test_rate_limited},
	{"/consul/token-servers-garbage", test_token_servers_garbage},
	{"/consul/settings-refused", test_settings_refused},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"consul", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc;

	atexit(sct_stop_all);
	rc = tv_test_run(suites);
	sct_stop_all();
	return rc;
}
