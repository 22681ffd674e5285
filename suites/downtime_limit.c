// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/downtime_limit: does QEMU honour downtime-limit when a VFIO
 * device has state to move?
 *
 * The device carries generated state of three sizes (64 KiB, 256 MiB and
 * 32 MiB in stop-copy, with as much pre-copy initial data and a quarter of
 * it dirtied again).  QEMU is told the switchover bandwidth
 * (avail-switchover-bandwidth), so its switchover threshold is exact:
 * bandwidth / 1000 * limit bytes (migration_update_counters()).  QEMU must
 * switch over only when what is pending, RAM plus the stop-copy size the
 * device reports (vfio_state_pending_exact()), fits under it:
 *
 * - a device whose state fits: QEMU chooses the switchover itself, and the
 *   bytes moved while the source was stopped (RAM downtime bytes plus the
 *   device state QEMU read in stop-copy) stay under the threshold, with an
 *   allowance for what the ring and the idle vCPU wrote after the decision;
 * - a device whose state does not fit: QEMU keeps pre-copy going through
 *   dirty sync 3 (it would never converge), then the limit is raised and
 *   the same bound holds against the raised threshold.
 *
 * switchover-ack is off, so that only the limit can hold pre-copy open.
 *
 * That is the "limit" oracle; its place when it fails is the state size in
 * KiB.  The negative control has the 256 MiB device report a sixteenth of
 * its pending data (the mock's under_report fault): QEMU then switches over
 * at once and moves more than the limit allows, at that size only.
 *
 * Timing is reported, not asserted: QEMU's downtime and the event-derived
 * one against the limit (an overrun is logged with the pending data QEMU
 * knew at the decision), and expected-downtime at the last dirty sync next
 * to what the device reported pending, which expected-downtime leaves out
 * (it is the RAM dirtied in the last sync over the bandwidth).
 */
#include "matrix.h"
#include "migcase.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMA_WINDOW 0x8000000ull
#define RING_PAGES 64
#define CPU_ALLOWANCE (1ull << 20) /* idle guest CPU writes after the decision */
#define SWITCHOVER_BW (1ull << 30) /* bytes/s QEMU is told it has at switchover */
#define LIMIT_MS 100
#define RAISED_MS 1000
#define HELD_SYNC 3 /* a device over the threshold keeps pre-copy going this long */
#define NSTATES 3
#define FAULTY_STATE 1 /* the negative control's run: 256 MiB */

/*
 * 256 MiB runs before 32 MiB: the case stops at its first failure, and the
 * 32 MiB run is where tcg-sync-skips-tlb-reset (defects.json) shows most.
 */
static const uint64_t state_bytes[NSTATES] = {64ull << 10, 256ull << 20, 32ull << 20};

struct dl_point {
	uint64_t state;
	uint64_t limit_ms; /* in force at the switchover */
	bool held;	   /* pre-copy still ran at HELD_SYNC with the limit at LIMIT_MS */
	int passes;
	/* the last dirty sync the harness saw */
	bool sampled;
	int64_t expected_downtime_ms;
	uint64_t sample_pending; /* the device's MIG_DATA_SIZE answer then */
	/* once both sides stopped */
	bool measured;
	uint64_t ram_downtime_bytes, device_stop_bytes, reported_at_stop;
	int64_t downtime_ms;
};

struct dl_case {
	int tracker;
	bool selftest;
	char labels[NSTATES][24];
	struct mcase_spec spec[NSTATES];
	struct dl_point pt[NSTATES];
};

/* QEMU's threshold: integer bytes per ms times the limit (migration_update_counters()). */
static uint64_t threshold(uint64_t limit_ms)
{
	return SWITCHOVER_BW / 1000 * limit_ms;
}

static struct dl_point *point(struct mcase *k)
{
	return (struct dl_point *)mcase_data(k);
}

/* At a dirty sync: what QEMU expects and what the device told it. */
static int sample(struct mcase *k)
{
	struct dl_point *pt = point(k);
	json_t *q = qmp_call(mcase_pair(k)->src->qmp, "query-migrate", NULL, 10000, NULL);
	struct ms_state st;

	if (json_is_integer(json_object_get(q, "expected-downtime"))) {
		pt->expected_downtime_ms =
		    json_integer_value(json_object_get(q, "expected-downtime"));
		pt->sampled = true;
	}
	json_decref(q);
	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	pt->sample_pending = st.dev[0].reported.stop_copy;
	ms_free(&st);
	return 0;
}

/*
 * At HELD_SYNC: a device over the threshold must still be in pre-copy;
 * raise the limit so that it can finish.  A device that fits is left alone.
 */
static int at_held_sync(struct mcase *k)
{
	struct dl_point *pt = point(k);
	char *status = NULL;

	if (sample(k) < 0)
		return -1;
	if (pt->sample_pending <= threshold(LIMIT_MS))
		return 0;
	pt->held = vm_run_state(mcase_pair(k)->src, &status) == 1;
	free(status);
	pt->limit_ms = RAISED_MS;
	return mcase_set_downtime(k, RAISED_MS);
}

/* Both sides stopped: what moved while the source was stopped. */
static int measure(struct mcase *k)
{
	struct dl_point *pt = point(k);
	const struct mig_result *r = mcase_result(k);
	struct ms_state st;

	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	pt->ram_downtime_bytes =
	    json_integer_value(json_object_get(json_object_get(r->stats, "ram"), "downtime-bytes"));
	pt->downtime_ms = json_integer_value(json_object_get(r->stats, "downtime"));
	pt->device_stop_bytes =
	    ms_data_bytes(&st.dev[0], "STOP_COPY") + ms_data_bytes(&st.dev[0], "PRE_COPY_P2P");
	pt->reported_at_stop = st.dev[0].reported.at_stop;
	pt->passes = r->passes;
	ms_free(&st);
	pt->measured = true;
	return 0;
}

static int limit_check(struct mcase *k, struct mcase_verdict *v)
{
	struct dl_point *pt = point(k);
	uint64_t t0 = threshold(LIMIT_MS), t = threshold(pt->limit_ms);
	uint64_t sent, bound;
	bool over = pt->state > t0;

	if (!pt->measured) {
		v->summary = strdup("nothing was measured");
		return -1;
	}
	sent = pt->ram_downtime_bytes + pt->device_stop_bytes;
	bound = t + RING_PAGES * 4096ull + CPU_ALLOWANCE;
	v->pass = sent <= bound && (!over || pt->held);
	if (over && !pt->held)
		v->summary = mc_strdup_printf(
		    "QEMU switched over after %d dirty sync(s) with a device whose %" PRIu64
		    " bytes of state exceed the threshold of %" PRIu64 " bytes (%d ms at %" PRIu64
		    " bytes/s); the device had reported %" PRIu64 " bytes pending; %" PRIu64
		    " bytes moved while stopped",
		    pt->passes, pt->state, t0, LIMIT_MS, (uint64_t)SWITCHOVER_BW,
		    pt->reported_at_stop, sent);
	else
		v->summary = mc_strdup_printf(
		    "%" PRIu64 " bytes moved while stopped (RAM %" PRIu64 ", device %" PRIu64
		    "), bound %" PRIu64 " (threshold %" PRIu64 " at %" PRIu64 " ms%s); the device "
		    "had reported %" PRIu64 " bytes pending at the decision",
		    sent, pt->ram_downtime_bytes, pt->device_stop_bytes, bound, t, pt->limit_ms,
		    over ? ", raised after QEMU held pre-copy" : "", pt->reported_at_stop);
	v->details =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "state_bytes", (json_int_t)pt->state,
		      "threshold_bytes", (json_int_t)t, "limit_ms", (json_int_t)pt->limit_ms,
		      "moved_stopped_bytes", (json_int_t)sent, "bound_bytes", (json_int_t)bound,
		      "reported_at_stop_bytes", (json_int_t)pt->reported_at_stop, "held", pt->held);
	if (!v->pass)
		ranges_add(&v->flagged, pt->state >> 10, 1);
	v->units = !v->pass;
	return 0;
}

static const struct mcase_oracle limit_oracle = {"limit", MCASE_MIGRATED, limit_check};

/* The negative control's fault went into the run of this state size. */
static int faulty_state(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)err;
	ranges_add(out, point(k)->state >> 10, 1);
	return 0;
}

static void describe(struct dl_case *d, int i)
{
	const struct mx_tracker_info *t = mx_tracker_info(d->tracker);
	struct mcase_spec *s = &d->spec[i];
	struct mock_device_spec *dev = &s->mock.dev[0];

	snprintf(d->labels[i], sizeof(d->labels[i]), "%" PRIu64 "kib", state_bytes[i] >> 10);
	s->label = d->labels[i];
	s->guest = MX_GUEST_LINUX;
	s->append = "memmap=16M$0x8000000";
	s->invalidation = -1;
	s->mock.backend = d->tracker == MX_IOMMUFD_HWPT ? MOCK_IOMMUFD : MOCK_TYPE1;
	s->mock.ndev = 1;
	s->mock.iommu_dirty = t->iommu_dirty;
	dev->personality = t->personality;
	dev->host_driven = true;
	dev->ring_iova = DMA_WINDOW;
	dev->ring_pages = RING_PAGES;
	dev->ring_rate_hz = 2000;
	dev->state_initial = state_bytes[i];
	dev->state_dirty = state_bytes[i] / 4;
	dev->state_stop_copy = state_bytes[i];
	if (d->selftest && i == FAULTY_STATE)
		s->mock.faults[VM_SRC] =
		    json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_UNDER_REPORT));
	s->buffer_mib = 16;
	s->plan.max_bandwidth = SWITCHOVER_BW;
	s->plan.switchover_bandwidth = SWITCHOVER_BW;
	s->plan.downtime_limit_ms = LIMIT_MS;
	s->plan.timeout_ms = 240000;
	/*
	 * Without switchover-ack: the destination's acknowledgement of the
	 * device's initial data would hold pre-copy too, and the limit would
	 * not be what is tested.
	 */
	s->no_switchover_ack = true;
	s->hooks[0] = (struct mcase_hook){MCASE_SYNC, 1, sample, true};
	s->hooks[1] = (struct mcase_hook){MCASE_SYNC, 2, sample, true};
	s->hooks[2] = (struct mcase_hook){MCASE_SYNC, HELD_SYNC, at_held_sync, true};
	s->hooks[3] = (struct mcase_hook){MCASE_MIGRATED, 0, measure, false};
	s->extra[0] = &limit_oracle;
	if (d->selftest && i == FAULTY_STATE)
		s->detect[0] = (struct mcase_detect){"limit", faulty_state};
	d->pt[i].state = state_bytes[i];
	d->pt[i].limit_ms = LIMIT_MS;
	s->data = &d->pt[i];
}

/* Timing next to the limit, and expected-downtime next to the device's share. */
static json_t *report_point(struct mc_case *c, const struct dl_point *pt)
{
	uint64_t bw_ms = SWITCHOVER_BW / 1000;
	int64_t device_ms = (int64_t)(pt->sample_pending / bw_ms);

	if (pt->downtime_ms > (int64_t)pt->limit_ms)
		mc_case_log(
		    c,
		    "%" PRIu64 " KiB of state: downtime %" PRId64 " ms over the limit of %" PRIu64
		    " ms; at the decision QEMU knew of %" PRIu64 " bytes of device state and "
		    "moved %" PRIu64 " bytes of RAM while stopped",
		    pt->state >> 10, pt->downtime_ms, pt->limit_ms, pt->reported_at_stop,
		    pt->ram_downtime_bytes);
	if (pt->sampled)
		mc_case_log(
		    c,
		    "%" PRIu64 " KiB of state: expected-downtime %" PRId64 " ms at the last "
		    "sync seen, while the device reported %" PRIu64 " bytes (%" PRId64
		    " ms at the switchover bandwidth) it does not count",
		    pt->state >> 10, pt->expected_downtime_ms, pt->sample_pending, device_ms);
	return json_pack("{s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:b, s:I, s:I}", "state_bytes",
			 (json_int_t)pt->state, "limit_ms", (json_int_t)pt->limit_ms, "downtime_ms",
			 (json_int_t)pt->downtime_ms, "overrun",
			 pt->downtime_ms > (int64_t)pt->limit_ms, "ram_downtime_bytes",
			 (json_int_t)pt->ram_downtime_bytes, "device_stop_copy_bytes",
			 (json_int_t)pt->device_stop_bytes, "reported_at_decision_bytes",
			 (json_int_t)pt->reported_at_stop, "expected_downtime_ms",
			 (json_int_t)pt->expected_downtime_ms, "held", pt->held,
			 "device_pending_at_last_sync_bytes", (json_int_t)pt->sample_pending,
			 "device_pending_ms", (json_int_t)device_ms);
}

static void downtime_limit(struct mc_case *c, const void *data)
{
	const struct dl_case *d = data;
	json_t *points = json_array();
	int i;

	for (i = 0; i < NSTATES; i++) {
		mcase_run(c, &d->spec[i]);
		if (d->pt[i].measured)
			json_array_append_new(points, report_point(c, &d->pt[i]));
		/* A later run's verdict must not hide behind an earlier one's known defect. */
		if (!d->pt[i].measured || mc_case_skipped(c) || mc_case_failed(c))
			break;
	}
	json_object_set_new(mc_case_metrics(c), "downtime_limit",
			    json_pack("{s:I, s:I, s:o}", "switchover_bandwidth",
				      (json_int_t)SWITCHOVER_BW, "limit_ms", (json_int_t)LIMIT_MS,
				      "points", points));
}

static struct dl_case cases[] = {
    {.tracker = MX_DEVICE_LOG},
    {.tracker = MX_IOMMUFD_HWPT},
    {.tracker = MX_DEVICE_LOG, .selftest = true},
};

#define DL(variant, test, i, summary)                                                              \
	MC_TEST("downtime", variant, test, downtime_limit, &cases[i], 900, summary)

static struct mc_test limit_tests[] = {
    DL("type1_devlog", "limit", 0,
       "device state of 64 KiB, 32 MiB, 256 MiB under a 100 ms limit: QEMU switches over only "
       "when it fits, and moves no more than the limit allows"),
    DL("iommufd_hwpt", "limit", 1,
       "the same with iommufd HWPT dirty tracking: the limit holds with device state"),
    DL("type1_devlog", "limit_selftest", 2,
       "negative control: a device that reports a sixteenth of its pending state must break "
       "the limit at 256 MiB only"),
};

__attribute__((constructor)) static void downtime_limit_register(void)
{
	static struct mx_cell cells[3];
	size_t t;
	int i;

	for (t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct mx_cell *cell = &cells[t];

		for (i = 0; i < NSTATES; i++)
			describe(&cases[t], i);
		mx_cell_tracker_cell(cell, cases[t].spec[0].mock.backend, cases[t].tracker);
		limit_tests[t].axes = cell->axes;
	}
	mc_register_tests(limit_tests, sizeof(limit_tests) / sizeof(limit_tests[0]));
}
