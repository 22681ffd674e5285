// SPDX-License-Identifier: GPL-2.0-or-later
#include "dmadev.h"
#include "vfiomock-abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0 0x10

static uint32_t cfg_addr(uint8_t bus, uint8_t devfn, uint8_t off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc);
}

uint32_t pci_cfg_read(struct qtest *qt, uint8_t bus, uint8_t devfn, uint8_t off, int size)
{
	qtest_out(qt, 0xcf8, cfg_addr(bus, devfn, off), 4);
	return qtest_in(qt, 0xcfc + (off & 3), size);
}

int pci_cfg_write(struct qtest *qt, uint8_t bus, uint8_t devfn, uint8_t off, uint32_t val, int size)
{
	qtest_out(qt, 0xcf8, cfg_addr(bus, devfn, off), 4);
	return qtest_out(qt, 0xcfc + (off & 3), val, size);
}

int pci_find(struct qtest *qt, uint16_t vendor, uint16_t device)
{
	int devfn;

	for (devfn = 0; devfn < 256; devfn++) {
		uint32_t id = pci_cfg_read(qt, 0, devfn, 0, 4);

		if (qtest_error(qt))
			return -1;
		if (id == ((uint32_t)device << 16 | vendor))
			return devfn;
	}
	return -1;
}

int dma_dev_probe(struct dma_dev *d, struct qtest *qt, const struct dma_driver_ops *ops,
		  uint64_t bar0, char **err)
{
	int devfn;
	uint32_t cmd;

	memset(d, 0, sizeof(*d));
	d->qt = qt;
	d->ops = ops;
	devfn = pci_find(qt, ops->vendor, ops->device);
	if (devfn < 0) {
		if (err && !*err &&
		    asprintf(err, "no %04x:%04x (%s) on PCI bus 0%s%s", ops->vendor, ops->device,
			     ops->name, qtest_error(qt) ? ": " : "",
			     qtest_error(qt) ? qtest_error(qt) : "") < 0)
			abort();
		return -1;
	}
	d->devfn = devfn;
	d->bar0 = bar0;
	pci_cfg_write(qt, 0, devfn, PCI_BAR0, (uint32_t)bar0, 4);
	cmd = pci_cfg_read(qt, 0, devfn, PCI_COMMAND, 2);
	pci_cfg_write(qt, 0, devfn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	if ((pci_cfg_read(qt, 0, devfn, PCI_BAR0, 4) & ~0xfu) != (uint32_t)bar0 ||
	    !(pci_cfg_read(qt, 0, devfn, PCI_COMMAND, 2) & PCI_COMMAND_MASTER)) {
		if (err && !*err &&
		    asprintf(err, "%s at 00:%02x.%x: BAR0 or bus mastering did not stick%s%s",
			     ops->name, devfn >> 3, devfn & 7, qtest_error(qt) ? ": " : "",
			     qtest_error(qt) ? qtest_error(qt) : "") < 0)
			abort();
		return -1;
	}
	if (ops->probe(d) < 0 || ops->init(d) < 0) {
		if (err && !*err &&
		    asprintf(err, "%s at 00:%02x.%x: not ready (identity or init)%s%s", ops->name,
			     devfn >> 3, devfn & 7, qtest_error(qt) ? ": " : "",
			     qtest_error(qt) ? qtest_error(qt) : "") < 0)
			abort();
		return -1;
	}
	return 0;
}

/* ---- the VFIO mock device (vfiomock-abi.h) ---- */

static int reg_write(struct dma_dev *d, unsigned reg, uint64_t val)
{
	return qtest_writeq(d->qt, d->bar0 + reg, val);
}

static uint64_t reg_read(struct dma_dev *d, unsigned reg)
{
	return qtest_readq(d->qt, d->bar0 + reg);
}

static int vfiomock_probe(struct dma_dev *d)
{
	return (uint32_t)reg_read(d, VFM_REG_ID) == VFM_ID_MAGIC ? 0 : -1;
}

static int vfiomock_clear(struct dma_dev *d)
{
	return reg_write(d, VFM_REG_CMD, VFM_CMD_CLEAR_COUNTERS);
}

static int vfiomock_fill(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t seed)
{
	reg_write(d, VFM_REG_FILL_IOVA, addr);
	reg_write(d, VFM_REG_FILL_PAGES, pages);
	reg_write(d, VFM_REG_FILL_SEED, seed);
	return reg_write(d, VFM_REG_CMD, VFM_CMD_FILL);
}

static bool vfiomock_fill_check(const void *page, uint64_t seed, uint64_t index)
{
	const uint64_t *w = page;

	return w[0] == VFM_FILL_MAGIC && w[1] == seed && w[2] == index;
}

static int vfiomock_ring_start(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t rate)
{
	reg_write(d, VFM_REG_RING_IOVA, addr);
	reg_write(d, VFM_REG_RING_PAGES, pages);
	reg_write(d, VFM_REG_RING_RATE, rate);
	reg_write(d, VFM_REG_CMD, VFM_CMD_RING_START);
	return qtest_error(d->qt) || reg_read(d, VFM_REG_CMD) ? -1 : 0;
}

static int vfiomock_ring_stop(struct dma_dev *d, uint64_t *next_seq)
{
	reg_write(d, VFM_REG_CMD, VFM_CMD_RING_STOP);
	*next_seq = reg_read(d, VFM_REG_SEQ);
	return qtest_error(d->qt) ? -1 : 0;
}

static bool vfiomock_ring_decode(const void *page, uint64_t index, uint64_t *seq)
{
	const uint64_t *w = page;

	if (w[0] != VFM_RING_MAGIC || w[2] != index || w[3] != (w[1] ^ VFM_RING_MAGIC))
		return false;
	*seq = w[1];
	return true;
}

static int vfiomock_results(struct dma_dev *d, struct dma_results *r)
{
	r->status = reg_read(d, VFM_REG_CMD);
	r->pages_written = reg_read(d, VFM_REG_PAGES_WRITTEN);
	r->pages_faulted = reg_read(d, VFM_REG_PAGES_FAULTED);
	return qtest_error(d->qt) ? -1 : 0;
}

static void vfiomock_remove(struct dma_dev *d)
{
	uint64_t seq;

	vfiomock_ring_stop(d, &seq);
}

const struct dma_driver_ops vfiomock_dma_ops = {
    .name = "vfiomock",
    .vendor = VFM_PCI_VENDOR,
    .device = VFM_PCI_DEVICE,
    .probe = vfiomock_probe,
    .init = vfiomock_clear,
    .remove = vfiomock_remove,
    .clear = vfiomock_clear,
    .fill = vfiomock_fill,
    .fill_check = vfiomock_fill_check,
    .ring_start = vfiomock_ring_start,
    .ring_stop = vfiomock_ring_stop,
    .ring_decode = vfiomock_ring_decode,
    .results = vfiomock_results,
};
