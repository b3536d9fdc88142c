/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy files: every *.conf of conf.d, read with libconfig into a model. */
#ifndef TV_CORE_POLICY_H
#define TV_CORE_POLICY_H

#include "combine.h"
#include "hostname.h"
#include "settings.h"

typedef struct {
	char *use;
	step_control control;
	tv_settings *settings; /* the plugin's own keys */
	char *file;
	int line;
} policy_step;

typedef struct {
	char *name;
	char *file;
	int line;
	GPtrArray *hosts; /* host_pattern* */
	GPtrArray *steps; /* policy_step*; NULL when the key was absent */
	bool is_protected;
	int verify_hostname; /* -1 = from defaults */
	char **match_names;  /* NULL = the request host */
	char *sni;
	policy_step *client; /* the `client` step: control unused */
	host_pattern *probe; /* `probe = "host:port"`, exact, port set */
	bool insecure;
	char *reason;
	char *owner;
	int64_t expires;
	int insecure_line;
} policy_endpoint;

typedef struct {
	char *plugin_dir; /* NULL = caller's or installed default */
	bool verify_hostname;
	int max_chain_length;
	unsigned cache_size;  /* entries; 0 = no result cache */
	unsigned cache_ttl;   /* seconds */
	GPtrArray *endpoints; /* policy_endpoint*, after overrides */
	GPtrArray *files;     /* char*: the files read, in order */
	GHashTable *by_name;  /* endpoint name -> index in endpoints */
} policy;

#define POLICY_MAX_CHAIN_LENGTH_DEFAULT 8

/*
 * Reads every *.conf in @conf_dir in lexical order and applies overrides
 * (a later endpoint replaces an earlier one of the same name, except a
 * protected one).  Returns (transfer
 * full) NULL with @error (TV_ERROR_CONFIG, "file:line: ...").
 */
policy *policy_load(const char *conf_dir, GError **error);
void policy_free(policy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(policy, policy_free)

/* The endpoint's effective name-check switch. */
bool policy_endpoint_verifies_hostname(const policy *policy,
				       const policy_endpoint *endpoint);

void policy_endpoint_free(policy_endpoint *endpoint);

/*
 * The protected-endpoint rules over the final endpoint list: no endpoint
 * may shadow a protected endpoint's host, and none whose hosts overlap an
 * official AI host (protected.c) that no protected endpoint covers may
 * weaken verification there.  @has_anchor tells whether an endpoint's
 * chain has a trust-anchor step (needs the plugins: the snapshot passes
 * it).  Returns false with @error naming file:line.
 */
bool policy_check_protected(const policy *policy,
			    bool (*has_anchor)(const policy_endpoint *, void *),
			    void *data, GError **error);

#endif
