// SPDX-License-Identifier: GPL-2.0-or-later
#include "shard.h"
#include "reportdoc.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int shard_parse(const char *s, struct mc_shard *out)
{
	int k, n, used = 0;

	if (sscanf(s, "%d/%d%n", &k, &n, &used) != 2 || s[used] || n < 1 || n > 1000 || k < 1 ||
	    k > n)
		return -1;
	out->index = k;
	out->count = n;
	return 0;
}

struct item {
	size_t i;
	double d;
};

static int longest_first(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->d != y->d)
		return x->d > y->d ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* FNV-1a: the plan's fingerprint, equal in every shard of one plan. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

json_t *shard_plan(const char *const *names, size_t n, const struct mc_shard *s, bool *keep,
		   char **err)
{
	int *owner = calloc(n + 1, sizeof(*owner));
	double *load = calloc(s->count, sizeof(*load)), mine = 0;
	struct item *items = calloc(n + 1, sizeof(*items));
	json_t *known = NULL, *rep = NULL, *c, *info;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i, kept = 0;
	char plan[24];

	if (!owner || !load || !items)
		abort();
	if (s->durations) {
		double *d, fill = 1;
		size_t nk = 0;

		rep = rd_load(s->durations, NULL, err);
		if (!rep)
			goto fail;
		known = json_object();
		json_array_foreach(json_object_get(rep, "cases"), i, c)
		{
			double t;

			if (rd_str(c, "name") && rd_number(c, "duration_s", &t) && t >= 0)
				json_object_set_new(known, rd_str(c, "name"), json_real(t));
		}
		d = calloc(json_object_size(known) + 1, sizeof(*d));
		if (!d)
			abort();
		{
			const char *k;
			json_t *v;

			json_object_foreach(known, k, v) d[nk++] = json_real_value(v);
		}
		qsort(d, nk, sizeof(*d), dcmp);
		if (nk)
			fill = nk % 2 ? d[nk / 2] : (d[nk / 2 - 1] + d[nk / 2]) / 2;
		free(d);
		for (i = 0; i < n; i++) {
			json_t *v = json_object_get(known, names[i]);

			items[i] = (struct item){.i = i, .d = v ? json_real_value(v) : fill};
		}
		qsort(items, n, sizeof(*items), longest_first);
		for (i = 0; i < n; i++) {
			int k, best = 0;

			for (k = 1; k < s->count; k++)
				if (load[k] < load[best])
					best = k;
			owner[items[i].i] = best;
			load[best] += items[i].d;
		}
		mine = load[s->index - 1];
	} else {
		for (i = 0; i < n; i++)
			owner[i] = (int)(i % s->count);
	}
	for (i = 0; i < n; i++) {
		keep[i] = owner[i] == s->index - 1;
		kept += keep[i];
		h = fnv(h, names[i], strlen(names[i]) + 1);
		h = fnv(h, &owner[i], sizeof(owner[i]));
	}
	h = fnv(h, &s->count, sizeof(s->count));
	snprintf(plan, sizeof(plan), "%016" PRIx64, h);
	info = json_pack("{s:i, s:i, s:s, s:s*, s:I, s:I, s:s}", "index", s->index, "count",
			 s->count, "balance", s->durations ? "durations" : "count",
			 "durations_from", s->durations, "cases_total", (json_int_t)n, "cases",
			 (json_int_t)kept, "plan", plan);
	if (s->durations)
		json_object_set_new(info, "estimated_s", json_real(mine));
	json_decref(known);
	json_decref(rep);
	free(owner);
	free(load);
	free(items);
	return info;
fail:
	free(owner);
	free(load);
	free(items);
	return NULL;
}
