/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mockdev.h: VFIO mock devices for a source/destination pair.
 *
 * Describes the devices and the modelled kernel once (backend, personality,
 * DMA workload, injected faults) and produces what both QEMUs need: the
 * vfiomock configuration per side, the fake sysfs tree, the -object/-device
 * arguments and the preload environment.  Also the DMA ring oracle: from the
 * sequence number the destination's device carries, the stamp every ring page
 * must hold is determined.
 */
#ifndef MIGCHECK_MOCKDEV_H
#define MIGCHECK_MOCKDEV_H

#include "mockstate.h"
#include "ramcmp.h"
#include "vfiomock-abi.h"
#include "vm.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum mock_backend { MOCK_TYPE1, MOCK_IOMMUFD, MOCK_IOMMUFD_FD };
const char *mock_backend_name(enum mock_backend b);

struct mock_device_spec {
	const char *personality; /* a VFM_PERS_* name; NULL: VFM_PERS_FULL */
	/*
	 * The harness drives DMA in place of a guest driver, so the device
	 * does not wait for Bus Master Enable (no guest driver sets it).
	 */
	bool host_driven;
	uint64_t ring_iova;	/* ring writer target; ring_pages 0: no ring */
	unsigned ring_pages;
	unsigned ring_rate_hz;
	json_t *events;		/* event-triggered writes (array, borrowed), or NULL */
};

struct mock_spec {
	enum mock_backend backend;
	bool iommu_dirty;		 /* the IOMMU reports dirty tracking (iommufd HWPT) */
	const char *const *page_sizes;	 /* IOMMU page sizes ("4K", "2M", "1G"); NULL: all three */
	const char *enable_migration;	 /* NULL: QEMU's default (auto) */
	bool device_tracking_off;	 /* x-device-dirty-page-tracking=off */
	const char *device_props;	 /* appended to every -device vfio-pci, or NULL */
	int ndev;
	struct mock_device_spec dev[VFM_MAX_DEVICES];
	json_t *faults[2];		 /* per side (VM_SRC, VM_DST), borrowed, or NULL */
};

struct mock_rig {
	char *config[2];
	char *control[2];
	char *log[2];
	char **args;	/* for both command lines, NULL-ended */
	char **env[2];	/* per side, NULL-ended */
	char *sysfs_root;
	/* what further instances are made from */
	const struct mock_spec *spec;
	char *lib, *workdir;
	int instances;
};

/* Writes configs and the sysfs tree under workdir; s must outlive the rig. */
int mock_rig_prepare(const char *workdir, const char *lib, const struct mock_spec *s,
		     struct mock_rig *r, char **err);
void mock_rig_free(struct mock_rig *r);
/* A fresh destination instance (its own configuration, log and control socket). */
int mock_rig_new_destination(struct mock_rig *r, char **err);
/* The destination becomes the source (ping-pong); a new destination follows. */
void mock_rig_swap(struct mock_rig *r);
/* One control request (stolen) to a side's mock; NULL with *err on failure. */
json_t *mock_rig_call(const struct mock_rig *r, enum vm_role side, json_t *req, char **err);
/*
 * The last request a side's mock refused at or after wall-clock `since`
 * ("VFIO_DEVICE_FEATURE set STOP -> PRE_COPY: EINVAL (rule)"), from its
 * request log (README.md, "Request log"), or NULL: the root cause when a
 * refusal made QEMU fail.  Requests QEMU probes and handles are included
 * only if nothing else was refused.
 */
char *mock_rig_last_refusal(const struct mock_rig *r, enum vm_role side, double since);
/*
 * Where DMA to `iova` lands, from the side's mock: the mapping that holds it
 * must reach the page of the VM's RAM file that QEMU's memory map `l` gives
 * for `gpa`, and gpa must be at least `min_gpa`.  Returns that verdict;
 * *summary (malloc'd) says it in one line and *details (new reference)
 * holds the mapping, the file page and the expectation.
 */
bool mock_rig_placement(const struct mock_rig *r, enum vm_role side, const struct vm *vm,
			const struct ram_layout *l, uint64_t iova, uint64_t gpa, uint64_t min_gpa,
			char **summary, json_t **details);
/* A side's mock state, typed (free with ms_free). */
int mock_rig_state(const struct mock_rig *r, enum vm_role side, struct ms_state *st, char **err);
/* Device `index`'s record from a side's state, as a new reference. */
json_t *mock_rig_device(const struct mock_rig *r, enum vm_role side, int index, char **err);

struct ring_check {
	uint64_t pages;
	uint64_t bad;
	uint64_t first_bad_page;
	uint64_t first_expected;  /* the stamp it should carry (UINT64_MAX: never written) */
	uint64_t first_seen;	  /* the stamp it carries (UINT64_MAX: not a stamp) */
};

/*
 * Checks every ring page in guest RAM: with `next_seq` stamps written so far,
 * page i must carry the largest s < next_seq with s % pages == i.  The ring
 * starts at guest physical address `gpa`; wrong pages are added to `bad`
 * (may be NULL).
 */
void mock_ring_check(const uint8_t *ram, size_t ram_size, const struct ram_layout *l, uint64_t gpa,
		     uint64_t pages, uint64_t next_seq, struct ring_check *out,
		     struct mc_ranges *bad);

#endif
