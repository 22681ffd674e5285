// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/lifecycle: the paths around a migration, with VFIO devices.
 *
 * cancel_*:      migrate_cancel at setup, after dirty sync 2, or in
 *                pre-switchover (the source stopped), then a retry to a
 *                fresh destination; cancel_thrice does all three in a row
 *                before the retry.
 * dst_killed_*:  the destination killed in mid pre-copy, or at the
 *                switchover (in pre-switchover, before stop-copy starts).
 * state_refused: the destination refuses the device state (a corrupted
 *                stream on RESUMING).
 * channel_closed: the migration channel broken under both QEMUs.
 * pingpong:      the guest and its device moved back and forth, every
 *                oracle at every hop, and nothing growing hop by hop.
 *
 * After every cancel and failure the "recovered" oracle checks the source:
 * it runs, each device is back in RUNNING with its DMA ring advancing, no
 * data fd is open, dirty tracking stopped in the kernel model (DMA logging,
 * HWPT tracking, type1 DIRTY_PAGES) and the mappings are those it had
 * before migrating.  After a failure, the order too: the source reported
 * the failure before its vCPUs ran again, and the device was RUNNING again
 * before that.  Then a migration to a fresh destination must pass every
 * oracle.  Its negative controls: a device left in STOP while it
 * acknowledged RUNNING (stays_stopped), and a device whose DMA logging goes
 * on after QEMU stopped it (tracking_kept): the recovered oracle must name
 * that device, and nothing else.
 *
 * Cells: device logging, iommufd HWPT and type1 perpetual tracking without
 * a vIOMMU, and the two trackers QEMU 11 migrates behind one (they SKIP
 * with QEMU's words where it blocks them).
 */
#include "matrix.h"
#include "migcase.h"
#include "util.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMA_WINDOW 0x8000000ull
#define RING_PAGES 64
#define HOPS 10
#define WAIT_MS 30000

enum lc_kind {
	LC_CANCEL_SETUP,
	LC_CANCEL_SYNC,
	LC_CANCEL_PRESWITCH,
	LC_CANCEL_THRICE,
	LC_DST_KILLED_PRECOPY,
	LC_DST_KILLED_SWITCHOVER,
	LC_STATE_REFUSED,
	LC_CHANNEL_CLOSED,
	LC_PINGPONG,
	LC_STAYS_STOPPED,
	LC_TRACKING_KEPT,
	LC_COUNT
};

/* What a round does at each point (the hooks read it). */
enum lc_act { ACT_NONE, ACT_CANCEL, ACT_KILL_DST, ACT_BREAK };

struct lc_case {
	struct mx_cell cell;
	enum lc_kind kind;
	struct mcase_spec spec;
	char append[48];
};

/* Per run: this round's actions and what the source looked like before. */
struct lc_run {
	enum lc_act at[MCASE_NPOINTS];
	struct mc_ranges maps; /* every mapping before migrating */
	bool have_maps;
};

static struct lc_run *run_of(struct mcase *k)
{
	void **s = mcase_scratch(k);

	if (!*s)
		*s = calloc(1, sizeof(struct lc_run));
	if (!*s)
		abort();
	return *s;
}

/* Performs this round's action at point `at`; -1 cancels the migration. */
static int act(struct mcase *k, enum mcase_at at)
{
	struct lc_run *r = run_of(k);
	struct pair *p = mcase_pair(k);

	switch (r->at[at]) {
	case ACT_CANCEL:
		mc_case_log(mcase_case(k), "cancelling the migration on purpose");
		return -1;
	case ACT_KILL_DST:
		mc_case_log(mcase_case(k), "killing the destination on purpose");
		kill(p->dst->proc.pid, SIGKILL);
		return 0;
	case ACT_BREAK:
		mc_case_log(mcase_case(k), "breaking the migration channel on purpose");
		return mcase_break_channel(k);
	default:
		return 0;
	}
}

static int at_setup(struct mcase *k)
{
	return act(k, MCASE_SETUP);
}

static int at_sync(struct mcase *k)
{
	return act(k, MCASE_SYNC);
}

static int at_preswitch(struct mcase *k)
{
	return act(k, MCASE_PRE_SWITCHOVER);
}

/* Every mapping of every address space, as ranges (host addresses ignored). */
static void mappings(const struct ms_state *st, struct mc_ranges *out)
{
	size_t i, j;

	for (i = 0; i < st->nspaces; i++)
		for (j = 0; j < st->spaces[i].nmaps; j++)
			ranges_add(out, st->spaces[i].maps[j].iova, st->spaces[i].maps[j].len);
}

/* Before migrating: the mappings the source has, to compare after recovery. */
static int remember_maps(struct mcase *k)
{
	struct lc_run *r = run_of(k);
	struct ms_state st;

	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	ranges_free(&r->maps);
	mappings(&st, &r->maps);
	r->have_maps = true;
	ms_free(&st);
	return 0;
}

static void add_problem(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_problem(char **s, const char *fmt, ...)
{
	va_list ap;
	char *p, *old = *s;

	va_start(ap, fmt);
	p = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
	*s = mc_strdup_printf("%s%s%s", old ? old : "", old ? "; " : "", p);
	free(old);
	free(p);
}

/* The source's run state, waiting up to WAIT_MS for it to run again. */
static bool source_runs(struct mcase *k, char **state)
{
	uint64_t end = mc_now_ns() + (uint64_t)WAIT_MS * 1000000;

	if (!mcase_pair(k)->src)
		return false;
	for (;;) {
		bool running = vm_run_state(mcase_pair(k)->src, state) == 1;

		if (running || mc_now_ns() >= end)
			return running;
		usleep(100000);
	}
}

/*
 * Whether the ring sequence of each device that is RUNNING moves on, waiting
 * up to WAIT_MS.  A device in any other state writes nothing (the caller has
 * flagged it already), so waiting for its ring would only spend the time.
 */
static bool rings_advance(struct mcase *k, const struct ms_state *before, int *stuck)
{
	uint64_t end = mc_now_ns() + (uint64_t)WAIT_MS * 1000000;
	int d;

	for (;;) {
		struct ms_state now;
		bool all = true;

		if (mcase_state(k, VM_SRC, &now) < 0)
			return false;
		for (d = 0; d < now.ndev && d < before->ndev; d++)
			if (!strcmp(before->dev[d].state, "RUNNING") &&
			    now.dev[d].ring.seq <= before->dev[d].ring.seq) {
				all = false;
				*stuck = d;
			}
		ms_free(&now);
		if (all)
			return true;
		if (mc_now_ns() >= end)
			return false;
		usleep(200000);
	}
}

/*
 * The recovered oracle: flags the devices that did not recover as ranges
 * [index, index + 1), and anything else of the source's as [-1, +1).
 */
static void check_recovered(struct mcase *k, const char *round, const struct mc_ranges *where)
{
	struct lc_run *r = run_of(k);
	struct mcase_verdict v = {0};
	struct ms_state st;
	struct mc_ranges maps;
	char *state = NULL, *problems = NULL, *name;
	int d, stuck = -1;

	ranges_init(&v.flagged);
	ranges_init(&maps);
	if (!source_runs(k, &state)) {
		add_problem(&problems, "the source guest does not run (status %s)", state);
		ranges_add(&v.flagged, UINT64_MAX, 1);
	}
	if (mcase_state(k, VM_SRC, &st) < 0)
		goto out;
	for (d = 0; d < st.ndev; d++) {
		const struct ms_device *dev = &st.dev[d];

		if (strcmp(dev->state, "RUNNING") || dev->data_fd_open || dev->logging) {
			add_problem(&problems, "device %d: state %s%s%s", d, dev->state,
				    dev->data_fd_open ? ", a data fd still open" : "",
				    dev->logging ? ", DMA logging still on" : "");
			ranges_add(&v.flagged, d, 1);
		}
	}
	for (size_t i = 0; i < st.nspaces; i++)
		if (st.spaces[i].dirty_tracking) {
			add_problem(&problems, "type1 dirty tracking still started");
			ranges_add(&v.flagged, UINT64_MAX, 1);
		}
	if (st.hwpts_tracking) {
		add_problem(&problems, "%d HWPT(s) still tracking dirty pages", st.hwpts_tracking);
		ranges_add(&v.flagged, UINT64_MAX, 1);
	}
	mappings(&st, &maps);
	if (r->have_maps && (!ranges_within(&maps, &r->maps) || !ranges_within(&r->maps, &maps))) {
		add_problem(&problems,
			    "the mappings changed: %" PRIu64 " bytes mapped, %" PRIu64
			    " before migrating",
			    ranges_bytes(&maps), ranges_bytes(&r->maps));
		ranges_add(&v.flagged, UINT64_MAX, 1);
	}
	if (!rings_advance(k, &st, &stuck)) {
		add_problem(&problems, "device %d's DMA ring does not advance", stuck);
		ranges_add(&v.flagged, stuck, 1);
	}
	ms_free(&st);
	v.pass = !problems;
	v.units = v.flagged.n;
	v.summary = problems ? problems
			     : mc_strdup_printf("the source runs; every device RUNNING with its "
						"ring advancing, no data fd, tracking stopped, "
						"mappings as before");
	problems = NULL;
	name = mc_strdup_printf("%s.recovered", round);
	if (where) {
		char *sum;
		bool ok = mcase_detected(&v, where, &sum);

		mc_case_oracle(mcase_case(k), name, ok, sum, NULL);
		free(sum);
	} else {
		mc_case_oracle(mcase_case(k), name, v.pass, v.summary, NULL);
	}
	free(name);
out:
	free(v.summary);
	free(problems);
	free(state);
	ranges_free(&v.flagged);
	ranges_free(&maps);
}

/*
 * The first heartbeat the source's guest sent after `after` (wall clock):
 * proof its vCPUs ran again.  QEMU sends RESUME before it restarts the
 * devices and the vCPUs, so the event itself is not that proof.
 */
static double first_heartbeat_after(struct mcase *k, double after)
{
	struct agentlink *a = mcase_pair(k)->src->agent;
	double to_wall = mc_wall_s() - mc_now_s();
	size_t i;

	for (i = 0; i < agentlink_hb_count(a); i++) {
		double t = agentlink_hb_at(a, i)->host_s + to_wall;

		if (t > after)
			return t;
	}
	return 0;
}

/*
 * After a failure with the source stopped: the source reported it before
 * its guest ran again, and every device was RUNNING again before that.
 */
static void check_order(struct mcase *k, const char *round)
{
	const struct qmp *q = mcase_pair(k)->src->qmp;
	const struct qmp_event *failed = NULL, *resume = NULL;
	struct ms_state st;
	char *s = NULL, *name;
	double ran = 0;
	bool ok = true;
	size_t i;
	int d;

	for (i = 0; i < qmp_event_count(q); i++) {
		const struct qmp_event *e = qmp_event_at(q, i);
		const char *status = json_string_value(json_object_get(e->data, "status"));

		if (!strcmp(e->name, "MIGRATION") && status && !strcmp(status, "failed"))
			failed = e;
		else if (!strcmp(e->name, "RESUME") && failed && !resume)
			resume = e;
	}
	/* Heartbeats come every 10 ms: wait (bounded) for the first one after RESUME. */
	for (i = 0; resume && !ran && i < 300; i++) {
		mig_pump_all(mcase_pair(k)->src, NULL, 100, NULL);
		ran = first_heartbeat_after(k, resume->ts);
	}
	if (!failed || !resume || !ran) {
		s = mc_strdup_printf("the source %s",
				     !failed   ? "never reported the failure"
				     : !resume ? "never resumed after it"
					       : "guest sent no heartbeat after resuming");
		ok = false;
	} else if (mcase_state(k, VM_SRC, &st) == 0) {
		for (d = 0; d < st.ndev && ok; d++) {
			double running = 0;

			for (i = 0; i < st.dev[d].nhistory; i++)
				if (!strcmp(st.dev[d].history[i].to, "RUNNING"))
					running = st.dev[d].history[i].t;
			if (!running || running > ran) {
				ok = false;
				s = mc_strdup_printf("device %d was RUNNING again %.3f s after the "
						     "guest ran",
						     d, running - ran);
			}
		}
		ms_free(&st);
		if (ok && failed->ts > ran) {
			ok = false;
			s = mc_strdup_printf("the failure was reported %.3f s after the guest ran",
					     failed->ts - ran);
		}
		if (ok)
			s = mc_strdup_printf("failure reported %.3f s before the guest ran; every "
					     "device RUNNING before it",
					     ran - failed->ts);
	} else {
		return;
	}
	name = mc_strdup_printf("%s.failure_order", round);
	mc_case_oracle(mcase_case(k), name, ok, s, NULL);
	free(name);
	free(s);
}

/* What a destination holds once it runs: it must be the same after every hop. */
struct counts {
	size_t spaces, maps;
	uint64_t bytes;
	int hwpts, devices;
};

static bool no_growth(struct mcase *k, const char *round, struct counts *set,
		      const struct counts *want)
{
	struct ms_state st;
	struct counts now = {0};
	char *s, *name;
	bool ok;
	size_t i;

	if (mcase_state(k, VM_DST, &st) < 0)
		return false;
	now.spaces = st.nspaces;
	for (i = 0; i < st.nspaces; i++) {
		now.maps += st.spaces[i].nmaps;
		for (size_t j = 0; j < st.spaces[i].nmaps; j++)
			now.bytes += st.spaces[i].maps[j].len;
	}
	now.hwpts = st.hwpts;
	now.devices = st.ndev;
	ms_free(&st);
	if (set)
		*set = now;
	ok = now.spaces == want->spaces && now.maps == want->maps && now.bytes == want->bytes &&
	     now.hwpts == want->hwpts && now.devices == want->devices;
	s = mc_strdup_printf("%zu address space(s), %zu mapping(s) of %" PRIu64 " bytes, %d "
			     "HWPT(s), %d device(s)%s",
			     now.spaces, now.maps, now.bytes, now.hwpts, now.devices,
			     ok ? ", as after the first hop"
				: "; after the first hop it held other counts");
	name = mc_strdup_printf("%s.no_growth", round);
	mc_case_oracle(mcase_case(k), name, ok, s, NULL);
	free(name);
	free(s);
	return ok;
}

static bool clear_faults(struct mcase *k)
{
	json_t *r = mcase_mock(
	    k, VM_SRC,
	    json_pack("{s:s, s:s}", VFM_CTL_CMD, VFM_CTL_FAULT, VFM_KEY_ACTION, VFM_FAULT_CLEAR));

	json_decref(r);
	return r != NULL;
}

/* ---- the cases ---- */

static const struct mcase_expect cancelled = {.outcome = MCASE_CANCELLED};
static const struct mcase_expect failed = {.outcome = MCASE_FAILS};

/* One failing or cancelled round, then the source must have recovered. */
static bool bad_round(struct mcase *k, const char *round, enum mcase_at at, enum lc_act what,
		      const struct mcase_expect *expect, const struct mc_ranges *where)
{
	struct lc_run *r = run_of(k);

	memset(r->at, 0, sizeof(r->at));
	r->at[at] = what;
	mcase_round(k, round);
	mcase_migrate(k, expect);
	memset(r->at, 0, sizeof(r->at));
	/* A cell this QEMU refuses or blocks has SKIPped: there is nothing to recover. */
	if (mc_case_failed(mcase_case(k)) || mc_case_skipped(mcase_case(k)))
		return false;
	check_recovered(k, round, where);
	if (expect == &failed && at == MCASE_PRE_SWITCHOVER)
		check_order(k, round);
	return !mc_case_failed(mcase_case(k)) && mcase_new_destination(k) == 0;
}

static void lifecycle(struct mc_case *c, const void *data)
{
	const struct lc_case *l = data;
	struct mcase *k = mcase_open(c, &l->spec);
	struct mc_ranges stuck;
	struct counts first = {0};
	char round[16];
	int hop;

	ranges_init(&stuck);
	switch (l->kind) {
	case LC_CANCEL_SETUP:
		if (!bad_round(k, "cancel", MCASE_SETUP, ACT_CANCEL, &cancelled, NULL))
			goto out;
		break;
	case LC_CANCEL_SYNC:
		if (!bad_round(k, "cancel", MCASE_SYNC, ACT_CANCEL, &cancelled, NULL))
			goto out;
		break;
	case LC_CANCEL_PRESWITCH:
		if (!bad_round(k, "cancel", MCASE_PRE_SWITCHOVER, ACT_CANCEL, &cancelled, NULL))
			goto out;
		break;
	case LC_CANCEL_THRICE:
		if (!bad_round(k, "cancel1", MCASE_SETUP, ACT_CANCEL, &cancelled, NULL) ||
		    !bad_round(k, "cancel2", MCASE_SYNC, ACT_CANCEL, &cancelled, NULL) ||
		    !bad_round(k, "cancel3", MCASE_PRE_SWITCHOVER, ACT_CANCEL, &cancelled, NULL))
			goto out;
		break;
	case LC_DST_KILLED_PRECOPY:
		if (!bad_round(k, "failure", MCASE_SYNC, ACT_KILL_DST, &failed, NULL))
			goto out;
		break;
	case LC_DST_KILLED_SWITCHOVER:
		if (!bad_round(k, "failure", MCASE_PRE_SWITCHOVER, ACT_KILL_DST, &failed, NULL))
			goto out;
		break;
	case LC_STATE_REFUSED:
		/* The source's corrupt_stream fault: the destination refuses to load it. */
		if (!bad_round(k, "failure", MCASE_SETUP, ACT_NONE, &failed, NULL) ||
		    !clear_faults(k))
			goto out;
		break;
	case LC_CHANNEL_CLOSED:
		if (!bad_round(k, "failure", MCASE_SYNC, ACT_BREAK, &failed, NULL))
			goto out;
		break;
	case LC_STAYS_STOPPED:
	case LC_TRACKING_KEPT:
		/* Negative control: the recovered oracle must name device 0, and only it. */
		ranges_add(&stuck, 0, 1);
		bad_round(k, "cancel", MCASE_SYNC, ACT_CANCEL, &cancelled, &stuck);
		goto out;
	case LC_PINGPONG:
		for (hop = 1; hop <= HOPS; hop++) {
			snprintf(round, sizeof(round), "hop%d", hop);
			mcase_round(k, round);
			if (!mcase_migrate(k, NULL))
				goto out;
			mcase_check(k);
			if (mc_case_failed(c) ||
			    !no_growth(k, round, hop == 1 ? &first : NULL, &first))
				goto out;
			if (hop < HOPS && mcase_swap(k) < 0)
				goto out;
		}
		goto out;
	default:
		goto out;
	}
	/* Then a migration to a fresh destination passes every oracle. */
	mcase_round(k, "retry");
	if (mcase_migrate(k, NULL))
		mcase_check(k);
out:
	ranges_free(&stuck);
	mcase_close(k);
}

/* ---- registration ---- */

static const struct {
	const char *test;
	const char *summary;
} kinds[LC_COUNT] = {
    [LC_CANCEL_SETUP] = {"cancel_setup", "migrate_cancel at setup; the source recovers; a "
					 "retry passes every oracle"},
    [LC_CANCEL_SYNC] = {"cancel_sync2", "migrate_cancel after dirty sync 2, then a retry"},
    [LC_CANCEL_PRESWITCH] = {"cancel_preswitch",
			     "migrate_cancel in pre-switchover (source stopped), then a retry"},
    [LC_CANCEL_THRICE] = {"cancel_thrice", "three cancels in a row (setup, sync 2, "
					   "pre-switchover), then a retry"},
    [LC_DST_KILLED_PRECOPY] = {"dst_killed_precopy", "the destination killed in pre-copy; "
						     "the source recovers; a retry passes"},
    [LC_DST_KILLED_SWITCHOVER] = {"dst_killed_switchover",
				  "the destination killed at the switchover; failure before "
				  "resume, devices RUNNING before the vCPUs"},
    [LC_STATE_REFUSED] = {"state_refused", "the destination refuses the device state; the "
					   "source recovers; a retry passes"},
    [LC_CHANNEL_CLOSED] = {"channel_closed", "the migration channel broken under both QEMUs; "
					     "the source recovers; a retry passes"},
    [LC_PINGPONG] = {"pingpong", "ten hops back and forth, every oracle at every hop, "
				 "nothing growing"},
    [LC_STAYS_STOPPED] = {"recovered_selftest",
			  "negative control: a device left in STOP after a cancel must be "
			  "named by the recovered oracle"},
    [LC_TRACKING_KEPT] = {"recovered_tracking_selftest",
			  "negative control: a device whose DMA logging stays on after a "
			  "cancel must be named by the recovered oracle"},
};

static void describe(struct lc_case *l)
{
	const struct mx_tracker_info *t = mx_tracker_info(l->cell.v[MX_TRACKER]);
	struct mcase_spec *s = &l->spec;
	int h = 0;

	mx_cell_mock_spec(&l->cell, &s->mock);
	s->mock.dev[0].host_driven = true;
	s->mock.dev[0].ring_iova = DMA_WINDOW;
	s->mock.dev[0].ring_pages = RING_PAGES;
	s->mock.dev[0].ring_rate_hz = 2000;
	if (l->kind == LC_STATE_REFUSED)
		s->mock.faults[VM_SRC] =
		    json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_CORRUPT_STREAM));
	if (l->kind == LC_STAYS_STOPPED)
		s->mock.faults[VM_SRC] =
		    json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_STAYS_STOPPED));
	if (l->kind == LC_TRACKING_KEPT)
		s->mock.faults[VM_SRC] =
		    json_pack("[{s:s, s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_TRACKING_KEPT),
			      VFM_KEY_TRACKER, vfm_tracker_name(VFM_TRACKER_DEVICE));
	s->guest = MX_GUEST_LINUX;
	snprintf(l->append, sizeof(l->append), "memmap=16M$0x%llx", (unsigned long long)DMA_WINDOW);
	s->append = l->append;
	s->viommu = l->cell.v[MX_VIOMMU];
	s->guest_iommu = MX_GI_PT;
	s->invalidation = -1;
	s->buffer_mib = 16;
	s->dirtying = true;
	s->hold_syncs = 3;
	s->release_downtime_ms = t->precise ? 500 : 20000;
	s->expect.skip_unsupported = true;
	s->plan.relay = l->kind == LC_CHANNEL_CLOSED;
	s->plan.dst_may_die =
	    l->kind == LC_DST_KILLED_PRECOPY || l->kind == LC_DST_KILLED_SWITCHOVER;
	s->plan.timeout_ms = 180000;
	s->hooks[h++] = (struct mcase_hook){MCASE_READY, 0, remember_maps, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_SETUP, 0, at_setup, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_SYNC, 2, at_sync, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_PRE_SWITCHOVER, 0, at_preswitch, false};
	if (l->kind == LC_STAYS_STOPPED || l->kind == LC_TRACKING_KEPT)
		s->oracles = MCASE_NO_ORACLES;
	s->data = l;
}

/* The cells: each tracker without a vIOMMU, and the two QEMU 11 migrates behind one. */
static bool wanted(const struct mx_cell *c)
{
	if (!mx_cell_tracker_base(c) || c->v[MX_VIOMMU] == MX_VI_SCALABLE)
		return false;
	/* QEMU blocks device logging behind a vIOMMU in every release. */
	return c->v[MX_VIOMMU] == MX_VI_NONE || c->v[MX_TRACKER] != MX_DEVICE_LOG;
}

static const struct mc_fixture lifecycle_fixture = {
    .name = "lifecycle",
    .order = 4,
    .summary = "cancel and retry, failure and recovery, ping-pong",
};
MC_FIXTURE(lifecycle_fixture)

__attribute__((constructor)) static void lifecycle_register(void)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, nt = 0;
	struct lc_case *cases = calloc(n * LC_COUNT, sizeof(*cases));
	struct mc_test *tests = calloc(n * LC_COUNT, sizeof(*tests));
	int k;

	if (!cases || !tests)
		abort();
	for (i = 0; i < n; i++) {
		if (!wanted(&cells[i]))
			continue;
		for (k = 0; k < LC_COUNT; k++) {
			struct lc_case *l = &cases[nt];

			/* The negative controls once, on device logging without a vIOMMU. */
			if ((k == LC_STAYS_STOPPED || k == LC_TRACKING_KEPT) &&
			    (cells[i].v[MX_TRACKER] != MX_DEVICE_LOG ||
			     cells[i].v[MX_VIOMMU] != MX_VI_NONE))
				continue;
			l->cell = cells[i];
			l->cell.v[MX_GUEST] = MX_GUEST_LINUX;
			mx_cell_name(&l->cell);
			l->kind = k;
			describe(l);
			tests[nt] = (struct mc_test)MC_TEST(
			    "lifecycle", l->cell.variant, kinds[k].test, lifecycle, l,
			    k == LC_PINGPONG ? 1200 : 600, kinds[k].summary);
			tests[nt].axes = l->cell.axes;
			nt++;
		}
	}
	free(cells);
	mc_register_tests(tests, nt);
}
