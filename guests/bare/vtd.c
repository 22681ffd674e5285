// SPDX-License-Identifier: GPL-2.0-or-later
#include "vtd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Register offsets (VT-d spec chapter 11). */
#define R_CAP 0x08
#define R_ECAP 0x10
#define R_GCMD 0x18
#define R_GSTS 0x1c
#define R_RTADDR 0x20
#define R_FSTS 0x34
#define R_IQH 0x80
#define R_IQT 0x88
#define R_IQA 0x90

#define GCMD_TE (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GCMD_QIE (1u << 26)
#define GSTS_TES (1u << 31)
#define GSTS_RTPS (1u << 30)
#define GSTS_QIES (1u << 26)
#define FSTS_IQE (1u << 4)
#define RTADDR_SMT (1ull << 10)
#define IQA_DW (1ull << 11)
#define ECAP_QI (1ull << 1)
#define ECAP_PT (1ull << 6)
#define ECAP_SMTS (1ull << 43)
#define ECAP_SLTS (1ull << 46)

static void verr(struct vtd *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void verr(struct vtd *v, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (v->err)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (qtest_error(v->qt)) {
		if (asprintf(&v->err, "%s (%s)", s, qtest_error(v->qt)) < 0)
			abort();
		free(s);
	} else {
		v->err = s;
	}
}

int vtd_qtest_writer(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	return qtest_memwrite(opaque, gpa, buf, len);
}

static uint32_t rd32(struct vtd *v, unsigned off)
{
	return qtest_readl(v->qt, VTD_DMAR_BASE + off);
}

uint32_t vtd_gsts(struct vtd *v)
{
	return rd32(v, R_GSTS);
}

uint32_t vtd_fsts(struct vtd *v)
{
	return rd32(v, R_FSTS);
}

/* Writes GCMD with the persistent bits plus `oneshot`, waits for `want` in GSTS. */
static int gcmd(struct vtd *v, uint32_t oneshot, uint32_t mask, uint32_t want)
{
	int i;

	qtest_writel(v->qt, VTD_DMAR_BASE + R_GCMD, v->gcmd | oneshot);
	/* QEMU answers within the write; the loop bounds a slower model. */
	for (i = 0; i < 100; i++) {
		uint32_t st = vtd_gsts(v);

		if (qtest_error(v->qt))
			break;
		if ((st & mask) == want)
			return 0;
	}
	verr(v, "GSTS did not follow GCMD 0x%08x (GSTS 0x%08x)", v->gcmd | oneshot, vtd_gsts(v));
	return -1;
}

int vtd_init(struct vtd *v, struct qtest *qt, const struct vtd_layout *l, bool scalable)
{
	uint64_t e[4];

	memset(v, 0, sizeof(*v));
	v->qt = qt;
	v->l = *l;
	v->scalable = scalable;
	v->desc_size = scalable ? 32 : 16;
	v->qlen = 4096 / v->desc_size;
	v->cap = qtest_readq(qt, VTD_DMAR_BASE + R_CAP);
	v->ecap = qtest_readq(qt, VTD_DMAR_BASE + R_ECAP);
	if (qtest_error(qt)) {
		verr(v, "cannot read the VT-d capabilities");
		return -1;
	}
	if (!(v->ecap & ECAP_QI)) {
		verr(v, "the IOMMU has no queued invalidation (ECAP 0x%llx)",
		     (unsigned long long)v->ecap);
		return -1;
	}
	if (scalable && !((v->ecap & ECAP_SMTS) && (v->ecap & ECAP_SLTS))) {
		verr(v,
		     "the IOMMU offers no scalable mode with second-level translation "
		     "(ECAP 0x%llx)",
		     (unsigned long long)v->ecap);
		return -1;
	}
	qtest_memset(qt, l->root, 0, 4096);
	qtest_memset(qt, l->ctx, 0, 4096);
	qtest_memset(qt, l->queue, 0, 4096);
	qtest_memset(qt, l->status, 0, 4096);
	if (scalable) {
		qtest_memset(qt, l->ctx_upper, 0, 4096);
		qtest_memset(qt, l->pasid_dir, 0, 4096);
		qtest_memset(qt, l->pasid_table, 0, 4096);
		vtd_sm_root_entry(e, l->ctx, l->ctx_upper);
	} else {
		vtd_root_entry(e, l->ctx);
	}
	qtest_memwrite(qt, l->root, e, 16); /* bus 0 */
	qtest_writeq(qt, VTD_DMAR_BASE + R_RTADDR, l->root | (scalable ? RTADDR_SMT : 0));
	if (gcmd(v, GCMD_SRTP, GSTS_RTPS, GSTS_RTPS) < 0)
		return -1;
	/* Queue of one page: QS 0 is 256 128-bit or 128 256-bit entries. */
	qtest_writeq(qt, VTD_DMAR_BASE + R_IQA, l->queue | (scalable ? IQA_DW : 0));
	qtest_writeq(qt, VTD_DMAR_BASE + R_IQT, 0);
	v->gcmd |= GCMD_QIE;
	if (gcmd(v, 0, GSTS_QIES, GSTS_QIES) < 0)
		return -1;
	/* As a driver does after setting the root table: flush everything. */
	{
		struct vtd_desc d;

		vtd_desc_cc(&d, VTD_CC_GLOBAL, 0, 0, 0);
		vtd_queue(v, &d);
		vtd_desc_iotlb(&d, VTD_IOTLB_GLOBAL, 0, 0, 0);
		vtd_queue(v, &d);
		if (scalable) {
			vtd_desc_pasid_cache(&d, VTD_PC_GLOBAL, 0, 0);
			vtd_queue(v, &d);
		}
	}
	return vtd_commit(v);
}

void vtd_fini(struct vtd *v)
{
	free(v->err);
	v->err = NULL;
}

int vtd_translation(struct vtd *v, bool on)
{
	if (on)
		v->gcmd |= GCMD_TE;
	else
		v->gcmd &= ~GCMD_TE;
	return gcmd(v, 0, GSTS_TES, on ? GSTS_TES : 0);
}

void vtd_queue(struct vtd *v, const struct vtd_desc *d)
{
	if (v->npending == sizeof(v->pending) / sizeof(v->pending[0])) {
		verr(v, "more than %u descriptors in one batch", v->npending);
		return;
	}
	v->pending[v->npending++] = *d;
}

int vtd_commit(struct vtd *v)
{
	struct vtd_desc w;
	uint32_t token = ++v->token, seen = 0;
	unsigned i, shift = v->scalable ? 5 : 4;
	uint64_t head;

	vtd_desc_wait(&w, v->l.status, token);
	vtd_queue(v, &w);
	if (v->err) {
		v->npending = 0;
		return -1;
	}
	for (i = 0; i < v->npending; i++) {
		qtest_memwrite(v->qt, v->l.queue + (uint64_t)v->tail * v->desc_size,
			       v->pending[i].val, v->desc_size);
		v->tail = (v->tail + 1) % v->qlen;
	}
	v->submitted += v->npending;
	v->npending = 0;
	qtest_writeq(v->qt, VTD_DMAR_BASE + R_IQT, (uint64_t)v->tail << shift);
	qtest_memread(v->qt, v->l.status, &seen, sizeof(seen));
	head = qtest_readq(v->qt, VTD_DMAR_BASE + R_IQH) >> shift;
	if (qtest_error(v->qt)) {
		verr(v, "invalidation queue");
		return -1;
	}
	if (vtd_fsts(v) & FSTS_IQE) {
		verr(v,
		     "invalidation queue error: QEMU refused a descriptor (FSTS 0x%x, head %llu, "
		     "tail %u)",
		     vtd_fsts(v), (unsigned long long)head, v->tail);
		return -1;
	}
	if (seen != token || head != v->tail) {
		verr(v,
		     "wait descriptor not completed (status 0x%x, want 0x%x; head %llu, tail %u)",
		     seen, token, (unsigned long long)head, v->tail);
		return -1;
	}
	return 0;
}

static int one(struct vtd *v, const struct vtd_desc *d)
{
	vtd_queue(v, d);
	return vtd_commit(v);
}

int vtd_inv_cc_device(struct vtd *v, uint16_t did, uint16_t sid)
{
	struct vtd_desc d;

	vtd_desc_cc(&d, VTD_CC_DEVICE, did, sid, 0);
	return one(v, &d);
}

int vtd_inv_cc_global(struct vtd *v)
{
	struct vtd_desc d;

	vtd_desc_cc(&d, VTD_CC_GLOBAL, 0, 0, 0);
	return one(v, &d);
}

int vtd_inv_iotlb_page(struct vtd *v, uint16_t did, uint64_t addr, unsigned am)
{
	struct vtd_desc d;

	vtd_desc_iotlb(&d, VTD_IOTLB_PAGE, did, addr, am);
	return one(v, &d);
}

int vtd_inv_iotlb_domain(struct vtd *v, uint16_t did)
{
	struct vtd_desc d;

	vtd_desc_iotlb(&d, VTD_IOTLB_DOMAIN, did, 0, 0);
	return one(v, &d);
}

int vtd_inv_iotlb_global(struct vtd *v)
{
	struct vtd_desc d;

	vtd_desc_iotlb(&d, VTD_IOTLB_GLOBAL, 0, 0, 0);
	return one(v, &d);
}

int vtd_inv_pasid_cache(struct vtd *v, uint16_t did, uint32_t pasid)
{
	struct vtd_desc d;

	vtd_desc_pasid_cache(&d, VTD_PC_PASID, did, pasid);
	return one(v, &d);
}

int vtd_inv_piotlb_pasid(struct vtd *v, uint16_t did, uint32_t pasid)
{
	struct vtd_desc d;

	vtd_desc_piotlb(&d, VTD_PIOTLB_PASID, did, pasid, 0, 0);
	return one(v, &d);
}

static unsigned aw_of(const struct vtd_pt *pt)
{
	return pt && pt->levels == 3 ? VTD_AW_39 : VTD_AW_48;
}

int vtd_set_pasid_entry(struct vtd *v, enum vtd_ctx_kind kind, const struct vtd_pt *pt,
			uint16_t did)
{
	uint64_t pe[8] = {0};

	if (!v->scalable) {
		verr(v, "PASID entries exist only in scalable mode");
		return -1;
	}
	if (kind == VTD_CTX_TRANSLATED)
		vtd_pasid_entry(pe, VTD_PGTT_SL, pt->root, aw_of(pt), did);
	else if (kind == VTD_CTX_PASSTHROUGH)
		vtd_pasid_entry(pe, VTD_PGTT_PT, 0, aw_of(pt), did);
	/* RID2PASID 0: directory entry 0, table entry 0. */
	qtest_memwrite(v->qt, v->l.pasid_table + VTD_RID_PASID % 64 * 64, pe, sizeof(pe));
	if (qtest_error(v->qt)) {
		verr(v, "cannot write the PASID entry");
		return -1;
	}
	return 0;
}

int vtd_set_context(struct vtd *v, uint8_t devfn, enum vtd_ctx_kind kind, const struct vtd_pt *pt,
		    uint16_t did)
{
	uint64_t ce[4] = {0};

	if (kind == VTD_CTX_TRANSLATED && !pt) {
		verr(v, "a translated context needs page tables");
		return -1;
	}
	if (v->scalable) {
		uint64_t pde;
		uint64_t table = devfn < 128 ? v->l.ctx : v->l.ctx_upper;

		if (kind != VTD_CTX_ABSENT) {
			vtd_pasid_dir_entry(&pde, v->l.pasid_table);
			qtest_memwrite(v->qt, v->l.pasid_dir, &pde, 8);
			if (vtd_set_pasid_entry(v, kind, pt, did) < 0)
				return -1;
			vtd_sm_context_entry(ce, v->l.pasid_dir, 0, VTD_RID_PASID);
		}
		qtest_memwrite(v->qt, table + (devfn & 127) * 32ull, ce, 32);
	} else {
		if (kind == VTD_CTX_TRANSLATED)
			vtd_context_entry(ce, pt->root, VTD_TT_MULTI_LEVEL, aw_of(pt), did);
		else if (kind == VTD_CTX_PASSTHROUGH)
			vtd_context_entry(ce, 0, VTD_TT_PASS_THROUGH, VTD_AW_48, did);
		qtest_memwrite(v->qt, v->l.ctx + devfn * 16ull, ce, 16);
	}
	if (qtest_error(v->qt)) {
		verr(v, "cannot write the context entry");
		return -1;
	}
	return 0;
}
