// SPDX-License-Identifier: GPL-2.0-or-later
#include "viommu.h"
#include "matrix.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/*
 * VFIO behind intel-iommu needs caching mode (QEMU refuses assignment
 * without it); the IOVA ranges the host IOMMU reports must cover aw-bits.
 */
#define VTD "intel-iommu,caching-mode=on"
#define VTD_LINUX VTD ",intremap=on"
#define SCALABLE ",x-scalable-mode=on"

const char *const *viommu_qemu_args(int vi, bool linux_guest)
{
	static const char *const none[] = {NULL};
	static const char *const legacy[] = {"-device", VTD, NULL};
	static const char *const scalable[] = {"-device", VTD SCALABLE, NULL};
	static const char *const legacy_linux[] = {"-machine", "kernel-irqchip=split", "-device",
						   VTD_LINUX, NULL};
	static const char *const scalable_linux[] = {"-machine", "kernel-irqchip=split", "-device",
						     VTD_LINUX SCALABLE, NULL};

	switch (vi) {
	case MX_VI_LEGACY:
		return linux_guest ? legacy_linux : legacy;
	case MX_VI_SCALABLE:
		return linux_guest ? scalable_linux : scalable;
	default:
		return none;
	}
}

char *viommu_kernel_args(int vi, int gi, int inv)
{
	if (vi != MX_VI_LEGACY && vi != MX_VI_SCALABLE)
		return strdup("");
	return mc_strdup_printf("intel_iommu=on,%s iommu=%s%s",
				vi == MX_VI_SCALABLE ? "sm_on" : "sm_off",
				gi == MX_GI_NOPT ? "nopt" : "pt",
				inv == MX_INV_STRICT ? " iommu.strict=1"
				: inv == MX_INV_LAZY ? " iommu.strict=0"
						     : "");
}
