/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shard.h: one shard of a selection (migcheck run --shard K/N).
 *
 * The split is deterministic: every shard computes the same partition from
 * the same selection and the same durations report, so N runners that each
 * run one shard run every case exactly once.  With a durations report (a
 * previous run's report.json, typically the last merged one) cases are
 * dealt longest first to the least loaded shard; cases it lacks count as
 * its median.  Without one, case i goes to shard i mod N.
 */
#ifndef MIGCHECK_SHARD_H
#define MIGCHECK_SHARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct mc_shard {
	int index, count;      /* 1-based K of N */
	const char *durations; /* report.json or run directory, or NULL */
};

/* Parses "K/N" (1 <= K <= N <= 1000); returns 0 or -1. */
int shard_parse(const char *s, struct mc_shard *out);

/*
 * Marks in keep[] the names[0..n) this shard runs.  Returns the report's
 * `shard` record (index, count, balance, durations_from, cases_total,
 * cases, estimated_s, plan), or NULL with *err when the durations report
 * cannot be read.
 */
json_t *shard_plan(const char *const *names, size_t n, const struct mc_shard *s, bool *keep,
		   char **err);

#endif
