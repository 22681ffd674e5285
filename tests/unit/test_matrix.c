// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conformance matrix (which cells exist, their names and what they ask
 * of the mock) and the DMA ring oracle on synthetic guest RAM.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "matrix.h"
#include "mockdev.h"
#include "ramcmp.h"
#include "vfiomock-abi.h"
#include "viommu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Names a cell in place.  Its axes point into the cell itself, so a cell
 * returned by value would carry pointers into a dead stack frame.
 */
static void cell(struct mx_cell *c, int backend, int tracker, int em, int vi, int mig, int devs)
{
	mx_cell_clear(c);
	c->v[MX_BACKEND] = backend;
	c->v[MX_TRACKER] = tracker;
	c->v[MX_EM] = em;
	c->v[MX_VIOMMU] = vi;
	c->v[MX_MIGRATION] = mig;
	c->v[MX_DEVICES] = devs;
	mx_cell_name(c);
}

/* Cells the table's backends allow for each tracker, times the other cell axes. */
static size_t expected_cells(void)
{
	size_t n = 0, rest = 1;
	int a, t, b;

	for (t = 0; t < mx_value_count(MX_TRACKER); t++)
		for (b = 0; b < mx_value_count(MX_BACKEND); b++)
			n += !!(mx_tracker_info(t)->backends & 1u << b);
	for (a = 0; a < MX_NAXES; a++)
		if (mx_axes[a].cell && a != MX_TRACKER && a != MX_BACKEND)
			rest *= mx_value_count(a);
	return n * rest;
}

TEST(matrix_only_cells_that_can_exist)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i;

	EXPECT_EQ(n, expected_cells());
	/* The shipped table: 3 backends x 4 trackers, 8 of which exist; 2 x 3 x 3 x 3 others. */
	EXPECT_EQ(n, 8 * 2 * 3 * 3 * 3);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(mx_cell_valid(&cells[i]));
		EXPECT_EQ(cells[i].v[MX_GUEST], -1);
		if (cells[i].v[MX_BACKEND] == MOCK_TYPE1)
			EXPECT_TRUE(cells[i].v[MX_TRACKER] == MX_DEVICE_LOG ||
				    cells[i].v[MX_TRACKER] == MX_TYPE1_PERPETUAL);
		else
			EXPECT_NE(cells[i].v[MX_TRACKER], MX_TYPE1_PERPETUAL);
	}
	free(cells);
}

TEST(matrix_names_are_stable_and_unique)
{
	struct mx_cell *cells, c;
	size_t n = mx_enumerate(&cells), i, j;

	cell(&c, MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_EM_AUTO, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV);
	EXPECT_STREQ(c.variant, "iommufd_hwpt_auto_novi_precopy_1dev");
	cell(&c, MOCK_IOMMUFD_FD, MX_NO_TRACKER, MX_EM_ON, MX_VI_SCALABLE, MX_MULTIFD,
	     MX_TWO_NO_P2P);
	EXPECT_STREQ(c.variant, "iommufdfd_notrack_on_vtdsm_multifd_2nop2p");
	EXPECT_STREQ(c.axes[0], "backend=iommufd-fd");
	EXPECT_STREQ(c.axes[1], "tracker=none");
	EXPECT_STREQ(c.axes[5], "devices=2-nop2p");
	/* A cell with devices is on the mock unless it says otherwise. */
	EXPECT_STREQ(c.axes[6], "hardware=mock");
	ASSERT_NULL(c.axes[7]);
	/* An axis outside the cell names nothing in the variant, but selects. */
	c.v[MX_GUEST] = MX_GUEST_LINUX;
	c.v[MX_HARDWARE] = MX_HW_HOST;
	mx_cell_name(&c);
	EXPECT_STREQ(c.variant, "iommufdfd_notrack_on_vtdsm_multifd_2nop2p");
	EXPECT_STREQ(c.axes[6], "guest=linux");
	EXPECT_STREQ(c.axes[7], "hardware=host");
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(cells[i].variant, cells[j].variant))
				ktest_fail(_t, false, __FILE__, __LINE__, "duplicate %s",
					   cells[i].variant);
	free(cells);
}

TEST(matrix_cell_describes_the_mock)
{
	struct mx_cell c;
	struct mock_spec s;
	const char *const *pre;

	cell(&c, MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_EM_ON, MX_VI_LEGACY, MX_MULTIFD, MX_TWO_NO_P2P);
	pre = viommu_qemu_args(c.v[MX_VIOMMU], false);
	mx_cell_mock_spec(&c, &s);
	EXPECT_EQ(s.backend, MOCK_TYPE1);
	EXPECT_EQ(s.ndev, 2);
	EXPECT_FALSE(s.iommu_dirty);
	EXPECT_STREQ(s.enable_migration, "on");
	EXPECT_STREQ(s.dev[0].personality, VFM_PERS_NO_TRACKER_NO_P2P);
	EXPECT_STREQ(s.dev[1].personality, VFM_PERS_NO_TRACKER_NO_P2P);
	EXPECT_STREQ(s.device_props, ",x-migration-multifd-transfer=on");
	EXPECT_STREQ(pre[0], "-device");
	EXPECT_STREQ(pre[1], "intel-iommu,caching-mode=on");
	/* A Linux guest gets interrupt remapping, with the split irqchip it needs. */
	pre = viommu_qemu_args(MX_VI_SCALABLE, true);
	EXPECT_STREQ(pre[1], "kernel-irqchip=split");
	EXPECT_STREQ(pre[3], "intel-iommu,caching-mode=on,intremap=on,x-scalable-mode=on");

	cell(&c, MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_EM_AUTO, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV);
	mx_cell_mock_spec(&c, &s);
	EXPECT_TRUE(s.iommu_dirty);
	EXPECT_NULL(s.enable_migration);
	EXPECT_STREQ(s.dev[0].personality, VFM_PERS_NO_TRACKER);
	EXPECT_NULL(viommu_qemu_args(c.v[MX_VIOMMU], true)[0]);
	EXPECT_STREQ(mx_cell_device_props(&c), "");
	cell(&c, MOCK_IOMMUFD, MX_DEVICE_LOG, MX_EM_AUTO, MX_VI_NONE, MX_PRECOPY, MX_TWO_NO_P2P);
	mx_cell_mock_spec(&c, &s);
	EXPECT_STREQ(s.dev[1].personality, VFM_PERS_NO_P2P);
	/* Every personality the matrix names exists in the mock's table. */
	EXPECT_NONNULL(vfm_personality(s.dev[1].personality));
	EXPECT_NONNULL(vfm_personality(mx_tracker_info(MX_TYPE1_PERPETUAL)->personality));
}

TEST(matrix_axis_names_parse)
{
	EXPECT_EQ(mx_axis_parse("tracker"), MX_TRACKER);
	EXPECT_EQ(mx_axis_parse("enable-migration"), MX_EM);
	EXPECT_EQ(mx_axis_parse("guest-iommu"), MX_GUEST_IOMMU);
	EXPECT_EQ(mx_axis_parse("bogus"), -1);
	EXPECT_STREQ(mx_value_name(MX_VIOMMU, MX_VI_SCALABLE), "scalable");
	EXPECT_STREQ(mx_value_name(MX_VIOMMU, 7), "?");
	EXPECT_EQ(mx_value_parse(MX_TRACKER, "iommufd-hwpt"), MX_IOMMUFD_HWPT);
	EXPECT_EQ(mx_value_parse(MX_TRACKER, "bogus"), -1);
}

TEST(viommu_kernel_options_follow_the_axes)
{
	char *s = viommu_kernel_args(MX_VI_SCALABLE, MX_GI_NOPT, MX_INV_LAZY);

	EXPECT_STREQ(s, "intel_iommu=on,sm_on iommu=nopt iommu.strict=0");
	free(s);
	s = viommu_kernel_args(MX_VI_LEGACY, MX_GI_PT, -1);
	EXPECT_STREQ(s, "intel_iommu=on,sm_off iommu=pt");
	free(s);
	s = viommu_kernel_args(MX_VI_NONE, MX_GI_PT, MX_INV_STRICT);
	EXPECT_STREQ(s, "");
	free(s);
}

/* Guest RAM holding the stamps a ring of `pages` pages has after `seq` writes. */
static uint8_t *ring_ram(size_t size, uint64_t iova, uint64_t pages, uint64_t seq)
{
	uint8_t *ram = calloc(1, size);
	uint64_t s;

	for (s = 0; ram && s < seq; s++) {
		uint64_t *st = (uint64_t *)(ram + iova + (s % pages) * 4096);

		st[0] = VFM_RING_MAGIC;
		st[1] = s;
		st[2] = s % pages;
		st[3] = s ^ VFM_RING_MAGIC;
	}
	return ram;
}

TEST(ring_oracle_accepts_what_the_sequence_implies)
{
	size_t size = 4 << 20;
	uint8_t *ram = ring_ram(size, 0x100000, 64, 1000);
	struct ram_layout l;
	struct ring_check r;

	ASSERT_NONNULL(ram);
	ram_layout_identity(&l, size);
	mock_ring_check(ram, size, &l, 0x100000, 64, 1000, &r, NULL);
	EXPECT_EQ(r.pages, 64);
	EXPECT_EQ(r.bad, 0);
	/* Fewer writes than pages: the untouched pages must hold no stamp. */
	free(ram);
	ram = ring_ram(size, 0x100000, 64, 10);
	mock_ring_check(ram, size, &l, 0x100000, 64, 10, &r, NULL);
	EXPECT_EQ(r.bad, 0);
	free(ram);
}

/* The negative control: one stale page and a sequence that ran on must both be caught. */
TEST(ring_oracle_catches_stale_pages)
{
	size_t size = 4 << 20;
	uint8_t *ram = ring_ram(size, 0x100000, 64, 1000);
	uint8_t *old = ring_ram(size, 0x100000, 64, 940);
	struct mc_ranges bad;
	struct ram_layout l;
	struct ring_check r;

	ASSERT_NONNULL(ram);
	ASSERT_NONNULL(old);
	ram_layout_identity(&l, size);
	/* Page 5 keeps an older stamp, as a lost dirty page would. */
	memcpy(ram + 0x100000 + 5 * 4096, old + 0x100000 + 5 * 4096, 32);
	ranges_init(&bad);
	mock_ring_check(ram, size, &l, 0x100000, 64, 1000, &r, &bad);
	EXPECT_EQ(r.bad, 1);
	/* It says where: exactly that page. */
	EXPECT_EQ(bad.n, 1);
	EXPECT_EQ(bad.v[0].start, 0x100000 + 5 * 4096);
	EXPECT_EQ(bad.v[0].len, 4096);
	ranges_free(&bad);
	EXPECT_EQ(r.first_bad_page, 5);
	EXPECT_EQ(r.first_expected, 965);
	EXPECT_EQ(r.first_seen, 901);
	/* A migrated sequence ahead of memory: every page is behind. */
	mock_ring_check(old, size, &l, 0x100000, 64, 1000, &r, NULL);
	EXPECT_EQ(r.bad, 60);
	/* A torn stamp (bad check word) is not a stamp. */
	free(ram);
	ram = ring_ram(size, 0x100000, 64, 1000);
	((uint64_t *)(ram + 0x100000 + 7 * 4096))[3] ^= 1;
	mock_ring_check(ram, size, &l, 0x100000, 64, 1000, &r, NULL);
	EXPECT_EQ(r.bad, 1);
	EXPECT_EQ(r.first_seen, UINT64_MAX);
	free(ram);
	free(old);
}
