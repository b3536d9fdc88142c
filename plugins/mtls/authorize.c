/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "mtls", chain role: allows a client certificate by its DNS names or
 * SPIFFE ID. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-mtls"

#include "mtls.h"

#include <string.h>

#include <gnutls/x509-ext.h>

#define SPIFFE_PREFIX "spiffe://"
#define SPIFFE_MAX_ID 2048
#define SPIFFE_MAX_DOMAIN 255
#define DNS_MAX_NAME 253
#define DNS_MAX_LABEL 63
/* Names listed in a failure message; a certificate may carry hundreds. */
#define MAX_LISTED_NAMES 8

typedef enum {
	PATTERN_DNS,	       /* exact dNSName, compared without case */
	PATTERN_SPIFFE_EXACT,  /* one SPIFFE ID */
	PATTERN_SPIFFE_PREFIX, /* spiffe://td/ or spiffe://td/path/ + more */
} pattern_kind;

typedef struct {
	pattern_kind kind;
	char *text;  /* as written, for messages */
	char *value; /* the DNS name (lowercase), the ID, or the prefix */
} pattern;

struct mtls_authz {
	pattern *patterns;
	size_t n;
};

void mtls_authz_free(mtls_authz *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		g_free(a->patterns[i].text);
		g_free(a->patterns[i].value);
	}
	g_free(a->patterns);
	g_free(a);
}

/* Why character @c cannot appear in a SPIFFE ID's trust domain
 * (@in_domain) or path; NULL when there is nothing more specific to say. */
static const char *bad_char_reason(char c, bool in_domain)
{
	switch (c) {
	case '%':
		return "percent-encoding is not allowed";
	case '?':
		return "a query is not allowed";
	case '#':
		return "a fragment is not allowed";
	case '@':
		return in_domain ? "userinfo is not allowed" : NULL;
	case ':':
		return in_domain ? "a port is not allowed" : NULL;
	case '*':
		return "'*' is only allowed as the whole last segment of an "
		       "allowed_names pattern (spiffe://td/*, "
		       "spiffe://td/path/*)";
	default:
		break;
	}
	if (in_domain && g_ascii_isupper(c))
		return "the trust domain must be lowercase";
	return NULL;
}

static bool is_domain_char(char c)
{
	return g_ascii_islower(c) || g_ascii_isdigit(c) || c == '.' ||
	       c == '-' || c == '_';
}

static bool is_path_char(char c)
{
	return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
}

const char *mtls_spiffe_id_check(const char *id)
{
	const char *p, *domain, *segment;
	const char *why;

	if (strlen(id) > SPIFFE_MAX_ID)
		return "a SPIFFE ID is at most 2048 bytes";
	if (strncmp(id, SPIFFE_PREFIX, strlen(SPIFFE_PREFIX)) != 0) {
		if (g_ascii_strncasecmp(id, SPIFFE_PREFIX,
					strlen(SPIFFE_PREFIX)) == 0)
			return "the scheme must be lowercase 'spiffe'";
		return "not a spiffe:// URI";
	}
	domain = id + strlen(SPIFFE_PREFIX);
	for (p = domain; *p != '\0' && *p != '/'; p++) {
		if (is_domain_char(*p))
			continue;
		why = bad_char_reason(*p, true);
		return why ? why : "the trust domain allows only [a-z0-9._-]";
	}
	if (p == domain)
		return "the trust domain is empty";
	if (p - domain > SPIFFE_MAX_DOMAIN)
		return "the trust domain is longer than 255 bytes";
	if (*p == '\0')
		return NULL; /* a trust domain ID, no path */

	/* The path: "/segment" repeated, no empty, "." or ".." segment. */
	while (*p == '/') {
		segment = ++p;
		while (*p != '\0' && *p != '/') {
			if (!is_path_char(*p)) {
				why = bad_char_reason(*p, false);
				return why ? why
					   : "path segments allow only "
					     "[a-zA-Z0-9._-]";
			}
			p++;
		}
		if (p == segment)
			return *p == '\0' ? "a trailing '/' is not allowed"
					  : "empty path segments are not "
					    "allowed";
		if ((p - segment == 1 && segment[0] == '.') ||
		    (p - segment == 2 && segment[0] == '.' &&
		     segment[1] == '.'))
			return "'.' and '..' path segments are not allowed";
	}
	return NULL;
}

/* Validates an exact DNS name for allowed_names; NULL when fine. */
static const char *dns_name_check(const char *name)
{
	const char *label = name;
	size_t len = strlen(name);

	if (strchr(name, '*') != NULL)
		return "wildcards are not allowed: list each name exactly";
	if (strstr(name, "://") != NULL || strchr(name, ':') != NULL)
		return "neither a DNS name nor a spiffe:// ID";
	if (g_hostname_is_ip_address(name))
		return "IP addresses are not supported: use DNS names or "
		       "SPIFFE IDs";
	if (len == 0)
		return "empty name";
	if (len > DNS_MAX_NAME)
		return "a DNS name is at most 253 bytes";
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - label);

			if (n == 0)
				return "empty DNS label";
			if (n > DNS_MAX_LABEL)
				return "a DNS label is at most 63 bytes";
			if (label[0] == '-' || p[-1] == '-')
				return "a DNS label must not start or end "
				       "with '-'";
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return "a DNS name allows only letters, digits, '-', "
			       "'_' and '.'";
	}
	return NULL;
}

/* Parses one allowed_names entry into @pat; NULL, or why it is wrong. */
static const char *pattern_parse(const char *text, pattern *pat)
{
	const char *why;

	if (g_ascii_strncasecmp(text, "spiffe:", 7) != 0) {
		why = dns_name_check(text);
		if (why != NULL)
			return why;
		pat->kind = PATTERN_DNS;
		pat->value = g_ascii_strdown(text, -1);
		return NULL;
	}

	if (g_str_has_suffix(text, "/*")) {
		g_autofree char *base = g_strndup(text, strlen(text) - 2);

		why = mtls_spiffe_id_check(base);
		if (why != NULL)
			return why;
		pat->kind = PATTERN_SPIFFE_PREFIX;
		/* "spiffe://td/" or "spiffe://td/a/": a valid ID starting
		 * with it has at least one more, non-empty segment, so
		 * matches fall on segment boundaries only. */
		pat->value = g_strconcat(base, "/", NULL);
		return NULL;
	}
	why = mtls_spiffe_id_check(text);
	if (why != NULL)
		return why;
	if (strchr(text + strlen(SPIFFE_PREFIX), '/') == NULL)
		return "names a trust domain, not a workload: write "
		       "spiffe://DOMAIN/* to allow every ID of it";
	pat->kind = PATTERN_SPIFFE_EXACT;
	pat->value = g_strdup(text);
	return NULL;
}

mtls_authz *mtls_authz_open(const tv_settings *settings, GError **error)
{
	g_autoptr(mtls_authz) a = NULL;
	g_auto(GStrv) names = NULL;

	if (!tv_settings_has(settings, "allowed_names")) {
		tv_settings_set_error(settings, "allowed_names", error,
				      "missing: a chain step of mtls needs the "
				      "client names it allows (DNS names, "
				      "SPIFFE IDs or spiffe://td/* patterns)");
		return NULL;
	}
	if (!tv_settings_get_strv(settings, "allowed_names", &names, error))
		return NULL;
	if (names == NULL || names[0] == NULL) {
		tv_settings_set_error(settings, "allowed_names", error,
				      "empty list: it would allow no client");
		return NULL;
	}

	a = g_new0(mtls_authz, 1);
	a->patterns = g_new0(pattern, g_strv_length(names));
	for (char **n = names; *n != NULL; n++) {
		pattern *pat = &a->patterns[a->n];
		const char *why = pattern_parse(*n, pat);

		if (why != NULL) {
			g_free(pat->value);
			pat->value = NULL;
			tv_settings_set_error(settings, "allowed_names", error,
					      "'%s': %s", *n, why);
			return NULL;
		}
		pat->text = g_strdup(*n);
		a->n++;
	}
	return g_steal_pointer(&a);
}

void mtls_authz_describe(const mtls_authz *a, tv_describe *out)
{
	tv_describe_int(out, "allowed_names", (int64_t)a->n);
}

/* The names a client certificate presents, as the SANs hold them. */
typedef struct {
	GPtrArray *dns;	   /* char* */
	GPtrArray *ids;	   /* valid SPIFFE IDs, char* */
	GPtrArray *listed; /* "DNS:x", "URI:y (invalid: why)" for messages */
	unsigned spiffe_uris;
} presented;

static void presented_clear(presented *p)
{
	g_ptr_array_unref(p->dns);
	g_ptr_array_unref(p->ids);
	g_ptr_array_unref(p->listed);
}

/* A SAN string holding NUL bytes is not a name: skip it rather than compare
 * its prefix. */
static char *dup_san(const gnutls_datum_t *d)
{
	if (d->data == NULL || memchr(d->data, '\0', d->size) != NULL)
		return NULL;
	return g_strndup((const char *)d->data, d->size);
}

/* Collects the leaf's dNSName and URI SANs; false when the extension does
 * not parse. */
static bool presented_collect(gnutls_x509_crt_t crt, presented *out)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t der = {NULL, 0};
	unsigned critical = 0;
	bool ok = true;
	int ret;

	out->dns = g_ptr_array_new_with_free_func(g_free);
	out->ids = g_ptr_array_new_with_free_func(g_free);
	out->listed = g_ptr_array_new_with_free_func(g_free);
	out->spiffe_uris = 0;

	ret = gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &der,
						    &critical);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return true; /* no SAN: nothing presented */
	if (ret < 0)
		return false;
	if (gnutls_subject_alt_names_init(&sans) < 0 ||
	    gnutls_x509_ext_import_subject_alt_names(&der, sans, 0) < 0) {
		ok = false;
		goto out;
	}
	for (unsigned i = 0;; i++) {
		gnutls_datum_t san = {NULL, 0};
		unsigned type = 0;
		g_autofree char *text = NULL;

		ret = gnutls_subject_alt_names_get(sans, i, &type, &san, NULL);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0) {
			ok = false;
			break;
		}
		if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_URI)
			continue;
		text = dup_san(&san);
		if (text == NULL)
			continue;
		if (type == GNUTLS_SAN_DNSNAME) {
			g_ptr_array_add(out->listed,
					g_strconcat("DNS:", text, NULL));
			g_ptr_array_add(out->dns, g_steal_pointer(&text));
		} else if (g_ascii_strncasecmp(text, "spiffe:", 7) == 0) {
			const char *why = mtls_spiffe_id_check(text);

			out->spiffe_uris++;
			if (why != NULL) {
				g_ptr_array_add(
					out->listed,
					g_strdup_printf("URI:%s (invalid "
							"SPIFFE ID: %s)",
							text, why));
				continue;
			}
			g_ptr_array_add(out->listed,
					g_strconcat("URI:", text, NULL));
			g_ptr_array_add(out->ids, g_steal_pointer(&text));
		}
	}
out:
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(der.data);
	return ok;
}

/* The presented name @pat allows, or NULL. */
static const char *pattern_match(const pattern *pat, const presented *p)
{
	switch (pat->kind) {
	case PATTERN_DNS:
		for (guint i = 0; i < p->dns->len; i++) {
			const char *name = p->dns->pdata[i];

			if (g_ascii_strcasecmp(name, pat->value) == 0)
				return name;
		}
		return NULL;
	case PATTERN_SPIFFE_EXACT:
		for (guint i = 0; i < p->ids->len; i++) {
			if (strcmp(p->ids->pdata[i], pat->value) == 0)
				return p->ids->pdata[i];
		}
		return NULL;
	case PATTERN_SPIFFE_PREFIX:
		for (guint i = 0; i < p->ids->len; i++) {
			if (g_str_has_prefix(p->ids->pdata[i], pat->value))
				return p->ids->pdata[i];
		}
		return NULL;
	}
	return NULL;
}

static char *dup_listed(const presented *p)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < p->listed->len && i < MAX_LISTED_NAMES; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       (const char *)p->listed->pdata[i]);
	if (p->listed->len > MAX_LISTED_NAMES)
		g_string_append_printf(s, " and %u more",
				       p->listed->len - MAX_LISTED_NAMES);
	return g_string_free(s, FALSE);
}

tv_step_verdict mtls_authz_verify(const mtls_authz *a, const tv_chain *chain,
				  tv_step_result *result)
{
	gnutls_x509_crt_t leaf;
	g_autofree char *listed = NULL;
	presented p;
	tv_step_verdict verdict = TV_STEP_FAIL;

	leaf = tv_chain_get_length(chain) > 0 ? tv_chain_get_crt(chain, 0)
					      : NULL;
	if (leaf == NULL) {
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result, "no certificate");
		return TV_STEP_FAIL;
	}
	if (!presented_collect(leaf, &p)) {
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result,
					   "the certificate's subject "
					   "alternative names do not parse");
		presented_clear(&p);
		return TV_STEP_FAIL;
	}
	/* An X509-SVID carries exactly one ID; with two, which one would
	 * the rest of the system believe? */
	if (p.spiffe_uris > 1) {
		listed = dup_listed(&p);
		tv_step_result_add_reasons(result, TV_REASON_MALFORMED);
		tv_step_result_set_message(result,
					   "the certificate carries %u "
					   "SPIFFE IDs (an X509-SVID has "
					   "exactly one): %s",
					   p.spiffe_uris, listed);
		presented_clear(&p);
		return TV_STEP_FAIL;
	}

	for (size_t i = 0; i < a->n; i++) {
		const char *name = pattern_match(&a->patterns[i], &p);

		if (name == NULL)
			continue;
		tv_step_result_set_message(result,
					   "client name '%s' allowed by "
					   "'%s'",
					   name, a->patterns[i].text);
		verdict = TV_STEP_PASS;
		break;
	}
	if (verdict != TV_STEP_PASS) {
		tv_step_result_add_reasons(result, TV_REASON_NAME_MISMATCH);
		if (p.listed->len == 0) {
			tv_step_result_set_message(
				result, "no allowed name: the "
					"certificate presents no DNS name "
					"or SPIFFE ID");
		} else {
			listed = dup_listed(&p);
			tv_step_result_set_message(result,
						   "no allowed name: "
						   "the certificate presents "
						   "%s",
						   listed);
		}
	}
	presented_clear(&p);
	return verdict;
}
