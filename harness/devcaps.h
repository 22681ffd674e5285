/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devcaps.h: what a host device and the host offer for migration, asked of
 * the kernel's VFIO and IOMMUFD user API (never inferred from names).
 *
 * Through the type1 group: VFIO_DEVICE_FEATURE_MIGRATION and its flags
 * (STOP_COPY, P2P, PRE_COPY), a PROBE of DMA_LOGGING_START (device dirty
 * tracking) and of MIG_PRECOPY_INFOv2 (Linux 7.1), the device's regions and
 * IRQs.  Through iommufd and the device's cdev: IOMMU_GET_HW_INFO, whose
 * capabilities say whether the IOMMU tracks dirty pages.  And the kernel's
 * debugfs vfio/<dev>/migration/features where it exists (6.18 and later).
 * Everything is opened and closed again: the device is left as it was found.
 */
#ifndef MIGCHECK_DEVCAPS_H
#define MIGCHECK_DEVCAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 (Linux 7.1), newer than the headers here. */
#define DEVCAPS_FEATURE_PRECOPY_INFOV2 12

struct devcaps {
	/* type1 */
	bool migration; /* VFIO_DEVICE_FEATURE_MIGRATION answered */
	int migration_errno;
	uint64_t mig_flags;
	bool stop_copy, p2p, precopy;
	bool dma_logging;
	int dma_logging_errno;
	bool precopy_info_v2;
	int precopy_info_v2_errno;
	uint32_t regions, irqs;
	bool reset;
	/* iommufd */
	bool iommufd; /* the device bound to an iommufd and answered GET_HW_INFO */
	char iommufd_error[160];
	bool iommu_dirty;
	uint64_t iommu_caps;
	uint32_t iommu_hw_type;
	/* debugfs */
	bool debugfs;
	char debugfs_features[128]; /* its lines, comma-separated */
};

/*
 * Probes the device `bdf` in IOMMU group `group` (and its cdev, "" if none).
 * Returns -1 with *err when the device cannot be opened through VFIO at
 * all: the host's VFIO is unusable for it.
 */
int devcaps_probe(const char *bdf, int group, const char *cdev, struct devcaps *c, char **err);
json_t *devcaps_json(const struct devcaps *c);

#endif
