// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tap: the kselftest-style TAP writer, checked line by line.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "tap.h"

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f)
		abort();
}

static char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

TEST(each_result_kind_exact_line)
{
	struct capture c;
	struct tap t;
	char *out;

	cap_open(&c);
	tap_begin(&t, c.f, 6);
	tap_result(&t, "fx.v.pass", MC_PASS, NULL);
	tap_result(&t, "fx.v.fail", MC_FAIL, NULL);
	tap_result(&t, "fx.v.skip", MC_SKIP, "no vIOMMU support");
	tap_result(&t, "fx.v.xfail", MC_XFAIL, "known bug 123");
	tap_result(&t, "fx.v.xpass", MC_XPASS, "known bug 456");
	tap_result(&t, "fx.v.error", MC_ERROR, NULL);
	out = cap_close(&c);
	EXPECT_STREQ(out, "TAP version 13\n"
			  "1..6\n"
			  "ok 1 fx.v.pass\n"
			  "not ok 2 fx.v.fail\n"
			  "ok 3 fx.v.skip # SKIP no vIOMMU support\n"
			  "ok 4 fx.v.xfail # XFAIL known bug 123\n"
			  "ok 5 fx.v.xpass # XPASS known bug 456\n"
			  "not ok 6 fx.v.error # error\n");
	free(out);
}

TEST(reasons_stay_on_their_line)
{
	struct capture c;
	struct tap t;
	char *out;

	cap_open(&c);
	tap_begin(&t, c.f, 2);
	tap_result(&t, "a.b.skip", MC_SKIP, "first line\nsecond # line");
	tap_result(&t, "a.b.xfail", MC_XFAIL, "x#y\nz");
	out = cap_close(&c);
	EXPECT_TRUE(strstr(out, "\nok 1 a.b.skip # SKIP first line second   line\n") != NULL);
	EXPECT_TRUE(strstr(out, "\nok 2 a.b.xfail # XFAIL x y z\n") != NULL);
	/* Four lines in all: the header, the plan and the two results. */
	{
		int n = 0;
		char *p;

		for (p = out; *p; p++)
			n += *p == '\n';
		EXPECT_EQ(n, 4);
	}
	free(out);
}

TEST(failure_reason_as_diagnostic_before_not_ok)
{
	struct capture c;
	struct tap t;
	char *out;

	cap_open(&c);
	tap_begin(&t, c.f, 3);
	tap_result(&t, "s.v.t1", MC_FAIL, "ram oracle: 3 pages differ");
	tap_result(&t, "s.v.t2", MC_ERROR, "cannot create work directory");
	tap_result(&t, "s.v.t3", MC_FAIL, "line one\nline two");
	out = cap_close(&c);
	EXPECT_STREQ(out, "TAP version 13\n"
			  "1..3\n"
			  "# s.v.t1: ram oracle: 3 pages differ\n"
			  "not ok 1 s.v.t1\n"
			  "# s.v.t2: cannot create work directory\n"
			  "not ok 2 s.v.t2 # error\n"
			  "# s.v.t3: line one\n"
			  "# line two\n"
			  "not ok 3 s.v.t3\n");
	free(out);
}

TEST(diag_every_line_commented)
{
	struct capture c;
	struct tap t;
	char *out;

	cap_open(&c);
	tap_begin(&t, c.f, 0);
	tap_diag(&t, "report: %s\nsecond %d", "/x/report.json", 2);
	out = cap_close(&c);
	EXPECT_STREQ(out, "TAP version 13\n1..0\n# report: /x/report.json\n# second 2\n");
	free(out);
}

TEST(totals_line)
{
	struct capture c;
	struct tap t;
	char *out, *last;
	int i;

	cap_open(&c);
	tap_begin(&t, c.f, 12);
	for (i = 0; i < 3; i++)
		tap_result(&t, "p", MC_PASS, NULL);
	for (i = 0; i < 2; i++)
		tap_result(&t, "f", MC_FAIL, "r");
	tap_result(&t, "xf", MC_XFAIL, "r");
	for (i = 0; i < 4; i++)
		tap_result(&t, "xp", MC_XPASS, "r");
	tap_result(&t, "s", MC_SKIP, "r");
	tap_result(&t, "e", MC_ERROR, NULL);
	tap_totals(&t);
	out = cap_close(&c);
	last = strstr(out, "# Totals:");
	ASSERT_NONNULL(last);
	EXPECT_STREQ(last, "# Totals: pass:3 fail:2 xfail:1 xpass:4 skip:1 error:1\n");
	EXPECT_TRUE(strstr(out, "not ok 12 e # error\n") != NULL);
	free(out);
}

static int exit_code_of(const enum mc_result *r, int n)
{
	struct capture c;
	struct tap t;
	int i, code;

	cap_open(&c);
	tap_begin(&t, c.f, n);
	for (i = 0; i < n; i++)
		tap_result(&t, "x", r[i], "why");
	code = tap_exit_code(&t);
	free(cap_close(&c));
	return code;
}

TEST(exit_codes)
{
	const enum mc_result pass[] = {MC_PASS, MC_PASS};
	const enum mc_result with_fail[] = {MC_PASS, MC_FAIL, MC_SKIP};
	const enum mc_result with_error[] = {MC_PASS, MC_ERROR};
	const enum mc_result only_skips[] = {MC_SKIP, MC_SKIP};
	const enum mc_result skip_and_pass[] = {MC_SKIP, MC_PASS};
	const enum mc_result xfail[] = {MC_XFAIL, MC_SKIP};
	const enum mc_result xpass[] = {MC_XPASS};
	const enum mc_result skip_and_fail[] = {MC_SKIP, MC_FAIL};

	EXPECT_EQ(exit_code_of(pass, 2), 0);
	EXPECT_EQ(exit_code_of(with_fail, 3), 1);
	EXPECT_EQ(exit_code_of(with_error, 2), 1);
	EXPECT_EQ(exit_code_of(only_skips, 2), 4);
	EXPECT_EQ(exit_code_of(skip_and_pass, 2), 0);
	EXPECT_EQ(exit_code_of(xfail, 2), 0);
	EXPECT_EQ(exit_code_of(xpass, 1), 0);
	EXPECT_EQ(exit_code_of(skip_and_fail, 2), 1);
}

TEST(result_names_round_trip)
{
	static const char *const expect[] = {"pass", "fail", "xfail", "xpass", "skip", "error"};
	int r;

	for (r = 0; r < MC_NRESULTS; r++) {
		EXPECT_STREQ(mc_result_name(r), expect[r]);
		EXPECT_EQ(mc_result_parse(mc_result_name(r)), r);
	}
	EXPECT_EQ(mc_result_parse("PASS"), -1);
	EXPECT_EQ(mc_result_parse(""), -1);
	EXPECT_EQ(mc_result_parse("passed"), -1);
	EXPECT_EQ(mc_result_parse(NULL), -1);
	EXPECT_STREQ(mc_result_name(MC_NRESULTS), "error");
}
