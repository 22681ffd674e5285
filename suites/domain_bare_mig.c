// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_bare_mig: the bare guest migrates while it changes its
 * IOMMU domain.
 *
 * A declarative migration case (harness/migcase.h) with a bare guest: both
 * QEMUs stay stopped, the harness plays the guest over qtest.  Before the
 * migration it builds a translated domain, maps a buffer and lets the mock
 * device fill it; the device is then armed to write one page of the buffer
 * at the moment QEMU unmaps it.  After dirty sync 2, when the first pass
 * has sent every page, the guest unmaps the buffer with page-selective
 * invalidation.  Only QEMU reading the dirty bits before the unmap carries
 * that last write to the destination, so the RAM oracle (source and
 * destination equal page by page) decides.
 *
 * The trackers QEMU can migrate with behind a vIOMMU: the IOMMU's on
 * iommufd (HWPT dirty tracking), type1's with enable-migration=on; a QEMU
 * that blocks migration with a vIOMMU SKIPs with its words.
 */
#include "domain_bare.h"

#include "migcase.h"
#include "util.h"
#include "vfiomock-abi.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIG_IOVA 0x5000000000ull /* 320 GiB */
#define MIG_GPA 0x2000000ull	 /* 32 MiB, above the page-table pool */
#define MIG_PAGES 16u		 /* one page-selective invalidation, AM 4 */
#define MIG_AM 4u
#define MIG_EVENT_PAGE 5u
#define MIG_MEM_MIB 256u /* the page-table pool and the buffer fit below 64 MiB */

/* What the device does after dirty sync 2. */
enum bmig_kind {
	BMIG_UNMAP,	 /* writes the event page as the guest unmaps the buffer */
	BMIG_WRITE,	 /* writes it through the live mapping */
	BMIG_WRITE_DROP, /* the same, its dirty bit hidden by the mock: a negative control */
};

struct bmig {
	enum bmig_kind kind;
	const struct dom_variant *v;
	struct qtest *qt;
	struct dom d;
	bool adopted;
	uint64_t event_iova;
};

static struct bmig *bmig_of(struct mcase *k)
{
	return (struct bmig *)mcase_data(k);
}

static int accept_qtest(struct mcase *k)
{
	struct bmig *m = bmig_of(k);
	char *err = NULL;

	if (qtest_accept(m->qt, 10000, &err) < 0) {
		mc_case_error(mcase_case(k), "the source's qtest connection: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

/* The guest before the migration: a translated domain, the buffer mapped and filled. */
static int guest_ready(struct mcase *k)
{
	struct bmig *m = bmig_of(k);
	struct dom *d = &m->d;
	json_t *r;
	unsigned i;

	m->adopted = true;
	if (!bdom_adopt(d, mcase_case(k), m->v, VTD_CTX_TRANSLATED, mcase_pair(k)->src, m->qt,
			mcase_rig(k)))
		return -1;
	for (i = 0; i < MIG_PAGES; i++)
		if (!bdom_map(d, "map buffer", MIG_IOVA + i * VTD_PAGE, MIG_GPA + i * VTD_PAGE,
			      VTD_PAGE, true))
			return -1;
	if (!bdom_psi(d, "map buffer", MIG_IOVA, MIG_AM) || !bdom_check(d, "map buffer + PSI") ||
	    !bdom_dma(d, "fill buffer", MIG_IOVA, MIG_PAGES, DMA_LANDS, MIG_GPA))
		return -1;
	/* The device keeps pre-copy open until the unmap is done. */
	r = mcase_mock(k, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_HOLD));
	if (!r)
		return -1;
	json_decref(r);
	m->event_iova = MIG_IOVA + MIG_EVENT_PAGE * VTD_PAGE;
	if (m->kind != BMIG_UNMAP)
		return 0;
	r = mcase_mock(k, VM_SRC,
		       json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:b}", VFM_CTL_CMD,
				 VFM_CTL_DMA, VFM_KEY_ACTION, VFM_DMA_ARM, VFM_KEY_ON,
				 vfm_event_name(VFM_EV_UNMAP), VFM_KEY_IOVA,
				 (json_int_t)m->event_iova, VFM_KEY_PAGES, 1, VFM_KEY_MATCH_IOVA,
				 (json_int_t)MIG_IOVA, VFM_KEY_MATCH_LEN,
				 (json_int_t)(MIG_PAGES * VTD_PAGE), VFM_KEY_POSTED, false));
	if (!r)
		return -1;
	json_decref(r);
	return 0;
}

/* Whether the source's device wrote the event page (the mock's own record). */
static bool event_written(struct mcase *k, uint64_t iova)
{
	json_t *dev = mock_rig_device(mcase_rig(k), VM_SRC, 0, NULL);
	const json_t *w;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(dev, "pages_written"), i, w)
	{
		if ((uint64_t)json_integer_value(w) == iova)
			found = true;
	}
	json_decref(dev);
	return found;
}

/* After dirty sync 2: the buffer unmapped page-selectively; the device writes as it goes. */
static int unmap_now(struct mcase *k)
{
	struct bmig *m = bmig_of(k);
	struct dom *d = &m->d;
	double t0;
	json_t *r;
	unsigned i;

	for (i = 0; i < MIG_PAGES; i++)
		if (!bdom_unmap(d, "unmap buffer", MIG_IOVA + i * VTD_PAGE, VTD_PAGE))
			return -1;
	if (!bdom_psi(d, "unmap buffer", MIG_IOVA, MIG_AM) || !bdom_check(d, "unmap buffer + PSI"))
		return -1;
	/* QEMU's unmap reaches the mock after the invalidation: an order, with a bound. */
	t0 = mc_now_s();
	while (!event_written(k, m->event_iova) && mc_now_s() - t0 < 60)
		usleep(50000);
	if (!event_written(k, m->event_iova)) {
		mc_case_error(mcase_case(k),
			      "the device's write at the unmap of IOVA 0x%" PRIx64
			      " never happened: the scenario did not run as planned",
			      m->event_iova);
		return -1;
	}
	mc_case_log(mcase_case(k),
		    "unmap: the device wrote IOVA 0x%" PRIx64 " (GPA 0x%" PRIx64
		    ") as QEMU unmapped it",
		    m->event_iova, (uint64_t)(MIG_GPA + MIG_EVENT_PAGE * VTD_PAGE));
	r = mcase_mock(k, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_RELEASE));
	json_decref(r);
	return r ? 0 : -1;
}

/* After dirty sync 2: the device writes the event page again, through the live mapping. */
static int write_now(struct mcase *k)
{
	struct bmig *m = bmig_of(k);
	json_t *r;

	if (!bdom_dma(&m->d, "write after sync 2", m->event_iova, 1, DMA_LANDS,
		      MIG_GPA + MIG_EVENT_PAGE * VTD_PAGE))
		return -1;
	r = mcase_mock(k, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_RELEASE));
	json_decref(r);
	return r ? 0 : -1;
}

/* The negative control's injected place: the event page, in guest-physical space. */
static int where_event(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)k;
	(void)err;
	ranges_add(out, MIG_GPA + MIG_EVENT_PAGE * VTD_PAGE, VTD_PAGE);
	return 0;
}

/*
 * The event oracle: the page the device wrote after dirty sync 2 is on the
 * destination as on the source.  Its loss is the signature known defects
 * match (event_page_lost).
 */
static int event_check(struct mcase *k, struct mcase_verdict *v)
{
	const struct pair *p = mcase_pair(k);
	const uint64_t gpa = MIG_GPA + MIG_EVENT_PAGE * VTD_PAGE;

	if (!p->src->ram || !p->dst->ram || gpa + VTD_PAGE > p->src->ram_size) {
		v->summary = strdup("no view of both sides' RAM at the event page");
		return -1;
	}
	v->pass = !memcmp(p->src->ram + gpa, p->dst->ram + gpa, VTD_PAGE);
	v->units = v->pass ? 0 : 1;
	v->summary =
	    mc_strdup_printf("the page the device wrote after dirty sync 2%s (IOVA 0x%" PRIx64
			     ", GPA 0x%" PRIx64 ") %s on the destination",
			     bmig_of(k)->kind == BMIG_UNMAP ? ", as it was unmapped" : "",
			     bmig_of(k)->event_iova, gpa, v->pass ? "arrived" : "is not");
	if (!v->pass) {
		ranges_add(&v->flagged, gpa, VTD_PAGE);
		mcase_observe(k, "event_page_lost", v->summary);
	}
	return 0;
}

static const struct mcase_oracle event_oracle = {"event", MCASE_MIGRATED, event_check};

static void bmig_run(struct mc_case *c, const struct dom_variant *v, enum bmig_kind kind)
{
	bool type1 = v->backend == MOCK_TYPE1;
	struct bmig m = {.kind = kind, .v = v};
	char *chardev = NULL, *log = NULL, *err = NULL;
	const char *src_args[7];
	struct mcase_spec s = {
	    .guest = MX_GUEST_BARE,
	    /* Small, so that the first pass is short on a loaded machine. */
	    .mem_mib = MIG_MEM_MIB,
	    .viommu = v->scalable ? MX_VI_SCALABLE : MX_VI_LEGACY,
	    .mock = {.backend = v->backend,
		     .ndev = 1,
		     /* Behind a vIOMMU QEMU migrates with the IOMMU's or type1's tracking. */
		     .iommu_dirty = !type1,
		     .enable_migration = type1 ? "on" : NULL},
	    .src_args = src_args,
	    .hold_syncs = 2,
	    /* type1 reports every mapped page dirty: its last pass is big. */
	    .release_downtime_ms = type1 ? 20000 : 2000,
	    .min_syncs = 2,
	    .plan = {.timeout_ms = 240000},
	    .hooks = {{MCASE_LAUNCHED, 0, accept_qtest, false},
		      {MCASE_READY, 0, guest_ready, false},
		      {MCASE_SYNC, 2, kind == BMIG_UNMAP ? unmap_now : write_now, false}},
	    .expect = {.outcome = MCASE_COMPLETES, .skip_unsupported = true},
	    .oracles = MCASE_RAM,
	    .extra = {&event_oracle},
	    .data = &m,
	};

	s.mock.dev[0].personality = VFM_PERS_NO_TRACKER;
	/* The guest enables bus mastering: the device waits for it. */
	s.mock.dev[0].host_driven = false;
	if (kind == BMIG_WRITE_DROP) {
		/* Every page the device writes, hidden from every dirty query. */
		s.mock.faults[VM_SRC] = json_pack(
		    "[{s:s, s:s, s:s}]", VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_DROP_DIRTY),
		    VFM_KEY_TRACKER, vfm_tracker_name(VFM_TRACKER_ANY), VFM_KEY_WHEN,
		    vfm_when_name(VFM_WHEN_ANY));
		s.detect[0] = (struct mcase_detect){"event", where_event};
		s.detect[1] = (struct mcase_detect){"ram", where_event};
	}
	m.qt = qtest_listen("qt", &chardev, &err);
	if (!m.qt) {
		mc_case_error(c, "%s", err);
		free(err);
		return;
	}
	log = mc_strdup_printf("%s/src.qtest", mc_case_workdir(c));
	src_args[0] = "-chardev";
	src_args[1] = chardev;
	src_args[2] = "-qtest";
	src_args[3] = "chardev:qt";
	src_args[4] = "-qtest-log";
	src_args[5] = log;
	src_args[6] = NULL;
	mcase_run(c, &s);
	if (m.adopted)
		bdom_teardown(&m.d);
	qtest_close(m.qt);
	json_decref(s.mock.faults[VM_SRC]);
	free(log);
	free(chardev);
}

void bmig_unmap_psi(struct mc_case *c, const void *data)
{
	bmig_run(c, data, BMIG_UNMAP);
}

void bmig_write_sync2(struct mc_case *c, const void *data)
{
	bmig_run(c, data, BMIG_WRITE);
}

void bmig_write_drop(struct mc_case *c, const void *data)
{
	bmig_run(c, data, BMIG_WRITE_DROP);
}
