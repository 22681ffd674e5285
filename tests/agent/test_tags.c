// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tags.c: the agent's page tag and verify logic, in process.
 */
#include <stdint.h>

#include "ktest.h"
#include "tags.h"

#define PS 4096

static uint64_t pages[64][PS / 8];

/* What the agent does: tag pass 0, then @writes page writes in order. */
static void simulate(uint64_t npages, uint64_t writes)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		tag_write(pages[i], PS, i, 0);
	for (i = 0; i < writes; i++)
		tag_write(pages[i % npages], PS, i % npages, i / npages + 1);
}

TEST(write_then_check)
{
	int64_t seen;

	tag_write(pages[0], PS, 5, 9);
	EXPECT_EQ(tag_check(pages[0], PS, 5, 9, &seen), TAG_OK);
	EXPECT_EQ(seen, 9);
	EXPECT_EQ(memcmp(pages[0], TAG_MAGIC, 8), 0);
	EXPECT_EQ(pages[0][1], 5);
	EXPECT_EQ(pages[0][2], 9);
	EXPECT_EQ(pages[0][3], tag_csum(5, 9));
	EXPECT_EQ(pages[0][4], tag_pattern(5, 9));
	EXPECT_EQ(pages[0][PS / 8 - 1], tag_pattern(5, 9));
}

TEST(header_layout_is_32_bytes)
{
	EXPECT_EQ(sizeof(struct tag_header), 32);
}

TEST(stale_page_is_wrong_pass)
{
	int64_t seen;

	tag_write(pages[0], PS, 3, 6);
	EXPECT_EQ(tag_check(pages[0], PS, 3, 7, &seen), TAG_WRONG_PASS);
	EXPECT_EQ(seen, 6);
}

TEST(other_page_is_wrong_index)
{
	int64_t seen;

	tag_write(pages[0], PS, 4, 2);
	EXPECT_EQ(tag_check(pages[0], PS, 3, 2, &seen), TAG_BAD_INDEX);
	EXPECT_EQ(seen, 2);
}

TEST(damaged_body)
{
	int64_t seen;

	tag_write(pages[0], PS, 1, 1);
	((char *)pages[0])[PS - 1] ^= 1;
	EXPECT_EQ(tag_check(pages[0], PS, 1, 1, &seen), TAG_BAD_BODY);
	EXPECT_EQ(seen, 1);
}

/* A page whose header is new but whose second half is from the previous pass. */
TEST(partly_stale_page)
{
	static uint64_t old[PS / 8];
	int64_t seen;

	tag_write(old, PS, 2, 3);
	tag_write(pages[0], PS, 2, 4);
	memcpy((char *)pages[0] + PS / 2, (char *)old + PS / 2, PS / 2);
	EXPECT_EQ(tag_check(pages[0], PS, 2, 4, &seen), TAG_BAD_BODY);
}

TEST(damaged_header)
{
	int64_t seen;

	tag_write(pages[0], PS, 1, 1);
	pages[0][2] = 2; /* pass field without matching checksum */
	EXPECT_EQ(tag_check(pages[0], PS, 1, 2, &seen), TAG_BAD_CSUM);
	EXPECT_EQ(seen, -1);
	memset(pages[0], 0, PS);
	EXPECT_EQ(tag_check(pages[0], PS, 1, 1, &seen), TAG_BAD_MAGIC);
	EXPECT_EQ(seen, -1);
	EXPECT_STREQ(tag_result_name(TAG_BAD_MAGIC), "bad-magic");
	EXPECT_STREQ(tag_result_name(TAG_WRONG_PASS), "wrong-pass");
}

TEST(patterns_differ)
{
	EXPECT_NE(tag_pattern(0, 0), tag_pattern(1, 0));
	EXPECT_NE(tag_pattern(0, 0), tag_pattern(0, 1));
	EXPECT_NE(tag_pattern(1, 2), tag_pattern(2, 1));
	EXPECT_NE(tag_csum(1, 2), tag_csum(2, 1));
}

TEST(progress_arithmetic)
{
	uint64_t pass, cursor;

	tag_progress(0, 10, &pass, &cursor);
	EXPECT_EQ(pass, 1);
	EXPECT_EQ(cursor, 0);
	tag_progress(23, 10, &pass, &cursor);
	EXPECT_EQ(pass, 3);
	EXPECT_EQ(cursor, 3);
	/* Right after tagging every page carries pass 0. */
	EXPECT_EQ(tag_expected_pass(0, 10, 0), 0);
	EXPECT_EQ(tag_expected_pass(0, 10, 9), 0);
	EXPECT_EQ(tag_expected_pass(10, 10, 9), 1);
	EXPECT_EQ(tag_expected_pass(23, 10, 2), 3);
	EXPECT_EQ(tag_expected_pass(23, 10, 3), 2);
	tag_progress(5, 0, &pass, &cursor);
	EXPECT_EQ(pass, 0);
}

TEST(verify_simulated_writer)
{
	struct tag_verify v;
	uint64_t w;

	for (w = 0; w < 200; w += 7) {
		simulate(64, w);
		EXPECT_EQ(tag_verify_buffer(pages, PS, 64, w, &v), 0);
		EXPECT_EQ(v.checked, 64);
	}
}

/* Negative control: the one page left stale is found, with its passes. */
TEST(verify_finds_lost_write)
{
	struct tag_verify v;

	simulate(64, 150);
	/* Page 10 was written in pass 3 (write 138); put back its pass-2 content. */
	tag_write(pages[10], PS, 10, 2);
	EXPECT_EQ(tag_verify_buffer(pages, PS, 64, 150, &v), 1);
	EXPECT_EQ(v.bad, 1);
	EXPECT_EQ(v.first, 10);
	EXPECT_EQ(v.first_seen, 2);
	EXPECT_EQ(v.first_expected, 3);
	EXPECT_EQ(v.first_result, TAG_WRONG_PASS);
}

/* A verify that believed fewer writes happened sees pages from the future. */
TEST(verify_is_exact_about_cursor)
{
	struct tag_verify v;

	simulate(64, 100);
	EXPECT_EQ(tag_verify_buffer(pages, PS, 64, 99, &v), 1);
	EXPECT_EQ(v.first, 35);
	EXPECT_EQ(v.first_seen, 2);
	EXPECT_EQ(v.first_expected, 1);
	EXPECT_EQ(tag_verify_buffer(pages, PS, 64, 101, &v), 1);
	EXPECT_EQ(v.first, 36);
}

TEST(verify_counts_all_bad_pages)
{
	struct tag_verify v;

	simulate(64, 64);
	memset(pages[63], 0, PS);
	((char *)pages[5])[100] ^= 0x80;
	EXPECT_EQ(tag_verify_buffer(pages, PS, 64, 64, &v), 2);
	EXPECT_EQ(v.first, 5);
	EXPECT_EQ(v.first_result, TAG_BAD_BODY);
	EXPECT_EQ(v.first_seen, 1);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
