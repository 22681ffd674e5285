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

#include <stdint.h>

struct dma_dev;

struct dma_results {
	uint64_t pages_written; /* cumulative since the last clear */
	uint64_t pages_faulted;
	uint64_t status; /* last command status (device specific, 0 = ok) */
};

struct dma_driver_ops {
	const char *name;
	uint16_t vendor, device;
	/* BAR programming, enabling, identity check. */
	int (*init)(struct dma_dev *d);
	/* Writes `pages` pages from `iova` with a pattern derived from seed; synchronous. */
	int (*dma_fill)(struct dma_dev *d, uint64_t iova, uint64_t pages, uint64_t seed);
	int (*results)(struct dma_dev *d, struct dma_results *r);
	int (*clear)(struct dma_dev *d);
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

/* Finds the device, assigns BAR0 at bar0 and runs ops->init. */
int dma_dev_probe(struct dma_dev *d, struct qtest *qt, const struct dma_driver_ops *ops,
		  uint64_t bar0, char **err);

#endif
