// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_runner: selection and execution of registered tests, with cases that
 * pass, fail, skip, crash, hang and misbehave, as a suite would register them.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "defects.h"

#include "fakepeer.h"
#include "merge.h"
#include "runner.h"
#include "shard.h"
#include "util.h"

static void t_pass(struct mc_case *c, const void *data)
{
	mc_case_phase(c, "work", 0.25);
	json_object_set_new(mc_case_metrics(c), "answer", json_integer(42));
}

static void t_fail(struct mc_case *c, const void *data)
{
	mc_case_fail(c, "first reason %d", 1);
	mc_case_fail(c, "second reason");
}

static void t_skip(struct mc_case *c, const void *data)
{
	mc_case_skip(c, "QEMU %s blocks it", "10.0");
}

static void t_xfail(struct mc_case *c, const void *data)
{
	mc_case_expect_fail(c, "known defect #12");
	mc_case_fail(c, "it failed as expected");
}

static void t_xpass(struct mc_case *c, const void *data)
{
	mc_case_expect_fail(c, "known defect #13");
}

static void t_crash(struct mc_case *c, const void *data)
{
	json_object_set_new(mc_case_metrics(c), "before_crash", json_integer(7));
	mc_case_checkpoint(c);
	abort();
}

static void t_hang(struct mc_case *c, const void *data)
{
	sleep(30);
}

static void t_error(struct mc_case *c, const void *data)
{
	mc_case_error(c, "could not set up: %s", "no disk");
}

static void t_oracle(struct mc_case *c, const void *data)
{
	mc_case_oracle(c, "ram", true, "all pages equal", NULL);
	mc_case_oracle(c, "dma", false, "3 stale stamps", json_pack("{s:i}", "stale", 3));
}

static void t_exit(struct mc_case *c, const void *data)
{
	exit(3);
}

/* Fails in its second repetition only. */
static void t_flaky(struct mc_case *c, const void *data)
{
	const char *wd = mc_case_workdir(c);

	json_object_set_new(mc_case_metrics(c), "rep_dir", json_string(strrchr(wd, '/') + 1));
	if (!strcmp(strrchr(wd, '/'), "/rep-2"))
		mc_case_fail(c, "second time unlucky");
}

static const struct mc_test alpha[] = {
    {.fixture = "fx1", .variant = "v1", .test = "pass", .fn = t_pass},
    {.fixture = "fx1", .variant = "v1", .test = "fail", .fn = t_fail},
    {.fixture = "fx1", .variant = "v2", .test = "skip", .fn = t_skip},
    {.fixture = "fx2", .variant = "v1", .test = "xfail", .fn = t_xfail},
    {.fixture = "fx2", .variant = "v1", .test = "xpass", .fn = t_xpass},
    {.fixture = "fx2", .variant = "v2", .test = "crash", .fn = t_crash},
    {.fixture = "fx2", .variant = "v2", .test = "hang", .fn = t_hang, .timeout_s = 1},
    {.fixture = "fx3", .variant = "v1", .test = "error", .fn = t_error},
    {.fixture = "fx3", .variant = "v1", .test = "oracle", .fn = t_oracle},
    {.fixture = "fx3", .variant = "v1", .test = "exit", .fn = t_exit},
};
MC_SUITE(alpha)

/* A fixture with setup and teardown, and tests that assert and expect. */
static void fx_setup(struct mc_case *c, const void *data)
{
	json_object_set_new(mc_case_metrics(c), "setup", json_true());
	if (data)
		mc_case_skip(c, "setup cannot run here");
}

static void fx_teardown(struct mc_case *c, const void *data)
{
	json_object_set_new(mc_case_metrics(c), "teardown", json_true());
}

static void t_assert(struct mc_case *c, const void *data)
{
	MC_EXPECT(c, 1 + 1 == 3, "expected %d", 3);
	json_object_set_new(mc_case_metrics(c), "after_expect", json_true());
	MC_ASSERT(c, false, "asserted");
	json_object_set_new(mc_case_metrics(c), "after_assert", json_true());
}

static void t_ran(struct mc_case *c, const void *data)
{
	json_object_set_new(mc_case_metrics(c), "ran", json_true());
}

static const struct mc_fixture fxs = {"fxs", 5, "a fixture with setup and teardown", fx_setup,
				      fx_teardown};
MC_FIXTURE(fxs)
/* Runs before every other fixture, whatever its registration order. */
static const struct mc_fixture early = {"early", -1, "ordered first", NULL, NULL};
MC_FIXTURE(early)

static const struct mc_test third[] = {
    {.fixture = "fxs", .variant = "v1", .test = "assert", .fn = t_assert},
    {.fixture = "fxs", .variant = "v1", .test = "setupskip", .fn = t_ran, .data = "skip"},
    {.fixture = "early", .variant = "v1", .test = "pass", .fn = t_pass},
};
MC_SUITE(third)

static const struct mc_test beta[] = {
    {.fixture = "other", .variant = "one", .test = "pass", .fn = t_pass},
    {.fixture = "other", .variant = "two", .test = "skip", .fn = t_skip},
    {.fixture = "other", .variant = "three", .test = "flaky", .fn = t_flaky},
};
MC_SUITE(beta)

/*
 * A case whose table entry (written by the test) expects a defect, and that
 * passed: with no evidence it is XPASS; with evidence that the pass could
 * not have shown the defect it is SKIP, never XPASS.
 */
static void t_judged(struct mc_case *c, const void *data)
{
	defects_decide(c, "10.2.50", &(struct defect_observation){.inconclusive = data});
}

static const struct mc_test judged[] = {
    {.fixture = "judged", .variant = "d", .test = "decided", .fn = t_judged},
    {.fixture = "judged",
     .variant = "d",
     .test = "undecided",
     .fn = t_judged,
     .data = "a dirty read re-reported the page"},
};
MC_SUITE(judged)

/* Names of the selected tests, comma separated. */
static char *selected(const struct mc_selection *sel)
{
	static char out[1024];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < mc_test_count(); i++) {
		char name[256];

		if (!mc_test_selected(mc_test_at(i), sel))
			continue;
		if (out[0])
			strcat(out, ",");
		strcat(out, mc_test_name(mc_test_at(i), name, sizeof(name)));
	}
	return out;
}

TEST(registry_and_names)
{
	char name[256];

	EXPECT_EQ(mc_test_count(), 18);
	EXPECT_TRUE(mc_test_at(18) == NULL);
	EXPECT_STREQ(mc_test_name(&alpha[3], name, sizeof(name)), "fx2.v1.xfail");
}

TEST(select_by_fixture_and_glob)
{
	const char *const by_suite[] = {"other", NULL};
	const char *const by_glob[] = {"fx1.*", NULL};
	const char *const two[] = {"*.v2.*", "other.one.pass", NULL};
	const char *const exact[] = {"fx2.v1.xpass", NULL};
	struct mc_selection sel = {0};

	EXPECT_EQ(strlen(selected(&sel)) > 0, 1);
	EXPECT_TRUE(strstr(selected(&sel), "other.two.skip") != NULL);

	sel.patterns = by_suite;
	EXPECT_STREQ(selected(&sel), "other.one.pass,other.two.skip,other.three.flaky");
	sel.patterns = by_glob;
	EXPECT_STREQ(selected(&sel), "fx1.v1.pass,fx1.v1.fail,fx1.v2.skip");
	sel.patterns = two;
	EXPECT_STREQ(selected(&sel), "fx1.v2.skip,fx2.v2.crash,fx2.v2.hang,other.one.pass");
	sel.patterns = exact;
	EXPECT_STREQ(selected(&sel), "fx2.v1.xpass");
}

TEST(select_by_parts)
{
	const char *const by_suite[] = {"fx1", NULL};
	struct mc_selection sel = {0};

	sel.fixture = "fx2";
	EXPECT_STREQ(selected(&sel), "fx2.v1.xfail,fx2.v1.xpass,fx2.v2.crash,fx2.v2.hang");
	sel.variant = "v2";
	EXPECT_STREQ(selected(&sel), "fx2.v2.crash,fx2.v2.hang");
	sel.fixture = NULL;
	sel.variant = NULL;
	sel.test = "x*";
	EXPECT_STREQ(selected(&sel), "fx2.v1.xfail,fx2.v1.xpass");
	/* Parts narrow the patterns. */
	sel.test = "pass";
	EXPECT_STREQ(selected(&sel), "fx1.v1.pass,early.v1.pass,other.one.pass");
	sel.patterns = by_suite;
	EXPECT_STREQ(selected(&sel), "fx1.v1.pass");
	sel.variant = "t*";
	EXPECT_STREQ(selected(&sel), "");
}

TEST(unmatched_pattern_named)
{
	const char *const ok[] = {"fx1", "other.*", NULL};
	const char *const bad[] = {"fx1", "nosuch*", "other", NULL};
	const char *const prefix[] = {"fx", NULL};
	struct mc_selection sel = {0};

	EXPECT_TRUE(mc_selection_unmatched(&sel) == NULL);
	sel.patterns = ok;
	EXPECT_TRUE(mc_selection_unmatched(&sel) == NULL);
	sel.patterns = bad;
	EXPECT_STREQ(mc_selection_unmatched(&sel), "nosuch*");
	/* A prefix of a fixture name is neither a fixture nor a full-name glob. */
	sel.patterns = prefix;
	EXPECT_STREQ(mc_selection_unmatched(&sel), "fx");
}

struct run_out {
	int code;
	char *tap;
	json_t *report;
};

/* mc_run in a child with stdout in a file; returns what it printed and wrote. */
static void run_config(struct ktest *_t, const char *dir, const char *run_id,
		       const char *const *patterns, int repeat, const struct mc_shard *shard,
		       struct run_out *out)
{
	char path[256];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s.tap", dir, run_id);
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct mc_config cfg = {.qemu = "/nonexistent",
					.reports_dir = dir,
					.run_id = run_id,
					.repeat = repeat,
					.shard = shard};
		struct mc_selection sel = {.patterns = patterns};

		if (!freopen(path, "w", stdout))
			_exit(99);
		_exit(mc_run(&cfg, &sel, json_pack("{s:s}", "host", "unit"), NULL));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	out->code = WEXITSTATUS(status);
	out->tap = slurp(path);
	ASSERT_NONNULL(out->tap);
	snprintf(path, sizeof(path), "%s/runs/%s/report.json", dir, run_id);
	out->report = json_load_file(path, 0, NULL);
	ASSERT_NONNULL(out->report);
}

static void run_selection(struct ktest *_t, const char *dir, const char *run_id,
			  const char *const *patterns, struct run_out *out)
{
	run_config(_t, dir, run_id, patterns, 0, NULL, out);
}

static json_t *case_named(json_t *report, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(report, "cases"), i, c)
	{
		if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name))
			return c;
	}
	return NULL;
}

static const char *field(json_t *report, const char *name, const char *key)
{
	return json_string_value(json_object_get(case_named(report, name), key));
}

TEST_TIMEOUT(run_every_outcome, 60)
{
	const char *const pats[] = {"fx1", "fx2", "fx3", NULL};
	char dir[128];
	struct run_out o;
	json_t *c;

	make_tmpdir(dir, sizeof(dir));
	run_selection(_t, dir, "r1", pats, &o);
	EXPECT_EQ(o.code, 1);

	EXPECT_TRUE(!strncmp(o.tap, "TAP version 13\n1..10\n", 21));
	EXPECT_TRUE(strstr(o.tap, "\nok 1 fx1.v1.pass\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\n# fx1.v1.fail: first reason 1\nnot ok 2 fx1.v1.fail\n") !=
		    NULL);
	EXPECT_TRUE(strstr(o.tap, "\nok 3 fx1.v2.skip # SKIP QEMU 10.0 blocks it\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nok 4 fx2.v1.xfail # XFAIL known defect  12\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nok 5 fx2.v1.xpass # XPASS known defect  13\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nnot ok 6 fx2.v2.crash\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "# fx2.v2.hang: timed out after 1 s\nnot ok 7 fx2.v2.hang\n") !=
		    NULL);
	EXPECT_TRUE(strstr(o.tap, "\nnot ok 8 fx3.v1.error # error\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nnot ok 9 fx3.v1.oracle\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nnot ok 10 fx3.v1.exit\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\n# Totals: pass:1 fail:5 xfail:1 xpass:1 skip:1 error:1\n") !=
		    NULL);

	EXPECT_STREQ(field(o.report, "fx1.v1.pass", "result"), "pass");
	EXPECT_TRUE(json_is_null(json_object_get(case_named(o.report, "fx1.v1.pass"), "reason")));
	EXPECT_EQ(json_integer_value(json_object_get(
		      json_object_get(case_named(o.report, "fx1.v1.pass"), "metrics"), "answer")),
		  42);
	EXPECT_STREQ(field(o.report, "fx1.v1.pass", "suite"), "fx1");
	EXPECT_STREQ(field(o.report, "fx1.v1.fail", "result"), "fail");
	EXPECT_STREQ(field(o.report, "fx1.v1.fail", "reason"), "first reason 1");
	EXPECT_STREQ(field(o.report, "fx1.v2.skip", "result"), "skip");
	EXPECT_STREQ(field(o.report, "fx1.v2.skip", "reason"), "QEMU 10.0 blocks it");
	EXPECT_STREQ(field(o.report, "fx2.v1.xfail", "result"), "xfail");
	EXPECT_STREQ(field(o.report, "fx2.v1.xfail", "reason"), "known defect #12");
	EXPECT_STREQ(field(o.report, "fx2.v1.xfail", "failure"), "it failed as expected");
	EXPECT_STREQ(field(o.report, "fx2.v1.xpass", "result"), "xpass");

	EXPECT_STREQ(field(o.report, "fx2.v2.crash", "result"), "fail");
	ASSERT_NONNULL(field(o.report, "fx2.v2.crash", "reason"));
	EXPECT_TRUE(strstr(field(o.report, "fx2.v2.crash", "reason"), "killed by signal 6") !=
		    NULL);
	/* What the case checkpointed before it died survives. */
	c = case_named(o.report, "fx2.v2.crash");
	EXPECT_EQ(
	    json_integer_value(json_object_get(json_object_get(c, "metrics"), "before_crash")), 7);

	EXPECT_STREQ(field(o.report, "fx2.v2.hang", "result"), "fail");
	EXPECT_STREQ(field(o.report, "fx2.v2.hang", "reason"), "timed out after 1 s");
	c = case_named(o.report, "fx2.v2.hang");
	EXPECT_TRUE(json_real_value(json_object_get(c, "duration_s")) < 5);

	EXPECT_STREQ(field(o.report, "fx3.v1.error", "result"), "error");
	EXPECT_STREQ(field(o.report, "fx3.v1.error", "reason"), "could not set up: no disk");

	EXPECT_STREQ(field(o.report, "fx3.v1.oracle", "result"), "fail");
	EXPECT_TRUE(strstr(field(o.report, "fx3.v1.oracle", "reason"), "3 stale stamps") != NULL);
	c = json_object_get(case_named(o.report, "fx3.v1.oracle"), "oracles");
	EXPECT_TRUE(json_is_true(json_object_get(json_object_get(c, "ram"), "pass")));
	EXPECT_TRUE(json_is_false(json_object_get(json_object_get(c, "dma"), "pass")));
	EXPECT_EQ(json_integer_value(json_object_get(
		      json_object_get(json_object_get(c, "dma"), "details"), "stale")),
		  3);

	EXPECT_STREQ(field(o.report, "fx3.v1.exit", "result"), "fail");
	EXPECT_TRUE(strstr(field(o.report, "fx3.v1.exit", "reason"), "status 3") != NULL);

	EXPECT_STREQ(json_string_value(json_object_get(o.report, "state")), "finished");
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(o.report, "totals"), "fail")),
		  5);
	EXPECT_EQ(json_array_size(json_object_get(o.report, "cases")), 10);
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

static bool metric(json_t *report, const char *name, const char *key)
{
	return json_is_true(
	    json_object_get(json_object_get(case_named(report, name), "metrics"), key));
}

/* kselftest semantics: EXPECT goes on, ASSERT stops, teardown always runs; fixture order. */
TEST_TIMEOUT(fixtures_assert_and_order, 60)
{
	const char *const pats[] = {"fxs", "early", NULL};
	char dir[128];
	struct run_out o;

	make_tmpdir(dir, sizeof(dir));
	run_selection(_t, dir, "fx", pats, &o);
	/* "early" (order -1) runs first although registered last. */
	EXPECT_TRUE(strstr(o.tap, "\nok 1 early.v1.pass\n") != NULL);
	EXPECT_STREQ(field(o.report, "fxs.v1.assert", "result"), "fail");
	EXPECT_STREQ(field(o.report, "fxs.v1.assert", "reason"), "expected 3");
	EXPECT_TRUE(metric(o.report, "fxs.v1.assert", "setup"));
	EXPECT_TRUE(metric(o.report, "fxs.v1.assert", "after_expect"));
	EXPECT_FALSE(metric(o.report, "fxs.v1.assert", "after_assert"));
	EXPECT_TRUE(metric(o.report, "fxs.v1.assert", "teardown"));
	/* A setup that does not succeed: the test does not run, teardown does. */
	EXPECT_STREQ(field(o.report, "fxs.v1.setupskip", "result"), "skip");
	EXPECT_FALSE(metric(o.report, "fxs.v1.setupskip", "ran"));
	EXPECT_TRUE(metric(o.report, "fxs.v1.setupskip", "teardown"));
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

TEST_TIMEOUT(inconclusive_pass_skips_instead_of_xpass, 60)
{
	const char *const pats[] = {"judged", NULL};
	const char table[] = "{\"version\":1,\"defects\":[{\"id\":\"d1\",\"title\":\"lost page\","
			     "\"qemu\":{\"from\":\"11.0.0\"},\"cases\":[\"judged.d.*\"],"
			     "\"signature\":{\"pattern\":\"event_page_lost\"}}]}";
	char dir[128], path[256];
	struct run_out o;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/defects.json", dir);
	ASSERT_EQ(mc_write_file_atomic(path, table, strlen(table), NULL), 0);
	setenv("MIGCHECK_EXPECTATIONS", dir, 1);
	run_selection(_t, dir, "judged", pats, &o);
	unsetenv("MIGCHECK_EXPECTATIONS");
	EXPECT_STREQ(field(o.report, "judged.d.decided", "result"), "xpass");
	EXPECT_STREQ(field(o.report, "judged.d.undecided", "result"), "skip");
	EXPECT_NONNULL(
	    strstr(field(o.report, "judged.d.undecided", "reason") ?: "",
		   "defect d1 could not show this time: a dirty read re-reported the page"));
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

TEST(run_exit_codes)
{
	const char *const passing[] = {"fx1.v1.pass", "other.one.pass", NULL};
	const char *const skipping[] = {"*.skip", NULL};
	const char *const mixed[] = {"*.skip", "fx2.v1.xfail", NULL};
	char dir[128];
	struct run_out o;

	make_tmpdir(dir, sizeof(dir));
	run_selection(_t, dir, "pass", passing, &o);
	EXPECT_EQ(o.code, 0);
	EXPECT_TRUE(strstr(o.tap, "# Totals: pass:2 fail:0") != NULL);
	json_decref(o.report);
	free(o.tap);

	run_selection(_t, dir, "skip", skipping, &o);
	EXPECT_EQ(o.code, 4);
	json_decref(o.report);
	free(o.tap);

	run_selection(_t, dir, "mixed", mixed, &o);
	EXPECT_EQ(o.code, 0);
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

TEST(case_workdir_and_log)
{
	const char *const pats[] = {"fx1.v1.fail", NULL};
	char dir[128], path[256], *log;
	struct run_out o;
	const char *wd;

	make_tmpdir(dir, sizeof(dir));
	run_selection(_t, dir, "w", pats, &o);
	wd = field(o.report, "fx1.v1.fail", "workdir");
	ASSERT_NONNULL(wd);
	EXPECT_TRUE(wd[0] != '/');
	snprintf(path, sizeof(path), "%s/runs/w/%s/case.log", dir, wd);
	log = slurp(path);
	ASSERT_NONNULL(log);
	EXPECT_TRUE(strstr(log, "first reason 1") != NULL);
	free(log);
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

TEST_TIMEOUT(repeat_records_every_repetition, 60)
{
	const char *const pats[] = {"fx1.v1.pass", "other.three.flaky", NULL};
	char dir[128];
	struct run_out o;
	json_t *c, *reps;

	make_tmpdir(dir, sizeof(dir));
	run_config(_t, dir, "rep", pats, 3, NULL, &o);
	EXPECT_EQ(o.code, 1);
	/* One TAP line per case, whatever the repetitions. */
	EXPECT_TRUE(!strncmp(o.tap, "TAP version 13\n1..2\n", 20));
	EXPECT_TRUE(strstr(o.tap, "\nok 1 fx1.v1.pass\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "# other.three.flaky: the 3 repetitions disagree\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "\nnot ok 2 other.three.flaky\n") != NULL);
	EXPECT_TRUE(strstr(o.tap, "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\n") !=
		    NULL);
	EXPECT_EQ(json_integer_value(json_object_get(o.report, "repeat")), 3);

	c = case_named(o.report, "other.three.flaky");
	ASSERT_NONNULL(c);
	EXPECT_STREQ(field(o.report, "other.three.flaky", "result"), "fail");
	EXPECT_STREQ(field(o.report, "other.three.flaky", "reason"),
		     "second time unlucky (fail in 1 of 3 repetitions)");
	EXPECT_TRUE(json_is_true(json_object_get(c, "flaky")));
	/* The case's own members are the failing repetition's. */
	EXPECT_STREQ(field(o.report, "other.three.flaky", "workdir"),
		     "cases/other.three.flaky/rep-2");
	reps = json_object_get(c, "repetitions");
	ASSERT_EQ(json_array_size(reps), 3);
	EXPECT_STREQ(json_string_value(json_object_get(json_array_get(reps, 0), "result")), "pass");
	EXPECT_STREQ(json_string_value(json_object_get(json_array_get(reps, 1), "result")), "fail");
	EXPECT_STREQ(json_string_value(json_object_get(json_array_get(reps, 2), "result")), "pass");
	EXPECT_STREQ(json_string_value(json_object_get(
			 json_object_get(json_array_get(reps, 2), "metrics"), "rep_dir")),
		     "rep-3");
	EXPECT_STREQ(json_string_value(json_object_get(json_array_get(reps, 0), "workdir")),
		     "cases/other.three.flaky/rep-1");

	c = case_named(o.report, "fx1.v1.pass");
	EXPECT_TRUE(json_is_false(json_object_get(c, "flaky")));
	EXPECT_EQ(json_array_size(json_object_get(c, "repetitions")), 3);
	EXPECT_EQ(json_integer_value(json_object_get(c, "order")), 0);
	json_decref(o.report);
	free(o.tap);
	rm_tree(dir);
}

/* Names of a report's cases in order, comma separated. */
static char *case_names(json_t *report)
{
	static char out[1024];
	json_t *c;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(report, "cases"), i, c)
	{
		if (out[0])
			strcat(out, ",");
		strcat(out, json_string_value(json_object_get(c, "name")));
	}
	return out;
}

TEST_TIMEOUT(shards_by_count_merge_to_one_run, 90)
{
	const char *const pats[] = {"fx1.*", "fx2.v1.*", "other", NULL};
	struct mc_shard s1 = {.index = 1, .count = 2}, s2 = {.index = 2, .count = 2};
	char dir[128], d1[256], d2[256], out[256], all[1024];
	json_t *reports[2], *merged;
	const char *dirs[2] = {d1, d2};
	struct run_out whole, a, b;
	char *err = NULL;

	make_tmpdir(dir, sizeof(dir));
	run_config(_t, dir, "whole", pats, 0, NULL, &whole);
	run_config(_t, dir, "s1", pats, 0, &s1, &a);
	run_config(_t, dir, "s2", pats, 0, &s2, &b);
	strcpy(all, case_names(whole.report));
	EXPECT_STREQ(all, "fx1.v1.pass,fx1.v1.fail,fx1.v2.skip,fx2.v1.xfail,fx2.v1.xpass,"
			  "other.one.pass,other.two.skip,other.three.flaky");
	/* By count: case i of the selection goes to shard i mod N + 1. */
	EXPECT_STREQ(case_names(a.report), "fx1.v1.pass,fx1.v2.skip,fx2.v1.xpass,other.two.skip");
	EXPECT_STREQ(case_names(b.report), "fx1.v1.fail,fx2.v1.xfail,other.one.pass,"
					   "other.three.flaky");
	EXPECT_TRUE(strstr(a.tap, "1..4\n") != NULL);
	EXPECT_STREQ(
	    json_string_value(json_object_get(json_object_get(a.report, "shard"), "balance")),
	    "count");

	snprintf(d1, sizeof(d1), "%s/runs/s1", dir);
	snprintf(d2, sizeof(d2), "%s/runs/s2", dir);
	snprintf(out, sizeof(out), "%s/merged", dir);
	reports[0] = b.report; /* in any order */
	reports[1] = a.report;
	dirs[0] = d2;
	dirs[1] = d1;
	merged = merge_reports(reports, dirs, 2, dir, &err);
	ASSERT_NONNULL(merged);
	EXPECT_STREQ(case_names(merged), all);
	/* Work directories stay reachable from the merged report's directory. */
	EXPECT_STREQ(json_string_value(json_object_get(
			 json_array_get(json_object_get(merged, "cases"), 0), "workdir")),
		     "runs/s1/cases/fx1.v1.pass");
	json_decref(merged);

	/* One shard alone is not the run. */
	merged = merge_reports(reports, dirs, 1, out, &err);
	EXPECT_TRUE(merged == NULL);
	ASSERT_NONNULL(err);
	EXPECT_STREQ(err, "shard 1 of 2 is missing");
	free(err);
	err = NULL;
	/* Nor is a shard twice. */
	reports[1] = b.report;
	merged = merge_reports(reports, dirs, 2, out, &err);
	EXPECT_TRUE(merged == NULL);
	ASSERT_NONNULL(err);
	EXPECT_STREQ(err, "shard 2 of 2 is given twice");
	free(err);

	json_decref(whole.report);
	json_decref(a.report);
	json_decref(b.report);
	free(whole.tap);
	free(a.tap);
	free(b.tap);
	rm_tree(dir);
}

TEST(shard_by_durations_longest_first)
{
	const char *const names[] = {"a", "b", "c", "d", "e"};
	struct mc_shard s = {.index = 1, .count = 2};
	char dir[128], path[256], *err = NULL;
	bool keep1[5], keep2[5];
	json_t *info1, *info2, *report;
	FILE *f;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	/* e is unknown: it counts as the median, 4 s. */
	report = json_pack("{s:s, s:i, s:[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}]}",
			   "schema", "migcheck-report", "schema_version", 2, "cases", "name", "a",
			   "duration_s", 10.0, "name", "b", "duration_s", 6.0, "name", "c",
			   "duration_s", 2.0, "name", "d", "duration_s", 1.0);
	f = fopen(path, "w");
	ASSERT_NONNULL(f);
	json_dumpf(report, f, 0);
	fclose(f);
	json_decref(report);

	s.durations = path;
	info1 = shard_plan(names, 5, &s, keep1, &err);
	ASSERT_NONNULL(info1);
	s.index = 2;
	info2 = shard_plan(names, 5, &s, keep2, &err);
	ASSERT_NONNULL(info2);
	/*
	 * Longest first to the lighter shard, the lower one on a tie: a(10) -> 1,
	 * b(6) -> 2, e(4) -> 2, c(2) -> 1, d(1) -> 2.
	 */
	EXPECT_TRUE(keep1[0] && !keep1[1] && keep1[2] && !keep1[3] && !keep1[4]);
	EXPECT_TRUE(!keep2[0] && keep2[1] && !keep2[2] && keep2[3] && keep2[4]);
	EXPECT_TRUE(json_real_value(json_object_get(info1, "estimated_s")) == 12.0);
	EXPECT_TRUE(json_real_value(json_object_get(info2, "estimated_s")) == 11.0);
	EXPECT_STREQ(json_string_value(json_object_get(info1, "balance")), "durations");
	EXPECT_TRUE(json_equal(json_object_get(info1, "plan"), json_object_get(info2, "plan")));
	json_decref(info2);

	/* By count the plan differs, and a missing durations report is an error. */
	s.durations = NULL;
	info2 = shard_plan(names, 5, &s, keep2, &err);
	EXPECT_FALSE(json_equal(json_object_get(info1, "plan"), json_object_get(info2, "plan")));
	json_decref(info2);
	s.durations = "/nonexistent/report.json";
	EXPECT_TRUE(shard_plan(names, 5, &s, keep2, &err) == NULL);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "/nonexistent/report.json") != NULL);
	free(err);

	EXPECT_EQ(shard_parse("2/3", &s), 0);
	EXPECT_EQ(s.index, 2);
	EXPECT_EQ(shard_parse("0/3", &s), -1);
	EXPECT_EQ(shard_parse("4/3", &s), -1);
	EXPECT_EQ(shard_parse("1/3x", &s), -1);
	json_decref(info1);
	rm_tree(dir);
}
