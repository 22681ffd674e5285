// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel rules vfiomock once got wrong, one test each, named after the
 * kernel function whose behaviour it encodes (Linux 7.2 unless the name says
 * k612_, which runs under the "6.12" personality: rules-config-612.json).
 * Where a rule differs between releases both sides are tested.
 */
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ktest.h"
#ifndef EXPECT_GT
#define EXPECT_GT(a, b) KT_CMP(false, (long long)(a), >, (long long)(b), "%lld")
#endif
#ifndef EXPECT_LT
#define EXPECT_LT(a, b) KT_CMP(false, (long long)(a), <, (long long)(b), "%lld")
#endif
#include "helpers.h"
#include "stream.h"

#define KB (1ULL << 10)

static bool bit(const uint64_t *bm, uint64_t b)
{
	return bm[b / 64] >> (b % 64) & 1;
}

static size_t popcount(const uint64_t *bm, size_t words)
{
	size_t i, n = 0;

	for (i = 0; i < words; i++)
		n += (size_t)__builtin_popcountll(bm[i]);
	return n;
}

/* ==== 1. HWPT_GET_DIRTY_BITMAP over a hole ==== */

/*
 * follows __iommu_read_and_clear_dirty() / iommu_read_and_clear_dirty():
 * areas are read while contiguous; the first gap ends the walk, its -EINVAL
 * is dropped, so later areas are neither reported nor cleared.
 */
TEST(iommu_read_and_clear_dirty_stops_at_the_first_gap)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[4] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 64 * KB, FIXED_RW), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 128 * KB, b + 128 * KB, 64 * KB, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 4 * KB, 1), 1);   /* page 1 */
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 132 * KB, 1), 1); /* page 33, behind the gap */
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 192 * KB, 4096, 0, bm), 0);
	EXPECT_TRUE(bit(bm, 1));
	EXPECT_FALSE(bit(bm, 33)); /* not reached */
	EXPECT_EQ(popcount(bm, 4), 1);
	/* Not cleared either: a query of the second area alone still sees it. */
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 128 * KB, 64 * KB, 4096, 0, bm), 0);
	EXPECT_TRUE(bit(bm, 1));
	/* A range that starts in a hole reads nothing, and succeeds. */
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 132 * KB, 1), 1);
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 64 * KB, 128 * KB, 4096, 0, bm), 0);
	EXPECT_EQ(popcount(bm, 4), 0);
}

/* The control: without the hole every dirty page of the range is reported. */
TEST(iommu_read_and_clear_dirty_contiguous_areas_all_read)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[4] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 64 * KB, FIXED_RW), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 64 * KB, b + 64 * KB, 64 * KB, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 4 * KB, 1), 1);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 68 * KB, 1), 1);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 128 * KB, 4096, 0, bm), 0);
	EXPECT_TRUE(bit(bm, 1));
	EXPECT_TRUE(bit(bm, 17));
}

/* ==== 2. type1 GET_BITMAP range edges ==== */

/*
 * follows vfio_iova_dirty_bitmap(): only a range that starts inside a
 * mapping without starting at it, or ends inside one without ending at it,
 * is refused; edges in unmapped space are fine.
 */
TEST(vfio_iova_dirty_bitmap_allows_edges_in_unmapped_space)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[8] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE + 64 * KB, b, 64 * KB, RW), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE + 192 * KB, b + 192 * KB, 64 * KB, RW), 0);
	ASSERT_EQ(dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), 0);
	/* [IOVA_BASE, +320K): starts and ends in unmapped space. */
	ASSERT_EQ(get_bitmap(&t, IOVA_BASE, 320 * KB, 4096, bm, sizeof(bm)), 0);
	EXPECT_EQ(popcount(bm, 8), 32); /* both mappings, whole */
	EXPECT_TRUE(bit(bm, 16));
	EXPECT_FALSE(bit(bm, 15));
	EXPECT_TRUE(bit(bm, 63));
	/* Starting or ending inside a mapping is what is refused. */
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE + 68 * KB, 64 * KB, 4096, bm, sizeof(bm)), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE, 96 * KB, 4096, bm, sizeof(bm)), -1);
	EXPECT_EQ(errno, EINVAL);
}

/* ==== 3. IOAS_UNMAP cutting an area ==== */

/*
 * follows iopt_unmap_iova_range(): fully covered areas go in IOVA order up to
 * the first area the range cuts, then ENOENT; what went before stays gone.
 */
TEST(iopt_unmap_iova_range_unmaps_areas_before_the_cut)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 8 * KB, FIXED_RW), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 16 * KB, b, 8 * KB, FIXED_RW), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 32 * KB, b, 16 * KB, FIXED_RW), 0);
	EXPECT_EQ(ioas_unmap(&x, IOVA_BASE, 40 * KB, NULL), -1); /* cuts the third */
	EXPECT_EQ(errno, ENOENT);
	/* The first two are gone: mapping there again works ... */
	EXPECT_EQ(ioas_map(&x, IOVA_BASE, b, 8 * KB, FIXED_RW), 0);
	EXPECT_EQ(ioas_map(&x, IOVA_BASE + 16 * KB, b, 8 * KB, FIXED_RW), 0);
	/* ... the cut one is still there. */
	EXPECT_EQ(ioas_map(&x, IOVA_BASE + 32 * KB, b, 16 * KB, FIXED_RW), -1);
	EXPECT_EQ(errno, EEXIST);
}

/* ==== 4. GET_DIRTY_BITMAP while tracking is disabled (per release) ==== */

/*
 * follows iopt_read_and_clear_dirty_data() over generic page tables (7.x):
 * no "enabled" check; bits left from before the disable are reported and
 * cleared, and the call succeeds.
 */
TEST(iopt_read_and_clear_dirty_data_disabled_reads_stale_bits)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 64 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 2 * 4096, 1), 1);
	ASSERT_EQ(hwpt_dirty(&x, false), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 5 * 4096, 1), 1); /* not tracked */
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 1ULL << 2);
	bm[0] = 0;
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 0); /* cleared by the read */
}

/*
 * follows intel_iommu_read_and_clear_dirty() under 6.12: a domain not
 * tracking refuses the read; iommu_read_and_clear_dirty() drops the error,
 * so the ioctl succeeds with nothing reported and nothing cleared.
 */
TEST(k612_intel_iommu_read_and_clear_dirty_disabled_reports_nothing)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 64 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 2 * 4096, 1), 1);
	ASSERT_EQ(hwpt_dirty(&x, false), 0);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 0);
}

/* ==== 5. migration FSM combination arcs ==== */

/*
 * follows vfio_mig_get_next_state(): STOP and RESUMING reach PRE_COPY and
 * PRE_COPY_P2P through RUNNING_P2P; only STOP_COPY -> PRE_COPY* is refused.
 */
TEST(vfio_mig_get_next_state_stop_and_resuming_reach_pre_copy)
{
	struct t1 t;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	EXPECT_GE(fd, 0); /* the last arc, RUNNING -> PRE_COPY, opens it */
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, &fd), 0);
	EXPECT_GE(fd, 0); /* RUNNING_P2P -> PRE_COPY_P2P */
	EXPECT_EQ(get_state(t.dev), VFIO_DEVICE_STATE_PRE_COPY_P2P);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, &fd), -1);
	EXPECT_EQ(errno, EINVAL);
}

/* ==== 6. type1 perpetual reporting and read-only mappings ==== */

/*
 * follows update_user_bitmap(): every page of every pinned mapping is
 * reported while a device that does not pin pages is attached, whatever the
 * mapping's protection.
 */
TEST(update_user_bitmap_reports_read_only_mappings)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 64 * 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	ASSERT_EQ(dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), 0);
	ASSERT_EQ(get_bitmap(&t, IOVA_BASE, 64 * 4096, 4096, bm, sizeof(bm)), 0);
	EXPECT_EQ(bm[0], ~0ULL);
	/* And on unmap. */
	bm[0] = 0;
	ASSERT_EQ(unmap_bitmap(&t, IOVA_BASE, 64 * 4096, 0, 4096, 8, bm), 0);
	EXPECT_EQ(bm[0], ~0ULL);
}

/* ==== 7. DMA logging: range merging and the page size ==== */

static int log_start_ctl(int dev, struct vfio_device_feature_dma_logging_control *c)
{
	return feature(dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START, c,
		       sizeof(*c));
}

/*
 * follows vfio_combine_iova_ranges() as mlx5 uses it: more ranges than the
 * device tracks are merged (closest neighbours first) and START succeeds.
 */
TEST(vfio_combine_iova_ranges_merges_beyond_the_device_limit)
{
	struct t1 t;
	struct vfio_device_feature_dma_logging_range r[4] = {{IOVA_BASE, MB},
							     {IOVA_BASE + 2 * MB, MB},
							     {IOVA_BASE + 64 * MB, MB},
							     {IOVA_BASE + 66 * MB, MB}};
	struct vfio_device_feature_dma_logging_control c = {
	    .page_size = 4096, .num_ranges = 4, .ranges = (uintptr_t)r};
	uint64_t bm[16] = {0};

	ASSERT_EQ(t1_open_dev(&t, 43, "0000:02:00.0", true), 0); /* tracks 2 ranges */
	ASSERT_EQ(log_start_ctl(t.dev, &c), 0);
	/* The gap between the first two is inside a merged range now ... */
	EXPECT_EQ(log_report(t.dev, IOVA_BASE + MB, MB, 4096, bm), 0);
	/* ... the big gap between the pairs is not. */
	EXPECT_EQ(log_report(t.dev, IOVA_BASE + 8 * MB, MB, 4096, bm), -1);
	EXPECT_EQ(errno, EINVAL);
}

/*
 * follows mlx5vf_start_page_tracker(): the core does not check START's
 * page_size; the device clamps it to what it can track and writes it back.
 */
TEST(mlx5vf_start_page_tracker_clamps_the_page_size)
{
	struct t1 t;
	struct vfio_device_feature_dma_logging_range r = {IOVA_BASE, 4 * MB};
	struct vfio_device_feature_dma_logging_control c = {
	    .page_size = 2048, .num_ranges = 1, .ranges = (uintptr_t)&r};

	ASSERT_EQ(t1_open_dev(&t, 43, "0000:02:00.0", true), 0); /* pages 4K .. 2M */
	ASSERT_EQ(log_start_ctl(t.dev, &c), 0);
	EXPECT_EQ(c.page_size, 4096);
	ASSERT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0),
	    0);
	c.page_size = 4 * MB;
	ASSERT_EQ(log_start_ctl(t.dev, &c), 0);
	EXPECT_EQ(c.page_size, 2 * MB);
}

/* ==== 8. CHANGE_PROCESS needs file mappings ==== */

/* follows iommufd_ioas_change_process(): any area that is not a file mapping is EINVAL. */
TEST(iommufd_ioas_change_process_needs_file_areas)
{
	struct ifd x;
	struct iommu_ioas_change_process p = {.size = sizeof(p)};
	struct iommu_ioas_map_file m = {.size = sizeof(m), .flags = FIXED_RW};
	uint8_t *b = buf_alloc(MB);
	int mfd = memfd_create("t", 0);

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 4096, FIXED_RW), 0);
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_CHANGE_PROCESS, &p), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(ioas_unmap(&x, IOVA_BASE, 4096, NULL), 0);
	ASSERT_EQ(ftruncate(mfd, MB), 0);
	m.ioas_id = x.ioas;
	m.fd = mfd;
	m.length = MB;
	m.iova = IOVA_BASE;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_IOAS_MAP_FILE, &m), 0);
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_CHANGE_PROCESS, &p), 0);
}

/* ==== 9. GET_HW_INFO reports a real driver ==== */

/*
 * follows intel_iommu_hw_info() and iommufd_get_hw_info(): the type is the
 * driver's (never NONE next to the dirty-tracking capability), its data is
 * copied up to data_len and data_len says the driver's size.
 */
TEST(intel_iommu_hw_info_reports_its_type_and_registers)
{
	struct ifd x;
	struct iommu_hw_info h = {.size = sizeof(h)};
	struct iommu_hw_info_vtd v;

	ASSERT_EQ(ifd_open(&x, false), 0);
	memset(&v, 0xaa, sizeof(v));
	h.dev_id = x.devid;
	h.data_len = sizeof(v);
	h.data_uptr = (uintptr_t)&v;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), 0);
	EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	EXPECT_EQ(h.data_len, sizeof(v));
	EXPECT_TRUE(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	EXPECT_NE(v.cap_reg, 0);
	EXPECT_TRUE(v.ecap_reg >> 50 & 1); /* second-stage A/D: why dirty tracking is there */
	/* Asking for another driver's type is EOPNOTSUPP. */
	h.flags = 1;	     /* IOMMU_HW_INFO_FLAG_INPUT_TYPE */
	h.out_data_type = 2; /* ARM SMMUv3 */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

/*
 * follows iommufd_hwpt_paging_alloc(): DIRTY_TRACKING needs the device's
 * IOMMU_CAP_DIRTY_TRACKING; a device whose IOMMU reports no hw_info type
 * (iommu.hw_info "none") has no such capability either.  Runs under
 * rules-config-nohw.json.
 */
TEST(nohw_iommufd_hwpt_paging_alloc_dirty_needs_the_capability)
{
	struct ifd x;
	struct iommu_hw_info h = {.size = sizeof(h)};
	struct iommu_hwpt_alloc a = {.size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING};

	ASSERT_EQ(ifd_open(&x, false), 0);
	h.dev_id = x.devid;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), 0);
	EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_NONE);
	EXPECT_EQ(h.data_len, 0);
	EXPECT_FALSE(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	a.dev_id = x.devid;
	a.pt_id = x.ioas;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &a), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

/* ==== 10. DMA lands in the pinned pages ==== */

/*
 * follows vfio_pin_map_dma(): pages are pinned at MAP_DMA; when the caller
 * later unmaps its VA the device still writes the same (shared) pages.
 */
TEST(vfio_pin_map_dma_device_writes_the_pinned_pages)
{
	struct t1 t;
	int mfd = memfd_create("ram", 0);
	uint64_t v[3] = {0};
	uint8_t *b;

	ASSERT_EQ(ftruncate(mfd, MB), 0);
	b = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(b, MAP_FAILED);
	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, MB, RW), 0);
	ASSERT_EQ(munmap(b, MB), 0); /* the VA is gone, the pinned pages are not */
	set_bme(t.dev, true);
	ASSERT_EQ(fill(t.dev, IOVA_BASE + 8192, 1), 1);
	ASSERT_EQ(pread(mfd, v, sizeof(v), 8192), (ssize_t)sizeof(v));
	EXPECT_EQ(v[0], VFM_FILL_MAGIC);
}

/*
 * follows iopt_fill_domain() pinning private memory: after the caller
 * replaces its mapping, a device write reaches the old (pinned) page, never
 * the new mapping at the same address.
 */
TEST(iopt_fill_domain_private_pages_survive_a_remap)
{
	struct ifd x;
	uint8_t *b = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *again;

	ASSERT_NE(b, MAP_FAILED);
	memset(b, 0x11, MB);
	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, MB, FIXED_RW), 0);
	again = mmap(b, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(again, b);
	set_bme(x.dev, true);
	ASSERT_EQ(fill(x.dev, IOVA_BASE, 1), 1); /* lands, not faulted */
	EXPECT_EQ(*(uint64_t *)b, 0);		 /* the new page is untouched */
	EXPECT_EQ(reg_rd(x.dev, VFM_REG_PAGES_FAULTED), 0);
}

/* ==== 11. NULL and wild argument pointers ==== */

/* follows copy_from_user(): a bad argument pointer is EFAULT, never a crash. */
TEST(copy_from_user_bad_argument_pointers_are_efault)
{
	static void *const bad[] = {NULL, (void *)16, (void *)-4096L};
	struct t1 t;
	struct ifd x;
	size_t i;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(ifd_open(&x, false), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(ioctl(t.container, VFIO_IOMMU_MAP_DMA, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
		EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_INFO, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
		EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_FEATURE, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
		EXPECT_EQ(ioctl(t.group, VFIO_GROUP_GET_DEVICE_FD, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
		EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_MAP, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
		EXPECT_EQ(ioctl(x.iommufd, IOMMU_DESTROY, bad[i]), -1);
		EXPECT_EQ(errno, EFAULT);
	}
}

/* follows copy_from_user() for pointers inside an argument: the ranges of DMA_LOGGING_START. */
TEST(copy_from_user_bad_embedded_pointer_is_efault)
{
	struct t1 t;
	struct vfio_device_feature_dma_logging_control c = {
	    .page_size = 4096, .num_ranges = 1, .ranges = 8};

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(log_start_ctl(t.dev, &c), -1);
	EXPECT_EQ(errno, EFAULT);
}

/*
 * follows iova_bitmap_set(): a dirty bitmap that cannot be written loses the
 * bits silently (they are still cleared) and the query succeeds.
 */
TEST(iova_bitmap_set_unwritable_bitmap_loses_bits)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 64 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE, 1), 1);
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE, 64 * 4096, 4096, 0, (uint64_t *)8), 0);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 0); /* gone */
}

/* ==== 12. errno and edge rules ==== */

/* follows vfio_dma_do_map(): iova + size or vaddr + size overflow is EOVERFLOW. */
TEST(vfio_dma_do_map_overflow_is_eoverflow)
{
	struct t1 t;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(t1_map(&t, ~0ULL & ~4095ULL, (void *)0x100000, 8192, RW), -1);
	EXPECT_EQ(errno, EOVERFLOW);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, (void *)(~0ULL & ~4095ULL), 8192, RW), -1);
	EXPECT_EQ(errno, EOVERFLOW);
	EXPECT_EQ(t1_unmap(&t, ~0ULL & ~4095ULL, 8192, 0, NULL), -1);
	EXPECT_EQ(errno, EOVERFLOW);
}

/* follows iopt_check_iova(): the same overflow through iommufd. */
TEST(iopt_check_iova_overflow_is_eoverflow)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(ifd_open(&x, false), 0);
	EXPECT_EQ(ioas_map(&x, ~0ULL & ~4095ULL, b, 8192, FIXED_RW), -1);
	EXPECT_EQ(errno, EOVERFLOW);
	EXPECT_EQ(ioas_unmap(&x, ~0ULL & ~4095ULL, 8192, NULL), -1);
	EXPECT_EQ(errno, EOVERFLOW);
}

/* follows vfio_dma_do_map(): a mapping needs READ or WRITE. */
TEST(vfio_dma_do_map_needs_read_or_write)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 4096, 0), -1);
	EXPECT_EQ(errno, EINVAL);
}

/*
 * follows vfio_dma_do_map() with VFIO_DMA_MAP_FLAG_VADDR: nothing mapped is
 * ENOENT; a mapping whose VA was not invalidated first, or READ/WRITE next
 * to VADDR, is EINVAL.
 */
TEST(vfio_dma_do_map_vaddr_needs_a_prior_unmap_vaddr)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 4096, VFIO_DMA_MAP_FLAG_VADDR), -1);
	EXPECT_EQ(errno, ENOENT);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 4096, RW), 0);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 4096, VFIO_DMA_MAP_FLAG_VADDR), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 4096, VFIO_DMA_MAP_FLAG_VADDR | RW), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(t1_unmap(&t, IOVA_BASE, 4096, VFIO_DMA_UNMAP_FLAG_VADDR, &done), 0);
	EXPECT_EQ(done, 4096);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b + 4096, 4096, VFIO_DMA_MAP_FLAG_VADDR), 0);
}

/* follows verify_bitmap_size(): a declared bitmap over 256 MiB is refused. */
TEST(verify_bitmap_size_refuses_over_256_mib)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 64 * 4096, RW), 0);
	ASSERT_EQ(dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), 0);
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE, 64 * 4096, 4096, bm, (256ULL << 20) + 8), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE, 64 * 4096, 4096, bm, 256ULL << 20), 0);
}

/* follows iopt_init_table(): alignment 1 until a domain joins the IOAS. */
TEST(iopt_init_table_alignment_is_1_until_a_domain)
{
	int i = open("/dev/iommu", O_RDWR);
	struct iommu_ioas_alloc a = {.size = sizeof(a)};
	struct iommu_ioas_iova_ranges q = {.size = sizeof(q)};
	struct iommu_iova_range r[4];
	struct ifd x;

	ASSERT_GE(i, 0);
	ASSERT_EQ(ioctl(i, IOMMU_IOAS_ALLOC, &a), 0);
	q.ioas_id = a.out_ioas_id;
	q.num_iovas = 4;
	q.allowed_iovas = (uintptr_t)r;
	ASSERT_EQ(ioctl(i, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	EXPECT_EQ(q.out_iova_alignment, 1);
	EXPECT_EQ(r[0].last, UINT64_MAX);
	ASSERT_EQ(ifd_open(&x, false), 0);
	q.ioas_id = x.ioas;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	EXPECT_EQ(q.out_iova_alignment, 4096);
}

/* follows iopt_unmap_all(): unmap-all of an empty IOAS succeeds. */
TEST(iopt_unmap_all_empty_ioas_succeeds)
{
	struct ifd x;
	uint64_t done = 1;

	ASSERT_EQ(ifd_open(&x, false), 0);
	EXPECT_EQ(ioas_unmap(&x, 0, UINT64_MAX, &done), 0);
	EXPECT_EQ(done, 0);
}

/* follows iommufd_option(): settings are validated and kept; unknown options are EOPNOTSUPP. */
TEST(iommufd_option_validates_and_stores)
{
	struct ifd x;
	struct iommu_option o = {
	    .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES, .op = IOMMU_OPTION_OP_SET};

	ASSERT_EQ(ifd_open(&x, false), 0);
	o.object_id = x.ioas;
	o.val64 = 2;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_OPTION, &o), -1);
	EXPECT_EQ(errno, EINVAL);
	o.val64 = 0; /* no areas yet: allowed */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_OPTION, &o), 0);
	o.op = IOMMU_OPTION_OP_GET;
	o.val64 = 7;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_OPTION, &o), 0);
	EXPECT_EQ(o.val64, 0);
	o.option_id = 77;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_OPTION, &o), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	/* RLIMIT_MODE only on an empty context. */
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = IOMMU_OPTION_OP_SET;
	o.object_id = 0;
	o.val64 = 1;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_OPTION, &o), -1);
	EXPECT_EQ(errno, EBUSY);
}

/* follows iommufd_hwpt_alloc(): a pt_id that names nothing is EINVAL. */
TEST(iommufd_hwpt_alloc_unknown_pt_id_einval)
{
	struct ifd x;
	struct iommu_hwpt_alloc h = {.size = sizeof(h)};

	ASSERT_EQ(ifd_open(&x, false), 0);
	h.dev_id = x.devid;
	h.pt_id = 250;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &h), -1);
	EXPECT_EQ(errno, EINVAL);
	h.pt_id = x.ioas;
	h.dev_id = 250; /* the device is looked up first: ENOENT */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &h), -1);
	EXPECT_EQ(errno, ENOENT);
}

/* follows vfio_df_ioctl_bind_iommufd() with copy_struct_from_user(): a non-zero unknown tail is
 * E2BIG. */
TEST(vfio_df_ioctl_bind_iommufd_nonzero_tail_e2big)
{
	int d = open("/dev/vfio/devices/vfio0", O_RDWR), i = open("/dev/iommu", O_RDWR);
	struct {
		struct mock_bind_iommufd_v2 b;
		uint64_t future;
	} a = {{.argsz = sizeof(a), .iommufd = i}, 1};

	ASSERT_GE(d, 0);
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &a), -1);
	EXPECT_EQ(errno, E2BIG);
	a.future = 0;
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &a), 0);
}

/* follows 6.12's vfio_df_ioctl_bind_iommufd(): only the first version was read; the tail is
 * ignored. */
TEST(k612_vfio_df_ioctl_bind_iommufd_ignores_the_tail)
{
	int d = open("/dev/vfio/devices/vfio0", O_RDWR), i = open("/dev/iommu", O_RDWR);
	struct {
		struct mock_bind_iommufd_v2 b;
		uint64_t future;
	} a = {{.argsz = sizeof(a), .iommufd = i}, 1};

	ASSERT_GE(d, 0);
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &a), 0);
}

/* follows vfio_pci_set_irqs_ioctl(): MSI/MSI-X have no mask handler: ENOTTY. */
TEST(vfio_pci_set_irqs_ioctl_msix_mask_enotty)
{
	struct t1 t;
	struct vfio_irq_set s = {.argsz = sizeof(s),
				 .index = VFIO_PCI_MSIX_IRQ_INDEX,
				 .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				 .start = 0,
				 .count = 1};

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, &s), -1);
	EXPECT_EQ(errno, ENOTTY);
	s.index = VFIO_PCI_INTX_IRQ_INDEX; /* INTx can */
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, &s), 0);
}

/* follows the data files' fops: the saving fd cannot be written, the resuming fd cannot be read. */
TEST(vfio_mig_data_fd_wrong_direction_ebadf)
{
	struct t1 t;
	uint8_t buf[64] = {0};
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	EXPECT_EQ(write(fd, buf, sizeof(buf)), -1);
	EXPECT_EQ(errno, EBADF);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), -1);
	EXPECT_EQ(errno, EBADF);
}

/* ==== Linux 7.1: PRECOPY_INFOv2 and re-initialisation ==== */

#define FEAT_V2 12
#define REINIT 1u

static int precopy_info(int fd, struct vfio_precopy_info *p)
{
	p->argsz = sizeof(*p);
	return ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, p);
}

static size_t drain(int fd)
{
	static uint8_t buf[1 << 20];
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		n += (size_t)r;
	return n;
}

/*
 * follows vfio_ioctl_device_feature_migration_precopy_info_v2(): SET only,
 * no payload, only for a device with PRE_COPY.
 */
TEST(vfio_ioctl_device_feature_migration_precopy_info_v2_rules)
{
	struct t1 t, np;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0),
	    0);
	EXPECT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | FEAT_V2, NULL, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0), 0);
	ASSERT_EQ(t1_open_dev(&np, 48, "0000:07:00.0", true), 0); /* no PRE_COPY */
	EXPECT_EQ(feature(np.dev, VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0), -1);
	EXPECT_EQ(errno, EINVAL);
}

/* follows 6.12's vfio_ioctl_device_feature(): the feature does not exist. */
TEST(k612_precopy_info_v2_is_unknown)
{
	struct t1 t;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0),
	    -1);
	EXPECT_EQ(errno, ENOTTY);
}

/*
 * follows 6.12's iommufd_fops_ioctl() and iommufd_hwpt_alloc(): MAP_FILE
 * (6.13) and CHANGE_PROCESS (6.14) are unknown ioctls, HWPT_ALLOC_PASID an
 * unknown flag.
 */
TEST(k612_iommufd_fops_ioctl_newer_requests_unknown)
{
	struct ifd x;
	struct iommu_ioas_change_process p = {.size = sizeof(p)};
	struct iommu_ioas_map_file m = {.size = sizeof(m), .flags = FIXED_RW};
	struct iommu_hwpt_alloc a = {.size = sizeof(a), .flags = 1u << 3 /* ALLOC_PASID */};
	int mfd = memfd_create("t", 0);

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ftruncate(mfd, MB), 0);
	m.ioas_id = x.ioas;
	m.fd = mfd;
	m.length = MB;
	m.iova = IOVA_BASE;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_MAP_FILE, &m), -1);
	EXPECT_EQ(errno, ENOTTY);
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_CHANGE_PROCESS, &p), -1);
	EXPECT_EQ(errno, ENOTTY);
	a.dev_id = x.devid;
	a.pt_id = x.ioas;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &a), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	close(mfd);
}

/* follows vfio_check_precopy_ioctl(): without the opt-in the flags field is left as given. */
TEST(vfio_check_precopy_ioctl_v1_leaves_flags)
{
	struct t1 t;
	struct vfio_precopy_info p;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	p.flags = 0x5a;
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0x5a);
}

/*
 * follows mlx5vf_precopy_ioctl(): a device re-initialised early in pre-copy
 * reports REINIT once (v2), with everything pending counted as initial
 * bytes and dirty bytes reset.
 */
TEST(mlx5vf_precopy_ioctl_reinit_early)
{
	struct t1 t;
	struct vfio_precopy_info p;
	uint64_t total;
	int fd;

	ASSERT_EQ(t1_open_dev(&t, 45, "0000:04:00.0", true), 0); /* reinit early, 8K */
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0);
	total = p.initial_bytes;
	EXPECT_GT(drain(fd), 0); /* the initial data ... */
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, REINIT); /* ... then the device asks to start over */
	EXPECT_GE(p.initial_bytes, 8 * KB);
	EXPECT_EQ(p.dirty_bytes, 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0); /* reported once */
	EXPECT_GT(total, 0);
}

/* The same device without the v2 opt-in: the new data shows as dirty bytes, no flag. */
TEST(mlx5vf_precopy_ioctl_reinit_without_v2_is_dirty)
{
	struct t1 t;
	struct vfio_precopy_info p;
	int fd;

	ASSERT_EQ(t1_open_dev(&t, 45, "0000:04:00.0", true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	EXPECT_GT(drain(fd), 0);
	p.flags = 0;
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0);
	EXPECT_EQ(p.initial_bytes, 0);
	EXPECT_GE(p.dirty_bytes, 8 * KB);
}

/* The plan "pre_switchover": REINIT comes where pending would first be zero. */
TEST(mlx5vf_precopy_ioctl_reinit_before_the_switchover_decision)
{
	struct t1 t;
	struct vfio_precopy_info p;
	int fd;

	ASSERT_EQ(t1_open_dev(&t, 46, "0000:05:00.0", true), 0);
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0);
	EXPECT_GT(drain(fd), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0); /* would be 0/0: the switchover decision */
	EXPECT_EQ(p.flags, REINIT);
	EXPECT_GE(p.initial_bytes, 8 * KB);
}

/*
 * The plan "post_switchover": the device asks only once QEMU has decided
 * (PRE_COPY -> PRE_COPY_P2P); the new initial data goes out in stop-copy.
 */
TEST(mlx5vf_precopy_ioctl_reinit_after_the_switchover_decision)
{
	struct t1 t, ref;
	struct vfio_precopy_info p;
	size_t with, without;
	int fd;

	ASSERT_EQ(t1_open_dev(&t, 47, "0000:06:00.0", true), 0);
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_SET | FEAT_V2, NULL, 0), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	EXPECT_GT(drain(fd), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, 0); /* nothing yet */
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, NULL), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.flags, REINIT);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	with = drain(fd);
	/* A device without the plan sends 8K less in stop-copy. */
	ASSERT_EQ(t1_open(&ref, true), 0);
	ASSERT_EQ(set_state(ref.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	drain(fd);
	ASSERT_EQ(set_state(ref.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	without = drain(fd);
	EXPECT_GE(with, without + 8 * KB);
}

/* ==== the device-state model ==== */

/* Sizes are what the configuration says: initial, then dirty, then stop-copy. */
TEST(device_state_sizes_follow_the_configuration)
{
	struct t1 t;
	struct vfio_precopy_info p;
	struct vfio_device_feature_mig_data_size s = {0};
	int fd;

	ASSERT_EQ(t1_open_dev(&t, 44, "0000:03:00.0", true), 0); /* 64K, 16K, 256K */
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &s,
			  sizeof(s)),
		  0);
	EXPECT_GE(s.stop_copy_length, 256 * KB);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_GE(p.initial_bytes, 64 * KB);
	EXPECT_LT(p.initial_bytes, 64 * KB + 512);
	EXPECT_EQ(p.dirty_bytes, 0);
	drain(fd);
	ASSERT_EQ(precopy_info(fd, &p), 0);
	EXPECT_EQ(p.initial_bytes, 0);
	EXPECT_GE(p.dirty_bytes, 16 * KB);
	EXPECT_LT(p.dirty_bytes, 16 * KB + 512);
	drain(fd);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	EXPECT_GE(drain(fd), 256 * KB);
}

/* Copies a device's stop-copy stream into a resuming device, flipping one byte at flip. */
static int transfer(int src, int dst, uint64_t flip, uint64_t *moved)
{
	static uint8_t buf[1 << 20];
	uint64_t at = 0;
	ssize_t r;
	int in, out;

	if (set_state(src, VFIO_DEVICE_STATE_STOP_COPY, &in) ||
	    set_state(dst, VFIO_DEVICE_STATE_RESUMING, &out))
		return -2;
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		if (flip >= at && flip < at + (uint64_t)r)
			buf[flip - at] ^= 1;
		if (write(out, buf, (size_t)r) != r)
			return -1;
		at += (uint64_t)r;
	}
	*moved = at;
	return 0;
}

/* Gigabyte-scale state is generated, never held, and checked on the way in. */
TEST_TIMEOUT(device_state_large_stream_roundtrip, 600)
{
	struct t1 t, dst;
	uint64_t moved = 0;

	ASSERT_EQ(t1_open_dev(&t, 49, "0000:08:00.0", true), 0); /* 256M stop-copy */
	ASSERT_EQ(t1_open(&dst, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(dst.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(transfer(t.dev, dst.dev, UINT64_MAX, &moved), 0);
	EXPECT_GE(moved, 256 * MB);
	EXPECT_EQ(set_state(dst.dev, VFIO_DEVICE_STATE_RUNNING, NULL), 0);
}

/* The negative control: one flipped byte deep in the generated data is caught. */
TEST(device_state_corrupt_generated_byte_refused)
{
	struct t1 t, dst;
	uint64_t moved = 0;
	int rc;

	ASSERT_EQ(t1_open_dev(&t, 44, "0000:03:00.0", true), 0);
	ASSERT_EQ(t1_open(&dst, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(dst.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	rc = transfer(t.dev, dst.dev, 200 * KB, &moved);
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_state(dst.dev, VFIO_DEVICE_STATE_RUNNING, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
