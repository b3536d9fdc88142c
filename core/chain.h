/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The presented chain, imported once per verification and put in path order. */
#ifndef TV_CORE_CHAIN_H
#define TV_CORE_CHAIN_H

#include "tlsverify/plugin.h"

#include "der.h"

/* Hard cap on certificates a request may carry, whatever the policy says:
 * bounds the work an attacker can cause before any policy runs. */
#define CHAIN_MAX_INPUT 32

struct tv_chain {
	gnutls_x509_crt_t *crts; /* path, leaf first (borrowed from all) */
	gnutls_datum_t *ders;	 /* DER of the path (borrowed from request) */
	size_t len;
	int64_t time;
	uint32_t time_reasons;	    /* expired / not-yet-valid along the path */
	int64_t earliest_not_after; /* of the path; 0 when unknown */
	int64_t next_change; /* first instant a path validity flips; 0 none */
	char *time_message;  /* which certificate, and when */

	gnutls_datum_t anchor; /* DER of the first anchor found (owned) */

	gnutls_x509_crt_t *all; /* every imported certificate (owned) */
	gnutls_datum_t *all_ders;
	size_t n_all;
};

struct tv_step_result {
	uint32_t reasons;
	char *message;
	int64_t valid_until; /* 0 = no limit */
};

/*
 * Imports the request's certificates and orders the path.  Returns false
 * with @reasons (malformed or chain-too-long) and @message when the input
 * cannot be used; the chain must still be cleared.
 */
bool chain_build(tv_chain *chain, const tv_request *request, int64_t time,
		 uint32_t *reasons, char **message);
void chain_clear(tv_chain *chain);

/* (Re)computes the validity fields of the chain's current path. */
void chain_check_times(tv_chain *chain);

/* Short printable subject of @crt; (transfer full). */
char *crt_describe(gnutls_x509_crt_t crt);

void step_result_clear(tv_step_result *result);

#endif
