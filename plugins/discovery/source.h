/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery sources: what a source implements and what it hands the pipeline.
 */
#ifndef TV_DISCOVERY_SOURCE_H
#define TV_DISCOVERY_SOURCE_H

#include <stdbool.h>

#include <tlsverify/plugin.h>

G_BEGIN_DECLS

/*
 * ---- Threading -------------------------------------------------------------
 *
 * configure() and free() run on the thread that opens/closes the plugin
 * instance.  start() and stop() run on the engine worker (the GMainContext
 * passed to start()); every callback a source registers runs there too, and
 * so does every dsc_sink_* call.  A source never blocks: it drives its I/O
 * with sources attached to @ctx (dsc_http for HTTP, GFileMonitor, timers).
 * After stop() returns, the source has no GSource, request or monitor left
 * in @ctx and never calls the sink again.
 */

/* Value formats a source offers (the pipeline parses them). */
#define DSC_FORMAT_PEM "pem"
#define DSC_FORMAT_SPIFFE_JWKS "spiffe-jwks"
#define DSC_FORMAT_CONSUL_ROOTS "consul-roots"

/* Settings every source shares; read by discovery.c before configure(). */
typedef struct {
	const char *location;	  /* "file:line" of the step, for messages */
	const char *trust_domain; /* NULL: unscoped */
	const char *format;	  /* DSC_FORMAT_* (the `format` key) */
	gsize max_bundle_bytes;	  /* size cap of one value */
	gint64 initial_timeout_ms;
	gint64 max_staleness_s;
} dsc_config;

/*
 * The result of parsing one value (a parser's output, the pipeline's
 * input).  Owned by the caller: init before, clear after.
 */
typedef struct {
	GPtrArray *crts;     /* gnutls_x509_crt_t, freed by dsc_parsed_clear */
	gint64 sequence;     /* spiffe_sequence; -1 when absent */
	gint64 refresh_hint; /* spiffe_refresh_hint in seconds; -1 absent */
	bool revoked;	     /* authoritative empty set (JWKS `keys: []`) */
	char *trust_domain;  /* one the data names (Consul), or NULL */
} dsc_parsed;

void dsc_parsed_init(dsc_parsed *parsed);
void dsc_parsed_clear(dsc_parsed *parsed);

/*
 * A value parser: fills @out (initialised by the caller) from @data.
 * Returns false with @error when the value is not of the format; the
 * pipeline then rejects the whole update.  Parsers do no validation
 * beyond the format (CA flags and dates are the pipeline's).
 */
typedef bool (*dsc_parse_fn)(GBytes *data, dsc_parsed *out, GError **error);

typedef struct {
	const char *name; /* DSC_FORMAT_* */
	dsc_parse_fn parse;
} dsc_format;

/* NULL-terminated table in sources.c. */
extern const dsc_format *const dsc_formats[];
/* The parser of @name, or NULL when the format is not supported. */
dsc_parse_fn dsc_format_find(const char *name);

/* ---- the sink: where a source delivers values ----------------------------
 */

typedef struct dsc_sink dsc_sink;

/* What the pipeline did with an offer. */
typedef enum {
	DSC_OFFER_ACCEPTED,  /* swapped in */
	DSC_OFFER_UNCHANGED, /* same content as the current bundle */
	DSC_OFFER_OLDER,     /* @order below the current one: ignored */
	DSC_OFFER_REJECTED,  /* too big, does not parse or does not validate */
} dsc_offer_status;

/* Out data of an offer, for the source's scheduling (may be NULL). */
typedef struct {
	gint64 refresh_hint; /* seconds, from the value; -1 absent */
	gint64 sequence;     /* from the value; -1 absent */
} dsc_offer_info;

/*
 * dsc_sink_offer: a new value for the instance's trust domain (the
 * `trust_domain` setting, or the unscoped set).  @data is borrowed.
 * @format: DSC_FORMAT_*.  @order: the source's ordering (etcd revision,
 * spiffe_sequence, Consul index); an offer whose order is below the
 * current bundle's is ignored; -1 means none (always newer).  @version:
 * shown by describe (may be NULL: the order, else the content hash).
 * A successful fetch also counts as contact with the source (staleness
 * restarts even when the content is unchanged).
 */
dsc_offer_status dsc_sink_offer(dsc_sink *sink, GBytes *data,
				const char *format, gint64 order,
				const char *version, dsc_offer_info *info);

/*
 * dsc_sink_offer_map: one update holding several trust domains at once
 * (an etcd prefix with one key per trust domain): @values maps
 * trust-domain name (char *) to GBytes *.  Validated and swapped as a
 * whole; sets of different trust domains are never merged.
 */
dsc_offer_status dsc_sink_offer_map(dsc_sink *sink, GHashTable *values,
				    const char *format, gint64 order,
				    const char *version);

/*
 * dsc_sink_failed: the source could not fetch (connection refused,
 * HTTP 5xx, broken stream).  Recorded as last error; the current bundle
 * stays until max_staleness.  Logged at debug level (the source decides
 * when a failure deserves a warning).
 */
void dsc_sink_failed(dsc_sink *sink, const char *format, ...)
	G_GNUC_PRINTF(2, 3);

/* dsc_sink_contact: the source is alive and up to date without a new
 * value (an etcd progress notification, a Consul timeout with the same
 * index): resets staleness. */
void dsc_sink_contact(dsc_sink *sink);

/*
 * dsc_sink_dup_anchors: the current anchors of @trust_domain (NULL: the
 * instance's own) as a trust list built for the caller, for a source that
 * verifies its server with the bundle it serves (SPIFFE `https_spiffe`
 * self-serving).  Returns (transfer full) a list to free with
 * gnutls_x509_trust_list_deinit(list, 1), or NULL when there is none.
 */
gnutls_x509_trust_list_t dsc_sink_dup_anchors(dsc_sink *sink,
					      const char *trust_domain);

/* ---- the source vtable -----------------------------------------------------
 */

typedef struct {
	const char *name; /* the `source` setting */
	/*
	 * configure: read the source's own settings (through tv_settings_*,
	 * errors via tv_settings_set_error) and build its state.  No I/O
	 * beyond reading local files named by settings.  Returns the state or
	 * NULL with @error.
	 */
	void *(*configure)(const tv_settings *settings,
			   const dsc_config *config, GError **error);
	/* start: begin fetching on @ctx (the worker); deliver to @sink. */
	void (*start)(void *source, GMainContext *ctx, dsc_sink *sink);
	/* stop: on the worker; cancel everything started (see above). */
	void (*stop)(void *source);
	/* free: the state, after stop() (or without start()). NULL-safe. */
	void (*free)(void *source);
} dsc_source_ops;

extern const dsc_source_ops dsc_source_etcd;
extern const dsc_source_ops dsc_source_file;

/* NULL-terminated table in sources.c. */
extern const dsc_source_ops *const dsc_sources[];
/* The source named @name, or NULL. */
const dsc_source_ops *dsc_source_find(const char *name);

/* Built-in parser of DSC_FORMAT_PEM (bundle.c). */
bool dsc_pem_parse(GBytes *data, dsc_parsed *out, GError **error);

G_END_DECLS

#endif
