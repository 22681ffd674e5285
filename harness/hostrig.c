// SPDX-License-Identifier: GPL-2.0-or-later
/* hostrig.c: QEMU command-line arguments for host devices (hostrig.h). */
#include "hostrig.h"
#include "mockdev.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void hostrig_cell_spec(const struct mx_cell *c, struct host_spec *h)
{
	memset(h, 0, sizeof(*h));
	h->backend = c->v[MX_BACKEND];
	h->ndev = c->v[MX_DEVICES] == MX_ONE_DEV || c->v[MX_DEVICES] < 0 ? 1 : 2;
	h->enable_migration = c->v[MX_EM] == MX_EM_ON ? "on" : NULL;
	/* Device logging is QEMU's first choice; any other tracker needs it off. */
	h->device_tracking_off = c->v[MX_TRACKER] != MX_DEVICE_LOG;
	h->device_props = mx_cell_device_props(c);
}

static void push(char ***v, size_t *n, char *s)
{
	*v = realloc(*v, (*n + 2) * sizeof(char *));
	if (!*v)
		abort();
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static char **side_args(const struct host_spec *h, const struct hostdev_set *s, int side)
{
	size_t n = 0;
	char **v = NULL;
	int k;

	if (h->backend == MOCK_IOMMUFD) {
		push(&v, &n, strdup("-object"));
		push(&v, &n, strdup("iommufd,id=i0"));
	}
	for (k = 0; k < h->ndev; k++) {
		const struct hostdev *d = side ? hostdev_dst(s, k) : hostdev_src(s, k);

		push(&v, &n, strdup("-device"));
		push(&v, &n,
		     mc_strdup_printf("vfio-pci,host=%s,id=hd%d%s%s%s%s%s", d->bdf, k,
				      h->backend == MOCK_IOMMUFD ? ",iommufd=i0" : "",
				      h->enable_migration ? ",enable-migration=" : "",
				      h->enable_migration ? h->enable_migration : "",
				      h->device_tracking_off ? ",x-device-dirty-page-tracking=off"
							     : "",
				      h->device_props ? h->device_props : ""));
	}
	return v;
}

int hostrig_args(const struct host_spec *h, const struct hostdev_set *s, char ***src, char ***dst,
		 char **err)
{
	*src = *dst = NULL;
	if (!s) {
		mc_set_err(err, "no host device named (--device host=SRC_BDF,DST_BDF)");
		return -1;
	}
	if (h->backend != MOCK_TYPE1 && h->backend != MOCK_IOMMUFD) {
		mc_set_err(err, "host devices go through type1 or iommufd, not backend %d",
			   h->backend);
		return -1;
	}
	if (h->ndev < 1 || h->ndev > hostdev_pairs(s)) {
		mc_set_err(err, "%d device(s) in the guest, %d pair(s) of host devices named",
			   h->ndev, hostdev_pairs(s));
		return -1;
	}
	*src = side_args(h, s, 0);
	*dst = side_args(h, s, 1);
	return 0;
}

void hostrig_free_args(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
