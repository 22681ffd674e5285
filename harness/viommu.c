// SPDX-License-Identifier: GPL-2.0-or-later
#include "viommu.h"
#include "matrix.h"
#include "qemuid.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The intel-iommu -device value, spelled as the QEMU under test spells its
 * properties (qemuid); kept per mode and per spelling, so a second build
 * probed later in the same process gets its own.  NULL when the build
 * cannot express the mode.
 */
static const char *intel_iommu(bool scalable, bool linux_guest)
{
	static struct {
		char prop[32];
		char *arg;
	} cache[2][2];
	const struct qemu_id *id = scalable ? qemuid_current() : NULL;
	const char *prop = id ? id->scalable_prop : "";
	typeof(cache[0][0]) *e = &cache[scalable][linux_guest];

	if (e->arg && !strcmp(e->prop, prop))
		return e->arg;
	/* The previous spelling is left allocated: callers may still hold it. */
	e->arg = qemuid_intel_iommu(id, scalable, linux_guest ? ",intremap=on" : NULL, NULL);
	snprintf(e->prop, sizeof(e->prop), "%s", prop);
	return e->arg;
}

const char *const *viommu_qemu_args(int vi, bool linux_guest)
{
	static const char *const none[] = {NULL};
	/* VFIO behind intel-iommu needs caching mode; Linux guests need the split irqchip. */
	static const char *args[2][2][5];
	bool sc = vi == MX_VI_SCALABLE;
	const char **a = args[sc][linux_guest];
	const char *dev;
	int n = 0;

	if (vi != MX_VI_LEGACY && vi != MX_VI_SCALABLE)
		return none;
	dev = intel_iommu(sc, linux_guest);
	if (!dev)
		return NULL;
	if (linux_guest) {
		a[n++] = "-machine";
		a[n++] = "kernel-irqchip=split";
	}
	a[n++] = "-device";
	a[n++] = dev;
	a[n] = NULL;
	return a;
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
