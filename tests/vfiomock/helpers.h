/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the vfiomock UAPI tests share: open a type1 container/group/device
 * or an iommufd with a bound and attached cdev, drive the device's BAR0,
 * features and migration states.  Every call goes through the preloaded
 * library as a userspace driver's would.
 */
#ifndef VFIOMOCK_TEST_HELPERS_H
#define VFIOMOCK_TEST_HELPERS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "dma.h"
#include "uapi.h"

#define MB (1ULL << 20)
#define IOVA_BASE 0x40000000ULL
#define CFG_OFF MOCK_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX)

struct t1 {
	int container, group, dev;
};

static inline void *buf_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A container, group N and its device NAME (with_iommu: SET_IOMMU and the device fd). */
static inline int t1_open_dev(struct t1 *t, int group, const char *name, bool with_iommu)
{
	char path[32];
	int fd;

	t->dev = -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	t->container = open("/dev/vfio/vfio", O_RDWR);
	t->group = open(path, O_RDWR);
	if (t->container < 0 || t->group < 0)
		return -1;
	fd = t->container;
	if (ioctl(t->group, VFIO_GROUP_SET_CONTAINER, &fd))
		return -1;
	if (with_iommu && ioctl(t->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	t->dev = with_iommu ? ioctl(t->group, VFIO_GROUP_GET_DEVICE_FD, name) : -1;
	return with_iommu && t->dev < 0 ? -1 : 0;
}

static inline int t1_open(struct t1 *t, bool with_iommu)
{
	return t1_open_dev(t, 42, "0000:01:00.0", with_iommu);
}

static inline int t1_map(struct t1 *t, uint64_t iova, void *va, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova, .size = size};

	return ioctl(t->container, VFIO_IOMMU_MAP_DMA, &m);
}

static inline int t1_unmap(struct t1 *t, uint64_t iova, uint64_t size, uint32_t flags,
			   uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap u = {
	    .argsz = sizeof(u), .flags = flags, .iova = iova, .size = size};
	int r = ioctl(t->container, VFIO_IOMMU_UNMAP_DMA, &u);

	if (done)
		*done = u.size;
	return r;
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Device helpers: registers through pwrite/pread on region 0. */
static inline uint64_t reg_rd(int dev, unsigned int off)
{
	uint64_t v = 0;

	if (pread(dev, &v, 8, (off_t)(MOCK_REGION_OFF(0) + off)) != 8)
		return ~0ULL;
	return v;
}

static inline void reg_wr(int dev, unsigned int off, uint64_t v)
{
	if (pwrite(dev, &v, 8, (off_t)(MOCK_REGION_OFF(0) + off)) != 8)
		printf("# reg write failed\n");
}

static inline void set_bme(int dev, bool on)
{
	uint16_t cmd = 0;

	if (pread(dev, &cmd, 2, (off_t)(CFG_OFF + 4)) != 2)
		return;
	cmd = on ? (cmd | 6) : (cmd & ~4);
	if (pwrite(dev, &cmd, 2, (off_t)(CFG_OFF + 4)) != 2)
		printf("# config write failed\n");
}

/* One-shot fill through the BAR0 doorbell; returns pages written by it. */
static inline uint64_t fill(int dev, uint64_t iova, uint64_t pages)
{
	uint64_t before = reg_rd(dev, VFM_REG_PAGES_WRITTEN);

	reg_wr(dev, VFM_REG_FILL_IOVA, iova);
	reg_wr(dev, VFM_REG_FILL_PAGES, pages);
	reg_wr(dev, VFM_REG_FILL_SEED, 7);
	reg_wr(dev, VFM_REG_CMD, VFM_CMD_FILL);
	return reg_rd(dev, VFM_REG_PAGES_WRITTEN) - before;
}

static inline int feature(int dev, uint32_t flags, void *payload, size_t plen)
{
	uint8_t buf[sizeof(struct vfio_device_feature) + 256] = {0};
	struct vfio_device_feature *f = (void *)buf;
	int r;

	f->argsz = (uint32_t)(sizeof(*f) + plen);
	f->flags = flags;
	if (plen)
		memcpy(f->data, payload, plen);
	r = ioctl(dev, VFIO_DEVICE_FEATURE, f);
	if (plen)
		memcpy(payload, f->data, plen);
	return r;
}

static inline int set_state(int dev, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state m = {.device_state = state, .data_fd = -2};
	int r = feature(dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &m,
			sizeof(m));

	if (data_fd)
		*data_fd = m.data_fd;
	return r;
}

static inline uint32_t get_state(int dev)
{
	struct vfio_device_feature_mig_state m = {0};

	if (feature(dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &m,
		    sizeof(m)))
		return ~0u;
	return m.device_state;
}

static inline int unmap_bitmap(struct t1 *t, uint64_t iova, uint64_t size, uint32_t extra,
			       uint64_t pgsize, uint64_t bsize, uint64_t *bm)
{
	uint8_t buf[sizeof(struct vfio_iommu_type1_dma_unmap) + sizeof(struct vfio_bitmap)];
	struct vfio_iommu_type1_dma_unmap *u = (void *)buf;
	struct vfio_bitmap *b = (void *)u->data;

	memset(buf, 0, sizeof(buf));
	u->argsz = sizeof(buf);
	u->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | extra;
	u->iova = iova;
	u->size = size;
	b->pgsize = pgsize;
	b->size = bsize;
	b->data = (void *)bm;
	return ioctl(t->container, VFIO_IOMMU_UNMAP_DMA, u);
}

static inline int dirty_op(struct t1 *t, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = {.argsz = sizeof(d), .flags = flags};

	return ioctl(t->container, VFIO_IOMMU_DIRTY_PAGES, &d);
}

static inline int get_bitmap(struct t1 *t, uint64_t iova, uint64_t size, uint64_t pgsize,
			     uint64_t *bm, uint64_t bsize)
{
	uint8_t buf[sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		    sizeof(struct vfio_iommu_type1_dirty_bitmap_get)] = {0};
	struct vfio_iommu_type1_dirty_bitmap *d = (void *)buf;
	struct vfio_iommu_type1_dirty_bitmap_get *g = (void *)d->data;

	d->argsz = sizeof(buf);
	d->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	g->iova = iova;
	g->size = size;
	g->bitmap.pgsize = pgsize;
	g->bitmap.size = bsize;
	g->bitmap.data = (void *)bm;
	return ioctl(t->container, VFIO_IOMMU_DIRTY_PAGES, d);
}

struct ifd {
	int iommufd, dev;
	uint32_t devid, ioas, hwpt;
};

static inline int ifd_open_dev(struct ifd *x, const char *cdev, bool dirty)
{
	memset(x, 0, sizeof(*x));
	struct vfio_device_bind_iommufd b = {.argsz = sizeof(b)};
	struct iommu_ioas_alloc a = {.size = sizeof(a)};
	struct iommu_hwpt_alloc h = {.size = sizeof(h)};
	struct vfio_device_attach_iommufd_pt at = {.argsz = sizeof(at)};

	x->iommufd = open("/dev/iommu", O_RDWR);
	x->dev = open(cdev, O_RDWR);
	if (x->iommufd < 0 || x->dev < 0)
		return -1;
	b.iommufd = x->iommufd;
	if (ioctl(x->dev, VFIO_DEVICE_BIND_IOMMUFD, &b))
		return -1;
	x->devid = b.out_devid;
	if (ioctl(x->iommufd, IOMMU_IOAS_ALLOC, &a))
		return -1;
	x->ioas = a.out_ioas_id;
	h.dev_id = x->devid;
	h.pt_id = x->ioas;
	h.flags = dirty ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0;
	if (ioctl(x->iommufd, IOMMU_HWPT_ALLOC, &h))
		return -1;
	x->hwpt = h.out_hwpt_id;
	at.pt_id = x->hwpt;
	return ioctl(x->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static inline int ifd_open(struct ifd *x, bool dirty)
{
	return ifd_open_dev(x, "/dev/vfio/devices/vfio0", dirty);
}

static inline int ioas_map(struct ifd *x, uint64_t iova, void *va, uint64_t len, uint32_t flags)
{
	struct iommu_ioas_map m = {.size = sizeof(m),
				   .flags = flags,
				   .ioas_id = x->ioas,
				   .user_va = (uintptr_t)va,
				   .length = len,
				   .iova = iova};

	return ioctl(x->iommufd, IOMMU_IOAS_MAP, &m);
}

#define FIXED_RW (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static inline int ioas_unmap(struct ifd *x, uint64_t iova, uint64_t len, uint64_t *done)
{
	struct iommu_ioas_unmap u = {
	    .size = sizeof(u), .ioas_id = x->ioas, .iova = iova, .length = len};
	int r = ioctl(x->iommufd, IOMMU_IOAS_UNMAP, &u);

	if (done)
		*done = u.length;
	return r;
}

static inline int hwpt_dirty(struct ifd *x, bool on)
{
	struct iommu_hwpt_set_dirty_tracking s = {.size = sizeof(s),
						  .hwpt_id = x->hwpt,
						  .flags =
						      on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0};

	return ioctl(x->iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static inline int hwpt_bitmap(struct ifd *x, uint64_t iova, uint64_t len, uint64_t pgsz,
			      uint32_t flags, uint64_t *bm)
{
	struct iommu_hwpt_get_dirty_bitmap g = {.size = sizeof(g),
						.hwpt_id = x->hwpt,
						.flags = flags,
						.iova = iova,
						.length = len,
						.page_size = pgsz,
						.data = (uintptr_t)bm};

	return ioctl(x->iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static inline size_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	return r == 0 ? n : (size_t)-1;
}

/* Saves the device (ring seq set by hand through a fill count) and resumes it. */
static inline size_t save_stream(int dev, uint8_t *buf, size_t cap)
{
	int fd;

	if (set_state(dev, VFIO_DEVICE_STATE_STOP_COPY, &fd) || fd < 0)
		return 0;
	return read_all(fd, buf, cap);
}

static inline int log_start(int dev, uint64_t pgsz, struct vfio_device_feature_dma_logging_range *r,
			    uint32_t n)
{
	struct vfio_device_feature_dma_logging_control c = {
	    .page_size = pgsz, .num_ranges = n, .ranges = (uintptr_t)r};

	return feature(dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &c,
		       sizeof(c));
}

static inline int log_report(int dev, uint64_t iova, uint64_t len, uint64_t pgsz, uint64_t *bm)
{
	struct vfio_device_feature_dma_logging_report r = {
	    .iova = iova, .length = len, .page_size = pgsz, .bitmap = (uintptr_t)bm};

	return feature(dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &r,
		       sizeof(r));
}

#endif
