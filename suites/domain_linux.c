// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_linux: guest IOMMU domains and mapping coherence, Linux guest.
 *
 * The bare-guest half's oracle with a Linux guest: the agent (guests/agent)
 * performs the domain switches the way Linux does them and the harness
 * checks after each one.  Domains: the default domain (identity with iommu=pt, DMA or DMA-FQ
 * otherwise; no driver bound, so a DMA domain holds nothing), blocked (vfio
 * claimed the group at SET_CONTAINER), unmanaged (SET_IOMMU: exactly the
 * agent's MAP_DMA set).  Guest type1 probes superpages at SET_IOMMU (IOVA 0
 * and 0x1000, mapped and unmapped again); the probe is over when the
 * agent's reply arrives, so the checks never see it.
 *
 * The same switches also run during migration: domain_linux_mig.c.
 */
#include "domain_linux.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void linux_bind_map_unmap_close(struct mc_case *c, const void *data)
{
	struct lin d;

	if (!lin_setup(&d, c, data, NULL))
		goto out;
	if (!lin_fill_phys(&d, "default domain, DMA by GPA", d.dflt == LD_IDENTITY) ||
	    !lin_cmd(&d, "marker", "marker value=1") || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true, false) ||
	    !lin_check(&d, "MAP_DMA A (16 pages, read-write)") ||
	    !lin_fill(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true))
		goto out;
	if (!lin_map(&d, "map B", LIN_IOVA_B, LIN_PAGES_B, false, false) ||
	    !lin_check(&d, "MAP_DMA B (4 pages, read-only)") ||
	    !lin_fill(&d, "write to read-only B", LIN_IOVA_B, LIN_PAGES_B, false) ||
	    !lin_fill(&d, "unmapped IOVA", LIN_IOVA_HOLE, 1, false) ||
	    !lin_fill(&d, "guest RAM by GPA (unmanaged)", LIN_RAM_PROBE, 1, false))
		goto out;
	if (!lin_cmd(&d, "marker", "marker value=2") ||
	    !lin_unmap(&d, "unmap A", LIN_IOVA_A, LIN_PAGES_A, false) ||
	    !lin_check(&d, "UNMAP_DMA A") ||
	    !lin_fill(&d, "unmapped A", LIN_IOVA_A, LIN_PAGES_A, false) ||
	    !lin_unmap(&d, "unmap B", LIN_IOVA_B, LIN_PAGES_B, false) ||
	    !lin_check(&d, "UNMAP_DMA B"))
		goto out;
	if (!lin_close(&d, "close (unmanaged -> blocked -> default)", false) ||
	    !lin_fill_phys(&d, "default domain again, DMA by GPA", d.dflt == LD_IDENTITY))
		goto out;
	if (!lin_cmd(&d, "unbind", "dev unbind"))
		goto out;
	lin_check(&d, "unbound (default domain)");
out:
	lin_teardown(&d);
}

/* iommu_group type with no driver bound: DMA <-> identity, both ways. */
static void linux_group_type(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;
	const char *dma = "DMA"; /* the kernel makes it DMA-FQ where lazy is allowed */
	struct lin d;
	char cmd[64];

	if (!lin_setup(&d, c, data, NULL))
		goto out;
	snprintf(cmd, sizeof(cmd), "dev group-type type=%s", v->pt ? dma : "identity");
	d.dom = v->pt ? LD_DMA : LD_IDENTITY;
	if (!lin_cmd(&d, "group type", cmd) || !lin_check(&d, "group type switched") ||
	    !lin_fill_phys(&d, "after the switch, DMA by GPA", d.dom == LD_IDENTITY))
		goto out;
	snprintf(cmd, sizeof(cmd), "dev group-type type=%s", v->pt ? "identity" : dma);
	d.dom = d.dflt;
	if (!lin_cmd(&d, "group type back", cmd) || !lin_check(&d, "group type switched back"))
		goto out;
	lin_fill_phys(&d, "switched back, DMA by GPA", d.dom == LD_IDENTITY);
out:
	lin_teardown(&d);
}

/* 256 pages mapped one MAP_DMA each; half unmapped page by page, half in one call. */
static void linux_storm(struct mc_case *c, const void *data)
{
	const uint64_t half = LIN_STORM_HALF * VTD_PAGE;
	struct lin d;

	if (!lin_setup(&d, c, data, NULL) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "storm map 1", LIN_IOVA_STORM, LIN_STORM_HALF, true, true) ||
	    !lin_map(&d, "storm map 2", LIN_IOVA_STORM + half, LIN_STORM_HALF, true, true) ||
	    !lin_check(&d, "storm mapped (256 x MAP_DMA)") ||
	    !lin_fill(&d, "storm", LIN_IOVA_STORM + half - 2 * VTD_PAGE, 4, true))
		goto out;
	if (!lin_unmap(&d, "storm unmap page by page", LIN_IOVA_STORM, LIN_STORM_HALF, true) ||
	    !lin_check(&d, "128 x UNMAP_DMA (page-selective)") ||
	    !lin_fill(&d, "storm unmapped half", LIN_IOVA_STORM, 1, false))
		goto out;
	if (!lin_unmap(&d, "storm unmap batched", LIN_IOVA_STORM + half, LIN_STORM_HALF, false) ||
	    !lin_check(&d, "one UNMAP_DMA over 128 mappings (batched)") ||
	    !lin_fill(&d, "storm unmapped", LIN_IOVA_STORM + half, 1, false))
		goto out;
	lin_close(&d, "close", false);
out:
	lin_teardown(&d);
}

/* close(group) with live mappings: what a process that dies does. */
static void linux_close_live(struct mc_case *c, const void *data)
{
	struct lin d;

	if (!lin_setup(&d, c, data, NULL) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true, false) ||
	    !lin_check(&d, "MAP_DMA A") || !lin_fill(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true))
		goto out;
	if (!lin_close(&d, "close with live mappings (unmanaged -> blocked -> default)", false) ||
	    !lin_fill_phys(&d, "default domain, DMA by GPA", d.dflt == LD_IDENTITY))
		goto out;
	if (lin_cmd(&d, "unbind", "dev unbind"))
		lin_check(&d, "unbound");
out:
	lin_teardown(&d);
}

/* Negative control: the mock keeps one page the guest unmapped. */
static void linux_stale_mapping(struct mc_case *c, const void *data)
{
	const uint64_t stale = LIN_IOVA_A + 2 * VTD_PAGE;
	json_t *faults = json_pack("[{s:s, s:I, s:I}]", "kind", "stale_mapping", "iova",
				   (json_int_t)stale, "length", (json_int_t)VTD_PAGE);
	struct lin d;
	json_t *r;

	if (!lin_setup(&d, c, data, faults) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, 4, true, false) || !lin_check(&d, "MAP_DMA A"))
		goto out;
	d.w.selftest = true;
	if (!lin_unmap(&d, "unmap A", LIN_IOVA_A, 4, false) || !lin_check(&d, "UNMAP_DMA A"))
		goto out;
	d.w.selftest = false;
	dom_stale_selftest(&d.w, stale, VTD_PAGE, true);
	/* The device can still write the page the guest took away. */
	r = lin_agent(&d, "stale DMA", "vfio fill iova=0x%" PRIx64 " pages=1 seed=77", stale);
	if (r) {
		bool landed = agent_reply_int(r, "written", 0) == 1;

		dom_stale_dma(&d.w, landed, json_incref(r));
		json_decref(r);
	}
	/* The mock keeps the page for good: only the selftest's oracles decide. */
	d.w.negative = true;
	lin_cmd(&d, "close", "vfio close unmap=1");
out:
	json_decref(faults);
	lin_teardown(&d);
}

#define LV(name, sc, p, st, be)                                                                    \
	static const struct lin_variant name = {                                                   \
	    .scalable = sc, .pt = p, .strict = st, .backend = be}
LV(l_lg_pt_st_t1, false, true, true, MOCK_TYPE1);
LV(l_lg_pt_st_fd, false, true, true, MOCK_IOMMUFD);
LV(l_lg_pt_lz_t1, false, true, false, MOCK_TYPE1);
LV(l_lg_pt_lz_fd, false, true, false, MOCK_IOMMUFD);
LV(l_lg_np_st_t1, false, false, true, MOCK_TYPE1);
LV(l_lg_np_st_fd, false, false, true, MOCK_IOMMUFD);
LV(l_lg_np_lz_t1, false, false, false, MOCK_TYPE1);
LV(l_lg_np_lz_fd, false, false, false, MOCK_IOMMUFD);
LV(l_sm_pt_st_t1, true, true, true, MOCK_TYPE1);
LV(l_sm_pt_st_fd, true, true, true, MOCK_IOMMUFD);
LV(l_sm_pt_lz_t1, true, true, false, MOCK_TYPE1);
LV(l_sm_pt_lz_fd, true, true, false, MOCK_IOMMUFD);
LV(l_sm_np_st_t1, true, false, true, MOCK_TYPE1);
LV(l_sm_np_st_fd, true, false, true, MOCK_IOMMUFD);
LV(l_sm_np_lz_t1, true, false, false, MOCK_TYPE1);
LV(l_sm_np_lz_fd, true, false, false, MOCK_IOMMUFD);

#define LT(vname, var, test, fn, timeout, summary)                                                 \
	MC_TEST("domain", vname, test, fn, &var, timeout, summary)
#define LMIG(vname, var, sw, what)                                                                 \
	LT(vname, var, "mig_" #sw "_setup", linux_mig_##sw##_setup, 420,                           \
	   what " during migration, at setup"),                                                    \
	    LT(vname, var, "mig_" #sw "_sync2", linux_mig_##sw##_sync2, 420,                       \
	       what " during migration, after dirty sync 2"),                                      \
	    LT(vname, var, "mig_" #sw "_preswitch", linux_mig_##sw##_preswitch, 420,               \
	       what " during migration, the last guest action before switchover")
#define LCASES(vname, var)                                                                         \
	LT(vname, var, "bind_map_unmap_close", linux_bind_map_unmap_close, 300,                    \
	   "default -> blocked -> unmanaged, MAP_DMA rw/ro, DMA, UNMAP_DMA, close, unbind"),       \
	    LT(vname, var, "group_type", linux_group_type, 300,                                    \
	       "iommu_group type DMA <-> identity with no driver bound, DMA by GPA"),              \
	    LT(vname, var, "storm", linux_storm, 300,                                              \
	       "256 single-page MAP_DMA; half unmapped page by page, half in one batched call"),   \
	    LT(vname, var, "close_live", linux_close_live, 300,                                    \
	       "close(group) with live mappings (unmanaged -> blocked -> default)"),               \
	    LT(vname, var, "stale_mapping", linux_stale_mapping, 300,                              \
	       "negative control: a mapping the mock keeps after UNMAP_DMA must be reported"),     \
	    LMIG(vname, var, bind_open, "bind+open"), LMIG(vname, var, close, "close"),            \
	    LMIG(vname, var, group_type, "group type switch"), LMIG(vname, var, storm, "storm"),   \
	    LT(vname, var, "mig_highmem", linux_mig_highmem, 900,                                  \
	       "2.75 GiB guest, event page at GPA 4.25 GiB: bind+open (iommu=pt) or close after "  \
	       "sync "                                                                             \
	       "2"),                                                                               \
	    LT(vname, var, "mig_drop_dirty_unmap", linux_mig_drop_dirty_unmap, 420,                \
	       "negative control: dirty bits dropped at unmap must be detected")

static const struct mc_test domain_linux_tests[] = {
    LCASES("linux_legacy_pt_strict_type1", l_lg_pt_st_t1),
    LCASES("linux_legacy_pt_strict_iommufd", l_lg_pt_st_fd),
    LCASES("linux_legacy_pt_lazy_type1", l_lg_pt_lz_t1),
    LCASES("linux_legacy_pt_lazy_iommufd", l_lg_pt_lz_fd),
    LCASES("linux_legacy_nopt_strict_type1", l_lg_np_st_t1),
    LCASES("linux_legacy_nopt_strict_iommufd", l_lg_np_st_fd),
    LCASES("linux_legacy_nopt_lazy_type1", l_lg_np_lz_t1),
    LCASES("linux_legacy_nopt_lazy_iommufd", l_lg_np_lz_fd),
    LCASES("linux_sm_pt_strict_type1", l_sm_pt_st_t1),
    LCASES("linux_sm_pt_strict_iommufd", l_sm_pt_st_fd),
    LCASES("linux_sm_pt_lazy_type1", l_sm_pt_lz_t1),
    LCASES("linux_sm_pt_lazy_iommufd", l_sm_pt_lz_fd),
    LCASES("linux_sm_nopt_strict_type1", l_sm_np_st_t1),
    LCASES("linux_sm_nopt_strict_iommufd", l_sm_np_st_fd),
    LCASES("linux_sm_nopt_lazy_type1", l_sm_np_lz_t1),
    LCASES("linux_sm_nopt_lazy_iommufd", l_sm_np_lz_fd),
};
MC_SUITE(domain_linux_tests)
