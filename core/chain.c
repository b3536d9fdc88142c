/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The presented chain, imported once per verification and put in path order. */
#include "chain.h"

#include "anchor-index.h"

#include "path.h"
#include "request.h"
#include "revocation.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* Enough buckets that a system store's CAs rarely share one: each CA in
 * the anchor's bucket costs ~60 µs per verification in GnuTLS 3.7. */
#define TRUST_LIST_BUCKETS 1021

char *crt_describe(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = {NULL, 0};
	char *out;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0 || dn.size == 0) {
		gnutls_free(dn.data);
		return g_strdup("(no subject)");
	}
	out = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return out;
}

static bool datum_equal(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

/* Raw subject and issuer of each imported certificate, fetched once. */
typedef struct {
	gnutls_datum_t subject;
	gnutls_datum_t issuer;
} crt_names;

static void names_clear(crt_names *n, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		gnutls_free(n[i].subject.data);
		gnutls_free(n[i].issuer.data);
	}
}

static bool import_one(tv_chain *c, GBytes *bytes, crt_names *names,
		       char **message)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der;
	size_t size;
	int ret;

	der.data = (unsigned char *)g_bytes_get_data(bytes, &size);
	der.size = (unsigned)size;
	ret = gnutls_x509_crt_init(&crt);
	if (ret >= 0)
		ret = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER);
	if (ret >= 0)
		ret = gnutls_x509_crt_get_raw_dn(crt, &names->subject);
	if (ret >= 0)
		ret = gnutls_x509_crt_get_raw_issuer_dn(crt, &names->issuer);
	if (ret < 0) {
		*message = g_strdup_printf("certificate %zu does not parse: %s",
					   c->n_all + 1, gnutls_strerror(ret));
		if (crt != NULL)
			gnutls_x509_crt_deinit(crt);
		return false;
	}
	c->all[c->n_all] = crt;
	c->all_ders[c->n_all] = der;
	c->n_all++;
	return true;
}

void chain_check_times(tv_chain *c)
{
	c->time_reasons = 0;
	c->earliest_not_after = 0;
	c->next_change = 0;
	g_free(c->time_message);
	c->time_message = NULL;
	for (size_t i = 0; i < c->len; i++) {
		time_t from = gnutls_x509_crt_get_activation_time(c->crts[i]);
		time_t until = gnutls_x509_crt_get_expiration_time(c->crts[i]);
		uint32_t bad = 0;

		if (until != (time_t)-1 &&
		    (c->earliest_not_after == 0 ||
		     (int64_t)until < c->earliest_not_after))
			c->earliest_not_after = (int64_t)until;
		/* When a cached verdict stops being right. */
		if (from != (time_t)-1 && (int64_t)from > c->time &&
		    (c->next_change == 0 || (int64_t)from < c->next_change))
			c->next_change = (int64_t)from;
		if (until != (time_t)-1 && (int64_t)until >= c->time &&
		    (c->next_change == 0 || (int64_t)until < c->next_change))
			c->next_change = (int64_t)until + 1;
		if (from == (time_t)-1 || until == (time_t)-1)
			bad = TV_REASON_MALFORMED;
		else if (c->time < (int64_t)from)
			bad = TV_REASON_NOT_YET_VALID;
		else if (c->time > (int64_t)until)
			bad = TV_REASON_EXPIRED;
		if (bad == 0)
			continue;
		if (c->time_message == NULL) {
			g_autofree char *who = crt_describe(c->crts[i]);
			g_autoptr(GDateTime) when =
				g_date_time_new_from_unix_utc(
					bad == TV_REASON_NOT_YET_VALID
						? (gint64)from
						: (gint64)until);
			g_autofree char *stamp =
				when ? g_date_time_format_iso8601(when)
				     : g_strdup("?");
			c->time_message = g_strdup_printf(
				"%s certificate '%s' %s %s",
				i == 0 ? "leaf" : "intermediate", who,
				bad == TV_REASON_EXPIRED ? "expired at"
				: bad == TV_REASON_NOT_YET_VALID
					? "is not valid before"
					: "has unreadable validity",
				bad == TV_REASON_MALFORMED ? "" : stamp);
		}
		c->time_reasons |= bad;
	}
}

bool chain_build(tv_chain *c, const tv_request *req, int64_t time,
		 uint32_t *reasons, char **message)
{
	size_t n_presented = req->presented->len;
	size_t n_total = n_presented + req->untrusted->len;
	crt_names *names;
	bool *used;
	bool ok = false;

	memset(c, 0, sizeof(*c));
	c->time = time;
	*reasons = 0;
	*message = NULL;

	if (n_presented == 0) {
		*reasons = TV_REASON_MALFORMED;
		*message = g_strdup("no certificate presented");
		return false;
	}
	if (n_total > CHAIN_MAX_INPUT) {
		*reasons = TV_REASON_CHAIN_TOO_LONG;
		*message = g_strdup_printf(
			"%zu certificates presented (at most %d are examined)",
			n_total, CHAIN_MAX_INPUT);
		return false;
	}

	c->all = g_new0(gnutls_x509_crt_t, n_total);
	c->all_ders = g_new0(gnutls_datum_t, n_total);
	c->crts = g_new0(gnutls_x509_crt_t, n_total);
	c->ders = g_new0(gnutls_datum_t, n_total);
	names = g_new0(crt_names, n_total);
	used = g_new0(bool, n_total);

	for (size_t i = 0; i < n_total; i++) {
		GBytes *b = i < n_presented
				    ? req->presented->pdata[i]
				    : req->untrusted->pdata[i - n_presented];
		if (!import_one(c, b, &names[i], message)) {
			*reasons = TV_REASON_MALFORMED;
			goto out;
		}
	}

	/* Path: leaf, then repeatedly the first unused certificate whose
	 * subject is the current issuer (presented ones before the pool).
	 * A self-signed root the peer sent ends the path, as no other
	 * certificate carries its name. */
	c->crts[0] = c->all[0];
	c->ders[0] = c->all_ders[0];
	c->len = 1;
	used[0] = true;
	for (size_t cur = 0;;) {
		size_t next = n_total;

		/* A self-issued certificate (key rollover, RFC 5280 6.1) may
		 * still have an issuer of the same name with another key;
		 * used[] keeps a certificate from issuing itself. */
		for (size_t j = 0; j < n_total; j++) {
			if (!used[j] && datum_equal(&names[j].subject,
						    &names[cur].issuer)) {
				next = j;
				break;
			}
		}
		if (next == n_total)
			break;
		used[next] = true;
		c->crts[c->len] = c->all[next];
		c->ders[c->len] = c->all_ders[next];
		c->len++;
		cur = next;
	}
	chain_check_times(c);
	ok = true;
out:
	names_clear(names, c->n_all);
	g_free(names);
	g_free(used);
	return ok;
}

void chain_clear(tv_chain *c)
{
	for (size_t i = 0; i < c->n_all; i++)
		gnutls_x509_crt_deinit(c->all[i]);
	g_free(c->all);
	g_free(c->all_ders);
	g_free(c->crts);
	g_free(c->ders);
	g_free(c->time_message);
	gnutls_free(c->anchor.data);
	memset(c, 0, sizeof(*c));
}

void step_result_clear(tv_step_result *r)
{
	g_free(r->message);
	r->message = NULL;
	r->reasons = 0;
	r->valid_until = 0;
}

/* ---- public accessors for plugins ------------------------------------ */

size_t tv_chain_get_length(const tv_chain *c)
{
	g_return_val_if_fail(c != NULL, 0);
	return c->len;
}

gnutls_x509_crt_t tv_chain_get_crt(const tv_chain *c, size_t index)
{
	g_return_val_if_fail(c != NULL && index < c->len, NULL);
	return c->crts[index];
}

gnutls_x509_crt_t *tv_chain_get_crts(const tv_chain *c)
{
	g_return_val_if_fail(c != NULL, NULL);
	return c->crts;
}

const gnutls_datum_t *tv_chain_get_der(const tv_chain *c, size_t index)
{
	g_return_val_if_fail(c != NULL && index < c->len, NULL);
	return &c->ders[index];
}

int64_t tv_chain_get_time(const tv_chain *c)
{
	g_return_val_if_fail(c != NULL, 0);
	return c->time;
}

void tv_step_result_add_reasons(tv_step_result *r, uint32_t reasons)
{
	g_return_if_fail(r != NULL);
	r->reasons |= reasons;
}

void tv_step_result_set_valid_until(tv_step_result *r, int64_t unix_time)
{
	g_return_if_fail(r != NULL);
	if (unix_time > 0 &&
	    (r->valid_until == 0 || unix_time < r->valid_until))
		r->valid_until = unix_time;
}

void tv_step_result_set_message(tv_step_result *r, const char *format, ...)
{
	va_list ap;

	g_return_if_fail(r != NULL && format != NULL);
	g_free(r->message);
	va_start(ap, format);
	r->message = g_strdup_vprintf(format, ap);
	va_end(ap);
}

bool tv_chain_get_spki(const tv_chain *c, size_t index, gnutls_datum_t *out)
{
	g_return_val_if_fail(c != NULL && out != NULL, false);
	if (index >= c->len)
		return false;
	return der_certificate_spki(&c->ders[index], out);
}

bool tv_chain_get_anchor_spki(const tv_chain *c, gnutls_datum_t *out)
{
	g_return_val_if_fail(c != NULL && out != NULL, false);
	return c->anchor.data != NULL && der_certificate_spki(&c->anchor, out);
}

const gnutls_datum_t *tv_chain_get_anchor_der(const tv_chain *c)
{
	g_return_val_if_fail(c != NULL, NULL);
	return c->anchor.data != NULL ? &c->anchor : NULL;
}

/* ---- trust-list helpers ---------------------------------------------- */

int tv_trust_list_new(gnutls_x509_trust_list_t *list)
{
	g_return_val_if_fail(list != NULL, GNUTLS_E_INVALID_REQUEST);
	return gnutls_x509_trust_list_init(list, TRUST_LIST_BUCKETS);
}

static tv_step_verdict fail(tv_step_result *r, uint32_t reasons, char *message)
{
	r->reasons |= reasons;
	g_free(r->message);
	r->message = message;
	return TV_STEP_FAIL;
}

/*
 * GnuTLS names the anchor it used only through the verify output
 * callback, which has no user pointer: the calling thread's chain and the
 * anchor's validity travel in thread-local storage for the duration of
 * one verify_crt2 call.  Looking the anchor up again afterwards would
 * cost a copy of it (~10 µs) on every verification.
 */
typedef struct {
	const tv_chain *chain;
	bool found;
	time_t from, until;
	char *who;
	gnutls_datum_t der;
} anchor_probe;

static _Thread_local anchor_probe *current_probe;

static int note_anchor(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer,
		       gnutls_x509_crl_t crl, unsigned int status)
{
	anchor_probe *p = current_probe;

	(void)cert;
	(void)crl;
	(void)status;
	if (p == NULL || issuer == NULL || p->found)
		return 0;
	for (size_t i = 0; i < p->chain->len; i++)
		if (p->chain->crts[i] == issuer)
			return 0; /* an issuer from the path, not the anchor */
	p->found = true;
	p->from = gnutls_x509_crt_get_activation_time(issuer);
	p->until = gnutls_x509_crt_get_expiration_time(issuer);
	p->who = crt_describe(issuer);
	/* Kept for later steps (a pin on the root); a copy, because an
	 * issuer from a PKCS#11 store does not outlive this call. */
	if (gnutls_x509_crt_export2(issuer, GNUTLS_X509_FMT_DER, &p->der) < 0)
		p->der.data = NULL;
	return 0;
}

/* ---- revocation hook (tv_path_options) -------------------------------- */

/* @o's prepared CRLs, when the plugin built them with a header that
 * has the member. */
static const tv_crl_set *options_crl_set(const tv_path_options *o)
{
	if (o->size < offsetof(tv_path_options, crl_set) + sizeof(o->crl_set))
		return NULL;
	return o->crl_set;
}

static size_t options_n_crls(const tv_path_options *o)
{
	const tv_crl_set *set = options_crl_set(o);

	return set != NULL ? tv_crl_set_get_size(set) : o->n_crls;
}

/* After a PASS: the path GnuTLS validated (the chain and, when it is not
 * the top of the chain, the anchor it found) checked against the CRLs. */
static tv_step_verdict
check_revocation(const tv_chain *c, const tv_path_options *o, tv_step_result *r)
{
	g_autofree gnutls_x509_crt_t *path = NULL;
	gnutls_x509_crt_t anchor = NULL;
	const tv_crl_set *set = options_crl_set(o);
	g_autoptr(tv_crl_set) per_call = NULL;
	uint32_t reasons = 0;
	char *message = NULL;
	size_t n = c->len;
	bool ok;

	/* A plugin that lends bare CRLs has them prepared for this call. */
	if (set == NULL)
		set = per_call = tv_crl_set_new(o->crls, o->n_crls);
	path = g_new(gnutls_x509_crt_t, c->len + 1);
	memcpy(path, c->crts, c->len * sizeof(*path));
	if (c->anchor.data != NULL) {
		gnutls_x509_crt_t kept =
			crl_set_anchor(set, &c->anchor, &anchor);

		if (kept == NULL)
			return fail(r, TV_REASON_UNTRUSTED,
				    g_strdup("revocation: cannot read the "
					     "trust anchor"));
		path[n++] = kept;
	}
	ok = tv_revocation_check_set(path, n, c->all, c->n_all, set,
				     o->revocation, c->time, &reasons,
				     &message);
	if (anchor != NULL)
		gnutls_x509_crt_deinit(anchor);
	tv_step_result_set_valid_until(r, crl_set_next_change(set, c->time));
	if (!ok)
		return fail(r, reasons, message);
	return TV_STEP_PASS;
}

/*
 * A path is validated: @c's path (leaf first, c->crts[0..c->len - 1]) and
 * its anchor (c->anchor, DER; NULL when the top of the path is itself
 * trusted).  Everything that judges a validated path hooks in here.
 */
static tv_step_verdict path_validated(gnutls_x509_trust_list_t list,
				      const tv_chain *c,
				      const tv_path_options *options,
				      tv_step_result *r)
{
	(void)list;
	/* No CRLs and nothing required: not a single extra instruction. */
	if (options == NULL || options->revocation == TV_REVOCATION_OFF ||
	    (options_n_crls(options) == 0 &&
	     options->revocation == TV_REVOCATION_IF_PRESENT))
		return TV_STEP_PASS;
	return check_revocation(c, options, r);
}

tv_step_verdict tv_trust_list_verify(gnutls_x509_trust_list_t list,
				     const tv_request *request,
				     const tv_chain *c, tv_step_result *r)
{
	return tv_trust_list_verify_with(list, request, c, NULL, r);
}

tv_step_verdict tv_trust_list_verify_with(gnutls_x509_trust_list_t list,
					  const tv_request *request,
					  const tv_chain *cc,
					  const tv_path_options *options,
					  tv_step_result *r)
{
	gnutls_typed_vdata_st purpose = {0};
	gnutls_datum_t text = {NULL, 0};
	/* The path and anchor are per-request state a step may refine. */
	tv_chain *c = (tv_chain *)cc;
	anchor_probe probe = {c, false, 0, 0, NULL, {NULL, 0}};
	g_autofree char *who = NULL;
	unsigned status = 0;
	int ret;

	g_return_val_if_fail(list != NULL && c != NULL && r != NULL,
			     TV_STEP_FAIL);
	if (options != NULL && options->size < offsetof(tv_path_options, index))
		/* Shorter than the first published struct: refuse rather
		 * than guess.  Later members are read only within @size. */
		return fail(r, TV_REASON_MALFORMED,
			    g_strdup("tv_path_options of an unknown size"));
	/* .index was appended: a caller built before it has none. */
	if (options != NULL &&
	    options->size >=
		    offsetof(tv_path_options, index) + sizeof(options->index) &&
	    !trust_index_admits(options->index, c, r))
		return TV_STEP_FAIL;
	if (c->len == 0)
		return fail(r, TV_REASON_MALFORMED,
			    g_strdup("no certificate to verify"));

	purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
	purpose.data = (unsigned char *)(tv_request_get_purpose(request) ==
							 TV_PURPOSE_CLIENT
						 ? GNUTLS_KP_TLS_WWW_CLIENT
						 : GNUTLS_KP_TLS_WWW_SERVER);

	/* GnuTLS only knows "now": it checks signatures, constraints and
	 * revocation; validity periods are checked here at the request's
	 * time.  The path is already in order. */
	current_probe = &probe;
	ret = gnutls_x509_trust_list_verify_crt2(
		list, c->crts, (unsigned)c->len, &purpose, 1,
		path_gnutls_flags(options), &status, note_anchor);
	current_probe = NULL;
	who = probe.who;
	if (probe.der.data != NULL && ret >= 0 && status == 0 &&
	    c->anchor.data == NULL)
		c->anchor = probe.der;
	else
		gnutls_free(probe.der.data);

	if (ret < 0)
		return fail(r, TV_REASON_UNTRUSTED,
			    g_strdup_printf("verification could not run: %s",
					    gnutls_strerror(ret)));
	if (status != 0) {
		uint32_t reasons = 0;
		char *msg = NULL;

		/* GnuTLS 3.7 rejects some valid paths (names differing in
		 * case or spacing, self-issued certificates counted against
		 * pathLen, DN/URI name constraints, policy extensions) and
		 * builds only one path: look again, RFC 5280's way. */
		if (path_search(list, request, c, options, status, &reasons,
				&msg)) {
			g_autofree char *top =
				crt_describe(c->crts[c->len - 1]);

			if (c->time_reasons != 0)
				return fail(r, c->time_reasons,
					    g_strdup(c->time_message));
			tv_step_result_set_message(
				r, "chain verified above '%s' (RFC 5280 path)",
				top);
			return path_validated(list, c, options, r);
		}
		if (reasons != 0 && (status & ~PATH_GNUTLS_REVISABLE) == 0)
			return fail(r, reasons, msg);
		g_free(msg);
		if (gnutls_certificate_verification_status_print(
			    status, GNUTLS_CRT_X509, &text, 0) >= 0 &&
		    text.data != NULL)
			msg = g_strstrip(
				g_strndup((const char *)text.data, text.size));
		else
			msg = g_strdup_printf("verification status 0x%x",
					      status);
		gnutls_free(text.data);
		return fail(r, tv_reasons_from_gnutls_status(status), msg);
	}

	{
		uint32_t reasons = 0;
		char *msg = NULL;

		if (c->time_reasons != 0) {
			reasons = c->time_reasons;
			msg = g_strdup(c->time_message);
		} else if (probe.found && (probe.from == (time_t)-1 ||
					   c->time < (int64_t)probe.from)) {
			/* The anchor's validity at the request time (GnuTLS
			 * was told to skip it).  When the top of the path is
			 * itself trusted there is no separate anchor. */
			reasons = TV_REASON_NOT_YET_VALID;
			msg = g_strdup_printf("trust anchor '%s' is not yet "
					      "valid",
					      who);
		} else if (probe.found && (probe.until == (time_t)-1 ||
					   c->time > (int64_t)probe.until)) {
			reasons = TV_REASON_EXPIRED;
			msg = g_strdup_printf("trust anchor '%s' has expired",
					      who);
		} else {
			/* RFC 5280 checks GnuTLS does not make (nearly free
			 * when no certificate has name or policy
			 * constraints). */
			path_check_extras(c,
					  probe.found && c->anchor.data != NULL
						  ? &c->anchor
						  : NULL,
					  options, &reasons, &msg);
		}
		if (reasons != 0) {
			uint32_t other = 0;
			char *other_msg = NULL;

			/* Another path may still hold: an expired
			 * cross-signed root (Let's Encrypt, 2021) next to the
			 * current one in the trust list. */
			if (!path_search(list, request, c, options, 0, &other,
					 &other_msg)) {
				g_free(other_msg);
				return fail(r, reasons, msg);
			}
			g_free(other_msg);
			g_free(msg);
			tv_step_result_set_message(
				r, "chain verified by an alternative path");
			return path_validated(list, c, options, r);
		}
	}
	if (probe.found)
		tv_step_result_set_message(r, "chain verified to '%s'", who);
	else
		tv_step_result_set_message(r, "chain verified");
	return path_validated(list, c, options, r);
}
