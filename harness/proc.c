// SPDX-License-Identifier: GPL-2.0-or-later
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_redirect(int target, const char *path)
{
	int fd = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0)
		_exit(127);
	if (fd != target) {
		dup2(fd, target);
		close(fd);
	}
}

int mc_proc_spawn(struct mc_proc *p, const struct mc_spawn *s, char **err)
{
	pid_t parent = getpid();
	int errpipe[2];
	int child_errno = 0;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		mc_set_err(err, "pipe: %s", strerror(errno));
		return -1;
	}
	/* Keep the pipe clear of the fixed numbers kept fds are moved to. */
	for (int k = 0; k < 2; k++) {
		int high = fcntl(errpipe[k], F_DUPFD_CLOEXEC, 200);

		if (high >= 0) {
			close(errpipe[k]);
			errpipe[k] = high;
		}
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		mc_set_err(err, "fork: %s", strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	if (p->pid == 0) {
		int i;
		sigset_t none;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		i = open("/dev/null", O_RDONLY);
		if (i >= 0 && i != 0) {
			dup2(i, 0);
			close(i);
		}
		child_redirect(1, s->stdout_path);
		child_redirect(2, s->stderr_path);
		if (s->keep_at) {
			/* Move every source out of the way first, then place them. */
			int tmp[64];

			for (i = 0; i < s->nkeep && i < 64; i++)
				tmp[i] = fcntl(s->keep_fds[i], F_DUPFD_CLOEXEC, 100);
			for (i = 0; i < s->nkeep && i < 64; i++)
				if (tmp[i] < 0 || dup2(tmp[i], s->keep_at[i]) < 0)
					_exit(127);
		} else {
			for (i = 0; i < s->nkeep; i++) {
				int fl = fcntl(s->keep_fds[i], F_GETFD);

				if (fl >= 0)
					fcntl(s->keep_fds[i], F_SETFD, fl & ~FD_CLOEXEC);
			}
		}
		for (i = 0; s->env_add && s->env_add[i]; i++)
			putenv(s->env_add[i]);
		execvp(s->argv[0], s->argv);
		child_errno = errno;
		if (write(errpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);
	do {
		n = read(errpipe[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == sizeof(child_errno)) {
		mc_set_err(err, "cannot execute %s: %s", s->argv[0], strerror(child_errno));
		waitpid(p->pid, &p->status, 0);
		p->exited = true;
		return -1;
	}
	return 0;
}

bool mc_proc_wait(struct mc_proc *p, int timeout_ms)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;

	if (p->exited || p->pid <= 0)
		return true;
	for (;;) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);

		if (r == p->pid || (r < 0 && errno == ECHILD)) {
			p->exited = true;
			return true;
		}
		if (mc_now_ns() >= deadline)
			return false;
		usleep(2000);
	}
}

void mc_proc_terminate(struct mc_proc *p, int grace_ms)
{
	if (p->exited || p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	if (mc_proc_wait(p, grace_ms))
		return;
	kill(p->pid, SIGKILL);
	mc_proc_wait(p, 10000);
}

char *mc_proc_describe(const struct mc_proc *p)
{
	if (!p->exited)
		return strdup("still running");
	if (WIFSIGNALED(p->status))
		return mc_strdup_printf("killed by signal %d (%s)%s", WTERMSIG(p->status),
					strsignal(WTERMSIG(p->status)),
					WCOREDUMP(p->status) ? ", core dumped" : "");
	return mc_strdup_printf("exited with status %d", WEXITSTATUS(p->status));
}

bool mc_proc_signaled(const struct mc_proc *p)
{
	return p->exited && WIFSIGNALED(p->status);
}
