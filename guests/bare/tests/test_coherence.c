// SPDX-License-Identifier: GPL-2.0-or-later
/* The mapping coherence oracle and the known-defects table. */
#define KTEST_MAIN
#include "ktest.h"
#include "coherence.h"
#include "defects.h"

TEST(normalize_merges_split_huge_leaf)
{
	struct coh_set want, got;
	struct coh_diff d;
	int i;

	coh_set_init(&want);
	coh_set_init(&got);
	coh_set_add(&want, 0x200000, 0x200000, 0x40200000, true, true);
	/* QEMU may shadow a 2M leaf as 512 4K mappings, in any order. */
	for (i = 511; i >= 0; i--)
		coh_set_add(&got, 0x200000 + i * 4096ull, 4096, 0x40200000 + i * 4096ull, true,
			    true);
	coh_set_normalize(&want);
	coh_set_normalize(&got);
	EXPECT_EQ(got.n, 1);
	EXPECT_TRUE(coh_compare(&want, &got, &d));
	coh_set_free(&want);
	coh_set_free(&got);
}

TEST(stale_missing_and_different_are_reported)
{
	struct coh_set want, got;
	struct coh_diff d;
	char *s;

	coh_set_init(&want);
	coh_set_init(&got);
	coh_set_add(&want, 0x10000, 0x3000, 0x1000, true, true);
	coh_set_add(&got, 0x10000, 0x1000, 0x1000, true, true);	 /* same */
	coh_set_add(&got, 0x11000, 0x1000, 0x9000, true, true);	 /* wrong page */
	coh_set_add(&got, 0x20000, 0x2000, 0x5000, true, false); /* stale */
	coh_set_normalize(&want);
	coh_set_normalize(&got);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_EQ(d.stale_bytes, 0x2000);
	EXPECT_EQ(d.missing_bytes, 0x1000); /* 0x12000 */
	EXPECT_EQ(d.different_bytes, 0x1000);
	ASSERT_EQ(d.nranges, 3);
	EXPECT_EQ(d.ranges[0].kind, COH_DIFFERENT);
	EXPECT_EQ(d.ranges[0].want.gpa, 0x2000);
	EXPECT_EQ(d.ranges[0].got.gpa, 0x9000);
	EXPECT_EQ(d.ranges[2].kind, COH_STALE);
	EXPECT_EQ(d.ranges[2].start, 0x20000);
	EXPECT_EQ(d.ranges[2].end, 0x22000);
	s = coh_summary(&d);
	EXPECT_TRUE(strstr(s, "could still reach memory the guest took away") != NULL);
	EXPECT_TRUE(strstr(s, "[0x20000, 0x22000)") != NULL);
	free(s);
	coh_set_free(&want);
	coh_set_free(&got);
}

TEST(none_applied_means_none_of_it_and_nothing_in_its_place)
{
	struct coh_set want, got;
	struct coh_diff d;

	coh_set_init(&want);
	coh_set_init(&got);
	coh_set_add(&want, 0x10000, 0x3000, 0x10000, true, true);
	coh_set_normalize(&want);
	/* Nothing mapped at all. */
	coh_set_normalize(&got);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_TRUE(coh_none_applied(&want, &d));
	/* Only mappings elsewhere (an old domain's, garbage from a freed table). */
	coh_set_add(&got, 0x5a2d168b4000ull, 0x1000, 0, true, false);
	coh_set_normalize(&got);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_TRUE(coh_none_applied(&want, &d));
	/* One page of it present: applied in part, another defect. */
	coh_set_add(&got, 0x11000, 0x1000, 0x11000, true, true);
	coh_set_normalize(&got);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_FALSE(coh_none_applied(&want, &d));
	coh_set_free(&got);
	/* Its IOVAs mapped to other pages: not the same thing either. */
	coh_set_init(&got);
	coh_set_add(&got, 0x12000, 0x1000, 0x90000, true, true);
	coh_set_normalize(&got);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_FALSE(coh_none_applied(&want, &d));
	coh_set_free(&got);
	/* An empty want is never "not applied". */
	coh_set_init(&got);
	coh_set_free(&want);
	coh_set_init(&want);
	EXPECT_TRUE(coh_compare(&want, &got, &d));
	EXPECT_FALSE(coh_none_applied(&want, &d));
	coh_set_free(&want);
	coh_set_free(&got);
}

TEST(rights_differ)
{
	struct coh_set want, got;
	struct coh_diff d;

	coh_set_init(&want);
	coh_set_init(&got);
	coh_set_add(&want, 0x1000, 0x1000, 0x1000, true, false);
	coh_set_add(&got, 0x1000, 0x1000, 0x1000, true, true);
	EXPECT_FALSE(coh_compare(&want, &got, &d));
	EXPECT_EQ(d.different_bytes, 0x1000);
	/* An unknown guest address is compared on rights only. */
	got.v[0].gpa = COH_GPA_UNKNOWN;
	got.v[0].write = false;
	EXPECT_TRUE(coh_compare(&want, &got, &d));
	EXPECT_EQ(d.unknown_gpa_bytes, 0x1000);
	coh_set_free(&want);
	coh_set_free(&got);
}

TEST(from_mock_state)
{
	json_t *st = json_loads(
	    "{\"containers\":[{\"maps\":["
	    "{\"iova\":0,\"length\":655360,\"host\":140000000000000,\"prot\":3},"
	    "{\"iova\":1048576,\"length\":1047527424,\"host\":140000001048576,\"prot\":3},"
	    "{\"iova\":4294705152,\"length\":262144,\"host\":150000000000000,\"prot\":1}]}],"
	    "\"iommufd\":[]}",
	    0, NULL);
	struct coh_ram ram;
	struct coh_set s;
	char *err = NULL;

	ASSERT_NONNULL(st);
	ASSERT_EQ(coh_ram_from_identity(&ram, st, &err), 0);
	/* RAM below 640 KiB, RAM above 1 MiB and the BIOS ROM: three runs. */
	ASSERT_EQ(ram.n, 3);
	EXPECT_TRUE(ram.run[1].key == 140000001048576ull);
	EXPECT_EQ(ram.run[1].len, 1047527424);
	coh_set_init(&s);
	ASSERT_EQ(coh_from_mock(&s, st, &ram, &err), 0);
	ASSERT_EQ(s.n, 3);
	EXPECT_EQ(s.v[1].gpa, 1048576);
	EXPECT_EQ(s.v[2].gpa, 4294705152); /* the BIOS ROM, read-only */
	EXPECT_FALSE(s.v[2].write);
	coh_set_free(&s);
	json_decref(st);
	free(err);
}

/*
 * q35 with 4.5 GiB: RAM below 4 GiB is the block's first 2 GiB, RAM above
 * 4 GiB its rest, so guest physical 4 GiB is host base + 2 GiB.  A
 * translated map of IOVA 0x5000000000 to that part names GPA 0x110000000.
 */
TEST(ram_above_4g_is_its_own_run)
{
	json_t *id =
	    json_loads("{\"containers\":[],\"iommufd\":[{\"type\":\"ioas\",\"maps\":["
		       "{\"iova\":0,\"length\":2147483648,\"host\":140000000000000,\"prot\":3},"
		       "{\"iova\":4294967296,\"length\":2684354560,\"host\":140002147483648,"
		       "\"prot\":3}]}]}",
		       0, NULL);
	json_t *tr = json_loads(
	    "{\"containers\":[],\"iommufd\":[{\"type\":\"ioas\",\"maps\":["
	    "{\"iova\":343597383680,\"length\":65536,\"host\":140002415919104,\"prot\":3},"
	    "{\"iova\":343597449216,\"length\":4096,\"host\":140009000000000,\"prot\":3},"
	    "{\"iova\":343597457408,\"length\":8192,\"host\":140002147479552,\"prot\":3}"
	    "]}]}",
	    0, NULL);
	struct coh_ram ram;
	struct coh_set s;
	char *err = NULL;

	ASSERT_NONNULL(id);
	ASSERT_NONNULL(tr);
	ASSERT_EQ(coh_ram_from_identity(&ram, id, &err), 0);
	ASSERT_EQ(ram.n, 2);
	coh_set_init(&s);
	ASSERT_EQ(coh_from_mock(&s, tr, &ram, &err), 0);
	ASSERT_EQ(s.n, 3);
	EXPECT_TRUE(s.v[0].gpa == 0x110000000ull);
	EXPECT_TRUE(s.v[1].gpa == COH_GPA_UNKNOWN); /* outside guest memory */
	/* Across the end of RAM below 4 GiB: not one guest physical run. */
	EXPECT_TRUE(s.v[2].gpa == COH_GPA_UNKNOWN);
	coh_set_free(&s);
	json_decref(id);
	json_decref(tr);
	free(err);
}

TEST(identity_without_guest_physical_zero_is_refused)
{
	json_t *st = json_loads("{\"containers\":[{\"maps\":["
				"{\"iova\":4096,\"length\":4096,\"host\":8192,\"prot\":3}]}],"
				"\"iommufd\":[]}",
				0, NULL);
	struct coh_ram ram;
	char *err = NULL;

	ASSERT_NONNULL(st);
	EXPECT_EQ(coh_ram_from_identity(&ram, st, &err), -1);
	EXPECT_NONNULL(err);
	json_decref(st);
	free(err);
}

TEST(defect_versions_and_signatures)
{
	json_t *db =
	    json_loads("{\"version\":1,\"defects\":[{\"id\":\"a\",\"title\":\"t\","
		       "\"qemu\":{\"from\":\"10.0.0\",\"before\":\"10.1.0\"},"
		       "\"cases\":[\"domain.bare_scalable_*.passthrough_live\"],"
		       "\"signature\":{\"stderr\":\"Assertion\"}},"
		       "{\"id\":\"b\",\"qemu\":{\"from\":\"10.0.0\",\"before\":\"10.1.0\"},"
		       "\"cases\":[\"domain.bare_scalable_*.passthrough\"],"
		       "\"signature\":{\"pattern\":\"passthrough_kept\"}}]}",
		       0, NULL);
	struct defect_observation crash = {
	    .crashed = true, .stderr_tail = "memory.c:2038: foo: Assertion `x' failed."};
	struct defect_observation kept = {.pattern = "passthrough_kept"};
	struct defect_observation other = {.crashed = true, .stderr_tail = "Segmentation fault"};
	const char *live = "domain.bare_scalable_type1.passthrough_live";

	ASSERT_NONNULL(db);
	EXPECT_TRUE(defects_version_in("10.0.2", "10.0.0", "10.1.0"));
	EXPECT_TRUE(defects_version_in("10.0.13", "10.0.0", "10.1.0"));
	EXPECT_FALSE(defects_version_in("10.2.2", "10.0.0", "10.1.0"));
	EXPECT_FALSE(defects_version_in("9.2.0", "10.0.0", NULL));
	EXPECT_TRUE(defects_version_in("11.0.0", NULL, NULL));
	EXPECT_STREQ(defect_id(defect_lookup(db, live, "10.0.2")), "a");
	EXPECT_TRUE(defect_lookup(db, live, "10.2.2") == NULL);
	EXPECT_TRUE(defect_lookup(db, "domain.bare_legacy_type1.passthrough_live", "10.0.2") ==
		    NULL);
	EXPECT_STREQ(defect_id(defect_find(db, live, "10.0.2", &crash)), "a");
	EXPECT_TRUE(defect_find(db, live, "10.0.2", &other) == NULL);
	EXPECT_TRUE(defect_find(db, live, "10.0.2", &kept) == NULL);
	EXPECT_STREQ(
	    defect_id(defect_find(db, "domain.bare_scalable_iommufd.passthrough", "10.0.2", &kept)),
	    "b");
	json_decref(db);
}

/* A failure may show several patterns; a crash matches only a crash's pattern. */
TEST(defect_pattern_lists_and_crash_patterns)
{
	json_t *db = json_loads(
	    "{\"version\":1,\"defects\":[{\"id\":\"kept\",\"cases\":[\"s.v.t\"],"
	    "\"signature\":{\"pattern\":\"previous_mappings_kept\"}},"
	    "{\"id\":\"died\",\"cases\":[\"s.v.u\"],"
	    "\"signature\":{\"pattern\":\"crash_after_unmap_dirty_read\",\"crashed\":true}},"
	    "{\"id\":\"either\",\"cases\":[\"s.v.w\"],"
	    "\"signature\":{\"pattern\":[\"passthrough_missing\",\"previous_mappings_kept\"]}}]}",
	    0, NULL);
	const char *const both[] = {"passthrough_kept", "previous_mappings_kept", NULL};
	const char *const crash_pat[] = {"crash_after_unmap_dirty_read", NULL};
	struct defect_observation seen = {.patterns = both};
	struct defect_observation other = {.pattern = "passthrough_missing"};
	struct defect_observation died = {.crashed = true, .patterns = crash_pat};
	struct defect_observation alive = {.patterns = crash_pat};
	struct defect_observation crashed_kept = {.crashed = true, .patterns = both};

	ASSERT_NONNULL(db);
	EXPECT_STREQ(defect_id(defect_find(db, "s.v.t", "11.0.0", &seen)), "kept");
	EXPECT_TRUE(defect_find(db, "s.v.t", "11.0.0", &other) == NULL);
	EXPECT_TRUE(defect_find(db, "s.v.t", "11.0.0", &crashed_kept) == NULL);
	EXPECT_STREQ(defect_id(defect_find(db, "s.v.u", "10.2.50", &died)), "died");
	EXPECT_TRUE(defect_find(db, "s.v.u", "10.2.50", &alive) == NULL);
	EXPECT_STREQ(defect_id(defect_find(db, "s.v.w", "11.0.0", &other)), "either");
	EXPECT_STREQ(defect_id(defect_find(db, "s.v.w", "11.0.0", &seen)), "either");
	EXPECT_TRUE(defect_find(db, "s.v.w", "11.0.0", &died) == NULL);
	json_decref(db);
}

TEST(shipped_defects_file_loads)
{
	char *err = NULL, *db_path = defects_path(NULL);
	json_t *db = defects_load(db_path, &err);

	if (!db)
		printf("# %s\n", err);
	ASSERT_NONNULL(db);
	json_decref(db);
	free(db_path);
	free(err);
}
