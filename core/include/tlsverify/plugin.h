/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tlsverify plugin ABI: what a trust plugin exports and what the host lends it.
 */
#ifndef TV_PLUGIN_H
#define TV_PLUGIN_H

#include <tlsverify/tlsverify.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

G_BEGIN_DECLS

/*
 * A plugin is a shared object exporting exactly one symbol:
 *
 *     const tv_plugin_ops *tv_plugin_get_ops(void);
 *
 * The engine refuses a plugin whose abi_major differs from
 * TV_PLUGIN_ABI_MAJOR, whose name differs from its file name, or that leaves
 * a required member NULL.  Members are only ever appended to tv_plugin_ops;
 * abi_minor counts the appends, and the engine never reads a member beyond
 * what the plugin's abi_minor declares.
 */
#define TV_PLUGIN_ABI_MAJOR 1
#define TV_PLUGIN_ABI_MINOR 2
#define TV_PLUGIN_ENTRY "tv_plugin_get_ops"

/* What a step concluded.  Start state is deny: IGNORE never becomes PASS. */
typedef enum {
	TV_STEP_PASS = 0,
	TV_STEP_FAIL = 1,
	TV_STEP_IGNORE = 2,  /* no opinion */
	TV_STEP_UNAVAIL = 3, /* the plugin's source is down */
} tv_step_verdict;

/* Capability bits in tv_plugin_ops.caps. */
enum {
	/* The step establishes trust from anchors (system, pem, discovery).
	 * A protected endpoint's chain must have one. */
	TV_PLUGIN_CAP_TRUST_ANCHOR = 1u << 0,
	/* The instance depends only on its settings and the files they name
	 * (read through tv_settings_get_path/pathv): a reload whose step has
	 * the same settings, endpoint and role, and whose files are unchanged
	 * (size, mtime, inode; a directory's entries too), keeps the opened
	 * instance instead of opening a new one.  Leave it unset when open()
	 * reads anything else (the OS trust store, the network). */
	TV_PLUGIN_CAP_KEEP_ON_RELOAD = 1u << 1,
};

typedef struct tv_settings tv_settings;
typedef struct tv_host tv_host;
typedef struct tv_chain tv_chain;
typedef struct tv_step_result tv_step_result;
typedef struct tv_describe tv_describe;

/*
 * A client certificate chain with its private key, shared by reference:
 * a handshake keeps the one it started with even if the plugin swaps in a
 * new one meanwhile.
 */
typedef struct tv_client_cert tv_client_cert;

/*
 * tv_client_cert_new: takes ownership of @pcerts (an array of @n
 * certificates, leaf first, allocated with g_new; each deinitialised with
 * gnutls_pcert_deinit on the last unref) and @key.  Returns (transfer
 * full) a reference.
 */
TV_API tv_client_cert *tv_client_cert_new(gnutls_pcert_st *pcerts, unsigned n,
					  gnutls_privkey_t key);
TV_API tv_client_cert *tv_client_cert_ref(tv_client_cert *cert);
TV_API void tv_client_cert_unref(tv_client_cert *cert);
/* (transfer none) */
TV_API gnutls_pcert_st *tv_client_cert_get_pcerts(const tv_client_cert *cert,
						  unsigned *n);
TV_API gnutls_privkey_t tv_client_cert_get_key(const tv_client_cert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_client_cert, tv_client_cert_unref)

/* Where a step sits in its endpoint (tv_host_get_role). */
typedef enum {
	TV_ROLE_CHAIN = 0,  /* a step of `chain`: verify() is called */
	TV_ROLE_CLIENT = 1, /* the endpoint's `client`: credentials() is */
} tv_role;

typedef struct tv_plugin_ops {
	/* ABI 1.0 */
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *name;    /* [a-z0-9_-]+, equals the file name */
	const char *summary; /* one line for `tlsverify plugins` */
	uint32_t caps;	     /* TV_PLUGIN_CAP_* */

	/*
	 * open: read @settings (every key must be read through a
	 * tv_settings_get_* accessor, or the engine reports it as unknown),
	 * build state.  Called once per step per policy snapshot, off the hot
	 * path.  Returns false with @error on any problem; the whole policy
	 * load then fails.  @host stays valid until close().
	 */
	bool (*open)(const tv_settings *settings, const tv_host *host,
		     void **state, GError **error);

	/*
	 * verify: judge @chain for @request.  Called from any thread at once:
	 * @state must be read-only here.  Set the message and reasons through
	 * tv_step_result_*; a FAIL without reason bits counts as "untrusted".
	 * Never returns an error: anything that goes wrong is FAIL.
	 */
	tv_step_verdict (*verify)(void *state, const tv_request *request,
				  const tv_chain *chain,
				  tv_step_result *result);

	/* close: free @state (may be NULL when open failed halfway). */
	void (*close)(void *state);

	/* ABI 1.1 (read only when abi_minor >= 1) */

	/*
	 * credentials: the client certificate to present for @request, when
	 * the step is an endpoint's `client` (tv_host_get_role() ==
	 * TV_ROLE_CLIENT).  Returns (transfer full) a reference, or NULL to
	 * present none.  Called during handshakes from any thread.  NULL
	 * member: the plugin cannot be used as `client`.
	 */
	tv_client_cert *(*credentials)(void *state, const tv_request *request);

	/* ABI 1.2 (read only when abi_minor >= 2) */

	/*
	 * describe: report the instance's state for metrics and status
	 * (anchor count, trust version, staleness...) with tv_describe_*.
	 * Called from any thread, concurrently with verify(): read only.
	 * Optional (NULL).
	 */
	void (*describe)(void *state, tv_describe *out);
} tv_plugin_ops;

typedef const tv_plugin_ops *(*tv_plugin_get_ops_fn)(void);

/* The one symbol a plugin defines (declared here so plugins need no
 * prototype of their own; libtlsverify itself does not define it). */
TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

/* ---- settings: the step's keys, typed; no libconfig type crosses ---- */

/*
 * Every accessor marks @key as read.  When @key is absent it returns true
 * and leaves *@out untouched (preset the default).  When present with the
 * wrong type or value it returns false with @error (TV_ERROR_CONFIG)
 * naming file:line and the key.
 */
TV_API bool tv_settings_has(const tv_settings *settings, const char *key);
/* (transfer none): borrowed, valid until close(). */
TV_API bool tv_settings_get_string(const tv_settings *settings, const char *key,
				   const char **out, GError **error);
TV_API bool tv_settings_get_bool(const tv_settings *settings, const char *key,
				 bool *out, GError **error);
TV_API bool tv_settings_get_int(const tv_settings *settings, const char *key,
				int64_t *out, GError **error);
/* A string or list of strings; (transfer full) g_strfreev(). */
TV_API bool tv_settings_get_strv(const tv_settings *settings, const char *key,
				 char ***out, GError **error);
/* A string path resolved against the policy file's directory;
 * (transfer full) g_free(). */
TV_API bool tv_settings_get_path(const tv_settings *settings, const char *key,
				 char **out, GError **error);
/* A string or list of paths, each resolved; (transfer full) g_strfreev(). */
TV_API bool tv_settings_get_pathv(const tv_settings *settings, const char *key,
				  char ***out, GError **error);
/* A time (RFC 3339 UTC, bare date); seconds since the epoch. */
TV_API bool tv_settings_get_time(const tv_settings *settings, const char *key,
				 int64_t *out, GError **error);
/* "file:line" of @key (or of the step when @key is NULL or absent);
 * (transfer none). */
TV_API const char *tv_settings_get_location(const tv_settings *settings,
					    const char *key);
/* Adds a lint warning "file:line: key 'k': <message>" to the policy's
 * warnings (shown by `tlsverify check-config`); for open() only. */
TV_API void tv_settings_warn(const tv_settings *settings, const char *key,
			     const char *format, ...) G_GNUC_PRINTF(3, 4);
/* Builds an error "file:line: key 'k': <message>"; for plugin validation. */
TV_API void tv_settings_set_error(const tv_settings *settings, const char *key,
				  GError **error, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

/* ---- host: services the engine lends a plugin ------------------------ */

/* Endpoint name of the step; (transfer none). */
TV_API const char *tv_host_get_endpoint(const tv_host *host);
/* Whether the step is a chain step or the endpoint's `client`. */
TV_API tv_role tv_host_get_role(const tv_host *host);
/* Tell the engine this step's trust changed (flushes cached verdicts). */
TV_API void tv_host_trust_changed(const tv_host *host);
/*
 * Writes an audit event (glib structured log with TLSVERIFY_EVENT,
 * TLSVERIFY_ENDPOINT, TLSVERIFY_HOST, TLSVERIFY_REASON) for @request at
 * this step's endpoint, e.g. event "pin-report-mismatch".  Safe from
 * verify(), from any thread.
 */
TV_API void tv_host_audit(const tv_host *host, const tv_request *request,
			  const char *event, const char *reason,
			  const char *message);

/* ---- chain: the presented certificates, imported once ---------------- */

/*
 * The path the engine built from the presented certificates (and the
 * untrusted pool): leaf first, each next one the issuer of the previous by
 * subject/issuer DN; certificates that do not fit the path are left out.
 */
TV_API size_t tv_chain_get_length(const tv_chain *chain);
/* (transfer none) parsed certificate, valid during verify(). */
TV_API gnutls_x509_crt_t tv_chain_get_crt(const tv_chain *chain, size_t index);
/* (transfer none) the array of all tv_chain_get_length() certificates. */
TV_API gnutls_x509_crt_t *tv_chain_get_crts(const tv_chain *chain);
/* (transfer none) the DER bytes of certificate @index. */
TV_API const gnutls_datum_t *tv_chain_get_der(const tv_chain *chain,
					      size_t index);
/* Verification time for this request, seconds since the epoch. */
TV_API int64_t tv_chain_get_time(const tv_chain *chain);
/*
 * The DER SubjectPublicKeyInfo of certificate @index, sliced from its DER
 * without a copy or a re-parse (what a `sha256//` pin hashes).
 * Returns: true and sets @out (borrowed, valid during verify()); false
 * when the DER does not have the X.509 shape.
 */
TV_API bool tv_chain_get_spki(const tv_chain *chain, size_t index,
			      gnutls_datum_t *out);
/*
 * The trust anchor an earlier anchor step (tv_trust_list_verify) of this
 * verification validated the path to, as DER; NULL when none did or when
 * the top of the path is itself the trusted certificate.  (transfer none)
 */
TV_API const gnutls_datum_t *tv_chain_get_anchor_der(const tv_chain *chain);
/* The anchor's SubjectPublicKeyInfo sliced from its DER; false when there
 * is no anchor (see tv_chain_get_anchor_der) or it does not parse. */
TV_API bool tv_chain_get_anchor_spki(const tv_chain *chain,
				     gnutls_datum_t *out);

/* ---- trust-list helpers for anchor plugins --------------------------- */

/*
 * tv_trust_list_new: a GnuTLS trust list sized for fast lookups (the
 * default 127 hash buckets make every colliding CA cost ~60 µs per verify).
 * Returns: (transfer full) 0 on success, a GnuTLS error code otherwise.
 */
TV_API int tv_trust_list_new(gnutls_x509_trust_list_t *list);

/*
 * tv_trust_list_verify: validates @chain against @list at the chain's time
 * for the request's purpose, with the time checks done by tlsverify (GnuTLS
 * only knows "now").  Sets @result's reasons and message on failure.
 * Returns: TV_STEP_PASS or TV_STEP_FAIL.
 */
TV_API tv_step_verdict tv_trust_list_verify(gnutls_x509_trust_list_t list,
					    const tv_request *request,
					    const tv_chain *chain,
					    tv_step_result *result);

/* Maps GnuTLS verification status bits to tv_reason bits. */
TV_API uint32_t tv_reasons_from_gnutls_status(unsigned status);

/* ---- describe: a plugin instance's state ---------------------------- */

/* A numeric value: becomes tlsverify_plugin_value{endpoint,step,plugin,
 * key} in the metrics and "state": {key: value} in the status.  Keys are
 * [a-z0-9_]+. */
TV_API void tv_describe_int(tv_describe *out, const char *key, int64_t value);
/* A text value: shown in the status only. */
TV_API void tv_describe_string(tv_describe *out, const char *key,
			       const char *value);

/* ---- step result ----------------------------------------------------- */

/* Adds reason bits. */
TV_API void tv_step_result_add_reasons(tv_step_result *result,
				       uint32_t reasons);
/*
 * The verdict holds only until @unix_time (e.g. a pin set's `expires`):
 * the engine's result cache keeps it no longer.  The earliest of all
 * steps' limits applies.
 */
TV_API void tv_step_result_set_valid_until(tv_step_result *result,
					   int64_t unix_time);
/* Sets the one-line message shown in the trace (replaces any earlier). */
TV_API void tv_step_result_set_message(tv_step_result *result,
				       const char *format, ...)
	G_GNUC_PRINTF(2, 3);

G_END_DECLS

#endif /* TV_PLUGIN_H */
