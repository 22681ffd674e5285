/* SPDX-License-Identifier: GPL-2.0-or-later */
/* migcase_int.h: the running case, shared by the runner, its hooks and oracles only. */
#ifndef MIGCHECK_MIGCASE_INT_H
#define MIGCHECK_MIGCASE_INT_H

#include "migcase.h"

/* Signatures one failure may show (a suite's oracles may each name one). */
#define MCASE_MAX_PATTERNS 4

struct mcase {
	struct mc_case *c;
	const struct mcase_spec *s;
	struct pair p;
	struct mock_rig rig;
	bool have_rig;
	char **host_args[2]; /* per side, for host devices */
	char **args;
	char *append;
	char *machine;	     /* the machine type both sides run */
	struct mig_run *mig; /* during the migration */
	struct mig_result r;
	bool ran[MCASE_MAX_HOOKS];
	/* for the known-defects table */
	bool crashed;
	char *stderr_tail;
	const char *patterns[MCASE_MAX_PATTERNS + 1]; /* NULL-ended */
	char *observed;
	struct mc_ranges ram_flagged; /* pages the RAM oracle found differing */
	struct mc_ranges extra_dma;   /* DMA the suite armed beyond the spec's plan */
	char *phase_name;
	void *scratch;
	bool ended; /* it stopped before migrating (skip, failure, blocker) */
	const struct mcase_expect *expect; /* this migration's */
	char *round;			   /* names this round's oracles and metrics */
};

extern const struct mcase_oracle mcase_oracle_ram, mcase_oracle_ring, mcase_oracle_verify;

/* "what" or "<label>.what" (malloc'd). */
char *mcase_name(struct mcase *k, const char *what);
/* The same for phase names; valid until the next call. */
const char *mcase_label_phase(struct mcase *k, const char *what);
/* False (and the case failed with the root cause, once) when a QEMU died. */
bool mcase_alive(struct mcase *k);
/* A step failed: the case fails with why, or with QEMU's death when it died. */
void mcase_step_failed(struct mcase *k, const char *what, const char *err);

/* migcase_hooks.c, for the runner */
/* Runs the hooks planned at `at` (and `sync`); -1 if one stopped the case. */
int mcase_run_hooks(struct mcase *k, enum mcase_at at, int sync);
/* False (the case a harness error) when a hook planned before `upto` never ran. */
bool mcase_hooks_ran(struct mcase *k, enum mcase_at upto);
/* The oracles that run at `at`, each verdict recorded. */
void mcase_run_oracles(struct mcase *k, enum mcase_at at);
/* False (the case a harness error) when a detect entry names an oracle not run. */
bool mcase_detect_valid(struct mcase *k);
/* Notes RAM_LOSS_DMA when every page RAM found differing is one DMA wrote. */
void mcase_observe_dma_loss(struct mcase *k);

#endif
