/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcisys.h: a PCI function seen through sysfs, as a Linux user has it.
 *
 * Find the device by vendor and device ID, bind and unbind drivers
 * (driver_override), switch the iommu_group's default domain type, and
 * reach config space (the config file) and the BARs (mmap of resourceN).
 * The agent remembers one device, the last one found.
 */
#ifndef MIGCHECK_AGENT_PCISYS_H
#define MIGCHECK_AGENT_PCISYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCISYS_BARS 6

struct pcisys_info {
	char bdf[32];
	int group;	 /* -1: no iommu_group (no IOMMU) */
	char driver[64]; /* "" when none is bound */
	char type[32];	 /* the group's default domain type, "" if unknown */
	uint16_t vendor, device;
};

/* Where sysfs is (tests point it at a fake tree); default "/sys". */
void pcisys_set_root(const char *root);
const char *pcisys_root(void);

/* Finds the first PCI function vendor:device and remembers it. */
int pcisys_find(uint16_t vendor, uint16_t device, struct pcisys_info *out);
/* The remembered device, re-read (driver, group type); -ENODEV before a find. */
int pcisys_info(struct pcisys_info *out);
/* driver_override + bind; unbind (and clear driver_override). */
int pcisys_bind(const char *driver);
int pcisys_unbind(void);
/* Writes the group's type file ("identity", "DMA", "DMA-FQ", "auto") and reads it back. */
int pcisys_group_type(const char *type, char *readback, size_t size);

/* Keeps the device in D0 (power/control "on"): BARs decode again. */
int pcisys_wake(void);
int pcisys_cfg_read(unsigned off, void *buf, size_t len);
int pcisys_cfg_write(unsigned off, const void *buf, size_t len);
/* A 4- or 8-byte register of BAR `bar` through an mmap of resource<bar>. */
int pcisys_bar_read(int bar, unsigned off, size_t width, uint64_t *val);
int pcisys_bar_write(int bar, unsigned off, size_t width, uint64_t val);
/* Drops the BAR mappings (a driver that claims a BAR revokes them). */
void pcisys_bar_close(void);

#endif /* MIGCHECK_AGENT_PCISYS_H */
