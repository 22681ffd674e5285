/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pair.h: a source and a destination QEMU running the Linux guest tier,
 * the unit most cases are built from.  The helpers record what they did in
 * the case (phases, oracles, failures with reasons) so tests stay short.
 */
#ifndef MIGCHECK_PAIR_H
#define MIGCHECK_PAIR_H

#include "guest.h"
#include "migrate.h"
#include "ramcmp.h"
#include "runner.h"
#include "vm.h"

struct pair_opts {
	uint64_t mem_bytes;		/* default 256 MiB */
	const char *append;		/* added to the guest kernel command line */
	const char *const *extra_args;	/* added to both command lines */
	const char *const *env;		/* added to both environments */
};

struct pair {
	struct vm *src, *dst;
	struct guest_files guest;
	struct ram_layout layout;
	struct vm_spec spec;
	char *append;
};

/* Starts both sides and waits for the source agent; on failure the case is failed. */
int pair_start(struct mc_case *c, const struct pair_opts *o, struct pair *p);
/* RAM equality with both sides stopped; records the "ram" oracle. Returns its verdict. */
bool pair_ram_oracle(struct mc_case *c, struct pair *p, struct ram_cmp *out);
/* Continues the destination, checks its agent answers, records metrics. */
int pair_resume(struct mc_case *c, struct pair *p, struct mig_result *r);
/* Agent command on a side; on error fails the case with the agent's reason. */
json_t *pair_agent(struct mc_case *c, struct vm *vm, const char *cmd, int timeout_ms);
/* Records a migration result's metrics and fails the case unless it completed. */
bool pair_record_migration(struct mc_case *c, struct pair *p, const struct mig_result *r);
void pair_stop(struct pair *p);

#endif
