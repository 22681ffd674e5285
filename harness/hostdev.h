/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostdev.h: real host devices for a run, --device host=BDF,BDF[,BDF,BDF].
 *
 * Both QEMUs of a migration run on this host and a VFIO device belongs to
 * one process at a time, so devices come in pairs: the source's, then the
 * destination's (two VFs of one model).  One pair gives the guest one
 * device, two pairs two.
 *
 * Before anything starts the harness checks the host and refuses, with the
 * exact reason and the commands a user would run, a device that is not
 * there, bound to anything but vfio-pci or a VFIO variant driver, in an
 * IOMMU group holding devices not named (or the other side's device), and
 * a missing or unusable /dev/vfio or /dev/iommu.  It never binds or unbinds
 * a driver itself, and after each case checks that every device is still
 * there, bound as it was found.  Then it asks the kernel what each device
 * offers (devcaps.h).
 */
#ifndef MIGCHECK_HOSTDEV_H
#define MIGCHECK_HOSTDEV_H

#include "devcaps.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HOSTDEV_MAX 8

struct hostdev {
	char bdf[16];
	uint16_t vendor, device, subsystem_vendor, subsystem_device;
	uint32_t class_code;
	uint32_t revision;
	char driver[64];	   /* the driver it is bound to */
	char driver_module[64];	   /* the module providing it, "" if built in */
	char driver_version[64];   /* the module's version, or the kernel's for in-tree ones */
	char firmware_version[64]; /* "" when sysfs shows none */
	int group;
	char cdev[32]; /* "vfio3", "" without the VFIO device cdev */
	struct devcaps caps;
};

struct hostdev_set {
	int n; /* devices: twice the pairs */
	struct hostdev dev[HOSTDEV_MAX];
	bool emulated; /* the VFIO mock answers for the kernel (host emulation) */
};

/* Parses "host=A,B[,C,D]" (BDFs as DDDD:BB:DD.F or BB:DD.F); -1 with *err. */
int hostdev_parse(const char *arg, struct hostdev_set *s, char **err);
/* Checks the host for every device, then probes each; -1 with *err: the refusal. */
int hostdev_check(struct hostdev_set *s, char **err);
/* After a case: NULL if every device is there, bound as found; else why not. */
char *hostdev_recheck(const struct hostdev_set *s);

/* The run's devices (main sets them before any case runs); NULL without --device. */
const struct hostdev_set *hostdev_run(void);
void hostdev_set_run(const struct hostdev_set *s);

/* Pair k: the source's device and the destination's. */
const struct hostdev *hostdev_src(const struct hostdev_set *s, int k);
const struct hostdev *hostdev_dst(const struct hostdev_set *s, int k);
static inline int hostdev_pairs(const struct hostdev_set *s)
{
	return s->n / 2;
}

/* Identity, driver and capabilities of every device, for reports and certificates. */
json_t *hostdev_json(const struct hostdev_set *s);
/* Whether this process's VFIO is the mock's (a host-emulation run). */
bool hostdev_emulated(void);

#endif
