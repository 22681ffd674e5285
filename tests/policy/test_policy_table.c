// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the policy expectations loader and the verdict logic:
 * malformed tables are refused with the file and the problem named,
 * "extends", version range selection, first match wins, %s substitution,
 * the shipped tables cover every matrix cell, and a wrong expectation ends
 * in FAIL rather than XFAIL (the comparison's negative control).
 */
#include "ktest.h"
#include "policy_table.h"
#include "util.h"

#include <stdlib.h>

static char *scratch;

/* Writes `text` as scratch/<dir>/<name>; returns the path (malloc'd). */
static char *put(const char *dir, const char *name, const char *text)
{
	char *d = mc_strdup_printf("%s/%s", scratch, dir);
	char *path = mc_strdup_printf("%s/%s", d, name);

	mc_mkdir_p(d, 0755);
	mc_write_file_atomic(path, text, strlen(text), NULL);
	free(d);
	return path;
}

/* A table from one rules array, for the given range. */
static char *table(const char *dir, const char *name, const char *range, const char *rules)
{
	char *text =
	    mc_strdup_printf("{\"format\": 1, \"qemu\": %s, \"rules\": [%s]}", range, rules);
	char *path = put(dir, name, text);

	free(text);
	return path;
}

/* Loading `rules` (in a 10.0 table) fails with an error containing `want`. */
static bool refused(const char *dir, const char *rules, const char *want, char **got)
{
	char *path = table(dir, "qemu-10.0.json", "{\"from\": \"10.0.0\"}", rules), *err = NULL;
	struct pt_table *t = pt_load(path, &err);
	bool ok = !t && err && strstr(err, want) && strstr(err, path);

	*got = err ? err : strdup("(loaded)");
	pt_free(t);
	free(path);
	return ok;
}

#define EXPECT_REFUSED(dir, rules, want)                                                           \
	do {                                                                                       \
		char *_got;                                                                        \
		bool _ok = refused(dir, rules, want, &_got);                                       \
		KT_CHECK(false, _ok, "%s: expected an error naming the file and \"%s\", got: %s",  \
			 dir, want, _got);                                                         \
		free(_got);                                                                        \
	} while (0)

#define BLOCKED_RULE "{\"match\": {}, \"outcome\": \"blocked\", \"text\": \"%s: no\"}"

TEST(malformed_tables_are_refused_with_file_and_problem)
{
	char *path, *err = NULL;
	struct pt_table *t;

	path = put("syntax", "qemu-10.0.json", "{\"format\": 1, \"rules\": [\n  {,}\n]}");
	t = pt_load(path, &err);
	ASSERT_NULL(t);
	/* jansson's position: file:line:column. */
	EXPECT_TRUE(err && strstr(err, path) && strstr(err, ":2:"));
	free(err);
	free(path);

	EXPECT_REFUSED("axis",
		       "{\"match\": {\"trackr\": \"none\"}, \"outcome\": \"blocked\", "
		       "\"text\": \"x\"}",
		       "unknown axis \"trackr\"");
	EXPECT_REFUSED("value",
		       "{\"match\": {\"viommu\": [\"legacy\", \"smm\"]}, "
		       "\"outcome\": \"blocked\", \"text\": \"x\"}",
		       "axis viommu has no value \"smm\"");
	EXPECT_REFUSED("key", "{\"match\": {}, \"outcome\": \"blocked\", \"txt\": \"x\"}",
		       "unknown key \"txt\"");
	EXPECT_REFUSED("nomatch", "{\"outcome\": \"blocked\", \"text\": \"x\"}", "no \"match\"");
	EXPECT_REFUSED("outcome", "{\"match\": {}, \"outcome\": \"denied\", \"text\": \"x\"}",
		       "\"outcome\" must be one of");
	EXPECT_REFUSED("notext", "{\"match\": {}, \"outcome\": \"refused\"}",
		       "needs QEMU's \"text\"");
	EXPECT_REFUSED("notracker", "{\"match\": {}, \"outcome\": \"allowed\"}",
		       "needs \"tracker\"");
	EXPECT_REFUSED("badtracker",
		       "{\"match\": {}, \"outcome\": \"allowed\", \"tracker\": \"dirty-ring\"}",
		       "needs \"tracker\"");
	EXPECT_REFUSED("trackertext",
		       "{\"match\": {}, \"outcome\": \"allowed\", \"tracker\": \"none\", "
		       "\"text\": \"x\"}",
		       "has no \"text\"");
	EXPECT_REFUSED("blockedtracker",
		       "{\"match\": {}, \"outcome\": \"blocked\", \"text\": \"x\", "
		       "\"tracker\": \"none\"}",
		       "only an allowed outcome names a \"tracker\"");
	EXPECT_REFUSED("template", "{\"match\": {}, \"outcome\": \"blocked\", \"text\": \"%d: x\"}",
		       "may hold %s and %% only");
	EXPECT_REFUSED("refusedlist",
		       "{\"match\": {}, \"outcome\": \"refused\", \"text\": [\"a\", \"b\"]}",
		       "\"text\" must be a string");
	EXPECT_REFUSED("device",
		       "{\"match\": {}, \"outcome\": \"blocked\", \"text\": \"x\", \"device\": 1}",
		       "\"device\" (0-");
	EXPECT_REFUSED("norules", "", "no rules");
}

TEST(malformed_headers_are_refused)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"{\"format\": 2, \"qemu\": {\"from\": \"10.0.0\"}, \"rules\": []}",
	     "\"format\" must be 1"},
	    {"{\"format\": 1, \"rules\": [" BLOCKED_RULE "]}", "no \"qemu\" version range"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"ten\"}, \"rules\": [" BLOCKED_RULE "]}",
	     "qemu.from must be a version"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"11.0.0\", \"before\": \"10.0.0\"}, \"rules\": "
	     "[" BLOCKED_RULE "]}",
	     "empty version range"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"rules\": {}}",
	     "\"rules\" must be an array"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"rule\": []}",
	     "unknown key \"rule\""},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"extends\": \"qemu-9.json\", "
	     "\"rules\": []}",
	     "does not exist"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"extends\": \"../x.json\", "
	     "\"rules\": []}",
	     "same directory"},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"device-names\": {\"vfio\": "
	     "\"{id}\"}, \"rules\": [" BLOCKED_RULE "]}",
	     "unknown backend \"vfio\""},
	    {"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\"}, \"device-names\": {\"iommufd-fd\": "
	     "\"{name}\"}, \"rules\": [" BLOCKED_RULE "]}",
	     "{sysfs}, {id} or {fd}"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[32], *path, *err = NULL;
		struct pt_table *t;

		snprintf(dir, sizeof(dir), "header%zu", i);
		path = put(dir, "qemu-10.0.json", cases[i].text);
		t = pt_load(path, &err);
		EXPECT_TRUE(!t);
		KT_CHECK(false, err && strstr(err, cases[i].want) && strstr(err, path),
			 "case %zu: expected \"%s\" with the path, got: %s", i, cases[i].want,
			 err ? err : "(loaded)");
		pt_free(t);
		free(err);
		free(path);
	}
}

TEST(extends_loop_is_refused)
{
	char *a =
	    put("loop", "qemu-a.json",
		"{\"format\": 1, \"qemu\": {\"from\": \"1.0\"}, \"extends\": \"qemu-b.json\", "
		"\"rules\": []}");
	char *b =
	    put("loop", "qemu-b.json",
		"{\"format\": 1, \"qemu\": {\"from\": \"2.0\"}, \"extends\": \"qemu-a.json\", "
		"\"rules\": []}");
	char *err = NULL;

	ASSERT_NULL(pt_load(a, &err));
	EXPECT_TRUE(err && strstr(err, "a loop?"));
	free(err);
	free(a);
	free(b);
}

TEST(extends_appends_base_rules_and_inherits_names)
{
	char *base =
	    put("ext", "qemu-10.0.json",
		"{\"format\": 1, \"qemu\": {\"from\": \"10.0.0\", \"before\": \"10.1.0\"},"
		" \"device-names\": {\"iommufd-fd\": \"VFIO_FD{fd}\", \"type1\": \"t-{id}\"},"
		" \"rules\": [{\"id\": \"b0\", \"match\": {\"devices\": \"1\"}, "
		"\"outcome\": \"blocked\", \"text\": \"base\"},"
		" {\"id\": \"b1\", \"match\": {}, \"outcome\": \"allowed\", "
		"\"tracker\": \"none\"}]}");
	char *top =
	    put("ext", "qemu-10.1.json",
		"{\"format\": 1, \"qemu\": {\"from\": \"10.1.0\", \"before\": \"10.2.0\"},"
		" \"extends\": \"qemu-10.0.json\", \"device-names\": {\"iommufd-fd\": "
		"\"{id}\"}, \"rules\": [{\"id\": \"t0\", \"match\": {\"devices\": "
		"\"1\", \"viommu\": \"legacy\"}, \"outcome\": \"refused\", \"text\": \"top\"}]}");
	const char *one_legacy[] = {"devices=1", "viommu=legacy", NULL};
	const char *one_none[] = {"devices=1", "viommu=none", NULL};
	const char *two[] = {"devices=2-p2p", "viommu=none", NULL};
	struct pt_device fd = {NULL, "vf0", "31"}, sys = {"0000:01:00.0", "vf0", NULL};
	char *err = NULL, *name;
	struct pt_table *t = pt_load(top, &err);

	ASSERT_NONNULL(t);
	ASSERT_EQ(t->nrules, 3);
	EXPECT_STREQ(t->rules[0].id, "t0");
	EXPECT_STREQ(t->rules[1].id, "b0");
	EXPECT_STREQ(t->rules[2].id, "b1");
	/* The range is the table's own, not the extended one's. */
	EXPECT_STREQ(t->from, "10.1.0");
	EXPECT_STREQ(pt_match(t, one_legacy)->id, "t0");
	EXPECT_STREQ(pt_match(t, one_none)->id, "b0");
	EXPECT_STREQ(pt_match(t, two)->id, "b1");
	EXPECT_TRUE(strstr(pt_match(t, two)->origin, "qemu-10.0.json rule 1 (b1)") != NULL);
	/* Own names beat the extended ones; the others are inherited. */
	name = pt_device_name(t, MOCK_IOMMUFD_FD, &fd);
	EXPECT_STREQ(name, "vf0");
	free(name);
	name = pt_device_name(t, MOCK_TYPE1, &sys);
	EXPECT_STREQ(name, "t-vf0");
	free(name);
	name = pt_device_name(t, MOCK_IOMMUFD, &sys);
	EXPECT_STREQ(name, "0000:01:00.0");
	free(name);
	pt_free(t);

	t = pt_load(base, &err);
	ASSERT_NONNULL(t);
	name = pt_device_name(t, MOCK_IOMMUFD_FD, &fd);
	EXPECT_STREQ(name, "VFIO_FD31");
	free(name);
	pt_free(t);
	free(base);
	free(top);
}

TEST(version_compare_and_ranges)
{
	EXPECT_EQ(mc_version_cmp("10.0.2", "10.0.2"), 0);
	EXPECT_TRUE(mc_version_cmp("10.0.2", "10.0.13") < 0);
	EXPECT_TRUE(mc_version_cmp("10.10.0", "10.9.0") > 0);
	EXPECT_EQ(mc_version_cmp("10.1", "10.1.0"), 0);
	EXPECT_TRUE(mc_version_cmp("9.2.4", "10.0.0") < 0);
	EXPECT_TRUE(pt_version_in("10.0.2", "10.0.0", "10.1.0"));
	EXPECT_FALSE(pt_version_in("10.1.0", "10.0.0", "10.1.0"));
	EXPECT_TRUE(pt_version_in("12.3.0", "11.0.0", NULL));
	EXPECT_FALSE(pt_version_in("10.2.2", "11.0.0", NULL));
	EXPECT_TRUE(pt_version_in("1.0", NULL, "10.0.0"));
}

/* The shipped tables: which one each release selects. */
static const char *selected(const char *version)
{
	static char name[64];
	struct pt_table *t = NULL;
	char *err = NULL;
	int rc = pt_select(MIGCHECK_EXPECTATIONS_DIR, version, &t, &err);

	if (rc < 0) {
		snprintf(name, sizeof(name), "error: %.50s", err);
	} else if (rc == 0) {
		snprintf(name, sizeof(name), "none");
	} else {
		snprintf(name, sizeof(name), "%s", strrchr(t->path, '/') + 1);
	}
	free(err);
	pt_free(t);
	return name;
}

TEST(shipped_tables_select_by_version)
{
	EXPECT_STREQ(selected("10.0.2"), "qemu-10.0.json");
	EXPECT_STREQ(selected("10.0.13"), "qemu-10.0.json");
	EXPECT_STREQ(selected("10.1.0"), "qemu-10.1.json");
	EXPECT_STREQ(selected("10.2.2"), "qemu-10.2.json");
	EXPECT_STREQ(selected("11.0.0"), "qemu-11.0.json");
	EXPECT_STREQ(selected("12.1.50"), "qemu-11.0.json");
	EXPECT_STREQ(selected("9.2.0"), "none");
	EXPECT_TRUE(!strncmp(selected("ten"), "error", 5));
}

TEST(overlapping_ranges_are_refused)
{
	char *a = table("overlap", "qemu-a.json", "{\"from\": \"10.0.0\", \"before\": \"10.2.0\"}",
			BLOCKED_RULE);
	char *b = table("overlap", "qemu-b.json", "{\"from\": \"10.1.0\"}", BLOCKED_RULE);
	char *dir = mc_strdup_printf("%s/overlap", scratch), *err = NULL;
	struct pt_table *t = NULL;

	EXPECT_EQ(pt_select(dir, "10.0.5", &t, &err), 1);
	pt_free(t);
	t = NULL;
	EXPECT_EQ(pt_select(dir, "10.1.3", &t, &err), -1);
	EXPECT_TRUE(err && strstr(err, "qemu-a.json") && strstr(err, "qemu-b.json"));
	free(err);
	free(dir);
	free(a);
	free(b);
}

TEST(shipped_tables_cover_every_cell)
{
	static const char *const names[] = {"qemu-10.0.json", "qemu-10.1.json", "qemu-10.2.json",
					    "qemu-11.0.json"};
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, k;

	ASSERT_GT(n, 400);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char *path = mc_strdup_printf("%s/%s", MIGCHECK_EXPECTATIONS_DIR, names[k]);
		char *err = NULL;
		struct pt_table *t = pt_load(path, &err);

		KT_CHECK(false, t != NULL, "%s", err ? err : "?");
		for (i = 0; t && i < n; i++)
			KT_CHECK(false, pt_match(t, cells[i].axes) != NULL, "%s: no rule for %s",
				 names[k], cells[i].variant);
		pt_free(t);
		free(err);
		free(path);
	}
	free(cells);
}

TEST(first_match_wins)
{
	char *path =
	    table("first", "qemu-10.0.json", "{\"from\": \"10.0.0\"}",
		  "{\"id\": \"narrow\", \"match\": {\"tracker\": \"none\", "
		  "\"enable-migration\": \"auto\"}, \"outcome\": \"blocked\", \"text\": "
		  "\"a\"},"
		  "{\"id\": \"list\", \"match\": {\"tracker\": [\"none\", \"device-log\"]}, "
		  "\"outcome\": \"allowed\", \"tracker\": \"none\"},"
		  "{\"id\": \"all\", \"match\": {}, \"outcome\": \"refused\", \"text\": \"b\"}");
	const char *auto_none[] = {"backend=iommufd", "tracker=none", "enable-migration=auto",
				   NULL};
	const char *on_none[] = {"backend=iommufd", "tracker=none", "enable-migration=on", NULL};
	const char *on_log[] = {"tracker=device-log", "enable-migration=on", NULL};
	const char *hwpt[] = {"tracker=iommufd-hwpt", NULL};
	const char *no_tracker_axis[] = {"backend=type1", NULL};
	char *err = NULL;
	struct pt_table *t = pt_load(path, &err);

	ASSERT_NONNULL(t);
	EXPECT_STREQ(pt_match(t, auto_none)->id, "narrow");
	EXPECT_STREQ(pt_match(t, on_none)->id, "list");
	EXPECT_STREQ(pt_match(t, on_log)->id, "list");
	EXPECT_STREQ(pt_match(t, hwpt)->id, "all");
	/* A cell lacking a matched axis does not match that rule. */
	EXPECT_STREQ(pt_match(t, no_tracker_axis)->id, "all");
	pt_free(t);
	free(path);
}

TEST(substitution_and_expansion)
{
	char *path = table("subst", "qemu-10.0.json", "{\"from\": \"10.0.0\"}",
			   "{\"id\": \"b\", \"match\": {\"devices\": \"2-p2p\"}, \"outcome\": "
			   "\"blocked\", \"text\": [\"Multiple: 100%%\", \"%s: vIOMMU\"], "
			   "\"warning\": \"%s: warn\"},"
			   "{\"id\": \"r\", \"match\": {}, \"outcome\": \"realize-error\", "
			   "\"text\": \"vfio %s: %s: no\", \"device\": 1}");
	const char *names[] = {"vf0", "vf1"};
	const char *p2p[] = {"devices=2-p2p", NULL};
	const char *nop2p[] = {"devices=2-nop2p", NULL};
	struct pt_decision d;
	char *err = NULL, *s;
	struct pt_table *t = pt_load(path, &err);

	ASSERT_NONNULL(t);
	s = pt_subst("vfio %s: %s: 100%% sure", "0000:01:00.0");
	EXPECT_STREQ(s, "vfio 0000:01:00.0: 0000:01:00.0: 100% sure");
	free(s);

	pt_expect(pt_match(t, p2p), names, 2, &d);
	ASSERT_EQ(d.texts.n, 3);
	EXPECT_STREQ(d.texts.v[0], "Multiple: 100%");
	EXPECT_STREQ(d.texts.v[1], "vf0: vIOMMU");
	EXPECT_STREQ(d.texts.v[2], "vf1: vIOMMU");
	ASSERT_EQ(d.warnings.n, 2);
	EXPECT_STREQ(d.warnings.v[1], "vf1: warn");
	pt_decision_clear(&d);

	/* A realize error names one device: the rule's "device". */
	pt_expect(pt_match(t, nop2p), names, 2, &d);
	ASSERT_EQ(d.texts.n, 1);
	EXPECT_STREQ(d.texts.v[0], "vfio vf1: vf1: no");
	pt_decision_clear(&d);
	pt_free(t);
	free(path);
}

static void decide(struct pt_decision *d, enum pt_outcome o, const char *tracker, const char *t1,
		   const char *t2)
{
	memset(d, 0, sizeof(*d));
	d->outcome = o;
	d->tracker = tracker ? strdup(tracker) : NULL;
	if (t1)
		pt_strv_add(&d->texts, t1);
	if (t2)
		pt_strv_add(&d->texts, t2);
}

static enum pt_verdict judge(const struct pt_decision *e, const struct pt_decision *o,
			     char **reason)
{
	free(*reason);
	*reason = NULL;
	return pt_compare(e, o, reason);
}

TEST(verdicts)
{
	struct pt_decision e, o;
	char *reason = NULL;

	/* Allowed with the expected tracker passes; another tracker fails. */
	decide(&e, PT_ALLOWED, "device-log", NULL, NULL);
	decide(&o, PT_ALLOWED, "device-log", NULL, NULL);
	EXPECT_EQ(judge(&e, &o, &reason), PT_PASS);
	free(o.tracker);
	o.tracker = strdup("none");
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	EXPECT_TRUE(strstr(reason, "expected allowed, tracker device-log") &&
		    strstr(reason, "observed allowed, tracker none"));
	/* An expected warning must be there. */
	pt_strv_add(&e.warnings, "vf0: warn");
	free(o.tracker);
	o.tracker = strdup("device-log");
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	EXPECT_TRUE(strstr(reason, "warning \"vf0: warn\" missing") != NULL);
	pt_strv_add(&o.warnings, "something else");
	pt_strv_add(&o.warnings, "vf0: warn");
	EXPECT_EQ(judge(&e, &o, &reason), PT_PASS);
	/* Blocked where allowed is expected fails. */
	pt_decision_clear(&o);
	decide(&o, PT_BLOCKED, NULL, "vf0: no", NULL);
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	pt_decision_clear(&e);
	pt_decision_clear(&o);

	/* Blocked exactly as expected (in any order): XFAIL. */
	decide(&e, PT_BLOCKED, NULL, "a", "b");
	decide(&o, PT_BLOCKED, NULL, "b", "a");
	EXPECT_EQ(judge(&e, &o, &reason), PT_XFAIL);
	pt_decision_clear(&o);
	/* A reason missing or extra: FAIL. */
	decide(&o, PT_BLOCKED, NULL, "a", NULL);
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	pt_decision_clear(&o);
	decide(&o, PT_BLOCKED, NULL, "a", "a");
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	pt_decision_clear(&o);
	/* Lifted: XPASS, naming both. */
	decide(&o, PT_ALLOWED, "iommufd-hwpt", NULL, NULL);
	EXPECT_EQ(judge(&e, &o, &reason), PT_XPASS);
	EXPECT_TRUE(strstr(reason, "expected blocked") && strstr(reason, "observed allowed"));
	pt_decision_clear(&o);
	/* The same text under another outcome kind: FAIL. */
	pt_decision_clear(&e);
	decide(&e, PT_REFUSED, NULL, "vf0: no postcopy", NULL);
	decide(&o, PT_REALIZE_ERROR, NULL, "vf0: no postcopy", NULL);
	EXPECT_EQ(judge(&e, &o, &reason), PT_FAIL);
	EXPECT_TRUE(strstr(reason, "expected refused") && strstr(reason, "observed realize-error"));
	pt_decision_clear(&e);
	pt_decision_clear(&o);
	free(reason);
}

/*
 * Negative control: a table expecting another text for a cell QEMU 10.0.2
 * blocks must give FAIL, never XFAIL; the shipped table gives XFAIL.
 */
TEST(wrong_expectation_fails)
{
	char *path =
	    table("wrong", "qemu-10.0.json", "{\"from\": \"10.0.0\", \"before\": \"10.1.0\"}",
		  "{\"match\": {\"tracker\": \"none\", \"enable-migration\": \"auto\"}, "
		  "\"outcome\": \"blocked\", \"text\": \"%s: VFIO device doesn't support "
		  "dirty tracking\"}");
	char *shipped = mc_strdup_printf("%s/qemu-10.0.json", MIGCHECK_EXPECTATIONS_DIR);
	const char *names[] = {"0000:01:00.0"};
	struct mx_cell cell = {
	    .v = {MOCK_IOMMUFD, MX_NO_TRACKER, MX_EM_AUTO, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV}};
	struct pt_decision seen = {.outcome = PT_BLOCKED}, e;
	char *err = NULL, *reason = NULL;
	struct pt_table *t;

	mx_cell_name(&cell);
	/* What Debian's QEMU 10.0.2 reports for this cell. */
	pt_strv_add(&seen.texts,
		    "0000:01:00.0: VFIO device doesn't support device and IOMMU dirty tracking");

	t = pt_load(path, &err);
	ASSERT_NONNULL(t);
	pt_expect(pt_match(t, cell.axes), names, 1, &e);
	EXPECT_EQ(pt_compare(&e, &seen, &reason), PT_FAIL);
	EXPECT_TRUE(strstr(reason, "expected blocked: \"0000:01:00.0: VFIO device doesn't support "
				   "dirty tracking\"") != NULL);
	pt_decision_clear(&e);
	pt_free(t);
	free(reason);
	reason = NULL;

	t = pt_load(shipped, &err);
	ASSERT_NONNULL(t);
	pt_expect(pt_match(t, cell.axes), names, 1, &e);
	EXPECT_EQ(pt_compare(&e, &seen, &reason), PT_XFAIL);
	pt_decision_clear(&e);
	pt_decision_clear(&seen);
	pt_free(t);
	free(reason);
	free(shipped);
	free(path);
}

int main(int argc, char **argv)
{
	char tmpl[4096];
	int rc;

	snprintf(tmpl, sizeof(tmpl), "%s/policy-table-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	scratch = mkdtemp(tmpl);
	if (!scratch) {
		perror("mkdtemp");
		return 1;
	}
	rc = ktest_main(argc, argv);
	mc_rm_rf(scratch);
	return rc;
}
