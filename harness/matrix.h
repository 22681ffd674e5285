/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * matrix.h: the conformance matrix over VFIO backends and dirty trackers.
 *
 * A cell picks one value per axis: backend, tracker (what the modelled kernel
 * and device offer), enable-migration, vIOMMU, migration mode and devices.
 * Cells that cannot exist (an iommufd HWPT tracker on type1, type1's
 * perpetual reporting on iommufd...) are never generated.  Each cell has a
 * stable variant name such as iommufd_hwpt_auto_novi_precopy_1dev, and its
 * axes as key=value strings for selection (--backend=iommufd ...).
 */
#ifndef MIGCHECK_MATRIX_H
#define MIGCHECK_MATRIX_H

#include "mockdev.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum mx_axis { MX_BACKEND, MX_TRACKER, MX_EM, MX_VIOMMU, MX_MIGRATION, MX_DEVICES, MX_NAXES };

enum mx_tracker { MX_DEVICE_LOG, MX_IOMMUFD_HWPT, MX_TYPE1_PERPETUAL, MX_NO_TRACKER };
enum mx_em { MX_EM_AUTO, MX_EM_ON };
enum mx_viommu { MX_VI_NONE, MX_VI_LEGACY, MX_VI_SCALABLE };
enum mx_migration { MX_PRECOPY, MX_MULTIFD, MX_POSTCOPY };
enum mx_devices { MX_ONE_DEV, MX_TWO_P2P, MX_TWO_NO_P2P };

struct mx_cell {
	int v[MX_NAXES]; /* backend values are enum mock_backend */
	char variant[96];
	char axes_buf[MX_NAXES][48];
	const char *axes[MX_NAXES + 1]; /* "backend=iommufd", ..., NULL */
};

const char *mx_axis_name(enum mx_axis a);
int mx_value_count(enum mx_axis a);
/* Long value names used in selection and reports ("device-log"). */
const char *mx_value_name(enum mx_axis a, int v);
/* Axis index for an option name ("tracker"), or -1. */
int mx_axis_parse(const char *name);

bool mx_cell_valid(const struct mx_cell *c);
/* Fills variant and axes from v[]. */
void mx_cell_name(struct mx_cell *c);
/* Every valid cell, named; returns the count (caller frees *out). */
size_t mx_enumerate(struct mx_cell **out);

/* The mock personality and devices a cell describes (no DMA workload). */
void mx_cell_mock_spec(const struct mx_cell *c, struct mock_spec *s);
/*
 * QEMU arguments the cell adds before the devices (the vIOMMU), NULL-ended,
 * spelled as the QEMU under test spells them; NULL if it cannot express
 * the cell (no scalable mode).
 */
const char *const *mx_cell_pre_args(const struct mx_cell *c);
/* "-device" property suffix the cell adds to each vfio-pci device, or "". */
const char *mx_cell_device_props(const struct mx_cell *c);
json_t *mx_cell_json(const struct mx_cell *c);

#endif
