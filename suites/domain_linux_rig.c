// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_linux_rig: the Linux guest's rig for the domain suite.
 *
 * Boots the guest behind intel-iommu with the mock's device, drives the
 * agent's domain switches one command at a time and checks, after each,
 * that the device's mappings in the mock are exactly what the guest's
 * domain allows (the coherence oracle) and that DMA lands or faults as the
 * domain says.  The cases are in domain_linux.c and domain_linux_mig.c.
 */
#include "domain_linux.h"

#include "agentlink.h"
#include "matrix.h"
#include "qemuid.h"
#include "util.h"
#include "viommu.h"
#include "vtd_tables.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* True while the source QEMU runs; otherwise fails the case and logs its last words. */
bool lin_alive(struct lin *d, const char *step)
{
	bool crashed = d->w.crashed;

	if (dom_alive(&d->w, d->p.src, step))
		return true;
	if (!crashed)
		mc_case_log(d->w.c, "QEMU's last words: %s", d->w.stderr_tail);
	return false;
}

/* One agent command, sequenced: the reply is the step's end.  NULL on failure. */
json_t *lin_agent(struct lin *d, const char *step, const char *fmt, ...)
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
		mc_case_log(d->w.c, "%s: %s -> %s", step, cmd,
			    json_string_value(json_object_get(r, "_text")));
	} else {
		/* A dying QEMU closes the agent's line first: give it a moment. */
		mc_proc_wait(&d->p.src->proc, 30000);
		if (lin_alive(d, step)) {
			char *s = mc_strdup_printf("%s: agent: %s", step, err);

			mc_case_fail(d->w.c, "%s", s);
			dom_observed(&d->w, s);
			free(s);
		}
	}
	free(cmd);
	free(err);
	return r;
}

bool lin_cmd(struct lin *d, const char *step, const char *cmd)
{
	json_t *r = lin_agent(d, step, "%s", cmd);

	json_decref(r);
	return r != NULL;
}

static void lin_cut(struct coh_set *set, uint64_t iova, uint64_t len);

bool lin_check(struct lin *d, const char *step)
{
	struct coh_set want, got;
	struct coh_diff diff;
	char *err = NULL;
	json_t *st;
	bool equal;

	d->w.steps++;
	if (!lin_alive(d, step))
		return false;
	st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), &err);
	if (!st) {
		mc_proc_wait(&d->p.src->proc, 500);
		if (lin_alive(d, step))
			mc_case_fail(d->w.c, "%s: %s", step, err);
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
	/*
	 * The signature of an identity domain QEMU never applied: none of it
	 * reaches the device.  What the device can reach instead is the old
	 * domain's state; with a stale PASID entry QEMU may even walk the
	 * page-table page the guest freed and map whatever it now holds.
	 */
	if (!equal && d->dom == LD_IDENTITY && coh_none_applied(&want, &diff))
		dom_pattern(&d->w, "passthrough_missing");
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
			dom_pattern(&d->w, "passthrough_kept");
		coh_set_free(&base);
		coh_set_free(&g);
	}
	equal = dom_coherence(
	    &d->w, step, lin_dom_name(d->dom),
	    dom_has_pattern(&d->w, "passthrough_kept") ? " (the identity mapping stayed)" : "",
	    &want, &got, &diff, equal);
	coh_set_free(&want);
	coh_set_free(&got);
	return equal;
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

/* vfio map (of guest physical memory at phys, when nonzero), then the GPAs of its pages. */
bool lin_map_at(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write,
		bool each, uint64_t phys)
{
	uint64_t done = 0;
	json_t *r = lin_agent(d, step,
			      "vfio map iova=0x%" PRIx64 " pages=%" PRIu64
			      " write=%d each=%d phys=0x%" PRIx64,
			      iova, pages, write, each, phys);

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
			mc_case_error(d->w.c, "%s: bad gpa reply %s", step,
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

bool lin_map(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write, bool each)
{
	return lin_map_at(d, step, iova, pages, write, each, 0);
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

bool lin_unmap(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool each)
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

	d->w.dmas++;
	if (!ok) {
		char *s = mc_strdup_printf(
		    "%s: DMA of %" PRIu64 " page(s) %s must %s (%s): %" PRIu64 " written, %" PRIu64
		    " faulted, %" PRIu64 " of %" PRIu64 " landed in the agent's pages",
		    step, pages, what, lands ? "land" : "fault", lin_dom_name(d->dom), w, f, landed,
		    inbuf);

		dom_oracle_failed(&d->w, "dma", s, json_incref(r));
		free(s);
	}
	json_decref(r);
	return ok;
}

bool lin_fill(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool lands)
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
bool lin_fill_phys(struct lin *d, const char *step, bool lands)
{
	json_t *r;

	if (!lin_cmd(d, step, "dev enable"))
		return false;
	r = lin_agent(d, step, "dev fill-phys pages=2 seed=%u", ++d->seed);
	return r && lin_dma_check(d, step, r, 2, lands, "to the agent's pages by GPA");
}

void lin_mock_spec(const struct lin_variant *v, struct mock_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->backend = v->backend;
	spec->ndev = 1;
	/* The guest's driver sets Bus Master Enable, as on hardware. */
	spec->dev[0].host_driven = false;
}

/*
 * no_timer_check: under TCG on a loaded host the boot-time check of the
 * IO-APIC timer through interrupt remapping can miss its ticks and panic
 * ("timer doesn't work through Interrupt-remapped IO-APIC").
 */
char *lin_cmdline(const struct lin_variant *v, const char *extra)
{
	return mc_strdup_printf(
	    "quiet no_timer_check intel_iommu=on,%s iommu=%s iommu.strict=%d iomem=relaxed%s%s",
	    v->scalable ? "sm_on" : "sm_off", v->pt ? "pt" : "nopt", v->strict ? 1 : 0,
	    extra ? " " : "", extra ? extra : "");
}

/* The vIOMMU first, then the mock's device; `paused` adds -S (both sides). */
static void lin_free_args(char **a);

char **lin_args(const struct lin_variant *v, const struct mock_rig *rig, bool paused)
{
	const char *const *vi = viommu_qemu_args(v->scalable ? MX_VI_SCALABLE : MX_VI_LEGACY, true);
	char **a = calloc(16 + 8, sizeof(*a));
	size_t n = 0, i;

	if (!a)
		abort();
	if (paused)
		a[n++] = strdup("-S");
	/* Spelled as the QEMU under test spells it; without scalable mode the caller skips. */
	if (!vi) {
		lin_free_args(a);
		return NULL;
	}
	for (; *vi; vi++)
		a[n++] = strdup(*vi);
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

void lin_init(struct lin *d, struct mc_case *c, const struct lin_variant *v)
{
	memset(d, 0, sizeof(*d));
	dom_watch_init(&d->w, c);
	d->v = v;
	coh_set_init(&d->baseline);
	coh_set_init(&d->maps);
}

/*
 * With the source still paused (-S), before the guest enables translation:
 * the mock's mappings are the identity set (all RAM QEMU maps with DMAR
 * off), which also locates guest RAM in QEMU.  Then the guest runs.
 */
int lin_baseline_and_cont(struct lin *d, char **err)
{
	json_t *st = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE),
				   err),
	       *r;

	if (!st || coh_ram_from_identity(&d->ram, st, err) < 0) {
		json_decref(st);
		return -1;
	}
	coh_from_mock(&d->baseline, st, &d->ram, err);
	json_decref(st);
	r = qmp_call(d->p.src->qmp, "cont", NULL, 10000, err);
	json_decref(r);
	return r ? 0 : -1;
}

/*
 * Boots the guest with the variant's kernel command line.  The source starts
 * paused so the mock's mappings with DMAR off (the identity set) are read
 * before the guest enables translation.
 */
bool lin_setup(struct lin *d, struct mc_case *c, const struct lin_variant *v, json_t *faults)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct pair_opts o = {.mem_bytes = 256ull << 20};
	struct mock_spec spec;
	char *err = NULL;
	json_t *r;
	const char *type, *want;

	lin_init(d, c, v);
	lin_mock_spec(v, &spec);
	spec.faults[VM_SRC] = faults;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0)
		goto error;
	d->args = lin_args(v, &d->rig, true);
	if (!d->args) {
		d->skipped = true;
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		goto fail;
	}
	d->append = lin_cmdline(v, NULL);
	o.append = d->append;
	o.extra_args = (const char *const *)d->args;
	o.env_side[VM_SRC] = (const char *const *)d->rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)d->rig.env[VM_DST];
	if (pair_launch(c, &o, &d->p) < 0)
		goto fail;
	d->launched = true;
	if (lin_baseline_and_cont(d, &err) < 0)
		goto error;
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

/*
 * After QEMU died: was its last VFIO request an unmap-time dirty read
 * (type1 UNMAP_DMA with GET_DIRTY_BITMAP, iommufd GET_DIRTY_BITMAP with
 * NO_CLEAR) that reported dirty pages over a range larger than guest RAM?
 * QEMU credits such a bitmap from the IOTLB entry's translated address.
 */
static void lin_crash_pattern(struct lin *d)
{
	char *log = mc_read_file(d->rig.log[VM_SRC], NULL), *line, *save = NULL;
	json_t *last = NULL;

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *kind = json_string_value(json_object_get(e, "kind"));

		/* Data-fd reads come from the migration thread, which outlives the vCPU. */
		if (e && json_object_get(e, "req") && kind && strcmp(kind, "data")) {
			json_decref(last);
			last = e;
		} else {
			json_decref(e);
		}
	}
	free(log);
	if (last) {
		const char *req = json_string_value(json_object_get(last, "req"));
		json_int_t flags = json_integer_value(json_object_get(last, "flags"));
		json_int_t dirty = json_integer_value(json_object_get(last, "dirty"));
		uint64_t len = (uint64_t)json_integer_value(json_object_get(
		    last, !strcmp(req, "VFIO_IOMMU_UNMAP_DMA") ? "size" : "length"));
		bool unmap_read = (!strcmp(req, "VFIO_IOMMU_UNMAP_DMA") ||
				   !strcmp(req, "IOMMU_HWPT_GET_DIRTY_BITMAP")) &&
				  (flags & 1);

		if (unmap_read && dirty > 0 && len > d->p.spec.mem_bytes) {
			dom_pattern(&d->w, "crash_unmap_dirty_beyond_ram");
			mc_case_set(d->w.c, "last_vfio_request", json_incref(last));
		}
	}
	json_decref(last);
}

void lin_teardown(struct lin *d)
{
	const char *version = d->launched ? qmp_version(d->p.src->qmp) : NULL;

	if (d->launched && !d->w.crashed)
		lin_alive(d, "end");
	if (d->w.crashed)
		lin_crash_pattern(d);
	mc_case_set(
	    d->w.c, "steps",
	    json_pack("{s:i, s:i}", "coherence_checks", d->w.steps, "dma_checks", d->w.dmas));
	if (!mc_case_failed(d->w.c) && !d->w.negative && d->w.steps)
		dom_coherence_held(&d->w);
	/* A skipped case has nothing to expect. */
	dom_expect_defects(&d->w, d->skipped ? NULL : version);
	pair_stop(&d->p);
	mock_rig_free(&d->rig);
	lin_free_args(d->args);
	free(d->append);
	coh_set_free(&d->baseline);
	coh_set_free(&d->maps);
	dom_watch_free(&d->w);
}

/* default -> (bind) -> blocked (SET_CONTAINER) -> unmanaged (SET_IOMMU), device open, BME. */
bool lin_bind_open(struct lin *d)
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
bool lin_close(struct lin *d, const char *step, bool unmap_first)
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
