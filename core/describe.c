/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collects what a plugin instance says about itself (ABI 1.2 describe). */
#include "describe.h"

struct tv_describe {
	GPtrArray *items; /* describe_item* */
};

static void item_free(describe_item *it)
{
	g_free(it->key);
	g_free(it->text);
	g_free(it);
}

/* Keys become metric label values and JSON members: keep them plain. */
static bool key_is_valid(const char *key)
{
	if (key == NULL || *key == '\0')
		return false;
	for (const char *c = key; *c; c++)
		if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_'))
			return false;
	return true;
}

void tv_describe_int(tv_describe *out, const char *key, int64_t value)
{
	describe_item *it;

	g_return_if_fail(out != NULL && key_is_valid(key));
	it = g_new0(describe_item, 1);
	it->key = g_strdup(key);
	it->is_int = true;
	it->number = value;
	g_ptr_array_add(out->items, it);
}

void tv_describe_string(tv_describe *out, const char *key, const char *value)
{
	describe_item *it;

	g_return_if_fail(out != NULL && key_is_valid(key) && value != NULL);
	it = g_new0(describe_item, 1);
	it->key = g_strdup(key);
	it->text = g_strdup(value);
	g_ptr_array_add(out->items, it);
}

GPtrArray *describe_step(const snap_step *step)
{
	tv_describe d = {
		g_ptr_array_new_with_free_func((GDestroyNotify)item_free)};
	void (*fn)(void *, tv_describe *);

	if (step->plugin == NULL || !step->opened)
		return d.items;
	fn = loader_describe_fn(step->plugin);
	if (fn != NULL)
		fn(step->state, &d);
	return d.items;
}
