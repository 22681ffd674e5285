// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/dirty: dirty-tracking correctness with DMA-capable VFIO devices,
 * over the conformance matrix.
 *
 * Every matrix cell that can migrate at all (pre-copy or multifd device
 * state) runs a Linux guest whose mock devices write guest RAM through the
 * IOVA mappings QEMU registered, bypassing QEMU as hardware DMA does: a ring
 * writer stamping sequence numbers throughout, plus writes of pages the
 * device never wrote before at the worst moments (right after a late
 * pre-copy dirty query, and on the arc into STOP_COPY).  The agent dirties
 * its buffer on the CPU and pre-copy is held open for three dirty syncs.
 * Only the VFIO dirty tracker can tell QEMU which pages the devices wrote,
 * so three oracles decide: RAM equality with both sides stopped, the DMA
 * ring, and the agent's verify.
 *
 * A cell QEMU refuses (a migration blocker, a realize error) is skipped
 * with QEMU's own words; the policy suite checks those decisions.
 * Negative controls inject the fault an oracle exists for and pass only if
 * that oracle flags exactly the injected pages; error-path cases check that
 * QEMU fails a migration whose device stream or dirty query fails.
 */
#include "matrix.h"
#include "migcase.h"
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
#define HOLD_SYNCS 3
/* The BIOS ROM: QEMU maps it read-only for the device. */
#define ROM_IOVA 0xfffc0000ull

enum kind {
	K_MIGRATE,
	K_DROP_DIRTY,
	K_DMA_AFTER_STOP,
	K_CORRUPT_STREAM,
	K_FAIL_QUERY,
	K_ABOVE_4G,
	K_READONLY,
	K_LAST_WRITE,
	K_IOPTE_4K,
	K_COUNT
};

struct dirty_case {
	struct mx_cell cell;
	enum kind kind;
	struct mcase_spec spec;
	char append[64];
};

static uint64_t window(const struct dirty_case *d)
{
	return d->kind == K_ABOVE_4G ? DMA_WINDOW_HIGH : DMA_WINDOW;
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

static bool has_tracker(const struct dirty_case *d)
{
	return d->cell.v[MX_TRACKER] != MX_NO_TRACKER;
}

/* ---- hooks ---- */

/*
 * At the sync that releases pre-copy: arm a never-written page right after
 * each device's next dirty query (QEMU never queries without a tracker).
 */
static int arm_late_query(struct mcase *k)
{
	const struct dirty_case *d = mcase_data(k);
	struct ms_state st;
	int dev;

	if (!has_tracker(d))
		return 0;
	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	for (dev = 0; dev < d->spec.mock.ndev; dev++) {
		json_t *r = mcase_mock(
		    k, VM_SRC,
		    json_pack("{s:s, s:i, s:s, s:s, s:I, s:i, s:I}", VFM_CTL_CMD, VFM_CTL_DMA,
			      VFM_KEY_DEVICE, dev, VFM_KEY_ACTION, VFM_DMA_ARM, VFM_KEY_ON,
			      vfm_event_name(VFM_EV_DIRTY_QUERY), VFM_KEY_IOVA,
			      (json_int_t)late_query_page(d, dev), VFM_KEY_PAGES, 1, VFM_KEY_N,
			      (json_int_t)(st.dev[dev].queries + 1)));

		if (!r) {
			ms_free(&st);
			return -1;
		}
		json_decref(r);
		mcase_note_dma(k, late_query_page(d, dev), 4096);
	}
	ms_free(&st);
	return 0;
}

/*
 * above_4g: the ring and the stop-copy page of every device must really be
 * above 4 GiB guest-physical: each IOVA (== GPA) reaches, by the source
 * mock's mapping, the page of the RAM file QEMU's memory map gives.
 */
static int placed_above_4g(struct mcase *k)
{
	const struct dirty_case *d = mcase_data(k);
	struct pair *p = mcase_pair(k);
	uint64_t where[2 * VFM_MAX_DEVICES]; /* IOVA == GPA: no vIOMMU */
	int dev, n = 0;

	for (dev = 0; dev < d->spec.mock.ndev; dev++) {
		where[n++] = ring_iova(d, dev);
		where[n++] = stop_copy_page(d, dev);
	}
	return mock_rig_placed(mcase_case(k), mcase_rig(k), p->src, &p->layout, where, where, n,
			       4ull << 30)
		   ? 0
		   : -1;
}

/* What each tracker reported against what the device wrote. */
static json_t *accounting(const struct ms_device *dev)
{
	json_t *per = json_object();
	uint64_t reported = 0, dropped = 0, written = ranges_bytes(&dev->written) / 4096;
	size_t i;

	for (i = 0; i < dev->nsyncs; i++) {
		json_t *n = json_object_get(per, dev->syncs[i].tracker);

		json_object_set_new(per, dev->syncs[i].tracker,
				    json_integer((n ? json_integer_value(n) : 0) + 1));
		reported += dev->syncs[i].dirty;
		dropped += dev->syncs[i].dropped;
	}
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "syncs_by_tracker", per,
			 "pages_reported_dirty", (json_int_t)reported, "pages_dropped_by_fault",
			 (json_int_t)dropped, "dma_writes", (json_int_t)dev->writes,
			 "dma_pages_written", (json_int_t)written, "dma_faults",
			 (json_int_t)dev->faults, "dirty_amplification",
			 written ? json_real((double)reported / written) : json_null());
}

/*
 * Both sides stopped: record what the trackers did, and check that the
 * scenario ran: the devices wrote, and every worst-moment write happened.
 */
static int account(struct mcase *k)
{
	const struct dirty_case *d = mcase_data(k);
	json_t *acct = json_array(), *bytes = json_array();
	struct ms_state st;
	int dev;

	if (mcase_state(k, VM_SRC, &st) < 0)
		return -1;
	for (dev = 0; dev < st.ndev; dev++) {
		json_array_append_new(acct, accounting(&st.dev[dev]));
		json_array_append(bytes, st.dev[dev].data_bytes);
	}
	json_object_set_new(mc_case_metrics(mcase_case(k)), "dirty", acct);
	json_object_set_new(mc_case_metrics(mcase_case(k)), "device_state_bytes", bytes);
	if (!st.ndev || !st.dev[0].writes) {
		mc_case_error(mcase_case(k), "the mock device never wrote: the DMA workload did "
					     "not run");
		ms_free(&st);
		return -1;
	}
	for (dev = 0; dev < st.ndev && d->kind != K_DMA_AFTER_STOP; dev++) {
		bool late = !has_tracker(d) || ms_wrote(&st.dev[dev], late_query_page(d, dev));
		bool stop = ms_wrote(&st.dev[dev], stop_copy_page(d, dev));

		if (late && stop)
			continue;
		mc_case_error(mcase_case(k),
			      "device %d: the write %s did not happen: the scenario did not run "
			      "as planned",
			      dev, !late ? "after a late dirty query" : "entering STOP_COPY");
		ms_free(&st);
		return -1;
	}
	ms_free(&st);
	return 0;
}

/* Before migrating: a device write to the read-only ROM must not land. */
static int write_to_rom(struct mcase *k)
{
	json_t *r =
	    mcase_mock(k, VM_SRC,
		       json_pack("{s:s, s:i, s:s, s:I, s:i, s:i}", VFM_CTL_CMD, VFM_CTL_DMA,
				 VFM_KEY_DEVICE, 0, VFM_KEY_ACTION, VFM_DMA_FILL, VFM_KEY_IOVA,
				 (json_int_t)ROM_IOVA, VFM_KEY_PAGES, 1, VFM_KEY_SEED, 7));
	long long written = r ? json_integer_value(json_object_get(r, VFM_REPLY_WRITTEN)) : -1;

	json_decref(r);
	if (written != 0)
		mc_case_error(mcase_case(k),
			      "a device write to read-only IOVA 0x%llx wrote %lld page(s): the "
			      "scenario needs it refused",
			      (unsigned long long)ROM_IOVA, written);
	return written == 0 ? 0 : -1;
}

/*
 * What QEMU did with read-only memory: the ROM must be mapped for the
 * device without write permission; the dirty queries QEMU made over
 * read-only mappings are counted (QEMU 11 skips them).
 */
static int readonly_check(struct mcase *k, struct mcase_verdict *v)
{
	struct mc_ranges ro;
	struct ms_state st;
	uint64_t queried = 0;
	size_t n, i;

	if (mock_rig_state(mcase_rig(k), VM_SRC, &st, &v->summary) < 0)
		return -1;
	ranges_init(&ro);
	n = ms_readonly_maps(&st, &ro);
	for (i = 0; st.ndev && i < st.dev[0].nsyncs; i++) {
		const struct ms_sync *s = &st.dev[0].syncs[i];

		queried += ranges_cover(&ro, s->iova, s->len);
	}
	v->pass = ranges_cover(&ro, ROM_IOVA, 4096);
	v->summary =
	    mc_strdup_printf("%zu read-only mapping(s) (%" PRIu64 " bytes), the ROM at "
			     "0x%llx %s; %" PRIu64 " dirty quer(ies) over read-only mappings",
			     n, ranges_bytes(&ro), (unsigned long long)ROM_IOVA,
			     v->pass ? "among them" : "NOT read-only", queried);
	v->details = json_pack("{s:o, s:I}", "readonly", ranges_json(&ro, 16),
			       "queries_over_readonly", (json_int_t)queried);
	if (!v->pass)
		ranges_add(&v->flagged, ROM_IOVA, 4096);
	ranges_free(&ro);
	ms_free(&st);
	return 0;
}

static const struct mcase_oracle readonly_mapped = {"readonly_mapped", MCASE_MIGRATED,
						    readonly_check};

/* ---- what each kind of case is ---- */

static const struct {
	const char *test;
	const char *summary;
} kinds[K_COUNT] = {
    [K_MIGRATE] = {"migrate", "device DMA and CPU dirtying; RAM, DMA ring and verify oracles"},
    [K_DROP_DIRTY] = {"drop_dirty", "negative control: dirty bits the tracker drops must "
				    "show as exactly those pages lost (RAM and ring)"},
    [K_DMA_AFTER_STOP] = {"dma_after_stop", "negative control: device DMA after STOP must "
					    "show in RAM at exactly the pages written"},
    [K_CORRUPT_STREAM] = {"corrupt_stream", "error path: a corrupted device state stream "
					    "must fail the migration"},
    [K_FAIL_QUERY] = {"fail_query", "error path: a failing dirty query must fail the "
				    "migration, never complete it"},
    [K_ABOVE_4G] = {"above_4g", "DMA buffers above 4 GiB guest physical in a 4.5 GiB guest"},
    [K_READONLY] = {"readonly", "QEMU maps the ROM read-only for the device; queries over "
				"read-only memory counted"},
    [K_LAST_WRITE] = {"last_write",
		      "a device that writes only after a late dirty query and entering "
		      "STOP_COPY"},
    [K_IOPTE_4K] = {"iopte_4k", "IOMMU with 4K pages only: dirty bits per 4K IOPTE"},
};

static json_t *faults_for(const struct dirty_case *d)
{
	const struct mx_tracker_info *t = mx_tracker_info(d->cell.v[MX_TRACKER]);

	switch (d->kind) {
	case K_DROP_DIRTY:
		return json_pack("[{s:s, s:s, s:f, s:s}]", VFM_KEY_KIND,
				 vfm_fault_name(VFM_FAULT_DROP_DIRTY), VFM_KEY_TRACKER,
				 vfm_tracker_name(t->fault_tracker), VFM_KEY_FRACTION, 1.0,
				 VFM_KEY_WHEN, vfm_when_name(VFM_WHEN_SYNC));
	case K_DMA_AFTER_STOP:
		return json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_DMA_AFTER_STOP));
	case K_CORRUPT_STREAM:
		return json_pack("[{s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_CORRUPT_STREAM));
	case K_FAIL_QUERY:
		/* START and the first syncs succeed; later queries fail. */
		return json_pack("[{s:s, s:s, s:s, s:i}]", VFM_KEY_KIND,
				 vfm_fault_name(VFM_FAULT_FAIL_REQUEST), VFM_KEY_REQUEST, t->query,
				 VFM_KEY_ERRNO, "EIO", VFM_KEY_AFTER, 4);
	default:
		return NULL;
	}
}

/* One case: the cell's mock, the DMA plan, the hold, the kind's fault and oracles. */
static void describe(struct dirty_case *d)
{
	struct mcase_spec *s = &d->spec;
	const struct mx_tracker_info *t = mx_tracker_info(d->cell.v[MX_TRACKER]);
	int dev, h = 0;

	mx_cell_mock_spec(&d->cell, &s->mock);
	for (dev = 0; dev < s->mock.ndev; dev++) {
		struct mock_device_spec *m = &s->mock.dev[dev];

		m->host_driven = true;
		m->ring_iova = ring_iova(d, dev);
		m->ring_pages = d->kind == K_LAST_WRITE ? 0 : RING_PAGES;
		m->ring_rate_hz = RING_RATE_HZ;
		m->events =
		    json_pack("[{s:s, s:I, s:i}]", VFM_KEY_ON, vfm_event_name(VFM_EV_STOP_COPY),
			      VFM_KEY_IOVA, (json_int_t)stop_copy_page(d, dev), VFM_KEY_PAGES, 1);
	}
	s->mock.faults[VM_SRC] = faults_for(d);
	if (d->kind == K_IOPTE_4K) {
		static const char *const only_4k[] = {"4K", NULL};

		s->mock.page_sizes = only_4k;
	}
	s->guest = MX_GUEST_LINUX;
	s->mem_mib = d->kind == K_ABOVE_4G ? HIGH_GUEST_MIB : 256;
	snprintf(d->append, sizeof(d->append), "memmap=16M$0x%" PRIx64, window(d));
	s->append = d->append;
	/* Behind a vIOMMU the guest keeps the device in an identity domain (IOVA = GPA). */
	s->viommu = d->cell.v[MX_VIOMMU];
	s->guest_iommu = MX_GI_PT;
	s->invalidation = -1;
	s->buffer_mib = 16;
	s->dirtying = true;
	s->plan.multifd = d->cell.v[MX_MIGRATION] == MX_MULTIFD;
	/* A 4.5 GiB guest's first pass alone takes a while under TCG. */
	s->plan.timeout_ms = d->kind == K_ABOVE_4G ? 300000 : 120000;
	s->hold_syncs = s->min_syncs = HOLD_SYNCS;
	/* Perpetual reporting and no tracker resend all RAM every sync. */
	s->release_downtime_ms = t->precise ? 500 : 20000;
	s->expect.skip_unsupported = true;
	s->hooks[h++] = (struct mcase_hook){MCASE_SYNC, HOLD_SYNCS, arm_late_query, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_MIGRATED, 0, account, false};
	switch (d->kind) {
	case K_DROP_DIRTY:
		s->detect[0] = (struct mcase_detect){"ram", mcase_where_dropped};
		s->detect[1] = (struct mcase_detect){"dma_ring", mcase_where_dropped};
		break;
	case K_DMA_AFTER_STOP:
		/* Writes after the final sync reach no destination: RAM shows them. */
		s->oracles = MCASE_RAM | MCASE_VERIFY;
		s->detect[0] = (struct mcase_detect){"ram", mcase_where_after_stop};
		break;
	case K_CORRUPT_STREAM:
	case K_FAIL_QUERY:
		s->expect.outcome = MCASE_FAILS;
		s->hooks[1] = (struct mcase_hook){0};
		break;
	case K_READONLY:
		s->hooks[h++] = (struct mcase_hook){MCASE_READY, 0, write_to_rom, false};
		s->extra[0] = &readonly_mapped;
		break;
	case K_ABOVE_4G:
		s->hooks[h++] = (struct mcase_hook){MCASE_READY, 0, placed_above_4g, false};
		break;
	default:
		break;
	}
	s->data = d;
}

static const struct mc_fixture dirty_fixture = {
    .name = "dirty",
    .order = 2,
    .summary = "dirty-tracking correctness with DMA-capable devices over the matrix",
};
MC_FIXTURE(dirty_fixture)

/* ---- which cells carry which cases ---- */

/* The plain cell per tracker that negative controls and scenarios run on. */
static bool base_cell(const struct mx_cell *c)
{
	const struct mx_tracker_info *t = mx_tracker_info(c->v[MX_TRACKER]);

	return c->v[MX_VIOMMU] == MX_VI_NONE && c->v[MX_MIGRATION] == MX_PRECOPY &&
	       c->v[MX_DEVICES] == MX_ONE_DEV &&
	       c->v[MX_EM] == (t->needs_em_on ? MX_EM_ON : MX_EM_AUTO);
}

static bool wants(const struct mx_cell *c, enum kind k)
{
	int tr = c->v[MX_TRACKER], be = c->v[MX_BACKEND];

	if (k == K_MIGRATE)
		return true;
	if (!base_cell(c) || tr == MX_NO_TRACKER)
		return false;
	switch (k) {
	case K_DROP_DIRTY:
		return true;
	case K_FAIL_QUERY:
		return tr != MX_DEVICE_LOG && be != MOCK_IOMMUFD_FD;
	case K_DMA_AFTER_STOP:
	case K_CORRUPT_STREAM: /* device-side faults: once, on the device-logging type1 cell */
		return tr == MX_DEVICE_LOG && be == MOCK_TYPE1;
	case K_IOPTE_4K:
		return tr == MX_IOMMUFD_HWPT && be == MOCK_IOMMUFD;
	case K_ABOVE_4G: /* trackers that log ranges; perpetual reports everything anyway */
		if (tr == MX_TYPE1_PERPETUAL)
			return false;
		/* fall through */
	default: /* one cell per tracker */
		return tr == MX_TYPE1_PERPETUAL ||
		       be == (tr == MX_DEVICE_LOG ? MOCK_TYPE1 : MOCK_IOMMUFD);
	}
}

__attribute__((constructor)) static void dirty_register(void)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, ntests = 0;
	struct dirty_case *cases = calloc(n * K_COUNT, sizeof(*cases));
	struct mc_test *tests = calloc(n * K_COUNT, sizeof(*tests));
	int k;

	if (!cases || !tests)
		abort();
	for (i = 0; i < n; i++) {
		if (cells[i].v[MX_MIGRATION] == MX_POSTCOPY)
			continue; /* QEMU refuses postcopy with VFIO: a policy matter */
		for (k = 0; k < K_COUNT; k++) {
			struct dirty_case *d = &cases[ntests];

			if (!wants(&cells[i], k))
				continue;
			d->cell = cells[i];
			d->cell.v[MX_GUEST] = MX_GUEST_LINUX;
			mx_cell_name(&d->cell);
			d->kind = k;
			describe(d);
			tests[ntests] = (struct mc_test)MC_TEST("dirty", d->cell.variant,
								kinds[k].test, mcase_test, &d->spec,
								k == K_MIGRATE	  ? 150
								: k == K_ABOVE_4G ? 360
										  : 180,
								kinds[k].summary);
			tests[ntests].axes = d->cell.axes;
			ntests++;
		}
	}
	free(cells);
	mc_register_tests(tests, ntests);
}
