/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd_tables.h: Intel VT-d remapping structures, encoded as the VT-d
 * specification (rev. 3.x, chapter 9) lays them out and as QEMU's
 * hw/i386/intel_iommu.c decodes them: root and context entries (legacy and
 * scalable mode), PASID directory and table entries, second-level paging
 * entries, and invalidation descriptors.
 *
 * The encoders are pure.  struct vtd_pt keeps a shadow of one second-level
 * page table tree that lives in guest memory and writes every change through
 * a caller-supplied writer (qtest memory writes for the bare guest), so the
 * shadow is always what the guest's tables say.
 */
#ifndef MIGCHECK_BARE_VTD_TABLES_H
#define MIGCHECK_BARE_VTD_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VTD_PAGE 4096ull
#define VTD_2M (1ull << 21)
#define VTD_1G (1ull << 30)

/* Second-level entry bits. */
#define VTD_SL_R (1ull << 0)
#define VTD_SL_W (1ull << 1)
#define VTD_SL_PS (1ull << 7)
#define VTD_SL_ADDR_MASK 0x000ffffffffff000ull

/* Context entry translation types (legacy mode). */
#define VTD_TT_MULTI_LEVEL 0
#define VTD_TT_PASS_THROUGH 2

/* PASID entry granular translation types (scalable mode). */
#define VTD_PGTT_FL 1
#define VTD_PGTT_SL 2
#define VTD_PGTT_NESTED 3
#define VTD_PGTT_PT 4

/* Address width field: 1 = 39-bit (3 levels), 2 = 48-bit (4 levels). */
#define VTD_AW_39 1
#define VTD_AW_48 2

struct vtd_desc {
	uint64_t val[4]; /* val[2..3] only in a 256-bit queue */
};

/* ---- entries ---- */
void vtd_root_entry(uint64_t out[2], uint64_t ctx_table);
/* Scalable: lower table for devfn 0-127, upper for 128-255 (0: not present). */
void vtd_sm_root_entry(uint64_t out[2], uint64_t lower, uint64_t upper);
void vtd_context_entry(uint64_t out[2], uint64_t slptptr, unsigned tt, unsigned aw, uint16_t did);
/* Scalable context entry; pdts: directory holds 2^(pdts+7) entries. */
void vtd_sm_context_entry(uint64_t out[4], uint64_t pasid_dir, unsigned pdts, uint32_t rid_pasid);
void vtd_pasid_dir_entry(uint64_t *out, uint64_t pasid_table);
/* PASID table entry; slptptr is ignored by the hardware for pass-through. */
void vtd_pasid_entry(uint64_t out[8], unsigned pgtt, uint64_t slptptr, unsigned aw, uint16_t did);
/* Second-level entries: a table pointer, or a leaf at level 1 (4K), 2 (2M), 3 (1G). */
uint64_t vtd_sl_table(uint64_t table);
uint64_t vtd_sl_leaf(uint64_t addr, unsigned level, bool read, bool write);

/* ---- invalidation descriptors ---- */
enum vtd_cc_gran { VTD_CC_GLOBAL = 1, VTD_CC_DOMAIN = 2, VTD_CC_DEVICE = 3 };
enum vtd_iotlb_gran { VTD_IOTLB_GLOBAL = 1, VTD_IOTLB_DOMAIN = 2, VTD_IOTLB_PAGE = 3 };
enum vtd_pc_gran { VTD_PC_DOMAIN = 0, VTD_PC_PASID = 1, VTD_PC_GLOBAL = 3 };
enum vtd_piotlb_gran { VTD_PIOTLB_PASID = 2, VTD_PIOTLB_PAGE = 3 };

#define VTD_SID(bus, devfn) ((uint16_t)((bus) << 8 | (devfn)))

void vtd_desc_cc(struct vtd_desc *d, enum vtd_cc_gran g, uint16_t did, uint16_t sid, unsigned fm);
/* am: the page-selective range is 2^am pages at addr (aligned to it). */
void vtd_desc_iotlb(struct vtd_desc *d, enum vtd_iotlb_gran g, uint16_t did, uint64_t addr,
		    unsigned am);
void vtd_desc_pasid_cache(struct vtd_desc *d, enum vtd_pc_gran g, uint16_t did, uint32_t pasid);
void vtd_desc_piotlb(struct vtd_desc *d, enum vtd_piotlb_gran g, uint16_t did, uint32_t pasid,
		     uint64_t addr, unsigned am);
/* Status write of `data` to `status_addr` once everything before it is done. */
void vtd_desc_wait(struct vtd_desc *d, uint64_t status_addr, uint32_t data);

/* ---- a second-level page table tree in guest memory ---- */
typedef int (*vtd_writer)(void *opaque, uint64_t gpa, const void *buf, size_t len);

struct vtd_pt {
	unsigned levels; /* 3 or 4 */
	uint64_t root;	 /* GPA of the top table */
	uint64_t pool;	 /* GPA of the table pool */
	unsigned npages, used;
	uint64_t (*shadow)[512]; /* shadow[i] is the table at pool + i * 4K */
	vtd_writer write;
	void *opaque;
};

/* A leaf as the tables define it (permissions stacked with the parents'). */
struct vtd_leaf {
	uint64_t iova, gpa, size;
	bool read, write;
};

int vtd_pt_init(struct vtd_pt *pt, unsigned levels, uint64_t pool, unsigned npages,
		vtd_writer write, void *opaque);
void vtd_pt_free(struct vtd_pt *pt);
/*
 * Maps [iova, iova + size) to gpa with a leaf of that size (4K, 2M or 1G,
 * both addresses aligned to it).  -EEXIST if a leaf is already there,
 * -ENOMEM when the pool is used up, -EINVAL for bad arguments, -EIO when
 * the writer fails.
 */
int vtd_pt_map(struct vtd_pt *pt, uint64_t iova, uint64_t gpa, uint64_t size, bool read,
	       bool write);
/* Clears the leaf of that size at iova; -ENOENT when there is none. */
int vtd_pt_unmap(struct vtd_pt *pt, uint64_t iova, uint64_t size);
/* Calls fn for every leaf, in IOVA order; stops early if fn returns non-zero. */
int vtd_pt_walk(const struct vtd_pt *pt, int (*fn)(void *opaque, const struct vtd_leaf *l),
		void *opaque);

#endif
