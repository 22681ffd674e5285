// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the VFIO selftest library of Linux 7.2 uses but does not define or
 * does not need here: calloc_assert() (declared by stubs.h, forced into every
 * file), and the ioat/dsa drivers, which only the DMA driver test drives.
 * A driver whose probe refuses every device is what a machine without those
 * devices has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <libvfio.h>

void *calloc_assert(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "calloc(%zu, %zu) failed\n", n, size);
		abort();
	}
	return p;
}

static int no_device(struct vfio_pci_device *device)
{
	return -EINVAL;
}

struct vfio_pci_driver_ops dsa_ops = {.name = "dsa", .probe = no_device};
struct vfio_pci_driver_ops ioat_ops = {.name = "ioat", .probe = no_device};
