/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostrig.h: QEMU's side of host devices for a source/destination pair.
 *
 * The cell says how QEMU takes the devices (type1 or iommufd, enable-
 * migration, whether the device's own dirty tracking is used, device state
 * over multifd); the run's devices (hostdev.h) say which: the source QEMU
 * gets the first device of each pair, the destination the second, with the
 * same ids so their state finds its way.  The arguments are the ones for
 * any host: QEMU finds the device under /sys/bus/pci/devices.
 */
#ifndef MIGCHECK_HOSTRIG_H
#define MIGCHECK_HOSTRIG_H

#include "hostdev.h"
#include "matrix.h"

#include <stdbool.h>

struct host_spec {
	int backend;		      /* enum mock_backend: MOCK_TYPE1 or MOCK_IOMMUFD */
	int ndev;		      /* devices in the guest (pairs of host devices) */
	const char *enable_migration; /* NULL: QEMU's default */
	bool device_tracking_off;     /* QEMU uses the IOMMU's tracker */
	const char *device_props;     /* appended to every -device, or "" */
};

/* What a matrix cell asks of QEMU for host devices. */
void hostrig_cell_spec(const struct mx_cell *c, struct host_spec *h);
/* Per-side arguments (NULL-ended, malloc'd) for the devices of s; -1 with *err. */
int hostrig_args(const struct host_spec *h, const struct hostdev_set *s, char ***src, char ***dst,
		 char **err);
void hostrig_free_args(char **v);

#endif
