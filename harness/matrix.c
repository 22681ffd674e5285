// SPDX-License-Identifier: GPL-2.0-or-later
#include "matrix.h"
#include "vfiomock-abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

static const struct mx_value backends[] = {
    [MOCK_TYPE1] = {"type1", "type1", "VFIO type1 container and groups"},
    [MOCK_IOMMUFD] = {"iommufd", "iommufd", "iommufd with the VFIO cdev"},
    [MOCK_IOMMUFD_FD] = {"iommufd-fd", "iommufdfd", "iommufd, fds passed to QEMU"},
    END,
};
static const struct mx_value trackers[] = {
    [MX_DEVICE_LOG] = {"device-log", "devlog", "the device's DMA logging"},
    [MX_IOMMUFD_HWPT] = {"iommufd-hwpt", "hwpt", "IOMMU dirty tracking on an iommufd HWPT"},
    [MX_TYPE1_PERPETUAL] = {"type1-perpetual", "perpetual",
			    "type1 DIRTY_PAGES: every mapped page, every time"},
    [MX_NO_TRACKER] = {"none", "notrack", "nothing can track"},
    END,
};
static const struct mx_value ems[] = {
    [MX_EM_AUTO] = {"auto", "auto", "QEMU decides"},
    [MX_EM_ON] = {"on", "on", "migration forced on"},
    END,
};
static const struct mx_value viommus[] = {
    [MX_VI_NONE] = {"none", "novi", "no vIOMMU"},
    [MX_VI_LEGACY] = {"legacy", "vtd", "intel-iommu, legacy mode, caching mode"},
    [MX_VI_SCALABLE] = {"scalable", "vtdsm", "intel-iommu, scalable mode, caching mode"},
    END,
};
static const struct mx_value migrations[] = {
    [MX_PRECOPY] = {"precopy", "precopy", "pre-copy, device state on the main channel"},
    [MX_MULTIFD] = {"multifd", "multifd", "device state over multifd channels"},
    [MX_POSTCOPY] = {"postcopy", "postcopy", "post-copy (QEMU refuses it with VFIO)"},
    END,
};
static const struct mx_value devices[] = {
    [MX_ONE_DEV] = {"1", "1dev", "one device"},
    [MX_TWO_P2P] = {"2-p2p", "2p2p", "two devices with P2P states"},
    [MX_TWO_NO_P2P] = {"2-nop2p", "2nop2p", "two devices without P2P"},
    END,
};
static const struct mx_value guests[] = {
    [MX_GUEST_LINUX] = {"linux", "linux", "a Linux guest with the agent"},
    [MX_GUEST_BARE] = {"bare", "bare", "no OS: the harness programs the vIOMMU over qtest"},
    END,
};
static const struct mx_value guest_iommus[] = {
    [MX_GI_PT] = {"pt", "pt", "iommu=pt: identity default domain"},
    [MX_GI_NOPT] = {"nopt", "nopt", "iommu=nopt: DMA default domain"},
    END,
};
static const struct mx_value invalidations[] = {
    [MX_INV_STRICT] = {"strict", "strict", "iommu.strict=1"},
    [MX_INV_LAZY] = {"lazy", "lazy", "iommu.strict=0 (flush queue where allowed)"},
    END,
};

static const struct mx_value hardwares[] = {
    [MX_HW_MOCK] = {"mock", "mock", "the VFIO mock device (fixtures/vfiomock)"},
    [MX_HW_HOST] = {"host", "host", "host devices named by --device host=BDF,BDF"},
    END,
};

const struct mx_axis_def mx_axes[MX_NAXES] = {
    [MX_BACKEND] = {"backend", "VFIO backend", backends, true, MX_ROLE_ROW},
    [MX_TRACKER] = {"tracker", "what the device and IOMMU can track", trackers, true, MX_ROLE_ROW},
    [MX_EM] = {"enable-migration", "vfio-pci enable-migration", ems, true, MX_ROLE_NONE},
    [MX_VIOMMU] = {"viommu", "the guest's IOMMU", viommus, true, MX_ROLE_COLUMN},
    [MX_MIGRATION] = {"migration", "migration mode", migrations, true, MX_ROLE_COLUMN},
    [MX_DEVICES] = {"devices", "mock devices", devices, true, MX_ROLE_NONE},
    [MX_GUEST] = {"guest", "what runs in the guest", guests, false, MX_ROLE_NONE},
    [MX_GUEST_IOMMU] = {"guest-iommu", "the Linux guest's IOMMU mode", guest_iommus, false,
			MX_ROLE_NONE},
    [MX_INVALIDATION] = {"invalidation", "the Linux guest's IOTLB invalidation", invalidations,
			 false, MX_ROLE_NONE},
    [MX_HARDWARE] = {"hardware", "what the VFIO devices are", hardwares, false, MX_ROLE_NONE},
};

/* What each tracker value asks of the mock, indexed like trackers[]. */
static const struct mx_tracker_info tracker_info[] = {
    [MX_DEVICE_LOG] = {VFM_PERS_FULL, false, false, true, VFM_TRACKER_DEVICE, NULL,
		       1u << MOCK_TYPE1 | 1u << MOCK_IOMMUFD | 1u << MOCK_IOMMUFD_FD},
    [MX_IOMMUFD_HWPT] = {VFM_PERS_NO_TRACKER, true, false, true, VFM_TRACKER_IOMMU,
			 "IOMMU_HWPT_GET_DIRTY_BITMAP", 1u << MOCK_IOMMUFD | 1u << MOCK_IOMMUFD_FD},
    [MX_TYPE1_PERPETUAL] = {VFM_PERS_NO_TRACKER, false, true, false, VFM_TRACKER_TYPE1,
			    "VFIO_IOMMU_DIRTY_PAGES", 1u << MOCK_TYPE1},
    [MX_NO_TRACKER] = {VFM_PERS_NO_TRACKER, false, true, false, VFM_TRACKER_ANY, NULL,
		       1u << MOCK_IOMMUFD | 1u << MOCK_IOMMUFD_FD},
};

const struct mx_tracker_info *mx_tracker_info(int tracker)
{
	return tracker >= 0 && tracker < (int)(sizeof(tracker_info) / sizeof(tracker_info[0]))
		   ? &tracker_info[tracker]
		   : NULL;
}

const char *mx_axis_name(enum mx_axis a)
{
	return a < MX_NAXES ? mx_axes[a].name : "?";
}

int mx_value_count(enum mx_axis a)
{
	int n = 0;

	while (a < MX_NAXES && mx_axes[a].values[n].name)
		n++;
	return n;
}

const char *mx_value_name(enum mx_axis a, int v)
{
	return v >= 0 && v < mx_value_count(a) ? mx_axes[a].values[v].name : "?";
}

const char *mx_value_token(enum mx_axis a, int v)
{
	return v >= 0 && v < mx_value_count(a) ? mx_axes[a].values[v].token : "?";
}

int mx_axis_parse(const char *name)
{
	int a;

	for (a = 0; a < MX_NAXES; a++)
		if (!strcmp(name, mx_axes[a].name))
			return a;
	return -1;
}

int mx_value_parse(enum mx_axis a, const char *name)
{
	int v, n = mx_value_count(a);

	for (v = 0; v < n; v++)
		if (!strcmp(name, mx_axes[a].values[v].name))
			return v;
	return -1;
}

void mx_cell_clear(struct mx_cell *c)
{
	int a;

	memset(c, 0, sizeof(*c));
	for (a = 0; a < MX_NAXES; a++)
		c->v[a] = -1;
}

bool mx_cell_valid(const struct mx_cell *c)
{
	const struct mx_tracker_info *t = mx_tracker_info(c->v[MX_TRACKER]);

	/* A tracker exists only on the backends that provide it. */
	return !t || c->v[MX_BACKEND] < 0 || (t->backends & 1u << c->v[MX_BACKEND]);
}

void mx_cell_tracker_cell(struct mx_cell *c, int backend, int tracker)
{
	mx_cell_clear(c);
	c->v[MX_BACKEND] = backend;
	c->v[MX_TRACKER] = tracker;
	c->v[MX_VIOMMU] = MX_VI_NONE;
	c->v[MX_GUEST] = MX_GUEST_LINUX;
	mx_cell_name(c);
}

void mx_cell_name(struct mx_cell *c)
{
	size_t len = 0;
	int a, n = 0;

	if (c->v[MX_BACKEND] >= 0 && c->v[MX_HARDWARE] < 0)
		c->v[MX_HARDWARE] = MX_HW_MOCK;
	c->variant[0] = '\0';
	for (a = 0; a < MX_NAXES; a++) {
		if (!mx_axes[a].cell || c->v[a] < 0)
			continue;
		len += snprintf(c->variant + len, sizeof(c->variant) - len, "%s%s", len ? "_" : "",
				mx_value_token(a, c->v[a]));
		if (len >= sizeof(c->variant))
			abort(); /* the table's tokens are short: a new one is too long */
	}
	for (a = 0; a < MX_NAXES; a++) {
		if (c->v[a] < 0)
			continue;
		snprintf(c->axes_buf[a], sizeof(c->axes_buf[a]), "%s=%s", mx_axes[a].name,
			 mx_value_name(a, c->v[a]));
		c->axes[n++] = c->axes_buf[a];
	}
	c->axes[n] = NULL;
}

size_t mx_enumerate(struct mx_cell **out)
{
	size_t total = 1, n = 0, i;
	struct mx_cell *cells;
	int a;

	for (a = 0; a < MX_NAXES; a++)
		if (mx_axes[a].cell)
			total *= mx_value_count(a);
	cells = calloc(total, sizeof(*cells));
	if (!cells)
		abort();
	for (i = 0; i < total; i++) {
		struct mx_cell *c = &cells[n];
		size_t rest = i;

		mx_cell_clear(c);
		/* The last axis varies fastest: related cells stay together. */
		for (a = MX_NAXES - 1; a >= 0; a--) {
			if (!mx_axes[a].cell)
				continue;
			c->v[a] = rest % mx_value_count(a);
			rest /= mx_value_count(a);
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
	const struct mx_tracker_info *t = mx_tracker_info(c->v[MX_TRACKER]);
	bool p2p = c->v[MX_DEVICES] != MX_TWO_NO_P2P;
	int k;

	memset(s, 0, sizeof(*s));
	s->backend = c->v[MX_BACKEND];
	s->ndev = c->v[MX_DEVICES] == MX_ONE_DEV || c->v[MX_DEVICES] < 0 ? 1 : 2;
	s->iommu_dirty = t && t->iommu_dirty;
	s->enable_migration = c->v[MX_EM] == MX_EM_ON ? "on" : NULL;
	s->device_props = mx_cell_device_props(c);
	for (k = 0; k < s->ndev; k++) {
		const char *pers = t ? t->personality : VFM_PERS_FULL;

		if (!p2p)
			pers = !strcmp(pers, VFM_PERS_FULL) ? VFM_PERS_NO_P2P
							    : VFM_PERS_NO_TRACKER_NO_P2P;
		s->dev[k].personality = pers;
	}
}

bool mx_cell_tracker_base(const struct mx_cell *c)
{
	const struct mx_tracker_info *t = mx_tracker_info(c->v[MX_TRACKER]);
	int tr = c->v[MX_TRACKER], be = c->v[MX_BACKEND];

	if (!t || c->v[MX_MIGRATION] != MX_PRECOPY || c->v[MX_DEVICES] != MX_ONE_DEV ||
	    tr == MX_NO_TRACKER || c->v[MX_EM] != (t->needs_em_on ? MX_EM_ON : MX_EM_AUTO))
		return false;
	return tr == MX_TYPE1_PERPETUAL || be == (tr == MX_DEVICE_LOG ? MOCK_TYPE1 : MOCK_IOMMUFD);
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
		if (c->v[a] >= 0)
			json_object_set_new(o, mx_axes[a].name,
					    json_string(mx_value_name(a, c->v[a])));
	return o;
}
