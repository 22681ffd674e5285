// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/downtime: what each VFIO dirty tracker costs at switchover.
 *
 * One case per tracker migrates the Linux guest at three RAM sizes, with
 * half of guest RAM holding data (a static agent buffer) and the mock
 * device's ring writer running.  Pre-copy is held (1 ms downtime limit)
 * until it has made three dirty syncs, so everything was sent once before
 * the switchover.
 *
 * A precise tracker (device DMA logging, iommufd HWPT dirty tracking) must
 * then send in stop-copy at most twice what could have changed since the
 * last sync: the RAM QEMU still had due when it stopped plus every page the
 * device can write (its ring and event pages), plus the device state and a
 * small allowance for pages the idle guest CPU dirtied in that window.  The
 * bound comes from what the device can write, never from what the tracker
 * reported, so an over-reporting tracker is caught: the negative control
 * makes DMA logging report everything at the final sync of the 512 MiB run
 * only, and passes only when the bound fails at that size and holds at the
 * others.  type1's perpetual reporting reports every mapped page and so
 * resends all RAM holding data: that is its documented cost, checked as
 * such.  Each case reports the slope of stop-copy bytes against RAM size
 * and the downtime that slope projects for a 1 TiB guest (same share of
 * data-filled RAM) on a 10 Gb/s link.
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
#define CPU_ALLOWANCE (1ull << 20) /* idle guest CPU writes in the final window */
#define NSIZES 3
#define FAULTY_SIZE 1 /* the negative control's run: 512 MiB */

static const unsigned sizes_mib[NSIZES] = {256, 512, 1024};

struct dt_point {
	uint64_t ram_bytes, filled_bytes, downtime_bytes, final_reported_bytes;
	uint64_t remaining_at_stop, vfio_bytes, bound;
	int64_t downtime_ms;
	int64_t first_final; /* sync records from here on came after STOP_COPY */
	bool measured;
	int tracker;
};

struct dt_case {
	int tracker;
	bool selftest;
	char labels[NSIZES][16];
	struct mcase_spec spec[NSIZES];
	struct dt_point pt[NSIZES]; /* filled while the case runs (in its own process) */
};

static struct dt_point *point(struct mcase *k)
{
	return (struct dt_point *)mcase_data(k);
}

/* Before migrating: how much of RAM holds data. */
static int measure_fill(struct mcase *k)
{
	json_t *r = mcase_agent(k, VM_SRC, "cpu-dirty status");

	if (!r)
		return -1;
	point(k)->filled_bytes = (uint64_t)agent_reply_int(r, "pages", 0) * 4096;
	json_decref(r);
	return 0;
}

/* In pre-switchover the VM and the device have stopped; the final sync follows. */
static int mark_final_syncs(struct mcase *k)
{
	struct dt_point *pt = point(k);
	json_t *q = qmp_call(mcase_pair(k)->src->qmp, "query-migrate", NULL, 10000, NULL);
	struct ms_state st;

	pt->remaining_at_stop =
	    json_integer_value(json_object_get(json_object_get(q, "ram"), "remaining"));
	json_decref(q);
	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	pt->first_final =
	    st.dev[0].nsyncs ? (int64_t)st.dev[0].syncs[st.dev[0].nsyncs - 1].seq + 1 : 0;
	ms_free(&st);
	return 0;
}

/* Both sides stopped: what stop-copy sent, and what the tracker reported for it. */
static int measure(struct mcase *k)
{
	struct dt_point *pt = point(k);
	const struct mig_result *r = mcase_result(k);
	json_t *ram = json_object_get(r->stats, "ram");
	struct ms_state st;
	size_t i;

	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	pt->ram_bytes = (uint64_t)mcase_spec(k)->mem_mib << 20;
	pt->downtime_bytes = json_integer_value(json_object_get(ram, "downtime-bytes"));
	pt->downtime_ms = json_integer_value(json_object_get(r->stats, "downtime"));
	pt->vfio_bytes =
	    json_integer_value(json_object_get(json_object_get(r->stats, "vfio"), "transferred"));
	for (i = 0; i < st.dev[0].nsyncs; i++)
		if ((int64_t)st.dev[0].syncs[i].seq >= pt->first_final)
			pt->final_reported_bytes +=
			    st.dev[0].syncs[i].dirty * st.dev[0].syncs[i].page_size;
	ms_free(&st);
	pt->measured = true;
	return 0;
}

static bool precise(int tracker)
{
	return mx_tracker_info(tracker)->precise;
}

/*
 * The stop-copy oracle.  Its place, when it fails, is the run's RAM size as
 * [MiB, MiB + 1): the negative control says at which size it must fail.
 */
static int stop_copy_check(struct mcase *k, struct mcase_verdict *v)
{
	struct dt_point *pt = point(k);
	unsigned mib = mcase_spec(k)->mem_mib;

	if (!pt->measured) {
		v->summary = strdup("nothing was measured");
		return -1;
	}
	if (precise(pt->tracker)) {
		/* What was still due at the stop plus all the device can write. */
		pt->bound = 2 * (pt->remaining_at_stop + RING_PAGES * 4096ull + 4096) +
			    CPU_ALLOWANCE + pt->vfio_bytes;
		v->pass = pt->downtime_bytes <= pt->bound;
		v->summary = mc_strdup_printf(
		    "%u MiB: stop-copy sent %" PRIu64 " bytes, bound %" PRIu64 " (the tracker "
		    "reported %" PRIu64 " bytes at the final sync)",
		    mib, pt->downtime_bytes, pt->bound, pt->final_reported_bytes);
	} else {
		/* All mapped RAM reported, and the data-filled part resent. */
		v->pass = pt->final_reported_bytes >= pt->ram_bytes * 9 / 10 &&
			  pt->downtime_bytes >= pt->filled_bytes * 8 / 10;
		v->summary = mc_strdup_printf(
		    "%u MiB: the tracker reported %" PRIu64 " bytes dirty (all mapped RAM "
		    "expected) and stop-copy resent %" PRIu64 " of %" PRIu64 " bytes of data",
		    mib, pt->final_reported_bytes, pt->downtime_bytes, pt->filled_bytes);
	}
	if (!v->pass)
		ranges_add(&v->flagged, mib, 1);
	v->units = !v->pass;
	return 0;
}

static const struct mcase_oracle stop_copy_oracle = {"stop_copy", MCASE_MIGRATED, stop_copy_check};

/* The negative control's fault went into the run of this size. */
static int faulty_size(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)err;
	ranges_add(out, mcase_spec(k)->mem_mib, 1);
	return 0;
}

static void describe(struct dt_case *d, int i)
{
	const struct mx_tracker_info *t = mx_tracker_info(d->tracker);
	struct mcase_spec *s = &d->spec[i];

	snprintf(d->labels[i], sizeof(d->labels[i]), "%umib", sizes_mib[i]);
	s->label = d->labels[i];
	s->guest = MX_GUEST_LINUX;
	s->mem_mib = sizes_mib[i];
	s->append = "memmap=16M$0x8000000";
	s->invalidation = -1;
	s->mock.backend = d->tracker == MX_IOMMUFD_HWPT ? MOCK_IOMMUFD : MOCK_TYPE1;
	s->mock.ndev = 1;
	s->mock.iommu_dirty = t->iommu_dirty;
	s->mock.enable_migration = t->needs_em_on ? "on" : NULL;
	s->mock.dev[0].personality = t->personality;
	s->mock.dev[0].host_driven = true;
	s->mock.dev[0].ring_iova = DMA_WINDOW;
	s->mock.dev[0].ring_pages = RING_PAGES;
	s->mock.dev[0].ring_rate_hz = 2000;
	if (d->selftest && i == FAULTY_SIZE)
		s->mock.faults[VM_SRC] =
		    json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_REPORT_ALL));
	/* Half of RAM holds data, so resending it costs what it would in production. */
	s->buffer_mib = sizes_mib[i] / 2;
	s->hold_syncs = s->min_syncs = 3;
	/*
	 * QEMU's switchover threshold is 0 until 100 ms of migration have
	 * passed, and a first pass that ends inside that window with nothing
	 * pending completes at once (pre-copy ran 1 sync, seen at 4 GiB/s).
	 * Its rate limiter lets a tenth of the cap through per 100 ms: at
	 * 512 MiB/s the smallest guest's 128 MiB of data outlast the window.
	 */
	s->hold_bandwidth = 512ull << 20;
	/* Perpetual reporting resends everything: let it converge anyway. */
	s->release_downtime_ms = t->precise ? 300 : 60000;
	s->plan.timeout_ms = 180000;
	s->hooks[0] = (struct mcase_hook){MCASE_READY, 0, measure_fill, false};
	s->hooks[1] = (struct mcase_hook){MCASE_PRE_SWITCHOVER, 0, mark_final_syncs, false};
	s->hooks[2] = (struct mcase_hook){MCASE_MIGRATED, 0, measure, false};
	s->oracles = MCASE_RAM | MCASE_VERIFY;
	s->extra[0] = &stop_copy_oracle;
	if (d->selftest && i == FAULTY_SIZE)
		s->detect[0] = (struct mcase_detect){"stop_copy", faulty_size};
	d->pt[i].tracker = d->tracker;
	s->data = &d->pt[i];
}

/* Least squares over the points: bytes = a + b * ram. */
static void fit(const struct dt_point *pt, int n, double *a, double *b)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	int i;

	for (i = 0; i < n; i++) {
		sx += pt[i].ram_bytes;
		sy += pt[i].downtime_bytes;
		sxx += (double)pt[i].ram_bytes * pt[i].ram_bytes;
		sxy += (double)pt[i].ram_bytes * pt[i].downtime_bytes;
	}
	*b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	*a = (sy - *b * sx) / n;
}

static void downtime_scaling(struct mc_case *c, const void *data)
{
	const struct dt_case *d = data;
	json_t *points = json_array();
	double a, b, tib = (double)(1ull << 40), proj_bytes, proj_s, fill_share;
	int i;

	for (i = 0; i < NSIZES; i++) {
		const struct dt_point *pt = &d->pt[i];

		mcase_run(c, &d->spec[i]);
		if (!pt->measured || mc_case_skipped(c) || (!d->selftest && mc_case_failed(c)))
			break;
		json_array_append_new(
		    points,
		    json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ram_mib", sizes_mib[i],
			      "filled_bytes", (json_int_t)pt->filled_bytes, "downtime_bytes",
			      (json_int_t)pt->downtime_bytes, "downtime_ms",
			      (json_int_t)pt->downtime_ms, "final_reported_bytes",
			      (json_int_t)pt->final_reported_bytes, "remaining_at_stop_bytes",
			      (json_int_t)pt->remaining_at_stop, "vfio_bytes",
			      (json_int_t)pt->vfio_bytes, "bound_bytes", (json_int_t)pt->bound));
	}
	if (i < NSIZES || d->selftest) {
		json_decref(points);
		return;
	}
	fit(d->pt, NSIZES, &a, &b);
	fill_share = (double)d->pt[NSIZES - 1].filled_bytes / d->pt[NSIZES - 1].ram_bytes;
	/* A flat line's slope is noise around zero: never project below the intercept. */
	proj_bytes = a + (b > 0 ? b : 0) * tib;
	proj_s = proj_bytes * 8 / 10e9;
	json_object_set_new(mc_case_metrics(c), "downtime",
			    json_pack("{s:o, s:f, s:f, s:f, s:f, s:f}", "points", points,
				      "slope_bytes_per_gib", b * (1 << 30), "intercept_bytes", a,
				      "data_share_of_ram", fill_share,
				      "projected_1tib_stop_copy_bytes", proj_bytes,
				      "projected_1tib_downtime_s_10gbps", proj_s));
	mc_case_log(c, "slope %.0f bytes/GiB, projected 1 TiB downtime %.1f s at 10 Gb/s",
		    b * (1 << 30), proj_s);
}

static struct dt_case cases[] = {
    {.tracker = MX_DEVICE_LOG},
    {.tracker = MX_IOMMUFD_HWPT},
    {.tracker = MX_TYPE1_PERPETUAL},
    {.tracker = MX_DEVICE_LOG, .selftest = true},
};

static const struct mc_fixture downtime_fixture = {
    .name = "downtime",
    .order = 3,
    .summary = "what each dirty tracker costs at switchover",
};
MC_FIXTURE(downtime_fixture)

#define DT(variant, test, i, timeout, summary)                                                     \
	MC_TEST("downtime", variant, test, downtime_scaling, &cases[i], timeout, summary)

static struct mc_test downtime_tests[] = {
    DT("type1_devlog", "scaling", 0, 400,
       "device DMA logging at 256 MiB, 512 MiB, 1 GiB: stop-copy bounded by what the device "
       "can write"),
    DT("iommufd_hwpt", "scaling", 1, 400,
       "iommufd HWPT dirty tracking at three RAM sizes: stop-copy bounded"),
    DT("type1_perpetual", "scaling", 2, 600,
       "type1 perpetual reporting at three RAM sizes: resends all RAM (its cost)"),
    DT("type1_devlog", "bound_selftest", 3, 400,
       "negative control: DMA logging that reports everything at the final sync must break "
       "the bound at that size only"),
};

__attribute__((constructor)) static void downtime_register(void)
{
	static struct mx_cell cells[4];
	size_t t;
	int i;

	for (t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct mx_cell *cell = &cells[t];

		for (i = 0; i < NSIZES; i++)
			describe(&cases[t], i);
		mx_cell_tracker_cell(cell, cases[t].spec[0].mock.backend, cases[t].tracker);
		downtime_tests[t].axes = cell->axes;
	}
	mc_register_tests(downtime_tests, sizeof(downtime_tests) / sizeof(downtime_tests[0]));
}
