/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 5280 6.1 certificate policy processing: the valid policy tree with
 * policy mappings, requireExplicitPolicy, inhibitPolicyMapping and
 * inhibitAnyPolicy. */
#define _GNU_SOURCE 1 /* memmem */
#include "config.h"

#include "cert-policy.h"

#include "chain.h"
#include "der.h"
#include "dn.h"

#include <libtasn1.h>
#include <string.h>

#define OID_POLICIES "2.5.29.32"
#define OID_MAPPINGS "2.5.29.33"
#define OID_CONSTRAINTS "2.5.29.36"
#define OID_INHIBIT_ANY "2.5.29.54"
#define ARC_MAPPINGS 0x21
#define ARC_CONSTRAINTS 0x24

/* Bounds the tree (a crafted path can make it grow exponentially, as in
 * CVE-2023-0464): beyond this many nodes the path is refused. */
#define POLICY_MAX_NODES 1024
#define POLICY_MAX_OID 128

bool der_may_have_extension(const gnutls_datum_t *der, unsigned char arc)
{
	/* An extension's extnID is DER "06 03 55 1D arc"; a certificate
	 * without those bytes cannot carry it. */
	const unsigned char pattern[5] = {0x06, 0x03, 0x55, 0x1d, arc};

	return memmem(der->data, der->size, pattern, sizeof(pattern)) != NULL;
}

static bool initial_set_is_any(const tv_path_options *o)
{
	if (o == NULL || o->initial_policy_set == NULL)
		return true;
	for (const char *const *p = o->initial_policy_set; *p != NULL; p++)
		if (strcmp(*p, OID_ANY_POLICY) == 0)
			return true;
	return false;
}

bool policy_may_reject(const gnutls_datum_t *ders, size_t n,
		       const tv_path_options *options)
{
	if (options != NULL &&
	    (options->require_explicit_policy || !initial_set_is_any(options)))
		return true;
	for (size_t i = 0; i < n; i++)
		if (der_may_have_extension(&ders[i], ARC_CONSTRAINTS) ||
		    der_may_have_extension(&ders[i], ARC_MAPPINGS))
			return true;
	return false;
}

/* ---- the extensions, read with libtasn1's DER primitives ------------- */

typedef struct {
	char issuer[POLICY_MAX_OID];
	char subject[POLICY_MAX_OID];
} policy_mapping;

/* What one certificate says about policies. */
typedef struct {
	bool has_policies;
	GPtrArray *policies; /* char *, OIDs of certificatePolicies */
	GArray *mappings;    /* policy_mapping */
	bool has_require, has_inhibit_mapping, has_inhibit_any;
	unsigned require, inhibit_mapping, inhibit_any;
	bool self_issued;
} cert_policy;

static void cert_policy_clear(cert_policy *p)
{
	if (p->policies != NULL)
		g_ptr_array_unref(p->policies);
	if (p->mappings != NULL)
		g_array_unref(p->mappings);
	memset(p, 0, sizeof(*p));
}

/* The extension's value, or false with *@absent when not there. */
static bool get_ext(gnutls_x509_crt_t crt, const char *oid,
		    gnutls_datum_t *value, bool *absent)
{
	unsigned crit = 0;
	int ret = gnutls_x509_crt_get_extension_by_oid2(crt, oid, 0, value,
							&crit);

	*absent = ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
	return ret >= 0;
}

/* certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation;
 * PolicyInformation ::= SEQUENCE { policyIdentifier OID, qualifiers
 * OPTIONAL }.  Only the identifiers matter here. */
static bool parse_policies(const gnutls_datum_t *v, GPtrArray *out)
{
	const unsigned char *p = v->data, *end = v->data + v->size;
	der_tlv seq, info, oid;
	char text[POLICY_MAX_OID];

	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		const unsigned char *q;

		if (!der_read(&p, end, &info) || !der_is_sequence(&info))
			return false;
		q = info.content;
		if (!der_read(&q, info.content + info.len, &oid) ||
		    !der_oid_text(&oid, text, sizeof(text)))
			return false;
		/* A policy listed twice (forbidden) counts once. */
		for (guint i = 0; i < out->len; i++)
			if (strcmp(out->pdata[i], text) == 0)
				goto next;
		g_ptr_array_add(out, g_strdup(text));
	next:;
	}
	return out->len > 0;
}

/* PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 * issuerDomainPolicy OID, subjectDomainPolicy OID } */
static bool parse_mappings(const gnutls_datum_t *v, GArray *out)
{
	const unsigned char *p = v->data, *end = v->data + v->size;
	der_tlv seq, pair, a, b;

	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		policy_mapping m;
		const unsigned char *q;

		if (!der_read(&p, end, &pair) || !der_is_sequence(&pair))
			return false;
		q = pair.content;
		if (!der_read(&q, pair.content + pair.len, &a) ||
		    !der_read(&q, pair.content + pair.len, &b) ||
		    q != pair.content + pair.len ||
		    !der_oid_text(&a, m.issuer, sizeof(m.issuer)) ||
		    !der_oid_text(&b, m.subject, sizeof(m.subject)))
			return false;
		g_array_append_val(out, m);
	}
	return out->len > 0;
}

/* PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts
 * OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL } (IMPLICIT). */
static bool parse_constraints(const gnutls_datum_t *v, cert_policy *out)
{
	const unsigned char *p = v->data, *end = v->data + v->size;
	der_tlv seq, f;
	int last = -1;

	if (!der_read(&p, end, &seq) || !der_is_sequence(&seq) || p != end)
		return false;
	p = seq.content;
	end = seq.content + seq.len;
	while (p < end) {
		if (!der_read(&p, end, &f) ||
		    f.cls != ASN1_CLASS_CONTEXT_SPECIFIC || f.tag > 1 ||
		    (int)f.tag <= last)
			return false;
		last = (int)f.tag;
		if (f.tag == 0) {
			out->has_require = true;
			if (!der_small_uint(&f, &out->require))
				return false;
		} else {
			out->has_inhibit_mapping = true;
			if (!der_small_uint(&f, &out->inhibit_mapping))
				return false;
		}
	}
	/* RFC 5280 4.2.1.11: an empty sequence is not allowed. */
	return last >= 0;
}

/* Reads every policy extension of @crt; false names the bad one. */
static bool cert_policy_load(gnutls_x509_crt_t crt, cert_policy *out,
			     const char **bad)
{
	gnutls_datum_t v = {NULL, 0};
	gnutls_datum_t s = {NULL, 0}, i = {NULL, 0};
	bool absent, ok;

	memset(out, 0, sizeof(*out));
	out->policies = g_ptr_array_new_with_free_func(g_free);
	out->mappings = g_array_new(FALSE, FALSE, sizeof(policy_mapping));

	*bad = "certificatePolicies";
	ok = get_ext(crt, OID_POLICIES, &v, &absent);
	if (ok) {
		out->has_policies = true;
		ok = parse_policies(&v, out->policies);
	}
	gnutls_free(v.data);
	v.data = NULL;
	if (!ok && !absent)
		return false;

	*bad = "policyMappings";
	ok = get_ext(crt, OID_MAPPINGS, &v, &absent);
	if (ok)
		ok = parse_mappings(&v, out->mappings);
	gnutls_free(v.data);
	v.data = NULL;
	if (!ok && !absent)
		return false;

	*bad = "policyConstraints";
	ok = get_ext(crt, OID_CONSTRAINTS, &v, &absent);
	if (ok)
		ok = parse_constraints(&v, out);
	gnutls_free(v.data);
	if (!ok && !absent)
		return false;

	*bad = "inhibitAnyPolicy";
	/* InhibitAnyPolicy ::= SkipCerts (INTEGER); GnuTLS 3.7's reader
	 * refuses a value of 0, so it is read here. */
	ok = get_ext(crt, OID_INHIBIT_ANY, &v, &absent);
	if (ok) {
		const unsigned char *p = v.data;
		der_tlv t;

		ok = der_read(&p, v.data + v.size, &t) &&
		     p == v.data + v.size && t.cls == ASN1_CLASS_UNIVERSAL &&
		     t.tag == ASN1_TAG_INTEGER &&
		     der_small_uint(&t, &out->inhibit_any);
		out->has_inhibit_any = ok;
	}
	gnutls_free(v.data);
	v.data = NULL;
	if (!ok && !absent)
		return false;

	*bad = "names";
	if (gnutls_x509_crt_get_raw_dn(crt, &s) < 0 ||
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &i) < 0) {
		gnutls_free(s.data);
		return false;
	}
	out->self_issued = dn_equal(&s, &i);
	gnutls_free(s.data);
	gnutls_free(i.data);
	*bad = NULL;
	return true;
}

/* ---- the valid policy tree ------------------------------------------- */

typedef struct pnode pnode;
struct pnode {
	char *policy;
	GPtrArray *expected; /* char * */
	pnode *parent;
	unsigned children;
	bool deleted;
};

typedef struct {
	GPtrArray **levels; /* levels[d]: pnode * of depth d */
	size_t n_levels;
	size_t n_nodes;
	bool null; /* the tree is NULL */
	bool too_big;
} ptree;

static void pnode_free(gpointer p)
{
	pnode *n = p;

	g_free(n->policy);
	g_ptr_array_unref(n->expected);
	g_free(n);
}

static pnode *ptree_add(ptree *t, size_t depth, pnode *parent,
			const char *policy)
{
	pnode *n;

	if (t->n_nodes >= POLICY_MAX_NODES) {
		t->too_big = true;
		return NULL;
	}
	n = g_new0(pnode, 1);
	n->policy = g_strdup(policy);
	n->expected = g_ptr_array_new_with_free_func(g_free);
	n->parent = parent;
	if (parent != NULL)
		parent->children++;
	g_ptr_array_add(t->levels[depth], n);
	t->n_nodes++;
	return n;
}

static bool strv_has(GPtrArray *a, const char *s)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(a->pdata[i], s) == 0)
			return true;
	return false;
}

static void pnode_delete(pnode *n)
{
	if (n->deleted)
		return;
	n->deleted = true;
	if (n->parent != NULL)
		n->parent->children--;
}

/* Deletes the descendants of deleted nodes, then every childless node of
 * depth below @depth, bottom up; the tree is NULL once the root goes. */
static void ptree_prune(ptree *t, size_t depth)
{
	for (size_t d = 1; d < t->n_levels; d++)
		for (guint i = 0; i < t->levels[d]->len; i++) {
			pnode *n = t->levels[d]->pdata[i];

			if (!n->deleted && n->parent->deleted)
				pnode_delete(n);
		}
	for (size_t d = depth; d-- > 0;)
		for (guint i = 0; i < t->levels[d]->len; i++) {
			pnode *n = t->levels[d]->pdata[i];

			if (!n->deleted && n->children == 0)
				pnode_delete(n);
		}
	if (((pnode *)t->levels[0]->pdata[0])->deleted)
		t->null = true;
}

/* 6.1.3 (d): the certificate at @depth with policies @pols. */
static void ptree_add_policies(ptree *t, size_t depth, GPtrArray *pols,
			       bool any_allowed)
{
	GPtrArray *above = t->levels[depth - 1];
	bool has_any = false;

	for (guint k = 0; k < pols->len; k++) {
		const char *p = pols->pdata[k];
		bool matched = false;

		if (strcmp(p, OID_ANY_POLICY) == 0) {
			has_any = true;
			continue;
		}
		for (guint i = 0; i < above->len; i++) {
			pnode *n = above->pdata[i];

			if (n->deleted || !strv_has(n->expected, p))
				continue;
			matched = true;
			n = ptree_add(t, depth, n, p);
			if (n != NULL)
				g_ptr_array_add(n->expected, g_strdup(p));
		}
		for (guint i = 0; !matched && i < above->len; i++) {
			pnode *n = above->pdata[i];

			if (n->deleted || strcmp(n->policy, OID_ANY_POLICY))
				continue;
			n = ptree_add(t, depth, n, p);
			if (n != NULL)
				g_ptr_array_add(n->expected, g_strdup(p));
		}
	}
	if (!has_any || !any_allowed)
		return;
	for (guint i = 0; i < above->len; i++) {
		pnode *n = above->pdata[i];

		if (n->deleted)
			continue;
		for (guint e = 0; e < n->expected->len; e++) {
			const char *p = n->expected->pdata[e];
			bool exists = false;

			for (guint j = 0; j < t->levels[depth]->len; j++) {
				pnode *c = t->levels[depth]->pdata[j];

				exists |= !c->deleted && c->parent == n &&
					  strcmp(c->policy, p) == 0;
			}
			if (!exists) {
				pnode *c = ptree_add(t, depth, n, p);

				if (c != NULL)
					g_ptr_array_add(c->expected,
							g_strdup(p));
			}
		}
	}
}

/* 6.1.4 (b): policy mappings of the certificate at @depth. */
static void ptree_map(ptree *t, size_t depth, GArray *maps, bool mapping)
{
	GPtrArray *level = t->levels[depth];

	for (guint m = 0; m < maps->len; m++) {
		const policy_mapping *pm =
			&g_array_index(maps, policy_mapping, m);
		bool seen = false;

		/* Each issuer domain policy once: its whole mapped set. */
		for (guint k = 0; k < m; k++)
			seen |= strcmp(g_array_index(maps, policy_mapping, k)
					       .issuer,
				       pm->issuer) == 0;
		if (seen)
			continue;
		if (!mapping) {
			for (guint i = 0; i < level->len; i++) {
				pnode *n = level->pdata[i];

				if (!n->deleted &&
				    strcmp(n->policy, pm->issuer) == 0)
					pnode_delete(n);
			}
			continue;
		}
		{
			bool found = false;
			pnode *any = NULL;
			GPtrArray *set = g_ptr_array_new_with_free_func(g_free);

			for (guint k = m; k < maps->len; k++) {
				const policy_mapping *o =
					&g_array_index(maps, policy_mapping, k);

				if (strcmp(o->issuer, pm->issuer) == 0 &&
				    !strv_has(set, o->subject))
					g_ptr_array_add(set,
							g_strdup(o->subject));
			}
			for (guint i = 0; i < level->len; i++) {
				pnode *n = level->pdata[i];

				if (n->deleted)
					continue;
				if (strcmp(n->policy, pm->issuer) == 0) {
					found = true;
					g_ptr_array_set_size(n->expected, 0);
					for (guint s = 0; s < set->len; s++)
						g_ptr_array_add(
							n->expected,
							g_strdup(
								set->pdata[s]));
				} else if (strcmp(n->policy, OID_ANY_POLICY) ==
					   0) {
					any = n;
				}
			}
			if (!found && any != NULL) {
				pnode *c = ptree_add(t, depth, any->parent,
						     pm->issuer);

				for (guint s = 0; c != NULL && s < set->len;
				     s++)
					g_ptr_array_add(
						c->expected,
						g_strdup(set->pdata[s]));
			}
			g_ptr_array_unref(set);
		}
	}
	if (!mapping)
		ptree_prune(t, depth);
}

/* 6.1.5 (g) (iii): the intersection with a specific initial set. */
static void ptree_intersect(ptree *t, size_t n, const char *const *initial)
{
	pnode *leaf_any = NULL;
	GPtrArray *kept = g_ptr_array_new();

	/* The valid_policy_node_set: nodes whose parent is anyPolicy. */
	for (size_t d = 1; d <= n; d++)
		for (guint i = 0; i < t->levels[d]->len; i++) {
			pnode *x = t->levels[d]->pdata[i];

			if (x->deleted ||
			    strcmp(x->parent->policy, OID_ANY_POLICY) != 0)
				continue;
			if (strcmp(x->policy, OID_ANY_POLICY) == 0) {
				if (d == n)
					leaf_any = x;
				continue;
			}
			if (!g_strv_contains(initial, x->policy))
				pnode_delete(x);
			else
				g_ptr_array_add(kept, x->policy);
		}
	if (leaf_any != NULL) {
		for (const char *const *p = initial; *p != NULL; p++) {
			bool have = false;

			for (guint k = 0; k < kept->len; k++)
				have |= strcmp(kept->pdata[k], *p) == 0;
			if (!have)
				ptree_add(t, n, leaf_any->parent, *p);
		}
		pnode_delete(leaf_any);
	}
	g_ptr_array_unref(kept);
	ptree_prune(t, n);
}

/* Whether the tree has a live node at depth @n. */
static bool ptree_has_leaf(const ptree *t, size_t n)
{
	if (t->null)
		return false;
	for (guint i = 0; i < t->levels[n]->len; i++)
		if (!((pnode *)t->levels[n]->pdata[i])->deleted)
			return true;
	return false;
}

static bool fail_with(uint32_t *reasons, char **message, uint32_t reason,
		      char *text)
{
	*reasons |= reason;
	*message = text;
	return false;
}

bool policy_check_path(gnutls_x509_crt_t *path, size_t n,
		       const tv_path_options *options, uint32_t *reasons,
		       char **message)
{
	bool inhibit_any = options != NULL && options->inhibit_any_policy;
	bool inhibit_map = options != NULL && options->inhibit_policy_mapping;
	bool explicit = options != NULL && options->require_explicit_policy;
	size_t explicit_policy = explicit ? 0 : n + 1;
	size_t any_left = inhibit_any ? 0 : n + 1;
	size_t mapping_left = inhibit_map ? 0 : n + 1;
	bool specific = !initial_set_is_any(options);
	ptree t = {0};
	bool ok = false;

	if (n == 0)
		return true;
	t.n_levels = n + 1;
	t.levels = g_new0(GPtrArray *, n + 1);
	for (size_t d = 0; d <= n; d++)
		t.levels[d] = g_ptr_array_new_with_free_func(pnode_free);
	g_ptr_array_add(ptree_add(&t, 0, NULL, OID_ANY_POLICY)->expected,
			g_strdup(OID_ANY_POLICY));

	for (size_t i = 1; i <= n; i++) {
		gnutls_x509_crt_t crt = path[n - i];
		cert_policy cp;
		const char *bad = NULL;

		if (!cert_policy_load(crt, &cp, &bad)) {
			g_autofree char *who = crt_describe(crt);

			cert_policy_clear(&cp);
			fail_with(reasons, message, TV_REASON_MALFORMED,
				  g_strdup_printf("%s of '%s' does not parse",
						  bad, who));
			goto out;
		}
		/* 6.1.3 (d), (e) */
		if (cp.has_policies && !t.null) {
			ptree_add_policies(&t, i, cp.policies,
					   any_left > 0 ||
						   (i < n && cp.self_issued));
			ptree_prune(&t, i);
		} else {
			t.null = true;
		}
		if (t.too_big) {
			cert_policy_clear(&cp);
			fail_with(
				reasons, message,
				TV_REASON_CONSTRAINT_VIOLATION,
				g_strdup("certificate policy tree too large"));
			goto out;
		}
		/* 6.1.3 (f) */
		if (explicit_policy == 0 && t.null) {
			g_autofree char *who = crt_describe(crt);

			cert_policy_clear(&cp);
			fail_with(
				reasons, message,
				TV_REASON_CONSTRAINT_VIOLATION,
				g_strdup_printf("no acceptable certificate "
						"policy at '%s' (an "
						"explicit policy is required)",
						who));
			goto out;
		}
		if (i == n) {
			/* 6.1.5 (a), (b) */
			if (explicit_policy > 0)
				explicit_policy--;
			if (cp.has_require && cp.require == 0)
				explicit_policy = 0;
			cert_policy_clear(&cp);
			break;
		}
		/* 6.1.4 (a), (b) */
		for (guint m = 0; m < cp.mappings->len; m++) {
			policy_mapping *pm =
				&g_array_index(cp.mappings, policy_mapping, m);

			if (strcmp(pm->issuer, OID_ANY_POLICY) == 0 ||
			    strcmp(pm->subject, OID_ANY_POLICY) == 0) {
				g_autofree char *who = crt_describe(crt);

				cert_policy_clear(&cp);
				fail_with(reasons, message,
					  TV_REASON_CONSTRAINT_VIOLATION,
					  g_strdup_printf("'%s' maps anyPolicy",
							  who));
				goto out;
			}
		}
		if (cp.mappings->len > 0 && !t.null)
			ptree_map(&t, i, cp.mappings, mapping_left > 0);
		/* 6.1.4 (h), (i), (j) */
		if (!cp.self_issued) {
			if (explicit_policy > 0)
				explicit_policy--;
			if (mapping_left > 0)
				mapping_left--;
			if (any_left > 0)
				any_left--;
		}
		if (cp.has_require && cp.require < explicit_policy)
			explicit_policy = cp.require;
		if (cp.has_inhibit_mapping && cp.inhibit_mapping < mapping_left)
			mapping_left = cp.inhibit_mapping;
		if (cp.has_inhibit_any && cp.inhibit_any < any_left)
			any_left = cp.inhibit_any;
		cert_policy_clear(&cp);
	}

	/* 6.1.5 (g) */
	if (!t.null && specific)
		ptree_intersect(&t, n, options->initial_policy_set);
	if (t.too_big) {
		fail_with(reasons, message, TV_REASON_CONSTRAINT_VIOLATION,
			  g_strdup("certificate policy tree too large"));
		goto out;
	}
	if (explicit_policy == 0 && !ptree_has_leaf(&t, n)) {
		fail_with(reasons, message, TV_REASON_CONSTRAINT_VIOLATION,
			  g_strdup("no acceptable certificate policy for the "
				   "path (an explicit policy is required)"));
		goto out;
	}
	if (specific && !ptree_has_leaf(&t, n)) {
		fail_with(reasons, message, TV_REASON_CONSTRAINT_VIOLATION,
			  g_strdup("the path is valid for none of the "
				   "accepted certificate policies"));
		goto out;
	}
	ok = true;
out:
	for (size_t d = 0; d <= n; d++)
		g_ptr_array_unref(t.levels[d]);
	g_free(t.levels);
	return ok;
}
