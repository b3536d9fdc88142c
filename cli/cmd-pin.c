/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify pin`: the sha256// pin of every certificate of a chain or a key.
 */
#include "cli.h"
#include "fetch.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>

#define PIN_MAX_FILE (16u * 1024 * 1024)
#define PIN_DEFAULT_TIMEOUT 10
#define PIN_MAX_TIMEOUT 3600

static const cli_command_help pin_help = {
	.name = "pin",
	.parameters = "FILE.pem | HOST:PORT",
	.summary =
		"Print the SHA-256 pins of every certificate of a chain: the "
		"key pin\n"
		"(sha256//<base64 of the DER SubjectPublicKeyInfo>, curl's "
		"form) and the\n"
		"certificate hash (sha256:<hex>), with a policy snippet for "
		"the "
		"pin plugin.\n"
		"FILE.pem holds PEM certificates (leaf first), or one public "
		"or private key\n"
		"(only its public half is used).  HOST:PORT ([IPv6]:PORT) "
		"connects and takes\n"
		"the chain the server presents.\n"
		"\n"
		"Fetching trusts nothing: the handshake verifies no "
		"certificate and no name,\n"
		"so what it prints is what the server sent, not what is "
		"trustworthy.  Check\n"
		"the pins out of band before you put them in a policy.",
	.description =
		"Output: per certificate\n"
		"  certificate N: POSITION        (leaf, intermediate N, root; "
		"key for a key)\n"
		"    subject:   DN\n"
		"    issuer:    DN\n"
		"    not after: RFC 3339 time\n"
		"    pin:       sha256//BASE64\n"
		"    cert hash: sha256:HEX\n"
		"then a libconfig snippet (pins = [ ... ]; backup = [ ... ];) "
		"for a pin step.\n"
		"With --json, standard output holds one object:\n"
		"  {\"certificates\": [{\"position\", \"subject\", \"issuer\", "
		"\"not_after\",\n"
		"    \"pin_sha256\", \"cert_sha256\"}], \"snippet\": \"...\"}\n"
		"\n"
		"Exit status:\n"
		"  0  ok\n"
		"  2  usage error, unreadable file, nothing usable in it, or "
		"the "
		"server could\n"
		"     not be reached",
};

/* One certificate (or key) of the output; NULL members print as null. */
typedef struct {
	char *position;
	char *subject;
	char *issuer;
	char *not_after;
	char *pin;
	char *cert_hash;
	bool is_leaf;
	bool is_intermediate;
} pin_row;

static void pin_row_free(pin_row *row)
{
	g_free(row->position);
	g_free(row->subject);
	g_free(row->issuer);
	g_free(row->not_after);
	g_free(row->pin);
	g_free(row->cert_hash);
	g_free(row);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(pin_row, pin_row_free)

/* "sha256//" + base64 of the SHA-256 of @key's DER SPKI; NULL on error. */
static char *dup_key_pin(gnutls_pubkey_t key)
{
	gnutls_datum_t der = {NULL, 0};
	unsigned char digest[32];
	g_autofree char *b64 = NULL;
	int ret;

	ret = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der);
	if (ret >= 0)
		ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
				       digest);
	gnutls_free(der.data);
	if (ret < 0)
		return NULL;
	b64 = g_base64_encode(digest, sizeof(digest));
	return g_strconcat("sha256//", b64, NULL);
}

static char *dup_cert_hash(const gnutls_datum_t *der)
{
	unsigned char digest[32];
	GString *s;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, digest) <
	    0)
		return NULL;
	s = g_string_new("sha256:");
	for (size_t i = 0; i < sizeof(digest); i++)
		g_string_append_printf(s, "%02x", digest[i]);
	return g_string_free(s, FALSE);
}

static char *dup_dn(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t dn = {NULL, 0};
	char *out;
	int ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0)
			 : gnutls_x509_crt_get_dn3(crt, &dn, 0);

	if (ret < 0 || dn.size == 0)
		out = g_strdup("");
	else
		out = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return out;
}

static char *dup_time(time_t t)
{
	g_autoptr(GDateTime) dt = NULL;

	if (t == (time_t)-1)
		return NULL;
	dt = g_date_time_new_from_unix_utc((gint64)t);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

static bool crt_is_ca(gnutls_x509_crt_t crt)
{
	unsigned int ca = 0;

	return gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL) >=
		       0 &&
	       ca != 0;
}

/*
 * Where certificate @index of the file or the handshake sits: a
 * self-signed CA is the root; the first certificate, unless it is a CA,
 * is the leaf; anything else is an intermediate.
 */
static char *dup_position(gnutls_x509_crt_t crt, size_t index, pin_row *row)
{
	bool ca = crt_is_ca(crt);

	if (gnutls_x509_crt_check_issuer(crt, crt) == 1 && (ca || index > 0))
		return g_strdup("root");
	if (index == 0 && !ca) {
		row->is_leaf = true;
		return g_strdup("leaf");
	}
	row->is_intermediate = true;
	return g_strdup_printf("intermediate %zu", MAX(index, (size_t)1));
}

/* One row for the DER certificate @der at @index; NULL with @error. */
static pin_row *row_for_der(const gnutls_datum_t *der, size_t index,
			    GError **error)
{
	g_autoptr(pin_row) row = g_new0(pin_row, 1);
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	int ret;

	ret = gnutls_x509_crt_init(&crt);
	if (ret >= 0)
		ret = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER);
	if (ret >= 0)
		ret = gnutls_pubkey_init(&key);
	if (ret >= 0)
		ret = gnutls_pubkey_import_x509(key, crt, 0);
	if (ret >= 0) {
		row->pin = dup_key_pin(key);
		row->cert_hash = dup_cert_hash(der);
		if (row->pin == NULL || row->cert_hash == NULL)
			ret = GNUTLS_E_HASH_FAILED;
	}
	if (ret >= 0) {
		row->position = dup_position(crt, index, row);
		row->subject = dup_dn(crt, false);
		row->issuer = dup_dn(crt, true);
		row->not_after =
			dup_time(gnutls_x509_crt_get_expiration_time(crt));
	}
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "certificate %zu: %s", index + 1,
			    gnutls_strerror(ret));
		return NULL;
	}
	return g_steal_pointer(&row);
}

/* The row of a PEM public key, or of the public half of a private key. */
static pin_row *row_for_key(const gnutls_datum_t *pem, GError **error)
{
	g_autoptr(pin_row) row = g_new0(pin_row, 1);
	gnutls_pubkey_t key = NULL;
	gnutls_privkey_t priv = NULL;
	int ret;

	ret = gnutls_pubkey_init(&key);
	if (ret >= 0 &&
	    gnutls_pubkey_import(key, pem, GNUTLS_X509_FMT_PEM) < 0) {
		/* Not a public key: maybe an unencrypted private key. */
		ret = gnutls_privkey_init(&priv);
		if (ret >= 0)
			ret = gnutls_privkey_import_x509_raw(
				priv, pem, GNUTLS_X509_FMT_PEM, NULL,
				GNUTLS_PKCS_PLAIN);
		if (ret >= 0)
			ret = gnutls_pubkey_import_privkey(key, priv, 0, 0);
	}
	if (ret >= 0) {
		row->pin = dup_key_pin(key);
		if (row->pin == NULL)
			ret = GNUTLS_E_HASH_FAILED;
	}
	if (priv != NULL)
		gnutls_privkey_deinit(priv);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "no PEM certificate, public key or unencrypted "
			    "private key: %s",
			    gnutls_strerror(ret));
		return NULL;
	}
	row->position = g_strdup("key");
	row->is_leaf = true;
	return g_steal_pointer(&row);
}

/* Rows for every certificate of PEM @data, or for the one key it holds. */
static GPtrArray *rows_for_pem(const gnutls_datum_t *data, GError **error)
{
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)pin_row_free);
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0;
	int ret;

	ret = gnutls_x509_crt_list_import2(&crts, &n, data, GNUTLS_X509_FMT_PEM,
					   0);
	if (ret < 0 || n == 0) {
		pin_row *row = row_for_key(data, error);

		if (row == NULL)
			return NULL;
		g_ptr_array_add(rows, row);
		return g_steal_pointer(&rows);
	}
	for (unsigned int i = 0; i < n; i++) {
		gnutls_datum_t der = {NULL, 0};
		pin_row *row = NULL;

		/* After a failure, only free what is left. */
		if (ret >= 0)
			ret = gnutls_x509_crt_export2(
				crts[i], GNUTLS_X509_FMT_DER, &der);
		if (ret >= 0)
			row = row_for_der(&der, i, error);
		if (row != NULL)
			g_ptr_array_add(rows, row);
		else if (ret >= 0)
			ret = GNUTLS_E_CERTIFICATE_ERROR; /* @error is set */
		else if (error != NULL && *error == NULL)
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "certificate %u: %s", i + 1,
				    gnutls_strerror(ret));
		gnutls_free(der.data);
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	if (ret < 0)
		return NULL;
	return g_steal_pointer(&rows);
}

static GPtrArray *rows_for_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gnutls_datum_t datum;
	GPtrArray *rows;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, error))
		return NULL;
	if (len == 0 || len > PIN_MAX_FILE) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "%s: no PEM certificate or key", path);
		return NULL;
	}
	datum.data = (unsigned char *)data;
	datum.size = (unsigned int)len;
	rows = rows_for_pem(&datum, error);
	/* The file may have held a private key. */
	gnutls_memset(data, 0, len);
	if (rows == NULL)
		g_prefix_error(error, "%s: ", path);
	return rows;
}

static GPtrArray *rows_for_server(const char *host, uint16_t port,
				  const char *sni, unsigned timeout_s,
				  GError **error)
{
	g_autoptr(GPtrArray) ders = NULL;
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)pin_row_free);

	if (!cli_fetch_chain(host, port, sni, timeout_s, &ders, error))
		return NULL;
	for (guint i = 0; i < ders->len; i++) {
		gsize size = 0;
		gnutls_datum_t der;
		pin_row *row;

		der.data = (unsigned char *)g_bytes_get_data(ders->pdata[i],
							     &size);
		der.size = (unsigned int)size;
		row = row_for_der(&der, i, error);
		if (row == NULL)
			return NULL;
		g_ptr_array_add(rows, row);
	}
	return g_steal_pointer(&rows);
}

/* ---- the policy snippet ------------------------------------------------ */

/*
 * The leaf's pin as primary; the first intermediate's as the suggested
 * backup (a leaf rotation under the same CA keeps passing).
 */
static char *dup_snippet(const GPtrArray *rows, const char *source)
{
	GString *s = g_string_new(NULL);
	const pin_row *primary = NULL;
	const pin_row *second = NULL;
	g_autofree char *what = NULL;

	for (guint i = 0; i < rows->len; i++) {
		const pin_row *row = rows->pdata[i];

		if (row->is_leaf && primary == NULL)
			primary = row;
		else if (row->is_intermediate && second == NULL)
			second = row;
	}
	if (primary == NULL)
		primary = rows->pdata[0];
	if (second == primary)
		second = NULL;
	what = primary->subject != NULL ? cli_dup_printable(primary->subject)
					: g_strdup("the public key");
	g_string_append_printf(s,
			       "# Pins for %s (from %s), for a step\n"
			       "#   { use = \"pin\"; control = \"required\"; "
			       "... }\n"
			       "# after the endpoint's trust-anchor step.\n",
			       what, source);
	if (second != NULL)
		g_string_append(
			s, "# backup holds the issuing CA's key, so that a new "
			   "leaf key from the\n"
			   "# same CA still passes (position \"any\").  "
			   "A real backup is a key that\n"
			   "# is not deployed yet: generate a spare key, keep "
			   "it offline, and add\n"
			   "# the pin printed by `tlsverify pin "
			   "spare-key.pem`.\n");
	else
		g_string_append(
			s, "# Add a backup: a key that is not deployed yet.  "
			   "Generate a spare key,\n"
			   "# keep it offline, and put the pin printed by "
			   "`tlsverify pin spare-key.pem`\n"
			   "# in backup; without one a key rotation locks "
			   "clients out.\n");
	g_string_append_printf(s, "pins = [ \"%s\" ];\n", primary->pin);
	if (second != NULL)
		g_string_append_printf(s, "backup = [ \"%s\" ];\n",
				       second->pin);
	else
		g_string_append(s, "# backup = [ \"sha256//<pin of the spare "
				   "key>\" ];\n");
	return g_string_free(s, FALSE);
}

/* ---- output ------------------------------------------------------------- */

static void print_field(const char *label, const char *value)
{
	g_autofree char *printable = NULL;

	if (value == NULL)
		return;
	printable = cli_dup_printable(value);
	printf("  %-10s %s\n", label, printable);
}

static void print_human(const GPtrArray *rows, const char *snippet)
{
	for (guint i = 0; i < rows->len; i++) {
		const pin_row *row = rows->pdata[i];

		printf("certificate %u: %s\n", i + 1, row->position);
		print_field("subject:", row->subject);
		print_field("issuer:", row->issuer);
		print_field("not after:", row->not_after);
		print_field("pin:", row->pin);
		print_field("cert hash:", row->cert_hash);
		printf("\n");
	}
	fputs(snippet, stdout);
}

static void add_string_or_null(JsonBuilder *b, const char *key,
			       const char *value)
{
	json_builder_set_member_name(b, key);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void print_json(const GPtrArray *rows, const char *snippet)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "certificates");
	json_builder_begin_array(b);
	for (guint i = 0; i < rows->len; i++) {
		const pin_row *row = rows->pdata[i];

		json_builder_begin_object(b);
		add_string_or_null(b, "position", row->position);
		add_string_or_null(b, "subject", row->subject);
		add_string_or_null(b, "issuer", row->issuer);
		add_string_or_null(b, "not_after", row->not_after);
		add_string_or_null(b, "pin_sha256", row->pin);
		add_string_or_null(b, "cert_sha256", row->cert_hash);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_string_or_null(b, "snippet", snippet);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}

/* ---- operands ----------------------------------------------------------- */

/*
 * Splits "HOST:PORT" or "[IPv6]:PORT".  Returns false (not an address)
 * when @text has no port.
 */
static bool split_host_port(const char *text, char **host, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	guint64 value;

	if (colon == NULL || colon == text ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &value, NULL))
		return false;
	if (text[0] == '[') {
		if (colon[-1] != ']' || colon - text < 3)
			return false;
		*host = g_strndup(text + 1, (gsize)(colon - text - 2));
	} else {
		if (memchr(text, ':', (size_t)(colon - text)) != NULL)
			return false; /* a bare IPv6 literal needs brackets */
		*host = g_strndup(text, (gsize)(colon - text));
	}
	*port = (uint16_t)value;
	return true;
}

static bool parse_timeout(const char *text, unsigned *timeout_s)
{
	guint64 value;

	if (text == NULL) {
		*timeout_s = PIN_DEFAULT_TIMEOUT;
		return true;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, PIN_MAX_TIMEOUT, &value,
					NULL)) {
		cli_usage_error("pin", "--timeout: '%s' is not 1-%d seconds",
				text, PIN_MAX_TIMEOUT);
		return false;
	}
	*timeout_s = (unsigned)value;
	return true;
}

int cmd_pin(cli_globals *globals, int argc, char **argv)
{
	g_autofree char *sni = NULL;
	g_autofree char *timeout_text = NULL;
	g_auto(GStrv) operands = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"sni", 0, 0, G_OPTION_ARG_STRING, &sni,
		 "Server name to send (default: HOST unless an address)",
		 "NAME"},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
		 "Seconds for connecting and the handshake (default 10)", "S"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 "Print one JSON object", NULL},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		 &operands, NULL, "FILE.pem|HOST:PORT"},
		{NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autofree char *host = NULL;
	g_autofree char *snippet = NULL;
	g_autofree char *source = NULL;
	unsigned timeout_s;
	uint16_t port = 0;
	int status;

	if (!cli_parse_command(&pin_help, entries, globals, &argc, &argv,
			       &status))
		return status;
	if (operands == NULL || operands[0] == NULL) {
		cli_usage_error("pin", "missing FILE.pem or HOST:PORT");
		return CLI_EXIT_ERROR;
	}
	if (operands[1] != NULL) {
		cli_usage_error("pin", "unexpected argument '%s'", operands[1]);
		return CLI_EXIT_ERROR;
	}
	if (!parse_timeout(timeout_text, &timeout_s))
		return CLI_EXIT_ERROR;

	/* An existing file wins over an address that looks the same. */
	if (!g_file_test(operands[0], G_FILE_TEST_EXISTS) &&
	    split_host_port(operands[0], &host, &port)) {
		rows = rows_for_server(host, port, sni, timeout_s, &error);
		source = cli_dup_printable(operands[0]);
	} else {
		if (sni != NULL || timeout_text != NULL) {
			cli_usage_error("pin", "--sni and --timeout apply to "
					       "HOST:PORT only");
			return CLI_EXIT_ERROR;
		}
		rows = rows_for_file(operands[0], &error);
		source = cli_dup_printable(operands[0]);
	}
	if (rows == NULL) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}

	snippet = dup_snippet(rows, source);
	if (json)
		print_json(rows, snippet);
	else
		print_human(rows, snippet);
	return CLI_EXIT_OK;
}
