// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain: guest IOMMU domains and mapping coherence, bare guest.
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
#include "defects.h"
#include "mockdev.h"
#include "pair.h"
#include "runner.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
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

#define FILL_MAGIC 0x4c4c49464b4d4656ull /* "VFMKFILL" */

struct dom_variant {
	bool scalable;
	enum mock_backend backend;
};

struct dom {
	struct mc_case *c;
	const struct dom_variant *v;
	struct mock_rig rig;
	struct bare_guest g;
	struct dma_dev dev;
	struct vtd_pt pt;
	bool pt_ready;
	struct coh_ram ram;
	struct coh_set baseline; /* what QEMU maps with DMAR off: the pass-through set */
	enum vtd_ctx_kind mode;
	unsigned steps, dmas;
	uint64_t seed;
	/* For the defects table. */
	bool crashed;
	char *stderr_tail;
	char *observed; /* the first failure, for the XFAIL reason */
	const char *pattern;
	/* Negative control: keep the last diff instead of failing. */
	bool selftest, negative;
	struct coh_diff last;
	bool last_equal;
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

static void observed(struct dom *d, const char *what)
{
	if (!d->observed)
		d->observed = strdup(what);
}

/* True while QEMU runs; otherwise fails the case with QEMU's last words. */
static bool alive(struct dom *d, const char *step)
{
	char *why = NULL;

	if (d->crashed)
		return false;
	if (!d->g.vm || !vm_dead(d->g.vm, &why))
		return true;
	d->crashed = true;
	d->stderr_tail = vm_last_words(d->g.vm);
	mc_case_fail(d->c, "%s: %s", step, why);
	observed(d, why);
	mc_case_set(d->c, "qemu_last_words", json_string(d->stderr_tail));
	free(why);
	return false;
}

/* A driver-level error: QEMU's death explains it better when it died. */
static bool step_error(struct dom *d, const char *step, const char *what)
{
	/* Give a dying QEMU a moment to be reaped. */
	if (d->g.vm)
		mc_proc_wait(&d->g.vm->proc, 500);
	if (alive(d, step)) {
		mc_case_fail(d->c, "%s: %s", step, what ? what : "failed");
		observed(d, what ? what : "failed");
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
	st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", "cmd", "state"), &err);
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

	d->steps++;
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
			d->pattern = "passthrough_kept";
	}
	if (d->selftest) {
		d->last = diff;
		d->last_equal = equal;
	} else if (!equal) {
		char *sum = coh_summary(&diff);
		char *s = mc_strdup_printf("%s (%s): %s", step, mode_name(d->mode), sum);
		json_t *det = coh_diff_json(&diff);

		json_object_set_new(det, "step", json_string(step));
		json_object_set_new(det, "guest", coh_set_json(&want, 32));
		json_object_set_new(det, "device", coh_set_json(&got, 32));
		mc_case_oracle(d->c, "coherence", false, s, det);
		observed(d, s);
		free(s);
		free(sum);
	} else {
		mc_case_log(d->c, "%s: coherent (%s, %zu run(s), %" PRIu64 " bytes)", step,
			    mode_name(d->mode), got.n, coh_set_bytes(&got));
	}
	coh_set_free(&want);
	coh_set_free(&got);
	return equal || d->selftest;
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

	d->dmas++;
	d->dev.ops->clear(&d->dev);
	d->dev.ops->dma_fill(&d->dev, iova, pages, seed);
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

			if (!w || w[0] != FILL_MAGIC || w[1] != seed || w[2] != i)
				s = mc_strdup_printf("%s: DMA to IOVA 0x%" PRIx64
						     " did not land at GPA 0x%" PRIx64,
						     step, iova + i * 4096, gpa + i * 4096);
		}
	}
	if (s) {
		mc_case_oracle(d->c, "dma", false, s,
			       json_pack("{s:I, s:I, s:I, s:I}", "iova", (json_int_t)iova, "pages",
					 (json_int_t)pages, "written", (json_int_t)r.pages_written,
					 "faulted", (json_int_t)r.pages_faulted));
		observed(d, s);
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
	double t0 = mc_now_s();

	memset(d, 0, sizeof(*d));
	d->c = c;
	d->v = v;
	coh_set_init(&d->baseline);
	/* A guest driver enables bus mastering: the device waits for BME. */
	spec.dev[0].host_driven = false;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0)
		goto error;
	o.extra_args = (const char *const *)d->rig.args;
	o.env = (const char *const *)d->rig.env[VM_SRC];
	if (bare_start(&d->g, &o, &err) < 0) {
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
	json_t *defects;
	char *err = NULL;

	if (d->g.vm && !d->crashed)
		alive(d, "end");
	mc_case_set(d->c, "steps",
		    json_pack("{s:i, s:i, s:I}", "coherence_checks", d->steps, "dma_checks",
			      d->dmas, "descriptors",
			      (json_int_t)(d->g.vtd_ready ? d->g.vtd.submitted : 0)));
	if (!mc_case_failed(d->c) && !d->negative)
		mc_case_oracle(d->c, "coherence", true,
			       "the device's mappings matched the guest's domain after every step",
			       json_pack("{s:i}", "steps", d->steps));
	defects = version ? defects_load(defects_path(), &err) : NULL;
	if (version && !defects)
		mc_case_log(d->c, "known defects unavailable: %s", err);
	if (defects) {
		const json_t *expected = defect_lookup(defects, mc_case_name(d->c), version);
		struct defect_observation o = {
		    .crashed = d->crashed, .stderr_tail = d->stderr_tail, .pattern = d->pattern};

		if (mc_case_failed(d->c)) {
			const json_t *seen = defect_find(defects, mc_case_name(d->c), version, &o);

			if (seen)
				mc_case_expect_fail(d->c,
						    "known QEMU %s defect %s: %s; observed: %s",
						    version, defect_id(seen), defect_title(seen),
						    d->observed ? d->observed : "?");
			else if (expected)
				mc_case_log(d->c,
					    "QEMU %s is known for %s here, but this failure is "
					    "something else",
					    version, defect_id(expected));
		} else if (expected) {
			mc_case_expect_fail(d->c, "known QEMU %s defect %s did not show: %s",
					    version, defect_id(expected), defect_title(expected));
		}
		json_decref(defects);
	}
	free(err);
	if (d->pt_ready)
		vtd_pt_free(&d->pt);
	bare_stop(&d->g);
	mock_rig_free(&d->rig);
	coh_set_free(&d->baseline);
	free(d->stderr_tail);
	free(d->observed);
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

/* Translated with live mappings to pass-through, and back. */
static void passthrough_live(struct mc_case *c, const void *data)
{
	struct dom d;
	unsigned i;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < 4; i++)
		if (!map(&d, "map 4", IOVA_4K + i * VTD_PAGE, GPA_4K + i * VTD_PAGE, VTD_PAGE,
			 true))
			goto out;
	if (!dsi(&d, "map 4") || !check(&d, "map 4 + DSI") ||
	    !switch_domain(&d, "to pass-through", VTD_CTX_PASSTHROUGH) ||
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
	unsigned i;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < 4; i++)
		if (!map(&d, "map 4", IOVA_4K + i * VTD_PAGE, GPA_4K + i * VTD_PAGE, VTD_PAGE,
			 true))
			goto out;
	if (!dsi(&d, "map 4") || !check(&d, "map 4 + DSI") ||
	    !set_context(&d, "block", VTD_CTX_ABSENT) ||
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
	char *err = NULL, *s;
	json_t *r;
	bool ok;
	unsigned i;

	if (!setup(&d, c, data, VTD_CTX_TRANSLATED))
		goto out;
	for (i = 0; i < 4; i++)
		if (!map(&d, "map 4", IOVA_4K + i * VTD_PAGE, GPA_4K + i * VTD_PAGE, VTD_PAGE,
			 true))
			goto out;
	if (!dsi(&d, "map 4") || !check(&d, "map 4 + DSI"))
		goto out;
	r = mock_rig_call(&d.rig, VM_SRC,
			  json_pack("{s:s, s:s, s:I, s:I}", "cmd", "fault", "kind", "stale_mapping",
				    "iova", (json_int_t)stale, "length", (json_int_t)VTD_PAGE),
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
	d.selftest = true;
	if (!dsi(&d, "unmap 4") || !check(&d, "unmap 4 + DSI"))
		goto out;
	ok = !d.last_equal && d.last.nranges == 1 && d.last.ranges[0].kind == COH_STALE &&
	     d.last.ranges[0].start == stale && d.last.ranges[0].end == stale + VTD_PAGE &&
	     !d.last.missing_bytes && !d.last.different_bytes;
	s = coh_summary(&d.last);
	{
		char *sum = mc_strdup_printf("kept IOVA [0x%" PRIx64 ", 0x%" PRIx64 "); oracle: %s",
					     stale, (uint64_t)(stale + VTD_PAGE), s);

		mc_case_oracle(c, "coherence_selftest", ok, sum, coh_diff_json(&d.last));
		free(sum);
	}
	free(s);
	d.selftest = false;
	d.mode = VTD_CTX_TRANSLATED;
	/* The device really can still write the page the guest took away. */
	{
		struct dma_results res;

		d.dev.ops->clear(&d.dev);
		d.dev.ops->dma_fill(&d.dev, stale, 1, 99);
		d.dev.ops->results(&d.dev, &res);
		mc_case_oracle(c, "stale_dma_lands", res.pages_written == 1,
			       res.pages_written == 1
				   ? "a DMA to the stale IOVA still reached guest memory"
				   : "a DMA to the stale IOVA faulted: the fault kept nothing",
			       NULL);
	}
	/* Only the negative control's oracles decide. */
	d.negative = true;
out:
	teardown(&d);
}

/* ==== Linux guest ==== */

/*
 * The same oracle with a Linux guest: the agent (guests/agent) performs the
 * domain switches the way Linux does them and the harness checks after each
 * one.  Domains: the default domain (identity with iommu=pt, DMA or DMA-FQ
 * otherwise; no driver bound, so a DMA domain holds nothing), blocked (vfio
 * claimed the group at SET_CONTAINER), unmanaged (SET_IOMMU: exactly the
 * agent's MAP_DMA set).  Guest type1 probes superpages at SET_IOMMU (IOVA 0
 * and 0x1000, mapped and unmapped again); the probe is over when the
 * agent's reply arrives, so the checks never see it.
 */

#define LIN_IOVA_A 0x1000000000ull /* 64 GiB: outside guest RAM even when IOVA == GPA */
#define LIN_IOVA_B 0x1000100000ull
#define LIN_IOVA_HOLE 0x1000200000ull
#define LIN_IOVA_STORM 0x1100000000ull
#define LIN_RAM_PROBE 0x100000ull /* guest RAM: reachable only in an identity domain */
#define LIN_PAM_START 0xc0000ull
#define LIN_PAM_END 0x100000ull
#define LIN_PAGES_A 16
#define LIN_PAGES_B 4
#define LIN_STORM_HALF 128
#define LIN_CMD_MS 30000
/* A window the guest kernel never uses, for event-triggered writes by GPA. */
#define LIN_EVENT_GPA 0x8000000ull
#define LIN_EVENT_APPEND "memmap=16M$0x8000000"
#define LIN_HIGH_EVENT_GPA 0x180000000ull
#define LIN_HIGH_APPEND "memmap=16M$0x180000000"

struct lin_variant {
	bool scalable, pt, strict;
	enum mock_backend backend;
};

enum lin_dom { LD_IDENTITY, LD_DMA, LD_BLOCKED, LD_UNMANAGED };

struct lin {
	struct mc_case *c;
	const struct lin_variant *v;
	struct mock_rig rig;
	struct pair p;
	bool launched;
	char **args;
	char *append;
	struct coh_ram ram;
	struct coh_set baseline; /* what QEMU maps before the guest enables DMAR */
	struct coh_set maps;	 /* the guest's MAP_DMA set */
	enum lin_dom dom, dflt;
	unsigned steps, dmas, seed;
	bool crashed, negative, selftest, last_equal, skipped;
	struct coh_diff last;
	char *stderr_tail, *observed;
	const char *pattern;
};

static const char *lin_dom_name(enum lin_dom k)
{
	switch (k) {
	case LD_IDENTITY:
		return "identity";
	case LD_DMA:
		return "DMA (empty)";
	case LD_BLOCKED:
		return "blocked";
	case LD_UNMANAGED:
		return "unmanaged";
	}
	return "?";
}

static void lin_observed(struct lin *d, const char *what)
{
	if (!d->observed)
		d->observed = strdup(what);
}

static bool lin_alive(struct lin *d, const char *step)
{
	char *why = NULL;

	if (d->crashed)
		return false;
	if (!d->p.src || !vm_dead(d->p.src, &why))
		return true;
	d->crashed = true;
	d->stderr_tail = vm_last_words(d->p.src);
	mc_case_fail(d->c, "%s: %s", step, why);
	mc_case_log(d->c, "QEMU's last words: %s", d->stderr_tail ? d->stderr_tail : "");
	lin_observed(d, why);
	mc_case_set(d->c, "qemu_last_words", json_string(d->stderr_tail ? d->stderr_tail : ""));
	free(why);
	return false;
}

/* One agent command, sequenced: the reply is the step's end.  NULL on failure. */
static json_t *lin_agent(struct lin *d, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *lin_agent(struct lin *d, const char *step, const char *fmt, ...)
{
	char *cmd = NULL, *err = NULL;
	json_t *r;
	va_list ap;

	if (!lin_alive(d, step))
		return NULL;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	r = agentlink_cmd(d->p.src->agent, cmd, LIN_CMD_MS, &err);
	if (r) {
		mc_case_log(d->c, "%s: %s -> %s", step, cmd,
			    json_string_value(json_object_get(r, "_text")));
	} else {
		/* A dying QEMU closes the agent's line first: give it a moment. */
		mc_proc_wait(&d->p.src->proc, 1000);
		if (lin_alive(d, step)) {
			char *s = mc_strdup_printf("%s: agent: %s", step, err);

			mc_case_fail(d->c, "%s", s);
			lin_observed(d, s);
			free(s);
		}
	}
	free(cmd);
	free(err);
	return r;
}

static bool lin_cmd(struct lin *d, const char *step, const char *cmd)
{
	json_t *r = lin_agent(d, step, "%s", cmd);

	json_decref(r);
	return r != NULL;
}

static void lin_cut(struct coh_set *set, uint64_t iova, uint64_t len);

static bool lin_check(struct lin *d, const char *step)
{
	struct coh_set want, got;
	struct coh_diff diff;
	char *err = NULL;
	json_t *st;
	bool equal;

	d->steps++;
	if (!lin_alive(d, step))
		return false;
	st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", "cmd", "state"), &err);
	if (!st) {
		mc_proc_wait(&d->p.src->proc, 500);
		if (lin_alive(d, step))
			mc_case_fail(d->c, "%s: %s", step, err);
		free(err);
		return false;
	}
	coh_set_init(&want);
	coh_set_init(&got);
	coh_from_mock(&got, st, &d->ram, &err);
	json_decref(st);
	free(err);
	if (d->dom == LD_IDENTITY) {
		coh_set_copy(&want, &d->baseline);
		/*
		 * The firmware changes the PAM window's rights (shadow BIOS
		 * RAM) after the baseline was read: not the guest's domain.
		 */
		lin_cut(&want, LIN_PAM_START, LIN_PAM_END - LIN_PAM_START);
		lin_cut(&got, LIN_PAM_START, LIN_PAM_END - LIN_PAM_START);
	} else if (d->dom == LD_UNMANAGED)
		coh_set_copy(&want, &d->maps);
	coh_set_normalize(&want);
	equal = coh_compare(&want, &got, &diff);
	/* The signature of an identity domain QEMU never applied. */
	if (!equal && d->dom == LD_IDENTITY && !got.n)
		d->pattern = "passthrough_missing";
	if (!equal && d->dom != LD_IDENTITY && d->baseline.n) {
		struct coh_set base, g;
		struct coh_diff pt;

		/* The signature of an identity mapping left in place. */
		coh_set_init(&base);
		coh_set_init(&g);
		coh_set_copy(&base, &d->baseline);
		coh_set_copy(&g, &got);
		lin_cut(&base, LIN_PAM_START, LIN_PAM_END - LIN_PAM_START);
		lin_cut(&g, LIN_PAM_START, LIN_PAM_END - LIN_PAM_START);
		if (coh_compare(&base, &g, &pt))
			d->pattern = "passthrough_kept";
		coh_set_free(&base);
		coh_set_free(&g);
	}
	if (d->selftest) {
		d->last = diff;
		d->last_equal = equal;
	} else if (!equal) {
		char *sum = coh_summary(&diff);
		char *s = mc_strdup_printf("%s (%s): %s%s", step, lin_dom_name(d->dom), sum,
					   d->pattern ? " (the identity mapping stayed)" : "");
		json_t *det = coh_diff_json(&diff);

		json_object_set_new(det, "step", json_string(step));
		json_object_set_new(det, "guest", coh_set_json(&want, 32));
		json_object_set_new(det, "device", coh_set_json(&got, 32));
		mc_case_oracle(d->c, "coherence", false, s, det);
		lin_observed(d, s);
		free(s);
		free(sum);
	} else {
		mc_case_log(d->c, "%s: coherent (%s, %zu run(s), %" PRIu64 " bytes)", step,
			    lin_dom_name(d->dom), got.n, coh_set_bytes(&got));
	}
	coh_set_free(&want);
	coh_set_free(&got);
	return equal || d->selftest;
}

/* Adds the agent's "gpa+n,..." runs for pages from iova to the MAP_DMA set. */
static int lin_add_runs(struct coh_set *s, uint64_t iova, const char *runs, bool write)
{
	const char *p = runs;

	while (p && *p) {
		char *end;
		uint64_t gpa = strtoull(p, &end, 0), n;

		if (*end != '+')
			return -1;
		n = strtoull(end + 1, &end, 0);
		coh_set_add(s, iova, n * VTD_PAGE, gpa, true, write);
		iova += n * VTD_PAGE;
		p = *end == ',' ? end + 1 : NULL;
	}
	return 0;
}

/* vfio map, then the GPAs of its pages from the agent's pagemap. */
static bool lin_map(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write,
		    bool each)
{
	uint64_t done = 0;
	json_t *r =
	    lin_agent(d, step, "vfio map iova=0x%" PRIx64 " pages=%" PRIu64 " write=%d each=%d",
		      iova, pages, write, each);

	if (!r)
		return false;
	json_decref(r);
	while (done < pages) {
		const char *runs;
		uint64_t got;

		r = lin_agent(d, step, "vfio gpa iova=0x%" PRIx64 " pages=%" PRIu64,
			      (uint64_t)(iova + done * VTD_PAGE), pages - done);
		if (!r)
			return false;
		runs = json_string_value(json_object_get(r, "runs"));
		got = agent_reply_int(r, "done", 0);
		if (!runs || !got || lin_add_runs(&d->maps, iova + done * VTD_PAGE, runs, write)) {
			mc_case_error(d->c, "%s: bad gpa reply %s", step,
				      json_string_value(json_object_get(r, "_text")));
			json_decref(r);
			return false;
		}
		json_decref(r);
		done += got;
	}
	coh_set_normalize(&d->maps);
	return true;
}

/* Drops [iova, iova + len) from a set. */
static void lin_cut(struct coh_set *set, uint64_t iova, uint64_t len)
{
	struct coh_set keep;
	size_t i;

	coh_set_init(&keep);
	for (i = 0; i < set->n; i++) {
		const struct coh_run *r = &set->v[i];
		uint64_t s = r->iova, e = r->iova + r->len;

		if (s < iova)
			coh_set_add(&keep, s, (e < iova ? e : iova) - s, r->gpa, r->read, r->write);
		if (e > iova + len) {
			uint64_t from = s > iova + len ? s : iova + len;

			coh_set_add(&keep, from, e - from, r->gpa + (from - s), r->read, r->write);
		}
	}
	coh_set_normalize(&keep);
	coh_set_free(set);
	*set = keep;
}

static void lin_forget(struct lin *d, uint64_t iova, uint64_t len)
{
	lin_cut(&d->maps, iova, len);
}

static bool lin_unmap(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool each)
{
	json_t *r = lin_agent(d, step, "vfio unmap iova=0x%" PRIx64 " pages=%" PRIu64 " each=%d",
			      iova, pages, each);

	json_decref(r);
	if (r)
		lin_forget(d, iova, pages * VTD_PAGE);
	return r != NULL;
}

/* A fill through the device: `lands` pages must land (in agent buffers), or all fault. */
static bool lin_dma_check(struct lin *d, const char *step, json_t *r, uint64_t pages, bool lands,
			  const char *what)
{
	uint64_t w = agent_reply_int(r, "written", -1), f = agent_reply_int(r, "faulted", -1);
	uint64_t landed = agent_reply_int(r, "landed", 0),
		 inbuf = agent_reply_int(r, "in_buffers", 0);
	bool ok = lands ? w == pages && !f && landed == inbuf : !w && f == pages;

	d->dmas++;
	if (!ok) {
		char *s = mc_strdup_printf(
		    "%s: DMA of %" PRIu64 " page(s) %s must %s (%s): %" PRIu64 " written, %" PRIu64
		    " faulted, %" PRIu64 " of %" PRIu64 " landed in the agent's pages",
		    step, pages, what, lands ? "land" : "fault", lin_dom_name(d->dom), w, f, landed,
		    inbuf);

		mc_case_oracle(d->c, "dma", false, s, json_incref(r));
		lin_observed(d, s);
		free(s);
	}
	json_decref(r);
	return ok;
}

static bool lin_fill(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool lands)
{
	json_t *r = lin_agent(d, step, "vfio fill iova=0x%" PRIx64 " pages=%" PRIu64 " seed=%u",
			      iova, pages, ++d->seed);
	char what[64];

	if (!r)
		return false;
	snprintf(what, sizeof(what), "at IOVA 0x%" PRIx64, iova);
	return lin_dma_check(d, step, r, pages, lands, what);
}

/* Identity-domain DMA by guest physical address, through sysfs (BME set first). */
static bool lin_fill_phys(struct lin *d, const char *step, bool lands)
{
	json_t *r;

	if (!lin_cmd(d, step, "dev enable"))
		return false;
	r = lin_agent(d, step, "dev fill-phys pages=2 seed=%u", ++d->seed);
	return r && lin_dma_check(d, step, r, 2, lands, "to the agent's pages by GPA");
}

static void lin_mock_spec(const struct lin_variant *v, struct mock_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->backend = v->backend;
	spec->ndev = 1;
	/* The guest's driver sets Bus Master Enable, as on hardware. */
	spec->dev[0].host_driven = false;
}

static char *lin_cmdline(const struct lin_variant *v, const char *extra)
{
	return mc_strdup_printf(
	    "quiet intel_iommu=on,%s iommu=%s iommu.strict=%d iomem=relaxed%s%s",
	    v->scalable ? "sm_on" : "sm_off", v->pt ? "pt" : "nopt", v->strict ? 1 : 0,
	    extra ? " " : "", extra ? extra : "");
}

/* The vIOMMU first, then the mock's device; `paused` adds -S (both sides). */
static char **lin_args(const struct lin_variant *v, const struct mock_rig *rig, bool paused)
{
	char **a = calloc(16 + 8, sizeof(*a));
	size_t n = 0, i;

	if (!a)
		abort();
	if (paused)
		a[n++] = strdup("-S");
	a[n++] = strdup("-machine");
	a[n++] = strdup("kernel-irqchip=split");
	a[n++] = strdup("-device");
	a[n++] = strdup(v->scalable ? "intel-iommu,caching-mode=on,intremap=on,x-scalable-mode=on"
				    : "intel-iommu,caching-mode=on,intremap=on");
	for (i = 0; rig->args[i] && n < 22; i++)
		a[n++] = strdup(rig->args[i]);
	return a;
}

static void lin_free_args(char **a)
{
	size_t i;

	for (i = 0; a && a[i]; i++)
		free(a[i]);
	free(a);
}

/*
 * Boots the guest with the variant's kernel command line.  The source starts
 * paused so the mock's mappings with DMAR off (the identity set) are read
 * before the guest enables translation.
 */
static bool lin_setup(struct lin *d, struct mc_case *c, const struct lin_variant *v, json_t *faults)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct pair_opts o = {.mem_bytes = 256ull << 20};
	struct mock_spec spec;
	char *err = NULL;
	json_t *st, *r;
	const char *type, *want;

	memset(d, 0, sizeof(*d));
	d->c = c;
	d->v = v;
	coh_set_init(&d->baseline);
	coh_set_init(&d->maps);
	lin_mock_spec(v, &spec);
	spec.faults[VM_SRC] = faults;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0)
		goto error;
	d->args = lin_args(v, &d->rig, true);
	d->append = lin_cmdline(v, NULL);
	o.append = d->append;
	o.extra_args = (const char *const *)d->args;
	o.env_side[VM_SRC] = (const char *const *)d->rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)d->rig.env[VM_DST];
	if (pair_launch(c, &o, &d->p) < 0)
		goto fail;
	d->launched = true;
	st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", "cmd", "state"), &err);
	if (!st || coh_ram_from_identity(&d->ram, st, &err) < 0) {
		json_decref(st);
		goto error;
	}
	coh_from_mock(&d->baseline, st, &d->ram, &err);
	json_decref(st);
	r = qmp_call(d->p.src->qmp, "cont", NULL, 10000, &err);
	if (!r)
		goto error;
	json_decref(r);
	if (pair_wait_ready(c, &d->p) < 0)
		goto fail;
	if (!lin_cmd(d, "modules", "modules load"))
		goto fail;
	r = lin_agent(d, "find", "dev find");
	if (!r)
		goto fail;
	type = json_string_value(json_object_get(r, "type"));
	d->dflt = d->dom = v->pt ? LD_IDENTITY : LD_DMA;
	/*
	 * The kernel command line took effect, or the variant means nothing.
	 * intel-iommu forces strict invalidation when the IOMMU has caching
	 * mode ("IOMMU batching disallowed due to virtualization"), which
	 * VFIO behind a vIOMMU needs: iommu.strict=0 still yields DMA.
	 */
	want = v->pt ? "identity" : v->strict ? "DMA" : "DMA-FQ";
	if (!type || (strcmp(type, want) && (v->pt || strcmp(type, "DMA")))) {
		mc_case_error(c, "guest default domain type %s, the variant wants %s",
			      type ? type : "?", want);
		json_decref(r);
		goto fail;
	}
	mc_case_set(c, "guest_default_domain", json_string(type));
	if (strcmp(type, want))
		mc_case_log(c,
			    "iommu.strict=0 asked, the guest kept strict invalidation (caching "
			    "mode): default domain %s",
			    type);
	json_decref(r);
	free(err);
	return lin_check(d, "boot (default domain)");
error:
	mc_case_error(c, "%s", err ? err : "setup failed");
fail:
	free(err);
	return false;
}

static void lin_teardown(struct lin *d)
{
	const char *version = d->launched ? qmp_version(d->p.src->qmp) : NULL;
	json_t *defects;
	char *err = NULL;

	if (d->launched && !d->crashed)
		lin_alive(d, "end");
	mc_case_set(d->c, "steps",
		    json_pack("{s:i, s:i}", "coherence_checks", d->steps, "dma_checks", d->dmas));
	if (!mc_case_failed(d->c) && !d->negative && d->steps)
		mc_case_oracle(d->c, "coherence", true,
			       "the device's mappings matched the guest's domain after every step",
			       json_pack("{s:i}", "steps", d->steps));
	defects = version && !d->skipped ? defects_load(defects_path(), &err) : NULL;
	if (version && !d->skipped && !defects)
		mc_case_log(d->c, "known defects unavailable: %s", err);
	if (defects) {
		const json_t *expected = defect_lookup(defects, mc_case_name(d->c), version);
		struct defect_observation o = {
		    .crashed = d->crashed, .stderr_tail = d->stderr_tail, .pattern = d->pattern};

		if (mc_case_failed(d->c)) {
			const json_t *seen = defect_find(defects, mc_case_name(d->c), version, &o);

			if (seen)
				mc_case_expect_fail(d->c,
						    "known QEMU %s defect %s: %s; observed: %s",
						    version, defect_id(seen), defect_title(seen),
						    d->observed ? d->observed : "?");
			else if (expected)
				mc_case_log(d->c,
					    "QEMU %s is known for %s here, but this failure is "
					    "something else",
					    version, defect_id(expected));
		} else if (expected) {
			mc_case_expect_fail(d->c, "known QEMU %s defect %s did not show: %s",
					    version, defect_id(expected), defect_title(expected));
		}
		json_decref(defects);
	}
	free(err);
	pair_stop(&d->p);
	mock_rig_free(&d->rig);
	lin_free_args(d->args);
	free(d->append);
	coh_set_free(&d->baseline);
	coh_set_free(&d->maps);
	free(d->stderr_tail);
	free(d->observed);
}

/* default -> (bind) -> blocked (SET_CONTAINER) -> unmanaged (SET_IOMMU), device open, BME. */
static bool lin_bind_open(struct lin *d)
{
	if (!lin_cmd(d, "bind vfio-pci", "dev bind driver=vfio-pci") ||
	    !lin_check(d, "bound to vfio-pci (default domain)"))
		return false;
	d->dom = LD_BLOCKED;
	if (!lin_cmd(d, "SET_CONTAINER", "vfio open stage=container") ||
	    !lin_check(d, "SET_CONTAINER (blocked)"))
		return false;
	d->dom = LD_UNMANAGED;
	if (!lin_cmd(d, "SET_IOMMU", "vfio open stage=iommu") ||
	    !lin_check(d, "SET_IOMMU (unmanaged, after the superpage probe)"))
		return false;
	return lin_cmd(d, "device open", "vfio open") && lin_cmd(d, "MEM|BME", "vfio enable");
}

/* unmanaged -> blocked -> default at close(group) */
static bool lin_close(struct lin *d, const char *step, bool unmap_first)
{
	json_t *r = lin_agent(d, step, "vfio close unmap=%d", unmap_first);

	json_decref(r);
	if (!r)
		return false;
	coh_set_free(&d->maps);
	coh_set_init(&d->maps);
	d->dom = d->dflt;
	return lin_check(d, step);
}

static void linux_bind_map_unmap_close(struct mc_case *c, const void *data)
{
	struct lin d;

	if (!lin_setup(&d, c, data, NULL))
		goto out;
	if (!lin_fill_phys(&d, "default domain, DMA by GPA", d.dflt == LD_IDENTITY) ||
	    !lin_cmd(&d, "marker", "marker value=1") || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true, false) ||
	    !lin_check(&d, "MAP_DMA A (16 pages, read-write)") ||
	    !lin_fill(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true))
		goto out;
	if (!lin_map(&d, "map B", LIN_IOVA_B, LIN_PAGES_B, false, false) ||
	    !lin_check(&d, "MAP_DMA B (4 pages, read-only)") ||
	    !lin_fill(&d, "write to read-only B", LIN_IOVA_B, LIN_PAGES_B, false) ||
	    !lin_fill(&d, "unmapped IOVA", LIN_IOVA_HOLE, 1, false) ||
	    !lin_fill(&d, "guest RAM by GPA (unmanaged)", LIN_RAM_PROBE, 1, false))
		goto out;
	if (!lin_cmd(&d, "marker", "marker value=2") ||
	    !lin_unmap(&d, "unmap A", LIN_IOVA_A, LIN_PAGES_A, false) ||
	    !lin_check(&d, "UNMAP_DMA A") ||
	    !lin_fill(&d, "unmapped A", LIN_IOVA_A, LIN_PAGES_A, false) ||
	    !lin_unmap(&d, "unmap B", LIN_IOVA_B, LIN_PAGES_B, false) ||
	    !lin_check(&d, "UNMAP_DMA B"))
		goto out;
	if (!lin_close(&d, "close (unmanaged -> blocked -> default)", false) ||
	    !lin_fill_phys(&d, "default domain again, DMA by GPA", d.dflt == LD_IDENTITY))
		goto out;
	if (!lin_cmd(&d, "unbind", "dev unbind"))
		goto out;
	lin_check(&d, "unbound (default domain)");
out:
	lin_teardown(&d);
}

/* iommu_group type with no driver bound: DMA <-> identity, both ways. */
static void linux_group_type(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;
	const char *dma = "DMA"; /* the kernel makes it DMA-FQ where lazy is allowed */
	struct lin d;
	char cmd[64];

	if (!lin_setup(&d, c, data, NULL))
		goto out;
	snprintf(cmd, sizeof(cmd), "dev group-type type=%s", v->pt ? dma : "identity");
	d.dom = v->pt ? LD_DMA : LD_IDENTITY;
	if (!lin_cmd(&d, "group type", cmd) || !lin_check(&d, "group type switched") ||
	    !lin_fill_phys(&d, "after the switch, DMA by GPA", d.dom == LD_IDENTITY))
		goto out;
	snprintf(cmd, sizeof(cmd), "dev group-type type=%s", v->pt ? "identity" : dma);
	d.dom = d.dflt;
	if (!lin_cmd(&d, "group type back", cmd) || !lin_check(&d, "group type switched back"))
		goto out;
	lin_fill_phys(&d, "switched back, DMA by GPA", d.dom == LD_IDENTITY);
out:
	lin_teardown(&d);
}

/* 256 pages mapped one MAP_DMA each; half unmapped page by page, half in one call. */
static void linux_storm(struct mc_case *c, const void *data)
{
	const uint64_t half = LIN_STORM_HALF * VTD_PAGE;
	struct lin d;

	if (!lin_setup(&d, c, data, NULL) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "storm map 1", LIN_IOVA_STORM, LIN_STORM_HALF, true, true) ||
	    !lin_map(&d, "storm map 2", LIN_IOVA_STORM + half, LIN_STORM_HALF, true, true) ||
	    !lin_check(&d, "storm mapped (256 x MAP_DMA)") ||
	    !lin_fill(&d, "storm", LIN_IOVA_STORM + half - 2 * VTD_PAGE, 4, true))
		goto out;
	if (!lin_unmap(&d, "storm unmap page by page", LIN_IOVA_STORM, LIN_STORM_HALF, true) ||
	    !lin_check(&d, "128 x UNMAP_DMA (page-selective)") ||
	    !lin_fill(&d, "storm unmapped half", LIN_IOVA_STORM, 1, false))
		goto out;
	if (!lin_unmap(&d, "storm unmap batched", LIN_IOVA_STORM + half, LIN_STORM_HALF, false) ||
	    !lin_check(&d, "one UNMAP_DMA over 128 mappings (batched)") ||
	    !lin_fill(&d, "storm unmapped", LIN_IOVA_STORM + half, 1, false))
		goto out;
	lin_close(&d, "close", false);
out:
	lin_teardown(&d);
}

/* close(group) with live mappings: what a process that dies does. */
static void linux_close_live(struct mc_case *c, const void *data)
{
	struct lin d;

	if (!lin_setup(&d, c, data, NULL) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true, false) ||
	    !lin_check(&d, "MAP_DMA A") || !lin_fill(&d, "map A", LIN_IOVA_A, LIN_PAGES_A, true))
		goto out;
	if (!lin_close(&d, "close with live mappings (unmanaged -> blocked -> default)", false) ||
	    !lin_fill_phys(&d, "default domain, DMA by GPA", d.dflt == LD_IDENTITY))
		goto out;
	if (lin_cmd(&d, "unbind", "dev unbind"))
		lin_check(&d, "unbound");
out:
	lin_teardown(&d);
}

/* Negative control: the mock keeps one page the guest unmapped. */
static void linux_stale_mapping(struct mc_case *c, const void *data)
{
	const uint64_t stale = LIN_IOVA_A + 2 * VTD_PAGE;
	json_t *faults = json_pack("[{s:s, s:I, s:I}]", "kind", "stale_mapping", "iova",
				   (json_int_t)stale, "length", (json_int_t)VTD_PAGE);
	struct lin d;
	json_t *r;
	bool ok;
	char *s, *sum;

	if (!lin_setup(&d, c, data, faults) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, 4, true, false) || !lin_check(&d, "MAP_DMA A"))
		goto out;
	d.selftest = true;
	if (!lin_unmap(&d, "unmap A", LIN_IOVA_A, 4, false) || !lin_check(&d, "UNMAP_DMA A"))
		goto out;
	d.selftest = false;
	ok = !d.last_equal && d.last.nranges == 1 && d.last.ranges[0].kind == COH_STALE &&
	     d.last.ranges[0].start == stale && d.last.ranges[0].end == stale + VTD_PAGE &&
	     !d.last.missing_bytes && !d.last.different_bytes;
	s = coh_summary(&d.last);
	sum = mc_strdup_printf("kept IOVA [0x%" PRIx64 ", 0x%" PRIx64 "); oracle: %s", stale,
			       (uint64_t)(stale + VTD_PAGE), s);
	mc_case_oracle(c, "coherence_selftest", ok, sum, coh_diff_json(&d.last));
	if (!ok)
		lin_observed(&d, sum);
	free(sum);
	free(s);
	/* The device can still write the page the guest took away. */
	r = lin_agent(&d, "stale DMA", "vfio fill iova=0x%" PRIx64 " pages=1 seed=77", stale);
	if (r) {
		bool landed = agent_reply_int(r, "written", 0) == 1;

		mc_case_oracle(c, "stale_dma_lands", landed,
			       landed ? "a DMA to the stale IOVA still reached guest memory"
				      : "a DMA to the stale IOVA faulted: the fault kept nothing",
			       json_incref(r));
		json_decref(r);
	}
	/* The mock keeps the page for good: only the selftest's oracles decide. */
	d.negative = true;
	lin_cmd(&d, "close", "vfio close unmap=1");
out:
	json_decref(faults);
	lin_teardown(&d);
}

/* ---- switches during migration ---- */

enum lin_switch { SW_BIND_OPEN, SW_CLOSE, SW_GROUP_TYPE, SW_STORM };
enum lin_phase { PH_SETUP, PH_SYNC, PH_PRESWITCH };
#define LIN_SYNC_N 2
#define LIN_EVENT_PAGE (LIN_PAGES_A - 1) /* a buffer page no fill ever wrote */

struct lin_mig {
	struct lin d;
	enum lin_switch sw;
	enum lin_phase ph;
	bool high, drop_dirty;
	bool switched, event_expected;
	uint64_t event_iova;
	char *hook_err;
};

static const char *const lin_switch_name[] = {
    "bind+open (default -> blocked -> unmanaged)", "close (unmanaged -> blocked -> default)",
    "iommu_group type identity -> DMA", "unmap storm (256 x UNMAP_DMA)"};

/* The guest's switch, through the agent's command channel, at the planned moment. */
static int lin_switch_now(struct lin_mig *m, char **err)
{
	static const char *const cmds[][4] = {
	    [SW_BIND_OPEN] = {"dev bind driver=vfio-pci", "vfio open", "vfio enable", NULL},
	    [SW_CLOSE] = {"vfio close", NULL},
	    [SW_GROUP_TYPE] = {"dev group-type type=DMA", NULL},
	    [SW_STORM] = {"vfio unmap iova=0x1100000000 pages=256 each=1", NULL},
	};
	const char *const *c = cmds[m->sw];
	json_t *r;

	for (; *c; c++) {
		r = agentlink_cmd(m->d.p.src->agent, *c, LIN_CMD_MS, err);
		if (!r)
			return -1;
		mc_case_log(m->d.c, "switch: %s -> %s", *c,
			    json_string_value(json_object_get(r, "_text")));
		json_decref(r);
	}
	m->switched = true;
	return 0;
}

static int lin_hook_setup(struct mig_run *run, void *opaque, char **err)
{
	struct lin_mig *m = opaque;

	(void)run;
	return m->ph == PH_SETUP ? lin_switch_now(m, err) : 0;
}

/* After dirty sync N: the switch (sync/pre-switchover phases), then let it converge. */
static int lin_hook_sync(struct mig_run *run, void *opaque, char **err)
{
	struct lin_mig *m = opaque;
	const struct lin_variant *v = m->d.v;

	if (m->ph != PH_SETUP && lin_switch_now(m, err) < 0)
		return -1;
	/* type1 reports every mapped page dirty: the last pass is big. */
	return mig_run_set_limits(run, 4ull << 30, v->backend == MOCK_TYPE1 ? 20000 : 2000, err);
}

static bool lin_wrote(const json_t *dev, uint64_t iova)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(dev, "pages_written"), i, w)
	{
		if ((uint64_t)json_integer_value(w) == iova)
			return true;
	}
	return false;
}

/* Right before switchover the event write must have happened (the VM is stopped). */
static int lin_hook_preswitch(struct mig_run *run, void *opaque, char **err)
{
	struct lin_mig *m = opaque;
	json_t *dev;

	(void)run;
	if (!m->event_expected)
		return 0;
	dev = mock_rig_device(&m->d.rig, VM_SRC, 0, err);
	if (!dev)
		return -1;
	if (!lin_wrote(dev, m->event_iova))
		mc_case_log(m->d.c,
			    "pre-switchover: the unmap event at 0x%" PRIx64 " has not fired yet",
			    m->event_iova);
	json_decref(dev);
	return 0;
}

static uint64_t mem_available(void)
{
	char *s = mc_read_file("/proc/meminfo", NULL), *p;
	uint64_t kib = 0;

	p = s ? strstr(s, "MemAvailable:") : NULL;
	if (p)
		kib = strtoull(p + 13, NULL, 10);
	free(s);
	return kib << 10;
}

/* The guest state before migration, from which the switch starts. */
static bool lin_prepare(struct lin_mig *m)
{
	struct lin *d = &m->d;

	switch (m->sw) {
	case SW_BIND_OPEN:
		return true;
	case SW_GROUP_TYPE:
		return d->v->pt || lin_cmd(d, "to identity", "dev group-type type=identity");
	case SW_CLOSE:
		return lin_bind_open(d) &&
		       lin_map(d, "map A", LIN_IOVA_A, LIN_PAGES_A, true, false) &&
		       lin_fill(d, "map A", LIN_IOVA_A, LIN_PAGES_A / 2, true);
	case SW_STORM:
		return lin_bind_open(d) &&
		       lin_map(d, "storm map", LIN_IOVA_STORM, 2 * LIN_STORM_HALF, true, true) &&
		       lin_fill(d, "storm map", LIN_IOVA_STORM, 8, true);
	}
	return false;
}

static void lin_migrate(struct mc_case *c, const struct lin_variant *v, enum lin_switch sw,
			enum lin_phase ph, bool high, bool drop_dirty)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct lin_mig m = {.sw = sw, .ph = ph, .high = high, .drop_dirty = drop_dirty};
	struct lin *d = &m.d;
	struct pair_opts o = {.mem_bytes = (high ? 5ull << 30 : 256ull << 20)};
	struct mig_plan plan = {.return_path = true, .timeout_ms = 180000};
	struct mig_result r = {0};
	struct mock_spec spec;
	json_t *events = NULL, *faults = NULL, *blockers, *dev = NULL;
	uint64_t event_gpa = high ? LIN_HIGH_EVENT_GPA : LIN_EVENT_GPA, match, match_len;
	char *err = NULL;
	struct ram_cmp cmp;

	memset(d, 0, sizeof(*d));
	d->c = c;
	d->v = v;
	coh_set_init(&d->baseline);
	coh_set_init(&d->maps);
	if (high && mem_available() < (6ull << 30)) {
		d->skipped = true;
		mc_case_skip(c,
			     "a guest with more than 4 GiB of RAM needs about 6 GiB available "
			     "on the host (%" PRIu64 " MiB available)",
			     mem_available() >> 20);
		goto out;
	}
	/* Where the unmap reaches a page nobody wrote: the mock writes it then. */
	switch (sw) {
	case SW_CLOSE:
		m.event_iova = LIN_IOVA_A + LIN_EVENT_PAGE * VTD_PAGE;
		match = LIN_IOVA_A;
		match_len = LIN_PAGES_A * VTD_PAGE;
		m.event_expected = true;
		break;
	case SW_STORM:
		m.event_iova = LIN_IOVA_STORM + (2 * LIN_STORM_HALF - 1) * VTD_PAGE;
		match = m.event_iova;
		match_len = VTD_PAGE;
		m.event_expected = true;
		break;
	default:
		/* Leaving an identity domain unmaps all RAM: a reserved page by GPA. */
		m.event_iova = match = event_gpa;
		match_len = VTD_PAGE;
		m.event_expected = sw == SW_GROUP_TYPE || v->pt;
		break;
	}
	events = json_pack("[{s:s, s:I, s:i, s:I, s:I}]", "on", "unmap", "iova",
			   (json_int_t)m.event_iova, "pages", 1, "match_iova", (json_int_t)match,
			   "match_len", (json_int_t)match_len);
	if (drop_dirty)
		faults = json_pack("[{s:s, s:s, s:s}]", "kind", "drop_dirty", "tracker", "any",
				   "when", "unmap");
	lin_mock_spec(v, &spec);
	spec.dev[0].events = events;
	spec.faults[VM_SRC] = faults;
	/*
	 * The trackers migration with a vIOMMU can use: the IOMMU's (iommufd
	 * HWPT) or type1's with enable-migration=on; no device DMA logging.
	 * Where QEMU refuses the device outright that is its answer too.
	 */
	spec.dev[0].no_dma_logging = true;
	spec.enable_migration = v->backend == MOCK_TYPE1 ? "on" : NULL;
	spec.iommu_dirty = v->backend != MOCK_TYPE1;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	d->args = lin_args(v, &d->rig, false);
	d->append = lin_cmdline(v, high ? LIN_HIGH_APPEND : LIN_EVENT_APPEND);
	o.append = d->append;
	o.extra_args = (const char *const *)d->args;
	o.env_side[VM_SRC] = (const char *const *)d->rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)d->rig.env[VM_DST];
	o.refusal_skips = true;
	if (pair_launch(c, &o, &d->p) < 0)
		goto out;
	d->launched = true;
	/* Probe the system under test, not its version string. */
	blockers = pair_blockers(d->p.src);
	if (blockers) {
		char *text = json_dumps(blockers, JSON_COMPACT);

		d->skipped = true;
		if (drop_dirty)
			mc_case_skip(c,
				     "the unmap negative control needs migration with a vIOMMU, "
				     "which QEMU blocks: %s",
				     text);
		else
			mc_case_skip(c, "QEMU blocks migration with a vIOMMU: %s", text);
		free(text);
		json_decref(blockers);
		goto out;
	}
	if (pair_wait_ready(c, &d->p) < 0 || !lin_cmd(d, "modules", "modules load") ||
	    !lin_cmd(d, "find", "dev find"))
		goto out;
	d->dom = d->dflt = v->pt ? LD_IDENTITY : LD_DMA;
	if (!lin_prepare(&m) || pair_start_workload(c, &d->p, 8, true) < 0)
		goto out;
	mc_case_log(c, "switch %s during migration, %s", lin_switch_name[sw],
		    ph == PH_SETUP  ? "at setup"
		    : ph == PH_SYNC ? "after dirty sync 2"
				    : "as the last guest action before "
				      "switchover");
	plan.max_bandwidth = PAIR_CAP_BANDWIDTH;
	plan.downtime_limit_ms = 1;
	plan.on_setup = lin_hook_setup;
	plan.iteration = ph == PH_PRESWITCH ? LIN_SYNC_N + 1 : LIN_SYNC_N;
	plan.on_iteration = lin_hook_sync;
	plan.pause_before_switchover = true;
	plan.on_pre_switchover = lin_hook_preswitch;
	plan.opaque = &m;
	if (mig_run(d->p.src, d->p.dst, &plan, &r, &err) < 0) {
		lin_alive(d, "migration");
		if (!d->crashed)
			mc_case_fail(c, "could not drive the migration: %s", err);
		goto out;
	}
	if (!m.switched) {
		mc_case_error(c, "the switch did not run at the planned phase");
		goto out;
	}
	if (!pair_record_migration(c, &d->p, &r))
		goto out;
	dev = mock_rig_device(&d->rig, VM_SRC, 0, &err);
	if (m.event_expected && dev && !lin_wrote(dev, m.event_iova)) {
		mc_case_error(c,
			      "the unmap event at 0x%" PRIx64 " never fired: the scenario did "
			      "not run as planned",
			      m.event_iova);
		goto out;
	}
	if (drop_dirty) {
		char *s;

		ram_compare(d->p.src->ram, d->p.dst->ram, d->p.src->ram_size, 4096, &d->p.layout,
			    &cmp);
		s = ram_cmp_summary(&cmp);
		mc_case_oracle(c, "ram_detects", cmp.differing > 0, s, ram_cmp_json(&cmp));
		free(s);
		goto out;
	}
	if (!pair_ram_oracle(c, &d->p, &cmp))
		goto out;
	if (pair_resume(c, &d->p, &r) == 0)
		pair_record_metrics(c, &d->p, &r);
out:
	json_decref(dev);
	json_decref(events);
	json_decref(faults);
	mig_result_clear(&r);
	free(err);
	lin_teardown(d);
}

#define LIN_MIG(sw, ph, SW, PH)                                                                    \
	static void linux_mig_##sw##_##ph(struct mc_case *c, const void *data)                     \
	{                                                                                          \
		lin_migrate(c, data, SW, PH, false, false);                                        \
	}
LIN_MIG(bind_open, setup, SW_BIND_OPEN, PH_SETUP)
LIN_MIG(bind_open, sync2, SW_BIND_OPEN, PH_SYNC)
LIN_MIG(bind_open, preswitch, SW_BIND_OPEN, PH_PRESWITCH)
LIN_MIG(close, setup, SW_CLOSE, PH_SETUP)
LIN_MIG(close, sync2, SW_CLOSE, PH_SYNC)
LIN_MIG(close, preswitch, SW_CLOSE, PH_PRESWITCH)
LIN_MIG(group_type, setup, SW_GROUP_TYPE, PH_SETUP)
LIN_MIG(group_type, sync2, SW_GROUP_TYPE, PH_SYNC)
LIN_MIG(group_type, preswitch, SW_GROUP_TYPE, PH_PRESWITCH)
LIN_MIG(storm, setup, SW_STORM, PH_SETUP)
LIN_MIG(storm, sync2, SW_STORM, PH_SYNC)
LIN_MIG(storm, preswitch, SW_STORM, PH_PRESWITCH)

/* A guest with 5 GiB of RAM: its buffers and the event page above 4 GiB. */
static void linux_mig_highmem(struct mc_case *c, const void *data)
{
	lin_migrate(c, data, SW_CLOSE, PH_SYNC, true, false);
}

/* Negative control: dirty bits dropped at unmap must show as lost pages. */
static void linux_mig_drop_dirty_unmap(struct mc_case *c, const void *data)
{
	lin_migrate(c, data, SW_CLOSE, PH_SYNC, false, true);
}

#define LV(name, sc, p, st, be)                                                                    \
	static const struct lin_variant name = {                                                   \
	    .scalable = sc, .pt = p, .strict = st, .backend = be}
LV(l_lg_pt_st_t1, false, true, true, MOCK_TYPE1);
LV(l_lg_pt_st_fd, false, true, true, MOCK_IOMMUFD);
LV(l_lg_pt_lz_t1, false, true, false, MOCK_TYPE1);
LV(l_lg_pt_lz_fd, false, true, false, MOCK_IOMMUFD);
LV(l_lg_np_st_t1, false, false, true, MOCK_TYPE1);
LV(l_lg_np_st_fd, false, false, true, MOCK_IOMMUFD);
LV(l_lg_np_lz_t1, false, false, false, MOCK_TYPE1);
LV(l_lg_np_lz_fd, false, false, false, MOCK_IOMMUFD);
LV(l_sm_pt_st_t1, true, true, true, MOCK_TYPE1);
LV(l_sm_pt_st_fd, true, true, true, MOCK_IOMMUFD);
LV(l_sm_pt_lz_t1, true, true, false, MOCK_TYPE1);
LV(l_sm_pt_lz_fd, true, true, false, MOCK_IOMMUFD);
LV(l_sm_np_st_t1, true, false, true, MOCK_TYPE1);
LV(l_sm_np_st_fd, true, false, true, MOCK_IOMMUFD);
LV(l_sm_np_lz_t1, true, false, false, MOCK_TYPE1);
LV(l_sm_np_lz_fd, true, false, false, MOCK_IOMMUFD);

#define LT(vname, var, test, fn, timeout, summary)                                                 \
	MC_TEST("domain", "domain", vname, test, fn, &var, timeout, summary)
#define LMIG(vname, var, sw, what)                                                                 \
	LT(vname, var, "mig_" #sw "_setup", linux_mig_##sw##_setup, 240,                           \
	   what " during migration, at setup"),                                                    \
	    LT(vname, var, "mig_" #sw "_sync2", linux_mig_##sw##_sync2, 240,                       \
	       what " during migration, after dirty sync 2"),                                      \
	    LT(vname, var, "mig_" #sw "_preswitch", linux_mig_##sw##_preswitch, 240,               \
	       what " during migration, the last guest action before switchover")
#define LCASES(vname, var)                                                                         \
	LT(vname, var, "bind_map_unmap_close", linux_bind_map_unmap_close, 90,                     \
	   "default -> blocked -> unmanaged, MAP_DMA rw/ro, DMA, UNMAP_DMA, close, unbind"),       \
	    LT(vname, var, "group_type", linux_group_type, 90,                                     \
	       "iommu_group type DMA <-> identity with no driver bound, DMA by GPA"),              \
	    LT(vname, var, "storm", linux_storm, 120,                                              \
	       "256 single-page MAP_DMA; half unmapped page by page, half in one batched call"),   \
	    LT(vname, var, "close_live", linux_close_live, 90,                                     \
	       "close(group) with live mappings (unmanaged -> blocked -> default)"),               \
	    LT(vname, var, "stale_mapping", linux_stale_mapping, 90,                               \
	       "negative control: a mapping the mock keeps after UNMAP_DMA must be reported"),     \
	    LMIG(vname, var, bind_open, "bind+open"), LMIG(vname, var, close, "close"),            \
	    LMIG(vname, var, group_type, "group type switch"), LMIG(vname, var, storm, "storm"),   \
	    LT(vname, var, "mig_highmem", linux_mig_highmem, 300,                                  \
	       "5 GiB guest, buffers and event page above 4 GiB, close after dirty sync 2"),       \
	    LT(vname, var, "mig_drop_dirty_unmap", linux_mig_drop_dirty_unmap, 240,                \
	       "negative control: dirty bits dropped at unmap must be detected")

#define V(name, sc, be) static const struct dom_variant name = {.scalable = sc, .backend = be}
V(legacy_type1, false, MOCK_TYPE1);
V(legacy_iommufd, false, MOCK_IOMMUFD);
V(scalable_type1, true, MOCK_TYPE1);
V(scalable_iommufd, true, MOCK_IOMMUFD);

#define CASES(vname, var)                                                                          \
	MC_TEST("domain", "domain", vname, "map_unmap_page", map_unmap_page, &var, 60,             \
		"4K map/unmap with page-selective invalidation (AM 0 and 2)"),                     \
	    MC_TEST("domain", "domain", vname, "invalidate_domain", invalidate_domain, &var, 60,   \
		    "scattered maps and unmaps under domain-selective IOTLB invalidation"),        \
	    MC_TEST("domain", "domain", vname, "invalidate_global", invalidate_global, &var, 60,   \
		    "global IOTLB and context-cache invalidation"),                                \
	    MC_TEST("domain", "domain", vname, "huge_2m", huge_2m, &var, 60,                       \
		    "2 MiB second-level leaf"),                                                    \
	    MC_TEST("domain", "domain", vname, "huge_1g", huge_1g, &var, 60,                       \
		    "1 GiB second-level leaf"),                                                    \
	    MC_TEST("domain", "domain", vname, "readonly", readonly, &var, 60,                     \
		    "read-only leaf: present read-only, DMA writes fault; upgrade and downgrade"), \
	    MC_TEST("domain", "domain", vname, "passthrough", passthrough, &var, 60,               \
		    "pass-through from attach, to translated and back"),                           \
	    MC_TEST("domain", "domain", vname, "passthrough_live", passthrough_live, &var, 60,     \
		    "translated with live mappings to pass-through and back"),                     \
	    MC_TEST("domain", "domain", vname, "blocked", blocked, &var, 60,                       \
		    "context not present: no mappings, DMA faults; re-attach restores"),           \
	    MC_TEST("domain", "domain", vname, "storm_strict", storm_strict, &var, 120,            \
		    "256 random pages, page-selective invalidation per page"),                     \
	    MC_TEST("domain", "domain", vname, "storm_batched", storm_batched, &var, 120,          \
		    "256 random pages, batched domain-selective invalidation"),                    \
	    MC_TEST("domain", "domain", vname, "stale_mapping", stale_mapping, &var, 60,           \
		    "negative control: a mapping the mock keeps after unmap must be reported")

static const struct mc_test domain_tests[] = {
    CASES("bare_legacy_type1", legacy_type1),
    CASES("bare_legacy_iommufd", legacy_iommufd),
    CASES("bare_scalable_type1", scalable_type1),
    CASES("bare_scalable_iommufd", scalable_iommufd),
    LCASES("linux_legacy_pt_strict_type1", l_lg_pt_st_t1),
    LCASES("linux_legacy_pt_strict_iommufd", l_lg_pt_st_fd),
    LCASES("linux_legacy_pt_lazy_type1", l_lg_pt_lz_t1),
    LCASES("linux_legacy_pt_lazy_iommufd", l_lg_pt_lz_fd),
    LCASES("linux_legacy_nopt_strict_type1", l_lg_np_st_t1),
    LCASES("linux_legacy_nopt_strict_iommufd", l_lg_np_st_fd),
    LCASES("linux_legacy_nopt_lazy_type1", l_lg_np_lz_t1),
    LCASES("linux_legacy_nopt_lazy_iommufd", l_lg_np_lz_fd),
    LCASES("linux_sm_pt_strict_type1", l_sm_pt_st_t1),
    LCASES("linux_sm_pt_strict_iommufd", l_sm_pt_st_fd),
    LCASES("linux_sm_pt_lazy_type1", l_sm_pt_lz_t1),
    LCASES("linux_sm_pt_lazy_iommufd", l_sm_pt_lz_fd),
    LCASES("linux_sm_nopt_strict_type1", l_sm_np_st_t1),
    LCASES("linux_sm_nopt_strict_iommufd", l_sm_np_st_fd),
    LCASES("linux_sm_nopt_lazy_type1", l_sm_np_lz_t1),
    LCASES("linux_sm_nopt_lazy_iommufd", l_sm_np_lz_fd),
};
MC_SUITE(domain_tests)
