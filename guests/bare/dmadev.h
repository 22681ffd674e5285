/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmadev.h: PCI devices the bare guest drives over qtest.
 *
 * Configuration space through the legacy 0xcf8/0xcfc mechanism (bus 0),
 * BAR assignment and MEM|BME, and a small driver ops struct for devices
 * that can do DMA, so another device plugs in without touching the tests.
 */
#ifndef MIGCHECK_BARE_DMADEV_H
#define MIGCHECK_BARE_DMADEV_H

#include "qtest.h"

#include <stdbool.h>
#include <stdint.h>

struct dma_dev;

struct dma_results {
	uint64_t pages_written; /* since the last clear */
	uint64_t pages_faulted; /* writes the device could not make */
	uint64_t status;	/* the last command's status (device specific, 0 = ok) */
};

/*
 * The operations and their meanings are the guest agent's
 * (guests/agent/driver.h): probe, init, remove, clear, fill, fill_check,
 * ring_start/ring_stop/ring_decode, memcpy_start/memcpy_wait, results.
 * The two cannot share code (the agent is a static program in the guest,
 * this drives registers over qtest) but share the mock's register map
 * (vfiomock-abi.h).  ring_* and memcpy_* are optional (NULL: no engine).
 * Device addresses are what the device is given: IOVAs through a vIOMMU
 * domain, else guest physical addresses.
 */
struct dma_driver_ops {
	const char *name;
	uint16_t vendor, device;
	/* Whether the device is one this driver drives (its identity registers). */
	int (*probe)(struct dma_dev *d);
	/* Readies it once MEM and Bus Master are on: engines idle, counters clear. */
	int (*init)(struct dma_dev *d);
	/* Stops whatever it still runs. */
	void (*remove)(struct dma_dev *d);
	/* Resets the counters results() reads. */
	int (*clear)(struct dma_dev *d);
	/* Writes `pages` pages from device address addr with seed's pattern; returns when done. */
	int (*fill)(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t seed);
	/* Whether a page holds page `index` of a fill with seed. */
	bool (*fill_check)(const void *page, uint64_t seed, uint64_t index);
	/* A continuous stream: stamp s into page s % pages, rate_hz stamps a second. */
	int (*ring_start)(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t rate_hz);
	/* Stops it; *next_seq: the stamps written so far. */
	int (*ring_stop)(struct dma_dev *d, uint64_t *next_seq);
	/* The stamp a ring page carries, or false. */
	bool (*ring_decode)(const void *page, uint64_t index, uint64_t *seq);
	int (*memcpy_start)(struct dma_dev *d, uint64_t src, uint64_t dst, uint64_t pages);
	int (*memcpy_wait)(struct dma_dev *d, int timeout_ms);
	/* The counters and the last command's status. */
	int (*results)(struct dma_dev *d, struct dma_results *r);
};

struct dma_dev {
	struct qtest *qt;
	const struct dma_driver_ops *ops;
	uint8_t bus, devfn;
	uint64_t bar0; /* guest physical address assigned to BAR0 */
};

/* The VFIO mock device (fixtures/vfiomock). */
extern const struct dma_driver_ops vfiomock_dma_ops;

uint32_t pci_cfg_read(struct qtest *qt, uint8_t bus, uint8_t devfn, uint8_t off, int size);
int pci_cfg_write(struct qtest *qt, uint8_t bus, uint8_t devfn, uint8_t off, uint32_t val,
		  int size);
/* Finds vendor:device on bus 0; returns its devfn or -1. */
int pci_find(struct qtest *qt, uint16_t vendor, uint16_t device);

/* Finds the device, assigns BAR0 at bar0, sets MEM and Bus Master, then probe and init. */
int dma_dev_probe(struct dma_dev *d, struct qtest *qt, const struct dma_driver_ops *ops,
		  uint64_t bar0, char **err);

#endif
