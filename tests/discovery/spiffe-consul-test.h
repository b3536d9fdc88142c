/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Harness of the SPIFFE and Consul source tests: test servers started on
 * 127.0.0.1 and stopped by PID, engines on the fly, bounded polling. */
#ifndef TV_TESTS_DISCOVERY_SPIFFE_CONSUL_TEST_H
#define TV_TESTS_DISCOVERY_SPIFFE_CONSUL_TEST_H

#include <signal.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "../unit/tv-engine-test.h"

/* Bound of every wait: generous for a loaded machine; success is usually
 * far quicker.  Polls sleep a few milliseconds between checks. */
#define SCT_DEADLINE_S 20
#define SCT_POLL_US 10000

/* Servers still running, stopped by sct_stop_all() (also at exit, so a
 * failed fatal assertion leaves nothing behind). */
static GPid sct_pids[16];
static unsigned sct_npids;

static inline void sct_stop(GPid pid)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		g_usleep(SCT_POLL_US);
	}
	for (unsigned i = 0; i < sct_npids; i++)
		if (sct_pids[i] == pid)
			sct_pids[i] = sct_pids[--sct_npids];
}

static inline void sct_stop_all(void)
{
	while (sct_npids > 0)
		sct_stop(sct_pids[0]);
}

/* Reads "key N" from the state file @path; -1 when absent. */
static inline gint64 sct_state(const char *path, const char *key)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	size_t klen = strlen(key);

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		if (strncmp(*l, key, klen) == 0 && (*l)[klen] == ' ')
			return g_ascii_strtoll(*l + klen + 1, NULL, 10);
	return -1;
}

/*
 * Starts the test server $TV_BUILDDIR/tests/discovery/@name with @args
 * (NULL-terminated) plus "--state @state", and waits until it wrote its
 * port there.  Exits 77 (skip) when the server says it cannot run here,
 * 99 when it fails.  Returns the port; *@pid gets the process.
 */
static inline int sct_start(const char *name, const char *const *args,
			    const char *state, GPid *pid)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;
	gint64 port = -1;
	int status;

	g_ptr_array_add(argv,
			g_build_filename(tv_test_env("TV_BUILDDIR"), "tests",
					 "discovery", name, NULL));
	for (; *args != NULL; args++)
		g_ptr_array_add(argv, g_strdup(*args));
	g_ptr_array_add(argv, g_strdup("--state"));
	g_ptr_array_add(argv, g_strdup(state));
	g_ptr_array_add(argv, NULL);
	g_unlink(state);
	if (sct_npids == G_N_ELEMENTS(sct_pids) ||
	    !g_spawn_async(NULL, (char **)argv->pdata, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, pid,
			   &error)) {
		fprintf(stderr, "cannot start %s: %s\n", name,
			error ? error->message : "too many servers");
		exit(99);
	}
	sct_pids[sct_npids++] = *pid;
	while ((port = sct_state(state, "port")) <= 0) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			for (unsigned i = 0; i < sct_npids; i++)
				if (sct_pids[i] == *pid)
					sct_pids[i] = sct_pids[--sct_npids];
			if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
				fprintf(stderr, "%s cannot run here: skip\n",
					name);
				sct_stop_all();
				exit(77);
			}
			fprintf(stderr, "%s exited (status %d)\n", name,
				status);
			exit(99);
		}
		if (g_get_monotonic_time() > deadline) {
			fprintf(stderr, "%s did not start in %d s\n", name,
				SCT_DEADLINE_S);
			sct_stop_all();
			exit(99);
		}
		g_usleep(SCT_POLL_US);
	}
	return (int)port;
}

/* An engine over a conf dir holding @policy and the discovery plugin;
 * NULL with @error when the policy does not load. */
static inline tv_engine *sct_engine(const char *policy, GError **error)
{
	/* system: the built-in default endpoint of hosts no policy names. */
	static const char *const names[] = {"discovery", "system", NULL};
	g_autofree char *plugins = tv_test_plugin_dir(names);
	g_autofree char *conf = tv_test_conf("50-remote.conf", policy);

	return tv_engine_new(conf, plugins, error);
}

/* The verdict of the chain @pem (leaf first) for @host at now;
 * *@message (optional, transfer full) the result's message. */
static inline tv_verdict sct_verify(tv_engine *e, const char *host,
				    const char *pem, uint32_t *reasons,
				    char **message)
{
	g_autoptr(tv_request) r = tv_request_new(host, 443);
	g_autoptr(tv_result) res = NULL;
	g_autoptr(GError) error = NULL;

	if (tv_request_add_pem(r, pem, strlen(pem), false, &error) < 1) {
		fprintf(stderr, "request: %s\n", error->message);
		exit(99);
	}
	if (!tv_engine_verify(e, r, &res, &error)) {
		fprintf(stderr, "verify: %s\n", error->message);
		return TV_VERDICT_REJECTED;
	}
	if (reasons != NULL)
		*reasons = tv_result_get_reasons(res);
	if (message != NULL)
		*message = tv_result_to_json(res);
	return tv_result_get_verdict(res);
}

/* Polls until @pem's verdict is @want or the deadline passed; whether it
 * got there. */
static inline bool sct_wait_verdict(tv_engine *e, const char *host,
				    const char *pem, tv_verdict want)
{
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;

	while (sct_verify(e, host, pem, NULL, NULL) != want) {
		if (g_get_monotonic_time() > deadline)
			return false;
		g_usleep(SCT_POLL_US);
	}
	return true;
}

/* The string member @key of the first discovery step's status state, or
 * NULL.  (transfer full) */
static inline char *sct_status_str(tv_engine *e, const char *key)
{
	g_autofree char *text = tv_engine_status(e);
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *eps;

	if (!json_parser_load_from_data(p, text, -1, NULL))
		return NULL;
	eps = json_object_get_array_member(
		json_node_get_object(json_parser_get_root(p)), "endpoints");
	for (guint i = 0; eps != NULL && i < json_array_get_length(eps); i++) {
		JsonArray *chain = json_object_get_array_member(
			json_array_get_object_element(eps, i), "chain");

		for (guint j = 0;
		     chain != NULL && j < json_array_get_length(chain); j++) {
			JsonObject *st =
				json_array_get_object_element(chain, j);
			JsonObject *state;
			JsonNode *n;

			if (!json_object_has_member(st, "state"))
				continue;
			state = json_object_get_object_member(st, "state");
			n = json_object_get_member(state, key);
			if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
				return NULL;
			if (json_node_get_value_type(n) == G_TYPE_STRING)
				return g_strdup(json_node_get_string(n));
			return g_strdup_printf("%" G_GINT64_FORMAT,
					       json_node_get_int(n));
		}
	}
	return NULL;
}

/* Polls until the status member @key contains @needle; whether it did. */
static inline bool sct_wait_status(tv_engine *e, const char *key,
				   const char *needle)
{
	gint64 deadline =
		g_get_monotonic_time() + SCT_DEADLINE_S * G_USEC_PER_SEC;

	for (;;) {
		g_autofree char *v = sct_status_str(e, key);

		if (v != NULL && strstr(v, needle) != NULL)
			return true;
		if (g_get_monotonic_time() > deadline) {
			fprintf(stderr, "status %s is '%s', not '%s'\n", key,
				v ? v : "(none)", needle);
			return false;
		}
		g_usleep(SCT_POLL_US);
	}
}

/* Writes @text to @path atomically (what a publisher does). */
static inline void sct_write(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
}

#endif
