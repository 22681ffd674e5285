// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_bare: guest IOMMU domains and mapping coherence, bare guest.
 *
 * QEMU runs with intel-iommu (caching mode, legacy or scalable) and the
 * VFIO mock device behind it; the harness plays the guest over qtest,
 * building VT-d tables and invalidating the way a driver does.  After every
 * step the mapping coherence oracle compares the device's mappings in the
 * mock (its container or IOAS) with what the guest's domain allows: nothing
 * when blocked, the RAM QEMU maps without DMAR when pass-through, exactly
 * the page-table leaves (with their rights) when translated.  A DMA the
 * domain does not allow must fault in the mock; one it allows must land in
 * the guest page the tables name.
 *
 * Cases: map_unmap_page (page-selective invalidation), invalidate_domain,
 * invalidate_global (with context-cache global), huge_2m, huge_1g,
 * readonly, passthrough (pass-through from the start, then translated, then
 * back), passthrough_live (translated with live mappings to pass-through and
 * back), blocked (context not present), storm_strict and storm_batched (256
 * random pages), and stale_mapping: the negative control, where the mock
 * keeps a mapping QEMU removed and the oracle must name its IOVA range.
 * The same guest migrating while it switches: domain_bare_mig.c.
 *
 * A failure that is exactly a known defect of the QEMU release under test
 * (fixtures/expectations/defects.json) is an XFAIL naming it; the same
 * case passing on that release is an XPASS.
 *
 * The rig and its oracles, shared by every case: domain_bare_rig.c.
 */
#include "domain_bare.h"

#include <stdio.h>
#include <stdlib.h>

/* IOVAs (48-bit domain) and the guest pages behind them. */
#define IOVA_4K 0x1000000000ull	   /* 64 GiB */
#define GPA_4K 0x10000000ull	   /* 256 MiB */
#define IOVA_2M 0x3000000000ull	   /* 192 GiB */
#define GPA_2M 0x30000000ull	   /* 768 MiB */
#define IOVA_1G 0x4000000000ull	   /* 256 GiB */
#define GPA_1G 0x40000000ull	   /* 1 GiB .. 2 GiB: all RAM */
#define IOVA_STORM 0x2000000000ull /* 128 GiB, a 1 GiB window */
#define GPA_STORM 0x20000000ull	   /* 512 MiB, 256 MiB window */
#define GPA_PT_DMA 0x38000000ull   /* pass-through DMA target (IOVA == GPA) */
#define STORM_PAGES 256

static void map_unmap_page(struct mc_case *c, const void *data)
{
	struct dom d;
	unsigned i;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!bdom_map(&d, "map 4K", IOVA_4K, GPA_4K, VTD_PAGE, true) ||
	    !bdom_psi(&d, "map 4K", IOVA_4K, 0) || !bdom_check(&d, "map 4K + PSI") ||
	    !bdom_dma(&d, "map 4K", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	/* Four pages, one page-selective invalidation with AM 2. */
	for (i = 4; i < 8; i++)
		if (!bdom_map(&d, "map 4x4K", IOVA_4K + i * VTD_PAGE, GPA_4K + (i + 16) * VTD_PAGE,
			      VTD_PAGE, true))
			goto out;
	if (!bdom_psi(&d, "map 4x4K", IOVA_4K + 4 * VTD_PAGE, 2) ||
	    !bdom_check(&d, "map 4x4K + PSI am=2") ||
	    !bdom_dma(&d, "map 4x4K", IOVA_4K + 4 * VTD_PAGE, 4, DMA_LANDS, GPA_4K + 20 * VTD_PAGE))
		goto out;
	if (!bdom_unmap(&d, "unmap 4K", IOVA_4K, VTD_PAGE) ||
	    !bdom_psi(&d, "unmap 4K", IOVA_4K, 0) || !bdom_check(&d, "unmap 4K + PSI") ||
	    !bdom_dma(&d, "unmap 4K", IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	for (i = 4; i < 8; i++)
		if (!bdom_unmap(&d, "unmap 4x4K", IOVA_4K + i * VTD_PAGE, VTD_PAGE))
			goto out;
	if (!bdom_psi(&d, "unmap 4x4K", IOVA_4K + 4 * VTD_PAGE, 2) ||
	    !bdom_check(&d, "unmap 4x4K + PSI am=2"))
		goto out;
	bdom_dma(&d, "unmap 4x4K", IOVA_4K + 4 * VTD_PAGE, 4, DMA_FAULTS, 0);
out:
	bdom_teardown(&d);
}

/* Eight scattered pages, domain-selective or global invalidation. */
static void invalidate_wide(struct mc_case *c, const void *data, bool global)
{
	const char *how = global ? "global" : "DSI";
	struct dom d;
	char step[64];
	unsigned i;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < 8; i++)
		if (!bdom_map(&d, "map 8", IOVA_4K + i * 0x200000ull + i * VTD_PAGE,
			      GPA_4K + i * VTD_PAGE, VTD_PAGE, i % 2 == 0))
			goto out;
	snprintf(step, sizeof(step), "map 8 + %s", how);
	if (!bdom_vtd_ok(&d, step,
			 global ? vtd_inv_iotlb_global(&d.g.vtd)
				: vtd_inv_iotlb_domain(&d.g.vtd, BDOM_DID)) ||
	    !bdom_check(&d, step) || !bdom_dma(&d, step, IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (global) {
		/* A global context-cache invalidation replays the domain. */
		if (!bdom_vtd_ok(&d, "context-cache global", vtd_inv_cc_global(&d.g.vtd)) ||
		    !bdom_check(&d, "context-cache global"))
			goto out;
	}
	for (i = 0; i < 8; i += 2)
		if (!bdom_unmap(&d, "unmap 4", IOVA_4K + i * 0x200000ull + i * VTD_PAGE, VTD_PAGE))
			goto out;
	snprintf(step, sizeof(step), "unmap 4 + %s", how);
	if (!bdom_vtd_ok(&d, step,
			 global ? vtd_inv_iotlb_global(&d.g.vtd)
				: vtd_inv_iotlb_domain(&d.g.vtd, BDOM_DID)) ||
	    !bdom_check(&d, step) || !bdom_dma(&d, step, IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	/* A read-only survivor: writes fault. */
	bdom_dma(&d, step, IOVA_4K + 0x200000ull + VTD_PAGE, 1, DMA_FAULTS, 0);
out:
	bdom_teardown(&d);
}

static void invalidate_domain(struct mc_case *c, const void *data)
{
	invalidate_wide(c, data, false);
}

static void invalidate_global(struct mc_case *c, const void *data)
{
	invalidate_wide(c, data, true);
}

static void huge(struct mc_case *c, const void *data, uint64_t size)
{
	uint64_t iova = size == VTD_1G ? IOVA_1G : IOVA_2M;
	uint64_t gpa = size == VTD_1G ? GPA_1G : GPA_2M;
	unsigned am = size == VTD_1G ? 18 : 9;
	uint64_t last = size - VTD_PAGE, mid = size / 2;
	struct dom d;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!bdom_map(&d, "map huge", iova, gpa, size, true) ||
	    !bdom_psi(&d, "map huge", iova, am) || !bdom_check(&d, "map huge + PSI") ||
	    !bdom_dma(&d, "first page", iova, 1, DMA_LANDS, gpa) ||
	    !bdom_dma(&d, "middle pages", iova + mid, 2, DMA_LANDS, gpa + mid) ||
	    !bdom_dma(&d, "last page", iova + last, 1, DMA_LANDS, gpa + last))
		goto out;
	/* Beyond the leaf nothing is mapped. */
	if (!bdom_dma(&d, "past the leaf", iova + size, 1, DMA_FAULTS, 0))
		goto out;
	if (!bdom_unmap(&d, "unmap huge", iova, size) || !bdom_psi(&d, "unmap huge", iova, am) ||
	    !bdom_check(&d, "unmap huge + PSI"))
		goto out;
	bdom_dma(&d, "unmap huge", iova + mid, 1, DMA_FAULTS, 0);
out:
	bdom_teardown(&d);
}

static void huge_2m(struct mc_case *c, const void *data)
{
	huge(c, data, VTD_2M);
}

static void huge_1g(struct mc_case *c, const void *data)
{
	huge(c, data, VTD_1G);
}

static void readonly(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!bdom_map(&d, "map read-only", IOVA_4K, GPA_4K, VTD_PAGE, false) ||
	    !bdom_psi(&d, "map read-only", IOVA_4K, 0) || !bdom_check(&d, "map read-only + PSI") ||
	    !bdom_dma(&d, "write to read-only", IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	/* Upgrade in place: the entry changes, one PSI. */
	if (!bdom_unmap(&d, "make writable", IOVA_4K, VTD_PAGE) ||
	    !bdom_map(&d, "make writable", IOVA_4K, GPA_4K, VTD_PAGE, true) ||
	    !bdom_psi(&d, "make writable", IOVA_4K, 0) || !bdom_check(&d, "make writable + PSI") ||
	    !bdom_dma(&d, "write to writable", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (!bdom_unmap(&d, "make read-only", IOVA_4K, VTD_PAGE) ||
	    !bdom_map(&d, "make read-only", IOVA_4K, GPA_4K, VTD_PAGE, false) ||
	    !bdom_psi(&d, "make read-only", IOVA_4K, 0) || !bdom_check(&d, "make read-only + PSI"))
		goto out;
	bdom_dma(&d, "write after downgrade", IOVA_4K, 1, DMA_FAULTS, 0);
out:
	bdom_teardown(&d);
}

/* Pass-through from the start (a guest booted iommu=pt), translated, back. */
static void passthrough(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!bdom_setup(&d, c, data, VTD_CTX_PASSTHROUGH))
		goto out;
	if (!bdom_dma(&d, "pass-through", GPA_PT_DMA, 2, DMA_LANDS, GPA_PT_DMA))
		goto out;
	if (!bdom_map(&d, "map 4K", IOVA_4K, GPA_4K, VTD_PAGE, true) ||
	    !bdom_switch_domain(&d, "to translated", VTD_CTX_TRANSLATED) ||
	    !bdom_check(&d, "pass-through -> translated"))
		goto out;
	if (!bdom_dma(&d, "translated", GPA_PT_DMA, 1, DMA_FAULTS, 0) ||
	    !bdom_dma(&d, "translated", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (!bdom_switch_domain(&d, "back to pass-through", VTD_CTX_PASSTHROUGH) ||
	    !bdom_check(&d, "translated -> pass-through"))
		goto out;
	bdom_dma(&d, "pass-through again", GPA_PT_DMA, 1, DMA_LANDS, GPA_PT_DMA);
out:
	bdom_teardown(&d);
}

/* Four pages read-write at IOVA_4K, one domain-selective invalidation, checked. */
static bool map4(struct dom *d)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (!bdom_map(d, "map 4", IOVA_4K + i * VTD_PAGE, GPA_4K + i * VTD_PAGE, VTD_PAGE,
			      true))
			return false;
	return bdom_dsi(d, "map 4") && bdom_check(d, "map 4 + DSI");
}

/* Translated with live mappings to pass-through, and back. */
static void passthrough_live(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d) || !bdom_switch_domain(&d, "to pass-through", VTD_CTX_PASSTHROUGH) ||
	    !bdom_check(&d, "translated (live) -> pass-through") ||
	    !bdom_dma(&d, "pass-through", GPA_PT_DMA, 1, DMA_LANDS, GPA_PT_DMA))
		goto out;
	if (!bdom_switch_domain(&d, "back to translated", VTD_CTX_TRANSLATED) ||
	    !bdom_check(&d, "pass-through -> translated"))
		goto out;
	bdom_dma(&d, "translated again", IOVA_4K, 4, DMA_LANDS, GPA_4K);
out:
	bdom_teardown(&d);
}

static void blocked(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d) || !bdom_set_context(&d, "block", VTD_CTX_ABSENT) ||
	    !bdom_check(&d, "context not present + context-cache invalidation") ||
	    !bdom_dma(&d, "blocked", IOVA_4K, 4, DMA_FAULTS, 0) ||
	    !bdom_dma(&d, "blocked", GPA_PT_DMA, 1, DMA_FAULTS, 0))
		goto out;
	/* Re-attach: the domain's mappings come back. */
	if (!bdom_set_context(&d, "re-attach", VTD_CTX_TRANSLATED) || !bdom_check(&d, "re-attach"))
		goto out;
	bdom_dma(&d, "re-attached", IOVA_4K, 4, DMA_LANDS, GPA_4K);
out:
	bdom_teardown(&d);
}

/* xorshift: the storm is the same on every run. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void storm(struct mc_case *c, const void *data, bool strict)
{
	uint64_t iova[STORM_PAGES], gpa[STORM_PAGES], r = 0x9e3779b97f4a7c15ull;
	struct dom d;
	unsigned i, j;

	for (i = 0; i < STORM_PAGES; i++) {
		bool dup;

		do {
			iova[i] = IOVA_STORM + (next_rand(&r) % (VTD_1G / VTD_PAGE)) * VTD_PAGE;
			for (dup = false, j = 0; j < i && !dup; j++)
				dup = iova[j] == iova[i];
		} while (dup);
		gpa[i] = GPA_STORM + (next_rand(&r) % (0x10000000ull / VTD_PAGE)) * VTD_PAGE;
	}
	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < STORM_PAGES; i++) {
		if (!bdom_map(&d, "storm map", iova[i], gpa[i], VTD_PAGE, i % 5 != 0))
			goto out;
		if (strict && !bdom_psi(&d, "storm map", iova[i], 0))
			goto out;
	}
	if ((!strict && !bdom_dsi(&d, "storm map")) || !bdom_check(&d, "storm mapped"))
		goto out;
	if (!bdom_dma(&d, "storm", iova[1], 1, DMA_LANDS, gpa[1]) ||
	    !bdom_dma(&d, "storm read-only", iova[0], 1, DMA_FAULTS, 0))
		goto out;
	for (i = 0; i < STORM_PAGES; i++) {
		if (!bdom_unmap(&d, "storm unmap", iova[i], VTD_PAGE))
			goto out;
		if (strict && !bdom_psi(&d, "storm unmap", iova[i], 0))
			goto out;
		if (i == STORM_PAGES / 2 - 1 && ((!strict && !bdom_dsi(&d, "storm unmap half")) ||
						 !bdom_check(&d, "storm half unmapped")))
			goto out;
	}
	if ((!strict && !bdom_dsi(&d, "storm unmap")) || !bdom_check(&d, "storm unmapped"))
		goto out;
	bdom_dma(&d, "storm unmapped", iova[1], 1, DMA_FAULTS, 0);
out:
	bdom_teardown(&d);
}

static void storm_strict(struct mc_case *c, const void *data)
{
	storm(c, data, true);
}

static void storm_batched(struct mc_case *c, const void *data)
{
	storm(c, data, false);
}

/*
 * Negative control: the mock keeps the mapping of one page after QEMU
 * unmaps it.  Passes only if the oracle reports exactly that IOVA range
 * and the device can indeed still write there.
 */
static void stale_mapping(struct mc_case *c, const void *data)
{
	const uint64_t stale = IOVA_4K + 2 * VTD_PAGE;
	struct dom d;
	char *err = NULL;
	json_t *r;
	unsigned i;

	if (!bdom_setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d))
		goto out;
	r = mock_rig_call(d.rig, VM_SRC,
			  json_pack("{s:s, s:s, s:I, s:I}", VFM_CTL_CMD, VFM_CTL_FAULT,
				    VFM_KEY_KIND, vfm_fault_name(VFM_FAULT_STALE_MAPPING),
				    VFM_KEY_IOVA, (json_int_t)stale, VFM_KEY_LENGTH,
				    (json_int_t)VTD_PAGE),
			  &err);
	if (!r) {
		mc_case_error(c, "cannot arm the stale_mapping fault: %s", err);
		free(err);
		goto out;
	}
	json_decref(r);
	for (i = 0; i < 4; i++)
		if (!bdom_unmap(&d, "unmap 4", IOVA_4K + i * VTD_PAGE, VTD_PAGE))
			goto out;
	d.w.selftest = true;
	if (!bdom_dsi(&d, "unmap 4") || !bdom_check(&d, "unmap 4 + DSI"))
		goto out;
	dom_stale_selftest(&d.w, stale, VTD_PAGE, false);
	d.w.selftest = false;
	d.mode = VTD_CTX_TRANSLATED;
	/* The device really can still write the page the guest took away. */
	{
		struct dma_results res;

		d.dev.ops->clear(&d.dev);
		d.dev.ops->fill(&d.dev, stale, 1, 99);
		d.dev.ops->results(&d.dev, &res);
		dom_stale_dma(&d.w, res.pages_written == 1, NULL);
	}
	/* Only the negative control's oracles decide. */
	d.w.negative = true;
out:
	bdom_teardown(&d);
}

#define V(name, sc, be) static const struct dom_variant name = {.scalable = sc, .backend = be}
V(legacy_type1, false, MOCK_TYPE1);
V(legacy_iommufd, false, MOCK_IOMMUFD);
V(scalable_type1, true, MOCK_TYPE1);
V(scalable_iommufd, true, MOCK_IOMMUFD);

#define CASES(vname, var)                                                                          \
	MC_TEST("domain", vname, "map_unmap_page", map_unmap_page, &var, 60,                       \
		"4K map/unmap with page-selective invalidation (AM 0 and 2)"),                     \
	    MC_TEST("domain", vname, "invalidate_domain", invalidate_domain, &var, 60,             \
		    "scattered maps and unmaps under domain-selective IOTLB invalidation"),        \
	    MC_TEST("domain", vname, "invalidate_global", invalidate_global, &var, 60,             \
		    "global IOTLB and context-cache invalidation"),                                \
	    MC_TEST("domain", vname, "huge_2m", huge_2m, &var, 60, "2 MiB second-level leaf"),     \
	    MC_TEST("domain", vname, "huge_1g", huge_1g, &var, 60, "1 GiB second-level leaf"),     \
	    MC_TEST("domain", vname, "readonly", readonly, &var, 60,                               \
		    "read-only leaf: present read-only, DMA writes fault; upgrade and downgrade"), \
	    MC_TEST("domain", vname, "passthrough", passthrough, &var, 60,                         \
		    "pass-through from attach, to translated and back"),                           \
	    MC_TEST("domain", vname, "passthrough_live", passthrough_live, &var, 60,               \
		    "translated with live mappings to pass-through and back"),                     \
	    MC_TEST("domain", vname, "blocked", blocked, &var, 60,                                 \
		    "context not present: no mappings, DMA faults; re-attach restores"),           \
	    MC_TEST("domain", vname, "storm_strict", storm_strict, &var, 120,                      \
		    "256 random pages, page-selective invalidation per page"),                     \
	    MC_TEST("domain", vname, "storm_batched", storm_batched, &var, 120,                    \
		    "256 random pages, batched domain-selective invalidation"),                    \
	    MC_TEST("domain", vname, "stale_mapping", stale_mapping, &var, 60,                     \
		    "negative control: a mapping the mock keeps after unmap must be reported")

/* The variants: each has the cases above and the migrations (domain_bare_mig.c). */
#define VARIANTS(X)                                                                                \
	X("bare_legacy_type1", legacy_type1)                                                       \
	X("bare_legacy_iommufd", legacy_iommufd)                                                   \
	X("bare_scalable_type1", scalable_type1)                                                   \
	X("bare_scalable_iommufd", scalable_iommufd)

#define TABLE(vname, var) CASES(vname, var),
static const struct mc_test domain_bare_tests[] = {VARIANTS(TABLE)};

#define MIGRATIONS(vname, var) bmig_register(vname, &var);
__attribute__((constructor)) static void register_domain_bare(void)
{
	mc_register_tests(domain_bare_tests,
			  sizeof(domain_bare_tests) / sizeof(domain_bare_tests[0]));
	VARIANTS(MIGRATIONS)
}
