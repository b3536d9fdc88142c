/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 name constraints along a path: GnuTLS for DNS, e-mail and IP
 * names, tlsverify for directory names and URIs (GnuTLS 3.7 has neither). */
#include "config.h"

#include "name-constraints.h"

#include "chain.h"
#include "der.h"
#include "dn.h"

#include <libtasn1.h>
#include <string.h>

#define OID_SAN "2.5.29.17"
#define OID_NC "2.5.29.30"

/* GeneralName tags (RFC 5280 4.2.1.6). */
enum {
	GN_RFC822 = 1,
	GN_DNS = 2,
	GN_DIRECTORY = 4,
	GN_URI = 6,
	GN_IP = 7,
	GN_MAX = 8,
};

/* Names GnuTLS checks itself (gnutls_x509_name_constraints_check_crt). */
#define GN_GNUTLS_MASK ((1u << GN_RFC822) | (1u << GN_DNS) | (1u << GN_IP))

/* Directory-name and URI subtrees of one nameConstraints extension,
 * sliced from its DER (GnuTLS hands out directory names only as text).
 * Index 0 is permitted, 1 excluded. */
typedef struct {
	gnutls_datum_t value; /* the extension (owned) */
	GArray *dn[2];	      /* gnutls_datum_t: DER Name */
	GArray *uri[2];	      /* gnutls_datum_t: IA5String contents */
	unsigned types[2];    /* bit per GeneralName tag present */
} nc_sets;

static void nc_sets_clear(nc_sets *s)
{
	gnutls_free(s->value.data);
	for (int k = 0; k < 2; k++) {
		if (s->dn[k] != NULL)
			g_array_unref(s->dn[k]);
		if (s->uri[k] != NULL)
			g_array_unref(s->uri[k]);
	}
	memset(s, 0, sizeof(*s));
}

/*
 * Walks GeneralNames content [@p, @end): calls @fn for each name with its
 * tag and value (the Name TLV for a directoryName, the contents
 * otherwise).  False on a malformed encoding.
 */
static bool walk_general_names(const unsigned char *p, const unsigned char *end,
			       void (*fn)(void *, unsigned, gnutls_datum_t),
			       void *data)
{
	while (p < end) {
		der_tlv gn;
		gnutls_datum_t v;

		if (!der_read(&p, end, &gn) ||
		    (gn.cls & 0xc0) != ASN1_CLASS_CONTEXT_SPECIFIC ||
		    gn.tag > GN_MAX)
			return false;
		v.data = (unsigned char *)gn.content;
		v.size = (unsigned)gn.len;
		if (gn.tag == GN_DIRECTORY) {
			/* [4] EXPLICIT Name: exactly one SEQUENCE inside. */
			const unsigned char *q = gn.content;
			der_tlv name;

			if (!der_read(&q, gn.content + gn.len, &name) ||
			    !der_is_sequence(&name) || q != gn.content + gn.len)
				return false;
			v.data = (unsigned char *)name.whole;
			v.size = (unsigned)name.whole_len;
		}
		fn(data, (unsigned)gn.tag, v);
	}
	return true;
}

typedef struct {
	nc_sets *sets;
	int kind;
} subtree_ctx;

static void add_subtree_base(void *data, unsigned tag, gnutls_datum_t v)
{
	subtree_ctx *ctx = data;
	nc_sets *s = ctx->sets;

	s->types[ctx->kind] |= 1u << tag;
	if (tag == GN_DIRECTORY)
		g_array_append_val(s->dn[ctx->kind], v);
	else if (tag == GN_URI)
		g_array_append_val(s->uri[ctx->kind], v);
}

/* NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees
 * OPTIONAL, excludedSubtrees [1] GeneralSubtrees OPTIONAL };
 * GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0,
 * maximum [1] OPTIONAL }. */
static bool nc_sets_load(gnutls_x509_crt_t crt, nc_sets *s, bool *absent)
{
	const unsigned char *p, *end;
	unsigned crit = 0;
	der_tlv seq;
	int ret;

	memset(s, 0, sizeof(*s));
	for (int k = 0; k < 2; k++) {
		s->dn[k] = g_array_new(FALSE, FALSE, sizeof(gnutls_datum_t));
		s->uri[k] = g_array_new(FALSE, FALSE, sizeof(gnutls_datum_t));
	}
	ret = gnutls_x509_crt_get_extension_by_oid2(crt, OID_NC, 0, &s->value,
						    &crit);
	*absent = ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
	if (ret < 0)
		return false;
	p = s->value.data;
	end = p + s->value.size;
	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		der_tlv trees, tree;
		const unsigned char *q;

		if (!der_read(&p, end, &trees) ||
		    (trees.cls & 0xc0) != ASN1_CLASS_CONTEXT_SPECIFIC ||
		    trees.tag > 1)
			return false;
		q = trees.content;
		while (q < trees.content + trees.len) {
			subtree_ctx ctx = {s, (int)trees.tag};
			const unsigned char *b;

			if (!der_read(&q, trees.content + trees.len, &tree) ||
			    !der_is_sequence(&tree))
				return false;
			/* The base is the first GeneralName; minimum and
			 * maximum (unused by RFC 5280 profiles) follow. */
			b = tree.content;
			{
				der_tlv base;
				const unsigned char *after = b;

				if (!der_read(&after, tree.content + tree.len,
					      &base))
					return false;
				if (!walk_general_names(b, after,
							add_subtree_base, &ctx))
					return false;
			}
		}
	}
	return true;
}

/* The directory names and URIs of a certificate's subjectAltName. */
typedef struct {
	gnutls_datum_t value; /* the extension (owned), or empty */
	GArray *dn;	      /* gnutls_datum_t */
	GArray *uri;
	unsigned types;
} san_names;

static void san_names_clear(san_names *n)
{
	gnutls_free(n->value.data);
	if (n->dn != NULL)
		g_array_unref(n->dn);
	if (n->uri != NULL)
		g_array_unref(n->uri);
	memset(n, 0, sizeof(*n));
}

static void add_san(void *data, unsigned tag, gnutls_datum_t v)
{
	san_names *n = data;

	n->types |= 1u << tag;
	if (tag == GN_DIRECTORY)
		g_array_append_val(n->dn, v);
	else if (tag == GN_URI)
		g_array_append_val(n->uri, v);
}

static bool san_names_load(gnutls_x509_crt_t crt, san_names *n)
{
	const unsigned char *p, *end;
	unsigned crit = 0;
	der_tlv seq;
	int ret;

	memset(n, 0, sizeof(*n));
	n->dn = g_array_new(FALSE, FALSE, sizeof(gnutls_datum_t));
	n->uri = g_array_new(FALSE, FALSE, sizeof(gnutls_datum_t));
	ret = gnutls_x509_crt_get_extension_by_oid2(crt, OID_SAN, 0, &n->value,
						    &crit);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return true;
	if (ret < 0)
		return false;
	p = n->value.data;
	end = p + n->value.size;
	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	return walk_general_names(seq.content, seq.content + seq.len, add_san,
				  n);
}

/* The host of a URI, lowercased; NULL when it has none (RFC 5280
 * 4.2.1.10: such a URI fails any URI constraint). */
static char *uri_host(const gnutls_datum_t *uri)
{
	g_autofree char *text = g_strndup((const char *)uri->data, uri->size);
	g_autoptr(GUri) parsed = NULL;
	const char *host;

	if (strlen(text) != uri->size)
		return NULL;
	parsed = g_uri_parse(text, G_URI_FLAGS_NON_DNS, NULL);
	if (parsed == NULL)
		return NULL;
	host = g_uri_get_host(parsed);
	if (host == NULL || host[0] == '\0')
		return NULL;
	return g_ascii_strdown(host, -1);
}

/* Host @host against a URI constraint: ".example.com" covers hosts below
 * it, "example.com" only itself. */
static bool uri_host_matches(const char *host, const gnutls_datum_t *base)
{
	g_autofree char *b =
		g_ascii_strdown((const char *)base->data, (gssize)base->size);
	size_t hl = strlen(host), bl = strlen(b);

	if (bl != base->size || bl == 0)
		return false;
	if (b[0] == '.')
		return hl > bl && strcmp(host + hl - bl, b) == 0;
	return strcmp(host, b) == 0;
}

/* Whether @name (a DER Name) is within any subtree of @bases. */
static bool dn_covered(GArray *bases, const gnutls_datum_t *name,
		       bool *malformed)
{
	for (guint i = 0; i < bases->len; i++) {
		bool bad = false;

		if (dn_is_within(name, &g_array_index(bases, gnutls_datum_t, i),
				 &bad))
			return true;
		*malformed |= bad;
	}
	return false;
}

static bool dn_allowed(const nc_sets *s, const gnutls_datum_t *name,
		       bool *malformed)
{
	if (s->dn[0]->len > 0 && !dn_covered(s->dn[0], name, malformed))
		return false;
	return !dn_covered(s->dn[1], name, malformed);
}

static bool uri_covered(GArray *bases, const char *host)
{
	for (guint i = 0; i < bases->len; i++)
		if (uri_host_matches(host,
				     &g_array_index(bases, gnutls_datum_t, i)))
			return true;
	return false;
}

static bool uri_allowed(const nc_sets *s, const gnutls_datum_t *uri)
{
	g_autofree char *host = NULL;

	if (s->uri[0]->len == 0 && s->uri[1]->len == 0)
		return true;
	host = uri_host(uri);
	if (host == NULL)
		return false;
	if (s->uri[0]->len > 0 && !uri_covered(s->uri[0], host))
		return false;
	return !uri_covered(s->uri[1], host);
}

/* Certificate @crt against one CA's constraints: GnuTLS for its types,
 * the rest here.  Returns what fails, or NULL. */
static const char *check_one(gnutls_x509_name_constraints_t nc,
			     const nc_sets *s, gnutls_x509_crt_t crt,
			     bool *malformed)
{
	static const unsigned gnutls_types[] = {GNUTLS_SAN_DNSNAME,
						GNUTLS_SAN_RFC822NAME,
						GNUTLS_SAN_IPADDRESS};
	unsigned constrained = s->types[0] | s->types[1];
	gnutls_datum_t subject = {NULL, 0};
	san_names sans;
	const char *what = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(gnutls_types); i++)
		if (!gnutls_x509_name_constraints_check_crt(nc, gnutls_types[i],
							    crt))
			return gnutls_types[i] == GNUTLS_SAN_DNSNAME
				       ? "DNS name"
			       : gnutls_types[i] == GNUTLS_SAN_RFC822NAME
				       ? "e-mail address"
				       : "IP address";
	if (!san_names_load(crt, &sans) ||
	    gnutls_x509_crt_get_raw_dn(crt, &subject) < 0) {
		*malformed = true;
		what = "names";
		goto out;
	}
	if (!dn_is_empty(&subject) && !dn_allowed(s, &subject, malformed)) {
		what = "subject DN";
		goto out;
	}
	for (guint i = 0; i < sans.dn->len; i++)
		if (!dn_allowed(s, &g_array_index(sans.dn, gnutls_datum_t, i),
				malformed)) {
			what = "directoryName alternative name";
			goto out;
		}
	for (guint i = 0; i < sans.uri->len; i++)
		if (!uri_allowed(s,
				 &g_array_index(sans.uri, gnutls_datum_t, i))) {
			what = "URI";
			goto out;
		}
	/* Constraints on a name type nobody here checks (otherName,
	 * registeredID...) refuse a certificate that has such a name. */
	if (constrained & sans.types &
	    ~(GN_GNUTLS_MASK | (1u << GN_DIRECTORY) | (1u << GN_URI)))
		what = "alternative name of an unsupported type";
	else if (*malformed)
		what = "name";
out:
	gnutls_free(subject.data);
	san_names_clear(&sans);
	return what;
}

/* Whether @crt's subject and issuer names are equal (RFC 5280 6.1). */
static bool is_self_issued(gnutls_x509_crt_t crt)
{
	gnutls_datum_t s = {NULL, 0}, i = {NULL, 0};
	bool same = false;

	if (gnutls_x509_crt_get_raw_dn(crt, &s) >= 0 &&
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &i) >= 0)
		same = dn_equal(&s, &i);
	gnutls_free(s.data);
	gnutls_free(i.data);
	return same;
}

bool nc_check_path(gnutls_x509_crt_t *path, size_t n, uint32_t *reasons,
		   char **message)
{
	for (size_t k = n; k-- > 1;) {
		gnutls_x509_name_constraints_t nc = NULL;
		nc_sets sets;
		bool absent = false;
		unsigned crit = 0;
		int ret;

		if (!nc_sets_load(path[k], &sets, &absent)) {
			nc_sets_clear(&sets);
			if (absent)
				continue;
			ret = -1;
		} else {
			ret = gnutls_x509_name_constraints_init(&nc);
			if (ret >= 0)
				ret = gnutls_x509_crt_get_name_constraints(
					path[k], nc, 0, &crit);
		}
		if (ret < 0) {
			g_autofree char *who = crt_describe(path[k]);

			if (nc != NULL)
				gnutls_x509_name_constraints_deinit(nc);
			nc_sets_clear(&sets);
			*reasons |= TV_REASON_MALFORMED;
			g_free(*message);
			*message = g_strdup_printf(
				"name constraints of '%s' do not parse", who);
			return false;
		}
		for (size_t i = 0; i < k; i++) {
			bool malformed = false;
			const char *what;

			/* Self-issued intermediates are exempt (6.1.3 (b),
			 * (c) skip them unless last). */
			if (i > 0 && is_self_issued(path[i]))
				continue;
			what = check_one(nc, &sets, path[i], &malformed);
			if (what != NULL) {
				g_autofree char *who = crt_describe(path[i]);
				g_autofree char *by = crt_describe(path[k]);

				*reasons |=
					malformed
						? TV_REASON_MALFORMED
						: TV_REASON_CONSTRAINT_VIOLATION;
				g_free(*message);
				*message = g_strdup_printf(
					"%s of '%s' %s the name constraints "
					"of '%s'",
					what, who,
					malformed ? "cannot be checked against"
						  : "violates",
					by);
				gnutls_x509_name_constraints_deinit(nc);
				nc_sets_clear(&sets);
				return false;
			}
		}
		gnutls_x509_name_constraints_deinit(nc);
		nc_sets_clear(&sets);
	}
	return true;
}
