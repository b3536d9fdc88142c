/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tables of discovery sources and value formats. */
#include "config.h"

#include <string.h>

#include "source.h"

/*
 * The SPIFFE and Consul parts (remote.mk) add their entries in the two
 * marked spots below, and nothing else in this file.
 */

/* ---- remote: headers ---- */
#include "consul-roots.h"
#include "jwks.h"
#include "remote-sources.h"
/* ---- end remote: headers ---- */

static const dsc_format dsc_format_pem = {DSC_FORMAT_PEM, dsc_pem_parse};
/* ---- remote: formats ---- */
static const dsc_format dsc_format_spiffe_jwks = {DSC_FORMAT_SPIFFE_JWKS,
						  dsc_jwks_format_parse};
static const dsc_format dsc_format_consul_roots = {
	DSC_FORMAT_CONSUL_ROOTS, dsc_consul_roots_format_parse};
/* ---- end remote: formats ---- */

const dsc_format *const dsc_formats[] = {
	&dsc_format_pem,
	/* ---- remote: format table ---- */
	&dsc_format_spiffe_jwks,
	&dsc_format_consul_roots,
	/* ---- end remote: format table ---- */
	NULL,
};

const dsc_source_ops *const dsc_sources[] = {
	&dsc_source_etcd,
	&dsc_source_file,
	/* ---- remote: source table ---- */
	&dsc_source_spiffe,
	&dsc_source_consul,
	/* ---- end remote: source table ---- */
	NULL,
};

dsc_parse_fn dsc_format_find(const char *name)
{
	for (unsigned i = 0; dsc_formats[i] != NULL; i++)
		if (strcmp(dsc_formats[i]->name, name) == 0)
			return dsc_formats[i]->parse;
	return NULL;
}

const dsc_source_ops *dsc_source_find(const char *name)
{
	for (unsigned i = 0; dsc_sources[i] != NULL; i++)
		if (strcmp(dsc_sources[i]->name, name) == 0)
			return dsc_sources[i];
	return NULL;
}
