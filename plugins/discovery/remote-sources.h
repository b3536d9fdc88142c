/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SPIFFE bundle endpoint and Consul CA roots sources (sources.c lists
 * them). */
#ifndef TV_PLUGINS_DISCOVERY_REMOTE_SOURCES_H
#define TV_PLUGINS_DISCOVERY_REMOTE_SOURCES_H

#include "source.h"

/* source = "spiffe": a SPIFFE bundle endpoint, polled (spiffe.c). */
extern const dsc_source_ops dsc_source_spiffe;
/* source = "consul": Consul Connect CA roots, blocking queries (consul.c). */
extern const dsc_source_ops dsc_source_consul;

#endif
