/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * driver.h: device drivers for guest-side DMA, behind one ops struct.
 *
 * In the model of the Linux VFIO selftests' library: one struct of
 * operations per device type, found by vendor and device ID in a
 * registry (drivers.c), so the agent's commands never name a device.
 * Adding a device is one file with its ops and one line in drivers.c.
 * The bare guest (guests/bare/dmadev.h) has the same operations with the
 * same meanings; it reaches registers over qtest instead.
 *
 * A driver reaches its device through struct dma_dev: BAR registers and
 * config space, by sysfs (resourceN, config: no vIOMMU or an identity
 * domain, device addresses are guest physical) or by the in-guest VFIO
 * device (regions: device addresses are IOVAs the agent maps).  It never
 * allocates DMA memory itself: the agent hands it device addresses of
 * buffers it owns (dmabuf.h) and checks what landed there.
 */
#ifndef MIGCHECK_AGENT_DRIVER_H
#define MIGCHECK_AGENT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dma_dev;

struct dma_results {
	uint64_t pages_written; /* since the last clear */
	uint64_t pages_faulted; /* writes the device could not make (unmapped, read-only) */
	uint64_t status;	/* the last command's status (device specific, 0 = ok) */
};

/*
 * Every driver has probe, init, clear, fill, fill_check and results; ring_*
 * and memcpy_* are optional (NULL: the device has no such engine).  All
 * return 0 or a negative errno with devio_error() set.
 */
struct dma_driver_ops {
	const char *name;
	uint16_t vendor, device;
	/* Whether the device is one this driver drives (its identity registers). */
	int (*probe)(struct dma_dev *d);
	/* Readies it once MEM and Bus Master are on: engines idle, counters clear. */
	int (*init)(struct dma_dev *d);
	/* Stops whatever it still runs before the agent lets go of it. */
	void (*remove)(struct dma_dev *d);
	/* Resets the counters results() reads. */
	int (*clear)(struct dma_dev *d);
	/* Writes `pages` pages from device address addr with seed's pattern; returns when done. */
	int (*fill)(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t seed);
	/* Whether a page holds page `index` of a fill with seed. */
	bool (*fill_check)(const void *page, uint64_t seed, uint64_t index);
	/* A continuous stream: stamp s into page s % pages, rate_hz stamps a second. */
	int (*ring_start)(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t rate_hz);
	/* Stops it; *next_seq: the stamps written so far (after migration: the migrated count). */
	int (*ring_stop)(struct dma_dev *d, uint64_t *next_seq);
	/* The stamp a ring page carries, or false if it carries none for that page. */
	bool (*ring_decode)(const void *page, uint64_t index, uint64_t *seq);
	/* Copies `pages` pages from device address src to dst; memcpy_wait() waits for it. */
	int (*memcpy_start)(struct dma_dev *d, uint64_t src, uint64_t dst, uint64_t pages);
	int (*memcpy_wait)(struct dma_dev *d, int timeout_ms);
	/* The counters and the last command's status. */
	int (*results)(struct dma_dev *d, struct dma_results *r);
};

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
