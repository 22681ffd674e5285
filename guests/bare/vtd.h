/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd.h: driving QEMU's intel-iommu over qtest, the way a guest driver does.
 *
 * Global command/status handshakes (root table pointer, queued
 * invalidation, translation enable), the invalidation queue with a
 * status-write wait descriptor after every batch (QEMU processes the queue
 * synchronously on the tail write, the status word proves it), and the
 * root/context/PASID entries of one PCI bus.  Legacy mode uses 128-bit
 * descriptors; scalable mode the 256-bit queue the PASID descriptors need.
 */
#ifndef MIGCHECK_BARE_VTD_H
#define MIGCHECK_BARE_VTD_H

#include "qtest.h"
#include "vtd_tables.h"

#include <stdbool.h>
#include <stdint.h>

#define VTD_DMAR_BASE 0xfed90000ull

/* Guest-physical pages the driver owns (each 4 KiB, zeroed by vtd_init). */
struct vtd_layout {
	uint64_t root;	      /* root table */
	uint64_t ctx;	      /* context table of bus 0 (scalable: devfn 0-127) */
	uint64_t ctx_upper;   /* scalable: devfn 128-255 */
	uint64_t pasid_dir;   /* scalable: PASID directory */
	uint64_t pasid_table; /* scalable: PASID table for PASIDs 0-63 */
	uint64_t queue;	      /* invalidation queue (one page) */
	uint64_t status;      /* wait descriptor status word */
};

struct vtd {
	struct qtest *qt;
	struct vtd_layout l;
	bool scalable;
	uint64_t cap, ecap;
	uint32_t gcmd; /* persistent command bits (TE, QIE) as last set */
	unsigned desc_size, qlen, tail;
	uint32_t token;
	unsigned long submitted; /* descriptors, waits included */
	struct vtd_desc pending[64];
	unsigned npending;
	char *err;
};

/* RID2PASID used in scalable mode. */
#define VTD_RID_PASID 0

/* Reads CAP/ECAP, sets the root table and enables queued invalidation (not TE). */
int vtd_init(struct vtd *v, struct qtest *qt, const struct vtd_layout *l, bool scalable);
void vtd_fini(struct vtd *v);
/* Global command TE (1) or off (0), waiting for GSTS to follow. */
int vtd_translation(struct vtd *v, bool on);
uint32_t vtd_gsts(struct vtd *v);
uint32_t vtd_fsts(struct vtd *v);

/* Queues a descriptor; vtd_commit() sends the batch with a wait descriptor. */
void vtd_queue(struct vtd *v, const struct vtd_desc *d);
int vtd_commit(struct vtd *v);

/* Convenience: one descriptor plus wait. */
int vtd_inv_cc_device(struct vtd *v, uint16_t did, uint16_t sid);
int vtd_inv_cc_global(struct vtd *v);
int vtd_inv_iotlb_page(struct vtd *v, uint16_t did, uint64_t addr, unsigned am);
int vtd_inv_iotlb_domain(struct vtd *v, uint16_t did);
int vtd_inv_iotlb_global(struct vtd *v);
int vtd_inv_pasid_cache(struct vtd *v, uint16_t did, uint32_t pasid);
int vtd_inv_piotlb_pasid(struct vtd *v, uint16_t did, uint32_t pasid);

/*
 * Context of devfn on bus 0 (memory only; invalidate afterwards):
 * translated through pt (did), pass-through, or not present (blocked).
 * Scalable mode: the context entry points at the PASID directory and the
 * RID2PASID entry carries the translation type.
 */
enum vtd_ctx_kind { VTD_CTX_ABSENT, VTD_CTX_TRANSLATED, VTD_CTX_PASSTHROUGH };
int vtd_set_context(struct vtd *v, uint8_t devfn, enum vtd_ctx_kind kind, const struct vtd_pt *pt,
		    uint16_t did);
/* Scalable mode: rewrites only the RID2PASID entry (the context stays present). */
int vtd_set_pasid_entry(struct vtd *v, enum vtd_ctx_kind kind, const struct vtd_pt *pt,
			uint16_t did);

/* qtest writer for vtd_pt. */
int vtd_qtest_writer(void *opaque, uint64_t gpa, const void *buf, size_t len);

#endif
