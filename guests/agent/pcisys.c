// SPDX-License-Identifier: GPL-2.0-or-later
/* pcisys.c: a PCI function through sysfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devio.h"
#include "pcisys.h"

/* sysfs root (256) + bus/pci/devices/<bdf>/<leaf> */
#define PCISYS_PATH 1024

static char sysfs[256] = "/sys";
static struct pcisys_info dev;
static bool have_dev;

/* resourceN mappings */
static struct {
	volatile uint8_t *mem;
	size_t len;
} res[PCISYS_BARS];

void pcisys_set_root(const char *root)
{
	snprintf(sysfs, sizeof(sysfs), "%s", root);
}

const char *pcisys_root(void)
{
	return sysfs;
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

static void refresh(struct pcisys_info *d)
{
	char path[PCISYS_PATH], link[PCISYS_PATH];
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

int pcisys_find(uint16_t vendor, uint16_t device, struct pcisys_info *out)
{
	char path[PCISYS_PATH], v[32], d[32];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs);
	dir = opendir(path);
	if (!dir)
		return devio_fail(errno, "%s", path);
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
		pcisys_bar_close();
		refresh(&dev);
		*out = dev;
		return 0;
	}
	closedir(dir);
	return devio_refuse(ENODEV, "no PCI function %04x:%04x in %s/bus/pci/devices", vendor,
			    device, sysfs);
}

static int need_dev(void)
{
	return have_dev ? 0 : devio_refuse(ENODEV, "no device: run dev find first");
}

int pcisys_info(struct pcisys_info *out)
{
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	*out = dev;
	return 0;
}

int pcisys_bind(const char *driver)
{
	char path[PCISYS_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	if (dev.driver[0]) {
		if (!strcmp(dev.driver, driver))
			return 0;
		return devio_refuse(EBUSY, "%s is bound to %s: unbind it first", dev.bdf,
				    dev.driver);
	}
	/* A driver that claims the BAR revokes earlier sysfs mappings. */
	pcisys_bar_close();
	dev_path(path, sizeof(path), "driver_override");
	ret = write_text(path, driver);
	if (ret)
		return devio_fail(-ret, "write %s to %s", driver, path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", sysfs, driver);
	ret = write_text(path, dev.bdf);
	if (ret)
		return devio_fail(-ret, "write %s to %s", dev.bdf, path);
	refresh(&dev);
	return 0;
}

int pcisys_unbind(void)
{
	char path[PCISYS_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	pcisys_bar_close();
	if (dev.driver[0]) {
		dev_path(path, sizeof(path), "driver/unbind");
		ret = write_text(path, dev.bdf);
		if (ret)
			return devio_fail(-ret, "write %s to %s", dev.bdf, path);
	}
	/* An empty override lets ordinary matching decide again. */
	dev_path(path, sizeof(path), "driver_override");
	ret = write_text(path, "\n");
	if (ret && ret != -ENOENT)
		return devio_fail(-ret, "clear %s", path);
	refresh(&dev);
	return 0;
}

int pcisys_group_type(const char *type, char *readback, size_t size)
{
	char path[PCISYS_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	refresh(&dev);
	if (dev.group < 0)
		return devio_refuse(ENODEV, "%s has no iommu_group", dev.bdf);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", sysfs, dev.group);
	ret = write_text(path, type);
	if (ret)
		return devio_fail(-ret, "write %s to %s", type, path);
	ret = read_text(path, readback, size);
	if (ret)
		return devio_fail(-ret, "read %s", path);
	refresh(&dev);
	return 0;
}

/* ---- config space and BARs ---- */

static int cfg_io(bool wr, unsigned off, void *buf, size_t len)
{
	char path[PCISYS_PATH];
	ssize_t n;
	int fd, ret = need_dev();

	if (ret)
		return ret;
	dev_path(path, sizeof(path), "config");
	fd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return devio_fail(errno, "open %s", path);
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	ret = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return ret ? devio_fail(ret, "%s %s at 0x%x", wr ? "write" : "read", path, off) : 0;
}

int pcisys_cfg_read(unsigned off, void *buf, size_t len)
{
	return cfg_io(false, off, buf, len);
}

int pcisys_cfg_write(unsigned off, const void *buf, size_t len)
{
	return cfg_io(true, off, (void *)buf, len);
}

int pcisys_wake(void)
{
	char path[PCISYS_PATH];
	int ret = need_dev();

	if (ret)
		return ret;
	/* vfio-pci parks an idle device in D3hot, where its BARs do not decode. */
	dev_path(path, sizeof(path), "power/control");
	ret = write_text(path, "on");
	if (ret && ret != -ENOENT)
		return devio_fail(-ret, "write on to %s", path);
	return 0;
}

static int bar_map(int bar, unsigned off, size_t width)
{
	char path[PCISYS_PATH], leaf[16];
	struct stat st;
	size_t len;
	void *p;
	int fd, ret = need_dev();

	if (ret)
		return ret;
	if (bar < 0 || bar >= PCISYS_BARS || (width != 4 && width != 8) || off % width)
		return devio_refuse(EINVAL, "bad BAR access: BAR%d offset 0x%x width %zu", bar, off,
				    width);
	if (!res[bar].mem) {
		snprintf(leaf, sizeof(leaf), "resource%d", bar);
		dev_path(path, sizeof(path), leaf);
		fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
		if (fd < 0)
			return devio_fail(errno, "open %s", path);
		/* sysfs gives a resource file the BAR's size. */
		len = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : DEVIO_PAGE;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ret = errno;
		close(fd);
		if (p == MAP_FAILED)
			return devio_fail(ret, "mmap %s", path);
		res[bar].mem = p;
		res[bar].len = len;
	}
	if (off + width > res[bar].len)
		return devio_refuse(EINVAL, "BAR%d offset 0x%x is beyond its 0x%zx bytes", bar, off,
				    res[bar].len);
	return 0;
}

void pcisys_bar_close(void)
{
	int i;

	for (i = 0; i < PCISYS_BARS; i++) {
		if (res[i].mem)
			munmap((void *)res[i].mem, res[i].len);
		res[i].mem = NULL;
	}
}

int pcisys_bar_read(int bar, unsigned off, size_t width, uint64_t *val)
{
	int ret = bar_map(bar, off, width);

	if (ret)
		return ret;
	*val = width == 8 ? *(volatile uint64_t *)(res[bar].mem + off)
			  : *(volatile uint32_t *)(res[bar].mem + off);
	return 0;
}

int pcisys_bar_write(int bar, unsigned off, size_t width, uint64_t val)
{
	int ret = bar_map(bar, off, width);

	if (ret)
		return ret;
	if (width == 8)
		*(volatile uint64_t *)(res[bar].mem + off) = val;
	else
		*(volatile uint32_t *)(res[bar].mem + off) = (uint32_t)val;
	return 0;
}
