// SPDX-License-Identifier: GPL-2.0-or-later
/* hostcells.c: matrix cells for host devices (hostcells.h). */
#include "hostcells.h"
#include "mockdev.h"
#include "util.h"

#include <string.h>

const struct hostcells_gap hostcells_not_generated[] = {
    {"dirty.*.drop_dirty", "fault injection: a dirty tracker that forgets dirty bits"},
    {"dirty.*.dma_after_stop", "fault injection: a device that writes after STOP"},
    {"dirty.*.corrupt_stream", "fault injection: a damaged device state stream"},
    {"dirty.*.fail_query", "fault injection: a dirty query that fails"},
    {"dirty.*.last_write",
     "host-side DMA plans: writes triggered by a dirty query and by the arc into STOP_COPY"},
    {"dirty.*.readonly", "a host-side DMA plan: a device write into the read-only ROM"},
    {"dirty.*.above_4g", "a host-side DMA plan: a ring above 4 GiB guest physical"},
    {"dirty.*.iopte_4k", "the mock's IOMMU page sizes"},
    {"lifecycle.*", "the mock's faults (a device left in STOP) and its per-destination "
		    "instances"},
    {"downtime.*", "host-side DMA at a fixed rate from the mock; certify measures a host "
		   "device's downtime"},
    {"domain.*", "the mapping coherence oracle reads the mock's mappings"},
    {"policy.*", "QEMU's decision per mock personality; a host device has one, and its cells "
		 "run in passthrough"},
    {"backend=iommufd-fd",
     "QEMU given open fds needs the launcher to open the devices; for the mock its "
     "preload does, for host devices the harness does not yet"},
    {"migration=postcopy", "QEMU refuses post-copy with VFIO devices: a policy matter"},
    {NULL, NULL},
};

json_t *hostcells_not_generated_json(void)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; hostcells_not_generated[i].what; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "what",
						     hostcells_not_generated[i].what, "reason",
						     hostcells_not_generated[i].reason));
	return arr;
}

bool hostcells_generated(const struct mx_cell *c)
{
	const struct mx_tracker_info *t = mx_tracker_info(c->v[MX_TRACKER]);

	return c->v[MX_BACKEND] != MOCK_IOMMUFD_FD && c->v[MX_MIGRATION] != MX_POSTCOPY &&
	       c->v[MX_EM] == (t && t->needs_em_on ? MX_EM_ON : MX_EM_AUTO);
}

static bool no(char **why, char *text)
{
	*why = text;
	return false;
}

static const char *errname(int e)
{
	return e ? strerrorname_np(e) ? strerrorname_np(e) : "?" : "answered";
}

bool hostcells_applies(const struct mx_cell *c, const struct hostdev_set *s, char **why)
{
	int pairs = c->v[MX_DEVICES] == MX_ONE_DEV ? 1 : 2, k;
	bool all_p2p = true;

	*why = NULL;
	if (hostdev_pairs(s) < pairs)
		return no(why, mc_strdup_printf("%d device(s) in the guest need %d pair(s) of host "
						"devices; --device named %d",
						pairs, pairs, hostdev_pairs(s)));
	for (k = 0; k < 2 * pairs; k++) {
		const struct hostdev *d = &s->dev[k];
		const struct devcaps *cap = &d->caps;

		if (!cap->stop_copy)
			return no(why, mc_strdup_printf("%s offers no migration "
							"(VFIO_DEVICE_FEATURE_MIGRATION: %s, "
							"flags 0x%llx)",
							d->bdf, errname(cap->migration_errno),
							(unsigned long long)cap->mig_flags));
		all_p2p &= cap->p2p;
		if (c->v[MX_BACKEND] == MOCK_IOMMUFD && !cap->iommufd)
			return no(why, mc_strdup_printf("%s cannot go through iommufd: %s", d->bdf,
							cap->iommufd_error));
		switch (c->v[MX_TRACKER]) {
		case MX_DEVICE_LOG:
			if (!cap->dma_logging)
				return no(
				    why, mc_strdup_printf("%s offers no DMA logging (a PROBE of "
							  "DMA_LOGGING_START: %s)",
							  d->bdf, errname(cap->dma_logging_errno)));
			break;
		case MX_IOMMUFD_HWPT:
			if (!cap->iommu_dirty)
				return no(why, mc_strdup_printf(
						   "the host IOMMU offers no dirty tracking for %s "
						   "(IOMMU_GET_HW_INFO capabilities 0x%llx)",
						   d->bdf, (unsigned long long)cap->iommu_caps));
			break;
		case MX_NO_TRACKER:
			if (cap->iommu_dirty)
				return no(why, mc_strdup_printf(
						   "the host IOMMU tracks dirty pages for %s: QEMU "
						   "uses it, so there is no cell without a tracker",
						   d->bdf));
			break;
		default:
			break;
		}
	}
	if (c->v[MX_DEVICES] == MX_TWO_P2P && !all_p2p)
		return no(why, strdup("a device lacks the P2P states (VFIO_MIGRATION_P2P): the "
				      "two-device P2P cell needs them on both"));
	if (c->v[MX_DEVICES] == MX_TWO_NO_P2P && all_p2p)
		return no(why, strdup("every device has the P2P states: the two-device cell "
				      "without P2P needs a device that lacks them"));
	return true;
}
