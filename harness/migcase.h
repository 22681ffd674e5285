/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migcase.h: one migration case as data, and the runner that executes it.
 *
 * A struct mcase_spec says everything a case is: the guest and its RAM,
 * the vIOMMU and the guest's mode, the mock devices with their personality,
 * DMA plan and faults, the workload, the migration plan with its hooks,
 * the outcome QEMU must reach and the oracles that decide.  mcase_run()
 * executes it with the ordering rules built in, so no suite re-sequences
 * them:
 *
 *   launch both QEMUs (the vIOMMU before the devices) -> hooks at LAUNCHED
 *   -> a blocked or refused configuration is the outcome (or a SKIP with
 *   QEMU's words for a cell this QEMU cannot run) -> guest ready, workload
 *   -> hooks at READY -> migrate: hooks at SETUP, after each dirty sync (a
 *   held pre-copy is released after the hooks of its sync), PRE_SWITCHOVER
 *   -> the outcome -> hooks at MIGRATED -> the oracles that need both sides
 *   stopped (RAM, the DMA ring, the suite's own) -> resume the destination
 *   -> the guest's verify -> hooks at RESUMED -> metrics -> known defects
 *   turn a matching failure into XFAIL and a missing one into XPASS.
 *
 * A hook that was planned but never ran is a harness error ("the scenario
 * did not run as planned"), never a pass.  A QEMU that dies is the case's
 * first reason, with the side, the signal or status and its last words.
 *
 * A negative control is the same description with a fault injected and a
 * `detect` entry: the named oracle must fail, and every place it flags
 * must lie where the fault was injected; only then does the case pass.
 */
#ifndef MIGCHECK_MIGCASE_H
#define MIGCHECK_MIGCASE_H

#include "hostrig.h"
#include "migrate.h"
#include "mockdev.h"
#include "pair.h"
#include "ranges.h"
#include "runner.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct mcase; /* a case while it runs */

/* Where in a case a hook runs, in order. */
enum mcase_at {
	MCASE_LAUNCHED,	      /* both QEMUs up; the source still paused if start_paused */
	MCASE_READY,	      /* the guest is ready and the workload runs */
	MCASE_SETUP,	      /* the migration is active */
	MCASE_SYNC,	      /* after dirty sync `sync` */
	MCASE_PRE_SWITCHOVER, /* the source stopped, before switchover */
	MCASE_MIGRATED,	      /* completed, both sides stopped, before the oracles */
	MCASE_RESUMED,	      /* the destination runs, after the guest's verify */
	MCASE_NPOINTS
};

/* 0 to go on; -1 stops the case (the hook has recorded why). */
typedef int (*mcase_fn)(struct mcase *k);

struct mcase_hook {
	enum mcase_at at;
	int sync; /* MCASE_SYNC: the dirty sync it follows */
	mcase_fn fn;
	/*
	 * The migration may end before this point: not an error, the suite's
	 * oracle judges it (QEMU switching over before a limit let it).
	 */
	bool optional;
};
#define MCASE_MAX_HOOKS 6

enum mcase_outcome {
	MCASE_COMPLETES, /* the migration completes; the oracles decide */
	MCASE_BLOCKED,	 /* a migration blocker is in place before migrating */
	MCASE_REFUSED,	 /* QEMU refuses the migrate command */
	MCASE_FAILS,	 /* the migration fails: error-path conformance */
	MCASE_CANCELLED, /* a hook cancels it (lifecycle) */
	MCASE_STAYS,	 /* no migration: the hooks are the scenario */
};

struct mcase_expect {
	enum mcase_outcome outcome;
	const char *text; /* QEMU's reason must contain this (BLOCKED, REFUSED, FAILS) */
	/*
	 * A configuration the QEMU under test cannot run (it exits at start,
	 * or blocks migration where the case needs one) SKIPs with QEMU's
	 * words instead of failing: a matrix cell for another release.
	 */
	bool skip_unsupported;
};

/* An oracle's finding. */
struct mcase_verdict {
	bool pass;
	char *summary;
	json_t *details;
	struct mc_ranges flagged; /* where it found a fault (its own address space) */
	uint64_t units;		  /* how many pages it reports */
};

struct mcase_oracle {
	const char *name;
	enum mcase_at at; /* MCASE_MIGRATED (both sides stopped) or MCASE_RESUMED */
	/* Fills v; -1 when it could not look (v->summary says why: a harness error). */
	int (*check)(struct mcase *k, struct mcase_verdict *v);
};

/* The standard oracles (migcase_oracles.c); flags for mcase_spec.oracles. */
#define MCASE_RAM (1u << 0)    /* guest RAM equal page by page (guest physical) */
#define MCASE_RING (1u << 1)   /* every DMA ring page carries its stamp (guest physical) */
#define MCASE_VERIFY (1u << 2) /* the agent's own tags (guest physical of the first bad page) */
#define MCASE_NO_ORACLES (1u << 31)

/*
 * A negative control: `oracle` must fail, and every place it flags must lie
 * in what `where` returns (the injected place, in the oracle's space).
 */
struct mcase_detect {
	const char *oracle;
	int (*where)(struct mcase *k, struct mc_ranges *out, char **err);
};
#define MCASE_MAX_DETECT 3
#define MCASE_MAX_EXTRA 4

struct mcase_spec {
	const char *label; /* names this run's oracles when a test runs several */
	/* the guest */
	int guest;	    /* enum mx_guest */
	unsigned mem_mib;   /* 0: 256 */
	const char *append; /* more kernel options */
	int viommu;	    /* enum mx_viommu; the guest's mode: */
	int guest_iommu;    /* enum mx_guest_iommu */
	int invalidation;   /* enum mx_invalidation, or -1: the kernel's default */
	bool start_paused;  /* the source starts stopped; the runner continues it */
	/*
	 * Arguments for the source alone (the bare guest's qtest socket).  A
	 * bare guest (guest MX_GUEST_BARE) has no OS: both QEMUs stay stopped,
	 * the READY hooks play the guest and the oracles compare RAM.
	 */
	const char *const *src_args;
	/* the devices */
	struct mock_spec mock;	      /* ndev 0: no devices */
	const struct host_spec *host; /* the run's host devices (hostdev.h), or NULL */
	/* each side's QEMU build, or NULL: the one under test (and --qemu-dst) */
	const char *qemu_src, *qemu_dst;
	/* the workload */
	unsigned buffer_mib; /* the agent's tagged buffer (0: none) */
	bool dirtying;	     /* rewritten continuously */
	/* the migration */
	struct mig_plan plan;	      /* limits, multifd, pause, timeout; hooks are the runner's */
	int hold_syncs;		      /* pre-copy held (capped) until this many dirty syncs */
	uint64_t hold_bandwidth;      /* the cap while held (0: 64 MiB/s); a tenth of it must
				       * be less than the first pass sends, or QEMU may end
				       * pre-copy inside its first 100 ms (downtime.c) */
	uint64_t release_downtime_ms; /* then this downtime limit lets it converge */
	int min_syncs;		      /* fewer dirty syncs: the scenario did not run */
	bool no_switchover_ack;	      /* the downtime limit alone decides the switchover */
	struct mcase_hook hooks[MCASE_MAX_HOOKS];
	/* the outcome and the oracles */
	struct mcase_expect expect;
	unsigned oracles; /* MCASE_* flags; 0: RAM and verify, plus the ring with one */
	const struct mcase_oracle *extra[MCASE_MAX_EXTRA];
	struct mcase_detect detect[MCASE_MAX_DETECT];
	const void *data; /* the suite's, for its hooks and oracles */
};

/* Runs one case into c.  Returns 0 when it ran to its end (whatever the verdict). */
int mcase_run(struct mc_case *c, const struct mcase_spec *s);
/* A test function that runs the spec given as its data. */
void mcase_test(struct mc_case *c, const void *spec);

/*
 * Registers tests whose data is a spec, giving each without axes the ones
 * its spec describes (guest, vIOMMU and guest mode, backend with devices).
 */
void mcase_register(struct mc_test *tests, size_t n);
#define MCASE_SUITE(tests)                                                                         \
	__attribute__((constructor)) static void mcase_register_##tests(void)                      \
	{                                                                                          \
		mcase_register(tests, sizeof(tests) / sizeof(tests[0]));                           \
	}

/*
 * ---- composing a case step by step (the lifecycle suite) ----
 * mcase_run() is open, migrate, check, close; a case that migrates more
 * than once (cancel and retry, ping-pong) calls them itself.
 */
/* Launch to ready, with the workload and READY hooks; never NULL (it may have ended). */
struct mcase *mcase_open(struct mc_case *c, const struct mcase_spec *s);
/*
 * One migration to the current destination with the spec's plan and hooks,
 * its outcome checked against `expect` (NULL: the spec's).  True when it
 * completed as expected and mcase_check() should follow.
 */
bool mcase_migrate(struct mcase *k, const struct mcase_expect *expect);
/* After a completed migration: MIGRATED hooks, oracles, resume, verify, metrics. */
void mcase_check(struct mcase *k);
/* Names the next steps' oracles and metrics "<label>.<name>" (NULL: none). */
void mcase_round(struct mcase *k, const char *label);
/* A fresh destination (and mock instance) for the next migration. */
int mcase_new_destination(struct mcase *k);
/* The destination becomes the source and a fresh destination is started (ping-pong). */
int mcase_swap(struct mcase *k);
/* Known defects, teardown; frees k. */
void mcase_close(struct mcase *k);

/* ---- for hooks and oracles ---- */
struct mc_case *mcase_case(struct mcase *k);
const struct mcase_spec *mcase_spec(struct mcase *k);
const void *mcase_data(struct mcase *k);
/* Per-run scratch the suite may hang its own state on; free()d when the case ends. */
void **mcase_scratch(struct mcase *k);
struct pair *mcase_pair(struct mcase *k);
struct mock_rig *mcase_rig(struct mcase *k);
/* The migration's result so far (outcome and stats once it ended). */
const struct mig_result *mcase_result(struct mcase *k);
/* Breaks the migration channel (plan.relay) under both QEMUs (only from migration hooks). */
int mcase_break_channel(struct mcase *k);
/*
 * The rule a negative control is judged by: the oracle failed, said where,
 * and every place it flagged lies in `where` (non-empty); *summary says why.
 */
bool mcase_detected(const struct mcase_verdict *v, const struct mc_ranges *where, char **summary);
/* Changes limits mid-migration (only from migration hooks). */
int mcase_set_limits(struct mcase *k, uint64_t bandwidth, uint64_t downtime_ms);
/* Changes only the downtime limit, keeping the plan's switchover bandwidth. */
int mcase_set_downtime(struct mcase *k, uint64_t downtime_ms);
/* A side's mock state; on failure the case fails with the reason. */
int mcase_state(struct mcase *k, enum vm_role side, struct ms_state *st);
/* One mock control request (stolen); on failure the case fails with the reason. */
json_t *mcase_mock(struct mcase *k, enum vm_role side, json_t *req);
/* An agent command on a side; on failure the case fails (QEMU's death first). */
json_t *mcase_agent(struct mcase *k, enum vm_role side, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* DMA the suite armed beyond the spec's ring and events (for the known-defects match). */
void mcase_note_dma(struct mcase *k, uint64_t iova, uint64_t len);
/* A pattern the known-defects table can match ("dma_pages_lost"); a failure may show several. */
void mcase_observe(struct mcase *k, const char *pattern, const char *what);
/* Guest physical address of an IOVA of the mock's devices (identity unless translated). */
uint64_t mcase_iova_to_gpa(struct mcase *k, uint64_t iova);

/* Injected places for negative controls, from the source mock's state. */
int mcase_where_dropped(struct mcase *k, struct mc_ranges *out, char **err);
int mcase_where_after_stop(struct mcase *k, struct mc_ranges *out, char **err);

#endif
