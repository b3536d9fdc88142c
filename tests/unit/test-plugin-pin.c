/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the pin plugin: real pin.so (after pem.so) driven through the
 * engine.
 */
#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <tlsverify/tlsverify.h>

#include "tv-engine-test.h"

#define T_2026_06_01 INT64_C(1780272000)
#define T_2027_01_01 INT64_C(1798761600)
#define T_2027_06_01 INT64_C(1811808000)
#define POLICY_FILE "50-test.conf"
#define STEP_LOCATION POLICY_FILE ":5" /* the line the chain is written on */
#define HOST "pin.internal.test"

static char *plugin_dir; /* private, 0755: pem.so and pin.so */

/* ---- audit events, captured from glib's structured log ---------------- */

typedef struct {
	char *event, *reason, *host, *endpoint, *message;
} audit_record;

static GMutex audit_lock;
static GPtrArray *audit_events; /* audit_record */

static void audit_record_free(audit_record *r)
{
	g_free(r->event);
	g_free(r->reason);
	g_free(r->host);
	g_free(r->endpoint);
	g_free(r->message);
	g_free(r);
}

static char *field_dup(const GLogField *f)
{
	return f->length < 0 ? g_strdup(f->value)
			     : g_strndup(f->value, (gsize)f->length);
}

/* Audit events (TLSVERIFY_EVENT set) are recorded; the rest is printed. */
static GLogWriterOutput capture_writer(GLogLevelFlags level,
				       const GLogField *fields, gsize n_fields,
				       gpointer user_data)
{
	audit_record *r = g_new0(audit_record, 1);

	for (gsize i = 0; i < n_fields; i++) {
		const char *k = fields[i].key;

		if (strcmp(k, "TLSVERIFY_EVENT") == 0)
			r->event = field_dup(&fields[i]);
		else if (strcmp(k, "TLSVERIFY_REASON") == 0)
			r->reason = field_dup(&fields[i]);
		else if (strcmp(k, "TLSVERIFY_HOST") == 0)
			r->host = field_dup(&fields[i]);
		else if (strcmp(k, "TLSVERIFY_ENDPOINT") == 0)
			r->endpoint = field_dup(&fields[i]);
		else if (strcmp(k, "MESSAGE") == 0)
			r->message = field_dup(&fields[i]);
	}
	if (r->event == NULL) {
		audit_record_free(r);
		return g_log_writer_default(level, fields, n_fields, user_data);
	}
	g_mutex_lock(&audit_lock);
	g_ptr_array_add(audit_events, r);
	g_mutex_unlock(&audit_lock);
	return G_LOG_WRITER_HANDLED;
}

static void audit_reset(void)
{
	g_mutex_lock(&audit_lock);
	g_ptr_array_set_size(audit_events, 0);
	g_mutex_unlock(&audit_lock);
}

/* ---- fixtures and the pins the tests expect ----------------------------- */

static char *fixture(const char *name)
{
	return g_build_filename(tv_test_env("TV_PIN_FIXTURES"), name, NULL);
}

/*
 * SHA-256 of the DER SPKI of the certificate or public key in @name,
 * computed here independently of the plugin (the integration test checks
 * both against openssl).
 */
static void spki_digest(const char *name, unsigned char digest[32])
{
	g_autofree char *path = fixture(name);
	gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0};
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	int ret;

	ret = gnutls_load_file(path, &pem);
	if (ret >= 0)
		ret = gnutls_pubkey_init(&key);
	if (ret >= 0 && gnutls_x509_crt_init(&crt) >= 0 &&
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) >= 0)
		ret = gnutls_pubkey_import_x509(key, crt, 0);
	else if (ret >= 0)
		ret = gnutls_pubkey_import(key, &pem, GNUTLS_X509_FMT_PEM);
	if (ret >= 0)
		ret = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der);
	if (ret >= 0)
		ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
				       digest);
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", path, gnutls_strerror(ret));
		exit(99);
	}
	gnutls_free(der.data);
	gnutls_free(pem.data);
	gnutls_pubkey_deinit(key);
	gnutls_x509_crt_deinit(crt);
}

static char *spki_pin(const char *name)
{
	unsigned char d[32];
	g_autofree char *b64 = NULL;

	spki_digest(name, d);
	b64 = g_base64_encode(d, sizeof(d));
	return g_strconcat("sha256//", b64, NULL);
}

/* "sha256:" and the hex SHA-256 of the (first) certificate in @name. */
static char *cert_hash(const char *name, bool colons_upper)
{
	g_autofree char *path = fixture(name);
	gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0};
	gnutls_x509_crt_t crt = NULL;
	unsigned char d[32];
	GString *s = g_string_new("sha256:");

	if (gnutls_load_file(path, &pem) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, d) < 0) {
		fprintf(stderr, "%s: cannot hash\n", path);
		exit(99);
	}
	for (size_t i = 0; i < sizeof(d); i++)
		g_string_append_printf(s, colons_upper ? "%s%02X" : "%s%02x",
				       colons_upper && i > 0 ? ":" : "", d[i]);
	gnutls_free(der.data);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	return g_string_free(s, FALSE);
}

/* "sha256//" and the base64 of @n bytes: a pin of the wrong length. */
static char *pin_of_length(size_t n)
{
	g_autofree guchar *raw = g_malloc0(n);
	g_autofree char *b64 = g_base64_encode(raw, n);

	return g_strconcat("sha256//", b64, NULL);
}

/*
 * Expands the placeholders of a test template:
 *   {pin:F}   SPKI pin of fixture F      {hash:F}  its certificate hash
 *   {HASH:F}  same, upper case, colons   {file:F}  absolute fixture path
 *   {rel:F}   F copied into @conf_dir, written relative ("F")
 *   {len:N}   a base64 pin of N bytes
 */
static char *expand(const char *template, const char *conf_dir)
{
	GString *out = g_string_new(NULL);
	const char *p = template;

	while (*p != '\0') {
		const char *open = strchr(p, '{');
		const char *colon, *close;
		g_autofree char *kind = NULL;
		g_autofree char *arg = NULL;
		g_autofree char *value = NULL;

		if (open == NULL) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		colon = strchr(open, ':');
		close = strchr(open, '}');
		if (colon == NULL || close == NULL || colon > close) {
			fprintf(stderr, "bad template: %s\n", template);
			exit(99);
		}
		kind = g_strndup(open + 1, (gsize)(colon - open - 1));
		arg = g_strndup(colon + 1, (gsize)(close - colon - 1));
		if (strcmp(kind, "pin") == 0) {
			value = spki_pin(arg);
		} else if (strcmp(kind, "hash") == 0) {
			value = cert_hash(arg, false);
		} else if (strcmp(kind, "HASH") == 0) {
			value = cert_hash(arg, true);
		} else if (strcmp(kind, "file") == 0) {
			value = fixture(arg);
		} else if (strcmp(kind, "len") == 0) {
			value = pin_of_length(strtoul(arg, NULL, 10));
		} else if (strcmp(kind, "rel") == 0 && conf_dir != NULL) {
			g_autofree char *src = fixture(arg);
			g_autofree char *data = NULL;
			gsize len = 0;

			if (!g_file_get_contents(src, &data, &len, NULL))
				exit(99);
			tv_test_write(conf_dir, arg, data);
			value = g_strdup(arg);
		} else {
			fprintf(stderr, "bad placeholder in: %s\n", template);
			exit(99);
		}
		g_string_append(out, value);
		p = close + 1;
	}
	return g_string_free(out, FALSE);
}

/* ---- engine with a policy written on the fly ---------------------------- */

/*
 * Writes a conf.d whose endpoint "pinned" runs, on line 5 (STEP_LOCATION),
 * a pem step trusting ca.pem (unless @pin_only) and then the pin step with
 * @settings (placeholders expanded), and loads it.  A "*" endpoint keeps
 * the built-in default (the system plugin) out; it trusts only the other
 * root, so nothing passes there by accident.
 */
static tv_engine *engine_for(const char *settings, bool pin_only,
			     GError **error)
{
	g_autofree char *dir = tv_test_mkdtemp("conf-pin");
	g_autofree char *ca = fixture("ca.pem");
	g_autofree char *other = fixture("other-ca.pem");
	g_autofree char *expanded = expand(settings, dir);
	g_autofree char *pem = NULL;
	g_autofree char *policy = NULL;

	if (!pin_only)
		pem = g_strdup_printf("{ use = \"pem\"; control = "
				      "\"required\"; bundle = \"%s\"; }, ",
				      ca);
	policy =
		g_strdup_printf("# written by test-plugin-pin\n"
				"endpoints = (\n"
				"  { name = \"pinned\";\n"
				"    hosts = [ \"" HOST "\" ];\n"
				"    chain = ( %s{ use = \"pin\"; "
				"control = \"required\"; %s } ); },\n"
				"  { name = \"catch-all\"; hosts = [ \"*\" ];\n"
				"    chain = ( { use = \"pem\"; control = "
				"\"required\"; bundle = \"%s\"; } ); }\n"
				");\n",
				pem != NULL ? pem : "", expanded, other);
	tv_test_write(dir, POLICY_FILE, policy);
	return tv_engine_new(dir, plugin_dir, error);
}

static tv_result *verify_at(tv_engine *engine, const char *chain, int64_t when)
{
	g_autoptr(tv_request) request = tv_request_new(HOST, 443);
	g_autofree char *path = fixture(chain);
	g_autoptr(GError) error = NULL;
	g_autofree char *pem = NULL;
	tv_result *result = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &pem, &len, &error) ||
	    tv_request_add_pem(request, pem, len, false, &error) < 0) {
		fprintf(stderr, "%s: %s\n", path, error->message);
		return NULL;
	}
	tv_request_set_time(request, when);
	if (!tv_engine_verify(engine, request, &result, &error)) {
		fprintf(stderr, "verify %s: %s\n", chain, error->message);
		return NULL;
	}
	return result;
}

/* ---- verification cases: one table, one CUnit test per row ------------ */

typedef struct {
	const char *name;     /* CUnit test name */
	const char *chain;    /* fixture presented by the peer */
	bool pin_only;	      /* no pem step before the pin step */
	const char *settings; /* pin step settings, placeholders expanded */
	int64_t time;
	tv_verdict verdict;
	uint32_t reasons;    /* exact reason bits of the result */
	const char *step;    /* pin step verdict */
	const char *message; /* in the pin step's message (expanded) */
	bool audit;	     /* one pin-report-mismatch audit event */
} verify_case;

#define EC_PINNED "pins = [ \"{pin:leaf-ec.pem}\" ]; "
#define SPARE_BACKUP "backup = [ \"{pin:spare.pub}\" ]; "
#define OTHER_BACKUP "backup = [ \"{pin:other-ca.pem}\" ]; "
#define TRUSTED TV_VERDICT_TRUSTED, 0
#define MISMATCH TV_VERDICT_REJECTED, TV_REASON_PIN_MISMATCH

static const verify_case verify_cases[] = {
	/* Each key type, pinned at the leaf. */
	{"/pin/leaf-ecdsa", "chain-ec.pem", false, EC_PINNED SPARE_BACKUP,
	 T_2026_06_01, TRUSTED, "pass",
	 "primary pin {pin:leaf-ec.pem} matched the leaf", false},
	{"/pin/leaf-rsa", "chain-rsa.pem", false,
	 "pins = [ \"{pin:leaf-rsa.pem}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {pin:leaf-rsa.pem} matched the leaf",
	 false},
	{"/pin/leaf-ed25519", "chain-ed.pem", false,
	 "pins = [ \"{pin:leaf-ed.pem}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {pin:leaf-ed.pem} matched the leaf",
	 false},
	{"/pin/other-leaf-rejected", "chain-rsa.pem", false,
	 EC_PINNED SPARE_BACKUP, T_2026_06_01, MISMATCH, "fail",
	 "the chain has: leaf {pin:leaf-rsa.pem}, intermediate 1 "
	 "{pin:inter.pem}, root (trust anchor) {pin:ca.pem}",
	 false},
	/* Pins given as files: certificate, public key, relative path. */
	{"/pin/pin-from-certificate-file", "chain-ec.pem", false,
	 "pins = [ \"{file:leaf-ec.pem}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {pin:leaf-ec.pem} matched", false},
	{"/pin/pin-from-public-key-file", "chain-ed.pem", false,
	 "pins = [ \"{file:leaf-ed.pub}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {pin:leaf-ed.pem} matched", false},
	{"/pin/pin-file-relative-to-policy", "chain-rsa.pem", false,
	 "pins = [ \"{rel:leaf-rsa.pub}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {pin:leaf-rsa.pem} matched", false},
	/* Rotation: the pre-announced spare key passes as the backup. */
	{"/pin/rotation/backup-pre-announced", "chain-rotated.pem", false,
	 EC_PINNED "backup = [ \"{file:spare.pub}\" ]; ", T_2026_06_01, TRUSTED,
	 "pass",
	 "backup pin {pin:spare.pub} matched the leaf: the pre-announced key "
	 "is in use",
	 false},
	{"/pin/rotation/unpinned-key-enforce", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP, T_2026_06_01, MISMATCH, "fail",
	 "no pin matched at position any (2 pins, 1 backup); the chain has: "
	 "leaf {pin:leaf-unpinned.pem}",
	 false},
	{"/pin/rotation/unpinned-key-report", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP "mode = \"report\"; ", T_2026_06_01, TRUSTED,
	 "ignore", "report only: no pin matched", true},
	{"/pin/rotation/report-mode-match-is-silent", "chain-ec.pem", false,
	 EC_PINNED SPARE_BACKUP "mode = \"report\"; ", T_2026_06_01, TRUSTED,
	 "pass", "primary pin", false},
	{"/pin/rotation/intermediate-survives-leaf-rotation",
	 "chain-unpinned.pem", false,
	 "pins = [ \"{pin:inter.pem}\" ]; " OTHER_BACKUP
	 "position = \"intermediate\"; ",
	 T_2026_06_01, TRUSTED, "pass",
	 "primary pin {pin:inter.pem} matched intermediate 1 (position "
	 "intermediate)",
	 false},
	{"/pin/rotation/intermediate-before-rotation", "chain-ec.pem", false,
	 "pins = [ \"{pin:inter.pem}\" ]; " OTHER_BACKUP
	 "position = \"intermediate\"; ",
	 T_2026_06_01, TRUSTED, "pass", "matched intermediate 1", false},
	/* Positions: a pin counts only where the step looks. */
	{"/pin/position/intermediate-ignores-leaf", "chain-ec.pem", false,
	 EC_PINNED SPARE_BACKUP "position = \"intermediate\"; ", T_2026_06_01,
	 MISMATCH, "fail", "no pin matched at position intermediate", false},
	{"/pin/position/leaf-ignores-intermediate", "chain-ec.pem", false,
	 "pins = [ \"{pin:inter.pem}\" ]; " SPARE_BACKUP
	 "position = \"leaf\"; ",
	 T_2026_06_01, MISMATCH, "fail", "no pin matched at position leaf",
	 false},
	{"/pin/position/root-via-pem-anchor", "chain-ec.pem", false,
	 "pins = [ \"{pin:ca.pem}\" ]; " OTHER_BACKUP "position = \"root\"; ",
	 T_2026_06_01, TRUSTED, "pass",
	 "primary pin {pin:ca.pem} matched the root (trust anchor) (position "
	 "root)",
	 false},
	{"/pin/position/root-pin-from-file", "chain-rsa.pem", false,
	 "pins = [ \"{file:ca.pem}\" ]; " OTHER_BACKUP "position = \"root\"; ",
	 T_2026_06_01, TRUSTED, "pass", "matched the root (trust anchor)",
	 false},
	{"/pin/position/root-other-ca", "chain-ec.pem", false,
	 "pins = [ \"{pin:other-ca.pem}\" ]; " SPARE_BACKUP
	 "position = \"root\"; ",
	 T_2026_06_01, MISMATCH, "fail", "root (trust anchor) {pin:ca.pem}",
	 false},
	{"/pin/position/root-ignores-leaf", "chain-ec.pem", false,
	 EC_PINNED SPARE_BACKUP "position = \"root\"; ", T_2026_06_01, MISMATCH,
	 "fail", "no pin matched at position root", false},
	{"/pin/position/any-reaches-anchor", "chain-ed.pem", false,
	 "pins = [ \"{pin:ca.pem}\" ]; " SPARE_BACKUP, T_2026_06_01, TRUSTED,
	 "pass", "matched the root (trust anchor)", false},
	/* The root presented at the top of the path, with the pem anchor. */
	{"/pin/position/presented-root-any", "chain-full-ec.pem", false,
	 "pins = [ \"{pin:ca.pem}\" ]; " OTHER_BACKUP, T_2026_06_01, TRUSTED,
	 "pass", "primary pin {pin:ca.pem} matched the root", false},
	{"/pin/position/presented-root-root", "chain-full-ec.pem", false,
	 "pins = [ \"{pin:ca.pem}\" ]; " OTHER_BACKUP "position = \"root\"; ",
	 T_2026_06_01, TRUSTED, "pass",
	 "primary pin {pin:ca.pem} matched the root", false},
	/* Without an anchor step the self-signed top of the path is root. */
	{"/pin/position/root-self-signed-top", "chain-full-ec.pem", true,
	 "pins = [ \"{pin:ca.pem}\" ]; " OTHER_BACKUP "position = \"root\"; ",
	 T_2026_06_01, TRUSTED, "pass", "matched the root (position root)",
	 false},
	{"/pin/position/root-missing", "chain-ec.pem", true,
	 "pins = [ \"{pin:ca.pem}\" ]; " OTHER_BACKUP "position = \"root\"; ",
	 T_2026_06_01, MISMATCH, "fail",
	 "no root: no earlier step validated the path", false},
	/* Certificate hashes, any case, with or without colons. */
	{"/pin/cert-hash/leaf", "chain-ec.pem", false,
	 "pins = [ \"{hash:leaf-ec.pem}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {hash:leaf-ec.pem} matched the leaf",
	 false},
	{"/pin/cert-hash/colons-upper-case", "chain-ec.pem", false,
	 "pins = [ \"{HASH:leaf-ec.pem}\" ]; " SPARE_BACKUP, T_2026_06_01,
	 TRUSTED, "pass", "primary pin {hash:leaf-ec.pem} matched", false},
	{"/pin/cert-hash/anchor", "chain-rsa.pem", false,
	 "pins = [ \"{hash:ca.pem}\" ]; " SPARE_BACKUP "position = \"root\"; ",
	 T_2026_06_01, TRUSTED, "pass", "matched the root (trust anchor)",
	 false},
	{"/pin/cert-hash/other-certificate", "chain-ec.pem", false,
	 "pins = [ \"{hash:leaf-rotated.pem}\" ]; " SPARE_BACKUP
	 "position = \"leaf\"; ",
	 T_2026_06_01, MISMATCH, "fail",
	 "leaf {pin:leaf-ec.pem} {hash:leaf-ec.pem}", false},
	/* expires: enforced up to and at the time, ignored after it. */
	{"/pin/expiry/enforced-before", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP "expires = \"2027-01-01\"; ", T_2026_06_01,
	 MISMATCH, "fail", "no pin matched", false},
	{"/pin/expiry/enforced-at-the-second", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP "expires = \"2027-01-01\"; ", T_2027_01_01,
	 MISMATCH, "fail", "no pin matched", false},
	{"/pin/expiry/lapsed-after", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP "expires = \"2027-01-01\"; ", T_2027_06_01,
	 TRUSTED, "ignore",
	 "pinning lapsed at 2027-01-01T00:00:00Z (expires): pins not checked",
	 false},
	{"/pin/expiry/lapsed-report-no-audit", "chain-unpinned.pem", false,
	 EC_PINNED SPARE_BACKUP "expires = \"2027-01-01\"; mode = \"report\"; ",
	 T_2027_06_01, TRUSTED, "ignore", "pinning lapsed", false},
};

static void run_verify_case(const verify_case *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine =
		engine_for(c->settings, c->pin_only, &error);
	g_autoptr(tv_result) result = NULL;
	g_autofree char *message = expand(c->message, NULL);
	const tv_trace_entry *e;
	audit_record *ev;

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	audit_reset();
	result = verify_at(engine, c->chain, c->time);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);

	e = tv_test_find_step(result, "pin");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	if (tv_result_get_verdict(result) != c->verdict ||
	    tv_result_get_reasons(result) != c->reasons ||
	    strcmp(e->verdict, c->step) != 0 ||
	    strstr(e->message, message) == NULL) {
		g_autofree char *json = tv_result_to_json(result);

		fprintf(stderr,
			"\n  want verdict %d reasons 0x%x step %s '%s'\n"
			"  got %s\n",
			c->verdict, c->reasons, c->step, message, json);
	}
	CU_ASSERT_STRING_EQUAL(tv_result_get_endpoint(result), "pinned");
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), c->verdict);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), c->reasons);
	CU_ASSERT_STRING_EQUAL(e->verdict, c->step);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->message, message));
	if (strcmp(c->step, "fail") == 0)
		CU_ASSERT_EQUAL(e->reasons, TV_REASON_PIN_MISMATCH);

	CU_ASSERT_EQUAL_FATAL(audit_events->len, c->audit ? 1u : 0u);
	if (!c->audit)
		return;
	ev = audit_events->pdata[0];
	CU_ASSERT_STRING_EQUAL(ev->event, "pin-report-mismatch");
	CU_ASSERT_STRING_EQUAL(ev->reason, "pin-mismatch");
	CU_ASSERT_STRING_EQUAL(ev->host, HOST);
	CU_ASSERT_STRING_EQUAL(ev->endpoint, "pinned");
	CU_ASSERT_PTR_NOT_NULL(strstr(ev->message, "no pin matched"));
}

#define VERIFY_TEST(i)                                                         \
	static void verify_case_##i(void)                                      \
	{                                                                      \
		run_verify_case(&verify_cases[i]);                             \
	}

VERIFY_TEST(0)
VERIFY_TEST(1)
VERIFY_TEST(2)
VERIFY_TEST(3)
VERIFY_TEST(4)
VERIFY_TEST(5)
VERIFY_TEST(6)
VERIFY_TEST(7)
VERIFY_TEST(8)
VERIFY_TEST(9)
VERIFY_TEST(10)
VERIFY_TEST(11)
VERIFY_TEST(12)
VERIFY_TEST(13)
VERIFY_TEST(14)
VERIFY_TEST(15)
VERIFY_TEST(16)
VERIFY_TEST(17)
VERIFY_TEST(18)
VERIFY_TEST(19)
VERIFY_TEST(20)
VERIFY_TEST(21)
VERIFY_TEST(22)
VERIFY_TEST(23)
VERIFY_TEST(24)
VERIFY_TEST(25)
VERIFY_TEST(26)
VERIFY_TEST(27)
VERIFY_TEST(28)
VERIFY_TEST(29)
VERIFY_TEST(30)
VERIFY_TEST(31)

static const CU_TestFunc verify_fns[] = {
	verify_case_0,	verify_case_1,	verify_case_2,	verify_case_3,
	verify_case_4,	verify_case_5,	verify_case_6,	verify_case_7,
	verify_case_8,	verify_case_9,	verify_case_10, verify_case_11,
	verify_case_12, verify_case_13, verify_case_14, verify_case_15,
	verify_case_16, verify_case_17, verify_case_18, verify_case_19,
	verify_case_20, verify_case_21, verify_case_22, verify_case_23,
	verify_case_24, verify_case_25, verify_case_26, verify_case_27,
	verify_case_28, verify_case_29, verify_case_30, verify_case_31,
};

G_STATIC_ASSERT(G_N_ELEMENTS(verify_fns) == G_N_ELEMENTS(verify_cases));

/* ---- load errors: every one names file:line and what is wrong --------- */

typedef struct {
	const char *name;
	const char *settings; /* pin step settings (expanded) */
	const char *what;     /* in the error message (expanded) */
} load_case;

static const load_case load_cases[] = {
	{"/pin/load/base64-wrong-length", "pins = [ \"{len:31}\" ];",
	 "decodes to 31 bytes; a SHA-256 pin has 32"},
	{"/pin/load/base64-too-long", "pins = [ \"{len:48}\" ];",
	 "decodes to 48 bytes"},
	{"/pin/load/bad-base64",
	 "pins = [ \"sha256//@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\" ];",
	 "is not valid base64"},
	{"/pin/load/base64-without-padding",
	 "pins = [ \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\" ];",
	 "is not valid base64"},
	{"/pin/load/empty-base64", "pins = [ \"sha256//\" ];",
	 "is not valid base64"},
	{"/pin/load/bad-hex",
	 "pins = [ \"sha256:zz00000000000000000000000000000000000000000000000"
	 "000000000000000\" ];",
	 "is not a SHA-256 certificate hash"},
	{"/pin/load/short-hex",
	 "pins = [ \"sha256:00000000000000000000000000000000000000000000000000"
	 "00000000000\" ];",
	 "is not a SHA-256 certificate hash"},
	{"/pin/load/misplaced-colons",
	 "pins = [ "
	 "\"sha256:000:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
	 "00:00:00:00:00:00:00:00:00:00:00:00:00:00:0\" ];",
	 "is not a SHA-256 certificate hash"},
	{"/pin/load/sha1-algorithm",
	 "pins = [ \"sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=\" ];",
	 "unknown pin algorithm 'sha1'"},
	{"/pin/load/sha384-algorithm",
	 "pins = [ "
	 "\"sha384//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	 "AAAAAAAAAAA\" ];",
	 "unknown pin algorithm 'sha384'"},
	{"/pin/load/md5-certificate-hash",
	 "pins = [ \"md5:00000000000000000000000000000000\" ];",
	 "unknown pin algorithm 'md5'"},
	{"/pin/load/backup-unknown-algorithm",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; backup = [ \"sha512//AA==\" ];",
	 "key 'backup': 'sha512//AA==': unknown pin algorithm"},
	{"/pin/load/unreadable-file", "pins = [ \"/nonexistent/leaf.pem\" ];",
	 "cannot read pin file"},
	{"/pin/load/garbage-file", "pins = [ \"{file:garbage.pem}\" ];",
	 "holds no PEM certificate or public key"},
	{"/pin/load/chain-file", "pins = [ \"{file:chain-ec.pem}\" ];",
	 "holds 2 certificates"},
	{"/pin/load/private-key-file", "pins = [ \"{file:leaf-ec.key}\" ];",
	 "holds no PEM certificate or public key"},
	{"/pin/load/backup-equals-primary",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; backup = [ \"{pin:leaf-ec.pem}\" "
	 "];",
	 "key 'backup': backup pin {pin:leaf-ec.pem} matches a primary pin"},
	{"/pin/load/backup-file-is-primary-key",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; backup = [ \"{file:leaf-ec.pub}\" "
	 "];",
	 "matches a primary pin"},
	{"/pin/load/backup-hash-of-primary-certificate",
	 "pins = [ \"{file:leaf-ec.pem}\" ]; backup = [ \"{hash:leaf-ec.pem}\" "
	 "];",
	 "backup pin {hash:leaf-ec.pem} matches a primary pin"},
	{"/pin/load/backup-certificate-of-primary-hash",
	 "pins = [ \"{hash:leaf-ec.pem}\" ]; backup = [ \"{file:leaf-ec.pem}\" "
	 "];",
	 "matches a primary pin"},
	{"/pin/load/missing-pins", "backup = [ \"{pin:spare.pub}\" ];",
	 "key 'pins': missing"},
	{"/pin/load/empty-pins", "pins = [ ];", "key 'pins': empty list"},
	{"/pin/load/empty-pin-string", "pins = [ \"\" ];", "empty path"},
	{"/pin/load/pins-wrong-type", "pins = 3;",
	 "must be a string or a list of strings"},
	{"/pin/load/unknown-position",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; position = \"middle\";",
	 "unknown position 'middle'"},
	{"/pin/load/unknown-mode",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; mode = \"audit\";",
	 "unknown mode 'audit'"},
	{"/pin/load/bad-expires",
	 "pins = [ \"{pin:leaf-ec.pem}\" ]; expires = \"next year\";",
	 "key 'expires'"},
	{"/pin/load/unknown-key", "pins = [ \"{pin:leaf-ec.pem}\" ]; pinz = 1;",
	 "unknown key 'pinz'"},
};

static void run_load_case(const load_case *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for(c->settings, false, &error);
	g_autofree char *what = expand(c->what, NULL);

	CU_ASSERT_PTR_NULL(engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (strstr(error->message, STEP_LOCATION) == NULL ||
	    strstr(error->message, what) == NULL)
		fprintf(stderr, "\n  want '%s' and '%s' in: %s\n",
			STEP_LOCATION, what, error->message);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, STEP_LOCATION));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, what));
}

#define LOAD_TEST(i)                                                           \
	static void load_case_##i(void)                                        \
	{                                                                      \
		run_load_case(&load_cases[i]);                                 \
	}

LOAD_TEST(0)
LOAD_TEST(1)
LOAD_TEST(2)
LOAD_TEST(3)
LOAD_TEST(4)
LOAD_TEST(5)
LOAD_TEST(6)
LOAD_TEST(7)
LOAD_TEST(8)
LOAD_TEST(9)
LOAD_TEST(10)
LOAD_TEST(11)
LOAD_TEST(12)
LOAD_TEST(13)
LOAD_TEST(14)
LOAD_TEST(15)
LOAD_TEST(16)
LOAD_TEST(17)
LOAD_TEST(18)
LOAD_TEST(19)
LOAD_TEST(20)
LOAD_TEST(21)
LOAD_TEST(22)
LOAD_TEST(23)
LOAD_TEST(24)
LOAD_TEST(25)
LOAD_TEST(26)
LOAD_TEST(27)

static const CU_TestFunc load_fns[] = {
	load_case_0,  load_case_1,  load_case_2,  load_case_3,	load_case_4,
	load_case_5,  load_case_6,  load_case_7,  load_case_8,	load_case_9,
	load_case_10, load_case_11, load_case_12, load_case_13, load_case_14,
	load_case_15, load_case_16, load_case_17, load_case_18, load_case_19,
	load_case_20, load_case_21, load_case_22, load_case_23, load_case_24,
	load_case_25, load_case_26, load_case_27,
};

G_STATIC_ASSERT(G_N_ELEMENTS(load_fns) == G_N_ELEMENTS(load_cases));

/* ---- lint warnings ------------------------------------------------------ */

/* The policy loads; its warnings that mention "pin" or the step line. */
static char **load_warnings(const char *settings)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for(settings, false, &error);

	if (engine == NULL)
		fprintf(stderr, "\n  engine: %s\n",
			error != NULL ? error->message : "(no error set)");
	if (engine == NULL)
		return NULL;
	return tv_engine_dup_warnings(engine);
}

static bool has_warning(char **warnings, const char *what)
{
	for (size_t i = 0; warnings != NULL && warnings[i] != NULL; i++)
		if (strstr(warnings[i], STEP_LOCATION) != NULL &&
		    strstr(warnings[i], what) != NULL)
			return true;
	return false;
}

static void test_warn_no_backup(void)
{
	g_auto(GStrv) w = load_warnings(EC_PINNED);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(has_warning(w, "key 'pins': no backup pin: a key rotation "
				 "will lock clients out"));
}

static void test_warn_none_when_complete(void)
{
	g_auto(GStrv) w = load_warnings(EC_PINNED SPARE_BACKUP
					"expires = \"2099-01-01\";");

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	if (w[0] != NULL)
		fprintf(stderr, "\n  unexpected warning: %s\n", w[0]);
	CU_ASSERT_PTR_NULL(w[0]);
}

static void test_warn_expired(void)
{
	g_auto(GStrv) w = load_warnings(EC_PINNED SPARE_BACKUP
					"expires = \"2020-01-01\";");

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(has_warning(w, "key 'expires': pins lapsed at "
				 "2020-01-01T00:00:00Z"));
}

/* The lint looks at the clock of the load, so the date is relative. */
static void test_warn_expires_soon(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) soon = g_date_time_add_days(now, 10);
	g_autofree char *date = g_date_time_format(soon, "%Y-%m-%d");
	g_autofree char *settings = g_strdup_printf(
		EC_PINNED SPARE_BACKUP "expires = \"%s\";", date);
	g_auto(GStrv) w = load_warnings(settings);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(has_warning(w, "within 30 days"));
}

static void test_warn_duplicate(void)
{
	g_auto(GStrv) w =
		load_warnings("pins = [ \"{pin:leaf-ec.pem}\", "
			      "\"{file:leaf-ec.pem}\" ]; " SPARE_BACKUP);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(has_warning(w, "is listed twice"));
}

/* caps = 0: a chain of only a pin step has no trust anchor (core lint). */
static void test_pin_is_not_an_anchor(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine =
		engine_for(EC_PINNED SPARE_BACKUP, true, &error);
	g_auto(GStrv) w = NULL;
	bool found = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	w = tv_engine_dup_warnings(engine);
	for (size_t i = 0; w != NULL && w[i] != NULL; i++)
		found = found || strstr(w[i], "no trust-anchor step") != NULL;
	CU_ASSERT(found);
}

static void test_dlopen_smoke(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) infos = tv_plugins_scan(plugin_dir, &error);
	const tv_plugin_info *pin = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(infos);
	for (guint i = 0; i < infos->len; i++) {
		const tv_plugin_info *info = infos->pdata[i];

		if (strcmp(info->name, "pin") == 0)
			pin = info;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pin);
	CU_ASSERT_PTR_NULL(pin->error);
	CU_ASSERT_EQUAL(pin->abi_major, 1);
	CU_ASSERT_PTR_NOT_NULL(pin->summary);
}

/* A pem failure is not hidden by a matching pin (both are required). */
static void test_pin_does_not_rescue_untrusted(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_result) result = NULL;
	g_autofree char *dir = tv_test_mkdtemp("conf-pin");
	g_autofree char *other = fixture("other-ca.pem");
	g_autofree char *pin = spki_pin("leaf-ec.pem");
	g_autofree char *backup = spki_pin("spare.pub");
	g_autofree char *policy = g_strdup_printf(
		"endpoints = ( { name = \"pinned\"; hosts = [ \"" HOST "\" ];\n"
		"  chain = ( { use = \"pem\"; control = \"required\"; "
		"bundle = \"%s\"; },\n"
		"    { use = \"pin\"; control = \"required\"; pins = [ \"%s\" "
		"]; "
		"backup = [ \"%s\" ]; } ); },\n"
		"  { name = \"catch-all\"; hosts = [ \"*\" ];\n"
		"    chain = ( { use = \"pem\"; control = \"required\"; "
		"bundle = \"%s\"; } ); } );\n",
		other, pin, backup, other);
	const tv_trace_entry *e;

	tv_test_write(dir, POLICY_FILE, policy);
	engine = tv_engine_new(dir, plugin_dir, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	result = verify_at(engine, "chain-ec.pem", T_2026_06_01);
	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	CU_ASSERT_EQUAL(tv_result_get_verdict(result), TV_VERDICT_REJECTED);
	CU_ASSERT_EQUAL(tv_result_get_reasons(result), TV_REASON_UNTRUSTED);
	e = tv_test_find_step(result, "pin");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->verdict, "pass");
}

/* Report mode: every mismatch counts in the metrics; the audit log gets
 * the first one (the engine rate-limits equal events per endpoint). */
static void test_report_counts(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = engine_for(
		EC_PINNED SPARE_BACKUP "mode = \"report\";", false, &error);
	g_autofree char *metrics = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(engine);
	audit_reset();
	for (int i = 0; i < 3; i++) {
		g_autoptr(tv_result) result =
			verify_at(engine, "chain-unpinned.pem", T_2026_06_01);

		CU_ASSERT_PTR_NOT_NULL_FATAL(result);
		CU_ASSERT_EQUAL(tv_result_get_verdict(result),
				TV_VERDICT_TRUSTED);
	}
	metrics = tv_engine_metrics(engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(metrics);
	CU_ASSERT_PTR_NOT_NULL(strstr(metrics,
				      "tlsverify_pin_report_mismatches_"
				      "total{endpoint=\"pinned\"} 3\n"));
	CU_ASSERT_EQUAL(audit_events->len, 1);
}

static CU_TestInfo other_tests[] = {
	{"/pin/dlopen-smoke", test_dlopen_smoke},
	{"/pin/lint/no-backup", test_warn_no_backup},
	{"/pin/lint/complete-set-no-warning", test_warn_none_when_complete},
	{"/pin/lint/expired", test_warn_expired},
	{"/pin/lint/expires-soon", test_warn_expires_soon},
	{"/pin/lint/duplicate-pin", test_warn_duplicate},
	{"/pin/lint/not-a-trust-anchor", test_pin_is_not_an_anchor},
	{"/pin/report-mode-metrics", test_report_counts},
	{"/pin/pin-does-not-rescue-untrusted",
	 test_pin_does_not_rescue_untrusted},
	CU_TEST_INFO_NULL,
};

static int suite_init(void)
{
	static const char *const names[] = {"pem", "pin", NULL};

	plugin_dir = tv_test_plugin_dir(names);
	return plugin_dir != NULL ? 0 : 1;
}

static int suite_clean(void)
{
	g_clear_pointer(&plugin_dir, g_free);
	return 0;
}

int main(void)
{
	CU_TestInfo verify_tests[G_N_ELEMENTS(verify_cases) + 1];
	CU_TestInfo load_tests[G_N_ELEMENTS(load_cases) + 1];
	CU_SuiteInfo suites[] = {
		{"pin-verify", suite_init, suite_clean, NULL, NULL,
		 verify_tests},
		{"pin-load", suite_init, suite_clean, NULL, NULL, load_tests},
		{"pin-other", suite_init, suite_clean, NULL, NULL, other_tests},
		CU_SUITE_INFO_NULL,
	};
	int status;

	/* Before anything logs: audit events are asserted on. */
	audit_events = g_ptr_array_new_with_free_func(
		(GDestroyNotify)audit_record_free);
	g_log_set_writer_func(capture_writer, NULL, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(verify_cases); i++) {
		verify_tests[i].pName = verify_cases[i].name;
		verify_tests[i].pTestFunc = verify_fns[i];
	}
	verify_tests[G_N_ELEMENTS(verify_cases)] =
		(CU_TestInfo)CU_TEST_INFO_NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(load_cases); i++) {
		load_tests[i].pName = load_cases[i].name;
		load_tests[i].pTestFunc = load_fns[i];
	}
	load_tests[G_N_ELEMENTS(load_cases)] = (CU_TestInfo)CU_TEST_INFO_NULL;
	status = tv_test_run(suites);
	g_ptr_array_unref(audit_events);
	return status;
}
