/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Core checks after the plugin chain: validity, name, key purpose, length. */
#include "checks.h"

#include "hostname.h"

#include <arpa/inet.h>
#include <string.h>

/* SANs of one type, printable, in certificate order; (transfer full). */
static GPtrArray *collect_sans(gnutls_x509_crt_t crt, unsigned want)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (unsigned i = 0;; i++) {
		char buf[1024];
		size_t size = sizeof(buf) - 1;
		int ret = gnutls_x509_crt_get_subject_alt_name2(
			crt, i, buf, &size, NULL, NULL);

		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* longer than any name we would accept */
		if (ret < 0)
			break; /* REQUESTED_DATA_NOT_AVAILABLE ends the list */
		if ((unsigned)ret != want)
			continue;
		if (want == GNUTLS_SAN_IPADDRESS) {
			char text[INET6_ADDRSTRLEN] = "";

			if ((size == 4 || size == 16) &&
			    inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text,
				      sizeof(text)) != NULL)
				g_ptr_array_add(out, g_strdup(text));
		} else {
			/* An embedded NUL would let "a.com\0.evil" pass
			 * as "a.com"; such a name matches nothing. */
			if (memchr(buf, '\0', size) != NULL)
				continue;
			g_ptr_array_add(out, g_strndup(buf, size));
		}
	}
	return out;
}

static char *describe_sans(gnutls_x509_crt_t leaf)
{
	g_autoptr(GString) s = g_string_new(NULL);
	static const struct {
		unsigned type;
		const char *tag;
	} kinds[] = {{GNUTLS_SAN_DNSNAME, "DNS"},
		     {GNUTLS_SAN_IPADDRESS, "IP"},
		     {GNUTLS_SAN_URI, "URI"}};
	unsigned shown = 0;

	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
		g_autoptr(GPtrArray) v = collect_sans(leaf, kinds[k].type);

		for (unsigned i = 0; i < v->len; i++, shown++) {
			if (shown == 6) {
				g_string_append(s, ", ...");
				return g_string_free(g_steal_pointer(&s),
						     FALSE);
			}
			g_string_append_printf(s, "%s%s:%s", shown ? ", " : "",
					       kinds[k].tag,
					       (char *)v->pdata[i]);
		}
	}
	if (shown == 0)
		g_string_append(s, "none");
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static bool is_uri(const char *name)
{
	const char *colon = strstr(name, "://");

	if (colon == NULL || colon == name)
		return false;
	for (const char *c = name; c < colon; c++)
		if (!g_ascii_isalnum(*c) && *c != '+' && *c != '-' && *c != '.')
			return false;
	return true;
}

/* Whether @crt has a usable dNSName SAN; stops at the first, copies
 * nothing (this runs on every verification). */
static bool has_dns_san(gnutls_x509_crt_t crt)
{
	for (unsigned i = 0;; i++) {
		char buf[256];
		size_t size = sizeof(buf);
		int ret = gnutls_x509_crt_get_subject_alt_name2(
			crt, i, buf, &size, NULL, NULL);

		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* longer than any DNS name */
		if (ret < 0)
			return false;
		/* A NUL inside the name ("a.com\0.evil") makes it unusable. */
		if ((unsigned)ret == GNUTLS_SAN_DNSNAME &&
		    memchr(buf, '\0', size) == NULL)
			return true;
	}
}

/*
 * Whether a dNSName SAN of @crt is "*." followed by the part of @host after
 * its first label (ASCII, case-insensitive), with at least two labels
 * there as GnuTLS requires.  The whole-label wildcard, for hosts whose
 * first label GnuTLS must not match with wildcards (see match_dns).
 */
static bool has_label_wildcard_for(gnutls_x509_crt_t crt, const char *host)
{
	const char *rest = strchr(host, '.');

	if (rest == NULL || strchr(rest + 1, '.') == NULL)
		return false;
	for (unsigned i = 0;; i++) {
		char buf[256];
		size_t size = sizeof(buf);
		int ret = gnutls_x509_crt_get_subject_alt_name2(
			crt, i, buf, &size, NULL, NULL);
		bool printable = true;

		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (ret < 0)
			return false;
		if ((unsigned)ret != GNUTLS_SAN_DNSNAME || size < 3 ||
		    buf[0] != '*' || buf[1] != '.')
			continue;
		for (size_t k = 0; k < size; k++)
			printable = printable && g_ascii_isgraph(buf[k]);
		if (printable && size - 1 == strlen(rest) &&
		    g_ascii_strncasecmp(buf + 1, rest, size - 1) == 0)
			return true;
	}
}

/*
 * @host (normalised, not an address) against the dNSName SANs.  GnuTLS
 * lets a wildcard match part of a label ("*n--bcher-kva.example.com"
 * matches "xn--bcher-kva.example.com"); inside an IDNA A-label that would
 * match a name the certificate's owner never saw (RFC 6125 6.4.3), so
 * when the first label is one, only a whole-label "*." may stand for it.
 */
static bool match_dns(gnutls_x509_crt_t leaf, const char *host)
{
	if (!g_str_has_prefix(host, "xn--"))
		return gnutls_x509_crt_check_hostname2(leaf, host, 0) != 0;
	if (gnutls_x509_crt_check_hostname2(
		    leaf, host, GNUTLS_VERIFY_DO_NOT_ALLOW_WILDCARDS) != 0)
		return true;
	return has_label_wildcard_for(leaf, host);
}

static bool match_one(gnutls_x509_crt_t leaf, const char *name)
{
	if (is_uri(name)) {
		/* URI SANs (SPIFFE IDs) compare exactly. */
		g_autoptr(GPtrArray) uris = collect_sans(leaf, GNUTLS_SAN_URI);

		for (unsigned i = 0; i < uris->len; i++)
			if (strcmp(uris->pdata[i], name) == 0)
				return true;
		return false;
	}

	g_autofree char *host = hostname_normalize(name);
	if (host == NULL)
		return false;
	if (hostname_is_ip(host)) {
		unsigned char addr[16];
		bool v6 = strchr(host, ':') != NULL;

		if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
			return false;
		return gnutls_x509_crt_check_ip(leaf, addr, v6 ? 16 : 4, 0) !=
		       0;
	}

	/* RFC 6125 without the legacy CN fallback: GnuTLS falls back to
	 * the CN when a certificate has no DNS SAN, so require one. */
	if (!has_dns_san(leaf))
		return false;
	return match_dns(leaf, host);
}

bool check_name(gnutls_x509_crt_t leaf, const char *host,
		char *const *match_names, uint32_t *reasons, char **message)
{
	g_autofree char *sans = NULL;
	g_autofree char *wanted = NULL;

	if (match_names != NULL && match_names[0] != NULL) {
		for (char *const *n = match_names; *n != NULL; n++) {
			if (match_one(leaf, *n)) {
				*message = g_strdup_printf(
					"leaf matches '%s' (match_names)", *n);
				return true;
			}
		}
		wanted = g_strjoinv("', '", (char **)match_names);
	} else {
		if (host != NULL && match_one(leaf, host)) {
			*message = g_strdup_printf("leaf matches '%s'", host);
			return true;
		}
		wanted = g_strdup(host ? host : "");
	}
	sans = describe_sans(leaf);
	*reasons |= TV_REASON_NAME_MISMATCH;
	*message = g_strdup_printf("leaf does not match '%s' (its names: %s)",
				   wanted, sans);
	return false;
}

#define OID_ANY_EKU "2.5.29.37.0"

bool check_purpose(gnutls_x509_crt_t leaf, tv_purpose purpose,
		   uint32_t *reasons, char **message)
{
	const char *want = purpose == TV_PURPOSE_CLIENT
				   ? GNUTLS_KP_TLS_WWW_CLIENT
				   : GNUTLS_KP_TLS_WWW_SERVER;
	const char *label =
		purpose == TV_PURPOSE_CLIENT ? "clientAuth" : "serverAuth";
	unsigned i;

	for (i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int ret = gnutls_x509_crt_get_key_purpose_oid(leaf, i, oid,
							      &size, NULL);

		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0) {
			/* Unreadable extension: fail closed. */
			*reasons |= TV_REASON_MALFORMED;
			*message = g_strdup_printf(
				"leaf extended key usage unreadable: %s",
				gnutls_strerror(ret));
			return false;
		}
		if (strcmp(oid, want) == 0 || strcmp(oid, OID_ANY_EKU) == 0) {
			*message = g_strdup_printf("leaf allows %s", label);
			return true;
		}
	}
	if (i == 0) {
		/* RFC 5280: no EKU extension means any purpose. */
		*message = g_strdup_printf(
			"leaf has no extended key usage (any purpose)");
		return true;
	}
	*reasons |= TV_REASON_PURPOSE_MISMATCH;
	*message = g_strdup_printf("leaf extended key usage does not allow %s",
				   label);
	return false;
}

bool check_length(const tv_chain *chain, int max_length, uint32_t *reasons,
		  char **message)
{
	if ((int64_t)chain->len > max_length) {
		*reasons |= TV_REASON_CHAIN_TOO_LONG;
		*message = g_strdup_printf(
			"path has %zu certificates, the limit is %d",
			chain->len, max_length);
		return false;
	}
	*message = g_strdup_printf("path of %zu certificate%s (limit %d)",
				   chain->len, chain->len == 1 ? "" : "s",
				   max_length);
	return true;
}
