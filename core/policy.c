/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy files: every *.conf of conf.d, read with libconfig into a model. */
#include "policy.h"

#include "chain.h"
#include "error.h"
#include "loader.h"
#include "protected.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a setting came from, for messages. */
typedef struct {
	const char *file;     /* as shown: conf_dir/name */
	const char *base_dir; /* relative paths resolve here */
} source;

static bool fail_at(GError **error, const source *src,
		    const config_setting_t *s, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

static bool fail_at(GError **error, const source *src,
		    const config_setting_t *s, const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	error_elide(&msg);
	g_set_error(error, TV_ERROR, TV_ERROR_CONFIG, "%s:%d: %s", src->file,
		    s ? (int)config_setting_source_line(s) : 0, msg);
	return false;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "unknown";
}

static bool want_type(const source *src, const config_setting_t *s, int type,
		      const char *wanted, GError **error)
{
	if (config_setting_type(s) == type)
		return true;
	return fail_at(error, src, s, "key '%s' must be %s, not %s",
		       config_setting_name(s), wanted,
		       type_name(config_setting_type(s)));
}

static bool get_string(const source *src, const config_setting_t *s,
		       const char **out, GError **error)
{
	if (!want_type(src, s, CONFIG_TYPE_STRING, "a string", error))
		return false;
	*out = config_setting_get_string(s);
	if (**out == '\0')
		return fail_at(error, src, s, "key '%s' must not be empty",
			       config_setting_name(s));
	return true;
}

static bool get_bool(const source *src, const config_setting_t *s, bool *out,
		     GError **error)
{
	if (!want_type(src, s, CONFIG_TYPE_BOOL, "a boolean (true/false)",
		       error))
		return false;
	*out = config_setting_get_bool(s) != 0;
	return true;
}

/* A list or array of non-empty strings. */
static bool get_strv(const source *src, const config_setting_t *s, char ***out,
		     GError **error)
{
	int type = config_setting_type(s);
	g_autoptr(GPtrArray) v = NULL;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return fail_at(error, src, s,
			       "key '%s' must be a list of strings, not %s",
			       config_setting_name(s), type_name(type));
	v = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		const char *str;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail_at(error, src, e,
				       "key '%s': element %d must be a string, "
				       "not %s",
				       config_setting_name(s), i + 1,
				       type_name(config_setting_type(e)));
		str = config_setting_get_string(e);
		if (*str == '\0')
			return fail_at(error, src, e,
				       "key '%s': element %d is empty",
				       config_setting_name(s), i + 1);
		g_ptr_array_add(v, g_strdup(str));
	}
	g_ptr_array_set_free_func(v, NULL);
	g_ptr_array_add(v, NULL);
	*out = (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);
	return true;
}

/* ---- plugin settings: copied out of libconfig, keeping lines ---------- */

static bool copy_settings(const source *src, const config_setting_t *group,
			  tv_settings *out, const char *const *skip,
			  GError **error);

static bool copy_one(const source *src, const config_setting_t *s,
		     tv_settings *out, GError **error)
{
	int line = (int)config_setting_source_line(s);
	const char *key = config_setting_name(s);
	setting *item;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		item = settings_add(out, key, SETTING_STRING, line);
		item->string = g_strdup(config_setting_get_string(s));
		return true;
	case CONFIG_TYPE_BOOL:
		item = settings_add(out, key, SETTING_BOOL, line);
		item->boolean = config_setting_get_bool(s) != 0;
		return true;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		item = settings_add(out, key, SETTING_INT, line);
		item->integer = config_setting_get_int64(s);
		return true;
	case CONFIG_TYPE_FLOAT:
		item = settings_add(out, key, SETTING_FLOAT, line);
		item->real = config_setting_get_float(s);
		return true;
	case CONFIG_TYPE_GROUP:
		item = settings_add(out, key, SETTING_GROUP, line);
		item->group = settings_new(src->file, src->base_dir, line);
		return copy_settings(src, s, item->group, NULL, error);
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST: {
		bool all_strings = true;

		for (int i = 0; i < config_setting_length(s); i++)
			if (config_setting_type(config_setting_get_elem(
				    s, i)) != CONFIG_TYPE_STRING)
				all_strings = false;
		if (!all_strings) {
			settings_add(out, key, SETTING_OTHER, line);
			return true;
		}
		item = settings_add(out, key, SETTING_STRV, line);
		item->strv = g_new0(char *, config_setting_length(s) + 1);
		for (int i = 0; i < config_setting_length(s); i++)
			item->strv[i] = g_strdup(config_setting_get_string(
				config_setting_get_elem(s, i)));
		return true;
	}
	}
	return fail_at(error, src, s, "key '%s' has an unsupported type", key);
}

static bool copy_settings(const source *src, const config_setting_t *group,
			  tv_settings *out, const char *const *skip,
			  GError **error)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *s = config_setting_get_elem(group, i);

		if (skip && g_strv_contains(skip, config_setting_name(s)))
			continue;
		if (!copy_one(src, s, out, error))
			return false;
	}
	return true;
}

/* ---- endpoints -------------------------------------------------------- */

static void step_free(policy_step *s)
{
	if (s == NULL)
		return;
	g_free(s->use);
	settings_free(s->settings);
	g_free(s->file);
	g_free(s);
}

void policy_endpoint_free(policy_endpoint *e)
{
	if (e == NULL)
		return;
	g_free(e->name);
	g_free(e->file);
	if (e->hosts)
		g_ptr_array_unref(e->hosts);
	if (e->steps)
		g_ptr_array_unref(e->steps);
	g_strfreev(e->match_names);
	g_free(e->sni);
	step_free(e->client);
	host_pattern_free(e->probe);
	g_free(e->reason);
	g_free(e->owner);
	g_free(e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(policy_endpoint, policy_endpoint_free)

/* Names are metric labels and journal fields: short, plain. */
#define NAME_MAX_LENGTH 128
static bool name_is_valid(const char *name)
{
	size_t n = 0;

	for (const char *c = name; *c != '\0'; c++, n++)
		if (n == NAME_MAX_LENGTH ||
		    !(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '.' ||
		      *c == '_' || *c == '-'))
			return false;
	return n > 0;
}

static bool parse_step(const source *src, const config_setting_t *s,
		       policy_step **out, GError **error)
{
	static const char *const core_keys[] = {"use", "control", NULL};
	config_setting_t *use, *control;
	policy_step *step;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail_at(error, src, s,
			       "a chain step must be a group { use = ...; "
			       "control = ...; }, not %s",
			       type_name(config_setting_type(s)));
	use = config_setting_get_member(s, "use");
	control = config_setting_get_member(s, "control");
	if (use == NULL)
		return fail_at(error, src, s, "chain step has no 'use' key");
	if (control == NULL)
		return fail_at(error, src, s,
			       "chain step has no 'control' key (required, "
			       "requisite, sufficient or optional)");

	step = g_new0(policy_step, 1);
	step->file = g_strdup(src->file);
	step->line = (int)config_setting_source_line(s);
	*out = step;
	{
		const char *text;

		if (!get_string(src, use, &text, error))
			return false;
		if (!loader_name_is_valid(text))
			return fail_at(error, src, use,
				       "invalid plugin name '%s' in 'use': "
				       "expected [a-z0-9_-]+",
				       text);
		step->use = g_strdup(text);
		if (!get_string(src, control, &text, error))
			return false;
		if (!control_parse(text, &step->control))
			return fail_at(error, src, control,
				       "unknown control '%s' (expected "
				       "required, requisite, sufficient or "
				       "optional)",
				       text);
	}
	step->settings = settings_new(src->file, src->base_dir, step->line);
	return copy_settings(src, s, step->settings, core_keys, error);
}

/* client = { use = "mtls"; ...plugin settings... }: no control flag. */
static bool parse_client(const source *src, const config_setting_t *s,
			 policy_step **out, GError **error)
{
	static const char *const core_keys[] = {"use", NULL};
	config_setting_t *use;
	const char *text;
	policy_step *step;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail_at(error, src, s,
			       "key 'client' must be a group { use = ...; "
			       "... }, not %s",
			       type_name(config_setting_type(s)));
	use = config_setting_get_member(s, "use");
	if (use == NULL)
		return fail_at(error, src, s, "client has no 'use' key");
	if (config_setting_get_member(s, "control") != NULL)
		return fail_at(error, src,
			       config_setting_get_member(s, "control"),
			       "client takes no 'control': it presents a "
			       "certificate, it does not vote");
	step = g_new0(policy_step, 1);
	step->file = g_strdup(src->file);
	step->line = (int)config_setting_source_line(s);
	*out = step;
	if (!get_string(src, use, &text, error))
		return false;
	if (!loader_name_is_valid(text))
		return fail_at(error, src, use,
			       "invalid plugin name '%s' in 'use': expected "
			       "[a-z0-9_-]+",
			       text);
	step->use = g_strdup(text);
	step->settings = settings_new(src->file, src->base_dir, step->line);
	return copy_settings(src, s, step->settings, core_keys, error);
}

static bool parse_hosts(const source *src, const config_setting_t *s,
			policy_endpoint *e, GError **error)
{
	g_auto(GStrv) hosts = NULL;

	if (!get_strv(src, s, &hosts, error))
		return false;
	if (hosts[0] == NULL)
		return fail_at(error, src, s, "key 'hosts' is empty");
	e->hosts = g_ptr_array_new_with_free_func(
		(GDestroyNotify)host_pattern_free);
	for (int i = 0; hosts[i] != NULL; i++) {
		config_setting_t *el = config_setting_get_elem(s, i);
		g_autoptr(GError) local = NULL;
		host_pattern *p = host_pattern_parse(hosts[i], &local);

		if (p == NULL)
			return fail_at(error, src, el ? el : s, "%s",
				       local->message);
		p->line = (int)config_setting_source_line(el ? el : s);
		for (unsigned j = 0; j < e->hosts->len; j++) {
			host_pattern *q = e->hosts->pdata[j];
			if (q->kind == p->kind && q->port == p->port &&
			    strcmp(q->name, p->name) == 0) {
				host_pattern_free(p);
				return fail_at(error, src, el ? el : s,
					       "host '%s' listed twice",
					       hosts[i]);
			}
		}
		g_ptr_array_add(e->hosts, p);
	}
	return true;
}

static bool parse_match_names(const source *src, const config_setting_t *s,
			      policy_endpoint *e, GError **error)
{
	if (!get_strv(src, s, &e->match_names, error))
		return false;
	if (e->match_names[0] == NULL)
		return fail_at(error, src, s, "key 'match_names' is empty");
	for (char **n = e->match_names; *n != NULL; n++) {
		g_autofree char *h = NULL;

		if (strstr(*n, "://") != NULL)
			continue; /* URI SAN, e.g. a SPIFFE ID */
		h = hostname_normalize(*n);
		if (h == NULL)
			return fail_at(error, src, s,
				       "match_names: '%s' is neither a DNS "
				       "name, an IP address nor a URI",
				       *n);
	}
	return true;
}

static bool parse_endpoint(const source *src, const config_setting_t *g,
			   policy_endpoint **out, GError **error)
{
	g_autoptr(policy_endpoint) e = NULL;
	config_setting_t *expires = NULL;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(error, src, g,
			       "an endpoint must be a group { name = ...; "
			       "hosts = [...]; ... }, not %s",
			       type_name(config_setting_type(g)));
	e = g_new0(policy_endpoint, 1);
	e->file = g_strdup(src->file);
	e->line = (int)config_setting_source_line(g);
	e->verify_hostname = -1;

	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *key = config_setting_name(s);
		const char *text;
		bool flag;

		if (strcmp(key, "name") == 0) {
			if (!get_string(src, s, &text, error))
				return false;
			if (!name_is_valid(text))
				return fail_at(error, src, s,
					       "invalid endpoint name '%s': "
					       "expected [a-z0-9._-]+, at most "
					       "128 characters",
					       text);
			e->name = g_strdup(text);
		} else if (strcmp(key, "hosts") == 0) {
			if (!parse_hosts(src, s, e, error))
				return false;
		} else if (strcmp(key, "chain") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_LIST &&
			    !(config_setting_type(s) == CONFIG_TYPE_ARRAY &&
			      config_setting_length(s) == 0))
				return fail_at(
					error, src, s,
					"key 'chain' must be a list ( "
					"{...}, {...} ), not %s",
					type_name(config_setting_type(s)));
			e->steps = g_ptr_array_new_with_free_func(
				(GDestroyNotify)step_free);
			for (int k = 0; k < config_setting_length(s); k++) {
				policy_step *step = NULL;
				bool ok = parse_step(
					src, config_setting_get_elem(s, k),
					&step, error);
				if (step != NULL)
					g_ptr_array_add(e->steps, step);
				if (!ok)
					return false;
			}
		} else if (strcmp(key, "protected") == 0) {
			if (!get_bool(src, s, &e->is_protected, error))
				return false;
		} else if (strcmp(key, "verify_hostname") == 0) {
			if (!get_bool(src, s, &flag, error))
				return false;
			e->verify_hostname = flag;
		} else if (strcmp(key, "match_names") == 0) {
			if (!parse_match_names(src, s, e, error))
				return false;
		} else if (strcmp(key, "sni") == 0) {
			g_autofree char *h = NULL;
			if (!get_string(src, s, &text, error))
				return false;
			h = hostname_normalize(text);
			if (h == NULL || hostname_is_ip(h))
				return fail_at(error, src, s,
					       "sni '%s' is not a DNS name",
					       text);
			e->sni = g_steal_pointer(&h);
		} else if (strcmp(key, "insecure_skip_verify") == 0) {
			if (!get_bool(src, s, &e->insecure, error))
				return false;
			e->insecure_line = (int)config_setting_source_line(s);
		} else if (strcmp(key, "reason") == 0) {
			if (!get_string(src, s, &text, error))
				return false;
			e->reason = g_strdup(text);
		} else if (strcmp(key, "owner") == 0) {
			if (!get_string(src, s, &text, error))
				return false;
			e->owner = g_strdup(text);
		} else if (strcmp(key, "expires") == 0) {
			g_autoptr(GError) local = NULL;
			if (!get_string(src, s, &text, error))
				return false;
			if (!tv_time_parse(text, &e->expires, &local))
				return fail_at(error, src, s,
					       "key 'expires': %s",
					       local->message);
			expires = s;
		} else if (strcmp(key, "client") == 0) {
			if (!parse_client(src, s, &e->client, error))
				return false;
		} else if (strcmp(key, "probe") == 0) {
			g_autoptr(GError) local = NULL;

			if (!get_string(src, s, &text, error))
				return false;
			e->probe = host_pattern_parse(text, &local);
			if (e->probe == NULL ||
			    e->probe->kind != PATTERN_EXACT) {
				g_clear_pointer(&e->probe, host_pattern_free);
				return fail_at(error, src, s,
					       "probe '%s' must be host or "
					       "host:port (one peer to "
					       "connect to)",
					       text);
			}
			if (e->probe->port == 0)
				e->probe->port = 443;
		} else {
			return fail_at(error, src, s,
				       "unknown endpoint key '%s'", key);
		}
	}

	if (e->name == NULL)
		return fail_at(error, src, g, "endpoint has no 'name'");
	if (e->hosts == NULL)
		return fail_at(error, src, g, "endpoint '%s' has no 'hosts'",
			       e->name);
	if (e->insecure) {
		if (e->reason == NULL || expires == NULL)
			return fail_at(
				error, src, g,
				"endpoint '%s': insecure_skip_verify needs "
				"'reason' and 'expires' (an exception must say "
				"why and until when)",
				e->name);
	} else {
		if ((e->reason || e->owner || expires) && !e->insecure) {
			const char *k = e->reason  ? "reason"
					: e->owner ? "owner"
						   : "expires";
			return fail_at(error, src, g,
				       "endpoint '%s': key '%s' only applies "
				       "to insecure_skip_verify exceptions",
				       e->name, k);
		}
		if (e->steps == NULL)
			return fail_at(error, src, g,
				       "endpoint '%s' has no 'chain'", e->name);
	}
	if (e->is_protected) {
		if (e->insecure)
			return fail_at(error, src, g,
				       "endpoint '%s' is protected: "
				       "insecure_skip_verify is not allowed",
				       e->name);
		if (e->verify_hostname == 0)
			return fail_at(error, src, g,
				       "endpoint '%s' is protected: "
				       "verify_hostname = false is not allowed",
				       e->name);
		if (e->match_names != NULL)
			return fail_at(error, src, g,
				       "endpoint '%s' is protected: "
				       "match_names is not allowed (the host "
				       "itself must be verified)",
				       e->name);
	}
	*out = g_steal_pointer(&e);
	return true;
}

/* ---- files ------------------------------------------------------------ */

static bool get_uint(const source *src, const config_setting_t *s,
		     long long min, long long max, unsigned *out,
		     GError **error)
{
	int type = config_setting_type(s);
	long long v;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return want_type(src, s, CONFIG_TYPE_INT, "an integer", error);
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail_at(error, src, s, "%s %lld out of range %lld..%lld",
			       config_setting_name(s), v, min, max);
	*out = (unsigned)v;
	return true;
}

/* cache = { size = 4096; ttl = 300; }: size 0 turns the cache off. */
static bool parse_cache(policy *p, const source *src, const config_setting_t *g,
			GError **error)
{
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(error, src, g,
			       "key 'cache' must be a group { size = N; ttl "
			       "= SECONDS; }");
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *key = config_setting_name(s);

		if (strcmp(key, "size") == 0) {
			if (!get_uint(src, s, 0, 10000000, &p->cache_size,
				      error))
				return false;
		} else if (strcmp(key, "ttl") == 0) {
			if (!get_uint(src, s, 1, 86400, &p->cache_ttl, error))
				return false;
		} else {
			return fail_at(error, src, s,
				       "unknown key '%s' in cache", key);
		}
	}
	return true;
}

static bool parse_defaults(policy *p, const source *src,
			   const config_setting_t *g, GError **error)
{
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(error, src, g, "key 'defaults' must be a group");
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *key = config_setting_name(s);

		if (strcmp(key, "plugin_dir") == 0) {
			const char *dir;
			if (!get_string(src, s, &dir, error))
				return false;
			g_free(p->plugin_dir);
			p->plugin_dir =
				g_path_is_absolute(dir)
					? g_strdup(dir)
					: g_build_filename(src->base_dir, dir,
							   NULL);
		} else if (strcmp(key, "verify_hostname") == 0) {
			if (!get_bool(src, s, &p->verify_hostname, error))
				return false;
		} else if (strcmp(key, "max_chain_length") == 0) {
			int type = config_setting_type(s);
			long long v;

			if (type != CONFIG_TYPE_INT &&
			    type != CONFIG_TYPE_INT64)
				return want_type(src, s, CONFIG_TYPE_INT,
						 "an integer", error);
			v = config_setting_get_int64(s);
			if (v < 1 || v > CHAIN_MAX_INPUT)
				return fail_at(error, src, s,
					       "max_chain_length %lld out of "
					       "range 1..%d",
					       v, CHAIN_MAX_INPUT);
			p->max_chain_length = (int)v;
		} else if (strcmp(key, "cache") == 0) {
			if (!parse_cache(p, src, s, error))
				return false;
		} else {
			return fail_at(error, src, s,
				       "unknown key '%s' in defaults", key);
		}
	}
	return true;
}

/* The endpoint named @name so far, and its index; NULL when new. */
static policy_endpoint *find_endpoint(const policy *p, const char *name,
				      unsigned *index)
{
	gpointer v;

	if (!g_hash_table_lookup_extended(p->by_name, name, NULL, &v))
		return NULL;
	*index = GPOINTER_TO_UINT(v);
	return p->endpoints->pdata[*index];
}

/* Larger than any policy we have seen by far (100,000 endpoints take
 * 25 MB); a bound on what one file may make the loader read. */
#define POLICY_FILE_MAX (64 * 1024 * 1024)

/*
 * Reads policy file @path whole.  Opened without blocking and checked to
 * be a regular file once open, so a FIFO, a device or a directory named
 * *.conf is an error naming it rather than a hang; a symlink loop or a
 * dangling link fails in open().  (transfer full) NUL-terminated text.
 */
static char *read_policy_file(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		g_set_error(error, TV_ERROR, TV_ERROR_IO, "%s: cannot open: %s",
			    path, g_strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > POLICY_FILE_MAX) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "%s: larger than %d MiB", path,
			    POLICY_FILE_MAX / (1024 * 1024));
		close(fd);
		return NULL;
	}
	text = g_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "%s: cannot read: %s", path, g_strerror(e));
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	return g_steal_pointer(&text);
}

/*
 * libconfig opens @include files itself, with fopen(): a FIFO there
 * blocks the loader for good, and the file escapes the policy
 * directory's order and path rules.  The policy is the directory, so
 * refuse the directive (as libconfig's scanner spots it: at the start of
 * a line after blanks).
 */
static bool refuse_include(const char *path, const char *text, GError **error)
{
	int line = 1;

	for (const char *c = text; *c != '\0'; line++) {
		c += strspn(c, " \t");
		if (g_str_has_prefix(c, "@include")) {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: @include is not supported: put the "
				    "file in the policy directory",
				    path, line);
			return false;
		}
		c = strchr(c, '\n');
		if (c == NULL)
			break;
		c++;
	}
	return true;
}

static bool load_file(policy *p, const char *conf_dir, const char *name,
		      GError **error)
{
	g_autofree char *path = g_build_filename(conf_dir, name, NULL);
	/* Names defined by this file: name -> endpoint, for duplicates. */
	g_autoptr(GHashTable) mine = g_hash_table_new(g_str_hash, g_str_equal);
	source src = {path, conf_dir};
	config_setting_t *root;
	config_t cfg;
	bool ok = false;
	g_autofree char *text = read_policy_file(path, error);

	if (text == NULL || !refuse_include(path, text, error))
		return false;
	config_init(&cfg);
	/* Policy must be explicit: no int->float or other conversions. */
	config_set_auto_convert(&cfg, 0);
	if (!config_read_string(&cfg, text)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "%s: cannot read file", path);
		else
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: syntax error: %s", path,
				    config_error_line(&cfg),
				    config_error_text(&cfg));
		goto out;
	}

	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, i);
		const char *key = config_setting_name(s);

		if (strcmp(key, "defaults") == 0) {
			if (!parse_defaults(p, &src, s, error))
				goto out;
		} else if (strcmp(key, "endpoints") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_LIST &&
			    !(config_setting_type(s) == CONFIG_TYPE_ARRAY &&
			      config_setting_length(s) == 0)) {
				fail_at(error, &src, s,
					"key 'endpoints' must be a list ( "
					"{...}, "
					"{...} ), not %s",
					type_name(config_setting_type(s)));
				goto out;
			}
			for (int k = 0; k < config_setting_length(s); k++) {
				policy_endpoint *e = NULL;
				policy_endpoint *old;
				unsigned at = 0;

				if (!parse_endpoint(
					    &src, config_setting_get_elem(s, k),
					    &e, error))
					goto out;
				policy_endpoint *x =
					g_hash_table_lookup(mine, e->name);
				if (x != NULL) {
					g_set_error(error, TV_ERROR,
						    TV_ERROR_CONFIG,
						    "%s:%d: duplicate endpoint "
						    "name '%s' (first at line "
						    "%d)",
						    path, e->line, e->name,
						    x->line);
					policy_endpoint_free(e);
					goto out;
				}
				old = find_endpoint(p, e->name, &at);
				if (old != NULL && old->is_protected) {
					g_set_error(
						error, TV_ERROR,
						TV_ERROR_CONFIG,
						"%s:%d: endpoint '%s' is "
						"protected (defined at %s:%d) "
						"and cannot be replaced",
						path, e->line, e->name,
						old->file, old->line);
					policy_endpoint_free(e);
					goto out;
				}
				g_hash_table_insert(mine, e->name, e);
				if (old != NULL) {
					/* A later file replaces the whole
					 * endpoint of the same name. */
					g_hash_table_remove(p->by_name,
							    old->name);
					policy_endpoint_free(old);
					p->endpoints->pdata[at] = e;
				} else {
					at = p->endpoints->len;
					g_ptr_array_add(p->endpoints, e);
				}
				g_hash_table_insert(p->by_name, e->name,
						    GUINT_TO_POINTER(at));
			}
		} else {
			fail_at(error, &src, s,
				"unknown top-level key '%s' (expected "
				"'defaults' or 'endpoints')",
				key);
			goto out;
		}
	}
	g_ptr_array_add(p->files, g_strdup(path));
	ok = true;
out:
	config_destroy(&cfg);
	return ok;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool policy_endpoint_verifies_hostname(const policy *p,
				       const policy_endpoint *e)
{
	if (e->is_protected)
		return true;
	return e->verify_hostname < 0 ? p->verify_hostname
				      : e->verify_hostname != 0;
}

static bool weakens(const policy *p, const policy_endpoint *e)
{
	return e->insecure || !policy_endpoint_verifies_hostname(p, e) ||
	       e->match_names != NULL;
}

/* True when some protected endpoint matches every host @bp matches. */
static bool covered_by_protected(const GPtrArray *protected_eps,
				 const host_pattern *bp)
{
	for (unsigned j = 0; j < protected_eps->len; j++) {
		policy_endpoint *prot = protected_eps->pdata[j];

		for (unsigned k = 0; k < prot->hosts->len; k++)
			if (host_pattern_contains(prot->hosts->pdata[k], bp))
				return true;
	}
	return false;
}

static bool insecure_pattern_allowed(const GPtrArray *protected_eps,
				     const policy_endpoint *e,
				     const host_pattern *hp,
				     const GPtrArray *builtin, GError **error)
{
	for (unsigned j = 0; j < protected_eps->len; j++) {
		policy_endpoint *prot = protected_eps->pdata[j];

		for (unsigned k = 0; k < prot->hosts->len; k++) {
			host_pattern *pp = prot->hosts->pdata[k];

			if (!host_pattern_overlaps(hp, pp))
				continue;
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "%s:%d: endpoint '%s' host '%s' reaches "
				    "'%s' of protected endpoint '%s' (%s:%d): "
				    "insecure_skip_verify is not allowed there",
				    e->file, e->insecure_line, e->name,
				    hp->text, pp->text, prot->name, prot->file,
				    prot->line);
			return false;
		}
	}
	for (unsigned b = 0; b < builtin->len; b++) {
		host_pattern *bp = builtin->pdata[b];

		if (!host_pattern_overlaps(hp, bp))
			continue;
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s:%d: endpoint '%s' host '%s' covers the "
			    "official AI endpoint '%s': insecure_skip_verify "
			    "is not allowed there",
			    e->file, e->insecure_line, e->name, hp->text,
			    bp->text);
		return false;
	}
	return true;
}

bool policy_check_protected(const policy *p,
			    bool (*has_anchor)(const policy_endpoint *, void *),
			    void *data, GError **error)
{
	g_autoptr(GPtrArray) builtin = protected_builtin_patterns();
	g_autoptr(GPtrArray) prots = g_ptr_array_new();

	/* Few endpoints are protected: collect them once, so the checks
	 * below cost endpoints x protected patterns, not endpoints^2. */
	for (unsigned i = 0; i < p->endpoints->len; i++) {
		policy_endpoint *e = p->endpoints->pdata[i];
		if (e->is_protected)
			g_ptr_array_add(prots, e);
	}

	for (unsigned i = 0; i < p->endpoints->len; i++) {
		policy_endpoint *e = p->endpoints->pdata[i];

		if (e->is_protected)
			continue;
		for (unsigned h = 0; h < e->hosts->len; h++) {
			host_pattern *hp = e->hosts->pdata[h];

			/* Insecure exceptions are for custom hosts only: a
			 * pattern reaching any protected or official host is
			 * refused even where precedence would protect it. */
			if (e->insecure &&
			    !insecure_pattern_allowed(prots, e, hp, builtin,
						      error))
				return false;

			/* A protected endpoint's hosts are its alone. */
			for (unsigned j = 0; j < prots->len; j++) {
				policy_endpoint *prot = prots->pdata[j];

				for (unsigned k = 0; k < prot->hosts->len;
				     k++) {
					host_pattern *pp =
						prot->hosts->pdata[k];
					if (!host_pattern_shadows(hp, pp))
						continue;
					g_set_error(
						error, TV_ERROR,
						TV_ERROR_CONFIG,
						"%s:%d: host '%s' of endpoint "
						"'%s' shadows '%s' of "
						"protected "
						"endpoint '%s' (%s:%d)",
						e->file, hp->line, hp->text,
						e->name, pp->text, prot->name,
						prot->file, prot->line);
					return false;
				}
			}

			/* The built-in floor: official AI hosts that no
			 * protected endpoint covers still cannot be weakened.
			 */
			if (!weakens(p, e) &&
			    (has_anchor == NULL || has_anchor(e, data)))
				continue;
			for (unsigned b = 0; b < builtin->len; b++) {
				host_pattern *bp = builtin->pdata[b];
				const char *what;

				if (!host_pattern_overlaps(hp, bp) ||
				    covered_by_protected(prots, bp))
					continue;
				what = e->insecure	? "insecure_skip_verify"
				       : e->match_names ? "match_names"
				       : !policy_endpoint_verifies_hostname(p,
									    e)
					       ? "verify_hostname = false"
					       : "a chain without a "
						 "trust-anchor "
						 "step";
				g_set_error(
					error, TV_ERROR, TV_ERROR_CONFIG,
					"%s:%d: endpoint '%s' host '%s' covers "
					"the official AI endpoint '%s': %s is "
					"not allowed there",
					e->file,
					e->insecure ? e->insecure_line
						    : hp->line,
					e->name, hp->text, bp->text, what);
				return false;
			}
		}
	}
	return true;
}

policy *policy_load(const char *conf_dir, GError **error)
{
	g_autoptr(policy) p = g_new0(policy, 1);
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *entry;

	p->verify_hostname = true;
	p->max_chain_length = POLICY_MAX_CHAIN_LENGTH_DEFAULT;
	p->cache_ttl = 300;
	p->endpoints = g_ptr_array_new_with_free_func(
		(GDestroyNotify)policy_endpoint_free);
	p->files = g_ptr_array_new_with_free_func(g_free);
	p->by_name = g_hash_table_new(g_str_hash, g_str_equal);

	{
		g_autoptr(GError) local = NULL;

		dir = g_dir_open(conf_dir, 0, &local);
		if (dir == NULL) {
			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "policy directory %s: %s", conf_dir,
				    local->message);
			return NULL;
		}
	}
	while ((entry = g_dir_read_name(dir)) != NULL) {
		/* Hidden files are editor and package-manager leftovers. */
		if (entry[0] == '.' || !g_str_has_suffix(entry, ".conf"))
			continue;
		/* Anything else named *.conf (a dangling or looping link, a
		 * FIFO, a directory) is an error when read: skipping it
		 * would quietly drop policy someone meant to apply. */
		g_ptr_array_add(names, g_strdup(entry));
	}
	g_ptr_array_sort(names, compare_names);

	for (unsigned i = 0; i < names->len; i++)
		if (!load_file(p, conf_dir, names->pdata[i], error))
			return NULL;

	return g_steal_pointer(&p);
}

void policy_free(policy *p)
{
	if (p == NULL)
		return;
	g_free(p->plugin_dir);
	if (p->endpoints)
		g_ptr_array_unref(p->endpoints);
	if (p->files)
		g_ptr_array_unref(p->files);
	if (p->by_name)
		g_hash_table_unref(p->by_name);
	g_free(p);
}
