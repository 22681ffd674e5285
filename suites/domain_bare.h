/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * suites/domain_bare.h: the bare-guest half of the domain suite, shared by
 * its two files: domain_bare_rig.c (QEMU and the mock up, the guest's VT-d
 * steps over qtest, the coherence and DMA oracles) and domain_bare.c (the
 * cases and their registration).
 *
 * A case keeps a struct dom: the mock's rig, the bare guest with its
 * device and page tables, and the domain the guest set up.  Every step
 * helper returns false once the case failed (and said why).
 */
#ifndef MIGCHECK_DOMAIN_BARE_H
#define MIGCHECK_DOMAIN_BARE_H

#include "bare.h"
#include "coherence.h"
#include "domain_common.h"
#include "mockdev.h"
#include "runner.h"

#include <stdbool.h>
#include <stdint.h>

struct pair;

#define BDOM_DID 1 /* the guest's one domain */

struct dom_variant {
	bool scalable;
	enum mock_backend backend;
};

struct dom {
	struct dom_watch w; /* and the case */
	const struct dom_variant *v;
	struct mock_rig *rig; /* own_rig, or a migration case's */
	struct mock_rig own_rig;
	bool adopted; /* QEMU and the mock belong to a migration case (bdom_adopt) */
	struct bare_guest g;
	struct dma_dev dev;
	struct vtd_pt pt;
	bool pt_ready;
	struct coh_ram ram;
	struct coh_set baseline; /* what QEMU maps with DMAR off: the pass-through set */
	struct coh_set prev;	 /* what the guest's domain allowed at the previous check */
	bool prev_valid;
	enum vtd_ctx_kind mode;
	uint64_t seed;
};

enum dma_expect { DMA_LANDS, DMA_FAULTS };

/* QEMU up, the no-DMAR baseline read, VT-d initialised, the device found. */
bool bdom_setup(struct dom *d, struct mc_case *c, const struct dom_variant *v,
		enum vtd_ctx_kind first);
/*
 * The same guest bring-up in the source QEMU of a migration case's pair
 * (bare, stopped, qtest connected as qt; its RAM layout): the case's mock
 * rig, its known defects.
 */
bool bdom_adopt(struct dom *d, struct mc_case *c, const struct dom_variant *v,
		enum vtd_ctx_kind first, const struct pair *p, struct qtest *qt,
		struct mock_rig *rig);
/* Known defects decide between FAIL, XFAIL and XPASS; then everything stops. */
void bdom_teardown(struct dom *d);

/* True if VT-d step rc worked with no driver or qtest error; else fails the case. */
bool bdom_vtd_ok(struct dom *d, const char *step, int rc);
/* The coherence oracle after a guest step. */
bool bdom_check(struct dom *d, const char *step);
/*
 * One-shot fill of `pages` at iova: it must land at gpa (checked in guest
 * RAM) or fault page by page in the mock.
 */
bool bdom_dma(struct dom *d, const char *step, uint64_t iova, uint64_t pages, enum dma_expect e,
	      uint64_t gpa);
/* Page-table edits; the invalidation is the caller's. */
bool bdom_map(struct dom *d, const char *step, uint64_t iova, uint64_t gpa, uint64_t size,
	      bool write);
bool bdom_unmap(struct dom *d, const char *step, uint64_t iova, uint64_t size);
/* Page-selective (address mask am) and domain-selective IOTLB invalidation. */
bool bdom_psi(struct dom *d, const char *step, uint64_t iova, unsigned am);
bool bdom_dsi(struct dom *d, const char *step);
/* Context entry written or cleared, then device-selective context invalidation. */
bool bdom_set_context(struct dom *d, const char *step, enum vtd_ctx_kind kind);
/* A domain switch with the context present, as Linux does it. */
bool bdom_switch_domain(struct dom *d, const char *step, enum vtd_ctx_kind kind);

/* Registers the bare guest's migration cases of one variant (domain_bare_mig.c). */
void bmig_register(const char *variant, const struct dom_variant *v);

#endif
