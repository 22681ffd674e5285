/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dma_ops.h: what a DMA-capable device's driver does, for both guests.
 *
 * The in-guest agent (guests/agent/driver.h) reaches a device's registers
 * through sysfs or in-guest VFIO; the bare guest (guests/bare/dmadev.h)
 * through qtest.  Each defines its own struct dma_dev; the operations and
 * their meanings are this one table, as in the Linux VFIO selftests'
 * driver library.  A driver is a const struct dma_driver_ops.
 *
 * Device addresses are what the device is given: IOVAs through a vIOMMU
 * domain or in-guest VFIO, else guest physical addresses.  Every driver has
 * probe, init, clear, fill, fill_check and results; remove, ring_* and
 * memcpy_* are optional (NULL: nothing to stop, or no such engine).  All
 * return 0 or a negative errno.
 */
#ifndef MIGCHECK_GUESTS_DMA_OPS_H
#define MIGCHECK_GUESTS_DMA_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct dma_dev;

struct dma_results {
	uint64_t pages_written; /* since the last clear */
	uint64_t pages_faulted; /* writes the device could not make (unmapped, read-only) */
	uint64_t status;	/* the last command's status (device specific, 0 = ok) */
};

struct dma_driver_ops {
	const char *name;
	uint16_t vendor, device;
	/* Whether the device is one this driver drives (its identity registers). */
	int (*probe)(struct dma_dev *d);
	/* Readies it once MEM and Bus Master are on: engines idle, counters clear. */
	int (*init)(struct dma_dev *d);
	/* Stops whatever it still runs before the guest lets go of it. */
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

#endif
