// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry.c: the tests the suites register, and which of them a run takes.
 *
 * Suites register fixtures and tests from constructors; a selection (names,
 * globs, axis filters) picks from them, and the run plan puts the picked
 * ones in fixture order and keeps one shard of them when asked.  Running
 * the cases is runner.c's job.
 */
#include "runner_int.h"
#include "shard.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mc_test **registry;
static size_t nregistry, registry_cap;
static const struct mc_fixture **fixtures;
static size_t nfixtures;

void mc_register_fixture(const struct mc_fixture *f)
{
	fixtures = realloc(fixtures, (nfixtures + 1) * sizeof(*fixtures));
	if (!fixtures)
		abort();
	fixtures[nfixtures++] = f;
}

const struct mc_fixture *mc_fixture_find(const char *name)
{
	size_t i;

	for (i = 0; i < nfixtures; i++)
		if (!strcmp(fixtures[i]->name, name))
			return fixtures[i];
	return NULL;
}

void mc_register_tests(const struct mc_test *tests, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (nregistry == registry_cap) {
			registry_cap = registry_cap ? registry_cap * 2 : 64;
			registry = realloc(registry, registry_cap * sizeof(*registry));
			if (!registry)
				abort();
		}
		registry[nregistry++] = &tests[i];
	}
}

size_t mc_test_count(void)
{
	return nregistry;
}

const struct mc_test *mc_test_at(size_t i)
{
	return i < nregistry ? registry[i] : NULL;
}

const char *mc_test_name(const struct mc_test *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s.%s", t->fixture, t->variant, t->test);
	return buf;
}

static bool pattern_selects(const char *pat, const struct mc_test *t)
{
	char name[256];

	if (!strcmp(pat, t->fixture))
		return true;
	return !fnmatch(pat, mc_test_name(t, name, sizeof(name)), 0);
}

/* "tracker=device-*" against the test's "tracker=device-log". */
static bool axis_matches(const struct mc_test *t, const char *filter)
{
	const char *eq = strchr(filter, '=');
	size_t klen = eq ? (size_t)(eq - filter) : strlen(filter);
	int i;

	for (i = 0; eq && t->axes && t->axes[i]; i++)
		if (!strncmp(t->axes[i], filter, klen) && t->axes[i][klen] == '=')
			return !fnmatch(eq + 1, t->axes[i] + klen + 1, 0);
	return false;
}

bool mc_test_selected(const struct mc_test *t, const struct mc_selection *sel)
{
	bool any = !sel->patterns || !sel->patterns[0];
	int i;

	for (i = 0; !any && sel->patterns[i]; i++)
		any = pattern_selects(sel->patterns[i], t);
	if (!any)
		return false;
	if (sel->fixture && fnmatch(sel->fixture, t->fixture, 0))
		return false;
	if (sel->variant && fnmatch(sel->variant, t->variant, 0))
		return false;
	if (sel->test && fnmatch(sel->test, t->test, 0))
		return false;
	for (i = 0; sel->axis_filters && sel->axis_filters[i]; i++)
		if (!axis_matches(t, sel->axis_filters[i]))
			return false;
	return true;
}

const char *mc_selection_unmatched(const struct mc_selection *sel)
{
	size_t i;
	int p;

	for (p = 0; sel->patterns && sel->patterns[p]; p++) {
		bool hit = false;

		for (i = 0; i < nregistry && !hit; i++)
			hit = pattern_selects(sel->patterns[p], registry[i]);
		if (!hit)
			return sel->patterns[p];
	}
	return NULL;
}

/* Fixtures run in their order (unknown ones last); within one, registration order is kept. */
static int fixture_rank(const struct mc_test *t)
{
	const struct mc_fixture *f = mc_fixture_find(t->fixture);

	return f ? f->order : 1000;
}

static void sort_by_fixture(const struct mc_test **list, size_t n)
{
	size_t i, j;

	/* Insertion sort: stable, and n is a few thousand at most. */
	for (i = 1; i < n; i++) {
		const struct mc_test *t = list[i];
		int r = fixture_rank(t);

		for (j = i; j > 0 && fixture_rank(list[j - 1]) > r; j--)
			list[j] = list[j - 1];
		list[j] = t;
	}
}

/*
 * Cases of the selection in run order (suite order, then registration) and,
 * with a shard, only that shard's; order[] gets each one's position in the
 * whole selection.
 */
size_t mc_plan_cases(const struct mc_config *cfg, const struct mc_selection *sel,
		     const struct mc_test **list, size_t *order, json_t **shard_info, char **err)
{
	size_t n = 0, i, kept = 0;
	const char **names;
	bool *keep;

	for (i = 0; i < nregistry; i++)
		if (mc_test_selected(registry[i], sel))
			list[n++] = registry[i];
	sort_by_fixture(list, n);
	for (i = 0; i < n; i++)
		order[i] = i;
	if (!cfg->shard)
		return n;
	names = calloc(n + 1, sizeof(*names));
	keep = calloc(n + 1, sizeof(*keep));
	if (!names || !keep)
		abort();
	for (i = 0; i < n; i++) {
		char buf[256];

		names[i] = strdup(mc_test_name(list[i], buf, sizeof(buf)));
	}
	*shard_info = shard_plan(names, n, cfg->shard, keep, err);
	for (i = 0; i < n; i++) {
		if (*shard_info && keep[i]) {
			list[kept] = list[i];
			order[kept++] = i;
		}
		free((char *)names[i]);
	}
	free(names);
	free(keep);
	return *shard_info ? kept : (size_t)-1;
}
