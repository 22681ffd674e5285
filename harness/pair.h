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
	const char *const *env_side[2]; /* per side (VM_SRC, VM_DST), instead of env */
	/* added after extra_args on one side only (host devices differ per side), or NULL */
	const char *const *extra_args_side[2];
	/*
	 * QEMU refusing the configuration at start (it exits with an error,
	 * e.g. a VFIO realize error) skips the case with QEMU's words instead
	 * of failing it: for matrix cells the system under test cannot run.
	 */
	bool refusal_skips;
	/* each side's QEMU binary (VM_SRC, VM_DST), or NULL for the one under test */
	const char *qemu_side[2];
	const char *machine; /* machine type both sides run, or NULL for "q35" */
	/*
	 * No OS and no agent: both QEMUs stay stopped (-S in extra_args) and
	 * the caller plays the guest over qtest (guests/bare).
	 */
	bool bare;
};

struct pair {
	struct vm *src, *dst;
	struct guest_files guest;
	struct ram_layout layout;
	struct vm_spec spec;
	char *append;
	double t_launch;
	int generation;	     /* destinations started after the first */
	char **side_args[2]; /* each side's arguments when they differ, or NULL */
	const char *qemu[2]; /* each side's QEMU binary (swapped with the sides) */
};

/* Starts both QEMUs; then waits for the source agent (a bare pair is ready at launch). */
int pair_launch(struct mc_case *c, const struct pair_opts *o, struct pair *p);
int pair_wait_ready(struct mc_case *c, struct pair *p);
/*
 * Runs the migration, by the harness or (--via libvirt) by libvirt: mig_run()
 * semantics, hooks and typed outcome alike.
 */
int pair_migrate(struct mc_case *c, struct pair *p, const struct mig_plan *plan,
		 struct mig_result *r, char **err);
/* Whether a side's guest is stopped; *state (malloc'd) names its run state. */
bool pair_side_stopped(struct mc_case *c, struct pair *p, enum vm_role side, char **state);
/* A side's migration blockers (query-migrate blocked-reasons), or NULL if none. */
json_t *pair_blockers(struct vm *vm);
/*
 * A side's guest RAM at [gpa, gpa + len) through the layout (the backend
 * file both sides map), or NULL when that is not one run of RAM.
 */
uint8_t *pair_ram_at(const struct pair *p, enum vm_role side, uint64_t gpa, uint64_t len);
/* RAM equality with both sides stopped; records the "ram" oracle. Returns its verdict. */
bool pair_ram_oracle(struct mc_case *c, struct pair *p, struct ram_cmp *out);
/* Continues the destination, checks its agent answers, records metrics. */
int pair_resume(struct mc_case *c, struct pair *p, struct mig_result *r);
/* Agent command on a side; on error fails the case with the agent's reason. */
json_t *pair_agent(struct mc_case *c, struct vm *vm, const char *cmd, int timeout_ms);
/* Records a migration result's metrics and fails the case unless it completed. */
bool pair_record_migration(struct mc_case *c, struct pair *p, const struct mig_result *r);
void pair_stop(struct pair *p);
/*
 * A fresh destination (named dst2, dst3...) in place of the current one,
 * which is stopped first; `env` is its environment (the mock's new instance).
 */
int pair_new_destination(struct mc_case *c, struct pair *p, const char *const *env);
/* The destination becomes the source (the old source is stopped), then a new destination. */
int pair_swap(struct mc_case *c, struct pair *p, const char *const *env);

/*
 * Workload on the source: heartbeats every 10 ms and the agent's tagged
 * buffer of `mib` MiB, rewritten continuously when `dirtying`, else static.
 */
int pair_start_workload(struct mc_case *c, struct pair *p, int mib, bool dirtying);
/* Records migration and heartbeat metrics after the destination resumed. */
void pair_record_metrics(struct mc_case *c, struct pair *p, const struct mig_result *r);

#endif
