// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_bare_rig: the bare-guest domain cases' rig and oracles.
 *
 * QEMU with intel-iommu and the VFIO mock started, the mock's mappings
 * with DMAR off read as the pass-through baseline, VT-d and the device
 * brought up over qtest; then the guest's steps (page tables, context and
 * PASID entries, invalidations), each checked: the mock's mappings against
 * the domain, DMA landing or faulting where the domain says.
 */
#include "domain_bare.h"

#include "matrix.h"
#include "pair.h"
#include "qemuid.h"
#include "util.h"
#include "viommu.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool bdom_vtd_ok(struct dom *d, const char *step, int rc)
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
	st = mock_rig_call(d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), &err);
	if (!st)
		step_error(d, step, err);
	free(err);
	return st;
}

/* The coherence oracle after a guest step. */
bool bdom_check(struct dom *d, const char *step)
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
	if (!equal && d->mode == VTD_CTX_PASSTHROUGH && coh_none_applied(&want, &diff))
		dom_pattern(&d->w, "passthrough_missing");
	/*
	 * The signature of an unmap QEMU missed while it tracked dirty pages:
	 * mappings the guest took away still there (the migration cases).
	 */
	if (!equal && d->adopted && diff.stale_bytes)
		dom_pattern(&d->w, "stale_after_switch");
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

/*
 * One-shot fill of `pages` at iova: it must land at gpa (checked in guest
 * RAM) or fault page by page in the mock.
 */
bool bdom_dma(struct dom *d, const char *step, uint64_t iova, uint64_t pages, enum dma_expect e,
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

bool bdom_map(struct dom *d, const char *step, uint64_t iova, uint64_t gpa, uint64_t size,
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
	return bdom_vtd_ok(d, step, 0);
}

bool bdom_unmap(struct dom *d, const char *step, uint64_t iova, uint64_t size)
{
	int rc = vtd_pt_unmap(&d->pt, iova, size);

	if (rc < 0) {
		char *s = mc_strdup_printf("page table unmap at IOVA 0x%" PRIx64 ": %s", iova,
					   strerror(-rc));

		step_error(d, step, s);
		free(s);
		return false;
	}
	return bdom_vtd_ok(d, step, 0);
}

static uint16_t sid(struct dom *d)
{
	return VTD_SID(0, d->dev.devfn);
}

/* Context entry written or cleared, then device-selective context invalidation. */
bool bdom_set_context(struct dom *d, const char *step, enum vtd_ctx_kind kind)
{
	struct vtd *v = &d->g.vtd;

	if (!bdom_vtd_ok(d, step, vtd_set_context(v, d->dev.devfn, kind, &d->pt, BDOM_DID)))
		return false;
	d->mode = kind;
	if (!bdom_vtd_ok(d, step, vtd_inv_cc_device(v, BDOM_DID, sid(d))))
		return false;
	return bdom_vtd_ok(d, step, vtd_inv_iotlb_domain(v, BDOM_DID));
}

/*
 * A domain switch with the context present, as Linux does it: legacy mode
 * rewrites the context entry (context-cache and IOTLB invalidation);
 * scalable mode rewrites the RID2PASID entry and invalidates the PASID
 * cache and the PASID's IOTLB entries.
 */
bool bdom_switch_domain(struct dom *d, const char *step, enum vtd_ctx_kind kind)
{
	struct vtd *v = &d->g.vtd;
	enum vtd_ctx_kind old = d->mode;

	if (!v->scalable)
		return bdom_set_context(d, step, kind);
	if (!bdom_vtd_ok(d, step, vtd_set_pasid_entry(v, kind, &d->pt, BDOM_DID)))
		return false;
	d->mode = kind;
	if (!bdom_vtd_ok(d, step, vtd_inv_pasid_cache(v, BDOM_DID, VTD_RID_PASID)))
		return false;
	if (kind == VTD_CTX_PASSTHROUGH || old == VTD_CTX_PASSTHROUGH)
		return bdom_vtd_ok(d, step, vtd_inv_piotlb_pasid(v, BDOM_DID, VTD_RID_PASID));
	return bdom_vtd_ok(d, step, vtd_inv_iotlb_domain(v, BDOM_DID));
}

bool bdom_psi(struct dom *d, const char *step, uint64_t iova, unsigned am)
{
	return bdom_vtd_ok(d, step, vtd_inv_iotlb_page(&d->g.vtd, BDOM_DID, iova, am));
}

bool bdom_dsi(struct dom *d, const char *step)
{
	return bdom_vtd_ok(d, step, vtd_inv_iotlb_domain(&d->g.vtd, BDOM_DID));
}

/* The no-DMAR baseline read, VT-d initialised, the device found, the first domain attached. */
static bool bring_up(struct dom *d, enum vtd_ctx_kind first, double t0)
{
	struct mc_case *c = d->w.c;
	char *err = NULL;
	json_t *st;

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
	if (!bdom_check(d, "DMAR off"))
		goto fail;
	if (bare_vtd_init(&d->g, d->v->scalable, &err) < 0) {
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
	if (!bdom_set_context(d, "attach", first))
		goto fail;
	if (!bdom_vtd_ok(d, "translation on", vtd_translation(&d->g.vtd, true)))
		goto fail;
	mc_case_phase(c, "setup", mc_now_s() - t0);
	if (!bdom_check(d, "translation on"))
		goto fail;
	free(err);
	return true;
error:
	mc_case_error(c, "%s", err ? err : "setup failed");
fail:
	free(err);
	return false;
}

static void dom_init(struct dom *d, struct mc_case *c, const struct dom_variant *v)
{
	memset(d, 0, sizeof(*d));
	dom_watch_init(&d->w, c);
	d->v = v;
	d->rig = &d->own_rig;
	coh_set_init(&d->baseline);
	coh_set_init(&d->prev);
}

/* QEMU up, the no-DMAR baseline read, VT-d initialised, the device found. */
bool bdom_setup(struct dom *d, struct mc_case *c, const struct dom_variant *v,
		enum vtd_ctx_kind first)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct mock_spec spec = {.backend = v->backend, .ndev = 1};
	struct bare_opts o = {
	    .qemu = cfg->qemu, .workdir = mc_case_workdir(c), .scalable = v->scalable};
	char *err = NULL;
	double t0 = mc_now_s();

	dom_init(d, c, v);
	/* A guest driver enables bus mastering: the device waits for BME. */
	spec.dev[0].host_driven = false;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, d->rig, &err) < 0)
		goto error;
	o.extra_args = (const char *const *)d->rig->args;
	o.env = (const char *const *)d->rig->env[VM_SRC];
	/* intel-iommu as the QEMU under test spells it (identity probed for cfg->qemu). */
	qemuid_get(cfg->qemu, NULL);
	if (!viommu_qemu_args(v->scalable ? MX_VI_SCALABLE : MX_VI_LEGACY, false)) {
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		return false;
	}
	if (bare_start(&d->g, &o, &err) < 0) {
		/* QEMU refusing the command line is the system under test failing. */
		if (d->g.vm && !alive(d, "start")) {
			free(err);
			return false;
		}
		goto error;
	}
	mc_case_set(c, "qemu_version", json_string(qmp_version(d->g.vm->qmp)));
	return bring_up(d, first, t0);
error:
	mc_case_error(c, "%s", err ? err : "setup failed");
	free(err);
	return false;
}

bool bdom_adopt(struct dom *d, struct mc_case *c, const struct dom_variant *v,
		enum vtd_ctx_kind first, const struct pair *p, struct qtest *qt,
		struct mock_rig *rig)
{
	dom_init(d, c, v);
	d->adopted = true;
	d->rig = rig;
	d->g.vm = p->src;
	d->g.layout = &p->layout;
	d->g.qt = qt;
	return bring_up(d, first, mc_now_s());
}

/* Known defects decide between FAIL, XFAIL and XPASS; then everything stops. */
void bdom_teardown(struct dom *d)
{
	const char *version;

	/* Before anything of QEMU is read: an adopted one may be gone already. */
	if (d->adopted) {
		/* The migration case owns QEMU, the mock and the verdict's defects. */
		if (d->pt_ready)
			vtd_pt_free(&d->pt);
		if (d->g.vtd_ready)
			vtd_fini(&d->g.vtd);
		coh_set_free(&d->baseline);
		coh_set_free(&d->prev);
		dom_watch_free(&d->w);
		return;
	}
	version = d->g.vm ? qmp_version(d->g.vm->qmp) : NULL;

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
	mock_rig_free(d->rig);
	coh_set_free(&d->baseline);
	coh_set_free(&d->prev);
	dom_watch_free(&d->w);
}
