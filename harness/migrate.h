/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate.h: drives one live migration between two started VMs.
 *
 * A mig_plan describes the migration declaratively (capabilities, limits,
 * hooks); mig_run() performs it over an abstract unix socket with events on,
 * calling the hooks at fixed points, and fills a mig_result with QEMU's final
 * statistics and the timestamps the downtime metrics are derived from.
 */
#ifndef MIGCHECK_MIGRATE_H
#define MIGCHECK_MIGRATE_H

#include "vm.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct mig_run;

/* The fixed points where a plan's hook runs. */
enum mig_point {
	MIG_AT_SETUP,	       /* the migration is active (first dirty sync done) */
	MIG_AT_SYNC,	       /* after each dirty sync (setup's too); n is the sync count */
	MIG_AT_PRE_SWITCHOVER, /* VM stopped, before switchover (needs pause_before_switchover) */
};

/* A hook returns 0 to go on, -1 (with *err) to cancel the migration. */
typedef int (*mig_hook_fn)(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err);

struct mig_plan {
	bool return_path;    /* when QEMU supports it */
	bool switchover_ack; /* when QEMU supports it (needs return_path) */
	bool pause_before_switchover;
	bool multifd;
	uint64_t max_bandwidth;	    /* bytes/s; 0 keeps QEMU's default */
	uint64_t downtime_limit_ms; /* 0 keeps QEMU's default */
	/*
	 * The bandwidth QEMU assumes at switchover (avail-switchover-bandwidth),
	 * bytes/s; 0 lets QEMU measure it.  Measured, a window with nothing
	 * sent (a starved migration thread) makes the threshold 0, and QEMU
	 * then completes on its estimate alone, never asking the devices for
	 * their exact pending size: a migration held open must fix it.
	 */
	uint64_t switchover_bandwidth;
	int timeout_ms;	  /* whole migration; 0: 120 s */
	mig_hook_fn hook; /* at every point, or NULL */
	void *opaque;
	bool relay;	  /* the channel goes through the harness (mig_run_break_channel) */
	bool dst_may_die; /* the test kills the destination: the source's end is the outcome */
};

/* How a migration ended, decided from events and processes, never from message text. */
enum mig_outcome {
	MIG_COMPLETED, /* both sides reported completed */
	MIG_REFUSED,   /* QEMU refused the migrate command itself */
	MIG_FAILED,    /* `side` reported the migration failed */
	MIG_CANCELLED, /* cancelled by a hook */
	MIG_TIMEOUT,   /* no end within the plan's timeout */
	MIG_DIED,      /* the `side` QEMU process died */
	MIG_LOST,      /* a QMP channel broke while its QEMU lived */
};
const char *mig_outcome_name(enum mig_outcome o);

struct mig_result {
	enum mig_outcome outcome;
	enum vm_role side; /* MIG_FAILED, MIG_DIED, MIG_LOST: which side */
	char *status;	   /* QEMU's final status word, or the outcome's name */
	char *error;	   /* the reason: QEMU's error-desc, the dead QEMU's exit and last words */
	char *desc;	   /* QEMU's own words (error-desc, or the refusal), or NULL */
	json_t *stats;	   /* the source's final query-migrate */
	int passes;	   /* MIGRATION_PASS events seen */
	double t_start;	   /* host wall clock when `migrate` was issued */
	double t_src_stop; /* QEMU timestamp of the source STOP event */
	double t_src_complete;	  /* source MIGRATION completed */
	double t_dst_complete;	  /* destination MIGRATION completed */
	double host_dst_complete; /* host monotonic time the harness saw it */
	double t_cont;		  /* wall clock when the destination was continued */
	double host_cont;	  /* the same, monotonic */
	double t_dst_resume;	  /* QEMU timestamp of the destination RESUME event */
};

/*
 * The handle hooks get, for a migration another driver runs (the libvirt
 * driver, lvmigrate.c): the same hooks then work whoever migrates.
 */
struct mig_run *mig_run_new(struct vm *src, struct vm *dst, const struct mig_plan *plan,
			    struct mig_result *r);
void mig_run_free(struct mig_run *run);

/* Access for hooks. */
struct vm *mig_run_src(struct mig_run *run);
struct vm *mig_run_dst(struct mig_run *run);
/* Breaks the migration channel under both QEMUs (needs plan->relay); -1 without one. */
int mig_run_break_channel(struct mig_run *run);
/*
 * Changes parameters mid-migration (e.g. lift the bandwidth cap to let it
 * converge); QEMU measures the switchover bandwidth again from then on.
 */
int mig_run_set_limits(struct mig_run *run, uint64_t max_bandwidth, uint64_t downtime_limit_ms,
		       char **err);
/* Changes only the downtime limit; the switchover bandwidth stays what the plan set. */
int mig_run_set_downtime(struct mig_run *run, uint64_t downtime_limit_ms, char **err);

/*
 * Runs the migration.  Returns 0 if the harness could drive it (whatever
 * QEMU's outcome, see r->outcome), -1 on a harness-level failure with *err.
 * When a QEMU dies, the outcome names it (MIG_DIED) even if the other side
 * reported a failure first: the root cause comes before its symptoms.
 */
int mig_run(struct vm *src, struct vm *dst, const struct mig_plan *plan, struct mig_result *r,
	    char **err);
void mig_result_clear(struct mig_result *r);

/* Metrics of ARCHITECTURE.md step 8 derived from a result, as a JSON object. */
json_t *mig_metrics(const struct mig_result *r);

/* Pumps every channel of both VMs once (QMP and agent), for waits in hooks. */
int mig_pump_all(struct vm *src, struct vm *dst, int timeout_ms, char **err);

/* Continues the paused destination (cont) and waits for its RESUME event. */
int mig_resume_dst(struct vm *dst, struct mig_result *r, char **err);
/*
 * Guest-observed pause from agent heartbeats: the host-time gap between the
 * last heartbeat from the source and the first from the destination, less
 * the time the harness held the destination paused for its oracles.
 */
json_t *mig_heartbeat_metrics(struct vm *src, struct vm *dst, const struct mig_result *r);

#endif
