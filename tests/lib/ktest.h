/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktest.h: a tiny kselftest-flavoured unit test layer for migcheck's own tests.
 *
 * One test per function, registered with TEST(name); ASSERT_* ends the test,
 * EXPECT_* records a failure and carries on.  Each test runs in a forked child
 * with a timeout, so a crash or a hang fails that test only.  Output is TAP 13
 * with a kselftest "# Totals:" line, which meson's TAP parser reads.
 *
 * Usage: include once per test program, define tests, and call
 * ktest_main(argc, argv) from main() (or define KTEST_MAIN before including).
 */
#ifndef MIGCHECK_KTEST_H
#define MIGCHECK_KTEST_H

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct ktest {
	const char *name;
	void (*fn)(struct ktest *t);
	int timeout_s;
	bool failed;
	bool skipped;
	char reason[256];
};

#define KTEST_MAX 512
static struct ktest *ktest_table[KTEST_MAX];
static int ktest_count;

static inline void ktest_register(struct ktest *t)
{
	if (ktest_count < KTEST_MAX)
		ktest_table[ktest_count++] = t;
}

#define TEST_TIMEOUT(tname, secs)                                                                  \
	static void ktest_fn_##tname(struct ktest *_t);                                            \
	static struct ktest ktest_##tname = {                                                      \
	    .name = #tname, .fn = ktest_fn_##tname, .timeout_s = (secs)};                          \
	__attribute__((constructor)) static void ktest_reg_##tname(void)                           \
	{                                                                                          \
		ktest_register(&ktest_##tname);                                                    \
	}                                                                                          \
	static void ktest_fn_##tname(struct ktest *_t)

#define TEST(tname) TEST_TIMEOUT(tname, 30)

/* Fail with a diagnostic; "fatal" ends the test (child exits). */
static inline void ktest_fail(struct ktest *t, bool fatal, const char *file, int line,
			      const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s:%d: %s\n", file, line, msg);
	fflush(stdout);
	t->failed = true;
	if (fatal)
		_exit(1);
}

#define KT_CHECK(fatal, cond, ...)                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ktest_fail(_t, fatal, __FILE__, __LINE__, __VA_ARGS__);                    \
	} while (0)

#define KT_CMP(fatal, a, op, b, fmt)                                                               \
	do {                                                                                       \
		__typeof__(a) _a = (a);                                                            \
		__typeof__(b) _b = (b);                                                            \
		if (!(_a op _b))                                                                   \
			ktest_fail(_t, fatal, __FILE__, __LINE__,                                  \
				   "expected %s " #op " %s: " fmt " vs " fmt, #a, #b, _a, _b);     \
	} while (0)

#define ASSERT_TRUE(c) KT_CHECK(true, (c), "expected true: %s", #c)
#define ASSERT_FALSE(c) KT_CHECK(true, !(c), "expected false: %s", #c)
#define EXPECT_TRUE(c) KT_CHECK(false, (c), "expected true: %s", #c)
#define EXPECT_FALSE(c) KT_CHECK(false, !(c), "expected false: %s", #c)
#define ASSERT_EQ(a, b) KT_CMP(true, (long long)(a), ==, (long long)(b), "%lld")
#define ASSERT_NE(a, b) KT_CMP(true, (long long)(a), !=, (long long)(b), "%lld")
#define ASSERT_GE(a, b) KT_CMP(true, (long long)(a), >=, (long long)(b), "%lld")
#define ASSERT_LE(a, b) KT_CMP(true, (long long)(a), <=, (long long)(b), "%lld")
#define ASSERT_GT(a, b) KT_CMP(true, (long long)(a), >, (long long)(b), "%lld")
#define ASSERT_LT(a, b) KT_CMP(true, (long long)(a), <, (long long)(b), "%lld")
#define EXPECT_EQ(a, b) KT_CMP(false, (long long)(a), ==, (long long)(b), "%lld")
#define EXPECT_NE(a, b) KT_CMP(false, (long long)(a), !=, (long long)(b), "%lld")
#define EXPECT_GE(a, b) KT_CMP(false, (long long)(a), >=, (long long)(b), "%lld")
#define EXPECT_LE(a, b) KT_CMP(false, (long long)(a), <=, (long long)(b), "%lld")
#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_sa = (a), *_sb = (b);                                                 \
		KT_CHECK(true, _sa &&_sb && !strcmp(_sa, _sb), "expected \"%s\" == \"%s\"",        \
			 _sa ? _sa : "(null)", _sb ? _sb : "(null)");                              \
	} while (0)
#define EXPECT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_sa = (a), *_sb = (b);                                                 \
		KT_CHECK(false, _sa &&_sb && !strcmp(_sa, _sb), "expected \"%s\" == \"%s\"",       \
			 _sa ? _sa : "(null)", _sb ? _sb : "(null)");                              \
	} while (0)
#define ASSERT_NULL(p) KT_CHECK(true, (p) == NULL, "expected NULL: %s", #p)
#define EXPECT_NULL(p) KT_CHECK(false, (p) == NULL, "expected NULL: %s", #p)
#define ASSERT_NONNULL(p) KT_CHECK(true, (p) != NULL, "expected non-NULL: %s", #p)
#define EXPECT_NONNULL(p) KT_CHECK(false, (p) != NULL, "expected non-NULL: %s", #p)
/* Skip the rest of this test with a reason (exit code 4, as kselftest). */
#define SKIP(...)                                                                                  \
	do {                                                                                       \
		printf("# SKIP: ");                                                                \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		fflush(stdout);                                                                    \
		_exit(4);                                                                          \
	} while (0)

/* Runs one test in a child; returns 0 pass, 1 fail, 4 skip. */
static inline int ktest_run_one(struct ktest *t)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		alarm(t->timeout_s);
		t->fn(t);
		fflush(stdout);
		_exit(t->failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		printf("# %s: terminated by signal %d%s\n", t->name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	return WEXITSTATUS(status) == 4 ? 4 : (WEXITSTATUS(status) ? 1 : 0);
}

/* Runs every test whose name matches the optional glob argv[1]. */
static inline int ktest_main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0, n = 0, i;
	const char *glob = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ktest_count; i++)
		if (!glob || !fnmatch(glob, ktest_table[i]->name, 0))
			n++;
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (i = 0; i < ktest_count; i++) {
		struct ktest *t = ktest_table[i];
		int r;

		if (glob && fnmatch(glob, t->name, 0))
			continue;
		n++;
		printf("# RUN %s\n", t->name);
		r = ktest_run_one(t);
		if (r == 0) {
			pass++;
			printf("ok %d %s\n", n, t->name);
		} else if (r == 4) {
			skip++;
			printf("ok %d %s # SKIP\n", n, t->name);
		} else {
			fail++;
			printf("not ok %d %s\n", n, t->name);
		}
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n", pass, fail, skip);
	return fail ? 1 : (pass == 0 && skip ? 4 : 0);
}

#ifdef KTEST_MAIN
int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
#endif

#endif /* MIGCHECK_KTEST_H */
