/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compare.h: two run reports side by side: verdict transitions (regressions,
 * improvements, other changes, new and vanished cases) and metric deltas
 * with a noise rule.  The rules are in reports/SCHEMA.md ("Comparing runs").
 */
#ifndef MIGCHECK_COMPARE_H
#define MIGCHECK_COMPARE_H

#include "tap.h"

#include <jansson.h>
#include <stdio.h>

enum cmp_format { CMP_TEXT, CMP_MARKDOWN, CMP_HTML };

struct cmp_options {
	enum cmp_format format;
	double threshold_pct; /* smallest relative metric change that counts */
	const char *base_label, *new_label;
};

enum cmp_kind { CMP_SAME, CMP_REGRESSION, CMP_IMPROVEMENT, CMP_CHANGE };

/*
 * What a verdict transition is.  cross_release: the two runs were judged by
 * different releases' expectation tables, so only a move into fail or error
 * is a regression.
 */
enum cmp_kind cmp_classify(enum mc_result base, enum mc_result new, int cross_release);

/* Writes the comparison; returns 1 when NEW regressed against BASE, else 0. */
int compare_reports(json_t *base, json_t *new, const struct cmp_options *o, FILE *out);

#endif
