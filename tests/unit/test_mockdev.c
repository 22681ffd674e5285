// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_mockdev: what the harness reads from a mock's request log when a
 * migration failed: the request the mock refused, its errno and the rule;
 * the dirty reads that re-reported a page before the device wrote it; and
 * the placement oracle's verdict on a mock's mappings.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "mockdev.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(last_refusal_names_request_errno_and_rule)
{
	const char *log =
	    "{\"t\":100.0,\"req\":\"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO\",\"ret\":-1,\"errno\":"
	    "\"ENOSPC\"}\n"
	    "{\"t\":200.0,\"req\":\"VFIO_DEVICE_FEATURE\",\"ret\":0}\n"
	    "{\"t\":201.5,\"req\":\"VFIO_DEVICE_FEATURE\",\"from\":\"STOP\",\"to\":\"PRE_COPY\","
	    "\"ret\":-1,\"errno\":\"EINVAL\",\"rule\":\"vfio_mig_get_next_state\"}\n"
	    "not json at all\n";
	struct mock_rig r = {0};
	char dir[128], *s;

	make_tmpdir(dir, sizeof(dir));
	r.log[VM_SRC] = mc_strdup_printf("%s/src.mock.jsonl", dir);
	ASSERT_EQ(mc_write_file_atomic(r.log[VM_SRC], log, strlen(log), NULL), 0);
	s = mock_rig_last_refusal(&r, VM_SRC, 150.0);
	ASSERT_NONNULL(s);
	EXPECT_STREQ(s, "VFIO_DEVICE_FEATURE STOP -> PRE_COPY: EINVAL (vfio_mig_get_next_state)");
	free(s);
	/* Refusals before the migration began are not its cause. */
	EXPECT_NULL(mock_rig_last_refusal(&r, VM_SRC, 300.0));
	/* No log, no reason. */
	EXPECT_NULL(mock_rig_last_refusal(&r, VM_DST, 0));
	free(r.log[VM_SRC]);
	rm_tree(dir);
}

/*
 * The re-report count behind an inconclusive pass: only reads at or after
 * `since`, before the device's write to the page, over a range holding it
 * and reporting dirty pages count (type1 and iommufd records alike).  Each
 * other record below is a negative control that must not count.
 */
TEST(dirty_reads_count_only_rereports_before_the_write)
{
	const char *log =
	    /* before since */
	    "{\"t\":10.0,\"req\":\"VFIO_IOMMU_DIRTY_PAGES\",\"op\":\"get_bitmap\","
	    "\"iova\":4096,\"size\":4096,\"dirty\":1}\n"
	    /* counts: type1, the page itself */
	    "{\"t\":20.0,\"req\":\"VFIO_IOMMU_DIRTY_PAGES\",\"op\":\"get_bitmap\","
	    "\"iova\":4096,\"size\":4096,\"dirty\":1}\n"
	    /* counts: iommufd, a range holding it */
	    "{\"t\":21.0,\"req\":\"IOMMU_HWPT_GET_DIRTY_BITMAP\",\"iova\":0,"
	    "\"length\":65536,\"dirty\":3}\n"
	    /* clean */
	    "{\"t\":22.0,\"req\":\"IOMMU_HWPT_GET_DIRTY_BITMAP\",\"iova\":4096,"
	    "\"length\":4096,\"dirty\":0}\n"
	    /* another page */
	    "{\"t\":23.0,\"req\":\"VFIO_IOMMU_DIRTY_PAGES\",\"op\":\"get_bitmap\","
	    "\"iova\":8192,\"size\":4096,\"dirty\":1}\n"
	    /* a write elsewhere does not end the count */
	    "{\"t\":24.0,\"event\":\"event_write\",\"iova\":65536,\"pages\":1,"
	    "\"written\":1}\n"
	    "{\"t\":25.0,\"event\":\"event_write\",\"iova\":0,\"pages\":2,\"written\":2}\n"
	    /* after the write */
	    "{\"t\":26.0,\"req\":\"VFIO_IOMMU_DIRTY_PAGES\",\"op\":\"get_bitmap\","
	    "\"iova\":4096,\"size\":4096,\"dirty\":1}\n"
	    "not json at all\n";
	struct mock_rig r = {0};
	char dir[128];

	make_tmpdir(dir, sizeof(dir));
	r.log[VM_SRC] = mc_strdup_printf("%s/src.mock.jsonl", dir);
	ASSERT_EQ(mc_write_file_atomic(r.log[VM_SRC], log, strlen(log), NULL), 0);
	EXPECT_EQ(mock_rig_dirty_reads_before_write(&r, VM_SRC, 4096, 15.0), 2);
	/* Read late enough, nothing re-reported it. */
	EXPECT_EQ(mock_rig_dirty_reads_before_write(&r, VM_SRC, 4096, 21.5), 0);
	/* No log: unknown, not zero. */
	EXPECT_EQ(mock_rig_dirty_reads_before_write(&r, VM_DST, 4096, 0), -1);
	free(r.log[VM_SRC]);
	rm_tree(dir);
}

/*
 * The placement oracle on q35 with 4.5 GiB: GPA 4 GiB is RAM offset 2 GiB.
 * A buffer at GPA 0x110000000 must be reached through RAM offset
 * 0x90000000; a mapping to offset 0x110000000 (guest-physical taken as the
 * RAM offset), to another file, an unmapped IOVA or a buffer below the
 * case's bound each make it fail: its negative controls.
 */
TEST(placement_needs_the_layouts_ram_offset)
{
	struct ram_layout l = {.seg = {{0, 0, 2ull << 30}, {2ull << 30, 4ull << 30, 5ull << 29}},
			       .nseg = 2};
	json_t *good = json_loads("{\"containers\":[{\"maps\":[{\"iova\":343597383680,"
				  "\"length\":65536,\"backing\":{\"ino\":77,"
				  "\"offset\":2415919104}},{\"iova\":1073741824,\"length\":"
				  "65536,\"backing\":{\"ino\":77,\"offset\":33554432}}]}],"
				  "\"iommufd\":[]}",
				  0, NULL);
	json_t *gpa_as_offset = json_loads(
	    "{\"containers\":[],\"iommufd\":[{\"type\":\"ioas\",\"maps\":[{\"iova\":"
	    "343597383680,\"length\":65536,\"backing\":{\"ino\":77,\"offset\":4563402752}}]}]}",
	    0, NULL);
	const uint64_t iova = 0x5000005000ull, gpa = 0x110005000ull, min = 4ull << 30;
	json_t *det = NULL;
	char *sum = NULL;

	ASSERT_NONNULL(good);
	ASSERT_NONNULL(gpa_as_offset);
	EXPECT_TRUE(mock_placement_verdict(good, 77, &l, iova, gpa, min, &sum, &det));
	EXPECT_NONNULL(strstr(sum, "-> RAM file page at offset 0x90005000"));
	EXPECT_EQ(json_integer_value(json_object_get(det, "layout_offset")), 0x90005000);
	free(sum);
	json_decref(det);

	EXPECT_FALSE(mock_placement_verdict(gpa_as_offset, 77, &l, iova, gpa, min, &sum, &det));
	EXPECT_NONNULL(
	    strstr(sum, "offset 0x110005000 (GPA 0x110005000 is RAM offset 0x90005000)"));
	free(sum);
	json_decref(det);

	EXPECT_FALSE(mock_placement_verdict(good, 78, &l, iova, gpa, min, &sum, &det));
	EXPECT_NONNULL(strstr(sum, "another file's page"));
	free(sum);
	json_decref(det);

	/* Where the mapping is right but the buffer lies below 4 GiB. */
	EXPECT_FALSE(mock_placement_verdict(good, 77, &l, 0x40005000, 0x2005000, min, &sum, &det));
	EXPECT_NONNULL(strstr(sum, "below where the case needs it"));
	free(sum);
	json_decref(det);
	EXPECT_TRUE(mock_placement_verdict(good, 77, &l, 0x40005000, 0x2005000, 0, &sum, &det));
	free(sum);
	json_decref(det);

	EXPECT_FALSE(mock_placement_verdict(good, 77, &l, 0x7000000000ull, gpa, min, &sum, &det));
	EXPECT_STREQ(sum, "IOVA 0x7000000000 is not mapped");
	free(sum);
	json_decref(det);
	json_decref(good);
	json_decref(gpa_as_offset);
}
