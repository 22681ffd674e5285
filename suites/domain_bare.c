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
 *
 * A failure that is exactly a known defect of the QEMU release under test
 * (fixtures/expectations/defects.json) is an XFAIL naming it; the same
 * case passing on that release is an XPASS.
 */
#include "bare.h"
#include "coherence.h"
#include "domain_common.h"
#include "matrix.h"
#include "mockdev.h"
#include "pair.h"
#include "qemuid.h"
#include "runner.h"
#include "util.h"
#include "viommu.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#define DID 1

struct dom_variant {
	bool scalable;
	enum mock_backend backend;
};

struct dom {
	struct dom_watch w; /* and the case */
	const struct dom_variant *v;
	struct mock_rig rig;
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

static const char *mode_name(enum vtd_ctx_kind k)
{
	switch (k) {
	case VTD_CTX_ABSENT:
		return "blocked";
	case VTD_CTX_TRANSLATED:
		return "translated";
	case VTD_CTX_PASSTHROUGH:
		return "pass-through";
	}
	return "?";
}

/* True while QEMU runs; otherwise fails the case with QEMU's last words. */
static bool alive(struct dom *d, const char *step)
{
	return dom_alive(&d->w, d->g.vm, step);
}

/* A driver-level error: QEMU's death explains it better when it died. */
static bool step_error(struct dom *d, const char *step, const char *what)
{
	/* Give a dying QEMU a moment to be reaped. */
	if (d->g.vm)
		mc_proc_wait(&d->g.vm->proc, 500);
	if (alive(d, step)) {
		mc_case_fail(d->w.c, "%s: %s", step, what ? what : "failed");
		dom_observed(&d->w, what ? what : "failed");
	}
	return false;
}

static bool vtd_ok(struct dom *d, const char *step, int rc)
{
	if (rc >= 0 && !d->g.vtd.err && !qtest_error(d->g.qt))
		return true;
	return step_error(d, step, d->g.vtd.err ? d->g.vtd.err : qtest_error(d->g.qt));
}

static json_t *mock_state(struct dom *d, const char *step)
{
	char *err = NULL;
	json_t *st;

	if (!alive(d, step))
		return NULL;
	st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), &err);
	if (!st)
		step_error(d, step, err);
	free(err);
	return st;
}

/* The coherence oracle after a guest step. */
static bool check(struct dom *d, const char *step)
{
	struct coh_set want, got;
	struct coh_diff diff;
	json_t *st;
	char *err = NULL;
	bool equal;

	d->w.steps++;
	st = mock_state(d, step);
	if (!st)
		return false;
	coh_set_init(&want);
	coh_set_init(&got);
	if (coh_from_mock(&got, st, &d->ram, &err) < 0) {
		json_decref(st);
		step_error(d, step, err);
		free(err);
		return false;
	}
	json_decref(st);
	if (d->mode == VTD_CTX_PASSTHROUGH)
		coh_set_copy(&want, &d->baseline);
	else if (d->mode == VTD_CTX_TRANSLATED)
		coh_from_pt(&want, &d->pt);
	equal = coh_compare(&want, &got, &diff);
	if (!equal && d->mode != VTD_CTX_PASSTHROUGH) {
		struct coh_diff pt;

		/* The signature of a pass-through mapping left in place. */
		if (coh_compare(&d->baseline, &got, &pt) && d->baseline.n)
			dom_pattern(&d->w, "passthrough_kept");
	}
	/* The signature of a pass-through domain QEMU never applied. */
	if (!equal && d->mode == VTD_CTX_PASSTHROUGH && !got.n)
		dom_pattern(&d->w, "passthrough_missing");
	if (!equal && d->prev_valid) {
		struct coh_diff pd;

		/* The signature of a step QEMU ignored: the mappings of the step before. */
		if (coh_compare(&d->prev, &got, &pd))
			dom_pattern(&d->w, "previous_mappings_kept");
	}
	coh_set_free(&d->prev);
	coh_set_copy(&d->prev, &want);
	d->prev_valid = true;
	equal = dom_coherence(&d->w, step, mode_name(d->mode), "", &want, &got, &diff, equal);
	coh_set_free(&want);
	coh_set_free(&got);
	return equal;
}

enum dma_expect { DMA_LANDS, DMA_FAULTS };

/*
 * One-shot fill of `pages` at iova: it must land at gpa (checked in guest
 * RAM) or fault page by page in the mock.
 */
static bool dma(struct dom *d, const char *step, uint64_t iova, uint64_t pages, enum dma_expect e,
		uint64_t gpa)
{
	struct dma_results r;
	uint64_t seed = ++d->seed * 0x1000 + 7, i;
	char *s = NULL;

	d->w.dmas++;
	d->dev.ops->clear(&d->dev);
	d->dev.ops->fill(&d->dev, iova, pages, seed);
	if (d->dev.ops->results(&d->dev, &r) < 0)
		return step_error(d, step, qtest_error(d->g.qt));
	if (e == DMA_FAULTS) {
		if (r.pages_written || r.pages_faulted != pages)
			s = mc_strdup_printf("%s: DMA of %" PRIu64 " page(s) at IOVA 0x%" PRIx64
					     " must fault (%s): %" PRIu64 " written, %" PRIu64
					     " faulted, status %" PRIu64,
					     step, pages, iova, mode_name(d->mode), r.pages_written,
					     r.pages_faulted, r.status);
	} else if (r.pages_written != pages || r.pages_faulted) {
		s = mc_strdup_printf("%s: DMA of %" PRIu64 " page(s) at IOVA 0x%" PRIx64
				     " must land (%s): %" PRIu64 " written, %" PRIu64
				     " faulted, status %" PRIu64,
				     step, pages, iova, mode_name(d->mode), r.pages_written,
				     r.pages_faulted, r.status);
	} else {
		for (i = 0; i < pages && !s; i++) {
			const uint64_t *w = (const uint64_t *)bare_ram(&d->g, gpa + i * 4096, 24);

			if (!w || w[0] != VFM_FILL_MAGIC || w[1] != seed || w[2] != i)
				s = mc_strdup_printf("%s: DMA to IOVA 0x%" PRIx64
						     " did not land at GPA 0x%" PRIx64,
						     step, iova + i * 4096, gpa + i * 4096);
		}
	}
	if (s) {
		dom_oracle_failed(&d->w, "dma", s,
				  json_pack("{s:I, s:I, s:I, s:I}", "iova", (json_int_t)iova,
					    "pages", (json_int_t)pages, "written",
					    (json_int_t)r.pages_written, "faulted",
					    (json_int_t)r.pages_faulted));
		free(s);
		return false;
	}
	return alive(d, step);
}

static bool map(struct dom *d, const char *step, uint64_t iova, uint64_t gpa, uint64_t size,
		bool write)
{
	int rc = vtd_pt_map(&d->pt, iova, gpa, size, true, write);

	if (rc < 0) {
		char *s = mc_strdup_printf("page table map at IOVA 0x%" PRIx64 ": %s", iova,
					   strerror(-rc));

		step_error(d, step, s);
		free(s);
		return false;
	}
	return vtd_ok(d, step, 0);
}

static bool unmap(struct dom *d, const char *step, uint64_t iova, uint64_t size)
{
	int rc = vtd_pt_unmap(&d->pt, iova, size);

	if (rc < 0) {
		char *s = mc_strdup_printf("page table unmap at IOVA 0x%" PRIx64 ": %s", iova,
					   strerror(-rc));

		step_error(d, step, s);
		free(s);
		return false;
	}
	return vtd_ok(d, step, 0);
}

static uint16_t sid(struct dom *d)
{
	return VTD_SID(0, d->dev.devfn);
}

/* Context entry written or cleared, then device-selective context invalidation. */
static bool set_context(struct dom *d, const char *step, enum vtd_ctx_kind kind)
{
	struct vtd *v = &d->g.vtd;

	if (!vtd_ok(d, step, vtd_set_context(v, d->dev.devfn, kind, &d->pt, DID)))
		return false;
	d->mode = kind;
	if (!vtd_ok(d, step, vtd_inv_cc_device(v, DID, sid(d))))
		return false;
	return vtd_ok(d, step, vtd_inv_iotlb_domain(v, DID));
}

/*
 * A domain switch with the context present, as Linux does it: legacy mode
 * rewrites the context entry (context-cache and IOTLB invalidation);
 * scalable mode rewrites the RID2PASID entry and invalidates the PASID
 * cache and the PASID's IOTLB entries.
 */
static bool switch_domain(struct dom *d, const char *step, enum vtd_ctx_kind kind)
{
	struct vtd *v = &d->g.vtd;
	enum vtd_ctx_kind old = d->mode;

	if (!v->scalable)
		return set_context(d, step, kind);
	if (!vtd_ok(d, step, vtd_set_pasid_entry(v, kind, &d->pt, DID)))
		return false;
	d->mode = kind;
	if (!vtd_ok(d, step, vtd_inv_pasid_cache(v, DID, VTD_RID_PASID)))
		return false;
	if (kind == VTD_CTX_PASSTHROUGH || old == VTD_CTX_PASSTHROUGH)
		return vtd_ok(d, step, vtd_inv_piotlb_pasid(v, DID, VTD_RID_PASID));
	return vtd_ok(d, step, vtd_inv_iotlb_domain(v, DID));
}

static bool psi(struct dom *d, const char *step, uint64_t iova, unsigned am)
{
	return vtd_ok(d, step, vtd_inv_iotlb_page(&d->g.vtd, DID, iova, am));
}

static bool dsi(struct dom *d, const char *step)
{
	return vtd_ok(d, step, vtd_inv_iotlb_domain(&d->g.vtd, DID));
}

/* QEMU up, the no-DMAR baseline read, VT-d initialised, the device found. */
static bool setup(struct dom *d, struct mc_case *c, const struct dom_variant *v,
		  enum vtd_ctx_kind first)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct mock_spec spec = {.backend = v->backend, .ndev = 1};
	struct bare_opts o = {
	    .qemu = cfg->qemu, .workdir = mc_case_workdir(c), .scalable = v->scalable};
	char *err = NULL;
	json_t *st;
	int rc;
	double t0 = mc_now_s();

	memset(d, 0, sizeof(*d));
	dom_watch_init(&d->w, c);
	d->v = v;
	coh_set_init(&d->baseline);
	coh_set_init(&d->prev);
	/* A guest driver enables bus mastering: the device waits for BME. */
	spec.dev[0].host_driven = false;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0)
		goto error;
	o.extra_args = (const char *const *)d->rig.args;
	o.env = (const char *const *)d->rig.env[VM_SRC];
	/* intel-iommu as the QEMU under test spells it (identity probed for cfg->qemu). */
	qemuid_get(cfg->qemu, NULL);
	if (!viommu_qemu_args(v->scalable ? MX_VI_SCALABLE : MX_VI_LEGACY, false)) {
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		return false;
	}
	rc = bare_start(&d->g, &o, &err);
	if (rc < 0) {
		/* QEMU refusing the command line is the system under test failing. */
		if (d->g.vm && !alive(d, "start"))
			goto fail;
		goto error;
	}
	mc_case_set(c, "qemu_version", json_string(qmp_version(d->g.vm->qmp)));
	st = mock_state(d, "start");
	if (!st)
		goto fail;
	coh_from_mock(&d->baseline, st, NULL, &err);
	if (coh_ram_from_identity(&d->ram, st, &err) < 0) {
		json_decref(st);
		goto error;
	}
	coh_set_free(&d->baseline);
	coh_from_mock(&d->baseline, st, &d->ram, &err);
	json_decref(st);
	/* DMAR off: the device sees all RAM, as in pass-through. */
	d->mode = VTD_CTX_PASSTHROUGH;
	if (!check(d, "DMAR off"))
		goto fail;
	if (bare_vtd_init(&d->g, v->scalable, &err) < 0) {
		step_error(d, "VT-d init", err);
		goto fail;
	}
	if (dma_dev_probe(&d->dev, d->g.qt, &vfiomock_dma_ops, BARE_BAR0, &err) < 0) {
		step_error(d, "device probe", err);
		goto fail;
	}
	if (vtd_pt_init(&d->pt, 4, BARE_PT_POOL, BARE_PT_PAGES, vtd_qtest_writer, d->g.qt) < 0) {
		step_error(d, "page tables", qtest_error(d->g.qt));
		goto fail;
	}
	d->pt_ready = true;
	/* Tables first, then translation on, as a driver does at boot. */
	if (!set_context(d, "attach", first))
		goto fail;
	if (!vtd_ok(d, "translation on", vtd_translation(&d->g.vtd, true)))
		goto fail;
	mc_case_phase(c, "setup", mc_now_s() - t0);
	if (!check(d, "translation on"))
		goto fail;
	free(err);
	return true;
error:
	mc_case_error(c, "%s", err ? err : "setup failed");
fail:
	free(err);
	return false;
}

/* Known defects decide between FAIL, XFAIL and XPASS; then everything stops. */
static void teardown(struct dom *d)
{
	const char *version = d->g.vm ? qmp_version(d->g.vm->qmp) : NULL;

	if (d->g.vm && !d->w.crashed)
		alive(d, "end");
	mc_case_set(d->w.c, "steps",
		    json_pack("{s:i, s:i, s:I}", "coherence_checks", d->w.steps, "dma_checks",
			      d->w.dmas, "descriptors",
			      (json_int_t)(d->g.vtd_ready ? d->g.vtd.submitted : 0)));
	if (!mc_case_failed(d->w.c) && !d->w.negative && d->w.steps)
		dom_coherence_held(&d->w);
	dom_expect_defects(&d->w, version);
	if (d->pt_ready)
		vtd_pt_free(&d->pt);
	bare_stop(&d->g);
	mock_rig_free(&d->rig);
	coh_set_free(&d->baseline);
	coh_set_free(&d->prev);
	dom_watch_free(&d->w);
}

/* ---- cases ---- */

static void map_unmap_page(struct mc_case *c, const void *data)
{
	struct dom d;
	unsigned i;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map(&d, "map 4K", IOVA_4K, GPA_4K, VTD_PAGE, true) || !psi(&d, "map 4K", IOVA_4K, 0) ||
	    !check(&d, "map 4K + PSI") || !dma(&d, "map 4K", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	/* Four pages, one page-selective invalidation with AM 2. */
	for (i = 4; i < 8; i++)
		if (!map(&d, "map 4x4K", IOVA_4K + i * VTD_PAGE, GPA_4K + (i + 16) * VTD_PAGE,
			 VTD_PAGE, true))
			goto out;
	if (!psi(&d, "map 4x4K", IOVA_4K + 4 * VTD_PAGE, 2) || !check(&d, "map 4x4K + PSI am=2") ||
	    !dma(&d, "map 4x4K", IOVA_4K + 4 * VTD_PAGE, 4, DMA_LANDS, GPA_4K + 20 * VTD_PAGE))
		goto out;
	if (!unmap(&d, "unmap 4K", IOVA_4K, VTD_PAGE) || !psi(&d, "unmap 4K", IOVA_4K, 0) ||
	    !check(&d, "unmap 4K + PSI") || !dma(&d, "unmap 4K", IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	for (i = 4; i < 8; i++)
		if (!unmap(&d, "unmap 4x4K", IOVA_4K + i * VTD_PAGE, VTD_PAGE))
			goto out;
	if (!psi(&d, "unmap 4x4K", IOVA_4K + 4 * VTD_PAGE, 2) ||
	    !check(&d, "unmap 4x4K + PSI am=2"))
		goto out;
	dma(&d, "unmap 4x4K", IOVA_4K + 4 * VTD_PAGE, 4, DMA_FAULTS, 0);
out:
	teardown(&d);
}

/* Eight scattered pages, domain-selective or global invalidation. */
static void invalidate_wide(struct mc_case *c, const void *data, bool global)
{
	const char *how = global ? "global" : "DSI";
	struct dom d;
	char step[64];
	unsigned i;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < 8; i++)
		if (!map(&d, "map 8", IOVA_4K + i * 0x200000ull + i * VTD_PAGE,
			 GPA_4K + i * VTD_PAGE, VTD_PAGE, i % 2 == 0))
			goto out;
	snprintf(step, sizeof(step), "map 8 + %s", how);
	if (!vtd_ok(&d, step,
		    global ? vtd_inv_iotlb_global(&d.g.vtd)
			   : vtd_inv_iotlb_domain(&d.g.vtd, DID)) ||
	    !check(&d, step) || !dma(&d, step, IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (global) {
		/* A global context-cache invalidation replays the domain. */
		if (!vtd_ok(&d, "context-cache global", vtd_inv_cc_global(&d.g.vtd)) ||
		    !check(&d, "context-cache global"))
			goto out;
	}
	for (i = 0; i < 8; i += 2)
		if (!unmap(&d, "unmap 4", IOVA_4K + i * 0x200000ull + i * VTD_PAGE, VTD_PAGE))
			goto out;
	snprintf(step, sizeof(step), "unmap 4 + %s", how);
	if (!vtd_ok(&d, step,
		    global ? vtd_inv_iotlb_global(&d.g.vtd)
			   : vtd_inv_iotlb_domain(&d.g.vtd, DID)) ||
	    !check(&d, step) || !dma(&d, step, IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	/* A read-only survivor: writes fault. */
	dma(&d, step, IOVA_4K + 0x200000ull + VTD_PAGE, 1, DMA_FAULTS, 0);
out:
	teardown(&d);
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

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map(&d, "map huge", iova, gpa, size, true) || !psi(&d, "map huge", iova, am) ||
	    !check(&d, "map huge + PSI") || !dma(&d, "first page", iova, 1, DMA_LANDS, gpa) ||
	    !dma(&d, "middle pages", iova + mid, 2, DMA_LANDS, gpa + mid) ||
	    !dma(&d, "last page", iova + last, 1, DMA_LANDS, gpa + last))
		goto out;
	/* Beyond the leaf nothing is mapped. */
	if (!dma(&d, "past the leaf", iova + size, 1, DMA_FAULTS, 0))
		goto out;
	if (!unmap(&d, "unmap huge", iova, size) || !psi(&d, "unmap huge", iova, am) ||
	    !check(&d, "unmap huge + PSI"))
		goto out;
	dma(&d, "unmap huge", iova + mid, 1, DMA_FAULTS, 0);
out:
	teardown(&d);
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

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map(&d, "map read-only", IOVA_4K, GPA_4K, VTD_PAGE, false) ||
	    !psi(&d, "map read-only", IOVA_4K, 0) || !check(&d, "map read-only + PSI") ||
	    !dma(&d, "write to read-only", IOVA_4K, 1, DMA_FAULTS, 0))
		goto out;
	/* Upgrade in place: the entry changes, one PSI. */
	if (!unmap(&d, "make writable", IOVA_4K, VTD_PAGE) ||
	    !map(&d, "make writable", IOVA_4K, GPA_4K, VTD_PAGE, true) ||
	    !psi(&d, "make writable", IOVA_4K, 0) || !check(&d, "make writable + PSI") ||
	    !dma(&d, "write to writable", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (!unmap(&d, "make read-only", IOVA_4K, VTD_PAGE) ||
	    !map(&d, "make read-only", IOVA_4K, GPA_4K, VTD_PAGE, false) ||
	    !psi(&d, "make read-only", IOVA_4K, 0) || !check(&d, "make read-only + PSI"))
		goto out;
	dma(&d, "write after downgrade", IOVA_4K, 1, DMA_FAULTS, 0);
out:
	teardown(&d);
}

/* Pass-through from the start (a guest booted iommu=pt), translated, back. */
static void passthrough(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!setup(&d, c, data, VTD_CTX_PASSTHROUGH))
		goto out;
	if (!dma(&d, "pass-through", GPA_PT_DMA, 2, DMA_LANDS, GPA_PT_DMA))
		goto out;
	if (!map(&d, "map 4K", IOVA_4K, GPA_4K, VTD_PAGE, true) ||
	    !switch_domain(&d, "to translated", VTD_CTX_TRANSLATED) ||
	    !check(&d, "pass-through -> translated"))
		goto out;
	if (!dma(&d, "translated", GPA_PT_DMA, 1, DMA_FAULTS, 0) ||
	    !dma(&d, "translated", IOVA_4K, 1, DMA_LANDS, GPA_4K))
		goto out;
	if (!switch_domain(&d, "back to pass-through", VTD_CTX_PASSTHROUGH) ||
	    !check(&d, "translated -> pass-through"))
		goto out;
	dma(&d, "pass-through again", GPA_PT_DMA, 1, DMA_LANDS, GPA_PT_DMA);
out:
	teardown(&d);
}

/* Four pages read-write at IOVA_4K, one domain-selective invalidation, checked. */
static bool map4(struct dom *d)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (!map(d, "map 4", IOVA_4K + i * VTD_PAGE, GPA_4K + i * VTD_PAGE, VTD_PAGE, true))
			return false;
	return dsi(d, "map 4") && check(d, "map 4 + DSI");
}

/* Translated with live mappings to pass-through, and back. */
static void passthrough_live(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d) || !switch_domain(&d, "to pass-through", VTD_CTX_PASSTHROUGH) ||
	    !check(&d, "translated (live) -> pass-through") ||
	    !dma(&d, "pass-through", GPA_PT_DMA, 1, DMA_LANDS, GPA_PT_DMA))
		goto out;
	if (!switch_domain(&d, "back to translated", VTD_CTX_TRANSLATED) ||
	    !check(&d, "pass-through -> translated"))
		goto out;
	dma(&d, "translated again", IOVA_4K, 4, DMA_LANDS, GPA_4K);
out:
	teardown(&d);
}

static void blocked(struct mc_case *c, const void *data)
{
	struct dom d;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d) || !set_context(&d, "block", VTD_CTX_ABSENT) ||
	    !check(&d, "context not present + context-cache invalidation") ||
	    !dma(&d, "blocked", IOVA_4K, 4, DMA_FAULTS, 0) ||
	    !dma(&d, "blocked", GPA_PT_DMA, 1, DMA_FAULTS, 0))
		goto out;
	/* Re-attach: the domain's mappings come back. */
	if (!set_context(&d, "re-attach", VTD_CTX_TRANSLATED) || !check(&d, "re-attach"))
		goto out;
	dma(&d, "re-attached", IOVA_4K, 4, DMA_LANDS, GPA_4K);
out:
	teardown(&d);
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
	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < STORM_PAGES; i++) {
		if (!map(&d, "storm map", iova[i], gpa[i], VTD_PAGE, i % 5 != 0))
			goto out;
		if (strict && !psi(&d, "storm map", iova[i], 0))
			goto out;
	}
	if ((!strict && !dsi(&d, "storm map")) || !check(&d, "storm mapped"))
		goto out;
	if (!dma(&d, "storm", iova[1], 1, DMA_LANDS, gpa[1]) ||
	    !dma(&d, "storm read-only", iova[0], 1, DMA_FAULTS, 0))
		goto out;
	for (i = 0; i < STORM_PAGES; i++) {
		if (!unmap(&d, "storm unmap", iova[i], VTD_PAGE))
			goto out;
		if (strict && !psi(&d, "storm unmap", iova[i], 0))
			goto out;
		if (i == STORM_PAGES / 2 - 1 && ((!strict && !dsi(&d, "storm unmap half")) ||
						 !check(&d, "storm half unmapped")))
			goto out;
	}
	if ((!strict && !dsi(&d, "storm unmap")) || !check(&d, "storm unmapped"))
		goto out;
	dma(&d, "storm unmapped", iova[1], 1, DMA_FAULTS, 0);
out:
	teardown(&d);
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

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	if (!map4(&d))
		goto out;
	r = mock_rig_call(&d.rig, VM_SRC,
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
		if (!unmap(&d, "unmap 4", IOVA_4K + i * VTD_PAGE, VTD_PAGE))
			goto out;
	d.w.selftest = true;
	if (!dsi(&d, "unmap 4") || !check(&d, "unmap 4 + DSI"))
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
	teardown(&d);
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

static const struct mc_test domain_bare_tests[] = {
    CASES("bare_legacy_type1", legacy_type1),
    CASES("bare_legacy_iommufd", legacy_iommufd),
    CASES("bare_scalable_type1", scalable_type1),
    CASES("bare_scalable_iommufd", scalable_iommufd),
};
MC_SUITE(domain_bare_tests)
