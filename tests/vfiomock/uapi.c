// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UAPI conformance of the vfiomock kernel model, one test per rule.  The
 * binary runs with libvfiomock.so preloaded, so every call below goes
 * through the interposed open/ioctl/pread/pwrite path exactly as a
 * userspace driver's would.  Tests named old_* run under the "old kernel"
 * personality (uapi-config-old.json); the rest under uapi-config.json.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ktest.h"
#ifndef EXPECT_GT
#define EXPECT_GT(a, b) KT_CMP(false, (long long)(a), >, (long long)(b), "%lld")
#endif
#include "helpers.h"

/* ================= type1 ================= */

TEST(type1_api_version_and_extensions)
{
	int c = open("/dev/vfio/vfio", O_RDWR);

	ASSERT_GE(c, 0);
	EXPECT_EQ(ioctl(c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	EXPECT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	EXPECT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	EXPECT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU), 0);
}

TEST(type1_set_iommu_needs_group)
{
	int c = open("/dev/vfio/vfio", O_RDWR);

	ASSERT_GE(c, 0);
	EXPECT_EQ(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(type1_group_status_and_device_fd)
{
	struct t1 t;
	struct vfio_group_status st = {.argsz = sizeof(st)};

	ASSERT_EQ(t1_open(&t, false), 0);
	ASSERT_EQ(ioctl(t.group, VFIO_GROUP_GET_STATUS, &st), 0);
	EXPECT_TRUE(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_TRUE(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* No device fd before SET_IOMMU. */
	EXPECT_EQ(ioctl(t.group, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0"), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(ioctl(t.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	EXPECT_EQ(ioctl(t.group, VFIO_GROUP_GET_DEVICE_FD, "0000:09:00.0"), -1);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_GE(ioctl(t.group, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0"), 0);
	/* A group opens once. */
	EXPECT_EQ(open("/dev/vfio/42", O_RDWR), -1);
	EXPECT_EQ(errno, EBUSY);
}

TEST(type1_get_info_argsz_growth_and_caps)
{
	struct t1 t;
	uint8_t buf[512] = {0};
	struct vfio_iommu_type1_info *i = (void *)buf;
	struct vfio_info_cap_header *h;
	uint32_t need, off;
	bool range = false, mig = false, avail = false;

	ASSERT_EQ(t1_open(&t, true), 0);
	i->argsz = sizeof(*i);
	ASSERT_EQ(ioctl(t.container, VFIO_IOMMU_GET_INFO, i), 0);
	EXPECT_TRUE(i->flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_EQ(i->cap_offset, 0);
	need = i->argsz;
	ASSERT_GT(need, sizeof(*i));
	ASSERT_LE(need, sizeof(buf));
	EXPECT_EQ(i->iova_pgsizes, 4096 | 2 * MB | 1024 * MB);
	i->argsz = need;
	ASSERT_EQ(ioctl(t.container, VFIO_IOMMU_GET_INFO, i), 0);
	ASSERT_NE(i->cap_offset, 0);
	for (off = i->cap_offset; off; off = h->next) {
		ASSERT_LT(off, need);
		h = (void *)(buf + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;

			range = r->nr_iovas == 1 && r->iova_ranges[0].end == 0xffffffffffffULL;
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			struct vfio_iommu_type1_info_cap_migration *m = (void *)h;

			mig = m->pgsize_bitmap == 4096 && m->max_dirty_bitmap_size == 256 * MB;
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			avail = true;
		}
	}
	EXPECT_TRUE(range);
	EXPECT_TRUE(mig);
	EXPECT_TRUE(avail);
}

TEST(type1_map_unaligned_rejected)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(t1_map(&t, IOVA_BASE + 1, b, 4096, RW), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 0, RW), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_map(&t, IOVA_BASE, b, 4096, RW), 0);
}

TEST(type1_map_overlap_eexist)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 8192, RW), 0);
	EXPECT_EQ(t1_map(&t, IOVA_BASE + 4096, b, 8192, RW), -1);
	EXPECT_EQ(errno, EEXIST);
}

TEST(type1_map_outside_iova_range_rejected)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(t1_map(&t, 1ULL << 48, b, 4096, RW), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(type1_map_bisect_rejected)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 8192, RW), 0);
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE, 4096, 0, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE + 4096, 8192, 0, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE, 8192, 0, &done), 0);
	EXPECT_EQ(done, 8192);
}

TEST(type1_unmap_covers_whole_mappings)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 4096, RW), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE + 8192, b + 8192, 4096, RW), 0);
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE, 16384, 0, &done), 0);
	EXPECT_EQ(done, 8192);
	/* Nothing left there: succeeds with size 0, as type1 does. */
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE, 16384, 0, &done), 0);
	EXPECT_EQ(done, 0);
}

TEST(type1_unmap_all)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 4096, RW), 0);
	ASSERT_EQ(t1_map(&t, 2 * IOVA_BASE, b, 8192, RW), 0);
	EXPECT_EQ(t1_unmap(&t, IOVA_BASE, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(t1_unmap(&t, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done), 0);
	EXPECT_EQ(done, 12288);
}

TEST(type1_unmap_dirty_bitmap_rules)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[4] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 64 * 4096, RW), 0);
	/* Tracking not started. */
	EXPECT_EQ(unmap_bitmap(&t, IOVA_BASE, 64 * 4096, 0, 4096, 8, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), 0);
	/* pgsize must be the minimum IOMMU page size. */
	EXPECT_EQ(unmap_bitmap(&t, IOVA_BASE, 64 * 4096, 0, 2 * MB, 8, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	/* Never with ALL. */
	EXPECT_EQ(unmap_bitmap(&t, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, 4096, 8, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	/* Bitmap too small (64 pages need 8 bytes). */
	EXPECT_EQ(unmap_bitmap(&t, IOVA_BASE, 64 * 4096, 0, 4096, 4, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(unmap_bitmap(&t, IOVA_BASE, 64 * 4096, 0, 4096, 8, bm), 0);
	/* Perpetual: every page of the writable mapping is dirty. */
	EXPECT_EQ(bm[0], ~0ULL);
}

TEST(type1_dirty_pages_one_op_per_call)
{
	struct t1 t;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(
	    dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(dirty_op(&t, 0), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(type1_dirty_bitmap_perpetual)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[2];
	int i;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 64 * 4096, RW), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE + 64 * 4096, b, 64 * 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE, 64 * 4096, 4096, bm, 8), -1); /* not started */
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(dirty_op(&t, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), 0);
	for (i = 0; i < 2; i++) {
		memset(bm, 0, sizeof(bm));
		ASSERT_EQ(get_bitmap(&t, IOVA_BASE, 128 * 4096, 4096, bm, 16), 0);
		EXPECT_EQ(bm[0], ~0ULL); /* every query, every pinned page */
		EXPECT_EQ(bm[1], ~0ULL); /* read-only ones too (update_user_bitmap()) */
	}
	/* A range may not start inside a mapping without starting with it. */
	EXPECT_EQ(get_bitmap(&t, IOVA_BASE + 4096, 4096, 4096, bm, 8), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(type1_unknown_ioctl_enotty)
{
	struct t1 t;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(ioctl(t.container, _IO(VFIO_TYPE, VFIO_BASE + 40)), -1);
	EXPECT_EQ(errno, ENOTTY);
	EXPECT_EQ(ioctl(t.dev, _IO(VFIO_TYPE, VFIO_BASE + 40)), -1);
	EXPECT_EQ(errno, ENOTTY);
}

/* ================= iommufd ================= */

TEST(cdev_unbound_device_einval)
{
	int d = open("/dev/vfio/devices/vfio0", O_RDWR);
	struct vfio_device_info i = {.argsz = sizeof(i)};
	uint32_t v;

	ASSERT_GE(d, 0);
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_GET_INFO, &i), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(pread(d, &v, 4, (off_t)CFG_OFF), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(cdev_fstat_shows_char_device)
{
	int d = open("/dev/vfio/devices/vfio0", O_RDWR);
	struct stat st;

	ASSERT_GE(d, 0);
	ASSERT_EQ(fstat(d, &st), 0);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 511);
	EXPECT_EQ(minor(st.st_rdev), 0);
}

TEST(cdev_bind_rules)
{
	int d = open("/dev/vfio/devices/vfio0", O_RDWR), i = open("/dev/iommu", O_RDWR);
	struct vfio_device_bind_iommufd b = {.argsz = sizeof(b), .iommufd = i};

	ASSERT_GE(d, 0);
	b.flags = 2; /* only VFIO_DEVICE_BIND_FLAG_TOKEN is defined */
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -1);
	EXPECT_EQ(errno, EINVAL);
	b.flags = 0;
	b.iommufd = 0; /* not an iommufd */
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -1);
	EXPECT_EQ(errno, EBADF);
	b.iommufd = i;
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	EXPECT_GE(b.out_devid, 1);
	EXPECT_EQ(ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -1); /* once */
}

TEST(iommufd_attach_ioas_makes_domain)
{
	struct ifd x;
	struct vfio_device_attach_iommufd_pt at = {.argsz = sizeof(at)};
	struct vfio_device_detach_iommufd_pt dt = {.argsz = sizeof(dt)};

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ioctl(x.dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	at.pt_id = x.ioas;
	ASSERT_EQ(ioctl(x.dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	EXPECT_NE(at.pt_id, x.ioas); /* the automatic HWPT's id comes back */
	at.pt_id = 200;
	EXPECT_EQ(ioctl(x.dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -1);
	EXPECT_EQ(errno, ENOENT);
}

TEST(iommufd_ioas_iova_ranges_two_call)
{
	struct ifd x;
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = {.size = sizeof(q), .num_iovas = 0};

	ASSERT_EQ(ifd_open(&x, false), 0);
	q.ioas_id = x.ioas;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_IOAS_IOVA_RANGES, &q), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	EXPECT_EQ(q.num_iovas, 1);
	q.allowed_iovas = (uintptr_t)r;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	EXPECT_EQ(r[0].start, 0);
	EXPECT_EQ(r[0].last, 0xffffffffffffULL);
	EXPECT_EQ(q.out_iova_alignment, 4096);
}

TEST(iommufd_size_rules)
{
	int i = open("/dev/iommu", O_RDWR);
	struct {
		struct iommu_ioas_alloc a;
		uint32_t extra;
	} big = {{.size = sizeof(big)}, 0};

	ASSERT_GE(i, 0);
	big.a.size = 4; /* below the first version of the struct */
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_ALLOC, &big), -1);
	EXPECT_EQ(errno, EINVAL);
	big.a.size = sizeof(big);
	big.extra = 1; /* unknown trailing bytes must be zero */
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_ALLOC, &big), -1);
	EXPECT_EQ(errno, E2BIG);
	big.extra = 0;
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_ALLOC, &big), 0);
	big.a.flags = 1;
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_ALLOC, &big), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST(iommufd_ioas_map_unmap)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;
	struct iommu_ioas_map m = {.size = sizeof(m), .flags = IOMMU_IOAS_MAP_READABLE};

	ASSERT_EQ(ifd_open(&x, false), 0);
	EXPECT_EQ(ioas_map(&x, IOVA_BASE, b, 8192, IOMMU_IOAS_MAP_FIXED_IOVA), -1); /* no prot */
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 8192, FIXED_RW), 0);
	EXPECT_EQ(ioas_map(&x, IOVA_BASE + 4096, b, 8192, FIXED_RW), -1);
	EXPECT_EQ(errno, EEXIST);
	/* Without FIXED_IOVA the kernel picks the IOVA. */
	m.ioas_id = x.ioas;
	m.user_va = (uintptr_t)b;
	m.length = 4096;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_IOAS_MAP, &m), 0);
	EXPECT_NE(m.iova, IOVA_BASE);
	EXPECT_EQ(ioas_unmap(&x, IOVA_BASE, 4096, NULL), -1); /* cuts an area */
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(ioas_unmap(&x, IOVA_BASE, 8192, &done), 0);
	EXPECT_EQ(done, 8192);
	EXPECT_EQ(ioas_unmap(&x, IOVA_BASE, 8192, NULL), -1); /* nothing there */
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(ioas_unmap(&x, 0, UINT64_MAX, &done), 0); /* unmap all */
	EXPECT_EQ(done, 4096);
}

TEST(iommufd_ioas_map_file_dma_lands_in_file)
{
	struct ifd x;
	int mfd = memfd_create("t", 0);
	struct iommu_ioas_map_file m = {.size = sizeof(m), .flags = FIXED_RW};
	uint64_t v[4] = {0};

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ftruncate(mfd, 4 * MB), 0);
	m.ioas_id = x.ioas;
	m.fd = mfd;
	m.start = MB;
	m.length = MB;
	m.iova = IOVA_BASE;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_IOAS_MAP_FILE, &m), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 8192, 1), 1);
	ASSERT_EQ(pread(mfd, v, sizeof(v), (off_t)(MB + 8192)), (ssize_t)sizeof(v));
	EXPECT_EQ(v[0], VFM_FILL_MAGIC);
	EXPECT_EQ(v[2], 0); /* page index within the fill */
}

TEST(iommufd_change_process)
{
	int i = open("/dev/iommu", O_RDWR);
	struct iommu_ioas_change_process p = {.size = sizeof(p)};

	ASSERT_GE(i, 0);
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_CHANGE_PROCESS, &p), 0);
	p.__reserved = 1;
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_CHANGE_PROCESS, &p), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST(iommufd_get_hw_info)
{
	struct ifd x;
	struct iommu_hw_info h = {.size = sizeof(h)};
	uint8_t vendor[64];

	ASSERT_EQ(ifd_open(&x, false), 0);
	memset(vendor, 0xaa, sizeof(vendor));
	h.dev_id = x.devid;
	h.data_len = sizeof(vendor);
	h.data_uptr = (uintptr_t)vendor;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), 0);
	EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	EXPECT_EQ(h.data_len, sizeof(struct iommu_hw_info_vtd));
	EXPECT_EQ(vendor[sizeof(struct iommu_hw_info_vtd)],
		  0); /* the rest of the buffer is zeroed */
	EXPECT_TRUE(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	h.dev_id = 99;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), -1);
	EXPECT_EQ(errno, ENOENT);
}

TEST(iommufd_hwpt_alloc_rules)
{
	struct ifd x;
	struct iommu_hwpt_alloc h = {.size = sizeof(h)};

	ASSERT_EQ(ifd_open(&x, false), 0);
	h.dev_id = x.devid;
	h.pt_id = x.ioas;
	h.data_len = 8; /* data_type NONE carries no data */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &h), -1);
	EXPECT_EQ(errno, EINVAL);
	h.data_len = 0;
	h.flags = 1u << 7;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &h), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	h.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &h), 0);
}

TEST(iommufd_destroy_busy_and_enoent)
{
	struct ifd x;
	struct iommu_destroy d = {.size = sizeof(d)};

	ASSERT_EQ(ifd_open(&x, false), 0);
	d.id = x.ioas; /* a HWPT sits on it */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_DESTROY, &d), -1);
	EXPECT_EQ(errno, EBUSY);
	d.id = x.hwpt; /* the device is attached */
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_DESTROY, &d), -1);
	EXPECT_EQ(errno, EBUSY);
	d.id = 250;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_DESTROY, &d), -1);
	EXPECT_EQ(errno, ENOENT);
}

TEST(iommufd_hwpt_dirty_read_and_clear)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[4] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 0x10000, b, 64 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	/* Not enabled yet: nothing to read, and no error (7.2). */
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE + 0x10000, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 0);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 0x10000 + 3 * 4096, 2), 2);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 0x10000, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 3ULL << 3);
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 0x10000, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 0); /* cleared by the previous read */
}

TEST(iommufd_hwpt_dirty_no_clear_and_or)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {1ULL << 63};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE + 0x10000, b, 64 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 0x10000, 1), 1);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 0x10000, 64 * 4096, 4096,
			      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, bm),
		  0);
	EXPECT_EQ(bm[0], 1ULL << 63 | 1); /* OR-ed into what was there */
	bm[0] = 0;
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE + 0x10000, 64 * 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 1); /* NO_CLEAR left it */
}

TEST(iommufd_hwpt_dirty_huge_iopte)
{
	struct ifd x;
	uint8_t *b = buf_alloc(4 * MB);
	uint64_t bm[16] = {0};
	int i, n = 0;

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, 4 * MB, FIXED_RW), 0); /* 2M-aligned: 2M IOPTEs */
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(fill(x.dev, IOVA_BASE + 2 * MB + 4096, 1), 1);
	ASSERT_EQ(hwpt_bitmap(&x, IOVA_BASE, 4 * MB, 4096, 0, bm), 0);
	for (i = 0; i < 16; i++)
		n += __builtin_popcountll(bm[i]);
	EXPECT_EQ(n, 512); /* the whole 2 MiB leaf */
	EXPECT_EQ(bm[0], 0);
	EXPECT_EQ(bm[8], ~0ULL);
}

TEST(iommufd_hwpt_dirty_alignment)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[4] = {0};

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, IOVA_BASE, b, MB, FIXED_RW), 0);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE + 512, 4096, 4096, 0, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE, 4096, 0, 0, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE, 4096, 8192, 0, bm), -1); /* length not aligned */
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(hwpt_bitmap(&x, IOVA_BASE, 4096, 4096, 2, bm), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST(iommufd_hwpt_without_dirty_flag_refuses_tracking)
{
	struct ifd x;

	ASSERT_EQ(ifd_open(&x, false), 0);
	EXPECT_EQ(hwpt_dirty(&x, true), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

/* ================= device ================= */

TEST(device_get_info)
{
	struct t1 t;
	struct vfio_device_info i = {.argsz = sizeof(i)};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_INFO, &i), 0);
	EXPECT_EQ(i.flags & (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET),
		  VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(i.num_regions, 9);
	EXPECT_EQ(i.num_irqs, 5);
	i.argsz = 8;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_INFO, &i), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(device_region_info)
{
	struct t1 t;
	struct vfio_region_info r = {.argsz = sizeof(r)};

	ASSERT_EQ(t1_open(&t, true), 0);
	r.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_REGION_INFO, &r), 0);
	EXPECT_EQ(r.size, 4096);
	EXPECT_EQ(r.offset, CFG_OFF);
	r.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_REGION_INFO, &r), 0);
	EXPECT_EQ(r.size, 4096);
	EXPECT_FALSE(r.flags & VFIO_REGION_INFO_FLAG_MMAP);
	r.index = VFIO_PCI_BAR1_REGION_INDEX;
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_REGION_INFO, &r), 0);
	EXPECT_EQ(r.size, 0);
	r.index = 9;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_REGION_INFO, &r), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(device_irq_info_counts)
{
	struct t1 t;
	static const uint32_t want[5] = {1, 0, 4, 1, 1};
	unsigned int i;

	ASSERT_EQ(t1_open(&t, true), 0);
	for (i = 0; i < 5; i++) {
		struct vfio_irq_info q = {.argsz = sizeof(q), .index = i};

		ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_IRQ_INFO, &q), 0);
		EXPECT_EQ(q.count, want[i]);
		EXPECT_TRUE(q.flags & VFIO_IRQ_INFO_EVENTFD);
	}
}

TEST(device_set_irqs_validation_and_delivery)
{
	struct t1 t;
	uint8_t buf[sizeof(struct vfio_irq_set) + 4];
	struct vfio_irq_set *s = (void *)buf;
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	uint16_t ctl;
	uint64_t v = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	s->argsz = sizeof(buf);
	s->index = VFIO_PCI_MSIX_IRQ_INDEX;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &efd, 4);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), -1); /* two data types */
	EXPECT_EQ(errno, EINVAL);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), -1); /* MSI-X cannot be masked */
	EXPECT_EQ(errno, ENOTTY);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->start = 4;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), -1); /* beyond the vectors */
	EXPECT_EQ(errno, EINVAL);
	s->start = 0;
	s->argsz = sizeof(*s); /* no room for the eventfd */
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), -1);
	EXPECT_EQ(errno, EINVAL);
	s->argsz = sizeof(buf);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), 0);
	/* Enable MSI-X in the capability at 0x50, then ring vector 0. */
	ASSERT_EQ(pread(t.dev, &ctl, 2, (off_t)(CFG_OFF + 0x52)), 2);
	ctl |= 0x8000;
	ASSERT_EQ(pwrite(t.dev, &ctl, 2, (off_t)(CFG_OFF + 0x52)), 2);
	reg_wr(t.dev, VFM_REG_IRQ, 0);
	EXPECT_EQ(read(efd, &v, 8), 8);
	EXPECT_EQ(v, 1);
	/* DATA_NONE with count 0 tears the vectors down. */
	s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->count = 0;
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_SET_IRQS, s), 0);
	reg_wr(t.dev, VFM_REG_IRQ, 0);
	EXPECT_EQ(read(efd, &v, 8), -1);
}

TEST(device_config_space)
{
	struct t1 t;
	uint8_t c[256];
	uint32_t ones = ~0u, rom = 1;
	int ids[4], n = 0, p;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(pread(t.dev, c, sizeof(c), (off_t)CFG_OFF), (ssize_t)sizeof(c));
	EXPECT_EQ(c[0] | c[1] << 8, VFM_PCI_VENDOR);
	EXPECT_EQ(c[2] | c[3] << 8, VFM_PCI_DEVICE);
	EXPECT_EQ(c[0x0b], 0xff);
	EXPECT_EQ(c[0x3d], 1);
	EXPECT_TRUE(c[6] & 0x10);
	for (p = c[0x34]; p && n < 4; p = c[p + 1])
		ids[n++] = c[p];
	ASSERT_EQ(n, 3);
	EXPECT_EQ(ids[0], 0x01);
	EXPECT_EQ(ids[1], 0x11);
	EXPECT_EQ(ids[2], 0x10);
	/* No expansion ROM: reads 0 even after an all-ones write. */
	ASSERT_EQ(pwrite(t.dev, &ones, 4, (off_t)(CFG_OFF + 0x30)), 4);
	ASSERT_EQ(pread(t.dev, &rom, 4, (off_t)(CFG_OFF + 0x30)), 4);
	EXPECT_EQ(rom, 0);
	/* BAR0 sizing: 4 KiB, 32-bit memory. */
	ASSERT_EQ(pwrite(t.dev, &ones, 4, (off_t)(CFG_OFF + 0x10)), 4);
	ASSERT_EQ(pread(t.dev, &rom, 4, (off_t)(CFG_OFF + 0x10)), 4);
	EXPECT_EQ(rom, 0xfffff000u);
}

TEST(device_dma_requires_bus_master)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, MB, RW), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_CMD), 2); /* refused: DMA not allowed */
	set_bme(t.dev, true);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 1);
	EXPECT_EQ(*(uint64_t *)b, VFM_FILL_MAGIC);
}

TEST(device_dma_faults_unmapped_and_readonly)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	set_bme(t.dev, true);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);      /* read-only */
	EXPECT_EQ(fill(t.dev, IOVA_BASE + MB, 2), 0); /* unmapped */
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_PAGES_FAULTED), 3);
	EXPECT_EQ(*(uint64_t *)b, 0);
}

/*
 * Event writes armed in uapi-config.json at EVENT_IOVA: an unmap that
 * reaches the top of the 64-bit space still matches its range, a posted
 * event writes with Bus Master Enable off, an ordinary one is spent.
 */
#define EVENT_IOVA 0x500000000000ULL

TEST(event_unmap_to_top_of_space_posted_and_gated)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0, i;

	ASSERT_EQ(t1_open(&t, true), 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(t1_map(&t, EVENT_IOVA + i * 4096, b + i * 4096, 4096, RW), 0);
	/* Page 3 goes first: its event is not posted and BME is off. */
	EXPECT_EQ(t1_unmap(&t, EVENT_IOVA + 3 * 4096, 4096, 0, &done), 0);
	EXPECT_EQ(done, 4096);
	EXPECT_EQ(*(uint64_t *)(b + 2 * 4096), 0);
	/* Pages 1 and 2 up to 2^64, as QEMU's region_del of a vIOMMU region. */
	EXPECT_EQ(t1_unmap(&t, EVENT_IOVA + 4096, -(EVENT_IOVA + 4096), 0, &done), 0);
	EXPECT_EQ(done, 2 * 4096);
	EXPECT_EQ(*(uint64_t *)b, VFM_EVENT_MAGIC);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_PAGES_WRITTEN), 1);
}

/*
 * The state names the file and offset behind a mapping's host address (the
 * mapping of QEMU's RAM file), read from /proc/self/maps; anonymous memory
 * has none.
 */
TEST(state_maps_name_their_backing_file)
{
	json_t *(*handle)(json_t *) =
	    (json_t * (*)(json_t *)) dlsym(RTLD_DEFAULT, "control_handle");
	char path[] = "/tmp/vfiomock-backing.XXXXXX";
	int fd = mkstemp(path);
	uint8_t *file, *anon = buf_alloc(MB);
	json_t *st, *maps, *m;
	struct stat sb;
	struct t1 t;
	size_t i;
	int seen = 0;

	ASSERT_TRUE(handle != NULL);
	ASSERT_TRUE(fd >= 0);
	unlink(path);
	ASSERT_EQ(ftruncate(fd, 4 * MB), 0);
	ASSERT_EQ(fstat(fd, &sb), 0);
	file = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(file != MAP_FAILED);
	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, file + 2 * MB, MB, RW), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE + 2 * MB, anon, MB, RW), 0);
	st = handle(json_pack("{s:s}", "cmd", "state"));
	ASSERT_TRUE(st != NULL);
	maps = json_object_get(json_array_get(json_object_get(st, "containers"), 0), "maps");
	json_array_foreach(maps, i, m)
	{
		const json_t *b = json_object_get(m, "backing");
		json_int_t iova = json_integer_value(json_object_get(m, "iova"));

		if (iova == (json_int_t)IOVA_BASE) {
			EXPECT_EQ(json_integer_value(json_object_get(b, "ino")), sb.st_ino);
			EXPECT_EQ(json_integer_value(json_object_get(b, "offset")), 2 * MB);
			seen++;
		} else if (iova == (json_int_t)(IOVA_BASE + 2 * MB)) {
			EXPECT_TRUE(b == NULL);
			seen++;
		}
	}
	EXPECT_EQ(seen, 2);
	json_decref(st);
	close(fd);
}

/*
 * iommufd: QEMU reads the bits (NO_CLEAR) before IOAS_UNMAP drops them, so
 * the unmap's event write lands at that read and is in its bitmap.
 */
TEST(event_unmap_iommufd_fires_at_the_no_clear_read)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0}, done = 0;

	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, EVENT_IOVA + 0x4000, b, 2 * 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(hwpt_bitmap(&x, EVENT_IOVA + 0x4000, 2 * 4096, 4096,
			      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, bm),
		  0);
	EXPECT_EQ(*(uint64_t *)b, VFM_EVENT_MAGIC);
	EXPECT_EQ(bm[0], 1);
	EXPECT_EQ(ioas_unmap(&x, EVENT_IOVA + 0x4000, 2 * 4096, &done), 0);
	EXPECT_EQ(reg_rd(x.dev, VFM_REG_PAGES_WRITTEN), 1); /* once */
}

/*
 * A dirty_query event armed for a query already past (the harness read the
 * count, QEMU queried again before the arm arrived) fires at the next query,
 * once.  The mock's own rule, not the kernel's: see the README's events.
 */
TEST(event_dirty_query_armed_late_fires_at_the_next_query)
{
	json_t *(*handle)(json_t *) =
	    (json_t * (*)(json_t *)) dlsym(RTLD_DEFAULT, "control_handle");
	const uint64_t iova = 0x600000000000ULL;
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[1] = {0};
	json_t *r;

	ASSERT_TRUE(handle != NULL);
	ASSERT_EQ(ifd_open(&x, true), 0);
	ASSERT_EQ(ioas_map(&x, iova, b, 4096, FIXED_RW), 0);
	set_bme(x.dev, true);
	ASSERT_EQ(hwpt_dirty(&x, true), 0);
	ASSERT_EQ(hwpt_bitmap(&x, iova, 4096, 4096, 0, bm), 0);
	ASSERT_EQ(hwpt_bitmap(&x, iova, 4096, 4096, 0, bm), 0);
	r = handle(json_pack("{s:s, s:i, s:s, s:s, s:I, s:i, s:i}", VFM_CTL_CMD, VFM_CTL_DMA,
			     VFM_KEY_DEVICE, 0, VFM_KEY_ACTION, VFM_DMA_ARM, VFM_KEY_ON,
			     "dirty_query", VFM_KEY_IOVA, (json_int_t)iova, VFM_KEY_PAGES, 1,
			     VFM_KEY_N, 1));
	ASSERT_TRUE(r != NULL && json_is_true(json_object_get(r, VFM_REPLY_OK)));
	json_decref(r);
	EXPECT_EQ(*(uint64_t *)b, 0); /* armed, not yet due */
	ASSERT_EQ(hwpt_bitmap(&x, iova, 4096, 4096, 0, bm), 0);
	EXPECT_EQ(*(uint64_t *)b, VFM_EVENT_MAGIC);
	*(uint64_t *)b = 0;
	bm[0] = 0;
	ASSERT_EQ(hwpt_bitmap(&x, iova, 4096, 4096, 0, bm), 0);
	EXPECT_EQ(bm[0], 1);	      /* the event's write, seen by the query after it */
	EXPECT_EQ(*(uint64_t *)b, 0); /* and spent */
}

/*
 * The stale_mapping fault (armed in uapi-config.json for one page at
 * STALE_IOVA only): the unmap reports the page unmapped, the mapping stays
 * and the device still reaches it.  The coherence oracle's negative control.
 */
#define STALE_IOVA 0x700000000000ULL

TEST(fault_stale_mapping_type1_keeps_page)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, STALE_IOVA, b, 4096, RW), 0);
	ASSERT_EQ(t1_map(&t, STALE_IOVA + 4096, b + 4096, 4096, RW), 0);
	EXPECT_EQ(t1_unmap(&t, STALE_IOVA, 8192, 0, &done), 0);
	EXPECT_EQ(done, 8192); /* QEMU is told both went */
	EXPECT_EQ(t1_map(&t, STALE_IOVA, b, 4096, RW), -1);
	EXPECT_EQ(errno, EEXIST); /* the faulted page is still there */
	EXPECT_EQ(t1_map(&t, STALE_IOVA + 4096, b + 4096, 4096, RW), 0);
	set_bme(t.dev, true);
	EXPECT_EQ(fill(t.dev, STALE_IOVA, 1), 1);
	EXPECT_EQ(*(uint64_t *)b, VFM_FILL_MAGIC);
}

TEST(fault_stale_mapping_iommufd_keeps_page)
{
	struct ifd x;
	uint8_t *b = buf_alloc(MB);
	uint64_t done = 0;

	ASSERT_EQ(ifd_open(&x, false), 0);
	ASSERT_EQ(ioas_map(&x, STALE_IOVA, b, 4096, FIXED_RW), 0);
	EXPECT_EQ(ioas_unmap(&x, STALE_IOVA, 4096, &done), 0);
	EXPECT_EQ(done, 4096);
	EXPECT_EQ(ioas_map(&x, STALE_IOVA, b, 4096, FIXED_RW), -1);
	EXPECT_EQ(errno, EEXIST);
	/* Outside the fault's range an unmap really unmaps. */
	ASSERT_EQ(ioas_map(&x, STALE_IOVA + MB, b, 4096, FIXED_RW), 0);
	EXPECT_EQ(ioas_unmap(&x, STALE_IOVA + MB, 4096, &done), 0);
	EXPECT_EQ(ioas_map(&x, STALE_IOVA + MB, b, 4096, FIXED_RW), 0);
}

TEST(device_reset_clears_bus_master)
{
	struct t1 t;
	uint16_t cmd = 0;

	ASSERT_EQ(t1_open(&t, true), 0);
	set_bme(t.dev, true);
	reg_wr(t.dev, VFM_REG_MARKER, 42);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 42);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_RESET), 0);
	ASSERT_EQ(pread(t.dev, &cmd, 2, (off_t)(CFG_OFF + 4)), 2);
	EXPECT_EQ(cmd & 4, 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 0);
}

TEST(device_hot_reset_info_enospc_then_fill)
{
	struct t1 t;
	uint8_t
	    buf[sizeof(struct vfio_pci_hot_reset_info) + sizeof(struct vfio_pci_dependent_device)];
	struct vfio_pci_hot_reset_info *h = (void *)buf;

	ASSERT_EQ(t1_open(&t, true), 0);
	h->argsz = sizeof(*h);
	EXPECT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h), -1);
	EXPECT_EQ(errno, ENOSPC);
	EXPECT_EQ(h->count, 1);
	h->argsz = sizeof(buf);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h), 0);
	EXPECT_EQ(h->devices[0].group_id, 42);
	EXPECT_EQ(h->devices[0].bus, 1);
}

/* ================= DEVICE_FEATURE: migration ================= */

TEST(mig_feature_flags_and_probe)
{
	struct t1 t;
	struct vfio_device_feature_migration m = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m)),
	    0);
	EXPECT_EQ(m.flags, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY);
	/* SET is not an operation of MIGRATION. */
	EXPECT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m)),
	    -1);
	EXPECT_EQ(errno, EINVAL);
	/* GET and SET together only with PROBE. */
	EXPECT_EQ(feature(t.dev,
			  VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			  NULL, 0),
		  -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(feature(t.dev,
			  VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			      VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			  NULL, 0),
		  0);
	EXPECT_EQ(feature(t.dev,
			  VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			  NULL, 0),
		  0);
	/* Payload too short. */
	EXPECT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &m, 4),
		  -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | 30, NULL, 0), -1);
	EXPECT_EQ(errno, ENOTTY);
}

TEST(mig_fsm_arcs_and_data_fds)
{
	struct t1 t;
	int fd, fd2;

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(get_state(t.dev), VFIO_DEVICE_STATE_RUNNING);
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_ERROR, &fd), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_state(t.dev, 9, &fd), -1);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING_P2P, &fd), 0);
	EXPECT_EQ(fd, -1);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, &fd), 0);
	EXPECT_EQ(fd, -1);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd), 0);
	EXPECT_GE(fd, 0);
	/* The one refused combination: STOP_COPY cannot go back to PRE_COPY. */
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd2), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_state(t.dev), VFIO_DEVICE_STATE_STOP_COPY);
	/* Combination arc STOP_COPY -> RUNNING goes through STOP and RUNNING_P2P. */
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, &fd2), 0);
	EXPECT_EQ(fd2, -1);
	EXPECT_EQ(get_state(t.dev), VFIO_DEVICE_STATE_RUNNING);
	/* RUNNING -> PRE_COPY opens a data fd; PRE_COPY_P2P -> STOP_COPY keeps it. */
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	EXPECT_GE(fd, 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, &fd2), 0);
	EXPECT_EQ(fd2, -1);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd2), 0);
	EXPECT_EQ(fd2, -1);
	/* Combination RUNNING -> RESUMING: through RUNNING_P2P and STOP. */
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	EXPECT_GE(fd, 0);
}

TEST(mig_precopy_info_and_read_rules)
{
	struct t1 t;
	struct vfio_precopy_info p = {.argsz = sizeof(p)};
	uint8_t buf[8192];
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &p), 0);
	EXPECT_GE(p.initial_bytes, 1);
	EXPECT_EQ(p.dirty_bytes, 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), (ssize_t)p.initial_bytes);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), -1); /* nothing for now */
	EXPECT_EQ(errno, ENOMSG);
	ASSERT_EQ(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &p), 0);
	EXPECT_EQ(p.initial_bytes, 0);
	p.argsz = 8;
	EXPECT_EQ(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &p), -1);
	EXPECT_EQ(errno, EINVAL);
	p.argsz = sizeof(p);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	EXPECT_EQ(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &p), -1); /* not in pre-copy */
	EXPECT_EQ(errno, EINVAL);
	EXPECT_GT(read_all(fd, buf, sizeof(buf)), 0); /* stop-copy data then 0 */
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), -1); /* the fd is spent */
}

TEST(mig_data_size)
{
	struct t1 t;
	struct vfio_device_feature_mig_data_size s = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &s,
			  sizeof(s)),
		  0);
	EXPECT_GE(s.stop_copy_length, 1);
}

/*
 * Not a kernel rule but the test double's own control: a device holding
 * pre-copy open claims its held bytes in MIG_DATA_SIZE too, the one device
 * figure in QEMU's exact pending count (vfio_state_pending_exact()).
 */
TEST(mig_data_size_counts_held_bytes)
{
	struct t1 t, h;
	struct vfio_device_feature_mig_data_size s = {0}, sh = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_open_dev(&h, 49, "0000:01:00.1", true), 0);
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &s,
			  sizeof(s)),
		  0);
	ASSERT_EQ(feature(h.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &sh,
			  sizeof(sh)),
		  0);
	EXPECT_EQ(sh.stop_copy_length, s.stop_copy_length + 0x200000);
}

/*
 * The under_report fault (the downtime suite's negative control): a device
 * that tells QEMU a quarter of what it will send, in MIG_DATA_SIZE and in
 * PRECOPY_INFO, while sending all of it.
 */
TEST(fault_under_report_quarters_pending)
{
	struct t1 t, u;
	struct vfio_device_feature_mig_data_size s = {0}, su = {0};
	struct vfio_precopy_info p = {.argsz = sizeof(p)}, pu = {.argsz = sizeof(p)};
	uint8_t buf[8192];
	int fd, fdu;

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_open_dev(&u, 50, "0000:01:00.2", true), 0);
	ASSERT_EQ(feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &s,
			  sizeof(s)),
		  0);
	ASSERT_EQ(feature(u.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &su,
			  sizeof(su)),
		  0);
	EXPECT_EQ(su.stop_copy_length, s.stop_copy_length / 4);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd), 0);
	ASSERT_EQ(set_state(u.dev, VFIO_DEVICE_STATE_PRE_COPY, &fdu), 0);
	ASSERT_EQ(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &p), 0);
	ASSERT_EQ(ioctl(fdu, VFIO_MIG_GET_PRECOPY_INFO, &pu), 0);
	EXPECT_EQ(pu.initial_bytes, p.initial_bytes / 4);
	/* What is read is all of it. */
	EXPECT_EQ(read(fdu, buf, sizeof(buf)), (ssize_t)p.initial_bytes);
}

/*
 * The tracking_kept fault (the lifecycle suite's negative control): a
 * device acknowledges DMA_LOGGING_STOP but goes on logging, so a report
 * still succeeds where a stopped device refuses it
 * (vfio_ioctl_device_feature_logging_report() needs log_start).
 */
TEST(fault_tracking_kept_logging_stays_on)
{
	struct t1 t, u;
	struct vfio_device_feature_dma_logging_range r = {IOVA_BASE, MB};
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[8] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_open_dev(&u, 50, "0000:01:00.2", true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, MB, RW), 0);
	ASSERT_EQ(log_start(t.dev, 4096, &r, 1), 0);
	ASSERT_EQ(log_start(u.dev, 4096, &r, 1), 0);
	EXPECT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0),
	    0);
	EXPECT_EQ(
	    feature(u.dev, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0),
	    0);
	EXPECT_EQ(log_report(t.dev, IOVA_BASE, MB, 4096, bm), -1); /* really stopped */
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(log_report(u.dev, IOVA_BASE, MB, 4096, bm), 0); /* still logging */
}

TEST(mig_resume_roundtrip)
{
	struct t1 t;
	uint8_t buf[8192];
	size_t n;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	reg_wr(t.dev, VFM_REG_MARKER, 0x1234);
	reg_wr(t.dev, VFM_REG_FILL_SEED, 99);
	n = save_stream(t.dev, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_RESET), 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	ASSERT_EQ(write(fd, buf, n / 2), (ssize_t)(n / 2));
	ASSERT_EQ(write(fd, buf + n / 2, n - n / 2), (ssize_t)(n - n / 2));
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, NULL), 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 0x1234);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_FILL_SEED), 99);
}

/*
 * Closing the data fd does not discard what was written in RESUMING: the
 * state is applied when the device leaves RESUMING (QEMU closes the fd at the
 * end of the incoming migration and changes state only when the VM starts).
 */
TEST(mig_resume_state_survives_data_fd_close)
{
	struct t1 t;
	uint8_t buf[8192];
	size_t n;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	reg_wr(t.dev, VFM_REG_MARKER, 0x4321);
	n = save_stream(t.dev, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_RESET), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	ASSERT_EQ(write(fd, buf, n), (ssize_t)n);
	ASSERT_EQ(close(fd), 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, NULL), 0);
	EXPECT_EQ(reg_rd(t.dev, VFM_REG_MARKER), 0x4321);
}

TEST(mig_resume_corrupt_stream_refused)
{
	struct t1 t;
	uint8_t buf[8192];
	size_t n;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	n = save_stream(t.dev, buf, sizeof(buf));
	ASSERT_GT(n, 32);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	buf[n - 5] ^= 1;
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	EXPECT_EQ(write(fd, buf, n), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_state(t.dev), VFIO_DEVICE_STATE_RESUMING);
}

TEST(mig_resume_truncated_stream_refused)
{
	struct t1 t;
	uint8_t buf[8192];
	size_t n;
	int fd;

	ASSERT_EQ(t1_open(&t, true), 0);
	n = save_stream(t.dev, buf, sizeof(buf));
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RESUMING, &fd), 0);
	ASSERT_EQ(write(fd, buf, n - 8), (ssize_t)(n - 8));
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(mig_dma_only_in_running_states)
{
	struct t1 t;
	uint8_t *b = buf_alloc(MB);

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, MB, RW), 0);
	set_bme(t.dev, true);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 1);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING_P2P, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 0);
	ASSERT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING, NULL), 0);
	EXPECT_EQ(fill(t.dev, IOVA_BASE, 1), 1);
}

/* ================= DEVICE_FEATURE: DMA logging ================= */

TEST(dma_logging_start_rules)
{
	struct t1 t;
	static struct vfio_device_feature_dma_logging_range r[300];
	int i;

	ASSERT_EQ(t1_open(&t, true), 0);
	for (i = 0; i < 300; i++) {
		r[i].iova = IOVA_BASE + (uint64_t)i * MB;
		r[i].length = MB;
	}
	EXPECT_EQ(log_start(t.dev, 4096, r, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(log_start(t.dev, 4096, r, 257), -1);
	EXPECT_EQ(errno, E2BIG);
	r[0].iova += 4096 / 2; /* not aligned to the page size */
	EXPECT_EQ(log_start(t.dev, 4096, r, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	r[0].iova -= 4096 / 2;
	r[1].iova = r[0].iova + 4096; /* overlaps range 0 */
	EXPECT_EQ(log_start(t.dev, 4096, r, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	r[1].iova = r[0].iova + MB;
	EXPECT_EQ(log_start(t.dev, 4096, r, 2), 0);
	EXPECT_EQ(log_start(t.dev, 4096, r, 2), -1); /* already started */
}

TEST(dma_logging_report_read_and_clear)
{
	struct t1 t;
	struct vfio_device_feature_dma_logging_range r = {IOVA_BASE, MB};
	uint8_t *b = buf_alloc(MB);
	uint64_t bm[8] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, MB, RW), 0);
	set_bme(t.dev, true);
	EXPECT_EQ(log_report(t.dev, IOVA_BASE, MB, 4096, bm), -1); /* not started */
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(log_start(t.dev, 4096, &r, 1), 0);
	ASSERT_EQ(fill(t.dev, IOVA_BASE + 5 * 4096, 1), 1);
	ASSERT_EQ(fill(t.dev, IOVA_BASE + 64 * 4096, 1), 1);
	EXPECT_EQ(log_report(t.dev, IOVA_BASE, 2 * MB, 4096, bm), -1); /* outside the ranges */
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(log_report(t.dev, IOVA_BASE, MB, 1000, bm), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(log_report(t.dev, IOVA_BASE, 64 * 4096, 4096, bm), 0);
	EXPECT_EQ(bm[0], 1ULL << 5);
	EXPECT_EQ(bm[1], 0); /* page 64 is outside this report and stays pending */
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(log_report(t.dev, IOVA_BASE, MB, 4096, bm), 0);
	EXPECT_EQ(bm[0], 0);
	EXPECT_EQ(bm[1], 1);
	memset(bm, 0, sizeof(bm));
	ASSERT_EQ(log_report(t.dev, IOVA_BASE, MB, 4096, bm), 0);
	EXPECT_EQ(bm[1], 0);
}

TEST(dma_logging_page_size_granularity)
{
	struct t1 t;
	struct vfio_device_feature_dma_logging_range r = {IOVA_BASE, 4 * MB};
	uint8_t *b = buf_alloc(4 * MB);
	uint64_t bm[16] = {0};

	ASSERT_EQ(t1_open(&t, true), 0);
	ASSERT_EQ(t1_map(&t, IOVA_BASE, b, 4 * MB, RW), 0);
	set_bme(t.dev, true);
	ASSERT_EQ(log_start(t.dev, 2 * MB, &r, 1), 0);
	ASSERT_EQ(fill(t.dev, IOVA_BASE + 2 * MB + 4096, 1), 1);
	ASSERT_EQ(log_report(t.dev, IOVA_BASE, 4 * MB, 4096, bm), 0);
	EXPECT_EQ(bm[0], 0);
	EXPECT_EQ(bm[8], ~0ULL); /* the whole 2 MiB tracking page */
	EXPECT_EQ(bm[15], ~0ULL);
}

/* ================= personality: old kernel, plain device ================= */

TEST(old_no_change_process_enotty)
{
	int i = open("/dev/iommu", O_RDWR);
	struct iommu_ioas_change_process p = {.size = sizeof(p)};

	ASSERT_GE(i, 0);
	EXPECT_EQ(ioctl(i, IOMMU_IOAS_CHANGE_PROCESS, &p), -1);
	EXPECT_EQ(errno, ENOTTY);
}

TEST(old_no_iommu_dirty_tracking)
{
	struct ifd x;
	struct iommu_hw_info h = {.size = sizeof(h)};
	struct iommu_hwpt_alloc a = {.size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING};

	ASSERT_NE(ifd_open(&x, true), 0); /* HWPT_ALLOC with DIRTY_TRACKING fails */
	h.dev_id = x.devid;
	ASSERT_EQ(ioctl(x.iommufd, IOMMU_GET_HW_INFO, &h), 0);
	EXPECT_FALSE(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	a.dev_id = x.devid;
	a.pt_id = x.ioas;
	EXPECT_EQ(ioctl(x.iommufd, IOMMU_HWPT_ALLOC, &a), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST(old_no_dma_logging_no_precopy_no_p2p)
{
	struct t1 t;
	struct vfio_device_feature_migration m = {0};
	struct vfio_irq_info q = {.argsz = sizeof(q), .index = VFIO_PCI_INTX_IRQ_INDEX};

	ASSERT_EQ(t1_open(&t, true), 0);
	EXPECT_EQ(feature(t.dev,
			  VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			  NULL, 0),
		  -1);
	EXPECT_EQ(errno, ENOTTY);
	ASSERT_EQ(
	    feature(t.dev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m)),
	    0);
	EXPECT_EQ(m.flags, VFIO_MIGRATION_STOP_COPY);
	/* Without P2P, RUNNING -> STOP is a direct arc; P2P states are invalid. */
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_RUNNING_P2P, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_PRE_COPY, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_state(t.dev, VFIO_DEVICE_STATE_STOP, NULL), 0);
	ASSERT_EQ(ioctl(t.dev, VFIO_DEVICE_GET_IRQ_INFO, &q), 0);
	EXPECT_EQ(q.count, 0); /* no INTx pin */
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
