/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bare.h: a guest with no OS.  QEMU stays stopped (-S, so the vCPU never
 * executes, not even firmware) with a qtest protocol server on a socket,
 * and the harness plays the guest: it writes the intel-iommu structures and
 * the device's registers over qtest.
 */
#ifndef MIGCHECK_BARE_H
#define MIGCHECK_BARE_H

#include "dmadev.h"
#include "qtest.h"
#include "ramcmp.h"
#include "vm.h"
#include "vtd.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Guest physical memory plan (RAM is 2 GiB below 4 GiB, so GPA == RAM
 * offset, unless a migration case gives the guest more and a layout).
 */
#define BARE_MEM_BYTES (2048ull << 20)
#define BARE_VTD_BASE 0x100000ull /* root, context, PASID, queue, status pages */
#define BARE_PT_POOL 0x200000ull  /* page-table pages */
#define BARE_PT_PAGES 3584u	  /* up to 16 MiB */
#define BARE_BAR0 0xc0000000ull	  /* BAR0 of the DMA device (PCI hole) */

struct bare_opts {
	const char *qemu;
	const char *workdir;
	bool scalable;
	const char *const *extra_args; /* e.g. the mock's -object/-device, after intel-iommu */
	const char *const *env;
};

struct bare_guest {
	struct vm *vm;
	struct qtest *qt;
	struct vtd vtd;
	bool vtd_ready;
	/* Where guest RAM sits in the backend (a migration's pair), or NULL: GPA == offset. */
	const struct ram_layout *layout;
};

/* The layout of the VT-d pages under BARE_VTD_BASE. */
void bare_vtd_layout(struct vtd_layout *l);
/* Starts QEMU (stopped, qtest server, intel-iommu with caching-mode) and connects. */
int bare_start(struct bare_guest *g, const struct bare_opts *o, char **err);
/* Root table and queued invalidation, translation still off. */
int bare_vtd_init(struct bare_guest *g, bool scalable, char **err);
void bare_stop(struct bare_guest *g);
/* The guest's RAM as the harness sees it (the shared backend file), or NULL. */
const uint8_t *bare_ram(const struct bare_guest *g, uint64_t gpa, uint64_t len);

#endif
