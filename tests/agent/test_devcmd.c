// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_devcmd.c: the agent's dev, vfio and marker commands.
 *
 * sysfs is a fake tree (--sysfs): the device is found by vendor and device
 * files, bind and unbind write the files Linux reads, the group type is a
 * plain file.  In-guest VFIO is the VFIO mock (libvfiomock.so) preloaded
 * into a dynamically linked build of the agent: the agent's MAP_DMA hands
 * the mock its own buffers, so a fill through BAR0 lands in them exactly as
 * in a guest.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktest.h"
#include "agent_client.h"
#include "vfiomock-abi.h"

#define LINE 8192
#define BDF "0000:01:00.0"
#define GROUP 42
#define STR(x) #x
#define XSTR(x) STR(x)
#define VENDOR_TEXT XSTR(VFM_PCI_VENDOR) "\n"
#define DEVICE_TEXT XSTR(VFM_PCI_DEVICE) "\n"

struct fake {
	char root[512];
	char sysfs[600];
	char dev[700];
	char devmem[600]; /* stands in for /dev/mem: 1 MiB of "guest physical" memory */
};

static bool put(const char *dir, const char *name, const char *text)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static char *get(const char *dir, const char *name, char *buf, size_t size)
{
	char path[2048];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
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

/* sysfs with the mock device (in group 42) and an unrelated function. */
static bool fake_sysfs(struct fake *f)
{
	const char *t = getenv("TMPDIR");
	char p[1024];

	snprintf(f->root, sizeof(f->root), "%s/devcmd-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(f->root))
		return false;
	snprintf(f->sysfs, sizeof(f->sysfs), "%s/sys", f->root);
	snprintf(f->dev, sizeof(f->dev), "%s/bus/pci/devices/" BDF, f->sysfs);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:00:1f.0", f->sysfs);
	if (!mkdirs(p) || !put(p, "vendor", "0x8086\n") || !put(p, "device", "0x2918\n"))
		return false;
	if (!mkdirs(f->dev) || !put(f->dev, "vendor", VENDOR_TEXT) ||
	    !put(f->dev, "device", DEVICE_TEXT) || !put(f->dev, "driver_override", "(null)\n"))
		return false;
	snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%d", f->sysfs, GROUP);
	if (!mkdirs(p) || !put(p, "type", "DMA\n"))
		return false;
	snprintf(p, sizeof(p), "%s/iommu_group", f->dev);
	if (symlink("../../../../kernel/iommu_groups/42", p))
		return false;
	snprintf(f->devmem, sizeof(f->devmem), "%s/devmem", f->root);
	if (!put(f->root, "devmem", "") || truncate(f->devmem, 1 << 20))
		return false;
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/vfio-pci", f->sysfs);
	return mkdirs(p) && put(p, "bind", "");
}

static void fake_free(struct fake *f)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", f->root);
}

#define START(a, f)                                                                                \
	do {                                                                                       \
		const char *_x[] = {"--sysfs", (f).sysfs, "--devmem", (f).devmem, NULL};           \
		char _l[LINE];                                                                     \
		ASSERT_EQ(agent_spawn(&(a), _x), 0);                                               \
		ASSERT_GT(agent_line(&(a), _l, sizeof(_l), 10000), 0);                             \
	} while (0)

#define CMD(a, req, reply)                                                                         \
	do {                                                                                       \
		int _r = agent_cmd(&(a), (req), (reply), sizeof(reply));                           \
		KT_CHECK(true, _r >= 0, "request \"%s\": no reply (%s)", (req), strerror(-_r));    \
	} while (0)

TEST(dev_find_by_ids)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[128];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 dev find", r);
	ASSERT_EQ(strncmp(r, "1 ok ", 5), 0);
	ASSERT_TRUE(kv_get(r, "bdf", v, sizeof(v)));
	EXPECT_STREQ(v, BDF);
	EXPECT_EQ(kv_num(r, "group"), GROUP);
	ASSERT_TRUE(kv_get(r, "driver", v, sizeof(v)));
	EXPECT_STREQ(v, "none");
	ASSERT_TRUE(kv_get(r, "type", v, sizeof(v)));
	EXPECT_STREQ(v, "DMA");
	ASSERT_TRUE(kv_get(r, "vfio", v, sizeof(v)));
	EXPECT_STREQ(v, "none");
	CMD(a, "2 dev find vendor=0x8086 device=0x2918", r);
	ASSERT_TRUE(kv_get(r, "bdf", v, sizeof(v)));
	EXPECT_STREQ(v, "0000:00:1f.0");
	EXPECT_EQ(kv_num(r, "group"), -1);
	CMD(a, "3 dev find device=0x1234", r);
	EXPECT_EQ(strncmp(r, "3 err no PCI function 1b36:1234", 31), 0);
	CMD(a, "4 dev find bus=1", r);
	EXPECT_STREQ(r, "4 err unknown argument bus for dev find");
	agent_stop(&a);
	fake_free(&f);
}

TEST(dev_needs_find_first)
{
	struct agent a;
	struct fake f;
	char r[LINE];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 dev bind", r);
	EXPECT_STREQ(r, "1 err no device: run dev find first");
	CMD(a, "2 marker value=1", r);
	EXPECT_STREQ(r, "2 err no device: run dev find first");
	CMD(a, "3 dev", r);
	EXPECT_EQ(strncmp(r, "3 err dev needs find", 20), 0);
	CMD(a, "4 dev frob", r);
	EXPECT_STREQ(r, "4 err unknown dev subcommand frob");
	CMD(a, "5 dev gpa", r);
	EXPECT_STREQ(r, "5 err no buffer: run dev fill-phys first");
	CMD(a, "6 marker", r);
	EXPECT_STREQ(r, "6 err missing argument value");
	agent_stop(&a);
	fake_free(&f);
}

TEST(dev_bind_writes_override_then_bind)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[256], drv[1024];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 dev bind", r);
	ASSERT_EQ(strncmp(r, "2 ok ", 5), 0);
	ASSERT_TRUE(get(f.dev, "driver_override", v, sizeof(v)));
	EXPECT_STREQ(v, "vfio-pci");
	snprintf(drv, sizeof(drv), "%s/bus/pci/drivers/vfio-pci", f.sysfs);
	ASSERT_TRUE(get(drv, "bind", v, sizeof(v)));
	EXPECT_STREQ(v, BDF);
	CMD(a, "3 dev bind driver=nosuch", r);
	EXPECT_EQ(strncmp(r, "3 err write " BDF " to ", 17), 0);
	agent_stop(&a);
	fake_free(&f);
}

TEST(dev_unbind_writes_unbind_and_clears_override)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[256], drv[1024], link[1024];

	ASSERT_TRUE(fake_sysfs(&f));
	snprintf(drv, sizeof(drv), "%s/bus/pci/drivers/foo", f.sysfs);
	ASSERT_TRUE(mkdirs(drv) && put(drv, "unbind", ""));
	snprintf(link, sizeof(link), "%s/driver", f.dev);
	ASSERT_EQ(symlink("../../../../bus/pci/drivers/foo", link), 0);
	START(a, f);
	CMD(a, "1 dev find", r);
	ASSERT_TRUE(kv_get(r, "driver", v, sizeof(v)));
	EXPECT_STREQ(v, "foo");
	/* Bound elsewhere: bind refuses instead of stealing the device. */
	CMD(a, "2 dev bind", r);
	EXPECT_STREQ(r, "2 err " BDF " is bound to foo: unbind it first");
	CMD(a, "3 dev unbind", r);
	ASSERT_EQ(strncmp(r, "3 ok ", 5), 0);
	ASSERT_TRUE(get(drv, "unbind", v, sizeof(v)));
	EXPECT_STREQ(v, BDF);
	/* A newline clears the override (the fake file keeps the old tail). */
	ASSERT_TRUE(get(f.dev, "driver_override", v, sizeof(v)));
	EXPECT_EQ(v[0], '\n');
	agent_stop(&a);
	fake_free(&f);
}

TEST(dev_group_type_writes_and_reads_back)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[256], grp[1024];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 dev group-type type=identity", r);
	ASSERT_EQ(strncmp(r, "2 ok ", 5), 0);
	ASSERT_TRUE(kv_get(r, "type", v, sizeof(v)));
	EXPECT_STREQ(v, "identity");
	snprintf(grp, sizeof(grp), "%s/kernel/iommu_groups/%d", f.sysfs, GROUP);
	ASSERT_TRUE(get(grp, "type", v, sizeof(v)));
	EXPECT_STREQ(v, "identity");
	CMD(a, "3 dev status", r);
	ASSERT_TRUE(kv_get(r, "type", v, sizeof(v)));
	EXPECT_STREQ(v, "identity");
	CMD(a, "4 dev group-type", r);
	EXPECT_STREQ(r, "4 err missing argument type");
	agent_stop(&a);
	fake_free(&f);
}

TEST(vfio_commands_check_their_state)
{
	struct agent a;
	struct fake f;
	char r[LINE];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 vfio open", r);
	EXPECT_STREQ(r, "1 err no device: run dev find first (stage none)");
	CMD(a, "2 dev find", r);
	CMD(a, "3 vfio map iova=0x100000 pages=1", r);
	EXPECT_STREQ(r, "3 err no IOMMU set (stage none)");
	CMD(a, "4 vfio fill iova=0x100000", r);
	EXPECT_STREQ(r, "4 err the VFIO device is not open (stage none)");
	CMD(a, "5 vfio open stage=bogus", r);
	EXPECT_STREQ(r, "5 err bad value for stage: bogus (group, container, iommu or device)");
	CMD(a, "6 vfio status", r);
	EXPECT_STREQ(r, "6 ok stage=none bufs=0 bar=none");
	CMD(a, "7 vfio", r);
	EXPECT_EQ(strncmp(r, "7 err vfio needs open", 21), 0);
	agent_stop(&a);
	fake_free(&f);
}

TEST(dma_commands_check_their_state)
{
	struct agent a;
	struct fake f;
	char r[LINE];

	ASSERT_TRUE(fake_sysfs(&f));
	START(a, f);
	CMD(a, "1 dma open", r);
	EXPECT_STREQ(r, "1 err no device: run dev find first");
	CMD(a, "2 dma fill", r);
	EXPECT_STREQ(r, "2 err no DMA device: run dma open first");
	CMD(a, "3 dma status", r);
	EXPECT_STREQ(r, "3 ok driver=none via=none fill_pages=0 stream=none running=0");
	CMD(a, "4 dev find vendor=0x8086 device=0x2918", r);
	/* A device no driver is registered for: the commands never guess. */
	CMD(a, "5 dma open", r);
	EXPECT_STREQ(r, "5 err no driver for 8086:2918 (drivers: vfiomock)");
	CMD(a, "6 dma open via=pci", r);
	EXPECT_STREQ(r, "6 err bad value for via: pci (sysfs or vfio)");
	CMD(a, "7 dev find", r);
	CMD(a, "8 dma open via=vfio", r);
	EXPECT_STREQ(r, "8 err via vfio needs the VFIO device open (stage none)");
	CMD(a, "9 dma", r);
	EXPECT_EQ(strncmp(r, "9 err dma needs open", 20), 0);
	CMD(a, "10 dma frob", r);
	EXPECT_STREQ(r, "10 err unknown dma subcommand frob");
	agent_stop(&a);
	fake_free(&f);
}

/* ---- against the VFIO mock ---- */

static bool mock_env(struct fake *f)
{
	const char *lib = getenv("VFIOMOCK_LIB"), *dyn = getenv("MIGCHECK_AGENT_DYN");
	char cfg[1024];

	if (!lib || !dyn || access(lib, R_OK) || access(dyn, X_OK))
		return false;
	snprintf(cfg, sizeof(cfg),
		 "{\"version\":1,\"log\":\"%s/mock.jsonl\",\"devices\":[{\"name\":\"" BDF
		 "\",\"group\":%d}]}",
		 f->root, GROUP);
	if (!put(f->root, "mock.json", cfg))
		return false;
	snprintf(cfg, sizeof(cfg), "%s/mock.json", f->root);
	setenv("VFIOMOCK_CONFIG", cfg, 1);
	setenv("LD_PRELOAD", lib, 1);
	setenv("MIGCHECK_AGENT", dyn, 1);
	return true;
}

#define MOCK_START(a, f)                                                                           \
	do {                                                                                       \
		ASSERT_TRUE(fake_sysfs(&(f)));                                                     \
		if (!mock_env(&(f))) {                                                             \
			fake_free(&(f));                                                           \
			SKIP("VFIOMOCK_LIB or MIGCHECK_AGENT_DYN not available");                  \
		}                                                                                  \
		START(a, f);                                                                       \
	} while (0)

TEST(vfio_open_in_stages_and_close)
{
	struct agent a;
	struct fake f;
	char r[LINE];

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open stage=container", r);
	EXPECT_EQ(strncmp(r, "2 ok stage=container ", 21), 0);
	CMD(a, "3 vfio open stage=group", r);
	EXPECT_STREQ(r, "3 err VFIO is already at container (stage container)");
	CMD(a, "4 vfio open stage=iommu", r);
	EXPECT_EQ(strncmp(r, "4 ok stage=iommu ", 17), 0);
	CMD(a, "5 vfio open", r);
	EXPECT_EQ(strncmp(r, "5 ok stage=device ", 18), 0);
	/* The group is held: unbinding now would pull the device from under VFIO. */
	CMD(a, "6 dev unbind", r);
	EXPECT_STREQ(r, "6 err VFIO is open (device): close it first");
	CMD(a, "7 vfio close", r);
	EXPECT_EQ(strncmp(r, "7 ok live=0 ", 12), 0);
	CMD(a, "8 vfio status", r);
	EXPECT_STREQ(r, "8 ok stage=none bufs=0 bar=none");
	/* Closed means the group can be opened again. */
	CMD(a, "9 vfio open", r);
	EXPECT_EQ(strncmp(r, "9 ok stage=device ", 18), 0);
	agent_stop(&a);
	fake_free(&f);
}

TEST(vfio_map_fill_unmap)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[64];

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open", r);
	ASSERT_EQ(strncmp(r, "2 ok", 4), 0);
	/* Bus master off (as vfio-pci leaves it): the device must not DMA. */
	CMD(a, "3 vfio map iova=0x100000 pages=4", r);
	ASSERT_EQ(strncmp(r, "3 ok iova=0x100000 pages=4 ", 27), 0);
	CMD(a, "4 vfio fill iova=0x100000 pages=4 seed=3", r);
	EXPECT_EQ(kv_num(r, "written"), 0);
	EXPECT_EQ(kv_num(r, "landed"), 0);
	CMD(a, "5 vfio enable", r);
	EXPECT_EQ(kv_num(r, "command") & 0x6, 0x6);
	CMD(a, "6 vfio fill iova=0x100000 pages=4 seed=3", r);
	EXPECT_EQ(kv_num(r, "status"), 0);
	EXPECT_EQ(kv_num(r, "written"), 4);
	EXPECT_EQ(kv_num(r, "faulted"), 0);
	EXPECT_EQ(kv_num(r, "landed"), 4);
	EXPECT_EQ(kv_num(r, "in_buffers"), 4);
	/* The mock's BAR0 is trapped, not mmappable: the region is used instead. */
	ASSERT_TRUE(kv_get(r, "path", v, sizeof(v)));
	EXPECT_STREQ(v, "pread");
	/* Half outside the buffer: those pages fault. */
	CMD(a, "7 vfio fill iova=0x102000 pages=4 seed=4", r);
	EXPECT_EQ(kv_num(r, "written"), 2);
	EXPECT_EQ(kv_num(r, "faulted"), 2);
	EXPECT_EQ(kv_num(r, "landed"), 2);
	/* Read-only for the device. */
	CMD(a, "8 vfio map iova=0x200000 pages=2 write=0", r);
	ASSERT_EQ(strncmp(r, "8 ok", 4), 0);
	CMD(a, "9 vfio fill iova=0x200000 pages=2 seed=5", r);
	EXPECT_EQ(kv_num(r, "written"), 0);
	EXPECT_EQ(kv_num(r, "faulted"), 2);
	CMD(a, "10 vfio map iova=0x101000 pages=1", r);
	EXPECT_STREQ(r, "10 err iova 0x101000 overlaps a mapped buffer");
	CMD(a, "11 vfio unmap iova=0x101000 pages=1", r);
	EXPECT_STREQ(r, "11 err range cuts the buffer at iova 0x100000 (4 pages)");
	CMD(a, "12 vfio unmap iova=0x100000 pages=0x200", r);
	EXPECT_EQ(strncmp(r, "12 ok bytes=24576 ", 18), 0);
	CMD(a, "13 vfio fill iova=0x100000 pages=1 seed=6", r);
	EXPECT_EQ(kv_num(r, "faulted"), 1);
	CMD(a, "14 vfio unmap iova=0x100000 pages=1", r);
	EXPECT_STREQ(r, "14 err no buffer in iova 0x100000 + 1 pages");
	agent_stop(&a);
	fake_free(&f);
}

/* phys=: the buffer is "guest physical" memory at a chosen address (here a file). */
TEST(vfio_map_phys)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[128];
	uint64_t word = 0;
	FILE *m;

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open", r);
	ASSERT_EQ(strncmp(r, "2 ok", 4), 0);
	CMD(a, "3 vfio enable", r);
	CMD(a, "4 vfio map iova=0x300000 pages=2 phys=0x10000", r);
	ASSERT_EQ(strncmp(r, "4 ok iova=0x300000 pages=2 ", 27), 0);
	CMD(a, "5 vfio gpa iova=0x300000 pages=2", r);
	ASSERT_TRUE(kv_get(r, "runs", v, sizeof(v)));
	EXPECT_STREQ(v, "0x10000+2");
	CMD(a, "6 vfio fill iova=0x301000 pages=1 seed=9", r);
	EXPECT_EQ(kv_num(r, "written"), 1);
	EXPECT_EQ(kv_num(r, "landed"), 1);
	/* The fill is in the memory behind phys, at its page. */
	m = fopen(f.devmem, "r");
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(fseek(m, 0x11000, SEEK_SET), 0);
	ASSERT_EQ(fread(&word, sizeof(word), 1, m), 1);
	fclose(m);
	EXPECT_EQ(word, 0x4c4c49464b4d4656ull); /* "VFMKFILL" */
	CMD(a, "7 vfio map iova=0x400000 pages=1 phys=0x10001", r);
	EXPECT_STREQ(r, "7 err bad physical address 0x10001");
	CMD(a, "8 vfio unmap iova=0x300000 pages=2", r);
	EXPECT_EQ(strncmp(r, "8 ok bytes=8192 ", 16), 0);
	agent_stop(&a);
	fake_free(&f);
}

TEST(vfio_storm_and_each)
{
	struct agent a;
	struct fake f;
	char r[LINE];

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open", r);
	CMD(a, "3 vfio storm iova=0x1000000 pages=64", r);
	ASSERT_EQ(strncmp(r, "3 ok pages=64 bytes=262144 ", 27), 0);
	CMD(a, "4 vfio map iova=0x1000000 pages=8 each=1", r);
	ASSERT_EQ(strncmp(r, "4 ok", 4), 0);
	CMD(a, "5 vfio status", r);
	EXPECT_STREQ(r, "5 ok stage=device bufs=1 bar=none");
	/* Eight single-page mappings: one UNMAP_DMA per page. */
	CMD(a, "6 vfio unmap iova=0x1000000 pages=8 each=1", r);
	EXPECT_EQ(strncmp(r, "6 ok bytes=32768 ", 17), 0);
	CMD(a, "7 vfio map iova=0x1000000 pages=2", r);
	CMD(a, "8 vfio close unmap=1", r);
	EXPECT_EQ(strncmp(r, "8 ok live=0 ", 12), 0);
	agent_stop(&a);
	fake_free(&f);
}

TEST(vfio_gpa_runs)
{
	struct agent a;
	struct fake f;
	char r[LINE], runs[LINE];

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open stage=iommu", r);
	CMD(a, "3 vfio map iova=0x100000 pages=3", r);
	CMD(a, "4 vfio gpa iova=0x100000 pages=3", r);
	if (!strncmp(r, "4 err", 5)) {
		/* Without CAP_SYS_ADMIN pagemap hides frame numbers. */
		EXPECT_TRUE(strstr(r, "pagemap hides the frame number") != NULL);
	} else {
		EXPECT_EQ(kv_num(r, "done"), 3);
		ASSERT_TRUE(kv_get(r, "runs", runs, sizeof(runs)));
		EXPECT_EQ(strncmp(runs, "0x", 2), 0);
		EXPECT_TRUE(strchr(runs, '+') != NULL);
	}
	CMD(a, "5 vfio gpa iova=0x200000 pages=1", r);
	EXPECT_STREQ(r, "5 err iova 0x200000 is not in a mapped buffer");
	agent_stop(&a);
	fake_free(&f);
}

/* The mock's driver through the in-guest VFIO device: fill, verify, stream. */
TEST(dma_mock_driver_through_vfio)
{
	struct agent a;
	struct fake f;
	char r[LINE], v[64];

	MOCK_START(a, f);
	CMD(a, "1 dev find", r);
	CMD(a, "2 vfio open", r);
	ASSERT_EQ(strncmp(r, "2 ok", 4), 0);
	CMD(a, "3 dma open", r);
	EXPECT_STREQ(r, "3 ok driver=vfiomock via=vfio bdf=" BDF " ops=fill,ring");
	CMD(a, "4 dma open", r);
	EXPECT_STREQ(r, "4 err dma is open (vfiomock via vfio): close it first");
	/* dma open turned Bus Master on: every page lands. */
	CMD(a, "5 dma fill pages=8 seed=3", r);
	ASSERT_EQ(strncmp(r, "5 ok ", 5), 0);
	EXPECT_EQ(kv_num(r, "written"), 8);
	EXPECT_EQ(kv_num(r, "faulted"), 0);
	EXPECT_EQ(kv_num(r, "landed"), 8);
	EXPECT_EQ(kv_num(r, "status"), 0);
	/* Driver buffers sit in the agent's IOVA window, mapped like any VFIO buffer. */
	EXPECT_EQ(kv_num(r, "addr"), 0x4000000000ll);
	CMD(a, "6 vfio status", r);
	EXPECT_STREQ(r, "6 ok stage=device bufs=1 bar=pread");
	CMD(a, "7 dma verify", r);
	EXPECT_STREQ(r, "7 ok checked=8 seed=3");
	/* A refill is DMA only, over the same buffer. */
	CMD(a, "8 dma fill pages=8 seed=4", r);
	EXPECT_EQ(kv_num(r, "landed"), 8);
	CMD(a, "9 dma corrupt index=5", r);
	EXPECT_STREQ(r, "9 ok index=5");
	CMD(a, "10 dma verify", r);
	ASSERT_EQ(strncmp(r, "10 err ", 7), 0);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	EXPECT_EQ(kv_num(r, "first"), 5);
	EXPECT_EQ(kv_num(r, "seed"), 4);
	CMD(a, "11 dma memcpy", r);
	EXPECT_STREQ(r, "11 err driver vfiomock has no memcpy");
	CMD(a, "12 dma stream-check", r);
	EXPECT_STREQ(r, "12 err no stream: run dma stream start first");
	CMD(a, "13 dma stream-start pages=16 rate=4000", r);
	ASSERT_EQ(strncmp(r, "13 ok engine=ring pages=16 rate=4000 ", 37), 0);
	EXPECT_EQ(kv_num(r, "addr"), 0x4000008000ll);
	CMD(a, "14 dma status", r);
	EXPECT_STREQ(r, "14 ok driver=vfiomock via=vfio fill_pages=8 stream=ring running=1");
	usleep(20000);
	CMD(a, "15 dma stream-stop", r);
	ASSERT_EQ(strncmp(r, "15 ok seq=", 10), 0);
	CMD(a, "16 dma stream-check", r);
	ASSERT_EQ(strncmp(r, "16 ok ", 6), 0);
	EXPECT_EQ(kv_num(r, "pages"), 16);
	EXPECT_EQ(kv_num(r, "checked"), 16);
	ASSERT_TRUE(kv_get(r, "engine", v, sizeof(v)));
	EXPECT_STREQ(v, "ring");
	/* The check's negative control: one damaged stream page is found. */
	CMD(a, "17 dma corrupt what=stream index=3", r);
	CMD(a, "18 dma stream-check", r);
	ASSERT_EQ(strncmp(r, "18 err ", 7), 0);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	EXPECT_EQ(kv_num(r, "first"), 3);
	CMD(a, "19 dma results", r);
	ASSERT_EQ(strncmp(r, "19 ok written=", 14), 0);
	CMD(a, "20 dma close", r);
	EXPECT_STREQ(r, "20 ok closed=1");
	/* Its buffers went with it. */
	CMD(a, "21 vfio status", r);
	EXPECT_STREQ(r, "21 ok stage=device bufs=0 bar=pread");
	CMD(a, "22 dma status", r);
	EXPECT_STREQ(r, "22 ok driver=none via=none fill_pages=0 stream=none running=0");
	agent_stop(&a);
	fake_free(&f);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
