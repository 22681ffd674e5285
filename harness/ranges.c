// SPDX-License-Identifier: GPL-2.0-or-later
#include "ranges.h"

#include <stdlib.h>
#include <string.h>

void ranges_init(struct mc_ranges *r)
{
	memset(r, 0, sizeof(*r));
}

void ranges_free(struct mc_ranges *r)
{
	free(r->v);
	ranges_init(r);
}

/* Index of the first range that ends at or after `addr`. */
static size_t lower(const struct mc_ranges *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->v[mid].start + r->v[mid].len < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void ranges_add(struct mc_ranges *r, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	size_t i, j;

	if (!len)
		return;
	if (end < start)
		end = UINT64_MAX; /* clamp a range that would wrap */
	i = lower(r, start);
	/* Merge every range that touches [start, end). */
	for (j = i; j < r->n && r->v[j].start <= end; j++) {
		if (r->v[j].start < start)
			start = r->v[j].start;
		if (r->v[j].start + r->v[j].len > end)
			end = r->v[j].start + r->v[j].len;
	}
	if (j == i) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			r->v = realloc(r->v, r->cap * sizeof(*r->v));
			if (!r->v)
				abort();
		}
		memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(*r->v));
		r->n++;
	} else if (j > i + 1) {
		memmove(&r->v[i + 1], &r->v[j], (r->n - j) * sizeof(*r->v));
		r->n -= j - i - 1;
	}
	r->v[i].start = start;
	r->v[i].len = end - start;
}

void ranges_add_all(struct mc_ranges *r, const struct mc_ranges *from)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		ranges_add(r, from->v[i].start, from->v[i].len);
}

uint64_t ranges_bytes(const struct mc_ranges *r)
{
	uint64_t b = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		b += r->v[i].len;
	return b;
}

bool ranges_empty(const struct mc_ranges *r)
{
	return r->n == 0;
}

bool ranges_cover(const struct mc_ranges *r, uint64_t start, uint64_t len)
{
	size_t i = lower(r, start);

	/* Merged ranges: one range must hold all of it. */
	for (; i < r->n && r->v[i].start <= start; i++)
		if (r->v[i].start + r->v[i].len >= start + len)
			return true;
	return false;
}

const struct mc_range *ranges_first_outside(const struct mc_ranges *inner,
					    const struct mc_ranges *outer)
{
	size_t i;

	for (i = 0; i < inner->n; i++)
		if (!ranges_cover(outer, inner->v[i].start, inner->v[i].len))
			return &inner->v[i];
	return NULL;
}

bool ranges_within(const struct mc_ranges *inner, const struct mc_ranges *outer)
{
	return !ranges_first_outside(inner, outer);
}

bool ranges_disjoint(const struct mc_ranges *a, const struct mc_ranges *b)
{
	size_t i, j;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (a->v[i].start < b->v[j].start + b->v[j].len &&
			    b->v[j].start < a->v[i].start + a->v[i].len)
				return false;
	return true;
}

json_t *ranges_json(const struct mc_ranges *r, size_t max)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->n && (!max || i < max); i++)
		json_array_append_new(
		    a, json_pack("[I,I]", (json_int_t)r->v[i].start, (json_int_t)r->v[i].len));
	return a;
}
