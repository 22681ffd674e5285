// SPDX-License-Identifier: GPL-2.0-or-later
/* driver.c: register access for drivers, and binding a driver to the device. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "devio.h"
#include "driver.h"
#include "pcisys.h"
#include "vfioguest.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER;

void driver_lock(void)
{
	pthread_mutex_lock(&ops_lock);
}

void driver_unlock(void)
{
	pthread_mutex_unlock(&ops_lock);
}

const char *dev_via_name(enum dev_via v)
{
	return v == DEV_VIA_VFIO ? "vfio" : "sysfs";
}

int dev_via_parse(const char *name, enum dev_via *out)
{
	if (!strcmp(name, "sysfs"))
		*out = DEV_VIA_SYSFS;
	else if (!strcmp(name, "vfio"))
		*out = DEV_VIA_VFIO;
	else
		return -EINVAL;
	return 0;
}

static int bar_read(struct dma_dev *d, int bar, unsigned off, size_t width, uint64_t *val)
{
	return d->via == DEV_VIA_VFIO ? vfio_bar_read(bar, off, width, val)
				      : pcisys_bar_read(bar, off, width, val);
}

static int bar_write(struct dma_dev *d, int bar, unsigned off, size_t width, uint64_t val)
{
	return d->via == DEV_VIA_VFIO ? vfio_bar_write(bar, off, width, val)
				      : pcisys_bar_write(bar, off, width, val);
}

int dev_read32(struct dma_dev *d, int bar, unsigned off, uint32_t *val)
{
	uint64_t v;
	int ret = bar_read(d, bar, off, 4, &v);

	*val = (uint32_t)v;
	return ret;
}

int dev_write32(struct dma_dev *d, int bar, unsigned off, uint32_t val)
{
	return bar_write(d, bar, off, 4, val);
}

int dev_read64(struct dma_dev *d, int bar, unsigned off, uint64_t *val)
{
	return bar_read(d, bar, off, 8, val);
}

int dev_write64(struct dma_dev *d, int bar, unsigned off, uint64_t val)
{
	return bar_write(d, bar, off, 8, val);
}

int dev_cfg_read(struct dma_dev *d, unsigned off, void *buf, size_t len)
{
	return d->via == DEV_VIA_VFIO ? vfio_cfg_read(off, buf, len)
				      : pcisys_cfg_read(off, buf, len);
}

int dev_cfg_write(struct dma_dev *d, unsigned off, const void *buf, size_t len)
{
	return d->via == DEV_VIA_VFIO ? vfio_cfg_write(off, buf, len)
				      : pcisys_cfg_write(off, buf, len);
}

int dev_enable(struct dma_dev *d, bool bme, uint16_t *out)
{
	uint16_t cmd;
	int ret = d->via == DEV_VIA_VFIO ? 0 : pcisys_wake();

	if (!ret)
		ret = dev_cfg_read(d, PCI_COMMAND, &cmd, 2);
	if (ret)
		return ret;
	cmd = bme ? cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
	ret = dev_cfg_write(d, PCI_COMMAND, &cmd, 2);
	if (ret)
		return ret;
	ret = dev_cfg_read(d, PCI_COMMAND, &cmd, 2);
	*out = cmd;
	return ret;
}

void driver_ops_text(const struct dma_driver_ops *ops, char *buf, size_t size)
{
	snprintf(buf, size, "fill%s%s", ops->ring_start && ops->ring_stop ? ",ring" : "",
		 ops->memcpy_start && ops->memcpy_wait ? ",memcpy" : "");
}

int dma_dev_attach(struct dma_dev *d, enum dev_via via)
{
	struct pcisys_info info;
	uint16_t cmd;
	int ret = pcisys_info(&info);

	memset(d, 0, sizeof(*d));
	if (ret)
		return ret;
	d->ops = driver_find(info.vendor, info.device);
	if (!d->ops)
		return devio_refuse(ENODEV, "no driver for %04x:%04x (drivers: %s)", info.vendor,
				    info.device, driver_names());
	if (via == DEV_VIA_VFIO && vfio_stage_now() != VFIO_DEVICE)
		return devio_refuse(ENODEV, "via vfio needs the VFIO device open (stage %s)",
				    vfio_stage_name(vfio_stage_now()));
	if (via == DEV_VIA_VFIO && strcmp(vfio_device_bdf(), info.bdf))
		return devio_refuse(ENODEV, "the open VFIO device is %s, not %s", vfio_device_bdf(),
				    info.bdf);
	d->via = via;
	d->vendor = info.vendor;
	d->device = info.device;
	snprintf(d->bdf, sizeof(d->bdf), "%s", info.bdf);
	ret = d->ops->probe(d);
	if (ret) {
		d->ops = NULL;
		return ret;
	}
	if ((ret = dev_enable(d, true, &cmd)) || (ret = d->ops->init(d))) {
		dma_dev_detach(d);
		return ret;
	}
	return 0;
}

void dma_dev_detach(struct dma_dev *d)
{
	if (d->ops && d->ops->remove)
		d->ops->remove(d);
	d->ops = NULL;
}
