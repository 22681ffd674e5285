/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * summary.h: the run's matrix summary table, as TAP comments.
 *
 * Rows are the combinations of the axes whose role is "row", columns those
 * of the "column" axes (matrix.h); only combinations some case carries are
 * shown.  Each cell counts its cases as pass/fail/skip/xfail (XPASS counts
 * as pass, errors as fail).
 */
#ifndef MIGCHECK_SUMMARY_H
#define MIGCHECK_SUMMARY_H

#include "tap.h"

#include <jansson.h>

/* `cases`: the report's case records (each with "axes" and "result"). */
void summary_matrix(struct tap *tap, json_t *cases);

#endif
