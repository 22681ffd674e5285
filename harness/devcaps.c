// SPDX-License-Identifier: GPL-2.0-or-later
/* devcaps.c: probing a host device's migration features (devcaps.h). */
#include "devcaps.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* A feature request with room for the migration payload. */
struct feature {
	struct vfio_device_feature hdr;
	uint64_t data[2];
};

static int feature(int fd, uint32_t flags, uint64_t *data)
{
	struct feature f = {.hdr = {.argsz = sizeof(f), .flags = flags}};

	if (ioctl(fd, VFIO_DEVICE_FEATURE, &f) < 0)
		return errno;
	if (data)
		*data = f.data[0];
	return 0;
}

static void probe_device(int fd, struct devcaps *c)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	uint64_t flags = 0;
	int e;

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) == 0) {
		c->regions = info.num_regions;
		c->irqs = info.num_irqs;
		c->reset = info.flags & VFIO_DEVICE_FLAGS_RESET;
	}
	e = feature(fd, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &flags);
	c->migration = !e;
	c->migration_errno = e;
	c->mig_flags = flags;
	c->stop_copy = !e && (flags & VFIO_MIGRATION_STOP_COPY);
	c->p2p = !e && (flags & VFIO_MIGRATION_P2P);
	c->precopy = !e && (flags & VFIO_MIGRATION_PRE_COPY);
	/* PROBE: "would a SET work", without starting anything. */
	e = feature(fd,
		    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
		    NULL);
	c->dma_logging = !e;
	c->dma_logging_errno = e;
	e = feature(fd,
		    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			DEVCAPS_FEATURE_PRECOPY_INFOV2,
		    NULL);
	c->precopy_info_v2 = !e;
	c->precopy_info_v2_errno = e;
}

/* container, group, SET_CONTAINER, SET_IOMMU(TYPE1v2), the device fd. */
static int probe_type1(const char *bdf, int group, struct devcaps *c, char **err)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64];
	int container, g, dev = -1, rc = -1;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) {
		mc_set_err(err, "open /dev/vfio/vfio: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0) {
		mc_set_err(err, "open %s: %s", path, strerror(errno));
		close(container);
		return -1;
	}
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		mc_set_err(err,
			   "IOMMU group %d is not viable: a device in it is bound to a "
			   "driver other than a VFIO one",
			   group);
	else if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		mc_set_err(err, "VFIO_GROUP_SET_CONTAINER on %s: %s", path, strerror(errno));
	else if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		mc_set_err(err, "VFIO_SET_IOMMU(TYPE1v2): %s", strerror(errno));
	else if ((dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf)) < 0)
		mc_set_err(err, "VFIO_GROUP_GET_DEVICE_FD %s: %s", bdf, strerror(errno));
	else {
		probe_device(dev, c);
		rc = 0;
	}
	if (dev >= 0)
		close(dev);
	close(g);
	close(container);
	return rc;
}

/* /dev/iommu and the cdev: BIND_IOMMUFD, then GET_HW_INFO on the device id. */
static void probe_iommufd(const char *cdev, struct devcaps *c)
{
	struct vfio_device_bind_iommufd bind = {.argsz = sizeof(bind)};
	struct iommu_hw_info info = {.size = sizeof(info)};
	char path[96];
	int iommufd, dev;

	if (!*cdev) {
		snprintf(c->iommufd_error, sizeof(c->iommufd_error),
			 "no vfio-dev in sysfs: the kernel has no VFIO device cdev "
			 "(CONFIG_VFIO_DEVICE_CDEV)");
		return;
	}
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		snprintf(c->iommufd_error, sizeof(c->iommufd_error), "open /dev/iommu: %s",
			 strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", cdev);
	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		snprintf(c->iommufd_error, sizeof(c->iommufd_error), "open %s: %s", path,
			 strerror(errno));
		close(iommufd);
		return;
	}
	bind.iommufd = iommufd;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		snprintf(c->iommufd_error, sizeof(c->iommufd_error),
			 "VFIO_DEVICE_BIND_IOMMUFD on %s: %s", path, strerror(errno));
	} else {
		info.dev_id = bind.out_devid;
		if (ioctl(iommufd, IOMMU_GET_HW_INFO, &info) < 0) {
			snprintf(c->iommufd_error, sizeof(c->iommufd_error),
				 "IOMMU_GET_HW_INFO: %s", strerror(errno));
		} else {
			c->iommufd = true;
			c->iommu_caps = info.out_capabilities;
			c->iommu_hw_type = info.out_data_type;
			c->iommu_dirty = info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING;
		}
	}
	close(dev);
	close(iommufd);
}

static void probe_debugfs(const char *bdf, struct devcaps *c)
{
	char *path = mc_strdup_printf("/sys/kernel/debug/vfio/%s/migration/features", bdf);
	char *text = mc_read_file(path, NULL), *p;
	size_t len = 0;

	free(path);
	if (!text)
		return;
	c->debugfs = true;
	for (p = strtok(text, "\n"); p && len < sizeof(c->debugfs_features); p = strtok(NULL, "\n"))
		len += snprintf(c->debugfs_features + len, sizeof(c->debugfs_features) - len,
				"%s%s", len ? "," : "", p);
	free(text);
}

int devcaps_probe(const char *bdf, int group, const char *cdev, struct devcaps *c, char **err)
{
	memset(c, 0, sizeof(*c));
	if (probe_type1(bdf, group, c, err) < 0)
		return -1;
	probe_iommufd(cdev, c);
	probe_debugfs(bdf, c);
	return 0;
}

static json_t *errno_or_null(int e)
{
	return e ? json_string(strerrorname_np(e) ? strerrorname_np(e) : "?") : json_null();
}

json_t *devcaps_json(const struct devcaps *c)
{
	json_t *o = json_pack(
	    "{s:{s:b, s:o, s:I, s:b, s:b, s:b}, s:{s:b, s:o}, s:{s:b, s:o}, s:{s:i, s:i, s:b}}",
	    "migration", "supported", c->migration, "errno", errno_or_null(c->migration_errno),
	    "flags", (json_int_t)c->mig_flags, "stop_copy", c->stop_copy, "p2p", c->p2p, "pre_copy",
	    c->precopy, "dma_logging", "supported", c->dma_logging, "errno",
	    errno_or_null(c->dma_logging_errno), "precopy_info_v2", "supported", c->precopy_info_v2,
	    "errno", errno_or_null(c->precopy_info_v2_errno), "device", "regions", (int)c->regions,
	    "irqs", (int)c->irqs, "reset", c->reset);

	if (c->iommufd)
		json_object_set_new(o, "iommufd",
				    json_pack("{s:b, s:b, s:I, s:i}", "bound", 1, "dirty_tracking",
					      c->iommu_dirty, "capabilities",
					      (json_int_t)c->iommu_caps, "hw_info_type",
					      (int)c->iommu_hw_type));
	else
		json_object_set_new(o, "iommufd",
				    json_pack("{s:b, s:b, s:s}", "bound", 0, "dirty_tracking", 0,
					      "error", c->iommufd_error));
	json_object_set_new(o, "debugfs_features",
			    c->debugfs ? json_string(c->debugfs_features) : json_null());
	return o;
}
