// SPDX-License-Identifier: GPL-2.0-or-later
#include "matrix.h"
#include "qemuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const axis_names[MX_NAXES] = {"backend", "tracker",	 "enable-migration",
						 "viommu",  "migration", "devices"};

/* Long names (selection, reports) and short tokens (variant names). */
static const char *const long_names[MX_NAXES][4] = {
    {"type1", "iommufd", "iommufd-fd"},
    {"device-log", "iommufd-hwpt", "type1-perpetual", "none"},
    {"auto", "on"},
    {"none", "legacy", "scalable"},
    {"precopy", "multifd", "postcopy"},
    {"1", "2-p2p", "2-nop2p"},
};
static const char *const tokens[MX_NAXES][4] = {
    {"type1", "iommufd", "iommufdfd"},
    {"devlog", "hwpt", "perpetual", "notrack"},
    {"auto", "on"},
    {"novi", "vtd", "vtdsm"},
    {"precopy", "multifd", "postcopy"},
    {"1dev", "2p2p", "2nop2p"},
};
static const int counts[MX_NAXES] = {3, 4, 2, 3, 3, 3};

const char *mx_axis_name(enum mx_axis a)
{
	return a < MX_NAXES ? axis_names[a] : "?";
}

int mx_value_count(enum mx_axis a)
{
	return a < MX_NAXES ? counts[a] : 0;
}

const char *mx_value_name(enum mx_axis a, int v)
{
	return a < MX_NAXES && v >= 0 && v < counts[a] ? long_names[a][v] : "?";
}

int mx_axis_parse(const char *name)
{
	int a;

	for (a = 0; a < MX_NAXES; a++)
		if (!strcmp(name, axis_names[a]))
			return a;
	return -1;
}

bool mx_cell_valid(const struct mx_cell *c)
{
	bool type1 = c->v[MX_BACKEND] == MOCK_TYPE1;

	switch (c->v[MX_TRACKER]) {
	case MX_IOMMUFD_HWPT:
		return !type1; /* HWPT dirty tracking is an iommufd object */
	case MX_TYPE1_PERPETUAL:
		return type1; /* the type1 container's DIRTY_PAGES */
	case MX_NO_TRACKER:
		return !type1; /* a type1 container always offers DIRTY_PAGES */
	default:
		return true;
	}
}

void mx_cell_name(struct mx_cell *c)
{
	int a;

	snprintf(c->variant, sizeof(c->variant), "%s_%s_%s_%s_%s_%s",
		 tokens[MX_BACKEND][c->v[MX_BACKEND]], tokens[MX_TRACKER][c->v[MX_TRACKER]],
		 tokens[MX_EM][c->v[MX_EM]], tokens[MX_VIOMMU][c->v[MX_VIOMMU]],
		 tokens[MX_MIGRATION][c->v[MX_MIGRATION]], tokens[MX_DEVICES][c->v[MX_DEVICES]]);
	for (a = 0; a < MX_NAXES; a++) {
		snprintf(c->axes_buf[a], sizeof(c->axes_buf[a]), "%s=%s", axis_names[a],
			 long_names[a][c->v[a]]);
		c->axes[a] = c->axes_buf[a];
	}
	c->axes[MX_NAXES] = NULL;
}

size_t mx_enumerate(struct mx_cell **out)
{
	size_t total = 1, n = 0, i;
	struct mx_cell *cells;
	int a;

	for (a = 0; a < MX_NAXES; a++)
		total *= counts[a];
	cells = calloc(total, sizeof(*cells));
	if (!cells)
		abort();
	for (i = 0; i < total; i++) {
		struct mx_cell *c = &cells[n];
		size_t rest = i;

		/* The last axis varies fastest: related cells stay together. */
		for (a = MX_NAXES - 1; a >= 0; a--) {
			c->v[a] = rest % counts[a];
			rest /= counts[a];
		}
		if (!mx_cell_valid(c))
			continue;
		mx_cell_name(c);
		n++;
	}
	*out = cells;
	return n;
}

void mx_cell_mock_spec(const struct mx_cell *c, struct mock_spec *s)
{
	int k;

	memset(s, 0, sizeof(*s));
	s->backend = c->v[MX_BACKEND];
	s->ndev = c->v[MX_DEVICES] == MX_ONE_DEV ? 1 : 2;
	s->iommu_dirty = c->v[MX_TRACKER] == MX_IOMMUFD_HWPT;
	s->enable_migration = c->v[MX_EM] == MX_EM_ON ? "on" : NULL;
	s->device_props = mx_cell_device_props(c);
	for (k = 0; k < s->ndev; k++) {
		s->dev[k].no_dma_logging = c->v[MX_TRACKER] != MX_DEVICE_LOG;
		s->dev[k].no_p2p = c->v[MX_DEVICES] == MX_TWO_NO_P2P;
	}
}

const char *const *mx_cell_pre_args(const struct mx_cell *c)
{
	static const char *legacy[3], *scalable[3];
	static const char *const none[] = {NULL};
	char *err = NULL;

	/* Spelled as the QEMU under test spells its properties (qemuid). */
	switch (c->v[MX_VIOMMU]) {
	case MX_VI_LEGACY:
		if (!legacy[0]) {
			legacy[1] = qemuid_intel_iommu(NULL, false, NULL, NULL);
			legacy[0] = "-device";
		}
		return legacy;
	case MX_VI_SCALABLE:
		if (!scalable[0]) {
			scalable[1] = qemuid_intel_iommu(qemuid_current(), true, NULL, &err);
			free(err);
			/* The build has no scalable mode: the cell does not exist for it. */
			if (!scalable[1])
				return NULL;
			scalable[0] = "-device";
		}
		return scalable;
	default:
		return none;
	}
}

const char *mx_cell_device_props(const struct mx_cell *c)
{
	/* Device state over multifd channels (QEMU 10.0's x- property). */
	return c->v[MX_MIGRATION] == MX_MULTIFD ? ",x-migration-multifd-transfer=on" : "";
}

json_t *mx_cell_json(const struct mx_cell *c)
{
	json_t *o = json_object();
	int a;

	for (a = 0; a < MX_NAXES; a++)
		json_object_set_new(o, axis_names[a], json_string(long_names[a][c->v[a]]));
	return o;
}
