// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_drivers.c: the driver registry.  A test build of the agent carries a
 * second driver, for testdev (testdev.h), added the way a vendor adds one:
 * its own file and one line in drivers.c.  The dma commands, unchanged,
 * find it by the device's IDs and run its fill, copy and (with no ring
 * engine) the agent's fill-driven stream; the same binary still drives the
 * VFIO mock through the mock's driver.  The device's hardware is a model in
 * that build whose registers are the fake sysfs tree's resource0.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "ktest.h"
#include "agent_client.h"
#include "testdev.h"
#include "vfiomock-abi.h"

#define LINE 8192
#define TD_BDF "0000:02:00.0"
#define MOCK_BDF "0000:01:00.0"
#define GROUP 42

struct tree {
	char root[512];
	char sysfs[600];
	char td[700];
	char bar[800];
};

static bool put(const char *dir, const char *name, const char *text, size_t len)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	fwrite(text, 1, len, f);
	return fclose(f) == 0;
}

static bool puts_(const char *dir, const char *name, const char *text)
{
	return put(dir, name, text, strlen(text));
}

static bool mkdirs(const char *path)
{
	char buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

/* testdev at 02:00.0 (config, resource0) and the VFIO mock at 01:00.0 in group 42. */
static bool make_tree(struct tree *t)
{
	static char zeros[4096];
	const char *tmp = getenv("TMPDIR");
	char p[1024], text[32];

	snprintf(t->root, sizeof(t->root), "%s/drivers-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->root))
		return false;
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	snprintf(t->td, sizeof(t->td), "%s/bus/pci/devices/" TD_BDF, t->sysfs);
	snprintf(t->bar, sizeof(t->bar), "%s/resource0", t->td);
	if (!mkdirs(t->td))
		return false;
	snprintf(text, sizeof(text), "0x%04x\n", TESTDEV_VENDOR);
	if (!puts_(t->td, "vendor", text))
		return false;
	snprintf(text, sizeof(text), "0x%04x\n", TESTDEV_DEVICE);
	if (!puts_(t->td, "device", text) || !put(t->td, "resource0", zeros, sizeof(zeros)) ||
	    !put(t->td, "config", zeros, 256))
		return false;
	snprintf(p, sizeof(p), "%s/bus/pci/devices/" MOCK_BDF, t->sysfs);
	snprintf(text, sizeof(text), "0x%04x\n", VFM_PCI_VENDOR);
	if (!mkdirs(p) || !puts_(p, "vendor", text))
		return false;
	snprintf(text, sizeof(text), "0x%04x\n", VFM_PCI_DEVICE);
	if (!puts_(p, "device", text))
		return false;
	snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%d", t->sysfs, GROUP);
	if (!mkdirs(p))
		return false;
	snprintf(p, sizeof(p), "%s/bus/pci/devices/" MOCK_BDF "/iommu_group", t->sysfs);
	return symlink("../../../../kernel/iommu_groups/42", p) == 0;
}

static void tree_free(struct tree *t)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", t->root);
}

/* The test build of the agent, with the mock preloaded when it is there. */
static bool start(struct agent *a, struct tree *t)
{
	const char *agent = getenv("MIGCHECK_AGENT_TEST"), *lib = getenv("VFIOMOCK_LIB");
	const char *extra[] = {"--sysfs", t->sysfs, NULL};
	char cfg[1024], line[LINE];

	if (!agent || access(agent, X_OK))
		return false;
	setenv("MIGCHECK_AGENT", agent, 1);
	setenv(TESTDEV_BAR_ENV, t->bar, 1);
	if (lib && !access(lib, R_OK)) {
		snprintf(cfg, sizeof(cfg),
			 "{\"version\":1,\"devices\":[{\"name\":\"" MOCK_BDF "\",\"group\":%d}]}",
			 GROUP);
		if (!puts_(t->root, "mock.json", cfg))
			return false;
		snprintf(cfg, sizeof(cfg), "%s/mock.json", t->root);
		setenv("VFIOMOCK_CONFIG", cfg, 1);
		setenv("LD_PRELOAD", lib, 1);
	}
	return agent_spawn(a, extra) == 0 && agent_line(a, line, sizeof(line), 10000) > 0;
}

#define CMD(a, req, reply)                                                                         \
	do {                                                                                       \
		int _r = agent_cmd(&(a), (req), (reply), sizeof(reply));                           \
		KT_CHECK(true, _r >= 0, "request \"%s\": no reply (%s)", (req), strerror(-_r));    \
	} while (0)

#define START(a, t)                                                                                \
	do {                                                                                       \
		ASSERT_TRUE(make_tree(&(t)));                                                      \
		if (!start(&(a), &(t))) {                                                          \
			tree_free(&(t));                                                           \
			SKIP("MIGCHECK_AGENT_TEST not available");                                 \
		}                                                                                  \
	} while (0)

TEST(second_driver_runs_through_unchanged_commands)
{
	struct agent a;
	struct tree t;
	char r[LINE], cfg[8];

	START(a, t);
	CMD(a, "1 dev find vendor=0x1b36 device=0x0fe1", r);
	ASSERT_EQ(strncmp(r, "1 ok bdf=" TD_BDF " ", 17), 0);
	CMD(a, "2 dma open", r);
	EXPECT_STREQ(r, "2 ok driver=testdev via=sysfs bdf=" TD_BDF " ops=fill,memcpy");
	/* dma open turned MEM and Bus Master on in config space. */
	{
		char path[1024];
		FILE *f;

		snprintf(path, sizeof(path), "%s/config", t.td);
		f = fopen(path, "r");
		ASSERT_NONNULL(f);
		ASSERT_EQ(fread(cfg, 1, 6, f), 6u);
		fclose(f);
		EXPECT_EQ(cfg[4] & 0x6, 0x6);
	}
	CMD(a, "3 dma fill pages=4 seed=9", r);
	ASSERT_EQ(strncmp(r, "3 ok ", 5), 0);
	EXPECT_EQ(kv_num(r, "written"), 4);
	EXPECT_EQ(kv_num(r, "landed"), 4);
	EXPECT_EQ(kv_num(r, "faulted"), 0);
	CMD(a, "4 dma verify", r);
	EXPECT_STREQ(r, "4 ok checked=4 seed=9");
	CMD(a, "5 dma memcpy pages=3 seed=2", r);
	EXPECT_STREQ(r, "5 ok pages=3 copied=3");
	/* No ring engine: the agent streams with one-page fills. */
	CMD(a, "6 dma stream-start pages=8 rate=2000", r);
	ASSERT_EQ(strncmp(r, "6 ok engine=fill pages=8 ", 25), 0);
	usleep(20000);
	CMD(a, "7 dma stream-stop", r);
	KT_CHECK(true, !strncmp(r, "7 ok seq=", 9), "stream-stop: %s", r);
	CMD(a, "8 dma stream-check", r);
	ASSERT_EQ(strncmp(r, "8 ok ", 5), 0);
	EXPECT_EQ(kv_num(r, "checked"), 8);
	CMD(a, "9 dma corrupt what=stream index=0", r);
	CMD(a, "10 dma stream-check", r);
	ASSERT_EQ(strncmp(r, "10 err ", 7), 0);
	EXPECT_EQ(kv_num(r, "first"), 0);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	CMD(a, "11 dma results", r);
	ASSERT_EQ(strncmp(r, "11 ok written=", 14), 0);
	EXPECT_EQ(kv_num(r, "status"), 0);
	CMD(a, "12 dma close", r);
	EXPECT_STREQ(r, "12 ok closed=1");
	agent_stop(&a);
	tree_free(&t);
}

TEST(registry_picks_each_device_its_driver)
{
	struct agent a;
	struct tree t;
	char r[LINE];

	START(a, t);
	if (!getenv("LD_PRELOAD")) {
		agent_stop(&a);
		tree_free(&t);
		SKIP("VFIOMOCK_LIB not available");
	}
	CMD(a, "1 dev find vendor=0x1b36 device=0x0fe1", r);
	CMD(a, "2 dma open", r);
	EXPECT_STREQ(r, "2 ok driver=testdev via=sysfs bdf=" TD_BDF " ops=fill,memcpy");
	CMD(a, "3 dma close", r);
	CMD(a, "4 dev find", r);
	CMD(a, "5 vfio open", r);
	ASSERT_EQ(strncmp(r, "5 ok", 4), 0);
	CMD(a, "6 dma open", r);
	EXPECT_STREQ(r, "6 ok driver=vfiomock via=vfio bdf=" MOCK_BDF " ops=fill,ring");
	CMD(a, "7 dma fill pages=2 seed=5", r);
	EXPECT_EQ(kv_num(r, "landed"), 2);
	CMD(a, "8 dma close", r);
	/* VFIO is open for the mock: testdev cannot go through it. */
	CMD(a, "9 dev find vendor=0x1b36 device=0x0fe1", r);
	CMD(a, "10 dma open via=vfio", r);
	EXPECT_STREQ(r, "10 err the open VFIO device is " MOCK_BDF ", not " TD_BDF);
	agent_stop(&a);
	tree_free(&t);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
