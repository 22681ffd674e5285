/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * driver.h: device drivers for guest-side DMA, behind one ops struct.
 *
 * One struct of operations per device type (guests/dma_ops.h, shared with
 * the bare guest), found by vendor and device ID in a registry (drivers.c),
 * so the agent's commands never name a device.  Adding a device is one
 * file with its ops and one line in drivers.c.
 *
 * A driver reaches its device through struct dma_dev: BAR registers and
 * config space, by sysfs (resourceN, config: no vIOMMU or an identity
 * domain, device addresses are guest physical) or by the in-guest VFIO
 * device (regions: device addresses are IOVAs the agent maps).  It never
 * allocates DMA memory itself: the agent hands it device addresses of
 * buffers it owns (dmabuf.h) and checks what landed there.  A failing
 * operation sets devio_error().
 */
#ifndef MIGCHECK_AGENT_DRIVER_H
#define MIGCHECK_AGENT_DRIVER_H

#include "dma_ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dev_via { DEV_VIA_SYSFS, DEV_VIA_VFIO };

struct dma_dev {
	const struct dma_driver_ops *ops;
	enum dev_via via;
	char bdf[32];
	uint16_t vendor, device;
	void *priv; /* the driver's own state (its init allocates, its remove frees) */
};

const char *dev_via_name(enum dev_via v);
int dev_via_parse(const char *name, enum dev_via *out);

/* Registers of BAR `bar` and config space, through d->via. */
int dev_read32(struct dma_dev *d, int bar, unsigned off, uint32_t *val);
int dev_write32(struct dma_dev *d, int bar, unsigned off, uint32_t val);
int dev_read64(struct dma_dev *d, int bar, unsigned off, uint64_t *val);
int dev_write64(struct dma_dev *d, int bar, unsigned off, uint64_t val);
int dev_cfg_read(struct dma_dev *d, unsigned off, void *buf, size_t len);
int dev_cfg_write(struct dma_dev *d, unsigned off, const void *buf, size_t len);
/* MEM and Bus Master Enable on, or BME off; *cmd: the command register read back. */
int dev_enable(struct dma_dev *d, bool bme, uint16_t *cmd);

/* The driver registered for vendor:device, or NULL (drivers.c). */
const struct dma_driver_ops *driver_find(uint16_t vendor, uint16_t device);
/* Every registered driver's name, comma-separated. */
const char *driver_names(void);
/* The optional engines a driver has: "fill,ring,memcpy". */
void driver_ops_text(const struct dma_driver_ops *ops, char *buf, size_t size);

/*
 * Takes the device pcisys remembers through `via`: its driver from the
 * registry, probe, MEM and Bus Master on, init.  Through VFIO the device fd
 * must be open.
 */
int dma_dev_attach(struct dma_dev *d, enum dev_via via);
/* The driver's remove; d is unbound. */
void dma_dev_detach(struct dma_dev *d);

/* One caller at a time into a driver (the stream's thread is the other). */
void driver_lock(void);
void driver_unlock(void);

#endif /* MIGCHECK_AGENT_DRIVER_H */
