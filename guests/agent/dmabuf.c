// SPDX-License-Identifier: GPL-2.0-or-later
/* dmabuf.c: DMA memory the agent owns. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "devio.h"
#include "dmabuf.h"
#include "vfioguest.h"

#define HUGE_PAGE (2ull << 20)
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define LIVE_MAX 16

static struct vfio_buf bufs[VFIOBUF_MAX];
static size_t nbufs;
/* Live driver buffers, for dmabuf_resolve(). */
static struct dmabuf live[LIVE_MAX];

static int dma_map(int container, uint64_t iova, void *va, uint64_t size, bool write)
{
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m),
	    .flags = VFIO_DMA_MAP_FLAG_READ | (write ? VFIO_DMA_MAP_FLAG_WRITE : 0),
	    .vaddr = (uintptr_t)va,
	    .iova = iova,
	    .size = size,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m) < 0)
		return devio_fail(errno, "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx",
				  (unsigned long long)iova, (unsigned long long)size);
	return 0;
}

static int dma_unmap(int container, uint64_t iova, uint64_t size, uint64_t *bytes)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = size};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		return devio_fail(errno, "VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx",
				  (unsigned long long)iova, (unsigned long long)size);
	*bytes += u.size;
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void buf_free(struct vfio_buf *b)
{
	munmap(b->mem, b->pages * DEVIO_PAGE);
}

static char devmem[256] = "/dev/mem";

void dmabuf_set_devmem(const char *path)
{
	snprintf(devmem, sizeof(devmem), "%s", path);
}

/* `size` bytes of guest physical memory from phys, through the devmem file. */
static void *phys_map(uint64_t phys, uint64_t size)
{
	int fd = open(devmem, O_RDWR | O_SYNC | O_CLOEXEC);
	void *p;

	if (fd < 0) {
		devio_fail(errno, "open %s", devmem);
		return MAP_FAILED;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)phys);
	if (p == MAP_FAILED)
		devio_fail(errno, "mmap %s at 0x%llx", devmem, (unsigned long long)phys);
	close(fd);
	return p;
}

int vfiobuf_map(uint64_t iova, uint64_t pages, bool write, bool each, uint64_t phys)
{
	struct vfio_buf *b;
	uint64_t size = pages * DEVIO_PAGE, i, bytes = 0;
	int container = vfio_container_fd(), ret;
	size_t k;

	if (container < 0)
		return container;
	if (!pages || pages > (1ull << 20) || iova % DEVIO_PAGE || iova + size < iova)
		return devio_refuse(EINVAL, "bad range iova 0x%llx pages %llu",
				    (unsigned long long)iova, (unsigned long long)pages);
	if (nbufs == VFIOBUF_MAX)
		return devio_refuse(ENOSPC, "too many buffers (%d)", VFIOBUF_MAX);
	for (k = 0; k < nbufs; k++) {
		if (overlaps(iova, size, bufs[k].iova, bufs[k].pages * DEVIO_PAGE))
			return devio_refuse(EEXIST, "iova 0x%llx overlaps a mapped buffer",
					    (unsigned long long)iova);
	}
	if (phys % DEVIO_PAGE || phys + size < phys)
		return devio_refuse(EINVAL, "bad physical address 0x%llx",
				    (unsigned long long)phys);
	b = &bufs[nbufs];
	if (phys) {
		b->mem = phys_map(phys, size);
		if (b->mem == MAP_FAILED)
			return -EIO;
	} else {
		b->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (b->mem == MAP_FAILED)
			return devio_fail(errno, "mmap %llu pages", (unsigned long long)pages);
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
		ret = dma_map(container, iova, b->mem, size, write);
	} else {
		for (ret = 0, i = 0; i < pages && !ret; i++)
			ret = dma_map(container, iova + i * DEVIO_PAGE, b->mem + i * DEVIO_PAGE,
				      DEVIO_PAGE, write);
		if (ret && i > 1)
			dma_unmap(container, iova, (i - 1) * DEVIO_PAGE, &bytes);
	}
	if (ret) {
		munmap(b->mem, size);
		return ret;
	}
	nbufs++;
	return 0;
}

int vfiobuf_unmap(uint64_t iova, uint64_t pages, bool each, uint64_t *bytes)
{
	uint64_t size = pages * DEVIO_PAGE, i;
	int container = vfio_container_fd(), ret = 0;
	size_t k, n = 0;

	*bytes = 0;
	if (container < 0)
		return container;
	for (k = 0; k < nbufs; k++) {
		const struct vfio_buf *b = &bufs[k];
		uint64_t blen = b->pages * DEVIO_PAGE;

		if (!overlaps(iova, size, b->iova, blen))
			continue;
		if (b->iova < iova || b->iova + blen > iova + size)
			return devio_refuse(
			    EINVAL, "range cuts the buffer at iova 0x%llx (%llu pages)",
			    (unsigned long long)b->iova, (unsigned long long)b->pages);
		n++;
	}
	if (!n)
		return devio_refuse(ENOENT, "no buffer in iova 0x%llx + %llu pages",
				    (unsigned long long)iova, (unsigned long long)pages);
	if (!each)
		ret = dma_unmap(container, iova, size, bytes);
	for (k = 0; k < nbufs && !ret;) {
		struct vfio_buf *b = &bufs[k];

		if (!overlaps(iova, size, b->iova, b->pages * DEVIO_PAGE)) {
			k++;
			continue;
		}
		for (i = 0; each && i < b->pages && !ret; i++)
			ret = dma_unmap(container, b->iova + i * DEVIO_PAGE, DEVIO_PAGE, bytes);
		if (ret)
			break;
		buf_free(b);
		memmove(b, b + 1, (nbufs - k - 1) * sizeof(*b));
		nbufs--;
	}
	return ret;
}

int vfiobuf_unmap_all(void)
{
	uint64_t bytes;
	int ret;

	while (nbufs) {
		ret = vfiobuf_unmap(bufs[0].iova, bufs[0].pages, false, &bytes);
		if (ret)
			return ret;
	}
	return 0;
}

void vfiobuf_forget_all(void)
{
	size_t i;

	for (i = 0; i < nbufs; i++)
		buf_free(&bufs[i]);
	nbufs = 0;
	/* Driver buffers through VFIO went with them. */
	for (i = 0; i < LIVE_MAX; i++)
		if (live[i].vfio)
			memset(&live[i], 0, sizeof(live[i]));
}

size_t vfiobuf_count(void)
{
	return nbufs;
}

const struct vfio_buf *vfiobuf_at(size_t i)
{
	return i < nbufs ? &bufs[i] : NULL;
}

uint8_t *vfiobuf_page(uint64_t iova, bool *write)
{
	size_t k;

	for (k = 0; k < nbufs; k++) {
		const struct vfio_buf *b = &bufs[k];

		if (iova >= b->iova && iova < b->iova + b->pages * DEVIO_PAGE) {
			if (write)
				*write = b->write;
			return b->mem + (iova - b->iova) / DEVIO_PAGE * DEVIO_PAGE;
		}
	}
	return NULL;
}

int vfiobuf_gpa(const uint8_t *va, uint64_t *gpa)
{
	size_t k;

	for (k = 0; k < nbufs; k++) {
		const struct vfio_buf *b = &bufs[k];

		if (b->phys && va >= b->mem && va < b->mem + b->pages * DEVIO_PAGE) {
			*gpa = b->phys + (uint64_t)(va - b->mem) / DEVIO_PAGE * DEVIO_PAGE;
			return 0;
		}
	}
	return pagemap_gpa(va, gpa);
}

int pagemap_gpa(const void *va, uint64_t *gpa)
{
	uint64_t ent;
	ssize_t n;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return devio_fail(errno, "open /proc/self/pagemap");
	n = pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)va / DEVIO_PAGE * sizeof(ent)));
	close(fd);
	if (n != sizeof(ent))
		return devio_fail(n < 0 ? errno : EIO, "read /proc/self/pagemap");
	if (!(ent >> 63))
		return devio_fail(EFAULT, "page not present");
	ent &= (1ull << 55) - 1;
	/* Without CAP_SYS_ADMIN the kernel hides the frame number. */
	if (!ent)
		return devio_fail(EPERM, "pagemap hides the frame number");
	*gpa = ent * DEVIO_PAGE + (uintptr_t)va % DEVIO_PAGE;
	return 0;
}

/* ---- driver buffers ---- */

/* Asks the kernel for `more` huge pages than it holds now. */
static int more_huge_pages(unsigned long more)
{
	char text[32];
	unsigned long now = 0;
	ssize_t n;
	int fd = open(NR_HUGEPAGES, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, text, sizeof(text) - 1, 0);
	if (n > 0) {
		text[n] = '\0';
		now = strtoul(text, NULL, 10);
	}
	n = snprintf(text, sizeof(text), "%lu\n", now + more);
	n = pwrite(fd, text, (size_t)n, 0) < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

__attribute__((weak)) int dmabuf_identity_alloc(uint64_t pages, uint8_t **va, size_t *len,
						uint64_t *addr)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE;
	void *p;
	int ret;

	if (pages > DMABUF_IDENTITY_MAX_PAGES)
		return devio_refuse(EINVAL,
				    "%llu pages without translation: at most %d (one huge page)",
				    (unsigned long long)pages, DMABUF_IDENTITY_MAX_PAGES);
	/* One huge page is physically contiguous: the device gets one range. */
	*len = HUGE_PAGE;
	p = mmap(NULL, HUGE_PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED && errno == ENOMEM && more_huge_pages(1) == 0)
		p = mmap(NULL, HUGE_PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return devio_fail(errno, "a huge page for %llu contiguous DMA pages (%s)",
				  (unsigned long long)pages, NR_HUGEPAGES);
	mlock(p, HUGE_PAGE);
	memset(p, 0, HUGE_PAGE);
	ret = pagemap_gpa(p, addr);
	if (ret) {
		munmap(p, HUGE_PAGE);
		return ret;
	}
	*va = p;
	return 0;
}

/* The lowest free IOVA at or above the driver window that holds `size` bytes. */
static uint64_t free_iova(uint64_t size)
{
	uint64_t iova = DMABUF_IOVA_BASE;
	bool moved = true;
	size_t k;

	while (moved) {
		moved = false;
		for (k = 0; k < nbufs; k++) {
			uint64_t end = bufs[k].iova + bufs[k].pages * DEVIO_PAGE;

			if (overlaps(iova, size, bufs[k].iova, bufs[k].pages * DEVIO_PAGE)) {
				iova = end;
				moved = true;
			}
		}
	}
	return iova;
}

static void live_add(const struct dmabuf *b)
{
	int i;

	for (i = 0; i < LIVE_MAX; i++) {
		if (!live[i].va) {
			live[i] = *b;
			return;
		}
	}
}

static void live_del(const struct dmabuf *b)
{
	int i;

	for (i = 0; i < LIVE_MAX; i++)
		if (live[i].va == b->va)
			memset(&live[i], 0, sizeof(live[i]));
}

int dmabuf_alloc(bool vfio, uint64_t pages, struct dmabuf *b)
{
	uint64_t iova;
	size_t len;
	int ret, used = 0, i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < LIVE_MAX; i++)
		used += live[i].va != NULL;
	if (used == LIVE_MAX)
		return devio_refuse(ENOSPC, "too many DMA buffers (%d)", LIVE_MAX);
	if (!pages)
		return devio_refuse(EINVAL, "a DMA buffer of 0 pages");
	if (vfio) {
		iova = free_iova(pages * DEVIO_PAGE);
		ret = vfiobuf_map(iova, pages, true, false, 0);
		if (ret)
			return ret;
		b->va = vfiobuf_page(iova, NULL);
		b->addr = iova;
	} else {
		ret = dmabuf_identity_alloc(pages, &b->va, &len, &b->addr);
		if (ret)
			return ret;
		b->maplen = len;
	}
	b->pages = pages;
	b->vfio = vfio;
	live_add(b);
	return 0;
}

void dmabuf_free(struct dmabuf *b)
{
	uint64_t bytes;

	if (!b->va)
		return;
	live_del(b);
	if (b->vfio) {
		/* A closed container already took it. */
		if (vfiobuf_page(b->addr, NULL))
			vfiobuf_unmap(b->addr, b->pages, false, &bytes);
	} else {
		munmap(b->va, b->maplen);
	}
	memset(b, 0, sizeof(*b));
}

int dmabuf_gpa(const struct dmabuf *b, uint64_t index, uint64_t *gpa)
{
	if (index >= b->pages)
		return devio_refuse(EINVAL, "page %llu of a %llu-page buffer",
				    (unsigned long long)index, (unsigned long long)b->pages);
	return pagemap_gpa(b->va + index * DEVIO_PAGE, gpa);
}

void *dmabuf_resolve(uint64_t addr, uint64_t len)
{
	int i;

	for (i = 0; i < LIVE_MAX; i++) {
		const struct dmabuf *b = &live[i];

		if (b->va && addr >= b->addr && len <= b->pages * DEVIO_PAGE &&
		    addr - b->addr <= b->pages * DEVIO_PAGE - len)
			return b->va + (addr - b->addr);
	}
	return NULL;
}
