// SPDX-License-Identifier: GPL-2.0-or-later
/* hostdev.c: host devices for a run: checks, refusals, identity (hostdev.h). */
#include "hostdev.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SYS_PCI "/sys/bus/pci/devices"

static struct hostdev_set run_set;
static bool have_run;

const struct hostdev_set *hostdev_run(void)
{
	return have_run ? &run_set : NULL;
}

void hostdev_set_run(const struct hostdev_set *s)
{
	run_set = *s;
	have_run = true;
}

const struct hostdev *hostdev_src(const struct hostdev_set *s, int k)
{
	return &s->dev[2 * k];
}

const struct hostdev *hostdev_dst(const struct hostdev_set *s, int k)
{
	return &s->dev[2 * k + 1];
}

bool hostdev_emulated(void)
{
	const char *cfg = getenv("VFIOMOCK_CONFIG");

	/* The mock's entry points are in this process: it answers VFIO, not the kernel. */
	return cfg && *cfg && dlsym(RTLD_DEFAULT, "mock_active");
}

/* "0000:3b:00.1" from "0000:3b:00.1" or "3b:00.1", lower case; false if malformed. */
static bool parse_bdf(const char *in, char *out, size_t size)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(in, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    (dom = 0, sscanf(in, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3))
		return false;
	if (dev > 0x1f || fn > 7 || strlen(in) > 12)
		return false;
	snprintf(out, size, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

int hostdev_parse(const char *arg, struct hostdev_set *s, char **err)
{
	char *copy, *tok, *save = NULL;
	int i, j;

	memset(s, 0, sizeof(*s));
	if (strncmp(arg, "host=", 5)) {
		mc_set_err(err,
			   "--device takes host=BDF,BDF (the source's device, then the "
			   "destination's), got '%s'",
			   arg);
		return -1;
	}
	copy = strdup(arg + 5);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (s->n == HOSTDEV_MAX) {
			mc_set_err(err, "--device: at most %d devices (%d pairs)", HOSTDEV_MAX,
				   HOSTDEV_MAX / 2);
			free(copy);
			return -1;
		}
		if (!parse_bdf(tok, s->dev[s->n].bdf, sizeof(s->dev[s->n].bdf))) {
			mc_set_err(err, "--device: '%s' is not a PCI address (DDDD:BB:DD.F)", tok);
			free(copy);
			return -1;
		}
		s->n++;
	}
	free(copy);
	if (!s->n || s->n % 2) {
		mc_set_err(err,
			   "--device: %d device(s): both QEMUs run on this host and a VFIO "
			   "device is one process's, so name them in pairs, the source's "
			   "then the destination's (host=SRC,DST)",
			   s->n);
		return -1;
	}
	for (i = 0; i < s->n; i++)
		for (j = i + 1; j < s->n; j++)
			if (!strcmp(s->dev[i].bdf, s->dev[j].bdf)) {
				mc_set_err(err, "--device: %s is named twice", s->dev[i].bdf);
				return -1;
			}
	return 0;
}

static char *dev_path(const char *bdf, const char *leaf)
{
	return mc_strdup_printf(SYS_PCI "/%s/%s", bdf, leaf);
}

static unsigned long read_hex(const char *bdf, const char *leaf, bool *ok)
{
	char *path = dev_path(bdf, leaf), *text = mc_read_file(path, NULL);
	unsigned long v = 0;

	free(path);
	if (text)
		v = strtoul(text, NULL, 16);
	else if (ok)
		*ok = false;
	free(text);
	return v;
}

/* The basename a symlink points at, or "" if it is not there. */
static void link_base(const char *path, char *out, size_t size)
{
	char buf[1024];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *base;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (strlen(base) < size)
		memcpy(out, base, strlen(base) + 1);
}

static void read_line(const char *path, char *out, size_t size)
{
	char *text = mc_read_file(path, NULL);

	out[0] = '\0';
	if (!text)
		return;
	mc_rstrip(text);
	snprintf(out, size, "%s", text);
	free(text);
}

/* vfio-pci, or a VFIO variant driver (mlx5_vfio_pci, xe-vfio-pci, ...). */
static bool vfio_driver(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "vfio-pci") ||
	       (n > 8 && (!strcmp(name + n - 8, "vfio_pci") || !strcmp(name + n - 8, "vfio-pci")));
}

static char *bind_commands(const char *bdf, const char *driver)
{
	char *unbind = *driver ? mc_strdup_printf("    echo %s > /sys/bus/pci/devices/%s/driver/"
						  "unbind\n",
						  bdf, bdf)
			       : strdup("");
	char *text =
	    mc_strdup_printf("  what a user runs (migcheck never binds drivers itself):\n"
			     "    modprobe vfio-pci   # or the VFIO variant driver, e.g. "
			     "mlx5_vfio_pci, for migration\n"
			     "%s"
			     "    echo vfio-pci > /sys/bus/pci/devices/%s/driver_override\n"
			     "    echo %s > /sys/bus/pci/drivers_probe",
			     unbind, bdf, bdf);

	free(unbind);
	return text;
}

/* sysfs: there, identity, driver, group, cdev. */
static int check_sysfs(struct hostdev *d, char **err)
{
	char *path = mc_strdup_printf(SYS_PCI "/%s", d->bdf), link[128];
	struct stat st;
	bool ok = true;

	if (stat(path, &st) < 0) {
		mc_set_err(err, "no PCI device %s on this host (%s: %s)", d->bdf, path,
			   strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	d->vendor = read_hex(d->bdf, "vendor", &ok);
	d->device = read_hex(d->bdf, "device", &ok);
	d->subsystem_vendor = read_hex(d->bdf, "subsystem_vendor", NULL);
	d->subsystem_device = read_hex(d->bdf, "subsystem_device", NULL);
	d->class_code = read_hex(d->bdf, "class", NULL);
	d->revision = read_hex(d->bdf, "revision", NULL);
	if (!ok) {
		mc_set_err(err, "%s: sysfs shows no vendor or device ID", d->bdf);
		return -1;
	}
	path = dev_path(d->bdf, "driver");
	link_base(path, d->driver, sizeof(d->driver));
	free(path);
	if (!vfio_driver(d->driver)) {
		char *cmds = bind_commands(d->bdf, d->driver);

		if (*d->driver)
			mc_set_err(err,
				   "%s is bound to %s, not vfio-pci or a VFIO variant driver\n%s",
				   d->bdf, d->driver, cmds);
		else
			mc_set_err(err,
				   "%s is bound to no driver: bind it to vfio-pci or a VFIO "
				   "variant driver\n%s",
				   d->bdf, cmds);
		free(cmds);
		return -1;
	}
	path = dev_path(d->bdf, "iommu_group");
	link_base(path, link, sizeof(link));
	free(path);
	if (!*link) {
		mc_set_err(err,
			   "%s has no IOMMU group: the host runs without an IOMMU (boot with "
			   "intel_iommu=on or amd_iommu=on)",
			   d->bdf);
		return -1;
	}
	d->group = atoi(link);
	path = dev_path(d->bdf, "vfio-dev");
	{
		DIR *dir = opendir(path);
		struct dirent *e;

		while (dir && (e = readdir(dir)))
			if (!strncmp(e->d_name, "vfio", 4))
				snprintf(d->cdev, sizeof(d->cdev), "%.31s", e->d_name);
		if (dir)
			closedir(dir);
	}
	free(path);
	return 0;
}

/* The driver's module and version; firmware where sysfs shows one. */
static void read_versions(struct hostdev *d)
{
	static const char *const fw_leaves[] = {"firmware_version", "fw_version",
						"physfn/fw_version", NULL};
	struct utsname u;
	char *path;
	int i;

	path = mc_strdup_printf(SYS_PCI "/%s/driver/module", d->bdf);
	link_base(path, d->driver_module, sizeof(d->driver_module));
	free(path);
	if (*d->driver_module) {
		path = mc_strdup_printf("/sys/module/%s/version", d->driver_module);
		read_line(path, d->driver_version, sizeof(d->driver_version));
		free(path);
	}
	/* In-tree drivers carry no version of their own: the kernel's build is theirs. */
	if (!*d->driver_version && uname(&u) == 0)
		snprintf(d->driver_version, sizeof(d->driver_version), "kernel %.56s", u.release);
	for (i = 0; fw_leaves[i] && !*d->firmware_version; i++) {
		path = dev_path(d->bdf, fw_leaves[i]);
		read_line(path, d->firmware_version, sizeof(d->firmware_version));
		free(path);
	}
}

static bool named(const struct hostdev_set *s, const char *bdf)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->dev[i].bdf, bdf))
			return true;
	return false;
}

/* Every member of the group is named, and no pair shares a group. */
static int check_group(const struct hostdev_set *s, int i, char **err)
{
	const struct hostdev *d = &s->dev[i];
	char *path = mc_strdup_printf("/sys/kernel/iommu_groups/%d/devices", d->group), drv[64];
	struct dirent *e;
	DIR *dir = opendir(path);
	int j;

	if (!dir) {
		mc_set_err(err, "%s: IOMMU group %d: %s: %s", d->bdf, d->group, path,
			   strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || named(s, e->d_name))
			continue;
		path = mc_strdup_printf(SYS_PCI "/%s/driver", e->d_name);
		link_base(path, drv, sizeof(drv));
		free(path);
		mc_set_err(err,
			   "IOMMU group %d of %s also holds %s (%s), which was not named: a "
			   "VFIO group is used whole, so name it too or give the device a group "
			   "of its own (ACS)",
			   d->group, d->bdf, e->d_name, *drv ? drv : "no driver");
		closedir(dir);
		return -1;
	}
	closedir(dir);
	/* One QEMU owns a group whole: no group may hold devices of both sides. */
	for (j = 0; j < s->n; j++) {
		if (s->dev[j].group != d->group || j % 2 == i % 2)
			continue;
		mc_set_err(err,
			   "%s and %s share IOMMU group %d: the source's and the destination's "
			   "devices must be in different groups (each QEMU owns its group)",
			   s->dev[i % 2 ? j : i].bdf, s->dev[i % 2 ? i : j].bdf, d->group);
		return -1;
	}
	return 0;
}

/* A character device node that opens read-write (then closed again). */
static int check_node(const char *path, const char *fix, char **err)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0) {
		mc_set_err(err, "%s: %s: %s", path, strerror(errno), fix);
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		mc_set_err(err, "%s is not a character device: %s", path, fix);
		return -1;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		mc_set_err(err, "%s cannot be opened: %s%s", path, strerror(e),
			   e == EBUSY	 ? " (in use by another process: a running VM?)"
			   : e == EACCES ? " (run as root, or give this user the node)"
					 : "");
		return -1;
	}
	close(fd);
	return 0;
}

static int check_nodes(const struct hostdev *d, char **err)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
	if (check_node("/dev/vfio/vfio", "load VFIO (modprobe vfio-pci)", err) < 0 ||
	    check_node(path, "the group is not a VFIO group: is the device bound to vfio-pci?",
		       err) < 0 ||
	    check_node("/dev/iommu",
		       "the kernel offers no iommufd (modprobe iommufd; CONFIG_IOMMUFD)", err) < 0)
		return -1;
	if (*d->cdev) {
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", d->cdev);
		if (check_node(path, "sysfs shows the VFIO device cdev but /dev lacks it", err) < 0)
			return -1;
	}
	return 0;
}

int hostdev_check(struct hostdev_set *s, char **err)
{
	char *why = NULL;
	int i;

	s->emulated = hostdev_emulated();
	for (i = 0; i < s->n; i++)
		if (check_sysfs(&s->dev[i], err) < 0)
			return -1;
	for (i = 0; i < s->n; i += 2) {
		const struct hostdev *a = &s->dev[i], *b = &s->dev[i + 1];

		if (a->vendor != b->vendor || a->device != b->device) {
			mc_set_err(err,
				   "the source's %s is %04x:%04x, the destination's %s is "
				   "%04x:%04x: a pair must be one device model",
				   a->bdf, a->vendor, a->device, b->bdf, b->vendor, b->device);
			return -1;
		}
		if (strcmp(a->driver, b->driver)) {
			mc_set_err(err,
				   "the source's %s is bound to %s, the destination's %s to %s: a "
				   "pair must use one driver",
				   a->bdf, a->driver, b->bdf, b->driver);
			return -1;
		}
	}
	for (i = 0; i < s->n; i++) {
		if (check_group(s, i, err) < 0 || check_nodes(&s->dev[i], err) < 0)
			return -1;
		read_versions(&s->dev[i]);
	}
	for (i = 0; i < s->n; i++) {
		if (devcaps_probe(s->dev[i].bdf, s->dev[i].group, s->dev[i].cdev, &s->dev[i].caps,
				  &why) < 0) {
			mc_set_err(err, "%s: VFIO is unusable for it: %s", s->dev[i].bdf, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

char *hostdev_recheck(const struct hostdev_set *s)
{
	char *path, drv[64];
	struct stat st;
	int i;

	for (i = 0; i < s->n; i++) {
		path = mc_strdup_printf(SYS_PCI "/%s", s->dev[i].bdf);
		if (stat(path, &st) < 0) {
			char *why = mc_strdup_printf("host device %s disappeared (%s: %s)",
						     s->dev[i].bdf, path, strerror(errno));

			free(path);
			return why;
		}
		free(path);
		path = dev_path(s->dev[i].bdf, "driver");
		link_base(path, drv, sizeof(drv));
		free(path);
		if (strcmp(drv, s->dev[i].driver))
			return mc_strdup_printf("host device %s is now bound to %s, not %s as it "
						"was found",
						s->dev[i].bdf, *drv ? drv : "no driver",
						s->dev[i].driver);
	}
	return NULL;
}

json_t *hostdev_json(const struct hostdev_set *s)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < s->n; i++) {
		const struct hostdev *d = &s->dev[i];
		char id[16], sub[16], cls[16];

		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		snprintf(sub, sizeof(sub), "%04x:%04x", d->subsystem_vendor, d->subsystem_device);
		snprintf(cls, sizeof(cls), "0x%06x", d->class_code);
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s?, s:i, "
			      "s:s?, s:o}",
			      "bdf", d->bdf, "role", i % 2 ? "destination" : "source", "pair",
			      i / 2, "id", id, "subsystem", sub, "class", cls, "revision",
			      (int)d->revision, "driver", d->driver, "driver_module",
			      d->driver_module, "driver_version", d->driver_version,
			      "firmware_version", *d->firmware_version ? d->firmware_version : NULL,
			      "iommu_group", d->group, "cdev", *d->cdev ? d->cdev : NULL,
			      "capabilities", devcaps_json(&d->caps)));
	}
	return json_pack("{s:o, s:b}", "devices", arr, "emulated", s->emulated);
}
