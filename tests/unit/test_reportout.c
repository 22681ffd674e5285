// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_reportout: the pieces of the report writers that files alone do not
 * reach: escaping for XML, the verdict transition rules, folding repetitions.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "compare.h"
#include "repeat.h"
#include "strbuf.h"

static char *escaped(const char *s)
{
	struct strbuf b = {0};

	sb_escape(&b, s);
	return sb_take(&b);
}

TEST(escape_markup_and_bad_bytes)
{
	char *s;

	s = escaped("a<b>&\"c'");
	EXPECT_STREQ(s, "a&lt;b&gt;&amp;&quot;c&#39;");
	free(s);
	/* Control characters and invalid UTF-8 are not XML: U+FFFD instead. */
	s = escaped("x\x01y\xff z\xc3\xa9\n");
	EXPECT_STREQ(s, "x\xef\xbf\xbdy\xef\xbf\xbd z\xc3\xa9\n");
	free(s);
	/* An overlong encoding and a truncated sequence. */
	s = escaped("\xc0\xaf|\xe2\x82");
	EXPECT_STREQ(s, "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
}

TEST(transitions)
{
	EXPECT_EQ(cmp_classify(MC_PASS, MC_PASS, 0), CMP_SAME);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_FAIL, 0), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_XFAIL, MC_FAIL, 0), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_SKIP, 0), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_ERROR, 0), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_XPASS, MC_XFAIL, 0), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_XFAIL, MC_XPASS, 0), CMP_IMPROVEMENT);
	EXPECT_EQ(cmp_classify(MC_FAIL, MC_PASS, 0), CMP_IMPROVEMENT);
	EXPECT_EQ(cmp_classify(MC_SKIP, MC_PASS, 0), CMP_IMPROVEMENT);
	EXPECT_EQ(cmp_classify(MC_FAIL, MC_SKIP, 0), CMP_CHANGE);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_XPASS, 0), CMP_CHANGE);
	/* Across releases only a move into fail or error is a regression. */
	EXPECT_EQ(cmp_classify(MC_PASS, MC_SKIP, 1), CMP_CHANGE);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_XFAIL, 1), CMP_CHANGE);
	EXPECT_EQ(cmp_classify(MC_XFAIL, MC_FAIL, 1), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_PASS, MC_ERROR, 1), CMP_REGRESSION);
	EXPECT_EQ(cmp_classify(MC_XFAIL, MC_PASS, 1), CMP_IMPROVEMENT);
}

static json_t *rec(const char *result, const char *reason, double secs)
{
	return json_pack("{s:s, s:s, s:s*, s:f, s:{s:f}}", "name", "f.v.t", "result", result,
			 "reason", reason, "duration_s", secs, "metrics", "downtime_ms", secs * 10);
}

TEST(fold_takes_the_worst)
{
	json_t *r[3] = {rec("pass", NULL, 1), rec("xfail", "defect D", 2),
			rec("xpass", "defect D", 4)};
	json_t *f = repeat_fold(r, 3);

	EXPECT_STREQ(json_string_value(json_object_get(f, "result")), "xfail");
	EXPECT_STREQ(json_string_value(json_object_get(f, "reason")), "defect D");
	EXPECT_TRUE(json_real_value(json_object_get(f, "duration_s")) == 7.0);
	EXPECT_TRUE(json_is_true(json_object_get(f, "flaky")));
	EXPECT_EQ(json_array_size(json_object_get(f, "repetitions")), 3);
	json_decref(f);
	json_decref(r[1]);
	r[1] = rec("error", "no disk", 2);
	f = repeat_fold(r, 3);
	EXPECT_STREQ(json_string_value(json_object_get(f, "reason")),
		     "no disk (error in 1 of 3 repetitions)");
	json_decref(f);
	/* One repetition is the record itself. */
	f = repeat_fold(r, 1);
	EXPECT_TRUE(f == r[0]);
	EXPECT_TRUE(json_object_get(f, "repetitions") == NULL);
	json_decref(f);
	json_decref(r[0]);
	json_decref(r[1]);
	json_decref(r[2]);
}
