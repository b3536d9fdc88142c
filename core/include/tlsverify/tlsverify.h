/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tlsverify: decide whether a TLS peer is trusted, per endpoint, by policy. */
#ifndef TV_TLSVERIFY_H
#define TV_TLSVERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

#if defined(__GNUC__) && !defined(TV_STATIC_BUILD)
#define TV_API __attribute__((visibility("default")))
#else
#define TV_API
#endif

/**
 * TV_ERROR:
 *
 * Error domain for operational failures (configuration, loading, I/O,
 * unusable input).  A verification that ran and said "no" is not an error:
 * it is a %TV_VERDICT_REJECTED result.
 */
#define TV_ERROR (tv_error_quark())
TV_API GQuark tv_error_quark(void);

typedef enum {
	TV_ERROR_CONFIG,   /* policy file wrong: message names file:line */
	TV_ERROR_PLUGIN,   /* plugin could not be loaded or opened */
	TV_ERROR_INPUT,	   /* caller input unusable (bad PEM, bad time) */
	TV_ERROR_IO,	   /* file could not be read */
	TV_ERROR_INTERNAL, /* out of resources, library failure */
} tv_error_code;

typedef enum {
	TV_PURPOSE_SERVER = 0, /* peer is a TLS server: EKU serverAuth */
	TV_PURPOSE_CLIENT = 1, /* peer is a TLS client: EKU clientAuth */
} tv_purpose;

typedef enum {
	TV_VERDICT_REJECTED = 0,
	TV_VERDICT_TRUSTED = 1,
} tv_verdict;

/*
 * Reason bits.  Their names (tv_reason_to_string) are stable strings used in
 * JSON output and as metric labels.
 */
typedef enum {
	TV_REASON_EXPIRED = 1u << 0,
	TV_REASON_NOT_YET_VALID = 1u << 1,
	TV_REASON_UNTRUSTED = 1u << 2,
	TV_REASON_SIGNER_NOT_CA = 1u << 3,
	TV_REASON_REVOKED = 1u << 4,
	TV_REASON_INSECURE_ALGORITHM = 1u << 5,
	TV_REASON_BAD_SIGNATURE = 1u << 6,
	TV_REASON_NAME_MISMATCH = 1u << 7,
	TV_REASON_PURPOSE_MISMATCH = 1u << 8,
	TV_REASON_PIN_MISMATCH = 1u << 9,
	TV_REASON_CHAIN_TOO_LONG = 1u << 10,
	TV_REASON_CONSTRAINT_VIOLATION = 1u << 11,
	TV_REASON_SOURCE_UNAVAILABLE = 1u << 12,
	TV_REASON_NO_DECISION = 1u << 13,
	TV_REASON_MALFORMED = 1u << 14,
} tv_reason;

#define TV_REASON_COUNT 15

/**
 * tv_reason_to_string:
 * @reason: exactly one reason bit
 *
 * Returns: (transfer none): the stable name ("expired", "name-mismatch", ...)
 * or NULL when @reason is not exactly one known bit.
 */
TV_API const char *tv_reason_to_string(uint32_t reason);

/**
 * tv_reason_from_string:
 * Returns: the bit for a stable reason name, 0 when unknown.
 */
TV_API uint32_t tv_reason_from_string(const char *name);

/**
 * tv_time_parse:
 * @text: RFC 3339 UTC time ("2027-01-31T00:00:00Z"), a bare date
 *        ("2027-01-31" = 00:00:00Z of that day) or "@EPOCH" seconds
 * @out: (out): seconds since the epoch
 *
 * Returns: true on success; false with @error (TV_ERROR_INPUT) otherwise.
 */
TV_API bool tv_time_parse(const char *text, int64_t *out, GError **error);

/* ---- request --------------------------------------------------------- */

typedef struct tv_request tv_request;

/**
 * tv_request_new:
 * @host: name to verify (and, by default, the endpoint to match); copied.
 *        A DNS name, or an IPv4/IPv6 literal.
 * @port: peer port, 0 when unknown (matches only port-less patterns)
 *
 * Purpose defaults to %TV_PURPOSE_SERVER, time to "now" at verification.
 * Returns: (transfer full): a new request; free with tv_request_free().
 */
TV_API tv_request *tv_request_new(const char *host, uint16_t port);
TV_API void tv_request_free(tv_request *request);
TV_API void tv_request_set_purpose(tv_request *request, tv_purpose purpose);
/* Fixed verification time in seconds since the epoch. */
TV_API void tv_request_set_time(tv_request *request, int64_t unix_time);

/**
 * tv_request_add_der:
 * Appends one presented certificate (DER, copied).  The first one added is
 * the leaf; the others are the intermediates the peer sent, in any order.
 */
TV_API void tv_request_add_der(tv_request *request, const uint8_t *der,
			       size_t len);

/**
 * tv_request_add_untrusted_der:
 * Adds a certificate (DER, copied) to a pool of untrusted certificates that
 * may be used to build the path but were not presented by the peer.
 */
TV_API void tv_request_add_untrusted_der(tv_request *request,
					 const uint8_t *der, size_t len);

/**
 * tv_request_add_pem:
 * Appends every CERTIFICATE block of @pem as presented certificates
 * (@untrusted false) or to the untrusted pool (@untrusted true).
 *
 * Returns: the number of certificates added; -1 with @error (TV_ERROR_INPUT)
 * when the data holds no certificate or a block does not decode.  On error
 * nothing is added.
 */
TV_API int tv_request_add_pem(tv_request *request, const char *pem, size_t len,
			      bool untrusted, GError **error);

TV_API const char *tv_request_get_host(const tv_request *request);
TV_API uint16_t tv_request_get_port(const tv_request *request);
TV_API tv_purpose tv_request_get_purpose(const tv_request *request);
/* Returns the fixed time, or -1 when the request verifies at "now". */
TV_API int64_t tv_request_get_time(const tv_request *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_request, tv_request_free)

/* ---- result ---------------------------------------------------------- */

typedef struct tv_result tv_result;

/*
 * One line of the decision trace.  All strings borrowed from the result.
 * For the engine's own checks plugin is "core" and control names the
 * check: input, insecure_skip_verify, validity, name, purpose,
 * chain-length.
 */
typedef struct {
	const char *plugin;  /* plugin name, or "core" */
	const char *control; /* required|requisite|sufficient|optional, or
			      * the core check */
	const char *verdict; /* pass|fail|ignore|unavail */
	const char *action;  /* ok|done|bad|die|ignore (PAM actions) */
	const char *message; /* human-readable, never NULL */
	uint32_t reasons;    /* reason bits this step reported */
} tv_trace_entry;

TV_API tv_verdict tv_result_get_verdict(const tv_result *result);
/* Reason bits; 0 when trusted. */
TV_API uint32_t tv_result_get_reasons(const tv_result *result);
/* One-line summary; never NULL.  (transfer none) */
TV_API const char *tv_result_get_message(const tv_result *result);
/* Name of the endpoint that decided ("(built-in)" for the fallback). */
TV_API const char *tv_result_get_endpoint(const tv_result *result);
TV_API const char *tv_result_get_host(const tv_result *result);
/* True when an insecure_skip_verify exception let this peer through. */
TV_API bool tv_result_is_insecure_skip(const tv_result *result);
TV_API size_t tv_result_get_trace_length(const tv_result *result);
/* Returns: (transfer none): entry @index, NULL when out of range. */
TV_API const tv_trace_entry *tv_result_get_trace_entry(const tv_result *result,
						       size_t index);
/**
 * tv_result_to_json:
 * Returns: (transfer full): the result as one JSON object, shape as in
 * tlsverify(1) `verify --json`; free with g_free().
 */
TV_API char *tv_result_to_json(const tv_result *result);
/* Releases the caller's reference (results may be shared with the
 * engine's cache; they never change once returned). */
TV_API void tv_result_free(tv_result *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_result, tv_result_free)

/* ---- engine ---------------------------------------------------------- */

typedef struct tv_engine tv_engine;

/**
 * tv_engine_new:
 * @conf_dir: directory whose *.conf files form the policy
 * @plugin_dir: (nullable): directory of plugins; NULL uses the policy's
 *              defaults.plugin_dir, else the installed plugin directory
 *
 * Loads the whole policy and opens every plugin step.
 * Returns: (transfer full): the engine, or NULL with @error (TV_ERROR_CONFIG
 * naming file:line, TV_ERROR_PLUGIN naming the plugin path).
 */
TV_API tv_engine *tv_engine_new(const char *conf_dir, const char *plugin_dir,
				GError **error);

/**
 * tv_engine_reload:
 * Builds a new policy snapshot from the same directories and swaps it in
 * atomically.  In-flight verifications finish on the old snapshot.
 * Returns: true on success; false with @error, and then nothing changed.
 */
TV_API bool tv_engine_reload(tv_engine *engine, GError **error);

/**
 * tv_engine_verify:
 * @engine: the engine; thread-safe, any number of threads at once
 * @request: the peer's chain and endpoint (borrowed, not modified)
 * @result: (out) (transfer full): the verdict with reasons and trace
 *
 * Returns: true when verification ran (see the result's verdict); false with
 * @error only when it could not run at all (e.g. an empty request), in
 * which case *@result is NULL.  Any failure inside verification is a
 * rejection with a reason, never a pass.
 */
TV_API bool tv_engine_verify(tv_engine *engine, const tv_request *request,
			     tv_result **result, GError **error);

/**
 * tv_engine_dup_warnings:
 * Returns: (transfer full): NULL-terminated lint warnings of the current
 * policy ("file:line: ..."); free with g_strfreev().
 */
TV_API char **tv_engine_dup_warnings(tv_engine *engine);

/**
 * tv_engine_metrics:
 * The engine's counters in the Prometheus text exposition format
 * (metric names tlsverify_*, endpoint/verdict/reason/event labels, HELP
 * and TYPE lines): verifications, rejections by reason, insecure skips,
 * audit events (e.g. report-only pin mismatches), cache hits and misses,
 * a latency histogram, each endpoint's earliest notAfter of the last
 * chain seen, active insecure exceptions and the last reload.
 * Returns: (transfer full) text; free with g_free().
 */
TV_API char *tv_engine_metrics(tv_engine *engine);

/**
 * tv_engine_status:
 * The policy in force and its state as one JSON object: directories,
 * every endpoint (hosts, chain, exception, counters, last chain expiry),
 * the last reload and the lint warnings.
 * Returns: (transfer full) JSON text; free with g_free().
 */
TV_API char *tv_engine_status(tv_engine *engine);

/* One `probe = "host:port"` of the policy. */
typedef struct {
	char *endpoint;
	char *host;
	uint16_t port;
} tv_probe_target;

/**
 * tv_engine_dup_probe_targets:
 * Returns: (transfer full) (element-type tv_probe_target): the probe
 * targets of the policy in force, in policy order; free with
 * g_ptr_array_unref().
 */
TV_API GPtrArray *tv_engine_dup_probe_targets(tv_engine *engine);

/* Returns: (transfer none): the plugin directory in use. */
TV_API const char *tv_engine_get_plugin_dir(const tv_engine *engine);

TV_API void tv_engine_free(tv_engine *engine);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_engine, tv_engine_free)

/* ---- GnuTLS session glue ------------------------------------------------ */

typedef struct tv_session tv_session;

/**
 * tv_session_attach:
 * @engine: the engine; must outlive the session
 * @session: a GNUTLS_CLIENT session, before its handshake
 * @host: the peer's name (what is verified and, unless the endpoint sets
 *        `sni`, sent as SNI; IP literals send no SNI)
 * @port: the peer's port (selects host:port endpoints), 0 when unknown
 *
 * Makes the handshake verify the server's chain by policy: a rejection
 * aborts the handshake (GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, a fatal
 * bad_certificate alert to the peer) and the result stays readable with
 * tv_session_get_result().  Installs the engine's certificate credentials
 * on @session (shared by all sessions and threads), which present the
 * endpoint's `client` certificate when the server asks for one.
 *
 * Uses @session's user pointer (gnutls_session_set_ptr); applications
 * keep their own pointer with tv_session_set_user_data().
 *
 * A resumed session (session ticket or PSK) presents no certificate, so
 * nothing is verified in that handshake and tv_session_get_result() stays
 * NULL: treat NULL after a successful handshake as "not verified here"
 * (tlsverify connect and probe do), or do not offer resumption.
 *
 * Returns: (transfer full) the attachment, to free with tv_session_free()
 * after gnutls_deinit(); NULL with @error (TV_ERROR_INPUT) for a bad host
 * or a GnuTLS failure.
 */
TV_API tv_session *tv_session_attach(tv_engine *engine,
				     gnutls_session_t session, const char *host,
				     uint16_t port, GError **error);

/* The verification result of the handshake, NULL before verification ran
 * (e.g. the connection failed first).  (transfer none) */
TV_API const tv_result *tv_session_get_result(const tv_session *tvs);

/* The application's own pointer, in place of gnutls_session_get_ptr. */
TV_API void tv_session_set_user_data(tv_session *tvs, void *data);
TV_API void *tv_session_get_user_data(const tv_session *tvs);

/* Whether the client presented a certificate (from the endpoint's
 * `client` step) during the handshake. */
TV_API bool tv_session_sent_client_cert(const tv_session *tvs);

TV_API void tv_session_free(tv_session *tvs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_session, tv_session_free)

/* ---- plugin discovery (for `tlsverify plugins`) ---------------------- */

typedef struct {
	char *name; /* plugin name (file name without .so) */
	char *path; /* full path of the shared object */
	unsigned abi_major, abi_minor;
	char *summary; /* one line; NULL when the plugin failed to load */
	char *error;   /* why it cannot be used, NULL when usable */
} tv_plugin_info;

/**
 * tv_plugins_scan:
 * Loads every *.so in @dir with the same checks the engine applies.
 * Returns: (transfer full) (element-type tv_plugin_info): sorted by name,
 * one entry per file (unusable ones carry @error); NULL with @error when the
 * directory itself is unusable.  Free with g_ptr_array_unref().
 */
TV_API GPtrArray *tv_plugins_scan(const char *dir, GError **error);

/* Installed default directories (compile-time). */
TV_API const char *tv_default_conf_dir(void);
TV_API const char *tv_default_plugin_dir(void);

G_END_DECLS

#endif /* TV_TLSVERIFY_H */
