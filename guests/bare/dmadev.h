/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmadev.h: PCI devices the bare guest drives over qtest.
 *
 * Configuration space through the legacy 0xcf8/0xcfc mechanism (bus 0),
 * BAR assignment and MEM|BME, and the drivers of devices that can do DMA
 * (guests/dma_ops.h, the agent's operations reached over qtest), so that
 * another device plugs in without touching the tests.
 */
#ifndef MIGCHECK_BARE_DMADEV_H
#define MIGCHECK_BARE_DMADEV_H

#include "dma_ops.h"
#include "qtest.h"

#include <stdbool.h>
#include <stdint.h>

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
