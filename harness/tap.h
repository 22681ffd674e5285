/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h: kselftest-style TAP 13 output.
 *
 *   ok 1 fixture.variant.test
 *   not ok 2 fixture.variant.test      (preceded by "# reason" lines)
 *   ok 3 fixture.variant.test # SKIP reason
 *   ok 4 fixture.variant.test # XFAIL reason
 *   # Totals: pass:A fail:B xfail:C xpass:D skip:E error:F
 */
#ifndef MIGCHECK_TAP_H
#define MIGCHECK_TAP_H

#include <stdio.h>

enum mc_result { MC_PASS, MC_FAIL, MC_XFAIL, MC_XPASS, MC_SKIP, MC_ERROR, MC_NRESULTS };

/* "pass", "fail", ... as used in reports; mc_result_parse returns -1 if unknown. */
const char *mc_result_name(enum mc_result r);
int mc_result_parse(const char *s);

struct tap {
	FILE *out;
	int n;
	int counts[MC_NRESULTS];
};

void tap_begin(struct tap *t, FILE *out, int planned);
void tap_diag(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_result(struct tap *t, const char *name, enum mc_result r, const char *reason);
void tap_totals(struct tap *t);
/* kselftest exit codes: 0 all good, 1 a failure or error, 4 nothing ran (all skipped). */
int tap_exit_code(const struct tap *t);

#endif
