// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent_client.c: a minimal host side of the agent protocol for tests.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"

const char *agent_path(void)
{
	const char *p = getenv("MIGCHECK_AGENT");

	return p ? p : "guests/agent/migcheck-agent";
}

int agent_spawn(struct agent *a, const char *const *extra)
{
	const char *argv[16] = {agent_path(), "--fd", "3"};
	int sv[2], n = 3;

	memset(a, 0, sizeof(*a));
	/* A dead agent must fail a test, not kill it. */
	signal(SIGPIPE, SIG_IGN);
	while (extra && *extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	a->pid = fork();
	if (a->pid < 0)
		return -errno;
	if (a->pid == 0) {
		/* dup2 clears FD_CLOEXEC on the copy the agent keeps. */
		if (dup2(sv[1], 3) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	a->fd = sv[0];
	return 0;
}

int agent_send(struct agent *a, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		/* write(), not send(): the fd may be a pty master. */
		ssize_t w = write(a->fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int agent_line(struct agent *a, char *line, size_t size, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(a->buf, '\n', a->len);
		struct pollfd pfd = {.fd = a->fd, .events = POLLIN};
		long long left;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - a->buf);
			size_t copy = len < size - 1 ? len : size - 1;

			memcpy(line, a->buf, copy);
			line[copy] = '\0';
			memmove(a->buf, nl + 1, a->len - len - 1);
			a->len -= len + 1;
			return (int)len;
		}
		if (a->len == sizeof(a->buf))
			return -ENOBUFS;
		left = end - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return -ETIMEDOUT;
		n = read(a->fd, a->buf + a->len, sizeof(a->buf) - a->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		a->len += (size_t)n;
	}
}

int agent_cmd(struct agent *a, const char *req, char *reply, size_t size)
{
	char id[32];
	size_t idlen = strcspn(req, " ");
	int ret;

	if (idlen >= sizeof(id) - 1)
		return -EINVAL;
	memcpy(id, req, idlen);
	id[idlen] = ' ';
	id[idlen + 1] = '\0';
	ret = agent_send(a, req, strlen(req));
	if (!ret)
		ret = agent_send(a, "\n", 1);
	if (ret)
		return ret;
	for (;;) {
		ret = agent_line(a, reply, size, 30000);
		if (ret < 0)
			return ret;
		if (!strncmp(reply, id, idlen + 1))
			return ret;
		if (!strncmp(reply, "* hb ", 5))
			a->heartbeats++;
		a->events++;
	}
}

int agent_wait(struct agent *a, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int status;

	while (now_ms() < end) {
		pid_t p = waitpid(a->pid, &status, WNOHANG);

		if (p == a->pid) {
			a->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(5000);
	}
	return -1;
}

void agent_stop(struct agent *a)
{
	if (a->fd > 0)
		close(a->fd);
	a->fd = -1;
	if (a->pid > 0) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, NULL, 0);
		a->pid = 0;
	}
}

bool kv_get(const char *line, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= size)
				n = size - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return true;
		}
		p += klen;
	}
	return false;
}

long long kv_num(const char *line, const char *key)
{
	char v[64];

	if (!kv_get(line, key, v, sizeof(v)))
		return -1;
	return strtoll(v, NULL, 0);
}
