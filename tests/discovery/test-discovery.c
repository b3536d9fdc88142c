/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The discovery plugin with the file source: settings, pipeline, rotations. */
#include "config.h"

#include "disc-test.h"

#include <glib/gstdio.h>
#include <unistd.h>

#define HOST "good.internal.test"

/* A policy with one discovery step of the file source at @path. */
static char *file_policy(const char *path, const char *extra)
{
	return g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\", "
		"\"payments.internal\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"file\"; path = \"%s\"; poll_interval = 1;\n"
		"    initial_timeout = 1; %s } ); } );\n",
		path, extra ? extra : "");
}

static tv_engine *file_engine(const char *path, const char *extra)
{
	g_autofree char *policy = file_policy(path, extra);
	g_autoptr(GError) error = NULL;
	tv_engine *e = disc_engine(policy, &error);

	if (e == NULL)
		fprintf(stderr, "engine: %s\n", error->message);
	return e;
}

static void write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	/* Rename-over, as most writers do. */
	if (!g_file_set_contents(path, text, -1, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(99);
	}
}

static bool trusted(tv_engine *e, const char *chain)
{
	return disc_verify(e, HOST, chain, NULL) == TV_VERDICT_TRUSTED;
}

static bool last_error_has(tv_engine *e, const char *needle)
{
	g_autofree char *err = disc_state_str(e, "last_error");

	return err != NULL && strstr(err, needle) != NULL;
}

/* ---- settings ------------------------------------------------------------ */

static void expect_config_error(const char *step, const char *needle)
{
	g_autofree char *policy = g_strdup_printf(
		"endpoints = ( { name = \"svc\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    %s } ); } );\n",
		step);
	g_autoptr(GError) error = NULL;
	tv_engine *e = disc_engine(policy, &error);

	CU_ASSERT_PTR_NULL(e);
	tv_engine_free(e);
	if (error == NULL)
		return;
	if (strstr(error->message, "50-disc.conf:") == NULL ||
	    strstr(error->message, needle) == NULL)
		fprintf(stderr, "unexpected error: %s (wanted %s)\n",
			error->message, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "50-disc.conf:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, needle));
}

static void test_settings(void)
{
	expect_config_error("path = \"/x\";", "'source'");
	expect_config_error("source = \"zookeeper\";", "unknown source");
	expect_config_error("source = \"file\";", "'path'");
	expect_config_error(
		"source = \"file\"; path = \"/x\"; format = \"der\";",
		"unsupported format");
	expect_config_error(
		"source = \"file\"; path = \"/x\"; trust_domain = \"Ex.org\";",
		"trust_domain");
	expect_config_error(
		"source = \"file\"; path = \"/x\"; max_staleness = 0;",
		"max_staleness");
	expect_config_error("source = \"etcd\"; key = \"/k\";", "endpoints");
	expect_config_error("source = \"etcd\"; endpoints = "
			    "[\"http://127.0.0.1:1\"]; key = \"/k\"; "
			    "prefix = \"/p/\";",
			    "exactly one of key and prefix");
	expect_config_error("source = \"etcd\"; endpoints = "
			    "[\"ftp://127.0.0.1:1\"]; key = \"/k\";",
			    "not an http(s) URL");
	expect_config_error("source = \"etcd\"; endpoints = "
			    "[\"http://127.0.0.1:1\"]; key = \"/k\"; "
			    "username = \"u\";",
			    "username");
	expect_config_error("source = \"file\"; path = \"/x\"; typo = 1;",
			    "typo");
}

/* ---- file source ----------------------------------------------------------
 */

/* A plain file replaced by rename: the new anchors serve, the old go. */
static void test_file_rename_over(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-file");
	g_autofree char *path = g_build_filename(dir, "bundle.pem", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *rogue = disc_fixture_text("rogue-ca.pem");
	tv_engine *e;

	write_file(path, ca);
	e = file_engine(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(e, "chain-rogue.pem"));
	CU_ASSERT_TRUE(disc_state_is(e, "fresh"));
	CU_ASSERT_EQUAL(disc_state_int(e, "anchors"), 1);

	write_file(path, rogue);
	CU_ASSERT_TRUE(DISC_WAIT(trusted(e, "chain-rogue.pem")));
	CU_ASSERT_FALSE(trusted(e, "chain-good.pem"));
	tv_engine_free(e);
}

/*
 * The kubelet AtomicWriter sequence (pkg/volume/util/atomic_writer.go):
 * files in a new timestamped directory, ..data_tmp -> it, rename
 * ..data_tmp over ..data, remove the old directory.  The user-visible
 * ca.pem is a symlink that never changes.
 */
static void k8s_publish(const char *dir, const char *stamp, const char *text,
			const char *old_stamp)
{
	g_autofree char *ts = g_build_filename(dir, stamp, NULL);
	g_autofree char *tmp = g_build_filename(dir, "..data_tmp", NULL);
	g_autofree char *data = g_build_filename(dir, "..data", NULL);
	g_autofree char *user = g_build_filename(dir, "ca.pem", NULL);

	g_mkdir(ts, 0755);
	tv_test_write(ts, "ca.pem", text);
	if (!g_file_test(user, G_FILE_TEST_IS_SYMLINK) &&
	    symlink("..data/ca.pem", user) != 0)
		exit(99);
	if (symlink(stamp, tmp) != 0 || rename(tmp, data) != 0)
		exit(99);
	if (old_stamp != NULL) {
		g_autofree char *old = g_build_filename(dir, old_stamp, NULL);
		g_autofree char *f = g_build_filename(old, "ca.pem", NULL);

		g_unlink(f);
		g_rmdir(old);
	}
}

static void test_file_k8s_swap(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-k8s");
	g_autofree char *path = g_build_filename(dir, "ca.pem", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *rogue = disc_fixture_text("rogue-ca.pem");
	g_autofree char *both = g_strconcat(ca, rogue, NULL);
	tv_engine *e;

	k8s_publish(dir, "..2026_11_28_20_26_01.aaaa", ca, NULL);
	e = file_engine(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(e, "chain-rogue.pem"));

	k8s_publish(dir, "..2026_11_28_20_26_04.bbbb", both,
		    "..2026_11_28_20_26_01.aaaa");
	CU_ASSERT_TRUE(DISC_WAIT(trusted(e, "chain-rogue.pem")));
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_EQUAL(disc_state_int(e, "anchors"), 2);

	/* A second swap: monitors that fire only once would miss it. */
	k8s_publish(dir, "..2026_11_28_20_26_09.cccc", rogue,
		    "..2026_11_28_20_26_04.bbbb");
	CU_ASSERT_TRUE(DISC_WAIT(!trusted(e, "chain-good.pem")));
	CU_ASSERT_TRUE(trusted(e, "chain-rogue.pem"));
	CU_ASSERT_EQUAL(disc_state_int(e, "rejected_updates"), 0);
	tv_engine_free(e);
}

/* An in-place write seen halfway (spiffe-helper writes with os.WriteFile):
 * the half is rejected, the old bundle serves, the whole one then wins. */
static void test_file_in_place_partial(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-inplace");
	g_autofree char *path = g_build_filename(dir, "bundle.pem", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *rogue = disc_fixture_text("rogue-ca.pem");
	tv_engine *e;
	FILE *f;

	write_file(path, ca);
	e = file_engine(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));

	f = fopen(path, "w"); /* truncates in place, same inode */
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(rogue, 1, strlen(rogue) / 2, f);
	fflush(f);
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_int(e, "rejected_updates") >= 1));
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(e, "chain-rogue.pem"));
	g_autofree char *err = disc_state_str(e, "last_error");
	CU_ASSERT_PTR_NOT_NULL(err);

	fwrite(rogue + strlen(rogue) / 2, 1, strlen(rogue) - strlen(rogue) / 2,
	       f);
	fclose(f);
	CU_ASSERT_TRUE(DISC_WAIT(trusted(e, "chain-rogue.pem")));
	CU_ASSERT_FALSE(trusted(e, "chain-good.pem"));
	tv_engine_free(e);
}

/* Deleted: the last good bundle serves until max_staleness, then the step
 * fails closed with source-unavailable. */
static void test_file_deleted(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-del");
	g_autofree char *path = g_build_filename(dir, "bundle.pem", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	uint32_t reasons = 0;
	tv_engine *e;

	write_file(path, ca);
	e = file_engine(path, "max_staleness = 2;");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_EQUAL(g_unlink(path), 0);
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_is(e, "stale") ||
				 disc_state_is(e, "expired")));
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_is(e, "expired")));
	CU_ASSERT_EQUAL(disc_verify(e, HOST, "chain-good.pem", &reasons),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(reasons & TV_REASON_SOURCE_UNAVAILABLE);

	/* Back: fresh again. */
	write_file(path, ca);
	CU_ASSERT_TRUE(DISC_WAIT(trusted(e, "chain-good.pem")));
	CU_ASSERT_TRUE(disc_state_is(e, "fresh"));
	tv_engine_free(e);
}

/* Garbage, a non-CA anchor and an oversized value: each rejected whole,
 * the last good bundle stays. */
static void test_file_rejects(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-rej");
	g_autofree char *path = g_build_filename(dir, "bundle.pem", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *rogue = disc_fixture_text("rogue-ca.pem");
	g_autofree char *leaf = disc_fixture_text("leaf-good.pem");
	g_autofree char *notca = g_strconcat(rogue, leaf, NULL);
	GString *big = g_string_new(rogue);
	tv_engine *e;

	write_file(path, ca);
	e = file_engine(path, "max_bundle_bytes = 4096;");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));

	write_file(path, "-----BEGIN CERTIFICATE-----\nnot base64!\n"
			 "-----END CERTIFICATE-----\n");
	CU_ASSERT_TRUE(DISC_WAIT(disc_state_int(e, "rejected_updates") >= 1));
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));

	/* One bad anchor spoils the whole update: rogue-ca is not taken.
	 * (Rejected values are retried a few times: wait for the error
	 * itself, not a count.) */
	write_file(path, notca);
	CU_ASSERT_TRUE(DISC_WAIT(last_error_has(e, "not a CA")));
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(e, "chain-rogue.pem"));

	while (big->len <= 4096)
		g_string_append(big, rogue);
	write_file(path, big->str);
	CU_ASSERT_TRUE(DISC_WAIT(last_error_has(e, "max_bundle_bytes")));
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_FALSE(trusted(e, "chain-rogue.pem"));
	g_string_free(big, TRUE);
	tv_engine_free(e);
}

/* The cache file: written after a good bundle, used at the next start
 * when the source is down; without either, UNAVAIL. */
static void test_cache_file(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-cache");
	g_autofree char *path = g_build_filename(dir, "bundle.pem", NULL);
	g_autofree char *cache = g_build_filename(dir, "lkg.json", NULL);
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *extra = g_strdup_printf("cache_file = \"%s\";", cache);
	uint32_t reasons = 0;
	GStatBuf st;
	tv_engine *e;

	/* Nothing at all: loads, says UNAVAIL. */
	e = file_engine(path, extra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(disc_verify(e, HOST, "chain-good.pem", &reasons),
			TV_VERDICT_REJECTED);
	CU_ASSERT_TRUE(reasons & TV_REASON_SOURCE_UNAVAILABLE);
	CU_ASSERT_TRUE(disc_state_is(e, "error"));
	tv_engine_free(e);

	write_file(path, ca);
	e = file_engine(path, extra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	tv_engine_free(e);
	CU_ASSERT_EQUAL(g_stat(cache, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

	/* The source is gone: the cache serves, stale. */
	CU_ASSERT_EQUAL(g_unlink(path), 0);
	e = file_engine(path, extra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(trusted(e, "chain-good.pem"));
	CU_ASSERT_TRUE(disc_state_is(e, "stale"));
	tv_engine_free(e);

	/* A damaged cache is no cache. */
	write_file(cache, "{\"format\":\"tlsverify-discovery-cache-1\"");
	e = file_engine(path, extra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_FALSE(trusted(e, "chain-good.pem"));
	tv_engine_free(e);
}

/* Trust domains are separate sets, chosen by the leaf's SPIFFE ID. */
static void test_trust_domains(void)
{
	g_autofree char *dir = tv_test_mkdtemp("disc-td");
	g_autofree char *ca = disc_fixture_text("ca.pem");
	g_autofree char *rogue = disc_fixture_text("rogue-ca.pem");
	g_autofree char *policy = g_strdup_printf(
		"endpoints = ( { name = \"pay\"; hosts = [ "
		"\"payments.internal\" "
		"];\n  match_names = [ \"spiffe://prod.example/payments\" ];\n"
		"  chain = ( { use = \"discovery\"; control = \"required\";\n"
		"    source = \"file\"; path = \"%s\"; poll_interval = 1; } ); "
		"} );\n",
		dir);
	g_autoptr(GError) error = NULL;
	tv_engine *e;

	tv_test_write(dir, "prod.example.spiffe-trust-bundle.pem", rogue);
	tv_test_write(dir, "other.example.spiffe-trust-bundle.pem", ca);
	e = disc_engine(policy, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* Its issuer's root is in other.example's set: not good enough. */
	CU_ASSERT_EQUAL(
		disc_verify(e, "payments.internal", "chain-spiffe.pem", NULL),
		TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(disc_state_int(e, "trust_domains"), 2);

	tv_test_write(dir, "prod.example.spiffe-trust-bundle.pem", ca);
	CU_ASSERT_TRUE(DISC_WAIT(disc_verify(e, "payments.internal",
					     "chain-spiffe.pem",
					     NULL) == TV_VERDICT_TRUSTED));
	tv_engine_free(e);
}

static CU_TestInfo tests[] = {
	{"/discovery/settings", test_settings},
	{"/discovery/file/rename-over", test_file_rename_over},
	{"/discovery/file/k8s-atomic-writer", test_file_k8s_swap},
	{"/discovery/file/in-place-partial", test_file_in_place_partial},
	{"/discovery/file/deleted", test_file_deleted},
	{"/discovery/pipeline/rejects", test_file_rejects},
	{"/discovery/pipeline/cache-file", test_cache_file},
	{"/discovery/pipeline/trust-domains", test_trust_domains},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"discovery", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return tv_test_run(suites);
}
