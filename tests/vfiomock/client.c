// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The harness client library against a live mock: the fake sysfs tree, and
 * control-channel round trips to the mock preloaded into this very test
 * program (its control thread lives in the parent; tests run in children).
 */
#include <limits.h>
#include <stdlib.h>

#include "ktest.h"
#include "vfiomock-client.h"

#define ADDR "@vfiomock-selftest-client"

TEST(client_sysfs_tree)
{
	char root[] = "/tmp/vfiomock-sysfs.XXXXXX", dev[1024], p[PATH_MAX], l[PATH_MAX];
	char buf[32] = {0};
	FILE *f;
	ssize_t n;

	ASSERT_NONNULL(mkdtemp(root));
	ASSERT_EQ(
	    vfiomock_sysfs_create(root, "0000:01:00.0", 42, "vfio3", 511, 3, dev, sizeof(dev)), 0);
	snprintf(p, sizeof(p), "%s/iommu_group", dev);
	n = readlink(p, l, sizeof(l) - 1);
	ASSERT_GT(n, 0);
	l[n] = 0;
	EXPECT_STREQ(strrchr(l, '/') + 1, "42");
	snprintf(p, sizeof(p), "%s/subsystem", dev);
	{
		char *rp = realpath(p, NULL);

		EXPECT_TRUE(rp && strstr(rp, "/bus/pci"));
		free(rp);
	}
	snprintf(p, sizeof(p), "%s/vfio-dev/vfio3/dev", dev);
	f = fopen(p, "r");
	ASSERT_NONNULL(f);
	EXPECT_TRUE(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	EXPECT_STREQ(buf, "511:3\n");
	EXPECT_STREQ(strrchr(dev, '/') + 1, "0000:01:00.0");
	EXPECT_EQ(vfiomock_sysfs_remove(root), 0);
	EXPECT_EQ(access(root, F_OK), -1);
}

TEST(client_control_state)
{
	json_t *r = vfiomock_call(ADDR, json_pack("{s:s}", "cmd", "state"), 2000);
	json_t *d;

	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	d = json_array_get(json_object_get(r, "devices"), 0);
	ASSERT_NONNULL(d);
	EXPECT_STREQ(json_string_value(json_object_get(d, "name")), "0000:01:00.0");
	EXPECT_STREQ(json_string_value(json_object_get(d, "state")), "RUNNING");
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(d, "ring"), "pages")), 8);
	json_decref(r);
}

TEST(client_control_commands)
{
	json_t *r;

	r = vfiomock_call(ADDR,
			  json_pack("{s:s,s:s,s:s,s:f}", "cmd", "fault", "kind", "drop_dirty",
				    "tracker", "device", "fraction", 0.5),
			  2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(ADDR, json_pack("{s:s,s:s}", "cmd", "fault", "kind", "bogus"), 2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_false(json_object_get(r, "ok")));
	EXPECT_TRUE(json_is_string(json_object_get(r, "error")));
	json_decref(r);
	r = vfiomock_call(ADDR, json_pack("{s:s,s:s}", "cmd", "log_marker", "text", "hello"), 2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(
	    ADDR, json_pack("{s:s,s:s,s:s}", "cmd", "dma", "action", "arm", "on", "stop_copy"),
	    2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* A size no uint64_t holds is refused, not converted (regress-huge-real). */
	r = vfiomock_call(ADDR, json_pack("{s:s,s:f}", "cmd", "reinit", "bytes", 9e21), 2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(ADDR, json_pack("{s:s}", "cmd", "nope"), 2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
}

/* Requests name their device by name or index; an unknown one is refused. */
TEST(client_control_device_selection)
{
	json_t *r;

	r = vfiomock_call(ADDR,
			  json_pack("{s:s,s:i,s:s,s:s}", "cmd", "dma", "device", 0, "action", "arm",
				    "on", "stop_copy"),
			  2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(ADDR,
			  json_pack("{s:s,s:s,s:s,s:s}", "cmd", "dma", "device", "0000:01:00.0",
				    "action", "arm", "on", "stop_copy"),
			  2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(ADDR,
			  json_pack("{s:s,s:i,s:s,s:s}", "cmd", "dma", "device", 1, "action", "arm",
				    "on", "stop_copy"),
			  2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	r = vfiomock_call(ADDR,
			  json_pack("{s:s,s:s,s:s,s:s}", "cmd", "dma", "device", "nope", "action",
				    "arm", "on", "stop_copy"),
			  2000);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
}

TEST(client_call_times_out)
{
	json_t *r =
	    vfiomock_call("@vfiomock-selftest-nobody", json_pack("{s:s}", "cmd", "state"), 200);

	EXPECT_TRUE(r == NULL);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
