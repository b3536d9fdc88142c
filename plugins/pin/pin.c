/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "pin": SPKI and certificate-hash pins with backups, expiry, report. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-pin"

#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <tlsverify/plugin.h>

#define PIN_DIGEST_LEN 32 /* SHA-256 */
#define PIN_HEX_LEN 64
#define PIN_HEX_COLON_LEN 95 /* "AB:CD:..." as Envoy and openssl print */
#define PIN_SPKI_PREFIX "sha256//"
#define PIN_CERT_PREFIX "sha256:"
/* A pin file holds one certificate or key: refuse to slurp a disk image. */
#define PIN_MAX_FILE (1024 * 1024)
/* expires closer than this to the load time is worth a lint warning. */
#define PIN_EXPIRY_WARN_SECONDS (30 * 24 * 3600)

typedef enum {
	PIN_POS_ANY,
	PIN_POS_LEAF,
	PIN_POS_INTERMEDIATE,
	PIN_POS_ROOT,
} pin_position;

static const char *const position_names[] = {
	[PIN_POS_ANY] = "any",
	[PIN_POS_LEAF] = "leaf",
	[PIN_POS_INTERMEDIATE] = "intermediate",
	[PIN_POS_ROOT] = "root",
};

typedef enum {
	PIN_MODE_ENFORCE,
	PIN_MODE_REPORT,
} pin_mode;

/* One configured digest, as looked up on the verify path. */
typedef struct {
	unsigned char digest[PIN_DIGEST_LEN];
	bool backup;
	char *text; /* canonical "sha256//..." or "sha256:hex", for messages */
} pin_entry;

/* Built once in open(); read-only afterwards, shared by all verify calls. */
typedef struct {
	pin_entry *spki; /* sorted by digest */
	size_t n_spki;
	pin_entry *cert; /* sorted by digest; n_cert == 0 skips cert hashing */
	size_t n_cert;
	size_t n_backup;
	pin_position position;
	pin_mode mode;
	bool has_expires;
	int64_t expires;
	char *expires_text;
	const tv_host *host;
} pin_state;

static void pin_entries_free(pin_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_free(entries[i].text);
	g_free(entries);
}

static void pin_state_free(pin_state *st)
{
	if (st == NULL)
		return;
	pin_entries_free(st->spki, st->n_spki);
	pin_entries_free(st->cert, st->n_cert);
	g_free(st->expires_text);
	g_free(st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(pin_state, pin_state_free)

/* ---- reading pins at load time ------------------------------------------ */

typedef enum {
	PIN_KIND_SPKI, /* SHA-256 of the DER SubjectPublicKeyInfo */
	PIN_KIND_CERT, /* SHA-256 of the whole DER certificate */
} pin_kind;

/*
 * One pin as written in the policy, decoded.  A pin taken from a
 * certificate file also remembers that certificate's hash, so that a
 * backup can be checked against the certificates configured as primary.
 */
typedef struct {
	pin_kind kind;
	unsigned char digest[PIN_DIGEST_LEN];
	bool has_cert_digest;
	unsigned char cert_digest[PIN_DIGEST_LEN];
	bool backup;
} pin_parsed;

static char *format_spki_pin(const unsigned char *digest)
{
	g_autofree char *b64 = g_base64_encode(digest, PIN_DIGEST_LEN);

	return g_strconcat(PIN_SPKI_PREFIX, b64, NULL);
}

static char *format_cert_pin(const unsigned char *digest)
{
	GString *s = g_string_new(PIN_CERT_PREFIX);

	for (size_t i = 0; i < PIN_DIGEST_LEN; i++)
		g_string_append_printf(s, "%02x", digest[i]);
	return g_string_free(s, FALSE);
}

/*
 * The algorithm token in front of "//" or ":" when @text has the shape of
 * a pin ("sha256//...", "sha1//...", "sha256:..."), else NULL: anything
 * else names a file.  A file whose name looks like a pin can be written
 * as "./name".
 */
static char *pin_algorithm(const char *text, bool *spki_form)
{
	size_t n = 0;

	if (!g_ascii_isalpha(text[0]))
		return NULL;
	while (g_ascii_isalnum(text[n]) || text[n] == '-')
		n++;
	if (text[n] == '/' && text[n + 1] == '/') {
		*spki_form = true;
		return g_ascii_strdown(text, (gssize)n);
	}
	if (text[n] == ':' && strchr(text + n, '/') == NULL) {
		*spki_form = false;
		return g_ascii_strdown(text, (gssize)n);
	}
	return NULL;
}

/*
 * "sha256//<base64>": glib's decoder skips characters outside the
 * alphabet, so the text must also be exactly what encoding the decoded
 * bytes gives back.
 */
static bool parse_spki_pin(const tv_settings *settings, const char *key,
			   const char *text, pin_parsed *out, GError **error)
{
	const char *b64 = text + strlen(PIN_SPKI_PREFIX);
	g_autofree guchar *raw = NULL;
	g_autofree char *again = NULL;
	gsize len = 0;

	raw = g_base64_decode(b64, &len);
	again = g_base64_encode(raw, len);
	if (*b64 == '\0' || strcmp(again, b64) != 0) {
		tv_settings_set_error(settings, key, error,
				      "'%s' is not valid base64 after "
				      "'" PIN_SPKI_PREFIX "'",
				      text);
		return false;
	}
	if (len != PIN_DIGEST_LEN) {
		tv_settings_set_error(settings, key, error,
				      "'%s' decodes to %zu bytes; a SHA-256 "
				      "pin has %d",
				      text, (size_t)len, PIN_DIGEST_LEN);
		return false;
	}
	out->kind = PIN_KIND_SPKI;
	memcpy(out->digest, raw, PIN_DIGEST_LEN);
	return true;
}

/* "sha256:<hex>": 64 hex digits, or 32 colon-separated pairs; any case. */
static bool parse_cert_pin(const tv_settings *settings, const char *key,
			   const char *text, pin_parsed *out, GError **error)
{
	const char *hex = text + strlen(PIN_CERT_PREFIX);
	size_t len = strlen(hex);
	bool colons = len == PIN_HEX_COLON_LEN;
	size_t step = colons ? 3 : 2;

	if (len != PIN_HEX_LEN && !colons)
		goto bad;
	for (size_t i = 0, j = 0; j < PIN_DIGEST_LEN; i += step, j++) {
		if (!g_ascii_isxdigit(hex[i]) || !g_ascii_isxdigit(hex[i + 1]))
			goto bad;
		if (colons && j + 1 < PIN_DIGEST_LEN && hex[i + 2] != ':')
			goto bad;
		out->digest[j] =
			(unsigned char)(g_ascii_xdigit_value(hex[i]) << 4 |
					g_ascii_xdigit_value(hex[i + 1]));
	}
	out->kind = PIN_KIND_CERT;
	return true;
bad:
	tv_settings_set_error(settings, key, error,
			      "'%s' is not a SHA-256 certificate hash: "
			      "expected '" PIN_CERT_PREFIX
			      "' and 64 hex digits, "
			      "optionally as colon-separated pairs",
			      text);
	return false;
}

static bool hash_datum(const gnutls_datum_t *data, unsigned char *digest)
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, data->data, data->size,
				digest) >= 0;
}

/* SHA-256 of @key's DER SubjectPublicKeyInfo, as curl computes it. */
static int pubkey_spki_digest(gnutls_pubkey_t key, unsigned char *digest)
{
	gnutls_datum_t der = {NULL, 0};
	int ret;

	ret = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der);
	if (ret >= 0 && !hash_datum(&der, digest))
		ret = GNUTLS_E_HASH_FAILED;
	gnutls_free(der.data);
	return ret;
}

/* The SPKI digest of @crt and, in @cert_digest, the hash of its DER. */
static int crt_digests(gnutls_x509_crt_t crt, unsigned char *digest,
		       unsigned char *cert_digest)
{
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t der = {NULL, 0};
	int ret;

	ret = gnutls_pubkey_init(&key);
	if (ret >= 0)
		ret = gnutls_pubkey_import_x509(key, crt, 0);
	if (ret >= 0)
		ret = pubkey_spki_digest(key, digest);
	if (ret >= 0)
		ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
	if (ret >= 0 && !hash_datum(&der, cert_digest))
		ret = GNUTLS_E_HASH_FAILED;
	gnutls_free(der.data);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	return ret;
}

/*
 * A pin given as a file: one PEM certificate or one PEM public key; the
 * SPKI pin is computed from it.  More than one certificate is refused: a
 * chain file would silently pin its CA keys too.
 */
static bool parse_pin_pem(const tv_settings *settings, const char *key,
			  const char *path, const gnutls_datum_t *pem,
			  pin_parsed *out, GError **error)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_pubkey_t pub = NULL;
	unsigned int n = 0;
	int ret;

	ret = gnutls_x509_crt_list_import2(&crts, &n, pem, GNUTLS_X509_FMT_PEM,
					   0);
	if (ret >= 0 && n > 0) {
		if (n == 1)
			ret = crt_digests(crts[0], out->digest,
					  out->cert_digest);
		for (unsigned int i = 0; i < n; i++)
			gnutls_x509_crt_deinit(crts[i]);
		gnutls_free(crts);
		if (n > 1) {
			tv_settings_set_error(
				settings, key, error,
				"'%s' holds %u certificates; a pin file "
				"holds one certificate or public key",
				path, n);
			return false;
		}
		if (ret < 0) {
			tv_settings_set_error(settings, key, error,
					      "cannot compute the pin of '%s': "
					      "%s",
					      path, gnutls_strerror(ret));
			return false;
		}
		out->kind = PIN_KIND_SPKI;
		out->has_cert_digest = true;
		return true;
	}

	ret = gnutls_pubkey_init(&pub);
	if (ret >= 0)
		ret = gnutls_pubkey_import(pub, pem, GNUTLS_X509_FMT_PEM);
	if (ret >= 0)
		ret = pubkey_spki_digest(pub, out->digest);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (ret < 0) {
		tv_settings_set_error(settings, key, error,
				      "'%s' holds no PEM certificate or public "
				      "key: %s",
				      path, gnutls_strerror(ret));
		return false;
	}
	out->kind = PIN_KIND_SPKI;
	return true;
}

static bool parse_pin_file(const tv_settings *settings, const char *key,
			   const char *path, pin_parsed *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *data = NULL;
	gnutls_datum_t datum;
	gsize len = 0;
	bool ok;

	if (!g_file_get_contents(path, &data, &len, &local)) {
		tv_settings_set_error(settings, key, error,
				      "cannot read pin file: %s",
				      local->message);
		return false;
	}
	if (len > PIN_MAX_FILE) {
		tv_settings_set_error(settings, key, error,
				      "'%s' is larger than %d bytes: not a "
				      "certificate or public key",
				      path, PIN_MAX_FILE);
		ok = false;
	} else {
		datum.data = (unsigned char *)data;
		datum.size = (unsigned int)len;
		ok = parse_pin_pem(settings, key, path, &datum, out, error);
	}
	/* Someone may point a pin at a private key by mistake. */
	gnutls_memset(data, 0, len);
	return ok;
}

/* Decodes one entry of @key: a sha256// pin, a sha256: hash or a file. */
static bool parse_pin(const tv_settings *settings, const char *key,
		      const char *written, const char *path, pin_parsed *out,
		      GError **error)
{
	g_autofree char *algorithm = NULL;
	bool spki_form = false;

	memset(out, 0, sizeof(*out));
	algorithm = pin_algorithm(written, &spki_form);
	if (algorithm == NULL)
		return parse_pin_file(settings, key, path, out, error);
	if (strcmp(algorithm, "sha256") != 0) {
		tv_settings_set_error(
			settings, key, error,
			"'%s': unknown pin algorithm '%s' (only "
			"'" PIN_SPKI_PREFIX "<base64>' key pins and "
			"'" PIN_CERT_PREFIX "<hex>' certificate hashes; "
			"a file whose name looks like this can be written as "
			"'./%s')",
			written, algorithm, written);
		return false;
	}
	/* The algorithm is case-insensitive; the encoded part is not. */
	if (spki_form)
		return parse_spki_pin(settings, key, written, out, error);
	return parse_cert_pin(settings, key, written, out, error);
}

/* Reads list @key (absent: nothing) into @pins. */
static bool read_pin_list(const tv_settings *settings, const char *key,
			  bool backup, GArray *pins, GError **error)
{
	g_auto(GStrv) written = NULL;
	g_auto(GStrv) paths = NULL;

	/* The same entries twice: as written (pins) and resolved against
	 * the policy file's directory (for the ones that name files). */
	if (!tv_settings_get_strv(settings, key, &written, error) ||
	    !tv_settings_get_pathv(settings, key, &paths, error))
		return false;
	if (written == NULL)
		return true;
	if (written[0] == NULL) {
		tv_settings_set_error(settings, key, error, "empty list");
		return false;
	}
	for (size_t i = 0; written[i] != NULL; i++) {
		pin_parsed p;

		if (paths == NULL || paths[i] == NULL) {
			tv_settings_set_error(settings, key, error,
					      "cannot resolve '%s'",
					      written[i]);
			return false;
		}
		if (!parse_pin(settings, key, written[i], paths[i], &p, error))
			return false;
		p.backup = backup;
		g_array_append_val(pins, p);
	}
	return true;
}

static bool parsed_has(const GArray *pins, bool backup, pin_kind kind,
		       const unsigned char *digest)
{
	for (guint i = 0; i < pins->len; i++) {
		const pin_parsed *p = &g_array_index(pins, pin_parsed, i);

		if (p->backup != backup)
			continue;
		if (p->kind == kind &&
		    memcmp(p->digest, digest, PIN_DIGEST_LEN) == 0)
			return true;
		if (kind == PIN_KIND_CERT && p->has_cert_digest &&
		    memcmp(p->cert_digest, digest, PIN_DIGEST_LEN) == 0)
			return true;
	}
	return false;
}

/*
 * HPKP rule (RFC 7469 4.3): a backup exists for a key that is not
 * deployed yet.  A backup that equals a primary pin, or that matches a
 * certificate configured as primary, would give no way out of a
 * compromised key.
 */
static bool check_backups(const tv_settings *settings, const GArray *pins,
			  GError **error)
{
	for (guint i = 0; i < pins->len; i++) {
		const pin_parsed *b = &g_array_index(pins, pin_parsed, i);
		bool clash;

		if (!b->backup)
			continue;
		clash = parsed_has(pins, false, b->kind, b->digest) ||
			(b->has_cert_digest &&
			 parsed_has(pins, false, PIN_KIND_CERT,
				    b->cert_digest));
		if (clash) {
			g_autofree char *text =
				b->kind == PIN_KIND_SPKI
					? format_spki_pin(b->digest)
					: format_cert_pin(b->digest);

			tv_settings_set_error(
				settings, "backup", error,
				"backup pin %s matches a primary pin: a backup "
				"must be a key that is not deployed yet",
				text);
			return false;
		}
	}
	return true;
}

static int compare_entries(const void *a, const void *b)
{
	return memcmp(((const pin_entry *)a)->digest,
		      ((const pin_entry *)b)->digest, PIN_DIGEST_LEN);
}

/* Fills the sorted lookup table of @kind; duplicates are a warning. */
static pin_entry *build_table(const tv_settings *settings, const GArray *pins,
			      pin_kind kind, size_t *count)
{
	pin_entry *table = g_new0(pin_entry, pins->len);
	size_t n = 0;

	for (guint i = 0; i < pins->len; i++) {
		const pin_parsed *p = &g_array_index(pins, pin_parsed, i);

		if (p->kind != kind)
			continue;
		memcpy(table[n].digest, p->digest, PIN_DIGEST_LEN);
		table[n].backup = p->backup;
		table[n].text = kind == PIN_KIND_SPKI
					? format_spki_pin(p->digest)
					: format_cert_pin(p->digest);
		n++;
	}
	qsort(table, n, sizeof(*table), compare_entries);
	/* Equal digests: the lookup finds either; only primaries remain
	 * equal here (a backup equal to a primary was refused). */
	for (size_t i = 1; i < n; i++)
		if (compare_entries(&table[i - 1], &table[i]) == 0)
			tv_settings_warn(
				settings, table[i].backup ? "backup" : "pins",
				"pin %s is listed twice", table[i].text);
	*count = n;
	return table;
}

static bool read_position(const tv_settings *settings, pin_state *st,
			  GError **error)
{
	const char *text = NULL;

	st->position = PIN_POS_ANY;
	if (!tv_settings_get_string(settings, "position", &text, error))
		return false;
	if (text == NULL)
		return true;
	for (size_t i = 0; i < G_N_ELEMENTS(position_names); i++) {
		if (strcmp(text, position_names[i]) == 0) {
			st->position = (pin_position)i;
			return true;
		}
	}
	tv_settings_set_error(settings, "position", error,
			      "unknown position '%s' (leaf, intermediate, "
			      "root or any)",
			      text);
	return false;
}

static bool read_mode(const tv_settings *settings, pin_state *st,
		      GError **error)
{
	const char *text = NULL;

	st->mode = PIN_MODE_ENFORCE;
	if (!tv_settings_get_string(settings, "mode", &text, error))
		return false;
	if (text == NULL || strcmp(text, "enforce") == 0)
		return true;
	if (strcmp(text, "report") == 0) {
		st->mode = PIN_MODE_REPORT;
		return true;
	}
	tv_settings_set_error(settings, "mode", error,
			      "unknown mode '%s' (enforce or report)", text);
	return false;
}

static char *format_time(int64_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)t);

	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
			  : g_strdup_printf("@%" G_GINT64_FORMAT, (gint64)t);
}

/* expires: lapses the pins; warns when that is near or has happened. */
static bool read_expires(const tv_settings *settings, pin_state *st,
			 GError **error)
{
	int64_t now;

	if (!tv_settings_has(settings, "expires"))
		return true;
	if (!tv_settings_get_time(settings, "expires", &st->expires, error))
		return false;
	st->has_expires = true;
	st->expires_text = format_time(st->expires);
	/* A lint about the wall clock at load time, not a check. */
	now = g_get_real_time() / G_USEC_PER_SEC;
	if (st->expires < now)
		tv_settings_warn(settings, "expires",
				 "pins lapsed at %s: this step checks nothing",
				 st->expires_text);
	else if (st->expires - now < PIN_EXPIRY_WARN_SECONDS)
		tv_settings_warn(settings, "expires",
				 "pins lapse at %s, within 30 days: renew the "
				 "pin set or remove the step",
				 st->expires_text);
	return true;
}

static bool pin_open(const tv_settings *settings, const tv_host *host,
		     void **state, GError **error)
{
	g_autoptr(pin_state) st = NULL;
	g_autoptr(GArray) pins = NULL;
	guint n_primary;

	g_return_val_if_fail(settings != NULL, false);
	g_return_val_if_fail(state != NULL, false);

	st = g_new0(pin_state, 1);
	st->host = host;
	if (!read_position(settings, st, error) ||
	    !read_mode(settings, st, error) ||
	    !read_expires(settings, st, error))
		return false;

	if (!tv_settings_has(settings, "pins")) {
		tv_settings_set_error(settings, "pins", error,
				      "missing: pin needs at least one pin "
				      "(sha256//<base64>, sha256:<hex> or a "
				      "PEM file)");
		return false;
	}
	pins = g_array_new(FALSE, TRUE, sizeof(pin_parsed));
	if (!read_pin_list(settings, "pins", false, pins, error))
		return false;
	n_primary = pins->len;
	if (!read_pin_list(settings, "backup", true, pins, error))
		return false;
	st->n_backup = pins->len - n_primary;
	if (!check_backups(settings, pins, error))
		return false;
	if (st->n_backup == 0)
		tv_settings_warn(settings, "pins",
				 "no backup pin: a key rotation will lock "
				 "clients out");

	st->spki = build_table(settings, pins, PIN_KIND_SPKI, &st->n_spki);
	st->cert = build_table(settings, pins, PIN_KIND_CERT, &st->n_cert);
	g_debug("%s: %zu key pins, %zu certificate pins (%zu backup), "
		"position %s",
		tv_settings_get_location(settings, NULL), st->n_spki,
		st->n_cert, st->n_backup, position_names[st->position]);
	*state = g_steal_pointer(&st);
	return true;
}

/*
 * ---- verification: hash slices, look digests up ------------------------
 * Nothing here allocates on the common path (a leaf or intermediate
 * match after an anchor step); only the root checks that need a parsed
 * certificate do (anchor_spki_digest, is_self_issued), and the mismatch
 * message.
 */

typedef enum {
	LOOK_MISS,
	LOOK_HIT,
	LOOK_ERROR,
} look_outcome;

/* What matched, or why the step could not run; all static strings. */
typedef struct {
	const pin_entry *entry;
	size_t index;	/* path index of the matching certificate */
	bool at_anchor; /* the match is the trust anchor (not in the path) */
	const char *error;
} look_state;

static const pin_entry *find(const pin_entry *table, size_t n,
			     const unsigned char *digest)
{
	pin_entry key;

	if (n == 0)
		return NULL;
	memcpy(key.digest, digest, PIN_DIGEST_LEN);
	return bsearch(&key, table, n, sizeof(*table), compare_entries);
}

/* Looks up the certificate hash of @der (only when cert pins exist). */
static look_outcome look_cert(const pin_state *st, const gnutls_datum_t *der,
			      look_state *ls)
{
	unsigned char digest[PIN_DIGEST_LEN];

	if (st->n_cert == 0)
		return LOOK_MISS;
	if (der == NULL || !hash_datum(der, digest)) {
		ls->error = "cannot hash a certificate";
		return LOOK_ERROR;
	}
	ls->entry = find(st->cert, st->n_cert, digest);
	return ls->entry != NULL ? LOOK_HIT : LOOK_MISS;
}

/* Path certificate @index: its SPKI slice, then its whole DER. */
static look_outcome look_path(const pin_state *st, const tv_chain *chain,
			      size_t index, look_state *ls)
{
	unsigned char digest[PIN_DIGEST_LEN];
	gnutls_datum_t spki;

	ls->index = index;
	ls->at_anchor = false;
	if (st->n_spki > 0) {
		if (!tv_chain_get_spki(chain, index, &spki)) {
			ls->error = "a certificate of the path has no "
				    "readable SubjectPublicKeyInfo";
			return LOOK_ERROR;
		}
		if (!hash_datum(&spki, digest)) {
			ls->error = "cannot hash a public key";
			return LOOK_ERROR;
		}
		ls->entry = find(st->spki, st->n_spki, digest);
		if (ls->entry != NULL)
			return LOOK_HIT;
	}
	return look_cert(st, tv_chain_get_der(chain, index), ls);
}

static look_outcome look_anchor(const pin_state *st, const tv_chain *chain,
				const gnutls_datum_t *anchor, look_state *ls)
{
	unsigned char digest[PIN_DIGEST_LEN];
	gnutls_datum_t spki;

	ls->at_anchor = true;
	if (st->n_spki > 0) {
		/* Sliced like the path's keys: no parse of the anchor. */
		if (!tv_chain_get_anchor_spki(chain, &spki) ||
		    !hash_datum(&spki, digest)) {
			ls->error = "the trust anchor's public key cannot be "
				    "read";
			return LOOK_ERROR;
		}
		ls->entry = find(st->spki, st->n_spki, digest);
		if (ls->entry != NULL)
			return LOOK_HIT;
	}
	return look_cert(st, anchor, ls);
}

/*
 * Subject equals issuer, byte for byte, as the engine's path builder
 * decides where a path ends.  Not gnutls_x509_crt_check_issuer: when the
 * names differ it compares them again as strings (~10 µs).  Allocates two
 * copies, which is why only the no-anchor cases come here.
 */
static bool is_self_issued(gnutls_x509_crt_t crt)
{
	gnutls_datum_t subject = {NULL, 0}, issuer = {NULL, 0};
	bool same;

	same = crt != NULL && gnutls_x509_crt_get_raw_dn(crt, &subject) >= 0 &&
	       gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) >= 0 &&
	       subject.size == issuer.size &&
	       memcmp(subject.data, issuer.data, subject.size) == 0;
	gnutls_free(subject.data);
	gnutls_free(issuer.data);
	return same;
}

/*
 * Whether path certificate @index is the root: with an anchor, only the
 * anchor itself presented at the top of the path (same DER, no parsing);
 * without one, the top of the path when it is self-issued.
 */
static bool is_path_root(const tv_chain *chain, size_t index)
{
	size_t len = tv_chain_get_length(chain);
	const gnutls_datum_t *anchor = tv_chain_get_anchor_der(chain);
	const gnutls_datum_t *der;

	if (index == 0 || index + 1 != len)
		return false;
	if (anchor == NULL)
		return is_self_issued(tv_chain_get_crt(chain, index));
	der = tv_chain_get_der(chain, index);
	return der != NULL && der->size == anchor->size &&
	       memcmp(der->data, anchor->data, der->size) == 0;
}

/* Tries every certificate at the step's position; stops at a hit. */
static look_outcome look_position(const pin_state *st, const tv_chain *chain,
				  look_state *ls)
{
	size_t len = tv_chain_get_length(chain);
	const gnutls_datum_t *anchor = tv_chain_get_anchor_der(chain);
	size_t first = 0, end = len;
	look_outcome o;

	switch (st->position) {
	case PIN_POS_LEAF:
		end = 1;
		break;
	case PIN_POS_INTERMEDIATE:
		first = 1;
		break;
	case PIN_POS_ROOT:
		if (anchor != NULL)
			return look_anchor(st, chain, anchor, ls);
		/* No separate anchor: the top of the path is the root if
		 * it is self-issued (then it is the trusted certificate). */
		if (!is_self_issued(tv_chain_get_crt(chain, len - 1)))
			return LOOK_MISS;
		first = len - 1;
		break;
	case PIN_POS_ANY:
		break;
	}
	for (size_t i = first; i < end; i++) {
		o = look_path(st, chain, i, ls);
		if (o != LOOK_MISS)
			return o;
	}
	if (st->position == PIN_POS_ANY && anchor != NULL)
		return look_anchor(st, chain, anchor, ls);
	return LOOK_MISS;
}

/*
 * "the leaf", "intermediate 2", "the root": where path certificate @index
 * sits (the article only with @article).  Returns a static string or @buf.
 */
static const char *index_label(char *buf, size_t size, const tv_chain *chain,
			       size_t index, bool article)
{
	if (index == 0)
		return article ? "the leaf" : "leaf";
	if (is_path_root(chain, index))
		return article ? "the root" : "root";
	g_snprintf(buf, size, "intermediate %zu", index);
	return buf;
}

/*
 * The PASS message: which pin matched where.  Formatted straight into the
 * step result, whose copy is the only allocation of a passing step.
 */
static void set_match_message(const pin_state *st, const tv_chain *chain,
			      const look_state *ls, tv_step_result *result)
{
	bool positioned = st->position != PIN_POS_ANY;
	char buf[32];
	const char *where;

	if (ls->at_anchor)
		where = "the root (trust anchor)";
	else
		where = index_label(buf, sizeof(buf), chain, ls->index, true);
	tv_step_result_set_message(
		result, "%s pin %s matched %s%s%s%s%s",
		ls->entry->backup ? "backup" : "primary", ls->entry->text,
		where, positioned ? " (position " : "",
		positioned ? position_names[st->position] : "",
		positioned ? ")" : "",
		ls->entry->backup ? ": the pre-announced key is in use" : "");
}

/* Appends " sha256//..." for @spki_digest and, when the step holds
 * certificate pins, " sha256:..." for @der. */
static void append_presented(const pin_state *st, GString *s,
			     const unsigned char *spki_digest,
			     const gnutls_datum_t *der)
{
	unsigned char digest[PIN_DIGEST_LEN];

	if (spki_digest != NULL) {
		g_autofree char *text = format_spki_pin(spki_digest);

		g_string_append_printf(s, " %s", text);
	} else {
		g_string_append(s, " (no readable key)");
	}
	if (st->n_cert > 0 && der != NULL && hash_datum(der, digest)) {
		g_autofree char *text = format_cert_pin(digest);

		g_string_append_printf(s, " %s", text);
	}
}

/*
 * The mismatch message: what was expected and every pin the chain
 * presents, so that the operator can compare.  Only on a mismatch, so
 * the anchor is parsed again here rather than carried out of the lookup.
 */
static char *describe_mismatch(const pin_state *st, const tv_chain *chain)
{
	size_t len = tv_chain_get_length(chain);
	const gnutls_datum_t *anchor = tv_chain_get_anchor_der(chain);
	unsigned char digest[PIN_DIGEST_LEN];
	GString *s = g_string_new(NULL);
	char buf[32];

	g_string_append_printf(
		s,
		"no pin matched at position %s (%zu pins, %zu backup); "
		"the chain has:",
		position_names[st->position], st->n_spki + st->n_cert,
		st->n_backup);
	for (size_t i = 0; i < len; i++) {
		gnutls_datum_t spki;
		bool have = tv_chain_get_spki(chain, i, &spki) &&
			    hash_datum(&spki, digest);

		g_string_append(s, i == 0 ? " " : ", ");
		g_string_append(s,
				index_label(buf, sizeof(buf), chain, i, false));
		append_presented(st, s, have ? digest : NULL,
				 tv_chain_get_der(chain, i));
	}
	if (anchor != NULL) {
		gnutls_datum_t spki;
		bool have = tv_chain_get_anchor_spki(chain, &spki) &&
			    hash_datum(&spki, digest);

		g_string_append(s, ", root (trust anchor)");
		append_presented(st, s, have ? digest : NULL, anchor);
	} else if (st->position == PIN_POS_ROOT &&
		   !is_self_issued(tv_chain_get_crt(chain, len - 1))) {
		g_string_append(s, "; no root: no earlier step validated the "
				   "path to a trust anchor");
	}
	return g_string_free(s, FALSE);
}

static tv_step_verdict pin_verify(void *state, const tv_request *request,
				  const tv_chain *chain, tv_step_result *result)
{
	const pin_state *st = state;
	look_state ls = {NULL, 0, false, NULL};
	g_autofree char *message = NULL;

	if (st == NULL || chain == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
		tv_step_result_set_message(result, "pin: not opened");
		return TV_STEP_FAIL;
	}
	if (st->has_expires && tv_chain_get_time(chain) > st->expires) {
		tv_step_result_set_message(result,
					   "pinning lapsed at %s (expires): "
					   "pins not checked",
					   st->expires_text);
		return TV_STEP_IGNORE;
	}
	/* Whatever this step decides holds only until the pins lapse: the
	 * engine's result cache must not keep it longer. */
	if (st->has_expires)
		tv_step_result_set_valid_until(result, st->expires + 1);
	if (tv_chain_get_length(chain) == 0) {
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result, "no certificate to check");
		return TV_STEP_FAIL;
	}

	switch (look_position(st, chain, &ls)) {
	case LOOK_HIT:
		set_match_message(st, chain, &ls, result);
		return TV_STEP_PASS;
	case LOOK_ERROR:
		/* Fail closed, in report mode too: the step could not run. */
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result, "%s", ls.error);
		return TV_STEP_FAIL;
	case LOOK_MISS:
		break;
	}

	message = describe_mismatch(st, chain);
	if (st->mode == PIN_MODE_REPORT) {
		tv_host_audit(st->host, request, "pin-report-mismatch",
			      "pin-mismatch", message);
		tv_step_result_set_message(result, "report only: %s", message);
		return TV_STEP_IGNORE;
	}
	tv_step_result_add_reasons(result, TV_REASON_PIN_MISMATCH);
	tv_step_result_set_message(result, "%s", message);
	return TV_STEP_FAIL;
}

static void pin_close(void *state)
{
	pin_state_free(state);
}

static const tv_plugin_ops pin_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "pin",
	.summary = "SPKI (sha256//) and certificate-hash pins with backups, "
		   "expiry and report mode",
	/* Pins come from the settings and the files they name. */
	.caps = TV_PLUGIN_CAP_KEEP_ON_RELOAD,
	.open = pin_open,
	.verify = pin_verify,
	.close = pin_close,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &pin_ops;
}
