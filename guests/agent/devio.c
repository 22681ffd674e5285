// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devio.c: sysfs and in-guest VFIO access to the mock DMA device.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "devio.h"

/* sysfs root (256) + bus/pci/devices/<bdf>/<leaf> */
#define DEVIO_PATH 1024

static char sysfs[256] = "/sys";
static char errbuf[512];
static struct devio_info dev;
static bool have_dev;

/* sysfs resource0 mapping */
static volatile uint8_t *res0;
static size_t res0_len;

static struct {
	enum vfio_stage stage;
	int container, group, device;
	uint64_t bar_off, bar_size, cfg_off;
	volatile uint8_t *bar;
	bool bar_tried;
	struct vfio_buf bufs[DEVIO_MAX_BUFS];
	size_t nbufs;
} vf = {.container = -1, .group = -1, .device = -1};

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	snprintf(errbuf + n, sizeof(errbuf) - n, ": %s (errno %d)", strerror(err), err);
	return -err;
}

const char *devio_error(void)
{
	return errbuf;
}

void devio_set_sysfs(const char *root)
{
	snprintf(sysfs, sizeof(sysfs), "%s", root);
}

static char devmem[256] = "/dev/mem";

void devio_set_devmem(const char *path)
{
	snprintf(devmem, sizeof(devmem), "%s", path);
}

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static void dev_path(char *buf, size_t size, const char *leaf)
{
	snprintf(buf, size, "%s/bus/pci/devices/%s%s%s", sysfs, dev.bdf, leaf ? "/" : "",
		 leaf ? leaf : "");
}

static void refresh(struct devio_info *d)
{
	char path[DEVIO_PATH], link[DEVIO_PATH];
	ssize_t n;
	char *base;

	d->group = -1;
	d->driver[0] = d->type[0] = '\0';
	dev_path(path, sizeof(path), "iommu_group");
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		base = strrchr(link, '/');
		d->group = atoi(base ? base + 1 : link);
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", sysfs, d->group);
		if (read_text(path, d->type, sizeof(d->type)) < 0)
			d->type[0] = '\0';
	}
	dev_path(path, sizeof(path), "driver");
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		base = strrchr(link, '/');
		snprintf(d->driver, sizeof(d->driver), "%.63s", base ? base + 1 : link);
	}
}

int devio_find(uint16_t vendor, uint16_t device, struct devio_info *out)
{
	char path[DEVIO_PATH], v[32], d[32];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs);
	dir = opendir(path);
	if (!dir)
		return fail(errno, "%s", path);
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", sysfs, e->d_name);
		if (read_text(path, v, sizeof(v)) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device", sysfs, e->d_name);
		if (read_text(path, d, sizeof(d)) < 0)
			continue;
		if (strtoul(v, NULL, 16) != vendor || strtoul(d, NULL, 16) != device)
			continue;
		memset(&dev, 0, sizeof(dev));
		snprintf(dev.bdf, sizeof(dev.bdf), "%.31s", e->d_name);
		dev.vendor = vendor;
		dev.device = device;
		closedir(dir);
		have_dev = true;
		devio_sysfs_bar_close();
		refresh(&dev);
		*out = dev;
		return 0;
	}
	closedir(dir);
	snprintf(errbuf, sizeof(errbuf), "no PCI function %04x:%04x in %s/bus/pci/devices", vendor,
		 device, sysfs);
	return -ENODEV;
}

static int need_dev(void)
{
	if (have_dev)
		return 0;
	snprintf(errbuf, sizeof(errbuf), "no device: run dev find first");
	return -ENODEV;
}

int devio_info(struct devio_info *out)
{
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	*out = dev;
	return 0;
}

int devio_bind(const char *driver)
{
	char path[DEVIO_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	if (dev.driver[0]) {
		if (!strcmp(dev.driver, driver))
			return 0;
		snprintf(errbuf, sizeof(errbuf), "%s is bound to %s: unbind it first", dev.bdf,
			 dev.driver);
		return -EBUSY;
	}
	/* A driver that claims the BAR revokes earlier sysfs mappings. */
	devio_sysfs_bar_close();
	dev_path(path, sizeof(path), "driver_override");
	ret = write_text(path, driver);
	if (ret)
		return fail(-ret, "write %s to %s", driver, path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", sysfs, driver);
	ret = write_text(path, dev.bdf);
	if (ret)
		return fail(-ret, "write %s to %s", dev.bdf, path);
	refresh(&dev);
	return 0;
}

int devio_unbind(void)
{
	char path[DEVIO_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	if (vf.stage != VFIO_NONE) {
		snprintf(errbuf, sizeof(errbuf), "VFIO is open (%s): close it first",
			 vfio_stage_name(vf.stage));
		return -EBUSY;
	}
	refresh(&dev);
	devio_sysfs_bar_close();
	if (dev.driver[0]) {
		dev_path(path, sizeof(path), "driver/unbind");
		ret = write_text(path, dev.bdf);
		if (ret)
			return fail(-ret, "write %s to %s", dev.bdf, path);
	}
	/* An empty override lets ordinary matching decide again. */
	dev_path(path, sizeof(path), "driver_override");
	ret = write_text(path, "\n");
	if (ret && ret != -ENOENT)
		return fail(-ret, "clear %s", path);
	refresh(&dev);
	return 0;
}

int devio_group_type(const char *type, char *readback, size_t size)
{
	char path[DEVIO_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	if (dev.group < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s has no iommu_group", dev.bdf);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", sysfs, dev.group);
	ret = write_text(path, type);
	if (ret)
		return fail(-ret, "write %s to %s", type, path);
	ret = read_text(path, readback, size);
	if (ret)
		return fail(-ret, "read %s", path);
	refresh(&dev);
	return 0;
}

/* ---- sysfs config and BAR0 ---- */

static int sysfs_cfg_io(bool wr, unsigned off, void *buf, size_t len)
{
	char path[DEVIO_PATH];
	ssize_t n;
	int fd, ret = need_dev();

	if (ret)
		return ret;
	dev_path(path, sizeof(path), "config");
	fd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "open %s", path);
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	ret = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return ret ? fail(ret, "%s %s at 0x%x", wr ? "write" : "read", path, off) : 0;
}

int devio_sysfs_cfg_read(unsigned off, void *buf, size_t len)
{
	return sysfs_cfg_io(false, off, buf, len);
}

int devio_sysfs_wake(void)
{
	char path[DEVIO_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	/* vfio-pci parks an idle device in D3hot, where its BARs do not decode. */
	dev_path(path, sizeof(path), "power/control");
	ret = write_text(path, "on");
	if (ret && ret != -ENOENT)
		return fail(-ret, "write on to %s", path);
	return 0;
}

int devio_sysfs_cfg_write(unsigned off, const void *buf, size_t len)
{
	return sysfs_cfg_io(true, off, (void *)buf, len);
}

static int res0_map(void)
{
	char path[DEVIO_PATH];
	void *p;
	int fd, ret = need_dev();

	if (ret)
		return ret;
	if (res0)
		return 0;
	dev_path(path, sizeof(path), "resource0");
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "open %s", path);
	p = mmap(NULL, DEVIO_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = errno;
	close(fd);
	if (p == MAP_FAILED)
		return fail(ret, "mmap %s", path);
	res0 = p;
	res0_len = DEVIO_PAGE;
	return 0;
}

void devio_sysfs_bar_close(void)
{
	if (res0)
		munmap((void *)res0, res0_len);
	res0 = NULL;
}

int devio_sysfs_bar_read(unsigned off, uint64_t *val)
{
	int ret = res0_map();

	if (ret)
		return ret;
	*val = *(volatile uint64_t *)(res0 + off);
	return 0;
}

int devio_sysfs_bar_write(unsigned off, uint64_t val)
{
	int ret = res0_map();

	if (ret)
		return ret;
	*(volatile uint64_t *)(res0 + off) = val;
	return 0;
}

/* ---- VFIO ---- */

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

static int region(int index, uint64_t *off, uint64_t *size)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = index};

	if (ioctl(vf.device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return fail(errno, "VFIO_DEVICE_GET_REGION_INFO %d", index);
	*off = ri.offset;
	*size = ri.size;
	return 0;
}

static int open_step(enum vfio_stage next)
{
	char path[64];
	int ret;

	switch (next) {
	case VFIO_GROUP: {
		struct vfio_group_status st = {.argsz = sizeof(st)};

		if (dev.group < 0) {
			snprintf(errbuf, sizeof(errbuf), "%s has no iommu_group", dev.bdf);
			return -ENODEV;
		}
		vf.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (vf.container < 0)
			return fail(errno, "open /dev/vfio/vfio");
		if (ioctl(vf.container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			return fail(EINVAL, "VFIO_GET_API_VERSION");
		if (ioctl(vf.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
			return fail(EINVAL, "no VFIO_TYPE1v2_IOMMU");
		snprintf(path, sizeof(path), "/dev/vfio/%d", dev.group);
		vf.group = open(path, O_RDWR | O_CLOEXEC);
		if (vf.group < 0)
			return fail(errno, "open %s", path);
		if (ioctl(vf.group, VFIO_GROUP_GET_STATUS, &st) < 0)
			return fail(errno, "VFIO_GROUP_GET_STATUS");
		if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
			return fail(EBUSY, "group %d is not viable", dev.group);
		return 0;
	}
	case VFIO_CONTAINER:
		if (ioctl(vf.group, VFIO_GROUP_SET_CONTAINER, &vf.container) < 0)
			return fail(errno, "VFIO_GROUP_SET_CONTAINER");
		return 0;
	case VFIO_IOMMU:
		if (ioctl(vf.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
			return fail(errno, "VFIO_SET_IOMMU(TYPE1v2)");
		return 0;
	case VFIO_DEVICE:
		vf.device = ioctl(vf.group, VFIO_GROUP_GET_DEVICE_FD, dev.bdf);
		if (vf.device < 0)
			return fail(errno, "VFIO_GROUP_GET_DEVICE_FD %s", dev.bdf);
		ret = region(VFIO_PCI_BAR0_REGION_INDEX, &vf.bar_off, &vf.bar_size);
		if (!ret) {
			uint64_t size;

			ret = region(VFIO_PCI_CONFIG_REGION_INDEX, &vf.cfg_off, &size);
		}
		return ret;
	case VFIO_NONE:
		break;
	}
	return 0;
}

int vfio_open_upto(enum vfio_stage upto)
{
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	devio_sysfs_bar_close();
	if (upto < vf.stage) {
		snprintf(errbuf, sizeof(errbuf), "VFIO is already at %s",
			 vfio_stage_name(vf.stage));
		return -EALREADY;
	}
	while (vf.stage < upto) {
		ret = open_step(vf.stage + 1);
		if (ret)
			return ret;
		vf.stage++;
	}
	return 0;
}

static void buf_free(struct vfio_buf *b)
{
	munmap(b->mem, b->pages * DEVIO_PAGE);
}

int vfio_close_all(bool unmap_first)
{
	uint64_t bytes;
	size_t i;
	int ret;

	if (unmap_first && vf.stage >= VFIO_IOMMU) {
		while (vf.nbufs) {
			ret = vfio_unmap(vf.bufs[0].iova, vf.bufs[0].pages, false, &bytes);
			if (ret)
				return ret;
		}
	}
	devio_sysfs_bar_close();
	if (vf.bar)
		munmap((void *)vf.bar, vf.bar_size);
	vf.bar = NULL;
	vf.bar_tried = false;
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
	for (i = 0; i < vf.nbufs; i++)
		buf_free(&vf.bufs[i]);
	vf.nbufs = 0;
	return 0;
}

static int need_device(void)
{
	if (vf.stage == VFIO_DEVICE)
		return 0;
	snprintf(errbuf, sizeof(errbuf), "the VFIO device is not open (stage %s)",
		 vfio_stage_name(vf.stage));
	return -ENODEV;
}

int vfio_cfg_read(unsigned off, void *buf, size_t len)
{
	int ret = need_device();

	if (ret)
		return ret;
	if (pread(vf.device, buf, len, vf.cfg_off + off) != (ssize_t)len)
		return fail(errno ? errno : EIO, "config read at 0x%x", off);
	return 0;
}

int vfio_cfg_write(unsigned off, const void *buf, size_t len)
{
	int ret = need_device();

	if (ret)
		return ret;
	if (pwrite(vf.device, buf, len, vf.cfg_off + off) != (ssize_t)len)
		return fail(errno ? errno : EIO, "config write at 0x%x", off);
	return 0;
}

/* The BAR mapped through the device fd when VFIO allows it, else pread/pwrite. */
static void bar_try_mmap(void)
{
	void *p;

	if (vf.bar_tried)
		return;
	vf.bar_tried = true;
	p = mmap(NULL, vf.bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, vf.device, vf.bar_off);
	if (p != MAP_FAILED)
		vf.bar = p;
}

const char *vfio_bar_path(void)
{
	if (vf.stage != VFIO_DEVICE || !vf.bar_tried)
		return "none";
	return vf.bar ? "mmap" : "pread";
}

int vfio_bar_read(unsigned off, uint64_t *val)
{
	int ret = need_device();

	if (ret)
		return ret;
	bar_try_mmap();
	if (vf.bar) {
		*val = *(volatile uint64_t *)(vf.bar + off);
		return 0;
	}
	if (pread(vf.device, val, 8, vf.bar_off + off) != 8)
		return fail(errno ? errno : EIO, "BAR0 read at 0x%x", off);
	return 0;
}

int vfio_bar_write(unsigned off, uint64_t val)
{
	int ret = need_device();

	if (ret)
		return ret;
	bar_try_mmap();
	if (vf.bar) {
		*(volatile uint64_t *)(vf.bar + off) = val;
		return 0;
	}
	if (pwrite(vf.device, &val, 8, vf.bar_off + off) != 8)
		return fail(errno ? errno : EIO, "BAR0 write at 0x%x", off);
	return 0;
}

static int dma_map(uint64_t iova, void *va, uint64_t size, bool write)
{
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m),
	    .flags = VFIO_DMA_MAP_FLAG_READ | (write ? VFIO_DMA_MAP_FLAG_WRITE : 0),
	    .vaddr = (uintptr_t)va,
	    .iova = iova,
	    .size = size,
	};

	if (ioctl(vf.container, VFIO_IOMMU_MAP_DMA, &m) < 0)
		return fail(errno, "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx",
			    (unsigned long long)iova, (unsigned long long)size);
	return 0;
}

static int dma_unmap(uint64_t iova, uint64_t size, uint64_t *bytes)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = size};

	if (ioctl(vf.container, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		return fail(errno, "VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx",
			    (unsigned long long)iova, (unsigned long long)size);
	*bytes += u.size;
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* pages of guest physical memory from phys, through the devmem file. */
static void *phys_map(uint64_t phys, uint64_t size)
{
	int fd = open(devmem, O_RDWR | O_SYNC | O_CLOEXEC);
	void *p;

	if (fd < 0) {
		fail(errno, "open %s", devmem);
		return MAP_FAILED;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)phys);
	if (p == MAP_FAILED)
		fail(errno, "mmap %s at 0x%llx", devmem, (unsigned long long)phys);
	close(fd);
	return p;
}

int vfio_map(uint64_t iova, uint64_t pages, bool write, bool each, uint64_t phys)
{
	struct vfio_buf *b;
	uint64_t size = pages * DEVIO_PAGE, i, bytes = 0;
	size_t k;
	int ret;

	if (vf.stage < VFIO_IOMMU) {
		snprintf(errbuf, sizeof(errbuf), "no IOMMU set (stage %s)",
			 vfio_stage_name(vf.stage));
		return -ENODEV;
	}
	if (!pages || pages > (1ull << 20) || iova % DEVIO_PAGE || iova + size < iova) {
		snprintf(errbuf, sizeof(errbuf), "bad range iova 0x%llx pages %llu",
			 (unsigned long long)iova, (unsigned long long)pages);
		return -EINVAL;
	}
	if (vf.nbufs == DEVIO_MAX_BUFS) {
		snprintf(errbuf, sizeof(errbuf), "too many buffers (%d)", DEVIO_MAX_BUFS);
		return -ENOSPC;
	}
	for (k = 0; k < vf.nbufs; k++) {
		if (overlaps(iova, size, vf.bufs[k].iova, vf.bufs[k].pages * DEVIO_PAGE)) {
			snprintf(errbuf, sizeof(errbuf), "iova 0x%llx overlaps a mapped buffer",
				 (unsigned long long)iova);
			return -EEXIST;
		}
	}
	if (phys % DEVIO_PAGE || phys + size < phys) {
		snprintf(errbuf, sizeof(errbuf), "bad physical address 0x%llx",
			 (unsigned long long)phys);
		return -EINVAL;
	}
	b = &vf.bufs[vf.nbufs];
	if (phys) {
		b->mem = phys_map(phys, size);
		if (b->mem == MAP_FAILED)
			return -EIO;
	} else {
		b->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (b->mem == MAP_FAILED)
			return fail(errno, "mmap %llu pages", (unsigned long long)pages);
		/* Pinned by VFIO anyway; locked so pagemap answers stay true. */
		mlock(b->mem, size);
	}
	memset(b->mem, 0, size);
	b->phys = phys;
	b->iova = iova;
	b->pages = pages;
	b->write = write;
	b->each = each;
	if (!each) {
		ret = dma_map(iova, b->mem, size, write);
	} else {
		for (ret = 0, i = 0; i < pages && !ret; i++)
			ret = dma_map(iova + i * DEVIO_PAGE, b->mem + i * DEVIO_PAGE, DEVIO_PAGE,
				      write);
		if (ret && i > 1)
			dma_unmap(iova, (i - 1) * DEVIO_PAGE, &bytes);
	}
	if (ret) {
		munmap(b->mem, size);
		return ret;
	}
	vf.nbufs++;
	return 0;
}

int vfio_unmap(uint64_t iova, uint64_t pages, bool each, uint64_t *bytes)
{
	uint64_t size = pages * DEVIO_PAGE, i;
	size_t k, n = 0;
	int ret = 0;

	*bytes = 0;
	if (vf.stage < VFIO_IOMMU) {
		snprintf(errbuf, sizeof(errbuf), "no IOMMU set (stage %s)",
			 vfio_stage_name(vf.stage));
		return -ENODEV;
	}
	for (k = 0; k < vf.nbufs; k++) {
		const struct vfio_buf *b = &vf.bufs[k];
		uint64_t blen = b->pages * DEVIO_PAGE;

		if (!overlaps(iova, size, b->iova, blen))
			continue;
		if (b->iova < iova || b->iova + blen > iova + size) {
			snprintf(errbuf, sizeof(errbuf),
				 "range cuts the buffer at iova 0x%llx (%llu pages)",
				 (unsigned long long)b->iova, (unsigned long long)b->pages);
			return -EINVAL;
		}
		n++;
	}
	if (!n) {
		snprintf(errbuf, sizeof(errbuf), "no buffer in iova 0x%llx + %llu pages",
			 (unsigned long long)iova, (unsigned long long)pages);
		return -ENOENT;
	}
	if (!each)
		ret = dma_unmap(iova, size, bytes);
	for (k = 0; k < vf.nbufs && !ret;) {
		struct vfio_buf *b = &vf.bufs[k];

		if (!overlaps(iova, size, b->iova, b->pages * DEVIO_PAGE)) {
			k++;
			continue;
		}
		for (i = 0; each && i < b->pages && !ret; i++)
			ret = dma_unmap(b->iova + i * DEVIO_PAGE, DEVIO_PAGE, bytes);
		if (ret)
			break;
		buf_free(b);
		memmove(b, b + 1, (vf.nbufs - k - 1) * sizeof(*b));
		vf.nbufs--;
	}
	return ret;
}

size_t vfio_buf_count(void)
{
	return vf.nbufs;
}

const struct vfio_buf *vfio_buf_at(size_t i)
{
	return i < vf.nbufs ? &vf.bufs[i] : NULL;
}

uint8_t *vfio_buf_page(uint64_t iova, bool *write)
{
	size_t k;

	for (k = 0; k < vf.nbufs; k++) {
		const struct vfio_buf *b = &vf.bufs[k];

		if (iova >= b->iova && iova < b->iova + b->pages * DEVIO_PAGE) {
			if (write)
				*write = b->write;
			return b->mem + (iova - b->iova) / DEVIO_PAGE * DEVIO_PAGE;
		}
	}
	return NULL;
}

int vfio_buf_gpa(const uint8_t *va, uint64_t *gpa)
{
	size_t k;

	for (k = 0; k < vf.nbufs; k++) {
		const struct vfio_buf *b = &vf.bufs[k];

		if (b->phys && va >= b->mem && va < b->mem + b->pages * DEVIO_PAGE) {
			*gpa = b->phys + (uint64_t)(va - b->mem) / DEVIO_PAGE * DEVIO_PAGE;
			return 0;
		}
	}
	return devio_gpa(va, gpa);
}

int devio_gpa(const void *va, uint64_t *gpa)
{
	uint64_t ent;
	ssize_t n;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(errno, "open /proc/self/pagemap");
	n = pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)va / DEVIO_PAGE * sizeof(ent)));
	close(fd);
	if (n != sizeof(ent))
		return fail(n < 0 ? errno : EIO, "read /proc/self/pagemap");
	if (!(ent >> 63))
		return fail(EFAULT, "page not present");
	ent &= (1ull << 55) - 1;
	/* Without CAP_SYS_ADMIN the kernel hides the frame number. */
	if (!ent)
		return fail(EPERM, "pagemap hides the frame number");
	*gpa = ent * DEVIO_PAGE;
	return 0;
}

/* ---- fill ---- */

bool devio_fill_landed(const void *mem, uint64_t seed, uint64_t i)
{
	const volatile uint64_t *w = mem;

	return w[0] == VFM_FILL_MAGIC && w[1] == seed && w[2] == i;
}

int devio_fill(bool via_vfio, uint64_t iova, uint64_t pages, uint64_t seed, struct fill_result *r)
{
	int (*wr)(unsigned, uint64_t) = via_vfio ? vfio_bar_write : devio_sysfs_bar_write;
	int (*rd)(unsigned, uint64_t *) = via_vfio ? vfio_bar_read : devio_sysfs_bar_read;
	uint64_t i;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = wr(VFM_REG_CMD, VFM_CMD_CLEAR_COUNTERS)) || (ret = wr(VFM_REG_FILL_IOVA, iova)) ||
	    (ret = wr(VFM_REG_FILL_PAGES, pages)) || (ret = wr(VFM_REG_FILL_SEED, seed)) ||
	    (ret = wr(VFM_REG_CMD, VFM_CMD_FILL)) || (ret = rd(VFM_REG_CMD, &r->status)) ||
	    (ret = rd(VFM_REG_PAGES_WRITTEN, &r->written)) ||
	    (ret = rd(VFM_REG_PAGES_FAULTED, &r->faulted)))
		return ret;
	/* The fill runs synchronously: the data is there when the doorbell returns. */
	for (i = 0; i < pages; i++) {
		uint8_t *p = vfio_buf_page(iova + i * DEVIO_PAGE, NULL);

		if (!p)
			continue;
		r->in_buffers++;
		r->landed += devio_fill_landed(p, seed, i);
	}
	return 0;
}
