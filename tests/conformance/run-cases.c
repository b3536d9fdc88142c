/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Conformance runner: verifies every case directory through tv_engine_verify
 * and compares with its expected verdict. */
#include "tlsverify/tlsverify.h"

#include <glib/gstdio.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* `requires` tags this runner implements; a case needing any other tag
 * is skipped (never counted as passed). */
static const char *const implemented[] = {"crl", "policy-inputs", NULL};

typedef struct {
	unsigned passed, failed, skipped;
	const char *plugin_dir;
	const char *work_dir;
	bool verbose;
	bool allow_sha1;
} totals;

static char *read_text(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return g_strstrip(text);
}

static bool file_has_pem(const char *dir, const char *name)
{
	g_autofree char *text = read_text(dir, name);

	return text != NULL && strstr(text, "-----BEGIN") != NULL;
}

/* Returns the first unimplemented tag of the case, or NULL. */
static char *unimplemented_tag(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "meta.json", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *meta;
	JsonArray *req;

	if (!json_parser_load_from_file(parser, path, error))
		return NULL;
	meta = json_node_get_object(json_parser_get_root(parser));
	if (meta == NULL || !json_object_has_member(meta, "requires"))
		return NULL;
	req = json_object_get_array_member(meta, "requires");
	for (unsigned i = 0; req && i < json_array_get_length(req); i++) {
		const char *tag = json_array_get_string_element(req, i);

		if (tag != NULL && !g_strv_contains(implemented, tag))
			return g_strdup(tag);
	}
	return NULL;
}

/* The PKITS initial policy inputs of meta.json as pem step settings
 * (RFC 5280 6.1.1 c, e, f, g); empty when the case has the defaults.
 * The expected user-constrained policy set needs no setting: a specific
 * initial_policy_set makes the engine require a non-empty one. */
static char *policy_inputs(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "meta.json", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	GString *out = g_string_new(NULL);
	JsonObject *meta;
	static const struct {
		const char *meta, *setting;
	} flags[] = {
		{"initial_explicit_policy", "require_explicit_policy"},
		{"initial_policy_mapping_inhibit", "inhibit_policy_mapping"},
		{"initial_inhibit_any_policy", "inhibit_any_policy"},
	};

	if (!json_parser_load_from_file(parser, path, NULL))
		return g_string_free(out, FALSE);
	meta = json_node_get_object(json_parser_get_root(parser));
	if (meta == NULL)
		return g_string_free(out, FALSE);
	for (size_t i = 0; i < G_N_ELEMENTS(flags); i++)
		if (json_object_has_member(meta, flags[i].meta) &&
		    json_object_get_boolean_member(meta, flags[i].meta))
			g_string_append_printf(out, " %s = true;",
					       flags[i].setting);
	if (json_object_has_member(meta, "initial_policy_set")) {
		JsonArray *set = json_object_get_array_member(
			meta, "initial_policy_set");
		unsigned n = set ? json_array_get_length(set) : 0;

		if (n > 0) {
			g_string_append(out, " initial_policy_set = [");
			for (unsigned i = 0; i < n; i++)
				g_string_append_printf(
					out, "%s\"%s\"", i ? ", " : " ",
					json_array_get_string_element(set, i));
			g_string_append(out, " ];");
		}
	}
	return g_string_free(out, FALSE);
}

/* Writes the case's policy: one endpoint, a pem step on roots.pem
 * (with crls.pem when present, and the case's policy inputs). */
static char *write_policy(const totals *t, const char *dir, const char *host,
			  bool check_name, GError **error)
{
	g_autofree char *conf = g_build_filename(t->work_dir, "conf.d", NULL);
	g_autofree char *file = g_build_filename(conf, "50-case.conf", NULL);
	g_autofree char *roots = g_build_filename(dir, "roots.pem", NULL);
	g_autofree char *crls = g_build_filename(dir, "crls.pem", NULL);
	g_autofree char *crl_key = NULL;
	g_autofree char *inputs = policy_inputs(dir);
	g_autofree char *text = NULL;

	g_mkdir_with_parents(conf, 0755);
	if (file_has_pem(dir, "crls.pem"))
		crl_key = g_strdup_printf(" crl = \"%s\";", crls);
	text = g_strdup_printf(
		"defaults = { verify_hostname = %s; max_chain_length = 32; "
		"cache = { size = 0; }; };\n"
		"endpoints = ( { name = \"case\"; hosts = [ \"%s\" ]; chain = "
		"( { use = \"pem\"; control = \"required\"; bundle = "
		"\"%s\";%s%s%s "
		"} ); } );\n",
		check_name ? "true" : "false", host, roots,
		crl_key ? crl_key : "", inputs,
		t->allow_sha1 ? " allow_sha1 = true;" : "");
	if (!g_file_set_contents(file, text, -1, error))
		return NULL;
	return g_steal_pointer(&conf);
}

static bool add_pem_file(tv_request *req, const char *dir, const char *name,
			 bool untrusted, GError **error)
{
	g_autofree char *text = read_text(dir, name);

	if (text == NULL || strstr(text, "-----BEGIN") == NULL)
		return true; /* an empty pool */
	return tv_request_add_pem(req, text, strlen(text), untrusted, error) >
	       0;
}

/* Runs one case: "pass"/"fail" in *@got with the reasons; false when the
 * case cannot be run (then *@why says why). */
static bool run_case(const totals *t, const char *dir, const char **got,
		     char **reasons, char **why)
{
	g_autofree char *time_text = read_text(dir, "time");
	g_autofree char *hostname = read_text(dir, "hostname");
	g_autofree char *ip = read_text(dir, "ip");
	g_autofree char *purpose = read_text(dir, "purpose");
	g_autofree char *conf = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_request) req = NULL;
	g_autoptr(tv_result) res = NULL;
	g_autoptr(GError) error = NULL;
	const char *name = hostname ? hostname : ip;
	int64_t when = -1;

	if (name != NULL && strchr(name, '\n') != NULL) {
		*why = g_strdup("several peer names");
		return false;
	}
	if (!file_has_pem(dir, "roots.pem")) {
		/* Nothing is trusted: nothing can pass. */
		*got = "fail";
		*reasons = g_strdup("untrusted");
		return true;
	}
	/* The endpoint claims only the case's host: "*" with the name check
	 * off would (rightly) be refused for covering official AI hosts. */
	conf = write_policy(t, dir, name ? name : "conformance.invalid",
			    name != NULL, &error);
	if (conf == NULL) {
		*why = g_strdup(error->message);
		return false;
	}
	engine = tv_engine_new(conf, t->plugin_dir, &error);
	if (engine == NULL) {
		/* The case's own trust material did not load: not a pass. */
		*got = "fail";
		*reasons = g_strdup_printf("load error: %s", error->message);
		return true;
	}
	req = tv_request_new(name ? name : "conformance.invalid", 0);
	if (time_text != NULL) {
		if (!tv_time_parse(time_text, &when, &error)) {
			*why = g_strdup(error->message);
			return false;
		}
		tv_request_set_time(req, when);
	}
	if (purpose != NULL && strcmp(purpose, "any") != 0) {
		if (strcmp(purpose, GNUTLS_KP_TLS_WWW_CLIENT) == 0) {
			tv_request_set_purpose(req, TV_PURPOSE_CLIENT);
		} else if (strcmp(purpose, GNUTLS_KP_TLS_WWW_SERVER) != 0) {
			*why = g_strdup_printf("purpose %s", purpose);
			return false;
		}
	}
	if (!add_pem_file(req, dir, "leaf.pem", false, &error) ||
	    !add_pem_file(req, dir, "intermediates.pem", true, &error)) {
		*got = "fail";
		*reasons = g_strdup_printf("input: %s", error->message);
		return true;
	}
	if (!tv_engine_verify(engine, req, &res, &error)) {
		*got = "fail";
		*reasons = g_strdup_printf("error: %s", error->message);
		return true;
	}
	*got = tv_result_get_verdict(res) == TV_VERDICT_TRUSTED ? "pass"
								: "fail";
	{
		GString *r = g_string_new(NULL);
		uint32_t bits = tv_result_get_reasons(res);

		for (unsigned i = 0; i < TV_REASON_COUNT; i++)
			if (bits & (1u << i))
				g_string_append_printf(
					r, "%s%s", r->len ? "," : "",
					tv_reason_to_string(1u << i));
		if (r->len == 0)
			g_string_append(r, "-");
		*reasons = g_string_free(r, FALSE);
	}
	if (t->verbose && strcmp(*got, "fail") == 0)
		fprintf(stderr, "%s: %s\n", dir, tv_result_get_message(res));
	return true;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A case directory has an `expect` file; otherwise recurse one level. */
static void run_dir(totals *t, const char *dir)
{
	g_autofree char *expect = read_text(dir, "expect");
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) subdirs = NULL;
	const char *entry;

	if (expect != NULL) {
		g_autofree char *base = g_path_get_basename(dir);
		g_autofree char *reasons = NULL;
		g_autofree char *why = NULL;
		g_autofree char *tag = unimplemented_tag(dir, NULL);
		const char *got = NULL;

		if (tag != NULL) {
			printf("%s\t%s\tskip\trequires %s\n", base, expect,
			       tag);
			t->skipped++;
			return;
		}
		if (!run_case(t, dir, &got, &reasons, &why)) {
			printf("%s\t%s\tskip\t%s\n", base, expect, why);
			t->skipped++;
			return;
		}
		printf("%s\t%s\t%s\t%s\n", base, expect, got, reasons);
		if (strcmp(got, expect) == 0)
			t->passed++;
		else
			t->failed++;
		return;
	}
	d = g_dir_open(dir, 0, NULL);
	if (d == NULL)
		return;
	subdirs = g_ptr_array_new_with_free_func(g_free);
	while ((entry = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, entry, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(subdirs, g_steal_pointer(&path));
	}
	g_ptr_array_sort(subdirs, compare_names);
	for (unsigned i = 0; i < subdirs->len; i++)
		run_dir(t, subdirs->pdata[i]);
}

int main(int argc, char **argv)
{
	g_autofree char *plugin_dir = NULL;
	g_autofree char *floor_file = NULL;
	g_autofree char *work = NULL;
	gboolean verbose = FALSE;
	gboolean allow_sha1 = FALSE;
	g_auto(GStrv) dirs = NULL;
	GOptionEntry entries[] = {
		{"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
		 "Plugin directory (holding pem.so)", "DIR"},
		{"floor", 0, 0, G_OPTION_ARG_FILENAME, &floor_file,
		 "Fail when fewer cases pass than the number in FILE", "FILE"},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		 "Print the message of every rejection on stderr", NULL},
		{"allow-sha1", 0, 0, G_OPTION_ARG_NONE, &allow_sha1,
		 "Accept SHA-1 signatures (allow_sha1 on the pem step): for "
		 "suites from before SHA-1 was retired, such as PKITS",
		 NULL},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs,
		 NULL, "DIR..."},
		{NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("DIR...");
	g_autoptr(GError) error = NULL;
	totals t = {0};

	g_option_context_set_summary(
		ctx, "Runs conformance cases (one directory each, or folders "
		     "of them) through tv_engine_verify.\nPrints "
		     "id<TAB>expect<TAB>got<TAB>reasons per case and "
		     "\"N passed, N failed, N skipped\".\nExit status: 0 when "
		     "the pass count reaches the floor (or no floor is given), "
		     "1 below it, 2 on usage errors.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
	    dirs == NULL || plugin_dir == NULL) {
		fprintf(stderr, "run-cases: %s\n",
			error ? error->message
			      : "need --plugin-dir and at least one DIR");
		return 2;
	}
	work = g_dir_make_tmp("tv-conformance-XXXXXX", &error);
	if (work == NULL) {
		fprintf(stderr, "run-cases: %s\n", error->message);
		return 2;
	}
	t.plugin_dir = plugin_dir;
	t.work_dir = work;
	t.verbose = verbose;
	t.allow_sha1 = allow_sha1;
	for (char **d = dirs; *d != NULL; d++)
		run_dir(&t, *d);

	{
		g_autofree char *conf = g_build_filename(work, "conf.d", NULL);
		g_autofree char *file =
			g_build_filename(conf, "50-case.conf", NULL);
		g_unlink(file);
		g_rmdir(conf);
		g_rmdir(work);
	}
	printf("%u passed, %u failed, %u skipped\n", t.passed, t.failed,
	       t.skipped);
	if (floor_file != NULL) {
		g_autofree char *text = NULL;
		unsigned floor_count;

		if (!g_file_get_contents(floor_file, &text, NULL, &error)) {
			fprintf(stderr, "run-cases: %s\n", error->message);
			return 2;
		}
		floor_count = (unsigned)g_ascii_strtoull(text, NULL, 10);
		if (t.passed < floor_count) {
			fprintf(stderr,
				"run-cases: %u passed, below the floor of %u "
				"(%s)\n",
				t.passed, floor_count, floor_file);
			return 1;
		}
	}
	return 0;
}
