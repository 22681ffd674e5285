// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_linux_mig: the Linux guest's domain switches during
 * migration.
 *
 * Each switch of domain_linux.c (bind+open, close, the iommu_group type,
 * an unmap storm) runs at setup, after dirty sync 2 or as the guest's last
 * action before switchover, while the device holds pre-copy open.  The
 * mock writes a page nobody wrote when the switch's unmap reaches it (a
 * posted write where vfio-pci cleared Bus Master Enable first): only a
 * dirty read at unmap time gets that page to the destination, which the RAM
 * oracle then compares.  mig_highmem places the buffers and the event page
 * above 4 GiB guest-physical and proves it from the mock's mappings;
 * mig_drop_dirty_unmap is the negative control that hides the dirty bits at
 * unmap.
 */
#include "agentlink.h"
#include "domain_linux.h"
#include "matrix.h"
#include "migrate.h"
#include "qemuid.h"
#include "util.h"
#include "vfiomock-abi.h"
#include "vtd_tables.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A window the guest kernel never uses, for event-triggered writes by GPA. */
#define LIN_EVENT_GPA 0x8000000ull
#define LIN_EVENT_APPEND "memmap=16M$0x8000000"
/*
 * A 2.75 GiB guest, the smallest with RAM above 4 GiB on q35 (2 GiB below,
 * 768 MiB from 4 GiB up), and its event page at 4.25 GiB guest-physical,
 * RAM offset 2.25 GiB.  Taken for a RAM offset that address lies past the
 * end of RAM.
 */
#define LIN_HIGH_MEM (2816ull << 20)
#define LIN_HIGH_EVENT_GPA 0x110000000ull
#define LIN_IOVA_LOW 0xc0000000ull /* below the interrupt window, in the PCI hole of q35 */
#define LIN_HIGH_APPEND "memmap=16M$0x110000000"

enum lin_switch { SW_BIND_OPEN, SW_CLOSE, SW_GROUP_TYPE, SW_STORM };
enum lin_phase { PH_SETUP, PH_SYNC, PH_PRESWITCH };
#define LIN_SYNC_N 2
#define LIN_HOLD_BANDWIDTH (512ull << 20) /* threshold 512 KiB < the mock's 1 MiB held */
#define LIN_EVENT_PAGE (LIN_PAGES_A - 1)  /* a buffer page no fill ever wrote */

struct lin_mig {
	struct lin d;
	enum lin_switch sw;
	enum lin_phase ph;
	bool high, drop_dirty;
	bool switched, event_expected, released;
	int sync_at;
	double pass_past_event; /* wall clock when the pass was seen past the event page */
	uint64_t event_iova, event_gpa;
	uint64_t iova_a, phys; /* where close maps its buffers, and from which GPA (0: anywhere) */
	char *early;	       /* why the switch's phase never came (pre-copy ended first) */
};

static const char *const lin_switch_name[] = {
    "bind+open (default -> blocked -> unmanaged)", "close (unmanaged -> blocked -> default)",
    "iommu_group type identity -> DMA", "unmap storm (256 x UNMAP_DMA)"};

/* The guest's switch, through the agent's command channel, at the planned moment. */
/*
 * A tracker that reports every mapped page dirty (type1) re-dirties all of
 * RAM at each sync, so a write that lands before the pass has sent its page
 * is sent anyway, right or wrong.  Before a switch, wait until QEMU reports
 * fewer bytes left in this pass than lie from the event page to the end of
 * RAM: the pass has sent it.  An order, not a delay; the bound is only for
 * a pass that never gets there.
 */
static void lin_wait_pass_past_event(struct lin_mig *m)
{
	struct lin *d = &m->d;
	uint64_t off = ram_layout_offset(&d->p.layout, m->event_gpa), after, left = UINT64_MAX;
	double t0 = mc_now_s();

	if (!m->event_expected || off == UINT64_MAX || off >= d->p.src->ram_size)
		return;
	after = d->p.src->ram_size - off - VTD_PAGE;
	while (mc_now_s() - t0 < 300) {
		json_t *q = qmp_call(d->p.src->qmp, "query-migrate", NULL, 10000, NULL);
		const json_t *rem = json_object_get(json_object_get(q, "ram"), "remaining");
		const char *st = json_string_value(json_object_get(q, "status"));
		/* In "setup" QEMU reports no RAM figures yet: the pass has not begun. */
		bool starting = !rem && st && !strcmp(st, "setup");

		left = rem ? (uint64_t)json_integer_value(rem) : 0;
		json_decref(q);
		if (starting) {
			usleep(50000);
			continue;
		}
		if (!rem || left < after) {
			m->pass_past_event = mc_wall_s();
			break;
		}
		usleep(50000);
	}
	mc_case_log(d->w.c,
		    "switch: the pass has %" PRIu64 " bytes left; %" PRIu64
		    " lie after the event page (RAM offset 0x%" PRIx64 ")",
		    left, after, off);
}

static int lin_switch_now(struct lin_mig *m, char **err)
{
	char storm[96];
	const char *const cmds[][4] = {
	    [SW_BIND_OPEN] = {"dev bind driver=vfio-pci", "vfio open", "vfio enable", NULL},
	    [SW_CLOSE] = {"vfio close", NULL},
	    [SW_GROUP_TYPE] = {"dev group-type type=DMA", NULL},
	    [SW_STORM] = {storm, NULL},
	};
	const char *const *c = cmds[m->sw];
	json_t *r;

	/* The storm unmaps, page by page, all it mapped before the migration. */
	snprintf(storm, sizeof(storm), "vfio unmap iova=0x%" PRIx64 " pages=%d each=1",
		 (uint64_t)LIN_IOVA_STORM, 2 * LIN_STORM_HALF);

	for (; *c; c++) {
		r = agentlink_cmd(m->d.p.src->agent, *c, LIN_CMD_MS, err);
		if (!r)
			return -1;
		mc_case_log(m->d.w.c, "switch: %s -> %s", *c,
			    json_string_value(json_object_get(r, "_text")));
		json_decref(r);
	}
	m->switched = true;
	return 0;
}

static bool lin_wrote(const json_t *dev, uint64_t iova)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(dev, "pages_written"), i, w)
	{
		if ((uint64_t)json_integer_value(w) == iova)
			return true;
	}
	return false;
}

/*
 * The guest's switch may end before its unmap does: closing the container
 * returns while the kernel still tears the domain down.  The switch is over
 * when the unmap reached the event page, so the hold stays until then (an
 * order; the bound only ends a wait for an unmap that never comes, which
 * the case then reports with the event's fate).  Seen: at most 0.1 s after
 * the agent's answer in 186 switches of the whole matrix; a defect that
 * never unmaps would otherwise cost every such case the whole bound.
 */
#define LIN_EVENT_WAIT_S 10.0 /* times MIGCHECK_TIME_SCALE */

static void lin_wait_event(struct lin_mig *m)
{
	const double bound = LIN_EVENT_WAIT_S * mc_time_scale();
	double t0 = mc_now_s();
	bool fired = false;

	if (!m->event_expected)
		return;
	while (!fired && mc_now_s() - t0 < bound) {
		json_t *dev = mock_rig_device(&m->d.rig, VM_SRC, 0, NULL);

		fired = dev && lin_wrote(dev, m->event_iova);
		json_decref(dev);
		if (!fired)
			usleep(50000);
	}
	mc_case_log(m->d.w.c, "switch: the unmap event at 0x%" PRIx64 " %s after %.2f s",
		    m->event_iova, fired ? "fired" : "had not fired", mc_now_s() - t0);
}

/*
 * At setup too the first pass must be past the event page: a write it has
 * yet to reach is sent by it, whatever dirty tracking did, and how far it
 * got when the guest switched was the host's speed, not the case's plan.
 */
static int lin_hook_setup(struct mig_run *run, void *opaque, char **err)
{
	struct lin_mig *m = opaque;

	(void)run;
	if (m->ph != PH_SETUP)
		return 0;
	lin_wait_pass_past_event(m);
	return lin_switch_now(m, err);
}

/* After dirty sync N: the switch (sync/pre-switchover phases), then let it converge. */
static int lin_hook_sync(struct mig_run *run, int n, void *opaque, char **err)
{
	struct lin_mig *m = opaque;
	const struct lin_variant *v = m->d.v;
	json_t *r;

	if (m->ph != PH_SETUP) {
		char *status = NULL;

		lin_wait_pass_past_event(m);
		/*
		 * QEMU may have stopped the guest for switchover right after
		 * this sync: a switch now would wait on a stopped guest.
		 */
		if (vm_run_state(m->d.p.src, &status) != 1) {
			m->early = mc_strdup_printf("pre-copy ended at dirty sync %d, before the "
						    "switch could run (source %s)",
						    n, status);
			*err = strdup(m->early);
			free(status);
			return -1;
		}
		free(status);
		if (lin_switch_now(m, err) < 0)
			return -1;
	}
	lin_wait_event(m);
	/* The switch is done: the device stops holding pre-copy open. */
	r = mock_rig_call(&m->d.rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_RELEASE), err);
	if (!r)
		return -1;
	m->released = true;
	json_decref(r);
	/* type1 reports every mapped page dirty: the last pass is big. */
	return mig_run_set_limits(run, 4ull << 30, v->backend == MOCK_TYPE1 ? 20000 : 2000, err);
}

/* The GPA an IOVA reaches through the agent's MAP_DMA set; in an identity domain, itself. */
static uint64_t lin_iova_gpa(const struct lin *d, uint64_t iova)
{
	size_t i;

	for (i = 0; i < d->maps.n; i++) {
		const struct coh_run *r = &d->maps.v[i];

		if (iova >= r->iova && iova - r->iova < r->len)
			return r->gpa + (iova - r->iova);
	}
	return iova;
}

/*
 * Where the event page really is, from the mock's mappings: the mapping
 * holding its IOVA reaches a page of the guest's RAM file, which must be
 * the one QEMU's memory map gives for its GPA, above 4 GiB where the case
 * says so (the placement oracle); anything else is the case's error.
 */
static bool lin_placement(struct lin_mig *m)
{
	struct lin *d = &m->d;
	json_t *det = NULL;
	char *sum = NULL;
	bool ok = mock_rig_placement(&d->rig, VM_SRC, d->p.src, &d->p.layout, m->event_iova,
				     m->event_gpa, m->high ? 4ull << 30 : 0, &sum, &det);

	mc_case_set(d->w.c, "event", json_incref(det));
	if (ok)
		mc_case_oracle(d->w.c, "placement", true, sum, det);
	else {
		mc_case_error(d->w.c, "the event page is not where the case placed it: %s", sum);
		json_decref(det);
	}
	free(sum);
	return ok;
}

/*
 * Whether the guest CPU's own writes were lost: no differing page is one
 * the device could have written (the event page, the guest's DMA buffers,
 * any page the mock says it wrote).  The known-defects table names that
 * RAM_LOSS_CPU, apart from the device's losses this suite is about.
 */
static bool lin_cpu_loss(struct lin_mig *m, const json_t *dev, const struct ram_cmp *cmp)
{
	struct lin *d = &m->d;
	struct mc_ranges dma;
	const json_t *w;
	const char *sig;
	size_t i;
	bool cpu;

	/* The mock lists the first pages it wrote: past that, nobody can say. */
	if (!dev || json_integer_value(json_object_get(dev, VFM_ST_PAGES_WRITTEN_COUNT)) >
			(json_int_t)json_array_size(json_object_get(dev, VFM_ST_PAGES_WRITTEN)))
		return false;
	ranges_init(&dma);
	if (m->event_expected)
		ranges_add(&dma, m->event_gpa & ~(uint64_t)(VTD_PAGE - 1), VTD_PAGE);
	for (i = 0; i < d->maps.n; i++)
		ranges_add(&dma, d->maps.v[i].gpa, d->maps.v[i].len);
	json_array_foreach(json_object_get(dev, VFM_ST_PAGES_WRITTEN), i, w)
	{
		uint64_t gpa = lin_iova_gpa(d, (uint64_t)json_integer_value(w));

		ranges_add(&dma, gpa & ~(uint64_t)(VTD_PAGE - 1), VTD_PAGE);
	}
	sig = ram_loss_signature(&cmp->where, &dma);
	cpu = sig && !strcmp(sig, RAM_LOSS_CPU);
	ranges_free(&dma);
	return cpu;
}

/* Dirty pages the mock's drop fault hid from QEMU's reads (its sync log). */
static uint64_t lin_dropped(const json_t *dev)
{
	const json_t *r;
	uint64_t n = 0;
	size_t i;

	json_array_foreach(json_object_get(dev, "syncs"), i, r)
	{
		n += json_integer_value(json_object_get(r, "dropped"));
	}
	return n;
}

/*
 * The event page arrived.  A dirty read that reported it after the pass
 * had sent it, and before the device wrote it, put it back in the pass
 * under way (type1 reports every mapped page at each sync), so the write
 * could arrive however QEMU handled the unmap: the pass proves nothing
 * about the unmap this time.  A loss would still have been proof.
 */
static void lin_rereported(struct lin_mig *m)
{
	struct lin *d = &m->d;
	int n;

	if (!m->event_expected || !m->pass_past_event)
		return;
	n = mock_rig_dirty_reads_before_write(&d->rig, VM_SRC, m->event_iova, m->pass_past_event);
	if (n <= 0)
		return;
	free(d->w.inconclusive);
	d->w.inconclusive = mc_strdup_printf(
	    "%d dirty read(s) reported the event page (IOVA 0x%" PRIx64 ") dirty after the pass "
	    "had sent it and before the device wrote it, so the pass that followed could carry "
	    "the write whatever the unmap did",
	    n, m->event_iova);
	mc_case_log(d->w.c, "event page re-reported: %s", d->w.inconclusive);
}

/* What the mock's log says of the event write: spent with BME off, or never due. */
static const char *lin_event_fate(struct lin *d)
{
	char *log = mc_read_file(d->rig.log[VM_SRC], NULL), *line, *save = NULL;
	const char *fate = "no unmap reached it";

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "\"event_write\""))
			continue;
		fate = strstr(line, "\"bus_master\":false")
			   ? "the unmap reached it while Bus Master Enable was off"
			   : "it wrote elsewhere";
	}
	free(log);
	return fate;
}

/*
 * The event never fired: does the device still reach its IOVA?  The
 * guest's switch took the mapping away, so QEMU should have unmapped it
 * (reading its dirty bits then); a mapping still there is QEMU's failure,
 * the stale mapping the coherence oracle names, not the scenario's.
 */
static bool lin_still_mapped(struct lin_mig *m)
{
	struct lin *d = &m->d;
	struct coh_set got;
	char *err = NULL;
	json_t *st =
	    mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), &err);
	bool stale = false;
	size_t i;

	coh_set_init(&got);
	if (st && coh_from_mock(&got, st, &d->ram, &err) == 0) {
		for (i = 0; i < got.n && !stale; i++)
			stale = m->event_iova >= got.v[i].iova &&
				m->event_iova - got.v[i].iova < got.v[i].len;
	}
	if (stale) {
		char *s = mc_strdup_printf(
		    "after the switch the device still reaches IOVA 0x%" PRIx64
		    ", which the guest's domain no longer maps: QEMU never unmapped it "
		    "(nor read its dirty bits)",
		    m->event_iova);

		dom_pattern(&d->w, "stale_after_switch");
		dom_oracle_failed(&d->w, "coherence", s,
				  json_pack("{s:I}", "stale_iova", (json_int_t)m->event_iova));
		free(s);
	}
	json_decref(st);
	coh_set_free(&got);
	free(err);
	return stale;
}

/* Right before switchover the event write must have happened (the VM is stopped). */
static int lin_hook_preswitch(struct mig_run *run, void *opaque, char **err)
{
	struct lin_mig *m = opaque;
	json_t *dev;

	(void)run;
	if (!m->event_expected)
		return 0;
	dev = mock_rig_device(&m->d.rig, VM_SRC, 0, err);
	if (!dev)
		return -1;
	if (!lin_wrote(dev, m->event_iova))
		mc_case_log(m->d.w.c,
			    "pre-switchover: the unmap event at 0x%" PRIx64 " has not fired yet",
			    m->event_iova);
	json_decref(dev);
	return 0;
}

static uint64_t mem_available(void)
{
	char *s = mc_read_file("/proc/meminfo", NULL), *p;
	uint64_t kib = 0;

	p = s ? strstr(s, "MemAvailable:") : NULL;
	if (p)
		kib = strtoull(p + 13, NULL, 10);
	free(s);
	return kib << 10;
}

static int lin_hook(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err)
{
	struct lin_mig *m = opaque;

	switch (at) {
	case MIG_AT_SETUP:
		return lin_hook_setup(run, opaque, err);
	case MIG_AT_SYNC:
		return !m->released && n >= m->sync_at ? lin_hook_sync(run, n, opaque, err) : 0;
	case MIG_AT_PRE_SWITCHOVER:
		return lin_hook_preswitch(run, opaque, err);
	}
	return 0;
}

/* The guest state before migration, from which the switch starts. */
static bool lin_prepare(struct lin_mig *m)
{
	struct lin *d = &m->d;

	/*
	 * Leaving the identity domain: the device is bus-mastering there, as
	 * under a driver.  Binding vfio-pci clears BME before the domain
	 * changes, so the unmap's event write is a posted one.
	 */
	switch (m->sw) {
	case SW_BIND_OPEN:
		return !d->v->pt || lin_cmd(d, "BME on (identity)", "dev enable");
	case SW_GROUP_TYPE:
		return (d->v->pt || lin_cmd(d, "to identity", "dev group-type type=identity")) &&
		       lin_cmd(d, "BME on (identity)", "dev enable");
	case SW_CLOSE:
		return lin_bind_open(d) &&
		       lin_map_at(d, "map A", m->iova_a, LIN_PAGES_A, true, false, m->phys) &&
		       lin_fill(d, "map A", m->iova_a, LIN_PAGES_A / 2, true);
	case SW_STORM:
		return lin_bind_open(d) &&
		       lin_map(d, "storm map", LIN_IOVA_STORM, 2 * LIN_STORM_HALF, true, true) &&
		       lin_fill(d, "storm map", LIN_IOVA_STORM, 8, true);
	}
	return false;
}

static void lin_migrate(struct mc_case *c, const struct lin_variant *v, enum lin_switch sw,
			enum lin_phase ph, bool high, bool drop_dirty)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct lin_mig m = {
	    .sw = sw, .ph = ph, .high = high, .drop_dirty = drop_dirty, .iova_a = LIN_IOVA_A};
	struct lin *d = &m.d;
	struct pair_opts o = {.mem_bytes = high ? LIN_HIGH_MEM : 256ull << 20};
	/* Pre-copy scans all of RAM for zero pages: slow for a big guest on a loaded host. */
	struct mig_plan plan = {.return_path = true, .timeout_ms = high ? 600000 : 180000};
	struct mig_result r = {0};
	struct mock_spec spec;
	json_t *events = NULL, *faults = NULL, *blockers, *dev = NULL;
	uint64_t event_gpa = high ? LIN_HIGH_EVENT_GPA : LIN_EVENT_GPA, match, match_len;
	char *err = NULL;
	struct ram_cmp cmp = {0};

	lin_init(d, c, v);
	/*
	 * Above 4 GiB: close maps its buffers from the reserved window at 4.25
	 * GiB guest-physical, at an IOVA below the interrupt window (IOVAs
	 * above it take another path in intel-iommu).
	 */
	if (high && sw == SW_CLOSE) {
		m.iova_a = LIN_IOVA_LOW;
		m.phys = LIN_HIGH_EVENT_GPA;
	}
	/* The negative control needs QEMU's unmap-time read, which IOVAs this low get. */
	if (drop_dirty)
		m.iova_a = LIN_IOVA_LOW;
	if (high && mem_available() < (4ull << 30)) {
		d->skipped = true;
		mc_case_skip(c,
			     "a guest with RAM above 4 GiB needs about 4 GiB available "
			     "on the host (%" PRIu64 " MiB available)",
			     mem_available() >> 20);
		goto out;
	}
	/* Where the unmap reaches a page nobody wrote: the mock writes it then. */
	switch (sw) {
	case SW_CLOSE:
		m.event_iova = m.iova_a + LIN_EVENT_PAGE * VTD_PAGE;
		match = m.iova_a;
		match_len = LIN_PAGES_A * VTD_PAGE;
		m.event_expected = true;
		break;
	case SW_STORM:
		m.event_iova = LIN_IOVA_STORM + (2 * LIN_STORM_HALF - 1) * VTD_PAGE;
		match = m.event_iova;
		match_len = VTD_PAGE;
		m.event_expected = true;
		break;
	default:
		/* Leaving an identity domain unmaps all RAM: a reserved page by GPA. */
		m.event_iova = match = event_gpa;
		match_len = VTD_PAGE;
		m.event_expected = sw == SW_GROUP_TYPE || v->pt;
		break;
	}
	/*
	 * Armed right before the migration (firmware start-up unmaps all RAM
	 * too).  vfio-pci clears BME before the domain changes at bind and
	 * close: the write is one the device posted while still mastering.
	 */
	events =
	    json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:b}", VFM_CTL_CMD, VFM_CTL_DMA,
		      VFM_KEY_ACTION, VFM_DMA_ARM, VFM_KEY_ON, vfm_event_name(VFM_EV_UNMAP),
		      VFM_KEY_IOVA, (json_int_t)m.event_iova, VFM_KEY_PAGES, 1, VFM_KEY_MATCH_IOVA,
		      (json_int_t)match, VFM_KEY_MATCH_LEN, (json_int_t)match_len, VFM_KEY_POSTED,
		      sw == SW_BIND_OPEN || sw == SW_CLOSE);
	if (drop_dirty)
		faults = json_pack("[{s:s, s:s, s:s}]", VFM_KEY_KIND,
				   vfm_fault_name(VFM_FAULT_DROP_DIRTY), VFM_KEY_TRACKER,
				   vfm_tracker_name(VFM_TRACKER_ANY), VFM_KEY_WHEN,
				   vfm_when_name(VFM_WHEN_UNMAP));
	lin_mock_spec(v, &spec);
	spec.faults[VM_SRC] = faults;
	/*
	 * The trackers migration with a vIOMMU can use: the IOMMU's (iommufd
	 * HWPT) or type1's with enable-migration=on; no device DMA logging.
	 * Where QEMU refuses the device outright that is its answer too.
	 */
	spec.dev[0].personality = VFM_PERS_NO_TRACKER;
	spec.enable_migration = v->backend == MOCK_TYPE1 ? "on" : NULL;
	spec.iommu_dirty = v->backend != MOCK_TYPE1;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	/* Paused: the identity set is read before the guest enables translation. */
	d->args = lin_args(v, &d->rig, true);
	if (!d->args) {
		d->skipped = true;
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		goto out;
	}
	d->append = lin_cmdline(v, high ? LIN_HIGH_APPEND : LIN_EVENT_APPEND);
	o.append = d->append;
	o.extra_args = (const char *const *)d->args;
	o.env_side[VM_SRC] = (const char *const *)d->rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)d->rig.env[VM_DST];
	o.refusal_skips = true;
	if (pair_launch(c, &o, &d->p) < 0)
		goto out;
	d->launched = true;
	/* Probe the system under test, not its version string. */
	blockers = pair_blockers(d->p.src);
	if (blockers) {
		char *text = json_dumps(blockers, JSON_COMPACT);

		d->skipped = true;
		if (drop_dirty)
			mc_case_skip(c,
				     "the unmap negative control needs migration with a vIOMMU, "
				     "which QEMU blocks: %s",
				     text);
		else
			mc_case_skip(c, "QEMU blocks migration with a vIOMMU: %s", text);
		free(text);
		json_decref(blockers);
		goto out;
	}
	if (lin_baseline_and_cont(d, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	if (pair_wait_ready(c, &d->p) < 0 || !lin_cmd(d, "modules", "modules load") ||
	    !lin_cmd(d, "find", "dev find"))
		goto out;
	d->dom = d->dflt = v->pt ? LD_IDENTITY : LD_DMA;
	if (!lin_prepare(&m) || pair_start_workload(c, &d->p, 8, true) < 0)
		goto out;
	/* The guest page the event writes: by GPA, or behind the agent's mapping. */
	m.event_gpa = lin_iova_gpa(d, m.event_iova);
	if (m.event_expected && !lin_placement(&m))
		goto out;
	mc_case_log(c, "switch %s during migration, %s", lin_switch_name[sw],
		    ph == PH_SETUP  ? "at setup"
		    : ph == PH_SYNC ? "after dirty sync 2"
				    : "as the last guest action before "
				      "switchover");
	/*
	 * The device's held state keeps pre-copy open, so the cap only has to
	 * keep QEMU's switchover threshold (bandwidth x 1 ms) below it.
	 */
	plan.max_bandwidth = LIN_HOLD_BANDWIDTH;
	plan.switchover_bandwidth = LIN_HOLD_BANDWIDTH;
	plan.downtime_limit_ms = 1;
	m.sync_at = ph == PH_PRESWITCH ? LIN_SYNC_N + 1 : LIN_SYNC_N;
	plan.hook = lin_hook;
	plan.pause_before_switchover = true;
	plan.opaque = &m;
	/*
	 * The device holds pre-copy open (pending state) until the switch is
	 * done: a guest busy switching stops dirtying memory, and pre-copy
	 * must not converge and stop it halfway.
	 */
	dev = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_HOLD), &err);
	if (dev && m.event_expected) {
		json_decref(dev);
		dev = mock_rig_call(&d->rig, VM_SRC, json_incref(events), &err);
	}
	if (!dev) {
		mc_case_error(c, "cannot hold pre-copy and arm the event: %s", err);
		goto out;
	}
	json_decref(dev);
	dev = NULL;
	if (mig_run(d->p.src, d->p.dst, &plan, &r, &err) < 0) {
		lin_alive(d, "migration");
		if (!d->w.crashed)
			mc_case_fail(c, "could not drive the migration: %s", err);
		goto out;
	}
	if (!m.switched && m.early) {
		mc_case_error(c, "the switch did not run at the planned phase: %s", m.early);
		goto out;
	}
	if (!m.switched) {
		/*
		 * A hook that failed cancelled the migration and said why.  A
		 * closed agent channel usually means QEMU is dying (a core dump
		 * takes a while): let it be reaped so the crash is the reason.
		 */
		if (r.error && strstr(r.error, "channel closed"))
			mc_proc_wait(&d->p.src->proc, 30000);
		if (lin_alive(d, "switch during migration") && r.error &&
		    !strcmp(r.status, "cancelled"))
			mc_case_fail(c, "the guest's switch during migration did not complete: %s",
				     r.error);
		else if (!d->w.crashed && r.error)
			mc_case_fail(c, "the migration ended before the switch's phase: %s",
				     r.error);
		else if (!d->w.crashed)
			mc_case_error(c,
				      "the switch did not run at the planned phase (migration %s)",
				      r.status ? r.status : "?");
		goto out;
	}
	if (!pair_record_migration(c, &d->p, &r))
		goto out;
	dev = mock_rig_device(&d->rig, VM_SRC, 0, &err);
	if (m.event_expected && dev && !lin_wrote(dev, m.event_iova)) {
		if (!lin_still_mapped(&m))
			mc_case_error(c,
				      "the unmap event at 0x%" PRIx64 " never fired: the scenario "
				      "did not run as planned (%s)",
				      m.event_iova, lin_event_fate(d));
		goto out;
	}
	if (drop_dirty) {
		uint64_t dropped = lin_dropped(dev);
		char *s, *sum;

		/* The fault must have hidden the page from an unmap-time read QEMU made. */
		if (!dropped) {
			mc_case_error(c, "the drop_dirty fault never applied: QEMU made no "
					 "unmap-time dirty read that reported the event page");
			goto out;
		}
		ram_compare(d->p.src->ram, d->p.dst->ram, d->p.src->ram_size, 4096, &d->p.layout,
			    &cmp);
		s = ram_cmp_summary(&cmp);
		sum = mc_strdup_printf("%s; the mock hid %" PRIu64 " dirty page(s) at unmap", s,
				       dropped);
		/* Exactly the page whose bit was hidden, and nothing else. */
		mc_case_oracle(c, "ram_detects",
			       cmp.differing == 1 && cmp.diff[0].gpa == m.event_gpa, sum,
			       ram_cmp_json(&cmp));
		free(sum);
		free(s);
		goto out;
	}
	if (!pair_ram_oracle(c, &d->p, &cmp)) {
		char *sum = ram_cmp_summary(&cmp);

		/* The signature of a lost unmap-time write: exactly the event page differs. */
		if (m.event_expected && cmp.differing == 1 && cmp.diff[0].gpa == m.event_gpa)
			dom_pattern(&d->w, "event_page_lost");
		else if (lin_cpu_loss(&m, dev, &cmp))
			dom_pattern(&d->w, RAM_LOSS_CPU);
		dom_observed(&d->w, sum);
		free(sum);
		goto out;
	}
	lin_rereported(&m);
	if (pair_resume(c, &d->p, &r) == 0)
		pair_record_metrics(c, &d->p, &r);
out:
	ram_cmp_free(&cmp);
	json_decref(dev);
	json_decref(events);
	json_decref(faults);
	mig_result_clear(&r);
	free(m.early);
	free(err);
	lin_teardown(d);
}

#define LIN_MIG(sw, ph, SW, PH)                                                                    \
	void linux_mig_##sw##_##ph(struct mc_case *c, const void *data)                            \
	{                                                                                          \
		lin_migrate(c, data, SW, PH, false, false);                                        \
	}
LIN_MIG(bind_open, setup, SW_BIND_OPEN, PH_SETUP)
LIN_MIG(bind_open, sync2, SW_BIND_OPEN, PH_SYNC)
LIN_MIG(bind_open, preswitch, SW_BIND_OPEN, PH_PRESWITCH)
LIN_MIG(close, setup, SW_CLOSE, PH_SETUP)
LIN_MIG(close, sync2, SW_CLOSE, PH_SYNC)
LIN_MIG(close, preswitch, SW_CLOSE, PH_PRESWITCH)
LIN_MIG(group_type, setup, SW_GROUP_TYPE, PH_SETUP)
LIN_MIG(group_type, sync2, SW_GROUP_TYPE, PH_SYNC)
LIN_MIG(group_type, preswitch, SW_GROUP_TYPE, PH_PRESWITCH)
LIN_MIG(storm, setup, SW_STORM, PH_SETUP)
LIN_MIG(storm, sync2, SW_STORM, PH_SYNC)
LIN_MIG(storm, preswitch, SW_STORM, PH_PRESWITCH)

/* A guest with RAM above 4 GiB: its buffers and the event page up there. */
void linux_mig_highmem(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;

	/*
	 * iommu=pt: the device leaves the identity domain with its last write
	 * at GPA 4.25 GiB (QEMU unmaps RAM above 4 GiB); otherwise close, with
	 * the buffers at GPA 4.25 GiB (QEMU unmaps the vIOMMU's mappings of it).
	 */
	lin_migrate(c, data, v->pt ? SW_BIND_OPEN : SW_CLOSE, PH_SYNC, true, false);
}

/* Negative control: dirty bits dropped at unmap must show as lost pages. */
void linux_mig_drop_dirty_unmap(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;

	/*
	 * type1 reports every mapped page dirty at each sync (under iommu=pt
	 * all of RAM, otherwise the buffers): the pass under way when the
	 * guest unmaps resends whatever it has not reached, and QEMU does not
	 * say where a pass is (it resumes where the last one stopped, so the
	 * bytes left do not tell).  A hidden page may arrive anyway, so the
	 * control cannot decide with type1 (seen under a CPU hog with
	 * iommu=nopt: the hidden page arrived).
	 */
	if (v->backend == MOCK_TYPE1) {
		mc_case_skip(c,
			     "type1 re-reports every mapped page at each dirty sync: a dirty bit "
			     "hidden at the unmap may be covered by the pass under way, so this "
			     "control cannot decide here");
		return;
	}
	/* Under iommu=pt close would return to the identity domain: bind+open leaves it. */
	lin_migrate(c, data, v->pt ? SW_BIND_OPEN : SW_CLOSE, PH_SYNC, false, true);
}
