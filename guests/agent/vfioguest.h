/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfioguest.h: in-guest VFIO type1 on the device pcisys remembers.
 *
 * The stages Linux goes through (container and group, SET_CONTAINER,
 * SET_IOMMU, the device fd), one at a time so the host sees each domain
 * switch; then config space and the BARs through the device's regions
 * (mmap when VFIO allows it, else pread/pwrite).  DMA buffers mapped into
 * the container are dmabuf's.
 */
#ifndef MIGCHECK_AGENT_VFIOGUEST_H
#define MIGCHECK_AGENT_VFIOGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* The device the open VFIO device fd is for ("" before the device stage). */
const char *vfio_device_bdf(void);
/* The container fd once the IOMMU is set, else -1 with devio_error() set. */
int vfio_container_fd(void);

/* BAR0's access path: "mmap" or "pread" after the first access, else "none". */
const char *vfio_bar_path(void);
int vfio_cfg_read(unsigned off, void *buf, size_t len);
int vfio_cfg_write(unsigned off, const void *buf, size_t len);
/* A 4- or 8-byte register of BAR `bar` through the device's region. */
int vfio_bar_read(int bar, unsigned off, size_t width, uint64_t *val);
int vfio_bar_write(int bar, unsigned off, size_t width, uint64_t val);

#endif /* MIGCHECK_AGENT_VFIOGUEST_H */
