// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/smoke: live migration of the Linux guest with no devices.
 *
 * idle:        a guest that only runs its agent (a static tagged buffer);
 * dirty:       the agent dirties a buffer while pre-copy is held open for
 *              three dirty syncs, then converges;
 * dirty_pause: the same with pause-before-switchover, checking that the
 *              source really is stopped in the pre-switchover state.
 * Every case checks RAM equality with both sides stopped and the agent's
 * verify after the destination resumes.  oracle_selftest is the negative
 * control of both: it corrupts one destination page and passes only if
 * each oracle flags exactly that page.
 */
#include "matrix.h"
#include "migcase.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The pre-switchover state means the source's vCPUs have stopped. */
static int source_stopped(struct mcase *k)
{
	char *st = NULL;
	int running = vm_run_state(mcase_pair(k)->src, &st);

	mc_case_set(mcase_case(k), "pre_switchover_status", json_string(st));
	if (running != 0)
		mc_case_fail(mcase_case(k), "source still running in pre-switchover (status %s)",
			     st);
	free(st);
	return 0;
}

/* ---- the negative control: one corrupted destination page ---- */

/* Before migrating: the guest physical address of the buffer's middle page. */
static int pick_page(struct mcase *k)
{
	json_t *st = mcase_agent(k, VM_SRC, "cpu-dirty status"), *r;
	uint64_t *gpa = malloc(sizeof(*gpa));

	if (!st || !gpa)
		return -1;
	r = mcase_agent(k, VM_SRC, "cpu-dirty gpa index=%lld", agent_reply_int(st, "pages", 0) / 2);
	json_decref(st);
	if (!r) {
		free(gpa);
		return -1;
	}
	*gpa = (uint64_t)agent_reply_int(r, "gpa", 0) & ~4095ull;
	json_decref(r);
	*mcase_scratch(k) = gpa;
	return 0;
}

/* Both sides stopped: flip bytes in the middle of that page (its tag header survives). */
static int corrupt_page(struct mcase *k)
{
	struct pair *p = mcase_pair(k);
	uint64_t *gpa = *mcase_scratch(k);
	uint64_t off = ram_layout_offset(&p->layout, *gpa);
	int i;

	if (off == UINT64_MAX || off + 4096 > p->dst->ram_size) {
		mc_case_error(mcase_case(k), "agent page at GPA 0x%" PRIx64 " is not in guest RAM",
			      *gpa);
		return -1;
	}
	for (i = 0; i < 64; i++)
		p->dst->ram[off + 2048 + i] ^= 0x5a;
	return 0;
}

static int corrupted_page(struct mcase *k, struct mc_ranges *out, char **err)
{
	const uint64_t *gpa = *mcase_scratch(k);

	(void)err;
	ranges_add(out, *gpa, 4096);
	return 0;
}

static const struct mcase_spec idle = {.buffer_mib = 4};
static const struct mcase_spec dirty = {
    .buffer_mib = 16, .dirtying = true, .hold_syncs = 3, .min_syncs = 3};
static const struct mcase_spec dirty_pause = {
    .buffer_mib = 16,
    .dirtying = true,
    .hold_syncs = 3,
    .min_syncs = 3,
    .hooks = {{MCASE_PRE_SWITCHOVER, 0, source_stopped}},
};
static const struct mcase_spec selftest = {
    .buffer_mib = 4,
    .hooks = {{MCASE_READY, 0, pick_page}, {MCASE_MIGRATED, 0, corrupt_page}},
    .detect = {{"ram", corrupted_page}, {"guest_verify", corrupted_page}},
};

static const struct mc_fixture smoke_fixture = {
    .name = "smoke",
    .order = 0,
    .summary = "live migration of the Linux guest without devices",
};
MC_FIXTURE(smoke_fixture)

#define SMOKE(variant, test, spec, summary)                                                        \
	MC_TEST("smoke", variant, test, mcase_test, &spec, 90, summary)

static struct mc_test smoke_tests[] = {
    SMOKE("idle", "migrate", idle, "idle Linux guest, RAM equality and agent verify"),
    SMOKE("dirty", "migrate", dirty, "CPU dirtying during held pre-copy (>= 3 dirty syncs)"),
    SMOKE("dirty_pause", "migrate", dirty_pause, "as dirty, with pause-before-switchover"),
    SMOKE("idle", "oracle_selftest", selftest,
	  "negative control: a corrupted destination page must be caught where it is"),
};

MCASE_SUITE(smoke_tests)

/* 64 MiB dirtied by the guest while pre-copy is held open for five dirty syncs. */
static const struct mcase_spec heavy = {
    .buffer_mib = 64,
    .dirtying = true,
    .hold_syncs = 5,
    .min_syncs = 5,
};
static struct mc_test heavy_tests[] = {
    MC_TEST("smoke", "heavy", "migrate", mcase_test, &heavy, 120,
	    "64 MiB dirtied during five held dirty syncs"),
};
MCASE_SUITE(heavy_tests)
