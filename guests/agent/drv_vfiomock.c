// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * drv_vfiomock.c: the driver of the VFIO mock device (fixtures/vfiomock),
 * from its register map in vfiomock-abi.h.  Its DMA engine writes
 * synchronously: the data is in place when the doorbell write returns.
 * It has a fill and a ring engine, no copy engine.
 */
#include <errno.h>

#include "devio.h"
#include "driver.h"
#include "vfiomock-abi.h"

static int reg_write(struct dma_dev *d, unsigned reg, uint64_t val)
{
	return dev_write64(d, 0, reg, val);
}

static int reg_read(struct dma_dev *d, unsigned reg, uint64_t *val)
{
	return dev_read64(d, 0, reg, val);
}

static int vfm_probe(struct dma_dev *d)
{
	uint64_t id;
	int ret = reg_read(d, VFM_REG_ID, &id);

	if (ret)
		return ret;
	if ((uint32_t)id != VFM_ID_MAGIC)
		return devio_refuse(ENODEV, "%s: BAR0 ID reads 0x%llx, not the VFIO mock's", d->bdf,
				    (unsigned long long)id);
	return 0;
}

static int vfm_clear(struct dma_dev *d)
{
	return reg_write(d, VFM_REG_CMD, VFM_CMD_CLEAR_COUNTERS);
}

static int vfm_fill(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t seed)
{
	int ret;

	if ((ret = reg_write(d, VFM_REG_FILL_IOVA, addr)) ||
	    (ret = reg_write(d, VFM_REG_FILL_PAGES, pages)) ||
	    (ret = reg_write(d, VFM_REG_FILL_SEED, seed)))
		return ret;
	return reg_write(d, VFM_REG_CMD, VFM_CMD_FILL);
}

static bool vfm_fill_check(const void *page, uint64_t seed, uint64_t index)
{
	const volatile uint64_t *w = page;

	return w[0] == VFM_FILL_MAGIC && w[1] == seed && w[2] == index;
}

static int vfm_ring_start(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t rate_hz)
{
	uint64_t status;
	int ret;

	if ((ret = reg_write(d, VFM_REG_RING_IOVA, addr)) ||
	    (ret = reg_write(d, VFM_REG_RING_PAGES, pages)) ||
	    (ret = reg_write(d, VFM_REG_RING_RATE, rate_hz)) ||
	    (ret = reg_write(d, VFM_REG_CMD, VFM_CMD_RING_START)) ||
	    (ret = reg_read(d, VFM_REG_CMD, &status)))
		return ret;
	if (status)
		return devio_refuse(EINVAL, "%s: ring start refused (status %llu)", d->bdf,
				    (unsigned long long)status);
	return 0;
}

static int vfm_ring_stop(struct dma_dev *d, uint64_t *next_seq)
{
	int ret = reg_write(d, VFM_REG_CMD, VFM_CMD_RING_STOP);

	return ret ? ret : reg_read(d, VFM_REG_SEQ, next_seq);
}

static bool vfm_ring_decode(const void *page, uint64_t index, uint64_t *seq)
{
	const volatile uint64_t *w = page;

	if (w[0] != VFM_RING_MAGIC || w[2] != index || w[3] != (w[1] ^ VFM_RING_MAGIC))
		return false;
	*seq = w[1];
	return true;
}

static int vfm_results(struct dma_dev *d, struct dma_results *r)
{
	int ret;

	if ((ret = reg_read(d, VFM_REG_CMD, &r->status)) ||
	    (ret = reg_read(d, VFM_REG_PAGES_WRITTEN, &r->pages_written)))
		return ret;
	return reg_read(d, VFM_REG_PAGES_FAULTED, &r->pages_faulted);
}

static void vfm_remove(struct dma_dev *d)
{
	uint64_t seq;

	/* The ring is a guest driver's to stop: nothing writes once we let go. */
	vfm_ring_stop(d, &seq);
}

const struct dma_driver_ops vfiomock_driver = {
    .name = "vfiomock",
    .vendor = VFM_PCI_VENDOR,
    .device = VFM_PCI_DEVICE,
    .probe = vfm_probe,
    .init = vfm_clear,
    .remove = vfm_remove,
    .clear = vfm_clear,
    .fill = vfm_fill,
    .fill_check = vfm_fill_check,
    .ring_start = vfm_ring_start,
    .ring_stop = vfm_ring_stop,
    .ring_decode = vfm_ring_decode,
    .results = vfm_results,
};
