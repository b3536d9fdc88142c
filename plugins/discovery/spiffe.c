/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery source "spiffe": a SPIFFE bundle endpoint (SPIFFE Federation
 * §4-5), polled. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-discovery"

#include <string.h>

#include "http.h"
#include "jwks.h"
#include "remote-sources.h"
#include "spiffe-id.h"

/*
 * The loop: GET the endpoint, offer the body (a JWK Set) to the pipeline,
 * which orders bundles by spiffe_sequence and drops a lower one; wait
 * spiffe_refresh_hint (clamped), or the `refresh_interval` setting, and
 * fetch again.  A failed fetch is retried at the next interval, not sooner
 * (FED §6.2: publishers add keys several refresh hints ahead of use).
 *
 * Server authentication, by `profile`:
 *  - https_web: libcurl's own Web PKI check (hostname included) against
 *    the `ca` file or the system store;
 *  - https_spiffe: the server must present an X509-SVID for `endpoint_id`,
 *    checked before the request is sent.  The chain is verified with the
 *    endpoint's trust domain bundle: when the endpoint serves its own
 *    trust domain, the latest bundle fetched (so rotation works), the
 *    `bootstrap_bundle` only until the first one arrives; for another
 *    trust domain, the bootstrap bundle.
 */

#define DEFAULT_REFRESH_S 300 /* TDB §6.1: a low default without a hint */
#define MIN_REFRESH_S 30
#define MAX_REFRESH_S 86400
#define REQUEST_TIMEOUT_MS 30000
#define MAX_PEER_CERTS 16

typedef enum {
	PROFILE_WEB,
	PROFILE_SPIFFE,
} spiffe_profile;

typedef struct {
	/* Settings, fixed after configure(). */
	char *location;
	char *url;
	char *trust_domain;
	spiffe_profile profile;
	char *ca_file;	   /* https_web; NULL: the system store */
	char *endpoint_id; /* https_spiffe */
	char *endpoint_td;
	bool self_serving;		    /* endpoint_td is trust_domain */
	gnutls_x509_trust_list_t bootstrap; /* https_spiffe */
	gint64 refresh_override_s;	    /* -1: follow the hint */
	gsize cap;
	/* Worker only. */
	dsc_sink *sink;
	GMainContext *ctx;
	dsc_http *http;
	dsc_http_request *req;
	GSource *timer;
	gint64 interval_s;
	bool delivered; /* the pipeline took a bundle of ours in this run */
	bool failing;	/* the last fetch failed (warn once per outage) */
	guint64 older;	/* bundles ignored for a lower spiffe_sequence */
} spiffe_source;

static void spiffe_free(void *source)
{
	spiffe_source *s = source;

	if (s == NULL)
		return;
	g_free(s->location);
	g_free(s->url);
	g_free(s->trust_domain);
	g_free(s->ca_file);
	g_free(s->endpoint_id);
	g_free(s->endpoint_td);
	if (s->bootstrap != NULL)
		gnutls_x509_trust_list_deinit(s->bootstrap, 1);
	g_free(s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(spiffe_source, spiffe_free)

/*
 * Reads the bootstrap bundle @path (PEM certificates, or a SPIFFE JWK
 * Set) into a new trust list.  Returns it, or NULL with @error.
 */
static gnutls_x509_trust_list_t load_bootstrap(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	g_autoptr(dsc_jwks) jwks = NULL;
	gnutls_x509_trust_list_t list = NULL;
	gnutls_datum_t datum;
	const char *p;
	gsize len = 0;
	int ret;

	if (!g_file_get_contents(path, &data, &len, error))
		return NULL;
	p = data;
	if (tv_trust_list_new(&list) < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot create a trust list");
		return NULL;
	}
	while (p < data + len && g_ascii_isspace(*p))
		p++;
	if (p < data + len && *p == '{') {
		/* A JWK Set: its x509-svid certificates, which the list
		 * takes over. */
		jwks = dsc_jwks_parse(data, len, error);
		if (jwks == NULL)
			goto fail;
		g_ptr_array_set_free_func(jwks->certs, NULL);
		ret = gnutls_x509_trust_list_add_cas(
			list, (gnutls_x509_crt_t *)jwks->certs->pdata,
			jwks->certs->len, 0);
		if (ret < 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT, "%s",
				    gnutls_strerror(ret));
			goto fail;
		}
	} else {
		datum.data = (unsigned char *)data;
		datum.size = (unsigned int)MIN(len, G_MAXUINT);
		ret = gnutls_x509_trust_list_add_trust_mem(
			list, &datum, NULL, GNUTLS_X509_FMT_PEM,
			GNUTLS_TL_NO_DUPLICATES, 0);
		if (ret < 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
				    "no PEM certificate: %s",
				    gnutls_strerror(ret));
			goto fail;
		}
	}
	if (ret == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_INPUT,
			    "holds no certificate");
		goto fail;
	}
	return list;
fail:
	gnutls_x509_trust_list_deinit(list, 1);
	return NULL;
}

static void *spiffe_configure(const tv_settings *settings,
			      const dsc_config *config, GError **error)
{
	g_autoptr(spiffe_source) s = g_new0(spiffe_source, 1);
	g_autoptr(GError) local = NULL;
	g_autofree char *bootstrap = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GUri) uri = NULL;
	const char *url = NULL, *profile = NULL, *endpoint_id = NULL;
	int64_t refresh = -1;

	if (!tv_settings_get_string(settings, "url", &url, error) ||
	    !tv_settings_get_string(settings, "profile", &profile, error) ||
	    !tv_settings_get_string(settings, "endpoint_id", &endpoint_id,
				    error) ||
	    !tv_settings_get_path(settings, "bootstrap_bundle", &bootstrap,
				  error) ||
	    !tv_settings_get_path(settings, "ca", &s->ca_file, error) ||
	    !tv_settings_get_int(settings, "refresh_interval", &refresh, error))
		return NULL;
	/* FED §5: the endpoint URL, profile and trust domain are required. */
	if (url == NULL) {
		tv_settings_set_error(settings, "url", error,
				      "missing: the bundle endpoint URL");
		return NULL;
	}
	uri = g_uri_parse(url, G_URI_FLAGS_NONE, &local);
	if (uri == NULL || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 ||
	    g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    g_uri_get_userinfo(uri) != NULL) {
		tv_settings_set_error(settings, "url", error,
				      "'%s' is not an https URL without user "
				      "info (SPIFFE Federation §4.1)",
				      url);
		return NULL;
	}
	if (config->trust_domain == NULL) {
		tv_settings_set_error(settings, "trust_domain", error,
				      "missing: a SPIFFE bundle does not name "
				      "its trust domain");
		return NULL;
	}
	if (profile == NULL) {
		tv_settings_set_error(settings, "profile", error,
				      "missing: https_web or https_spiffe");
		return NULL;
	}
	if (strcmp(profile, "https_web") == 0) {
		s->profile = PROFILE_WEB;
		if (endpoint_id != NULL || bootstrap != NULL) {
			tv_settings_set_error(settings,
					      endpoint_id ? "endpoint_id"
							  : "bootstrap_bundle",
					      error,
					      "only for profile https_spiffe");
			return NULL;
		}
	} else if (strcmp(profile, "https_spiffe") == 0) {
		s->profile = PROFILE_SPIFFE;
		if (s->ca_file != NULL) {
			tv_settings_set_error(
				settings, "ca", error,
				"only for profile https_web; https_spiffe "
				"uses bootstrap_bundle");
			return NULL;
		}
		if (endpoint_id == NULL || bootstrap == NULL) {
			tv_settings_set_error(
				settings,
				endpoint_id ? "bootstrap_bundle"
					    : "endpoint_id",
				error,
				"missing: https_spiffe needs endpoint_id and "
				"bootstrap_bundle");
			return NULL;
		}
		if (!dsc_spiffe_id_parse(endpoint_id, &s->endpoint_td, &path,
					 &local)) {
			tv_settings_set_error(settings, "endpoint_id", error,
					      "%s", local->message);
			return NULL;
		}
		if (*path == '\0') {
			/* X509-SVID §2: a leaf's ID has a path. */
			tv_settings_set_error(settings, "endpoint_id", error,
					      "'%s' has no path: it cannot be "
					      "a server's SVID",
					      endpoint_id);
			return NULL;
		}
		s->bootstrap = load_bootstrap(bootstrap, &local);
		if (s->bootstrap == NULL) {
			tv_settings_set_error(settings, "bootstrap_bundle",
					      error, "'%s': %s", bootstrap,
					      local->message);
			return NULL;
		}
		s->endpoint_id = g_strdup(endpoint_id);
		s->self_serving =
			strcmp(s->endpoint_td, config->trust_domain) == 0;
	} else {
		tv_settings_set_error(settings, "profile", error,
				      "'%s' is not https_web or https_spiffe",
				      profile);
		return NULL;
	}
	if (refresh != -1 && (refresh < 1 || refresh > MAX_REFRESH_S)) {
		tv_settings_set_error(settings, "refresh_interval", error,
				      "must be 1 to %d seconds", MAX_REFRESH_S);
		return NULL;
	}
	s->location = g_strdup(config->location);
	s->url = g_strdup(url);
	s->trust_domain = g_strdup(config->trust_domain);
	s->refresh_override_s = refresh;
	s->cap = config->max_bundle_bytes;
	s->interval_s = refresh > 0 ? refresh : DEFAULT_REFRESH_S;
	return g_steal_pointer(&s);
}

/*
 * https_spiffe: the server's chain must verify, for TLS server use, with
 * the endpoint trust domain's bundle, and its leaf must be an X509-SVID
 * for endpoint_id.  Runs on the worker, after the handshake and before
 * the request is sent.
 */
static bool spiffe_peer_check(gnutls_session_t session, gpointer user_data,
			      GError **error)
{
	spiffe_source *s = user_data;
	gnutls_x509_trust_list_t latest = NULL, list;
	gnutls_x509_crt_t crts[MAX_PEER_CERTS] = {NULL};
	gnutls_typed_vdata_st vdata = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER,
	};
	const gnutls_datum_t *peers;
	unsigned int n = 0, status = 0;
	bool ok = false;
	int ret;

	peers = gnutls_certificate_get_peers(session, &n);
	if (peers == NULL || n == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "no server certificate");
		return false;
	}
	if (n > MAX_PEER_CERTS) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "server sent %u certificates, more than %d", n,
			    MAX_PEER_CERTS);
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		ret = gnutls_x509_crt_init(&crts[i]);
		if (ret >= 0)
			ret = gnutls_x509_crt_import(crts[i], &peers[i],
						     GNUTLS_X509_FMT_DER);
		if (ret < 0) {
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "server certificate %u does not parse: %s",
				    i, gnutls_strerror(ret));
			goto out;
		}
	}
	if (s->self_serving) {
		latest = dsc_sink_dup_anchors(s->sink, s->trust_domain);
		if (latest == NULL && s->delivered) {
			/* Our own bundle revoked the trust domain: its SVIDs,
			 * the endpoint's included, are invalid (TDB §4.1.3). */
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "trust domain '%s' is revoked: the "
				    "endpoint's SVID cannot be trusted",
				    s->trust_domain);
			goto out;
		}
	}
	list = latest != NULL ? latest : s->bootstrap;
	ret = gnutls_x509_trust_list_verify_crt2(list, crts, n, &vdata, 1, 0,
						 &status, NULL);
	if (ret < 0 || status != 0) {
		gnutls_datum_t text = {NULL, 0};

		if (ret >= 0)
			gnutls_certificate_verification_status_print(
				status, GNUTLS_CRT_X509, &text, 0);
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "server certificate not trusted by the %s bundle "
			    "of '%s': %s",
			    latest != NULL ? "current" : "bootstrap",
			    s->endpoint_td,
			    ret < 0 ? gnutls_strerror(ret)
				    : (const char *)text.data);
		gnutls_free(text.data);
		goto out;
	}
	if (!dsc_spiffe_check_svid(crts[0], s->endpoint_id, error)) {
		g_prefix_error(error, "server is not the bundle endpoint: ");
		goto out;
	}
	ok = true;
out:
	for (unsigned int i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (latest != NULL)
		gnutls_x509_trust_list_deinit(latest, 1);
	return ok;
}

static void fetch(spiffe_source *s);

static gboolean on_timer(gpointer data)
{
	spiffe_source *s = data;

	g_clear_pointer(&s->timer, g_source_unref);
	fetch(s);
	return G_SOURCE_REMOVE;
}

static void schedule(spiffe_source *s)
{
	if (s->timer != NULL) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
	}
	s->timer = g_timeout_source_new_seconds((guint)s->interval_s);
	g_source_set_callback(s->timer, on_timer, s, NULL);
	g_source_attach(s->timer, s->ctx);
}

/* The next interval from a bundle's hint: clamped, unless overridden. */
static void take_hint(spiffe_source *s, gint64 hint)
{
	if (s->refresh_override_s > 0)
		s->interval_s = s->refresh_override_s;
	else if (hint >= 0)
		s->interval_s = CLAMP(hint, MIN_REFRESH_S, MAX_REFRESH_S);
}

static void fetch_failed(spiffe_source *s, const char *message)
{
	if (!s->failing)
		g_warning("%s: spiffe source: %s (retry in %" G_GINT64_FORMAT
			  " s)",
			  s->location, message, s->interval_s);
	s->failing = true;
	dsc_sink_failed(s->sink, "%s", message);
}

static void on_done(const dsc_http_response *r, gpointer user_data)
{
	spiffe_source *s = user_data;
	dsc_offer_info info = {-1, -1};

	s->req = NULL;
	if (r->error != NULL) {
		fetch_failed(s, r->error->message);
	} else if (r->status != 200) {
		g_autofree char *m = g_strdup_printf("%s: HTTP status %ld",
						     s->url, r->status);
		fetch_failed(s, m);
	} else {
		gsize len = 0;
		const void *data = g_bytes_get_data(r->body, &len);
		gint64 seq = dsc_jwks_peek_sequence(data ? data : "", len);
		g_autofree char *version =
			seq >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, seq)
				 : NULL;

		/* The pipeline orders by spiffe_sequence (FED §4.2; none:
		 * the latest fetched wins), compares and swaps. */
		switch (dsc_sink_offer(s->sink, r->body, DSC_FORMAT_SPIFFE_JWKS,
				       seq, version, &info)) {
		case DSC_OFFER_ACCEPTED:
		case DSC_OFFER_UNCHANGED:
			s->delivered = true;
			take_hint(s, info.refresh_hint);
			break;
		case DSC_OFFER_OLDER:
			/* FED §4.2: a lower sequence is a replay or a
			 * misconfigured mirror; its hint is not followed. */
			s->older++;
			g_warning("%s: spiffe source: bundle with "
				  "spiffe_sequence %" G_GINT64_FORMAT
				  " is older than the current one: ignored "
				  "(%" G_GUINT64_FORMAT " so far)",
				  s->location, info.sequence, s->older);
			break;
		case DSC_OFFER_REJECTED:
			break; /* logged and counted by the pipeline */
		}
		if (s->failing)
			g_info("%s: spiffe source: %s answers again",
			       s->location, s->url);
		s->failing = false;
	}
	schedule(s);
}

static void fetch(spiffe_source *s)
{
	static const char *const headers[] = {"Accept: application/json", NULL};
	g_autoptr(GError) error = NULL;
	dsc_http_options o = {
		.url = s->url,
		.headers = headers,
		.timeout_ms = REQUEST_TIMEOUT_MS,
		.max_body_bytes = s->cap,
		.user_data = s,
		.on_done = on_done,
	};

	if (s->profile == PROFILE_WEB)
		o.ca_file = s->ca_file;
	else
		o.peer_check = spiffe_peer_check;
	s->req = dsc_http_start(s->http, &o, &error);
	if (s->req == NULL) {
		fetch_failed(s, error->message);
		schedule(s);
	}
}

static void spiffe_start(void *source, GMainContext *ctx, dsc_sink *sink)
{
	spiffe_source *s = source;

	s->ctx = ctx;
	s->sink = sink;
	s->http = dsc_http_new(ctx);
	fetch(s);
}

static void spiffe_stop(void *source)
{
	spiffe_source *s = source;

	dsc_http_cancel(s->req);
	s->req = NULL;
	if (s->timer != NULL) {
		g_source_destroy(s->timer);
		g_clear_pointer(&s->timer, g_source_unref);
	}
	g_clear_pointer(&s->http, dsc_http_free);
}

const dsc_source_ops dsc_source_spiffe = {
	.name = "spiffe",
	.configure = spiffe_configure,
	.start = spiffe_start,
	.stop = spiffe_stop,
	.free = spiffe_free,
};
