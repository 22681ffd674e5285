// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/downtime: what each VFIO dirty tracker costs at switchover.
 *
 * One case per tracker migrates the Linux guest at three RAM sizes, with
 * half of guest RAM holding data (a static agent buffer) and the mock
 * device's ring writer running.  The final dirty sync, after the device
 * entered STOP_COPY, tells how much each tracker reported; QEMU's
 * downtime-bytes tell what stop-copy really sent.
 *
 * Pre-copy is held (1 ms downtime limit) until it has made three dirty
 * syncs, so everything was sent once before the switchover.  A precise
 * tracker (device DMA logging, iommufd HWPT dirty tracking) must then send
 * in stop-copy at most twice what was dirty since the last sync: the bytes
 * QEMU still had due when it stopped plus what the final sync reported,
 * plus the device state and a small allowance for pages the idle guest CPU
 * dirtied in that window.  type1's perpetual reporting
 * reports every mapped page and so resends all RAM holding data: that is
 * its documented cost, checked as such.  Each case reports the slope of
 * stop-copy bytes against RAM size and the downtime that slope projects
 * for a 1 TiB guest (same share of data-filled RAM) on a 10 Gb/s link.
 */
#include "matrix.h"
#include "mockdev.h"
#include "pair.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMA_WINDOW 0x8000000ull
#define DMA_APPEND "memmap=16M$0x8000000"
#define CPU_ALLOWANCE (1ull << 20) /* idle guest CPU writes in the final window */
#define NSIZES 3

static const unsigned sizes_mib[NSIZES] = {256, 512, 1024};

struct dt_tracker {
	enum mock_backend backend;
	int tracker; /* MX_DEVICE_LOG, MX_IOMMUFD_HWPT, MX_TYPE1_PERPETUAL */
};

struct dt_point {
	uint64_t ram_bytes;
	uint64_t filled_bytes;
	uint64_t downtime_bytes;
	uint64_t final_reported_bytes;
	uint64_t remaining_at_stop;
	uint64_t vfio_bytes;
	int64_t downtime_ms;
};

struct final_sync_mark {
	struct mock_rig *rig;
	long long first_final; /* sync records from here on are after STOP_COPY */
	uint64_t remaining;    /* RAM bytes QEMU still had to send when it stopped */
	uint64_t release_downtime_ms;
};

/* Pre-copy is held until it has sent everything once, then may converge. */
static int release(struct mig_run *run, void *opaque, char **err)
{
	struct final_sync_mark *m = opaque;

	return mig_run_set_limits(run, 4ull << 30, m->release_downtime_ms, err);
}

/* At pre-switchover the VM (and the device) has stopped; the final sync follows. */
static int mark_final_syncs(struct mig_run *run, void *opaque, char **err)
{
	struct final_sync_mark *m = opaque;
	json_t *dev = mock_rig_device(m->rig, VM_SRC, 0, err), *last, *q;

	if (!dev)
		return -1;
	q = qmp_call(mig_run_src(run)->qmp, "query-migrate", NULL, 10000, err);
	m->remaining = json_integer_value(json_object_get(json_object_get(q, "ram"), "remaining"));
	json_decref(q);
	last = json_array_get(json_object_get(dev, "syncs"),
			      json_array_size(json_object_get(dev, "syncs")) - 1);
	m->first_final = last ? json_integer_value(json_object_get(last, "seq")) + 1 : 0;
	json_decref(dev);
	return 0;
}

static uint64_t final_reported_bytes(json_t *dev, long long first_final)
{
	uint64_t bytes = 0;
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(dev, "syncs"), i, r)
	{
		if (json_integer_value(json_object_get(r, "seq")) < first_final)
			continue;
		bytes += (uint64_t)json_integer_value(json_object_get(r, "dirty")) *
			 (uint64_t)json_integer_value(json_object_get(r, "page_size"));
	}
	return bytes;
}

static int measure(struct mc_case *c, const struct dt_tracker *t, unsigned mib, struct dt_point *pt)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct mock_spec spec = {0};
	struct mock_rig rig = {0};
	struct pair_opts o = {.mem_bytes = (uint64_t)mib << 20, .append = DMA_APPEND};
	struct pair p = {0};
	struct final_sync_mark mark = {.rig = &rig, .first_final = -1};
	struct mig_plan plan = {.return_path = true,
				.pause_before_switchover = true,
				.max_bandwidth = 4ull << 30,
				.downtime_limit_ms = 1,
				.iteration = 3,
				.on_iteration = release,
				.timeout_ms = 180000,
				.on_pre_switchover = mark_final_syncs,
				.opaque = &mark};
	struct mig_result r = {0};
	char *err = NULL, *cmd;
	json_t *reply, *dev = NULL, *ram, *vfio;
	int ret = -1;

	spec.backend = t->backend;
	spec.ndev = 1;
	spec.iommu_dirty = t->tracker == MX_IOMMUFD_HWPT;
	spec.enable_migration = t->tracker == MX_TYPE1_PERPETUAL ? "on" : NULL;
	spec.dev[0].no_dma_logging = t->tracker != MX_DEVICE_LOG;
	spec.dev[0].host_driven = true;
	spec.dev[0].ring_iova = DMA_WINDOW;
	spec.dev[0].ring_pages = 64;
	spec.dev[0].ring_rate_hz = 2000;
	/* Perpetual reporting resends everything: let it converge anyway. */
	mark.release_downtime_ms = t->tracker == MX_TYPE1_PERPETUAL ? 60000 : 300;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	o.extra_args = (const char *const *)rig.args;
	o.env_side[VM_SRC] = (const char *const *)rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)rig.env[VM_DST];
	if (pair_start(c, &o, &p) < 0)
		goto out;
	/* Half of RAM holds data, so resending it costs what it would in production. */
	cmd = mc_strdup_printf("cpu-dirty start mib=%u rate=0", mib / 2);
	reply = pair_agent(c, p.src, cmd, 120000);
	free(cmd);
	if (!reply)
		goto out;
	pt->filled_bytes = (uint64_t)agent_reply_int(reply, "pages", 0) * 4096;
	json_decref(reply);
	reply = pair_agent(c, p.src, "cpu-dirty stop", 10000);
	if (!reply)
		goto out;
	json_decref(reply);

	if (mig_run(p.src, p.dst, &plan, &r, &err) < 0) {
		mc_case_fail(c, "%u MiB: could not drive the migration: %s", mib, err);
		goto out;
	}
	if (!r.status || strcmp(r.status, "completed")) {
		mc_case_fail(c, "%u MiB: migration %s: %s", mib, r.status ? r.status : "?",
			     r.error ? r.error : "no reason given");
		goto out;
	}
	dev = mock_rig_device(&rig, VM_SRC, 0, &err);
	if (!dev || mark.first_final < 0) {
		mc_case_fail(c, "%u MiB: no final dirty sync recorded: %s", mib,
			     err ? err : "the pre-switchover hook did not run");
		goto out;
	}
	ram = json_object_get(r.stats, "ram");
	vfio = json_object_get(r.stats, "vfio");
	pt->ram_bytes = (uint64_t)mib << 20;
	pt->downtime_bytes = json_integer_value(json_object_get(ram, "downtime-bytes"));
	pt->downtime_ms = json_integer_value(json_object_get(r.stats, "downtime"));
	pt->vfio_bytes = json_integer_value(json_object_get(vfio, "transferred"));
	pt->final_reported_bytes = final_reported_bytes(dev, mark.first_final);
	pt->remaining_at_stop = mark.remaining;
	ret = 0;
out:
	json_decref(dev);
	free(err);
	mig_result_clear(&r);
	pair_stop(&p);
	mock_rig_free(&rig);
	return ret;
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
	const struct dt_tracker *t = data;
	struct dt_point pt[NSIZES] = {0};
	json_t *points = json_array();
	double a, b, tib = (double)(1ull << 40), proj_bytes, proj_s, fill_share;
	bool precise = t->tracker != MX_TYPE1_PERPETUAL;
	char *s;
	int i;

	for (i = 0; i < NSIZES; i++) {
		uint64_t bound;
		bool ok;

		if (measure(c, t, sizes_mib[i], &pt[i]) < 0) {
			json_decref(points);
			return;
		}
		/* What was still due at the stop plus what the final sync added. */
		bound = 2 * (pt[i].remaining_at_stop + pt[i].final_reported_bytes) + CPU_ALLOWANCE +
			pt[i].vfio_bytes;
		json_array_append_new(
		    points,
		    json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ram_mib", sizes_mib[i],
			      "filled_bytes", (json_int_t)pt[i].filled_bytes, "downtime_bytes",
			      (json_int_t)pt[i].downtime_bytes, "downtime_ms",
			      (json_int_t)pt[i].downtime_ms, "final_reported_bytes",
			      (json_int_t)pt[i].final_reported_bytes, "remaining_at_stop_bytes",
			      (json_int_t)pt[i].remaining_at_stop, "vfio_bytes",
			      (json_int_t)pt[i].vfio_bytes, "bound_bytes",
			      (json_int_t)(precise ? bound : 0)));
		if (precise) {
			ok = pt[i].downtime_bytes <= bound;
			s = mc_strdup_printf(
			    "%u MiB: stop-copy sent %" PRIu64 " bytes; the tracker "
			    "reported %" PRIu64 " bytes dirty since the last "
			    "sync (bound %" PRIu64 ")",
			    sizes_mib[i], pt[i].downtime_bytes, pt[i].final_reported_bytes, bound);
		} else {
			/* All mapped RAM reported, and the data-filled part resent. */
			ok = pt[i].final_reported_bytes >= pt[i].ram_bytes * 9 / 10 &&
			     pt[i].downtime_bytes >= pt[i].filled_bytes * 8 / 10;
			s = mc_strdup_printf(
			    "%u MiB: the tracker reported %" PRIu64 " bytes dirty "
			    "(all mapped RAM expected) and stop-copy resent %" PRIu64
			    " bytes of %" PRIu64 " bytes of data",
			    sizes_mib[i], pt[i].final_reported_bytes, pt[i].downtime_bytes,
			    pt[i].filled_bytes);
		}
		{
			char name[32];

			snprintf(name, sizeof(name), "stop_copy_%umib", sizes_mib[i]);
			mc_case_oracle(c, name, ok, s, NULL);
		}
		free(s);
	}
	fit(pt, NSIZES, &a, &b);
	fill_share = (double)pt[NSIZES - 1].filled_bytes / pt[NSIZES - 1].ram_bytes;
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

static const struct dt_tracker devlog = {MOCK_TYPE1, MX_DEVICE_LOG};
static const struct dt_tracker hwpt = {MOCK_IOMMUFD, MX_IOMMUFD_HWPT};
static const struct dt_tracker perpetual = {MOCK_TYPE1, MX_TYPE1_PERPETUAL};

static const struct mc_test downtime_tests[] = {
    MC_TEST("downtime", "downtime", "type1_devlog", "scaling", downtime_scaling, &devlog, 400,
	    "device DMA logging at 256 MiB, 512 MiB, 1 GiB: stop-copy bounded by what it "
	    "reports"),
    MC_TEST("downtime", "downtime", "iommufd_hwpt", "scaling", downtime_scaling, &hwpt, 400,
	    "iommufd HWPT dirty tracking at three RAM sizes: stop-copy bounded"),
    MC_TEST("downtime", "downtime", "type1_perpetual", "scaling", downtime_scaling, &perpetual, 600,
	    "type1 perpetual reporting at three RAM sizes: resends all RAM (its cost)"),
};
MC_SUITE(downtime_tests)
