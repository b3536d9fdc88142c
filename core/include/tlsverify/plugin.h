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
 * ==== Plugin author's guide ================================================
 *
 * This header is the whole contract between libtlsverify (the engine) and a
 * trust plugin.  tlsverify-plugin(7) says the same with a worked example;
 * examples/plugin-denylist/ is a complete out-of-tree plugin built with
 * nothing but pkg-config:
 *
 *     cc -shared -fPIC -fvisibility=hidden -o NAME.so NAME.c \
 *         $(pkg-config --cflags --libs tlsverify)
 *     install -m 0755 NAME.so "$(pkg-config --variable=pluginsdir tlsverify)"
 *
 * ---- What a plugin is -----------------------------------------------------
 *
 * A shared object NAME.so in the plugin directory (tlsverify.pc's
 * `pluginsdir`, or the policy's defaults.plugin_dir, or --plugin-dir),
 * exporting exactly one symbol:
 *
 *     const tv_plugin_ops *tv_plugin_get_ops(void);
 *
 * NAME is [a-z0-9_-]+ and equals tv_plugin_ops.name.  Neither the file nor
 * its directory may be writable by group or others.  The engine dlopen()s
 * it with RTLD_NOW | RTLD_LOCAL (plugins never see each other's symbols),
 * and refuses it, naming the path, when: the symbol is missing or returns
 * NULL, abi_major differs from TV_PLUGIN_ABI_MAJOR, name differs from the
 * file name, or name, summary, open, verify or close is NULL.
 * tv_plugin_get_ops() returns a pointer to a static const table and has
 * no side effects: `tlsverify plugins` calls it only to list the plugin.
 *
 * A policy step `{ use = "NAME"; control = "..."; key = value; ... }` is
 * one *instance*: open() builds a state from the step's settings, verify()
 * judges chains with it, close() frees it.  The same plugin may have many
 * instances (one per step, per endpoint), alive at the same time.
 *
 * ---- Lifecycle ------------------------------------------------------------
 *
 *  1. Load (tv_engine_new, tv_engine_reload): every step of the new policy
 *     is open()ed, in policy order, on the thread that called the engine.
 *     One failing open() fails the whole load: the steps opened so far are
 *     closed and, on a reload, the running policy stays.  A successful
 *     open() may therefore be followed by close() without any verify(),
 *     e.g. when the engine then finds a settings key nobody read.
 *  2. Use: verify() (chain steps), credentials() (`client` steps) and
 *     describe() (metrics, status) run on the instance, from any thread.
 *  3. Reload: a new snapshot is built beside the running one, then swapped
 *     in atomically.  Verifications in flight finish on the old snapshot.
 *     With TV_PLUGIN_CAP_KEEP_ON_RELOAD an unchanged instance is carried
 *     over instead of re-opened; otherwise each reload opens a new one.
 *  4. Release: close() runs once per instance, when the last snapshot
 *     using it goes away: on the thread calling tv_engine_reload() or
 *     tv_engine_free(), or on the thread whose verification or handshake
 *     was the last one still using the old snapshot.
 *  5. Unload: the shared object may be dlclose()d once no snapshot uses
 *     the plugin.  After close() nothing may point into it: no thread left
 *     running, no atexit() handler, no glib source or GnuTLS callback
 *     registered with the plugin's functions.
 *
 * ---- Threading ------------------------------------------------------------
 *
 *  callback     | runs on                          | concurrently with
 *  -------------+----------------------------------+-----------------------
 *  get_ops      | the loading thread               | anything
 *  open         | the thread calling tv_engine_new | every callback of the
 *               | or tv_engine_reload (one load at | running snapshot's
 *               | a time per engine)               | instances, this
 *               |                                  | plugin's included
 *  verify       | any thread calling               | itself on the same
 *               | tv_engine_verify, or a handshake | state, credentials,
 *               | thread (tv_session_attach)       | describe, other
 *               |                                  | instances' open/close
 *  credentials  | a client handshake's thread      | the same as verify
 *               | (GnuTLS certificate callback)    |
 *  describe     | the thread calling               | verify, credentials
 *               | tv_engine_metrics/_status        |
 *  close        | see Lifecycle, 4                 | other instances only:
 *               |                                  | never with a callback
 *               |                                  | on the same state
 *
 * So: state built in open() is read-only afterwards, or guarded (a GMutex
 * held for a few instructions, atomics, a reference-counted value swapped
 * under a lock as the mtls plugin does).  Plugin-global data is shared by
 * all instances and all engines in the process: avoid it, or make it
 * thread-safe.  Several engines in one process may open() at once.
 *
 * ---- What may block -------------------------------------------------------
 *
 *  - open() may block: read files, parse bundles, talk to a token.  It
 *    delays the load or reload, nothing else; keep it bounded (a network
 *    source needs a timeout, and must fail the load rather than hang).
 *  - verify() and credentials() must not block on I/O: they run inside
 *    TLS handshakes and on the application's request path.  No network,
 *    no waiting on a lock someone holds across I/O, no unbounded work.
 *    Precompute in open(); a bounded, rate-limited local check (a stat()
 *    at most once per interval) is the most they may do.
 *  - describe() reports what the state already holds: no I/O.
 *  - close() frees memory and handles; it may run on a verifying thread.
 *
 * ---- Background work ------------------------------------------------------
 *
 * Each engine has one worker thread running a GMainContext, started the
 * first time a plugin asks for it and stopped and joined by
 * tv_engine_free() after every instance was closed.  A plugin that
 * refreshes in the background (timers, file monitors, network fetches)
 * attaches its GSources to tv_host_get_main_context(): their callbacks
 * all run on that one thread, never on the verification path.  Do not
 * start threads of your own, and never block the worker (it is shared by
 * every instance of every plugin of the engine): drive I/O with sources
 * (g_unix_fd_add, GFileMonitor, a libcurl multi handle on the context).
 *
 *  - Attach from any thread (open() included) with g_source_attach();
 *    state the worker builds is handed to verify() the usual way: build
 *    the new value aside, swap a reference under a lock held for a few
 *    instructions, call tv_host_trust_changed().  verify() never waits
 *    for the worker.
 *  - open() may wait for the worker's first result, bounded (a
 *    timeout), e.g. on a GCond the worker signals.
 *  - close() must leave nothing in the context: it calls
 *    tv_host_invoke_sync() with a function that destroys its sources and
 *    cancels its transfers; that function runs on the worker while
 *    close() waits, so no callback of the instance runs afterwards.
 *
 * Plugins that need no background work can stay lazy: keep the time of
 * the last check in the state and, inside verify() or credentials(),
 * look again at most once per interval, with bounded cost, under a mutex;
 * build the new value aside and swap it in only when it is good (keep
 * the last good one and warn once otherwise).  The mtls plugin rebuilds a
 * rotated client certificate that way (`check_interval`).  A plugin whose
 * open() depends only on its settings and the files they name should set
 * TV_PLUGIN_CAP_KEEP_ON_RELOAD, so that reloads cost nothing when nothing
 * changed.
 *
 * ---- Reporting a verdict --------------------------------------------------
 *
 * verify() returns a tv_step_verdict and writes the why into @result:
 *
 *  - TV_STEP_PASS: this step vouches for the chain.
 *  - TV_STEP_FAIL: it refuses it.  Add reason bits with
 *    tv_step_result_add_reasons() (none = TV_REASON_UNTRUSTED) and a
 *    one-line message naming what failed (which certificate, which pin).
 *  - TV_STEP_IGNORE: no opinion (a veto that found nothing to veto, a rule
 *    that does not apply).  IGNORE never makes a chain trusted.
 *  - TV_STEP_UNAVAIL: the plugin's source is down; counts like FAIL for
 *    required/requisite steps (reason TV_REASON_SOURCE_UNAVAILABLE unless
 *    set).
 *
 * The control flag of the step (required, requisite, sufficient, optional)
 * decides what the verdict does: Linux-PAM rules, see tlsverify.conf(5).
 * Reasons of PASS and IGNORE are dropped; any other return value is a
 * FAIL.  A verdict that holds only until some time (pins that lapse) says
 * so with tv_step_result_set_valid_until() so that the result cache does
 * not keep it longer.  Problems that happen while judging (a certificate
 * that does not parse) are a FAIL with a reason, never a pass: fail
 * closed.  Operational errors are for open() only, through its GError.
 *
 * ---- Telling the engine that trust changed --------------------------------
 *
 * The engine caches verdicts of verifications at "now" (defaults.cache).
 * When an instance's idea of trust changes without a reload (the lazy
 * refresh above swapped in new anchors or a new deny list), call
 * tv_host_trust_changed(host): every cached verdict is dropped, so the
 * next verification runs the steps again.  It is cheap (one atomic
 * increment) and safe from any callback and any thread.  A reload needs
 * no call: a new snapshot starts with an empty cache.
 *
 * ---- Ownership ------------------------------------------------------------
 *
 * The engine owns the state from a successful open() until close(), and
 * everything it lends: @settings, @host, @request, @chain and @result are
 * borrowed (transfer none), valid for the duration of the call unless a
 * function below says longer; never free them.  The host (tv_host) stays
 * valid until close(); settings strings until close().  Values a function
 * returns as (transfer full) are the plugin's to free as documented.
 * Secrets (keys, passwords, PINs) are wiped before they are freed.
 *
 * ---- Logging and output ---------------------------------------------------
 *
 * There is no host logging call: log with glib (g_debug, g_info,
 * g_warning) and define G_LOG_DOMAIN "tlsverify-NAME"; the application's
 * log writer decides where it goes.  Audit events (things an operator must
 * be able to find later) go through tv_host_audit().  Never write to
 * stdout or stderr, never exit() or abort(): the engine is a library.
 *
 * ==== ABI versioning =======================================================
 *
 * Rules:
 *  - The ABI is append-only.  TV_PLUGIN_ABI_MAJOR changes for anything
 *    that is not an addition: a member removed, moved or retyped, a
 *    callback's signature or meaning changed, a member that was optional
 *    made required, a new tv_step_verdict value, a cap bit's meaning
 *    changed, a host function changed or removed.  The engine refuses a
 *    plugin of any other major.
 *  - TV_PLUGIN_ABI_MINOR grows by one for each release that appends
 *    members to tv_plugin_ops.  Every appended member is optional (NULL
 *    means "not supported"): a plugin built against an older header does
 *    not have it, and the engine never reads a member beyond what the
 *    plugin's own abi_minor declares.  A plugin sets abi_minor =
 *    TV_PLUGIN_ABI_MINOR of the header it was built with.
 *  - Additions that old engines and old plugins cannot misread need no
 *    new minor: a new cap bit whose absence means the old behaviour (an
 *    engine that does not know a bit ignores it), a new host function
 *    exported by libtlsverify (a plugin that calls it fails to load,
 *    naming the symbol, under an older library).  They are recorded below
 *    under the minor in force.
 *  - Nothing is ever inserted in the middle of tv_plugin_ops.
 *
 * Change log:
 *  1.0  abi_major, abi_minor, name, summary, caps, open, verify, close;
 *       TV_PLUGIN_CAP_TRUST_ANCHOR; tv_settings_*, tv_host_get_endpoint,
 *       tv_host_trust_changed, tv_host_audit, tv_chain_*, tv_trust_list_*,
 *       tv_reasons_from_gnutls_status, tv_step_result_*.
 *  1.1  credentials (client certificates); tv_client_cert_*;
 *       tv_host_get_role and tv_role.
 *  1.2  describe (metrics and status); tv_describe_int,
 *       tv_describe_string.
 *       Later, same minor: TV_PLUGIN_CAP_KEEP_ON_RELOAD;
 *       tv_host_get_main_context and tv_host_invoke_sync (the engine
 *       worker); tv_path_options, tv_revocation_mode,
 *       tv_trust_list_verify_with, tv_path_options_read,
 *       tv_path_options_clear, tv_revocation_mode_read (RFC 5280
 *       policy inputs, revocation,
 *       SHA-1 opt-in); tv_trust_index_new, tv_trust_index_add,
 *       tv_trust_index_free, tv_trust_list_verify_indexed, and
 *       tv_path_options.index.
 *       Later, same minor: tv_crl_set (tv_crl_set_new, tv_crl_set_free,
 *       tv_crl_set_get_size) and tv_path_options.crl_set, appended.
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
 * new one meanwhile.  Reference counting is atomic: ref and unref from any
 * thread.  (ABI 1.1)
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
/* Returns @cert with one more reference (transfer full). */
TV_API tv_client_cert *tv_client_cert_ref(tv_client_cert *cert);
/* Drops one reference; the last one frees the chain and the key.
 * NULL-safe. */
TV_API void tv_client_cert_unref(tv_client_cert *cert);
/* (transfer none): valid while the caller holds a reference. */
TV_API gnutls_pcert_st *tv_client_cert_get_pcerts(const tv_client_cert *cert,
						  unsigned *n);
/* (transfer none): valid while the caller holds a reference. */
TV_API gnutls_privkey_t tv_client_cert_get_key(const tv_client_cert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_client_cert, tv_client_cert_unref)

/* Where a step sits in its endpoint (tv_host_get_role).  (ABI 1.1) */
typedef enum {
	TV_ROLE_CHAIN = 0,  /* a step of `chain`: verify() is called */
	TV_ROLE_CLIENT = 1, /* the endpoint's `client`: credentials() is */
} tv_role;

typedef struct tv_plugin_ops {
	/* ABI 1.0 */
	uint16_t abi_major;  /* TV_PLUGIN_ABI_MAJOR */
	uint16_t abi_minor;  /* TV_PLUGIN_ABI_MINOR of the header built with */
	const char *name;    /* [a-z0-9_-]+, equals the file name */
	const char *summary; /* one line for `tlsverify plugins` */
	uint32_t caps;	     /* TV_PLUGIN_CAP_* */

	/*
	 * open: read @settings (every key must be read through a
	 * tv_settings_get_* accessor, or the engine reports it as unknown),
	 * build state.  Called once per step per policy snapshot, off the hot
	 * path.  Returns false with @error on any problem; the whole policy
	 * load then fails.  @host stays valid until close().
	 *
	 * Thread: the one loading the policy (tv_engine_new,
	 * tv_engine_reload); may block, within bounds.  Runs while other
	 * instances, this plugin's too, serve verify() on the running
	 * snapshot.
	 * Ownership: @settings and @host are borrowed; store *@state (any
	 * pointer, NULL allowed), which the engine owns until close().
	 * Errors: build them with tv_settings_set_error() so that they name
	 * file:line and the key.  On failure free what you built and leave
	 * *@state NULL; a non-NULL *@state left behind is passed to close().
	 */
	bool (*open)(const tv_settings *settings, const tv_host *host,
		     void **state, GError **error);

	/*
	 * verify: judge @chain for @request.  Called from any thread at once:
	 * @state must be read-only here.  Set the message and reasons through
	 * tv_step_result_*; a FAIL without reason bits counts as "untrusted".
	 * Never returns an error: anything that goes wrong is FAIL.
	 *
	 * Thread: any, many at once, also inside TLS handshakes; must not
	 * block on I/O (see "What may block").  Only for steps of `chain`
	 * (TV_ROLE_CHAIN).  Not called on a result-cache hit.
	 * Ownership: @request, @chain and @result are borrowed for the call.
	 * @request has the host, port, purpose and time; @chain the path the
	 * engine built and imported once (tv_chain_*).
	 */
	tv_step_verdict (*verify)(void *state, const tv_request *request,
				  const tv_chain *chain,
				  tv_step_result *result);

	/*
	 * close: free @state (may be NULL when open failed halfway).
	 *
	 * Called once per instance when the last snapshot using it is
	 * released (see Lifecycle, 4), or after a failed open() that left a
	 * state behind; never at the same time as another callback on the
	 * same state.  Frees everything and leaves nothing running.
	 */
	void (*close)(void *state);

	/* ABI 1.1 (read only when abi_minor >= 1) */

	/*
	 * credentials: the client certificate to present for @request, when
	 * the step is an endpoint's `client` (tv_host_get_role() ==
	 * TV_ROLE_CLIENT).  Returns (transfer full) a reference, or NULL to
	 * present none.  Called during handshakes from any thread.  NULL
	 * member: the plugin cannot be used as `client`.
	 *
	 * Thread: GnuTLS's certificate-retrieval callback of a client
	 * handshake, many at once; must not block on I/O.  @request holds
	 * only the host and port the session was attached with (no chain,
	 * no time).  Return a new reference (tv_client_cert_ref) to a value
	 * the state keeps: the handshake drops it when the session is freed.
	 */
	tv_client_cert *(*credentials)(void *state, const tv_request *request);

	/* ABI 1.2 (read only when abi_minor >= 2) */

	/*
	 * describe: report the instance's state for metrics and status
	 * (anchor count, trust version, staleness...) with tv_describe_*.
	 * Called from any thread, concurrently with verify(): read only.
	 * Optional (NULL).
	 *
	 * Thread: the one calling tv_engine_metrics() or tv_engine_status()
	 * (e.g. an HTTP handler).  Cheap: no I/O, a lock held briefly at
	 * most.  @out is borrowed for the call.
	 */
	void (*describe)(void *state, tv_describe *out);
} tv_plugin_ops;

typedef const tv_plugin_ops *(*tv_plugin_get_ops_fn)(void);

/* The one symbol a plugin defines (declared here so plugins need no
 * prototype of their own; libtlsverify itself does not define it).
 * Define it with TV_API (default visibility) and build with
 * -fvisibility=hidden so that nothing else is exported. */
TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

/* ---- settings: the step's keys, typed; no libconfig type crosses ---- */

/*
 * For open() only.  Every accessor marks @key as read; after open() the
 * engine fails the load on any key of the step that nothing read
 * ("unknown key"), so a typo never passes silently.  `use` and `control`
 * are the engine's and never reach the plugin.
 *
 * When @key is absent an accessor returns true and leaves *@out untouched
 * (preset the default).  When present with the wrong type or value it
 * returns false with @error (TV_ERROR_CONFIG) naming file:line and the
 * key.
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
 * (transfer full) g_free().  Files named through this accessor (and
 * tv_settings_get_pathv) are the ones TV_PLUGIN_CAP_KEEP_ON_RELOAD
 * watches. */
TV_API bool tv_settings_get_path(const tv_settings *settings, const char *key,
				 char **out, GError **error);
/* A string or list of paths, each resolved; (transfer full) g_strfreev(). */
TV_API bool tv_settings_get_pathv(const tv_settings *settings, const char *key,
				  char ***out, GError **error);
/* A time (RFC 3339 UTC, bare date); seconds since the epoch. */
TV_API bool tv_settings_get_time(const tv_settings *settings, const char *key,
				 int64_t *out, GError **error);
/* "file:line" of @key (or of the step when @key is NULL or absent);
 * (transfer none), valid until close(): handy as a prefix for later log
 * lines. */
TV_API const char *tv_settings_get_location(const tv_settings *settings,
					    const char *key);
/* Adds a lint warning "file:line: key 'k': <message>" to the policy's
 * warnings (shown by `tlsverify check-config`); for open() only. */
TV_API void tv_settings_warn(const tv_settings *settings, const char *key,
			     const char *format, ...) G_GNUC_PRINTF(3, 4);
/* Builds an error "file:line: key 'k': <message>"; for plugin validation.
 * @key NULL names the step itself.  Message style: lowercase start, no
 * final period, name the subject ("cannot read deny list: ..."). */
TV_API void tv_settings_set_error(const tv_settings *settings, const char *key,
				  GError **error, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

/* ---- host: services the engine lends a plugin ------------------------ */

/*
 * The tv_host passed to open() stays valid until close(); keep it in the
 * state to call these from the other callbacks.  All are thread-safe.
 */

/* Endpoint name of the step; (transfer none), valid until close(). */
TV_API const char *tv_host_get_endpoint(const tv_host *host);
/* Whether the step is a chain step or the endpoint's `client`.  (1.1) */
TV_API tv_role tv_host_get_role(const tv_host *host);
/*
 * Tell the engine this step's trust changed (flushes cached verdicts).
 * Call it after the state changed what verify() will answer without a
 * reload (a lazily refreshed bundle or list).  From any callback, any
 * thread; one atomic increment.  Not needed in open(): a new snapshot
 * starts with an empty cache.
 */
TV_API void tv_host_trust_changed(const tv_host *host);
/*
 * Writes an audit event (glib structured log with TLSVERIFY_EVENT,
 * TLSVERIFY_ENDPOINT, TLSVERIFY_HOST, TLSVERIFY_REASON) for @request at
 * this step's endpoint, e.g. event "pin-report-mismatch".  Safe from
 * verify(), from any thread.  Also counted in the metrics
 * (tlsverify_audit_events_total{endpoint,event}); the same event of an
 * endpoint is logged at most once a minute.  All strings are borrowed;
 * @request, @reason and @message may be NULL.
 */
TV_API void tv_host_audit(const tv_host *host, const tv_request *request,
			  const char *event, const char *reason,
			  const char *message);

/*
 * The engine worker's main context (see "Background work"); starts the
 * worker thread on first use.  Returns (transfer none) a context valid
 * until close(); NULL only for a host without an engine (a test double).
 * From any callback, any thread.  (1.2, later)
 */
TV_API GMainContext *tv_host_get_main_context(const tv_host *host);
/*
 * Runs @fn(@data) once on the worker thread and returns when it has
 * returned (its return value is ignored).  Runs it directly when called on
 * the worker, or when the worker never started (nothing of the plugin's
 * can be running there).  Meant for close() and open() to set up or tear
 * down their sources without racing their callbacks.  Never call it from
 * verify().  (1.2, later)
 */
TV_API void tv_host_invoke_sync(const tv_host *host, GSourceFunc fn,
				gpointer data);

/* ---- chain: the presented certificates, imported once ---------------- */

/*
 * The path the engine built from the presented certificates (and the
 * untrusted pool): leaf first, each next one the issuer of the previous by
 * subject/issuer DN; certificates that do not fit the path are left out.
 * Everything below is borrowed and valid during verify() only; the
 * parsed certificates are shared with the other steps: do not modify
 * them.
 */
TV_API size_t tv_chain_get_length(const tv_chain *chain);
/* (transfer none) parsed certificate, valid during verify(). */
TV_API gnutls_x509_crt_t tv_chain_get_crt(const tv_chain *chain, size_t index);
/* (transfer none) the array of all tv_chain_get_length() certificates. */
TV_API gnutls_x509_crt_t *tv_chain_get_crts(const tv_chain *chain);
/* (transfer none) the DER bytes of certificate @index. */
TV_API const gnutls_datum_t *tv_chain_get_der(const tv_chain *chain,
					      size_t index);
/* Verification time for this request, seconds since the epoch.  Judge
 * time-dependent things by it, never by time(): requests may carry a
 * fixed time. */
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
 * Build it in open(); free it in close() with
 * gnutls_x509_trust_list_deinit(list, 1).  Read-only after open(), it is
 * safe for concurrent verify() calls.
 */
TV_API int tv_trust_list_new(gnutls_x509_trust_list_t *list);

/*
 * tv_trust_list_verify: validates @chain against @list at the chain's time
 * for the request's purpose, with the time checks done by tlsverify (GnuTLS
 * only knows "now").  Sets @result's reasons and message on failure.
 * Returns: TV_STEP_PASS or TV_STEP_FAIL.  On PASS it records the anchor
 * for later steps (tv_chain_get_anchor_der).  An anchor plugin's verify()
 * can simply return it.
 */
TV_API tv_step_verdict tv_trust_list_verify(gnutls_x509_trust_list_t list,
					    const tv_request *request,
					    const tv_chain *chain,
					    tv_step_result *result);

/* How revocation is checked along a validated path (tv_path_options). */
typedef enum {
	TV_REVOCATION_OFF = 0,
	TV_REVOCATION_IF_PRESENT = 1,
	TV_REVOCATION_REQUIRE = 2,
} tv_revocation_mode;

/*
 * A plugin's CRLs prepared once for revocation checks: each CRL decoded
 * (issuer names normalised, scope and delta information, entries indexed
 * by serial number), and the outcome of each CRL signature check kept
 * per signer key.  Build it in open() and lend it through
 * tv_path_options.crl_set; it is safe for concurrent verify() calls.
 */
typedef struct tv_crl_set tv_crl_set;

/*
 * tv_crl_set_new: prepares @crls (@n of them; read during the call only,
 * the caller keeps them).  A CRL that does not decode or is malformed is
 * kept as unusable: a certificate it should cover fails closed when
 * checked.  Returns: (transfer full) never NULL; free with
 * tv_crl_set_free().
 */
TV_API tv_crl_set *tv_crl_set_new(gnutls_x509_crl_t *crls, size_t n);
/* Frees @set (NULL-safe).  No verification may still be using it. */
TV_API void tv_crl_set_free(tv_crl_set *set);
/* The number of CRLs in @set (0 for NULL). */
TV_API size_t tv_crl_set_get_size(const tv_crl_set *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tv_crl_set, tv_crl_set_free)

/*
 * Inputs of RFC 5280 path validation beyond the trust list, for
 * tv_trust_list_verify_with().  Set @size to sizeof (tv_path_options):
 * members are only ever appended, and the engine reads no member beyond
 * @size.  All pointers are borrowed for the call.
 */
/* Anchor names of a trust list, for a fast miss (tv_trust_index_new). */
typedef struct tv_trust_index tv_trust_index;

typedef struct {
	size_t size; /* sizeof (tv_path_options): members are only appended */
	gnutls_x509_crl_t *crls; /* borrowed; may be NULL */
	size_t n_crls;
	tv_revocation_mode revocation;
	/* RFC 5280 6.1.1 user-initial-policy-set: NULL-terminated dotted
	 * OIDs; NULL (or one holding anyPolicy 2.5.29.32.0) = any policy.
	 * A specific set also requires the path to leave one of them
	 * valid (a non-empty user-constrained policy set). */
	const char *const *initial_policy_set;
	bool require_explicit_policy; /* initial-explicit-policy */
	bool inhibit_policy_mapping;  /* initial-policy-mapping-inhibit */
	bool inhibit_any_policy;      /* initial-any-policy-inhibit */
	/* Accept SHA-1 signatures on the path (GnuTLS refuses them by
	 * default).  Only for legacy PKIs: a step that sets it is warned
	 * about by `tlsverify check-config`. */
	bool allow_sha1;
	/* The list's anchor names (tv_trust_index_new; borrowed): a chain
	 * whose issuers no anchor names fails at once as untrusted, without
	 * a trial verification, and an anchor named with other case or
	 * spacing than a certificate's issuer is still found.  NULL:
	 * always the full check, anchors by exact name only. */
	const tv_trust_index *index;
	/* @crls prepared by tv_crl_set_new() (borrowed; may be NULL).  When
	 * set, the engine checks revocation against it and ignores @crls;
	 * keep @crls set to the same CRLs for engines older than this
	 * member.  Without it, @crls are prepared again on every
	 * verification. */
	const tv_crl_set *crl_set;
} tv_path_options;

/*
 * tv_trust_list_verify_with: tv_trust_list_verify() with @options (NULL:
 * the defaults, i.e. any policy, nothing required, no SHA-1).  GnuTLS
 * validates the path; tlsverify adds what GnuTLS 3.7 lacks (RFC 5280 name
 * comparison, self-issued certificates outside pathLenConstraint, DN and
 * URI name constraints, certificate policies) and, when the first path
 * fails, tries other paths through the presented certificates (e.g. a
 * cross-signed intermediate).  On PASS the chain's path
 * (tv_chain_get_crt) is the validated one.  Revocation: every
 * certificate of the validated path but the anchor is checked against
 * @options->crls (RFC 5280 6.3: each CRL validated itself) as
 * @options->revocation says; a revoked certificate fails with
 * TV_REASON_REVOKED, an unknown status that the mode requires with
 * TV_REASON_UNTRUSTED.
 * Returns: TV_STEP_PASS or TV_STEP_FAIL with reasons and message.
 */
TV_API tv_step_verdict tv_trust_list_verify_with(gnutls_x509_trust_list_t list,
						 const tv_request *request,
						 const tv_chain *chain,
						 const tv_path_options *options,
						 tv_step_result *result);

/*
 * tv_path_options_read: for open(); fills @options (size included, other
 * members zero unless set) from the step's settings
 * `initial_policy_set` (string or list of OIDs), `require_explicit_policy`,
 * `inhibit_policy_mapping`, `inhibit_any_policy` and `allow_sha1`
 * (booleans, default false).  Free with tv_path_options_clear().
 * Returns: false with @error (TV_ERROR_CONFIG, file:line) on a wrong type
 * or an OID that is not dotted decimal.
 */
TV_API bool tv_path_options_read(const tv_settings *settings,
				 tv_path_options *options, GError **error);
/* Frees what tv_path_options_read() allocated and zeroes @options. */
TV_API void tv_path_options_clear(tv_path_options *options);

/*
 * tv_revocation_mode_read: for open(); the step's `revocation` setting,
 * "require" | "if-present" | "off", into @mode.  Default: require when
 * the step has CRLs (@have_crls), if-present otherwise.
 * Returns: false with @error (TV_ERROR_CONFIG, file:line) on another value
 * or on "require" without CRLs.
 */
TV_API bool tv_revocation_mode_read(const tv_settings *settings, bool have_crls,
				    tv_revocation_mode *mode, GError **error);

/*
 * tv_trust_index_new: an index of the subject names of @list's anchors,
 * for tv_trust_list_verify_indexed.  Build it in open(), after the last
 * anchor was added (it does not follow later changes of @list); free it
 * in close().  Read-only afterwards, safe for concurrent verify() calls.
 * It reads each anchor through a copy (~20 µs each); a plugin that parses
 * its anchors itself passes @list NULL for an empty index and adds each
 * certificate with tv_trust_index_add before handing it to the list.
 * Returns: (transfer full) the index, or NULL when an anchor could not be
 * read (then pass NULL: every chain gets the full check).
 */
TV_API tv_trust_index *tv_trust_index_new(gnutls_x509_trust_list_t list);
/* Records @anchor's names (borrowed for the call); in open() only. */
TV_API void tv_trust_index_add(tv_trust_index *index, gnutls_x509_crt_t anchor);
TV_API void tv_trust_index_free(tv_trust_index *index);

/*
 * tv_trust_list_verify_indexed: tv_trust_list_verify, preceded by a name
 * lookup in @index: when no anchor's name matches, even ignoring case and
 * whitespace, the issuer of any certificate of the request (nor the
 * certificate itself), fails at once with "untrusted" ("no trust anchor
 * for 'ISSUER'") instead of a trial verification (µs instead of
 * 60-500 µs).  @index NULL: tv_trust_list_verify.  The same as
 * tv_trust_list_verify_with() with only tv_path_options.index set.
 */
TV_API tv_step_verdict tv_trust_list_verify_indexed(
	gnutls_x509_trust_list_t list, const tv_trust_index *index,
	const tv_request *request, const tv_chain *chain,
	tv_step_result *result);

/* Maps GnuTLS verification status bits to tv_reason bits. */
TV_API uint32_t tv_reasons_from_gnutls_status(unsigned status);

/* ---- describe: a plugin instance's state (ABI 1.2) ------------------ */

/* A numeric value: becomes tlsverify_plugin_value{endpoint,step,plugin,
 * key} in the metrics and "state": {key: value} in the status.  Keys are
 * [a-z0-9_]+.  @key and strings are copied. */
TV_API void tv_describe_int(tv_describe *out, const char *key, int64_t value);
/* A text value: shown in the status only. */
TV_API void tv_describe_string(tv_describe *out, const char *key,
			       const char *value);

/* ---- step result ----------------------------------------------------- */

/*
 * verify() fills its @result with these; the engine owns it and copies
 * the message into the trace.
 */

/* Adds reason bits (TV_REASON_*); kept only for FAIL and UNAVAIL. */
TV_API void tv_step_result_add_reasons(tv_step_result *result,
				       uint32_t reasons);
/*
 * The verdict holds only until @unix_time (e.g. a pin set's `expires`):
 * the engine's result cache keeps it no longer.  The earliest of all
 * steps' limits applies.
 */
TV_API void tv_step_result_set_valid_until(tv_step_result *result,
					   int64_t unix_time);
/* Sets the one-line message shown in the trace (replaces any earlier).
 * Say what was found, not only that something failed. */
TV_API void tv_step_result_set_message(tv_step_result *result,
				       const char *format, ...)
	G_GNUC_PRINTF(2, 3);

G_END_DECLS

#endif /* TV_PLUGIN_H */
