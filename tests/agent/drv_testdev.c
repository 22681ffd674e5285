// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * drv_testdev.c: the driver of testdev (testdev.h), the template a vendor
 * follows: identity check, start an operation by programming registers and
 * ringing a doorbell, wait for it with a bound, read the counters.  It has
 * no ring engine, so ring_* stay NULL.  Registered in drivers.c of the test
 * build only.
 */
#include <errno.h>
#include <time.h>

#include "devio.h"
#include "driver.h"
#include "testdev.h"

#define WAIT_MS 5000

static int wr(struct dma_dev *d, unsigned reg, uint32_t val)
{
	return dev_write32(d, 0, reg, val);
}

static int wr64(struct dma_dev *d, unsigned lo, uint64_t val)
{
	int ret = wr(d, lo, (uint32_t)val);

	return ret ? ret : wr(d, lo + 4, (uint32_t)(val >> 32));
}

static int td_probe(struct dma_dev *d)
{
	uint32_t id;
	int ret = dev_read32(d, 0, TD_ID, &id);

	if (ret)
		return ret;
	return id == TESTDEV_ID ? 0 : devio_refuse(ENODEV, "%s: ID reads 0x%x", d->bdf, id);
}

static int td_clear(struct dma_dev *d)
{
	return wr(d, TD_CTRL, TD_CTRL_RESET);
}

/* Waits for the engine to finish; a bounded wait, polled. */
static int td_wait(struct dma_dev *d, int timeout_ms)
{
	struct timespec nap = {0, 100000};
	uint32_t st;
	long waited_us = 0;
	int ret;

	for (;;) {
		ret = dev_read32(d, 0, TD_STATUS, &st);
		if (ret)
			return ret;
		if (st & TD_ST_ERROR)
			return devio_refuse(EIO, "%s: the engine reports an error", d->bdf);
		if (st & TD_ST_DONE)
			return 0;
		if (waited_us / 1000 >= timeout_ms)
			return devio_refuse(ETIMEDOUT, "%s: no completion in %d ms", d->bdf,
					    timeout_ms);
		nanosleep(&nap, NULL);
		waited_us += 100;
	}
}

static int td_fill(struct dma_dev *d, uint64_t addr, uint64_t pages, uint64_t seed)
{
	int ret;

	/* A stale DONE from the last operation must not end this wait. */
	if ((ret = wr64(d, TD_DST_LO, addr)) || (ret = wr(d, TD_PAGES, (uint32_t)pages)) ||
	    (ret = wr64(d, TD_SEED_LO, seed)) || (ret = wr(d, TD_STATUS, 0)) ||
	    (ret = wr(d, TD_DOORBELL, TD_OP_FILL)))
		return ret;
	return td_wait(d, WAIT_MS);
}

static bool td_fill_check(const void *page, uint64_t seed, uint64_t index)
{
	const volatile uint64_t *w = page;

	return w[0] == TD_FILL_MAGIC && w[1] == seed && w[2] == index;
}

static int td_memcpy_start(struct dma_dev *d, uint64_t src, uint64_t dst, uint64_t pages)
{
	int ret;

	if ((ret = wr64(d, TD_SRC_LO, src)) || (ret = wr64(d, TD_DST_LO, dst)) ||
	    (ret = wr(d, TD_PAGES, (uint32_t)pages)) || (ret = wr(d, TD_STATUS, 0)))
		return ret;
	return wr(d, TD_DOORBELL, TD_OP_COPY);
}

static int td_results(struct dma_dev *d, struct dma_results *r)
{
	uint32_t written, faulted, st;
	int ret;

	if ((ret = dev_read32(d, 0, TD_WRITTEN, &written)) ||
	    (ret = dev_read32(d, 0, TD_FAULTED, &faulted)) ||
	    (ret = dev_read32(d, 0, TD_STATUS, &st)))
		return ret;
	r->pages_written = written;
	r->pages_faulted = faulted;
	r->status = st & TD_ST_ERROR ? 1 : 0;
	return 0;
}

const struct dma_driver_ops testdev_driver = {
    .name = "testdev",
    .vendor = TESTDEV_VENDOR,
    .device = TESTDEV_DEVICE,
    .probe = td_probe,
    .init = td_clear,
    .clear = td_clear,
    .fill = td_fill,
    .fill_check = td_fill_check,
    .memcpy_start = td_memcpy_start,
    .memcpy_wait = td_wait,
    .results = td_results,
};
