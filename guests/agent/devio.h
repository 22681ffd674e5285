/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devio.h: the mock DMA device seen from inside the guest.
 *
 * Two ways in, as a Linux user would have them: sysfs (find the device,
 * bind and unbind drivers, switch the iommu_group's default domain type,
 * config space through the config file, BAR0 through an mmap of resource0)
 * and in-guest VFIO type1 (container and group, SET_IOMMU, the device fd,
 * MAP_DMA/UNMAP_DMA of buffers the agent owns, config and BAR0 through the
 * device's regions).  Every function returns 0 or a negative errno and
 * leaves a one-line explanation in devio_error().
 */
#ifndef MIGCHECK_AGENT_DEVIO_H
#define MIGCHECK_AGENT_DEVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The mock device's registers and stamps. */
#include "vfiomock-abi.h"

#define DEVIO_PAGE 4096ull
#define DEVIO_MAX_BUFS 64

/* Where sysfs is (tests point it at a fake tree); default "/sys". */
void devio_set_sysfs(const char *root);
const char *devio_error(void);

struct devio_info {
	char bdf[32];
	int group;	 /* -1: no iommu_group (no IOMMU) */
	char driver[64]; /* "" when none is bound */
	char type[32];	 /* the group's default domain type, "" if unknown */
	uint16_t vendor, device;
};

/* Finds the first PCI function vendor:device and remembers it. */
int devio_find(uint16_t vendor, uint16_t device, struct devio_info *out);
/* The remembered device, re-read (driver, type). */
int devio_info(struct devio_info *out);
/* driver_override + bind; unbind (and clear driver_override). */
int devio_bind(const char *driver);
int devio_unbind(void);
/* Writes the group's type file ("identity", "DMA", "DMA-FQ", "auto"). */
int devio_group_type(const char *type, char *readback, size_t size);

/* Config space and BAR0 through sysfs (config file, resource0 mmap). */
/* Keeps the device in D0 (power/control "on"): BARs decode again. */
int devio_sysfs_wake(void);
int devio_sysfs_cfg_read(unsigned off, void *buf, size_t len);
int devio_sysfs_cfg_write(unsigned off, const void *buf, size_t len);
int devio_sysfs_bar_read(unsigned off, uint64_t *val);
int devio_sysfs_bar_write(unsigned off, uint64_t val);
void devio_sysfs_bar_close(void);

/* ---- VFIO ---- */

enum vfio_stage {
	VFIO_NONE,	/* nothing open */
	VFIO_GROUP,	/* container and group fds open */
	VFIO_CONTAINER, /* SET_CONTAINER: the group is claimed (blocked domain) */
	VFIO_IOMMU,	/* SET_IOMMU(TYPE1v2): the unmanaged domain is attached */
	VFIO_DEVICE,	/* the device fd is open */
};
const char *vfio_stage_name(enum vfio_stage s);
int vfio_stage_parse(const char *name, enum vfio_stage *out);
enum vfio_stage vfio_stage_now(void);

/* Opens up to `upto` (from wherever it is now). */
int vfio_open_upto(enum vfio_stage upto);
/* Closes everything; with unmap_first, unmaps every buffer before. */
int vfio_close_all(bool unmap_first);
/* BAR0 access through the device fd: "mmap" or "pread" after the first access. */
const char *vfio_bar_path(void);
int vfio_cfg_read(unsigned off, void *buf, size_t len);
int vfio_cfg_write(unsigned off, const void *buf, size_t len);
int vfio_bar_read(unsigned off, uint64_t *val);
int vfio_bar_write(unsigned off, uint64_t val);

/* An agent-owned buffer mapped for DMA at a chosen IOVA. */
struct vfio_buf {
	uint64_t iova, pages;
	uint8_t *mem;
	uint64_t phys; /* nonzero: guest physical memory at phys, through the devmem file */
	bool write, each;
};

/* The file that exposes guest physical memory (default /dev/mem), for tests. */
void devio_set_devmem(const char *path);

/*
 * Allocates `pages` locked pages and maps them at iova (read-only unless
 * write), in one MAP_DMA or, with each, one per page (a storm).  With phys
 * (page aligned, nonzero) the buffer is guest physical memory from phys
 * instead, mapped from the devmem file: memory the kernel was told to
 * leave alone (memmap=...$...), at an address the caller chose.
 */
int vfio_map(uint64_t iova, uint64_t pages, bool write, bool each, uint64_t phys);
/*
 * Unmaps every buffer inside [iova, iova + pages): one UNMAP_DMA for the
 * whole range (the kernel batches its invalidations) or, with each, one per
 * page.  The range must not cut a buffer.  *bytes: what VFIO unmapped.
 */
int vfio_unmap(uint64_t iova, uint64_t pages, bool each, uint64_t *bytes);
size_t vfio_buf_count(void);
const struct vfio_buf *vfio_buf_at(size_t i);
/* The buffer page behind an IOVA, or NULL. */
uint8_t *vfio_buf_page(uint64_t iova, bool *write);

/* Guest physical address of a page of this process (/proc/self/pagemap). */
int devio_gpa(const void *va, uint64_t *gpa);
/* The same for a page of a VFIO buffer (a phys buffer knows its own). */
int vfio_buf_gpa(const uint8_t *va, uint64_t *gpa);

/* ---- the mock's one-shot fill ---- */

struct fill_result {
	uint64_t status, written, faulted;
	uint64_t landed; /* pages of agent buffers that hold the fill */
	uint64_t in_buffers;
};

/* Clears the counters, fires a fill, reads the result registers. */
int devio_fill(bool via_vfio, uint64_t iova, uint64_t pages, uint64_t seed, struct fill_result *r);
/* Whether page i of a fill with seed sits at mem. */
bool devio_fill_landed(const void *mem, uint64_t seed, uint64_t i);

#endif /* MIGCHECK_AGENT_DEVIO_H */
