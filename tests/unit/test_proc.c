// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_proc: child processes that cannot outlive the harness.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "proc.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* Spawns `sh -c script` with stdout and stderr in files under dir. */
static int sh(struct mc_proc *p, const char *dir, const char *script, const int *keep, int nkeep,
	      char **err)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	char out[192], errp[192];
	struct mc_spawn s = {.argv = argv, .keep_fds = keep, .nkeep = nkeep};

	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	s.stdout_path = out;
	s.stderr_path = errp;
	return mc_proc_spawn(p, &s, err);
}

static char *file_in(const char *dir, const char *name)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return slurp(path);
}

TEST(exit_status_described)
{
	char dir[128], *err = NULL, *d;
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "exit 3", NULL, 0, &err), 0);
	EXPECT_TRUE(p.pid > 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	EXPECT_TRUE(p.exited);
	d = mc_proc_describe(&p);
	EXPECT_STREQ(d, "exited with status 3");
	free(d);

	ASSERT_EQ(sh(&p, dir, "true", NULL, 0, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	d = mc_proc_describe(&p);
	EXPECT_STREQ(d, "exited with status 0");
	free(d);
	rm_tree(dir);
}

TEST(signal_described)
{
	char dir[128], *err = NULL, *d;
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "kill -SEGV $$", NULL, 0, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	d = mc_proc_describe(&p);
	EXPECT_TRUE(!strncmp(d, "killed by signal 11 (Segmentation fault)", 40));
	free(d);
	rm_tree(dir);
}

TEST(still_running_described_and_wait_times_out)
{
	char dir[128], *err = NULL, *d;
	struct mc_proc p;
	long long t0;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "exec sleep 30", NULL, 0, &err), 0);
	t0 = now_ms();
	EXPECT_FALSE(mc_proc_wait(&p, 200));
	EXPECT_GE(now_ms() - t0, 190);
	EXPECT_LE(now_ms() - t0, 200 + SLACK_MS);
	d = mc_proc_describe(&p);
	EXPECT_STREQ(d, "still running");
	free(d);
	mc_proc_terminate(&p, 2000);
	EXPECT_TRUE(p.exited);
	d = mc_proc_describe(&p);
	EXPECT_TRUE(!strncmp(d, "killed by signal 15", 19));
	free(d);
	rm_tree(dir);
}

TEST(nonexistent_binary)
{
	char *argv[] = {"/nonexistent/qemu-system-x86_64", "-version", NULL};
	struct mc_spawn s = {.argv = argv};
	struct mc_proc p;
	char *err = NULL;

	EXPECT_EQ(mc_proc_spawn(&p, &s, &err), -1);
	EXPECT_STREQ(err, "cannot execute /nonexistent/qemu-system-x86_64: No such file or "
			  "directory");
	/* Nothing is left running or unreaped. */
	EXPECT_TRUE(p.exited);
	EXPECT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	free(err);
}

TEST(not_executable)
{
	char dir[128], path[192], *err = NULL;
	char *argv[] = {path, NULL};
	struct mc_spawn s = {.argv = argv};
	struct mc_proc p;
	FILE *f;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/qemu", dir);
	f = fopen(path, "w");
	ASSERT_NONNULL(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(path, 0644);
	EXPECT_EQ(mc_proc_spawn(&p, &s, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "cannot execute") && strstr(err, "Permission denied"));
	free(err);
	rm_tree(dir);
}

TEST(only_kept_fds_cross_exec)
{
	char dir[128], script[256], *err = NULL, *out;
	int kept = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct mc_proc p;

	ASSERT_TRUE(kept >= 0 && other >= 0);
	make_tmpdir(dir, sizeof(dir));
	snprintf(script, sizeof(script),
		 "for fd in %d %d; do if [ -e /proc/$$/fd/$fd ]; then echo $fd yes; else echo "
		 "$fd no; fi; done",
		 kept, other);
	ASSERT_EQ(sh(&p, dir, script, &kept, 1, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	out = file_in(dir, "stdout");
	ASSERT_NONNULL(out);
	{
		char want[64];

		snprintf(want, sizeof(want), "%d yes\n%d no\n", kept, other);
		EXPECT_STREQ(out, want);
	}
	free(out);
	/* The parent's fd keeps its close-on-exec flag. */
	EXPECT_TRUE(fcntl(kept, F_GETFD) & FD_CLOEXEC);
	rm_tree(dir);
}

TEST(kept_fds_at_fixed_numbers)
{
	char dir[128], *err = NULL, *out;
	int a = fcntl(open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 40);
	int b = fcntl(open("/dev/zero", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 50);
	int keep[2] = {a, b}, at[2] = {4, 3};
	char *argv[] = {"/bin/sh", "-c",
			"readlink /proc/$$/fd/3 /proc/$$/fd/4; [ -e /proc/$$/fd/40 ] || echo "
			"no40",
			NULL};
	char outp[192];
	struct mc_spawn s = {.argv = argv, .keep_fds = keep, .nkeep = 2, .keep_at = at};
	struct mc_proc p;

	ASSERT_TRUE(a >= 0 && b >= 0);
	make_tmpdir(dir, sizeof(dir));
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	s.stdout_path = outp;
	ASSERT_EQ(mc_proc_spawn(&p, &s, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	out = file_in(dir, "stdout");
	EXPECT_STREQ(out, "/dev/zero\n/dev/null\nno40\n");
	free(out);
	rm_tree(dir);
}

/*
 * The exec-failure report must survive fd placement: with fds 3 and 4 free
 * when mc_proc_spawn makes its error pipe, the pipe would land exactly where
 * the kept fds are to be placed.
 */
TEST(exec_failure_reported_with_fixed_numbers)
{
	int a = fcntl(open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 40);
	int keep[1] = {a}, at[1] = {4};
	char *argv[] = {"/nonexistent/qemu", NULL};
	struct mc_spawn s = {.argv = argv, .keep_fds = keep, .nkeep = 1, .keep_at = at};
	struct mc_proc p;
	char *err = NULL;
	int fd;

	for (fd = 3; fd < 40; fd++)
		if (fd != a)
			close(fd);
	EXPECT_EQ(mc_proc_spawn(&p, &s, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "cannot execute /nonexistent/qemu") != NULL);
	free(err);
}

TEST(stdout_stderr_and_env_captured)
{
	char dir[128], out[192], errp[192], *err = NULL, *text;
	char *argv[] = {"/bin/sh", "-c", "echo to-out; echo \"to-err $MC_UNIT_VAR\" >&2; exit 0",
			NULL};
	char *env[] = {"MC_UNIT_VAR=hello", NULL};
	struct mc_spawn s = {.argv = argv, .env_add = env};
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	s.stdout_path = out;
	s.stderr_path = errp;
	ASSERT_EQ(mc_proc_spawn(&p, &s, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	text = slurp(out);
	EXPECT_STREQ(text, "to-out\n");
	free(text);
	text = slurp(errp);
	EXPECT_STREQ(text, "to-err hello\n");
	free(text);
	/* Appended, not truncated. */
	ASSERT_EQ(mc_proc_spawn(&p, &s, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	text = slurp(errp);
	EXPECT_STREQ(text, "to-err hello\nto-err hello\n");
	free(text);
	EXPECT_TRUE(getenv("MC_UNIT_VAR") == NULL);
	rm_tree(dir);
}

TEST(stdin_is_dev_null)
{
	char dir[128], *err = NULL, *out;
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "readlink /proc/$$/fd/0", NULL, 0, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	out = file_in(dir, "stdout");
	EXPECT_STREQ(out, "/dev/null\n");
	free(out);
	rm_tree(dir);
}

TEST(own_process_group)
{
	char dir[128], *err = NULL;
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "exec sleep 30", NULL, 0, &err), 0);
	EXPECT_EQ(getpgid(p.pid), p.pid);
	EXPECT_NE(getpgid(p.pid), getpgrp());
	mc_proc_terminate(&p, 2000);
	rm_tree(dir);
}

static bool file_has(const char *dir, const char *name, const char *what)
{
	char *s = file_in(dir, name);
	bool r = s && strstr(s, what);

	free(s);
	return r;
}

TEST(terminate_escalates_to_sigkill)
{
	char dir[128], *err = NULL, *d;
	struct mc_proc p;
	long long t0, dt;
	int i;

	make_tmpdir(dir, sizeof(dir));
	/* An ignored signal stays ignored across exec. */
	ASSERT_EQ(sh(&p, dir, "trap '' TERM; echo armed; exec sleep 30", NULL, 0, &err), 0);
	for (i = 0; i < 200 && !file_has(dir, "stdout", "armed"); i++)
		usleep(10000);
	ASSERT_TRUE(file_has(dir, "stdout", "armed"));
	usleep(50000);
	t0 = now_ms();
	mc_proc_terminate(&p, 300);
	dt = now_ms() - t0;
	EXPECT_TRUE(p.exited);
	EXPECT_GE(dt, 290);
	EXPECT_LE(dt, 300 + SLACK_MS);
	EXPECT_TRUE(WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL);
	d = mc_proc_describe(&p);
	EXPECT_TRUE(!strncmp(d, "killed by signal 9", 18));
	free(d);
	/* Reaped: no such child any more. */
	EXPECT_TRUE(waitpid(p.pid, NULL, WNOHANG) < 0);
	rm_tree(dir);
}

TEST(terminate_of_exited_child_is_harmless)
{
	char dir[128], *err = NULL, *d;
	struct mc_proc p;

	make_tmpdir(dir, sizeof(dir));
	ASSERT_EQ(sh(&p, dir, "exit 5", NULL, 0, &err), 0);
	ASSERT_TRUE(mc_proc_wait(&p, 5000));
	mc_proc_terminate(&p, 100);
	d = mc_proc_describe(&p);
	EXPECT_STREQ(d, "exited with status 5");
	free(d);
	rm_tree(dir);
}

/*
 * The child dies with its parent even when the parent is killed outright:
 * an intermediate process spawns `sleep 60` and is SIGKILLed; as the
 * subreaper we inherit the orphan and must see it killed (within SLACK_MS).
 */
TEST(dies_with_its_parent)
{
	int pfd[2], status;
	pid_t mid, child = 0;
	long long t0;
	bool gone = false;

	ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ASSERT_EQ(pipe(pfd), 0);
	mid = fork();
	ASSERT_GE(mid, 0);
	if (mid == 0) {
		char *argv[] = {"sleep", "60", NULL};
		struct mc_spawn s = {.argv = argv};
		struct mc_proc p;
		char *err = NULL;

		close(pfd[0]);
		if (mc_proc_spawn(&p, &s, &err) < 0)
			_exit(1);
		if (write(pfd[1], &p.pid, sizeof(p.pid)) != sizeof(p.pid))
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(read(pfd[0], &child, sizeof(child)), sizeof(child));
	ASSERT_TRUE(child > 0);
	ASSERT_EQ(kill(child, 0), 0);
	ASSERT_EQ(kill(mid, SIGKILL), 0);
	ASSERT_EQ(waitpid(mid, &status, 0), mid);
	t0 = now_ms();
	while (now_ms() - t0 < SLACK_MS) {
		pid_t r = waitpid(child, &status, WNOHANG);

		if (r == child) {
			gone = true;
			break;
		}
		usleep(10000);
	}
	if (!gone)
		kill(child, SIGKILL);
	ASSERT_TRUE(gone);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d", (int)child);
		EXPECT_TRUE(access(path, F_OK) < 0);
	}
}
