/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ab.h: migcheck ab: one selection on two QEMU builds, case by case, each in
 * its own report (run ids ID-a and ID-b), then the comparison of B against
 * A on stdout.  Exit status: 1 when B regressed against A (the rules of
 * compare.h), 130 when interrupted, 2 when it could not run, else 0.
 */
#ifndef MIGCHECK_AB_H
#define MIGCHECK_AB_H

#include "compare.h"
#include "runner.h"

int mc_ab(const struct mc_config *cfg, const char *qemu_a, const char *qemu_b,
	  const struct mc_selection *sel, json_t *invocation, enum cmp_format format);

#endif
