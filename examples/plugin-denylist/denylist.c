/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "denylist": vetoes any chain holding a key listed in a pin file. */

/*
 * An out-of-tree tlsverify plugin, built against an installed libtlsverify
 * with nothing but pkg-config (see Makefile and README.md beside it).
 *
 * Policy step:
 *
 *     { use = "denylist"; control = "requisite"; file = "denied-keys.txt"; }
 *
 * The file holds one `sha256//<base64>` SPKI pin per line (what
 * `tlsverify pin` prints), `#` starts a comment, blank lines are skipped.
 * A chain whose validated path, or the trust anchor an earlier step found,
 * holds a listed key FAILs with reason "untrusted"; any other chain gets
 * IGNORE: the step is a veto, never a trust anchor, so the endpoint still
 * needs an anchor step (system, pem) to be trusted at all.
 *
 * Why "untrusted" and not "revoked" or "constraint-violation": "revoked"
 * means a CA's CRL said so, and "constraint-violation" names a broken
 * X.509 constraint; a local deny list is neither, it withdraws trust.
 * The message names the key, where it sits in the chain and the line of
 * the deny list, so the operator sees which entry fired.
 */

#define G_LOG_DOMAIN "tlsverify-denylist"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <tlsverify/plugin.h>

/* Written for plugin ABI 1.2 (it fills describe). */
#if TV_PLUGIN_ABI_MAJOR != 1 || TV_PLUGIN_ABI_MINOR < 2
#error "denylist is written for the tlsverify plugin ABI 1.2 or a later 1.x"
#endif

#define DENY_PREFIX "sha256//"
#define DENY_DIGEST_LEN 32 /* SHA-256 */
/* A deny list of a million keys is 50 MB of text: refuse anything bigger. */
#define DENY_MAX_FILE (64 * 1024 * 1024)

typedef struct {
	unsigned char digest[DENY_DIGEST_LEN];
	unsigned int line; /* in the deny-list file, for messages */
} deny_entry;

/* Built once in open(); read-only afterwards, shared by all verify calls. */
typedef struct {
	deny_entry *entries; /* sorted by digest, for bsearch */
	size_t n_entries;
	char *file; /* the deny list's path, for messages */
} deny_state;

static void deny_state_free(deny_state *st)
{
	if (st == NULL)
		return;
	g_free(st->entries);
	g_free(st->file);
	g_free(st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(deny_state, deny_state_free)

static int compare_entries(const void *a, const void *b)
{
	return memcmp(((const deny_entry *)a)->digest,
		      ((const deny_entry *)b)->digest, DENY_DIGEST_LEN);
}

/*
 * "sha256//<base64>" into @digest.  glib's decoder skips characters
 * outside the alphabet, so the text must also be exactly what encoding
 * the decoded bytes gives back.
 */
static bool parse_pin(const char *text, unsigned char *digest)
{
	const char *b64 = text + strlen(DENY_PREFIX);
	g_autofree guchar *raw = NULL;
	g_autofree char *again = NULL;
	gsize len = 0;

	if (!g_str_has_prefix(text, DENY_PREFIX) || *b64 == '\0')
		return false;
	raw = g_base64_decode(b64, &len);
	again = g_base64_encode(raw, len);
	if (len != DENY_DIGEST_LEN || strcmp(again, b64) != 0)
		return false;
	memcpy(digest, raw, DENY_DIGEST_LEN);
	return true;
}

/* Reads every pin of @data (the file @path) into @st. */
static bool parse_list(deny_state *st, const tv_settings *settings,
		       const char *path, char *data, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	GArray *entries = g_array_new(FALSE, FALSE, sizeof(deny_entry));

	for (size_t i = 0; lines[i] != NULL; i++) {
		char *comment = strchr(lines[i], '#');
		char *text;
		deny_entry e;

		/* The base64 alphabet has no '#': a comment may follow a pin.
		 */
		if (comment != NULL)
			*comment = '\0';
		text = g_strstrip(lines[i]);
		if (*text == '\0')
			continue;
		if (!parse_pin(text, e.digest)) {
			tv_settings_set_error(
				settings, "file", error,
				"%s:%zu: '%s' is not a key pin: expected "
				"'" DENY_PREFIX "' and the base64 of a "
				"SHA-256 digest (as `tlsverify pin` prints)",
				path, i + 1, text);
			g_array_free(entries, TRUE);
			return false;
		}
		e.line = (unsigned int)(i + 1);
		g_array_append_val(entries, e);
	}
	st->n_entries = entries->len;
	st->entries = (deny_entry *)(void *)g_array_free(entries, FALSE);
	qsort(st->entries, st->n_entries, sizeof(deny_entry), compare_entries);
	return true;
}

static bool deny_open(const tv_settings *settings, const tv_host *host,
		      void **state, GError **error)
{
	g_autoptr(deny_state) st = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *path = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	g_return_val_if_fail(settings != NULL && state != NULL, false);

	if (!tv_settings_has(settings, "file")) {
		tv_settings_set_error(settings, "file", error,
				      "missing: denylist needs a file of "
				      "'" DENY_PREFIX "' key pins");
		return false;
	}
	/* Read through the path accessor: relative to the policy file, and
	 * watched for TV_PLUGIN_CAP_KEEP_ON_RELOAD. */
	if (!tv_settings_get_path(settings, "file", &path, error))
		return false;
	if (!g_file_get_contents(path, &data, &len, &local)) {
		tv_settings_set_error(settings, "file", error,
				      "cannot read deny list: %s",
				      local->message);
		return false;
	}
	if (len > DENY_MAX_FILE || strlen(data) != len) {
		tv_settings_set_error(settings, "file", error,
				      "'%s' is not a text file of at most %d "
				      "bytes",
				      path, DENY_MAX_FILE);
		return false;
	}

	st = g_new0(deny_state, 1);
	if (!parse_list(st, settings, path, data, error))
		return false;
	/* Legal, but most likely not what was meant: say so in
	 * `tlsverify check-config`. */
	if (st->n_entries == 0)
		tv_settings_warn(settings, "file",
				 "'%s' lists no key: the step denies nothing",
				 path);
	for (size_t i = 1; i < st->n_entries; i++)
		if (compare_entries(&st->entries[i - 1], &st->entries[i]) == 0)
			tv_settings_warn(settings, "file",
					 "%s:%u: the key of line %u again",
					 path, st->entries[i].line,
					 st->entries[i - 1].line);
	st->file = g_steal_pointer(&path);
	g_debug("%s: %zu denied keys", tv_settings_get_location(settings, NULL),
		st->n_entries);
	*state = g_steal_pointer(&st);
	return true;
}

/* The entry for @spki's digest, or NULL; -1 when it cannot be hashed. */
static int lookup(const deny_state *st, const gnutls_datum_t *spki,
		  const deny_entry **hit, unsigned char *digest)
{
	deny_entry key;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki->data, spki->size,
			     digest) < 0)
		return -1;
	memcpy(key.digest, digest, DENY_DIGEST_LEN);
	*hit = bsearch(&key, st->entries, st->n_entries, sizeof(deny_entry),
		       compare_entries);
	return 0;
}

static tv_step_verdict deny_hit(const deny_state *st, const char *where,
				const deny_entry *entry,
				const unsigned char *digest,
				tv_step_result *result)
{
	g_autofree char *b64 = g_base64_encode(digest, DENY_DIGEST_LEN);

	tv_step_result_add_reasons(result, TV_REASON_UNTRUSTED);
	tv_step_result_set_message(result,
				   "denied key " DENY_PREFIX "%s at %s "
				   "(deny list %s:%u)",
				   b64, where, st->file, entry->line);
	return TV_STEP_FAIL;
}

/*
 * Hashes each certificate's SubjectPublicKeyInfo (sliced by the engine,
 * no parse, no copy) and looks it up: cheap enough for the hot path, and
 * touches only read-only state, so any number of threads may run it.
 */
static tv_step_verdict deny_verify(void *state, const tv_request *request,
				   const tv_chain *chain,
				   tv_step_result *result)
{
	const deny_state *st = state;
	size_t len = tv_chain_get_length(chain);
	unsigned char digest[DENY_DIGEST_LEN];
	const deny_entry *hit = NULL;
	gnutls_datum_t spki;
	char where[48];

	for (size_t i = 0; i < len; i++) {
		/* Fail closed: a key that cannot be checked is not vetted. */
		if (!tv_chain_get_spki(chain, i, &spki) ||
		    lookup(st, &spki, &hit, digest) < 0) {
			tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
			tv_step_result_set_message(
				result,
				"cannot read the public key of certificate "
				"%zu of the path",
				i);
			return TV_STEP_FAIL;
		}
		if (hit != NULL) {
			if (i == 0)
				g_strlcpy(where, "the leaf", sizeof(where));
			else
				g_snprintf(where, sizeof(where),
					   "certificate %zu of the path", i);
			return deny_hit(st, where, hit, digest, result);
		}
	}
	/* The anchor an earlier step validated the path to, when it was not
	 * presented: a denied root is a veto too. */
	if (tv_chain_get_anchor_spki(chain, &spki) &&
	    lookup(st, &spki, &hit, digest) == 0 && hit != NULL)
		return deny_hit(st, "the trust anchor", hit, digest, result);

	tv_step_result_set_message(result, "no denied key in %zu certificates",
				   len);
	return TV_STEP_IGNORE;
}

static void deny_close(void *state)
{
	deny_state_free(state);
}

/* Read only: safe beside concurrent verify() calls. */
static void deny_describe(void *state, tv_describe *out)
{
	const deny_state *st = state;

	tv_describe_int(out, "denied_keys", (int64_t)st->n_entries);
	tv_describe_string(out, "file", st->file);
}

static const tv_plugin_ops deny_ops = {
	.abi_major = TV_PLUGIN_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = "denylist",
	.summary = "vetoes chains holding a key listed in a file of sha256// "
		   "pins",
	/* open() reads only the settings and the file they name. */
	.caps = TV_PLUGIN_CAP_KEEP_ON_RELOAD,
	.open = deny_open,
	.verify = deny_verify,
	.close = deny_close,
	.credentials = NULL, /* cannot be an endpoint's `client` */
	.describe = deny_describe,
};

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &deny_ops;
}
