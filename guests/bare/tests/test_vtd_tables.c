// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VT-d encoders against the specification's layouts (VT-d 3.x chapter
 * 9) and the fields QEMU's intel_iommu.c decodes, and the page-table
 * builder against a fake guest memory.
 */
#define KTEST_MAIN
#include "ktest.h"
#include "vtd_tables.h"

#include <stdint.h>
#include <string.h>

#define BIT(n) (1ull << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((hi) - (lo) == 63 ? ~0ull : (BIT((hi) - (lo) + 1) - 1)))

TEST(root_entry_legacy)
{
	uint64_t e[2];

	vtd_root_entry(e, 0x123456789000ull);
	EXPECT_EQ(e[0] & 1, 1);				/* P */
	EXPECT_EQ(e[0] & ~0xfffull, 0x123456789000ull); /* CTP */
	EXPECT_EQ(e[0] & 0xffe, 0);			/* reserved 11:1 */
	EXPECT_EQ(e[1], 0);				/* reserved in legacy mode */
}

TEST(root_entry_scalable)
{
	uint64_t e[2];

	vtd_sm_root_entry(e, 0x1000, 0x2000);
	EXPECT_EQ(e[0], 0x1001ull); /* LCTP | LP */
	EXPECT_EQ(e[1], 0x2001ull); /* UCTP | UP */
	vtd_sm_root_entry(e, 0x1000, 0);
	EXPECT_EQ(e[1], 0);
}

TEST(context_entry_legacy)
{
	uint64_t e[2];

	vtd_context_entry(e, 0xabc000, VTD_TT_MULTI_LEVEL, VTD_AW_48, 0x1234);
	EXPECT_EQ(FIELD(e[0], 0, 0), 1);	    /* P */
	EXPECT_EQ(FIELD(e[0], 1, 1), 0);	    /* FPD */
	EXPECT_EQ(FIELD(e[0], 3, 2), 0);	    /* TT multi-level */
	EXPECT_EQ(e[0] & ~0xfffull, 0xabc000ull);   /* SLPTPTR */
	EXPECT_EQ(e[0] & 0xff0, 0);		    /* QEMU's VTD_CONTEXT_ENTRY_RSVD_LO */
	EXPECT_EQ(FIELD(e[1], 2, 0), 2);	    /* AW: 48-bit, 4 levels */
	EXPECT_EQ(FIELD(e[1], 23, 8), 0x1234);	    /* DID */
	EXPECT_EQ(e[1] & 0xffffffffff000080ull, 0); /* VTD_CONTEXT_ENTRY_RSVD_HI */
	vtd_context_entry(e, 0, VTD_TT_PASS_THROUGH, VTD_AW_48, 7);
	EXPECT_EQ(FIELD(e[0], 3, 2), 2); /* TT pass-through */
	EXPECT_EQ(e[0] & ~0xfffull, 0);
}

TEST(context_entry_scalable)
{
	uint64_t e[4];

	vtd_sm_context_entry(e, 0x5000, 0, 0);
	EXPECT_EQ(FIELD(e[0], 0, 0), 1);	    /* P */
	EXPECT_EQ(e[0] & ~0xfffull, 0x5000ull);	    /* PASIDDIRPTR */
	EXPECT_EQ(e[0] & 0x1e0, 0);		    /* VTD_SM_CONTEXT_ENTRY_RSVD_VAL0 */
	EXPECT_EQ(FIELD(e[1], 19, 0), 0);	    /* RID_PASID */
	EXPECT_EQ(e[1] & 0xffffffffffe00000ull, 0); /* VTD_SM_CONTEXT_ENTRY_RSVD_VAL1 */
	EXPECT_EQ(e[2] | e[3], 0);
	vtd_sm_context_entry(e, 0x5000, 3, 0x12345);
	EXPECT_EQ(FIELD(e[0], 11, 9), 3); /* PDTS */
	EXPECT_EQ(FIELD(e[1], 19, 0), 0x12345);
}

TEST(pasid_entries)
{
	uint64_t dir, pe[8];
	int i;

	vtd_pasid_dir_entry(&dir, 0x7000);
	EXPECT_EQ(dir, 0x7001ull);
	vtd_pasid_entry(pe, VTD_PGTT_SL, 0x9000, VTD_AW_48, 42);
	EXPECT_EQ(FIELD(pe[0], 0, 0), 1);	 /* P */
	EXPECT_EQ(FIELD(pe[0], 4, 2), 2);	 /* AW */
	EXPECT_EQ(FIELD(pe[0], 8, 6), 2);	 /* PGTT second-level */
	EXPECT_EQ(pe[0] & ~0xfffull, 0x9000ull); /* SSPTPTR */
	EXPECT_EQ(FIELD(pe[1], 15, 0), 42);	 /* DID */
	for (i = 2; i < 8; i++)
		EXPECT_EQ(pe[i], 0);
	vtd_pasid_entry(pe, VTD_PGTT_PT, 0x9000, VTD_AW_48, 42);
	EXPECT_EQ(FIELD(pe[0], 8, 6), 4); /* PGTT pass-through */
	EXPECT_EQ(pe[0] & ~0xfffull, 0);  /* no table pointer */
}

TEST(second_level_entries)
{
	EXPECT_EQ(vtd_sl_table(0x3000), 0x3003ull);
	EXPECT_EQ(vtd_sl_leaf(0x4000, 1, true, true), 0x4003ull);
	EXPECT_EQ(vtd_sl_leaf(0x4000, 1, true, false), 0x4001ull);
	EXPECT_EQ(vtd_sl_leaf(0x200000, 2, true, true), 0x200083ull); /* PS */
	EXPECT_EQ(vtd_sl_leaf(0x40000000, 3, true, true), 0x40000083ull);
	/* Bit 11 (SNP) stays clear: QEMU's reserved masks include it. */
	EXPECT_EQ(vtd_sl_leaf(0xfffff000, 1, true, true) & 0x800, 0);
}

TEST(descriptors)
{
	struct vtd_desc d;

	vtd_desc_cc(&d, VTD_CC_DEVICE, 5, VTD_SID(0, 0x18), 0);
	EXPECT_EQ(FIELD(d.val[0], 3, 0), 1);		/* type */
	EXPECT_EQ(FIELD(d.val[0], 5, 4), 3);		/* G device */
	EXPECT_EQ(FIELD(d.val[0], 31, 16), 5);		/* DID */
	EXPECT_EQ(FIELD(d.val[0], 47, 32), 0x18);	/* SID */
	EXPECT_EQ(d.val[0] & 0xfffc00000000f1c0ull, 0); /* VTD_INV_DESC_CC_RSVD */
	EXPECT_EQ(d.val[1], 0);

	vtd_desc_iotlb(&d, VTD_IOTLB_PAGE, 9, 0x1000200000ull, 9);
	EXPECT_EQ(FIELD(d.val[0], 3, 0), 2);
	EXPECT_EQ(FIELD(d.val[0], 5, 4), 3);
	EXPECT_EQ(FIELD(d.val[0], 31, 16), 9);
	EXPECT_EQ(d.val[0] & 0xffffffff0000f100ull, 0); /* VTD_INV_DESC_IOTLB_RSVD_LO */
	EXPECT_EQ(d.val[1] & ~0xfffull, 0x1000200000ull);
	EXPECT_EQ(FIELD(d.val[1], 5, 0), 9); /* AM */
	EXPECT_EQ(d.val[1] & 0xf80, 0);	     /* VTD_INV_DESC_IOTLB_RSVD_HI */
	vtd_desc_iotlb(&d, VTD_IOTLB_DOMAIN, 9, 0x1234000, 3);
	EXPECT_EQ(FIELD(d.val[0], 5, 4), 2);
	EXPECT_EQ(d.val[1], 0);

	vtd_desc_pasid_cache(&d, VTD_PC_PASID, 3, 0xabcde);
	EXPECT_EQ(FIELD(d.val[0], 3, 0), 7);
	EXPECT_EQ(FIELD(d.val[0], 5, 4), 1);
	EXPECT_EQ(FIELD(d.val[0], 31, 16), 3);
	EXPECT_EQ(FIELD(d.val[0], 51, 32), 0xabcde);
	EXPECT_EQ(d.val[0] & 0xfff000000000f1c0ull, 0); /* VTD_INV_DESC_PASIDC_RSVD_VAL0 */

	vtd_desc_piotlb(&d, VTD_PIOTLB_PASID, 3, 1, 0, 0);
	EXPECT_EQ(FIELD(d.val[0], 3, 0), 6);
	EXPECT_EQ(FIELD(d.val[0], 5, 4), 2);
	EXPECT_EQ(d.val[0] & 0xfff000000000f1c0ull, 0); /* VTD_INV_DESC_PIOTLB_RSVD_VAL0 */

	vtd_desc_wait(&d, 0x106000, 0xdead);
	EXPECT_EQ(FIELD(d.val[0], 3, 0), 5);
	EXPECT_EQ(FIELD(d.val[0], 5, 5), 1); /* SW */
	EXPECT_EQ(FIELD(d.val[0], 4, 4), 0); /* IF: QEMU asserts !IF with SW */
	EXPECT_EQ(FIELD(d.val[0], 63, 32), 0xdead);
	EXPECT_EQ(d.val[0] & 0xfffff180ull, 0); /* VTD_INV_DESC_WAIT_RSVD_LO */
	EXPECT_EQ(d.val[1], 0x106000ull);
}

/* A fake guest memory: 16 MiB at GPA 0. */
static uint8_t mem[16 << 20];

static int fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	if (gpa + len > sizeof(mem))
		return -1;
	memcpy(mem + gpa, buf, len);
	return 0;
}

static uint64_t rd(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, mem + gpa, 8);
	return v;
}

/* A walk like QEMU's vtd_iova_to_slpte, over the fake memory. */
static int translate(uint64_t root, unsigned levels, uint64_t iova, uint64_t *gpa, bool *w)
{
	uint64_t table = root, e = 0;
	unsigned level;

	*w = true;
	for (level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);

		e = rd(table + ((iova >> shift) & 511) * 8);
		if (!(e & 3))
			return -1;
		*w = *w && (e & 2);
		if (level == 1 || (e & BIT(7))) {
			*gpa = (e & VTD_SL_ADDR_MASK & ~((1ull << shift) - 1)) |
			       (iova & ((1ull << shift) - 1));
			return 0;
		}
		table = e & VTD_SL_ADDR_MASK;
	}
	return -1;
}

struct leaves {
	int n;
	struct vtd_leaf l[8];
};

static int collect(void *opaque, const struct vtd_leaf *l)
{
	struct leaves *ls = opaque;

	if (ls->n < 8)
		ls->l[ls->n++] = *l;
	return 0;
}

TEST(page_table_builder)
{
	struct vtd_pt pt;
	struct leaves ls = {0};
	uint64_t gpa;
	bool w;

	memset(mem, 0, sizeof(mem));
	ASSERT_EQ(vtd_pt_init(&pt, 4, 0x100000, 64, fake_write, NULL), 0);
	ASSERT_EQ(vtd_pt_map(&pt, 0x1000000000ull, 0x5000, VTD_PAGE, true, false), 0);
	ASSERT_EQ(vtd_pt_map(&pt, 0x3000000000ull, 0x200000, VTD_2M, true, true), 0);
	ASSERT_EQ(vtd_pt_map(&pt, 0x4000000000ull, 0x40000000, VTD_1G, true, true), 0);
	EXPECT_EQ(vtd_pt_map(&pt, 0x1000000000ull, 0x6000, VTD_PAGE, true, true), -EEXIST);
	EXPECT_EQ(vtd_pt_map(&pt, 0x3000001000ull, 0x6000, VTD_PAGE, true, true), -EEXIST);
	EXPECT_EQ(vtd_pt_map(&pt, 0x1000, 0x1001, VTD_PAGE, true, true), -EINVAL);
	EXPECT_EQ(vtd_pt_map(&pt, 1ull << 48, 0, VTD_PAGE, true, true), -EINVAL);

	ASSERT_EQ(translate(pt.root, 4, 0x1000000123ull, &gpa, &w), 0);
	EXPECT_EQ(gpa, 0x5123);
	EXPECT_FALSE(w);
	ASSERT_EQ(translate(pt.root, 4, 0x3000012345ull, &gpa, &w), 0);
	EXPECT_EQ(gpa, 0x212345);
	EXPECT_TRUE(w);
	ASSERT_EQ(translate(pt.root, 4, 0x4000000000ull + 0x12345678, &gpa, &w), 0);
	EXPECT_EQ(gpa, 0x40000000ull + 0x12345678);
	EXPECT_EQ(translate(pt.root, 4, 0x1000001000ull, &gpa, &w), -1);

	ASSERT_EQ(vtd_pt_walk(&pt, collect, &ls), 0);
	ASSERT_EQ(ls.n, 3);
	EXPECT_EQ(ls.l[0].iova, 0x1000000000ull);
	EXPECT_EQ(ls.l[0].size, VTD_PAGE);
	EXPECT_FALSE(ls.l[0].write);
	EXPECT_EQ(ls.l[1].size, VTD_2M);
	EXPECT_EQ(ls.l[2].size, VTD_1G);
	EXPECT_EQ(ls.l[2].gpa, 0x40000000ull);

	EXPECT_EQ(vtd_pt_unmap(&pt, 0x3000000000ull, VTD_PAGE), -ENOENT); /* a 2M leaf */
	EXPECT_EQ(vtd_pt_unmap(&pt, 0x3000000000ull, VTD_2M), 0);
	EXPECT_EQ(translate(pt.root, 4, 0x3000000000ull, &gpa, &w), -1);
	EXPECT_EQ(vtd_pt_unmap(&pt, 0x3000000000ull, VTD_2M), -ENOENT);
	vtd_pt_free(&pt);
}

TEST(page_table_pool_exhaustion)
{
	struct vtd_pt pt;

	ASSERT_EQ(vtd_pt_init(&pt, 4, 0x100000, 3, fake_write, NULL), 0);
	/* Root + PDPT + PD use the pool; the page table does not fit. */
	EXPECT_EQ(vtd_pt_map(&pt, 0, 0, VTD_PAGE, true, true), -ENOMEM);
	EXPECT_EQ(vtd_pt_map(&pt, 0, 0, VTD_2M, true, true), 0);
	vtd_pt_free(&pt);
}
