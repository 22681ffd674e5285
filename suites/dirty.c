// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/dirty: dirty-tracking correctness with DMA-capable VFIO devices,
 * over the conformance matrix.
 *
 * Every matrix cell that can migrate at all (pre-copy or multifd device
 * state) runs a Linux guest whose mock devices write guest RAM through the
 * IOVA mappings QEMU registered, bypassing QEMU as hardware DMA does: a ring
 * writer stamping sequence numbers throughout, plus event-triggered writes
 * of pages the device never wrote before, at the worst moments (right after
 * a late pre-copy dirty query, and on the arc into STOP_COPY).  The agent
 * dirties its buffer on the CPU and pre-copy is held open for at least three
 * dirty syncs.  Only the VFIO dirty tracker can tell QEMU which pages the
 * devices wrote, so three oracles decide: RAM equality with both sides
 * stopped, the DMA ring (every ring page carries the stamp the migrated
 * sequence number implies) and the agent's verify.
 *
 * A cell QEMU refuses (a migration blocker, a realize error) is skipped with
 * QEMU's own words; the policy suite checks those decisions.  Negative
 * controls inject the mock fault each oracle exists for, and pass only if
 * migcheck reports the failure.
 */
#include "defects.h"
#include "matrix.h"
#include "mockdev.h"
#include "pair.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Guest RAM the guest kernel never uses (memmap=16M$<base>), where DMA goes:
 * at 128 MiB, or at 6 GiB in a 4.5 GiB guest for buffers above 4 GiB.
 */
#define DMA_WINDOW 0x8000000ull
#define DMA_WINDOW_HIGH 0x180000000ull
#define HIGH_GUEST_MIB 4608
#define DEV_STRIDE 0x100000ull	 /* each device's ring, 1 MiB apart */
#define EVENT_OFFSET 0x800000ull /* never-written event pages */
#define RING_PAGES 64
#define RING_RATE_HZ 2000
#define MIN_SYNCS 3
/* The BIOS ROM: QEMU maps it read-only for the device. */
#define ROM_IOVA 0xfffc0000ull

enum negative { NEG_NONE, NEG_DROP_DIRTY, NEG_DMA_AFTER_STOP, NEG_CORRUPT_STREAM, NEG_FAIL_QUERY };

/* Scenarios beyond the plain matrix cell, run on one cell per tracker. */
enum scenario { SC_MATRIX, SC_ABOVE_4G, SC_READONLY, SC_LAST_WRITE, SC_IOPTE_4K };

struct dirty_case {
	struct mx_cell cell;
	enum negative neg;
	enum scenario sc;
};

static uint64_t window(const struct dirty_case *d)
{
	return d->sc == SC_ABOVE_4G ? DMA_WINDOW_HIGH : DMA_WINDOW;
}

static uint64_t ring_iova(const struct dirty_case *d, int k)
{
	return window(d) + k * DEV_STRIDE;
}

/* Written on the arc into STOP_COPY. */
static uint64_t stop_copy_page(const struct dirty_case *d, int k)
{
	return window(d) + EVENT_OFFSET + k * 0x10000;
}

/* Written right after the first dirty query once pre-copy is released. */
static uint64_t late_query_page(const struct dirty_case *d, int k)
{
	return stop_copy_page(d, k) + 0x1000;
}

static const char *tracker_fault_name(int tracker)
{
	switch (tracker) {
	case MX_DEVICE_LOG:
		return "device";
	case MX_IOMMUFD_HWPT:
		return "iommu";
	case MX_TYPE1_PERPETUAL:
		return "type1";
	default:
		return "any";
	}
}

/* The dirty query a tracker's fail_query control breaks. */
static const char *tracker_query_request(int tracker)
{
	return tracker == MX_IOMMUFD_HWPT ? "IOMMU_HWPT_GET_DIRTY_BITMAP"
					  : "VFIO_IOMMU_DIRTY_PAGES";
}

static json_t *faults_for(const struct dirty_case *d)
{
	switch (d->neg) {
	case NEG_DROP_DIRTY:
		return json_pack("[{s:s, s:s, s:f, s:s}]", "kind", "drop_dirty", "tracker",
				 tracker_fault_name(d->cell.v[MX_TRACKER]), "fraction", 1.0, "when",
				 "sync");
	case NEG_DMA_AFTER_STOP:
		return json_pack("[{s:s, s:i}]", "kind", "dma_after_stop", "device", 0);
	case NEG_CORRUPT_STREAM:
		return json_pack("[{s:s, s:i}]", "kind", "corrupt_stream", "device", 0);
	case NEG_FAIL_QUERY:
		/* START and the first syncs succeed; later queries fail. */
		return json_pack("[{s:s, s:s, s:s, s:i}]", "kind", "fail_request", "request",
				 tracker_query_request(d->cell.v[MX_TRACKER]), "errno", "EIO",
				 "after", 4);
	default:
		return NULL;
	}
}

struct hook_ctx {
	struct mc_case *c;
	const struct dirty_case *d;
	struct mock_rig *rig;
	int ndev;
	bool arm_late_query; /* no tracker: QEMU never queries */
	uint64_t release_downtime_ms;
};

/*
 * After the third dirty sync: arm a never-written page right after the next
 * dirty query of each device, then let pre-copy converge.
 */
static int release_and_arm(struct mig_run *run, void *opaque, char **err)
{
	struct hook_ctx *h = opaque;
	int k;

	for (k = 0; k < h->ndev && h->arm_late_query; k++) {
		json_t *dev = mock_rig_device(h->rig, VM_SRC, k, err), *r;
		long long q = json_integer_value(json_object_get(dev, "queries"));

		json_decref(dev);
		if (!dev)
			return -1;
		r = mock_rig_call(h->rig, VM_SRC,
				  json_pack("{s:s, s:i, s:s, s:s, s:I, s:i, s:I}", "cmd", "dma",
					    "device", k, "action", "arm", "on", "dirty_query",
					    "iova", (json_int_t)late_query_page(h->d, k), "pages",
					    1, "n", (json_int_t)(q + 1)),
				  err);
		if (!r)
			return -1;
		json_decref(r);
	}
	return mig_run_set_limits(run, 4ull << 30, h->release_downtime_ms, err);
}

static json_t *dirty_accounting(json_t *dev)
{
	json_t *acct = json_object(), *per = json_object(), *rec;
	long long reported = 0, dropped = 0, written;
	size_t i;

	json_array_foreach(json_object_get(dev, "syncs"), i, rec)
	{
		const char *t = json_string_value(json_object_get(rec, "tracker")) ?: "?";
		json_t *n = json_object_get(per, t);

		json_object_set_new(per, t, json_integer((n ? json_integer_value(n) : 0) + 1));
		reported += json_integer_value(json_object_get(rec, "dirty"));
		dropped += json_integer_value(json_object_get(rec, "dropped"));
	}
	written = json_integer_value(json_object_get(dev, "pages_written_count"));
	json_object_set_new(acct, "syncs_by_tracker", per);
	json_object_set_new(acct, "pages_reported_dirty", json_integer(reported));
	json_object_set_new(acct, "pages_dropped_by_fault", json_integer(dropped));
	json_object_set(acct, "dma_writes", json_object_get(dev, "writes"));
	json_object_set_new(acct, "dma_pages_written", json_integer(written));
	json_object_set(acct, "dma_faults", json_object_get(dev, "faults"));
	/* Pages reported dirty for each page the device really wrote. */
	if (written > 0)
		json_object_set_new(acct, "dirty_amplification",
				    json_real((double)reported / written));
	return acct;
}

static bool wrote_page(json_t *dev, uint64_t iova)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(dev, "pages_written"), i,
			   v) if ((uint64_t)json_integer_value(v) == iova) return true;
	return false;
}

/* Ring oracle for device k; returns the number of wrong ring pages. */
static uint64_t check_ring(struct mc_case *c, const struct dirty_case *d, struct pair *p,
			   json_t *dst_dev, int k, bool record)
{
	json_t *res = json_object_get(dst_dev, "resuming");
	struct ring_check ring;
	uint64_t seq;
	char name[32], *s;

	if (!json_is_true(json_object_get(res, "received"))) {
		mc_case_fail(c, "device %d on the destination received no device state (state %s)",
			     k, json_string_value(json_object_get(dst_dev, "state")) ?: "?");
		return UINT64_MAX;
	}
	seq = (uint64_t)json_integer_value(json_object_get(res, "seq"));
	mock_ring_check(p->dst->ram, p->dst->ram_size, &p->layout, ring_iova(d, k), RING_PAGES, seq,
			&ring);
	if (!record)
		return ring.bad;
	snprintf(name, sizeof(name), k ? "dma_ring%d" : "dma_ring", k);
	s = ring.bad ? mc_strdup_printf("%" PRIu64 " of %" PRIu64 " ring pages wrong, first page "
					"%" PRIu64 " at IOVA 0x%" PRIx64 " (expected stamp %" PRId64
					", found %" PRId64 ")",
					ring.bad, ring.pages, ring.first_bad_page,
					ring_iova(d, k) + ring.first_bad_page * 4096,
					(int64_t)ring.first_expected, (int64_t)ring.first_seen)
		     : mc_strdup_printf("all %" PRIu64 " ring pages carry the stamps sequence "
					"%" PRIu64 " implies",
					ring.pages, seq);
	mc_case_oracle(
	    c, name, ring.bad == 0, s,
	    json_pack("{s:I, s:I}", "seq", (json_int_t)seq, "bad", (json_int_t)ring.bad));
	free(s);
	return ring.bad;
}

/* The negative controls that expect the migration itself to fail. */
static void expect_failed_migration(struct mc_case *c, const struct dirty_case *d,
				    const struct mig_result *r)
{
	const char *what = d->neg == NEG_CORRUPT_STREAM ? "a corrupted device state stream"
							: "a failing dirty query";
	char *s;

	json_object_set_new(mc_case_metrics(c), "migration", mig_metrics(r));
	mc_case_set(c, "migration_status", json_string(r->status ? r->status : "?"));
	if (r->error)
		mc_case_set(c, "migration_error", json_string(r->error));
	s = mc_strdup_printf("%s ended the migration as '%s'%s%s", what, r->status ?: "?",
			     r->error ? ": " : "", r->error ? r->error : "");
	mc_case_oracle(c, "migration_fails", r->status && !strcmp(r->status, "failed"), s, NULL);
	free(s);
}

/*
 * A known QEMU defect turns this case's failure into an XFAIL only when the
 * failure looks exactly like it: here, that every differing page is one the
 * device wrote (the CPU's pages all arrived) and the ring is stale.
 */
static void expect_known_defect(struct mc_case *c, struct pair *p, const struct ram_cmp *cmp,
				uint64_t ring_bad)
{
	struct defect_observation o = {0};
	const json_t *defect;
	json_t *defects;
	char *err = NULL;
	unsigned i;
	bool dma_only = cmp->differing > 0 && ring_bad > 0;

	for (i = 0; i < cmp->nreported && dma_only; i++)
		dma_only =
		    cmp->diff[i].gpa >= DMA_WINDOW && cmp->diff[i].gpa < DMA_WINDOW + (16 << 20);
	if (!dma_only)
		return;
	o.pattern = "dma_pages_lost";
	defects = defects_load(defects_path(), &err);
	if (!defects) {
		mc_case_error(c, "known defects: %s", err);
		free(err);
		return;
	}
	defect = defect_find(defects, mc_case_name(c), qmp_version(p->src->qmp), &o);
	if (defect)
		mc_case_expect_fail(c, "known QEMU defect %s: %s", defect_id(defect),
				    defect_title(defect));
	json_decref(defects);
}

/* A device write to a read-only IOVA (the BIOS ROM) must fault and land nowhere. */
static int check_readonly_write(struct mc_case *c, struct mock_rig *rig)
{
	json_t *before = mock_rig_device(rig, VM_SRC, 0, NULL), *after, *r;
	long long f0 = json_integer_value(json_object_get(before, "faults")), f1, written;
	char *err = NULL, *s;

	r = mock_rig_call(rig, VM_SRC,
			  json_pack("{s:s, s:i, s:s, s:I, s:i, s:i}", "cmd", "dma", "device", 0,
				    "action", "fill", "iova", (json_int_t)ROM_IOVA, "pages", 1,
				    "seed", 7),
			  &err);
	json_decref(before);
	if (!r) {
		mc_case_fail(c, "one-shot fill at the read-only IOVA: %s", err);
		free(err);
		return -1;
	}
	written = json_integer_value(json_object_get(r, "written"));
	json_decref(r);
	after = mock_rig_device(rig, VM_SRC, 0, NULL);
	f1 = json_integer_value(json_object_get(after, "faults"));
	json_decref(after);
	s = mc_strdup_printf("a write to read-only IOVA 0x%llx wrote %lld page(s), faults %lld -> "
			     "%lld",
			     (unsigned long long)ROM_IOVA, written, f0, f1);
	mc_case_oracle(c, "readonly_write_faults", written == 0 && f1 > f0, s, NULL);
	free(s);
	return 0;
}

/* No dirty query over a read-only mapping may report a dirty page. */
static void check_readonly_never_dirty(struct mc_case *c, struct mock_rig *rig, json_t *dev)
{
	json_t *st = mock_rig_call(rig, VM_SRC, json_pack("{s:s}", "cmd", "state"), NULL);
	json_t *ro = json_array(), *space, *m, *rec;
	long long bad = 0, checked = 0;
	size_t i, j, k;
	char *s;

	/* Read-only maps of every type1 container and IOAS. */
	json_array_foreach(json_object_get(st, "containers"), i, space)
	    json_array_foreach(json_object_get(space, "maps"), j,
			       m) if (!(json_integer_value(json_object_get(m, "prot")) & 2))
		json_array_append(ro, m);
	json_array_foreach(json_object_get(st, "iommufd"), i, space)
	    json_array_foreach(json_object_get(space, "maps"), j,
			       m) if (!(json_integer_value(json_object_get(m, "prot")) & 2))
		json_array_append(ro, m);
	json_array_foreach(json_object_get(dev, "syncs"), i, rec)
	{
		uint64_t a = json_integer_value(json_object_get(rec, "iova"));
		uint64_t len = json_integer_value(json_object_get(rec, "length"));
		const char *tr = json_string_value(json_object_get(rec, "tracker"));

		/*
		 * type1 reports every pinned page, read-only ones included
		 * (vfio_iommu_type1.c update_user_bitmap()): only trackers that
		 * see writes can be held to this.
		 */
		if (tr && !strncmp(tr, "type1", 5))
			continue;
		json_array_foreach(ro, k, m)
		{
			uint64_t ma = json_integer_value(json_object_get(m, "iova"));
			uint64_t ml = json_integer_value(json_object_get(m, "length"));

			if (a < ma || a + len > ma + ml)
				continue;
			checked++;
			if (json_integer_value(json_object_get(rec, "dirty")) > 0)
				bad++;
		}
	}
	s = mc_strdup_printf(
	    "%lld dirty queries over %zu read-only mapping(s), %lld reported dirty "
	    "pages",
	    checked, json_array_size(ro), bad);
	mc_case_oracle(c, "readonly_never_dirty", json_array_size(ro) > 0 && bad == 0, s, NULL);
	free(s);
	json_decref(ro);
	json_decref(st);
}

static void dirty_run(struct mc_case *c, const void *data)
{
	const struct dirty_case *d = data;
	const struct mx_cell *cell = &d->cell;
	const struct mc_config *cfg = mc_case_config(c);
	struct mock_spec spec;
	struct mock_rig rig = {0};
	struct pair_opts o = {.mem_bytes = (d->sc == SC_ABOVE_4G ? HIGH_GUEST_MIB : 256ull) << 20,
			      .refusal_skips = true};
	struct pair p = {0};
	struct mig_plan plan = {.return_path = true, .switchover_ack = true, .timeout_ms = 120000};
	struct mig_result r = {0};
	struct hook_ctx hook = {.c = c, .d = d, .rig = &rig};
	static const char *const only_4k[] = {"4K", NULL};
	bool ring = d->sc != SC_LAST_WRITE;
	json_t *faults = faults_for(d), *events[MOCK_MAX_DEV] = {0}, *blockers;
	json_t *src_dev[MOCK_MAX_DEV] = {0}, *dst_dev[MOCK_MAX_DEV] = {0}, *acct;
	const char *const *pre;
	char **args = NULL, *err = NULL, *append = NULL;
	struct ram_cmp cmp;
	uint64_t ring_bad = 0;
	size_t nargs = 0;
	double t0;
	int k, i;

	mc_case_set(c, "cell", mx_cell_json(cell));
	mx_cell_mock_spec(cell, &spec);
	for (k = 0; k < spec.ndev; k++) {
		spec.dev[k].host_driven = true;
		spec.dev[k].ring_iova = ring_iova(d, k);
		/* last_write: the device writes only the two worst-moment pages. */
		spec.dev[k].ring_pages = ring ? RING_PAGES : 0;
		spec.dev[k].ring_rate_hz = RING_RATE_HZ;
		events[k] = json_pack("[{s:s, s:I, s:i}]", "on", "stop_copy", "iova",
				      (json_int_t)stop_copy_page(d, k), "pages", 1);
		spec.dev[k].events = events[k];
	}
	spec.faults[VM_SRC] = faults;
	if (d->sc == SC_IOPTE_4K)
		spec.page_sizes = only_4k;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	/* The vIOMMU must precede the devices on the command line. */
	for (pre = mx_cell_pre_args(cell); *pre; pre++) {
		args = realloc(args, (nargs + 2) * sizeof(*args));
		args[nargs++] = strdup(*pre);
	}
	for (i = 0; rig.args[i]; i++) {
		args = realloc(args, (nargs + 2) * sizeof(*args));
		args[nargs++] = strdup(rig.args[i]);
	}
	args[nargs] = NULL;
	/* With a vIOMMU the guest keeps the device in an identity domain (IOVA = GPA). */
	append =
	    mc_strdup_printf("memmap=16M$0x%" PRIx64 "%s", window(d),
			     cell->v[MX_VIOMMU] == MX_VI_NONE ? "" : " intel_iommu=on iommu=pt");
	o.append = append;
	o.extra_args = (const char *const *)args;
	o.env_side[VM_SRC] = (const char *const *)rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)rig.env[VM_DST];

	if (pair_launch(c, &o, &p) < 0)
		goto out;
	blockers = pair_blockers(p.src);
	if (blockers) {
		char *text = json_dumps(blockers, JSON_COMPACT);

		mc_case_skip(c, "QEMU blocks migration of this cell: %s", text);
		free(text);
		json_decref(blockers);
		goto out;
	}
	if (pair_wait_ready(c, &p) < 0 || pair_start_workload(c, &p, 16, true) < 0)
		goto out;
	if (d->sc == SC_READONLY && check_readonly_write(c, &rig) < 0)
		goto out;

	hook.ndev = spec.ndev;
	hook.arm_late_query = cell->v[MX_TRACKER] != MX_NO_TRACKER;
	/* Perpetual reporting and no tracker resend all RAM every sync. */
	hook.release_downtime_ms =
	    cell->v[MX_TRACKER] == MX_TYPE1_PERPETUAL || cell->v[MX_TRACKER] == MX_NO_TRACKER
		? 20000
		: 500;
	plan.max_bandwidth = PAIR_CAP_BANDWIDTH;
	plan.downtime_limit_ms = 1;
	plan.iteration = MIN_SYNCS;
	plan.on_iteration = release_and_arm;
	plan.opaque = &hook;
	plan.multifd = cell->v[MX_MIGRATION] == MX_MULTIFD;

	if (pair_migrate(c, &p, &plan, &r) < 0)
		goto out;
	if (d->neg == NEG_CORRUPT_STREAM || d->neg == NEG_FAIL_QUERY) {
		expect_failed_migration(c, d, &r);
		goto out;
	}
	if (!pair_record_migration(c, &p, &r))
		goto out;
	pair_check_syncs(c, &r, MIN_SYNCS);

	acct = json_array();
	for (k = 0; k < spec.ndev; k++) {
		src_dev[k] = mock_rig_device(&rig, VM_SRC, k, &err);
		dst_dev[k] = src_dev[k] ? mock_rig_device(&rig, VM_DST, k, &err) : NULL;
		if (!dst_dev[k]) {
			json_decref(acct);
			mc_case_fail(c, "cannot read the mock's state: %s", err);
			goto out;
		}
		json_array_append_new(acct, dirty_accounting(src_dev[k]));
	}
	json_object_set_new(mc_case_metrics(c), "dirty", acct);
	json_object_set_new(mc_case_metrics(c), "device_state_bytes",
			    mock_rig_data_bytes(&rig, VM_SRC));
	if (json_integer_value(json_object_get(src_dev[0], "writes")) == 0) {
		mc_case_error(c, "the mock device never wrote: the DMA workload did not run");
		goto out;
	}

	t0 = mc_now_s();
	ram_compare(p.src->ram, p.dst->ram, p.src->ram_size, 4096, &p.layout, &cmp);
	for (k = 0; k < spec.ndev && ring_bad != UINT64_MAX; k++) {
		uint64_t b = ring ? check_ring(c, d, &p, dst_dev[k], k, d->neg == NEG_NONE) : 0;

		ring_bad = b == UINT64_MAX ? b : ring_bad + b;
	}
	mc_case_phase(c, "oracle", mc_now_s() - t0);
	if (ring_bad == UINT64_MAX)
		goto out;

	if (d->neg != NEG_NONE) {
		/*
		 * Pass only if the loss is caught: a dropped dirty bit by both
		 * the RAM and the ring oracle; DMA after STOP by the RAM oracle
		 * (the source's memory changes after the VM stopped, which no
		 * sync can carry; the ring may still agree with the stamps that
		 * made it across).
		 */
		char *s = ram_cmp_summary(&cmp);

		mc_case_oracle(c, "ram_detects", cmp.differing > 0, s, ram_cmp_json(&cmp));
		free(s);
		if (d->neg == NEG_DROP_DIRTY) {
			s = mc_strdup_printf("%" PRIu64 " ring page(s) do not match the migrated "
					     "sequence",
					     ring_bad);
			mc_case_oracle(c, "ring_detects", ring_bad > 0, s, NULL);
			free(s);
		}
		goto out;
	}
	{
		char *s = ram_cmp_summary(&cmp);

		mc_case_oracle(c, "ram", cmp.differing == 0, s, ram_cmp_json(&cmp));
		free(s);
	}
	expect_known_defect(c, &p, &cmp, ring_bad);
	if (d->sc == SC_READONLY)
		check_readonly_never_dirty(c, &rig, src_dev[0]);
	/* The worst-moment writes must have happened, or the case proved nothing. */
	for (k = 0; k < spec.ndev; k++) {
		bool late = !hook.arm_late_query || wrote_page(src_dev[k], late_query_page(d, k));
		bool stop = wrote_page(src_dev[k], stop_copy_page(d, k));

		if (!late || !stop)
			mc_case_error(c,
				      "device %d: event write %s did not happen: the scenario did "
				      "not run as planned",
				      k, !late ? "after a late dirty query" : "entering STOP_COPY");
	}
	if (pair_resume(c, &p, &r) < 0)
		goto out;
	pair_verify_guest(c, &p);
	pair_record_metrics(c, &p, &r);
out:
	for (k = 0; k < MOCK_MAX_DEV; k++) {
		json_decref(src_dev[k]);
		json_decref(dst_dev[k]);
		json_decref(events[k]);
	}
	for (i = 0; args && args[i]; i++)
		free(args[i]);
	free(args);
	free(append);
	json_decref(faults);
	free(err);
	mig_result_clear(&r);
	pair_stop(&p);
	mock_rig_free(&rig);
}

/* ---- registration ---- */

static const struct {
	const char *test;
	enum negative neg;
	const char *summary;
} negatives[] = {
    {"drop_dirty", NEG_DROP_DIRTY,
     "negative control: the tracker's dirty bits dropped at sync must be caught"},
    {"dma_after_stop", NEG_DMA_AFTER_STOP,
     "negative control: device DMA after STOP must be caught by the ring and RAM oracles"},
    {"corrupt_stream", NEG_CORRUPT_STREAM,
     "negative control: a corrupted device state stream must fail the migration"},
    {"fail_query", NEG_FAIL_QUERY,
     "negative control: a failing dirty query must fail the migration, never complete"},
};

static const struct {
	const char *test;
	enum scenario sc;
	const char *summary;
} scenarios[] = {
    {"above_4g", SC_ABOVE_4G, "DMA buffers above 4 GiB guest physical in a 4.5 GiB guest"},
    {"readonly", SC_READONLY,
     "device writes to a read-only mapping fault; read-only pages are never reported dirty"},
    {"last_write", SC_LAST_WRITE,
     "a device that writes only after a late dirty query and entering STOP_COPY"},
    {"iopte_4k", SC_IOPTE_4K, "IOMMU with 4K pages only: dirty bits per 4K IOPTE"},
};

/* Which cells carry which negative controls: one per tracker where it applies. */
static bool wants_negative(const struct mx_cell *c, enum negative neg)
{
	bool base =
	    c->v[MX_EM] == (c->v[MX_TRACKER] == MX_DEVICE_LOG || c->v[MX_TRACKER] == MX_IOMMUFD_HWPT
				? MX_EM_AUTO
				: MX_EM_ON) &&
	    c->v[MX_VIOMMU] == MX_VI_NONE && c->v[MX_MIGRATION] == MX_PRECOPY &&
	    c->v[MX_DEVICES] == MX_ONE_DEV;

	if (!base || c->v[MX_TRACKER] == MX_NO_TRACKER)
		return false;
	switch (neg) {
	case NEG_DROP_DIRTY:
		return true;
	case NEG_FAIL_QUERY:
		return c->v[MX_TRACKER] != MX_DEVICE_LOG && c->v[MX_BACKEND] != MOCK_IOMMUFD_FD;
	default: /* device-side faults: once, on the device-logging type1 cell */
		return c->v[MX_TRACKER] == MX_DEVICE_LOG && c->v[MX_BACKEND] == MOCK_TYPE1;
	}
}

/* Scenarios run on one plain cell per tracker (type1 device log, iommufd HWPT, type1 perpetual). */
static bool wants_scenario(const struct mx_cell *c, enum scenario sc)
{
	bool base = c->v[MX_VIOMMU] == MX_VI_NONE && c->v[MX_MIGRATION] == MX_PRECOPY &&
		    c->v[MX_DEVICES] == MX_ONE_DEV;

	switch (c->v[MX_TRACKER]) {
	case MX_DEVICE_LOG:
		base = base && c->v[MX_BACKEND] == MOCK_TYPE1 && c->v[MX_EM] == MX_EM_AUTO;
		break;
	case MX_IOMMUFD_HWPT:
		base = base && c->v[MX_BACKEND] == MOCK_IOMMUFD && c->v[MX_EM] == MX_EM_AUTO;
		break;
	case MX_TYPE1_PERPETUAL:
		base = base && c->v[MX_EM] == MX_EM_ON;
		break;
	default:
		return false;
	}
	if (sc == SC_IOPTE_4K)
		return base && c->v[MX_TRACKER] == MX_IOMMUFD_HWPT;
	/* High buffers matter to trackers that log ranges; perpetual reports everything. */
	if (sc == SC_ABOVE_4G)
		return base && c->v[MX_TRACKER] != MX_TYPE1_PERPETUAL;
	return base;
}

__attribute__((constructor)) static void dirty_register(void)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, ntests = 0;
	struct dirty_case *cases = calloc(n * 9, sizeof(*cases));
	struct mc_test *tests = calloc(n * 9, sizeof(*tests));
	unsigned j;

	if (!cases || !tests)
		abort();
	for (i = 0; i < n; i++) {
		if (cells[i].v[MX_MIGRATION] == MX_POSTCOPY)
			continue; /* QEMU refuses postcopy with VFIO: a policy matter */
		for (j = 0; j <= sizeof(negatives) / sizeof(negatives[0]); j++) {
			struct dirty_case *d = &cases[ntests];
			struct mc_test *t = &tests[ntests];

			if (j && !wants_negative(&cells[i], negatives[j - 1].neg))
				continue;
			d->cell = cells[i];
			mx_cell_name(&d->cell);
			d->neg = j ? negatives[j - 1].neg : NEG_NONE;
			*t = (struct mc_test)MC_TEST(
			    "dirty", "dirty", d->cell.variant,
			    j ? negatives[j - 1].test : "migrate", dirty_run, d, 150,
			    j ? negatives[j - 1].summary
			      : "device DMA and CPU dirtying; RAM, DMA ring and verify oracles");
			t->axes = d->cell.axes;
			ntests++;
		}
		for (j = 0; j < sizeof(scenarios) / sizeof(scenarios[0]); j++) {
			struct dirty_case *d = &cases[ntests];
			struct mc_test *t = &tests[ntests];

			if (!wants_scenario(&cells[i], scenarios[j].sc))
				continue;
			d->cell = cells[i];
			mx_cell_name(&d->cell);
			d->sc = scenarios[j].sc;
			*t = (struct mc_test)MC_TEST("dirty", "dirty", d->cell.variant,
						     scenarios[j].test, dirty_run, d, 180,
						     scenarios[j].summary);
			t->axes = d->cell.axes;
			ntests++;
		}
	}
	free(cells);
	mc_register_tests(tests, ntests);
}
