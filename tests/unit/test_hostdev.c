// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host devices without a host: the --device syntax, which matrix cells
 * apply to which capabilities (and why not), what is never generated for
 * host devices, the QEMU arguments per side, and the certification
 * profile's names and budgets.  The refusals that read a host are tested
 * end to end in a host-emulation namespace (tests/passthrough).
 */
#define KTEST_MAIN
#include "ktest.h"

#include "certprofile.h"
#include "hostcells.h"
#include "hostdev.h"
#include "hostrig.h"
#include "mockdev.h"

#include <stdlib.h>
#include <string.h>

TEST(device_syntax)
{
	struct hostdev_set s;
	char *err = NULL;

	ASSERT_EQ(hostdev_parse("host=0000:3b:00.1,3B:00.2", &s, &err), 0);
	EXPECT_EQ(s.n, 2);
	EXPECT_STREQ(s.dev[0].bdf, "0000:3b:00.1");
	EXPECT_STREQ(s.dev[1].bdf, "0000:3b:00.2");
	EXPECT_EQ(hostdev_pairs(&s), 1);
	EXPECT_STREQ(hostdev_dst(&s, 0)->bdf, "0000:3b:00.2");
	ASSERT_EQ(hostdev_parse("host=01:00.0,02:00.0,03:00.0,04:00.0", &s, &err), 0);
	EXPECT_EQ(hostdev_pairs(&s), 2);
	EXPECT_STREQ(hostdev_src(&s, 1)->bdf, "0000:03:00.0");

	EXPECT_EQ(hostdev_parse("0000:3b:00.1,0000:3b:00.2", &s, &err), -1);
	EXPECT_TRUE(strstr(err, "--device takes host=BDF,BDF") != NULL);
	free(err), err = NULL;
	EXPECT_EQ(hostdev_parse("host=0000:3b:00.1", &s, &err), -1);
	EXPECT_TRUE(strstr(err, "1 device(s)") && strstr(err, "name them in pairs"));
	free(err), err = NULL;
	EXPECT_EQ(hostdev_parse("host=0000:3b:00.1,0000:3b:00.1", &s, &err), -1);
	EXPECT_STREQ(err, "--device: 0000:3b:00.1 is named twice");
	free(err), err = NULL;
	EXPECT_EQ(hostdev_parse("host=0000:3b:00.1,eth0", &s, &err), -1);
	EXPECT_STREQ(err, "--device: 'eth0' is not a PCI address (DDDD:BB:DD.F)");
	free(err), err = NULL;
	EXPECT_EQ(hostdev_parse("host=0000:3b:20.1,0000:3b:00.2", &s, &err), -1);
	free(err), err = NULL;
	EXPECT_EQ(hostdev_parse("host=", &s, &err), -1);
	free(err);
}

/* pairs of devices with the same capabilities. */
static struct hostdev_set devices(int pairs, bool logging, bool p2p, bool iommufd, bool dirty)
{
	struct hostdev_set s;
	int i;

	memset(&s, 0, sizeof(s));
	s.n = 2 * pairs;
	for (i = 0; i < s.n; i++) {
		struct devcaps *c = &s.dev[i].caps;

		snprintf(s.dev[i].bdf, sizeof(s.dev[i].bdf), "0000:3b:00.%d", i);
		c->migration = c->stop_copy = true;
		c->p2p = p2p;
		c->dma_logging = logging;
		c->dma_logging_errno = logging ? 0 : ENOTTY;
		c->iommufd = iommufd;
		c->iommu_dirty = dirty;
		if (!iommufd)
			snprintf(c->iommufd_error, sizeof(c->iommufd_error), "open /dev/iommu: %s",
				 "No such file or directory");
	}
	return s;
}

static struct mx_cell cell(int backend, int tracker, int devs)
{
	struct mx_cell c;

	mx_cell_clear(&c);
	c.v[MX_BACKEND] = backend;
	c.v[MX_TRACKER] = tracker;
	c.v[MX_EM] = mx_tracker_info(tracker)->needs_em_on ? MX_EM_ON : MX_EM_AUTO;
	c.v[MX_VIOMMU] = MX_VI_NONE;
	c.v[MX_MIGRATION] = MX_PRECOPY;
	c.v[MX_DEVICES] = devs;
	c.v[MX_HARDWARE] = MX_HW_HOST;
	mx_cell_name(&c);
	return c;
}

static bool applies(struct mx_cell c, const struct hostdev_set *s)
{
	char *why = NULL;
	bool ok = hostcells_applies(&c, s, &why);

	free(why);
	return ok;
}
#define APPLIES(c, s) applies((c), &(s))

TEST(cells_follow_what_the_kernel_said)
{
	struct hostdev_set full = devices(1, true, true, true, true);
	struct hostdev_set plain = devices(1, false, false, false, false);
	struct mx_cell c;
	char *why = NULL;

	/* Everything offered: every tracker but "none" applies. */
	EXPECT_TRUE(APPLIES(cell(MOCK_TYPE1, MX_DEVICE_LOG, MX_ONE_DEV), full));
	EXPECT_TRUE(APPLIES(cell(MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_ONE_DEV), full));
	EXPECT_TRUE(APPLIES(cell(MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_ONE_DEV), full));
	c = cell(MOCK_IOMMUFD, MX_NO_TRACKER, MX_ONE_DEV);
	EXPECT_FALSE(hostcells_applies(&c, &full, &why));
	EXPECT_TRUE(why && strstr(why, "the host IOMMU tracks dirty pages for 0000:3b:00.0"));
	free(why);
	/* One pair: no two-device cell. */
	c = cell(MOCK_TYPE1, MX_DEVICE_LOG, MX_TWO_P2P);
	EXPECT_FALSE(hostcells_applies(&c, &full, &why));
	EXPECT_STREQ(why, "2 device(s) in the guest need 2 pair(s) of host devices; --device "
			  "named 1");
	free(why);

	/* Nothing offered but migration on type1. */
	c = cell(MOCK_TYPE1, MX_DEVICE_LOG, MX_ONE_DEV);
	EXPECT_FALSE(hostcells_applies(&c, &plain, &why));
	EXPECT_STREQ(why, "0000:3b:00.0 offers no DMA logging (a PROBE of DMA_LOGGING_START: "
			  "ENOTTY)");
	free(why);
	c = cell(MOCK_IOMMUFD, MX_NO_TRACKER, MX_ONE_DEV);
	EXPECT_FALSE(hostcells_applies(&c, &plain, &why));
	EXPECT_STREQ(why, "0000:3b:00.0 cannot go through iommufd: open /dev/iommu: No such "
			  "file or directory");
	free(why);
	EXPECT_TRUE(APPLIES(cell(MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_ONE_DEV), plain));

	/* No migration at all: nothing applies, and it says what the kernel said. */
	plain.dev[1].caps.stop_copy = false;
	plain.dev[1].caps.migration_errno = ENOTTY;
	c = cell(MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_ONE_DEV);
	EXPECT_FALSE(hostcells_applies(&c, &plain, &why));
	EXPECT_STREQ(why, "0000:3b:00.1 offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: "
			  "ENOTTY, flags 0x0)");
	free(why);
}

TEST(two_devices_and_p2p)
{
	struct hostdev_set p2p = devices(2, true, true, true, true);
	struct hostdev_set nop2p = devices(2, true, false, true, true);
	struct mx_cell c;
	char *why = NULL;

	EXPECT_TRUE(APPLIES(cell(MOCK_IOMMUFD, MX_DEVICE_LOG, MX_TWO_P2P), p2p));
	c = cell(MOCK_IOMMUFD, MX_DEVICE_LOG, MX_TWO_NO_P2P);
	EXPECT_FALSE(hostcells_applies(&c, &p2p, &why));
	EXPECT_TRUE(why && strstr(why, "needs a device that lacks them"));
	free(why);
	EXPECT_TRUE(APPLIES(cell(MOCK_IOMMUFD, MX_DEVICE_LOG, MX_TWO_NO_P2P), nop2p));
	EXPECT_FALSE(APPLIES(cell(MOCK_IOMMUFD, MX_DEVICE_LOG, MX_TWO_P2P), nop2p));
}

TEST(never_generated_for_host_devices)
{
	struct mx_cell c = cell(MOCK_IOMMUFD_FD, MX_DEVICE_LOG, MX_ONE_DEV);
	json_t *gaps = hostcells_not_generated_json();
	int i;

	EXPECT_FALSE(hostcells_generated(&c));
	c = cell(MOCK_TYPE1, MX_DEVICE_LOG, MX_ONE_DEV);
	EXPECT_TRUE(hostcells_generated(&c));
	c.v[MX_MIGRATION] = MX_POSTCOPY;
	EXPECT_FALSE(hostcells_generated(&c));
	/* One enable-migration value per tracker: the one QEMU migrates it with. */
	c = cell(MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_ONE_DEV);
	EXPECT_TRUE(hostcells_generated(&c));
	c.v[MX_EM] = MX_EM_AUTO;
	EXPECT_FALSE(hostcells_generated(&c));
	/* Every mock-only scenario of the dirty suite is listed, each with its reason. */
	for (i = 0; hostcells_not_generated[i].what; i++)
		EXPECT_TRUE(strlen(hostcells_not_generated[i].reason) > 10);
	EXPECT_EQ(json_array_size(gaps), (size_t)i);
	EXPECT_TRUE(i >= 12);
	EXPECT_STREQ(hostcells_not_generated[0].what, "dirty.*.drop_dirty");
	json_decref(gaps);
}

TEST(qemu_arguments_per_side)
{
	struct hostdev_set s;
	struct host_spec h;
	struct mx_cell c = cell(MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_ONE_DEV);
	char **src, **dst, *err = NULL;

	ASSERT_EQ(hostdev_parse("host=0000:3b:00.1,0000:3b:00.2", &s, &err), 0);
	c.v[MX_MIGRATION] = MX_MULTIFD;
	hostrig_cell_spec(&c, &h);
	ASSERT_EQ(hostrig_args(&h, &s, &src, &dst, &err), 0);
	EXPECT_STREQ(src[0], "-object");
	EXPECT_STREQ(src[1], "iommufd,id=i0");
	EXPECT_STREQ(src[3], "vfio-pci,host=0000:3b:00.1,id=hd0,iommufd=i0,x-device-dirty-page-"
			     "tracking=off,x-migration-multifd-transfer=on");
	EXPECT_STREQ(dst[3], "vfio-pci,host=0000:3b:00.2,id=hd0,iommufd=i0,x-device-dirty-page-"
			     "tracking=off,x-migration-multifd-transfer=on");
	EXPECT_NULL(src[4]);
	hostrig_free_args(src);
	hostrig_free_args(dst);

	c = cell(MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_ONE_DEV);
	hostrig_cell_spec(&c, &h);
	ASSERT_EQ(hostrig_args(&h, &s, &src, &dst, &err), 0);
	EXPECT_STREQ(src[0], "-device");
	EXPECT_STREQ(src[1], "vfio-pci,host=0000:3b:00.1,id=hd0,enable-migration=on,x-device-"
			     "dirty-page-tracking=off");
	hostrig_free_args(src);
	hostrig_free_args(dst);

	c = cell(MOCK_TYPE1, MX_DEVICE_LOG, MX_TWO_P2P);
	hostrig_cell_spec(&c, &h);
	EXPECT_EQ(hostrig_args(&h, &s, &src, &dst, &err), -1);
	EXPECT_STREQ(err, "2 device(s) in the guest, 1 pair(s) of host devices named");
	free(err), err = NULL;
	EXPECT_EQ(hostrig_args(&h, NULL, &src, &dst, &err), -1);
	EXPECT_TRUE(strstr(err, "no host device named") != NULL);
	free(err);
}

TEST(certification_profile)
{
	const struct cert_profile *p = &cert_profile_v1;
	char *name = cert_item_case(&p->items[0]);
	json_t *j = cert_profile_json(p);
	size_t i;

	EXPECT_STREQ(name, "passthrough.type1_devlog_auto_novi_precopy_1dev.dma");
	free(name);
	EXPECT_EQ(p->version, 1);
	EXPECT_EQ(p->repetitions, 3);
	/* Every item is a cell the passthrough suite generates. */
	for (i = 0; i < p->nitems; i++) {
		struct mx_cell c;

		cert_item_cell(&p->items[i], &c);
		EXPECT_TRUE(hostcells_generated(&c));
		EXPECT_TRUE(mx_cell_valid(&c));
	}
	EXPECT_EQ(cert_budget_ms(p, 0), 1000);
	EXPECT_EQ(cert_budget_ms(p, 1 << 20), 1000);
	EXPECT_EQ(cert_budget_ms(p, (1 << 20) + 1), 2000);
	EXPECT_EQ(cert_budget_ms(p, 1ull << 40), 15000);
	EXPECT_EQ(json_array_size(json_object_get(j, "items")), p->nitems);
	EXPECT_TRUE(json_is_null(json_object_get(json_array_get(json_object_get(j, "budgets"), 3),
						 "device_state_bytes_max")));
	json_decref(j);
}
