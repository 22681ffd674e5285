/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmabuf.h: memory the agent owns for device DMA, and where it sits.
 *
 * Two kinds: VFIO buffers, locked pages mapped into the in-guest VFIO
 * container at an IOVA (MAP_DMA, one per buffer or one per page), and
 * driver buffers: one range of device addresses a driver hands its device,
 * either a VFIO buffer at an IOVA the agent picks or, with no translation
 * (no vIOMMU, or an identity domain), a huge page whose guest physical
 * address the device uses directly.  pagemap_gpa() says where any page of
 * the agent lives in guest physical memory.
 */
#ifndef MIGCHECK_AGENT_DMABUF_H
#define MIGCHECK_AGENT_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFIOBUF_MAX 64
/* Driver buffers through VFIO sit above this IOVA (inside a 39-bit aperture). */
#define DMABUF_IOVA_BASE 0x4000000000ull
/* A driver buffer without translation is one 2 MiB huge page at most. */
#define DMABUF_IDENTITY_MAX_PAGES 512

/* ---- VFIO buffers ---- */

struct vfio_buf {
	uint64_t iova, pages;
	uint8_t *mem;
	uint64_t phys; /* nonzero: guest physical memory at phys, through the devmem file */
	bool write, each;
};

/* The file that exposes guest physical memory (default /dev/mem), for tests. */
void dmabuf_set_devmem(const char *path);
/*
 * Allocates `pages` locked, zeroed pages and maps them at iova (read-only
 * unless write), in one MAP_DMA or, with each, one per page (a storm).
 * With phys (page aligned, nonzero) the buffer is guest physical memory
 * from phys instead, mapped from the devmem file: memory the kernel was
 * told to leave alone (memmap=...$...), at an address the caller chose.
 */
int vfiobuf_map(uint64_t iova, uint64_t pages, bool write, bool each, uint64_t phys);
/*
 * Unmaps every buffer inside [iova, iova + pages): one UNMAP_DMA for the
 * whole range (the kernel batches its invalidations) or, with each, one per
 * page.  The range must not cut a buffer.  *bytes: what VFIO unmapped.
 */
int vfiobuf_unmap(uint64_t iova, uint64_t pages, bool each, uint64_t *bytes);
size_t vfiobuf_count(void);
const struct vfio_buf *vfiobuf_at(size_t i);
/* The buffer page behind an IOVA, or NULL. */
uint8_t *vfiobuf_page(uint64_t iova, bool *write);
/* One UNMAP_DMA per buffer, all of them (before the container closes). */
int vfiobuf_unmap_all(void);
/* The container is gone and took the mappings with it: free the memory. */
void vfiobuf_forget_all(void);

/* ---- where pages are ---- */

/* Guest physical address of a page of this process (/proc/self/pagemap). */
int pagemap_gpa(const void *va, uint64_t *gpa);
/* The same for a page of a VFIO buffer (a phys buffer knows its own). */
int vfiobuf_gpa(const uint8_t *va, uint64_t *gpa);

/* ---- driver buffers ---- */

struct dmabuf {
	uint8_t *va;
	uint64_t addr; /* what the device is given: IOVA through VFIO, else guest physical */
	uint64_t pages;
	bool vfio;
	size_t maplen; /* without translation: the mapping's length */
};

/* A zeroed buffer of `pages` contiguous device addresses. */
int dmabuf_alloc(bool vfio, uint64_t pages, struct dmabuf *b);
void dmabuf_free(struct dmabuf *b);
/* Guest physical address of page `index` (for the host's negative controls). */
int dmabuf_gpa(const struct dmabuf *b, uint64_t index, uint64_t *gpa);
/*
 * The memory behind device addresses [addr, addr + len) when one live
 * driver buffer holds them all, else NULL: what an IOMMU would let a device
 * model inside the agent reach.
 */
void *dmabuf_resolve(uint64_t addr, uint64_t len);

/*
 * Physically contiguous memory without translation: a huge page and its
 * guest physical address.  A test build of the agent, whose devices are
 * models inside the agent, replaces it (the device address is then the
 * virtual one).
 */
int dmabuf_identity_alloc(uint64_t pages, uint8_t **va, size_t *len, uint64_t *addr);

#endif /* MIGCHECK_AGENT_DMABUF_H */
