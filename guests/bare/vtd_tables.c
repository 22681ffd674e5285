// SPDX-License-Identifier: GPL-2.0-or-later
#include "vtd_tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ADDR(x) ((x)&VTD_SL_ADDR_MASK)

void vtd_root_entry(uint64_t out[2], uint64_t ctx_table)
{
	out[0] = ADDR(ctx_table) | 1; /* CTP, P */
	out[1] = 0;
}

void vtd_sm_root_entry(uint64_t out[2], uint64_t lower, uint64_t upper)
{
	out[0] = lower ? ADDR(lower) | 1 : 0; /* LCTP, LP */
	out[1] = upper ? ADDR(upper) | 1 : 0; /* UCTP, UP */
}

void vtd_context_entry(uint64_t out[2], uint64_t slptptr, unsigned tt, unsigned aw, uint16_t did)
{
	/* lo: P (0), FPD (1) clear, TT (3:2), SLPTPTR (63:12) */
	out[0] = ADDR(slptptr) | (uint64_t)(tt & 3) << 2 | 1;
	/* hi: AW (2:0), DID (23:8) */
	out[1] = (uint64_t)(aw & 7) | (uint64_t)did << 8;
}

void vtd_sm_context_entry(uint64_t out[4], uint64_t pasid_dir, unsigned pdts, uint32_t rid_pasid)
{
	/* val0: P (0), FPD (1), DTE (2), PASIDE (3), PRE (4), PDTS (11:9), PASIDDIRPTR */
	out[0] = ADDR(pasid_dir) | (uint64_t)(pdts & 7) << 9 | 1;
	/* val1: RID_PASID (19:0) */
	out[1] = rid_pasid & 0xfffff;
	out[2] = 0;
	out[3] = 0;
}

void vtd_pasid_dir_entry(uint64_t *out, uint64_t pasid_table)
{
	*out = ADDR(pasid_table) | 1; /* P, FPD clear, SMPTBLPTR */
}

void vtd_pasid_entry(uint64_t out[8], unsigned pgtt, uint64_t slptptr, unsigned aw, uint16_t did)
{
	memset(out, 0, 8 * sizeof(uint64_t));
	/* val0: P (0), FPD (1), AW (4:2), PGTT (8:6), SSPTPTR (63:12) */
	out[0] = 1 | (uint64_t)(aw & 7) << 2 | (uint64_t)(pgtt & 7) << 6;
	if (pgtt != VTD_PGTT_PT)
		out[0] |= ADDR(slptptr);
	/* val1: DID (15:0) */
	out[1] = did;
}

uint64_t vtd_sl_table(uint64_t table)
{
	return ADDR(table) | VTD_SL_R | VTD_SL_W;
}

uint64_t vtd_sl_leaf(uint64_t addr, unsigned level, bool read, bool write)
{
	uint64_t e = ADDR(addr) | (read ? VTD_SL_R : 0) | (write ? VTD_SL_W : 0);

	if (level > 1)
		e |= VTD_SL_PS;
	return e;
}

static void desc_clear(struct vtd_desc *d)
{
	memset(d, 0, sizeof(*d));
}

void vtd_desc_cc(struct vtd_desc *d, enum vtd_cc_gran g, uint16_t did, uint16_t sid, unsigned fm)
{
	desc_clear(d);
	/* type 1, G (5:4), DID (31:16), SID (47:32), FM (49:48) */
	d->val[0] = 1 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)sid << 32 |
		    (uint64_t)(fm & 3) << 48;
}

void vtd_desc_iotlb(struct vtd_desc *d, enum vtd_iotlb_gran g, uint16_t did, uint64_t addr,
		    unsigned am)
{
	desc_clear(d);
	/* type 2, G (5:4), DW (6), DR (7), DID (31:16) */
	d->val[0] = 2 | (uint64_t)g << 4 | 1ull << 6 | 1ull << 7 | (uint64_t)did << 16;
	/* ADDR (63:12), IH (6), AM (5:0) */
	if (g == VTD_IOTLB_PAGE)
		d->val[1] = (addr & ~0xfffull) | (am & 0x3f);
}

void vtd_desc_pasid_cache(struct vtd_desc *d, enum vtd_pc_gran g, uint16_t did, uint32_t pasid)
{
	desc_clear(d);
	/* type 7, G (5:4), DID (31:16), PASID (51:32) */
	d->val[0] = 7 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)(pasid & 0xfffff) << 32;
}

void vtd_desc_piotlb(struct vtd_desc *d, enum vtd_piotlb_gran g, uint16_t did, uint32_t pasid,
		     uint64_t addr, unsigned am)
{
	desc_clear(d);
	/* type 6, G (5:4), DID (31:16), PASID (51:32) */
	d->val[0] = 6 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)(pasid & 0xfffff) << 32;
	if (g == VTD_PIOTLB_PAGE)
		d->val[1] = (addr & ~0xfffull) | (am & 0x3f);
}

void vtd_desc_wait(struct vtd_desc *d, uint64_t status_addr, uint32_t data)
{
	desc_clear(d);
	/* type 5, IF (4), SW (5), FN (6), status data (63:32) */
	d->val[0] = 5 | 1ull << 5 | (uint64_t)data << 32;
	d->val[1] = status_addr & ~3ull;
}

/* ---- page tables ---- */

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static unsigned level_of(uint64_t size)
{
	switch (size) {
	case VTD_PAGE:
		return 1;
	case VTD_2M:
		return 2;
	case VTD_1G:
		return 3;
	}
	return 0;
}

static int alloc_table(struct vtd_pt *pt, uint64_t *gpa)
{
	static const uint64_t zero[512];
	unsigned i;

	if (pt->used == pt->npages)
		return -ENOMEM;
	i = pt->used++;
	memset(pt->shadow[i], 0, sizeof(pt->shadow[i]));
	*gpa = pt->pool + (uint64_t)i * VTD_PAGE;
	if (pt->write(pt->opaque, *gpa, zero, sizeof(zero)) < 0)
		return -EIO;
	return 0;
}

static uint64_t *shadow_of(const struct vtd_pt *pt, uint64_t gpa)
{
	uint64_t i;

	if (gpa < pt->pool)
		return NULL;
	i = (gpa - pt->pool) / VTD_PAGE;
	if (i >= pt->used)
		return NULL;
	return pt->shadow[i];
}

static int set_entry(struct vtd_pt *pt, uint64_t table, unsigned idx, uint64_t val)
{
	uint64_t *t = shadow_of(pt, table);
	uint64_t le = val; /* x86 hosts only: little endian */

	if (!t)
		return -EINVAL;
	t[idx] = val;
	return pt->write(pt->opaque, table + idx * 8ull, &le, 8) < 0 ? -EIO : 0;
}

int vtd_pt_init(struct vtd_pt *pt, unsigned levels, uint64_t pool, unsigned npages,
		vtd_writer write, void *opaque)
{
	memset(pt, 0, sizeof(*pt));
	if ((levels != 3 && levels != 4) || !npages || pool & (VTD_PAGE - 1))
		return -EINVAL;
	pt->levels = levels;
	pt->pool = pool;
	pt->npages = npages;
	pt->write = write;
	pt->opaque = opaque;
	pt->shadow = calloc(npages, sizeof(*pt->shadow));
	if (!pt->shadow)
		return -ENOMEM;
	return alloc_table(pt, &pt->root);
}

void vtd_pt_free(struct vtd_pt *pt)
{
	free(pt->shadow);
	memset(pt, 0, sizeof(*pt));
}

static unsigned index_at(uint64_t iova, unsigned level)
{
	return (iova >> level_shift(level)) & 511;
}

int vtd_pt_map(struct vtd_pt *pt, uint64_t iova, uint64_t gpa, uint64_t size, bool read, bool write)
{
	unsigned leaf = level_of(size), level;
	uint64_t table = pt->root;
	int rc;

	if (!leaf || (iova | gpa) & (size - 1) || iova >> level_shift(pt->levels + 1) ||
	    (!read && !write))
		return -EINVAL;
	for (level = pt->levels; level > leaf; level--) {
		uint64_t *t = shadow_of(pt, table);
		unsigned idx = index_at(iova, level);

		if (!(t[idx] & (VTD_SL_R | VTD_SL_W))) {
			uint64_t next;

			rc = alloc_table(pt, &next);
			if (rc)
				return rc;
			rc = set_entry(pt, table, idx, vtd_sl_table(next));
			if (rc)
				return rc;
			t = shadow_of(pt, table);
		}
		if (t[idx] & VTD_SL_PS)
			return -EEXIST;
		table = ADDR(t[idx]);
	}
	{
		uint64_t *t = shadow_of(pt, table);
		unsigned idx = index_at(iova, leaf);

		if (t[idx] & (VTD_SL_R | VTD_SL_W))
			return -EEXIST;
		return set_entry(pt, table, idx, vtd_sl_leaf(gpa, leaf, read, write));
	}
}

int vtd_pt_unmap(struct vtd_pt *pt, uint64_t iova, uint64_t size)
{
	unsigned leaf = level_of(size), level;
	uint64_t table = pt->root;
	uint64_t *t;
	unsigned idx;

	if (!leaf || iova & (size - 1))
		return -EINVAL;
	for (level = pt->levels; level > leaf; level--) {
		t = shadow_of(pt, table);
		idx = index_at(iova, level);
		if (!(t[idx] & (VTD_SL_R | VTD_SL_W)) || t[idx] & VTD_SL_PS)
			return -ENOENT;
		table = ADDR(t[idx]);
	}
	t = shadow_of(pt, table);
	idx = index_at(iova, leaf);
	if (!(t[idx] & (VTD_SL_R | VTD_SL_W)) || (leaf > 1 && !(t[idx] & VTD_SL_PS)))
		return -ENOENT;
	return set_entry(pt, table, idx, 0);
}

static int walk(const struct vtd_pt *pt, uint64_t table, unsigned level, uint64_t base, bool r,
		bool w, int (*fn)(void *, const struct vtd_leaf *), void *opaque)
{
	const uint64_t *t = shadow_of(pt, table);
	unsigned i;
	int rc;

	if (!t)
		return 0;
	for (i = 0; i < 512; i++) {
		uint64_t e = t[i], iova = base + ((uint64_t)i << level_shift(level));
		bool rr = r && (e & VTD_SL_R), ww = w && (e & VTD_SL_W);

		if (!rr && !ww)
			continue;
		if (level == 1 || (e & VTD_SL_PS)) {
			struct vtd_leaf l = {.iova = iova,
					     .gpa = ADDR(e),
					     .size = 1ull << level_shift(level),
					     .read = rr,
					     .write = ww};

			rc = fn(opaque, &l);
		} else {
			rc = walk(pt, ADDR(e), level - 1, iova, rr, ww, fn, opaque);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int vtd_pt_walk(const struct vtd_pt *pt, int (*fn)(void *opaque, const struct vtd_leaf *l),
		void *opaque)
{
	return walk(pt, pt->root, pt->levels, 0, true, true, fn, opaque);
}
