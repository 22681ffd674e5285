// SPDX-License-Identifier: GPL-2.0-or-later
#include "bare.h"
#include "matrix.h"
#include "viommu.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bare_vtd_layout(struct vtd_layout *l)
{
	l->root = BARE_VTD_BASE;
	l->ctx = BARE_VTD_BASE + 0x1000;
	l->ctx_upper = BARE_VTD_BASE + 0x2000;
	l->pasid_dir = BARE_VTD_BASE + 0x3000;
	l->pasid_table = BARE_VTD_BASE + 0x4000;
	l->queue = BARE_VTD_BASE + 0x5000;
	l->status = BARE_VTD_BASE + 0x6000;
}

int bare_start(struct bare_guest *g, const struct bare_opts *o, char **err)
{
	char *chardev = NULL, *log;
	const char *const *iommu;
	const char **args;
	size_t n = 0, extra = 0;
	struct vm_spec spec = {
	    .qemu = o->qemu,
	    .machine = "q35",
	    /*
	     * Distribution builds may lack the qtest accelerator; TCG kept
	     * stopped (-S) serves the protocol the same way.
	     */
	    .accel = "tcg",
	    .mem_bytes = BARE_MEM_BYTES,
	    .smp = 1,
	    .env = o->env,
	};
	int rc = -1;

	memset(g, 0, sizeof(*g));
	iommu = viommu_qemu_args(o->scalable ? MX_VI_SCALABLE : MX_VI_LEGACY, false);
	if (!iommu) {
		mc_set_err(err, "this QEMU's intel-iommu has no scalable mode");
		return -1;
	}
	g->qt = qtest_listen("qt", &chardev, err);
	if (!g->qt)
		return -1;
	while (o->extra_args && o->extra_args[extra])
		extra++;
	args = calloc(extra + 12, sizeof(*args));
	if (!args)
		abort();
	args[n++] = "-chardev";
	args[n++] = chardev;
	args[n++] = "-qtest";
	args[n++] = "chardev:qt";
	/* The protocol transcript goes to a file, so stderr keeps QEMU's own words. */
	log = mc_strdup_printf("%s/src.qtest", o->workdir);
	args[n++] = "-qtest-log";
	args[n++] = log;
	args[n++] = "-S";
	/* The IOMMU must exist before the device that sits behind it. */
	for (; *iommu; iommu++)
		args[n++] = *iommu;
	memcpy(args + n, o->extra_args, extra * sizeof(*args));
	spec.extra_args = args;
	g->vm = vm_start(&spec, VM_SRC, o->workdir, NULL, err);
	if (!g->vm)
		goto out;
	if (qtest_accept(g->qt, 10000, err) < 0)
		goto out;
	rc = 0;
out:
	free(args);
	free(log);
	free(chardev);
	return rc;
}

int bare_vtd_init(struct bare_guest *g, bool scalable, char **err)
{
	struct vtd_layout l;

	bare_vtd_layout(&l);
	if (vtd_init(&g->vtd, g->qt, &l, scalable) < 0) {
		if (err && !*err)
			*err = strdup(g->vtd.err ? g->vtd.err : "VT-d initialisation failed");
		return -1;
	}
	g->vtd_ready = true;
	return 0;
}

void bare_stop(struct bare_guest *g)
{
	if (g->vtd_ready)
		vtd_fini(&g->vtd);
	qtest_close(g->qt);
	vm_destroy(g->vm);
	memset(g, 0, sizeof(*g));
}

const uint8_t *bare_ram(const struct bare_guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t off = g->layout ? ram_layout_offset(g->layout, gpa) : gpa;

	/* The range must be one run of guest RAM: both ends where the layout puts them. */
	if (!g->vm || !g->vm->ram || !len || off >= g->vm->ram_size ||
	    len > g->vm->ram_size - off ||
	    (g->layout && ram_layout_offset(g->layout, gpa + len - 1) != off + len - 1))
		return NULL;
	return g->vm->ram + off;
}
