// SPDX-License-Identifier: GPL-2.0-or-later
/* vfioguest.c: in-guest VFIO type1, stage by stage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "dmabuf.h"
#include "devio.h"
#include "pcisys.h"
#include "vfioguest.h"

#define VFIO_BARS 6

static struct {
	enum vfio_stage stage;
	int container, group, device;
	char bdf[32];
	uint64_t cfg_off;
	struct {
		bool known, tried;
		uint64_t off, size;
		volatile uint8_t *map;
	} bar[VFIO_BARS];
} vf = {.container = -1, .group = -1, .device = -1};

static const char *const stage_names[] = {"none", "group", "container", "iommu", "device"};

const char *vfio_stage_name(enum vfio_stage s)
{
	return s <= VFIO_DEVICE ? stage_names[s] : "?";
}

int vfio_stage_parse(const char *name, enum vfio_stage *out)
{
	unsigned i;

	for (i = 0; i <= VFIO_DEVICE; i++) {
		if (!strcmp(name, stage_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

enum vfio_stage vfio_stage_now(void)
{
	return vf.stage;
}

const char *vfio_device_bdf(void)
{
	return vf.stage == VFIO_DEVICE ? vf.bdf : "";
}

int vfio_container_fd(void)
{
	if (vf.stage >= VFIO_IOMMU)
		return vf.container;
	return devio_refuse(ENODEV, "no IOMMU set (stage %s)", vfio_stage_name(vf.stage));
}

static int region(int index, uint64_t *off, uint64_t *size)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = index};

	if (ioctl(vf.device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return devio_fail(errno, "VFIO_DEVICE_GET_REGION_INFO %d", index);
	*off = ri.offset;
	*size = ri.size;
	return 0;
}

static int open_step(enum vfio_stage next, const struct pcisys_info *d)
{
	char path[64];
	uint64_t size;
	int ret;

	switch (next) {
	case VFIO_GROUP: {
		struct vfio_group_status st = {.argsz = sizeof(st)};

		if (d->group < 0)
			return devio_refuse(ENODEV, "%s has no iommu_group", d->bdf);
		vf.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (vf.container < 0)
			return devio_fail(errno, "open /dev/vfio/vfio");
		if (ioctl(vf.container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			return devio_fail(EINVAL, "VFIO_GET_API_VERSION");
		if (ioctl(vf.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
			return devio_fail(EINVAL, "no VFIO_TYPE1v2_IOMMU");
		snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
		vf.group = open(path, O_RDWR | O_CLOEXEC);
		if (vf.group < 0)
			return devio_fail(errno, "open %s", path);
		if (ioctl(vf.group, VFIO_GROUP_GET_STATUS, &st) < 0)
			return devio_fail(errno, "VFIO_GROUP_GET_STATUS");
		if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
			return devio_fail(EBUSY, "group %d is not viable", d->group);
		return 0;
	}
	case VFIO_CONTAINER:
		if (ioctl(vf.group, VFIO_GROUP_SET_CONTAINER, &vf.container) < 0)
			return devio_fail(errno, "VFIO_GROUP_SET_CONTAINER");
		return 0;
	case VFIO_IOMMU:
		if (ioctl(vf.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
			return devio_fail(errno, "VFIO_SET_IOMMU(TYPE1v2)");
		return 0;
	case VFIO_DEVICE:
		vf.device = ioctl(vf.group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
		if (vf.device < 0)
			return devio_fail(errno, "VFIO_GROUP_GET_DEVICE_FD %s", d->bdf);
		snprintf(vf.bdf, sizeof(vf.bdf), "%s", d->bdf);
		ret = region(VFIO_PCI_BAR0_REGION_INDEX, &vf.bar[0].off, &vf.bar[0].size);
		vf.bar[0].known = !ret;
		if (!ret)
			ret = region(VFIO_PCI_CONFIG_REGION_INDEX, &vf.cfg_off, &size);
		return ret;
	case VFIO_NONE:
		break;
	}
	return 0;
}

int vfio_open_upto(enum vfio_stage upto)
{
	struct pcisys_info d;
	int ret = pcisys_info(&d);

	if (ret)
		return ret;
	pcisys_bar_close();
	if (upto < vf.stage)
		return devio_refuse(EALREADY, "VFIO is already at %s", vfio_stage_name(vf.stage));
	while (vf.stage < upto) {
		ret = open_step(vf.stage + 1, &d);
		if (ret)
			return ret;
		vf.stage++;
	}
	return 0;
}

int vfio_close_all(bool unmap_first)
{
	int ret, i;

	if (unmap_first && vf.stage >= VFIO_IOMMU) {
		ret = vfiobuf_unmap_all();
		if (ret)
			return ret;
	}
	pcisys_bar_close();
	for (i = 0; i < VFIO_BARS; i++) {
		if (vf.bar[i].map)
			munmap((void *)vf.bar[i].map, vf.bar[i].size);
	}
	memset(vf.bar, 0, sizeof(vf.bar));
	if (vf.device >= 0)
		close(vf.device);
	/* With a 6.12 guest the domain switches when the group is closed. */
	if (vf.group >= 0)
		close(vf.group);
	if (vf.container >= 0)
		close(vf.container);
	vf.device = vf.group = vf.container = -1;
	vf.stage = VFIO_NONE;
	/* Closing the container unpinned and unmapped whatever was left. */
	vfiobuf_forget_all();
	return 0;
}

static int need_device(void)
{
	if (vf.stage == VFIO_DEVICE)
		return 0;
	return devio_refuse(ENODEV, "the VFIO device is not open (stage %s)",
			    vfio_stage_name(vf.stage));
}

int vfio_cfg_read(unsigned off, void *buf, size_t len)
{
	int ret = need_device();

	if (ret)
		return ret;
	if (pread(vf.device, buf, len, vf.cfg_off + off) != (ssize_t)len)
		return devio_fail(errno ? errno : EIO, "config read at 0x%x", off);
	return 0;
}

int vfio_cfg_write(unsigned off, const void *buf, size_t len)
{
	int ret = need_device();

	if (ret)
		return ret;
	if (pwrite(vf.device, buf, len, vf.cfg_off + off) != (ssize_t)len)
		return devio_fail(errno ? errno : EIO, "config write at 0x%x", off);
	return 0;
}

/* The BAR's region, mmapped through the device fd when VFIO allows it. */
static int bar_ready(int bar, unsigned off, size_t width)
{
	void *p;
	int ret = need_device();

	if (ret)
		return ret;
	if (bar < 0 || bar >= VFIO_BARS || (width != 4 && width != 8) || off % width)
		return devio_refuse(EINVAL, "bad BAR access: BAR%d offset 0x%x width %zu", bar, off,
				    width);
	if (!vf.bar[bar].known) {
		ret = region(VFIO_PCI_BAR0_REGION_INDEX + bar, &vf.bar[bar].off, &vf.bar[bar].size);
		if (ret)
			return ret;
		vf.bar[bar].known = true;
	}
	if (off + width > vf.bar[bar].size)
		return devio_refuse(EINVAL, "BAR%d offset 0x%x is beyond its 0x%llx bytes", bar,
				    off, (unsigned long long)vf.bar[bar].size);
	if (!vf.bar[bar].tried) {
		vf.bar[bar].tried = true;
		p = mmap(NULL, vf.bar[bar].size, PROT_READ | PROT_WRITE, MAP_SHARED, vf.device,
			 vf.bar[bar].off);
		if (p != MAP_FAILED)
			vf.bar[bar].map = p;
	}
	return 0;
}

const char *vfio_bar_path(void)
{
	if (vf.stage != VFIO_DEVICE || !vf.bar[0].tried)
		return "none";
	return vf.bar[0].map ? "mmap" : "pread";
}

int vfio_bar_read(int bar, unsigned off, size_t width, uint64_t *val)
{
	uint32_t v32;
	int ret = bar_ready(bar, off, width);

	if (ret)
		return ret;
	if (vf.bar[bar].map) {
		*val = width == 8 ? *(volatile uint64_t *)(vf.bar[bar].map + off)
				  : *(volatile uint32_t *)(vf.bar[bar].map + off);
		return 0;
	}
	if (width == 4) {
		if (pread(vf.device, &v32, 4, vf.bar[bar].off + off) != 4)
			return devio_fail(errno ? errno : EIO, "BAR%d read at 0x%x", bar, off);
		*val = v32;
		return 0;
	}
	if (pread(vf.device, val, 8, vf.bar[bar].off + off) != 8)
		return devio_fail(errno ? errno : EIO, "BAR%d read at 0x%x", bar, off);
	return 0;
}

int vfio_bar_write(int bar, unsigned off, size_t width, uint64_t val)
{
	uint32_t v32 = (uint32_t)val;
	int ret = bar_ready(bar, off, width);

	if (ret)
		return ret;
	if (vf.bar[bar].map) {
		if (width == 8)
			*(volatile uint64_t *)(vf.bar[bar].map + off) = val;
		else
			*(volatile uint32_t *)(vf.bar[bar].map + off) = v32;
		return 0;
	}
	if (pwrite(vf.device, width == 8 ? (void *)&val : (void *)&v32, width,
		   vf.bar[bar].off + off) != (ssize_t)width)
		return devio_fail(errno ? errno : EIO, "BAR%d write at 0x%x", bar, off);
	return 0;
}
