/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * matrix.h: the axes every case is described by, in one table.
 *
 * An axis has a name (also its command-line option, --tracker=...), a
 * summary for the usage text, and values, each with a long name (selection,
 * reports), a short token (variant names) and a summary.  Adding a value is
 * one line in matrix.c plus what it means where it matters (a vIOMMU model,
 * a tracker's personality).  Nothing else spells axes or values: the usage
 * text, option parsing, the matrix summary table, the policy tables and the
 * tests' counts all come from here.
 *
 * The conformance matrix is the product of the cell axes (backend, tracker,
 * enable-migration, viommu, migration, devices) less the combinations that
 * cannot exist.  The other axes (guest, guest IOMMU mode, invalidation)
 * describe cases outside the matrix, so that one selection such as
 * --viommu=scalable --backend=iommufd reaches every case of that kind in
 * every suite.
 */
#ifndef MIGCHECK_MATRIX_H
#define MIGCHECK_MATRIX_H

#include "mockdev.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum mx_axis {
	MX_BACKEND,
	MX_TRACKER,
	MX_EM,
	MX_VIOMMU,
	MX_MIGRATION,
	MX_DEVICES,
	MX_GUEST,
	MX_GUEST_IOMMU,
	MX_INVALIDATION,
	MX_HARDWARE,
	MX_NAXES
};

/* Values of the axes code branches on; their order is the table's (backend: enum mock_backend). */
enum mx_tracker { MX_DEVICE_LOG, MX_IOMMUFD_HWPT, MX_TYPE1_PERPETUAL, MX_NO_TRACKER };
enum mx_em { MX_EM_AUTO, MX_EM_ON };
enum mx_viommu { MX_VI_NONE, MX_VI_LEGACY, MX_VI_SCALABLE };
enum mx_migration { MX_PRECOPY, MX_MULTIFD, MX_POSTCOPY };
enum mx_devices { MX_ONE_DEV, MX_TWO_P2P, MX_TWO_NO_P2P };
enum mx_guest { MX_GUEST_LINUX, MX_GUEST_BARE };
enum mx_guest_iommu { MX_GI_PT, MX_GI_NOPT };
enum mx_invalidation { MX_INV_STRICT, MX_INV_LAZY };
enum mx_hardware { MX_HW_MOCK, MX_HW_HOST };

struct mx_value {
	const char *name;    /* "device-log" */
	const char *token;   /* "devlog" */
	const char *summary; /* for the usage text */
};

/* Where an axis goes in the run's matrix summary table. */
enum mx_role { MX_ROLE_NONE, MX_ROLE_ROW, MX_ROLE_COLUMN };

struct mx_axis_def {
	const char *name; /* also the option: --name=GLOB */
	const char *summary;
	const struct mx_value *values; /* name == NULL ends it */
	bool cell;		       /* part of a matrix cell */
	enum mx_role role;
};

extern const struct mx_axis_def mx_axes[MX_NAXES];

const char *mx_axis_name(enum mx_axis a);
int mx_value_count(enum mx_axis a);
/* Long value name ("device-log"), "?" out of range. */
const char *mx_value_name(enum mx_axis a, int v);
const char *mx_value_token(enum mx_axis a, int v);
/* Axis index for a name ("tracker"), or -1. */
int mx_axis_parse(const char *name);
/* Value index for a long name on axis a, or -1. */
int mx_value_parse(enum mx_axis a, const char *name);

/*
 * The axes of one case: v[a] is a value index, or -1 where the axis does
 * not apply.  axes[] holds "name=value" for selection, NULL-ended.
 */
struct mx_cell {
	int v[MX_NAXES];
	char variant[96];
	char axes_buf[MX_NAXES][48];
	const char *axes[MX_NAXES + 1];
};

/* A cell with every axis unset. */
void mx_cell_clear(struct mx_cell *c);
bool mx_cell_valid(const struct mx_cell *c);
/*
 * Fills axes[] from v[], and variant from the tokens of the cell axes
 * that are set (iommufd_hwpt_auto_novi_precopy_1dev for a whole cell).
 * A cell with a backend and no hardware value is on the mock.
 */
void mx_cell_name(struct mx_cell *c);
/* A named cell of only a backend and a tracker, no vIOMMU, the Linux guest. */
void mx_cell_tracker_cell(struct mx_cell *c, int backend, int tracker);
/* Every valid cell of the matrix, named; returns the count (caller frees *out). */
size_t mx_enumerate(struct mx_cell **out);
/* {"backend": "iommufd", ...} over the axes that are set. */
json_t *mx_cell_json(const struct mx_cell *c);

/* What a dirty tracker means to the mock and to the negative controls. */
struct mx_tracker_info {
	const char *personality; /* device personality (vfiomock-abi.h) */
	bool iommu_dirty;	 /* the IOMMU offers dirty tracking (iommufd HWPT) */
	bool needs_em_on;	 /* QEMU only migrates it with enable-migration=on */
	bool precise;		 /* reports what was written, not all it maps */
	int fault_tracker;	 /* enum vfm_tracker a drop_dirty fault names */
	const char *query;	 /* the dirty query request (fail_request), or NULL */
	unsigned backends;	 /* bit per enum mock_backend it exists on */
};
const struct mx_tracker_info *mx_tracker_info(int tracker);

/*
 * The plain cell of its tracker, whatever the vIOMMU: pre-copy, one device,
 * enable-migration as the tracker needs it, the tracker's own backend
 * (type1 for device logging and perpetual reporting, iommufd for HWPT).
 */
bool mx_cell_tracker_base(const struct mx_cell *c);

/* The mock personality and devices a cell describes (no DMA workload). */
void mx_cell_mock_spec(const struct mx_cell *c, struct mock_spec *s);
/* "-device" property suffix the cell adds to each vfio-pci device, or "". */
const char *mx_cell_device_props(const struct mx_cell *c);

#endif
