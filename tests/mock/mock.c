/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test-only plugins: a set verdict, and broken variants the loader refuses. */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-mock"

#include <signal.h>
#include <string.h>

#include <tlsverify/plugin.h>

/*
 * One source, several shared objects (tests/mock/local.mk):
 *   mock                      verdict/reasons/message from the settings
 *   mock-anchor (MOCK_ANCHOR) the same with TV_PLUGIN_CAP_TRUST_ANCHOR
 *   mock-badabi               abi_major 99
 *   mock-nosym                no tv_plugin_get_ops symbol
 *   mock-nullverify           verify member NULL
 *   mock-failopen             open fails with "mock open failure"
 *   mock-liaropen             open fails without setting the error
 *   mock-wrongname            ops->name differs from the file name
 *   mock-badverdict           verify returns 42, not a tv_step_verdict
 *   mock-crashopen            open raises SIGSEGV (a plugin that crashes)
 *   mock-keep (MOCK_KEEP)     mock-anchor that may be kept across reloads:
 *                             optional `file` setting; describe reports
 *                             which instance (1, 2, ...) serves
 */
#if defined(MOCK_KEEP)
#define MOCK_NAME "mock-keep"
#define MOCK_CAPS (TV_PLUGIN_CAP_TRUST_ANCHOR | TV_PLUGIN_CAP_KEEP_ON_RELOAD)
#elif defined(MOCK_ANCHOR)
#define MOCK_NAME "mock-anchor"
#define MOCK_CAPS TV_PLUGIN_CAP_TRUST_ANCHOR
#elif defined(MOCK_VARIANT_BADABI)
#define MOCK_NAME "mock-badabi"
#elif defined(MOCK_VARIANT_NOSYM)
#define MOCK_NAME "mock-nosym"
#elif defined(MOCK_VARIANT_NULLVERIFY)
#define MOCK_NAME "mock-nullverify"
#elif defined(MOCK_VARIANT_FAILOPEN)
#define MOCK_NAME "mock-failopen"
#elif defined(MOCK_VARIANT_LIAROPEN)
#define MOCK_NAME "mock-liaropen"
#elif defined(MOCK_VARIANT_WRONGNAME)
#define MOCK_NAME "somethingelse"
#elif defined(MOCK_VARIANT_BADVERDICT)
#define MOCK_NAME "mock-badverdict"
#elif defined(MOCK_VARIANT_CRASHOPEN)
#define MOCK_NAME "mock-crashopen"
#else
#define MOCK_NAME "mock"
#endif

#ifndef MOCK_CAPS
#define MOCK_CAPS 0
#endif

#if defined(MOCK_VARIANT_BADABI) || defined(MOCK_VARIANT_NOSYM) ||             \
	defined(MOCK_VARIANT_NULLVERIFY) || defined(MOCK_VARIANT_FAILOPEN) ||  \
	defined(MOCK_VARIANT_LIAROPEN) || defined(MOCK_VARIANT_WRONGNAME) ||   \
	defined(MOCK_VARIANT_BADVERDICT) || defined(MOCK_VARIANT_CRASHOPEN)
#define MOCK_BROKEN 1
#else
#define MOCK_BROKEN 0
#endif

#if defined(MOCK_VARIANT_FAILOPEN) || defined(MOCK_VARIANT_LIAROPEN) ||        \
	defined(MOCK_VARIANT_CRASHOPEN)
#define MOCK_OPEN_FAILS 1
#else
#define MOCK_OPEN_FAILS 0
#endif

#ifdef MOCK_VARIANT_BADABI
#define MOCK_ABI_MAJOR 99
#else
#define MOCK_ABI_MAJOR TV_PLUGIN_ABI_MAJOR
#endif

/* Only the plain mock insists on a verdict; broken variants default to
 * "pass" so a test can name them with no settings at all. */
#define MOCK_VERDICT_REQUIRED (!MOCK_BROKEN)

typedef struct {
	tv_step_verdict verdict;
	uint32_t reasons;
	char *message;
	int instance; /* mock-keep: which open() made it */
} mock_state;

static void mock_state_free(mock_state *st)
{
	if (st == NULL)
		return;
	g_free(st->message);
	g_free(st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(mock_state, mock_state_free)

#if !MOCK_OPEN_FAILS
static const struct {
	const char *name;
	tv_step_verdict verdict;
} mock_verdicts[] = {
	{"pass", TV_STEP_PASS},
	{"fail", TV_STEP_FAIL},
	{"ignore", TV_STEP_IGNORE},
	{"unavail", TV_STEP_UNAVAIL},
};

static bool mock_parse(mock_state *st, const tv_settings *settings,
		       GError **error)
{
	const char *verdict = NULL;
	const char *message = NULL;
	g_auto(GStrv) reasons = NULL;
	bool found = false;

	if (MOCK_VERDICT_REQUIRED && !tv_settings_has(settings, "verdict")) {
		tv_settings_set_error(settings, "verdict", error,
				      "missing: pass, fail, ignore or unavail");
		return false;
	}
	if (!tv_settings_get_string(settings, "verdict", &verdict, error) ||
	    !tv_settings_get_strv(settings, "reasons", &reasons, error) ||
	    !tv_settings_get_string(settings, "message", &message, error))
		return false;
#ifdef MOCK_KEEP
	{
		/* Read as a path so the engine watches it for reuse. */
		g_autofree char *file = NULL;
		static gint opened;

		if (!tv_settings_get_path(settings, "file", &file, error))
			return false;
		st->instance = g_atomic_int_add(&opened, 1) + 1;
	}
#endif

	st->verdict = TV_STEP_PASS;
	if (verdict != NULL) {
		for (size_t i = 0; i < G_N_ELEMENTS(mock_verdicts); i++) {
			if (strcmp(verdict, mock_verdicts[i].name) == 0) {
				st->verdict = mock_verdicts[i].verdict;
				found = true;
			}
		}
		if (!found) {
			tv_settings_set_error(settings, "verdict", error,
					      "unknown verdict '%s'", verdict);
			return false;
		}
	}
	for (char **r = reasons; r != NULL && *r != NULL; r++) {
		uint32_t bit = tv_reason_from_string(*r);

		if (bit == 0) {
			tv_settings_set_error(settings, "reasons", error,
					      "unknown reason '%s'", *r);
			return false;
		}
		st->reasons |= bit;
	}
	st->message = g_strdup(message);
	return true;
}
#endif

static bool mock_open(const tv_settings *settings, const tv_host *host,
		      void **state, GError **error)
{
#if defined(MOCK_VARIANT_CRASHOPEN)
	/* What a NULL dereference in a real plugin does, deterministically. */
	raise(SIGSEGV);
	return false;
#elif defined(MOCK_VARIANT_FAILOPEN)
	g_set_error_literal(error, TV_ERROR, TV_ERROR_PLUGIN,
			    "mock open failure");
	return false;
#elif defined(MOCK_VARIANT_LIAROPEN)
	return false; /* and no error: the engine must still fail closed */
#else
	g_autoptr(mock_state) st = g_new0(mock_state, 1);

	if (!mock_parse(st, settings, error))
		return false;
	*state = g_steal_pointer(&st);
	return true;
#endif
}

#ifndef MOCK_VARIANT_NULLVERIFY
static tv_step_verdict mock_verify(void *state, const tv_request *request,
				   const tv_chain *chain,
				   tv_step_result *result)
{
	const mock_state *st = state;

	if (st == NULL) {
		tv_step_result_set_message(result, "mock: not opened");
		return TV_STEP_FAIL;
	}
	if (st->reasons != 0)
		tv_step_result_add_reasons(result, st->reasons);
	if (st->message != NULL)
		tv_step_result_set_message(result, "%s", st->message);
#ifdef MOCK_VARIANT_BADVERDICT
	return (tv_step_verdict)42;
#else
	return st->verdict;
#endif
}
#endif

static void mock_close(void *state)
{
	mock_state_free(state);
}

#ifdef MOCK_KEEP
static void mock_describe(void *state, tv_describe *out)
{
	const mock_state *st = state;

	tv_describe_int(out, "instance", st->instance);
}
#endif

static const tv_plugin_ops mock_ops = {
	.abi_major = MOCK_ABI_MAJOR,
	.abi_minor = TV_PLUGIN_ABI_MINOR,
	.name = MOCK_NAME,
	.summary = "test-only plugin with a configured verdict",
	.caps = MOCK_CAPS,
	.open = mock_open,
#ifdef MOCK_VARIANT_NULLVERIFY
	.verify = NULL,
#else
	.verify = mock_verify,
#endif
	.close = mock_close,
#ifdef MOCK_KEEP
	.describe = mock_describe,
#endif
};

#ifdef MOCK_VARIANT_NOSYM
/* Deliberately not the entry point's name: dlsym() must fail. */
TV_API const tv_plugin_ops *tv_plugin_ops_get(void);

TV_API const tv_plugin_ops *tv_plugin_ops_get(void)
{
	return &mock_ops;
}
#else
TV_API const tv_plugin_ops *tv_plugin_get_ops(void);

TV_API const tv_plugin_ops *tv_plugin_get_ops(void)
{
	return &mock_ops;
}
#endif
