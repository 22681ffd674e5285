/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ranges.h: sets of address ranges, for saying where a check flagged
 * something and where a fault was injected.
 *
 * Ranges are kept sorted and merged, so "every flagged page lies where the
 * fault was injected" is one call.  The address space (guest physical,
 * IOVA) is the caller's to keep straight.
 */
#ifndef MIGCHECK_RANGES_H
#define MIGCHECK_RANGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mc_range {
	uint64_t start, len;
};

struct mc_ranges {
	struct mc_range *v;
	size_t n, cap;
};

void ranges_init(struct mc_ranges *r);
void ranges_free(struct mc_ranges *r);
/* Adds [start, start + len), merging with neighbours. */
void ranges_add(struct mc_ranges *r, uint64_t start, uint64_t len);
void ranges_add_all(struct mc_ranges *r, const struct mc_ranges *from);
/* Bytes covered. */
uint64_t ranges_bytes(const struct mc_ranges *r);
bool ranges_empty(const struct mc_ranges *r);
/* True if [start, start + len) lies wholly inside the set. */
bool ranges_cover(const struct mc_ranges *r, uint64_t start, uint64_t len);
/* True if every range of `inner` lies inside `outer`. */
bool ranges_within(const struct mc_ranges *inner, const struct mc_ranges *outer);
/* No byte of a lies in b. */
bool ranges_disjoint(const struct mc_ranges *a, const struct mc_ranges *b);
/* The first range of `inner` not inside `outer`, or NULL. */
const struct mc_range *ranges_first_outside(const struct mc_ranges *inner,
					    const struct mc_ranges *outer);
/* [[start, len], ...] for at most `max` ranges (0: all). */
json_t *ranges_json(const struct mc_ranges *r, size_t max);

#endif
