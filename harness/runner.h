/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner.h: test registration and execution, in kselftest_harness.h's model.
 *
 * A suite registers tests named fixture.variant.test; each selected test runs
 * in a forked child with its own work directory and a timeout, so a crash or
 * a hang fails that case only.  The case reports through struct mc_case:
 * failures (EXPECT-like: the case goes on), skips with a reason, an expected
 * failure (XFAIL/XPASS), phases, metrics and oracle verdicts.  The record is
 * checkpointed to case.json so even a killed case keeps what it measured.
 * Registration and selection live in registry.c, execution in runner.c.
 */
#ifndef MIGCHECK_RUNNER_H
#define MIGCHECK_RUNNER_H

#include "tap.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct mc_config {
	const char *qemu;
	const char *qemu_dst;	      /* another build for destinations (--qemu-dst), or NULL */
	const char *guest_dir;	      /* vmlinuz, initramfs.cpio, kernel-release */
	const char *mock_lib;	      /* libvfiomock.so */
	const char *reports_dir;      /* reports/ */
	const char *expectations_dir; /* fixtures/expectations: policy tables, known defects */
	const char *run_id;	      /* NULL: generated */
	int timeout_s;		      /* 0: each test's own */
	bool progress;		      /* progress lines on stderr */
	FILE *tap_out;		      /* NULL: stdout */
	int jobs;		      /* cases run at once (0: 1) */
	int repeat;		      /* runs of every case, each recorded (0: 1) */
	const struct mc_shard *shard; /* run one shard of the selection (shard.h); NULL: all */
	const char *via;	      /* NULL: the harness runs QEMU; "libvirt": libvirt does */
};

struct mc_case;
typedef void (*mc_test_fn)(struct mc_case *c, const void *data);

/*
 * A fixture: the unit a suite is made of, with what every test of it needs
 * before and after (kselftest's FIXTURE_SETUP/TEARDOWN).  setup runs before
 * the test and teardown after it, also when the test stopped on an
 * MC_ASSERT; a failing setup (mc_case_fail, error or skip) skips the test.
 * `order` places its cases in a run: cheapest and most basic first, so a
 * broken environment shows in the first seconds.
 */
struct mc_fixture {
	const char *name;
	int order;
	const char *summary;
	void (*setup)(struct mc_case *c, const void *data);
	void (*teardown)(struct mc_case *c, const void *data);
};
void mc_register_fixture(const struct mc_fixture *f);
#define MC_FIXTURE(var)                                                                            \
	__attribute__((constructor)) static void mc_register_fixture_##var(void)                   \
	{                                                                                          \
		mc_register_fixture(&var);                                                         \
	}
const struct mc_fixture *mc_fixture_find(const char *name);

struct mc_test {
	const char *fixture; /* also the suite the case belongs to */
	const char *variant;
	const char *test;
	mc_test_fn fn;
	const void *data;
	int timeout_s;
	const char *summary;
	/* Matrix axes as "name=value" (NULL-ended), or NULL outside the matrix. */
	const char *const *axes;
};

/* One table entry; matrix suites fill .axes themselves. */
#define MC_TEST(fixture_, variant_, test_, fn_, data_, timeout_, summary_)                         \
	{                                                                                          \
		.fixture = (fixture_), .variant = (variant_), .test = (test_), .fn = (fn_),        \
		.data = (data_), .timeout_s = (timeout_), .summary = (summary_), .axes = NULL      \
	}

/*
 * A test function over typed variant data: MC_TEST_FN(name, struct v) { ...v->field... }
 * defines `name` for MC_TEST with `c` and `v` in scope.
 */
#define MC_TEST_FN(name, vtype)                                                                    \
	static void name##_typed(struct mc_case *c, const vtype *v);                               \
	static void name(struct mc_case *c, const void *data)                                      \
	{                                                                                          \
		name##_typed(c, (const vtype *)data);                                              \
	}                                                                                          \
	static void name##_typed(struct mc_case *c, const vtype *v)

void mc_register_tests(const struct mc_test *tests, size_t n);
#define MC_SUITE(tests)                                                                            \
	__attribute__((constructor)) static void mc_register_##tests(void)                         \
	{                                                                                          \
		mc_register_tests(tests, sizeof(tests) / sizeof(tests[0]));                        \
	}

size_t mc_test_count(void);
const struct mc_test *mc_test_at(size_t i);
/* "fixture.variant.test" into buf. */
const char *mc_test_name(const struct mc_test *t, char *buf, size_t len);

/* Selection: kselftest-like globs over the full name or its parts, or a fixture name. */
struct mc_selection {
	const char *const *patterns; /* suite names or globs on the full name; NULL-ended */
	const char *fixture, *variant, *test; /* globs; NULL: any */
	/* "axis=glob" filters (NULL-ended); a test without that axis never matches. */
	const char *const *axis_filters;
};
bool mc_test_selected(const struct mc_test *t, const struct mc_selection *sel);
/* Returns the name of a pattern that selects nothing, or NULL if all select something. */
const char *mc_selection_unmatched(const struct mc_selection *sel);

/* Runs the selected tests; TAP on stdout; returns the kselftest exit code. */
int mc_run(const struct mc_config *cfg, const struct mc_selection *sel, json_t *environment,
	   json_t *invocation);
/*
 * The same on several builds at once (migcheck ab): case by case, each
 * config's run in its own report (and its TAP in report.tap there);
 * environments[] are stolen; run_dirs[] (optional) get the run directories.
 */
int mc_run_arms(const struct mc_config *const *cfgs, int narms, const struct mc_selection *sel,
		json_t *const *environments, json_t *invocation, char **run_dirs);

/* ---- for tests ---- */
const struct mc_config *mc_case_config(struct mc_case *c);
const char *mc_case_workdir(struct mc_case *c);
const char *mc_case_name(struct mc_case *c);
/* Fails the case with a reason (the first reason is the one reported); the case goes on. */
void mc_case_fail(struct mc_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Stops the test here: the fixture's teardown runs, then the case ends. */
void mc_case_abort(struct mc_case *c) __attribute__((noreturn));

/* kselftest's EXPECT (record and go on) and ASSERT (record and stop the test). */
#define MC_EXPECT(c, cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond))                                                                       \
			mc_case_fail((c), __VA_ARGS__);                                            \
	} while (0)
#define MC_ASSERT(c, cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			mc_case_fail((c), __VA_ARGS__);                                            \
			mc_case_abort(c);                                                          \
		}                                                                                  \
	} while (0)
/* Skips the case; the test function should return right after. */
void mc_case_skip(struct mc_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Declares that this case is expected to fail (known defect); fail -> XFAIL, pass -> XPASS. */
void mc_case_expect_fail(struct mc_case *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool mc_case_failed(const struct mc_case *c);
bool mc_case_skipped(const struct mc_case *c);
/* Harness-level trouble (could not set up): reported as error, not fail. */
void mc_case_error(struct mc_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mc_case_phase(struct mc_case *c, const char *phase, double seconds);
/* Metrics object of the record (borrowed); fill it with json_object_set_new. */
json_t *mc_case_metrics(struct mc_case *c);
/* Sets a top-level member of the record (value stolen). */
void mc_case_set(struct mc_case *c, const char *key, json_t *value);
/* A field set before (borrowed), or NULL. */
json_t *mc_case_get(struct mc_case *c, const char *key);
/* Records an oracle's verdict; a failing oracle fails the case with `summary`. */
void mc_case_oracle(struct mc_case *c, const char *name, bool pass, const char *summary,
		    json_t *details);
/* Writes case.json now (done automatically at the end). */
void mc_case_checkpoint(struct mc_case *c);
/* A diagnostic line in the case log (and on stdout as a TAP comment when verbose). */
void mc_case_log(struct mc_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
