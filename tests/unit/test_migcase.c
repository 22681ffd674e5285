// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_migcase: the rule every negative control is judged by, and the
 * range sets it rests on.  A control passes only when its oracle failed,
 * said where, and every flagged place lies where the fault was injected.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "migcase_int.h"

#include <stdlib.h>
#include <string.h>

TEST(ranges_merge_and_cover)
{
	struct mc_ranges r;

	ranges_init(&r);
	ranges_add(&r, 0x3000, 0x1000);
	ranges_add(&r, 0x1000, 0x1000);
	ranges_add(&r, 0x2000, 0x1000); /* bridges the two */
	ranges_add(&r, 0x10000, 0x1000);
	EXPECT_EQ(r.n, 2);
	EXPECT_EQ(r.v[0].start, 0x1000);
	EXPECT_EQ(r.v[0].len, 0x3000);
	EXPECT_EQ(ranges_bytes(&r), 0x4000);
	EXPECT_TRUE(ranges_cover(&r, 0x1800, 0x2000));
	EXPECT_FALSE(ranges_cover(&r, 0x3800, 0x1000));
	EXPECT_FALSE(ranges_cover(&r, 0x8000, 0x1000));
	ranges_add(&r, 0x0, 0x20000); /* swallows everything */
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ(r.v[0].len, 0x20000);
	ranges_free(&r);
}

static struct mcase_verdict verdict(bool pass, uint64_t start, uint64_t len)
{
	struct mcase_verdict v = {.pass = pass, .summary = "s", .units = len / 4096};

	ranges_init(&v.flagged);
	if (len)
		ranges_add(&v.flagged, start, len);
	return v;
}

static bool judge(struct mcase_verdict v, uint64_t wstart, uint64_t wlen, const char *want)
{
	struct mc_ranges where;
	char *sum = NULL;
	bool ok;

	ranges_init(&where);
	if (wlen)
		ranges_add(&where, wstart, wlen);
	ok = mcase_detected(&v, &where, &sum);
	if (!strstr(sum, want))
		ok = !ok; /* the wrong reason counts as the wrong verdict */
	free(sum);
	ranges_free(&where);
	ranges_free(&v.flagged);
	return ok;
}

/* What tells the guest's lost writes (cpu_pages_lost) from the device's. */
TEST(ranges_disjoint_touching_is_not_overlap)
{
	struct mc_ranges a, b;

	ranges_init(&a);
	ranges_init(&b);
	ranges_add(&a, 0x1000, 0x1000);
	ranges_add(&a, 0x8000, 0x1000);
	ranges_add(&b, 0x2000, 0x6000); /* fills the gap, touching both ends */
	EXPECT_TRUE(ranges_disjoint(&a, &b));
	EXPECT_TRUE(ranges_disjoint(&b, &a));
	ranges_add(&b, 0x8fff, 0x10); /* one byte of a's second range */
	EXPECT_FALSE(ranges_disjoint(&a, &b));
	ranges_free(&b);
	ranges_init(&b);
	EXPECT_TRUE(ranges_disjoint(&a, &b)); /* nothing overlaps an empty set */
	ranges_free(&a);
	ranges_free(&b);
}

TEST(caught_exactly_where_injected)
{
	EXPECT_TRUE(judge(verdict(false, 0x8000000, 0x1000), 0x8000000, 0x200000,
			  "caught the injected fault exactly"));
}

TEST(unnoticed_fault_fails_the_control)
{
	EXPECT_FALSE(judge(verdict(true, 0, 0), 0x8000000, 0x1000, "went unnoticed"));
}

TEST(flagging_elsewhere_fails_the_control)
{
	/* The oracle failed, but on a page the fault never touched. */
	EXPECT_FALSE(judge(verdict(false, 0x9000000, 0x1000), 0x8000000, 0x1000, "outside"));
	/* Partly inside is not inside. */
	EXPECT_FALSE(judge(verdict(false, 0x8000000, 0x2000), 0x8000000, 0x1000, "outside"));
}

TEST(a_fault_injected_nowhere_proves_nothing)
{
	EXPECT_FALSE(judge(verdict(false, 0x8000000, 0x1000), 0, 0, "injected nowhere"));
}

TEST(a_failure_without_a_place_proves_nothing)
{
	EXPECT_FALSE(judge(verdict(false, 0, 0), 0x8000000, 0x1000, "without saying where"));
}
