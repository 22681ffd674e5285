// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_report: the JSON run report on disk.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "report.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

static json_t *load(struct ktest *_t, const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);

	if (!doc)
		ktest_fail(_t, true, __FILE__, __LINE__, "%s: %s", path, jerr.text);
	return doc;
}

static json_t *record(const char *name, const char *result)
{
	return json_pack("{s:s, s:s, s:s, s:{s:f}}", "name", name, "result", result, "reason",
			 "because", "metrics", "downtime_ms", 12.5);
}

/* Counts entries of dir whose name contains ".tmp". */
static int tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp") != NULL;
	closedir(d);
	return n;
}

/* Does dir/file exist and contain text? */
static bool file_has(const char *dir, const char *file, const char *text)
{
	char path[512];
	char *s;
	bool has;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	s = slurp(path);
	has = s && strstr(s, text);
	free(s);
	return has;
}

static struct report *open_run(struct ktest *_t, const char *dir, const char *id)
{
	char *err = NULL;
	struct report *r =
	    report_open(dir, id, json_pack("{s:s, s:s}", "qemu_version", "10.0.2", "host", "h"),
			json_pack("{s:[s, s]}", "argv", "migcheck", "run"), &err);

	if (!r)
		ktest_fail(_t, true, __FILE__, __LINE__, "report_open: %s", err);
	return r;
}

TEST(open_creates_run_dir_and_relative_latest)
{
	char dir[128], path[256], link[PATH_MAX];
	struct report *r;
	json_t *doc;
	ssize_t n;

	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "20261120-230501-1");
	snprintf(path, sizeof(path), "%s/runs/20261120-230501-1/report.json", dir);
	EXPECT_STREQ(report_path(r), path);
	snprintf(path, sizeof(path), "%s/runs/20261120-230501-1", dir);
	EXPECT_STREQ(report_run_dir(r), path);

	snprintf(path, sizeof(path), "%s/latest", dir);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = '\0';
	EXPECT_TRUE(link[0] != '/');
	/* The link resolves to the run's report. */
	snprintf(path, sizeof(path), "%s/latest/report.json", dir);
	doc = load(_t, path);
	EXPECT_STREQ(json_string_value(json_object_get(doc, "run_id")), "20261120-230501-1");
	EXPECT_STREQ(json_string_value(json_object_get(doc, "state")), "running");
	EXPECT_TRUE(json_is_null(json_object_get(doc, "finished")));
	EXPECT_EQ(json_array_size(json_object_get(doc, "cases")), 0);
	json_decref(doc);
	report_close(r);

	/* A second run moves latest. */
	r = open_run(_t, dir, "second");
	snprintf(path, sizeof(path), "%s/latest/report.json", dir);
	doc = load(_t, path);
	EXPECT_STREQ(json_string_value(json_object_get(doc, "run_id")), "second");
	json_decref(doc);
	report_close(r);
	EXPECT_EQ(tmp_files(dir), 0);
	rm_tree(dir);
}

TEST(cases_in_order_with_totals)
{
	static const char *const results[] = {"pass", "fail", "skip", "pass", "xfail", "error"};
	char dir[128], *err = NULL;
	struct report *r;
	json_t *doc, *cases, *totals, *env;
	size_t i;

	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "run1");
	for (i = 0; i < 6; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fx.v.t%zu", i);
		ASSERT_EQ(report_add_case(r, record(name, results[i]), &err), 0);
		/* After every case the file is complete and parses. */
		doc = load(_t, report_path(r));
		EXPECT_EQ(json_array_size(json_object_get(doc, "cases")), i + 1);
		json_decref(doc);
		EXPECT_EQ(tmp_files(report_run_dir(r)), 0);
		/* JUnit and HTML follow the JSON after every case. */
		EXPECT_TRUE(file_has(report_run_dir(r), "report.xml", name));
		EXPECT_TRUE(file_has(report_run_dir(r), "report.html", name));
	}
	doc = load(_t, report_path(r));
	EXPECT_STREQ(json_string_value(json_object_get(doc, "schema")), "migcheck-report");
	EXPECT_EQ(json_integer_value(json_object_get(doc, "schema_version")),
		  MC_REPORT_SCHEMA_VERSION);
	EXPECT_EQ(json_integer_value(json_object_get(doc, "repeat")), 1);
	EXPECT_TRUE(json_is_integer(json_object_get(doc, "schema_version")));
	env = json_object_get(doc, "environment");
	EXPECT_STREQ(json_string_value(json_object_get(env, "qemu_version")), "10.0.2");
	EXPECT_STREQ(json_string_value(json_array_get(
			 json_object_get(json_object_get(doc, "invocation"), "argv"), 1)),
		     "run");
	EXPECT_TRUE(json_is_string(json_object_get(doc, "started")));
	cases = json_object_get(doc, "cases");
	ASSERT_EQ(json_array_size(cases), 6);
	for (i = 0; i < 6; i++) {
		char name[32];
		json_t *c = json_array_get(cases, i);

		snprintf(name, sizeof(name), "fx.v.t%zu", i);
		EXPECT_STREQ(json_string_value(json_object_get(c, "name")), name);
		EXPECT_STREQ(json_string_value(json_object_get(c, "result")), results[i]);
	}
	EXPECT_TRUE(
	    json_real_value(json_object_get(json_object_get(json_array_get(cases, 0), "metrics"),
					    "downtime_ms")) == 12.5);
	totals = json_object_get(doc, "totals");
	EXPECT_EQ(json_integer_value(json_object_get(totals, "pass")), 2);
	EXPECT_EQ(json_integer_value(json_object_get(totals, "fail")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(totals, "skip")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(totals, "xfail")), 1);
	EXPECT_EQ(json_integer_value(json_object_get(totals, "xpass")), 0);
	EXPECT_EQ(json_integer_value(json_object_get(totals, "error")), 1);
	json_decref(doc);
	report_close(r);
	EXPECT_EQ(tmp_files(dir), 0);
	rm_tree(dir);
}

TEST(unknown_result_counts_as_error)
{
	char dir[128], *err = NULL;
	struct report *r;
	json_t *doc;

	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "run1");
	ASSERT_EQ(report_add_case(r, record("a.b.c", "bogus"), &err), 0);
	ASSERT_EQ(report_add_case(r, json_pack("{s:s}", "name", "a.b.d"), &err), 0);
	doc = load(_t, report_path(r));
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(doc, "totals"), "error")), 2);
	json_decref(doc);
	report_close(r);
	rm_tree(dir);
}

TEST(rewrites_follow_every_case_while_small_then_throttle)
{
	/* Small reports: every case, however recent or costly the last rewrite. */
	EXPECT_TRUE(report_rewrite_due(1, 0.0, 0.0));
	EXPECT_TRUE(report_rewrite_due(100, 0.001, 5.0));
	/* Large: only once 25 times the last rewrite's cost has passed. */
	EXPECT_FALSE(report_rewrite_due(101, 0.0, 0.001));
	EXPECT_FALSE(report_rewrite_due(1500, 12.4, 0.5));
	EXPECT_TRUE(report_rewrite_due(1500, 12.5, 0.5));
	EXPECT_TRUE(report_rewrite_due(1500, 60.0, 0.5));
}

TEST(a_large_report_is_complete_after_finish)
{
	char dir[128], *err = NULL;
	struct report *r;
	json_t *doc;
	int i;

	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "run1");
	for (i = 0; i < 150; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fx.v.t%d", i);
		ASSERT_EQ(report_add_case(r, record(name, "pass"), &err), 0);
		/* Whatever was last written is whole and a prefix of the run. */
		doc = load(_t, report_path(r));
		ASSERT_NONNULL(doc);
		EXPECT_TRUE(json_array_size(json_object_get(doc, "cases")) >=
			    (i < 100 ? i + 1 : 100));
		json_decref(doc);
	}
	ASSERT_EQ(report_finish(r, "finished", &err), 0);
	doc = load(_t, report_path(r));
	EXPECT_EQ(json_array_size(json_object_get(doc, "cases")), 150);
	EXPECT_EQ(json_integer_value(json_object_get(json_object_get(doc, "totals"), "pass")), 150);
	json_decref(doc);
	EXPECT_TRUE(file_has(report_run_dir(r), "report.xml", "fx.v.t149"));
	EXPECT_TRUE(file_has(report_run_dir(r), "report.html", "fx.v.t149"));
	report_close(r);
	EXPECT_EQ(tmp_files(dir), 0);
	rm_tree(dir);
}

TEST(finish_sets_state_and_time)
{
	char dir[128], *err = NULL;
	struct report *r;
	json_t *doc;
	const char *fin;

	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "run1");
	ASSERT_EQ(report_add_case(r, record("a.b.c", "pass"), &err), 0);
	ASSERT_EQ(report_finish(r, "interrupted", &err), 0);
	doc = load(_t, report_path(r));
	EXPECT_STREQ(json_string_value(json_object_get(doc, "state")), "interrupted");
	fin = json_string_value(json_object_get(doc, "finished"));
	ASSERT_NONNULL(fin);
	/* ISO 8601 UTC, as "started" */
	EXPECT_EQ(strlen(fin), 20);
	EXPECT_TRUE(fin[4] == '-' && fin[10] == 'T' && fin[19] == 'Z');
	EXPECT_EQ(json_array_size(json_object_get(doc, "cases")), 1);
	json_decref(doc);
	report_close(r);
	EXPECT_EQ(tmp_files(dir), 0);
	rm_tree(dir);
}

TEST(jq_reads_it)
{
	char dir[128], cmd[512], *err = NULL;
	struct report *r;

	if (system("command -v jq >/dev/null 2>&1"))
		SKIP("jq is not installed");
	make_tmpdir(dir, sizeof(dir));
	r = open_run(_t, dir, "run1");
	report_add_case(r, record("a.b.c", "pass"), &err);
	report_add_case(r, record("a.b.d", "fail"), &err);
	report_add_case(r, record("a.b.e", "pass"), &err);
	report_finish(r, "finished", &err);
	snprintf(cmd, sizeof(cmd),
		 "jq -e '.totals.pass == 2 and .totals.fail == 1 and "
		 "([.cases[].name] == [\"a.b.c\", \"a.b.d\", \"a.b.e\"]) and "
		 ".state == \"finished\"' %s/latest/report.json >/dev/null",
		 dir);
	EXPECT_EQ(system(cmd), 0);
	/* and that the check can fail */
	snprintf(cmd, sizeof(cmd), "jq -e '.totals.pass == 3' %s/latest/report.json >/dev/null",
		 dir);
	EXPECT_NE(system(cmd), 0);
	report_close(r);
	rm_tree(dir);
}

TEST(open_fails_with_reason)
{
	char dir[128], path[192], *err = NULL;
	struct report *r;
	FILE *f;

	make_tmpdir(dir, sizeof(dir));
	/* "runs" is a file, so the run directory cannot be made. */
	snprintf(path, sizeof(path), "%s/runs", dir);
	f = fopen(path, "w");
	ASSERT_NONNULL(f);
	fclose(f);
	r = report_open(dir, "run1", json_object(), NULL, &err);
	EXPECT_TRUE(r == NULL);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "runs/run1") != NULL);
	free(err);
	report_close(r);
	rm_tree(dir);
}

TEST(new_run_id_shape)
{
	char *id = report_new_run_id();
	char pid[16];

	ASSERT_NONNULL(id);
	/* 20261120-230501-<pid> */
	EXPECT_TRUE(strlen(id) > 16 && id[8] == '-' && id[15] == '-');
	EXPECT_EQ(strspn(id, "0123456789"), 8);
	snprintf(pid, sizeof(pid), "-%d", (int)getpid());
	EXPECT_STREQ(id + 15, pid);
	EXPECT_TRUE(strchr(id, '/') == NULL);
	free(id);
}
