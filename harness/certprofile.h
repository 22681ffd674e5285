/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certprofile.h: the fixed, versioned profile `migcheck certify` runs.
 *
 * A profile names the cases (matrix cells of the passthrough suite's dma
 * test), how often each runs, and the downtime budget per device-state
 * size.  Changing any of it is a new version: certificates of one version
 * are comparable.
 */
#ifndef MIGCHECK_CERTPROFILE_H
#define MIGCHECK_CERTPROFILE_H

#include "matrix.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cert_item {
	int backend, tracker, viommu, migration, devices; /* matrix values */
	const char *test;				  /* the passthrough test */
};

struct cert_budget {
	uint64_t state_bytes_max; /* device state up to this size (UINT64_MAX: any) */
	int downtime_ms;	  /* QEMU's downtime, the median over the repetitions */
};

struct cert_profile {
	const char *name;
	int version;
	int repetitions;
	const struct cert_item *items;
	size_t nitems;
	const struct cert_budget *budgets; /* ascending state_bytes_max, the last UINT64_MAX */
	size_t nbudgets;
};

extern const struct cert_profile cert_profile_v1;

/* The item's matrix cell (guest, hardware and every cell axis set, named). */
void cert_item_cell(const struct cert_item *it, struct mx_cell *c);
/* "passthrough.<variant>.<test>" (malloc'd). */
char *cert_item_case(const struct cert_item *it);
/* The budget for a device-state size. */
int cert_budget_ms(const struct cert_profile *p, uint64_t state_bytes);
json_t *cert_profile_json(const struct cert_profile *p);

#endif
