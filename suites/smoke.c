// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/smoke: live migration of the Linux guest with no devices.
 *
 * idle:        a guest that only runs its agent;
 * dirty:       the agent dirties a buffer during pre-copy while bandwidth is
 *              capped and the downtime limit kept tiny, so pre-copy iterates
 *              until the harness lets it converge after the third dirty sync;
 * dirty_pause: the same with pause-before-switchover, the harness acting in
 *              the pre-switchover state.
 * Every case checks RAM equality with both sides stopped and the agent's
 * own verify after the destination resumes.  oracle_selftest is the negative
 * control: it corrupts one destination page and passes only if both oracles
 * name exactly that page.
 */
#include "pair.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRTY_MIB 16
#define MIN_SYNCS 3

struct smoke_variant {
	bool dirty;
	bool pause;
};

static int at_pre_switchover(struct mig_run *run, void *opaque, char **err)
{
	struct mc_case *c = opaque;
	json_t *r = qmp_call(mig_run_src(run)->qmp, "query-status", NULL, 10000, err);
	const char *st = json_string_value(json_object_get(r, "status"));

	/* The source must be stopped here: that is the point of the state. */
	mc_case_set(c, "pre_switchover_status", json_string(st ? st : "?"));
	if (!st || json_is_true(json_object_get(r, "running")))
		mc_case_fail(c, "source still running in pre-switchover (status %s)",
			     st ? st : "?");
	json_decref(r);
	return 0;
}

static void smoke_migrate(struct mc_case *c, const void *data)
{
	const struct smoke_variant *v = data;
	struct pair_opts o = {0};
	struct pair p;
	struct mig_plan plan = {
	    .return_path = true,
	    .switchover_ack = true,
	    .pause_before_switchover = v->pause,
	    .timeout_ms = 90000,
	    .opaque = c,
	};
	struct mig_result r = {0};

	if (pair_start(c, &o, &p) < 0)
		goto out;
	/* Idle guests get a tagged but static buffer so verify has work too. */
	if (pair_start_workload(c, &p, v->dirty ? DIRTY_MIB : 4, v->dirty) < 0)
		goto out;
	if (v->dirty)
		pair_hold_precopy(&plan, MIN_SYNCS, 500);
	if (v->pause)
		plan.on_pre_switchover = at_pre_switchover;

	if (pair_migrate(c, &p, &plan, &r) < 0)
		goto out;
	if (!pair_record_migration(c, &p, &r))
		goto out;
	if (v->dirty)
		pair_check_syncs(c, &r, MIN_SYNCS);
	pair_ram_oracle(c, &p, NULL);
	if (pair_resume(c, &p, &r) < 0)
		goto out;
	pair_verify_guest(c, &p);
	pair_record_metrics(c, &p, &r);
out:
	mig_result_clear(&r);
	pair_stop(&p);
}

/*
 * Negative control for the RAM oracle and the agent's verify: corrupt one
 * page of the agent's buffer on the destination before the comparison.
 */
static void smoke_oracle_selftest(struct mc_case *c, const void *data)
{
	struct pair_opts o = {0};
	struct pair p;
	struct mig_plan plan = {.return_path = true, .timeout_ms = 90000};
	struct mig_result r = {0};
	struct ram_cmp cmp;
	char *err = NULL, *cmd;
	json_t *reply;
	long long pages, idx;
	uint64_t gpa, off;
	bool ram_ok, verify_ok = false;
	double t0;

	if (pair_start(c, &o, &p) < 0)
		goto out;
	/* A static buffer: the destination must not rewrite the page itself. */
	if (pair_start_workload(c, &p, 4, false) < 0)
		goto out;
	reply = pair_agent(c, p.src, "cpu-dirty status", 10000);
	if (!reply)
		goto out;
	pages = agent_reply_int(reply, "pages", 0);
	json_decref(reply);
	idx = pages / 2;
	cmd = mc_strdup_printf("cpu-dirty gpa index=%lld", idx);
	reply = pair_agent(c, p.src, cmd, 10000);
	free(cmd);
	if (!reply)
		goto out;
	gpa = (uint64_t)agent_reply_int(reply, "gpa", -1);
	json_decref(reply);
	off = ram_layout_offset(&p.layout, gpa);
	if (off == UINT64_MAX || off >= p.src->ram_size) {
		mc_case_error(c, "agent page %lld at GPA 0x%" PRIx64 " is not in guest RAM", idx,
			      gpa);
		goto out;
	}
	if (pair_migrate(c, &p, &plan, &r) < 0)
		goto out;
	if (!pair_record_migration(c, &p, &r))
		goto out;
	/* Flip bytes in the middle of the page so the tag header survives. */
	for (int i = 0; i < 64; i++)
		p.dst->ram[off + 2048 + i] ^= 0x5a;

	t0 = mc_now_s();
	ram_compare(p.src->ram, p.dst->ram, p.src->ram_size, 4096, &p.layout, &cmp);
	mc_case_phase(c, "oracle", mc_now_s() - t0);
	ram_ok = cmp.differing == 1 && cmp.diff[0].gpa == (gpa & ~4095ull);
	{
		char *s = mc_strdup_printf(
		    "corrupted GPA 0x%" PRIx64 "; oracle reported %" PRIu64 " page(s)%s", gpa,
		    cmp.differing, cmp.nreported ? ", first at the corrupted one" : "");

		if (cmp.nreported && cmp.diff[0].gpa != (gpa & ~4095ull)) {
			free(s);
			s = mc_strdup_printf("corrupted GPA 0x%" PRIx64 " but the oracle reported "
					     "%" PRIu64 " page(s), first 0x%" PRIx64,
					     gpa, cmp.differing, cmp.diff[0].gpa);
		}
		mc_case_oracle(c, "ram_selftest", ram_ok, s, ram_cmp_json(&cmp));
		free(s);
	}
	if (pair_resume(c, &p, &r) < 0)
		goto out;
	reply = agentlink_cmd(p.dst->agent, "verify", 60000, &err);
	if (reply) {
		mc_case_oracle(c, "verify_selftest", false,
			       "the agent's verify passed over a corrupted page", reply);
	} else {
		char want[64];

		snprintf(want, sizeof(want), "first=%lld ", idx);
		verify_ok = err && strstr(err, want) && strstr(err, "bad=1 ");
		mc_case_oracle(c, "verify_selftest", verify_ok, err ? err : "?", NULL);
	}
out:
	free(err);
	mig_result_clear(&r);
	pair_stop(&p);
}

static const struct smoke_variant idle = {.dirty = false};
static const struct smoke_variant dirty = {.dirty = true};
static const struct smoke_variant dirty_pause = {.dirty = true, .pause = true};

static const struct mc_test smoke_tests[] = {
    MC_TEST("smoke", "smoke", "idle", "migrate", smoke_migrate, &idle, 60,
	    "idle Linux guest, RAM equality and agent verify"),
    MC_TEST("smoke", "smoke", "dirty", "migrate", smoke_migrate, &dirty, 90,
	    "CPU dirtying during capped pre-copy (>= 3 dirty syncs)"),
    MC_TEST("smoke", "smoke", "dirty_pause", "migrate", smoke_migrate, &dirty_pause, 90,
	    "as dirty, with pause-before-switchover"),
    MC_TEST("smoke", "smoke", "idle", "oracle_selftest", smoke_oracle_selftest, NULL, 60,
	    "negative control: a corrupted destination page must be caught"),
};
MC_SUITE(smoke_tests)
