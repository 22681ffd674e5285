// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_linux: guest IOMMU domains and mapping coherence, Linux guest.
 *
 * The bare-guest half's oracle with a Linux guest: the agent (guests/agent)
 * performs the domain switches the way Linux does them and the harness
 * checks after each one.  Domains: the default domain (identity with iommu=pt, DMA or DMA-FQ
 * otherwise; no driver bound, so a DMA domain holds nothing), blocked (vfio
 * claimed the group at SET_CONTAINER), unmanaged (SET_IOMMU: exactly the
 * agent's MAP_DMA set).  Guest type1 probes superpages at SET_IOMMU (IOVA 0
 * and 0x1000, mapped and unmapped again); the probe is over when the
 * agent's reply arrives, so the checks never see it.
 *
 * The same switches also run during migration (at setup, after dirty sync
 * 2, right before switchover), with the mock writing a page when the unmap
 * reaches it; a negative control drops the dirty bits at unmap.
 */
#include "agentlink.h"
#include "coherence.h"
#include "domain_common.h"
#include "mockdev.h"
#include "pair.h"
#include "qemuid.h"
#include "runner.h"
#include "util.h"
#include "matrix.h"
#include "viommu.h"
#include "vtd_tables.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
/* An agent command's bound: 256 strict unmaps take long on a loaded host. */
#define LIN_CMD_MS 120000
/* A window the guest kernel never uses, for event-triggered writes by GPA. */
#define LIN_EVENT_GPA 0x8000000ull
#define LIN_EVENT_APPEND "memmap=16M$0x8000000"
/*
 * A 2.75 GiB guest, the smallest with RAM above 4 GiB on q35 (2 GiB below,
 * 768 MiB from 4 GiB up), and its event page at 4.25 GiB guest-physical,
 * RAM offset 2.25 GiB.  Taken for a RAM offset that address lies past the
 * end of RAM.
 */
#define LIN_HIGH_MEM (2816ull << 20)
#define LIN_HIGH_EVENT_GPA 0x110000000ull
#define LIN_IOVA_LOW 0xc0000000ull /* below the interrupt window, in the PCI hole of q35 */
#define LIN_HIGH_APPEND "memmap=16M$0x110000000"

struct lin_variant {
	bool scalable, pt, strict;
	enum mock_backend backend;
};

enum lin_dom { LD_IDENTITY, LD_DMA, LD_BLOCKED, LD_UNMANAGED };

struct lin {
	struct dom_watch w; /* and the case */
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
	unsigned seed;
	bool skipped;
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

/* True while the source QEMU runs; otherwise fails the case and logs its last words. */
static bool lin_alive(struct lin *d, const char *step)
{
	bool crashed = d->w.crashed;

	if (dom_alive(&d->w, d->p.src, step))
		return true;
	if (!crashed)
		mc_case_log(d->w.c, "QEMU's last words: %s", d->w.stderr_tail);
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
	/* The signature of an identity domain QEMU never applied. */
	if (!equal && d->dom == LD_IDENTITY && !got.n)
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

/* vfio map, then the GPAs of its pages from the agent's pagemap. */
/* vfio map (of guest physical memory at phys, when nonzero), then the GPAs of its pages. */
static bool lin_map_at(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write,
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

static bool lin_map(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write,
		    bool each)
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

/*
 * no_timer_check: under TCG on a loaded host the boot-time check of the
 * IO-APIC timer through interrupt remapping can miss its ticks and panic
 * ("timer doesn't work through Interrupt-remapped IO-APIC").
 */
static char *lin_cmdline(const struct lin_variant *v, const char *extra)
{
	return mc_strdup_printf(
	    "quiet no_timer_check intel_iommu=on,%s iommu=%s iommu.strict=%d iomem=relaxed%s%s",
	    v->scalable ? "sm_on" : "sm_off", v->pt ? "pt" : "nopt", v->strict ? 1 : 0,
	    extra ? " " : "", extra ? extra : "");
}

/* The vIOMMU first, then the mock's device; `paused` adds -S (both sides). */
static void lin_free_args(char **a);

static char **lin_args(const struct lin_variant *v, const struct mock_rig *rig, bool paused)
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

static void lin_init(struct lin *d, struct mc_case *c, const struct lin_variant *v)
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
static int lin_baseline_and_cont(struct lin *d, char **err)
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
static bool lin_setup(struct lin *d, struct mc_case *c, const struct lin_variant *v, json_t *faults)
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

static void lin_teardown(struct lin *d)
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

	if (!lin_setup(&d, c, data, faults) || !lin_bind_open(&d))
		goto out;
	if (!lin_map(&d, "map A", LIN_IOVA_A, 4, true, false) || !lin_check(&d, "MAP_DMA A"))
		goto out;
	d.w.selftest = true;
	if (!lin_unmap(&d, "unmap A", LIN_IOVA_A, 4, false) || !lin_check(&d, "UNMAP_DMA A"))
		goto out;
	d.w.selftest = false;
	dom_stale_selftest(&d.w, stale, VTD_PAGE, true);
	/* The device can still write the page the guest took away. */
	r = lin_agent(&d, "stale DMA", "vfio fill iova=0x%" PRIx64 " pages=1 seed=77", stale);
	if (r) {
		bool landed = agent_reply_int(r, "written", 0) == 1;

		dom_stale_dma(&d.w, landed, json_incref(r));
		json_decref(r);
	}
	/* The mock keeps the page for good: only the selftest's oracles decide. */
	d.w.negative = true;
	lin_cmd(&d, "close", "vfio close unmap=1");
out:
	json_decref(faults);
	lin_teardown(&d);
}

/* ---- switches during migration ---- */

enum lin_switch { SW_BIND_OPEN, SW_CLOSE, SW_GROUP_TYPE, SW_STORM };
enum lin_phase { PH_SETUP, PH_SYNC, PH_PRESWITCH };
#define LIN_SYNC_N 2
#define LIN_HOLD_BANDWIDTH (512ull << 20) /* threshold 512 KiB < the mock's 1 MiB held */
#define LIN_EVENT_PAGE (LIN_PAGES_A - 1)  /* a buffer page no fill ever wrote */

struct lin_mig {
	struct lin d;
	enum lin_switch sw;
	enum lin_phase ph;
	bool high, drop_dirty;
	bool switched, event_expected, released;
	int sync_at;
	uint64_t event_iova, event_gpa;
	uint64_t iova_a, phys; /* where close maps its buffers, and from which GPA (0: anywhere) */
	char *hook_err;
};

static const char *const lin_switch_name[] = {
    "bind+open (default -> blocked -> unmanaged)", "close (unmanaged -> blocked -> default)",
    "iommu_group type identity -> DMA", "unmap storm (256 x UNMAP_DMA)"};

/* The guest's switch, through the agent's command channel, at the planned moment. */
/*
 * A tracker that reports every mapped page dirty (type1) re-dirties all of
 * RAM at each sync, so a write that lands before the pass has sent its page
 * is sent anyway, right or wrong.  Before a switch after a sync, wait until
 * QEMU reports fewer bytes left in this pass than lie from the event page
 * to the end of RAM: the pass has sent it.  An order, not a delay; the
 * bound is only for a pass that never gets there.
 */
static void lin_wait_pass_past_event(struct lin_mig *m)
{
	struct lin *d = &m->d;
	uint64_t off = ram_layout_offset(&d->p.layout, m->event_gpa), after, left = UINT64_MAX;
	double t0 = mc_now_s();

	if (!m->event_expected || off == UINT64_MAX || off >= d->p.src->ram_size)
		return;
	after = d->p.src->ram_size - off - VTD_PAGE;
	while (mc_now_s() - t0 < 300) {
		json_t *q = qmp_call(d->p.src->qmp, "query-migrate", NULL, 10000, NULL);
		const json_t *rem = json_object_get(json_object_get(q, "ram"), "remaining");

		left = rem ? (uint64_t)json_integer_value(rem) : 0;
		json_decref(q);
		if (!rem || left < after)
			break;
		usleep(50000);
	}
	mc_case_log(d->w.c,
		    "switch: the pass has %" PRIu64 " bytes left; %" PRIu64
		    " lie after the event page (RAM offset 0x%" PRIx64 ")",
		    left, after, off);
}

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
		mc_case_log(m->d.w.c, "switch: %s -> %s", *c,
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
	json_t *r;

	if (m->ph != PH_SETUP) {
		lin_wait_pass_past_event(m);
		if (lin_switch_now(m, err) < 0)
			return -1;
	}
	/* The switch is done: the device stops holding pre-copy open. */
	r = mock_rig_call(&m->d.rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_RELEASE), err);
	if (!r)
		return -1;
	m->released = true;
	json_decref(r);
	/* type1 reports every mapped page dirty: the last pass is big. */
	return mig_run_set_limits(run, 4ull << 30, v->backend == MOCK_TYPE1 ? 20000 : 2000, err);
}

/* The GPA an IOVA reaches through the agent's MAP_DMA set; in an identity domain, itself. */
static uint64_t lin_iova_gpa(const struct lin *d, uint64_t iova)
{
	size_t i;

	for (i = 0; i < d->maps.n; i++) {
		const struct coh_run *r = &d->maps.v[i];

		if (iova >= r->iova && iova - r->iova < r->len)
			return r->gpa + (iova - r->iova);
	}
	return iova;
}

/*
 * Where the event page really is, from the mock's mappings: the mapping
 * holding its IOVA reaches a page of the guest's RAM file, which must be
 * the one QEMU's memory map gives for its GPA, above 4 GiB where the case
 * says so (the placement oracle); anything else is the case's error.
 */
static bool lin_placement(struct lin_mig *m)
{
	struct lin *d = &m->d;
	json_t *det = NULL;
	char *sum = NULL;
	bool ok = mock_rig_placement(&d->rig, VM_SRC, d->p.src, &d->p.layout, m->event_iova,
				     m->event_gpa, m->high ? 4ull << 30 : 0, &sum, &det);

	mc_case_set(d->w.c, "event", json_incref(det));
	if (ok)
		mc_case_oracle(d->w.c, "placement", true, sum, det);
	else {
		mc_case_error(d->w.c, "the event page is not where the case placed it: %s", sum);
		json_decref(det);
	}
	free(sum);
	return ok;
}

/* Dirty pages the mock's drop fault hid from QEMU's reads (its sync log). */
static uint64_t lin_dropped(const json_t *dev)
{
	const json_t *r;
	uint64_t n = 0;
	size_t i;

	json_array_foreach(json_object_get(dev, "syncs"), i, r)
	{
		n += json_integer_value(json_object_get(r, "dropped"));
	}
	return n;
}

/* What the mock's log says of the event write: spent with BME off, or never due. */
static const char *lin_event_fate(struct lin *d)
{
	char *log = mc_read_file(d->rig.log[VM_SRC], NULL), *line, *save = NULL;
	const char *fate = "no unmap reached it";

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "\"event_write\""))
			continue;
		fate = strstr(line, "\"bus_master\":false")
			   ? "the unmap reached it while Bus Master Enable was off"
			   : "it wrote elsewhere";
	}
	free(log);
	return fate;
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
		mc_case_log(m->d.w.c,
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

static int lin_hook(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err)
{
	struct lin_mig *m = opaque;

	switch (at) {
	case MIG_AT_SETUP:
		return lin_hook_setup(run, opaque, err);
	case MIG_AT_SYNC:
		return !m->released && n >= m->sync_at ? lin_hook_sync(run, opaque, err) : 0;
	case MIG_AT_PRE_SWITCHOVER:
		return lin_hook_preswitch(run, opaque, err);
	}
	return 0;
}

/* The guest state before migration, from which the switch starts. */
static bool lin_prepare(struct lin_mig *m)
{
	struct lin *d = &m->d;

	/*
	 * Leaving the identity domain: the device is bus-mastering there, as
	 * under a driver.  Binding vfio-pci clears BME before the domain
	 * changes, so the unmap's event write is a posted one.
	 */
	switch (m->sw) {
	case SW_BIND_OPEN:
		return !d->v->pt || lin_cmd(d, "BME on (identity)", "dev enable");
	case SW_GROUP_TYPE:
		return (d->v->pt || lin_cmd(d, "to identity", "dev group-type type=identity")) &&
		       lin_cmd(d, "BME on (identity)", "dev enable");
	case SW_CLOSE:
		return lin_bind_open(d) &&
		       lin_map_at(d, "map A", m->iova_a, LIN_PAGES_A, true, false, m->phys) &&
		       lin_fill(d, "map A", m->iova_a, LIN_PAGES_A / 2, true);
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
	struct lin_mig m = {
	    .sw = sw, .ph = ph, .high = high, .drop_dirty = drop_dirty, .iova_a = LIN_IOVA_A};
	struct lin *d = &m.d;
	struct pair_opts o = {.mem_bytes = high ? LIN_HIGH_MEM : 256ull << 20};
	/* Pre-copy scans all of RAM for zero pages: slow for a big guest on a loaded host. */
	struct mig_plan plan = {.return_path = true, .timeout_ms = high ? 600000 : 180000};
	struct mig_result r = {0};
	struct mock_spec spec;
	json_t *events = NULL, *faults = NULL, *blockers, *dev = NULL;
	uint64_t event_gpa = high ? LIN_HIGH_EVENT_GPA : LIN_EVENT_GPA, match, match_len;
	char *err = NULL;
	struct ram_cmp cmp;

	lin_init(d, c, v);
	/*
	 * Above 4 GiB: close maps its buffers from the reserved window at 4.25
	 * GiB guest-physical, at an IOVA below the interrupt window (IOVAs
	 * above it take another path in intel-iommu).
	 */
	if (high && sw == SW_CLOSE) {
		m.iova_a = LIN_IOVA_LOW;
		m.phys = LIN_HIGH_EVENT_GPA;
	}
	/* The negative control needs QEMU's unmap-time read, which IOVAs this low get. */
	if (drop_dirty)
		m.iova_a = LIN_IOVA_LOW;
	if (high && mem_available() < (4ull << 30)) {
		d->skipped = true;
		mc_case_skip(c,
			     "a guest with RAM above 4 GiB needs about 4 GiB available "
			     "on the host (%" PRIu64 " MiB available)",
			     mem_available() >> 20);
		goto out;
	}
	/* Where the unmap reaches a page nobody wrote: the mock writes it then. */
	switch (sw) {
	case SW_CLOSE:
		m.event_iova = m.iova_a + LIN_EVENT_PAGE * VTD_PAGE;
		match = m.iova_a;
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
	/*
	 * Armed right before the migration (firmware start-up unmaps all RAM
	 * too).  vfio-pci clears BME before the domain changes at bind and
	 * close: the write is one the device posted while still mastering.
	 */
	events =
	    json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:b}", VFM_CTL_CMD, VFM_CTL_DMA,
		      VFM_KEY_ACTION, VFM_DMA_ARM, VFM_KEY_ON, vfm_event_name(VFM_EV_UNMAP),
		      VFM_KEY_IOVA, (json_int_t)m.event_iova, VFM_KEY_PAGES, 1, VFM_KEY_MATCH_IOVA,
		      (json_int_t)match, VFM_KEY_MATCH_LEN, (json_int_t)match_len, VFM_KEY_POSTED,
		      sw == SW_BIND_OPEN || sw == SW_CLOSE);
	if (drop_dirty)
		faults = json_pack("[{s:s, s:s, s:s}]", VFM_KEY_KIND,
				   vfm_fault_name(VFM_FAULT_DROP_DIRTY), VFM_KEY_TRACKER,
				   vfm_tracker_name(VFM_TRACKER_ANY), VFM_KEY_WHEN,
				   vfm_when_name(VFM_WHEN_UNMAP));
	lin_mock_spec(v, &spec);
	spec.faults[VM_SRC] = faults;
	/*
	 * The trackers migration with a vIOMMU can use: the IOMMU's (iommufd
	 * HWPT) or type1's with enable-migration=on; no device DMA logging.
	 * Where QEMU refuses the device outright that is its answer too.
	 */
	spec.dev[0].personality = VFM_PERS_NO_TRACKER;
	spec.enable_migration = v->backend == MOCK_TYPE1 ? "on" : NULL;
	spec.iommu_dirty = v->backend != MOCK_TYPE1;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &d->rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	/* Paused: the identity set is read before the guest enables translation. */
	d->args = lin_args(v, &d->rig, true);
	if (!d->args) {
		d->skipped = true;
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		goto out;
	}
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
	if (lin_baseline_and_cont(d, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	if (pair_wait_ready(c, &d->p) < 0 || !lin_cmd(d, "modules", "modules load") ||
	    !lin_cmd(d, "find", "dev find"))
		goto out;
	d->dom = d->dflt = v->pt ? LD_IDENTITY : LD_DMA;
	if (!lin_prepare(&m) || pair_start_workload(c, &d->p, 8, true) < 0)
		goto out;
	/* The guest page the event writes: by GPA, or behind the agent's mapping. */
	m.event_gpa = lin_iova_gpa(d, m.event_iova);
	if (m.event_expected && !lin_placement(&m))
		goto out;
	mc_case_log(c, "switch %s during migration, %s", lin_switch_name[sw],
		    ph == PH_SETUP  ? "at setup"
		    : ph == PH_SYNC ? "after dirty sync 2"
				    : "as the last guest action before "
				      "switchover");
	/*
	 * The device's held state keeps pre-copy open, so the cap only has to
	 * keep QEMU's switchover threshold (bandwidth x 1 ms) below it.
	 */
	plan.max_bandwidth = LIN_HOLD_BANDWIDTH;
	plan.downtime_limit_ms = 1;
	m.sync_at = ph == PH_PRESWITCH ? LIN_SYNC_N + 1 : LIN_SYNC_N;
	plan.hook = lin_hook;
	plan.pause_before_switchover = true;
	plan.opaque = &m;
	/*
	 * The device holds pre-copy open (pending state) until the switch is
	 * done: a guest busy switching stops dirtying memory, and pre-copy
	 * must not converge and stop it halfway.
	 */
	dev = mock_rig_call(&d->rig, VM_SRC, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_HOLD), &err);
	if (dev && m.event_expected) {
		json_decref(dev);
		dev = mock_rig_call(&d->rig, VM_SRC, json_incref(events), &err);
	}
	if (!dev) {
		mc_case_error(c, "cannot hold pre-copy and arm the event: %s", err);
		goto out;
	}
	json_decref(dev);
	dev = NULL;
	if (mig_run(d->p.src, d->p.dst, &plan, &r, &err) < 0) {
		lin_alive(d, "migration");
		if (!d->w.crashed)
			mc_case_fail(c, "could not drive the migration: %s", err);
		goto out;
	}
	if (!m.switched) {
		/*
		 * A hook that failed cancelled the migration and said why.  A
		 * closed agent channel usually means QEMU is dying (a core dump
		 * takes a while): let it be reaped so the crash is the reason.
		 */
		if (r.error && strstr(r.error, "channel closed"))
			mc_proc_wait(&d->p.src->proc, 30000);
		if (lin_alive(d, "switch during migration") && r.error &&
		    !strcmp(r.status, "cancelled"))
			mc_case_fail(c, "the guest's switch during migration did not complete: %s",
				     r.error);
		else if (!d->w.crashed && r.error)
			mc_case_fail(c, "the migration ended before the switch's phase: %s",
				     r.error);
		else if (!d->w.crashed)
			mc_case_error(c,
				      "the switch did not run at the planned phase (migration %s)",
				      r.status ? r.status : "?");
		goto out;
	}
	if (!pair_record_migration(c, &d->p, &r))
		goto out;
	dev = mock_rig_device(&d->rig, VM_SRC, 0, &err);
	if (m.event_expected && dev && !lin_wrote(dev, m.event_iova)) {
		mc_case_error(c,
			      "the unmap event at 0x%" PRIx64 " never fired: the scenario did "
			      "not run as planned (%s)",
			      m.event_iova, lin_event_fate(d));
		goto out;
	}
	if (drop_dirty) {
		uint64_t dropped = lin_dropped(dev);
		char *s, *sum;

		/* The fault must have hidden the page from an unmap-time read QEMU made. */
		if (!dropped) {
			mc_case_error(c, "the drop_dirty fault never applied: QEMU made no "
					 "unmap-time dirty read that reported the event page");
			goto out;
		}
		ram_compare(d->p.src->ram, d->p.dst->ram, d->p.src->ram_size, 4096, &d->p.layout,
			    &cmp);
		s = ram_cmp_summary(&cmp);
		sum = mc_strdup_printf("%s; the mock hid %" PRIu64 " dirty page(s) at unmap", s,
				       dropped);
		/* Exactly the page whose bit was hidden, and nothing else. */
		mc_case_oracle(c, "ram_detects",
			       cmp.differing == 1 && cmp.diff[0].gpa == m.event_gpa, sum,
			       ram_cmp_json(&cmp));
		free(sum);
		free(s);
		goto out;
	}
	if (!pair_ram_oracle(c, &d->p, &cmp)) {
		char *sum = ram_cmp_summary(&cmp);

		/* The signature of a lost unmap-time write: exactly the event page differs. */
		if (m.event_expected && cmp.differing == 1 && cmp.diff[0].gpa == m.event_gpa)
			dom_pattern(&d->w, "event_page_lost");
		dom_observed(&d->w, sum);
		free(sum);
		goto out;
	}
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

/* A guest with RAM above 4 GiB: its buffers and the event page up there. */
static void linux_mig_highmem(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;

	/*
	 * iommu=pt: the device leaves the identity domain with its last write
	 * at GPA 4.25 GiB (QEMU unmaps RAM above 4 GiB); otherwise close, with
	 * the buffers at GPA 4.25 GiB (QEMU unmaps the vIOMMU's mappings of it).
	 */
	lin_migrate(c, data, v->pt ? SW_BIND_OPEN : SW_CLOSE, PH_SYNC, true, false);
}

/* Negative control: dirty bits dropped at unmap must show as lost pages. */
static void linux_mig_drop_dirty_unmap(struct mc_case *c, const void *data)
{
	const struct lin_variant *v = data;

	/*
	 * Under iommu=pt close returns to the identity domain, which type1
	 * reports dirty in full (perpetual): a hidden page is resent anyway.
	 * Leaving the identity domain (bind+open) has no such cover.
	 */
	lin_migrate(c, data, v->pt ? SW_BIND_OPEN : SW_CLOSE, PH_SYNC, false, true);
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
	MC_TEST("domain", vname, test, fn, &var, timeout, summary)
#define LMIG(vname, var, sw, what)                                                                 \
	LT(vname, var, "mig_" #sw "_setup", linux_mig_##sw##_setup, 420,                           \
	   what " during migration, at setup"),                                                    \
	    LT(vname, var, "mig_" #sw "_sync2", linux_mig_##sw##_sync2, 420,                       \
	       what " during migration, after dirty sync 2"),                                      \
	    LT(vname, var, "mig_" #sw "_preswitch", linux_mig_##sw##_preswitch, 420,               \
	       what " during migration, the last guest action before switchover")
#define LCASES(vname, var)                                                                         \
	LT(vname, var, "bind_map_unmap_close", linux_bind_map_unmap_close, 300,                    \
	   "default -> blocked -> unmanaged, MAP_DMA rw/ro, DMA, UNMAP_DMA, close, unbind"),       \
	    LT(vname, var, "group_type", linux_group_type, 300,                                    \
	       "iommu_group type DMA <-> identity with no driver bound, DMA by GPA"),              \
	    LT(vname, var, "storm", linux_storm, 300,                                              \
	       "256 single-page MAP_DMA; half unmapped page by page, half in one batched call"),   \
	    LT(vname, var, "close_live", linux_close_live, 300,                                    \
	       "close(group) with live mappings (unmanaged -> blocked -> default)"),               \
	    LT(vname, var, "stale_mapping", linux_stale_mapping, 300,                              \
	       "negative control: a mapping the mock keeps after UNMAP_DMA must be reported"),     \
	    LMIG(vname, var, bind_open, "bind+open"), LMIG(vname, var, close, "close"),            \
	    LMIG(vname, var, group_type, "group type switch"), LMIG(vname, var, storm, "storm"),   \
	    LT(vname, var, "mig_highmem", linux_mig_highmem, 900,                                  \
	       "2.75 GiB guest, event page at GPA 4.25 GiB: bind+open (iommu=pt) or close after "  \
	       "sync "                                                                             \
	       "2"),                                                                               \
	    LT(vname, var, "mig_drop_dirty_unmap", linux_mig_drop_dirty_unmap, 420,                \
	       "negative control: dirty bits dropped at unmap must be detected")

static const struct mc_test domain_linux_tests[] = {
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
MC_SUITE(domain_linux_tests)
