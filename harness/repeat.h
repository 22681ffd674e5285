/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repeat.h: one case record from the records of its repetitions
 * (migcheck run --repeat N).  The case's result is the worst a repetition
 * had (error, fail, xfail, xpass, pass, skip, in that order); its members
 * are those of the first repetition with that result, its duration the sum,
 * and `repetitions` keeps every repetition's own result, reason, phases,
 * metrics and oracles.  `flaky` says whether the repetitions disagreed.
 */
#ifndef MIGCHECK_REPEAT_H
#define MIGCHECK_REPEAT_H

#include <jansson.h>

/* recs[0..n) are borrowed; returns a new record (recs[0] itself, referenced, when n == 1). */
json_t *repeat_fold(json_t *const *recs, int n);

#endif
